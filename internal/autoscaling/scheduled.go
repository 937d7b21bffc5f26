package autoscaling

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/store"
)

// maxScheduled is the quota of scheduled actions per scalable target.
const maxScheduled = 200

// loadLocation returns the time zone of a scheduled action (UTC when empty).
func loadLocation(tz string) (*time.Location, error) {
	if tz == "" {
		return time.UTC, nil
	}
	return time.LoadLocation(tz)
}

// PutScheduledAction creates or updates a scheduled action of a registered target:
// members left out of an update keep their values.
func (s *Service) PutScheduledAction(ctx context.Context, in *PutScheduledActionInput) (*EmptyOutput, error) {
	if err := checkActionName(in.ScheduledActionName); err != nil {
		return nil, err
	}
	k, err := parseTarget(in.ServiceNamespace, in.ResourceId, in.ScalableDimension)
	if err != nil {
		return nil, err
	}
	if in.Schedule != nil {
		if *in.Schedule == "" {
			return nil, errLength("schedule", "", 1, 1600)
		}
		if _, err := parseSchedule(*in.Schedule); err != nil {
			return nil, errValidation("The schedule %s is not valid: %s.", clip(*in.Schedule), err.Error())
		}
	}
	if tz := in.Timezone; tz != nil {
		if len(*tz) > 1600 {
			return nil, errLength("timezone", *tz, 1, 1600)
		}
		if _, err := loadLocation(*tz); err != nil || *tz == "" || strings.EqualFold(*tz, "local") {
			return nil, errValidation("The time zone %s is not a valid IANA time zone name (such as Europe/Paris or UTC).", clip(*tz))
		}
	}
	if sta := in.ScalableTargetAction; sta != nil {
		for _, c := range []struct {
			name string
			v    *int32
		}{{"scalableTargetAction.minCapacity", sta.MinCapacity}, {"scalableTargetAction.maxCapacity", sta.MaxCapacity}} {
			if c.v != nil && *c.v < 0 {
				return nil, errValidation("1 validation error detected: Value '%d' at '%s' failed to satisfy constraint: Member must have value greater than or equal to 0", *c.v, c.name)
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var target *targetRecord
	var old *scheduledRecord
	count := 0
	err = s.view(ctx, func(tx *store.Tx) error {
		var err error
		if target, err = getTarget(tx, k); err != nil || target == nil {
			return err
		}
		count = tx.Count(bucketScheduled, childPrefix(k))
		old, err = getAction(tx, k, in.ScheduledActionName)
		return err
	})
	if err != nil {
		return nil, err
	}
	if target == nil {
		return nil, errTargetNotFound(k)
	}
	now := s.now()
	a := old
	if a == nil {
		if count >= maxScheduled {
			return nil, errLimit("A scalable target can have at most %d scheduled actions.", maxScheduled)
		}
		a = &scheduledRecord{targetKey: k, Name: in.ScheduledActionName, ID: newUUID(), Created: now}
	}
	if in.Schedule != nil {
		a.Schedule = *in.Schedule
	}
	if in.Timezone != nil {
		a.Timezone = *in.Timezone
	}
	if in.StartTime != nil {
		a.Start = ptr(in.StartTime.UTC())
	}
	if in.EndTime != nil {
		a.End = ptr(in.EndTime.UTC())
	}
	if sta := in.ScalableTargetAction; sta != nil {
		if sta.MinCapacity != nil || sta.MaxCapacity != nil {
			a.Min, a.Max = sta.MinCapacity, sta.MaxCapacity
		}
	}
	if a.Schedule == "" {
		return nil, errNull("schedule")
	}
	if a.Min == nil && a.Max == nil {
		return nil, errValidation("At least one of minimum capacity and maximum capacity should be provided")
	}
	if a.Min != nil && a.Max != nil && *a.Min > *a.Max {
		return nil, errValidation("Minimum capacity cannot be greater than maximum capacity (MinCapacity %d, MaxCapacity %d).", *a.Min, *a.Max)
	}
	if a.Start != nil && a.End != nil && !a.End.After(*a.Start) {
		return nil, errValidation("EndTime must be later than StartTime.")
	}
	a.NextRun = s.nextRun(a, s.clock.Now())
	err = s.update(ctx, func(tx *store.Tx) error {
		if !tx.Has(bucketTargets, k.key()) {
			return errTargetNotFound(k)
		}
		return tx.Put(bucketScheduled, a.key(), a)
	})
	if err != nil {
		return nil, err
	}
	return &EmptyOutput{}, nil
}

// nextRun returns when a scheduled action fires next after after, within its start
// and end times; nil when it never does again.
func (s *Service) nextRun(a *scheduledRecord, after time.Time) *time.Time {
	sc, err := parseSchedule(a.Schedule)
	if err != nil {
		return nil
	}
	loc, err := loadLocation(a.Timezone)
	if err != nil {
		return nil
	}
	var start time.Time
	if a.Start != nil {
		start = *a.Start
	}
	if sc.kind == kindRate && start.IsZero() {
		start = a.Created
	}
	t, ok := sc.next(after, start, loc, s.scale)
	if !ok || a.End != nil && t.After(*a.End) {
		return nil
	}
	return ptr(t.UTC())
}

// DescribeScheduledActions lists the scheduled actions of a namespace, optionally
// only those of a resource, dimension and names, in pages.
func (s *Service) DescribeScheduledActions(ctx context.Context, in *DescribeScheduledActionsInput) (*DescribeScheduledActionsOutput, error) {
	if err := checkNamespace(in.ServiceNamespace); err != nil {
		return nil, err
	}
	if err := checkDimension(in.ScalableDimension); err != nil {
		return nil, err
	}
	limit, err := maxResults(in.MaxResults)
	if err != nil {
		return nil, err
	}
	after, err := parseToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	prefix := namespacePrefix(in.ServiceNamespace)
	if in.ResourceId != "" {
		prefix = resourcePrefix(in.ServiceNamespace, in.ResourceId)
	}
	out := &DescribeScheduledActionsOutput{ScheduledActions: []ScheduledAction{}}
	err = s.view(ctx, func(tx *store.Tx) error {
		return tx.Scan(bucketScheduled, prefix, func(key string, raw []byte) error {
			if key <= after {
				return nil
			}
			var a scheduledRecord
			if err := store.Decode(raw, &a); err != nil {
				return err
			}
			if in.ResourceId != "" && a.ResourceID != in.ResourceId || in.ScalableDimension != "" && a.Dimension != in.ScalableDimension ||
				len(in.ScheduledActionNames) > 0 && !slices.Contains(in.ScheduledActionNames, a.Name) {
				return nil
			}
			if len(out.ScheduledActions) == limit {
				out.NextToken = pageToken(after)
				return store.ErrStop
			}
			out.ScheduledActions = append(out.ScheduledActions, s.actionOutput(&a))
			after = key
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) actionOutput(a *scheduledRecord) ScheduledAction {
	out := ScheduledAction{CreationTime: ptr(a.Created), ResourceId: a.ResourceID, ScalableDimension: a.Dimension,
		ServiceNamespace: a.Namespace, Schedule: a.Schedule, ScheduledActionARN: s.actionARN(a), ScheduledActionName: a.Name,
		StartTime: a.Start, EndTime: a.End, ScalableTargetAction: &ScalableTargetAction{MinCapacity: a.Min, MaxCapacity: a.Max}}
	if a.Timezone != "" {
		out.Timezone = ptr(a.Timezone)
	}
	return out
}

// DeleteScheduledAction deletes a scheduled action.
func (s *Service) DeleteScheduledAction(ctx context.Context, in *DeleteScheduledActionInput) (*EmptyOutput, error) {
	if err := checkActionName(in.ScheduledActionName); err != nil {
		return nil, err
	}
	k, err := parseTarget(in.ServiceNamespace, in.ResourceId, in.ScalableDimension)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	err = s.update(ctx, func(tx *store.Tx) error {
		key := actionKey(k, in.ScheduledActionName)
		if !tx.Has(bucketScheduled, key) {
			return errObjectNotFound("No scheduled action found for service namespace: %s, resource ID: %s, scalable dimension: %s, scheduled action name: %s",
				k.Namespace, k.ResourceID, k.Dimension, in.ScheduledActionName)
		}
		return tx.Delete(bucketScheduled, key)
	})
	if err != nil {
		return nil, err
	}
	return &EmptyOutput{}, nil
}

// Run fires scheduled actions when they are due until ctx ends, checking every ten
// seconds (every second with a time scale), and once an hour drops scaling
// activities older than six weeks. It returns nil when ctx ends.
func (s *Service) Run(ctx context.Context) error {
	tick := 10 * time.Second
	if s.scale > 1 {
		tick = time.Second
	}
	lastPurge := s.clock.Now()
	for {
		now := s.clock.Now()
		wait := now.Truncate(tick).Add(tick).Sub(now)
		select {
		case <-ctx.Done():
			return nil
		case <-s.clock.After(wait):
		}
		now = s.clock.Now()
		s.runScheduled(ctx, now)
		if now.Sub(lastPurge) >= time.Hour {
			lastPurge = now
			if err := s.purgeActivities(ctx, now); err != nil && ctx.Err() == nil {
				s.log.Error("autoscaling: purge scaling activities", "err", err)
			}
		}
	}
}

// runScheduled fires the scheduled actions that are due at now.
func (s *Service) runScheduled(ctx context.Context, now time.Time) {
	var due []string
	err := s.view(ctx, func(tx *store.Tx) error {
		return tx.Scan(bucketScheduled, "", func(key string, raw []byte) error {
			var a scheduledRecord
			if err := store.Decode(raw, &a); err != nil {
				return err
			}
			if a.NextRun != nil && !a.NextRun.After(now) {
				due = append(due, key)
			}
			return nil
		})
	})
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("autoscaling: load scheduled actions", "err", err)
		}
		return
	}
	for _, key := range due {
		s.fire(ctx, key, now)
	}
}

// fire runs one scheduled action: it sets the target's minimum and maximum capacity
// and brings the desired count inside them, unless scheduled scaling is suspended.
func (s *Service) fire(ctx context.Context, key string, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var a scheduledRecord
	var t *targetRecord
	err := s.view(ctx, func(tx *store.Tx) error {
		if err := tx.Get(bucketScheduled, key, &a); err != nil {
			return err
		}
		var err error
		t, err = getTarget(tx, a.targetKey)
		return err
	})
	if err != nil || t == nil || a.NextRun == nil || a.NextRun.After(now) {
		return
	}
	if !t.SchedSusp {
		s.applyScheduled(ctx, &a, t, now)
	}
	a.LastRun, a.NextRun = ptr(now.UTC()), s.nextRun(&a, now)
	err = s.update(context.WithoutCancel(ctx), func(tx *store.Tx) error {
		var cur scheduledRecord
		if err := tx.Get(bucketScheduled, key, &cur); err != nil {
			return nil // deleted meanwhile
		}
		return tx.Put(bucketScheduled, key, &a)
	})
	if err != nil {
		s.log.Error("autoscaling: store scheduled action", "action", a.Name, "err", err)
	}
}

// applyScheduled sets a target's capacity bounds as a scheduled action says and
// records the activities, as AWS words them.
func (s *Service) applyScheduled(ctx context.Context, a *scheduledRecord, t *targetRecord, now time.Time) {
	var parts []string
	lo, hi := t.Min, t.Max
	if a.Min != nil {
		lo = *a.Min
		parts = append(parts, "min capacity to "+itoa(lo))
	}
	if a.Max != nil {
		hi = *a.Max
		parts = append(parts, "max capacity to "+itoa(hi))
	}
	what := strings.Join(parts, " and ")
	act := newActivity(t.targetKey, now.UTC().Truncate(time.Millisecond), "Setting "+what, "scheduled action name "+a.Name+" was triggered")
	if lo > hi {
		act.StatusCode = StatusFailed
		act.StatusMessage = ptr("Failed to set " + what + ": the minimum capacity (" + itoa(lo) + ") would be greater than the maximum capacity (" + itoa(hi) + ")")
		s.record(ctx, act, nil)
		return
	}
	t.Min, t.Max = lo, hi
	err := s.update(context.WithoutCancel(ctx), func(tx *store.Tx) error {
		if !tx.Has(bucketTargets, t.key()) {
			return errTargetNotFound(t.targetKey)
		}
		return tx.Put(bucketTargets, t.key(), t)
	})
	act.EndTime = ptr(s.now())
	if err != nil {
		act.StatusCode = StatusFailed
		act.StatusMessage = ptr("Failed to set " + what + ": " + errMessage(err))
		s.record(ctx, act, nil)
		return
	}
	act.StatusCode = StatusSuccessful
	act.StatusMessage = ptr("Successfully set " + what)
	s.record(ctx, act, nil)
	s.log.Info("autoscaling: scheduled action", "action", a.Name, "resource_id", t.ResourceID, "min", lo, "max", hi)
	s.enforceBounds(ctx, t)
}
