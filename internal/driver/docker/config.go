package docker

import (
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/go-connections/nat"

	"github.com/wharf-dev/wharf/internal/driver"
)

// Defaults applied to a zero field of a spec, as ECS applies them.
const (
	defaultStopTimeout    = 30 * time.Second
	defaultHealthInterval = 30 * time.Second
	defaultHealthTimeout  = 5 * time.Second
	defaultHealthRetries  = 3
)

// minCPUShares is the smallest CPU share Docker accepts.
const minCPUShares = 2

// Network modes a spec may ask for.
const (
	networkBridge = "bridge"
	networkHost   = "host"
	networkNone   = "none"
)

// containerConfig translates spec into Docker's container and host configuration,
// or says precisely which field is invalid.
func containerConfig(spec driver.Spec) (*container.Config, *container.HostConfig, error) {
	if spec.Image == "" {
		return nil, nil, errors.New("image is empty")
	}
	mode := spec.NetworkMode
	if mode == "" {
		mode = networkBridge
	}
	if mode != networkBridge && mode != networkHost && mode != networkNone {
		return nil, nil, fmt.Errorf("network mode %q is not supported: use bridge, host or none", spec.NetworkMode)
	}
	exposed, bindings, err := portConfig(mode, spec.Ports)
	if err != nil {
		return nil, nil, err
	}
	health, err := healthConfig(spec.HealthCheck)
	if err != nil {
		return nil, nil, err
	}
	if spec.CPU < 0 || spec.MemoryMiB < 0 || spec.MemoryReservationMiB < 0 {
		return nil, nil, fmt.Errorf("negative resource limit: cpu %d, memory %d MiB, memory reservation %d MiB",
			spec.CPU, spec.MemoryMiB, spec.MemoryReservationMiB)
	}
	if spec.StopTimeout < 0 {
		return nil, nil, fmt.Errorf("stop timeout %s is negative", spec.StopTimeout)
	}

	stop := spec.StopTimeout
	if stop == 0 {
		stop = defaultStopTimeout
	}
	stopSecs := seconds(stop)

	labels := make(map[string]string, len(spec.Labels)+1)
	for k, v := range spec.Labels {
		labels[k] = v
	}
	labels[driver.LabelManaged] = "true"

	cfg := &container.Config{
		Image:        spec.Image,
		Entrypoint:   spec.EntryPoint,
		Cmd:          spec.Command,
		Env:          environ(mode, spec),
		WorkingDir:   spec.WorkingDir,
		User:         spec.User,
		Labels:       labels,
		ExposedPorts: exposed,
		Healthcheck:  health,
		StopTimeout:  &stopSecs,
	}
	hostCfg := &container.HostConfig{
		NetworkMode:   container.NetworkMode(mode),
		PortBindings:  bindings,
		RestartPolicy: container.RestartPolicy{Name: container.RestartPolicyDisabled},
		AutoRemove:    false,
	}
	if mode == "bridge" {
		// host.docker.internal names the host from inside the container, as on Docker
		// Desktop, so that a task can reach Wharf's endpoint (see HostGateway).
		hostCfg.ExtraHosts = []string{HostAlias + ":host-gateway"}
	}
	if spec.CPU > 0 {
		hostCfg.CPUShares = int64(max(spec.CPU, minCPUShares))
	}
	hostCfg.Memory = int64(spec.MemoryMiB) << 20
	hostCfg.MemoryReservation = int64(spec.MemoryReservationMiB) << 20
	return cfg, hostCfg, nil
}

// environ returns spec.Env as sorted K=V pairs, with PORT added when the spec has
// ports and does not set it (see the package doc).
func environ(mode string, spec driver.Spec) []string {
	env := make([]string, 0, len(spec.Env)+1)
	for k, v := range spec.Env {
		env = append(env, k+"="+v)
	}
	if _, ok := spec.Env["PORT"]; !ok && len(spec.Ports) > 0 {
		first := spec.Ports[0]
		port := first.ContainerPort
		if mode == networkHost && first.HostPort != 0 {
			port = first.HostPort
		}
		env = append(env, "PORT="+strconv.Itoa(port))
	}
	sort.Strings(env)
	return env
}

// portConfig validates the mappings and returns the exposed ports (bridge and host
// modes) and the host bindings (bridge mode only).
func portConfig(mode string, ports []driver.PortMapping) (nat.PortSet, nat.PortMap, error) {
	if len(ports) == 0 || mode == networkNone {
		return nil, nil, nil
	}
	exposed := nat.PortSet{}
	var bindings nat.PortMap
	if mode == networkBridge {
		bindings = nat.PortMap{}
	}
	for i, p := range ports {
		proto := p.Protocol
		if proto == "" {
			proto = "tcp"
		}
		if proto != "tcp" && proto != "udp" {
			return nil, nil, fmt.Errorf("ports[%d]: protocol %q is not tcp or udp", i, p.Protocol)
		}
		if p.ContainerPort < 1 || p.ContainerPort > 65535 {
			return nil, nil, fmt.Errorf("ports[%d]: container port %d is not in 1-65535", i, p.ContainerPort)
		}
		if p.HostPort < 0 || p.HostPort > 65535 {
			return nil, nil, fmt.Errorf("ports[%d]: host port %d is not in 0-65535", i, p.HostPort)
		}
		if mode == networkHost && p.HostPort != 0 && p.HostPort != p.ContainerPort {
			return nil, nil, fmt.Errorf("ports[%d]: in host network mode the host port (%d) must equal the container port (%d)",
				i, p.HostPort, p.ContainerPort)
		}
		port := nat.Port(strconv.Itoa(p.ContainerPort) + "/" + proto)
		if _, dup := exposed[port]; dup {
			return nil, nil, fmt.Errorf("ports[%d]: container port %s is mapped twice", i, port)
		}
		exposed[port] = struct{}{}
		if bindings != nil {
			host := ""
			if p.HostPort != 0 {
				host = strconv.Itoa(p.HostPort)
			}
			bindings[port] = []nat.PortBinding{{HostIP: "", HostPort: host}}
		}
	}
	return exposed, bindings, nil
}

// healthConfig translates an ECS health check into Docker's, with ECS defaults.
func healthConfig(hc *driver.HealthCheck) (*container.HealthConfig, error) {
	if hc == nil {
		return nil, nil
	}
	if len(hc.Command) == 0 {
		return nil, errors.New("health check command is empty")
	}
	switch hc.Command[0] {
	case "CMD":
		if len(hc.Command) < 2 {
			return nil, errors.New("health check command CMD has no program")
		}
	case "CMD-SHELL":
		if len(hc.Command) != 2 {
			return nil, fmt.Errorf("health check command CMD-SHELL takes one shell command, got %d", len(hc.Command)-1)
		}
	default:
		return nil, fmt.Errorf("health check command must start with CMD or CMD-SHELL, not %q", hc.Command[0])
	}
	if hc.Interval < 0 || hc.Timeout < 0 || hc.Retries < 0 || hc.StartPeriod < 0 {
		return nil, errors.New("health check interval, timeout, retries and start period must not be negative")
	}
	cfg := &container.HealthConfig{
		Test:        append([]string(nil), hc.Command...),
		Interval:    hc.Interval,
		Timeout:     hc.Timeout,
		Retries:     hc.Retries,
		StartPeriod: hc.StartPeriod,
	}
	if cfg.Interval == 0 {
		cfg.Interval = defaultHealthInterval
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = defaultHealthTimeout
	}
	if cfg.Retries == 0 {
		cfg.Retries = defaultHealthRetries
	}
	return cfg, nil
}

// statusFromInspect maps Docker's view of a container to a driver.Status.
func statusFromInspect(resp container.InspectResponse) driver.Status {
	var st driver.Status
	if resp.ContainerJSONBase == nil {
		return st
	}
	st.ID = resp.ID
	st.Name = strings.TrimPrefix(resp.Name, "/")
	if resp.Config != nil {
		st.Labels = resp.Config.Labels
	}
	if s := resp.State; s != nil {
		st.Running = s.Running
		if s.Status == container.StateExited || s.Status == container.StateDead {
			code := s.ExitCode
			st.ExitCode = &code
		}
		if s.Health != nil {
			switch s.Health.Status {
			case container.Starting:
				st.Health = driver.HealthStarting
			case container.Healthy:
				st.Health = driver.HealthHealthy
			case container.Unhealthy:
				st.Health = driver.HealthUnhealthy
			}
		}
		st.StartedAt = parseTime(s.StartedAt)
		st.FinishedAt = parseTime(s.FinishedAt)
		switch {
		case s.OOMKilled:
			st.Reason = "OOMKilled"
		case s.Error != "":
			st.Reason = s.Error
		}
	}
	st.Ports = portsFromInspect(resp)
	return st
}

// portsFromInspect returns the bindings Docker made (bridge mode), or the exposed
// ports bound by the program itself (host mode), once per container port, sorted.
func portsFromInspect(resp container.InspectResponse) []driver.PortBinding {
	var out []driver.PortBinding
	if resp.HostConfig != nil && resp.HostConfig.NetworkMode.IsHost() {
		if resp.Config == nil || resp.State == nil || !resp.State.Running {
			return nil
		}
		for port := range resp.Config.ExposedPorts {
			out = append(out, driver.PortBinding{ContainerPort: port.Int(), HostPort: port.Int(), Protocol: port.Proto()})
		}
	} else if resp.NetworkSettings != nil {
		for port, binds := range resp.NetworkSettings.Ports {
			b, ok := preferIPv4(binds)
			if !ok {
				continue
			}
			host, err := strconv.Atoi(b.HostPort)
			if err != nil || host == 0 {
				continue
			}
			out = append(out, driver.PortBinding{ContainerPort: port.Int(), HostPort: host, Protocol: port.Proto(), BindIP: b.HostIP})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].ContainerPort != out[j].ContainerPort {
			return out[i].ContainerPort < out[j].ContainerPort
		}
		return out[i].Protocol < out[j].Protocol
	})
	return out
}

// preferIPv4 picks the binding to report among those of one port: the first IPv4
// one, else the first.
func preferIPv4(binds []nat.PortBinding) (nat.PortBinding, bool) {
	if len(binds) == 0 {
		return nat.PortBinding{}, false
	}
	for _, b := range binds {
		if ip := net.ParseIP(b.HostIP); ip != nil && ip.To4() != nil {
			return b, true
		}
	}
	return binds[0], true
}

// parseTime parses Docker's RFC 3339 timestamps; Docker's zero time and garbage give
// the zero time.
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Year() <= 1 {
		return time.Time{}
	}
	return t
}
