package process

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/wharf-dev/wharf/internal/driver"
)

// startInterval is the pause between checks during the start period until one passes,
// as Docker 25's --health-start-interval: a task becomes healthy soon after it serves,
// not a whole Interval later.
const startInterval = time.Second

// maxCheckOutput is how much of a health check's output is kept for the log.
const maxCheckOutput = 4096

// runHealth runs p's health check until ctx ends, with Docker's semantics: a check
// every Interval (the first one Interval after start, or at once when immediate), each
// bounded by Timeout; a success makes the container healthy and ends the start period;
// failures within StartPeriod do not count; Retries consecutive counted failures make
// it unhealthy. Until a check passes, checks within StartPeriod come every
// startInterval.
func (d *Driver) runHealth(ctx context.Context, p *proc, immediate bool) {
	hc := p.rec.HealthCheck
	log := d.log.With("container", p.rec.Name, "id", p.rec.ID)
	failures := 0
	started := false // a check passed, so the start period is over
	delay := hc.Interval
	if hc.StartPeriod > 0 {
		delay = min(delay, startInterval)
	}
	if immediate {
		delay = 0
	}
	timer := time.NewTimer(delay)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		err := runCheck(ctx, hc, &p.rec)
		if ctx.Err() != nil {
			return // the container exited or the driver closed during the check
		}
		switch {
		case err == nil:
			failures = 0
			started = true
			if p.setHealth(driver.HealthHealthy) {
				log.Info("container is healthy")
			}
		case !started && time.Since(p.rec.StartedAt) < hc.StartPeriod:
			log.Debug("health check failed within the start period", "err", err)
		default:
			failures++
			log.Debug("health check failed", "err", err, "failures", failures)
			if failures >= hc.Retries && p.setHealth(driver.HealthUnhealthy) {
				log.Warn("container is unhealthy", "err", err, "failures", failures)
			}
		}
		next := hc.Interval
		if !started && time.Since(p.rec.StartedAt) < hc.StartPeriod {
			next = min(next, startInterval)
		}
		timer.Reset(next)
	}
}

// runCheck runs a health check command once, in the container's environment, working
// directory and user, in its own process group that is killed on timeout. It reads
// only the fixed fields of rec.
func runCheck(ctx context.Context, hc *driver.HealthCheck, rec *record) error {
	var argv []string
	if hc.Command[0] == "CMD-SHELL" {
		argv = append([]string{"/bin/sh", "-c"}, hc.Command[1:]...)
	} else {
		argv = hc.Command[1:]
	}
	path, err := lookPath(argv[0], rec.Env, rec.Dir)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, hc.Timeout)
	defer cancel()
	var out limitedBuffer
	cmd := commandContext(ctx, path, argv, rec)
	cmd.Stdout = &out
	cmd.Stderr = &out
	err = cmd.Run()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("health check timed out after %s", hc.Timeout)
	}
	if err != nil {
		if s := strings.TrimSpace(out.String()); s != "" {
			return fmt.Errorf("health check: %w: %s", err, s)
		}
		return fmt.Errorf("health check: %w", err)
	}
	return nil
}

// lookPath finds program as the container would: a name without a slash is searched
// in the container's PATH, a relative path is taken from its working directory.
func lookPath(program string, env []string, dir string) (string, error) {
	if strings.Contains(program, "/") {
		if !filepath.IsAbs(program) {
			program = filepath.Join(dir, program)
		}
		return program, nil
	}
	pathList := defaultPath
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			pathList = v
		}
	}
	for _, d := range filepath.SplitList(pathList) {
		if d == "" {
			d = "."
		}
		if !filepath.IsAbs(d) {
			d = filepath.Join(dir, d)
		}
		candidate := filepath.Join(d, program)
		if fi, err := os.Stat(candidate); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return candidate, nil
		}
	}
	return "", fmt.Errorf("health check: %q not found in PATH %q", program, pathList)
}

// limitedBuffer keeps the first maxCheckOutput bytes written to it.
type limitedBuffer struct{ bytes.Buffer }

// Write implements io.Writer, dropping what does not fit.
func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := maxCheckOutput - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

// setHealth records a health status and reports whether it changed.
func (p *proc) setHealth(h string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.exited || p.health == h {
		return false
	}
	p.health = h
	return true
}

// killGroup sends sig to process group pgid; a group already gone is not an error.
func killGroup(pgid int, sig syscall.Signal) error {
	if pgid <= 1 {
		return fmt.Errorf("refusing to signal process group %d", pgid)
	}
	if err := syscall.Kill(-pgid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("signal process group %d: %w", pgid, err)
	}
	return nil
}
