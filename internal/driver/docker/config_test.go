package docker

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/go-connections/nat"

	"github.com/wharf-dev/wharf/internal/driver"
)

func TestEnviron(t *testing.T) {
	tests := []struct {
		name string
		spec driver.Spec
		want []string
	}{
		{"no ports", driver.Spec{Env: map[string]string{"B": "2", "A": "1"}}, []string{"A=1", "B=2"}},
		{"empty", driver.Spec{}, []string{}},
		{"bridge: container port", driver.Spec{Env: map[string]string{"Z": "z"},
			Ports: []driver.PortMapping{{ContainerPort: 80, HostPort: 8080}, {ContainerPort: 81}}}, []string{"PORT=80", "Z=z"}},
		{"host: host port", driver.Spec{NetworkMode: "host", Ports: []driver.PortMapping{{ContainerPort: 80, HostPort: 80}}}, []string{"PORT=80"}},
		{"host: container port when host port is 0", driver.Spec{NetworkMode: "host", Ports: []driver.PortMapping{{ContainerPort: 9000}}}, []string{"PORT=9000"}},
		{"PORT kept", driver.Spec{Env: map[string]string{"PORT": "1234"}, Ports: []driver.PortMapping{{ContainerPort: 80}}}, []string{"PORT=1234"}},
		{"empty value kept", driver.Spec{Env: map[string]string{"EMPTY": ""}}, []string{"EMPTY="}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mode := tt.spec.NetworkMode
			if mode == "" {
				mode = networkBridge
			}
			if got := environ(mode, tt.spec); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("environ = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestContainerConfig(t *testing.T) {
	spec := driver.Spec{
		Name: "n", Image: "img:1", EntryPoint: []string{"/app"}, Command: []string{"serve"},
		Env: map[string]string{"A": "1"}, WorkingDir: "/w", User: "u",
		Labels: map[string]string{driver.LabelTaskARN: "arn"},
		Ports:  []driver.PortMapping{{ContainerPort: 80}, {ContainerPort: 53, HostPort: 5353, Protocol: "udp"}},
		CPU:    1, MemoryMiB: 128, MemoryReservationMiB: 64,
		StopTimeout: 1500 * time.Millisecond,
		HealthCheck: &driver.HealthCheck{Command: []string{"CMD", "/app", "health"}, Interval: 2 * time.Second},
	}
	cfg, hc, err := containerConfig(spec)
	if err != nil {
		t.Fatalf("containerConfig: %v", err)
	}
	wantCfg := &container.Config{
		Image: "img:1", Entrypoint: []string{"/app"}, Cmd: []string{"serve"},
		Env: []string{"A=1", "PORT=80"}, WorkingDir: "/w", User: "u",
		Labels:       map[string]string{driver.LabelTaskARN: "arn", driver.LabelManaged: "true"},
		ExposedPorts: nat.PortSet{"80/tcp": {}, "53/udp": {}},
		Healthcheck: &container.HealthConfig{Test: []string{"CMD", "/app", "health"},
			Interval: 2 * time.Second, Timeout: 5 * time.Second, Retries: 3},
		StopTimeout: ptr(2),
	}
	if !reflect.DeepEqual(cfg, wantCfg) {
		t.Errorf("config\n got %+v\nwant %+v", cfg, wantCfg)
	}
	wantHost := &container.HostConfig{
		NetworkMode: "bridge",
		PortBindings: nat.PortMap{
			"80/tcp": {{HostIP: "", HostPort: ""}},
			"53/udp": {{HostIP: "", HostPort: "5353"}},
		},
		RestartPolicy: container.RestartPolicy{Name: "no"},
		ExtraHosts:    []string{"host.docker.internal:host-gateway"},
	}
	wantHost.CPUShares = 2
	wantHost.Memory = 128 << 20
	wantHost.MemoryReservation = 64 << 20
	if !reflect.DeepEqual(hc, wantHost) {
		t.Errorf("host config\n got %+v\nwant %+v", hc, wantHost)
	}
	if len(spec.Labels) != 1 {
		t.Errorf("containerConfig modified the spec's labels: %v", spec.Labels)
	}
}

func TestContainerConfigModes(t *testing.T) {
	tests := []struct {
		name         string
		spec         driver.Spec
		wantExposed  nat.PortSet
		wantBindings nat.PortMap
		wantStop     int
	}{
		{"host: exposed, not bound", driver.Spec{Image: "i", NetworkMode: "host", Ports: []driver.PortMapping{{ContainerPort: 80, HostPort: 80}}},
			nat.PortSet{"80/tcp": {}}, nil, 30},
		{"none: nothing", driver.Spec{Image: "i", NetworkMode: "none", Ports: []driver.PortMapping{{ContainerPort: 80}}}, nil, nil, 30},
		{"bridge without ports", driver.Spec{Image: "i", StopTimeout: time.Second}, nil, nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, hc, err := containerConfig(tt.spec)
			if err != nil {
				t.Fatalf("containerConfig: %v", err)
			}
			if !reflect.DeepEqual(cfg.ExposedPorts, tt.wantExposed) || !reflect.DeepEqual(hc.PortBindings, tt.wantBindings) {
				t.Errorf("exposed %v, bindings %v; want %v, %v", cfg.ExposedPorts, hc.PortBindings, tt.wantExposed, tt.wantBindings)
			}
			if *cfg.StopTimeout != tt.wantStop {
				t.Errorf("stop timeout %d, want %d", *cfg.StopTimeout, tt.wantStop)
			}
			if hc.CPUShares != 0 || hc.Memory != 0 || hc.MemoryReservation != 0 {
				t.Errorf("limits set without asking: %+v", hc.Resources)
			}
		})
	}
}

func TestContainerConfigErrors(t *testing.T) {
	ok := driver.Spec{Image: "i"}
	with := func(f func(*driver.Spec)) driver.Spec { s := ok; f(&s); return s }
	tests := []struct {
		name string
		spec driver.Spec
		want string
	}{
		{"no image", driver.Spec{}, "image is empty"},
		{"network mode", with(func(s *driver.Spec) { s.NetworkMode = "awsvpc" }), `network mode "awsvpc"`},
		{"protocol", with(func(s *driver.Spec) { s.Ports = []driver.PortMapping{{ContainerPort: 1, Protocol: "sctp"}} }), `ports[0]: protocol "sctp"`},
		{"container port 0", with(func(s *driver.Spec) { s.Ports = []driver.PortMapping{{ContainerPort: 0}} }), "ports[0]: container port 0"},
		{"container port too big", with(func(s *driver.Spec) { s.Ports = []driver.PortMapping{{ContainerPort: 70000}} }), "container port 70000"},
		{"host port negative", with(func(s *driver.Spec) { s.Ports = []driver.PortMapping{{ContainerPort: 1, HostPort: -1}} }), "host port -1"},
		{"duplicate", with(func(s *driver.Spec) {
			s.Ports = []driver.PortMapping{{ContainerPort: 1}, {ContainerPort: 1, Protocol: "tcp"}}
		}), "ports[1]: container port 1/tcp is mapped twice"},
		{"host mode mismatch", with(func(s *driver.Spec) {
			s.NetworkMode = "host"
			s.Ports = []driver.PortMapping{{ContainerPort: 80, HostPort: 8080}}
		}), "must equal the container port"},
		{"negative memory", with(func(s *driver.Spec) { s.MemoryMiB = -1 }), "negative resource limit"},
		{"negative stop timeout", with(func(s *driver.Spec) { s.StopTimeout = -time.Second }), "stop timeout -1s is negative"},
		{"health empty", with(func(s *driver.Spec) { s.HealthCheck = &driver.HealthCheck{} }), "health check command is empty"},
		{"health CMD alone", with(func(s *driver.Spec) { s.HealthCheck = &driver.HealthCheck{Command: []string{"CMD"}} }), "CMD has no program"},
		{"health CMD-SHELL two", with(func(s *driver.Spec) {
			s.HealthCheck = &driver.HealthCheck{Command: []string{"CMD-SHELL", "a", "b"}}
		}), "one shell command, got 2"},
		{"health no CMD", with(func(s *driver.Spec) { s.HealthCheck = &driver.HealthCheck{Command: []string{"curl"}} }), `not "curl"`},
		{"health negative", with(func(s *driver.Spec) {
			s.HealthCheck = &driver.HealthCheck{Command: []string{"CMD", "x"}, Retries: -1}
		}), "must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := containerConfig(tt.spec)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("containerConfig error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestStatusFromInspect(t *testing.T) {
	base := func(state *container.State, mode string, ports nat.PortMap, exposed nat.PortSet) container.InspectResponse {
		return container.InspectResponse{
			ContainerJSONBase: &container.ContainerJSONBase{
				ID: "abc", Name: "/web", State: state,
				HostConfig: &container.HostConfig{NetworkMode: container.NetworkMode(mode)},
			},
			Config:          &container.Config{Labels: map[string]string{"k": "v"}, ExposedPorts: exposed},
			NetworkSettings: &container.NetworkSettings{NetworkSettingsBase: container.NetworkSettingsBase{Ports: ports}},
		}
	}
	started := "2026-01-02T03:04:05.123456789Z"
	startedAt := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC)
	finishedAt := startedAt.Add(time.Minute)
	zero := "0001-01-01T00:00:00Z"
	tests := []struct {
		name string
		resp container.InspectResponse
		want driver.Status
	}{
		{"running bridge, IPv4 preferred", base(&container.State{Status: "running", Running: true, StartedAt: started, FinishedAt: zero,
			Health: &container.Health{Status: container.Healthy}}, "bridge", nat.PortMap{
			"80/tcp":   {{HostIP: "::", HostPort: "32768"}, {HostIP: "0.0.0.0", HostPort: "32769"}},
			"53/udp":   {{HostIP: "::", HostPort: "5353"}},
			"9000/tcp": nil, // exposed, not published
		}, nil), driver.Status{ID: "abc", Name: "web", Labels: map[string]string{"k": "v"}, Running: true, Health: "healthy",
			StartedAt: startedAt, Ports: []driver.PortBinding{
				{ContainerPort: 53, HostPort: 5353, Protocol: "udp", BindIP: "::"},
				{ContainerPort: 80, HostPort: 32769, Protocol: "tcp", BindIP: "0.0.0.0"},
			}}},
		{"running host", base(&container.State{Status: "running", Running: true, StartedAt: started,
			Health: &container.Health{Status: container.Starting}}, "host", nil, nat.PortSet{"8080/tcp": {}}),
			driver.Status{ID: "abc", Name: "web", Labels: map[string]string{"k": "v"}, Running: true, Health: "starting",
				StartedAt: startedAt, Ports: []driver.PortBinding{{ContainerPort: 8080, HostPort: 8080, Protocol: "tcp"}}}},
		{"exited host: no ports", base(&container.State{Status: "exited", ExitCode: 0, StartedAt: started, FinishedAt: finishedAt.Format(time.RFC3339Nano),
			Health: &container.Health{Status: container.Unhealthy}}, "host", nil, nat.PortSet{"8080/tcp": {}}),
			driver.Status{ID: "abc", Name: "web", Labels: map[string]string{"k": "v"}, ExitCode: ptr(0), Health: "unhealthy",
				StartedAt: startedAt, FinishedAt: finishedAt}},
		{"OOM killed", base(&container.State{Status: "exited", ExitCode: 137, OOMKilled: true, Error: "ignored"}, "bridge", nil, nil),
			driver.Status{ID: "abc", Name: "web", Labels: map[string]string{"k": "v"}, ExitCode: ptr(137), Reason: "OOMKilled"}},
		{"dead with error", base(&container.State{Status: "dead", ExitCode: 128, Error: "boom", Health: &container.Health{Status: container.NoHealthcheck}}, "bridge", nil, nil),
			driver.Status{ID: "abc", Name: "web", Labels: map[string]string{"k": "v"}, ExitCode: ptr(128), Reason: "boom"}},
		{"created: no exit code", base(&container.State{Status: "created", StartedAt: "garbage"}, "", nil, nil),
			driver.Status{ID: "abc", Name: "web", Labels: map[string]string{"k": "v"}}},
		{"no state", base(nil, "bridge", nil, nil), driver.Status{ID: "abc", Name: "web", Labels: map[string]string{"k": "v"}}},
		{"empty", container.InspectResponse{}, driver.Status{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := statusFromInspect(tt.resp); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("statusFromInspect\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestReadJSONStream(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"ok", `{"status":"Pulling"}` + "\n" + `{"stream":"Step 1/3"}`, ""},
		{"empty", "", ""},
		{"error", `{"status":"x"}{"error":"short","errorDetail":{"message":"detailed"}}`, "detailed"},
		{"error only", `{"error":"short"}`, "short"},
		{"garbage", `{"status":`, "read progress stream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := readJSONStream(strings.NewReader(tt.in))
			if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("readJSONStream = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestSeconds(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want int
	}{{0, 0}, {time.Nanosecond, 1}, {time.Second, 1}, {1001 * time.Millisecond, 2}, {30 * time.Second, 30}}
	for _, tt := range tests {
		if got := seconds(tt.in); got != tt.want {
			t.Errorf("seconds(%s) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func ptr[T any](v T) *T { return &v }
