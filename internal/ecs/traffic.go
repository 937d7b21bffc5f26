package ecs

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/store"
)

// This file is the deployment controller of the BLUE_GREEN, LINEAR and CANARY
// strategies. The new (green) deployment runs a full set of tasks beside the one that
// serves production (blue), in the other target group of each load balancer's advanced
// configuration; traffic moves through the weights of the production and test listener
// rules, first the test traffic, then the production traffic (at once, in a canary
// step, or in linear steps), then after a bake time the blue tasks are drained and
// stopped. Weights move to green only once all its tasks are healthy in their target
// groups, and blue tasks are stopped only once no weight is left on their target
// groups. A rollback moves the weights back and drains the green tasks.
//
// Like the targets (targets.go), the weights are set outside the store transactions:
// a pass records the weights it wants (trafficState), syncTraffic sets them and records
// that they are set, and the controller moves on only then.

// trafficState is the weights the controller wants on a service's listener rules.
type trafficState struct {
	// Prod and Test are the percentages of the production and test traffic that go to
	// the alternate target groups (the rest goes to the primary ones).
	Prod float64 `json:"prod"`
	Test float64 `json:"test"`
	// Rules are the weights wanted on each listener rule (rule ARN → target group ARN →
	// weight), from Prod, Test and the service's load balancers.
	Rules map[string]map[string]int32 `json:"rules,omitempty"`
	// Set is true once the Rules are known to be in place, since SetAt.
	Set   bool       `json:"set"`
	SetAt *time.Time `json:"setAt,omitempty"`
}

// trafficSettle is how long the tasks of target groups that lost their weight are kept
// after the new weights are in place, for the requests the load balancer routed just
// before the change. It is not divided by the time scale: it is the data plane's time.
const trafficSettle = 2 * time.Second

// share returns the percentage of the production (or test) traffic that goes to the
// target groups of one side.
func (t *trafficState) share(alternate, test bool) float64 {
	v := t.Prod
	if test {
		v = t.Test
	}
	if alternate {
		return v
	}
	return 100 - v
}

// weightsOf turns a percentage into the weights of the two target groups: whole
// percentages as they are (5 and 95), others in tenths (25 and 975).
func weightsOf(pct float64) (on, off int32) {
	t := int32(math.Round(pct * 10))
	t = min(max(t, 0), 1000)
	if t%10 == 0 {
		return t / 10, (1000 - t) / 10
	}
	return t, 1000 - t
}

// ruleWeights derives the weights of each listener rule of a service's load balancers
// from the percentages of production and test traffic on the alternate target groups.
func ruleWeights(lbs []LoadBalancer, prod, test float64) map[string]map[string]int32 {
	out := map[string]map[string]int32{}
	set := func(rule, primary, alternate string, pct float64) {
		if rule == "" {
			return
		}
		if out[rule] == nil {
			out[rule] = map[string]int32{}
		}
		a, p := weightsOf(pct)
		out[rule][alternate], out[rule][primary] = a, p
	}
	for _, lb := range lbs {
		ac := lb.AdvancedConfiguration
		if ac == nil || deref(ac.AlternateTargetGroupArn) == "" {
			continue
		}
		set(deref(ac.ProductionListenerRule), lb.TargetGroupArn, *ac.AlternateTargetGroupArn, prod)
		set(deref(ac.TestListenerRule), lb.TargetGroupArn, *ac.AlternateTargetGroupArn, test)
	}
	return out
}

func sameRules(a, b map[string]map[string]int32) bool {
	return maps.EqualFunc(a, b, func(x, y map[string]int32) bool { return maps.Equal(x, y) })
}

// alternate reports whether a deployment's tasks use the alternate target groups.
func (p *pass) alternate(id string) bool { return p.rec.Deploys[id].Alternate }

// wantTraffic records the weights the controller wants: onTo percent of the production
// and test traffic to the deployment to's target groups.
func (p *pass) wantTraffic(to string, prodOnTo, testOnTo float64) {
	prod, test := prodOnTo, testOnTo
	if !p.alternate(to) {
		prod, test = 100-prod, 100-test
	}
	rules := ruleWeights(p.svc().LoadBalancers, prod, test)
	t := p.rec.Traffic
	if t != nil && t.Prod == prod && t.Test == test && sameRules(t.Rules, rules) {
		return
	}
	if t == nil || t.Prod != prod {
		if tg := p.targetGroupOf(to); tg != "" && p.sd != nil {
			p.event("(service %s) (deployment %s) shifting %s%% of production traffic to (target-group %s).",
				p.svc().ServiceName, p.sd.Target, trimPercent(prodOnTo), tg)
		}
	}
	p.rec.Traffic = &trafficState{Prod: prod, Test: test, Rules: rules, Set: len(rules) == 0}
	p.acted = true
}

// targetGroupOf returns the first target group a deployment's tasks use.
func (p *pass) targetGroupOf(id string) string {
	for _, lb := range sideLoadBalancers(p.svc().LoadBalancers, p.alternate(id)) {
		if lb.AdvancedConfiguration != nil {
			return lb.TargetGroupArn
		}
	}
	return ""
}

// trimPercent formats a percentage as ECS does: 5, 2.5.
func trimPercent(v float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.1f", v), "0"), ".")
}

// trafficSet reports whether the weights wanted are in place.
func (p *pass) trafficSet() bool {
	t := p.rec.Traffic
	return t == nil || t.Set || len(t.Rules) == 0
}

// sideIdle reports whether the target groups of a side are known to get no traffic, so
// that the tasks there may be stopped.
func (p *pass) sideIdle(alternate bool) bool {
	t := p.rec.Traffic
	if t == nil || len(t.Rules) == 0 {
		return true
	}
	return t.Set && (t.SetAt == nil || !p.now.Before(t.SetAt.Add(trafficSettle))) &&
		t.share(alternate, false) == 0 && t.share(alternate, true) == 0
}

// readyCount counts the tasks of a deployment that are running and healthy in their
// target groups.
func (p *pass) readyCount(id string) int {
	n := 0
	for _, r := range p.wantedOf(id) {
		if p.ready(r) {
			n++
		}
	}
	return n
}

// liveOf counts the tasks of a deployment that are not STOPPED.
func (p *pass) liveOf(id string) int {
	n := 0
	for _, r := range p.tasks {
		if r.Task.StartedBy == id && r.live() {
			n++
		}
	}
	return n
}

// enterStage moves the service deployment in progress to a lifecycle stage.
func (p *pass) enterStage(stage string) {
	sd := p.sd
	sd.SD.LifecycleStage, sd.StageAt = stage, ptr(p.now)
	sd.Step, sd.Phase, sd.StepAt = 0, "", nil
	p.acted = true
}

// maxHookRuns bounds the hook runs a service deployment shows.
const maxHookRuns = 100

// hooksDone runs the lifecycle hooks of a stage (key tells the runs of one step from
// those of another): every hook of the stage waits for ContinueServiceDeployment or
// its timeout. It reports whether they are all done, and when one times out.
func (p *pass) hooksDone(stage, key string) (bool, time.Time) {
	sd := p.sd
	if sd.HookKey != key {
		sd.HookKey = key
		for _, h := range sd.SD.DeploymentConfiguration.LifecycleHooks {
			if !slices.Contains(h.LifecycleStages, stage) {
				continue
			}
			tc := h.TimeoutConfiguration
			if tc == nil {
				tc = &DeploymentLifecycleHookTimeoutConfiguration{Action: hookActionRollback, TimeoutInMinutes: ptr(int32(defaultHookTimeoutMinutes))}
			}
			d := DeploymentLifecycleHookDetail{
				HookId: newUUID(), Status: hookAwaitingAction, TargetType: orDefault(h.TargetType, hookTargetLambda),
				TimeoutAction: orDefault(tc.Action, hookActionRollback),
				ExpiresAt:     ptr(p.now.Add(p.s.scaled(time.Duration(deref(tc.TimeoutInMinutes)) * time.Minute))),
			}
			if d.TargetType == hookTargetLambda {
				d.TargetArn = deref(h.HookTargetArn)
			}
			sd.SD.LifecycleHookDetails = append(sd.SD.LifecycleHookDetails, d)
			sd.HookRuns = append(sd.HookRuns, key)
			p.event("(service %s) (deployment %s) is waiting at lifecycle stage %s for lifecycle hook %s.", p.svc().ServiceName, sd.Target, stage, d.HookId)
		}
		if n := len(sd.SD.LifecycleHookDetails) - maxHookRuns; n > 0 {
			sd.SD.LifecycleHookDetails = slices.Delete(sd.SD.LifecycleHookDetails, 0, n)
			sd.HookRuns = slices.Delete(sd.HookRuns, 0, min(n, len(sd.HookRuns)))
		}
		p.acted = true
	}
	var wake time.Time
	done := true
	for i := range sd.SD.LifecycleHookDetails {
		d := &sd.SD.LifecycleHookDetails[i]
		if i >= len(sd.HookRuns) || sd.HookRuns[i] != key {
			continue
		}
		switch d.Status {
		case hookFailed:
			done = false
		case hookAwaitingAction:
			if d.ExpiresAt != nil && !p.now.Before(*d.ExpiresAt) {
				d.Status = hookTimedOut
				p.acted = true
				if d.TimeoutAction == hookActionRollback {
					sd.SD.Status, sd.SD.StatusReason = sdRollbackRequested, "Lifecycle hook "+d.HookId+" timed out."
					done = false
				}
				continue
			}
			done = false
			wake = earlier(wake, deref(d.ExpiresAt))
		}
	}
	return done, wake
}

// productionSteps returns the percentages of production traffic on the new deployment
// after each step of a strategy.
func productionSteps(dc *DeploymentConfiguration) []float64 {
	switch dc.Strategy {
	case strategyCanary:
		if c := deref(dc.CanaryConfiguration.CanaryPercent); c < 100 {
			return []float64{c, 100}
		}
	case strategyLinear:
		step := deref(dc.LinearConfiguration.StepPercent)
		var out []float64
		for i := 1; ; i++ {
			v := math.Round(float64(i)*step*10) / 10
			if v >= 100 {
				return append(out, 100)
			}
			out = append(out, v)
		}
	}
	return []float64{100}
}

// stepBake is how long a step's traffic bakes before the next step.
func stepBake(dc *DeploymentConfiguration) time.Duration {
	switch dc.Strategy {
	case strategyCanary:
		return time.Duration(deref(dc.CanaryConfiguration.CanaryBakeTimeInMinutes)) * time.Minute
	case strategyLinear:
		return time.Duration(deref(dc.LinearConfiguration.StepBakeTimeInMinutes)) * time.Minute
	}
	return 0
}

// convergeShift moves a service with a BLUE_GREEN, LINEAR or CANARY service deployment
// in progress one pass further.
func (p *pass) convergeShift() (time.Time, error) {
	svc := p.svc()
	p.beginSD()
	if err := p.maintain(); err != nil {
		return time.Time{}, err
	}
	p.detectFailure()
	if !p.sdActive() {
		// Failed without a rollback: the deployment stays where it is.
		return p.converge()
	}
	wake := p.advance()
	if p.sdActive() && p.sd.SD.Status == sdRollbackRequested {
		p.detectFailure()
		wake = earlier(wake, p.advance())
	}
	if !p.sdActive() {
		return p.converge()
	}
	to, from, keepFrom := p.sdTarget(), p.sd.From, p.sd.SD.LifecycleStage != stageCleanUp
	if p.sd.RollbackTo != "" {
		from, keepFrom = p.sd.Target, false
	}
	desired := int(svc.DesiredCount)
	toReady := p.readyCount(to) >= desired
	for _, d := range slices.Clone(svc.Deployments) {
		want := 0
		if d.Id == to || d.Id == from && keepFrom {
			want = desired
		}
		wanted := p.wantedOf(d.Id)
		switch {
		case len(wanted) > want && (want > 0 || p.sideIdle(p.alternate(d.Id)) || d.Id != to && p.alternate(d.Id) == p.alternate(to) && toReady):
			if err := p.scaleIn(d.Id, wanted, want); err != nil {
				return time.Time{}, err
			}
		case len(wanted) < want:
			if nb := p.rec.NotBefore; nb != nil && p.now.Before(*nb) {
				wake = earlier(wake, *nb)
			} else if err := p.launch(d.Id, want-len(wanted)); err != nil {
				return time.Time{}, err
			}
		}
	}
	p.dropEmpty(func(id string) bool { return id == to || id == from && keepFrom })
	p.settle(to, desired, false)
	return wake, nil
}

// scaleIn stops the tasks of a deployment beyond keep: those not running yet first,
// then the newest.
func (p *pass) scaleIn(id string, wanted []*taskRecord, keep int) error {
	slices.SortStableFunc(wanted, func(a, b *taskRecord) int {
		ar, br := a.Task.LastStatus == StatusRunning, b.Task.LastStatus == StatusRunning
		if ar != br {
			if ar {
				return 1
			}
			return -1
		}
		return deref(b.Task.CreatedAt).Compare(deref(a.Task.CreatedAt))
	})
	return p.stop(wanted[:len(wanted)-keep], StopCodeServiceSchedulerInitiated, func(*taskRecord) string { return scalingReason(id) })
}

// dropEmpty drops the deployments that have no task left, but those keep names and
// the failed deployment of a rollback, which stays listed until the pass after the
// rollback is over.
func (p *pass) dropEmpty(keep func(id string) bool) {
	svc := p.svc()
	svc.Deployments = slices.DeleteFunc(svc.Deployments, func(d Deployment) bool {
		if d.Status == "PRIMARY" || keep(d.Id) || p.liveOf(d.Id) > 0 || p.rolledBack(d.Id) {
			return false
		}
		p.acted = true
		return true
	})
}

// rolledBack reports whether a deployment is the failed one of the rollback this pass
// follows (in progress, or finished in this pass).
func (p *pass) rolledBack(id string) bool {
	return p.sd != nil && p.sd.RollbackTo != "" && id == p.sd.Target
}

// advance runs the lifecycle of the service deployment in progress as far as it can
// go in this pass; it returns when it wants to look again.
func (p *pass) advance() time.Time {
	var wake time.Time
	for range 100 {
		if !p.sdActive() || p.sd.SD.Status == sdRollbackRequested {
			break
		}
		var moved bool
		var w time.Time
		if p.sd.RollbackTo != "" {
			moved = p.stepRollback()
		} else {
			moved, w = p.step()
		}
		wake = earlier(wake, w)
		if !moved {
			break
		}
	}
	return wake
}

// hookStage passes a stage of lifecycle hooks alone, then enters the next stage.
func (p *pass) hookStage(stage, next string) (bool, time.Time) {
	done, wake := p.hooksDone(stage, stage)
	if !done {
		return false, wake
	}
	p.enterStage(next)
	return true, time.Time{}
}

// step moves a forward service deployment one step through its lifecycle; it reports
// whether it moved, and when it wants to look again.
func (p *pass) step() (bool, time.Time) {
	sd := p.sd
	dc := sd.SD.DeploymentConfiguration
	to, from := sd.Target, sd.From
	desired := int(p.svc().DesiredCount)
	switch sd.SD.LifecycleStage {
	case "":
		if len(sd.Sources) > 1 {
			p.enterStage(stageReconcileService)
		} else {
			p.enterStage(stagePreScaleUp)
		}
		return true, time.Time{}
	case stageReconcileService:
		return p.hookStage(stageReconcileService, stagePreScaleUp)
	case stagePreScaleUp:
		return p.hookStage(stagePreScaleUp, stageScaleUp)
	case stageScaleUp:
		// The new target groups join the rules with no weight, so that the load
		// balancer checks the health of the new tasks; a first deployment has nothing
		// to shift from and gets all the traffic once its tasks are healthy.
		if from == "" {
			p.wantTraffic(to, 100, 100)
		} else {
			p.wantTraffic(to, 0, 0)
		}
		if !p.trafficSet() || p.readyCount(to) < desired {
			return false, time.Time{}
		}
		if from == "" {
			p.enterStage(stageCleanUp)
		} else {
			p.enterStage(stagePostScaleUp)
		}
		return true, time.Time{}
	case stagePostScaleUp:
		return p.hookStage(stagePostScaleUp, stageTestTrafficShift)
	case stageTestTrafficShift:
		p.wantTraffic(to, 0, 100)
		if !p.trafficSet() {
			return false, time.Time{}
		}
		return p.hookStage(stageTestTrafficShift, stagePostTestTrafficShift)
	case stagePostTestTrafficShift:
		return p.hookStage(stagePostTestTrafficShift, stageProductionTrafficShift)
	case stageProductionTrafficShift:
		steps := productionSteps(dc)
		i := min(sd.Step, len(steps)-1)
		switch sd.Phase {
		case "":
			done, wake := p.hooksDone(stagePreProductionShift, fmt.Sprintf("%s/%d", stagePreProductionShift, i))
			if !done {
				return false, wake
			}
			sd.Phase = "shift"
		case "shift":
			// Weight moves only to a full set of healthy tasks.
			if p.readyCount(to) < desired {
				return false, time.Time{}
			}
			p.wantTraffic(to, steps[i], 100)
			if !p.trafficSet() {
				return false, time.Time{}
			}
			sd.Phase, sd.StepAt = "hooks", ptr(p.now)
		case "hooks":
			done, wake := p.hooksDone(stageProductionTrafficShift, fmt.Sprintf("%s/%d", stageProductionTrafficShift, i))
			if !done {
				return false, wake
			}
			sd.Phase = "bake"
		default: // bake
			if steps[i] < 100 {
				if end := deref(sd.StepAt).Add(p.s.scaled(stepBake(dc))); p.now.Before(end) {
					return false, end
				}
			}
			if i+1 < len(steps) {
				sd.Step, sd.Phase, sd.StepAt = i+1, "", nil
			} else {
				p.enterStage(stagePostProductionShift)
			}
		}
		p.acted = true
		return true, time.Time{}
	case stagePostProductionShift:
		return p.hookStage(stagePostProductionShift, stageBakeTime)
	case stageBakeTime:
		bake := p.s.scaled(time.Duration(deref(dc.BakeTimeInMinutes)) * time.Minute)
		if end := deref(sd.StageAt).Add(bake); p.now.Before(end) {
			return false, end
		}
		p.enterStage(stageCleanUp)
		return true, time.Time{}
	case stageCleanUp:
		p.wantTraffic(to, 100, 100)
		if !p.trafficSet() || from != "" && p.liveOf(from) > 0 {
			return false, time.Time{}
		}
		p.complete(to)
		return true, time.Time{}
	}
	return false, time.Time{}
}

// stepRollback moves a rollback one step: the restored deployment gets a full set of
// healthy tasks, then all the traffic, then the failed deployment's tasks are drained.
func (p *pass) stepRollback() bool {
	sd := p.sd
	to, failed := sd.RollbackTo, sd.Target
	switch sd.SD.LifecycleStage {
	case "":
		p.enterStage(stageScaleUp)
	case stageScaleUp:
		if p.readyCount(to) < int(p.svc().DesiredCount) {
			return false
		}
		p.enterStage(stageProductionTrafficShift)
	case stageProductionTrafficShift:
		p.wantTraffic(to, 100, 100)
		if !p.trafficSet() {
			return false
		}
		p.enterStage(stageCleanUp)
	case stageCleanUp:
		if p.liveOf(failed) > 0 {
			return false
		}
		p.complete(to)
	default:
		p.enterStage(stageScaleUp)
	}
	return true
}

// complete marks a deployment's rollout COMPLETED, with ECS's event.
func (p *pass) complete(id string) {
	d := p.deployment(id)
	if d == nil {
		return
	}
	if d.RolloutState != "COMPLETED" {
		d.RolloutState, d.RolloutStateReason = "COMPLETED", "ECS deployment "+id+" completed."
		p.event("(service %s) (deployment %s) deployment completed.", p.svc().ServiceName, id)
	}
	p.acted = true
	p.completed(id)
}

// trafficCall is the weights to set on a service's listener rules.
type trafficCall struct {
	key   string // the service's store key
	rules map[string]map[string]int32
	err   error
}

// syncTraffic sets the weights that services (given by store key) want on their
// listener rules and records those that are in place. It runs outside any store
// transaction of the pass.
func (s *Service) syncTraffic(ctx context.Context, keys []string) error {
	if s.rules == nil || len(keys) == 0 {
		return nil
	}
	var calls []trafficCall
	err := s.view(ctx, func(tx *store.Tx) error {
		for _, k := range keys {
			var rec serviceRecord
			found, err := get(tx, bucketServices, k, &rec)
			if err != nil {
				return err
			}
			if t := rec.Traffic; found && t != nil && !t.Set && len(t.Rules) > 0 && rec.Service.Status != "INACTIVE" {
				calls = append(calls, trafficCall{key: k, rules: t.Rules})
			}
		}
		return nil
	})
	if err != nil || len(calls) == 0 {
		return err
	}
	for i := range calls {
		c := &calls[i]
		for _, rule := range slices.Sorted(maps.Keys(c.rules)) {
			cctx, cancel := context.WithTimeout(ctx, lbCallTimeout)
			c.err = s.rules.SetRuleForward(cctx, rule, c.rules[rule])
			cancel()
			if c.err != nil {
				if ctx.Err() != nil {
					return nil // what is not recorded is set again after the restart
				}
				s.log.Warn("ecs: setting the weights of a listener rule failed; retrying on the next pass", "rule_arn", rule, "err", c.err)
				break
			}
		}
	}
	err = s.update(ctx, func(tx *store.Tx) error {
		wrote := false
		for _, c := range calls {
			if c.err != nil {
				continue
			}
			var rec serviceRecord
			found, err := get(tx, bucketServices, c.key, &rec)
			if err != nil {
				return err
			}
			// A decision taken meanwhile wins: only the weights set are recorded.
			if !found || rec.Traffic == nil || rec.Traffic.Set || !sameRules(rec.Traffic.Rules, c.rules) {
				continue
			}
			rec.Traffic.Set, rec.Traffic.SetAt = true, ptr(s.now())
			if err := tx.Put(bucketServices, c.key, rec); err != nil {
				return err
			}
			wrote = true
		}
		if !wrote {
			return errNothingWritten
		}
		return nil
	})
	if errors.Is(err, errNothingWritten) {
		return nil
	}
	return err
}
