package agent

import (
	"context"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wharf-dev/wharf/internal/driver"
	"github.com/wharf-dev/wharf/internal/ecs"
)

// TaskStats is a sample of what a task running on this node uses, beside what it
// reserves: CloudWatch's AWS/ECS CPUUtilization of a service is the CPU time its tasks
// used over a period divided by the CPU they reserve (1024 units are one core), and
// MemoryUtilization the memory they use divided by the memory they reserve.
type TaskStats struct {
	TaskArn           string
	ClusterArn        string
	TaskDefinitionArn string
	// Group is the task's group: "service:<name>" for a task of a service,
	// "family:<family>" for a task run on its own.
	Group string
	// TaskCPUUnits is the CPU the task reserves, in CPU units: the task's cpu (or its
	// override), else the sum of its containers' cpu; 0 when it reserves none.
	TaskCPUUnits int
	// TaskMemoryMiB is the memory the task reserves: the task's memory (or its
	// override), else the sum over its containers of their memory, or their
	// memoryReservation when they have no hard limit; 0 when it reserves none.
	TaskMemoryMiB int
	// CPU is the CPU time the task's containers have used since they started, all
	// CPUs summed: it only grows, a container that exited keeping its last count.
	CPU time.Duration
	// MemoryBytes is the memory its running containers use now.
	MemoryBytes uint64
	// Time is when the sample was taken (Config.Now).
	Time time.Time
}

// TaskStats samples every task running on this node (last status RUNNING) whose
// containers' drivers can measure them (driver.StatsReader), ordered by task ARN.
// A container that cannot be measured counts for the CPU it used when it last could.
func (a *Agent) TaskStats(ctx context.Context) []TaskStats {
	a.mu.Lock()
	usages := make([]*taskUsage, 0, len(a.runners))
	for _, r := range a.runners {
		usages = append(usages, r.usage)
	}
	a.mu.Unlock()
	out := make([]TaskStats, len(usages))
	ok := make([]bool, len(usages))
	var wg sync.WaitGroup
	for i, u := range usages {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i], ok[i] = u.sample(ctx, a.now)
		}()
	}
	wg.Wait()
	var res []TaskStats
	for i := range out {
		if ok[i] {
			res = append(res, out[i])
		}
	}
	slices.SortFunc(res, func(x, y TaskStats) int { return strings.Compare(x.TaskArn, y.TaskArn) })
	return res
}

// taskUsage is what TaskStats needs of a task. Its runner updates it; TaskStats reads it.
type taskUsage struct {
	base TaskStats // the task's identity and reservations

	mu      sync.Mutex
	running bool
	ctrs    map[string]usageCtr      // by container name
	cpu     map[string]time.Duration // the last CPU count of each container
}

// usageCtr is a container as the driver knows it.
type usageCtr struct {
	drv driver.Driver
	id  string
}

func newTaskUsage(nt ecs.NodeTask) *taskUsage {
	cpu, mem := reservation(nt.Task, nt.TaskDefinition)
	return &taskUsage{
		base: TaskStats{
			TaskArn: nt.Task.TaskArn, ClusterArn: nt.Task.ClusterArn, TaskDefinitionArn: nt.Task.TaskDefinitionArn,
			Group: nt.Task.Group, TaskCPUUnits: cpu, TaskMemoryMiB: mem,
		},
		ctrs: map[string]usageCtr{},
		cpu:  map[string]time.Duration{},
	}
}

// setRunning records whether the task is RUNNING.
func (u *taskUsage) setRunning(running bool) {
	u.mu.Lock()
	u.running = running
	u.mu.Unlock()
}

// setContainer records the runtime container of a container of the task.
func (u *taskUsage) setContainer(name string, drv driver.Driver, id string) {
	u.mu.Lock()
	u.ctrs[name] = usageCtr{drv: drv, id: id}
	u.mu.Unlock()
}

// sample measures the task; ok is false when it is not running.
func (u *taskUsage) sample(ctx context.Context, now func() time.Time) (TaskStats, bool) {
	u.mu.Lock()
	if !u.running {
		u.mu.Unlock()
		return TaskStats{}, false
	}
	ctrs := make(map[string]usageCtr, len(u.ctrs))
	for name, c := range u.ctrs {
		ctrs[name] = c
	}
	u.mu.Unlock()

	type measured struct {
		cpu time.Duration
		mem uint64
	}
	got := map[string]measured{}
	for name, c := range ctrs {
		sr, ok := c.drv.(driver.StatsReader)
		if !ok {
			continue
		}
		s, err := sr.Stats(ctx, c.id)
		if err != nil {
			continue // exited, gone, or a hiccup of the driver: the last count stands
		}
		got[name] = measured{cpu: s.CPU, mem: s.MemoryBytes}
	}

	ts := u.base
	u.mu.Lock()
	for name, m := range got {
		u.cpu[name] = max(u.cpu[name], m.cpu)
		ts.MemoryBytes += m.mem
	}
	for _, cpu := range u.cpu {
		ts.CPU += cpu
	}
	u.mu.Unlock()
	ts.Time = now()
	return ts, true
}

// reservation computes the CPU units and MiB a task reserves, as the control plane
// counts them: the task-level values (overrides first) when set, else the sums over
// the containers (memory: the hard limit, else the reservation).
func reservation(t ecs.Task, td ecs.TaskDefinition) (cpu, memMiB int) {
	ov := t.Overrides
	taskCPU, taskMem := td.Cpu, td.Memory
	if ov != nil && ov.Cpu != "" {
		taskCPU = ov.Cpu
	}
	if ov != nil && ov.Memory != "" {
		taskMem = ov.Memory
	}
	for _, cd := range td.ContainerDefinitions {
		c, mem, res := int(cd.Cpu), cd.Memory, cd.MemoryReservation
		if ov != nil {
			for _, co := range ov.ContainerOverrides {
				if co.Name != cd.Name {
					continue
				}
				if co.Cpu != nil {
					c = int(*co.Cpu)
				}
				if co.Memory != nil {
					mem = co.Memory
				}
				if co.MemoryReservation != nil {
					res = co.MemoryReservation
				}
			}
		}
		cpu += c
		switch {
		case mem != nil:
			memMiB += int(*mem)
		case res != nil:
			memMiB += int(*res)
		}
	}
	if n, ok := parseUnits(taskCPU, "vcpu"); ok {
		cpu = n
	}
	if n, ok := parseUnits(taskMem, "gb"); ok {
		memMiB = n
	}
	return cpu, memMiB
}

// parseUnits parses a task-level cpu or memory: a whole number of units ("256",
// "512"), or a number with the larger unit ("0.25 vCPU", "1 GB"), which is 1024 units.
func parseUnits(s, large string) (int, bool) {
	v := strings.ToLower(strings.TrimSpace(s))
	scale := 1.0
	if num, ok := strings.CutSuffix(v, large); ok {
		v, scale = strings.TrimSpace(num), 1024
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f <= 0 || math.IsInf(f, 0) || f*scale > math.MaxInt32 {
		return 0, false
	}
	n := int(math.Round(f * scale))
	return n, n > 0
}
