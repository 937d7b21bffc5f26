package agent

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/driver"
	"github.com/wharf-dev/wharf/internal/ecs"
)

// ProcessImagePrefix marks an image that runs as a host process: "process:/abs/path".
const ProcessImagePrefix = "process:"

// Drivers are the runtimes a node has. Process is always there; Docker is nil when no
// engine answers (or when the node was told not to use one), and DockerMissing says why.
type Drivers struct {
	Process       driver.Driver
	Docker        driver.Driver
	DockerMissing error
}

// For returns the driver that runs image, or a *driver.StartError saying why none can.
func (d Drivers) For(image string) (driver.Driver, error) {
	if strings.HasPrefix(image, ProcessImagePrefix) {
		return d.Process, nil
	}
	if d.Docker != nil {
		return d.Docker, nil
	}
	why := "no Docker engine is in use"
	if d.DockerMissing != nil {
		why = d.DockerMissing.Error()
	}
	return nil, &driver.StartError{
		Reason: driver.CannotPullContainerError,
		Err: fmt.Errorf("pull image %q: %s; start a Docker engine (dockerd, or systemctl start docker) and restart wharf with --driver auto or docker, or run a host binary with the image \"process:/absolute/path\"",
			image, why),
	}
}

func (d Drivers) all() []driver.Driver {
	out := []driver.Driver{d.Process}
	if d.Docker != nil {
		out = append(out, d.Docker)
	}
	return out
}

// containerSpec builds the driver spec of one container of a task.
func (a *Agent) containerSpec(t ecs.Task, td ecs.TaskDefinition, cd ecs.ContainerDefinition) driver.Spec {
	env := map[string]string{}
	for _, kv := range cd.Environment {
		env[kv.Name] = kv.Value
	}
	command := cd.Command
	cpu := int(cd.Cpu)
	mem, memRes := deref(cd.Memory), deref(cd.MemoryReservation)
	if t.Overrides != nil {
		for _, o := range t.Overrides.ContainerOverrides {
			if o.Name != cd.Name {
				continue
			}
			for _, kv := range o.Environment {
				env[kv.Name] = kv.Value
			}
			if len(o.Command) > 0 {
				command = o.Command
			}
			if o.Cpu != nil {
				cpu = int(*o.Cpu)
			}
			if o.Memory != nil {
				mem = int(*o.Memory)
			}
			if o.MemoryReservation != nil {
				memRes = int(*o.MemoryReservation)
			}
		}
	}
	// awsvpc gives each ECS task a network of its own; here tasks share the node's, so
	// an awsvpc task runs in bridge mode with every port mapped to a dynamic host port
	// (the control plane reserves no host port for it), and two of them never collide.
	networkMode := td.NetworkMode
	awsvpc := networkMode == "awsvpc"
	if awsvpc {
		networkMode = "bridge"
	}
	// Every task can reach Wharf with unmodified SDK code. A Docker container in bridge
	// mode has a loopback of its own, so it gets the endpoint that reaches the host.
	env["AWS_ENDPOINT_URL"] = a.cfg.Endpoint
	if a.cfg.DockerEndpoint != "" && !strings.HasPrefix(cd.Image, ProcessImagePrefix) && (networkMode == "" || networkMode == "bridge") {
		env["AWS_ENDPOINT_URL"] = a.cfg.DockerEndpoint
	}
	env["AWS_REGION"] = a.cfg.Region
	env["AWS_DEFAULT_REGION"] = a.cfg.Region
	env["ECS_CONTAINER_METADATA_TASK_ARN"] = t.TaskArn

	spec := driver.Spec{
		Name:        runtimeName(t.TaskArn, cd.Name),
		Image:       cd.Image,
		EntryPoint:  cd.EntryPoint,
		Command:     command,
		Env:         env,
		WorkingDir:  cd.WorkingDirectory,
		User:        cd.User,
		NetworkMode: networkMode,
		CPU:         cpu,
		MemoryMiB:   mem,
		Labels: map[string]string{
			driver.LabelManaged:   "true",
			driver.LabelTaskARN:   t.TaskArn,
			driver.LabelContainer: cd.Name,
			driver.LabelCluster:   t.ClusterArn,
		},
		MemoryReservationMiB: memRes,
		StopTimeout:          stopTimeout(cd),
	}
	for k, v := range cd.DockerLabels {
		if _, taken := spec.Labels[k]; !taken {
			spec.Labels[k] = v
		}
	}
	for _, pm := range cd.PortMappings {
		hostPort := deref(pm.HostPort)
		if awsvpc {
			hostPort = 0
		}
		spec.Ports = append(spec.Ports, driver.PortMapping{
			ContainerPort: deref(pm.ContainerPort),
			HostPort:      hostPort,
			Protocol:      pm.Protocol,
		})
	}
	if hc := cd.HealthCheck; hc != nil && len(hc.Command) > 0 && hc.Command[0] != "NONE" {
		spec.HealthCheck = &driver.HealthCheck{
			Command:     hc.Command,
			Interval:    seconds(hc.Interval, 30),
			Timeout:     seconds(hc.Timeout, 5),
			Retries:     int(derefOr(hc.Retries, 3)),
			StartPeriod: seconds(hc.StartPeriod, 0),
		}
	}
	return spec
}

// runtimeName is the unique name of a container in its runtime.
func runtimeName(taskArn, container string) string {
	return "wharf-" + taskID(taskArn) + "-" + container
}

// taskID is the last path element of a task ARN.
func taskID(taskArn string) string {
	if i := strings.LastIndexByte(taskArn, '/'); i >= 0 {
		return taskArn[i+1:]
	}
	return taskArn
}

func stopTimeout(cd ecs.ContainerDefinition) time.Duration {
	return seconds(cd.StopTimeout, 30)
}

func seconds(v *int32, def int32) time.Duration {
	return time.Duration(derefOr(v, def)) * time.Second
}

func deref(v *int32) int { return int(derefOr(v, 0)) }

func derefOr(v *int32, def int32) int32 {
	if v == nil {
		return def
	}
	return *v
}

// essential reports whether a container definition is essential (the default).
func essential(cd ecs.ContainerDefinition) bool { return cd.Essential == nil || *cd.Essential }

// bindings converts driver port bindings to ECS network bindings, in a stable order.
func bindings(ports []driver.PortBinding) []ecs.NetworkBinding {
	out := make([]ecs.NetworkBinding, 0, len(ports))
	for _, p := range ports {
		cp, hp := int32(p.ContainerPort), int32(p.HostPort)
		proto := p.Protocol
		if proto == "" {
			proto = "tcp"
		}
		ip := p.BindIP
		if ip == "" {
			ip = "0.0.0.0"
		}
		out = append(out, ecs.NetworkBinding{BindIP: ip, ContainerPort: &cp, HostPort: &hp, Protocol: proto})
	}
	sort.Slice(out, func(i, j int) bool { return *out[i].ContainerPort < *out[j].ContainerPort })
	return out
}

// startReason is the ECS reason text of a start failure.
func startReason(err error) string {
	var se *driver.StartError
	if errors.As(err, &se) {
		return se.Error()
	}
	return driver.CannotStartContainerError + ": " + err.Error()
}
