package process

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wharf-dev/wharf/internal/driver"
)

var _ driver.StatsReader = (*Driver)(nil)

// Stats implements driver.StatsReader from /proc. A container is its process and
// every process descending from it or sharing its session (which orphaned
// grandchildren keep): CPU is the sum of their user and system times, with those of
// the children they reaped; MemoryBytes is the sum of their resident sets (shared
// pages counted once per process); MemoryLimitBytes is the host's memory, since the
// process driver sets no limit. CPU may fall back when a descendant exits and is
// reaped by a process outside the container (init), which takes its time away.
func (d *Driver) Stats(ctx context.Context, id string) (driver.Stats, error) {
	p, err := d.get(id)
	if err != nil {
		return driver.Stats{}, err
	}
	d.refresh(p)
	if isDone(p.done) || !alive(p.rec.PID, p.rec.StartTicks) {
		return driver.Stats{}, fmt.Errorf("process driver: stats of %s: %w", id, driver.ErrNotRunning)
	}
	now := time.Now()
	procs, err := readAllUsage()
	if err != nil {
		return driver.Stats{}, fmt.Errorf("process driver: stats of %s: %w", id, err)
	}
	ticks, rss := containerUsage(procs, p.rec.PID, p.rec.PGID)
	return driver.Stats{
		Time:             now,
		CPU:              ticksToDuration(ticks),
		MemoryBytes:      rss * uint64(os.Getpagesize()),
		MemoryLimitBytes: hostMemory(),
	}, nil
}

// procUsage is what Stats reads of /proc/<pid>/stat.
type procUsage struct {
	PID, PPID, Session int
	// Ticks is utime+stime+cutime+cstime: the CPU time of the process and of the
	// children it reaped, in clock ticks.
	Ticks uint64
	RSS   uint64 // resident set, in pages
}

// parseProcUsage parses the content of /proc/<pid>/stat (see parseProcStat for the
// command name).
func parseProcUsage(b []byte) (procUsage, error) {
	open := bytes.IndexByte(b, '(')
	i := bytes.LastIndexByte(b, ')')
	if open < 0 || i < open {
		return procUsage{}, errors.New("proc stat: no command name")
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b[:open])))
	if err != nil {
		return procUsage{}, fmt.Errorf("proc stat: pid: %w", err)
	}
	fields := strings.Fields(string(b[i+1:]))
	// fields[0] is field 3 (state): field n is fields[n-3].
	if len(fields) < 22 {
		return procUsage{}, fmt.Errorf("proc stat: %d fields after the command name, want at least 22", len(fields))
	}
	u := procUsage{PID: pid}
	var ints [3]int64
	for k, n := range []int{4, 6} { // ppid, session
		if ints[k], err = strconv.ParseInt(fields[n-3], 10, 32); err != nil {
			return procUsage{}, fmt.Errorf("proc stat: field %d: %w", n, err)
		}
	}
	u.PPID, u.Session = int(ints[0]), int(ints[1])
	for _, n := range []int{14, 15, 16, 17} { // utime, stime, cutime, cstime
		v, err := strconv.ParseInt(fields[n-3], 10, 64)
		if err != nil {
			return procUsage{}, fmt.Errorf("proc stat: field %d: %w", n, err)
		}
		if v > 0 {
			u.Ticks += uint64(v)
		}
	}
	rss, err := strconv.ParseInt(fields[24-3], 10, 64)
	if err != nil {
		return procUsage{}, fmt.Errorf("proc stat: field 24: %w", err)
	}
	if rss > 0 {
		u.RSS = uint64(rss)
	}
	return u, nil
}

// readAllUsage reads /proc/<pid>/stat of every process; those that exit meanwhile
// are left out.
func readAllUsage() ([]procUsage, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	out := make([]procUsage, 0, len(entries))
	for _, e := range entries {
		name := e.Name()
		if name == "" || name[0] < '0' || name[0] > '9' {
			continue
		}
		b, err := os.ReadFile("/proc/" + name + "/stat")
		if err != nil {
			continue
		}
		u, err := parseProcUsage(b)
		if err != nil {
			continue
		}
		out = append(out, u)
	}
	return out, nil
}

// containerUsage sums the usage of pid, its descendants, and the members of session
// sid.
func containerUsage(procs []procUsage, pid, sid int) (ticks, rss uint64) {
	children := map[int][]int{}
	byPID := make(map[int]procUsage, len(procs))
	for _, u := range procs {
		byPID[u.PID] = u
		children[u.PPID] = append(children[u.PPID], u.PID)
	}
	members := map[int]bool{}
	queue := []int{pid}
	for _, u := range procs {
		if u.Session == sid && sid > 0 {
			queue = append(queue, u.PID)
		}
	}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if members[p] {
			continue
		}
		if _, ok := byPID[p]; !ok {
			continue
		}
		members[p] = true
		queue = append(queue, children[p]...)
	}
	for p := range members {
		ticks += byPID[p].Ticks
		rss += byPID[p].RSS
	}
	return ticks, rss
}

// clockTicks is the kernel's USER_HZ: the unit of the times in /proc/<pid>/stat.
var clockTicks = sync.OnceValue(func() uint64 {
	if hz := auxvClockTicks(); hz > 0 {
		return hz
	}
	return 100
})

// auxvClockTicks reads AT_CLKTCK from this process's auxiliary vector (0 when unknown).
func auxvClockTicks() uint64 {
	const atClkTck = 17
	b, err := os.ReadFile("/proc/self/auxv")
	if err != nil {
		return 0
	}
	word := strconv.IntSize / 8
	read := func(b []byte) uint64 {
		if word == 4 {
			return uint64(binary.NativeEndian.Uint32(b))
		}
		return binary.NativeEndian.Uint64(b)
	}
	for i := 0; i+2*word <= len(b); i += 2 * word {
		key := read(b[i:])
		if key == atClkTck {
			return read(b[i+word:])
		}
		if key == 0 {
			break
		}
	}
	return 0
}

// ticksToDuration converts clock ticks to a duration.
func ticksToDuration(ticks uint64) time.Duration {
	hz := clockTicks()
	return time.Duration(ticks/hz)*time.Second + time.Duration(ticks%hz)*time.Second/time.Duration(hz)
}

// hostMemory is the host's memory in bytes, from /proc/meminfo (0 when unknown).
func hostMemory() uint64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
			if kb, err := strconv.ParseUint(f[1], 10, 64); err == nil {
				return kb << 10
			}
		}
	}
	return 0
}
