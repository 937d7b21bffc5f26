package ecs

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/store"
)

// records returns the task records of a service, straight from the store.
func (e *env) records(cluster, name string) []taskRecord {
	e.t.Helper()
	var out []taskRecord
	err := e.db.View(func(tx *store.Tx) error {
		var err error
		out, err = serviceTasks(tx, cluster, name)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

func (e *env) createService(name string, desired int32, mutate ...func(*CreateServiceInput)) ECSService {
	e.t.Helper()
	in := &CreateServiceInput{ServiceName: ptr(name), TaskDefinition: ptr(name), DesiredCount: ptr(desired)}
	for _, m := range mutate {
		m(in)
	}
	out, err := e.s.CreateService(e.ctx, in)
	if err != nil {
		e.t.Fatal(err)
	}
	return *out.Service
}

func (e *env) updateService(in *UpdateServiceInput) ECSService {
	e.t.Helper()
	out, err := e.s.UpdateService(e.ctx, in)
	if err != nil {
		e.t.Fatal(err)
	}
	return *out.Service
}

func TestServiceReachesSteadyState(t *testing.T) {
	e := newEnv(t)
	e.node("i-1", 4096, 8192)
	td := e.register("web", 128, false)
	created := e.createService("web", 3)
	if created.Status != "ACTIVE" || created.DesiredCount != 3 || created.RunningCount != 0 || created.SchedulingStrategy != "REPLICA" ||
		created.LaunchType != "EC2" || created.DeploymentController.Type != "ECS" || created.TaskDefinition != td.TaskDefinitionArn {
		t.Fatalf("created service: %+v", created)
	}
	if dc := created.DeploymentConfiguration; *dc.MaximumPercent != 200 || *dc.MinimumHealthyPercent != 100 {
		t.Fatalf("deployment configuration defaults: max %d min %d", *dc.MaximumPercent, *dc.MinimumHealthyPercent)
	}
	if created.ServiceArn != "arn:aws:ecs:us-east-1:000000000000:service/default/web" {
		t.Fatalf("service ARN %s", created.ServiceArn)
	}
	if len(created.Deployments) != 1 || created.Deployments[0].Status != "PRIMARY" || created.Deployments[0].RolloutState != "IN_PROGRESS" {
		t.Fatalf("deployments: %+v", created.Deployments)
	}
	dep := created.Deployments[0].Id
	if !strings.HasPrefix(dep, "ecs-svc/") || len(dep) != len("ecs-svc/")+19 {
		t.Fatalf("deployment id %q", dep)
	}

	e.reconcile()
	tasks := e.tasks("default", StatusRunning)
	if len(tasks) != 3 {
		t.Fatalf("%d tasks after one pass, want 3", len(tasks))
	}
	for _, task := range tasks {
		if task.StartedBy != dep || task.Group != "service:web" || task.LastStatus != StatusProvisioning || task.TaskDefinitionArn != td.TaskDefinitionArn {
			t.Fatalf("service task: %+v", task)
		}
	}
	svc := e.service("default", "web")
	if svc.PendingCount != 3 || countEvents(svc, "(service web) has started 3 tasks: (task ") != 1 {
		t.Fatalf("after launch: pending %d, events %q", svc.PendingCount, eventMessages(svc))
	}

	a := e.agent("i-1")
	e.settle(a)
	svc = e.service("default", "web")
	if svc.RunningCount != 3 || svc.PendingCount != 0 || svc.Deployments[0].RunningCount != 3 {
		t.Fatalf("running %d pending %d, deployment %+v", svc.RunningCount, svc.PendingCount, svc.Deployments[0])
	}
	d := svc.Deployments[0]
	if d.RolloutState != "COMPLETED" || d.RolloutStateReason != "ECS deployment "+dep+" completed." {
		t.Fatalf("rollout %s %q", d.RolloutState, d.RolloutStateReason)
	}
	msgs := eventMessages(svc)
	if msgs[0] != "(service web) has reached a steady state." {
		t.Fatalf("newest event %q, events %q", msgs[0], msgs)
	}
	if countEvents(svc, "(service web) (deployment "+dep+") deployment completed.") != 1 {
		t.Fatalf("no deployment completed event: %q", msgs)
	}
	// Idle passes change nothing and do not repeat the steady-state event.
	changed, stop := e.db.Watch()
	defer stop()
	e.clock.Advance(time.Minute)
	e.reconcile()
	a.step()
	select {
	case <-changed:
		t.Fatal("an idle reconciler pass wrote to the store")
	default:
	}
	if n := countEvents(e.service("default", "web"), "steady state"); n != 1 {
		t.Fatalf("%d steady-state events, want 1", n)
	}
}

func TestServiceReplacesCrashedTasksWithBackoff(t *testing.T) {
	e := newEnv(t)
	e.node("i-1", 4096, 8192)
	e.register("web", 128, false)
	e.createService("web", 2)
	a := e.agent("i-1")
	e.settle(a)

	crashOne := func() string {
		t.Helper()
		running := byStatus(e.tasks("default", StatusRunning), StatusRunning)
		if len(running) != 2 {
			t.Fatalf("%d running tasks, want 2", len(running))
		}
		a.crash(running[0].TaskArn)
		return running[0].TaskArn
	}
	live := func() int { return len(e.tasks("default", StatusRunning)) }

	victim := crashOne()
	e.reconcile()
	if n := live(); n != 1 {
		t.Fatalf("%d tasks right after the crash, want 1 (backing off)", n)
	}
	e.clock.Advance(2 * time.Second)
	e.reconcile()
	if n := live(); n != 2 {
		t.Fatalf("%d tasks after the 2s backoff, want 2", n)
	}
	e.settle(a)
	stopped, err := e.s.DescribeTasks(e.ctx, &DescribeTasksInput{Tasks: []string{victim}})
	if err != nil || len(stopped.Tasks) != 1 {
		t.Fatalf("DescribeTasks: %v %+v", err, stopped)
	}
	if st := stopped.Tasks[0]; st.LastStatus != StatusStopped || st.DesiredStatus != StatusStopped || st.StopCode != StopCodeEssentialContainerExited ||
		st.StoppedReason != "Essential container in task exited" || deref(st.Containers[0].ExitCode) != 1 {
		t.Fatalf("crashed task: %+v", st)
	}

	// A second crash in a row waits 4 seconds and says the service cannot start tasks.
	crashOne()
	e.reconcile()
	e.clock.Advance(2 * time.Second)
	e.reconcile()
	if n := live(); n != 1 {
		t.Fatalf("%d tasks 2s after the second crash, want 1", n)
	}
	e.clock.Advance(2 * time.Second)
	e.reconcile()
	if n := live(); n != 2 {
		t.Fatalf("%d tasks 4s after the second crash, want 2", n)
	}
	svc := e.service("default", "web")
	if countEvents(svc, "(service web) is unable to consistently start tasks successfully.") != 1 ||
		countEvents(svc, "Essential container in task exited") != 1 {
		t.Fatalf("events: %q", eventMessages(svc))
	}
	if svc.Deployments[0].FailedTasks != 2 {
		t.Fatalf("failedTasks %d, want 2", svc.Deployments[0].FailedTasks)
	}
}

func TestServiceBackoffIsCapped(t *testing.T) {
	e := newEnv(t)
	p := &pass{s: e.s}
	tests := []struct {
		failures int
		want     time.Duration
	}{{1, 2 * time.Second}, {2, 4 * time.Second}, {8, 256 * time.Second}, {9, 5 * time.Minute}, {100, 5 * time.Minute}}
	for _, tt := range tests {
		if got := p.backoff(tt.failures); got != tt.want {
			t.Errorf("backoff(%d) = %v, want %v", tt.failures, got, tt.want)
		}
	}
	scaled, err := New(e.db, Config{TimeScale: 10})
	if err != nil {
		t.Fatal(err)
	}
	if got := (&pass{s: scaled}).backoff(9); got != 30*time.Second {
		t.Errorf("backoff at time scale 10 = %v, want 30s", got)
	}
	if _, err := New(e.db, Config{TimeScale: 0.5}); err == nil {
		t.Error("time scale 0.5 accepted")
	}
}

func TestServiceStopsAndReplacesUnhealthyTasks(t *testing.T) {
	e := newEnv(t)
	e.node("i-1", 4096, 8192)
	e.register("web", 128, true)
	e.createService("web", 2, func(in *CreateServiceInput) { in.HealthCheckGracePeriodSeconds = ptr(int32(60)) })
	a := e.agent("i-1")
	e.settle(a)
	if svc := e.service("default", "web"); svc.RunningCount != 2 || countEvents(svc, "steady state") != 1 {
		t.Fatalf("running %d, events %q", svc.RunningCount, eventMessages(svc))
	}
	sick := e.tasks("default", StatusRunning)[0].TaskArn
	a.reportHealth(sick, "UNHEALTHY")
	e.reconcile()
	if got := e.tasks("default", StatusRunning); len(got) != 2 {
		t.Fatalf("unhealthy task stopped within the grace period: %d tasks", len(got))
	}
	e.clock.Advance(60 * time.Second)
	e.reconcile()
	d, err := e.s.DescribeTasks(e.ctx, &DescribeTasksInput{Tasks: []string{sick}})
	if err != nil {
		t.Fatal(err)
	}
	if st := d.Tasks[0]; st.DesiredStatus != StatusStopped || st.StopCode != StopCodeServiceSchedulerInitiated || st.StoppedReason != "Task failed container health checks" {
		t.Fatalf("unhealthy task: desired %s stopCode %s reason %q", st.DesiredStatus, st.StopCode, st.StoppedReason)
	}
	e.clock.Advance(2 * time.Second)
	e.settle(a)
	svc := e.service("default", "web")
	running := byStatus(e.tasks("default", StatusRunning), StatusRunning)
	if svc.RunningCount != 2 || len(running) != 2 || slices.ContainsFunc(running, func(t Task) bool { return t.TaskArn == sick }) {
		t.Fatalf("after replacement: running %d, tasks %d", svc.RunningCount, len(running))
	}
	if countEvents(svc, "(service web) has stopped 1 running tasks: (task ") != 1 {
		t.Fatalf("events %q", eventMessages(svc))
	}
}

func TestServiceRollingUpdate(t *testing.T) {
	tests := []struct {
		name          string
		min, max      int32
		maxLive       int
		minHealthy    int
		healthChecked bool
	}{
		{name: "defaults 100/200", min: 100, max: 200, maxLive: 8, minHealthy: 4},
		{name: "50/100", min: 50, max: 100, maxLive: 4, minHealthy: 2},
		{name: "0/100", min: 0, max: 100, maxLive: 4, minHealthy: 0},
		{name: "75/150 with health checks", min: 75, max: 150, maxLive: 6, minHealthy: 3, healthChecked: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.node("i-1", 8192, 16384)
			e.register("web", 128, tt.healthChecked)
			e.createService("web", 4, func(in *CreateServiceInput) {
				in.DeploymentConfiguration = &DeploymentConfiguration{MinimumHealthyPercent: ptr(tt.min), MaximumPercent: ptr(tt.max)}
			})
			a := e.agent("i-1")
			e.settle(a)
			e.clock.Advance(time.Minute)
			v2 := e.register("web", 256, tt.healthChecked)
			svc := e.updateService(&UpdateServiceInput{Service: ptr("web"), TaskDefinition: ptr("web:2")})
			if len(svc.Deployments) != 2 || svc.Deployments[0].Status != "PRIMARY" || svc.Deployments[0].TaskDefinition != v2.TaskDefinitionArn ||
				svc.Deployments[1].Status != "ACTIVE" {
				t.Fatalf("deployments after update: %+v", svc.Deployments)
			}
			primary := svc.Deployments[0].Id
			for round := 0; ; round++ {
				if round == 40 {
					t.Fatal("the rolling update did not complete in 40 rounds")
				}
				e.reconcile()
				e.checkInvariants(tt.maxLive, tt.minHealthy)
				a.step()
				e.checkInvariants(tt.maxLive, tt.minHealthy)
				e.clock.Advance(41 * time.Second)
				svc = e.service("default", "web")
				if len(svc.Deployments) == 1 && svc.Deployments[0].RolloutState == "COMPLETED" {
					break
				}
			}
			e.settle(a)
			running := byStatus(e.tasks("default", StatusRunning), StatusRunning)
			if len(running) != 4 {
				t.Fatalf("%d running tasks, want 4", len(running))
			}
			for _, task := range running {
				if task.TaskDefinitionArn != v2.TaskDefinitionArn || task.StartedBy != primary {
					t.Fatalf("task of the old revision still running: %+v", task)
				}
			}
			svc = e.service("default", "web")
			if countEvents(svc, "(deployment "+primary+") deployment completed.") != 1 || svc.RunningCount != 4 {
				t.Fatalf("running %d, events %q", svc.RunningCount, eventMessages(svc))
			}
		})
	}
}

// checkInvariants checks maximumPercent (tasks not STOPPED) and minimumHealthyPercent
// (tasks RUNNING and meant to run) of service web.
func (e *env) checkInvariants(maxLive, minHealthy int) {
	e.t.Helper()
	live, running := 0, 0
	for _, r := range e.records("default", "web") {
		if r.live() {
			live++
		}
		if r.wanted() && r.Task.LastStatus == StatusRunning {
			running++
		}
	}
	if live > maxLive {
		e.t.Fatalf("%d tasks not STOPPED, more than the maximum %d", live, maxLive)
	}
	if running < minHealthy {
		e.t.Fatalf("%d tasks running, fewer than the minimum %d", running, minHealthy)
	}
}

func TestServiceForceNewDeployment(t *testing.T) {
	e := newEnv(t)
	e.node("i-1", 4096, 8192)
	e.register("web", 128, false)
	e.createService("web", 1)
	a := e.agent("i-1")
	e.settle(a)
	first := e.tasks("default", StatusRunning)[0].TaskArn
	svc := e.updateService(&UpdateServiceInput{Service: ptr("web"), ForceNewDeployment: true})
	if len(svc.Deployments) != 2 || svc.Deployments[0].TaskDefinition != svc.Deployments[1].TaskDefinition {
		t.Fatalf("deployments: %+v", svc.Deployments)
	}
	for range 5 {
		e.settle(a)
		e.clock.Advance(41 * time.Second)
	}
	tasks := e.tasks("default", StatusRunning)
	if len(tasks) != 1 || tasks[0].TaskArn == first || tasks[0].StartedBy != svc.Deployments[0].Id {
		t.Fatalf("after forced deployment: %+v", tasks)
	}
}

func TestServiceScaleIn(t *testing.T) {
	e := newEnv(t)
	e.node("i-1", 4096, 8192)
	e.register("web", 128, false)
	e.createService("web", 1)
	a := e.agent("i-1")
	e.settle(a)
	// Scale out one task at a time so that their creation times differ.
	for n := int32(2); n <= 3; n++ {
		e.clock.Advance(time.Second)
		e.updateService(&UpdateServiceInput{Service: ptr("web"), DesiredCount: ptr(n)})
		e.settle(a)
	}
	oldest := e.records("default", "web")
	slices.SortFunc(oldest, func(x, y taskRecord) int { return x.Task.CreatedAt.Compare(*y.Task.CreatedAt) })
	// A fourth task stays PENDING.
	a.hold = true
	e.clock.Advance(time.Second)
	e.updateService(&UpdateServiceInput{Service: ptr("web"), DesiredCount: ptr(int32(4))})
	e.settle(a)
	svc := e.updateService(&UpdateServiceInput{Service: ptr("web"), DesiredCount: ptr(int32(1))})
	if svc.DesiredCount != 1 || svc.Deployments[0].DesiredCount != 1 {
		t.Fatalf("desired %d / %d", svc.DesiredCount, svc.Deployments[0].DesiredCount)
	}
	e.reconcile()
	left := e.tasks("default", StatusRunning)
	if len(left) != 1 || left[0].TaskArn != oldest[0].Task.TaskArn {
		t.Fatalf("kept %+v, want the oldest task %s", left, oldest[0].Task.TaskArn)
	}
	stopped := e.tasks("default", StatusStopped)
	if len(stopped) != 3 {
		t.Fatalf("%d tasks stopping, want 3", len(stopped))
	}
	for _, task := range stopped {
		if task.StoppedReason != "Scaling activity initiated by (deployment "+svc.Deployments[0].Id+")" || task.StopCode != StopCodeServiceSchedulerInitiated {
			t.Fatalf("stopped task: code %s reason %q", task.StopCode, task.StoppedReason)
		}
	}
	a.hold = false
	e.settle(a)
	if svc := e.service("default", "web"); svc.RunningCount != 1 || countEvents(svc, "has stopped 3 running tasks") != 1 {
		t.Fatalf("running %d, events %q", svc.RunningCount, eventMessages(svc))
	}
}

func TestDeleteService(t *testing.T) {
	e := newEnv(t)
	e.node("i-1", 4096, 8192)
	e.register("web", 128, false)
	e.createService("web", 2)
	a := e.agent("i-1")
	e.settle(a)

	_, err := e.s.DeleteService(e.ctx, &DeleteServiceInput{Service: ptr("web")})
	wantAPIError(t, err, "InvalidParameterException", "The service cannot be stopped while it is scaled above 0.")
	_, err = e.s.DeleteService(e.ctx, &DeleteServiceInput{Service: ptr("nope"), Force: ptr(true)})
	wantAPIError(t, err, "ServiceNotFoundException", "Service not found.")

	out, err := e.s.DeleteService(e.ctx, &DeleteServiceInput{Service: ptr("arn:aws:ecs:us-east-1:000000000000:service/default/web"), Force: ptr(true)})
	if err != nil {
		t.Fatal(err)
	}
	if out.Service.Status != "DRAINING" || out.Service.DesiredCount != 0 {
		t.Fatalf("deleted service: status %s desired %d", out.Service.Status, out.Service.DesiredCount)
	}
	if n := len(e.tasks("default", StatusRunning)); n != 0 {
		t.Fatalf("%d tasks still desired RUNNING", n)
	}
	stopping := e.tasks("default", StatusStopped)
	if len(stopping) != 2 || stopping[0].LastStatus != StatusRunning || stopping[0].StopCode != StopCodeServiceSchedulerInitiated {
		t.Fatalf("tasks after delete: %+v", stopping)
	}
	_, err = e.s.UpdateService(e.ctx, &UpdateServiceInput{Service: ptr("web"), DesiredCount: ptr(int32(1))})
	wantAPIError(t, err, "ServiceNotActiveException", "Service was not ACTIVE.")

	e.reconcile()
	if svc := e.service("default", "web"); svc.Status != "DRAINING" {
		t.Fatalf("status %s before the tasks stopped, want DRAINING", svc.Status)
	}
	e.settle(a)
	svc := e.service("default", "web")
	if svc.Status != "INACTIVE" || svc.RunningCount != 0 {
		t.Fatalf("status %s running %d, want INACTIVE 0", svc.Status, svc.RunningCount)
	}
	if l, err := e.s.ListServices(e.ctx, &ListServicesInput{}); err != nil || len(l.ServiceArns) != 0 {
		t.Fatalf("ListServices after delete: %v %v", l, err)
	}
	_, err = e.s.DeleteService(e.ctx, &DeleteServiceInput{Service: ptr("web"), Force: ptr(true)})
	wantAPIError(t, err, "ServiceNotActiveException", "Service was not ACTIVE.")

	// A new service may take the name of an INACTIVE one.
	again := e.createService("web", 0)
	if again.Status != "ACTIVE" || again.Deployments[0].Id == svc.Deployments[0].Id {
		t.Fatalf("recreated service: %+v", again)
	}
	if _, err := e.s.DeleteService(e.ctx, &DeleteServiceInput{Service: ptr("web")}); err != nil {
		t.Fatalf("deleting a service scaled to 0 without force: %v", err)
	}
	e.settle(a)
	// INACTIVE services are forgotten after an hour.
	e.clock.Advance(time.Hour)
	e.reconcile()
	d, err := e.s.DescribeServices(e.ctx, &DescribeServicesInput{Services: []string{"web"}})
	if err != nil || len(d.Services) != 0 || len(d.Failures) != 1 || d.Failures[0].Reason != "MISSING" ||
		d.Failures[0].Arn != "arn:aws:ecs:us-east-1:000000000000:service/default/web" {
		t.Fatalf("DescribeServices an hour later: %+v %v", d, err)
	}
}

func TestServiceConvergesAfterRestart(t *testing.T) {
	e := newEnv(t)
	e.node("i-1", 4096, 8192)
	e.register("web", 128, false)
	e.createService("web", 3)

	// A pass that dies before it commits leaves nothing behind.
	crash := errors.New("crash")
	err := e.db.Update(func(tx *store.Tx) error {
		if _, _, err := e.s.reconcileService(tx, "default/web", passInput{}); err != nil {
			return err
		}
		return crash
	})
	if !errors.Is(err, crash) {
		t.Fatal(err)
	}
	if n := len(e.records("default", "web")); n != 0 {
		t.Fatalf("%d tasks after a pass that did not commit", n)
	}

	e.reconcile()
	e.agent("i-1").step() // PENDING
	e.restart()
	a := e.agent("i-1")
	e.settle(a)
	if n := len(e.records("default", "web")); n != 3 {
		t.Fatalf("%d tasks after a restart, want 3", n)
	}
	// A crash, then a restart before the replacement.
	a.crash(e.tasks("default", StatusRunning)[0].TaskArn)
	e.restart()
	a = e.agent("i-1")
	e.settle(a)
	e.clock.Advance(2 * time.Second)
	e.restart()
	e.settle(e.agent("i-1"))
	recs := e.records("default", "web")
	live := slices.DeleteFunc(slices.Clone(recs), func(r taskRecord) bool { return !r.live() })
	if len(recs) != 4 || len(live) != 3 {
		t.Fatalf("%d tasks (%d live) after crash and restarts, want 4 (3)", len(recs), len(live))
	}
	if svc := e.service("default", "web"); svc.RunningCount != 3 {
		t.Fatalf("running %d", svc.RunningCount)
	}
}

func TestServicePlacementFailures(t *testing.T) {
	e := newEnv(t)
	e.node("i-1", 1024, 256)
	e.register("web", 128, false)
	e.createService("web", 3)
	a := e.agent("i-1")
	for range 3 {
		e.settle(a)
	}
	svc := e.service("default", "web")
	if svc.RunningCount != 2 {
		t.Fatalf("running %d, want 2 (256 MiB fits two 128 MiB tasks)", svc.RunningCount)
	}
	if n := countEvents(svc, "(service web) was unable to place a task because no container instance met all of its requirements."); n != 1 {
		t.Fatalf("%d placement events, want 1: %q", n, eventMessages(svc))
	}
	if countEvents(svc, "has insufficient memory available (RESOURCE:MEMORY)") != 1 {
		t.Fatalf("events %q", eventMessages(svc))
	}
	// More capacity: the third task is placed.
	e.node("i-2", 1024, 256)
	e.settle(a, e.agent("i-2"))
	if svc := e.service("default", "web"); svc.RunningCount != 3 || countEvents(svc, "steady state") != 1 {
		t.Fatalf("running %d, events %q", svc.RunningCount, eventMessages(svc))
	}

	// A cluster without instances.
	if _, err := e.s.CreateCluster(e.ctx, &CreateClusterInput{ClusterName: ptr("empty")}); err != nil {
		t.Fatal(err)
	}
	if err := e.db.Update(func(tx *store.Tx) error { return deleteInstances(tx, "empty") }); err != nil {
		t.Fatal(err)
	}
	e.createService("web", 1, func(in *CreateServiceInput) { in.Cluster = ptr("empty") })
	e.reconcile()
	e.reconcile()
	if n := countEvents(e.service("empty", "web"), "No Container Instances were found in your cluster."); n != 1 {
		t.Fatalf("%d no-instance events, want 1", n)
	}
}

func TestServiceValidation(t *testing.T) {
	e := newEnv(t)
	e.useLB()
	e.node("i-1", 4096, 8192)
	e.register("web", 128, false, PortMapping{ContainerPort: ptr(int32(8080))})
	if _, err := e.s.DeregisterTaskDefinition(e.ctx, &DeregisterTaskDefinitionInput{TaskDefinition: ptr("web:1")}); err != nil {
		t.Fatal(err)
	}
	e.register("web", 128, false, PortMapping{ContainerPort: ptr(int32(8080))})
	e.createService("existing", 0, func(in *CreateServiceInput) { in.TaskDefinition = ptr("web") })
	tests := []struct {
		name  string
		in    CreateServiceInput
		code  string
		msg   string
		ready bool
	}{
		{name: "no name", in: CreateServiceInput{TaskDefinition: ptr("web"), DesiredCount: ptr(int32(1))}, code: "InvalidParameterException", msg: "serviceName is required"},
		{name: "bad name", in: CreateServiceInput{ServiceName: ptr("a b"), TaskDefinition: ptr("web"), DesiredCount: ptr(int32(1))}, code: "InvalidParameterException", msg: "Invalid serviceName 'a b'"},
		{name: "no task definition", in: CreateServiceInput{ServiceName: ptr("s"), DesiredCount: ptr(int32(1))}, code: "InvalidParameterException", msg: "TaskDefinition can not be blank."},
		{name: "unknown task definition", in: CreateServiceInput{ServiceName: ptr("s"), TaskDefinition: ptr("nope"), DesiredCount: ptr(int32(1))}, code: "ClientException", msg: "TaskDefinition not found."},
		{name: "inactive task definition", in: CreateServiceInput{ServiceName: ptr("s"), TaskDefinition: ptr("web:1"), DesiredCount: ptr(int32(1))}, code: "ClientException", msg: "TaskDefinition is inactive"},
		{name: "no desired count", in: CreateServiceInput{ServiceName: ptr("s"), TaskDefinition: ptr("web")}, code: "InvalidParameterException", msg: "desiredCount is required"},
		{name: "negative desired count", in: CreateServiceInput{ServiceName: ptr("s"), TaskDefinition: ptr("web"), DesiredCount: ptr(int32(-1))}, code: "InvalidParameterException", msg: "desiredCount must not be negative"},
		{name: "unknown cluster", in: CreateServiceInput{Cluster: ptr("nope"), ServiceName: ptr("s"), TaskDefinition: ptr("web"), DesiredCount: ptr(int32(1))}, code: "ClusterNotFoundException", msg: "Cluster not found."},
		{name: "daemon", in: CreateServiceInput{ServiceName: ptr("s"), TaskDefinition: ptr("web"), SchedulingStrategy: "DAEMON"}, code: "UnsupportedFeatureException", msg: "REPLICA"},
		{name: "code deploy", in: CreateServiceInput{ServiceName: ptr("s"), TaskDefinition: ptr("web"), DesiredCount: ptr(int32(1)), DeploymentController: &DeploymentController{Type: "CODE_DEPLOY"}}, code: "UnsupportedFeatureException", msg: "CODE_DEPLOY"},
		{name: "min healthy above 100", in: CreateServiceInput{ServiceName: ptr("s"), TaskDefinition: ptr("web"), DesiredCount: ptr(int32(1)), DeploymentConfiguration: &DeploymentConfiguration{MinimumHealthyPercent: ptr(int32(101))}}, code: "InvalidParameterException", msg: "minimumHealthyPercent must be between 0 and 100"},
		{name: "max below 100", in: CreateServiceInput{ServiceName: ptr("s"), TaskDefinition: ptr("web"), DesiredCount: ptr(int32(1)), DeploymentConfiguration: &DeploymentConfiguration{MaximumPercent: ptr(int32(50))}}, code: "InvalidParameterException", msg: "maximumPercent must be at least 100"},
		{name: "load balancer port not defined", in: CreateServiceInput{ServiceName: ptr("s"), TaskDefinition: ptr("web"), DesiredCount: ptr(int32(1)), LoadBalancers: []LoadBalancer{{TargetGroupArn: tgA, ContainerName: "app", ContainerPort: ptr(int32(9090))}}}, code: "InvalidParameterException", msg: "The container app did not have a container port 9090 defined."},
		{name: "bad propagateTags", in: CreateServiceInput{ServiceName: ptr("s"), TaskDefinition: ptr("web"), DesiredCount: ptr(int32(1)), PropagateTags: "ALL"}, code: "InvalidParameterException", msg: "propagateTags"},
		{name: "reserved tag", in: CreateServiceInput{ServiceName: ptr("s"), TaskDefinition: ptr("web"), DesiredCount: ptr(int32(1)), Tags: []Tag{{Key: "aws:x", Value: "y"}}}, code: "InvalidParameterException", msg: "reserved for AWS use"},
		{name: "existing", in: CreateServiceInput{ServiceName: ptr("existing"), TaskDefinition: ptr("web"), DesiredCount: ptr(int32(1))}, code: "InvalidParameterException", msg: "Creation of service was not idempotent."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.s.CreateService(e.ctx, &tt.in)
			wantAPIError(t, err, tt.code, tt.msg)
		})
	}

	// The echoed fields of a valid service.
	svc := e.createService("full", 1, func(in *CreateServiceInput) {
		in.TaskDefinition = ptr("arn:aws:ecs:us-east-1:000000000000:task-definition/web:2")
		in.LoadBalancers = []LoadBalancer{{TargetGroupArn: tgA, ContainerName: "app", ContainerPort: ptr(int32(8080))}}
		in.HealthCheckGracePeriodSeconds = ptr(int32(30))
		in.Tags = []Tag{{Key: "team", Value: "web"}}
		in.PropagateTags = "SERVICE"
		in.LaunchType = "FARGATE"
		in.NetworkConfiguration = &NetworkConfiguration{AwsvpcConfiguration: &AwsVpcConfiguration{Subnets: []string{"subnet-1"}}}
	})
	if len(svc.LoadBalancers) != 1 || deref(svc.HealthCheckGracePeriodSeconds) != 30 || svc.PropagateTags != "SERVICE" || svc.LaunchType != "FARGATE" ||
		len(svc.Tags) != 1 || svc.NetworkConfiguration == nil {
		t.Fatalf("echoed fields: %+v", svc)
	}
	e.settle(e.agent("i-1"))
	tasks := e.tasks("default", StatusRunning)
	if len(tasks) != 1 || tasks[0].LaunchType != "FARGATE" {
		t.Fatalf("tasks of service full: %+v", tasks)
	}
	withTags, err := e.s.DescribeTasks(e.ctx, &DescribeTasksInput{Tasks: []string{tasks[0].TaskArn}, Include: []string{"TAGS"}})
	if err != nil || len(onlyTags(withTags)) != 1 || onlyTags(withTags)[0].Key != "team" {
		t.Fatalf("propagated tags: %+v %v", withTags, err)
	}

	updates := []struct {
		name string
		in   UpdateServiceInput
		code string
		msg  string
	}{
		{name: "no service", in: UpdateServiceInput{}, code: "InvalidParameterException", msg: "service is required"},
		{name: "unknown service", in: UpdateServiceInput{Service: ptr("nope")}, code: "ServiceNotFoundException", msg: "Service not found."},
		{name: "negative count", in: UpdateServiceInput{Service: ptr("full"), DesiredCount: ptr(int32(-2))}, code: "InvalidParameterException", msg: "desiredCount must not be negative"},
		{name: "inactive task definition", in: UpdateServiceInput{Service: ptr("full"), TaskDefinition: ptr("web:1")}, code: "ClientException", msg: "TaskDefinition is inactive"},
		{name: "bad min", in: UpdateServiceInput{Service: ptr("full"), DeploymentConfiguration: &DeploymentConfiguration{MinimumHealthyPercent: ptr(int32(-1))}}, code: "InvalidParameterException", msg: "minimumHealthyPercent"},
		{name: "blue green without bake time", in: UpdateServiceInput{Service: ptr("full"), DeploymentConfiguration: &DeploymentConfiguration{Strategy: "BLUE_GREEN"}}, code: "InvalidParameterException", msg: "bakeTimeInMinutes is required when the deployment strategy is BLUE_GREEN"},
		{name: "blue green without advanced configuration", in: UpdateServiceInput{Service: ptr("full"), DeploymentConfiguration: &DeploymentConfiguration{Strategy: "BLUE_GREEN", BakeTimeInMinutes: ptr(int32(0))}}, code: "InvalidParameterException", msg: "loadBalancers[0]: advancedConfiguration is required when the deployment strategy is BLUE_GREEN."},
	}
	for _, tt := range updates {
		t.Run("update "+tt.name, func(t *testing.T) {
			_, err := e.s.UpdateService(e.ctx, &tt.in)
			wantAPIError(t, err, tt.code, tt.msg)
		})
	}
	// Deployment configuration updates merge.
	svc = e.updateService(&UpdateServiceInput{Service: ptr("full"), DeploymentConfiguration: &DeploymentConfiguration{MinimumHealthyPercent: ptr(int32(50))}})
	if dc := svc.DeploymentConfiguration; *dc.MinimumHealthyPercent != 50 || *dc.MaximumPercent != 200 {
		t.Fatalf("merged configuration: %+v", dc)
	}
	if len(svc.Deployments) != 1 {
		t.Fatalf("a configuration change started a deployment: %+v", svc.Deployments)
	}
}

// onlyTags returns the tags of the only task described.
func onlyTags(o *DescribeTasksOutput) []Tag {
	if o == nil || len(o.Tasks) != 1 {
		return nil
	}
	return o.Tasks[0].Tags
}

func TestListAndDescribeServices(t *testing.T) {
	e := newEnv(t)
	e.node("i-1", 4096, 8192)
	e.register("web", 128, false)
	var want []string
	for _, n := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"} {
		want = append(want, e.createService(n, 0, func(in *CreateServiceInput) { in.TaskDefinition = ptr("web") }).ServiceArn)
	}
	var got []string
	var token *string
	for pages := 0; ; pages++ {
		out, err := e.s.ListServices(e.ctx, &ListServicesInput{NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.ServiceArns) > 10 {
			t.Fatalf("page of %d, the default maximum is 10", len(out.ServiceArns))
		}
		got = append(got, out.ServiceArns...)
		if token = out.NextToken; token == nil {
			break
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("ListServices = %v, want %v", got, want)
	}
	if out, err := e.s.ListServices(e.ctx, &ListServicesInput{LaunchType: "FARGATE"}); err != nil || len(out.ServiceArns) != 0 {
		t.Fatalf("launchType filter: %v %v", out, err)
	}
	_, err := e.s.ListServices(e.ctx, &ListServicesInput{Cluster: ptr("nope")})
	wantAPIError(t, err, "ClusterNotFoundException", "Cluster not found.")
	_, err = e.s.DescribeServices(e.ctx, &DescribeServicesInput{Services: want[:11]})
	wantAPIError(t, err, "InvalidParameterException", "at most 10")
	_, err = e.s.DescribeServices(e.ctx, &DescribeServicesInput{})
	wantAPIError(t, err, "InvalidParameterException", "services cannot be empty")
	_, err = e.s.DescribeServices(e.ctx, &DescribeServicesInput{Services: []string{"a"}, Include: []string{"EVERYTHING"}})
	wantAPIError(t, err, "InvalidParameterException", "'EVERYTHING' is not a valid value")
	d, err := e.s.DescribeServices(e.ctx, &DescribeServicesInput{Services: []string{"a", want[1], "zz"}})
	if err != nil || len(d.Services) != 2 || len(d.Failures) != 1 || d.Services[1].ServiceName != "b" {
		t.Fatalf("DescribeServices: %+v %v", d, err)
	}
	if d.Services[0].Tags != nil {
		t.Fatal("tags returned without include TAGS")
	}
}

func TestRunLoop(t *testing.T) {
	e := newEnv(t)
	e.node("i-1", 4096, 8192)
	e.register("web", 128, false)
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- e.s.Run(ctx) }()
	agentErr := make(chan error, 1)
	go func() {
		a := e.agent("i-1")
		changed, stop := e.s.Watch()
		defer stop()
		for {
			if err := a.stepErr(); err != nil {
				agentErr <- err
				return
			}
			select {
			case <-ctx.Done():
				agentErr <- nil
				return
			case <-changed:
			}
		}
	}()
	e.createService("web", 3)
	waitFor(t, "service steady", func() bool {
		svc := e.service("default", "web")
		return svc.RunningCount == 3 && countEvents(svc, "steady state") == 1
	})
	cancel()
	if err := <-runErr; err != nil {
		t.Fatalf("Run returned %v", err)
	}
	if err := <-agentErr; err != nil {
		t.Fatal(err)
	}
}

func TestBrokenServiceDoesNotHoldUpOthers(t *testing.T) {
	e := newEnv(t)
	e.node("i-1", 4096, 8192)
	e.register("web", 128, false)
	e.createService("broken", 1, func(in *CreateServiceInput) { in.TaskDefinition = ptr("web") })
	e.createService("web", 2)
	// The broken service's deployment names a task definition that is not there.
	err := e.db.Update(func(tx *store.Tx) error {
		var rec serviceRecord
		if err := tx.Get(bucketServices, "default/broken", &rec); err != nil {
			return err
		}
		rec.Service.Deployments[0].TaskDefinition = e.s.taskDefARN("ghost", 1)
		return tx.Put(bucketServices, "default/broken", rec)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.s.reconcile(e.ctx, nil); err == nil || !strings.Contains(err.Error(), "default/broken") {
		t.Fatalf("reconcile error = %v, want one naming default/broken", err)
	}
	if n := len(e.records("default", "web")); n != 2 {
		t.Fatalf("service web has %d tasks, want 2", n)
	}
	if n := len(e.records("default", "broken")); n != 0 {
		t.Fatalf("service broken has %d tasks, want 0", n)
	}
}

func TestServiceKeepsTheNewest100Events(t *testing.T) {
	e := newEnv(t)
	p := &pass{s: e.s, rec: &serviceRecord{}, now: e.clock.Now()}
	for i := range 150 {
		p.event("event %d", i)
	}
	ev := p.svc().Events
	if len(ev) != 100 || ev[0].Message != "event 149" || ev[99].Message != "event 50" || ev[0].Id == ev[1].Id || ev[0].CreatedAt == nil {
		t.Fatalf("%d events, newest %q, oldest %q", len(ev), ev[0].Message, ev[len(ev)-1].Message)
	}
}

func TestRollingUpdateKeepsTasksOfUnknownHealth(t *testing.T) {
	e := newEnv(t)
	e.node("i-1", 4096, 8192)
	e.register("web", 128, true)
	e.createService("web", 2, func(in *CreateServiceInput) {
		in.DeploymentConfiguration = &DeploymentConfiguration{MinimumHealthyPercent: ptr(int32(50)), MaximumPercent: ptr(int32(100))}
	})
	a := e.agent("i-1")
	a.health = "UNKNOWN" // as after an agent restart, before the first check
	e.settle(a)
	e.register("web", 128, true)
	e.updateService(&UpdateServiceInput{Service: ptr("web"), TaskDefinition: ptr("web:2")})
	e.settle(a)
	if n := len(e.tasks("default", StatusStopped)); n != 0 {
		t.Fatalf("%d old tasks stopped while none was known to be healthy", n)
	}
	for _, task := range e.tasks("default", StatusRunning) {
		a.reportHealth(task.TaskArn, "HEALTHY")
	}
	e.reconcile()
	if n := len(e.tasks("default", StatusStopped)); n != 1 {
		t.Fatalf("%d old tasks stopped once both were healthy, want 1 (minimum healthy 1 of 2)", n)
	}
}
