package agent

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/wharf-dev/wharf/internal/driver"
	"github.com/wharf-dev/wharf/internal/ecs"
)

// TestLifecycle runs a task from placement to a stop the control plane asks for.
func TestLifecycle(t *testing.T) {
	t.Parallel()
	f := newFakeControl()
	drv := newDriver(t, "")
	startAgent(t, f, Drivers{Process: drv})

	web := helper("web", "serve")
	web.PortMappings = []ecs.PortMapping{{ContainerPort: ptr(int32(8080)), HostPort: ptr(int32(0)), Protocol: "tcp"}}
	nt := newTask(web)
	arn := nt.Task.TaskArn
	f.place(nt)

	pending, iPending := waitStatus(t, f, arn, ecs.StatusPending)
	if pending.PullStartedAt == nil {
		t.Errorf("PENDING report has no pullStartedAt")
	}
	running, iRunning := waitStatus(t, f, arn, ecs.StatusRunning)
	if iRunning < iPending {
		t.Errorf("RUNNING (report #%d) came before PENDING (report #%d)", iRunning, iPending)
	}
	if running.StartedAt == nil {
		t.Errorf("RUNNING report has no startedAt")
	}
	c := container(t, running, "web")
	if c.LastStatus != ecs.StatusRunning || c.RuntimeID == "" {
		t.Fatalf("container in the RUNNING report: lastStatus %q, runtimeId %q; want RUNNING with an id", c.LastStatus, c.RuntimeID)
	}
	if len(c.NetworkBindings) != 1 {
		t.Fatalf("network bindings = %+v, want one", c.NetworkBindings)
	}
	nb := c.NetworkBindings[0]
	if *nb.ContainerPort != 8080 || *nb.HostPort <= 0 || nb.Protocol != "tcp" {
		t.Errorf("network binding = container %d, host %d, %s; want container 8080 on a host port, tcp", *nb.ContainerPort, *nb.HostPort, nb.Protocol)
	}
	rep := getHelper(t, *nb.HostPort)
	pid := pidOf(t, c.RuntimeID)
	if rep.PID != pid {
		t.Errorf("the program serving on the host port has pid %d, the runtime id says %d", rep.PID, pid)
	}

	f.stopTask(arn)
	stopping, iStopping := waitStatus(t, f, arn, ecs.StatusDeprovisioning)
	if stopping.StoppingAt == nil {
		t.Errorf("DEPROVISIONING report has no stoppingAt")
	}
	stopped, iStopped := waitStatus(t, f, arn, ecs.StatusStopped)
	if iStopped < iStopping {
		t.Errorf("STOPPED (report #%d) came before DEPROVISIONING (report #%d)", iStopped, iStopping)
	}
	if stopped.StoppedAt == nil || stopped.ExecutionStoppedAt == nil {
		t.Errorf("STOPPED report: stoppedAt %v, executionStoppedAt %v; want both", stopped.StoppedAt, stopped.ExecutionStoppedAt)
	}
	if stopped.StopCode != ecs.StopCodeUserInitiated {
		t.Errorf("stopCode = %q, want the control plane's %q", stopped.StopCode, ecs.StopCodeUserInitiated)
	}
	c = container(t, stopped, "web")
	if c.LastStatus != ecs.StatusStopped || c.ExitCode == nil || *c.ExitCode != 128+int32(syscall.SIGTERM) {
		t.Errorf("container in the STOPPED report: lastStatus %q, exit code %v; want STOPPED with 143 (SIGTERM)", c.LastStatus, c.ExitCode)
	}
	eventually(t, "the process to be gone", func() bool { return !alive(pid) })
	eventually(t, "the container to be removed from the driver", func() bool { return removed(drv, c.RuntimeID) })
	checkNoRepeats(t, f, arn)
}

// TestEssentialExit checks that only an essential container's exit stops a task.
func TestEssentialExit(t *testing.T) {
	t.Parallel()
	f := newFakeControl()
	drv := newDriver(t, "")
	startAgent(t, f, Drivers{Process: drv})

	t.Run("essential", func(t *testing.T) {
		t.Parallel()
		nt := newTask(shell("main", "sleep 0.2; exit 3"), nonEssential(shell("side", "exec sleep 1000")))
		f.place(nt)
		stopped, _ := waitStatus(t, f, nt.Task.TaskArn, ecs.StatusStopped)
		if stopped.StopCode != ecs.StopCodeEssentialContainerExited || stopped.StoppedReason != "Essential container in task exited" {
			t.Errorf("stop = %q %q, want %s \"Essential container in task exited\"", stopped.StopCode, stopped.StoppedReason, ecs.StopCodeEssentialContainerExited)
		}
		if c := container(t, stopped, "main"); c.ExitCode == nil || *c.ExitCode != 3 {
			t.Errorf("main's exit code = %v, want 3", c.ExitCode)
		}
		side := container(t, stopped, "side")
		if side.LastStatus != ecs.StatusStopped || side.RuntimeID == "" {
			t.Errorf("side in the STOPPED report: %+v; want it started, then STOPPED", side)
		}
		eventually(t, "side's process to be stopped", func() bool { return !alive(pidOf(t, side.RuntimeID)) })
	})

	t.Run("non-essential", func(t *testing.T) {
		t.Parallel()
		nt := newTask(shell("main", "exec sleep 1000"), nonEssential(shell("side", "exit 4")))
		arn := nt.Task.TaskArn
		f.place(nt)
		_, i := waitReport(t, f, arn, 0, "side exited while the task runs", func(r ecs.TaskReport) bool {
			side := container(t, r, "side")
			return r.LastStatus == ecs.StatusRunning && side.LastStatus == ecs.StatusStopped && side.ExitCode != nil && *side.ExitCode == 4
		})
		// The agent keeps going: the task stays RUNNING through more resyncs.
		calls := f.nodeTaskCalls.Load()
		eventually(t, "more resyncs", func() bool { return f.nodeTaskCalls.Load() >= calls+5 })
		for _, r := range f.reportsOf(arn)[i:] {
			if r.LastStatus != ecs.StatusRunning {
				t.Fatalf("a non-essential container's exit moved the task to %s; reports:\n%s", r.LastStatus, f.dump(arn))
			}
		}
		f.stopTask(arn)
		stopped, _ := waitStatus(t, f, arn, ecs.StatusStopped)
		if stopped.StopCode != ecs.StopCodeUserInitiated {
			t.Errorf("stopCode = %q, want %q", stopped.StopCode, ecs.StopCodeUserInitiated)
		}
	})
}

// TestStopTimeout checks that a container that ignores SIGTERM is killed after its
// stop timeout.
func TestStopTimeout(t *testing.T) {
	t.Parallel()
	f := newFakeControl()
	startAgent(t, f, Drivers{Process: newDriver(t, "")})
	cd := helper("main", "ignore-term")
	cd.StopTimeout = ptr(int32(1))
	ready := filepath.Join(markerDir(t), "ready")
	cd.Environment = append(cd.Environment, ecs.KeyValuePair{Name: "READY_FILE", Value: ready})
	nt := newTask(cd)
	f.place(nt)
	waitStatus(t, f, nt.Task.TaskArn, ecs.StatusRunning)
	eventually(t, "the program to ignore SIGTERM", func() bool { return exists(ready) })
	f.stopTask(nt.Task.TaskArn)
	stopped, _ := waitStatus(t, f, nt.Task.TaskArn, ecs.StatusStopped)
	c := container(t, stopped, "main")
	if c.ExitCode == nil || *c.ExitCode != 128+int32(syscall.SIGKILL) || c.Reason == "" {
		t.Errorf("container: exit code %v, reason %q; want 137 and a reason; reports:\n%s", c.ExitCode, c.Reason, f.dump(nt.Task.TaskArn))
	}
}

// TestStartFailure checks the stop code and reason of tasks that cannot start.
func TestStartFailure(t *testing.T) {
	t.Parallel()
	f := newFakeControl()
	startAgent(t, f, Drivers{Process: newDriver(t, ""), DockerMissing: errors.New("no Docker engine answers (dial unix /var/run/docker.sock: connect: no such file or directory)")})

	tests := []struct {
		name  string
		image string
		want  []string // substrings of the reason
	}{
		{"missing program", "process:/nonexistent", []string{"/nonexistent"}},
		{"relative program", "process:bin/app", []string{"not absolute"}},
		{"no docker", "public.ecr.aws/nginx/nginx:latest", []string{
			"public.ecr.aws/nginx/nginx:latest", "no Docker engine answers", "start a Docker engine", `"process:/absolute/path"`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cd := shell("main", "exec sleep 1000")
			cd.Image = tt.image
			nt := newTask(nonEssential(shell("side", "exec sleep 1000")), cd)
			nt.TaskDefinition.ContainerDefinitions[1].DependsOn = []ecs.ContainerDependency{{ContainerName: "side", Condition: "START"}}
			f.place(nt)
			stopped, _ := waitStatus(t, f, nt.Task.TaskArn, ecs.StatusStopped)
			if stopped.StopCode != ecs.StopCodeTaskFailedToStart {
				t.Errorf("stopCode = %q, want %s", stopped.StopCode, ecs.StopCodeTaskFailedToStart)
			}
			if !strings.HasPrefix(stopped.StoppedReason, driver.CannotPullContainerError+": ") {
				t.Errorf("stoppedReason = %q, want it to start with %s", stopped.StoppedReason, driver.CannotPullContainerError)
			}
			for _, w := range tt.want {
				if !strings.Contains(stopped.StoppedReason, w) {
					t.Errorf("stoppedReason = %q, want it to say %q", stopped.StoppedReason, w)
				}
			}
			if c := container(t, stopped, "main"); c.Reason != stopped.StoppedReason || c.RuntimeID != "" {
				t.Errorf("main: reason %q, runtime id %q; want the task's reason and no id", c.Reason, c.RuntimeID)
			}
			// The container started before the failure is stopped.
			side := container(t, stopped, "side")
			if side.RuntimeID == "" {
				t.Fatalf("side was not started before main: %+v", side)
			}
			eventually(t, "side's process to be stopped", func() bool { return !alive(pidOf(t, side.RuntimeID)) })
			for _, r := range f.reportsOf(nt.Task.TaskArn) {
				if r.LastStatus == ecs.StatusRunning {
					t.Errorf("a task that failed to start was reported RUNNING")
				}
			}
		})
	}
}

// TestEnvironment checks what a container finds in its environment and arguments.
func TestEnvironment(t *testing.T) {
	t.Parallel()
	f := newFakeControl()
	startAgent(t, f, Drivers{Process: newDriver(t, "")})

	web := helper("web", "serve")
	web.PortMappings = []ecs.PortMapping{{ContainerPort: ptr(int32(80))}}
	web.Command = []string{"from-definition"}
	web.Environment = append(web.Environment,
		ecs.KeyValuePair{Name: "KEPT", Value: "definition"},
		ecs.KeyValuePair{Name: "REPLACED", Value: "definition"})
	nt := newTask(web)
	nt.Task.Overrides = &ecs.TaskOverride{ContainerOverrides: []ecs.ContainerOverride{
		{Name: "other", Command: []string{"not-mine"}, Environment: []ecs.KeyValuePair{{Name: "KEPT", Value: "other"}}},
		{Name: "web", Command: []string{"from-override", "two"}, Environment: []ecs.KeyValuePair{
			{Name: "REPLACED", Value: "override"}, {Name: "ADDED", Value: "override"},
		}},
	}}
	f.place(nt)
	running, _ := waitStatus(t, f, nt.Task.TaskArn, ecs.StatusRunning)
	port := *container(t, running, "web").NetworkBindings[0].HostPort
	rep := getHelper(t, port)
	env := envMap(rep.Env)

	want := map[string]string{
		"AWS_ENDPOINT_URL":                testEndpoint,
		"AWS_REGION":                      "eu-west-3",
		"AWS_DEFAULT_REGION":              "eu-west-3",
		"ECS_CONTAINER_METADATA_TASK_ARN": nt.Task.TaskArn,
		"PORT":                            strconv.Itoa(int(port)),
		"KEPT":                            "definition",
		"REPLACED":                        "override",
		"ADDED":                           "override",
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s = %q, want %q", k, env[k], v)
		}
	}
	if args := rep.Args[1:]; !slices.Equal(args, []string{"from-override", "two"}) {
		t.Errorf("arguments = %q, want the override's command", args)
	}
}

// TestStoppedBeforeStart checks that a task stopped before the agent started it is
// reported STOPPED with nothing run.
func TestStoppedBeforeStart(t *testing.T) {
	t.Parallel()
	f := newFakeControl()
	drv := newDriver(t, "")
	marks := markerDir(t)
	nt := newTask(shell("main", "touch "+filepath.Join(marks, "ran")+"; exec sleep 1000"))
	nt.Task.DesiredStatus = ecs.StatusStopped
	nt.Task.StopCode = ecs.StopCodeUserInitiated
	nt.Task.StoppedReason = "stopped early"
	f.place(nt)
	startAgent(t, f, Drivers{Process: drv})

	stopped, _ := waitStatus(t, f, nt.Task.TaskArn, ecs.StatusStopped)
	if stopped.StopCode != ecs.StopCodeUserInitiated || stopped.StoppedReason != "stopped early" {
		t.Errorf("stop = %q %q, want the control plane's", stopped.StopCode, stopped.StoppedReason)
	}
	for _, r := range f.reportsOf(nt.Task.TaskArn) {
		if r.LastStatus == ecs.StatusPending || r.LastStatus == ecs.StatusRunning {
			t.Errorf("reported %s for a task that was never to run", r.LastStatus)
		}
		if id := container(t, r, "main").RuntimeID; id != "" {
			t.Errorf("a container was started: %s", id)
		}
	}
	if list, _ := drv.List(context.Background()); len(list) != 0 {
		t.Errorf("the driver ran %d containers", len(list))
	}
	if exists(filepath.Join(marks, "ran")) {
		t.Errorf("the container's command ran")
	}
}

// TestReadopt restarts the agent under a running task: the new agent adopts the
// process instead of starting another, and watches it.
func TestReadopt(t *testing.T) {
	t.Parallel()
	f := newFakeControl()
	dir := t.TempDir()
	drvA := newDriver(t, dir)
	agentA := startAgent(t, f, Drivers{Process: drvA})

	web := helper("web", "serve")
	web.PortMappings = []ecs.PortMapping{{ContainerPort: ptr(int32(8080))}}
	nt := newTask(web, nonEssential(shell("side", "exec sleep 1000")))
	arn := nt.Task.TaskArn
	f.place(nt)
	running, _ := waitStatus(t, f, arn, ecs.StatusRunning)
	before := container(t, running, "web")
	sideBefore := container(t, running, "side")
	pid := pidOf(t, before.RuntimeID)
	// Once it serves, the program holds its port: nothing else can take it meanwhile.
	if rep := getHelper(t, *before.NetworkBindings[0].HostPort); rep.PID != pid {
		t.Fatalf("the program on the port has pid %d, want %d", rep.PID, pid)
	}

	agentA.stop(t)
	drvA.Close()
	if !alive(pid) {
		t.Fatalf("the task's process %d ended with the agent", pid)
	}
	mark := len(f.reportsOf(arn))

	drvB := newDriver(t, dir)
	startAgent(t, f, Drivers{Process: drvB})
	adopted, _ := waitReport(t, f, arn, mark, "the new agent's report", func(r ecs.TaskReport) bool { return true })
	if adopted.LastStatus != ecs.StatusRunning {
		t.Fatalf("the new agent reported %s, want RUNNING; reports:\n%s", adopted.LastStatus, f.dump(arn))
	}
	for name, want := range map[string]ecs.ContainerReport{"web": before, "side": sideBefore} {
		if c := container(t, adopted, name); c.RuntimeID != want.RuntimeID || c.LastStatus != ecs.StatusRunning {
			t.Errorf("%s after the restart: runtime id %q, %s; want %q, RUNNING", name, c.RuntimeID, c.LastStatus, want.RuntimeID)
		}
	}
	if c := container(t, adopted, "web"); len(c.NetworkBindings) != 1 || *c.NetworkBindings[0].HostPort != *before.NetworkBindings[0].HostPort {
		t.Errorf("web's bindings after the restart = %+v, want %+v", c.NetworkBindings, before.NetworkBindings)
	}
	if rep := getHelper(t, *before.NetworkBindings[0].HostPort); rep.PID != pid {
		t.Errorf("the program on the port has pid %d, want %d", rep.PID, pid)
	}
	list, err := drvB.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Errorf("the new driver knows %d containers, want the 2 adopted ones: %+v", len(list), list)
	}
	for _, st := range list {
		if st.ID != before.RuntimeID && st.ID != sideBefore.RuntimeID {
			t.Errorf("a second container was started: %s", st.ID)
		}
	}

	// The new agent watches what it adopted.
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	stopped, _ := waitStatus(t, f, arn, ecs.StatusStopped)
	if stopped.StopCode != ecs.StopCodeEssentialContainerExited {
		t.Errorf("stopCode = %q, want %s; reports:\n%s", stopped.StopCode, ecs.StopCodeEssentialContainerExited, f.dump(arn))
	}
	for _, r := range f.reportsOf(arn)[mark:] {
		for _, c := range r.Containers {
			if c.RuntimeID != before.RuntimeID && c.RuntimeID != sideBefore.RuntimeID {
				t.Errorf("the new agent reported container %s with runtime id %q", c.Name, c.RuntimeID)
			}
		}
	}
	eventually(t, "side to be stopped", func() bool { return !alive(pidOf(t, sideBefore.RuntimeID)) })
	eventually(t, "the containers to be removed", func() bool {
		return removed(drvB, before.RuntimeID) && removed(drvB, sideBefore.RuntimeID)
	})
}

// TestReapOrphans checks that a restarted agent stops and removes the containers of
// tasks that are no longer placed on its node, and only those.
func TestReapOrphans(t *testing.T) {
	t.Parallel()
	f := newFakeControl()
	dir := t.TempDir()
	drvA := newDriver(t, dir)
	agentA := startAgent(t, f, Drivers{Process: drvA})

	gone := newTask(shell("main", "exec sleep 1000"))
	kept := newTask(shell("main", "exec sleep 1000"))
	f.place(gone)
	f.place(kept)
	r1, _ := waitStatus(t, f, gone.Task.TaskArn, ecs.StatusRunning)
	r2, _ := waitStatus(t, f, kept.Task.TaskArn, ecs.StatusRunning)
	goneID, keptID := container(t, r1, "main").RuntimeID, container(t, r2, "main").RuntimeID
	agentA.stop(t)
	drvA.Close()

	// The task finished while no agent ran (the control plane stopped it).
	f.edit(gone.Task.TaskArn, func(t *ecs.Task) { t.LastStatus, t.DesiredStatus = ecs.StatusStopped, ecs.StatusStopped })
	// The first listing fails: the agent must not take that for "no tasks".
	f.mu.Lock()
	f.nodeTasksErrs = 1
	f.mu.Unlock()

	drvB := newDriver(t, dir)
	startAgent(t, f, Drivers{Process: drvB})
	eventually(t, "the orphan's process to be stopped", func() bool { return !alive(pidOf(t, goneID)) })
	eventually(t, "the orphan to be removed", func() bool { return removed(drvB, goneID) })
	if !alive(pidOf(t, keptID)) {
		t.Errorf("the process of a task still placed here was stopped")
	}
	st, err := drvB.Inspect(context.Background(), keptID)
	if err != nil || !st.Running {
		t.Errorf("the container of a task still placed here: %+v, %v; want it running", st, err)
	}
	for _, r := range f.reportsOf(gone.Task.TaskArn) {
		if r.LastStatus == ecs.StatusStopped {
			t.Errorf("the agent reported a task it does not run")
		}
	}
}

// TestNodeRegistration checks what the agent says of its node.
func TestNodeRegistration(t *testing.T) {
	t.Parallel()
	f := newFakeControl()
	startAgent(t, f, Drivers{Process: newDriver(t, "")})
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.nodes) != 1 {
		t.Fatalf("registered %d times, want once", len(f.nodes))
	}
	n := f.nodes[0]
	if n.NodeID != "i-test" || n.CPU <= 0 || n.MemoryMiB <= 0 || n.AgentVersion != "test" || n.DockerVersion != "" {
		t.Errorf("node info = %+v", n)
	}
	if !slices.ContainsFunc(n.Attributes, func(a ecs.Attribute) bool { return a.Name == "wharf.driver.process" }) {
		t.Errorf("attributes %+v lack wharf.driver.process", n.Attributes)
	}
	if slices.ContainsFunc(n.Attributes, func(a ecs.Attribute) bool { return a.Name == "wharf.driver.docker" }) {
		t.Errorf("attributes %+v claim docker without a Docker driver", n.Attributes)
	}
}

// TestRunBadConfig checks that Run refuses a configuration it cannot work with.
func TestRunBadConfig(t *testing.T) {
	t.Parallel()
	f := newFakeControl()
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no control", Config{NodeID: "n", Drivers: Drivers{Process: newDriver(t, "")}}},
		{"no process driver", Config{NodeID: "n", Control: f}},
		{"no node id", Config{Control: f, Drivers: Drivers{Process: newDriver(t, "")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := New(tt.cfg).Run(context.Background()); err == nil {
				t.Errorf("Run accepted %+v", tt.cfg)
			}
		})
	}
}

// TestResume checks what an agent does with a task it finds in each state, with no
// container left of it (the machine rebooted, or a crash came before any started).
func TestResume(t *testing.T) {
	t.Parallel()
	f := newFakeControl()
	drv := newDriver(t, "")
	startAgent(t, f, Drivers{Process: drv})

	tests := []struct {
		name       string
		last       string
		desired    string
		wantRun    bool   // the container is started
		wantStop   string // the stop code reported
		wantReason string // a substring of main's reason
	}{
		{"pending", ecs.StatusPending, ecs.StatusRunning, true, ecs.StopCodeUserInitiated, ""},
		{"running, containers gone", ecs.StatusRunning, ecs.StatusRunning, false, ecs.StopCodeEssentialContainerExited, "disappeared"},
		{"deprovisioning, desired running", ecs.StatusDeprovisioning, ecs.StatusRunning, false, ecs.StopCodeEssentialContainerExited, "disappeared"},
		{"deprovisioning, desired stopped", ecs.StatusDeprovisioning, ecs.StatusStopped, false, ecs.StopCodeUserInitiated, "disappeared"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			marks := markerDir(t)
			nt := newTask(shell("main", "touch "+filepath.Join(marks, "ran")+"; exec sleep 1000"))
			nt.Task.LastStatus, nt.Task.DesiredStatus = tt.last, tt.desired
			if tt.desired == ecs.StatusStopped {
				nt.Task.StopCode = ecs.StopCodeUserInitiated
			}
			arn := nt.Task.TaskArn
			f.place(nt)
			if tt.wantRun {
				eventually(t, "the container to run", func() bool { return exists(filepath.Join(marks, "ran")) })
				waitStatus(t, f, arn, ecs.StatusRunning)
				f.stopTask(arn)
			}
			stopped, _ := waitStatus(t, f, arn, ecs.StatusStopped)
			if stopped.StopCode != tt.wantStop {
				t.Errorf("stopCode = %q, want %q", stopped.StopCode, tt.wantStop)
			}
			if c := container(t, stopped, "main"); !strings.Contains(c.Reason, tt.wantReason) {
				t.Errorf("main's reason = %q, want it to say %q", c.Reason, tt.wantReason)
			}
			if !tt.wantRun {
				if exists(filepath.Join(marks, "ran")) {
					t.Errorf("the container was started")
				}
				for _, r := range f.reportsOf(arn) {
					if r.LastStatus == ecs.StatusPending || r.LastStatus == ecs.StatusRunning {
						t.Errorf("reported %s", r.LastStatus)
					}
				}
			}
		})
	}
}

// TestStoppedReportRetried checks that an agent keeps the containers of a task whose
// STOPPED report the control plane has not taken when the agent ends, so that the
// next agent reports them.
func TestStoppedReportRetried(t *testing.T) {
	t.Parallel()
	f := newFakeControl()
	dir := t.TempDir()
	drvA := newDriver(t, dir)
	agentA := startAgent(t, f, Drivers{Process: drvA})
	nt := newTask(shell("main", "exec sleep 1000"))
	arn := nt.Task.TaskArn
	f.place(nt)
	running, _ := waitStatus(t, f, arn, ecs.StatusRunning)
	id := container(t, running, "main").RuntimeID

	f.mu.Lock()
	f.failStopped = true
	f.mu.Unlock()
	f.stopTask(arn)
	eventually(t, "a STOPPED report to be refused", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.refused > 0
	})
	agentA.stop(t)
	drvA.Close()
	if removed(drvA, id) {
		t.Fatalf("the container was removed before the control plane heard the task stopped")
	}

	f.mu.Lock()
	f.failStopped = false
	f.mu.Unlock()
	drvB := newDriver(t, dir)
	startAgent(t, f, Drivers{Process: drvB})
	stopped, _ := waitStatus(t, f, arn, ecs.StatusStopped)
	c := container(t, stopped, "main")
	if c.RuntimeID != id || c.ExitCode == nil || *c.ExitCode != 128+int32(syscall.SIGTERM) {
		t.Errorf("main: runtime id %q, exit code %v; want %q with 143", c.RuntimeID, c.ExitCode, id)
	}
	if stopped.StopCode != ecs.StopCodeUserInitiated {
		t.Errorf("stopCode = %q, want %q", stopped.StopCode, ecs.StopCodeUserInitiated)
	}
	eventually(t, "the container to be removed", func() bool { return removed(drvB, id) })
}

// TestTaskForgotten checks that a task the control plane stops listing is stopped.
func TestTaskForgotten(t *testing.T) {
	t.Parallel()
	f := newFakeControl()
	drv := newDriver(t, "")
	startAgent(t, f, Drivers{Process: drv})
	nt := newTask(shell("main", "exec sleep 1000"))
	f.place(nt)
	running, _ := waitStatus(t, f, nt.Task.TaskArn, ecs.StatusRunning)
	id := container(t, running, "main").RuntimeID
	f.forget(nt.Task.TaskArn)
	eventually(t, "the process to be stopped", func() bool { return !alive(pidOf(t, id)) })
	eventually(t, "the container to be removed", func() bool { return removed(drv, id) })
}

// TestAwsvpcTasks checks that two awsvpc tasks serving the same port both run, each
// on a host port of its own.
func TestAwsvpcTasks(t *testing.T) {
	t.Parallel()
	f := newFakeControl()
	startAgent(t, f, Drivers{Process: newDriver(t, "")})
	var ports []int32
	for range 2 {
		web := helper("web", "serve")
		// As the control plane fills it in: hostPort equals containerPort in awsvpc.
		web.PortMappings = []ecs.PortMapping{{ContainerPort: ptr(int32(8080)), HostPort: ptr(int32(8080)), Protocol: "tcp"}}
		nt := newTask(web)
		nt.TaskDefinition.NetworkMode = "awsvpc"
		f.place(nt)
		running, _ := waitStatus(t, f, nt.Task.TaskArn, ecs.StatusRunning)
		nb := container(t, running, "web").NetworkBindings
		if len(nb) != 1 || *nb[0].ContainerPort != 8080 {
			t.Fatalf("bindings = %+v, want one for container port 8080", nb)
		}
		rep := getHelper(t, *nb[0].HostPort)
		if env := envMap(rep.Env); env["PORT"] != strconv.Itoa(int(*nb[0].HostPort)) {
			t.Errorf("PORT = %q, want the host port %d", env["PORT"], *nb[0].HostPort)
		}
		ports = append(ports, *nb[0].HostPort)
	}
	if ports[0] == ports[1] {
		t.Errorf("both tasks got host port %d", ports[0])
	}
}

// flakyWait is a driver whose Wait fails a few times before it works, as the Docker
// engine's does when it restarts.
type flakyWait struct {
	driver.Driver
	failures atomic.Int32 // Wait fails while this is positive
}

func (d *flakyWait) Wait(ctx context.Context, id string) (driver.Status, error) {
	if d.failures.Add(-1) >= 0 {
		return driver.Status{}, errors.New("flaky: connection reset by peer")
	}
	return d.Driver.Wait(ctx, id)
}

// TestWaitFailure checks that a driver failing to wait does not stop a task.
func TestWaitFailure(t *testing.T) {
	t.Parallel()
	f := newFakeControl()
	drv := &flakyWait{Driver: newDriver(t, "")}
	drv.failures.Store(2)
	startAgent(t, f, Drivers{Process: drv})
	nt := newTask(shell("main", "exec sleep 1000"))
	arn := nt.Task.TaskArn
	f.place(nt)
	running, i := waitStatus(t, f, arn, ecs.StatusRunning)
	eventually(t, "Wait to have failed", func() bool { return drv.failures.Load() < 0 })
	calls := f.nodeTaskCalls.Load()
	eventually(t, "more resyncs", func() bool { return f.nodeTaskCalls.Load() >= calls+5 })
	for _, r := range f.reportsOf(arn)[i:] {
		if r.LastStatus != ecs.StatusRunning {
			t.Fatalf("a failure to wait moved the task to %s; reports:\n%s", r.LastStatus, f.dump(arn))
		}
	}
	// The watch goes on: the exit is seen.
	if err := syscall.Kill(pidOf(t, container(t, running, "main").RuntimeID), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	stopped, _ := waitStatus(t, f, arn, ecs.StatusStopped)
	if c := container(t, stopped, "main"); stopped.StopCode != ecs.StopCodeEssentialContainerExited || c.ExitCode == nil || *c.ExitCode != 137 {
		t.Errorf("stop code %q, exit code %v; want %s, 137", stopped.StopCode, c.ExitCode, ecs.StopCodeEssentialContainerExited)
	}
}
