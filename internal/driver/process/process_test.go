package process

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/driver"
)

func TestStartServes(t *testing.T) {
	t.Setenv("WHARF_TEST_NOT_INHERITED", "secret") // must not reach the container
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	home := "/"
	if u, err := user.Current(); err == nil && u.HomeDir != "" {
		home = u.HomeDir
	}
	fixed := freePort(t)
	workDir := t.TempDir()

	tests := []struct {
		name    string
		spec    func(driver.Spec) driver.Spec
		wantEnv func(port int) []string
		wantDir string
		wantCP  int // want ContainerPort of the first binding; 0: the host port
	}{
		{
			name: "defaults added",
			spec: func(s driver.Spec) driver.Spec {
				s.EntryPoint = []string{helperPath, helperArg} // the image path is dropped
				s.Command = []string{"serve"}
				s.Env = map[string]string{"FOO": "bar", "EMPTY": ""}
				s.Ports = []driver.PortMapping{{ContainerPort: 8080}, {Protocol: "udp"}}
				return s
			},
			wantEnv: func(port int) []string {
				return []string{"EMPTY=", "FOO=bar", "HOME=" + home, "PATH=" + defaultPath, "PORT=" + strconv.Itoa(port)}
			},
			wantDir: wd,
			wantCP:  8080,
		},
		{
			name: "spec sets everything",
			spec: func(s driver.Spec) driver.Spec {
				s.EntryPoint = []string{helperArg}
				s.Command = []string{"serve"}
				s.Env = map[string]string{"PATH": "/bin", "HOME": "/nowhere", "PORT": strconv.Itoa(fixed)}
				s.Ports = []driver.PortMapping{{HostPort: fixed, Protocol: "TCP"}}
				s.WorkingDir = workDir
				return s
			},
			wantEnv: func(int) []string {
				return []string{"HOME=/nowhere", "PATH=/bin", "PORT=" + strconv.Itoa(fixed)}
			},
			wantDir: workDir,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDriver(t, "")
			spec := tt.spec(driver.Spec{Name: "serve", Image: helperImage(), Labels: map[string]string{"k": "v"}})
			st := start(t, d, spec)
			if !st.Running || !strings.HasPrefix(st.ID, "proc-") || st.Name != "serve" {
				t.Errorf("status = %+v, want running proc-* named serve", st)
			}
			if st.Labels[driver.LabelManaged] != "true" || st.Labels["k"] != "v" {
				t.Errorf("labels = %v, want managed and k=v", st.Labels)
			}
			if len(st.Ports) != len(spec.Ports) {
				t.Fatalf("ports = %+v, want %d bindings", st.Ports, len(spec.Ports))
			}
			for i, b := range st.Ports {
				if b.HostPort <= 0 || b.BindIP != "0.0.0.0" {
					t.Errorf("binding %d = %+v, want a host port on 0.0.0.0", i, b)
				}
				if m := spec.Ports[i]; m.HostPort != 0 && b.HostPort != m.HostPort {
					t.Errorf("binding %d host port = %d, want %d", i, b.HostPort, m.HostPort)
				}
			}
			if want := map[bool]string{true: "udp", false: "tcp"}[len(st.Ports) > 1]; st.Ports[len(st.Ports)-1].Protocol != want {
				t.Errorf("last binding protocol = %q, want %q", st.Ports[len(st.Ports)-1].Protocol, want)
			}
			port := st.Ports[0].HostPort
			wantCP := tt.wantCP
			if wantCP == 0 {
				wantCP = port
			}
			if st.Ports[0].ContainerPort != wantCP {
				t.Errorf("container port = %d, want %d", st.Ports[0].ContainerPort, wantCP)
			}

			rep := getReport(t, port)
			if want := tt.wantEnv(port); !slices.Equal(sortedCopy(rep.Env), want) {
				t.Errorf("env = %q, want exactly %q", sortedCopy(rep.Env), want)
			}
			if want := []string{helperPath, helperArg, "serve"}; !slices.Equal(rep.Args, want) {
				t.Errorf("args = %q, want %q", rep.Args, want)
			}
			if rep.Dir != tt.wantDir {
				t.Errorf("dir = %q, want %q", rep.Dir, tt.wantDir)
			}
			waitLog(t, d, st.ID, "hello stdout")
			waitLog(t, d, st.ID, "hello stderr")
			if path, _ := d.LogPath(st.ID); path != filepath.Join(d.dir, "serve.log") {
				t.Errorf("LogPath = %q, want %q", path, filepath.Join(d.dir, "serve.log"))
			}
		})
	}
}

func sortedCopy(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		mode []string
		want int
	}{
		{[]string{"exit", "0"}, 0},
		{[]string{"exit", "3"}, 3},
		{[]string{"kill-self"}, 128 + int(syscall.SIGKILL)},
	}
	d := newDriver(t, "")
	for i, tt := range tests {
		t.Run(strings.Join(tt.mode, " "), func(t *testing.T) {
			st := start(t, d, helperSpec(fmt.Sprintf("exit-%d", i), tt.mode...))
			got, err := d.Wait(context.Background(), st.ID)
			if err != nil {
				t.Fatalf("Wait: %v", err)
			}
			if got.Running || got.ExitCode == nil || *got.ExitCode != tt.want || got.FinishedAt.IsZero() || got.Reason != "" {
				t.Errorf("Wait = %+v (exit code %v), want stopped with exit code %d and no reason", got, deref(got.ExitCode), tt.want)
			}
			// Stopping an exited container is not an error.
			if err := d.Stop(context.Background(), st.ID, time.Second); err != nil {
				t.Errorf("Stop after exit: %v", err)
			}
			got, err = d.Inspect(context.Background(), st.ID)
			if err != nil || got.ExitCode == nil || *got.ExitCode != tt.want {
				t.Errorf("Inspect = %+v, %v; want exit code %d", got, err, tt.want)
			}
		})
	}
}

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestStop(t *testing.T) {
	tests := []struct {
		mode       string
		timeout    time.Duration
		wantCode   int
		wantReason string
	}{
		{"sleep", 10 * time.Second, 128 + int(syscall.SIGTERM), ""},
		{"ignore-term", 300 * time.Millisecond, 128 + int(syscall.SIGKILL), reasonKilled},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			d := newDriver(t, "")
			st := start(t, d, helperSpec("stop", tt.mode))
			waitLog(t, d, st.ID, "ready") // the signal handler is in place
			if err := d.Stop(context.Background(), st.ID, tt.timeout); err != nil {
				t.Fatalf("Stop: %v", err)
			}
			got, err := d.Inspect(context.Background(), st.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Running || got.ExitCode == nil || *got.ExitCode != tt.wantCode || got.Reason != tt.wantReason {
				t.Errorf("after Stop: %+v (exit code %v), want exit code %d, reason %q", got, deref(got.ExitCode), tt.wantCode, tt.wantReason)
			}
		})
	}
}

func TestStopKillsProcessGroup(t *testing.T) {
	d := newDriver(t, "")
	st := start(t, d, helperSpec("spawn", "spawn"))
	waitLog(t, d, st.ID, "child ")
	waitLog(t, d, st.ID, "ready") // the child ignores SIGTERM from here on
	var child int
	for _, line := range strings.Split(logText(t, d, st.ID), "\n") {
		if n, ok := strings.CutPrefix(line, "child "); ok {
			child, _ = strconv.Atoi(n)
		}
	}
	if child <= 0 {
		t.Fatalf("no child pid in the log:\n%s", logText(t, d, st.ID))
	}
	if err := d.Stop(context.Background(), st.ID, 10*time.Second); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	waitFor(t, "the child that ignores SIGTERM to be killed", func() bool { return gone(child) })
}

func TestStartErrors(t *testing.T) {
	dir := t.TempDir()
	plain := writeFile(t, dir, "plain", "#!/bin/sh\n", 0o644)
	garbage := writeFile(t, dir, "garbage", "not a program", 0o755)
	missing := filepath.Join(dir, "missing")
	busy, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyPort := busy.Addr().(*net.TCPAddr).Port
	otherUser := "root"
	if os.Geteuid() == 0 {
		otherUser = "no-such-user-wharf"
	}

	tests := []struct {
		name       string
		spec       func(driver.Spec) driver.Spec
		wantReason string
		wantMsg    string
	}{
		{"docker image", func(s driver.Spec) driver.Spec { s.Image = "nginx:latest"; return s },
			driver.CannotPullContainerError, `image "nginx:latest" is not a process image`},
		{"relative path", func(s driver.Spec) driver.Spec { s.Image = "process:bin/app"; return s },
			driver.CannotPullContainerError, `process image "bin/app": path is not absolute`},
		{"missing", func(s driver.Spec) driver.Spec { s.Image = "process:" + missing; return s },
			driver.CannotPullContainerError, fmt.Sprintf("process image %q: stat %s: no such file or directory", missing, missing)},
		{"directory", func(s driver.Spec) driver.Spec { s.Image = "process:" + dir; return s },
			driver.CannotPullContainerError, fmt.Sprintf("process image %q: is a directory", dir)},
		{"not executable", func(s driver.Spec) driver.Spec { s.Image = "process:" + plain; return s },
			driver.CannotPullContainerError, fmt.Sprintf("process image %q: not executable", plain)},
		{"exec format", func(s driver.Spec) driver.Spec { s.Image = "process:" + garbage; return s },
			driver.CannotStartContainerError, "exec format error"},
		{"working dir missing", func(s driver.Spec) driver.Spec { s.WorkingDir = missing; return s },
			driver.CannotStartContainerError, fmt.Sprintf("working directory %q: stat %s: no such file or directory", missing, missing)},
		{"port in use", func(s driver.Spec) driver.Spec {
			s.Ports = []driver.PortMapping{{ContainerPort: 80, HostPort: busyPort}}
			return s
		}, driver.CannotStartContainerError, fmt.Sprintf("port %d is already in use", busyPort)},
		{"same port twice", func(s driver.Spec) driver.Spec {
			p := freePort(t)
			s.Ports = []driver.PortMapping{{HostPort: p}, {HostPort: p}}
			return s
		}, driver.CannotStartContainerError, "is already in use"},
		{"other user", func(s driver.Spec) driver.Spec { s.User = otherUser; return s },
			driver.CannotStartContainerError, fmt.Sprintf("user %q", otherUser)},
		{"bad name", func(s driver.Spec) driver.Spec { s.Name = "../escape"; return s },
			driver.CannotCreateContainerError, `container name "../escape" is invalid`},
		{"bad env", func(s driver.Spec) driver.Spec { s.Env = map[string]string{"A=B": "c"}; return s },
			driver.CannotCreateContainerError, `environment variable name "A=B" is invalid`},
		{"bad protocol", func(s driver.Spec) driver.Spec { s.Ports = []driver.PortMapping{{Protocol: "sctp"}}; return s },
			driver.CannotCreateContainerError, `port protocol "sctp"`},
		{"bad health check", func(s driver.Spec) driver.Spec {
			s.HealthCheck = &driver.HealthCheck{Command: []string{"curl", "localhost"}}
			return s
		}, driver.CannotCreateContainerError, "health check command"},
	}
	d := newDriver(t, "")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := d.Start(context.Background(), tt.spec(helperSpec("fails", "sleep")))
			var se *driver.StartError
			if !errors.As(err, &se) {
				t.Fatalf("Start error = %v, want *driver.StartError", err)
			}
			if se.Reason != tt.wantReason || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("Start error = %q, want reason %s with %q", err, tt.wantReason, tt.wantMsg)
			}
		})
	}
	list, err := d.List(context.Background())
	if err != nil || len(list) != 0 {
		t.Errorf("List after failed starts = %+v, %v; want nothing", list, err)
	}
	// Failed starts released their name and ports.
	st := start(t, d, helperSpec("fails", "sleep"))
	if !st.Running {
		t.Errorf("start after failures: %+v", st)
	}
}

func TestUser(t *testing.T) {
	if os.Geteuid() != 0 {
		// Not root: only Wharf's own user works.
		d := newDriver(t, "")
		spec := helperSpec("self", "id")
		spec.User = strconv.Itoa(os.Geteuid()) + ":" + strconv.Itoa(os.Getegid())
		st := start(t, d, spec)
		if _, err := d.Wait(context.Background(), st.ID); err != nil {
			t.Fatal(err)
		}
		if got, want := logText(t, d, st.ID), fmt.Sprintf("uid=%d\n", os.Geteuid()); got != want {
			t.Errorf("log = %q, want %q", got, want)
		}
		return
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skipf("no user nobody: %v", err)
	}
	// nobody must be able to read the program: copy it to a world-readable directory.
	dir, err := os.MkdirTemp("", "wharf-process-user-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(helperPath)
	if err != nil {
		t.Fatal(err)
	}
	prog := writeFile(t, dir, "helper", string(b), 0o755)

	tests := []struct{ user, wantUID string }{
		{"nobody", nobody.Uid},
		{nobody.Uid + ":" + nobody.Gid, nobody.Uid},
		{"4242:4242", "4242"}, // no passwd entry, as Docker allows
	}
	d := newDriver(t, "")
	for i, tt := range tests {
		t.Run(tt.user, func(t *testing.T) {
			spec := helperSpec(fmt.Sprintf("user-%d", i), "id")
			spec.Image = ImagePrefix + prog
			spec.User = tt.user
			spec.WorkingDir = "/"
			st := start(t, d, spec)
			got, err := d.Wait(context.Background(), st.ID)
			if err != nil {
				t.Fatal(err)
			}
			if log := logText(t, d, st.ID); log != "uid="+tt.wantUID+"\n" || got.ExitCode == nil || *got.ExitCode != 0 {
				t.Errorf("exit code %v, log %q; want 0 and uid=%s", deref(got.ExitCode), log, tt.wantUID)
			}
		})
	}
}

func TestHealthCheck(t *testing.T) {
	dir := t.TempDir()
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	flag := writeFile(t, dir, "healthy", "", 0o644)
	runs := filepath.Join(dir, "runs")

	tests := []struct {
		name  string
		setup func(*driver.Spec)
		check func(t *testing.T, d *Driver, id string)
	}{
		{
			name: "CMD healthy then unhealthy",
			setup: func(s *driver.Spec) {
				s.HealthCheck = &driver.HealthCheck{Command: []string{"CMD", helperPath, helperArg, "check", flag},
					Interval: 50 * time.Millisecond, Retries: 2}
			},
			check: func(t *testing.T, d *Driver, id string) {
				waitHealth(t, d, id, driver.HealthHealthy)
				if err := os.Remove(flag); err != nil {
					t.Fatal(err)
				}
				waitHealth(t, d, id, driver.HealthUnhealthy)
			},
		},
		{
			name: "CMD-SHELL exit 1",
			setup: func(s *driver.Spec) {
				s.HealthCheck = &driver.HealthCheck{Command: []string{"CMD-SHELL", "exit 1"},
					Interval: 50 * time.Millisecond, Retries: 2}
			},
			check: func(t *testing.T, d *Driver, id string) { waitHealth(t, d, id, driver.HealthUnhealthy) },
		},
		{
			name: "CMD-SHELL sees the container's env and dir",
			setup: func(s *driver.Spec) {
				s.Env = map[string]string{"FOO": "bar", "WANT_DIR": realDir}
				s.WorkingDir = dir
				s.HealthCheck = &driver.HealthCheck{Command: []string{"CMD-SHELL", `test "$FOO" = bar && test "$(pwd -P)" = "$WANT_DIR"`},
					Interval: 50 * time.Millisecond, Retries: 1}
			},
			check: func(t *testing.T, d *Driver, id string) { waitHealth(t, d, id, driver.HealthHealthy) },
		},
		{
			name: "CMD program found in the container's PATH",
			setup: func(s *driver.Spec) {
				s.Env = map[string]string{"PATH": "/usr/bin:/bin"}
				s.HealthCheck = &driver.HealthCheck{Command: []string{"CMD", "true"}, Interval: 50 * time.Millisecond}
			},
			check: func(t *testing.T, d *Driver, id string) { waitHealth(t, d, id, driver.HealthHealthy) },
		},
		{
			name: "CMD program not in the container's PATH",
			setup: func(s *driver.Spec) {
				s.Env = map[string]string{"PATH": dir}
				s.HealthCheck = &driver.HealthCheck{Command: []string{"CMD", "true"}, Interval: 50 * time.Millisecond, Retries: 1}
			},
			check: func(t *testing.T, d *Driver, id string) { waitHealth(t, d, id, driver.HealthUnhealthy) },
		},
		{
			name: "timeout is a failure",
			setup: func(s *driver.Spec) {
				s.HealthCheck = &driver.HealthCheck{Command: []string{"CMD", helperPath, helperArg, "sleep"},
					Interval: 50 * time.Millisecond, Timeout: 100 * time.Millisecond, Retries: 1}
			},
			check: func(t *testing.T, d *Driver, id string) { waitHealth(t, d, id, driver.HealthUnhealthy) },
		},
		{
			name: "starting before the first check",
			setup: func(s *driver.Spec) {
				s.HealthCheck = &driver.HealthCheck{Command: []string{"CMD-SHELL", "exit 0"}, Interval: time.Hour}
			},
			check: func(t *testing.T, d *Driver, id string) {
				if st, _ := d.Inspect(context.Background(), id); st.Health != driver.HealthStarting {
					t.Errorf("health = %q, want %q", st.Health, driver.HealthStarting)
				}
			},
		},
		{
			name: "failures in the start period do not count",
			setup: func(s *driver.Spec) {
				s.Env = map[string]string{"RUNS": runs}
				s.HealthCheck = &driver.HealthCheck{Command: []string{"CMD-SHELL", `echo run >> "$RUNS"; exit 1`},
					Interval: 20 * time.Millisecond, Retries: 1, StartPeriod: time.Hour}
			},
			check: func(t *testing.T, d *Driver, id string) {
				waitFor(t, "three failed checks", func() bool {
					b, _ := os.ReadFile(runs)
					return strings.Count(string(b), "run") >= 3
				})
				if st, _ := d.Inspect(context.Background(), id); st.Health != driver.HealthStarting {
					t.Errorf("health = %q, want %q", st.Health, driver.HealthStarting)
				}
			},
		},
		{
			name:  "no health check",
			setup: func(s *driver.Spec) {},
			check: func(t *testing.T, d *Driver, id string) {
				if st, _ := d.Inspect(context.Background(), id); st.Health != driver.HealthNone {
					t.Errorf("health = %q, want none", st.Health)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDriver(t, "")
			spec := helperSpec("health", "sleep")
			tt.setup(&spec)
			st := start(t, d, spec)
			tt.check(t, d, st.ID)
		})
	}
}

func TestReadopt(t *testing.T) {
	dir := t.TempDir()
	a := newDriver(t, dir)
	spec := helperSpec("adopted", "serve")
	spec.Ports = []driver.PortMapping{{ContainerPort: 80}}
	spec.HealthCheck = &driver.HealthCheck{Command: []string{"CMD-SHELL", "exit 0"}, Interval: time.Hour}
	started := start(t, a, spec)
	getReport(t, started.Ports[0].HostPort)
	a.Close() // wharf stops; the process keeps running

	b := newDriver(t, dir)
	list, err := b.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 {
		t.Fatalf("List = %+v, want one container", list)
	}
	got := list[0]
	if got.ID != started.ID || got.Name != "adopted" || !got.Running || !slices.Equal(got.Ports, started.Ports) ||
		got.Labels[driver.LabelManaged] != "true" || got.Labels[driver.LabelTaskARN] != spec.Labels[driver.LabelTaskARN] ||
		!got.StartedAt.Equal(started.StartedAt) {
		t.Errorf("adopted = %+v, want the running container %+v", got, started)
	}
	// Health checking resumes at once after adoption, despite the one-hour interval.
	waitHealth(t, b, got.ID, driver.HealthHealthy)
	getReport(t, started.Ports[0].HostPort)
	if _, err := b.Start(context.Background(), spec); err == nil {
		t.Errorf("Start with the name of an adopted container succeeded")
	}

	waited := make(chan driver.Status, 1)
	go func() {
		st, err := b.Wait(context.Background(), got.ID)
		if err != nil {
			t.Errorf("Wait: %v", err)
		}
		waited <- st
	}()
	if err := b.Stop(context.Background(), got.ID, 10*time.Second); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	st := <-waited
	if st.Running || st.ExitCode != nil || st.FinishedAt.IsZero() {
		t.Errorf("after Stop = %+v, want stopped with an unknown exit code", st)
	}
	if pid := pidOf(t, got.ID); !gone(pid) {
		t.Errorf("process %d still runs after Stop", pid)
	}
}

// pidOf returns the pid in a "proc-<pid>-<ticks>" id.
func pidOf(t *testing.T, id string) int {
	t.Helper()
	parts := strings.Split(id, "-")
	pid, err := strconv.Atoi(parts[1])
	if err != nil || len(parts) != 3 {
		t.Fatalf("id %q is not proc-<pid>-<ticks>", id)
	}
	return pid
}

func TestExitWhileDown(t *testing.T) {
	tests := []struct {
		name       string
		mode       []string
		kill       bool // kill the process while no driver runs
		wantCode   any
		wantReason string
	}{
		{"killed while down", []string{"sleep"}, true, nil, reasonGone},
		{"exit recorded before", []string{"exit", "3"}, false, 3, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			a := newDriver(t, dir)
			st := start(t, a, helperSpec("down", tt.mode...))
			pid := pidOf(t, st.ID)
			if tt.kill {
				waitLog(t, a, st.ID, "ready")
				a.Close()
				if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				waitFor(t, "the process to die", func() bool { return gone(pid) })
			} else {
				if _, err := a.Wait(context.Background(), st.ID); err != nil {
					t.Fatal(err)
				}
				a.Close()
			}

			for _, round := range []string{"first restart", "second restart"} {
				b := newDriver(t, dir)
				got, err := b.Inspect(context.Background(), st.ID)
				if err != nil {
					t.Fatalf("%s: Inspect: %v", round, err)
				}
				if got.Running || deref(got.ExitCode) != tt.wantCode || got.Reason != tt.wantReason || got.FinishedAt.IsZero() {
					t.Errorf("%s: %+v (exit code %v), want stopped, exit code %v, reason %q",
						round, got, deref(got.ExitCode), tt.wantCode, tt.wantReason)
				}
				if err := b.Stop(context.Background(), st.ID, time.Second); err != nil {
					t.Errorf("%s: Stop of an exited container: %v", round, err)
				}
				if _, err := b.Wait(context.Background(), st.ID); err != nil {
					t.Errorf("%s: Wait: %v", round, err)
				}
				b.Close()
			}
		})
	}
}

func TestRemove(t *testing.T) {
	d := newDriver(t, "")
	st := start(t, d, helperSpec("rm", "sleep"))
	logPath, err := d.LogPath(st.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Remove(context.Background(), st.ID); err == nil || !strings.Contains(err.Error(), "running") {
		t.Errorf("Remove of a running container = %v, want an error saying it runs", err)
	}
	if err := d.Stop(context.Background(), st.ID, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := d.Remove(context.Background(), st.ID); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	for _, path := range []string{logPath, recordPath(d.dir, st.ID)} {
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s after Remove: %v, want not exist", path, err)
		}
	}
	if _, err := d.Inspect(context.Background(), st.ID); !errors.Is(err, driver.ErrNotFound) {
		t.Errorf("Inspect after Remove = %v, want ErrNotFound", err)
	}
	if _, err := d.LogPath(st.ID); !errors.Is(err, driver.ErrNotFound) {
		t.Errorf("LogPath after Remove = %v, want ErrNotFound", err)
	}
	for name, call := range map[string]func() error{
		"Remove": func() error { return d.Remove(context.Background(), st.ID) },
		"Stop":   func() error { return d.Stop(context.Background(), st.ID, 0) },
		"Wait":   func() error { _, err := d.Wait(context.Background(), st.ID); return err },
	} {
		if err := call(); !errors.Is(err, driver.ErrNotFound) {
			t.Errorf("%s of an unknown container = %v, want ErrNotFound", name, err)
		}
	}
	// The name is free again.
	start(t, d, helperSpec("rm", "exit", "0"))
}

func TestNameInUse(t *testing.T) {
	d := newDriver(t, "")
	st := start(t, d, helperSpec("twice", "exit", "0"))
	if _, err := d.Wait(context.Background(), st.ID); err != nil {
		t.Fatal(err)
	}
	_, err := d.Start(context.Background(), helperSpec("twice", "sleep"))
	var se *driver.StartError
	if !errors.As(err, &se) || se.Reason != driver.CannotCreateContainerError || !strings.Contains(err.Error(), st.ID) {
		t.Errorf("second Start = %v, want CannotCreateContainerError naming %s", err, st.ID)
	}
}

func TestConcurrentStarts(t *testing.T) {
	d := newDriver(t, "")
	const n = 8
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		ports = map[int]bool{}
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			spec := helperSpec(fmt.Sprintf("c%d", i), "serve")
			spec.Ports = []driver.PortMapping{{ContainerPort: 8080}}
			st, err := d.Start(context.Background(), spec)
			if err != nil {
				t.Errorf("Start: %v", err)
				return
			}
			mu.Lock()
			ports[st.Ports[0].HostPort] = true
			mu.Unlock()
			d.Inspect(context.Background(), st.ID)
			d.List(context.Background())
		}()
	}
	wg.Wait()
	if len(ports) != n {
		t.Fatalf("%d distinct host ports for %d containers", len(ports), n)
	}
	for port := range ports {
		getReport(t, port)
	}
	list, _ := d.List(context.Background())
	if len(list) != n {
		t.Errorf("List has %d containers, want %d", len(list), n)
	}
}

func TestWaitContext(t *testing.T) {
	d := newDriver(t, "")
	st := start(t, d, helperSpec("wait", "sleep"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := d.Wait(ctx, st.ID); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait with a cancelled context = %v, want context.Canceled", err)
	}
}

func TestParseProcStat(t *testing.T) {
	tail := " 1 1 1 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10"
	tests := []struct {
		in        string
		want      procStat
		wantError bool
	}{
		{"42 (sleep) S" + tail, procStat{State: 'S', StartTicks: 987654}, false},
		{"42 (a) b (c)) Z" + tail, procStat{State: 'Z', StartTicks: 987654}, false},
		{"42 (x y) R" + tail, procStat{State: 'R', StartTicks: 987654}, false},
		{"42 sleep S" + tail, procStat{}, true},
		{"42 (sleep) S 1 2", procStat{}, true},
		{"", procStat{}, true},
	}
	for _, tt := range tests {
		got, err := parseProcStat([]byte(tt.in))
		if (err != nil) != tt.wantError || got != tt.want {
			t.Errorf("parseProcStat(%q) = %+v, %v; want %+v, error %v", tt.in, got, err, tt.want, tt.wantError)
		}
	}
	// And on a real process: this one.
	st, err := readProcStat(os.Getpid())
	if err != nil || st.StartTicks == 0 || !alive(os.Getpid(), st.StartTicks) || alive(os.Getpid(), st.StartTicks+1) {
		t.Errorf("readProcStat(self) = %+v, %v", st, err)
	}
}

func TestProcessArgs(t *testing.T) {
	tests := []struct {
		entryPoint, command, want []string
	}{
		{nil, nil, []string{}},
		{nil, []string{"-p", "80"}, []string{"-p", "80"}},
		{[]string{"/bin/app", "-v"}, []string{"run"}, []string{"-v", "run"}},
		{[]string{"-v"}, []string{"run"}, []string{"-v", "run"}},
		{[]string{"/bin/other", "-v"}, nil, []string{"/bin/other", "-v"}},
	}
	for _, tt := range tests {
		if got := processArgs("/bin/app", tt.entryPoint, tt.command); !slices.Equal(got, tt.want) {
			t.Errorf("processArgs(%q, %q) = %q, want %q", tt.entryPoint, tt.command, got, tt.want)
		}
	}
}
