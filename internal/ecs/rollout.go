package ecs

import (
	"math"
	"slices"
	"strings"
	"time"
)

// This file follows a service deployment through a reconciler pass, whatever its
// strategy: its status, the circuit breaker and the alarms that fail it, and the
// rollback to the deployment that last completed.

// Circuit breaker bounds, as ECS documents them: 50% of the desired count, from 3 to
// 200 failed tasks.
const (
	breakerMin = 3
	breakerMax = 200
)

// breakerThreshold is how many failed tasks trip the circuit breaker of a deployment of
// desired tasks.
func breakerThreshold(cb *DeploymentCircuitBreaker, desired int32) int32 {
	pct, bounded := int32(50), true
	if tc := cb.ThresholdConfiguration; tc != nil {
		switch tc.Type {
		case "COUNT":
			return tc.Value
		case "UNBOUNDED_PERCENT":
			pct, bounded = tc.Value, false
		default:
			pct = tc.Value
		}
	}
	n := int32(math.Ceil(float64(desired) * float64(pct) / 100))
	if bounded {
		return min(max(n, breakerMin), breakerMax)
	}
	return max(n, 1)
}

// sdActive reports whether the pass follows a service deployment in progress.
func (p *pass) sdActive() bool { return p.sd != nil && !finished(p.sd.SD.Status) }

// sdTarget returns the deployment the service deployment in progress brings up: its
// own, or the one its rollback restores ("" when none is in progress).
func (p *pass) sdTarget() string {
	switch {
	case !p.sdActive():
		return ""
	case p.sd.RollbackTo != "":
		return p.sd.RollbackTo
	}
	return p.sd.Target
}

// beginSD moves a pending service deployment to IN_PROGRESS.
func (p *pass) beginSD() {
	if p.sdActive() && p.sd.SD.Status == sdPending {
		p.sd.SD.Status, p.sd.SD.StartedAt = sdInProgress, ptr(p.now)
	}
}

// countFailure counts a failed task against the circuit breaker of the service
// deployment in progress when the task belongs to the deployment it brings up.
func (p *pass) countFailure(r *taskRecord) {
	if !p.sdActive() || r.Task.StartedBy != p.sdTarget() {
		return
	}
	if p.sd.RollbackTo != "" {
		p.sd.RollbackFailures++
	} else if cb := p.sd.SD.DeploymentCircuitBreaker; cb != nil {
		cb.FailureCount++
	}
}

// detectFailure checks the circuit breaker and the alarms of the service deployment in
// progress, and a rollback that was asked for; a failure fails the deployment (and
// rolls it back when so configured). It reports whether it did.
func (p *pass) detectFailure() bool {
	if !p.sdActive() {
		return false
	}
	svc, sd := p.svc(), p.sd
	dc := sd.SD.DeploymentConfiguration
	if sd.SD.Status == sdRollbackRequested && sd.RollbackTo == "" {
		reason := orDefault(sd.SD.StatusReason, "Rollback requested.")
		p.fail(reason, "(service "+svc.ServiceName+") (deployment "+sd.Target+") deployment stopped: "+strings.ToLower(reason[:1])+reason[1:], true)
		return true
	}
	// The circuit breaker forgets failures once more tasks are healthy than ever.
	if cb := dc.DeploymentCircuitBreaker; cb != nil && cb.Enable && (cb.ResetOnHealthyTask == nil || *cb.ResetOnHealthyTask) {
		if ready := p.readyCount(p.sdTarget()); ready > sd.Healthy {
			sd.Healthy = ready
			if sd.RollbackTo != "" {
				sd.RollbackFailures = 0
			} else {
				sd.SD.DeploymentCircuitBreaker.FailureCount = 0
			}
		}
	}
	if cb := dc.DeploymentCircuitBreaker; cb != nil && cb.Enable {
		m := sd.SD.DeploymentCircuitBreaker
		threshold := breakerThreshold(cb, svc.DesiredCount)
		if sd.RollbackTo != "" {
			// The breaker watches the rollback as well.
			if sd.RollbackFailures >= threshold {
				p.rollbackFailed("The circuit breaker tripped during the rollback: tasks failed to start.")
				return true
			}
		} else if m.Threshold = threshold; m.FailureCount >= m.Threshold && m.Status == monitorMonitoring {
			m.Status = monitorTriggered
			p.fail("ECS deployment circuit breaker: tasks failed to start.",
				"(service "+svc.ServiceName+") (deployment "+sd.Target+") deployment failed: tasks failed to start.", cb.Rollback)
			return true
		}
	}
	if sd.RollbackTo == "" && sd.watchesAlarms() && sd.SD.Alarms.Status == monitorMonitoring && p.alarms != nil {
		if sd.Seen == nil {
			sd.Seen = map[string]string{}
		}
		var fired []string
		for _, name := range dc.Alarms.AlarmNames {
			state, ok := p.alarms[name]
			if !ok {
				continue
			}
			// An alarm already in ALARM when the deployment began is ignored, as in
			// ECS: only a change into ALARM fails the deployment.
			if prev, seen := sd.Seen[name]; state == "ALARM" && seen && prev != "ALARM" {
				fired = append(fired, name)
			}
			sd.Seen[name] = state
		}
		if len(fired) > 0 {
			sd.SD.Alarms.Status, sd.SD.Alarms.TriggeredAlarmNames = monitorTriggered, fired
			list := strings.Join(fired, ", ")
			p.fail("ECS deployment alarms triggered: "+list+" in ALARM state.",
				"(service "+svc.ServiceName+") (deployment "+sd.Target+") deployment failed: alarm(s) "+list+" in ALARM state.", dc.Alarms.Rollback)
			return true
		}
	}
	return false
}

// fail fails the service deployment in progress: its deployment's rollout is FAILED and
// launches no more tasks; with rollback it rolls back to the deployment that last
// completed, else it is STOPPED where it is.
func (p *pass) fail(reason, event string, rollback bool) {
	sd := p.sd
	p.event("%s", event)
	if d := p.deployment(sd.Target); d != nil {
		d.RolloutState, d.RolloutStateReason = "FAILED", reason
	}
	if rollback && canRollBack(p.rec, sd) {
		p.rollback(reason)
		return
	}
	if rollback {
		reason += " No earlier service revision completed, so the deployment was not rolled back."
	}
	p.finishSD(sdStopped, reason)
}

// rollback starts rolling the service deployment in progress back to the deployment
// that last completed: that one becomes PRIMARY again (re-created from its service
// revision when it has no task left), the failed one ACTIVE, and the service's task
// definition and load balancers those of the restored revision.
func (p *pass) rollback(reason string) {
	svc, sd := p.svc(), p.sd
	to := p.rec.Production
	if trafficShifting(sd.strategy()) {
		to = sd.From
	}
	info := p.rec.Deploys[to]
	rev, found, err := p.s.revision(p.tx, info.Revision)
	if err != nil || !found {
		p.s.log.Error("ecs: the service revision to roll back to is missing", "service", svc.ServiceArn, "revision", info.Revision, "err", err)
		p.finishSD(sdRollbackFailed, reason+" The service revision to roll back to is missing.")
		return
	}
	for i := range svc.Deployments {
		if svc.Deployments[i].Status == "PRIMARY" {
			svc.Deployments[i].Status = "ACTIVE"
			svc.Deployments[i].UpdatedAt = ptr(p.now)
		}
	}
	svc.TaskDefinition, svc.LoadBalancers, svc.NetworkConfiguration = rev.TaskDefinition, slices.Clone(rev.LoadBalancers), rev.NetworkConfiguration
	if svc.LoadBalancers == nil {
		svc.LoadBalancers = []LoadBalancer{}
	}
	if d := p.deployment(to); d != nil {
		d.Status, d.DesiredCount, d.UpdatedAt = "PRIMARY", svc.DesiredCount, ptr(p.now)
		d.RolloutState, d.RolloutStateReason = "IN_PROGRESS", "ECS deployment "+to+" in progress."
	} else {
		d := newDeployment(svc, p.now)
		svc.Deployments = append([]Deployment{d}, svc.Deployments...)
		p.rec.Deploys[d.Id] = info
		to = d.Id
	}
	sd.RollbackTo = to
	sd.SD.Status, sd.SD.StatusReason = sdRollbackInProgress, reason
	sd.SD.Rollback = &Rollback{Reason: reason, StartedAt: ptr(p.now), ServiceRevisionArn: info.Revision}
	sd.Healthy = 0
	stopMonitors(&sd.SD, monitorMonitoringComplete)
	// The restored deployment comes first, as the PRIMARY one does.
	slices.SortStableFunc(svc.Deployments, func(a, b Deployment) int {
		if (a.Status == "PRIMARY") != (b.Status == "PRIMARY") {
			if a.Status == "PRIMARY" {
				return -1
			}
			return 1
		}
		return 0
	})
	p.rec.Failures, p.rec.NotBefore, p.rec.Steady = 0, nil, false
	p.enterStage("")
	p.event("(service %s) (deployment %s) rolling back to (deployment %s).", svc.ServiceName, sd.Target, to)
	p.acted = true
}

// rollbackFailed ends a rollback whose own tasks fail.
func (p *pass) rollbackFailed(reason string) {
	if d := p.deployment(p.sd.RollbackTo); d != nil {
		d.RolloutState, d.RolloutStateReason = "FAILED", reason
	}
	p.event("(service %s) (deployment %s) rollback failed: tasks failed to start.", p.svc().ServiceName, p.sd.RollbackTo)
	p.finishSD(sdRollbackFailed, reason)
}

// finishSD ends the service deployment in progress with a final status.
func (p *pass) finishSD(status, reason string) {
	sd := p.sd
	sd.SD.Status, sd.SD.FinishedAt = status, ptr(p.now)
	if reason != "" {
		sd.SD.StatusReason = reason
	}
	if status == sdStopped || status == sdRollbackFailed {
		sd.SD.StoppedAt = ptr(p.now)
	}
	stopMonitors(&sd.SD, monitorMonitoringComplete)
	for i := range sd.SD.LifecycleHookDetails {
		if h := &sd.SD.LifecycleHookDetails[i]; h.Status == hookAwaitingAction {
			h.Status = hookFailed
		}
	}
	p.rec.Current = ""
	p.acted = true
}

// completed records that a deployment completed its rollout: the service deployment in
// progress succeeds (or its rollback does), and the deployment is the one production
// traffic goes to and failed deployments roll back to.
func (p *pass) completed(id string) {
	p.rec.Production = id
	if !p.sdActive() {
		return
	}
	switch id {
	case p.sd.RollbackTo:
		p.finishSD(sdRollbackSuccessful, "")
	case p.sd.Target:
		p.finishSD(sdSuccessful, "")
	}
}

// refreshSD brings the task counts and traffic weights of the service deployment in
// progress up to date, and forgets the deployments a service no longer needs.
func (p *pass) refreshSD() {
	for id := range p.rec.Deploys {
		if id != p.rec.Production && p.deployment(id) == nil && (!p.sdActive() || id != p.sd.From) {
			delete(p.rec.Deploys, id)
		}
	}
	if p.sd == nil {
		return
	}
	sd := p.sd
	summary := func(id string, requested int32, s *ServiceRevisionSummary) {
		s.RequestedTaskCount = requested
		s.RunningTaskCount, s.PendingTaskCount = 0, 0
		for _, r := range p.tasks {
			if r.Task.StartedBy != id {
				continue
			}
			switch {
			case r.Task.LastStatus == StatusRunning:
				s.RunningTaskCount++
			case isPending(r.Task.LastStatus):
				s.PendingTaskCount++
			}
		}
		if shifting := trafficShifting(sd.strategy()) && p.rec.Traffic != nil; shifting {
			alt := p.rec.Deploys[id].Alternate
			s.RequestedProductionTrafficWeight = ptr(p.rec.Traffic.share(alt, false))
			s.RequestedTestTrafficWeight = ptr(p.rec.Traffic.share(alt, true))
		}
	}
	if !finished(sd.SD.Status) {
		if d := p.deployment(sd.Target); d != nil {
			summary(sd.Target, int32(len(p.wantedOf(sd.Target))), sd.SD.TargetServiceRevision)
			if d.Status == "PRIMARY" {
				sd.SD.TargetServiceRevision.RequestedTaskCount = d.DesiredCount
			}
		}
		for i, id := range sd.Sources {
			if i < len(sd.SD.SourceServiceRevisions) && p.deployment(id) != nil {
				requested := int32(len(p.wantedOf(id)))
				if d := p.deployment(id); d.Status == "PRIMARY" {
					requested = d.DesiredCount
				}
				summary(id, requested, &sd.SD.SourceServiceRevisions[i])
			}
		}
	}
}

// wake returns the earlier of two wake times (zero meaning none).
func earlier(a, b time.Time) time.Time {
	switch {
	case a.IsZero():
		return b
	case b.IsZero() || a.Before(b):
		return a
	}
	return b
}
