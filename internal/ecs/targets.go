package ecs

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/store"
)

// This file keeps the load balancer targets of service tasks in step with the tasks:
// registered while a task runs, deregistered (and drained) before it stops.
//
// The load balancers may live in the same store, which has a single writer, so they are
// never called inside a store transaction. A sync pass decides in one transaction and
// records its intent (a target REGISTERING or DEREGISTERING), commits, makes the calls,
// and records their outcome in a second transaction. A crash anywhere in between leaves
// the intent recorded, and the next pass makes the same idempotent calls again.

// lbCallTimeout bounds each call to the load balancers.
const lbCallTimeout = 30 * time.Second

type callKind int

const (
	callRegister callKind = iota
	callDeregister
	callPoll
)

// targetCall is one call to the load balancers about a task's target.
type targetCall struct {
	key    string // the task's store key
	kind   callKind
	target taskTarget
	// Results.
	err           error
	state, reason string
}

// syncTargets makes one pass over the targets of every task: it records what must be
// registered or deregistered, calls the load balancers, and records the outcomes (new
// health, targets drained, tasks done DEACTIVATING).
func (s *Service) syncTargets(ctx context.Context) error {
	var calls []targetCall
	err := s.update(ctx, func(tx *store.Tx) error {
		calls = calls[:0]
		now := s.now()
		wrote := false
		tasks, err := tasksOf(tx, "")
		if err != nil {
			return err
		}
		for i := range tasks {
			r := &tasks[i]
			if len(r.LoadBalancers) == 0 && len(r.Targets) == 0 {
				continue
			}
			key, ok := s.taskKey(r.Task.TaskArn)
			if !ok {
				continue
			}
			if s.planTargets(r, now) {
				if err := tx.Put(bucketTasks, key, r); err != nil {
					return err
				}
				wrote = true
			}
			calls = append(calls, callsOf(key, r)...)
		}
		if !wrote {
			return errNothingWritten
		}
		return nil
	})
	if err != nil && !errors.Is(err, errNothingWritten) {
		return err
	}
	if len(calls) == 0 || s.lbs == nil {
		return nil
	}
	for i := range calls {
		s.call(ctx, &calls[i])
		if ctx.Err() != nil {
			return nil // what is not recorded is called again after the restart
		}
	}
	return s.recordTargets(ctx, calls)
}

// planTargets decides what a task's targets need, from the task alone: a target in each
// of its target groups while it runs, none once it is to stop. It reports whether it
// changed the record.
func (s *Service) planTargets(r *taskRecord, now time.Time) bool {
	changed := false
	if r.wanted() && r.Task.LastStatus == StatusRunning {
		var want []taskTarget
		for _, lb := range r.LoadBalancers {
			if port, ok := hostPortOf(r.Task, lb); ok {
				want = append(want, taskTarget{TargetGroupArn: lb.TargetGroupArn, ID: r.NodeID, Port: port, State: targetRegistering})
			}
		}
		for i := range r.Targets {
			t := &r.Targets[i]
			// A target the task no longer matches (its host port changed) goes.
			if !slices.ContainsFunc(want, t.same) && (t.State == targetRegistering || t.State == targetRegistered) {
				t.State, changed = targetDeregistering, true
			}
		}
		for _, t := range want {
			if !slices.ContainsFunc(r.Targets, t.same) {
				r.Targets, changed = append(r.Targets, t), true
			}
		}
		return changed
	}
	if r.wanted() {
		return false // not running yet
	}
	for i := range r.Targets {
		switch r.Targets[i].State {
		case targetRegistering, targetRegistered:
			r.Targets[i].State, changed = targetDeregistering, true
		}
	}
	return s.finishDraining(r, now) || changed
}

// finishDraining forgets the drained targets of a task that waits for them no longer
// (it stopped, or it drained for drainTimeout), and lets a DEACTIVATING task stop once
// none of its targets is left draining. It reports whether it changed the record.
func (s *Service) finishDraining(r *taskRecord, now time.Time) bool {
	if r.wanted() {
		return false
	}
	deactivating := r.Task.LastStatus == StatusDeactivating
	expired := deactivating && r.Task.StoppingAt != nil && !now.Before(r.Task.StoppingAt.Add(s.scaled(drainTimeout)))
	changed := false
	if !deactivating || expired {
		n := len(r.Targets)
		r.Targets = slices.DeleteFunc(r.Targets, func(t taskTarget) bool { return t.State == targetDrained })
		changed = len(r.Targets) != n
	}
	if expired {
		s.log.Warn("ecs: targets still draining after the timeout; stopping the task anyway", "task_arn", r.Task.TaskArn)
	}
	draining := slices.ContainsFunc(r.Targets, func(t taskTarget) bool {
		return t.State == targetDrained || t.State == targetDeregistering
	})
	if deactivating && (expired || !draining) {
		// The agent now sees desiredStatus STOPPED and stops the containers.
		r.Task.LastStatus = StatusStopping
		r.Task.Version++
		changed = true
	}
	return changed
}

// callsOf lists the calls a task's targets need.
func callsOf(key string, r *taskRecord) []targetCall {
	var out []targetCall
	for _, t := range r.Targets {
		c := targetCall{key: key, target: t}
		switch t.State {
		case targetRegistering:
			c.kind = callRegister
		case targetDeregistering:
			c.kind = callDeregister
		case targetRegistered, targetDrained:
			c.kind = callPoll
		default:
			continue
		}
		out = append(out, c)
	}
	return out
}

// call makes one call to the load balancers and keeps its result in c.
func (s *Service) call(ctx context.Context, c *targetCall) {
	ctx, cancel := context.WithTimeout(ctx, lbCallTimeout)
	defer cancel()
	t := c.target
	switch c.kind {
	case callRegister:
		c.err = s.lbs.RegisterTarget(ctx, t.TargetGroupArn, t.ID, t.Port)
	case callDeregister:
		c.err = s.lbs.DeregisterTarget(ctx, t.TargetGroupArn, t.ID, t.Port)
	case callPoll:
		c.state, c.reason, c.err = s.lbs.TargetState(ctx, t.TargetGroupArn, t.ID, t.Port)
	}
	if c.err != nil && ctx.Err() == nil {
		what := map[callKind]string{callRegister: "registering", callDeregister: "deregistering", callPoll: "polling"}[c.kind]
		s.log.Warn("ecs: "+what+" a target failed; retrying on the next pass", "target", shortTarget(t), "err", c.err)
	}
}

// recordTargets records the outcome of a pass's calls in one transaction, with the
// service events they make. An outcome applies only when the target is still in the
// state the call was made for: a decision taken meanwhile wins.
func (s *Service) recordTargets(ctx context.Context, calls []targetCall) error {
	byTask := map[string][]targetCall{}
	var keys []string
	for _, c := range calls {
		if c.err != nil {
			continue
		}
		if _, ok := byTask[c.key]; !ok {
			keys = append(keys, c.key)
		}
		byTask[c.key] = append(byTask[c.key], c)
	}
	if len(keys) == 0 {
		return nil
	}
	err := s.update(ctx, func(tx *store.Tx) error {
		now := s.now()
		wrote := false
		events := map[string]*targetEvents{}
		var services []string
		for _, key := range keys {
			var r taskRecord
			found, err := get(tx, bucketTasks, key, &r)
			if err != nil {
				return err
			}
			if !found {
				continue
			}
			cluster, _, _ := strings.Cut(key, "/")
			svcKey := childKey(cluster, r.Service)
			ev := events[svcKey]
			if ev == nil {
				ev = &targetEvents{registered: map[string]int{}, deregistered: map[string]int{}}
				events[svcKey] = ev
				services = append(services, svcKey)
			}
			changed := applyOutcomes(&r, byTask[key], ev)
			changed = s.finishDraining(&r, now) || changed
			if !changed {
				continue
			}
			if err := tx.Put(bucketTasks, key, r); err != nil {
				return err
			}
			wrote = true
		}
		for _, key := range services {
			_, name, _ := strings.Cut(key, "/")
			msgs := events[key].messages(name)
			if name == "" || len(msgs) == 0 {
				continue
			}
			var rec serviceRecord
			found, err := get(tx, bucketServices, key, &rec)
			if err != nil {
				return err
			}
			if !found {
				continue
			}
			for _, m := range msgs {
				addEvent(&rec.Service, now, m)
			}
			if err := tx.Put(bucketServices, key, rec); err != nil {
				return err
			}
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

// applyOutcomes applies the successful calls about one task to its record, counting
// the events they make; it reports whether the record changed.
func applyOutcomes(r *taskRecord, calls []targetCall, ev *targetEvents) bool {
	changed := false
	for _, c := range calls {
		i := slices.IndexFunc(r.Targets, c.target.same)
		if i < 0 || r.Targets[i].State != c.target.State {
			continue
		}
		t := &r.Targets[i]
		switch c.kind {
		case callRegister:
			t.State, t.Health, t.Reason = targetRegistered, targetInitial, ""
			ev.registered[t.TargetGroupArn]++
		case callDeregister:
			ev.deregistered[t.TargetGroupArn]++
			if r.Task.LastStatus != StatusDeactivating {
				// Nothing runs behind it any more (or the task keeps running on
				// another port): no need to wait for the draining.
				r.Targets = slices.Delete(r.Targets, i, i+1)
				changed = true
				continue
			}
			t.State, t.Health, t.Reason = targetDrained, targetDraining, ""
			if !r.DrainAnnounced {
				r.DrainAnnounced = true
				ev.draining++
			}
		case callPoll:
			switch {
			case t.State == targetDrained && c.state == targetUnused:
				r.Targets = slices.Delete(r.Targets, i, i+1)
			case t.State == targetRegistered && c.state == targetUnused && c.reason == reasonNotRegistered:
				// The target group lost it (deregistered by hand, say): register again.
				t.State, t.Health, t.Reason = targetRegistering, "", ""
			case t.Health != c.state || t.Reason != c.reason:
				t.Health, t.Reason = c.state, c.reason
			default:
				continue
			}
		}
		changed = true
	}
	return changed
}
