// Package process implements driver.Driver by running each container as a host
// process, for images of the form "process:<absolute path>".
//
// Program and arguments: the program is the image's path and argv[0] is that path;
// the arguments are EntryPoint followed by Command, except that EntryPoint[0] is
// dropped when it equals the image path (so entryPoint ["/usr/bin/app", "-v"] and
// entryPoint ["-v"] mean the same for image "process:/usr/bin/app"). An image that is
// not absolute, is missing, is a directory or has no execute bit fails Start with
// driver.CannotPullContainerError, as ECS reports an image it cannot pull; a failure
// after that (working directory, user, ports, exec) is CannotStartContainerError, and
// an invalid spec (name, environment, protocol, health check) CannotCreateContainerError.
//
// Environment: exactly Spec.Env, nothing inherited from Wharf, plus PATH (a standard
// list) and HOME (the user's home directory) when Spec.Env lacks them, and PORT when
// the spec has ports and Spec.Env lacks it. The working directory is Spec.WorkingDir
// (an existing absolute directory), or Wharf's own when empty. Spec.User ("name",
// "uid", "name:group", "uid:gid") runs the process as that user, which needs Wharf to
// run as root unless it is Wharf's own user. NetworkMode, CPU and memory limits are
// ignored: every process shares the host's network and resources.
//
// Ports: every mapping is bound on all host interfaces. HostPort 0 gets a free port
// from the kernel; a fixed HostPort must be free. The program binds the port itself:
// PORT holds the first binding's host port. A binding's ContainerPort is the spec's,
// or the host port when the spec's is 0.
//
// Lifetime: each process runs in its own session and process group, so Ctrl-C at
// Wharf's terminal does not reach it and it outlives Wharf. Its stdin is /dev/null and
// its stdout and stderr are appended to <stateDir>/<name>.log, a file the process
// holds itself (see Driver.LogPath). Stop sends SIGTERM to the whole group, then
// SIGKILL after the timeout; when the process exits, what remains of its group is
// killed, as Docker does when a container's main process ends. A signalled process
// reports exit code 128+signal, as Docker does.
//
// Output and usage: StreamLogs replays and follows the log file (both streams as
// stdout, since they share the file, as with 2>&1: a program that writes part of a
// line to one stream and then to the other gets them mixed), and Stats sums the CPU
// time and resident memory of the process and its descendants from /proc.
//
// Re-adoption: before Start returns, the driver writes <stateDir>/<id>.json (atomically,
// mode 0600: it holds the environment) with the pid, its start time from
// /proc/<pid>/stat, ports, health check and, once known, the exit code. A new Driver on
// the same directory (Wharf restarted) adopts every container found there: one whose
// pid still runs with the same start time is Running, and is watched by polling /proc;
// one that is gone is reported stopped, with the exit code if it was recorded, else
// with no exit code and Reason "process exited while wharf was not running". The exit
// code of a process started by an earlier Wharf cannot be known.
//
// Health checks run in the driver with Docker's semantics (see Spec.HealthCheck): a
// ["CMD", argv...] check is executed directly, a ["CMD-SHELL", command] check with
// /bin/sh -c, in the container's environment, directory and user, in a process group
// killed after Timeout. They resume after re-adoption, starting with an immediate check.
//
// The package runs on Linux only: it reads /proc.
package process

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/wharf-dev/wharf/internal/driver"
)

// ErrClosed is returned by the methods that act on processes once Close was called.
var ErrClosed = errors.New("process driver: closed")

// pollInterval is how often a process not started by this Driver is checked for exit.
const pollInterval = 200 * time.Millisecond

// reasonGone is the Reason of a process found exited when its state was re-read.
const reasonGone = "process exited while wharf was not running"

// reasonKilled is the Reason of a process killed after its stop timeout.
const reasonKilled = "killed after stop timeout"

var _ driver.Driver = (*Driver)(nil)

// Driver runs containers as host processes. Create it with New; it is safe for
// concurrent use.
type Driver struct {
	dir    string
	log    *slog.Logger
	ctx    context.Context // cancelled by Close; parent of health checkers and pollers
	cancel context.CancelFunc
	wg     sync.WaitGroup // health checkers and pollers
	closed atomic.Bool

	mu       sync.Mutex
	procs    map[string]*proc  // by id
	starting map[string]bool   // names being started
	ports    map[string]string // reserved host ports (portKey) → container id or name
}

// proc is one container. Its record's fields are fixed once the process started,
// except ExitCode, FinishedAt and Reason, which mu guards with the rest.
type proc struct {
	rec     record
	adopted bool          // started by an earlier Driver: not our child, polled
	done    chan struct{} // closed once exited is set and saved

	mu      sync.Mutex
	exited  bool
	removed bool
	killed  bool   // SIGKILLed after the stop timeout
	health  string // driver.Health*
	cancel  context.CancelFunc
}

// New returns a Driver that keeps its state files and logs in stateDir (created when
// missing) and adopts the containers recorded there. A nil logger discards logs.
func New(stateDir string, logger *slog.Logger) (*Driver, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	dir, err := filepath.Abs(stateDir)
	if err != nil {
		return nil, fmt.Errorf("process driver: state dir %q: %w", stateDir, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("process driver: state dir: %w", err)
	}
	recs, bad, err := readRecords(dir)
	if err != nil {
		return nil, fmt.Errorf("process driver: %w", err)
	}
	for _, err := range bad {
		logger.Warn("skipping unreadable container state", "err", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := &Driver{
		dir:      dir,
		log:      logger,
		ctx:      ctx,
		cancel:   cancel,
		procs:    map[string]*proc{},
		starting: map[string]bool{},
		ports:    map[string]string{},
	}
	for _, rec := range recs {
		d.adopt(rec)
	}
	return d, nil
}

// adopt takes over a container recorded by an earlier Driver.
func (d *Driver) adopt(rec record) {
	p := &proc{rec: rec, adopted: true, done: make(chan struct{})}
	d.procs[rec.ID] = p
	log := d.log.With("container", rec.Name, "id", rec.ID, "pid", rec.PID)
	if !rec.FinishedAt.IsZero() || rec.ExitCode != nil {
		p.exited = true
		close(p.done)
		return
	}
	if !alive(rec.PID, rec.StartTicks) {
		p.exited = true
		p.rec.FinishedAt = time.Now()
		p.rec.Reason = reasonGone
		if err := writeRecord(d.dir, p.rec); err != nil {
			log.Warn("cannot record the exit of a container", "err", err)
		}
		close(p.done)
		log.Info("container exited while wharf was not running")
		return
	}
	for _, b := range rec.Ports {
		d.ports[portKey(b.Protocol, b.HostPort)] = rec.ID
	}
	log.Info("re-adopted running container")
	d.wg.Add(1)
	go d.poll(p)
	d.startHealth(p, true)
}

// poll watches an adopted process until it exits or the driver closes.
func (d *Driver) poll(p *proc) {
	defer d.wg.Done()
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		select {
		case <-d.ctx.Done():
			return
		case <-p.done:
			return
		case <-t.C:
		}
		if !alive(p.rec.PID, p.rec.StartTicks) {
			d.markExited(p, nil)
			return
		}
	}
}

// startHealth starts p's health checker, if it has a health check. The caller holds
// d.mu or owns d exclusively.
func (d *Driver) startHealth(p *proc, immediate bool) {
	if p.rec.HealthCheck == nil || d.closed.Load() {
		return
	}
	ctx, cancel := context.WithCancel(d.ctx)
	p.mu.Lock()
	p.health = driver.HealthStarting
	p.cancel = cancel
	p.mu.Unlock()
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		d.runHealth(ctx, p, immediate)
	}()
}

// markExited records that p exited with code (nil: unknown), saves it unless the
// driver is closed, stops its health checker and frees its ports.
func (d *Driver) markExited(p *proc, code *int) {
	p.mu.Lock()
	if p.exited {
		p.mu.Unlock()
		return
	}
	p.exited = true
	p.rec.ExitCode = code
	p.rec.FinishedAt = time.Now()
	if p.killed {
		p.rec.Reason = reasonKilled
	}
	if p.cancel != nil {
		p.cancel()
	}
	if !p.removed && !d.closed.Load() {
		if err := writeRecord(d.dir, p.rec); err != nil {
			d.log.Warn("cannot record the exit of a container", "container", p.rec.Name, "id", p.rec.ID, "err", err)
		}
	}
	close(p.done)
	p.mu.Unlock()

	d.mu.Lock()
	for _, b := range p.rec.Ports {
		if k := portKey(b.Protocol, b.HostPort); d.ports[k] == p.rec.ID {
			delete(d.ports, k)
		}
	}
	d.mu.Unlock()
	attrs := []any{"container", p.rec.Name, "id", p.rec.ID, "pid", p.rec.PID}
	if code != nil {
		attrs = append(attrs, "exit_code", *code)
	}
	d.log.Info("container exited", attrs...)
}

// Name implements driver.Driver.
func (d *Driver) Name() string { return "process" }

// Start implements driver.Driver: it starts the process and returns once it runs and
// its state is on disk. It fails with *driver.StartError.
func (d *Driver) Start(ctx context.Context, spec driver.Spec) (driver.Status, error) {
	if d.closed.Load() {
		return driver.Status{}, &driver.StartError{Reason: driver.CannotCreateContainerError, Err: ErrClosed}
	}
	if err := ctx.Err(); err != nil {
		return driver.Status{}, &driver.StartError{Reason: driver.CannotCreateContainerError, Err: err}
	}
	path, err := imagePath(spec.Image)
	if err != nil {
		return driver.Status{}, &driver.StartError{Reason: driver.CannotPullContainerError, Err: err}
	}
	if err := checkName(spec.Name); err != nil {
		return driver.Status{}, &driver.StartError{Reason: driver.CannotCreateContainerError, Err: err}
	}
	if err := checkEnv(spec.Env); err != nil {
		return driver.Status{}, &driver.StartError{Reason: driver.CannotCreateContainerError, Err: err}
	}
	hc, err := checkHealthCheck(spec.HealthCheck)
	if err != nil {
		return driver.Status{}, &driver.StartError{Reason: driver.CannotCreateContainerError, Err: err}
	}
	if spec.StopTimeout < 0 {
		return driver.Status{}, startErr(driver.CannotCreateContainerError, "stop timeout %s is negative", spec.StopTimeout)
	}
	cred, home, err := resolveUser(spec.User)
	if err != nil {
		return driver.Status{}, &driver.StartError{Reason: driver.CannotStartContainerError, Err: err}
	}
	dir, err := workingDir(spec.WorkingDir)
	if err != nil {
		return driver.Status{}, &driver.StartError{Reason: driver.CannotStartContainerError, Err: err}
	}

	// Reserve the name and the ports until the container is registered.
	d.mu.Lock()
	if err := d.nameFree(spec.Name); err != nil {
		d.mu.Unlock()
		return driver.Status{}, err
	}
	ports, err := bindPorts(spec.Ports, d.ports)
	if err != nil {
		d.mu.Unlock()
		return driver.Status{}, err
	}
	d.starting[spec.Name] = true
	for _, b := range ports {
		d.ports[portKey(b.Protocol, b.HostPort)] = spec.Name
	}
	d.mu.Unlock()
	registered := false
	defer func() {
		if registered {
			return
		}
		d.mu.Lock()
		delete(d.starting, spec.Name)
		for _, b := range ports {
			if k := portKey(b.Protocol, b.HostPort); d.ports[k] == spec.Name {
				delete(d.ports, k)
			}
		}
		d.mu.Unlock()
	}()

	labels := maps.Clone(spec.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[driver.LabelManaged] = "true"
	rec := record{
		Version:     recordVersion,
		Name:        spec.Name,
		Image:       spec.Image,
		Labels:      labels,
		Ports:       ports,
		HealthCheck: hc,
		Env:         buildEnv(spec.Env, home, ports),
		Dir:         dir,
		Credential:  cred,
		StopTimeout: spec.StopTimeout,
		LogPath:     filepath.Join(d.dir, spec.Name+".log"),
	}
	logFile, err := os.OpenFile(rec.LogPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return driver.Status{}, startErr(driver.CannotCreateContainerError, "log file: %w", err)
	}
	cmd := command(path, append([]string{path}, processArgs(path, spec.EntryPoint, spec.Command)...), &rec)
	cmd.SysProcAttr.Setpgid = false
	cmd.SysProcAttr.Setsid = true // a new session is also a new process group
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	err = cmd.Start()
	logFile.Close()
	if err != nil {
		return driver.Status{}, startErr(driver.CannotStartContainerError, "start %s: %w", path, err)
	}
	rec.PID = cmd.Process.Pid
	rec.PGID = cmd.Process.Pid
	rec.StartedAt = time.Now()
	// The child cannot be reaped before cmd.Wait, so /proc/<pid> exists.
	st, err := readProcStat(rec.PID)
	if err == nil {
		rec.StartTicks = st.StartTicks
		rec.ID = fmt.Sprintf("proc-%d-%d", rec.PID, rec.StartTicks)
		err = writeRecord(d.dir, rec)
	}
	if err != nil {
		killGroup(rec.PGID, syscall.SIGKILL)
		cmd.Wait()
		return driver.Status{}, startErr(driver.CannotStartContainerError, "record process %d: %w", rec.PID, err)
	}

	p := &proc{rec: rec, done: make(chan struct{})}
	d.mu.Lock()
	registered = true
	delete(d.starting, spec.Name)
	d.procs[rec.ID] = p
	for _, b := range ports {
		d.ports[portKey(b.Protocol, b.HostPort)] = rec.ID
	}
	d.startHealth(p, false)
	d.mu.Unlock()
	go d.reap(p, cmd)

	d.log.Info("container started", "container", rec.Name, "id", rec.ID, "pid", rec.PID, "image", rec.Image)
	return p.status(), nil
}

// nameFree fails when name belongs to a known container or one being started. The
// caller holds d.mu.
func (d *Driver) nameFree(name string) error {
	if d.starting[name] {
		return startErr(driver.CannotCreateContainerError, "container name %q is already in use by a container being started", name)
	}
	for id, p := range d.procs {
		if p.rec.Name == name {
			return startErr(driver.CannotCreateContainerError, "container name %q is already in use by container %s: remove it first", name, id)
		}
	}
	return nil
}

// reap waits for a child of this Driver to exit, kills what remains of its process
// group, and records its exit code. It runs until the child exits, even after Close,
// so that the child does not stay a zombie.
func (d *Driver) reap(p *proc, cmd *exec.Cmd) {
	err := cmd.Wait()
	code := -1
	var ws syscall.WaitStatus
	if cmd.ProcessState != nil {
		ws, _ = cmd.ProcessState.Sys().(syscall.WaitStatus)
	}
	switch {
	case cmd.ProcessState == nil:
		d.log.Warn("cannot wait for container", "container", p.rec.Name, "id", p.rec.ID, "err", err)
	case ws.Signaled():
		code = 128 + int(ws.Signal())
	default:
		code = ws.ExitStatus()
	}
	// The group id cannot be reused while members remain, so this reaches only them.
	if err := killGroup(p.rec.PGID, syscall.SIGKILL); err != nil {
		d.log.Warn("cannot kill the rest of a container's process group", "container", p.rec.Name, "err", err)
	}
	if code < 0 {
		d.markExited(p, nil)
		return
	}
	d.markExited(p, &code)
}

// command returns a command for path with argv, in rec's environment, directory and
// user, in a new process group, with stdin from /dev/null.
func command(path string, argv []string, rec *record) *exec.Cmd {
	cmd := &exec.Cmd{Path: path, Args: argv, Env: rec.Env, Dir: rec.Dir}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if c := rec.Credential; c != nil {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: c.UID, Gid: c.GID, Groups: c.Groups}
	}
	return cmd
}

// commandContext is command with the process group killed when ctx ends.
func commandContext(ctx context.Context, path string, argv []string, rec *record) *exec.Cmd {
	cmd := exec.CommandContext(ctx, path)
	base := command(path, argv, rec)
	cmd.Args, cmd.Env, cmd.Dir, cmd.SysProcAttr = base.Args, base.Env, base.Dir, base.SysProcAttr
	cmd.Cancel = func() error { return killGroup(cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	return cmd
}

// get returns the container with id, or driver.ErrNotFound.
func (d *Driver) get(id string) (*proc, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	p, ok := d.procs[id]
	if !ok {
		return nil, fmt.Errorf("process driver: container %q: %w", id, driver.ErrNotFound)
	}
	return p, nil
}

// status returns what is known of p.
func (p *proc) status() driver.Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := driver.Status{
		ID:         p.rec.ID,
		Name:       p.rec.Name,
		Labels:     maps.Clone(p.rec.Labels),
		Running:    !p.exited,
		Health:     p.health,
		Ports:      slices.Clone(p.rec.Ports),
		StartedAt:  p.rec.StartedAt,
		FinishedAt: p.rec.FinishedAt,
		Reason:     p.rec.Reason,
	}
	if p.rec.ExitCode != nil {
		code := *p.rec.ExitCode
		s.ExitCode = &code
	}
	return s
}

// Inspect implements driver.Driver.
func (d *Driver) Inspect(ctx context.Context, id string) (driver.Status, error) {
	p, err := d.get(id)
	if err != nil {
		return driver.Status{}, err
	}
	d.refresh(p)
	return p.status(), nil
}

// refresh checks at once whether an adopted process still runs, rather than waiting
// for its poller.
func (d *Driver) refresh(p *proc) {
	if !p.adopted || d.closed.Load() {
		return
	}
	select {
	case <-p.done:
	default:
		if !alive(p.rec.PID, p.rec.StartTicks) {
			d.markExited(p, nil)
		}
	}
}

// Wait implements driver.Driver.
func (d *Driver) Wait(ctx context.Context, id string) (driver.Status, error) {
	p, err := d.get(id)
	if err != nil {
		return driver.Status{}, err
	}
	d.refresh(p)
	select {
	case <-p.done:
		return p.status(), nil
	default:
	}
	select {
	case <-p.done:
		return p.status(), nil
	case <-ctx.Done():
		return driver.Status{}, ctx.Err()
	case <-d.ctx.Done():
		return driver.Status{}, ErrClosed
	}
}

// Stop implements driver.Driver. A zero timeout means the spec's StopTimeout, or 30s.
// The signals go to the process's whole group.
func (d *Driver) Stop(ctx context.Context, id string, timeout time.Duration) error {
	p, err := d.get(id)
	if err != nil {
		return err
	}
	if d.closed.Load() {
		return ErrClosed
	}
	if timeout <= 0 {
		timeout = p.rec.StopTimeout
	}
	if timeout <= 0 {
		timeout = defaultStopTimeout
	}
	log := d.log.With("container", p.rec.Name, "id", id, "pid", p.rec.PID)
	if err := d.signal(p, syscall.SIGTERM); err != nil {
		return err
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-d.ctx.Done():
		return ErrClosed
	case <-timer.C:
	}
	p.mu.Lock()
	p.killed = !p.exited
	p.mu.Unlock()
	log.Info("container did not stop after SIGTERM: killing it", "timeout", timeout)
	if err := d.signal(p, syscall.SIGKILL); err != nil {
		return err
	}
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-d.ctx.Done():
		return ErrClosed
	}
}

// signal sends sig to p's process group unless p has exited. An adopted process is
// checked first, so that a reused pid is never signalled.
func (d *Driver) signal(p *proc, sig syscall.Signal) error {
	d.refresh(p)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.exited {
		return nil
	}
	if err := killGroup(p.rec.PGID, sig); err != nil {
		return fmt.Errorf("process driver: stop %s: %w", p.rec.ID, err)
	}
	return nil
}

// Remove implements driver.Driver: it deletes the container's state and log files.
func (d *Driver) Remove(ctx context.Context, id string) error {
	p, err := d.get(id)
	if err != nil {
		return err
	}
	if d.closed.Load() {
		return ErrClosed
	}
	d.refresh(p)
	p.mu.Lock()
	if !p.exited {
		p.mu.Unlock()
		return fmt.Errorf("process driver: container %s is running: stop it first", id)
	}
	var errs []error
	for _, path := range []string{recordPath(d.dir, id), p.rec.LogPath} {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if len(errs) == 0 {
		p.removed = true
	}
	p.mu.Unlock()
	if len(errs) > 0 {
		return fmt.Errorf("process driver: remove %s: %w", id, errors.Join(errs...))
	}
	d.mu.Lock()
	delete(d.procs, id)
	d.mu.Unlock()
	return nil
}

// List implements driver.Driver: every container in the state directory, oldest first.
func (d *Driver) List(ctx context.Context) ([]driver.Status, error) {
	d.mu.Lock()
	procs := slices.Collect(maps.Values(d.procs))
	d.mu.Unlock()
	out := make([]driver.Status, 0, len(procs))
	for _, p := range procs {
		d.refresh(p)
		out = append(out, p.status())
	}
	slices.SortFunc(out, func(a, b driver.Status) int {
		if c := a.StartedAt.Compare(b.StartedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// LogPath returns the file that holds the stdout and stderr of container id, or
// driver.ErrNotFound.
func (d *Driver) LogPath(id string) (string, error) {
	p, err := d.get(id)
	if err != nil {
		return "", err
	}
	return p.rec.LogPath, nil
}

// Close stops the driver's health checkers and pollers and waits for them; the
// processes keep running, for a later Driver to adopt. After Close the driver no
// longer writes state, Start, Stop, Wait and Remove return ErrClosed, and Inspect and
// List report what was last known. The children of this Driver are still reaped when
// they exit, so that none stays a zombie.
func (d *Driver) Close() error {
	d.mu.Lock()
	d.closed.Store(true)
	d.mu.Unlock()
	d.cancel()
	d.wg.Wait()
	return nil
}
