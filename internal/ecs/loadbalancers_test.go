package ecs

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/awsapi"
)

// withLB puts a service's container app port 8080 behind target groups.
func withLB(tgs ...string) func(*CreateServiceInput) {
	return func(in *CreateServiceInput) {
		for _, tg := range tgs {
			in.LoadBalancers = append(in.LoadBalancers, LoadBalancer{TargetGroupArn: tg, ContainerName: "app", ContainerPort: ptr(int32(8080))})
		}
	}
}

// webPort is the port mapping of the tests' web containers: 8080 on a dynamic host port.
var webPort = PortMapping{ContainerPort: ptr(int32(8080))}

// lbEnv is an env with one node, a fake load balancer and task definition web:1.
func lbEnv(t *testing.T) (*env, *fakeLB, *fakeAgent) {
	e := newEnv(t)
	lb := e.useLB()
	e.node("i-1", 8192, 16384)
	e.register("web", 128, false, webPort)
	return e, lb, e.agent("i-1")
}

// task describes one task.
func (e *env) task(arn string) Task {
	e.t.Helper()
	d, err := e.s.DescribeTasks(e.ctx, &DescribeTasksInput{Tasks: []string{arn}})
	if err != nil || len(d.Tasks) != 1 {
		e.t.Fatalf("DescribeTasks(%s): %+v %v", arn, d, err)
	}
	return d.Tasks[0]
}

// targetOf returns a running task's target key ("i-1:<host port>") for port 8080.
func targetOf(t *testing.T, task Task) string {
	t.Helper()
	for _, c := range task.Containers {
		for _, b := range c.NetworkBindings {
			if deref(b.ContainerPort) == 8080 {
				return targetKey("i-1", deref(b.HostPort))
			}
		}
	}
	t.Fatalf("task %s has no binding for port 8080: %+v", task.TaskArn, task.Containers)
	return ""
}

// runningKeys returns the target keys of the RUNNING tasks of the default cluster.
func (e *env) runningKeys() []string {
	e.t.Helper()
	var out []string
	for _, task := range byStatus(e.tasks("default", StatusRunning), StatusRunning) {
		out = append(out, targetOf(e.t, task))
	}
	slices.Sort(out)
	return out
}

func TestLoadBalancerValidation(t *testing.T) {
	e, lb, _ := lbEnv(t)
	e.register("multi", 128, false, webPort, PortMapping{ContainerPort: ptr(int32(9090))})
	lbOf := func(tg string, port int32) LoadBalancer {
		return LoadBalancer{TargetGroupArn: tg, ContainerName: "app", ContainerPort: ptr(port)}
	}
	six := make([]LoadBalancer, 6)
	for i := range six {
		six[i] = lbOf(tgA, int32(8000+i))
	}
	tests := []struct {
		name string
		lbs  []LoadBalancer
		code string
		msg  string
	}{
		{"unknown target group", []LoadBalancer{lbOf(tgA[:len(tgA)-1]+"0", 8080)}, "InvalidParameterException", "Unable to assume role and validate the specified targetGroupArn."},
		{"no load balancer", []LoadBalancer{lbOf(tgLoose, 8080)}, "InvalidParameterException", "The target group with targetGroupArn " + tgLoose + " does not have an associated load balancer."},
		{"no container", []LoadBalancer{{TargetGroupArn: tgA, ContainerName: "db", ContainerPort: ptr(int32(8080))}}, "InvalidParameterException", "The container db does not exist in the task definition."},
		{"no port", []LoadBalancer{lbOf(tgA, 8081)}, "InvalidParameterException", "The container app did not have a container port 8081 defined."},
		{"no target group", []LoadBalancer{{ContainerName: "app", ContainerPort: ptr(int32(8080))}}, "InvalidParameterException", "loadBalancers[0]: targetGroupArn is required."},
		{"no container name", []LoadBalancer{{TargetGroupArn: tgA, ContainerPort: ptr(int32(8080))}}, "InvalidParameterException", "containerName and containerPort are required"},
		{"classic", []LoadBalancer{{LoadBalancerName: "old", ContainerName: "app", ContainerPort: ptr(int32(8080))}}, "UnsupportedFeatureException", "not Classic Load Balancers (loadBalancerName old)"},
		{"both", []LoadBalancer{{TargetGroupArn: tgA, LoadBalancerName: "old", ContainerName: "app", ContainerPort: ptr(int32(8080))}}, "InvalidParameterException", "not both"},
		{"six", six, "InvalidParameterException", "at most 5 target groups"},
		{"repeated", []LoadBalancer{lbOf(tgA, 8080), lbOf(tgA, 8080)}, "InvalidParameterException", "loadBalancers[1] repeats target group"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.s.CreateService(e.ctx, &CreateServiceInput{ServiceName: ptr("s"), TaskDefinition: ptr("web"), DesiredCount: ptr(int32(1)), LoadBalancers: tt.lbs})
			wantAPIError(t, err, tt.code, tt.msg)
			e.createService("u", 0, func(in *CreateServiceInput) { in.TaskDefinition = ptr("web") })
			_, err = e.s.UpdateService(e.ctx, &UpdateServiceInput{Service: ptr("u"), LoadBalancers: tt.lbs})
			wantAPIError(t, err, tt.code, tt.msg)
			if _, err := e.s.DeleteService(e.ctx, &DeleteServiceInput{Service: ptr("u")}); err != nil {
				t.Fatal(err)
			}
			e.reconcile()
		})
	}

	// A failing load balancer is a server error, not the caller's.
	lb.fail["TargetGroup"] = 1
	_, err := e.s.CreateService(e.ctx, &CreateServiceInput{ServiceName: ptr("s"), TaskDefinition: ptr("web"), DesiredCount: ptr(int32(1)), LoadBalancers: []LoadBalancer{lbOf(tgA, 8080)}})
	if ae, ok := awsapi.As(err); !ok || ae.Code != "ServerException" || ae.HTTPStatus() != 500 {
		t.Fatalf("CreateService with a failing load balancer: %v", err)
	}

	// Two target groups; a new task definition must still have the ports.
	svc := e.createService("two", 1, func(in *CreateServiceInput) {
		in.TaskDefinition = ptr("multi")
		in.LoadBalancers = []LoadBalancer{lbOf(tgA, 8080), lbOf(tgB, 9090)}
	})
	if len(svc.LoadBalancers) != 2 || svc.LoadBalancers[1].TargetGroupArn != tgB || deref(svc.LoadBalancers[1].ContainerPort) != 9090 {
		t.Fatalf("echoed load balancers: %+v", svc.LoadBalancers)
	}
	_, err = e.s.UpdateService(e.ctx, &UpdateServiceInput{Service: ptr("two"), TaskDefinition: ptr("web")})
	wantAPIError(t, err, "InvalidParameterException", "The container app did not have a container port 9090 defined.")

	// Changing the load balancers starts a deployment; the same ones do not.
	svc = e.updateService(&UpdateServiceInput{Service: ptr("two"), LoadBalancers: []LoadBalancer{lbOf(tgA, 8080), lbOf(tgB, 9090)}})
	if len(svc.Deployments) != 1 {
		t.Fatalf("the same load balancers started a deployment: %d deployments", len(svc.Deployments))
	}
	svc = e.updateService(&UpdateServiceInput{Service: ptr("two"), LoadBalancers: []LoadBalancer{lbOf(tgA, 8080)}})
	if len(svc.Deployments) != 2 || len(svc.LoadBalancers) != 1 {
		t.Fatalf("after changing the load balancers: %d deployments, %+v", len(svc.Deployments), svc.LoadBalancers)
	}
	if got := e.service("default", "two").LoadBalancers; len(got) != 1 || got[0].TargetGroupArn != tgA {
		t.Fatalf("DescribeServices load balancers: %+v", got)
	}

	// Without load balancing, load balancers are refused.
	e.lb = nil
	e.newService()
	_, err = e.s.CreateService(e.ctx, &CreateServiceInput{ServiceName: ptr("s"), TaskDefinition: ptr("web"), DesiredCount: ptr(int32(1)), LoadBalancers: []LoadBalancer{lbOf(tgA, 8080)}})
	wantAPIError(t, err, "InvalidParameterException", "Load balancing is not available")
	_, err = e.s.UpdateService(e.ctx, &UpdateServiceInput{Service: ptr("two"), LoadBalancers: []LoadBalancer{lbOf(tgA, 8080)}})
	wantAPIError(t, err, "InvalidParameterException", "Load balancing is not available")
}

func TestServiceRegistersRunningTasks(t *testing.T) {
	e, lb, a := lbEnv(t)
	e.createService("web", 3, withLB(tgA, tgB), func(in *CreateServiceInput) {
		in.DeploymentConfiguration = &DeploymentConfiguration{MinimumHealthyPercent: ptr(int32(100)), MaximumPercent: ptr(int32(200))}
	})
	e.settle(a)
	keys := e.runningKeys()
	if len(keys) != 3 {
		t.Fatalf("%d running tasks, want 3", len(keys))
	}
	for _, tg := range []string{tgA, tgB} {
		if got := keysOf(lb.states(tg)); !slices.Equal(got, keys) {
			t.Fatalf("targets of %s = %v, want the tasks' instance and host ports %v", tg, got, keys)
		}
	}
	svc := e.service("default", "web")
	for _, tg := range []string{tgA, tgB} {
		if n := countEvents(svc, "(service web) registered 3 targets in (target-group "+tg+")"); n != 1 {
			t.Fatalf("%d registration events for %s: %q", n, tg, eventMessages(svc))
		}
	}
	// Registered but still initial: not healthy, so no steady state.
	if countEvents(svc, "steady state") != 0 || svc.Deployments[0].RolloutState != "IN_PROGRESS" || svc.RunningCount != 3 {
		t.Fatalf("before the targets are healthy: running %d, rollout %s, events %q", svc.RunningCount, svc.Deployments[0].RolloutState, eventMessages(svc))
	}
	lb.setAll(tgA, targetInitial, targetHealthy)
	e.clock.Advance(time.Minute)
	e.settle(a)
	if svc := e.service("default", "web"); countEvents(svc, "steady state") != 0 {
		t.Fatalf("steady while the targets of %s are initial: %q", tgB, eventMessages(svc))
	}
	lb.setAll(tgB, targetInitial, targetHealthy)
	e.settle(a)
	svc = e.service("default", "web")
	if countEvents(svc, "(service web) has reached a steady state.") != 1 || svc.Deployments[0].RolloutState != "COMPLETED" {
		t.Fatalf("after the targets are healthy: rollout %s, events %q", svc.Deployments[0].RolloutState, eventMessages(svc))
	}
	// Idle: polls that change nothing write nothing, and nothing is registered twice.
	changed, stop := e.db.Watch()
	defer stop()
	e.reconcile()
	select {
	case <-changed:
		t.Fatal("an idle round wrote to the store")
	default:
	}
	if n := lb.count("RegisterTarget", ""); n != 6 {
		t.Fatalf("%d RegisterTarget calls, want 6", n)
	}
}

func TestServiceReplacesTasksUnhealthyInTargetGroup(t *testing.T) {
	e, lb, a := lbEnv(t)
	lb.healthyAfter, lb.drainAfter = 1, 1
	e.createService("web", 2, withLB(tgA), func(in *CreateServiceInput) { in.HealthCheckGracePeriodSeconds = ptr(int32(60)) })
	e.settle(a)
	if svc := e.service("default", "web"); countEvents(svc, "steady state") != 1 {
		t.Fatalf("not steady: %q", eventMessages(svc))
	}
	sick := byStatus(e.tasks("default", StatusRunning), StatusRunning)[0]
	key := targetOf(t, sick)
	lb.set(tgA, key, targetUnhealthy, "Target.ResponseCodeMismatch")
	e.reconcile()
	e.reconcile()
	if got := e.task(sick.TaskArn); got.DesiredStatus != StatusRunning {
		t.Fatalf("task stopped within the grace period: %+v", got)
	}
	e.clock.Advance(60 * time.Second)
	e.reconcile()
	got := e.task(sick.TaskArn)
	reason := "Task failed ELB health checks in (target-group " + tgA + ")"
	if got.DesiredStatus != StatusStopped || got.LastStatus != StatusDeactivating || got.StopCode != StopCodeServiceSchedulerInitiated || got.StoppedReason != reason {
		t.Fatalf("unhealthy task: last %s desired %s code %s reason %q", got.LastStatus, got.DesiredStatus, got.StopCode, got.StoppedReason)
	}
	_, id := clusterAndID(sick.TaskArn)
	port := strings.TrimPrefix(key, "i-1:")
	svc := e.service("default", "web")
	want := "(service web) (task " + id + ") (instance i-1) (port " + port + ") is unhealthy in (target-group " + tgA + ") due to (reason Health checks failed)."
	if countEvents(svc, want) != 1 {
		t.Fatalf("no event %q in %q", want, eventMessages(svc))
	}
	e.settle(a)
	if got := e.task(sick.TaskArn); got.LastStatus != StatusStopped || got.StoppedReason != reason {
		t.Fatalf("unhealthy task after draining: %s %q", got.LastStatus, got.StoppedReason)
	}
	keys := e.runningKeys()
	if len(keys) != 2 || slices.Contains(keys, key) {
		t.Fatalf("running after the replacement: %v (the sick one was %s)", keys, key)
	}
	if got := lb.healthyKeys(tgA); !slices.Equal(got, keys) || len(lb.states(tgA)) != 2 {
		t.Fatalf("targets %v, want %v healthy", lb.states(tgA), keys)
	}
	// ELB health check failures do not throttle launches.
	if svc := e.service("default", "web"); svc.Deployments[0].FailedTasks != 1 || countEvents(svc, "unable to consistently start") != 0 {
		t.Fatalf("failed tasks %d, events %q", svc.Deployments[0].FailedTasks, eventMessages(svc))
	}
}

func TestServiceScaleInDrainsBeforeStopping(t *testing.T) {
	e, lb, a := lbEnv(t)
	lb.healthyAfter = 1
	e.createService("web", 2, withLB(tgA))
	e.settle(a)
	before := e.runningKeys()
	e.updateService(&UpdateServiceInput{Service: ptr("web"), DesiredCount: ptr(int32(1))})
	e.reconcile()

	var victim Task
	for _, task := range e.tasks("default", StatusStopped) {
		victim = task
	}
	if victim.LastStatus != StatusDeactivating || victim.DesiredStatus != StatusStopped {
		t.Fatalf("scaled-in task: last %s desired %s, want DEACTIVATING STOPPED", victim.LastStatus, victim.DesiredStatus)
	}
	key := targetOf(t, victim)
	if st := lb.states(tgA)[key]; st != targetDraining {
		t.Fatalf("target %s is %q, want draining", key, st)
	}
	svc := e.service("default", "web")
	for _, msg := range []string{"(service web) has stopped 1 running tasks: (task ", "(service web) deregistered 1 targets in (target-group " + tgA + ")", "(service web) has begun draining connections on 1 tasks."} {
		if countEvents(svc, msg) != 1 {
			t.Fatalf("no event %q in %q", msg, eventMessages(svc))
		}
	}
	if svc.RunningCount != 1 {
		t.Fatalf("running count %d while one task drains, want 1", svc.RunningCount)
	}

	// While it drains, the agent keeps it running, and its reports do not undo it.
	agentView := func() Task {
		t.Helper()
		nts, err := e.s.NodeTasks(e.ctx, "i-1")
		if err != nil {
			t.Fatal(err)
		}
		for _, nt := range nts {
			if nt.Task.TaskArn == victim.TaskArn {
				return nt.Task
			}
		}
		t.Fatalf("NodeTasks does not list the draining task")
		return Task{}
	}
	if v := agentView(); v.LastStatus != StatusRunning || v.DesiredStatus != StatusRunning {
		t.Fatalf("the agent sees %s/%s while the task drains, want RUNNING/RUNNING", v.LastStatus, v.DesiredStatus)
	}
	if err := e.s.ReportTask(e.ctx, TaskReport{TaskArn: victim.TaskArn, LastStatus: StatusRunning, HealthStatus: "HEALTHY"}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		e.clock.Advance(10 * time.Second)
		e.reconcile()
		a.step()
	}
	if got := e.task(victim.TaskArn); got.LastStatus != StatusDeactivating {
		t.Fatalf("task %s before its target is unused, want DEACTIVATING", got.LastStatus)
	}

	// Drained: the agent is told to stop it.
	lb.set(tgA, key, targetUnused, "")
	e.reconcile()
	if got := e.task(victim.TaskArn); got.LastStatus != StatusStopping || got.DesiredStatus != StatusStopped {
		t.Fatalf("drained task: %s/%s, want STOPPING/STOPPED", got.LastStatus, got.DesiredStatus)
	}
	if v := agentView(); v.DesiredStatus != StatusStopped {
		t.Fatalf("the agent sees desired %s once drained, want STOPPED", v.DesiredStatus)
	}
	e.settle(a)
	if got := e.task(victim.TaskArn); got.LastStatus != StatusStopped {
		t.Fatalf("task %s, want STOPPED", got.LastStatus)
	}
	kept := e.runningKeys()
	if len(kept) != 1 || !slices.Contains(before, kept[0]) || !slices.Equal(keysOf(lb.states(tgA)), kept) {
		t.Fatalf("kept %v (had %v), targets %v", kept, before, lb.states(tgA))
	}
	if svc := e.service("default", "web"); countEvents(svc, "steady state") != 2 {
		t.Fatalf("events %q", eventMessages(svc))
	}
}

func TestServiceDrainTimeout(t *testing.T) {
	e, lb, a := lbEnv(t)
	lb.healthyAfter = 1
	e.createService("web", 1, withLB(tgA))
	e.settle(a)
	e.updateService(&UpdateServiceInput{Service: ptr("web"), DesiredCount: ptr(int32(0))})
	e.settle(a)
	task := e.tasks("default", StatusStopped)[0]
	if task.LastStatus != StatusDeactivating {
		t.Fatalf("task %s, want DEACTIVATING", task.LastStatus)
	}
	e.clock.Advance(59 * time.Minute)
	e.settle(a)
	if got := e.task(task.TaskArn); got.LastStatus != StatusDeactivating {
		t.Fatalf("task %s after 59 minutes of draining, want DEACTIVATING", got.LastStatus)
	}
	e.clock.Advance(time.Minute)
	e.settle(a)
	if got := e.task(task.TaskArn); got.LastStatus != StatusStopped {
		t.Fatalf("task %s after an hour of draining, want STOPPED", got.LastStatus)
	}
}

func TestRollingUpdateDrainsOnlyBehindHealthyTasks(t *testing.T) {
	for _, tt := range []struct {
		name      string
		min, max  int32
		minTarget int // healthy targets that must remain while one drains
	}{
		{"100/200", 100, 200, 3},
		{"50/100", 50, 100, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e, lb, a := lbEnv(t)
			lb.healthyAfter, lb.drainAfter = 3, 3
			var violations []string
			lb.onDeregister = func(tg, key string) {
				healthy := 0
				for k, target := range lb.targets[tg] {
					if k != key && target.state == targetHealthy {
						healthy++
					}
				}
				if healthy < tt.minTarget {
					violations = append(violations, fmt.Sprintf("%s began draining with %d other healthy targets", key, healthy))
				}
			}
			a.stopping = func(task Task) {
				for _, c := range task.Containers {
					for _, b := range c.NetworkBindings {
						if st, ok := lb.states(tgA)[targetKey("i-1", deref(b.HostPort))]; ok {
							t.Errorf("the agent was told to stop a task whose target is still %s", st)
						}
					}
				}
			}
			e.createService("web", 3, withLB(tgA), func(in *CreateServiceInput) {
				in.DeploymentConfiguration = &DeploymentConfiguration{MinimumHealthyPercent: ptr(tt.min), MaximumPercent: ptr(tt.max)}
			})
			for range 10 {
				e.settle(a)
				e.clock.Advance(time.Second)
			}
			old := e.runningKeys()
			if !slices.Equal(lb.healthyKeys(tgA), old) || len(old) != 3 {
				t.Fatalf("before the update: healthy %v, running %v", lb.healthyKeys(tgA), old)
			}
			e.register("web", 256, false, webPort)
			e.updateService(&UpdateServiceInput{Service: ptr("web"), TaskDefinition: ptr("web:2")})
			for round := 0; ; round++ {
				if round == 100 {
					t.Fatal("the rolling update did not complete in 100 rounds")
				}
				e.reconcile()
				a.step()
				e.clock.Advance(time.Second)
				svc := e.service("default", "web")
				if len(svc.Deployments) == 1 && svc.Deployments[0].RolloutState == "COMPLETED" {
					break
				}
			}
			if len(violations) > 0 {
				t.Fatalf("old tasks drained before new ones were healthy: %v", violations)
			}
			now := e.runningKeys()
			if len(now) != 3 || !slices.Equal(lb.healthyKeys(tgA), now) || len(lb.states(tgA)) != 3 {
				t.Fatalf("after the update: running %v, targets %v", now, lb.states(tgA))
			}
			for _, k := range old {
				if slices.Contains(now, k) {
					t.Fatalf("old target %s still there", k)
				}
			}
			for _, task := range byStatus(e.tasks("default", StatusRunning), StatusRunning) {
				if !strings.HasSuffix(task.TaskDefinitionArn, ":task-definition/web:2") {
					t.Fatalf("task of %s still running", task.TaskDefinitionArn)
				}
			}
		})
	}
}

func TestDeleteServiceDrainsThenStops(t *testing.T) {
	e, lb, a := lbEnv(t)
	lb.healthyAfter = 1
	e.createService("web", 2, withLB(tgA))
	e.settle(a)
	out, err := e.s.DeleteService(e.ctx, &DeleteServiceInput{Service: ptr("web"), Force: ptr(true)})
	if err != nil {
		t.Fatal(err)
	}
	if out.Service.Status != "DRAINING" {
		t.Fatalf("status %s", out.Service.Status)
	}
	for _, task := range e.tasks("default", StatusStopped) {
		if task.LastStatus != StatusDeactivating {
			t.Fatalf("task %s right after DeleteService, want DEACTIVATING", task.LastStatus)
		}
	}
	e.settle(a)
	if svc := e.service("default", "web"); svc.Status != "DRAINING" || countEvents(svc, "(service web) has begun draining connections on 2 tasks.") != 1 {
		t.Fatalf("status %s while draining, events %q", svc.Status, eventMessages(svc))
	}
	nts, err := e.s.NodeTasks(e.ctx, "i-1")
	if err != nil || len(nts) != 2 || nts[0].Task.DesiredStatus != StatusRunning {
		t.Fatalf("NodeTasks while draining: %+v %v", nts, err)
	}
	lb.setAll(tgA, targetDraining, targetUnused)
	e.settle(a)
	if svc := e.service("default", "web"); svc.Status != "INACTIVE" {
		t.Fatalf("status %s once drained, want INACTIVE", svc.Status)
	}
	if len(lb.states(tgA)) != 0 {
		t.Fatalf("targets left: %v", lb.states(tgA))
	}
}

func TestStopTaskDrainsServiceTask(t *testing.T) {
	e, lb, a := lbEnv(t)
	lb.healthyAfter, lb.drainAfter = 1, 1
	e.createService("web", 2, withLB(tgA))
	e.settle(a)
	tasks := byStatus(e.tasks("default", StatusRunning), StatusRunning)
	out, err := e.s.StopTask(e.ctx, &StopTaskInput{Task: ptr(tasks[0].TaskArn), Reason: ptr("testing")})
	if err != nil {
		t.Fatal(err)
	}
	if out.Task.LastStatus != StatusDeactivating || out.Task.DesiredStatus != StatusStopped || out.Task.StopCode != StopCodeUserInitiated {
		t.Fatalf("StopTask: %s/%s %s", out.Task.LastStatus, out.Task.DesiredStatus, out.Task.StopCode)
	}
	e.settle(a)
	if got := e.task(tasks[0].TaskArn); got.LastStatus != StatusStopped || got.StoppedReason != "testing" {
		t.Fatalf("stopped task: %s %q", got.LastStatus, got.StoppedReason)
	}
	if n := lb.count("DeregisterTarget", tgA+" "+targetOf(t, tasks[0])); n != 1 {
		t.Fatalf("%d deregistrations of the stopped task, want 1", n)
	}

	// A task that stops by itself is deregistered after the fact, without waiting.
	lb.drainAfter = 0
	crashed := byStatus(e.tasks("default", StatusRunning), StatusRunning)[0]
	key := targetOf(t, crashed)
	a.crash(crashed.TaskArn)
	e.reconcile()
	if st := lb.states(tgA)[key]; st != targetDraining {
		t.Fatalf("crashed task's target is %q, want draining", st)
	}
	for _, r := range e.records("default", "web") {
		if r.Task.TaskArn == crashed.TaskArn && len(r.Targets) != 0 {
			t.Fatalf("crashed task still has targets: %+v", r.Targets)
		}
	}
	if svc := e.service("default", "web"); countEvents(svc, "has begun draining connections on 1 tasks.") != 1 || countEvents(svc, "deregistered 1 targets") != 2 {
		t.Fatalf("events %q", eventMessages(svc))
	}
}

func TestTargetCallFailuresAreRetried(t *testing.T) {
	e, lb, a := lbEnv(t)
	e.createService("web", 1, withLB(tgA))
	lb.fail["RegisterTarget"] = 2
	e.reconcile()
	a.step() // PENDING
	a.step() // RUNNING
	e.reconcile()
	e.reconcile()
	if len(lb.states(tgA)) != 0 {
		t.Fatalf("targets after failed registrations: %v", lb.states(tgA))
	}
	recs := e.records("default", "web")
	if len(recs) != 1 || len(recs[0].Targets) != 1 || recs[0].Targets[0].State != targetRegistering {
		t.Fatalf("the intent to register is not recorded: %+v", recs)
	}
	e.reconcile()
	if n := len(lb.states(tgA)); n != 1 || lb.count("RegisterTarget", "") != 3 {
		t.Fatalf("%d targets after %d calls, want 1 after 3", n, lb.count("RegisterTarget", ""))
	}
	lb.fail["TargetState"] = 1
	lb.setAll(tgA, targetInitial, targetHealthy)
	e.reconcile()
	if svc := e.service("default", "web"); countEvents(svc, "steady state") != 0 {
		t.Fatal("steady although the health was never read")
	}
	e.settle(a)
	if svc := e.service("default", "web"); countEvents(svc, "steady state") != 1 {
		t.Fatalf("events %q", eventMessages(svc))
	}

	lb.fail["DeregisterTarget"] = 2
	e.updateService(&UpdateServiceInput{Service: ptr("web"), DesiredCount: ptr(int32(0))})
	e.reconcile()
	e.reconcile()
	task := e.tasks("default", StatusStopped)[0]
	if task.LastStatus != StatusDeactivating || lb.states(tgA)[targetOf(t, task)] != targetHealthy {
		t.Fatalf("after failed deregistrations: task %s, targets %v", task.LastStatus, lb.states(tgA))
	}
	e.reconcile()
	if lb.states(tgA)[targetOf(t, task)] != targetDraining {
		t.Fatalf("targets %v, want draining", lb.states(tgA))
	}
	lb.setAll(tgA, targetDraining, targetUnused)
	e.settle(a)
	if got := e.task(task.TaskArn); got.LastStatus != StatusStopped {
		t.Fatalf("task %s, want STOPPED", got.LastStatus)
	}
}

func TestTargetsConvergeAfterRestart(t *testing.T) {
	e, lb, a := lbEnv(t)
	lb.healthyAfter, lb.drainAfter = 1, 1
	e.createService("web", 2, withLB(tgA))
	e.reconcile()
	a.step()
	a.step()
	// The registrations happen, but wharf dies before it records them.
	lb.lose["RegisterTarget"] = 2
	e.reconcile()
	if lb.lose["RegisterTarget"] != 0 || len(lb.states(tgA)) != 2 {
		t.Fatalf("the registrations were not made: %v", lb.states(tgA))
	}
	e.restart()
	a = e.agent("i-1")
	e.settle(a)
	keys := e.runningKeys()
	if len(keys) != 2 || !slices.Equal(lb.healthyKeys(tgA), keys) {
		t.Fatalf("running %v, targets %v", keys, lb.states(tgA))
	}
	for _, k := range keys {
		if n := lb.added[tgA+" "+k]; n != 1 {
			t.Fatalf("target %s added %d times", k, n)
		}
	}

	// A registration made but not recorded, and the task dies too before the restart:
	// its target must not be left behind, which only the intent recorded before the
	// call makes possible.
	lb.lose["RegisterTarget"] = 1
	e.updateService(&UpdateServiceInput{Service: ptr("web"), DesiredCount: ptr(int32(3))})
	e.reconcile()
	a.step()
	a.step()
	e.reconcile()
	var fresh taskRecord
	for _, r := range e.records("default", "web") {
		if len(r.Targets) == 1 && r.Targets[0].State == targetRegistering {
			fresh = r
		}
	}
	if fresh.Task.TaskArn == "" {
		t.Fatal("no task with a recorded intent to register")
	}
	if _, ok := lb.states(tgA)[targetOf(t, fresh.Task)]; !ok {
		t.Fatalf("the registration was not made: %v", lb.states(tgA))
	}
	a.crash(fresh.Task.TaskArn)
	e.restart()
	a = e.agent("i-1")
	e.settle(a)
	e.clock.Advance(5 * time.Second)
	e.settle(a)
	if st, ok := lb.states(tgA)[targetOf(t, fresh.Task)]; ok && st != targetDraining {
		t.Fatalf("the crashed task's target was left %s: %v", st, lb.states(tgA))
	}

	// A deregistration that happens but is not recorded.
	lb.lose["DeregisterTarget"] = 1
	e.updateService(&UpdateServiceInput{Service: ptr("web"), DesiredCount: ptr(int32(1))})
	e.reconcile()
	if lb.lose["DeregisterTarget"] != 0 {
		t.Fatal("no deregistration was made")
	}
	e.restart()
	a = e.agent("i-1")
	e.settle(a)
	keys = e.runningKeys()
	if len(keys) != 1 || !slices.Equal(lb.registered(tgA), keys) || !slices.Equal(lb.healthyKeys(tgA), keys) {
		t.Fatalf("running %v, targets %v", keys, lb.states(tgA))
	}
	for _, r := range e.records("default", "web") {
		if !r.live() && len(r.Targets) > 0 {
			t.Fatalf("stopped task %s keeps targets %+v", r.Task.TaskArn, r.Targets)
		}
	}
	if svc := e.service("default", "web"); svc.RunningCount != 1 || countEvents(svc, "steady state") == 0 {
		t.Fatalf("running %d, events %q", svc.RunningCount, eventMessages(svc))
	}
}

// TestNoLoadBalancerCallInsideATransaction runs the reconciler and an agent as wharf
// does, in goroutines, while the API is used: every call of the fake load balancer
// probes the store (see fakeLB.probe) and fails the test if a transaction is open.
func TestNoLoadBalancerCallInsideATransaction(t *testing.T) {
	e, lb, _ := lbEnv(t)
	lb.healthyAfter, lb.drainAfter = 1, 1
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
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
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	tick := func() { e.clock.Advance(time.Second) }
	e.createService("web", 3, withLB(tgA))
	waitFor(t, "service steady", func() bool {
		tick()
		svc := e.service("default", "web")
		return svc.RunningCount == 3 && countEvents(svc, "steady state") == 1
	})
	e.register("web", 256, false, webPort)
	e.updateService(&UpdateServiceInput{Service: ptr("web"), TaskDefinition: ptr("web:2"), DesiredCount: ptr(int32(2))})
	waitFor(t, "rollout complete", func() bool {
		tick()
		svc := e.service("default", "web")
		return len(svc.Deployments) == 1 && svc.Deployments[0].RolloutState == "COMPLETED" && len(lb.healthyKeys(tgA)) == 2
	})
	if _, err := e.s.DeleteService(e.ctx, &DeleteServiceInput{Service: ptr("web"), Force: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "service inactive", func() bool {
		tick()
		return e.service("default", "web").Status == "INACTIVE"
	})
	cancel()
	if err := <-runErr; err != nil {
		t.Fatalf("Run returned %v", err)
	}
	if err := <-agentErr; err != nil {
		t.Fatal(err)
	}
	if n := len(lb.states(tgA)); n != 0 || lb.count("RegisterTarget", "") < 5 || lb.count("DeregisterTarget", "") < 5 {
		t.Fatalf("targets left %d; %d registrations, %d deregistrations", n, lb.count("RegisterTarget", ""), lb.count("DeregisterTarget", ""))
	}
}
