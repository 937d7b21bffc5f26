package agent

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/driver"
	"github.com/wharf-dev/wharf/internal/ecs"
)

// TestDependsOn checks that a container starts only once its dependencies meet their
// condition. Each dependent writes ok only when it finds what its dependency does
// before meeting the condition, and is listed first, so that starting it too early
// shows.
func TestDependsOn(t *testing.T) {
	t.Parallel()
	f := newFakeControl()
	drv := newDriver(t, "")
	startAgent(t, f, Drivers{Process: drv})

	tests := []struct {
		name      string
		condition string
		dep       func(marks string) ecs.ContainerDefinition
	}{
		{"COMPLETE", "COMPLETE", func(marks string) ecs.ContainerDefinition {
			return nonEssential(shell("dep", "sleep 0.3; touch "+filepath.Join(marks, "dep")+"; exit 5"))
		}},
		{"SUCCESS", "SUCCESS", func(marks string) ecs.ContainerDefinition {
			return nonEssential(shell("dep", "sleep 0.3; touch "+filepath.Join(marks, "dep")+"; exit 0"))
		}},
		{"HEALTHY", "HEALTHY", func(marks string) ecs.ContainerDefinition {
			cd := shell("dep", "exec sleep 1000")
			cd.HealthCheck = &ecs.HealthCheck{Command: []string{"CMD-SHELL", "touch " + filepath.Join(marks, "dep") + "; exit 0"}, Interval: ptr(int32(1))}
			return cd
		}},
		{"lower-case condition", "success", func(marks string) ecs.ContainerDefinition {
			return nonEssential(shell("dep", "sleep 0.3; touch "+filepath.Join(marks, "dep")+"; exit 0"))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			marks := markerDir(t)
			app := shell("app", "test -f "+filepath.Join(marks, "dep")+" && touch "+filepath.Join(marks, "ok")+"; exec sleep 1000")
			app.DependsOn = []ecs.ContainerDependency{{ContainerName: "dep", Condition: tt.condition}}
			nt := newTask(app, tt.dep(marks))
			f.place(nt)
			eventually(t, "app to find what its dependency did", func() bool { return exists(filepath.Join(marks, "ok")) })
			running, _ := waitStatus(t, f, nt.Task.TaskArn, ecs.StatusRunning)
			if c := container(t, running, "app"); c.LastStatus != ecs.StatusRunning {
				t.Errorf("app is %s in the RUNNING report", c.LastStatus)
			}
		})
	}

	t.Run("START", func(t *testing.T) {
		t.Parallel()
		app := shell("app", "exec sleep 1000")
		app.DependsOn = []ecs.ContainerDependency{{ContainerName: "dep", Condition: "START"}}
		nt := newTask(app, shell("dep", "exec sleep 1000"))
		f.place(nt)
		running, _ := waitStatus(t, f, nt.Task.TaskArn, ecs.StatusRunning)
		appSt, err := drv.Inspect(context.Background(), container(t, running, "app").RuntimeID)
		if err != nil {
			t.Fatal(err)
		}
		depSt, err := drv.Inspect(context.Background(), container(t, running, "dep").RuntimeID)
		if err != nil {
			t.Fatal(err)
		}
		if !depSt.StartedAt.Before(appSt.StartedAt) {
			t.Errorf("app started at %v, before its dependency (%v)", appSt.StartedAt, depSt.StartedAt)
		}
	})

	t.Run("SUCCESS not met", func(t *testing.T) {
		t.Parallel()
		app := shell("app", "exec sleep 1000")
		app.DependsOn = []ecs.ContainerDependency{{ContainerName: "migrate", Condition: "SUCCESS"}}
		nt := newTask(app, nonEssential(shell("migrate", "exit 1")))
		arn := nt.Task.TaskArn
		f.place(nt)
		stopped, _ := waitStatus(t, f, arn, ecs.StatusStopped)
		if stopped.StopCode != ecs.StopCodeTaskFailedToStart || !strings.Contains(stopped.StoppedReason, "migrate") {
			t.Errorf("stop = %q %q, want %s with a reason naming migrate", stopped.StopCode, stopped.StoppedReason, ecs.StopCodeTaskFailedToStart)
		}
		if c := container(t, stopped, "migrate"); c.ExitCode == nil || *c.ExitCode != 1 {
			t.Errorf("migrate's exit code = %v, want 1", c.ExitCode)
		}
		for _, r := range f.reportsOf(arn) {
			if id := container(t, r, "app").RuntimeID; id != "" {
				t.Errorf("app was started (%s) though its dependency failed", id)
			}
		}
	})

	t.Run("HEALTHY without a health check", func(t *testing.T) {
		t.Parallel()
		app := shell("app", "exec sleep 1000")
		app.DependsOn = []ecs.ContainerDependency{{ContainerName: "db", Condition: "HEALTHY"}}
		db := shell("db", "exec sleep 1000")
		db.HealthCheck = &ecs.HealthCheck{Command: []string{"NONE"}}
		nt := newTask(app, db)
		f.place(nt)
		stopped, _ := waitStatus(t, f, nt.Task.TaskArn, ecs.StatusStopped)
		if stopped.StopCode != ecs.StopCodeTaskFailedToStart || !strings.Contains(stopped.StoppedReason, "db") {
			t.Errorf("stop = %q %q, want %s with a reason naming db", stopped.StopCode, stopped.StoppedReason, ecs.StopCodeTaskFailedToStart)
		}
	})

	t.Run("HEALTHY not met", func(t *testing.T) {
		t.Parallel()
		app := shell("app", "exec sleep 1000")
		app.DependsOn = []ecs.ContainerDependency{{ContainerName: "db", Condition: "HEALTHY"}}
		db := shell("db", "exec sleep 1000")
		db.HealthCheck = &ecs.HealthCheck{Command: []string{"CMD-SHELL", "exit 1"}, Interval: ptr(int32(1)), Retries: ptr(int32(1))}
		nt := newTask(app, db)
		f.place(nt)
		stopped, _ := waitStatus(t, f, nt.Task.TaskArn, ecs.StatusStopped)
		if stopped.StopCode != ecs.StopCodeTaskFailedToStart || !strings.Contains(stopped.StoppedReason, "db") {
			t.Errorf("stop = %q %q, want %s with a reason naming db", stopped.StopCode, stopped.StoppedReason, ecs.StopCodeTaskFailedToStart)
		}
	})
}

// TestHealth checks that the agent reports the health of a task's essential
// containers, and leaves stopping an unhealthy task to the control plane.
func TestHealth(t *testing.T) {
	t.Parallel()
	f := newFakeControl()
	startAgent(t, f, Drivers{Process: newDriver(t, "")})

	tests := []struct {
		name    string
		command string
		want    string
	}{
		{"passing", "exit 0", "HEALTHY"},
		{"failing", "exit 1", "UNHEALTHY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			main := shell("main", "exec sleep 1000")
			main.PortMappings = []ecs.PortMapping{{ContainerPort: ptr(int32(8080))}}
			main.HealthCheck = &ecs.HealthCheck{Command: []string{"CMD-SHELL", tt.command}, Interval: ptr(int32(1)), Retries: ptr(int32(1))}
			// A non-essential container's health does not count.
			side := nonEssential(shell("side", "exec sleep 1000"))
			side.HealthCheck = &ecs.HealthCheck{Command: []string{"CMD-SHELL", "exit 1"}, Interval: ptr(int32(1)), Retries: ptr(int32(1))}
			nt := newTask(main, side)
			arn := nt.Task.TaskArn
			f.place(nt)
			rep, i := waitReport(t, f, arn, 0, "task health "+tt.want, func(r ecs.TaskReport) bool { return r.HealthStatus == tt.want })
			if rep.LastStatus != ecs.StatusRunning {
				t.Errorf("lastStatus = %s, want RUNNING", rep.LastStatus)
			}
			if c := container(t, rep, "main"); c.HealthStatus != tt.want {
				t.Errorf("main's health = %s, want %s", c.HealthStatus, tt.want)
			}
			for _, r := range f.reportsOf(arn)[:i] {
				if r.HealthStatus != "UNKNOWN" {
					t.Errorf("health before the first check = %s, want UNKNOWN", r.HealthStatus)
				}
			}
			calls := f.nodeTaskCalls.Load()
			eventually(t, "more resyncs", func() bool { return f.nodeTaskCalls.Load() >= calls+5 })
			for _, r := range f.reportsOf(arn)[i:] {
				if r.LastStatus != ecs.StatusRunning || r.HealthStatus != tt.want {
					t.Errorf("later report: %s, health %s; want RUNNING, %s", r.LastStatus, r.HealthStatus, tt.want)
				}
			}
			checkNoRepeats(t, f, arn)
		})
	}
}

// TestContainerSpec checks how a container definition and a task's overrides become
// a driver spec.
func TestContainerSpec(t *testing.T) {
	a := New(Config{NodeID: "n", Endpoint: "http://wharf:4566", Region: "us-east-1"})
	cd := ecs.ContainerDefinition{
		Name:              "web",
		Image:             "process:/bin/app",
		Cpu:               256,
		Memory:            ptr(int32(512)),
		MemoryReservation: ptr(int32(128)),
		EntryPoint:        []string{"/bin/app"},
		Command:           []string{"serve"},
		Environment:       []ecs.KeyValuePair{{Name: "A", Value: "1"}, {Name: "AWS_REGION", Value: "nope"}},
		PortMappings:      []ecs.PortMapping{{ContainerPort: ptr(int32(80)), HostPort: ptr(int32(8080)), Protocol: "tcp"}, {ContainerPort: ptr(int32(53)), Protocol: "udp"}},
		HealthCheck:       &ecs.HealthCheck{Command: []string{"CMD", "true"}, Interval: ptr(int32(10)), Retries: ptr(int32(2))},
		StopTimeout:       ptr(int32(7)),
		WorkingDirectory:  "/srv",
		User:              "1000",
		DockerLabels:      map[string]string{"team": "core", "wharf.task-arn": "forged"},
	}
	td := ecs.TaskDefinition{NetworkMode: "host", ContainerDefinitions: []ecs.ContainerDefinition{cd}}
	task := ecs.Task{TaskArn: "arn:aws:ecs:us-east-1:000000000000:task/default/abc123", ClusterArn: "arn:aws:ecs:us-east-1:000000000000:cluster/default"}

	tests := []struct {
		name      string
		overrides *ecs.TaskOverride
		check     func(t *testing.T, env map[string]string, cmd []string, cpu, mem, memRes int)
	}{
		{"definition", nil, func(t *testing.T, env map[string]string, cmd []string, cpu, mem, memRes int) {
			if env["A"] != "1" || strings.Join(cmd, " ") != "serve" || cpu != 256 || mem != 512 || memRes != 128 {
				t.Errorf("env A %q, command %q, cpu %d, memory %d/%d", env["A"], cmd, cpu, mem, memRes)
			}
		}},
		{"overrides", &ecs.TaskOverride{ContainerOverrides: []ecs.ContainerOverride{{
			Name: "web", Command: []string{"migrate", "up"}, Environment: []ecs.KeyValuePair{{Name: "A", Value: "2"}},
			Cpu: ptr(int32(512)), Memory: ptr(int32(1024)), MemoryReservation: ptr(int32(256)),
		}}}, func(t *testing.T, env map[string]string, cmd []string, cpu, mem, memRes int) {
			if env["A"] != "2" || strings.Join(cmd, " ") != "migrate up" || cpu != 512 || mem != 1024 || memRes != 256 {
				t.Errorf("env A %q, command %q, cpu %d, memory %d/%d", env["A"], cmd, cpu, mem, memRes)
			}
		}},
		{"another container's overrides", &ecs.TaskOverride{ContainerOverrides: []ecs.ContainerOverride{{
			Name: "other", Command: []string{"x"}, Environment: []ecs.KeyValuePair{{Name: "A", Value: "2"}},
		}}}, func(t *testing.T, env map[string]string, cmd []string, cpu, mem, memRes int) {
			if env["A"] != "1" || strings.Join(cmd, " ") != "serve" {
				t.Errorf("env A %q, command %q", env["A"], cmd)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			task := task
			task.Overrides = tt.overrides
			spec := a.containerSpec(task, td, cd)
			tt.check(t, spec.Env, spec.Command, spec.CPU, spec.MemoryMiB, spec.MemoryReservationMiB)
			if spec.Name != "wharf-abc123-web" || spec.Image != cd.Image || spec.NetworkMode != "host" || spec.WorkingDir != "/srv" || spec.User != "1000" {
				t.Errorf("spec = %+v", spec)
			}
			if spec.Env["AWS_ENDPOINT_URL"] != "http://wharf:4566" || spec.Env["AWS_REGION"] != "us-east-1" {
				t.Errorf("AWS environment = %q, %q", spec.Env["AWS_ENDPOINT_URL"], spec.Env["AWS_REGION"])
			}
			if spec.Labels["wharf.task-arn"] != task.TaskArn || spec.Labels["wharf.container"] != "web" || spec.Labels["wharf.managed"] != "true" || spec.Labels["team"] != "core" {
				t.Errorf("labels = %v", spec.Labels)
			}
			if len(spec.Ports) != 2 || spec.Ports[0].HostPort != 8080 || spec.Ports[0].ContainerPort != 80 || spec.Ports[1].HostPort != 0 || spec.Ports[1].Protocol != "udp" {
				t.Errorf("ports = %+v", spec.Ports)
			}
			hc := spec.HealthCheck
			if hc == nil || hc.Interval.Seconds() != 10 || hc.Timeout.Seconds() != 5 || hc.Retries != 2 || hc.StartPeriod != 0 {
				t.Errorf("health check = %+v", hc)
			}
			if spec.StopTimeout.Seconds() != 7 {
				t.Errorf("stop timeout = %s", spec.StopTimeout)
			}
		})
	}
}

// TestTaskHealth checks how a task's health follows its essential containers'.
func TestTaskHealth(t *testing.T) {
	// withCheck is a container; health "" means it has no health check.
	withCheck := func(name, health string, essential bool) *ctr {
		c := &ctr{def: ecs.ContainerDefinition{Name: name, Essential: ptr(essential)}, health: health}
		if health == "" {
			c.health = "UNKNOWN"
		} else {
			c.spec.HealthCheck = &driver.HealthCheck{Command: []string{"CMD", "true"}}
		}
		return c
	}
	tests := []struct {
		name string
		ctrs []*ctr
		want string
	}{
		{"no health checks", []*ctr{withCheck("a", "", true)}, "UNKNOWN"},
		{"all healthy", []*ctr{withCheck("a", "HEALTHY", true), withCheck("b", "HEALTHY", true), withCheck("c", "", true)}, "HEALTHY"},
		{"one starting", []*ctr{withCheck("a", "HEALTHY", true), withCheck("b", "UNKNOWN", true)}, "UNKNOWN"},
		{"one unhealthy", []*ctr{withCheck("a", "HEALTHY", true), withCheck("b", "UNHEALTHY", true)}, "UNHEALTHY"},
		{"non-essential unhealthy", []*ctr{withCheck("a", "HEALTHY", true), withCheck("b", "UNHEALTHY", false)}, "HEALTHY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &runner{ctrs: tt.ctrs}
			if got := r.taskHealth(); got != tt.want {
				t.Errorf("taskHealth = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestDriversFor checks which driver runs an image.
func TestDriversFor(t *testing.T) {
	d := newDriver(t, "")
	tests := []struct {
		name    string
		drivers Drivers
		image   string
		want    string // driver name, or a substring of the error
	}{
		{"process image", Drivers{Process: d}, "process:/bin/true", "process"},
		{"docker image, docker in use", Drivers{Process: d, Docker: namedDriver{d, "docker"}}, "nginx", "docker"},
		{"docker image, no docker", Drivers{Process: d}, "nginx", "no Docker engine is in use"},
		{"docker image, docker missing", Drivers{Process: d, DockerMissing: errMissing}, "nginx", "engine down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.drivers.For(tt.image)
			switch {
			case err != nil:
				if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "CannotPullContainerError: ") {
					t.Errorf("For(%q) error = %v, want CannotPullContainerError saying %q", tt.image, err, tt.want)
				}
			case got.Name() != tt.want:
				t.Errorf("For(%q) = %s, want %s", tt.image, got.Name(), tt.want)
			}
		})
	}
}

// namedDriver is a driver under another name.
type namedDriver struct {
	driver.Driver
	name string
}

func (d namedDriver) Name() string { return d.name }

var errMissing = errorString("engine down")

type errorString string

func (e errorString) Error() string { return string(e) }

// TestContainerSpecNetwork checks the network mode, host ports and endpoint a
// container gets from its task definition's network mode and its runtime.
func TestContainerSpecNetwork(t *testing.T) {
	const endpoint, dockerEndpoint = "http://127.0.0.1:4566", "http://host.docker.internal:4566"
	tests := []struct {
		name           string
		networkMode    string
		image          string
		dockerEndpoint string
		wantMode       string
		wantHostPort   int
		wantEndpoint   string
	}{
		{"process, bridge", "bridge", "process:/bin/app", dockerEndpoint, "bridge", 8080, endpoint},
		{"process, awsvpc", "awsvpc", "process:/bin/app", dockerEndpoint, "bridge", 0, endpoint},
		{"docker, bridge", "bridge", "nginx", dockerEndpoint, "bridge", 8080, dockerEndpoint},
		{"docker, default mode", "", "nginx", dockerEndpoint, "", 8080, dockerEndpoint},
		{"docker, host", "host", "nginx", dockerEndpoint, "host", 8080, endpoint},
		{"docker, awsvpc", "awsvpc", "nginx", dockerEndpoint, "bridge", 0, dockerEndpoint},
		{"docker, bridge, no docker endpoint", "bridge", "nginx", "", "bridge", 8080, endpoint},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := New(Config{NodeID: "n", Endpoint: endpoint, DockerEndpoint: tt.dockerEndpoint})
			cd := ecs.ContainerDefinition{Name: "web", Image: tt.image, PortMappings: []ecs.PortMapping{{ContainerPort: ptr(int32(8080)), HostPort: ptr(int32(8080))}}}
			spec := a.containerSpec(ecs.Task{TaskArn: "arn:aws:ecs:us-east-1:000000000000:task/default/abc"}, ecs.TaskDefinition{NetworkMode: tt.networkMode}, cd)
			if spec.NetworkMode != tt.wantMode {
				t.Errorf("network mode = %q, want %q", spec.NetworkMode, tt.wantMode)
			}
			if len(spec.Ports) != 1 || spec.Ports[0].ContainerPort != 8080 || spec.Ports[0].HostPort != tt.wantHostPort {
				t.Errorf("ports = %+v, want 8080 on host port %d", spec.Ports, tt.wantHostPort)
			}
			if got := spec.Env["AWS_ENDPOINT_URL"]; got != tt.wantEndpoint {
				t.Errorf("AWS_ENDPOINT_URL = %q, want %q", got, tt.wantEndpoint)
			}
		})
	}
}
