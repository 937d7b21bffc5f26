package docker

import (
	"bytes"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/wharf-dev/wharf/internal/driver"
)

func TestStartPorts(t *testing.T) {
	t.Parallel()
	d := engine(t)
	fixed := freePort(t)
	hostNet := freePort(t)
	tests := []struct {
		name          string
		mode          string
		port          driver.PortMapping
		wantHost      int // 0: any dynamic port
		wantPORT      int
		wantContainer int
	}{
		{"bridge dynamic", "", driver.PortMapping{ContainerPort: 8080}, 0, 8080, 8080},
		{"bridge fixed", "bridge", driver.PortMapping{ContainerPort: 9000, HostPort: fixed, Protocol: "tcp"}, fixed, 9000, 9000},
		{"host", "host", driver.PortMapping{ContainerPort: hostNet}, hostNet, hostNet, hostNet},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			name := containerName(t, "")
			labels := map[string]string{driver.LabelContainer: "web"}
			st := mustStart(t, d, driver.Spec{
				Name: name, NetworkMode: tt.mode, Command: []string{"serve"},
				Env: map[string]string{"GREETING": "hello"}, Labels: labels,
				Ports: []driver.PortMapping{tt.port},
			})
			if !st.Running || st.ID == "" || st.Name != name {
				t.Fatalf("Start status: running %v, id %q, name %q; want running with name %q", st.Running, st.ID, st.Name, name)
			}
			if st.Labels[driver.LabelManaged] != "true" || st.Labels[driver.LabelContainer] != "web" {
				t.Errorf("labels %v lack %s=true or %s=web", st.Labels, driver.LabelManaged, driver.LabelContainer)
			}
			if len(labels) != 1 {
				t.Errorf("Start modified the spec's labels: %v", labels)
			}
			if len(st.Ports) != 1 {
				t.Fatalf("ports %+v, want one binding", st.Ports)
			}
			b := st.Ports[0]
			if b.ContainerPort != tt.wantContainer || b.Protocol != "tcp" || b.HostPort == 0 ||
				(tt.wantHost != 0 && b.HostPort != tt.wantHost) {
				t.Errorf("binding %+v, want container port %d/tcp on host port %d (0: any)", b, tt.wantContainer, tt.wantHost)
			}
			info := getApp(t, b.HostPort)
			if got, _ := info.getenv("PORT"); got != strconv.Itoa(tt.wantPORT) {
				t.Errorf("PORT inside = %q, want %d", got, tt.wantPORT)
			}
			if got, _ := info.getenv("GREETING"); got != "hello" {
				t.Errorf("GREETING inside = %q, want hello", got)
			}
		})
	}
}

func TestWaitExitCodeAndLogs(t *testing.T) {
	t.Parallel()
	d := engine(t)
	for _, code := range []int{0, 3} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			t.Parallel()
			st := mustStart(t, d, driver.Spec{Name: containerName(t, ""), Command: []string{"exit", strconv.Itoa(code)}})
			ctx := testCtx(t)
			st, err := d.Wait(ctx, st.ID)
			if err != nil {
				t.Fatalf("Wait: %v", err)
			}
			if st.Running || st.ExitCode == nil || *st.ExitCode != code {
				t.Fatalf("after Wait: running %v, exit code %v; want exited with %d", st.Running, st.ExitCode, code)
			}
			// Docker may stamp FinishedAt before StartedAt for a short-lived process.
			if st.StartedAt.IsZero() || st.FinishedAt.IsZero() || st.Reason != "" {
				t.Errorf("started %v, finished %v, reason %q; want both set, no reason", st.StartedAt, st.FinishedAt, st.Reason)
			}
			var stdout, stderr bytes.Buffer
			if err := d.Logs(ctx, st.ID, time.Time{}, false, &stdout, &stderr); err != nil {
				t.Fatalf("Logs: %v", err)
			}
			want := "exiting with " + strconv.Itoa(code) + "\n"
			if stdout.String() != "stdout: "+want || stderr.String() != "stderr: "+want {
				t.Errorf("logs: stdout %q, stderr %q; want %q and %q", stdout.String(), stderr.String(), "stdout: "+want, "stderr: "+want)
			}
			stdout.Reset()
			if err := d.Logs(ctx, st.ID, time.Now().Add(time.Hour), false, &stdout, nil); err != nil || stdout.Len() != 0 {
				t.Errorf("Logs since the future: %q, %v; want nothing", stdout.String(), err)
			}
		})
	}
}

func TestStop(t *testing.T) {
	t.Parallel()
	d := engine(t)
	tests := []struct {
		mode       string
		wantCode   int
		wantReason string
	}{
		{"serve", 0, ""},
		{"ignore-term", 137, reasonStopKilled},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			t.Parallel()
			st := mustStart(t, d, driver.Spec{Name: containerName(t, ""), Command: []string{tt.mode},
				Ports: []driver.PortMapping{{ContainerPort: 8080}}})
			getApp(t, st.Ports[0].HostPort) // running and past its signal setup
			ctx := testCtx(t)
			if err := d.Stop(ctx, st.ID, time.Second); err != nil {
				t.Fatalf("Stop: %v", err)
			}
			st, err := d.Wait(ctx, st.ID)
			if err != nil {
				t.Fatalf("Wait: %v", err)
			}
			if st.Running || st.ExitCode == nil || *st.ExitCode != tt.wantCode || st.Reason != tt.wantReason {
				t.Errorf("after Stop: running %v, exit code %v, reason %q; want exit %d, reason %q",
					st.Running, st.ExitCode, st.Reason, tt.wantCode, tt.wantReason)
			}
			if len(st.Ports) != 0 {
				t.Errorf("stopped container reports ports %+v", st.Ports)
			}
			if err := d.Stop(ctx, st.ID, time.Second); err != nil {
				t.Errorf("Stop of a stopped container: %v", err)
			}
		})
	}
}

func TestStartErrors(t *testing.T) {
	t.Parallel()
	d := engine(t)
	taken := containerName(t, "taken")
	mustStart(t, d, driver.Spec{Name: taken, Command: []string{"serve"}})
	missing := "wharf-test-missing-" + runID + ":1"
	tests := []struct {
		name       string
		spec       driver.Spec
		wantReason string
		wantText   []string
	}{
		{"missing image", driver.Spec{Image: missing}, driver.CannotPullContainerError,
			[]string{`pull image "` + missing + `": not found locally and the pull failed`, "docker build -t " + missing, "process:"}},
		{"invalid reference", driver.Spec{Image: "process:/bin/true"}, driver.CannotPullContainerError,
			[]string{`image "process:/bin/true" is not a valid image reference`}},
		{"no such entrypoint", driver.Spec{EntryPoint: []string{"/nonexistent"}}, driver.CannotStartContainerError, []string{"/nonexistent"}},
		{"name taken", driver.Spec{Name: taken}, driver.CannotCreateContainerError, []string{taken}},
		{"bad network mode", driver.Spec{NetworkMode: "awsvpc"}, driver.CannotCreateContainerError, []string{`"awsvpc"`}},
		{"bad health check", driver.Spec{HealthCheck: &driver.HealthCheck{Command: []string{"/app", "health"}}},
			driver.CannotCreateContainerError, []string{"CMD or CMD-SHELL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			spec := tt.spec
			if spec.Name == "" {
				spec.Name = containerName(t, "")
			}
			_, err := start(t, d, spec)
			var se *driver.StartError
			if !errors.As(err, &se) {
				t.Fatalf("Start error %v (%T), want *driver.StartError", err, err)
			}
			if se.Reason != tt.wantReason || !strings.HasPrefix(err.Error(), tt.wantReason+": ") {
				t.Errorf("error %q has reason %q, want %q", err, se.Reason, tt.wantReason)
			}
			for _, w := range tt.wantText {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if spec.Name == taken {
				return
			}
			if _, err := d.Inspect(testCtx(t), spec.Name); !errors.Is(err, driver.ErrNotFound) {
				t.Errorf("after a failed Start, Inspect(%s) = %v, want ErrNotFound (no container left)", spec.Name, err)
			}
		})
	}
}

func TestHealthCheck(t *testing.T) {
	t.Parallel()
	d := engine(t)
	tests := []struct {
		name  string
		check *driver.HealthCheck
		want  string
	}{
		{"healthy", &driver.HealthCheck{Command: []string{"CMD", "/app", "health"}, Interval: time.Second, Retries: 2}, driver.HealthHealthy},
		{"unhealthy", &driver.HealthCheck{Command: []string{"CMD", "/app", "exit", "1"}, Interval: time.Second, Retries: 1}, driver.HealthUnhealthy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := mustStart(t, d, driver.Spec{Name: containerName(t, ""), Command: []string{"serve"},
				Ports: []driver.PortMapping{{ContainerPort: 8080}}, HealthCheck: tt.check})
			if st.Health != driver.HealthStarting && st.Health != tt.want {
				t.Errorf("health right after Start = %q, want %q or %q", st.Health, driver.HealthStarting, tt.want)
			}
			st = waitHealth(t, d, st.ID, tt.want)
			if !st.Running {
				t.Errorf("container stopped, want it running whatever its health")
			}
		})
	}
	t.Run("none", func(t *testing.T) {
		t.Parallel()
		st := mustStart(t, d, driver.Spec{Name: containerName(t, ""), Command: []string{"serve"}})
		if st.Health != driver.HealthNone {
			t.Errorf("health without a check = %q, want empty", st.Health)
		}
	})
}

func TestListReadopts(t *testing.T) {
	t.Parallel()
	d := engine(t)
	arn := "arn:aws:ecs:us-east-1:000000000000:task/default/" + runID
	running := mustStart(t, d, driver.Spec{Name: containerName(t, "running"), Command: []string{"serve"},
		Labels: map[string]string{driver.LabelManaged: "true", driver.LabelTaskARN: arn}, Ports: []driver.PortMapping{{ContainerPort: 8080}}})
	exited := mustStart(t, d, driver.Spec{Name: containerName(t, "exited"), Command: []string{"exit", "4"},
		Labels: map[string]string{driver.LabelTaskARN: arn}})
	ctx := testCtx(t)
	if _, err := d.Wait(ctx, exited.ID); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	// A container without the managed label, made behind the driver's back.
	foreign := containerName(t, "foreign")
	t.Cleanup(func() { forceRemove(t, d, foreign) })
	if _, err := d.cli.ContainerCreate(ctx, &container.Config{Image: testImage, Labels: map[string]string{driver.LabelTaskARN: arn}},
		nil, nil, nil, foreign); err != nil {
		t.Fatalf("create foreign container: %v", err)
	}

	d2, err := New(ctx, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	defer d2.Close()
	list, err := d2.List(ctx)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	got := map[string]driver.Status{}
	for _, st := range list {
		if st.Labels[driver.LabelTaskARN] == arn {
			got[st.Name] = st
		}
	}
	if len(got) != 2 {
		t.Fatalf("List found %d containers of task %s, want 2 (not the foreign one): %v", len(got), arn, got)
	}
	r, ok := got[running.Name]
	if !ok || r.ID != running.ID || !r.Running || !reflect.DeepEqual(r.Ports, running.Ports) {
		t.Errorf("List has running container %+v, want %+v", r, running)
	}
	e, ok := got[exited.Name]
	if !ok || e.ID != exited.ID || e.Running || e.ExitCode == nil || *e.ExitCode != 4 {
		t.Errorf("List has exited container %+v, want id %s exited with 4", e, exited.ID)
	}
}

func TestRemoveAndNotFound(t *testing.T) {
	t.Parallel()
	d := engine(t)
	ctx := testCtx(t)
	st := mustStart(t, d, driver.Spec{Name: containerName(t, ""), Command: []string{"serve"}})
	if err := d.Remove(ctx, st.ID); err == nil || errors.Is(err, driver.ErrNotFound) {
		t.Errorf("Remove of a running container = %v, want a conflict error", err)
	}
	if err := d.Stop(ctx, st.ID, 0); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := d.Remove(ctx, st.ID); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	ops := map[string]func() error{
		"Inspect": func() error { _, err := d.Inspect(ctx, st.ID); return err },
		"Wait":    func() error { _, err := d.Wait(ctx, st.ID); return err },
		"Stop":    func() error { return d.Stop(ctx, st.ID, time.Second) },
		"Remove":  func() error { return d.Remove(ctx, st.ID) },
		"Logs":    func() error { return d.Logs(ctx, st.ID, time.Time{}, false, nil, nil) },
	}
	for name, op := range ops {
		if err := op(); !errors.Is(err, driver.ErrNotFound) {
			t.Errorf("%s of a removed container = %v, want ErrNotFound", name, err)
		}
	}
}

func TestContainerSettings(t *testing.T) {
	t.Parallel()
	d := engine(t)
	st := mustStart(t, d, driver.Spec{
		Name: containerName(t, ""), Command: []string{"serve"},
		Env: map[string]string{"B": "2", "A": "1", "PORT": "8081"}, WorkingDir: "/", User: "1000:1000",
		Ports: []driver.PortMapping{{ContainerPort: 8081}}, CPU: 256, MemoryMiB: 64, MemoryReservationMiB: 32,
		StopTimeout: 5 * time.Second,
		HealthCheck: &driver.HealthCheck{Command: []string{"CMD-SHELL", "exit 0"}, StartPeriod: 2 * time.Second},
	})
	resp, err := d.cli.ContainerInspect(testCtx(t), st.ID)
	if err != nil {
		t.Fatalf("ContainerInspect: %v", err)
	}
	hc, cfg := resp.HostConfig, resp.Config
	// Docker appends the image's environment (here the PATH its builder set).
	img, err := d.cli.ImageInspect(testCtx(t), testImage)
	if err != nil {
		t.Fatalf("ImageInspect: %v", err)
	}
	wantEnv := append([]string{"A=1", "B=2", "PORT=8081"}, img.Config.Env...)
	checks := []struct {
		what      string
		got, want any
	}{
		{"Memory", hc.Memory, int64(64 << 20)},
		{"MemoryReservation", hc.MemoryReservation, int64(32 << 20)},
		{"CPUShares", hc.CPUShares, int64(256)},
		{"RestartPolicy", string(hc.RestartPolicy.Name), "no"},
		{"AutoRemove", hc.AutoRemove, false},
		{"NetworkMode", string(hc.NetworkMode), "bridge"},
		{"Env", cfg.Env, wantEnv},
		{"User", cfg.User, "1000:1000"},
		{"StopTimeout", *cfg.StopTimeout, 5},
		{"Healthcheck.Test", cfg.Healthcheck.Test, []string{"CMD-SHELL", "exit 0"}},
		{"Healthcheck.Interval", cfg.Healthcheck.Interval, 30 * time.Second},
		{"Healthcheck.Timeout", cfg.Healthcheck.Timeout, 5 * time.Second},
		{"Healthcheck.Retries", cfg.Healthcheck.Retries, 3},
		{"Healthcheck.StartPeriod", cfg.Healthcheck.StartPeriod, 2 * time.Second},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
	getApp(t, st.Ports[0].HostPort) // runs as a non-root user, on the PORT given
}
