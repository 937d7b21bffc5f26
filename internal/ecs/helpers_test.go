package ecs

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/clocktest"
	"github.com/wharf-dev/wharf/internal/store"
)

// env is a Service on a real store in a temporary directory, with a fake clock.
type env struct {
	t     *testing.T
	dir   string
	db    *store.DB
	s     *Service
	clock *fakeClock
	ctx   context.Context
	// lb is the load balancers the Service gets (none when nil).
	lb *fakeLB
	// alarms is the CloudWatch alarms the Service gets (none when nil).
	alarms *fakeAlarms
	// timeScale is the Service's time scale (1 when 0).
	timeScale float64
	// nextPort is the next dynamic host port the fake agents bind (the node's
	// ports outlive an agent).
	nextPort int32
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), clock: newFakeClock(), ctx: context.Background(), nextPort: 32768}
	e.open()
	t.Cleanup(func() { e.db.Close() })
	return e
}

// open opens the store and builds a new Service over it.
func (e *env) open() {
	e.t.Helper()
	db, err := store.Open(filepath.Join(e.dir, "wharf.db"))
	if err != nil {
		e.t.Fatal(err)
	}
	e.db = db
	e.newService()
}

// newService builds a new Service over the open store.
func (e *env) newService() {
	e.t.Helper()
	cfg := Config{Clock: e.clock, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), TimeScale: e.timeScale}
	if e.lb != nil {
		cfg.LoadBalancers = e.lb
	}
	if e.alarms != nil {
		cfg.Alarms = e.alarms
	}
	s, err := New(e.db, cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	e.s = s
}

// restart closes the store and opens it again with a new Service, as after a crash.
func (e *env) restart() {
	e.t.Helper()
	if err := e.db.Close(); err != nil {
		e.t.Fatal(err)
	}
	e.open()
}

// node registers a node with the given resources.
func (e *env) node(id string, cpu, mem int32) {
	e.t.Helper()
	if err := e.s.RegisterNode(e.ctx, NodeInfo{NodeID: id, CPU: cpu, MemoryMiB: mem, AgentVersion: "1.0", DockerVersion: "27.0"}); err != nil {
		e.t.Fatal(err)
	}
}

// register registers a simple task definition: one container with memory MiB and the
// given port mappings; a health check when hc is set.
func (e *env) register(family string, mem int32, hc bool, ports ...PortMapping) *TaskDefinition {
	e.t.Helper()
	c := ContainerDefinition{Name: "app", Image: "process:/bin/app", Memory: ptr(mem), PortMappings: ports}
	if hc {
		c.HealthCheck = &HealthCheck{Command: []string{"CMD", "true"}}
	}
	out, err := e.s.RegisterTaskDefinition(e.ctx, &RegisterTaskDefinitionInput{Family: ptr(family), ContainerDefinitions: []ContainerDefinition{c}})
	if err != nil {
		e.t.Fatal(err)
	}
	return out.TaskDefinition
}

// reconcile runs one round of the reconciler: a pass and a sync of the targets.
func (e *env) reconcile() {
	e.t.Helper()
	if _, err := e.s.step(e.ctx); err != nil {
		e.t.Fatal(err)
	}
}

// settle alternates reconciler passes and agent steps until a round writes nothing.
func (e *env) settle(agents ...*fakeAgent) {
	e.t.Helper()
	changed, stop := e.db.Watch()
	defer stop()
	for range 50 {
		select {
		case <-changed:
		default:
		}
		e.reconcile()
		for _, a := range agents {
			a.step()
		}
		select {
		case <-changed:
		default:
			return
		}
	}
	e.t.Fatal("the reconciler and the agents did not settle in 50 rounds")
}

func (e *env) service(cluster, name string) ECSService {
	e.t.Helper()
	out, err := e.s.DescribeServices(e.ctx, &DescribeServicesInput{Cluster: ptr(cluster), Services: []string{name}})
	if err != nil {
		e.t.Fatal(err)
	}
	if len(out.Services) != 1 {
		e.t.Fatalf("DescribeServices(%s): %+v", name, out.Failures)
	}
	return out.Services[0]
}

// tasks returns the tasks of a cluster with the given desired status.
func (e *env) tasks(cluster, desired string) []Task {
	e.t.Helper()
	l, err := e.s.ListTasks(e.ctx, &ListTasksInput{Cluster: ptr(cluster), DesiredStatus: desired})
	if err != nil {
		e.t.Fatal(err)
	}
	if len(l.TaskArns) == 0 {
		return nil
	}
	d, err := e.s.DescribeTasks(e.ctx, &DescribeTasksInput{Cluster: ptr(cluster), Tasks: l.TaskArns})
	if err != nil {
		e.t.Fatal(err)
	}
	return d.Tasks
}

// fakeAgent plays the agent of one node: each step moves the node's tasks along.
type fakeAgent struct {
	e    *env
	node string
	// hold keeps tasks PENDING instead of starting them.
	hold bool
	// health reports this health for tasks whose definition has a health check.
	health string
	// stopping, when set, is called for each task the agent is told to stop.
	stopping func(Task)
	// fails, when set, says which tasks exit (code 1) instead of going RUNNING.
	fails func(Task) bool
}

func (e *env) agent(node string) *fakeAgent {
	return &fakeAgent{e: e, node: node, health: "HEALTHY"}
}

// step reports every task of the node one step further: a task to start goes
// PENDING then RUNNING, a task to stop goes STOPPED.
func (a *fakeAgent) step() {
	a.e.t.Helper()
	if err := a.stepErr(); err != nil {
		a.e.t.Fatal(err)
	}
}

// stepErr is step for goroutines: it returns the error instead of failing the test.
func (a *fakeAgent) stepErr() error {
	tasks, err := a.e.s.NodeTasks(a.e.ctx, a.node)
	if err != nil {
		return err
	}
	now := a.e.clock.Now()
	for _, nt := range tasks {
		task := nt.Task
		r := TaskReport{TaskArn: task.TaskArn}
		switch {
		case task.DesiredStatus == StatusStopped:
			if a.stopping != nil {
				a.stopping(task)
			}
			r.LastStatus, r.StoppedAt = StatusStopped, &now
			for _, c := range task.Containers {
				r.Containers = append(r.Containers, ContainerReport{Name: c.Name, LastStatus: StatusStopped, ExitCode: ptr(int32(0))})
			}
		case task.LastStatus == StatusProvisioning:
			r.LastStatus = StatusPending
		case task.LastStatus == StatusPending && !a.hold && a.fails != nil && a.fails(task):
			r.LastStatus, r.StopCode, r.StoppedReason, r.StoppedAt = StatusStopped, StopCodeEssentialContainerExited, "Essential container in task exited", &now
			for _, c := range task.Containers {
				r.Containers = append(r.Containers, ContainerReport{Name: c.Name, LastStatus: StatusStopped, ExitCode: ptr(int32(1)), Reason: "exit status 1"})
			}
		case task.LastStatus == StatusPending && !a.hold:
			r.LastStatus, r.StartedAt = StatusRunning, &now
			if hasHealthCheck(nt.TaskDefinition) {
				r.HealthStatus = a.health
			}
			for _, c := range task.Containers {
				r.Containers = append(r.Containers, ContainerReport{Name: c.Name, LastStatus: StatusRunning, RuntimeID: "rt-" + c.Name,
					NetworkBindings: a.bind(nt.TaskDefinition, c.Name)})
			}
		default:
			continue
		}
		if err := a.e.s.ReportTask(a.e.ctx, r); err != nil {
			return err
		}
	}
	return nil
}

// bind makes the network bindings of a container: its fixed host ports, and dynamic
// ones from 32768 up.
func (a *fakeAgent) bind(td TaskDefinition, container string) []NetworkBinding {
	var out []NetworkBinding
	for _, cd := range td.ContainerDefinitions {
		if cd.Name != container {
			continue
		}
		for _, pm := range cd.PortMappings {
			hp := deref(pm.HostPort)
			if hp == 0 {
				hp = a.e.nextPort
				a.e.nextPort++
			}
			out = append(out, NetworkBinding{BindIP: "0.0.0.0", ContainerPort: ptr(deref(pm.ContainerPort)), HostPort: ptr(hp), Protocol: orDefault(pm.Protocol, "tcp")})
		}
	}
	return out
}

// crash reports a task as stopped by itself: its essential container exited with 1.
func (a *fakeAgent) crash(taskArn string) {
	a.e.t.Helper()
	now := a.e.clock.Now()
	err := a.e.s.ReportTask(a.e.ctx, TaskReport{
		TaskArn: taskArn, LastStatus: StatusStopped, StopCode: StopCodeEssentialContainerExited,
		StoppedReason: "Essential container in task exited", StoppedAt: &now,
		Containers: []ContainerReport{{Name: "app", LastStatus: StatusStopped, ExitCode: ptr(int32(1)), Reason: "exit status 1"}},
	})
	if err != nil {
		a.e.t.Fatal(err)
	}
}

// report sends a task's health.
func (a *fakeAgent) reportHealth(taskArn, health string) {
	a.e.t.Helper()
	if err := a.e.s.ReportTask(a.e.ctx, TaskReport{TaskArn: taskArn, HealthStatus: health}); err != nil {
		a.e.t.Fatal(err)
	}
}

// wantAPIError checks that err is an AWS error with the code and a message containing msg.
func wantAPIError(t *testing.T, err error, code, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want %s %q, got no error", code, msg)
	}
	ae, ok := awsapi.As(err)
	if !ok {
		t.Fatalf("want %s %q, got a non-API error: %v", code, msg, err)
	}
	if ae.Code != code || !strings.Contains(ae.Message, msg) {
		t.Fatalf("want %s %q, got %s %q", code, msg, ae.Code, ae.Message)
	}
	if ae.HTTPStatus() != 400 {
		t.Fatalf("status %d, want 400", ae.HTTPStatus())
	}
}

// eventMessages returns the messages of a service's events, newest first.
func eventMessages(svc ECSService) []string {
	var out []string
	for _, ev := range svc.Events {
		out = append(out, ev.Message)
	}
	return out
}

// countEvents counts the events that contain substr.
func countEvents(svc ECSService, substr string) int {
	n := 0
	for _, m := range eventMessages(svc) {
		if strings.Contains(m, substr) {
			n++
		}
	}
	return n
}

func byStatus(tasks []Task, status string) []Task {
	return slices.DeleteFunc(slices.Clone(tasks), func(t Task) bool { return t.LastStatus != status })
}

var errTimeout = errors.New("timed out")

// waitFor polls cond until it holds or ten seconds pass (for tests with goroutines).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, errTimeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// fakeClock is the clock of the tests: it moves only when advanced.
type fakeClock = clocktest.Fake

func newFakeClock() *fakeClock { return clocktest.New(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)) }
