package agent

import (
	"context"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/ecs"
)

// TestTaskStats samples a task that burns CPU: its CPU time grows, its memory is
// counted, and its reservations come from its definition.
func TestTaskStats(t *testing.T) {
	t.Parallel()
	f := newFakeControl()
	ra := startAgent(t, f, Drivers{Process: newDriver(t, "")})
	burn := helper("burn", "burn")
	burn.Memory = ptr(int32(128))
	idle := nonEssential(shell("idle", "exec sleep 1000"))
	idle.MemoryReservation = ptr(int32(64))
	nt := newTask(burn, idle)
	nt.TaskDefinition.Cpu = "512"
	nt.Task.Group = "service:web"
	arn := nt.Task.TaskArn
	f.place(nt)
	waitStatus(t, f, arn, ecs.StatusRunning)

	sample := func() (TaskStats, bool) {
		for _, s := range ra.TaskStats(context.Background()) {
			if s.TaskArn == arn {
				return s, true
			}
		}
		return TaskStats{}, false
	}
	var first TaskStats
	eventually(t, "a sample of the running task", func() bool {
		var ok bool
		first, ok = sample()
		return ok
	})
	if first.ClusterArn != nt.Task.ClusterArn || first.Group != "service:web" || first.TaskDefinitionArn != nt.Task.TaskDefinitionArn ||
		first.TaskCPUUnits != 512 || first.TaskMemoryMiB != 192 || first.MemoryBytes == 0 || first.Time.IsZero() {
		t.Errorf("TaskStats = %+v; want the task's cluster, group, 512 CPU units, 192 MiB, memory in use", first)
	}
	var last TaskStats
	eventually(t, "the CPU time to grow by 300ms", func() bool {
		last, _ = sample()
		return last.CPU >= first.CPU+300*time.Millisecond
	})
	if last.Time.Before(first.Time) {
		t.Errorf("sample times %s, then %s", first.Time, last.Time)
	}

	f.stopTask(arn)
	waitStatus(t, f, arn, ecs.StatusStopped)
	if s, ok := sample(); ok {
		t.Errorf("a stopped task is sampled: %+v", s)
	}
}

func TestReservation(t *testing.T) {
	cds := []ecs.ContainerDefinition{
		{Name: "a", Cpu: 256, Memory: ptr(int32(300)), MemoryReservation: ptr(int32(100))},
		{Name: "b", Cpu: 128, MemoryReservation: ptr(int32(50))},
		{Name: "c"},
	}
	tests := []struct {
		name             string
		taskCPU, taskMem string
		ov               *ecs.TaskOverride
		wantCPU, wantMiB int
	}{
		{"containers", "", "", nil, 384, 350},
		{"task level", "1024", "2048", nil, 1024, 2048},
		{"task level in vCPU and GB", "0.25 vCPU", "1 GB", nil, 256, 1024},
		{"task override", "1024", "2048", &ecs.TaskOverride{Cpu: "2 vcpu", Memory: "4096"}, 2048, 4096},
		{"container override", "", "", &ecs.TaskOverride{ContainerOverrides: []ecs.ContainerOverride{{Name: "b", Cpu: ptr(int32(512)), Memory: ptr(int32(70))}}}, 768, 370},
		{"invalid task level", "lots", "much", nil, 384, 350},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cpu, mem := reservation(ecs.Task{Overrides: tt.ov}, ecs.TaskDefinition{Cpu: tt.taskCPU, Memory: tt.taskMem, ContainerDefinitions: cds})
			if cpu != tt.wantCPU || mem != tt.wantMiB {
				t.Errorf("reservation = %d units, %d MiB; want %d, %d", cpu, mem, tt.wantCPU, tt.wantMiB)
			}
		})
	}
}
