package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/wharf-dev/wharf/internal/driver"
	"github.com/wharf-dev/wharf/internal/ecs"
)

// runner owns one task: it alone starts, watches and stops the task's containers and
// reports what it sees. It learns of desired-state changes through updates.
type runner struct {
	a       *Agent
	log     *slog.Logger
	task    ecs.Task
	updates chan ecs.NodeTask // latest desired state, coalesced
	listed  ecs.Task          // the task as last listed; only Agent.sync (holding a.mu) uses it
	events  chan exitEvent
	ctrs    []*ctr
	waits   sync.WaitGroup

	taskRole   string // the task role ARN, "" for none
	execRole   string // the task execution role ARN, "" for none
	lastStatus string
	reported   string // fingerprint of the last report sent
	stopCode   string
	stopReason string

	logs         *logCounters // the task's awslogs counters
	noSinkWarned bool         // the warning that awslogs output is not shipped was logged
	usage        *taskUsage   // what TaskStats reads
}

// ctr is the observed state of one container of the task.
type ctr struct {
	def     ecs.ContainerDefinition
	spec    driver.Spec
	drv     driver.Driver
	id      string
	status  string // "" (not created), PENDING, RUNNING, STOPPED
	exit    *int32
	reason  string
	health  string
	ports   []ecs.NetworkBinding
	waiting bool
	ship    *shipper // ships its output (awslogs), once started
}

type exitEvent struct {
	c  *ctr
	st driver.Status
}

// adopted is a container found running (or exited) when the agent started.
type adopted struct {
	drv driver.Driver
	st  driver.Status
}

func newRunner(a *Agent, nt ecs.NodeTask, found map[string]adopted) *runner {
	r := &runner{
		a:          a,
		log:        a.log.With("task_arn", nt.Task.TaskArn),
		task:       nt.Task,
		updates:    make(chan ecs.NodeTask, 1),
		events:     make(chan exitEvent, len(nt.TaskDefinition.ContainerDefinitions)+1),
		lastStatus: nt.Task.LastStatus,
		listed:     nt.Task,
		taskRole:   taskRoleArn(nt.Task, nt.TaskDefinition),
		execRole:   executionRoleArn(nt.Task, nt.TaskDefinition),
		logs:       a.taskLogCounters(nt.Task.TaskArn),
		usage:      newTaskUsage(nt),
	}
	for _, cd := range nt.TaskDefinition.ContainerDefinitions {
		c := &ctr{def: cd, spec: a.containerSpec(nt.Task, nt.TaskDefinition, cd), health: "UNKNOWN"}
		if f, ok := found[cd.Name]; ok {
			c.drv, c.id = f.drv, f.st.ID
			c.observe(f.st)
			r.usage.setContainer(cd.Name, c.drv, c.id)
		}
		r.ctrs = append(r.ctrs, c)
	}
	r.usage.setRunning(r.lastStatus == ecs.StatusRunning)
	return r
}

// update hands the runner the latest desired state without blocking. The caller
// holds a.mu.
func (r *runner) update(nt ecs.NodeTask) {
	r.listed = nt.Task
	select {
	case <-r.updates:
	default:
	}
	r.updates <- nt
}

// forget tells the runner that the control plane no longer lists its task: it must
// stop. The caller holds a.mu.
func (r *runner) forget() {
	t := r.listed
	t.DesiredStatus = ecs.StatusStopped
	r.update(ecs.NodeTask{Task: t})
}

// observe records a driver status.
func (c *ctr) observe(st driver.Status) {
	if len(st.Ports) > 0 {
		c.ports = bindings(st.Ports)
	}
	switch {
	case st.Running:
		c.status = ecs.StatusRunning
	case st.ExitCode != nil || !st.FinishedAt.IsZero():
		c.status = ecs.StatusStopped
		if st.ExitCode != nil {
			code := int32(*st.ExitCode)
			c.exit = &code
		}
		if st.Reason != "" && c.reason == "" {
			c.reason = st.Reason
		}
	}
	if !st.Running {
		return // a stopped container keeps the health it last had while running
	}
	switch st.Health {
	case driver.HealthHealthy:
		c.health = "HEALTHY"
	case driver.HealthUnhealthy:
		c.health = "UNHEALTHY"
	default:
		c.health = "UNKNOWN"
	}
}

// run drives the task until it is stopped, or until ctx ends (wharf shutting down),
// in which case the containers are left running for the next agent to adopt.
func (r *runner) run(ctx context.Context) {
	defer r.waits.Wait()
	// Containers adopted from a previous agent: ship the rest of their output, watch
	// the running ones, and treat essential ones that ended while nobody watched as
	// exits.
	for _, c := range r.ctrs {
		if err := r.startShipper(ctx, c); err != nil {
			r.log.Warn("output of an adopted container is not shipped", "container", c.def.Name, "err", err)
		}
		if c.status == ecs.StatusRunning {
			r.watch(ctx, c)
		}
	}
	if r.lastStatus == ecs.StatusRunning || stopping(r.lastStatus) {
		// Every container ran: one that is not found disappeared.
		for _, c := range r.ctrs {
			if c.status == "" {
				c.status, c.reason = ecs.StatusStopped, "container disappeared while wharf was not running"
			}
		}
	}
	if stopping(r.lastStatus) && r.task.StopCode == "" && r.essentialExited() {
		// An earlier agent was stopping the task, not at the control plane's request:
		// an essential container had exited.
		r.stopCode = ecs.StopCodeEssentialContainerExited
		r.stopReason = "Essential container in task exited"
	}
	// A task that was stopping never starts again, whatever its desired status.
	if r.task.DesiredStatus != ecs.StatusStopped && !stopping(r.lastStatus) {
		if r.lastStatus == ecs.StatusProvisioning || r.lastStatus == "" {
			now := r.a.now()
			r.lastStatus = ecs.StatusPending
			r.report(ctx, ecs.TaskReport{PullStartedAt: &now})
		}
		if !r.start(ctx) {
			return
		}
	}
	r.stop(ctx)
}

// stopping reports whether a task's last status is past RUNNING and short of STOPPED.
func stopping(lastStatus string) bool {
	switch lastStatus {
	case ecs.StatusDeactivating, ecs.StatusStopping, ecs.StatusDeprovisioning:
		return true
	}
	return false
}

// start brings containers up in dependency order and then watches them; it returns
// false when ctx ended (leave everything as it is) and true when the task must stop.
func (r *runner) start(ctx context.Context) bool {
	// Secrets and the task's token, before any container starts.
	failure := r.prepare(ctx)
	if ctx.Err() != nil {
		return false
	}
	if failure != "" {
		r.log.Warn("task failed to start", "reason", failure)
		r.stopCode, r.stopReason = ecs.StopCodeTaskFailedToStart, failure
		for _, c := range r.ctrs {
			if c.status == "" {
				c.status = ecs.StatusStopped
			}
		}
		return true
	}
	health := time.NewTicker(r.a.cfg.PollInterval)
	defer health.Stop()
	for {
		if failed := r.startReady(ctx); failed {
			return true
		}
		if r.lastStatus != ecs.StatusRunning && r.allStarted() {
			now := r.a.now()
			r.lastStatus = ecs.StatusRunning
			r.usage.setRunning(true)
			r.report(ctx, ecs.TaskReport{PullStoppedAt: &now, StartedAt: &now})
		}
		if r.essentialExited() {
			r.stopCode = ecs.StopCodeEssentialContainerExited
			r.stopReason = "Essential container in task exited"
			return true
		}
		r.report(ctx, ecs.TaskReport{})
		select {
		case <-ctx.Done():
			return false
		case nt := <-r.updates:
			r.task = nt.Task
			if nt.Task.DesiredStatus == ecs.StatusStopped {
				return true
			}
		case ev := <-r.events:
			ev.c.observe(ev.st)
			ev.c.waiting = false
		case <-health.C:
			r.pollHealth(ctx)
		}
	}
}

// startReady starts every container whose dependencies are met, until no more can
// start. It returns true when the task cannot start (a start failure or a dependency
// that can never be met).
func (r *runner) startReady(ctx context.Context) (failed bool) {
	for progress := true; progress; {
		progress = false
		for _, c := range r.ctrs {
			if c.status != "" {
				continue
			}
			ready, impossible := r.depsMet(c)
			if impossible != "" {
				r.stopCode = ecs.StopCodeTaskFailedToStart
				r.stopReason = impossible
				c.status, c.reason = ecs.StatusStopped, impossible
				return true
			}
			if !ready {
				continue
			}
			if err := r.startContainer(ctx, c); err != nil {
				if ctx.Err() != nil {
					return false
				}
				reason := startReason(err)
				r.log.Warn("container failed to start", "container", c.def.Name, "err", err)
				c.status, c.reason = ecs.StatusStopped, reason
				r.stopCode = ecs.StopCodeTaskFailedToStart
				r.stopReason = reason
				return true
			}
			progress = true
		}
	}
	return false
}

// startContainer starts c with the driver its image needs, and watches it.
func (r *runner) startContainer(ctx context.Context, c *ctr) error {
	drv, err := r.a.cfg.Drivers.For(c.def.Image)
	if err != nil {
		return err
	}
	if _, _, err := awslogsOf(c.def); err != nil {
		return &driver.StartError{Reason: driver.CannotCreateContainerError, Err: fmt.Errorf("failed to initialize logging driver: %w", err)}
	}
	st, err := drv.Start(ctx, c.spec)
	if err != nil {
		return err
	}
	c.drv, c.id = drv, st.ID
	c.observe(st)
	r.usage.setContainer(c.def.Name, drv, st.ID)
	r.log.Info("container started", "container", c.def.Name, "runtime_id", c.id, "driver", drv.Name())
	if err := r.startShipper(ctx, c); err != nil { // cannot fail: the options were checked
		r.log.Warn("output of a container is not shipped", "container", c.def.Name, "err", err)
	}
	r.watch(ctx, c)
	return nil
}

// depsMet evaluates a container's dependsOn conditions.
func (r *runner) depsMet(c *ctr) (ready bool, impossible string) {
	for _, d := range c.def.DependsOn {
		dep := r.ctr(d.ContainerName)
		if dep == nil {
			return false, fmt.Sprintf("container %s depends on unknown container %s", c.def.Name, d.ContainerName)
		}
		switch strings.ToUpper(d.Condition) {
		case "START":
			if dep.status == "" {
				return false, ""
			}
		case "COMPLETE":
			if dep.status != ecs.StatusStopped {
				return false, ""
			}
		case "SUCCESS":
			if dep.status != ecs.StatusStopped {
				return false, ""
			}
			if dep.exit == nil || *dep.exit != 0 {
				return false, fmt.Sprintf("dependency %s of container %s did not exit successfully (condition SUCCESS)", dep.def.Name, c.def.Name)
			}
		case "HEALTHY":
			if dep.spec.HealthCheck == nil {
				return false, fmt.Sprintf("dependency %s of container %s has no health check (condition HEALTHY)", dep.def.Name, c.def.Name)
			}
			if dep.status == ecs.StatusStopped || dep.health == "UNHEALTHY" {
				return false, fmt.Sprintf("dependency %s of container %s did not become healthy (condition HEALTHY)", dep.def.Name, c.def.Name)
			}
			if dep.health != "HEALTHY" {
				return false, ""
			}
		}
	}
	return true, ""
}

func (r *runner) ctr(name string) *ctr {
	for _, c := range r.ctrs {
		if c.def.Name == name {
			return c
		}
	}
	return nil
}

func (r *runner) allStarted() bool {
	for _, c := range r.ctrs {
		if c.status == "" || c.status == ecs.StatusPending {
			return false
		}
	}
	return true
}

func (r *runner) essentialExited() bool {
	for _, c := range r.ctrs {
		if essential(c.def) && c.status == ecs.StatusStopped {
			return true
		}
	}
	return false
}

// watch waits for c to exit in its own goroutine and hands the result to the runner.
// A failure to wait (a driver hiccup, the Docker engine restarting) is retried: only
// an exit, or the container being gone, ends the watch.
func (r *runner) watch(ctx context.Context, c *ctr) {
	if c.waiting || c.id == "" {
		return
	}
	c.waiting = true
	drv, id := c.drv, c.id
	r.waits.Add(1)
	go func() {
		defer r.waits.Done()
		var st driver.Status
		for attempt := 0; ; attempt++ {
			var err error
			st, err = drv.Wait(ctx, id)
			if ctx.Err() != nil {
				return
			}
			if err == nil {
				break
			}
			if errors.Is(err, driver.ErrNotFound) {
				st = driver.Status{ID: id, FinishedAt: r.a.now(), Reason: "container disappeared"}
				break
			}
			r.log.Warn("waiting for container", "container", c.def.Name, "runtime_id", id, "err", err, "attempt", attempt+1)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff(attempt)):
			}
		}
		select {
		case r.events <- exitEvent{c: c, st: st}:
		case <-ctx.Done():
		}
	}()
}

// pollHealth refreshes the health of running containers that have a health check.
func (r *runner) pollHealth(ctx context.Context) {
	for _, c := range r.ctrs {
		if c.spec.HealthCheck == nil || c.status != ecs.StatusRunning {
			continue
		}
		st, err := c.drv.Inspect(ctx, c.id)
		if err != nil {
			continue
		}
		if st.Running {
			c.observe(st)
		}
	}
}

// stop stops every container, reports the task STOPPED and releases the containers.
func (r *runner) stop(ctx context.Context) {
	now := r.a.now()
	if r.stopCode == "" {
		r.stopCode = r.task.StopCode
	}
	if r.stopReason == "" {
		r.stopReason = r.task.StoppedReason
	}
	r.lastStatus = ecs.StatusDeprovisioning
	r.usage.setRunning(false)
	r.report(ctx, ecs.TaskReport{StoppingAt: &now})

	var wg sync.WaitGroup
	for _, c := range r.ctrs {
		if c.id == "" || c.status == ecs.StatusStopped {
			continue
		}
		wg.Add(1)
		go func(c *ctr) {
			defer wg.Done()
			err := c.drv.Stop(ctx, c.id, c.spec.StopTimeout)
			if err != nil && !errors.Is(err, driver.ErrNotFound) && ctx.Err() == nil {
				r.log.Warn("stopping container", "container", c.def.Name, "err", err)
			}
		}(c)
	}
	wg.Wait()
	if ctx.Err() != nil {
		return
	}
	// The output of the stopped containers reaches CloudWatch Logs before STOPPED.
	r.flushLogs(ctx)
	if ctx.Err() != nil {
		return
	}
	for _, c := range r.ctrs {
		if c.id == "" {
			if c.status == "" {
				c.status = ecs.StatusStopped
			}
			continue
		}
		if st, err := c.drv.Inspect(ctx, c.id); err == nil {
			c.observe(st)
		}
		c.status = ecs.StatusStopped
	}
	end := r.a.now()
	r.lastStatus = ecs.StatusStopped
	if !r.report(ctx, ecs.TaskReport{StoppedAt: &end, ExecutionStoppedAt: &end, StopCode: r.stopCode, StoppedReason: r.stopReason}) {
		// ctx ended before the control plane heard: keep the exited containers, so
		// that the next agent reports them (exit codes included) and removes them.
		return
	}
	for _, c := range r.ctrs {
		if c.id == "" {
			continue
		}
		if err := c.drv.Remove(context.WithoutCancel(ctx), c.id); err != nil && !errors.Is(err, driver.ErrNotFound) {
			r.log.Warn("removing container", "container", c.def.Name, "err", err)
			continue
		}
		r.a.forgetCursor(c.id)
	}
	r.a.revoke(ctx, r.task.TaskArn)
	r.log.Info("task stopped", "stop_code", r.stopCode, "reason", r.stopReason)
}

// report sends the observed state when it changed since the last report, or when
// extra carries the timestamps and stop fields of a transition. It retries until the
// control plane accepts the report, and returns false when ctx ended first.
func (r *runner) report(ctx context.Context, extra ecs.TaskReport) bool {
	rep := extra
	rep.TaskArn = r.task.TaskArn
	rep.LastStatus = r.lastStatus
	rep.HealthStatus = r.taskHealth()
	for _, c := range r.ctrs {
		status := c.status
		if status == "" {
			status = ecs.StatusPending
		}
		rep.Containers = append(rep.Containers, ecs.ContainerReport{
			Name: c.def.Name, RuntimeID: c.id, LastStatus: status, ExitCode: c.exit,
			Reason: c.reason, NetworkBindings: c.ports, HealthStatus: c.health,
		})
	}
	// The fingerprint holds the values behind the pointers (exit codes, ports), not
	// their addresses, and leaves out the transition fields of extra.
	state := rep
	state.StopCode, state.StoppedReason = "", ""
	state.PullStartedAt, state.PullStoppedAt, state.StartedAt = nil, nil, nil
	state.StoppingAt, state.StoppedAt, state.ExecutionStoppedAt = nil, nil, nil
	raw, err := json.Marshal(state)
	if err != nil { // cannot happen: the report holds only plain values
		raw = []byte(fmt.Sprintf("%+v", state))
	}
	fp := string(raw)
	transition := extra.PullStartedAt != nil || extra.PullStoppedAt != nil || extra.StartedAt != nil ||
		extra.StoppingAt != nil || extra.StoppedAt != nil || extra.ExecutionStoppedAt != nil ||
		extra.StopCode != "" || extra.StoppedReason != ""
	if fp == r.reported && !transition {
		return true
	}
	// An agent that is shutting down says nothing more: the next one observes afresh.
	if ctx.Err() != nil {
		return false
	}
	for attempt := 0; ; attempt++ {
		err := r.a.cfg.Control.ReportTask(ctx, rep)
		if err == nil {
			r.reported = fp
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		r.log.Warn("reporting task state", "err", err, "attempt", attempt+1)
		select {
		case <-ctx.Done():
			return false
		case <-time.After(backoff(attempt)):
		}
	}
}

// taskHealth derives the task's health from its essential containers as ECS does.
func (r *runner) taskHealth() string {
	checked, healthy := 0, 0
	for _, c := range r.ctrs {
		if !essential(c.def) || c.spec.HealthCheck == nil {
			continue
		}
		checked++
		switch c.health {
		case "UNHEALTHY":
			return "UNHEALTHY"
		case "HEALTHY":
			healthy++
		}
	}
	if checked > 0 && healthy == checked {
		return "HEALTHY"
	}
	return "UNKNOWN"
}

// backoff is the pause before retry attempt+1 of a report: 100ms doubling to 6.4s.
func backoff(attempt int) time.Duration { return 100 * time.Millisecond << min(attempt, 6) }
