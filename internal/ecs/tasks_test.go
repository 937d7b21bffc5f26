package ecs

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestRunTask(t *testing.T) {
	e := newEnv(t)
	e.node("i-1", 2048, 4096)
	td := e.register("web", 128, true)
	if _, err := e.s.TagResource(e.ctx, &TagResourceInput{ResourceArn: ptr(td.TaskDefinitionArn), Tags: []Tag{{Key: "from", Value: "td"}}}); err != nil {
		t.Fatal(err)
	}
	out, err := e.s.RunTask(e.ctx, &RunTaskInput{
		TaskDefinition: ptr("web:1"), Count: ptr(int32(2)), StartedBy: ptr("ci"), Tags: []Tag{{Key: "run", Value: "1"}},
		PropagateTags: "TASK_DEFINITION",
		Overrides: &TaskOverride{Memory: "1 GB", ContainerOverrides: []ContainerOverride{
			{Name: "app", Environment: []KeyValuePair{{Name: "MODE", Value: "batch"}}, Memory: ptr(int32(256))},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Tasks) != 2 || len(out.Failures) != 0 {
		t.Fatalf("RunTask: %+v", out)
	}
	task := out.Tasks[0]
	arnRE := regexp.MustCompile(`^arn:aws:ecs:us-east-1:000000000000:task/default/[0-9a-f]{32}$`)
	if !arnRE.MatchString(task.TaskArn) || task.ClusterArn != e.s.clusterARN("default") || task.TaskDefinitionArn != td.TaskDefinitionArn ||
		task.LastStatus != StatusProvisioning || task.DesiredStatus != StatusRunning || task.Version != 1 || task.LaunchType != "EC2" ||
		task.Connectivity != "CONNECTED" || task.CreatedAt == nil || task.StartedBy != "ci" || task.Group != "family:web" ||
		!strings.HasPrefix(task.ContainerInstanceArn, "arn:aws:ecs:us-east-1:000000000000:container-instance/default/") || task.Memory != "1024" {
		t.Fatalf("task: %+v", task)
	}
	_, id := clusterAndID(task.TaskArn)
	c := task.Containers[0]
	if !strings.HasPrefix(c.ContainerArn, "arn:aws:ecs:us-east-1:000000000000:container/default/"+id+"/") || c.LastStatus != StatusPending ||
		c.Name != "app" || c.Image != "process:/bin/app" || c.Memory != "256" || c.HealthStatus != "UNKNOWN" || c.TaskArn != task.TaskArn {
		t.Fatalf("container: %+v", c)
	}
	if ov := task.Overrides; len(ov.ContainerOverrides) != 1 || ov.ContainerOverrides[0].Environment[0].Value != "batch" || ov.Memory != "1 GB" {
		t.Fatalf("overrides: %+v", ov)
	}
	if !slices.Equal(task.Tags, []Tag{{Key: "from", Value: "td"}, {Key: "run", Value: "1"}}) {
		t.Fatalf("tags: %+v", task.Tags)
	}
	// Task-level memory override (1 GB) is what the tasks reserve.
	ci := e.instance("default")
	if mem := ci.RemainingResources[1]; mem.Name != "MEMORY" || mem.IntegerValue != 4096-2*1024 {
		t.Fatalf("remaining memory: %+v", ci.RemainingResources)
	}
}

// instance describes the only container instance of a cluster.
func (e *env) instance(cluster string) ContainerInstance {
	e.t.Helper()
	l, err := e.s.ListContainerInstances(e.ctx, &ListContainerInstancesInput{Cluster: ptr(cluster)})
	if err != nil || len(l.ContainerInstanceArns) != 1 {
		e.t.Fatalf("ListContainerInstances: %+v %v", l, err)
	}
	d, err := e.s.DescribeContainerInstances(e.ctx, &DescribeContainerInstancesInput{Cluster: ptr(cluster), ContainerInstances: l.ContainerInstanceArns})
	if err != nil {
		e.t.Fatal(err)
	}
	return d.ContainerInstances[0]
}

func TestRunTaskErrors(t *testing.T) {
	e := newEnv(t)
	e.register("web", 128, false)
	_, err := e.s.RunTask(e.ctx, &RunTaskInput{TaskDefinition: ptr("web")})
	wantAPIError(t, err, "ClusterNotFoundException", "Cluster not found.")
	if _, err := e.s.CreateCluster(e.ctx, &CreateClusterInput{}); err != nil {
		t.Fatal(err)
	}
	_, err = e.s.RunTask(e.ctx, &RunTaskInput{TaskDefinition: ptr("web")})
	wantAPIError(t, err, "InvalidParameterException", "No Container Instances were found in your cluster.")
	e.node("i-1", 1024, 1024)
	tests := []struct {
		name string
		in   RunTaskInput
		code string
		msg  string
	}{
		{"no task definition", RunTaskInput{}, "InvalidParameterException", "TaskDefinition can not be blank."},
		{"unknown task definition", RunTaskInput{TaskDefinition: ptr("nope")}, "ClientException", "TaskDefinition not found."},
		{"count 0", RunTaskInput{TaskDefinition: ptr("web"), Count: ptr(int32(0))}, "InvalidParameterException", "count must be between 1 and 10, got 0"},
		{"count 11", RunTaskInput{TaskDefinition: ptr("web"), Count: ptr(int32(11))}, "InvalidParameterException", "count must be between 1 and 10, got 11"},
		{"unknown container override", RunTaskInput{TaskDefinition: ptr("web"), Overrides: &TaskOverride{ContainerOverrides: []ContainerOverride{{Name: "db"}}}},
			"InvalidParameterException", "Override for container named db is not a container in the TaskDefinition."},
		{"bad memory override", RunTaskInput{TaskDefinition: ptr("web"), Overrides: &TaskOverride{Memory: "lots"}}, "InvalidParameterException", "overrides.memory"},
		{"long startedBy", RunTaskInput{TaskDefinition: ptr("web"), StartedBy: ptr(strings.Repeat("x", 129))}, "InvalidParameterException", "startedBy can be at most 128"},
		{"launch type", RunTaskInput{TaskDefinition: ptr("web"), LaunchType: "LAMBDA"}, "InvalidParameterException", "launchType must be"},
		{"propagate service", RunTaskInput{TaskDefinition: ptr("web"), PropagateTags: "SERVICE"}, "InvalidParameterException", "propagateTags must be TASK_DEFINITION or NONE"},
		{"reserved tag", RunTaskInput{TaskDefinition: ptr("web"), Tags: []Tag{{Key: "aws:x"}}}, "InvalidParameterException", "reserved for AWS use"},
		{"unknown cluster", RunTaskInput{Cluster: ptr("arn:aws:ecs:us-east-1:000000000000:cluster/nope"), TaskDefinition: ptr("web")}, "ClusterNotFoundException", "Cluster not found."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.s.RunTask(e.ctx, &tt.in)
			wantAPIError(t, err, tt.code, tt.msg)
		})
	}
}

func TestRunTaskPlacementFailures(t *testing.T) {
	e := newEnv(t)
	e.node("i-1", 1024, 512)
	e.register("web", 200, false, PortMapping{ContainerPort: ptr(int32(80)), HostPort: ptr(int32(8080))})
	out, err := e.s.RunTask(e.ctx, &RunTaskInput{TaskDefinition: ptr("web"), Count: ptr(int32(3))})
	if err != nil {
		t.Fatal(err)
	}
	inst := e.instance("default").ContainerInstanceArn
	// The second task wants host port 8080 too.
	if len(out.Tasks) != 1 || !slices.Equal(out.Failures, []Failure{{Arn: inst, Reason: "RESOURCE:PORTS"}}) {
		t.Fatalf("RunTask: %d tasks, failures %+v", len(out.Tasks), out.Failures)
	}
	e.register("big", 400, false)
	out, err = e.s.RunTask(e.ctx, &RunTaskInput{TaskDefinition: ptr("big")})
	if err != nil || len(out.Tasks) != 0 || !slices.Equal(out.Failures, []Failure{{Arn: inst, Reason: "RESOURCE:MEMORY"}}) {
		t.Fatalf("RunTask big: %+v %v", out, err)
	}
	cpu := &RegisterTaskDefinitionInput{Family: ptr("cpu"), Cpu: ptr("2 vCPU"), Memory: ptr("64"), ContainerDefinitions: []ContainerDefinition{{Name: "c", Image: "i"}}}
	if _, err := e.s.RegisterTaskDefinition(e.ctx, cpu); err != nil {
		t.Fatal(err)
	}
	out, err = e.s.RunTask(e.ctx, &RunTaskInput{TaskDefinition: ptr("cpu")})
	if err != nil || len(out.Tasks) != 0 || !slices.Equal(out.Failures, []Failure{{Arn: inst, Reason: "RESOURCE:CPU"}}) {
		t.Fatalf("RunTask cpu: %+v %v", out, err)
	}
	// Once the first task stops, its port and memory are free again.
	if _, err := e.s.StopTask(e.ctx, &StopTaskInput{Task: ptr(e.tasks("default", StatusRunning)[0].TaskArn)}); err != nil {
		t.Fatal(err)
	}
	e.agent("i-1").step()
	out, err = e.s.RunTask(e.ctx, &RunTaskInput{TaskDefinition: ptr("web")})
	if err != nil || len(out.Tasks) != 1 {
		t.Fatalf("RunTask after the stop: %+v %v", out, err)
	}
}

func TestStopDescribeAndListTasks(t *testing.T) {
	e := newEnv(t)
	e.node("i-1", 4096, 8192)
	e.register("web", 64, false)
	e.register("batch", 64, false)
	run := func(in RunTaskInput) []Task {
		t.Helper()
		out, err := e.s.RunTask(e.ctx, &in)
		if err != nil {
			t.Fatal(err)
		}
		return out.Tasks
	}
	web := run(RunTaskInput{TaskDefinition: ptr("web"), Count: ptr(int32(3)), Tags: []Tag{{Key: "k", Value: "v"}}})
	batch := run(RunTaskInput{TaskDefinition: ptr("batch"), StartedBy: ptr("cron"), LaunchType: "FARGATE"})

	out, err := e.s.StopTask(e.ctx, &StopTaskInput{Task: ptr(web[0].TaskArn)})
	if err != nil {
		t.Fatal(err)
	}
	if out.Task.StoppedReason != "Task stopped by user" || out.Task.StopCode != StopCodeUserInitiated || out.Task.Version != 2 {
		t.Fatalf("StopTask without reason: %+v", out.Task)
	}
	_, id := clusterAndID(web[1].TaskArn)
	if _, err := e.s.StopTask(e.ctx, &StopTaskInput{Task: ptr(id), Reason: ptr("done")}); err != nil {
		t.Fatalf("StopTask by id: %v", err)
	}
	again, err := e.s.StopTask(e.ctx, &StopTaskInput{Task: ptr(id), Reason: ptr("twice")})
	if err != nil || again.Task.StoppedReason != "done" {
		t.Fatalf("stopping twice: %+v %v", again, err)
	}
	stopErrs := []struct {
		in   StopTaskInput
		code string
		msg  string
	}{
		{StopTaskInput{}, "InvalidParameterException", "task is required"},
		{StopTaskInput{Task: ptr("0123")}, "InvalidParameterException", "The referenced task was not found."},
		{StopTaskInput{Task: ptr(strings.Replace(web[2].TaskArn, "/default/", "/other/", 1))}, "InvalidParameterException", "The referenced task was not found."},
		{StopTaskInput{Task: ptr(web[2].TaskArn), Reason: ptr(strings.Repeat("r", 256))}, "InvalidParameterException", "reason can be at most 255"},
		{StopTaskInput{Cluster: ptr("nope"), Task: ptr(web[2].TaskArn)}, "ClusterNotFoundException", "Cluster not found."},
	}
	for _, tt := range stopErrs {
		_, err := e.s.StopTask(e.ctx, &tt.in)
		wantAPIError(t, err, tt.code, tt.msg)
	}

	d, err := e.s.DescribeTasks(e.ctx, &DescribeTasksInput{Tasks: []string{web[2].TaskArn, "ffff", batch[0].TaskArn}, Include: []string{"TAGS"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Tasks) != 2 || len(d.Failures) != 1 || d.Failures[0].Arn != e.s.taskARN("default", "ffff") || d.Failures[0].Reason != "MISSING" {
		t.Fatalf("DescribeTasks: %+v", d)
	}
	if !slices.Equal(d.Tasks[0].Tags, []Tag{{Key: "k", Value: "v"}}) || d.Tasks[1].Tags == nil {
		t.Fatalf("tags with include TAGS: %+v / %+v", d.Tasks[0].Tags, d.Tasks[1].Tags)
	}
	_, err = e.s.DescribeTasks(e.ctx, &DescribeTasksInput{})
	wantAPIError(t, err, "InvalidParameterException", "tasks cannot be empty")
	_, err = e.s.DescribeTasks(e.ctx, &DescribeTasksInput{Cluster: ptr("nope"), Tasks: []string{"x"}})
	wantAPIError(t, err, "ClusterNotFoundException", "Cluster not found.")

	list := func(in ListTasksInput) []string {
		t.Helper()
		var arns []string
		for {
			out, err := e.s.ListTasks(e.ctx, &in)
			if err != nil {
				t.Fatal(err)
			}
			arns = append(arns, out.TaskArns...)
			if out.NextToken == nil {
				slices.Sort(arns)
				return arns
			}
			in.NextToken = out.NextToken
		}
	}
	arns := func(ts ...Task) []string {
		var out []string
		for _, t := range ts {
			out = append(out, t.TaskArn)
		}
		slices.Sort(out)
		return out
	}
	inst := e.instance("default").ContainerInstanceArn
	_, instID := clusterAndID(inst)
	tests := []struct {
		name string
		in   ListTasksInput
		want []string
	}{
		{"default is RUNNING", ListTasksInput{}, arns(web[2], batch[0])},
		{"paged", ListTasksInput{MaxResults: ptr(int32(1))}, arns(web[2], batch[0])},
		{"stopped", ListTasksInput{DesiredStatus: StatusStopped}, arns(web[0], web[1])},
		{"pending is empty", ListTasksInput{DesiredStatus: StatusPending}, nil},
		{"family", ListTasksInput{Family: ptr("batch")}, arns(batch[0])},
		{"startedBy", ListTasksInput{StartedBy: ptr("cron")}, arns(batch[0])},
		{"launch type", ListTasksInput{LaunchType: "FARGATE"}, arns(batch[0])},
		{"container instance ARN", ListTasksInput{ContainerInstance: ptr(inst)}, arns(web[2], batch[0])},
		{"container instance id", ListTasksInput{ContainerInstance: ptr(instID), Family: ptr("web")}, arns(web[2])},
		{"other instance", ListTasksInput{ContainerInstance: ptr("0000")}, nil},
		{"service", ListTasksInput{ServiceName: ptr("web")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := list(tt.in); !slices.Equal(got, tt.want) {
				t.Fatalf("ListTasks = %v, want %v", got, tt.want)
			}
		})
	}
	_, err = e.s.ListTasks(e.ctx, &ListTasksInput{DesiredStatus: "DONE"})
	wantAPIError(t, err, "InvalidParameterException", "desiredStatus must be RUNNING, PENDING or STOPPED")

	// Stopped tasks stay describable for an hour after they stop.
	e.agent("i-1").step()
	e.clock.Advance(59 * time.Minute)
	e.reconcile()
	if got := list(ListTasksInput{DesiredStatus: StatusStopped}); len(got) != 2 {
		t.Fatalf("%d stopped tasks after 59 minutes, want 2", len(got))
	}
	e.clock.Advance(time.Minute)
	e.reconcile()
	if got := list(ListTasksInput{DesiredStatus: StatusStopped}); len(got) != 0 {
		t.Fatalf("%d stopped tasks after an hour, want 0", len(got))
	}
	d, err = e.s.DescribeTasks(e.ctx, &DescribeTasksInput{Tasks: []string{web[0].TaskArn}})
	if err != nil || len(d.Failures) != 1 {
		t.Fatalf("a forgotten task: %+v %v", d, err)
	}
}

func TestContainerInstances(t *testing.T) {
	e := newEnv(t)
	e.node("i-1", 2048, 4096)
	if _, err := e.s.CreateCluster(e.ctx, &CreateClusterInput{ClusterName: ptr("other")}); err != nil {
		t.Fatal(err)
	}
	e.register("web", 512, false, PortMapping{ContainerPort: ptr(int32(80)), HostPort: ptr(int32(8080))},
		PortMapping{ContainerPort: ptr(int32(53)), HostPort: ptr(int32(5353)), Protocol: "udp"})
	if _, err := e.s.RunTask(e.ctx, &RunTaskInput{TaskDefinition: ptr("web")}); err != nil {
		t.Fatal(err)
	}
	host := &RegisterTaskDefinitionInput{Family: ptr("host"), NetworkMode: "host", ContainerDefinitions: []ContainerDefinition{
		{Name: "c", Image: "i", Cpu: 256, MemoryReservation: ptr(int32(100)), PortMappings: []PortMapping{{ContainerPort: ptr(int32(9000))}}},
	}}
	if _, err := e.s.RegisterTaskDefinition(e.ctx, host); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.RunTask(e.ctx, &RunTaskInput{Cluster: ptr("other"), TaskDefinition: ptr("host")}); err != nil {
		t.Fatal(err)
	}
	e.agent("i-1").step()
	e.agent("i-1").step()
	ci := e.instance("default")
	// The node is shared: the remaining resources count the tasks of both clusters,
	// the task counts only this cluster's.
	want := []Resource{
		{Name: "CPU", Type: "INTEGER", IntegerValue: 2048 - 256},
		{Name: "MEMORY", Type: "INTEGER", IntegerValue: 4096 - 512 - 100},
		{Name: "PORTS", Type: "STRINGSET", StringSetValue: []string{"8080", "9000"}},
		{Name: "PORTS_UDP", Type: "STRINGSET", StringSetValue: []string{"5353"}},
	}
	if !slices.EqualFunc(ci.RemainingResources, want, func(a, b Resource) bool {
		return a.Name == b.Name && a.Type == b.Type && a.IntegerValue == b.IntegerValue && slices.Equal(a.StringSetValue, b.StringSetValue)
	}) {
		t.Fatalf("remaining resources:\n got %+v\nwant %+v", ci.RemainingResources, want)
	}
	if ci.RunningTasksCount != 1 || ci.PendingTasksCount != 0 {
		t.Fatalf("task counts: running %d pending %d", ci.RunningTasksCount, ci.PendingTasksCount)
	}
	_, id := clusterAndID(ci.ContainerInstanceArn)
	d, err := e.s.DescribeContainerInstances(e.ctx, &DescribeContainerInstancesInput{ContainerInstances: []string{id, "nope"}, Include: []string{"TAGS"}})
	if err != nil || len(d.ContainerInstances) != 1 || d.ContainerInstances[0].Tags == nil || len(d.Failures) != 1 || d.Failures[0].Reason != "MISSING" {
		t.Fatalf("DescribeContainerInstances: %+v %v", d, err)
	}
	_, err = e.s.DescribeContainerInstances(e.ctx, &DescribeContainerInstancesInput{})
	wantAPIError(t, err, "InvalidParameterException", "containerInstances cannot be empty")
	_, err = e.s.ListContainerInstances(e.ctx, &ListContainerInstancesInput{Filter: ptr("attribute:ecs.os-type == linux")})
	wantAPIError(t, err, "UnsupportedFeatureException", "cluster query language")
	_, err = e.s.ListContainerInstances(e.ctx, &ListContainerInstancesInput{Status: "GONE"})
	wantAPIError(t, err, "InvalidParameterException", "status must be")
	if l, err := e.s.ListContainerInstances(e.ctx, &ListContainerInstancesInput{Status: "DRAINING"}); err != nil || len(l.ContainerInstanceArns) != 0 {
		t.Fatalf("DRAINING instances: %+v %v", l, err)
	}
	_, err = e.s.ListContainerInstances(e.ctx, &ListContainerInstancesInput{Cluster: ptr("nope")})
	wantAPIError(t, err, "ClusterNotFoundException", "Cluster not found.")
}
