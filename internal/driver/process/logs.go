package process

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/wharf-dev/wharf/internal/driver"
)

var _ driver.LogStreamer = (*Driver)(nil)

// maxRecord is the longest record StreamLogs hands over: a longer line comes in
// parts, as Docker cuts lines at 16 KiB.
const maxRecord = 16 << 10

// Pauses between two looks at a log file that has no new output while its process
// runs: short after output, growing to logPollMax while it stays idle.
const (
	logPollMin = 5 * time.Millisecond
	logPollMax = 100 * time.Millisecond
)

// StreamLogs implements driver.LogStreamer on the container's log file (see LogPath).
// The process writes stdout and stderr to that one file, in the order it writes them,
// so every record has Stream driver.StreamStdout, stderr included. Time is when the
// driver read the record. The cursor is the byte offset in the file just after the
// record, in decimal; a cursor past the end of the file (a file that shrank) starts
// again at its beginning.
//
// A line is handed over once its newline is written (or, when it grows past 16 KiB,
// in parts of 16 KiB); the end of a line without a newline is handed over once the
// process has exited (with follow) or at the end of the file (without).
func (d *Driver) StreamLogs(ctx context.Context, id, cursor string, follow bool, fn func(driver.LogRecord) error) error {
	p, err := d.get(id)
	if err != nil {
		return err
	}
	offset, err := parseCursor(cursor)
	if err != nil {
		return fmt.Errorf("process driver: logs of %s: %w", id, err)
	}
	f, err := os.Open(p.rec.LogPath)
	if err != nil {
		return fmt.Errorf("process driver: logs of %s: %w", id, err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && offset > fi.Size() {
		d.log.Warn("log cursor is past the end of the log file: reading it from its start", "container", p.rec.Name, "id", id, "cursor", offset, "size", fi.Size())
		offset = 0
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return fmt.Errorf("process driver: logs of %s: %w", id, err)
	}
	s := logScanner{fn: fn, pos: offset, buf: make([]byte, 0, 64<<10)}
	pause := logPollMin
	var timer *time.Timer
	for {
		// Whether the process had exited before this read: if so, reaching the end of
		// the file means all its output was read.
		exited := isDone(p.done)
		n, err := s.fill(f)
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("process driver: logs of %s: %w", id, err)
		}
		if n > 0 {
			if err := s.lines(); err != nil {
				return err
			}
			pause = logPollMin
			continue
		}
		if !follow || exited {
			return s.rest()
		}
		if timer == nil {
			timer = time.NewTimer(pause)
			defer timer.Stop()
		} else {
			timer.Reset(pause)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-d.ctx.Done():
			return ErrClosed
		case <-p.done:
		case <-timer.C:
			pause = min(2*pause, logPollMax)
		}
	}
}

// isDone reports whether ch is closed.
func isDone(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// parseCursor parses a process driver log cursor: a byte offset.
func parseCursor(cursor string) (int64, error) {
	if cursor == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(cursor, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid log cursor %q: want a byte offset", cursor)
	}
	return n, nil
}

// logScanner cuts the bytes of a log file into records.
type logScanner struct {
	fn  func(driver.LogRecord) error
	buf []byte // read and not yet handed over; buf[0] is at offset pos in the file
	pos int64
}

// fill reads more of f into the buffer.
func (s *logScanner) fill(f *os.File) (int, error) {
	if len(s.buf) == cap(s.buf) {
		grown := make([]byte, len(s.buf), 2*cap(s.buf))
		copy(grown, s.buf)
		s.buf = grown
	}
	n, err := f.Read(s.buf[len(s.buf):cap(s.buf)])
	s.buf = s.buf[:len(s.buf)+n]
	return n, err
}

// lines hands over every complete line in the buffer, and parts of maxRecord bytes of
// a line that has no newline yet, keeping the rest for later.
func (s *logScanner) lines() error {
	now := time.Now()
	start := 0
	for start < len(s.buf) {
		end := len(s.buf)
		if i := bytes.IndexByte(s.buf[start:min(end, start+maxRecord)], '\n'); i >= 0 {
			end = start + i + 1
		} else if end-start >= maxRecord {
			end = start + maxRecord
		} else {
			break
		}
		if err := s.emit(s.buf[start:end], now); err != nil {
			return err
		}
		start = end
	}
	s.buf = s.buf[:copy(s.buf, s.buf[start:])]
	return nil
}

// rest hands over what remains in the buffer: the last line, without a newline.
func (s *logScanner) rest() error {
	if err := s.lines(); err != nil {
		return err
	}
	if len(s.buf) == 0 {
		return nil
	}
	err := s.emit(s.buf, time.Now())
	s.buf = s.buf[:0]
	return err
}

// emit hands over one record and advances the position past it.
func (s *logScanner) emit(data []byte, now time.Time) error {
	s.pos += int64(len(data))
	return s.fn(driver.LogRecord{Stream: driver.StreamStdout, Time: now, Data: data, Cursor: strconv.FormatInt(s.pos, 10)})
}
