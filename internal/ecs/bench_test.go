package ecs

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/store"
)

// BenchmarkReconcileStep measures one idle round of the reconciler (a pass over every
// service, the target sync and the listener rule sync) over 100 steady services of 2
// tasks behind a load balancer, with the ROLLING strategy or BLUE_GREEN.
func BenchmarkReconcileStep(b *testing.B) {
	for _, strategy := range []string{strategyRolling, strategyBlueGreen} {
		b.Run(strategy, func(b *testing.B) {
			t := &testing.T{}
			e := &env{t: t, dir: b.TempDir(), clock: newFakeClock(), ctx: context.Background(), nextPort: 32768}
			db, err := store.Open(filepath.Join(e.dir, "wharf.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			e.db = db
			lb := &fakeLB{t: t, groups: map[string]bool{tgA: true, tgAlt: false}, targets: map[string]map[string]*fakeTarget{},
				fail: map[string]int{}, lose: map[string]int{}, added: map[string]int{}, healthyAfter: 1, drainAfter: 1,
				rules: map[string]map[string]int32{ruleProd: {tgA: 1}, ruleTest: {tgA: 1}}, now: e.clock.Now}
			e.s, err = New(db, Config{Clock: e.clock, LoadBalancers: lb, Alarms: &fakeAlarms{states: map[string]string{}},
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				b.Fatal(err)
			}
			if err := e.s.RegisterNode(e.ctx, NodeInfo{NodeID: "i-1", CPU: 1 << 20, MemoryMiB: 1 << 20, AgentVersion: "1.0"}); err != nil {
				b.Fatal(err)
			}
			if _, err := e.s.RegisterTaskDefinition(e.ctx, &RegisterTaskDefinitionInput{Family: ptr("web"), ContainerDefinitions: []ContainerDefinition{
				{Name: "app", Image: "process:/bin/app", Memory: ptr(int32(16)), PortMappings: []PortMapping{webPort}}}}); err != nil {
				b.Fatal(err)
			}
			for i := range 100 {
				in := &CreateServiceInput{ServiceName: ptr(fmt.Sprintf("s%d", i)), DesiredCount: ptr(int32(2))}
				withBG(strategy)(in)
				if strategy == strategyRolling {
					in.LoadBalancers[0].AdvancedConfiguration = nil
					in.DeploymentConfiguration = nil
				}
				if _, err := e.s.CreateService(e.ctx, in); err != nil {
					b.Fatal(err)
				}
			}
			a := e.agent("i-1")
			for range 20 {
				if _, err := e.s.step(e.ctx); err != nil {
					b.Fatal(err)
				}
				if err := a.stepErr(); err != nil {
					b.Fatal(err)
				}
				e.clock.Advance(time.Second)
			}
			b.ResetTimer()
			for range b.N {
				if _, err := e.s.step(e.ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
