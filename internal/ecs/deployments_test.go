package ecs

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

const roleLB = "arn:aws:iam::000000000000:role/ecsInfrastructureRoleForLoadBalancers"

// bgEnv is an env with a fake load balancer whose targets turn healthy on their first
// poll and drain on their next, fake alarms, one node and task definitions web:1 and
// web:2. It checks the rules of zero-downtime traffic shifting throughout: weight moves
// to a target group only when it has desired healthy targets, a target drains only when
// its group has no weight (or enough other healthy targets), and a task is stopped only
// once its targets are gone.
func bgEnv(t *testing.T, desired int) (*env, *fakeLB, *fakeAgent) {
	t.Helper()
	e := newEnv(t)
	e.alarms = &fakeAlarms{states: map[string]string{}}
	lb := e.useLB()
	lb.healthyAfter, lb.drainAfter = 1, 1
	e.node("i-1", 16384, 32768)
	e.register("web", 128, false, webPort)
	e.register("web", 256, false, webPort)
	a := e.agent("i-1")
	healthyIn := func(tg, except string) int {
		n := 0
		for k, target := range lb.targets[tg] {
			if k != except && target.state == targetHealthy {
				n++
			}
		}
		return n
	}
	lostAt := map[string]time.Time{} // target group → when a rule last took its weight away
	lb.onSetRule = func(rule string, weights map[string]int32) {
		for tg, w := range weights {
			if w > 0 && lb.rules[rule][tg] == 0 && healthyIn(tg, "") < desired {
				t.Errorf("%s: weight %d moved to %s, which has %d healthy targets (want %d)", rule, w, tg, healthyIn(tg, ""), desired)
			}
			if w == 0 && lb.rules[rule][tg] > 0 {
				lostAt[tg] = e.clock.Now()
			}
		}
	}
	lb.onDeregister = func(tg, key string) {
		for rule, weights := range lb.rules {
			if weights[tg] > 0 && healthyIn(tg, key) < desired {
				t.Errorf("target %s of %s began draining while %s sends it weight %d", key, tg, rule, weights[tg])
			}
		}
		if at, ok := lostAt[tg]; ok && e.clock.Now().Sub(at) < 2*time.Second && healthyIn(tg, key) < desired {
			t.Errorf("target %s of %s began draining %v after its weight went, want 2s for the requests in flight", key, tg, e.clock.Now().Sub(at))
		}
	}
	a.stopping = func(task Task) {
		for _, c := range task.Containers {
			for _, b := range c.NetworkBindings {
				for _, tg := range []string{tgA, tgAlt} {
					if st, ok := lb.states(tg)[targetKey("i-1", deref(b.HostPort))]; ok {
						t.Errorf("the agent was told to stop a task whose target in %s is still %s", tg, st)
					}
				}
			}
		}
	}
	return e, lb, a
}

// withBG configures a service for a traffic-shifting strategy behind tgA (primary) and
// tgAlt (alternate), with the production and test rules.
func withBG(strategy string, mutate ...func(*DeploymentConfiguration)) func(*CreateServiceInput) {
	return func(in *CreateServiceInput) {
		in.TaskDefinition = ptr("web:1")
		in.LoadBalancers = []LoadBalancer{{
			TargetGroupArn: tgA, ContainerName: "app", ContainerPort: ptr(int32(8080)),
			AdvancedConfiguration: &AdvancedConfiguration{
				AlternateTargetGroupArn: ptr(tgAlt), ProductionListenerRule: ptr(ruleProd),
				TestListenerRule: ptr(ruleTest), RoleArn: ptr(roleLB),
			},
		}}
		in.DeploymentConfiguration = &DeploymentConfiguration{Strategy: strategy, BakeTimeInMinutes: ptr(int32(5))}
		for _, m := range mutate {
			m(in.DeploymentConfiguration)
		}
	}
}

// until runs rounds of the reconciler and the agent, the clock moving by tick after
// each, until cond holds.
func (e *env) until(a *fakeAgent, tick time.Duration, what string, cond func() bool) {
	e.t.Helper()
	for range 2000 {
		e.reconcile()
		a.step()
		if cond() {
			return
		}
		e.clock.Advance(tick)
	}
	e.t.Fatalf("%s: not after 2000 rounds", what)
}

// failedWhile returns a condition that holds once the newest service deployment of a
// service has a status, noting meanwhile the deployment whose rollout FAILED (which
// stays listed only until its tasks are gone).
func (e *env) failedWhile(service, status string, failed *Deployment) func() bool {
	return func() bool {
		for _, d := range e.service("default", service).Deployments {
			if d.RolloutState == "FAILED" {
				*failed = d
			}
		}
		return e.latest(service).Status == status
	}
}

// deployments lists the service deployments of a service, newest first.
func (e *env) deployments(service string) []ServiceDeployment {
	e.t.Helper()
	l, err := e.s.ListServiceDeployments(e.ctx, &ListServiceDeploymentsInput{Service: ptr(service)})
	if err != nil {
		e.t.Fatal(err)
	}
	var arns []string
	for _, b := range l.ServiceDeployments {
		arns = append(arns, b.ServiceDeploymentArn)
	}
	if len(arns) == 0 {
		return nil
	}
	d, err := e.s.DescribeServiceDeployments(e.ctx, &DescribeServiceDeploymentsInput{ServiceDeploymentArns: arns})
	if err != nil || len(d.Failures) > 0 {
		e.t.Fatalf("DescribeServiceDeployments: %v %+v", err, d)
	}
	return d.ServiceDeployments
}

// latest is the newest service deployment of a service.
func (e *env) latest(service string) ServiceDeployment {
	e.t.Helper()
	sds := e.deployments(service)
	if len(sds) == 0 {
		e.t.Fatalf("service %s has no service deployments", service)
	}
	return sds[0]
}

// status returns a function that reports whether the newest service deployment of a
// service has a status.
func (e *env) status(service, status string) func() bool {
	return func() bool { return e.latest(service).Status == status }
}

// altWeights returns the weights a rule gave the alternate target group, in order.
func altWeights(sets []ruleSet) []int32 {
	var out []int32
	for _, s := range sets {
		out = append(out, s.weights[tgAlt])
	}
	return out
}

// targetGroupsOf returns the target groups the RUNNING tasks of a task definition
// revision are registered in.
func (e *env) targetGroupsOf(lb *fakeLB, revision string) []string {
	var out []string
	for _, task := range byStatus(e.tasks("default", StatusRunning), StatusRunning) {
		if !strings.HasSuffix(task.TaskDefinitionArn, revision) {
			continue
		}
		key := targetOf(e.t, task)
		for _, tg := range []string{tgA, tgAlt} {
			if _, ok := lb.states(tg)[key]; ok && !slices.Contains(out, tg) {
				out = append(out, tg)
			}
		}
	}
	slices.Sort(out)
	return out
}

func TestBlueGreenDeployment(t *testing.T) {
	e, lb, a := bgEnv(t, 2)
	created := e.createService("web", 2, withBG(strategyBlueGreen))
	if dc := created.DeploymentConfiguration; dc.Strategy != strategyBlueGreen || deref(dc.BakeTimeInMinutes) != 5 ||
		deref(created.LoadBalancers[0].AdvancedConfiguration.AlternateTargetGroupArn) != tgAlt {
		t.Fatalf("created: %+v %+v", dc, created.LoadBalancers)
	}

	// The first deployment has nothing to shift from: once its tasks are healthy in the
	// primary target group, the rules send everything there.
	e.until(a, time.Second, "first deployment", e.status("web", sdSuccessful))
	first := e.latest("web")
	if len(first.SourceServiceRevisions) != 0 || first.LifecycleStage != stageCleanUp || first.StartedAt == nil || first.FinishedAt == nil {
		t.Fatalf("first service deployment: %+v", first)
	}
	for _, rule := range []string{ruleProd, ruleTest} {
		if got := lb.weights(rule); !maps.Equal(got, map[string]int32{tgA: 100, tgAlt: 0}) {
			t.Fatalf("%s after the first deployment: %v", rule, got)
		}
	}
	if got := e.targetGroupsOf(lb, "web:1"); !slices.Equal(got, []string{tgA}) {
		t.Fatalf("the first tasks are in %v, want the primary target group", got)
	}

	// The second goes green in the alternate target group.
	start := len(lb.sets)
	e.updateService(&UpdateServiceInput{Service: ptr("web"), TaskDefinition: ptr("web:2")})
	var shiftedAt, drainedAt time.Time
	lb.onDeregister = func(tg, key string) {
		if tg == tgA && drainedAt.IsZero() {
			drainedAt = e.clock.Now()
		}
	}
	sawStages := map[string]bool{}
	e.until(a, 10*time.Second, "blue/green deployment", func() bool {
		sd := e.latest("web")
		sawStages[sd.LifecycleStage] = true
		if shiftedAt.IsZero() && lb.weights(ruleProd)[tgAlt] == 100 {
			shiftedAt = e.clock.Now()
		}
		return sd.Status == sdSuccessful
	})
	for _, stage := range []string{stageScaleUp, stageBakeTime, stageCleanUp} {
		if !sawStages[stage] {
			t.Errorf("lifecycle stage %s never seen (saw %v)", stage, sawStages)
		}
	}
	var prod, test []ruleSet
	for _, s := range lb.sets[start:] {
		if s.rule == ruleProd {
			prod = append(prod, s)
		} else if s.rule == ruleTest {
			test = append(test, s)
		}
	}
	if got := altWeights(test); !slices.Equal(got, []int32{100}) || test[0].weights[tgA] != 0 {
		t.Fatalf("test rule weights %v, want the test traffic moved to green at once", test)
	}
	if got := altWeights(prod); !slices.Equal(got, []int32{100}) || prod[0].weights[tgA] != 0 {
		t.Fatalf("production rule weights %v, want all production traffic moved at once", prod)
	}
	if !test[0].at.Before(prod[0].at) && !test[0].at.Equal(prod[0].at) {
		t.Fatalf("production traffic moved before test traffic: %v", lb.sets[start:])
	}
	if drainedAt.Sub(shiftedAt) < 5*time.Minute {
		t.Fatalf("blue began draining %v after the production shift, want the 5 minute bake time first", drainedAt.Sub(shiftedAt))
	}
	if got := e.targetGroupsOf(lb, "web:2"); !slices.Equal(got, []string{tgAlt}) {
		t.Fatalf("green tasks are in %v, want the alternate target group", got)
	}
	if got := e.targetGroupsOf(lb, "web:1"); len(got) != 0 {
		t.Fatalf("blue tasks still in %v", got)
	}

	svc := e.service("default", "web")
	if len(svc.Deployments) != 1 || svc.Deployments[0].RolloutState != "COMPLETED" || svc.Deployments[0].Status != "PRIMARY" ||
		!strings.HasSuffix(svc.Deployments[0].TaskDefinition, "web:2") {
		t.Fatalf("deployments after the blue/green deployment: %+v", svc.Deployments)
	}
	dep := svc.Deployments[0].Id
	if countEvents(svc, "(service web) (deployment "+dep+") deployment completed.") != 1 ||
		countEvents(svc, "(service web) has started 2 tasks: (task ") != 2 {
		t.Fatalf("events %q", eventMessages(svc))
	}
	e.until(a, time.Second, "steady state", func() bool {
		return eventMessages(e.service("default", "web"))[0] == "(service web) has reached a steady state."
	})

	// The service deployment and revisions as DescribeServiceDeployments and
	// DescribeServiceRevisions show them.
	sd := e.latest("web")
	if len(sd.SourceServiceRevisions) != 1 || sd.SourceServiceRevisions[0].Arn != first.TargetServiceRevision.Arn ||
		sd.DeploymentConfiguration.Strategy != strategyBlueGreen || sd.DeploymentCircuitBreaker.Status != monitorDisabled ||
		!strings.Contains(sd.ServiceDeploymentArn, ":service-deployment/default/web/") {
		t.Fatalf("service deployment: %+v", sd)
	}
	if w := sd.TargetServiceRevision.RequestedProductionTrafficWeight; w == nil || *w != 100 {
		t.Fatalf("target revision traffic weight %v", w)
	}
	revs, err := e.s.DescribeServiceRevisions(e.ctx, &DescribeServiceRevisionsInput{ServiceRevisionArns: []string{sd.TargetServiceRevision.Arn, first.TargetServiceRevision.Arn, first.TargetServiceRevision.Arn + "0"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(revs.ServiceRevisions) != 2 || len(revs.Failures) != 1 || revs.Failures[0].Reason != "MISSING" {
		t.Fatalf("DescribeServiceRevisions: %+v", revs)
	}
	green, blue := revs.ServiceRevisions[0], revs.ServiceRevisions[1]
	if !strings.HasPrefix(green.ServiceRevisionArn, "arn:aws:ecs:us-east-1:000000000000:service-revision/default/web/") ||
		!strings.HasSuffix(green.TaskDefinition, "web:2") || green.ResolvedConfiguration.LoadBalancers[0].TargetGroupArn != tgAlt ||
		blue.ResolvedConfiguration.LoadBalancers[0].TargetGroupArn != tgA || green.ContainerImages[0].Image != "process:/bin/app" {
		t.Fatalf("revisions: %+v / %+v", green, blue)
	}

	// The next deployment swaps the roles of the target groups.
	e.register("web", 512, false, webPort)
	e.updateService(&UpdateServiceInput{Service: ptr("web"), TaskDefinition: ptr("web:3")})
	e.until(a, 10*time.Second, "third deployment", e.status("web", sdSuccessful))
	if got := e.targetGroupsOf(lb, "web:3"); !slices.Equal(got, []string{tgA}) {
		t.Fatalf("third deployment's tasks are in %v, want the primary target group again", got)
	}
	for _, rule := range []string{ruleProd, ruleTest} {
		if got := lb.weights(rule); !maps.Equal(got, map[string]int32{tgA: 100, tgAlt: 0}) {
			t.Fatalf("%s after the third deployment: %v", rule, got)
		}
	}
	if sds := e.deployments("web"); len(sds) != 3 || sds[2].ServiceDeploymentArn != first.ServiceDeploymentArn {
		t.Fatalf("%d service deployments, oldest last: %+v", len(sds), sds)
	}
}

func TestTrafficShiftSteps(t *testing.T) {
	tests := []struct {
		name     string
		strategy string
		config   func(*DeploymentConfiguration)
		alt      []int32 // the weights of the alternate target group, step by step
		primary  []int32
		bake     time.Duration // between the steps
	}{
		{"canary 10%", strategyCanary, func(dc *DeploymentConfiguration) {
			dc.CanaryConfiguration = &CanaryConfiguration{CanaryPercent: ptr(10.0), CanaryBakeTimeInMinutes: ptr(int32(3))}
		}, []int32{10, 100}, []int32{90, 0}, 3 * time.Minute},
		{"canary default 5%", strategyCanary, nil, []int32{5, 100}, []int32{95, 0}, 10 * time.Minute},
		{"canary 2.5%", strategyCanary, func(dc *DeploymentConfiguration) {
			dc.CanaryConfiguration = &CanaryConfiguration{CanaryPercent: ptr(2.5), CanaryBakeTimeInMinutes: ptr(int32(1))}
		}, []int32{25, 100}, []int32{975, 0}, time.Minute},
		{"linear 25%", strategyLinear, func(dc *DeploymentConfiguration) {
			dc.LinearConfiguration = &LinearConfiguration{StepPercent: ptr(25.0), StepBakeTimeInMinutes: ptr(int32(2))}
		}, []int32{25, 50, 75, 100}, []int32{75, 50, 25, 0}, 2 * time.Minute},
		{"linear 40%", strategyLinear, func(dc *DeploymentConfiguration) {
			dc.LinearConfiguration = &LinearConfiguration{StepPercent: ptr(40.0), StepBakeTimeInMinutes: ptr(int32(1))}
		}, []int32{40, 80, 100}, []int32{60, 20, 0}, time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, lb, a := bgEnv(t, 2)
			mutate := []func(*DeploymentConfiguration){func(dc *DeploymentConfiguration) { dc.BakeTimeInMinutes = ptr(int32(1)) }}
			if tt.config != nil {
				mutate = append(mutate, tt.config)
			}
			e.createService("web", 2, withBG(tt.strategy, mutate...))
			e.until(a, time.Second, "first deployment", e.status("web", sdSuccessful))
			start := len(lb.history(ruleProd))
			e.updateService(&UpdateServiceInput{Service: ptr("web"), TaskDefinition: ptr("web:2")})
			e.until(a, 10*time.Second, tt.strategy+" deployment", e.status("web", sdSuccessful))
			steps := lb.history(ruleProd)[start:]
			var primary []int32
			for _, s := range steps {
				primary = append(primary, s.weights[tgA])
			}
			if got := altWeights(steps); !slices.Equal(got, tt.alt) || !slices.Equal(primary, tt.primary) {
				t.Fatalf("production weights: alternate %v primary %v, want %v and %v", got, primary, tt.alt, tt.primary)
			}
			for i := 1; i < len(steps); i++ {
				if gap := steps[i].at.Sub(steps[i-1].at); gap < tt.bake || gap > tt.bake+time.Minute {
					t.Fatalf("step %d came %v after step %d, want the %v step bake time", i, gap, i-1, tt.bake)
				}
			}
			if test := lb.history(ruleTest); !maps.Equal(test[len(test)-1].weights, map[string]int32{tgA: 0, tgAlt: 100}) {
				t.Fatalf("test rule: %v", test)
			}
			if svc := e.service("default", "web"); len(svc.Deployments) != 1 || svc.Deployments[0].RolloutState != "COMPLETED" {
				t.Fatalf("deployments: %+v", svc.Deployments)
			}
		})
	}
}

func TestTimeScaleCompressesBakeTimes(t *testing.T) {
	e, lb, a := bgEnv(t, 1)
	e.timeScale = 60
	e.newService()
	e.createService("web", 1, withBG(strategyCanary, func(dc *DeploymentConfiguration) {
		dc.BakeTimeInMinutes = ptr(int32(10))
		dc.CanaryConfiguration = &CanaryConfiguration{CanaryPercent: ptr(20.0), CanaryBakeTimeInMinutes: ptr(int32(30))}
	}))
	e.until(a, time.Second, "first deployment", e.status("web", sdSuccessful))
	start := len(lb.history(ruleProd))
	e.updateService(&UpdateServiceInput{Service: ptr("web"), TaskDefinition: ptr("web:2")})
	began := e.clock.Now()
	e.until(a, time.Second, "canary deployment", e.status("web", sdSuccessful))
	steps := lb.history(ruleProd)[start:]
	if len(steps) != 2 || steps[1].at.Sub(steps[0].at) < 30*time.Second || steps[1].at.Sub(steps[0].at) > 32*time.Second {
		t.Fatalf("canary steps %v: want 30 minutes of bake at time scale 60 (30s)", steps)
	}
	if took := e.clock.Now().Sub(began); took > 2*time.Minute {
		t.Fatalf("the deployment took %v of the clock, want about 40s", took)
	}
}

// crashes makes the agent fail every task of a task definition revision.
func crashes(revision string) func(Task) bool {
	return func(t Task) bool { return strings.HasSuffix(t.TaskDefinitionArn, revision) }
}

func TestCircuitBreakerRollsBackBlueGreen(t *testing.T) {
	e, lb, a := bgEnv(t, 2)
	e.createService("web", 2, withBG(strategyBlueGreen, func(dc *DeploymentConfiguration) {
		dc.DeploymentCircuitBreaker = &DeploymentCircuitBreaker{Enable: true, Rollback: true}
	}))
	e.until(a, time.Second, "first deployment", e.status("web", sdSuccessful))
	before := e.service("default", "web").Deployments[0]
	a.fails = crashes("web:2")
	e.updateService(&UpdateServiceInput{Service: ptr("web"), TaskDefinition: ptr("web:2")})
	var failed Deployment
	e.until(a, 5*time.Second, "rollback", e.failedWhile("web", sdRollbackSuccessful, &failed))
	e.until(a, time.Second, "one deployment", func() bool { return len(e.service("default", "web").Deployments) == 1 })

	sd := e.latest("web")
	if sd.Rollback == nil || sd.Rollback.ServiceRevisionArn != sd.SourceServiceRevisions[0].Arn || sd.Rollback.StartedAt == nil ||
		sd.Rollback.Reason != "ECS deployment circuit breaker: tasks failed to start." {
		t.Fatalf("rollback: %+v", sd.Rollback)
	}
	if cb := sd.DeploymentCircuitBreaker; cb.Status != monitorTriggered || cb.Threshold != 3 || cb.FailureCount < 3 && cb.FailureCount != 0 {
		t.Fatalf("circuit breaker: %+v", cb)
	}
	svc := e.service("default", "web")
	if len(svc.Deployments) != 1 || svc.Deployments[0].Id != before.Id || svc.Deployments[0].Status != "PRIMARY" ||
		svc.Deployments[0].RolloutState != "COMPLETED" || !strings.HasSuffix(svc.TaskDefinition, "web:1") {
		t.Fatalf("deployments after the rollback: %+v (task definition %s)", svc.Deployments, svc.TaskDefinition)
	}
	if failed.Status != "ACTIVE" || failed.RolloutState != "FAILED" || failed.RolloutStateReason != "ECS deployment circuit breaker: tasks failed to start." || failed.FailedTasks < 3 {
		t.Fatalf("failed deployment during the rollback: %+v", failed)
	}
	for _, msg := range []string{
		"(service web) (deployment " + failed.Id + ") deployment failed: tasks failed to start.",
		"(service web) (deployment " + failed.Id + ") rolling back to (deployment " + before.Id + ").",
	} {
		if countEvents(svc, msg) != 1 {
			t.Fatalf("no event %q in %q", msg, eventMessages(svc))
		}
	}
	for _, rule := range []string{ruleProd, ruleTest} {
		if got := lb.weights(rule); !maps.Equal(got, map[string]int32{tgA: 100, tgAlt: 0}) {
			t.Fatalf("%s after the rollback: %v", rule, got)
		}
	}
	if got := e.targetGroupsOf(lb, "web:1"); !slices.Equal(got, []string{tgA}) || len(lb.registered(tgAlt)) != 0 {
		t.Fatalf("blue tasks in %v, green targets left %v", got, lb.states(tgAlt))
	}
	// A failed deployment stops launching: no task of web:2 is left or started.
	n := len(e.records("default", "web"))
	e.until(a, time.Minute, "quiet", func() bool { return true })
	e.clock.Advance(10 * time.Minute)
	e.reconcile()
	if got := len(e.records("default", "web")); got != n {
		t.Fatalf("%d tasks after the rollback settled, then %d", n, got)
	}
	// The next deployment starts afresh.
	a.fails = nil
	e.updateService(&UpdateServiceInput{Service: ptr("web"), TaskDefinition: ptr("web:2")})
	e.until(a, 10*time.Second, "deployment after the rollback", e.status("web", sdSuccessful))
	if got := e.targetGroupsOf(lb, "web:2"); !slices.Equal(got, []string{tgAlt}) {
		t.Fatalf("web:2 in %v", got)
	}
}

func TestCircuitBreakerRolling(t *testing.T) {
	for _, rollback := range []bool{true, false} {
		t.Run(fmt.Sprintf("rollback=%v", rollback), func(t *testing.T) {
			e := newEnv(t)
			e.node("i-1", 8192, 16384)
			e.register("web", 128, false)
			e.register("web", 256, false)
			a := e.agent("i-1")
			e.createService("web", 4, func(in *CreateServiceInput) {
				in.TaskDefinition = ptr("web:1")
				in.DeploymentConfiguration = &DeploymentConfiguration{DeploymentCircuitBreaker: &DeploymentCircuitBreaker{Enable: true, Rollback: rollback}}
			})
			e.until(a, time.Second, "first deployment", e.status("web", sdSuccessful))
			first := e.service("default", "web").Deployments[0].Id
			a.fails = crashes("web:2")
			e.updateService(&UpdateServiceInput{Service: ptr("web"), TaskDefinition: ptr("web:2")})
			want := sdStopped
			if rollback {
				want = sdRollbackSuccessful
			}
			var failed Deployment
			e.until(a, 5*time.Second, "circuit breaker", e.failedWhile("web", want, &failed))
			// The failed deployment is listed until the rollback is over.
			e.until(a, time.Second, "one deployment", func() bool { return len(e.service("default", "web").Deployments) == 1 || !rollback })
			svc := e.service("default", "web")
			sd := e.latest("web")
			if sd.DeploymentCircuitBreaker.Threshold != 3 || sd.DeploymentCircuitBreaker.Status != monitorTriggered || sd.LifecycleStage != "" {
				t.Fatalf("service deployment: %+v %+v", sd, sd.DeploymentCircuitBreaker)
			}
			if rollback {
				if len(svc.Deployments) != 1 || svc.Deployments[0].Id != first || svc.Deployments[0].RolloutState != "COMPLETED" ||
					failed.RolloutState != "FAILED" || failed.Status != "ACTIVE" || svc.RunningCount != 4 || !strings.HasSuffix(svc.TaskDefinition, "web:1") {
					t.Fatalf("after the rollback: running %d, %+v (the failed one was %+v)", svc.RunningCount, svc.Deployments, failed)
				}
				if countEvents(svc, "(deployment "+failed.Id+") rolling back to (deployment "+first+").") != 1 {
					t.Fatalf("events %q", eventMessages(svc))
				}
				return
			}
			// Without rollback, the failed deployment stays PRIMARY and launches nothing
			// more; the old tasks keep running.
			if sd.StoppedAt == nil || sd.StatusReason != "ECS deployment circuit breaker: tasks failed to start." || svc.Deployments[0].RolloutState != "FAILED" ||
				svc.Deployments[0].Status != "PRIMARY" || svc.Deployments[1].Id != first {
				t.Fatalf("stopped deployment: %+v, deployments %+v", sd, svc.Deployments)
			}
			n := len(e.records("default", "web"))
			for range 20 {
				e.clock.Advance(time.Minute)
				e.reconcile()
				a.step()
			}
			if got := len(e.records("default", "web")); got != n || e.service("default", "web").RunningCount != 4 {
				t.Fatalf("tasks %d then %d; running %d", n, got, e.service("default", "web").RunningCount)
			}
		})
	}
}

func TestAlarmDuringBakeRollsBack(t *testing.T) {
	e, lb, a := bgEnv(t, 2)
	e.alarms.set("errors", "OK")
	e.alarms.set("latency", "ALARM") // already in ALARM: ignored, as ECS does
	e.createService("web", 2, withBG(strategyBlueGreen, func(dc *DeploymentConfiguration) {
		dc.Alarms = &DeploymentAlarms{AlarmNames: []string{"errors", "latency"}, Enable: true, Rollback: true}
		dc.BakeTimeInMinutes = ptr(int32(30))
	}))
	e.until(a, time.Second, "first deployment", e.status("web", sdSuccessful))
	e.updateService(&UpdateServiceInput{Service: ptr("web"), TaskDefinition: ptr("web:2")})
	e.until(a, 10*time.Second, "bake time", func() bool { return e.latest("web").LifecycleStage == stageBakeTime })
	if got := lb.weights(ruleProd); got[tgAlt] != 100 {
		t.Fatalf("production weights during the bake: %v", got)
	}
	if sd := e.latest("web"); sd.Alarms.Status != monitorMonitoring || !slices.Equal(sd.Alarms.AlarmNames, []string{"errors", "latency"}) {
		t.Fatalf("alarms: %+v", sd.Alarms)
	}
	e.clock.Advance(time.Minute)
	e.alarms.set("errors", "ALARM")
	var failed Deployment
	e.until(a, 10*time.Second, "rollback", e.failedWhile("web", sdRollbackSuccessful, &failed))
	e.until(a, time.Second, "one deployment", func() bool { return len(e.service("default", "web").Deployments) == 1 })
	sd := e.latest("web")
	if sd.Alarms.Status != monitorTriggered || !slices.Equal(sd.Alarms.TriggeredAlarmNames, []string{"errors"}) ||
		sd.Rollback == nil || !strings.Contains(sd.Rollback.Reason, "errors") {
		t.Fatalf("service deployment: %+v %+v", sd.Alarms, sd.Rollback)
	}
	for _, rule := range []string{ruleProd, ruleTest} {
		if got := lb.weights(rule); !maps.Equal(got, map[string]int32{tgA: 100, tgAlt: 0}) {
			t.Fatalf("%s after the rollback: %v", rule, got)
		}
	}
	if h := altWeights(lb.history(ruleProd)); !slices.Equal(h[len(h)-2:], []int32{100, 0}) {
		t.Fatalf("production weights %v: want green 100 then restored to 0", h)
	}
	if got := e.targetGroupsOf(lb, "web:1"); !slices.Equal(got, []string{tgA}) || len(lb.states(tgAlt)) != 0 || len(e.targetGroupsOf(lb, "web:2")) != 0 {
		t.Fatalf("blue in %v, green targets %v", got, lb.states(tgAlt))
	}
	svc := e.service("default", "web")
	if len(svc.Deployments) != 1 || svc.Deployments[0].Status != "PRIMARY" || !strings.HasSuffix(svc.Deployments[0].TaskDefinition, "web:1") ||
		failed.RolloutStateReason != "ECS deployment alarms triggered: errors in ALARM state." || countEvents(svc, "deployment failed: alarm(s) errors in ALARM state.") != 1 {
		t.Fatalf("deployments %+v, events %q", svc.Deployments, eventMessages(svc))
	}
	if e.alarms.calls == 0 {
		t.Fatal("the alarms were never read")
	}
}

func TestLifecycleHookPausesUntilContinued(t *testing.T) {
	hooks := []DeploymentLifecycleHook{
		{TargetType: hookTargetPause, LifecycleStages: []string{stagePostScaleUp}},
		{HookTargetArn: ptr("arn:aws:lambda:us-east-1:000000000000:function:check"), RoleArn: ptr(roleLB),
			LifecycleStages: []string{stageProductionTrafficShift}, TimeoutConfiguration: &DeploymentLifecycleHookTimeoutConfiguration{Action: hookActionContinue, TimeoutInMinutes: ptr(int32(20))}},
	}
	e, lb, a := bgEnv(t, 2)
	e.createService("web", 2, withBG(strategyLinear, func(dc *DeploymentConfiguration) {
		dc.LifecycleHooks = hooks
		dc.LinearConfiguration = &LinearConfiguration{StepPercent: ptr(50.0), StepBakeTimeInMinutes: ptr(int32(0))}
		dc.BakeTimeInMinutes = ptr(int32(0))
	}))
	e.until(a, time.Second, "first deployment", e.status("web", sdSuccessful))
	start := len(lb.history(ruleProd))
	e.updateService(&UpdateServiceInput{Service: ptr("web"), TaskDefinition: ptr("web:2")})
	e.until(a, 10*time.Second, "paused", func() bool {
		sd := e.latest("web")
		return sd.LifecycleStage == stagePostScaleUp && len(sd.LifecycleHookDetails) == 1
	})
	// It waits, however long, within the hook's timeout (1440 minutes by default).
	for range 10 {
		e.clock.Advance(time.Hour)
		e.reconcile()
		a.step()
	}
	sd := e.latest("web")
	hook := sd.LifecycleHookDetails[0]
	if sd.LifecycleStage != stagePostScaleUp || hook.Status != hookAwaitingAction || hook.TargetType != hookTargetPause ||
		hook.TimeoutAction != hookActionRollback || hook.ExpiresAt == nil || len(lb.history(ruleProd)) != start {
		t.Fatalf("paused deployment: %+v, hook %+v", sd, hook)
	}
	if svc := e.service("default", "web"); countEvents(svc, "is waiting at lifecycle stage POST_SCALE_UP for lifecycle hook "+hook.HookId) != 1 {
		t.Fatalf("events %q", eventMessages(svc))
	}
	// Unknown hooks and repeated actions are refused.
	_, err := e.s.ContinueServiceDeployment(e.ctx, &ContinueServiceDeploymentInput{ServiceDeploymentArn: ptr(sd.ServiceDeploymentArn), HookId: ptr("nope")})
	wantAPIError(t, err, "InvalidParameterException", "is not a hook of service deployment")
	if _, err := e.s.ContinueServiceDeployment(e.ctx, &ContinueServiceDeploymentInput{ServiceDeploymentArn: ptr(sd.ServiceDeploymentArn), HookId: ptr(hook.HookId)}); err != nil {
		t.Fatal(err)
	}
	_, err = e.s.ContinueServiceDeployment(e.ctx, &ContinueServiceDeploymentInput{ServiceDeploymentArn: ptr(sd.ServiceDeploymentArn), HookId: ptr(hook.HookId)})
	wantAPIError(t, err, "ConflictException", "does not await an action")

	// The Lambda hook at PRODUCTION_TRAFFIC_SHIFT waits after each step; its timeout
	// action is CONTINUE.
	e.until(a, 10*time.Second, "first production step", func() bool {
		sd := e.latest("web")
		return sd.LifecycleStage == stageProductionTrafficShift && len(sd.LifecycleHookDetails) == 2
	})
	if got := altWeights(lb.history(ruleProd)[start:]); !slices.Equal(got, []int32{50}) {
		t.Fatalf("production weights while the hook waits: %v", got)
	}
	sd = e.latest("web")
	lambda := sd.LifecycleHookDetails[1]
	if lambda.TargetType != hookTargetLambda || lambda.TargetArn != "arn:aws:lambda:us-east-1:000000000000:function:check" || lambda.TimeoutAction != hookActionContinue ||
		lambda.Status != hookAwaitingAction || sd.LifecycleHookDetails[0].Status != hookSucceeded {
		t.Fatalf("hooks at the first step: %+v", sd.LifecycleHookDetails)
	}
	if _, err := e.s.ContinueServiceDeployment(e.ctx, &ContinueServiceDeploymentInput{ServiceDeploymentArn: ptr(sd.ServiceDeploymentArn), HookId: ptr(lambda.HookId), Action: hookActionContinue}); err != nil {
		t.Fatal(err)
	}
	// The second step's hook times out after 20 minutes and goes on.
	e.until(a, time.Minute, "deployment", e.status("web", sdSuccessful))
	if got := altWeights(lb.history(ruleProd)[start:]); !slices.Equal(got, []int32{50, 100}) {
		t.Fatalf("production weights %v", got)
	}
	var statuses []string
	for _, h := range e.latest("web").LifecycleHookDetails {
		statuses = append(statuses, h.Status)
	}
	if !slices.Equal(statuses, []string{hookSucceeded, hookSucceeded, hookTimedOut}) {
		t.Fatalf("hook runs at the end: %v", statuses)
	}
}

func TestLifecycleHookRollsBack(t *testing.T) {
	for _, how := range []string{"action", "timeout"} {
		t.Run(how, func(t *testing.T) {
			e, lb, a := bgEnv(t, 1)
			e.createService("web", 1, withBG(strategyBlueGreen, func(dc *DeploymentConfiguration) {
				dc.LifecycleHooks = []DeploymentLifecycleHook{{TargetType: hookTargetPause, LifecycleStages: []string{stagePostTestTrafficShift},
					TimeoutConfiguration: &DeploymentLifecycleHookTimeoutConfiguration{TimeoutInMinutes: ptr(int32(15))}}}
			}))
			e.until(a, time.Second, "first deployment", e.status("web", sdSuccessful))
			e.updateService(&UpdateServiceInput{Service: ptr("web"), TaskDefinition: ptr("web:2")})
			e.until(a, 10*time.Second, "paused", func() bool { return len(e.latest("web").LifecycleHookDetails) == 1 })
			if got := lb.weights(ruleTest); got[tgAlt] != 100 || lb.weights(ruleProd)[tgAlt] != 0 {
				t.Fatalf("test traffic %v, production %v at POST_TEST_TRAFFIC_SHIFT", got, lb.weights(ruleProd))
			}
			sd := e.latest("web")
			if how == "action" {
				if _, err := e.s.ContinueServiceDeployment(e.ctx, &ContinueServiceDeploymentInput{ServiceDeploymentArn: ptr(sd.ServiceDeploymentArn),
					HookId: ptr(sd.LifecycleHookDetails[0].HookId), Action: hookActionRollback}); err != nil {
					t.Fatal(err)
				}
			}
			e.until(a, time.Minute, "rollback", e.status("web", sdRollbackSuccessful))
			if got := lb.weights(ruleTest); !maps.Equal(got, map[string]int32{tgA: 100, tgAlt: 0}) {
				t.Fatalf("test rule after the rollback: %v", got)
			}
			want := hookFailed
			if how == "timeout" {
				want = hookTimedOut
			}
			if sd := e.latest("web"); sd.LifecycleHookDetails[0].Status != want || !strings.Contains(sd.Rollback.Reason, "ifecycle hook") {
				t.Fatalf("hook %+v, rollback %+v", sd.LifecycleHookDetails, sd.Rollback)
			}
		})
	}
}

func TestStopServiceDeploymentRollsBack(t *testing.T) {
	e, lb, a := bgEnv(t, 2)
	e.createService("web", 2, withBG(strategyLinear, func(dc *DeploymentConfiguration) {
		dc.LinearConfiguration = &LinearConfiguration{StepPercent: ptr(20.0), StepBakeTimeInMinutes: ptr(int32(10))}
	}))
	e.until(a, time.Second, "first deployment", e.status("web", sdSuccessful))
	first := e.latest("web")
	// The first deployment has nothing to roll back to.
	_, err := e.s.StopServiceDeployment(e.ctx, &StopServiceDeploymentInput{ServiceDeploymentArn: ptr(first.ServiceDeploymentArn)})
	wantAPIError(t, err, "ConflictException", "is SUCCESSFUL and cannot be stopped")

	e.updateService(&UpdateServiceInput{Service: ptr("web"), TaskDefinition: ptr("web:2")})
	e.until(a, 10*time.Second, "second step", func() bool { return lb.weights(ruleProd)[tgAlt] == 40 })
	sd := e.latest("web")
	_, err = e.s.StopServiceDeployment(e.ctx, &StopServiceDeploymentInput{ServiceDeploymentArn: ptr(sd.ServiceDeploymentArn), StopType: "ABORT"})
	wantAPIError(t, err, "InvalidParameterException", "stopType ABORT is not supported")
	out, err := e.s.StopServiceDeployment(e.ctx, &StopServiceDeploymentInput{ServiceDeploymentArn: ptr(sd.ServiceDeploymentArn), StopType: "ROLLBACK"})
	if err != nil || deref(out.ServiceDeploymentArn) != sd.ServiceDeploymentArn {
		t.Fatalf("StopServiceDeployment: %+v %v", out, err)
	}
	if got := e.latest("web"); got.Status != sdRollbackRequested {
		t.Fatalf("status right after StopServiceDeployment: %s", got.Status)
	}
	// Stopping again while it rolls back is accepted and changes nothing.
	if _, err := e.s.StopServiceDeployment(e.ctx, &StopServiceDeploymentInput{ServiceDeploymentArn: ptr(sd.ServiceDeploymentArn)}); err != nil {
		t.Fatal(err)
	}
	var failed Deployment
	e.until(a, 500*time.Millisecond, "rollback", e.failedWhile("web", sdRollbackSuccessful, &failed))
	e.until(a, time.Second, "one deployment", func() bool { return len(e.service("default", "web").Deployments) == 1 })
	if got := altWeights(lb.history(ruleProd)); !slices.Equal(got[len(got)-3:], []int32{20, 40, 0}) {
		t.Fatalf("production weights %v: want 20, 40, then back to 0", got)
	}
	sd = e.latest("web")
	if sd.Rollback == nil || sd.Rollback.ServiceRevisionArn != first.TargetServiceRevision.Arn || sd.FinishedAt == nil {
		t.Fatalf("rolled back deployment: %+v", sd)
	}
	svc := e.service("default", "web")
	if len(svc.Deployments) != 1 || svc.Deployments[0].Status != "PRIMARY" || svc.Deployments[0].RolloutState != "COMPLETED" || !strings.HasSuffix(svc.TaskDefinition, "web:1") ||
		failed.RolloutStateReason != "Rollback requested by StopServiceDeployment." {
		t.Fatalf("deployments %+v; the failed one was %+v", svc.Deployments, failed)
	}
	// ListServiceDeployments filters by status.
	l, err := e.s.ListServiceDeployments(e.ctx, &ListServiceDeploymentsInput{Service: ptr("web"), Status: []string{sdRollbackSuccessful}})
	if err != nil || len(l.ServiceDeployments) != 1 || l.ServiceDeployments[0].ServiceDeploymentArn != sd.ServiceDeploymentArn {
		t.Fatalf("ListServiceDeployments by status: %+v %v", l, err)
	}
}

func TestSupersedingDeploymentResetsTraffic(t *testing.T) {
	e, lb, a := bgEnv(t, 2)
	e.createService("web", 2, withBG(strategyCanary, func(dc *DeploymentConfiguration) {
		dc.CanaryConfiguration = &CanaryConfiguration{CanaryPercent: ptr(10.0), CanaryBakeTimeInMinutes: ptr(int32(30))}
	}))
	e.until(a, time.Second, "first deployment", e.status("web", sdSuccessful))
	e.updateService(&UpdateServiceInput{Service: ptr("web"), TaskDefinition: ptr("web:2")})
	e.until(a, 10*time.Second, "canary", func() bool { return lb.weights(ruleProd)[tgAlt] == 10 })
	superseded := e.latest("web")
	e.register("web", 512, false, webPort)
	e.updateService(&UpdateServiceInput{Service: ptr("web"), TaskDefinition: ptr("web:3")})
	if got := e.deployments("web")[1]; got.ServiceDeploymentArn != superseded.ServiceDeploymentArn || got.Status != sdStopped {
		t.Fatalf("superseded service deployment: %+v", got)
	}
	e.until(a, 10*time.Second, "third deployment", e.status("web", sdSuccessful))
	if got := altWeights(lb.history(ruleProd)); !slices.Equal(got[len(got)-4:], []int32{10, 0, 10, 100}) {
		t.Fatalf("production weights %v: the canary of web:2 went back to 0 before that of web:3", got)
	}
	if got := e.targetGroupsOf(lb, "web:3"); !slices.Equal(got, []string{tgAlt}) {
		t.Fatalf("web:3 tasks in %v", got)
	}
	if n := len(byStatus(e.tasks("default", StatusRunning), StatusRunning)); n != 2 {
		t.Fatalf("%d tasks running", n)
	}
}

func TestDeploymentValidation(t *testing.T) {
	e, _, _ := bgEnv(t, 1)
	bg := withBG(strategyBlueGreen)
	with := func(mutate func(*CreateServiceInput)) CreateServiceInput {
		in := CreateServiceInput{ServiceName: ptr("s"), TaskDefinition: ptr("web"), DesiredCount: ptr(int32(1))}
		bg(&in)
		mutate(&in)
		return in
	}
	dc := func(f func(*DeploymentConfiguration)) func(*CreateServiceInput) {
		return func(in *CreateServiceInput) { f(in.DeploymentConfiguration) }
	}
	ac := func(f func(*AdvancedConfiguration)) func(*CreateServiceInput) {
		return func(in *CreateServiceInput) { f(in.LoadBalancers[0].AdvancedConfiguration) }
	}
	tests := []struct {
		name string
		in   CreateServiceInput
		code string
		msg  string
	}{
		{"unknown strategy", with(dc(func(d *DeploymentConfiguration) { d.Strategy = "RED_BLACK" })), "InvalidParameterException", "must be one of ROLLING, BLUE_GREEN, LINEAR or CANARY"},
		{"no bake time", with(dc(func(d *DeploymentConfiguration) { d.BakeTimeInMinutes = nil })), "InvalidParameterException", "bakeTimeInMinutes is required"},
		{"bake time too long", with(dc(func(d *DeploymentConfiguration) { d.BakeTimeInMinutes = ptr(int32(1441)) })), "InvalidParameterException", "bakeTimeInMinutes must be between 0 and 1440"},
		{"canary with blue/green", with(dc(func(d *DeploymentConfiguration) { d.CanaryConfiguration = &CanaryConfiguration{} })), "InvalidParameterException", "canaryConfiguration is only valid when the deployment strategy is CANARY"},
		{"linear with canary", with(dc(func(d *DeploymentConfiguration) {
			d.Strategy, d.LinearConfiguration = strategyCanary, &LinearConfiguration{}
		})), "InvalidParameterException", "linearConfiguration is only valid when the deployment strategy is LINEAR"},
		{"canary 0.05%", with(dc(func(d *DeploymentConfiguration) {
			d.Strategy, d.CanaryConfiguration = strategyCanary, &CanaryConfiguration{CanaryPercent: ptr(0.05)}
		})), "InvalidParameterException", "canaryPercent must be a multiple of 0.1 from 0.1 to 100.0"},
		{"linear 2%", with(dc(func(d *DeploymentConfiguration) {
			d.Strategy, d.LinearConfiguration = strategyLinear, &LinearConfiguration{StepPercent: ptr(2.0)}
		})), "InvalidParameterException", "stepPercent must be a multiple of 0.1 from 3.0 to 100.0"},
		{"linear 10.05%", with(dc(func(d *DeploymentConfiguration) {
			d.Strategy, d.LinearConfiguration = strategyLinear, &LinearConfiguration{StepPercent: ptr(10.05)}
		})), "InvalidParameterException", "stepPercent must be a multiple of 0.1"},
		{"canary bake", with(dc(func(d *DeploymentConfiguration) {
			d.Strategy, d.CanaryConfiguration = strategyCanary, &CanaryConfiguration{CanaryBakeTimeInMinutes: ptr(int32(-1))}
		})), "InvalidParameterException", "canaryBakeTimeInMinutes must be between 0 and 1440"},
		{"pause hook at production shift", with(dc(func(d *DeploymentConfiguration) {
			d.LifecycleHooks = []DeploymentLifecycleHook{{TargetType: hookTargetPause, LifecycleStages: []string{stageProductionTrafficShift}}}
		})), "InvalidParameterException", "PAUSE hooks cannot be configured at the PRODUCTION_TRAFFIC_SHIFT stage"},
		{"hook stage", with(dc(func(d *DeploymentConfiguration) {
			d.LifecycleHooks = []DeploymentLifecycleHook{{TargetType: hookTargetPause, LifecycleStages: []string{stageBakeTime}}}
		})), "InvalidParameterException", "'BAKE_TIME' is not a valid lifecycle stage"},
		{"lambda hook without a function", with(dc(func(d *DeploymentConfiguration) {
			d.LifecycleHooks = []DeploymentLifecycleHook{{LifecycleStages: []string{stagePreScaleUp}, RoleArn: ptr(roleLB)}}
		})), "InvalidParameterException", "hookTargetArn is required for an AWS_LAMBDA lifecycle hook"},
		{"hook without stages", with(dc(func(d *DeploymentConfiguration) {
			d.LifecycleHooks = []DeploymentLifecycleHook{{TargetType: hookTargetPause}}
		})), "InvalidParameterException", "lifecycleStages must name at least one lifecycle stage"},
		{"hook timeout", with(dc(func(d *DeploymentConfiguration) {
			d.LifecycleHooks = []DeploymentLifecycleHook{{TargetType: hookTargetPause, LifecycleStages: []string{stagePreScaleUp},
				TimeoutConfiguration: &DeploymentLifecycleHookTimeoutConfiguration{TimeoutInMinutes: ptr(int32(0))}}}
		})), "InvalidParameterException", "timeoutInMinutes must be between 1 and 1440"},
		{"hooks with rolling", with(func(in *CreateServiceInput) {
			in.DeploymentConfiguration = &DeploymentConfiguration{LifecycleHooks: []DeploymentLifecycleHook{{TargetType: hookTargetPause, LifecycleStages: []string{stagePreScaleUp}}}}
		}), "InvalidParameterException", "lifecycleHooks are supported only with the BLUE_GREEN, LINEAR and CANARY deployment strategies"},
		{"alarms without names", with(dc(func(d *DeploymentConfiguration) { d.Alarms = &DeploymentAlarms{Enable: true} })), "InvalidParameterException", "alarmNames must name at least one alarm"},
		{"threshold type", with(dc(func(d *DeploymentConfiguration) {
			d.DeploymentCircuitBreaker = &DeploymentCircuitBreaker{Enable: true, ThresholdConfiguration: &ThresholdConfiguration{Type: "SOME"}}
		})), "InvalidParameterException", "thresholdConfiguration.type must be COUNT, BOUNDED_PERCENT or UNBOUNDED_PERCENT"},
		{"no advanced configuration", with(func(in *CreateServiceInput) { in.LoadBalancers[0].AdvancedConfiguration = nil }), "InvalidParameterException", "loadBalancers[0]: advancedConfiguration is required when the deployment strategy is BLUE_GREEN."},
		{"no alternate", with(ac(func(a *AdvancedConfiguration) { a.AlternateTargetGroupArn = nil })), "InvalidParameterException", "loadBalancers[0].advancedConfiguration.alternateTargetGroupArn is required."},
		{"no production rule", with(ac(func(a *AdvancedConfiguration) { a.ProductionListenerRule = nil })), "InvalidParameterException", "productionListenerRule is required."},
		{"no role", with(ac(func(a *AdvancedConfiguration) { a.RoleArn = nil })), "InvalidParameterException", "roleArn is required."},
		{"same target groups", with(ac(func(a *AdvancedConfiguration) { a.AlternateTargetGroupArn = ptr(tgA) })), "InvalidParameterException", "must be a target group other than targetGroupArn"},
		{"same rules", with(ac(func(a *AdvancedConfiguration) { a.TestListenerRule = ptr(ruleProd) })), "InvalidParameterException", "testListenerRule must be a listener rule other than productionListenerRule"},
		{"unknown alternate", with(ac(func(a *AdvancedConfiguration) { a.AlternateTargetGroupArn = ptr(tgA[:len(tgA)-1] + "9") })), "InvalidParameterException", "validate the specified alternateTargetGroupArn"},
		{"unknown rule", with(ac(func(a *AdvancedConfiguration) { a.ProductionListenerRule = ptr(ruleProd[:len(ruleProd)-1] + "0") })), "InvalidParameterException", "Listener rule " + ruleProd[:len(ruleProd)-1] + "0 was not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.s.CreateService(e.ctx, &tt.in)
			wantAPIError(t, err, tt.code, tt.msg)
		})
	}
	// A listener stands for its default action; defaults are filled in and echoed.
	svc := e.createService("ok", 1, func(in *CreateServiceInput) { in.TaskDefinition = ptr("web") }, withBG(strategyCanary), func(in *CreateServiceInput) {
		in.LoadBalancers[0].AdvancedConfiguration.ProductionListenerRule = ptr(listenerProd)
		in.LoadBalancers[0].AdvancedConfiguration.TestListenerRule = nil
		in.DeploymentConfiguration.LifecycleHooks = []DeploymentLifecycleHook{{TargetType: hookTargetPause, LifecycleStages: []string{stagePreScaleUp}}}
	})
	c := svc.DeploymentConfiguration
	if deref(c.CanaryConfiguration.CanaryPercent) != 5 || deref(c.CanaryConfiguration.CanaryBakeTimeInMinutes) != 10 ||
		c.LifecycleHooks[0].TimeoutConfiguration.Action != hookActionRollback || deref(c.LifecycleHooks[0].TimeoutConfiguration.TimeoutInMinutes) != 1440 {
		t.Fatalf("defaults: %+v %+v", c.CanaryConfiguration, c.LifecycleHooks)
	}
	// Switching strategy drops the other strategy's configuration.
	svc = e.updateService(&UpdateServiceInput{Service: ptr("ok"), DeploymentConfiguration: &DeploymentConfiguration{Strategy: strategyLinear}})
	if c := svc.DeploymentConfiguration; c.CanaryConfiguration != nil || deref(c.LinearConfiguration.StepPercent) != 10 || deref(c.LinearConfiguration.StepBakeTimeInMinutes) != 6 {
		t.Fatalf("after switching to LINEAR: %+v %+v", c.CanaryConfiguration, c.LinearConfiguration)
	}

	// The service deployment operations.
	arn := "arn:aws:ecs:us-east-1:000000000000:service-deployment/default/ok/nope"
	for _, tt := range []struct {
		name string
		call func() error
		code string
		msg  string
	}{
		{"describe none", func() error {
			_, err := e.s.DescribeServiceDeployments(e.ctx, &DescribeServiceDeploymentsInput{})
			return err
		}, "InvalidParameterException", "serviceDeploymentArns cannot be empty"},
		{"describe 21", func() error {
			_, err := e.s.DescribeServiceDeployments(e.ctx, &DescribeServiceDeploymentsInput{ServiceDeploymentArns: make([]string, 21)})
			return err
		}, "InvalidParameterException", "serviceDeploymentArns can have at most 20 items"},
		{"list unknown service", func() error {
			_, err := e.s.ListServiceDeployments(e.ctx, &ListServiceDeploymentsInput{Service: ptr("nope")})
			return err
		}, "ServiceNotFoundException", "Service not found."},
		{"list bad status", func() error {
			_, err := e.s.ListServiceDeployments(e.ctx, &ListServiceDeploymentsInput{Service: ptr("ok"), Status: []string{"DONE"}})
			return err
		}, "InvalidParameterException", "status: 'DONE' is not a valid value"},
		{"stop unknown", func() error {
			_, err := e.s.StopServiceDeployment(e.ctx, &StopServiceDeploymentInput{ServiceDeploymentArn: ptr(arn)})
			return err
		}, "ServiceDeploymentNotFoundException", "The service deployment does not exist."},
		{"continue unknown", func() error {
			_, err := e.s.ContinueServiceDeployment(e.ctx, &ContinueServiceDeploymentInput{ServiceDeploymentArn: ptr(arn), HookId: ptr("x")})
			return err
		}, "ServiceDeploymentNotFoundException", "The service deployment does not exist."},
		{"continue bad action", func() error {
			_, err := e.s.ContinueServiceDeployment(e.ctx, &ContinueServiceDeploymentInput{ServiceDeploymentArn: ptr(arn), HookId: ptr("x"), Action: "SKIP"})
			return err
		}, "InvalidParameterException", "action must be CONTINUE or ROLLBACK"},
		{"continue without hook", func() error {
			_, err := e.s.ContinueServiceDeployment(e.ctx, &ContinueServiceDeploymentInput{ServiceDeploymentArn: ptr(arn)})
			return err
		}, "InvalidParameterException", "hookId is required."},
	} {
		t.Run(tt.name, func(t *testing.T) { wantAPIError(t, tt.call(), tt.code, tt.msg) })
	}
	d, err := e.s.DescribeServiceDeployments(e.ctx, &DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{arn, "garbage"}})
	if err != nil || len(d.Failures) != 2 || d.Failures[0].Reason != "MISSING" || len(d.ServiceDeployments) != 0 {
		t.Fatalf("DescribeServiceDeployments of unknown ones: %+v %v", d, err)
	}

	// Without listener rules to shift, the blue/green strategies need services without
	// load balancers.
	e.lb = nil
	e.newService()
	_, err = e.s.CreateService(e.ctx, &CreateServiceInput{ServiceName: ptr("x"), TaskDefinition: ptr("web"), DesiredCount: ptr(int32(1)),
		DeploymentConfiguration: &DeploymentConfiguration{Strategy: strategyBlueGreen, BakeTimeInMinutes: ptr(int32(1))}})
	if err != nil {
		t.Fatalf("a blue/green service without load balancers: %v", err)
	}
}

func TestBreakerThreshold(t *testing.T) {
	tests := []struct {
		cb      DeploymentCircuitBreaker
		desired int32
		want    int32
	}{
		{DeploymentCircuitBreaker{}, 1, 3},
		{DeploymentCircuitBreaker{}, 10, 5},
		{DeploymentCircuitBreaker{}, 11, 6},
		{DeploymentCircuitBreaker{}, 1000, 200},
		{DeploymentCircuitBreaker{ThresholdConfiguration: &ThresholdConfiguration{Type: "COUNT", Value: 1}}, 100, 1},
		{DeploymentCircuitBreaker{ThresholdConfiguration: &ThresholdConfiguration{Type: "BOUNDED_PERCENT", Value: 10}}, 10, 3},
		{DeploymentCircuitBreaker{ThresholdConfiguration: &ThresholdConfiguration{Type: "UNBOUNDED_PERCENT", Value: 10}}, 10, 1},
		{DeploymentCircuitBreaker{ThresholdConfiguration: &ThresholdConfiguration{Type: "UNBOUNDED_PERCENT", Value: 50}}, 1000, 500},
	}
	for _, tt := range tests {
		if got := breakerThreshold(&tt.cb, tt.desired); got != tt.want {
			t.Errorf("breakerThreshold(%+v, %d) = %d, want %d", tt.cb.ThresholdConfiguration, tt.desired, got, tt.want)
		}
	}
}

func TestWeightsOf(t *testing.T) {
	for _, tt := range []struct {
		pct     float64
		on, off int32
	}{{0, 0, 100}, {100, 100, 0}, {5, 5, 95}, {2.5, 25, 975}, {33.3, 333, 667}, {99.9, 999, 1}} {
		if on, off := weightsOf(tt.pct); on != tt.on || off != tt.off {
			t.Errorf("weightsOf(%v) = %d, %d; want %d, %d", tt.pct, on, off, tt.on, tt.off)
		}
	}
	if got := productionSteps(&DeploymentConfiguration{Strategy: strategyLinear, LinearConfiguration: &LinearConfiguration{StepPercent: ptr(33.3)}}); !slices.Equal(got, []float64{33.3, 66.6, 99.9, 100}) {
		t.Errorf("linear 33.3%% steps %v", got)
	}
}

// TestShiftSurvivesRestartsAndFailedCalls restarts Wharf in the middle of a linear
// deployment and makes rule changes fail or get lost: the deployment still goes
// through every step, in order, and the weights end where they should.
func TestShiftSurvivesRestartsAndFailedCalls(t *testing.T) {
	e, lb, a := bgEnv(t, 2)
	e.createService("web", 2, withBG(strategyLinear, func(dc *DeploymentConfiguration) {
		dc.LinearConfiguration = &LinearConfiguration{StepPercent: ptr(25.0), StepBakeTimeInMinutes: ptr(int32(1))}
		dc.BakeTimeInMinutes = ptr(int32(1))
	}))
	e.until(a, time.Second, "first deployment", e.status("web", sdSuccessful))
	start := len(lb.history(ruleProd))
	e.updateService(&UpdateServiceInput{Service: ptr("web"), TaskDefinition: ptr("web:2")})
	e.until(a, 10*time.Second, "first step", func() bool { return lb.weights(ruleProd)[tgAlt] == 25 })
	lb.fail["SetRuleForward"] = 2
	e.restart()
	a = e.agent("i-1")
	e.until(a, 10*time.Second, "third step", func() bool { return lb.weights(ruleProd)[tgAlt] == 75 })
	// The change is made but Wharf dies before it records it.
	lb.lose["SetRuleForward"] = 1
	e.clock.Advance(time.Minute)
	e.reconcile()
	e.restart()
	a = e.agent("i-1")
	e.until(a, 10*time.Second, "deployment", e.status("web", sdSuccessful))
	if got := altWeights(lb.history(ruleProd)[start:]); !slices.Equal(got, []int32{25, 50, 75, 100}) {
		t.Fatalf("production weights %v", got)
	}
	if lb.count("SetRuleForward", ruleProd) < 6 {
		t.Fatalf("%d calls: the failed ones were not retried", lb.count("SetRuleForward", ruleProd))
	}
	if got := e.targetGroupsOf(lb, "web:2"); !slices.Equal(got, []string{tgAlt}) || len(lb.registered(tgA)) != 0 {
		t.Fatalf("green in %v, blue targets %v", got, lb.states(tgA))
	}
}
