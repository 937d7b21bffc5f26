package ecs

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/wharf-dev/wharf/internal/store"
)

// Every deployment of a service makes a service revision (what the tasks run) and a
// service deployment (the rollout from the revisions that ran to the new one). Both are
// kept in buckets of their own, under the service's key, until the service is forgotten.

// sdRecord is a service deployment and what the deployment controller keeps about it.
type sdRecord struct {
	SD ServiceDeployment `json:"sd"`
	// Target is the deployment (by id) that the service deployment rolls out.
	Target string `json:"target"`
	// Sources are the deployments that ran when it started.
	Sources []string `json:"sources,omitempty"`
	// From is the deployment that served production traffic when it started (the
	// blue one); empty for a service's first deployment.
	From string `json:"from,omitempty"`
	// RollbackTo is the deployment a rollback restores.
	RollbackTo string `json:"rollbackTo,omitempty"`
	// StageAt is when the current lifecycle stage began.
	StageAt *time.Time `json:"stageAt,omitempty"`
	// Step is the production traffic step of a LINEAR or CANARY deployment and Phase
	// where it is in it (hooks before, shift, hooks after, bake); StepAt is when the
	// step's weights were confirmed.
	Step   int        `json:"step,omitempty"`
	Phase  string     `json:"phase,omitempty"`
	StepAt *time.Time `json:"stepAt,omitempty"`
	// HookKey names the hook stage (and step) that ran last; HookRuns names, for each
	// of SD.LifecycleHookDetails, the one it ran at.
	HookKey  string   `json:"hookKey,omitempty"`
	HookRuns []string `json:"hookRuns,omitempty"`
	// Seen is the last state of each watched alarm.
	Seen map[string]string `json:"seen,omitempty"`
	// Healthy is the most tasks of the target seen ready at once; the circuit breaker
	// forgets its failures when it grows (resetOnHealthyTask).
	Healthy int `json:"healthy,omitempty"`
	// RollbackFailures counts the failed tasks of a rollback, which the circuit
	// breaker watches too.
	RollbackFailures int32 `json:"rollbackFailures,omitempty"`
}

// finished reports whether a service deployment status is final.
func finished(status string) bool {
	switch status {
	case sdSuccessful, sdStopped, sdRollbackSuccessful, sdRollbackFailed:
		return true
	}
	return false
}

// watchesAlarms reports whether a service deployment in progress watches alarms.
func (r *sdRecord) watchesAlarms() bool {
	dc := r.SD.DeploymentConfiguration
	return dc != nil && dc.Alarms != nil && dc.Alarms.Enable && len(dc.Alarms.AlarmNames) > 0 &&
		!finished(r.SD.Status) && r.RollbackTo == ""
}

// strategy is the strategy the service deployment runs with.
func (r *sdRecord) strategy() string {
	if dc := r.SD.DeploymentConfiguration; dc != nil && dc.Strategy != "" {
		return dc.Strategy
	}
	return strategyRolling
}

func sdKey(cluster, service, id string) string { return cluster + "/" + service + "/" + id }

// idOf returns the last path element of a service deployment or revision ARN.
func idOf(arn string) string { return arn[lastSlash(arn)+1:] }

func lastSlash(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '/' {
			return i
		}
	}
	return -1
}

// newRevision records a service revision of svc as it is now; alternate says which
// target groups its tasks use.
func (s *Service) newRevision(tx *store.Tx, cluster string, svc *ECSService, alternate bool, now time.Time) (string, error) {
	id := newNumericID()
	rev := ServiceRevision{
		ServiceRevisionArn:       s.serviceRevisionARN(cluster, svc.ServiceName, id),
		ServiceArn:               svc.ServiceArn,
		ClusterArn:               svc.ClusterArn,
		TaskDefinition:           svc.TaskDefinition,
		CapacityProviderStrategy: slices.Clone(svc.CapacityProviderStrategy),
		LaunchType:               svc.LaunchType,
		PlatformVersion:          svc.PlatformVersion,
		LoadBalancers:            slices.Clone(svc.LoadBalancers),
		NetworkConfiguration:     svc.NetworkConfiguration,
		ContainerImages:          []ContainerImage{},
		CreatedAt:                ptr(now),
	}
	if td, err := s.taskDefByARN(tx, svc.TaskDefinition); err == nil {
		for _, c := range td.Def.ContainerDefinitions {
			rev.ContainerImages = append(rev.ContainerImages, ContainerImage{ContainerName: c.Name, Image: c.Image})
		}
	}
	if lbs := sideLoadBalancers(svc.LoadBalancers, alternate); len(lbs) > 0 {
		rc := &ResolvedConfiguration{}
		for _, lb := range lbs {
			rl := ServiceRevisionLoadBalancer{TargetGroupArn: lb.TargetGroupArn}
			if lb.AdvancedConfiguration != nil {
				rl.ProductionListenerRule = deref(lb.AdvancedConfiguration.ProductionListenerRule)
			}
			rc.LoadBalancers = append(rc.LoadBalancers, rl)
		}
		rev.ResolvedConfiguration = rc
	}
	return rev.ServiceRevisionArn, tx.Put(bucketRevisions, sdKey(cluster, svc.ServiceName, id), rev)
}

// sideLoadBalancers returns a service's load balancers as the tasks of one side use
// them: with the alternate target group of each advanced configuration when alternate.
func sideLoadBalancers(lbs []LoadBalancer, alternate bool) []LoadBalancer {
	out := slices.Clone(lbs)
	if !alternate {
		return out
	}
	for i, lb := range out {
		if ac := lb.AdvancedConfiguration; ac != nil && deref(ac.AlternateTargetGroupArn) != "" {
			out[i].TargetGroupArn = *ac.AlternateTargetGroupArn
		}
	}
	return out
}

// revision reads a service revision by ARN.
func (s *Service) revision(tx *store.Tx, arn string) (ServiceRevision, bool, error) {
	var rev ServiceRevision
	r, ok := s.parseARN(arn)
	if !ok || r.kind != "service-revision" {
		return rev, false, nil
	}
	found, err := get(tx, bucketRevisions, childKey(r.cluster, r.name), &rev)
	return rev, found, err
}

// loadSD reads a service deployment by ARN.
func (s *Service) loadSD(tx *store.Tx, arn string) (sdRecord, string, bool, error) {
	var rec sdRecord
	r, ok := s.parseARN(arn)
	if !ok || r.kind != "service-deployment" {
		return rec, "", false, nil
	}
	key := childKey(r.cluster, r.name)
	found, err := get(tx, bucketServiceDeployments, key, &rec)
	return rec, key, found, err
}

// startDeployment starts a new PRIMARY deployment of the service as it is configured
// now, with its service revision and service deployment. A service deployment still in
// progress is superseded (STOPPED). For the blue/green strategies the new deployment's
// tasks use the target groups that production traffic does not.
func (s *Service) startDeployment(tx *store.Tx, rec *serviceRecord, cluster string, now time.Time) error {
	svc := &rec.Service
	name := svc.ServiceName
	if rec.Deploys == nil {
		rec.Deploys = map[string]deployInfo{}
	}
	var primary string
	for _, d := range svc.Deployments {
		if d.Status == "PRIMARY" {
			primary = d.Id
		}
	}
	// The deployment that serves production: the last one to complete, or the one a
	// deployment in progress has moved production traffic to (or rolls back to).
	prod := rec.Production
	if rec.Current != "" {
		var cur sdRecord
		found, err := get(tx, bucketServiceDeployments, sdKey(cluster, name, rec.Current), &cur)
		if err != nil {
			return err
		}
		if found && !finished(cur.SD.Status) {
			switch {
			case cur.RollbackTo != "":
				prod = cur.RollbackTo
			case trafficShifting(cur.strategy()) && slices.Contains([]string{stagePostProductionShift, stageBakeTime, stageCleanUp}, cur.SD.LifecycleStage):
				prod = cur.Target
			}
			cur.SD.Status, cur.SD.StatusReason = sdStopped, "A newer service deployment was started."
			cur.SD.StoppedAt, cur.SD.FinishedAt, cur.SD.UpdatedAt = ptr(now), ptr(now), ptr(now)
			stopMonitors(&cur.SD, monitorMonitoringComplete)
			if err := tx.Put(bucketServiceDeployments, sdKey(cluster, name, rec.Current), cur); err != nil {
				return err
			}
		}
	}
	if !slices.ContainsFunc(svc.Deployments, func(d Deployment) bool { return d.Id == prod }) {
		prod = primary
	}
	alternate := rec.Deploys[prod].Alternate
	if prod != "" && trafficShifting(svc.DeploymentConfiguration.Strategy) {
		alternate = !alternate
	}
	revArn, err := s.newRevision(tx, cluster, svc, alternate, now)
	if err != nil {
		return err
	}
	var sources []string
	var summaries []ServiceRevisionSummary
	for i := range svc.Deployments {
		d := &svc.Deployments[i]
		if d.Status == "PRIMARY" {
			d.Status = "ACTIVE"
			d.UpdatedAt = ptr(now)
		}
		sources = append(sources, d.Id)
		summaries = append(summaries, ServiceRevisionSummary{Arn: rec.Deploys[d.Id].Revision})
	}
	dep := newDeployment(svc, now)
	svc.Deployments = append([]Deployment{dep}, svc.Deployments...)
	rec.Deploys[dep.Id] = deployInfo{Revision: revArn, Alternate: alternate}
	id := newDeploymentKey()
	sd := sdRecord{
		SD: ServiceDeployment{
			ServiceDeploymentArn:    s.serviceDeploymentARN(cluster, name, id),
			ServiceArn:              svc.ServiceArn,
			ClusterArn:              svc.ClusterArn,
			CreatedAt:               ptr(now),
			UpdatedAt:               ptr(now),
			SourceServiceRevisions:  summaries,
			TargetServiceRevision:   &ServiceRevisionSummary{Arn: revArn, RequestedTaskCount: svc.DesiredCount},
			Status:                  sdPending,
			DeploymentConfiguration: cloneConfig(svc.DeploymentConfiguration),
		},
		Target:  dep.Id,
		Sources: sources,
		From:    prod,
	}
	if sd.SD.SourceServiceRevisions == nil {
		sd.SD.SourceServiceRevisions = []ServiceRevisionSummary{}
	}
	startMonitors(&sd.SD, s.alarms != nil)
	if err := tx.Put(bucketServiceDeployments, sdKey(cluster, name, id), sd); err != nil {
		return err
	}
	rec.Current = id
	// A new deployment starts with a clean slate, as ECS resets its throttle.
	rec.Failures, rec.NotBefore = 0, nil
	rec.Steady = false
	return nil
}

// startMonitors sets the circuit breaker and alarm monitors of a new service deployment.
func startMonitors(sd *ServiceDeployment, alarmsWired bool) {
	dc := sd.DeploymentConfiguration
	cb := &ServiceDeploymentCircuitBreaker{Status: monitorDisabled}
	if dc.DeploymentCircuitBreaker != nil && dc.DeploymentCircuitBreaker.Enable {
		cb.Status = monitorMonitoring
	}
	sd.DeploymentCircuitBreaker = cb
	al := &ServiceDeploymentAlarms{Status: monitorDisabled}
	if a := dc.Alarms; a != nil {
		al.AlarmNames = slices.Clone(a.AlarmNames)
		if a.Enable && alarmsWired {
			al.Status = monitorMonitoring
		}
	}
	sd.Alarms = al
}

// stopMonitors ends the monitors of a service deployment that are still monitoring.
func stopMonitors(sd *ServiceDeployment, status string) {
	if cb := sd.DeploymentCircuitBreaker; cb != nil && cb.Status == monitorMonitoring {
		cb.Status = status
	}
	if al := sd.Alarms; al != nil && al.Status == monitorMonitoring {
		al.Status = status
	}
}

// forgetDeployments deletes the service deployments and revisions of a service that
// is forgotten.
func forgetDeployments(tx *store.Tx, serviceKey string) error {
	for _, bucket := range []string{bucketServiceDeployments, bucketRevisions} {
		var keys []string
		err := tx.Scan(bucket, serviceKey+"/", func(k string, _ []byte) error {
			keys = append(keys, k)
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range keys {
			if err := tx.Delete(bucket, k); err != nil {
				return err
			}
		}
	}
	return nil
}

// sameJSON reports whether two values encode alike.
func sameJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}
