// Package agent runs the tasks the ECS control plane places on this node. It keeps one
// runner goroutine per task, which alone starts, watches and stops that task's
// containers through a driver and reports the observed state back. Containers carry
// labels naming their task, so an agent that restarts adopts what is still running
// instead of starting it again, and removes those of tasks that ended meanwhile;
// stopping the agent leaves tasks running, as an ECS agent restart does. A task the
// control plane stops listing is stopped.
//
// The agent also ships the output of containers whose log driver is awslogs to a
// LogSink (see logship.go), and samples what running tasks use (TaskStats) for
// CloudWatch's AWS/ECS metrics.
package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wharf-dev/wharf/internal/driver"
	"github.com/wharf-dev/wharf/internal/ecs"
)

// Control is the part of the ECS control plane an agent talks to.
type Control interface {
	RegisterNode(ctx context.Context, info ecs.NodeInfo) error
	NodeTasks(ctx context.Context, nodeID string) ([]ecs.NodeTask, error)
	ReportTask(ctx context.Context, r ecs.TaskReport) error
	Watch() (<-chan struct{}, func())
}

// Config configures an agent.
type Config struct {
	// NodeID names this node to the control plane; it is stable across restarts.
	NodeID string
	// Control is the control plane that places tasks on this node.
	Control Control
	// Drivers are the runtimes of this node; Drivers.Process is required.
	Drivers Drivers
	// Endpoint is the AWS_ENDPOINT_URL given to every task.
	Endpoint string
	// DockerEndpoint, when set, replaces Endpoint for the Docker containers in bridge
	// mode (awsvpc included), whose 127.0.0.1 is their own: an address of the host they
	// reach it at.
	DockerEndpoint string
	// Region is the AWS_REGION (and AWS_DEFAULT_REGION) given to every task.
	Region string
	// Version is the agent version the node registers with.
	Version string
	// Logger receives the agent's logs; slog.Default() when nil.
	Logger *slog.Logger
	// PollInterval paces health polling and the resync with the control plane; 1s when zero.
	PollInterval time.Duration
	// Now is the clock of the timestamps in reports; time.Now when nil.
	Now func() time.Time
	// Secrets resolves the secrets of container definitions at task start. A task
	// with secrets fails to start when it is nil.
	Secrets SecretResolver
	// Identity, when set, issues every task a token for the task credentials and
	// metadata endpoints (see package taskmeta), revoked when the task stops.
	Identity TaskIdentity
	// MetadataEndpoint is the base URL of those endpoints as processes and host-network
	// containers reach it; Endpoint when empty. Docker containers in bridge mode use
	// DockerEndpoint when it is set, as for AWS_ENDPOINT_URL.
	MetadataEndpoint string
	// ContainerTaskEndpoint, when set, is the base URL at which Docker containers in
	// bridge mode reach the task credentials and metadata endpoints instead: Wharf
	// serves them on ECS's link-local address ("http://169.254.170.2:<port>"), a host
	// the AWS SDKs accept for AWS_CONTAINER_CREDENTIALS_FULL_URI over plain http.
	ContainerTaskEndpoint string
	// Logs receives the output of the containers whose log driver is awslogs (see
	// LogSink). When it is nil that output is not shipped, with a warning per task.
	Logs LogSink
	// LogFlushInterval is the longest an awslogs line waits before it is sent to Logs;
	// 1s when zero (Docker's awslogs driver waits 5s).
	LogFlushInterval time.Duration
	// LogFlushTimeout bounds how long a stopping task waits for its output to reach
	// Logs before it is reported STOPPED; 10s when zero.
	LogFlushTimeout time.Duration
	// StateDir is a directory of the agent's own, where it saves how far each
	// container's output was shipped, so that a restarted agent resumes there. When
	// empty, a restarted agent ships a running container's output again from its start.
	StateDir string
}

// SecretResolver resolves a container secret with the task execution role's permissions.
type SecretResolver interface {
	Resolve(ctx context.Context, executionRoleArn, valueFrom string) (string, error)
}

// TaskIdentity issues the per-task token for the credentials and metadata endpoints.
type TaskIdentity interface {
	Issue(ctx context.Context, taskArn, roleArn string) (token string, err error)
	Revoke(ctx context.Context, taskArn string) error
}

// Agent runs the tasks of one node.
type Agent struct {
	cfg Config
	log *slog.Logger

	mu      sync.Mutex
	runners map[string]*runner
	done    map[string]bool // tasks whose runner finished, until NodeTasks stops listing them
	wg      sync.WaitGroup
	ready   chan struct{}
	// logCounters are the awslogs counters of running tasks and of the last
	// finishedCounters tasks that finished.
	logCounters      map[string]*logCounters
	finishedCounters []string
}

// New returns an agent; Run starts it.
func New(cfg Config) *Agent {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.LogFlushInterval <= 0 {
		cfg.LogFlushInterval = time.Second
	}
	if cfg.LogFlushTimeout <= 0 {
		cfg.LogFlushTimeout = 10 * time.Second
	}
	return &Agent{
		cfg: cfg, log: cfg.Logger.With("component", "agent", "node", cfg.NodeID),
		runners: map[string]*runner{}, done: map[string]bool{}, ready: make(chan struct{}),
		logCounters: map[string]*logCounters{},
	}
}

func (a *Agent) now() time.Time { return a.cfg.Now() }

// Ready is closed once the node is registered, its tasks listed, their containers
// adopted, and the containers of tasks no longer placed here removed.
func (a *Agent) Ready() <-chan struct{} { return a.ready }

// Run registers the node, adopts running containers and converges tasks until ctx
// ends. Tasks keep running after it returns. Run may be called once.
func (a *Agent) Run(ctx context.Context) error {
	switch {
	case a.cfg.Control == nil:
		return errors.New("agent: Config.Control is required")
	case a.cfg.Drivers.Process == nil:
		return errors.New("agent: Config.Drivers.Process is required")
	case a.cfg.NodeID == "":
		return errors.New("agent: Config.NodeID is required")
	}
	if err := a.cfg.Control.RegisterNode(ctx, a.nodeInfo(ctx)); err != nil {
		return fmt.Errorf("agent: register node: %w", err)
	}
	found, err := a.listContainers(ctx)
	if err != nil {
		return err
	}
	a.pruneCursors(found)
	changes, stop := a.cfg.Control.Watch()
	defer stop()
	tick := time.NewTicker(a.cfg.PollInterval)
	defer tick.Stop()

	ready := false
	for {
		err := a.sync(ctx, found)
		if err != nil && ctx.Err() == nil {
			a.log.Warn("reading tasks", "err", err)
		}
		// Only a listing that succeeded tells which containers belong to no task.
		if err == nil && !ready {
			a.reapOrphans(ctx, found)
			found = nil
			close(a.ready)
			ready = true
		}
		select {
		case <-ctx.Done():
			a.wg.Wait()
			return nil
		case <-changes:
		case <-tick.C:
		}
	}
}

// sync starts a runner for every new task, hands the latest desired state to the
// others, and stops the runners of tasks no longer placed here. found holds the
// containers of earlier agents not yet adopted; sync takes those of the tasks it starts.
func (a *Agent) sync(ctx context.Context, found map[string]map[string]adopted) error {
	tasks, err := a.cfg.Control.NodeTasks(ctx, a.cfg.NodeID)
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	// Once ctx ends, runners leave (and unregister) one by one: a task whose runner
	// has just left must not get a new one, which would find no container and take
	// the task for dead. Runners cannot leave while the lock is held.
	if err := ctx.Err(); err != nil {
		return err
	}
	listed := make(map[string]bool, len(tasks))
	for _, nt := range tasks {
		listed[nt.Task.TaskArn] = true
	}
	for arn := range a.done {
		if !listed[arn] {
			delete(a.done, arn)
		}
	}
	// A task the control plane no longer lists (it forgot it, or saw it stop) must not
	// keep running here.
	for arn, r := range a.runners {
		if !listed[arn] {
			r.forget()
		}
	}
	for _, nt := range tasks {
		if r, ok := a.runners[nt.Task.TaskArn]; ok {
			r.update(nt)
			continue
		}
		if a.done[nt.Task.TaskArn] {
			continue
		}
		r := newRunner(a, nt, found[nt.Task.TaskArn])
		delete(found, nt.Task.TaskArn)
		a.runners[nt.Task.TaskArn] = r
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			r.run(ctx)
			a.mu.Lock()
			delete(a.runners, nt.Task.TaskArn)
			if ctx.Err() == nil {
				a.done[nt.Task.TaskArn] = true
				a.finishLogCounters(nt.Task.TaskArn)
			}
			a.mu.Unlock()
		}()
	}
	return nil
}

// listContainers finds the containers of earlier agents, grouped by task and container name.
func (a *Agent) listContainers(ctx context.Context) (map[string]map[string]adopted, error) {
	found := map[string]map[string]adopted{}
	for _, d := range a.cfg.Drivers.all() {
		list, err := d.List(ctx)
		if err != nil {
			return nil, fmt.Errorf("agent: list %s containers: %w", d.Name(), err)
		}
		for _, st := range list {
			arn := st.Labels[driver.LabelTaskARN]
			if arn == "" {
				continue
			}
			if found[arn] == nil {
				found[arn] = map[string]adopted{}
			}
			found[arn][st.Labels[driver.LabelContainer]] = adopted{drv: d, st: st}
		}
	}
	n := 0
	for _, m := range found {
		n += len(m)
	}
	if n > 0 {
		a.log.Info("found containers of an earlier run", "containers", n, "tasks", len(found))
	}
	return found, nil
}

// reapOrphans stops and removes containers whose task is no longer placed here
// (stopped, or gone while the agent was down).
func (a *Agent) reapOrphans(ctx context.Context, found map[string]map[string]adopted) {
	for arn, ctrs := range found {
		for name, c := range ctrs {
			a.log.Info("removing container of a finished task", "task_arn", arn, "container", name, "runtime_id", c.st.ID)
			if c.st.Running {
				if err := c.drv.Stop(ctx, c.st.ID, 10*time.Second); err != nil && !errors.Is(err, driver.ErrNotFound) {
					a.log.Warn("stopping orphan container", "runtime_id", c.st.ID, "err", err)
				}
			}
			if err := c.drv.Remove(ctx, c.st.ID); err != nil && !errors.Is(err, driver.ErrNotFound) {
				a.log.Warn("removing orphan container", "runtime_id", c.st.ID, "err", err)
			} else {
				a.forgetCursor(c.st.ID)
			}
		}
		a.revoke(ctx, arn)
	}
}

// nodeInfo describes this machine.
func (a *Agent) nodeInfo(ctx context.Context) ecs.NodeInfo {
	info := ecs.NodeInfo{
		NodeID:       a.cfg.NodeID,
		CPU:          int32(runtime.NumCPU() * 1024),
		MemoryMiB:    int32(memTotalMiB()),
		AgentVersion: a.cfg.Version,
		Attributes: []ecs.Attribute{
			{Name: "ecs.os-type", Value: runtime.GOOS},
			{Name: "ecs.cpu-architecture", Value: runtime.GOARCH},
			{Name: "wharf.driver.process"},
		},
	}
	if a.cfg.Drivers.Docker != nil {
		info.Attributes = append(info.Attributes,
			ecs.Attribute{Name: "com.amazonaws.ecs.capability.docker-remote-api.1.41"},
			ecs.Attribute{Name: "ecs.capability.container-health-check"},
			ecs.Attribute{Name: "wharf.driver.docker"})
		if v, ok := a.cfg.Drivers.Docker.(interface{ EngineVersion(context.Context) string }); ok {
			info.DockerVersion = "DockerVersion: " + v.EngineVersion(ctx)
		}
	}
	return info
}

// memTotalMiB reads the machine's memory from /proc/meminfo (4096 when unknown).
func memTotalMiB() int {
	raw, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 4096
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
			if kb, err := strconv.Atoi(f[1]); err == nil {
				return kb / 1024
			}
		}
	}
	return 4096
}
