package process

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/driver"
)

// recordVersion is the version of the state file format.
const recordVersion = 1

// record is the state file of one container, <stateDir>/<id>.json. It holds what a
// later Driver needs to re-adopt the process: its identity (pid and start time), and
// what the health checker needs (environment, directory, credential). The file is
// mode 0600 because Env may hold secrets.
//
// Every field but ExitCode, FinishedAt and Reason is fixed once the process started.
type record struct {
	Version int               `json:"version"`
	ID      string            `json:"id"`
	Name    string            `json:"name"`
	Image   string            `json:"image"`
	Labels  map[string]string `json:"labels"`
	PID     int               `json:"pid"`
	PGID    int               `json:"pgid"`
	// StartTicks is field 22 of /proc/<pid>/stat: the process's start time in clock
	// ticks since boot. A live pid with another start time is another process.
	StartTicks  uint64               `json:"startTicks"`
	Ports       []driver.PortBinding `json:"ports"`
	HealthCheck *driver.HealthCheck  `json:"healthCheck,omitempty"`
	Env         []string             `json:"env"`
	Dir         string               `json:"dir"`
	Credential  *credential          `json:"credential,omitempty"`
	StopTimeout time.Duration        `json:"stopTimeout"`
	LogPath     string               `json:"logPath"`
	StartedAt   time.Time            `json:"startedAt"`
	FinishedAt  time.Time            `json:"finishedAt,omitzero"`
	ExitCode    *int                 `json:"exitCode,omitempty"`
	Reason      string               `json:"reason,omitempty"`
}

// credential is the user and groups a process runs as, when they differ from Wharf's.
type credential struct {
	UID    uint32   `json:"uid"`
	GID    uint32   `json:"gid"`
	Groups []uint32 `json:"groups,omitempty"`
}

// recordPath is where the state file of container id lives.
func recordPath(dir, id string) string { return filepath.Join(dir, id+".json") }

// writeRecord writes rec atomically: a temporary file in the same directory, synced,
// renamed over the state file, and the directory synced.
func writeRecord(dir string, rec record) error {
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return fmt.Errorf("encode state of %s: %w", rec.ID, err)
	}
	tmp, err := os.CreateTemp(dir, "."+rec.ID+".json.*.tmp")
	if err != nil {
		return fmt.Errorf("write state of %s: %w", rec.ID, err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("write state of %s: %w", rec.ID, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync state of %s: %w", rec.ID, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write state of %s: %w", rec.ID, err)
	}
	if err := os.Rename(tmp.Name(), recordPath(dir, rec.ID)); err != nil {
		return fmt.Errorf("write state of %s: %w", rec.ID, err)
	}
	return syncDir(dir)
}

// syncDir makes a rename or removal in dir durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// readRecords reads every state file in dir. Files that cannot be read or decoded are
// reported in bad and skipped; leftover temporary files are removed.
func readRecords(dir string) (recs []record, bad []error, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("read state dir: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() {
			continue
		}
		if strings.HasPrefix(name, ".") && strings.HasSuffix(name, ".tmp") {
			os.Remove(filepath.Join(dir, name))
			continue
		}
		if strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".json") {
			continue
		}
		path := filepath.Join(dir, name)
		b, err := os.ReadFile(path)
		if err != nil {
			bad = append(bad, fmt.Errorf("read %s: %w", path, err))
			continue
		}
		var rec record
		if err := json.Unmarshal(b, &rec); err != nil {
			bad = append(bad, fmt.Errorf("decode %s: %w", path, err))
			continue
		}
		if rec.ID+".json" != name || rec.PID <= 0 || rec.PGID <= 0 || rec.Name == "" {
			bad = append(bad, fmt.Errorf("%s: not a valid container state (id %q, pid %d, pgid %d, name %q)",
				path, rec.ID, rec.PID, rec.PGID, rec.Name))
			continue
		}
		recs = append(recs, rec)
	}
	return recs, bad, nil
}

// procStat is what Wharf reads of /proc/<pid>/stat.
type procStat struct {
	State      byte   // field 3: R, S, D, Z, X, ...
	StartTicks uint64 // field 22
}

// readProcStat reads /proc/<pid>/stat.
func readProcStat(pid int) (procStat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, err
	}
	return parseProcStat(b)
}

// parseProcStat parses the content of /proc/<pid>/stat. The command name (field 2) is
// in parentheses and may itself hold spaces and parentheses, so fields are counted
// from the last ')'.
func parseProcStat(b []byte) (procStat, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, errors.New("proc stat: no command name")
	}
	fields := strings.Fields(string(b[i+1:]))
	// fields[0] is field 3 (state), so field 22 (starttime) is fields[19].
	if len(fields) < 20 || len(fields[0]) != 1 {
		return procStat{}, fmt.Errorf("proc stat: %d fields after the command name, want at least 20", len(fields))
	}
	ticks, err := strconv.ParseUint(fields[19], 10, 64)
	if err != nil {
		return procStat{}, fmt.Errorf("proc stat: start time: %w", err)
	}
	return procStat{State: fields[0][0], StartTicks: ticks}, nil
}

// alive reports whether the process pid still runs and is the one that started at
// startTicks (not a later process that reused the pid). A zombie has exited.
func alive(pid int, startTicks uint64) bool {
	st, err := readProcStat(pid)
	if err != nil {
		return false
	}
	return st.StartTicks == startTicks && st.State != 'Z' && st.State != 'X' && st.State != 'x'
}
