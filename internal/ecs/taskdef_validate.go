package ecs

import (
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Limits of task definitions, as ECS documents them.
const (
	maxContainers         = 10
	minContainerMemoryMiB = 6
)

var validLogDrivers = []string{"json-file", "syslog", "journald", "gelf", "fluentd", "awslogs", "splunk", "awsfirelens", "none", "local"}

// parseTaskCPU parses a task-level cpu: CPU units ("256") or vCPUs ("0.25 vCPU").
func parseTaskCPU(s string) (int32, bool) {
	v := strings.ToLower(strings.TrimSpace(s))
	if num, ok := strings.CutSuffix(v, "vcpu"); ok {
		return scaledUnits(num, 1024)
	}
	return scaledUnits(v, 1)
}

// parseTaskMemory parses a task-level memory: MiB ("512") or GB ("1 GB", "1GB").
func parseTaskMemory(s string) (int32, bool) {
	v := strings.ToLower(strings.TrimSpace(s))
	if num, ok := strings.CutSuffix(v, "gb"); ok {
		return scaledUnits(num, 1024)
	}
	return scaledUnits(v, 1)
}

func scaledUnits(num string, unit float64) (int32, bool) {
	num = strings.TrimSpace(num)
	if num == "" {
		return 0, false
	}
	if unit == 1 {
		n, err := strconv.ParseInt(num, 10, 32)
		if err != nil || n <= 0 {
			return 0, false
		}
		return int32(n), true
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f <= 0 || math.IsInf(f, 0) || f*unit > math.MaxInt32 {
		return 0, false
	}
	n := int32(math.Round(f * unit))
	return n, n > 0
}

// buildTaskDefinition validates a RegisterTaskDefinition input and returns the task
// definition with ECS's defaults filled in (family, revision and times are left to the
// caller).
func buildTaskDefinition(in *RegisterTaskDefinitionInput) (TaskDefinition, error) {
	td := TaskDefinition{
		Family:                  deref(in.Family),
		NetworkMode:             in.NetworkMode,
		TaskRoleArn:             deref(in.TaskRoleArn),
		ExecutionRoleArn:        deref(in.ExecutionRoleArn),
		RequiresCompatibilities: in.RequiresCompatibilities,
		Volumes:                 in.Volumes,
		PlacementConstraints:    in.PlacementConstraints,
		Status:                  "ACTIVE",
	}
	if td.Family == "" {
		return td, errClient("Family should not be null or empty.")
	}
	if !validName(td.Family) {
		return td, errClient("Invalid family '%s': %s.", td.Family, nameRule)
	}
	switch td.NetworkMode {
	case "", "bridge", "host", "awsvpc", "none":
	default:
		return td, errClient("Invalid networkMode '%s': valid values are bridge, host, awsvpc and none.", td.NetworkMode)
	}
	var taskCPU, taskMem int32
	if c := deref(in.Cpu); c != "" {
		n, ok := parseTaskCPU(c)
		if !ok {
			return td, errClient("Invalid 'cpu' setting for task: '%s' is neither CPU units (\"256\") nor vCPUs (\"0.25 vCPU\").", c)
		}
		taskCPU, td.Cpu = n, strconv.Itoa(int(n))
	}
	if m := deref(in.Memory); m != "" {
		n, ok := parseTaskMemory(m)
		if !ok {
			return td, errClient("Invalid 'memory' setting for task: '%s' is neither MiB (\"512\") nor GB (\"1 GB\").", m)
		}
		taskMem, td.Memory = n, strconv.Itoa(int(n))
	}
	td.Compatibilities = []string{"EC2"}
	for _, c := range td.RequiresCompatibilities {
		switch c {
		case "EC2", "EXTERNAL", "MANAGED_INSTANCES":
		case "FARGATE":
			if td.NetworkMode != "awsvpc" {
				return td, errClient("Fargate only supports network mode 'awsvpc'.")
			}
			if taskCPU == 0 {
				return td, errClient("Fargate requires that 'cpu' be defined at the task level.")
			}
			if taskMem == 0 {
				return td, errClient("Fargate requires that 'memory' be defined at the task level.")
			}
		default:
			return td, errClient("Invalid requiresCompatibilities value '%s': valid values are EC2, FARGATE, EXTERNAL and MANAGED_INSTANCES.", c)
		}
		if !slices.Contains(td.Compatibilities, c) {
			td.Compatibilities = append(td.Compatibilities, c)
		}
	}
	if td.NetworkMode == "awsvpc" && taskCPU > 0 && taskMem > 0 && !slices.Contains(td.Compatibilities, "FARGATE") {
		td.Compatibilities = append(td.Compatibilities, "FARGATE")
	}
	if td.Volumes == nil {
		td.Volumes = []any{}
	}
	if td.PlacementConstraints == nil {
		td.PlacementConstraints = []any{}
	}
	containers, err := buildContainers(in.ContainerDefinitions, td.NetworkMode, taskCPU, taskMem)
	if err != nil {
		return td, err
	}
	td.ContainerDefinitions = containers
	return td, nil
}

// buildContainers validates container definitions and fills in their defaults.
func buildContainers(defs []ContainerDefinition, networkMode string, taskCPU, taskMem int32) ([]ContainerDefinition, error) {
	if len(defs) == 0 {
		return nil, errClient("Container list cannot be empty.")
	}
	if len(defs) > maxContainers {
		return nil, errClient("Too many containers: a task definition can have at most %d, got %d.", maxContainers, len(defs))
	}
	out := make([]ContainerDefinition, len(defs))
	names := map[string]int{}
	type fixedPort struct {
		port  int32
		proto string
	}
	usedPorts := map[fixedPort]string{}
	essentials := 0
	for i, c := range defs {
		if c.Name == "" {
			return nil, errClient("Container.name should not be null or empty.")
		}
		if !validName(c.Name) {
			return nil, errClient("Invalid container name '%s': %s.", c.Name, nameRule)
		}
		if _, dup := names[c.Name]; dup {
			return nil, errClient("Duplicate container name '%s': container names must be unique within a task definition.", c.Name)
		}
		names[c.Name] = i
		if strings.TrimSpace(c.Image) == "" {
			return nil, errClient("Container.image should not be null or empty.")
		}
		if c.Cpu < 0 {
			return nil, errClient("Invalid 'cpu' setting for container '%s': it must not be negative.", c.Name)
		}
		if taskCPU > 0 && c.Cpu > taskCPU {
			return nil, errClient("Invalid 'cpu' setting for container '%s': %d is more than the task's cpu %d.", c.Name, c.Cpu, taskCPU)
		}
		if c.Memory == nil && c.MemoryReservation == nil && taskMem == 0 {
			return nil, errClient("Invalid setting for container '%s'. At least one of 'memory' or 'memoryReservation' must be specified.", c.Name)
		}
		if c.Memory != nil && *c.Memory < minContainerMemoryMiB {
			return nil, errClient("Invalid 'memory' setting for container '%s': the minimum is %d MiB, got %d.", c.Name, minContainerMemoryMiB, *c.Memory)
		}
		if c.MemoryReservation != nil && *c.MemoryReservation < minContainerMemoryMiB {
			return nil, errClient("Invalid 'memoryReservation' setting for container '%s': the minimum is %d MiB, got %d.", c.Name, minContainerMemoryMiB, *c.MemoryReservation)
		}
		if c.Memory != nil && c.MemoryReservation != nil && *c.MemoryReservation > *c.Memory {
			return nil, errClient("Invalid setting for container '%s'. 'memoryReservation' (%d) must be less than or equal to 'memory' (%d).", c.Name, *c.MemoryReservation, *c.Memory)
		}
		for _, m := range []*int32{c.Memory, c.MemoryReservation} {
			if m != nil && taskMem > 0 && *m > taskMem {
				return nil, errClient("Invalid setting for container '%s'. Its memory (%d MiB) is more than the task's memory (%d MiB).", c.Name, *m, taskMem)
			}
		}
		if c.StopTimeout != nil && *c.StopTimeout < 0 {
			return nil, errClient("Invalid 'stopTimeout' setting for container '%s': it must not be negative.", c.Name)
		}
		if c.StartTimeout != nil && *c.StartTimeout < 0 {
			return nil, errClient("Invalid 'startTimeout' setting for container '%s': it must not be negative.", c.Name)
		}
		if c.Essential == nil {
			c.Essential = ptr(true)
		}
		if *c.Essential {
			essentials++
		}
		if c.Environment == nil {
			c.Environment = []KeyValuePair{}
		}
		if c.MountPoints == nil {
			c.MountPoints = []MountPoint{}
		}
		if c.VolumesFrom == nil {
			c.VolumesFrom = []VolumeFrom{}
		}
		pms, err := buildPortMappings(c.Name, c.PortMappings, networkMode)
		if err != nil {
			return nil, err
		}
		for _, pm := range pms {
			if *pm.HostPort == 0 {
				continue
			}
			k := fixedPort{*pm.HostPort, pm.Protocol}
			if other, dup := usedPorts[k]; dup {
				return nil, errClient("Invalid port mapping for container '%s': host port %d/%s is already used by container '%s'.", c.Name, k.port, k.proto, other)
			}
			usedPorts[k] = c.Name
		}
		c.PortMappings = pms
		if c.HealthCheck != nil {
			hc, err := buildHealthCheck(c.Name, *c.HealthCheck)
			if err != nil {
				return nil, err
			}
			c.HealthCheck = &hc
		}
		if lc := c.LogConfiguration; lc != nil && !slices.Contains(validLogDrivers, lc.LogDriver) {
			return nil, errClient("Invalid logConfiguration for container '%s': log driver '%s' is not one of %s.", c.Name, lc.LogDriver, strings.Join(validLogDrivers, ", "))
		}
		if lc := c.LogConfiguration; lc != nil && lc.LogDriver == "awslogs" {
			if err := validateAwslogs(lc.Options); err != nil {
				return nil, err
			}
		}
		for j, sec := range c.Secrets {
			if sec.Name == "" || sec.ValueFrom == "" {
				return nil, errClient("Invalid secret %d of container '%s': name and valueFrom are required.", j, c.Name)
			}
		}
		out[i] = c
	}
	if essentials == 0 {
		return nil, errClient("Invalid task definition: at least one container must be essential.")
	}
	if err := checkDependencies(out, names); err != nil {
		return nil, err
	}
	return out, nil
}

// buildPortMappings validates a container's port mappings and fills in defaults: tcp,
// and the host port (the container port in host and awsvpc modes, 0 (dynamic) in bridge).
func buildPortMappings(container string, pms []PortMapping, networkMode string) ([]PortMapping, error) {
	out := make([]PortMapping, 0, len(pms))
	if len(pms) > 0 && networkMode == "none" {
		return nil, errClient("Invalid port mapping for container '%s': port mappings are not allowed in the 'none' network mode.", container)
	}
	for _, pm := range pms {
		cp := deref(pm.ContainerPort)
		if cp < 1 || cp > 65535 {
			return nil, errClient("Invalid port mapping for container '%s': containerPort must be between 1 and 65535, got %d.", container, cp)
		}
		switch pm.Protocol {
		case "":
			pm.Protocol = "tcp"
		case "tcp", "udp":
		default:
			return nil, errClient("Invalid port mapping for container '%s': protocol must be tcp or udp, got '%s'.", container, pm.Protocol)
		}
		switch networkMode {
		case "host", "awsvpc":
			if pm.HostPort == nil {
				pm.HostPort = ptr(cp)
			} else if *pm.HostPort != cp {
				return nil, errClient("Invalid port mapping for container '%s': in the %s network mode hostPort must be left out or equal to containerPort (%d), got %d.", container, networkMode, cp, *pm.HostPort)
			}
		default:
			if pm.HostPort == nil {
				pm.HostPort = ptr(int32(0))
			}
			if hp := *pm.HostPort; hp < 0 || hp > 65535 {
				return nil, errClient("Invalid port mapping for container '%s': hostPort must be between 0 and 65535, got %d.", container, hp)
			}
		}
		pm.ContainerPort = ptr(cp)
		out = append(out, pm)
	}
	return out, nil
}

// buildHealthCheck validates a container health check and fills in ECS's defaults.
func buildHealthCheck(container string, hc HealthCheck) (HealthCheck, error) {
	if len(hc.Command) == 0 {
		return hc, errClient("Invalid healthCheck for container '%s': command cannot be empty.", container)
	}
	switch hc.Command[0] {
	case "NONE":
	case "CMD", "CMD-SHELL":
		if len(hc.Command) < 2 {
			return hc, errClient("Invalid healthCheck for container '%s': %s must be followed by the command to run.", container, hc.Command[0])
		}
	default:
		return hc, errClient("Invalid healthCheck for container '%s': command must start with CMD, CMD-SHELL or NONE, got '%s'.", container, hc.Command[0])
	}
	check := func(field string, v **int32, lo, hi, def int32, hasDefault bool) error {
		if *v == nil {
			if hasDefault {
				*v = ptr(def)
			}
			return nil
		}
		if **v < lo || **v > hi {
			return errClient("Invalid healthCheck for container '%s': %s must be between %d and %d seconds, got %d.", container, field, lo, hi, **v)
		}
		return nil
	}
	if err := check("interval", &hc.Interval, 5, 300, 30, true); err != nil {
		return hc, err
	}
	if err := check("timeout", &hc.Timeout, 2, 120, 5, true); err != nil {
		return hc, err
	}
	if hc.Retries != nil && (*hc.Retries < 1 || *hc.Retries > 10) {
		return hc, errClient("Invalid healthCheck for container '%s': retries must be between 1 and 10, got %d.", container, *hc.Retries)
	}
	if hc.Retries == nil {
		hc.Retries = ptr(int32(3))
	}
	if err := check("startPeriod", &hc.StartPeriod, 0, 300, 0, false); err != nil {
		return hc, err
	}
	return hc, nil
}

// checkDependencies validates the dependsOn of every container: known targets, valid
// conditions, health checks behind HEALTHY, no cycles.
func checkDependencies(cs []ContainerDefinition, names map[string]int) error {
	for _, c := range cs {
		for _, d := range c.DependsOn {
			switch d.Condition {
			case "START", "COMPLETE", "SUCCESS", "HEALTHY":
			default:
				return errClient("Invalid dependsOn for container '%s': condition must be START, COMPLETE, SUCCESS or HEALTHY, got '%s'.", c.Name, d.Condition)
			}
			j, ok := names[d.ContainerName]
			if !ok {
				return errClient("Invalid dependsOn for container '%s': container '%s' is not defined in the task definition.", c.Name, d.ContainerName)
			}
			if d.ContainerName == c.Name {
				return errClient("Invalid dependsOn for container '%s': a container cannot depend on itself.", c.Name)
			}
			target := cs[j]
			if d.Condition == "HEALTHY" && target.HealthCheck == nil {
				return errClient("Invalid dependsOn for container '%s': condition HEALTHY needs a healthCheck on container '%s'.", c.Name, target.Name)
			}
			if (d.Condition == "COMPLETE" || d.Condition == "SUCCESS") && deref(target.Essential) {
				return errClient("Invalid dependsOn for container '%s': condition %s cannot be set on the essential container '%s'.", c.Name, d.Condition, target.Name)
			}
		}
	}
	// Depth-first search for a cycle.
	state := make([]int, len(cs)) // 0 unvisited, 1 on the path, 2 done
	var visit func(i int) string
	visit = func(i int) string {
		state[i] = 1
		for _, d := range cs[i].DependsOn {
			j := names[d.ContainerName]
			if state[j] == 1 {
				return cs[j].Name
			}
			if state[j] == 0 {
				if n := visit(j); n != "" {
					return n
				}
			}
		}
		state[i] = 2
		return ""
	}
	for i := range cs {
		if state[i] == 0 {
			if n := visit(i); n != "" {
				return errClient("Invalid dependsOn: the dependencies of container '%s' form a cycle.", n)
			}
		}
	}
	return nil
}

// validateAwslogs checks the options of the awslogs log driver as ECS does at
// registration (the agent checks the rest when the container is created).
func validateAwslogs(opts map[string]string) error {
	if strings.TrimSpace(opts["awslogs-group"]) == "" {
		return errClient("Log driver awslogs option 'awslogs-group' should not be null or empty.")
	}
	if v, ok := opts["awslogs-create-group"]; ok && v != "true" {
		return errClient("Log driver awslogs option 'awslogs-create-group' should only be set to 'true', else omit option.")
	}
	mode, hasMode := opts["mode"]
	if hasMode && mode != "blocking" && mode != "non-blocking" {
		return errClient("Log driver awslogs option 'mode' must be 'blocking' or 'non-blocking', not '%s'.", mode)
	}
	if _, ok := opts["max-buffer-size"]; ok && hasMode && mode == "blocking" {
		return errClient("Log driver awslogs option 'max-buffer-size' is valid only with 'mode' set to 'non-blocking'.")
	}
	if p, ok := opts["awslogs-multiline-pattern"]; ok {
		if _, err := regexp.Compile(p); err != nil {
			return errClient("Log driver awslogs option 'awslogs-multiline-pattern' is not a valid regular expression: %v.", err)
		}
	}
	return nil
}
