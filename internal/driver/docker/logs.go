package docker

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/wharf-dev/wharf/internal/driver"
)

var (
	_ driver.LogStreamer = (*Driver)(nil)
	_ driver.StatsReader = (*Driver)(nil)
)

// Stream ids in the header of a frame of a multiplexed log stream.
const (
	frameStdout = 1
	frameStderr = 2
	frameSystem = 3 // an error of the engine while it reads the log
)

// maxFrame bounds the payload of one frame: Docker cuts lines at 16 KiB, so a larger
// frame means a corrupt stream.
const maxFrame = 1 << 20

// StreamLogs implements driver.LogStreamer with the engine's log API, which needs a
// log driver that can be read back (json-file, Docker's default, local or journald).
// Record times are the engine's. Docker cuts lines longer than 16 KiB into records;
// with a log driver that rotates its files (a max-size option), what rotates away
// before it is read is lost.
//
// The engine replays a log from a time, not from a position, and the times in a log
// are in order for each stream but not across them (a line of stdout may be written
// after lines of stderr stamped later). So the cursor holds, for each stream, the
// time of its last record with how many of its records have that very time; StreamLogs
// replays from the earlier of the two (from the start when a stream had no record
// yet) and skips, per stream, the records up to the cursor. A daemon clock stepping
// back while the container writes can make a resumed read skip or repeat lines.
func (d *Driver) StreamLogs(ctx context.Context, id, cursor string, follow bool, fn func(driver.LogRecord) error) error {
	pos, err := parseCursor(cursor)
	if err != nil {
		return fmt.Errorf("read logs of container %s: %w", id, err)
	}
	track := func(r driver.LogRecord) error {
		if err := fn(r); err != nil {
			return err
		}
		cursor = r.Cursor
		return nil
	}
	for {
		if pos, err = parseCursor(cursor); err != nil {
			return err // cannot happen: the cursors are ours
		}
		if err := d.streamLogs(ctx, id, pos, follow, track); err != nil || !follow {
			return err
		}
		// The engine may end a follow before it delivered all that the container wrote
		// before it exited (Docker 20.10 does): read on from the cursor, following only
		// while the container runs.
		resp, err := d.cli.ContainerInspect(ctx, id)
		if err != nil {
			return notFound(id, "read logs of", err)
		}
		if resp.State == nil || !resp.State.Running {
			follow = false
			continue
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("read logs of container %s: %w", id, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// streamLogs reads the log of container id once, after pos.
func (d *Driver) streamLogs(ctx context.Context, id string, pos position, follow bool, fn func(driver.LogRecord) error) error {
	opts := container.LogsOptions{ShowStdout: true, ShowStderr: true, Follow: follow, Timestamps: true}
	if since := pos.since(); !since.IsZero() {
		opts.Since = fmt.Sprintf("%d.%09d", since.Unix(), since.Nanosecond())
	}
	rc, err := d.cli.ContainerLogs(ctx, id, opts)
	if err != nil {
		return notFound(id, "read logs of", err)
	}
	defer rc.Close()
	if err := d.demux(rc, pos, fn); err != nil {
		if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
			return fmt.Errorf("read logs of container %s: %w", id, ctx.Err())
		}
		return fmt.Errorf("read logs of container %s: %w", id, err)
	}
	return nil
}

// mark is a position in one stream: the time of its last record, and how many of its
// records have that time.
type mark struct {
	t time.Time
	n int
}

// next is the mark after a record of time t.
func (m mark) next(t time.Time) mark {
	if t.Equal(m.t) {
		return mark{t, m.n + 1}
	}
	return mark{t, 1}
}

// after reports whether m is past o.
func (m mark) after(o mark) bool {
	return m.t.After(o.t) || (m.t.Equal(o.t) && m.n > o.n)
}

// position is a position in a container's log: a mark per stream (stdout, stderr).
type position [2]mark

// since is the time to replay the log from to find what follows p: the earlier of its
// marks, or zero (the start) when a stream has no mark.
func (p position) since() time.Time {
	if p[0].n == 0 || p[1].n == 0 {
		return time.Time{}
	}
	if p[1].t.Before(p[0].t) {
		return p[1].t
	}
	return p[0].t
}

// String formats p as a cursor: "<unix ns>:<n>:<unix ns>:<n>", stdout then stderr.
func (p position) String() string {
	var b []byte
	for i, m := range p {
		if i > 0 {
			b = append(b, ':')
		}
		var ns int64
		if m.n > 0 {
			ns = m.t.UnixNano()
		}
		b = strconv.AppendInt(b, ns, 10)
		b = append(b, ':')
		b = strconv.AppendInt(b, int64(m.n), 10)
	}
	return string(b)
}

// parseCursor parses a cursor made by position.String ("" is the start).
func parseCursor(cursor string) (position, error) {
	var p position
	if cursor == "" {
		return p, nil
	}
	f := strings.Split(cursor, ":")
	if len(f) != 4 {
		return p, fmt.Errorf("invalid log cursor %q: want <ns>:<count>:<ns>:<count>", cursor)
	}
	for i := range p {
		ns, err1 := strconv.ParseInt(f[2*i], 10, 64)
		n, err2 := strconv.Atoi(f[2*i+1])
		if err1 != nil || err2 != nil || n < 0 || (n == 0) != (ns == 0) {
			return position{}, fmt.Errorf("invalid log cursor %q: want <ns>:<count>:<ns>:<count>", cursor)
		}
		if n > 0 {
			p[i] = mark{time.Unix(0, ns), n}
		}
	}
	return p, nil
}

// demux reads a multiplexed log stream read with timestamps and calls fn with the
// records after pos.
func (d *Driver) demux(rd io.Reader, pos position, fn func(driver.LogRecord) error) error {
	r := bufio.NewReaderSize(rd, 64<<10)
	var (
		hdr [8]byte
		buf []byte
		cur position // the position after the record read
	)
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		size := binary.BigEndian.Uint32(hdr[4:])
		if size > maxFrame {
			return fmt.Errorf("frame of %d bytes: not a log stream", size)
		}
		if cap(buf) < int(size) {
			buf = make([]byte, size)
		}
		buf = buf[:size]
		if _, err := io.ReadFull(r, buf); err != nil {
			return err
		}
		var stream string
		var i int
		switch hdr[0] {
		case frameStdout:
			stream, i = driver.StreamStdout, 0
		case frameStderr:
			stream, i = driver.StreamStderr, 1
		case frameSystem:
			d.log.Warn("the engine failed reading a container's log", "error", strings.TrimSpace(string(buf)))
			continue
		default:
			return fmt.Errorf("frame of stream %d: not a log stream", hdr[0])
		}
		ts, data, err := splitTimestamp(buf)
		if err != nil {
			return err
		}
		cur[i] = cur[i].next(ts)
		if !cur[i].after(pos[i]) {
			continue // handed over before the cursor
		}
		// The other stream may not have come back to its mark yet.
		at := cur
		if j := 1 - i; !at[j].after(pos[j]) {
			at[j] = pos[j]
		}
		if err := fn(driver.LogRecord{Stream: stream, Time: ts, Data: data, Cursor: at.String()}); err != nil {
			return err
		}
	}
}

// splitTimestamp splits a frame of a log read with timestamps into the engine's time
// and the output.
func splitTimestamp(frame []byte) (time.Time, []byte, error) {
	i := 0
	for i < len(frame) && frame[i] != ' ' {
		i++
	}
	if i == len(frame) {
		return time.Time{}, nil, fmt.Errorf("log frame %.40q has no timestamp", frame)
	}
	ts, err := time.Parse(time.RFC3339Nano, string(frame[:i]))
	if err != nil {
		return time.Time{}, nil, fmt.Errorf("log frame timestamp: %w", err)
	}
	return ts, frame[i+1:], nil
}

// Stats implements driver.StatsReader with one sample of the engine's stats: CPU is
// the cgroup's total usage, and memory its usage less inactive page cache, as docker
// stats shows it. It fails with driver.ErrNotRunning for a container that has exited.
func (d *Driver) Stats(ctx context.Context, id string) (driver.Stats, error) {
	resp, err := d.cli.ContainerStatsOneShot(ctx, id)
	if err != nil {
		return driver.Stats{}, notFound(id, "read stats of", err)
	}
	defer resp.Body.Close()
	var s container.StatsResponse
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		return driver.Stats{}, fmt.Errorf("read stats of container %s: %w", id, err)
	}
	if s.Read.IsZero() {
		return driver.Stats{}, fmt.Errorf("read stats of container %s: %w", id, driver.ErrNotRunning)
	}
	return driver.Stats{
		Time:             s.Read,
		CPU:              time.Duration(s.CPUStats.CPUUsage.TotalUsage),
		MemoryBytes:      memoryUsage(s.MemoryStats),
		MemoryLimitBytes: s.MemoryStats.Limit,
	}, nil
}

// memoryUsage is the memory in use without the page cache the kernel can reclaim at
// once, as docker stats computes it: usage less total_inactive_file (cgroup v1) or
// inactive_file (cgroup v2).
func memoryUsage(m container.MemoryStats) uint64 {
	if v, ok := m.Stats["total_inactive_file"]; ok && v < m.Usage {
		return m.Usage - v
	}
	if v := m.Stats["inactive_file"]; v < m.Usage {
		return m.Usage - v
	}
	return m.Usage
}
