package ecs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/store"
)

// Timing of the service scheduler, as ECS behaves; the delays are divided by the time
// scale.
const (
	reconcilePeriod = time.Second
	// Crash-looping services wait 2^n seconds (n failures in a row), up to 5 minutes.
	backoffMax = 5 * time.Minute
	// A task without a health check counts as healthy in a deployment once it has been
	// RUNNING this long.
	warmUp = 40 * time.Second
	// maxEvents is how many events a service keeps.
	maxEvents = 100
	// unplaceableRepeat is how often an unchanged placement failure is reported again.
	unplaceableRepeat = 5 * time.Minute
)

// Run is the service reconciler: until ctx ends, it converges every service towards its
// desired state, on every change in the store and at least every second. Each service
// is reconciled in one transaction from what the store holds, so a crash or a restart
// at any point converges again; then the targets of service tasks are synced with the
// load balancers. It returns nil when ctx ends.
func (s *Service) Run(ctx context.Context) error {
	changed, stop := s.db.Watch()
	defer stop()
	for {
		wake, err := s.step(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.Error("ecs: reconcile", "err", err)
		}
		wait := reconcilePeriod
		if !wake.IsZero() {
			wait = min(wait, max(wake.Sub(s.now()), time.Millisecond))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		case <-s.clock.After(wait):
		}
	}
}

// step is one round of Run: the alarms that deployments watched in the last round are
// read, a reconciler pass runs, then the load balancer targets and listener rule
// weights are synced (all outside any transaction of the pass).
func (s *Service) step(ctx context.Context) (time.Time, error) {
	alarms := s.pollAlarms(ctx)
	wake, out, err := s.reconcile(ctx, alarms)
	if ctx.Err() != nil {
		return wake, err
	}
	if out != nil {
		s.watchAlarms(out.alarms)
	}
	if serr := s.syncTargets(ctx); serr != nil {
		err = errors.Join(err, fmt.Errorf("ecs: load balancer targets: %w", serr))
	}
	var traffic []string
	if out != nil {
		traffic = out.traffic
	}
	if serr := s.syncTraffic(ctx, traffic); serr != nil {
		err = errors.Join(err, fmt.Errorf("ecs: listener rule weights: %w", serr))
	}
	return wake, err
}

// reconcile makes one pass over every service and the garbage of finished tasks; it
// returns the earliest time a service waits for (zero when none). The whole pass is
// one transaction (one disk sync, however many services); when it fails, the services
// are retried one transaction each, so that one broken service does not hold up the
// others.
func (s *Service) reconcile(ctx context.Context, alarms map[string]string) (time.Time, *passOutput, error) {
	var keys []string
	err := s.view(ctx, func(tx *store.Tx) error {
		return tx.Scan(bucketServices, "", func(k string, _ []byte) error {
			keys = append(keys, k)
			return nil
		})
	})
	if err != nil {
		return time.Time{}, nil, err
	}
	var wake time.Time
	out := &passOutput{}
	earliest := func(w time.Time) {
		if !w.IsZero() && (wake.IsZero() || w.Before(wake)) {
			wake = w
		}
	}
	err = s.update(ctx, func(tx *store.Tx) error {
		wrote := false
		// The tasks of every service are read once, not once a service: a pass
		// changes only the tasks of the service it reconciles.
		all, err := tasksOf(tx, "")
		if err != nil {
			return err
		}
		*out = passOutput{}
		in := passInput{alarms: alarms, tasks: map[string][]taskRecord{}, out: out}
		for _, r := range all {
			if r.Service != "" {
				cluster, _ := clusterAndID(r.Task.TaskArn)
				k := childKey(cluster, r.Service)
				in.tasks[k] = append(in.tasks[k], r)
			}
		}
		for _, key := range keys {
			w, changed, err := s.reconcileService(tx, key, in)
			if err != nil {
				return fmt.Errorf("service %s: %w", key, err)
			}
			earliest(w)
			wrote = wrote || changed
		}
		changed, err := s.collectGarbage(tx)
		if err != nil {
			return err
		}
		if !wrote && !changed {
			return errNothingWritten // roll back: an idle pass costs no disk sync
		}
		return nil
	})
	if errors.Is(err, errNothingWritten) {
		err = nil
	}
	if err == nil || ctx.Err() != nil {
		return wake, out, err
	}
	s.log.Warn("ecs: reconcile pass failed; retrying service by service", "err", err)
	wake = time.Time{}
	*out = passOutput{}
	var errs []error
	for _, key := range keys {
		var w time.Time
		one := &passOutput{}
		err := s.update(ctx, func(tx *store.Tx) error {
			var err error
			*one = passOutput{}
			w, _, err = s.reconcileService(tx, key, passInput{alarms: alarms, out: one})
			return err
		})
		if err != nil {
			if ctx.Err() != nil {
				return wake, out, ctx.Err()
			}
			errs = append(errs, fmt.Errorf("service %s: %w", key, err))
			continue
		}
		out.traffic = append(out.traffic, one.traffic...)
		out.alarms = append(out.alarms, one.alarms...)
		earliest(w)
	}
	if err := s.update(ctx, func(tx *store.Tx) error {
		_, err := s.collectGarbage(tx)
		return err
	}); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return wake, out, fmt.Errorf("ecs: reconcile: %w", errors.Join(errs...))
	}
	return wake, out, nil
}

// errNothingWritten ends a reconciler transaction that changed nothing.
var errNothingWritten = errors.New("ecs: nothing to write")

// collectGarbage forgets tasks stopped more than an hour ago and deletes the
// DELETE_IN_PROGRESS task definitions no task or service uses any more. It reports
// whether it deleted anything.
func (s *Service) collectGarbage(tx *store.Tx) (bool, error) {
	now := s.now()
	deleted := false
	tasks, err := tasksOf(tx, "")
	if err != nil {
		return false, err
	}
	used := map[string]bool{}
	for _, r := range tasks {
		seen := cmpOr(r.StoppedSeenAt, r.Task.StoppedAt)
		if !r.live() && seen != nil && now.Sub(*seen) >= stoppedTaskRetention && len(r.Targets) == 0 {
			cluster, id := clusterAndID(r.Task.TaskArn)
			if err := tx.Delete(bucketTasks, childKey(cluster, id)); err != nil {
				return false, err
			}
			deleted = true
			continue
		}
		used[r.Task.TaskDefinitionArn] = true
	}
	services, err := servicesOf(tx, "")
	if err != nil {
		return false, err
	}
	for _, r := range services {
		if r.Service.Status == "INACTIVE" {
			continue
		}
		used[r.Service.TaskDefinition] = true
		for _, d := range r.Service.Deployments {
			used[d.TaskDefinition] = true
		}
	}
	var doomed []string
	err = tx.Scan(bucketTaskDefs, "", func(k string, raw []byte) error {
		var rec taskDefRecord
		if err := store.Decode(raw, &rec); err != nil {
			return err
		}
		if rec.Def.Status == "DELETE_IN_PROGRESS" && !used[rec.Def.TaskDefinitionArn] {
			doomed = append(doomed, k)
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	for _, k := range doomed {
		if err := tx.Delete(bucketTaskDefs, k); err != nil {
			return false, err
		}
	}
	return deleted || len(doomed) > 0, nil
}

// pass is the state of one reconciliation of one service.
type pass struct {
	s       *Service
	tx      *store.Tx
	rec     *serviceRecord
	cluster string
	now     time.Time
	tasks   []*taskRecord
	defs    map[string]taskDefRecord
	acted   bool
	// start holds the deployments as the pass found them.
	start map[string]Deployment
	// sd is the service deployment in progress (nil when none), kept at sdKey.
	sd    *sdRecord
	sdKey string
	// alarms are the states of the alarms deployments watch (nil: unknown).
	alarms map[string]string
}

// passInput is what a reconciler pass gets besides the store: the alarm states read
// before it, and the tasks of every service when the caller read them all at once.
type passInput struct {
	alarms map[string]string
	// tasks maps a service's store key to its tasks; nil: each pass reads its own.
	tasks map[string][]taskRecord
	// out collects what the rounds after the pass need (nil: nothing is collected).
	out *passOutput
}

// passOutput is what the passes of a round leave for what follows them outside the
// transaction: the services whose listener rule weights are to be set, and the alarms
// that deployments in progress watch (read before the next round).
type passOutput struct {
	traffic []string
	alarms  []string
}

// collect notes what the pass leaves for the rest of the round.
func (p *pass) collect(key string, out *passOutput) {
	if out == nil {
		return
	}
	if t := p.rec.Traffic; t != nil && !t.Set && len(t.Rules) > 0 {
		out.traffic = append(out.traffic, key)
	}
	if p.sd != nil && p.sd.watchesAlarms() {
		for _, n := range p.sd.SD.DeploymentConfiguration.Alarms.AlarmNames {
			if !slices.Contains(out.alarms, n) {
				out.alarms = append(out.alarms, n)
			}
		}
	}
}

// reconcileService converges one service; it returns when it wants to run again
// (zero for "at the next change or tick") and whether it wrote to the store.
func (s *Service) reconcileService(tx *store.Tx, key string, in passInput) (wake time.Time, wrote bool, err error) {
	var rec serviceRecord
	found, err := get(tx, bucketServices, key, &rec)
	if err != nil || !found {
		return wake, false, err
	}
	before, err := json.Marshal(rec)
	if err != nil {
		return wake, false, err
	}
	cluster, _, _ := strings.Cut(key, "/")
	p := &pass{s: s, tx: tx, rec: &rec, cluster: cluster, now: s.now(), defs: map[string]taskDefRecord{}, start: map[string]Deployment{}, alarms: in.alarms}
	for _, d := range rec.Service.Deployments {
		p.start[d.Id] = d
	}
	if rec.Service.Status == "INACTIVE" {
		if rec.InactiveAt != nil && p.now.Sub(*rec.InactiveAt) >= inactiveServiceRetention {
			if err := forgetDeployments(tx, key); err != nil {
				return wake, false, err
			}
			return wake, true, tx.Delete(bucketServices, key)
		}
		return wake, false, nil
	}
	var sdBefore []byte
	if rec.Current != "" {
		var sd sdRecord
		p.sdKey = key + "/" + rec.Current
		found, err := get(tx, bucketServiceDeployments, p.sdKey, &sd)
		if err != nil {
			return wake, false, err
		}
		if found {
			p.sd = &sd
			if sdBefore, err = json.Marshal(sd); err != nil {
				return wake, false, err
			}
		} else {
			rec.Current = ""
		}
	}
	tasks := in.tasks[key]
	if in.tasks == nil {
		if tasks, err = serviceTasks(tx, cluster, rec.Service.ServiceName); err != nil {
			return wake, false, err
		}
	}
	for i := range tasks {
		p.tasks = append(p.tasks, &tasks[i])
	}
	if err := p.accountStops(); err != nil {
		return wake, false, err
	}
	switch {
	case rec.Service.Status == "DRAINING":
		if p.sdActive() {
			p.finishSD(sdStopped, "The service was deleted.")
		}
		err = p.drain()
	case p.sdActive() && trafficShifting(p.sd.strategy()):
		wake, err = p.convergeShift()
	default:
		wake, err = p.converge()
	}
	if err != nil {
		return wake, false, err
	}
	p.refreshCounts()
	p.refreshSD()
	p.collect(key, in.out)
	if p.sd != nil {
		after, err := json.Marshal(p.sd)
		if err != nil {
			return wake, false, err
		}
		if !bytes.Equal(sdBefore, after) {
			p.sd.SD.UpdatedAt = ptr(p.now)
			if err := tx.Put(bucketServiceDeployments, p.sdKey, p.sd); err != nil {
				return wake, false, err
			}
			p.acted = true
		}
	}
	after, err := json.Marshal(rec)
	if err != nil {
		return wake, false, err
	}
	if !bytes.Equal(before, after) {
		return wake, true, tx.Put(bucketServices, key, rec)
	}
	return wake, p.acted, nil
}

func (p *pass) svc() *ECSService { return &p.rec.Service }

// event adds an event to the service log.
func (p *pass) event(format string, args ...any) {
	addEvent(p.svc(), p.now, fmt.Sprintf(format, args...))
}

// addEvent adds an event to a service's log, newest first, keeping maxEvents.
func addEvent(svc *ECSService, now time.Time, msg string) {
	svc.Events = append([]ServiceEvent{{Id: newUUID(), CreatedAt: ptr(now), Message: msg}}, svc.Events...)
	if len(svc.Events) > maxEvents {
		svc.Events = svc.Events[:maxEvents]
	}
}

// unplaceable reports that a task could not be placed, as an event that is repeated
// only when the reason changes or every unplaceableRepeat.
func (p *pass) unplaceable(reason string) {
	msg := fmt.Sprintf("(service %s) was unable to place a task because no container instance met all of its requirements. %s For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.",
		p.svc().ServiceName, reason)
	if at := p.rec.UnplaceableAt; p.rec.Unplaceable == msg && at != nil && p.now.Before(at.Add(unplaceableRepeat)) {
		return
	}
	p.rec.Unplaceable, p.rec.UnplaceableAt = msg, ptr(p.now)
	p.event("%s", msg)
}

func (p *pass) put(r *taskRecord) error {
	p.acted = true
	return putTask(p.tx, r)
}

func (p *pass) deployment(id string) *Deployment {
	for i := range p.svc().Deployments {
		if p.svc().Deployments[i].Id == id {
			return &p.svc().Deployments[i]
		}
	}
	return nil
}

// taskDef returns (and caches) the task definition of a deployment.
func (p *pass) taskDef(arn string) (taskDefRecord, error) {
	if td, ok := p.defs[arn]; ok {
		return td, nil
	}
	td, err := p.s.taskDefByARN(p.tx, arn)
	if err == nil {
		p.defs[arn] = td
	}
	return td, err
}

// backoff returns the delay after n failures in a row.
func (p *pass) backoff(n int) time.Duration {
	d := backoffMax
	if n < 20 {
		d = min(time.Duration(math.Pow(2, float64(n)))*time.Second, backoffMax)
	}
	return p.s.scaled(d)
}

// failed records a failed task of the service: the next launch waits.
func (p *pass) failed(r *taskRecord) {
	p.rec.Failures++
	p.rec.NotBefore = ptr(p.now.Add(p.backoff(p.rec.Failures)))
	if d := p.deployment(r.Task.StartedBy); d != nil {
		d.FailedTasks++
	}
	p.countFailure(r)
}

// accountStops looks once at every task of the service that has stopped: a task that
// stopped by itself (or failed to start) counts as a failure.
func (p *pass) accountStops() error {
	for _, r := range p.tasks {
		if r.live() || r.Accounted {
			continue
		}
		r.Accounted = true
		if err := p.put(r); err != nil {
			return err
		}
		switch r.Task.StopCode {
		case StopCodeUserInitiated, StopCodeServiceSchedulerInitiated:
			continue
		}
		p.failed(r)
		if p.rec.Failures >= 2 {
			_, id := clusterAndID(r.Task.TaskArn)
			p.event("(service %s) is unable to consistently start tasks successfully. (task %s) stopped: %s. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.",
				p.svc().ServiceName, id, orDefault(r.Task.StoppedReason, "no reason was given"))
		}
	}
	return nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// stop stops tasks with a stop code and reason and adds the event that says so.
func (p *pass) stop(victims []*taskRecord, code string, reason func(*taskRecord) string) error {
	var ids []string
	for _, r := range victims {
		if !p.s.stopTask(r, code, reason(r)) {
			continue
		}
		if err := p.put(r); err != nil {
			return err
		}
		_, id := clusterAndID(r.Task.TaskArn)
		ids = append(ids, "(task "+id+")")
	}
	if len(ids) > 0 {
		p.event("(service %s) has stopped %d running tasks: %s.", p.svc().ServiceName, len(ids), strings.Join(ids, " "))
	}
	return nil
}

// drain stops every task of a DRAINING service and makes it INACTIVE once none is left.
func (p *pass) drain() error {
	var victims []*taskRecord
	live := 0
	for _, r := range p.tasks {
		if r.wanted() {
			victims = append(victims, r)
		}
		if r.live() {
			live++
		}
	}
	if err := p.stop(victims, StopCodeServiceSchedulerInitiated, func(r *taskRecord) string { return scalingReason(r.Task.StartedBy) }); err != nil {
		return err
	}
	if live == 0 {
		svc := p.svc()
		svc.Status = "INACTIVE"
		p.rec.InactiveAt = ptr(p.now)
		for i := range svc.Deployments {
			svc.Deployments[i].DesiredCount = 0
		}
	}
	return nil
}

// hasHealthCheck reports whether an essential container of td has a health check.
func hasHealthCheck(td TaskDefinition) bool {
	return slices.ContainsFunc(td.ContainerDefinitions, func(c ContainerDefinition) bool {
		return deref(c.Essential) && c.HealthCheck != nil && len(c.HealthCheck.Command) > 0 && c.HealthCheck.Command[0] != "NONE"
	})
}

// ready reports whether a task is running, and healthy when it has a health check and
// in every target group of its service.
func (p *pass) ready(r *taskRecord) bool {
	if !r.wanted() || r.Task.LastStatus != StatusRunning || !r.targetsHealthy() {
		return false
	}
	td, err := p.taskDef(r.Task.TaskDefinitionArn)
	if err != nil || !hasHealthCheck(td.Def) {
		return err == nil
	}
	return r.Task.HealthStatus == "HEALTHY"
}

// healthy reports whether a task counts towards the minimum healthy percent: ready, and
// without a health check (container or load balancer) RUNNING for 40 seconds.
func (p *pass) healthy(r *taskRecord) bool {
	if !p.ready(r) {
		return false
	}
	td, _ := p.taskDef(r.Task.TaskDefinitionArn)
	if hasHealthCheck(td.Def) || len(r.LoadBalancers) > 0 {
		return true
	}
	return r.Task.StartedAt == nil || !p.now.Before(r.Task.StartedAt.Add(p.s.scaled(warmUp)))
}

// wantedOf lists the tasks of a deployment that are meant to run.
func (p *pass) wantedOf(id string) []*taskRecord {
	var out []*taskRecord
	for _, r := range p.tasks {
		if r.Task.StartedBy == id && r.wanted() {
			out = append(out, r)
		}
	}
	return out
}

func (p *pass) liveCount() int {
	n := 0
	for _, r := range p.tasks {
		if r.live() {
			n++
		}
	}
	return n
}

// maintain stops the tasks a service no longer wants whatever its strategy: those of
// deployments it no longer has, and, after the health check grace period, those that
// are unhealthy (they are replaced).
func (p *pass) maintain() error {
	svc := p.svc()
	var orphans []*taskRecord
	for _, r := range p.tasks {
		if r.wanted() && p.deployment(r.Task.StartedBy) == nil {
			orphans = append(orphans, r)
		}
	}
	if err := p.stop(orphans, StopCodeServiceSchedulerInitiated, func(r *taskRecord) string { return scalingReason(r.Task.StartedBy) }); err != nil {
		return err
	}
	grace := p.s.scaled(time.Duration(deref(svc.HealthCheckGracePeriodSeconds)) * time.Second)
	var unhealthy []*taskRecord
	for _, r := range p.tasks {
		if r.wanted() && r.Task.HealthStatus == "UNHEALTHY" && (r.Task.StartedAt == nil || !p.now.Before(r.Task.StartedAt.Add(grace))) {
			unhealthy = append(unhealthy, r)
		}
	}
	for _, r := range unhealthy {
		r.Accounted = true
		p.failed(r)
	}
	if err := p.stop(unhealthy, StopCodeServiceSchedulerInitiated, func(*taskRecord) string { return "Task failed container health checks" }); err != nil {
		return err
	}
	return p.stopUnhealthyTargets()
}

// ensurePrimary gives a service without a PRIMARY deployment one.
func (p *pass) ensurePrimary() (string, error) {
	svc := p.svc()
	if !slices.ContainsFunc(svc.Deployments, func(d Deployment) bool { return d.Status == "PRIMARY" }) {
		if err := p.s.startDeployment(p.tx, p.rec, p.cluster, p.now); err != nil {
			return "", err
		}
		if p.rec.Current != "" {
			var sd sdRecord
			p.sdKey = childKey(p.cluster, svc.ServiceName) + "/" + p.rec.Current
			if _, err := get(p.tx, bucketServiceDeployments, p.sdKey, &sd); err != nil {
				return "", err
			}
			p.sd = &sd
		}
		p.acted = true
	}
	return svc.Deployments[slices.IndexFunc(svc.Deployments, func(d Deployment) bool { return d.Status == "PRIMARY" })].Id, nil
}

// converge moves an ACTIVE service towards desiredCount tasks of its PRIMARY deployment
// by a rolling update: the service scheduler's own way, and the ROLLING strategy's.
func (p *pass) converge() (time.Time, error) {
	svc := p.svc()
	primary, err := p.ensurePrimary()
	if err != nil {
		return time.Time{}, err
	}
	p.beginSD()
	if err := p.maintain(); err != nil {
		return time.Time{}, err
	}
	if p.detectFailure() && p.sdActive() {
		primary = p.sdTarget()
	}
	failed := p.deployment(primary).RolloutState == "FAILED"

	desired := int(svc.DesiredCount)
	dc := svc.DeploymentConfiguration
	maxTotal := desired * int(deref(dc.MaximumPercent)) / 100
	minHealthy := (desired*int(deref(dc.MinimumHealthyPercent)) + 99) / 100

	// Scale in the primary: tasks not yet running first, then the newest.
	if w := p.wantedOf(primary); len(w) > desired {
		if err := p.scaleIn(primary, w, desired); err != nil {
			return time.Time{}, err
		}
	}

	// Retire the tasks of older deployments, keeping minHealthy healthy tasks. Tasks
	// that serve nothing (not RUNNING yet, or UNHEALTHY, here or in a target group) go
	// first and freely; healthy ones while more than minHealthy are left; running tasks
	// whose health is not known yet only once minHealthy tasks are known to be healthy.
	// A deployment whose rollout FAILED retires nothing more; the tasks of a deployment
	// in target groups other than the primary's go only once no traffic goes there.
	healthy := 0
	for _, r := range p.tasks {
		if p.healthy(r) {
			healthy++
		}
	}
	rank := func(r *taskRecord) int {
		_, sick := r.targetUnhealthy()
		switch {
		case r.Task.LastStatus != StatusRunning || r.Task.HealthStatus == "UNHEALTHY" || sick:
			return 0
		case !p.healthy(r):
			return 1
		}
		return 2
	}
	for _, d := range svc.Deployments {
		if d.Id == primary || failed || p.alternate(d.Id) != p.alternate(primary) && !p.sideIdle(p.alternate(d.Id)) {
			continue
		}
		old := p.wantedOf(d.Id)
		slices.SortStableFunc(old, func(a, b *taskRecord) int {
			if ra, rb := rank(a), rank(b); ra != rb {
				return ra - rb
			}
			return deref(a.Task.CreatedAt).Compare(deref(b.Task.CreatedAt))
		})
		var victims []*taskRecord
		for _, r := range old {
			switch rank(r) {
			case 1:
				if healthy < minHealthy {
					continue
				}
			case 2:
				if healthy-1 < minHealthy {
					continue
				}
				healthy--
			}
			victims = append(victims, r)
		}
		if err := p.stop(victims, StopCodeServiceSchedulerInitiated, func(*taskRecord) string { return scalingReason(d.Id) }); err != nil {
			return time.Time{}, err
		}
	}

	// Launch the primary's missing tasks, within maximumPercent and the backoff; a
	// deployment whose rollout FAILED launches none.
	var wake time.Time
	missing := desired - len(p.wantedOf(primary))
	room := maxTotal - p.liveCount()
	if n := min(missing, room); n > 0 && !failed {
		if nb := p.rec.NotBefore; nb != nil && p.now.Before(*nb) {
			wake = *nb
		} else if err := p.launch(primary, n); err != nil {
			return time.Time{}, err
		}
	}

	// Drop older deployments that have no task left.
	p.dropEmpty(func(string) bool { return false })

	p.settle(primary, desired, true)
	return wake, nil
}

// launch starts n tasks of a deployment, reporting placement failures. The tasks get
// the load balancers of the deployment's service revision, in its side's target groups.
func (p *pass) launch(id string, n int) error {
	svc := p.svc()
	d := p.deployment(id)
	td, err := p.taskDef(d.TaskDefinition)
	if err != nil {
		return err
	}
	lbs, err := p.loadBalancersOf(id)
	if err != nil {
		return err
	}
	pl, err := p.s.newPlacer(p.tx, p.cluster)
	if err != nil {
		return err
	}
	if len(pl.instances) == 0 {
		p.unplaceable("Reason: No Container Instances were found in your cluster.")
		return nil
	}
	spec := launchSpec{
		cluster:       p.cluster,
		td:            td,
		startedBy:     id,
		group:         "service:" + svc.ServiceName,
		launchType:    svc.LaunchType,
		service:       svc.ServiceName,
		loadBalancers: lbs,
	}
	switch svc.PropagateTags {
	case "SERVICE":
		spec.tags = slices.Clone(svc.Tags)
	case "TASK_DEFINITION":
		spec.tags = slices.Clone(td.Tags)
	}
	var ids []string
	var failure *Failure
	for range n {
		rec, failures, err := p.s.launch(p.tx, pl, spec)
		if err != nil {
			return err
		}
		if rec == nil {
			failure = &failures[0]
			break
		}
		p.acted = true
		p.tasks = append(p.tasks, rec)
		_, tid := clusterAndID(rec.Task.TaskArn)
		ids = append(ids, "(task "+tid+")")
	}
	if len(ids) > 0 {
		p.event("(service %s) has started %d tasks: %s.", svc.ServiceName, len(ids), strings.Join(ids, " "))
	}
	if failure != nil {
		_, inst := clusterAndID(failure.Arn)
		what := map[string]string{"RESOURCE:CPU": "CPU units", "RESOURCE:MEMORY": "memory", "RESOURCE:PORTS": "ports"}[failure.Reason]
		p.unplaceable(fmt.Sprintf("The closest matching (container-instance %s) has insufficient %s available (%s).", inst, what, failure.Reason))
	} else {
		p.rec.Unplaceable, p.rec.UnplaceableAt = "", nil
	}
	return nil
}

// loadBalancersOf returns the load balancers a deployment's tasks get: those of its
// service revision (the service's when it has none), in the target groups of its side.
func (p *pass) loadBalancersOf(id string) ([]LoadBalancer, error) {
	info, ok := p.rec.Deploys[id]
	lbs := p.svc().LoadBalancers
	if ok && info.Revision != "" {
		rev, found, err := p.s.revision(p.tx, info.Revision)
		if err != nil {
			return nil, err
		}
		if found {
			lbs = rev.LoadBalancers
		}
	}
	return sideLoadBalancers(lbs, info.Alternate), nil
}

// settle reports the steady state once the primary runs desiredCount ready tasks and
// nothing else is left; with complete (the rolling update) it also completes the
// primary's rollout then.
func (p *pass) settle(primary string, desired int, complete bool) {
	svc := p.svc()
	w := p.wantedOf(primary)
	ready := 0
	for _, r := range w {
		if p.ready(r) {
			ready++
		}
	}
	others := 0
	for _, d := range svc.Deployments {
		// The failed deployment of a rollback stays listed until the rollback is over.
		if d.Id != primary && (!p.rolledBack(d.Id) || p.liveOf(d.Id) > 0) {
			others++
		}
	}
	done := others == 0 && len(w) == desired && ready == desired && p.liveCount() == desired
	d := p.deployment(primary)
	if done && complete && d.RolloutState == "IN_PROGRESS" {
		p.complete(primary)
	}
	done = done && (complete || !p.sdActive())
	switch {
	case p.acted:
		p.rec.Steady = false
	case done && !p.rec.Steady:
		p.rec.Steady = true
		p.rec.SteadySince = ptr(p.now)
		p.event("(service %s) has reached a steady state.", svc.ServiceName)
	case done && p.rec.Failures > 0 && p.rec.SteadySince != nil && !p.now.Before(p.rec.SteadySince.Add(p.s.scaled(backoffMax))):
		// Steady long enough: the failures in a row are forgiven.
		p.rec.Failures, p.rec.NotBefore = 0, nil
	}
}

// refreshCounts updates the running and pending counts of the service and its
// deployments, and the desired count of older deployments (the tasks they keep); a
// deployment that changed gets a new updatedAt.
func (p *pass) refreshCounts() {
	svc := p.svc()
	tasks := make([]taskRecord, len(p.tasks))
	for i, r := range p.tasks {
		tasks[i] = *r
	}
	countTasks(svc, tasks)
	for i := range svc.Deployments {
		d := &svc.Deployments[i]
		if d.Status != "PRIMARY" {
			d.DesiredCount = int32(len(p.wantedOf(d.Id)))
		}
		if was, ok := p.start[d.Id]; ok {
			was.UpdatedAt = d.UpdatedAt
			a, _ := json.Marshal(was)
			b, _ := json.Marshal(d)
			if !bytes.Equal(a, b) {
				d.UpdatedAt = ptr(p.now)
			}
		}
	}
}
