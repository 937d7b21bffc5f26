// Package agent runs the tasks the ECS control plane places on this node. It keeps one
// runner goroutine per task, which alone starts, watches and stops that task's
// containers through a driver and reports the observed state back. Containers carry
// labels naming their task, so an agent that restarts adopts what is still running
// instead of starting it again; stopping the agent leaves tasks running, as an ECS
// agent restart does.
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
	NodeID   string
	Control  Control
	Drivers  Drivers
	Endpoint string // AWS_ENDPOINT_URL given to every task
	Region   string
	Version  string
	Logger   *slog.Logger
	// PollInterval paces health polling and the resync with the control plane; 1s when zero.
	PollInterval time.Duration
	Now          func() time.Time
}

// Agent runs the tasks of one node.
type Agent struct {
	cfg Config
	log *slog.Logger

	mu      sync.Mutex
	runners map[string]*runner
	done    map[string]time.Time // tasks whose runner finished, until NodeTasks stops listing them
	wg      sync.WaitGroup
	ready   chan struct{}
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
	return &Agent{cfg: cfg, log: cfg.Logger.With("component", "agent", "node", cfg.NodeID), runners: map[string]*runner{}, done: map[string]time.Time{}, ready: make(chan struct{})}
}

func (a *Agent) now() time.Time { return a.cfg.Now() }

// Ready is closed once the node is registered and its containers adopted.
func (a *Agent) Ready() <-chan struct{} { return a.ready }

// Run registers the node, adopts running containers and converges tasks until ctx
// ends. Tasks keep running after it returns.
func (a *Agent) Run(ctx context.Context) error {
	if err := a.cfg.Control.RegisterNode(ctx, a.nodeInfo()); err != nil {
		return fmt.Errorf("agent: register node: %w", err)
	}
	found, err := a.listContainers(ctx)
	if err != nil {
		return err
	}
	changes, stop := a.cfg.Control.Watch()
	defer stop()
	tick := time.NewTicker(a.cfg.PollInterval)
	defer tick.Stop()

	first := true
	for {
		if err := a.sync(ctx, found); err != nil && ctx.Err() == nil {
			a.log.Warn("reading tasks", "err", err)
		}
		if first {
			a.reapOrphans(ctx, found)
			found = nil
			close(a.ready)
			first = false
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

// sync starts a runner for every new task and hands the latest desired state to the others.
func (a *Agent) sync(ctx context.Context, found map[string]map[string]adopted) error {
	tasks, err := a.cfg.Control.NodeTasks(ctx, a.cfg.NodeID)
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for arn, at := range a.done {
		if a.now().Sub(at) > 10*time.Minute {
			delete(a.done, arn)
		}
	}
	for _, nt := range tasks {
		if r, ok := a.runners[nt.Task.TaskArn]; ok {
			r.update(nt)
			continue
		}
		if _, finished := a.done[nt.Task.TaskArn]; finished {
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
				a.done[nt.Task.TaskArn] = a.now()
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
			}
		}
	}
}

// nodeInfo describes this machine.
func (a *Agent) nodeInfo() ecs.NodeInfo {
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
		if v, ok := a.cfg.Drivers.Docker.(interface{ EngineVersion() string }); ok {
			info.DockerVersion = "DockerVersion: " + v.EngineVersion()
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
