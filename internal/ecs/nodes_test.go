package ecs

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestRegisterNodeCreatesTheDefaultCluster(t *testing.T) {
	e := newEnv(t)
	if _, err := e.s.CreateCluster(e.ctx, &CreateClusterInput{ClusterName: ptr("before")}); err != nil {
		t.Fatal(err)
	}
	e.node("i-1", 2048, 4096)
	l, err := e.s.ListClusters(e.ctx, &ListClustersInput{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(l.ClusterArns, e.s.clusterARN("default")) {
		t.Fatalf("no default cluster: %v", l.ClusterArns)
	}
	// A cluster made later gets the known nodes too.
	if _, err := e.s.CreateCluster(e.ctx, &CreateClusterInput{ClusterName: ptr("after")}); err != nil {
		t.Fatal(err)
	}
	arns := map[string]string{}
	for _, c := range []string{"default", "before", "after"} {
		li, err := e.s.ListContainerInstances(e.ctx, &ListContainerInstancesInput{Cluster: ptr(c)})
		if err != nil {
			t.Fatal(err)
		}
		if len(li.ContainerInstanceArns) != 1 || !strings.HasPrefix(li.ContainerInstanceArns[0], "arn:aws:ecs:us-east-1:000000000000:container-instance/"+c+"/") {
			t.Fatalf("instances of %s: %v", c, li.ContainerInstanceArns)
		}
		arns[c] = li.ContainerInstanceArns[0]
	}
	d, err := e.s.DescribeContainerInstances(e.ctx, &DescribeContainerInstancesInput{ContainerInstances: []string{arns["default"]}})
	if err != nil {
		t.Fatal(err)
	}
	ci := d.ContainerInstances[0]
	if ci.Ec2InstanceId != "i-1" || ci.Status != "ACTIVE" || !ci.AgentConnected || ci.Version != 1 || ci.VersionInfo.AgentVersion != "1.0" ||
		!reflect.DeepEqual(ci.RegisteredResources[:2], []Resource{{Name: "CPU", Type: "INTEGER", IntegerValue: 2048}, {Name: "MEMORY", Type: "INTEGER", IntegerValue: 4096}}) {
		t.Fatalf("container instance: %+v", ci)
	}

	// Registering again keeps the instances; a change bumps their version.
	e.node("i-1", 2048, 4096)
	e.node("i-1", 4096, 4096)
	d, err = e.s.DescribeContainerInstances(e.ctx, &DescribeContainerInstancesInput{ContainerInstances: []string{arns["default"]}})
	if err != nil {
		t.Fatal(err)
	}
	if ci := d.ContainerInstances[0]; ci.Version != 2 || ci.RegisteredResources[0].IntegerValue != 4096 {
		t.Fatalf("re-registered instance: version %d resources %+v", ci.Version, ci.RegisteredResources)
	}
	li, err := e.s.ListContainerInstances(e.ctx, &ListContainerInstancesInput{})
	if err != nil || len(li.ContainerInstanceArns) != 1 {
		t.Fatalf("instances after re-registering: %v %v", li, err)
	}
	if err := e.s.RegisterNode(e.ctx, NodeInfo{}); err == nil {
		t.Fatal("a node without an id was registered")
	}
	if err := e.s.RegisterNode(e.ctx, NodeInfo{NodeID: "x", CPU: -1}); err == nil {
		t.Fatal("a node with negative CPU was registered")
	}
}

func TestNodeTasksAndReports(t *testing.T) {
	e := newEnv(t)
	e.node("i-1", 2048, 4096)
	e.node("i-2", 2048, 1024)
	td := e.register("web", 2048, false)
	run, err := e.s.RunTask(e.ctx, &RunTaskInput{TaskDefinition: ptr("web"), Overrides: &TaskOverride{
		ContainerOverrides: []ContainerOverride{{Name: "app", Command: []string{"serve"}}},
	}})
	if err != nil || len(run.Tasks) != 1 {
		t.Fatalf("RunTask: %+v %v", run, err)
	}
	task := run.Tasks[0]
	nts, err := e.s.NodeTasks(e.ctx, "i-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(nts) != 1 || nts[0].Task.TaskArn != task.TaskArn || nts[0].TaskDefinition.TaskDefinitionArn != td.TaskDefinitionArn {
		t.Fatalf("NodeTasks(i-1) = %+v", nts)
	}
	if nts[0].TaskDefinition.ContainerDefinitions[0].Command != nil || nts[0].Task.Overrides.ContainerOverrides[0].Command[0] != "serve" {
		t.Fatal("NodeTasks merged the overrides into the task definition")
	}
	if other, err := e.s.NodeTasks(e.ctx, "i-2"); err != nil || len(other) != 0 {
		t.Fatalf("NodeTasks(i-2) = %+v %v", other, err)
	}

	t0 := e.clock.Now()
	report := func(r TaskReport) Task {
		t.Helper()
		r.TaskArn = task.TaskArn
		if err := e.s.ReportTask(e.ctx, r); err != nil {
			t.Fatal(err)
		}
		d, err := e.s.DescribeTasks(e.ctx, &DescribeTasksInput{Tasks: []string{task.TaskArn}})
		if err != nil {
			t.Fatal(err)
		}
		return d.Tasks[0]
	}
	got := report(TaskReport{LastStatus: StatusPending, PullStartedAt: &t0})
	if got.LastStatus != StatusPending || got.Version != 2 || !got.PullStartedAt.Equal(t0) {
		t.Fatalf("after PENDING: %+v", got)
	}
	if again := report(TaskReport{LastStatus: StatusPending}); again.Version != 2 {
		t.Fatalf("a report that changes nothing bumped the version to %d", again.Version)
	}
	e.clock.Advance(time.Second)
	got = report(TaskReport{LastStatus: StatusRunning, HealthStatus: "HEALTHY", Containers: []ContainerReport{{
		Name: "app", RuntimeID: "abc", LastStatus: StatusRunning, HealthStatus: "HEALTHY",
		NetworkBindings: []NetworkBinding{{BindIP: "0.0.0.0", ContainerPort: ptr(int32(80)), HostPort: ptr(int32(32768)), Protocol: "tcp"}},
	}, {Name: "unknown", LastStatus: StatusRunning}}})
	c := got.Containers[0]
	if got.LastStatus != StatusRunning || got.HealthStatus != "HEALTHY" || got.StartedAt == nil || c.RuntimeId != "abc" || c.LastStatus != StatusRunning ||
		len(c.NetworkBindings) != 1 || *c.NetworkBindings[0].HostPort != 32768 || len(got.Containers) != 1 {
		t.Fatalf("after RUNNING: %+v", got)
	}
	got = report(TaskReport{LastStatus: StatusStopped, StopCode: StopCodeEssentialContainerExited, StoppedReason: "Essential container in task exited",
		Containers: []ContainerReport{{Name: "app", ExitCode: ptr(int32(2)), Reason: "boom"}}})
	if got.LastStatus != StatusStopped || got.DesiredStatus != StatusStopped || got.StopCode != StopCodeEssentialContainerExited || got.StoppedAt == nil ||
		got.StoppingAt == nil || deref(got.Containers[0].ExitCode) != 2 || got.Containers[0].LastStatus != StatusStopped {
		t.Fatalf("after STOPPED: %+v", got)
	}
	// STOPPED is final; stopped tasks leave the node's list.
	if got = report(TaskReport{LastStatus: StatusRunning}); got.LastStatus != StatusStopped {
		t.Fatalf("a stopped task went back to %s", got.LastStatus)
	}
	if nts, _ := e.s.NodeTasks(e.ctx, "i-1"); len(nts) != 0 {
		t.Fatalf("NodeTasks lists a stopped task: %+v", nts)
	}

	// Errors: no ARN, a malformed ARN; an unknown task is dropped quietly.
	if err := e.s.ReportTask(e.ctx, TaskReport{}); err == nil {
		t.Fatal("a report without a task ARN was accepted")
	}
	if err := e.s.ReportTask(e.ctx, TaskReport{TaskArn: "arn:aws:ecs:eu-west-1:000000000000:task/default/x"}); err == nil {
		t.Fatal("a report for another region was accepted")
	}
	if err := e.s.ReportTask(e.ctx, TaskReport{TaskArn: e.s.taskARN("default", "0123"), LastStatus: StatusRunning}); err != nil {
		t.Fatalf("a report about an unknown task: %v", err)
	}
}

func TestStopRequestedKeepsItsStopCode(t *testing.T) {
	e := newEnv(t)
	e.node("i-1", 2048, 4096)
	e.register("web", 128, false)
	run, err := e.s.RunTask(e.ctx, &RunTaskInput{TaskDefinition: ptr("web")})
	if err != nil {
		t.Fatal(err)
	}
	arn := run.Tasks[0].TaskArn
	e.agent("i-1").step()
	out, err := e.s.StopTask(e.ctx, &StopTaskInput{Task: ptr(arn), Reason: ptr("maintenance")})
	if err != nil {
		t.Fatal(err)
	}
	if out.Task.DesiredStatus != StatusStopped || out.Task.StopCode != StopCodeUserInitiated || out.Task.StoppedReason != "maintenance" || out.Task.StoppingAt == nil {
		t.Fatalf("StopTask: %+v", out.Task)
	}
	if err := e.s.ReportTask(e.ctx, TaskReport{TaskArn: arn, LastStatus: StatusStopped, StopCode: StopCodeEssentialContainerExited, StoppedReason: "exited"}); err != nil {
		t.Fatal(err)
	}
	d, _ := e.s.DescribeTasks(e.ctx, &DescribeTasksInput{Tasks: []string{arn}})
	if st := d.Tasks[0]; st.StopCode != StopCodeUserInitiated || st.StoppedReason != "maintenance" {
		t.Fatalf("stop code %s reason %q after the agent's report", st.StopCode, st.StoppedReason)
	}
}
