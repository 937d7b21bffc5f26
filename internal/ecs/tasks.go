package ecs

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/scheduler"
	"github.com/wharf-dev/wharf/internal/store"
)

// RunTaskInput is the input of RunTask.
type RunTaskInput struct {
	Cluster                  *string                        `json:"cluster,omitempty"`
	TaskDefinition           *string                        `json:"taskDefinition,omitempty"`
	Count                    *int32                         `json:"count,omitempty"`
	Group                    *string                        `json:"group,omitempty"`
	StartedBy                *string                        `json:"startedBy,omitempty"`
	LaunchType               string                         `json:"launchType,omitempty"`
	Overrides                *TaskOverride                  `json:"overrides,omitempty"`
	Tags                     []Tag                          `json:"tags,omitempty"`
	PropagateTags            string                         `json:"propagateTags,omitempty"`
	EnableECSManagedTags     bool                           `json:"enableECSManagedTags,omitempty"`
	EnableExecuteCommand     bool                           `json:"enableExecuteCommand,omitempty"`
	NetworkConfiguration     *NetworkConfiguration          `json:"networkConfiguration,omitempty"`
	PlacementConstraints     []PlacementConstraint          `json:"placementConstraints,omitempty"`
	PlacementStrategy        []PlacementStrategy            `json:"placementStrategy,omitempty"`
	CapacityProviderStrategy []CapacityProviderStrategyItem `json:"capacityProviderStrategy,omitempty"`
	PlatformVersion          *string                        `json:"platformVersion,omitempty"`
	ClientToken              *string                        `json:"clientToken,omitempty"`
	ReferenceId              *string                        `json:"referenceId,omitempty"`
}

// RunTaskOutput is the output of RunTask.
type RunTaskOutput struct {
	Tasks    []Task    `json:"tasks"`
	Failures []Failure `json:"failures"`
}

// StopTaskInput is the input of StopTask.
type StopTaskInput struct {
	Cluster *string `json:"cluster,omitempty"`
	Task    *string `json:"task,omitempty"`
	Reason  *string `json:"reason,omitempty"`
}

// StopTaskOutput is the output of StopTask.
type StopTaskOutput struct {
	Task *Task `json:"task,omitempty"`
}

// DescribeTasksInput is the input of DescribeTasks.
type DescribeTasksInput struct {
	Cluster *string  `json:"cluster,omitempty"`
	Tasks   []string `json:"tasks,omitempty"`
	Include []string `json:"include,omitempty"` // TAGS
}

// DescribeTasksOutput is the output of DescribeTasks.
type DescribeTasksOutput struct {
	Tasks    []Task    `json:"tasks"`
	Failures []Failure `json:"failures"`
}

// ListTasksInput is the input of ListTasks.
type ListTasksInput struct {
	Cluster           *string `json:"cluster,omitempty"`
	ContainerInstance *string `json:"containerInstance,omitempty"`
	Family            *string `json:"family,omitempty"`
	StartedBy         *string `json:"startedBy,omitempty"`
	ServiceName       *string `json:"serviceName,omitempty"`
	DesiredStatus     string  `json:"desiredStatus,omitempty"` // RUNNING (default), PENDING, STOPPED
	LaunchType        string  `json:"launchType,omitempty"`
	MaxResults        *int32  `json:"maxResults,omitempty"`
	NextToken         *string `json:"nextToken,omitempty"`
}

// ListTasksOutput is the output of ListTasks.
type ListTasksOutput struct {
	TaskArns  []string `json:"taskArns"`
	NextToken *string  `json:"nextToken,omitempty"`
}

// launchSpec describes the tasks to start for RunTask or a service deployment.
type launchSpec struct {
	cluster    string
	td         taskDefRecord
	overrides  *TaskOverride
	startedBy  string
	group      string
	launchType string
	service    string
	tags       []Tag
	// loadBalancers are the service's, kept with each task.
	loadBalancers []LoadBalancer
}

// RunTask starts count (1 to 10) tasks of a task definition, placed on the cluster's
// container instances. Tasks that do not fit are reported in failures with the missing
// resource.
func (s *Service) RunTask(ctx context.Context, in *RunTaskInput) (*RunTaskOutput, error) {
	count := int32(1)
	if in.Count != nil {
		count = *in.Count
	}
	if count < 1 || count > 10 {
		return nil, errInvalid("count must be between 1 and 10, got %d.", count)
	}
	if n := len(deref(in.StartedBy)); n > 128 {
		return nil, errInvalid("startedBy can be at most 128 characters long, got %d.", n)
	}
	if n := len(deref(in.Group)); n > 255 {
		return nil, errInvalid("group can be at most 255 characters long, got %d.", n)
	}
	if err := validateLaunchType(in.LaunchType); err != nil {
		return nil, err
	}
	switch in.PropagateTags {
	case "", "NONE", "TASK_DEFINITION":
	default:
		return nil, errInvalid("propagateTags must be TASK_DEFINITION or NONE for RunTask, got '%s'.", in.PropagateTags)
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	cluster, err := s.clusterName(in.Cluster)
	if err != nil {
		return nil, err
	}
	out := &RunTaskOutput{Tasks: []Task{}, Failures: []Failure{}}
	err = s.update(ctx, func(tx *store.Tx) error {
		if _, err := activeCluster(tx, cluster); err != nil {
			return err
		}
		td, err := s.usableTaskDef(tx, deref(in.TaskDefinition))
		if err != nil {
			return err
		}
		if err := validateOverrides(td.Def, in.Overrides); err != nil {
			return err
		}
		spec := launchSpec{
			cluster:    cluster,
			td:         td,
			overrides:  in.Overrides,
			startedBy:  deref(in.StartedBy),
			group:      deref(in.Group),
			launchType: in.LaunchType,
			tags:       in.Tags,
		}
		if spec.group == "" {
			spec.group = "family:" + td.Def.Family
		}
		if in.PropagateTags == "TASK_DEFINITION" {
			spec.tags = mergeTags(td.Tags, in.Tags)
		}
		if len(spec.tags) > maxTags {
			return errInvalid("Too many tags: the task would have %d and a resource can have at most %d.", len(spec.tags), maxTags)
		}
		p, err := s.newPlacer(tx, cluster)
		if err != nil {
			return err
		}
		if len(p.instances) == 0 {
			return errInvalid("No Container Instances were found in your cluster.")
		}
		for range count {
			rec, failures, err := s.launch(tx, p, spec)
			if err != nil {
				return err
			}
			for _, f := range failures {
				if !slices.Contains(out.Failures, f) {
					out.Failures = append(out.Failures, f)
				}
			}
			if rec != nil {
				out.Tasks = append(out.Tasks, rec.Task)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func validateLaunchType(lt string) error {
	switch lt {
	case "", "EC2", "FARGATE", "EXTERNAL", "MANAGED_INSTANCES":
		return nil
	}
	return errInvalid("launchType must be EC2, FARGATE, EXTERNAL or MANAGED_INSTANCES, got '%s'.", lt)
}

// validateOverrides checks that overrides name containers of td and carry valid values.
func validateOverrides(td TaskDefinition, ov *TaskOverride) error {
	if ov == nil {
		return nil
	}
	if ov.Cpu != "" {
		if _, ok := parseTaskCPU(ov.Cpu); !ok {
			return errInvalid("overrides.cpu: '%s' is neither CPU units (\"256\") nor vCPUs (\"0.25 vCPU\").", ov.Cpu)
		}
	}
	if ov.Memory != "" {
		if _, ok := parseTaskMemory(ov.Memory); !ok {
			return errInvalid("overrides.memory: '%s' is neither MiB (\"512\") nor GB (\"1 GB\").", ov.Memory)
		}
	}
	for _, co := range ov.ContainerOverrides {
		if !slices.ContainsFunc(td.ContainerDefinitions, func(c ContainerDefinition) bool { return c.Name == co.Name }) {
			return errInvalid("Override for container named %s is not a container in the TaskDefinition.", co.Name)
		}
		for field, v := range map[string]*int32{"cpu": co.Cpu, "memory": co.Memory, "memoryReservation": co.MemoryReservation} {
			if v != nil && *v < 0 {
				return errInvalid("Override for container named %s: %s must not be negative.", co.Name, field)
			}
		}
	}
	return nil
}

// containerOverride returns the override for a container, if any.
func containerOverride(ov *TaskOverride, name string) *ContainerOverride {
	if ov == nil {
		return nil
	}
	for i := range ov.ContainerOverrides {
		if ov.ContainerOverrides[i].Name == name {
			return &ov.ContainerOverrides[i]
		}
	}
	return nil
}

// demandOf computes what a task reserves: the task-level cpu and memory when set (or
// overridden), else the sum over its containers (memory: the hard limit, else the
// reservation); and its fixed host ports.
func demandOf(td TaskDefinition, ov *TaskOverride) taskDemand {
	var d taskDemand
	taskCPU, taskMem := td.Cpu, td.Memory
	if ov != nil && ov.Cpu != "" {
		taskCPU = ov.Cpu
	}
	if ov != nil && ov.Memory != "" {
		taskMem = ov.Memory
	}
	var sumCPU, sumMem int32
	for _, c := range td.ContainerDefinitions {
		cpu, mem, res := c.Cpu, c.Memory, c.MemoryReservation
		if co := containerOverride(ov, c.Name); co != nil {
			if co.Cpu != nil {
				cpu = *co.Cpu
			}
			if co.Memory != nil {
				mem = co.Memory
			}
			if co.MemoryReservation != nil {
				res = co.MemoryReservation
			}
		}
		sumCPU += cpu
		switch {
		case mem != nil:
			sumMem += *mem
		case res != nil:
			sumMem += *res
		}
		for _, pm := range c.PortMappings {
			switch td.NetworkMode {
			case "awsvpc", "none":
				// Each awsvpc task has a network of its own; none binds nothing.
			case "host":
				d.Ports = append(d.Ports, hostPort{Port: deref(pm.ContainerPort), Protocol: pm.Protocol})
			default:
				if hp := deref(pm.HostPort); hp != 0 {
					d.Ports = append(d.Ports, hostPort{Port: hp, Protocol: pm.Protocol})
				}
			}
		}
	}
	d.CPU, d.MemoryMiB = sumCPU, sumMem
	if n, ok := parseTaskCPU(taskCPU); ok {
		d.CPU = n
	}
	if n, ok := parseTaskMemory(taskMem); ok {
		d.MemoryMiB = n
	}
	return d
}

func (d taskDemand) scheduler() scheduler.Demand {
	out := scheduler.Demand{CPU: d.CPU, MemoryMiB: d.MemoryMiB}
	for _, p := range d.Ports {
		out.Ports = append(out.Ports, scheduler.Port{Number: p.Port, Protocol: p.Protocol})
	}
	return out
}

// placer is the placement snapshot of one cluster inside a transaction. Resources are
// counted per node: a node is an instance of every cluster, and the tasks of all
// clusters share it.
type placer struct {
	instances []scheduler.Instance
	allocs    []scheduler.Allocation
	nodeOf    map[string]string // instance ARN → node id
}

func (s *Service) newPlacer(tx *store.Tx, cluster string) (*placer, error) {
	instances, err := instancesOf(tx, cluster)
	if err != nil {
		return nil, err
	}
	p := &placer{nodeOf: map[string]string{}}
	instanceOfNode := map[string]string{}
	for _, r := range instances {
		if r.Instance.Status != "ACTIVE" {
			continue
		}
		inst := schedulerInstance(r.Instance)
		p.instances = append(p.instances, inst)
		p.nodeOf[inst.ID] = r.NodeID
		instanceOfNode[r.NodeID] = inst.ID
	}
	tasks, err := tasksOf(tx, "")
	if err != nil {
		return nil, err
	}
	for _, t := range tasks {
		if id, ok := instanceOfNode[t.NodeID]; ok && t.live() {
			p.allocs = append(p.allocs, scheduler.Allocation{InstanceID: id, Demand: t.Demand.scheduler()})
		}
	}
	return p, nil
}

// launch places and stores one task. It returns the task, or the placement failures
// when no instance can take it.
func (s *Service) launch(tx *store.Tx, p *placer, spec launchSpec) (*taskRecord, []Failure, error) {
	demand := demandOf(spec.td.Def, spec.overrides)
	id, failed := scheduler.Place(p.instances, p.allocs, demand.scheduler())
	if id == "" {
		failures := make([]Failure, len(failed))
		for i, f := range failed {
			failures[i] = Failure{Arn: f.InstanceID, Reason: f.Reason}
		}
		return nil, failures, nil
	}
	p.allocs = append(p.allocs, scheduler.Allocation{InstanceID: id, Demand: demand.scheduler()})
	rec := &taskRecord{
		Task:          s.buildTask(spec, id, s.now()),
		NodeID:        p.nodeOf[id],
		Service:       spec.service,
		Demand:        demand,
		LoadBalancers: slices.Clone(spec.loadBalancers),
	}
	if err := putTask(tx, rec); err != nil {
		return nil, nil, err
	}
	return rec, nil, nil
}

// buildTask makes a new task, PROVISIONING on instance.
func (s *Service) buildTask(spec launchSpec, instance string, now time.Time) Task {
	id := newID()
	td := spec.td.Def
	t := Task{
		TaskArn:              s.taskARN(spec.cluster, id),
		ClusterArn:           s.clusterARN(spec.cluster),
		TaskDefinitionArn:    td.TaskDefinitionArn,
		ContainerInstanceArn: instance,
		Overrides:            &TaskOverride{ContainerOverrides: []ContainerOverride{}},
		LastStatus:           StatusProvisioning,
		DesiredStatus:        StatusRunning,
		HealthStatus:         "UNKNOWN",
		Cpu:                  td.Cpu,
		Memory:               td.Memory,
		StartedBy:            spec.startedBy,
		Group:                spec.group,
		LaunchType:           spec.launchType,
		Version:              1,
		Connectivity:         "CONNECTED",
		ConnectivityAt:       ptr(now),
		CreatedAt:            ptr(now),
		Tags:                 slices.Clone(spec.tags),
	}
	if t.LaunchType == "" {
		t.LaunchType = "EC2"
	}
	if ov := spec.overrides; ov != nil {
		t.Overrides.Cpu, t.Overrides.Memory = ov.Cpu, ov.Memory
		t.Overrides.TaskRoleArn, t.Overrides.ExecutionRoleArn = ov.TaskRoleArn, ov.ExecutionRoleArn
		if ov.Cpu != "" {
			n, _ := parseTaskCPU(ov.Cpu)
			t.Cpu = strconv.Itoa(int(n))
		}
		if ov.Memory != "" {
			n, _ := parseTaskMemory(ov.Memory)
			t.Memory = strconv.Itoa(int(n))
		}
	}
	for _, c := range td.ContainerDefinitions {
		co := ContainerOverride{Name: c.Name}
		if given := containerOverride(spec.overrides, c.Name); given != nil {
			co = *given
		}
		t.Overrides.ContainerOverrides = append(t.Overrides.ContainerOverrides, co)
		ctr := Container{
			ContainerArn: s.containerARN(spec.cluster, id),
			TaskArn:      t.TaskArn,
			Name:         c.Name,
			Image:        c.Image,
			LastStatus:   StatusPending,
			Cpu:          strconv.Itoa(int(c.Cpu)),
		}
		if co.Cpu != nil {
			ctr.Cpu = strconv.Itoa(int(*co.Cpu))
		}
		if m := cmpOr(co.Memory, c.Memory); m != nil {
			ctr.Memory = strconv.Itoa(int(*m))
		}
		if m := cmpOr(co.MemoryReservation, c.MemoryReservation); m != nil {
			ctr.MemoryReservation = strconv.Itoa(int(*m))
		}
		if c.HealthCheck != nil {
			ctr.HealthStatus = "UNKNOWN"
		}
		t.Containers = append(t.Containers, ctr)
	}
	return t
}

// cmpOr returns the first non-nil pointer.
func cmpOr[T any](ps ...*T) *T {
	for _, p := range ps {
		if p != nil {
			return p
		}
	}
	return nil
}

// StopTask asks for a task to stop: its desired status becomes STOPPED and the agent
// running it stops it. A service task registered in target groups is first
// DEACTIVATING: it is deregistered, and stopped once its targets have drained.
func (s *Service) StopTask(ctx context.Context, in *StopTaskInput) (*StopTaskOutput, error) {
	if deref(in.Task) == "" {
		return nil, errInvalid("task is required.")
	}
	if n := len(deref(in.Reason)); n > 255 {
		return nil, errInvalid("reason can be at most 255 characters long, got %d.", n)
	}
	cluster, err := s.clusterName(in.Cluster)
	if err != nil {
		return nil, err
	}
	var out Task
	err = s.update(ctx, func(tx *store.Tx) error {
		if _, err := activeCluster(tx, cluster); err != nil {
			return err
		}
		id, ok := s.childName("task", cluster, *in.Task)
		var rec taskRecord
		found := false
		if ok {
			if found, err = get(tx, bucketTasks, childKey(cluster, id), &rec); err != nil {
				return err
			}
		}
		if !found {
			return errInvalid("The referenced task was not found.")
		}
		reason := deref(in.Reason)
		if reason == "" {
			reason = "Task stopped by user"
		}
		if s.stopTask(&rec, StopCodeUserInitiated, reason) {
			if err := putTask(tx, &rec); err != nil {
				return err
			}
		}
		out = rec.Task
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &StopTaskOutput{Task: &out}, nil
}

// stopTask sets a task's desired status to STOPPED with a stop code and reason; it
// reports whether the task changed. A task registered in target groups is DEACTIVATING
// first: its targets are deregistered and drain while its containers keep running.
func (s *Service) stopTask(rec *taskRecord, code, reason string) bool {
	t := &rec.Task
	if t.DesiredStatus == StatusStopped || t.LastStatus == StatusStopped {
		return false
	}
	t.DesiredStatus = StatusStopped
	t.StopCode = code
	t.StoppedReason = reason
	t.StoppingAt = ptr(s.now())
	rec.deactivate()
	t.Version++
	return true
}

// DescribeTasks describes tasks by id or ARN; unknown ones are failures with reason
// MISSING. Tags come with include TAGS.
func (s *Service) DescribeTasks(ctx context.Context, in *DescribeTasksInput) (*DescribeTasksOutput, error) {
	if err := checkBatch("tasks", len(in.Tasks), 100); err != nil {
		return nil, err
	}
	inc, err := includes("include", in.Include, "TAGS")
	if err != nil {
		return nil, err
	}
	cluster, err := s.clusterName(in.Cluster)
	if err != nil {
		return nil, err
	}
	out := &DescribeTasksOutput{Tasks: []Task{}, Failures: []Failure{}}
	err = s.view(ctx, func(tx *store.Tx) error {
		if found, err := get(tx, bucketClusters, cluster, &Cluster{}); err != nil {
			return err
		} else if !found {
			return errClusterNotFound()
		}
		for _, ref := range in.Tasks {
			id, ok := s.childName("task", cluster, ref)
			var rec taskRecord
			found := false
			if ok {
				if found, err = get(tx, bucketTasks, childKey(cluster, id), &rec); err != nil {
					return err
				}
			}
			if !found {
				out.Failures = append(out.Failures, Failure{Arn: s.childARN("task", cluster, ref), Reason: "MISSING"})
				continue
			}
			out.Tasks = append(out.Tasks, taskView(rec.Task, inc["TAGS"]))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// taskView returns a task as the API shows it; tags only when asked.
func taskView(t Task, tags bool) Task {
	if !tags {
		t.Tags = nil
	} else if t.Tags == nil {
		t.Tags = []Tag{}
	}
	return t
}

// ListTasks lists the ARNs of a cluster's tasks, filtered by container instance,
// family, startedBy, service, desired status (RUNNING by default) and launch type.
func (s *Service) ListTasks(ctx context.Context, in *ListTasksInput) (*ListTasksOutput, error) {
	desired := in.DesiredStatus
	switch desired {
	case "":
		desired = StatusRunning
	case StatusRunning, StatusPending, StatusStopped:
	default:
		return nil, errInvalid("desiredStatus must be RUNNING, PENDING or STOPPED, got '%s'.", desired)
	}
	if err := validateLaunchType(in.LaunchType); err != nil {
		return nil, err
	}
	cluster, err := s.clusterName(in.Cluster)
	if err != nil {
		return nil, err
	}
	var instanceID string
	if ref := deref(in.ContainerInstance); ref != "" {
		id, ok := s.childName("container-instance", cluster, ref)
		if !ok {
			return nil, errInvalid("containerInstance '%s' is not a container instance id or ARN of cluster %s.", ref, cluster)
		}
		instanceID = id
	}
	family := deref(in.Family)
	var serviceName *string
	if ref := in.ServiceName; ref != nil {
		name, ok := s.childName("service", cluster, *ref)
		if !ok {
			name = *ref // matches nothing
		}
		serviceName = &name
	}
	var keys, arns []string
	err = s.view(ctx, func(tx *store.Tx) error {
		if found, err := get(tx, bucketClusters, cluster, &Cluster{}); err != nil {
			return err
		} else if !found {
			return errClusterNotFound()
		}
		tasks, err := tasksOf(tx, cluster)
		if err != nil {
			return err
		}
		for _, r := range tasks {
			t := r.Task
			switch {
			case t.DesiredStatus != desired,
				instanceID != "" && !strings.HasSuffix(t.ContainerInstanceArn, "/"+instanceID),
				family != "" && !strings.Contains(t.TaskDefinitionArn, ":task-definition/"+family+":"),
				in.StartedBy != nil && t.StartedBy != *in.StartedBy,
				serviceName != nil && r.Service != *serviceName,
				in.LaunchType != "" && t.LaunchType != in.LaunchType:
				continue
			}
			_, id := clusterAndID(t.TaskArn)
			keys = append(keys, id)
			arns = append(arns, t.TaskArn)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	lo, hi, next, err := page(keys, false, in.NextToken, in.MaxResults, 100)
	if err != nil {
		return nil, err
	}
	return &ListTasksOutput{TaskArns: append([]string{}, arns[lo:hi]...), NextToken: next}, nil
}
