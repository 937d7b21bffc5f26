package elbv2

import (
	"context"
	"maps"
	"reflect"
	"slices"
	"time"

	"github.com/wharf-dev/wharf/internal/store"
)

// pollInterval is how often Run asks the data plane which draining targets are done,
// and retries listeners that could not bind.
const pollInterval = time.Second

// Run keeps the data plane serving the stored configuration until ctx ends: it applies
// the snapshot at start and after every change, and forgets draining targets once the
// data plane reports them drained or their deregistration delay has passed. Every step
// is level-triggered and idempotent: after a crash, the first pass converges again.
func (s *Service) Run(ctx context.Context) error {
	changed, stop := s.db.Watch()
	defer stop()
	for {
		s.forgetDrained(ctx)
		s.sync()
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		case <-s.clock.After(pollInterval):
		}
	}
}

// sync applies the stored configuration to the data plane when it differs from what
// was last applied, or when a listener could not bind last time (it may bind now).
func (s *Service) sync() {
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	s.syncLocked()
}

// syncLocked is sync with applyMu held.
func (s *Service) syncLocked() {
	if s.dp == nil {
		return
	}
	var snap Snapshot
	err := s.db.View(func(tx *store.Tx) error {
		var err error
		snap, err = s.snapshot(tx)
		return err
	})
	if err != nil {
		s.log.Error("elbv2: read the configuration for the data plane", "err", err)
		return
	}
	if s.applied != nil && len(s.applyErrs) == 0 && reflect.DeepEqual(*s.applied, snap) {
		return
	}
	errs := s.dp.Apply(snap)
	for _, arn := range slices.Sorted(maps.Keys(errs)) {
		if old := s.applyErrs[arn]; old == nil || old.Error() != errs[arn].Error() {
			s.log.Warn("elbv2: listener cannot serve", "listener_arn", arn, "err", errs[arn])
		}
	}
	s.applied, s.applyErrs = &snap, errs
}

// forgetDrained deletes the draining targets that are done: those the data plane reports
// drained, those whose deregistration delay has passed, and those of target groups no
// listener forwards to any more.
func (s *Service) forgetDrained(ctx context.Context) {
	var obs map[string][]TargetObservation
	if s.dp != nil {
		obs = s.dp.Observe()
	}
	now := s.now()
	var done []string
	find := func(tx *store.Tx) error {
		done = done[:0]
		use, err := s.usage(tx)
		if err != nil {
			return err
		}
		tgs, err := store.List[tgRecord](tx, bucketTGs, "")
		if err != nil {
			return err
		}
		for i := range tgs {
			tg := &tgs[i]
			targets, err := targetsOf(tx, tg.TG.TargetGroupName)
			if err != nil {
				return err
			}
			delay := seconds(tgAttributes(tg), attrDeregistrationDelay)
			for _, t := range targets {
				if t.DeregisteredAt == nil {
					continue
				}
				drained := slices.ContainsFunc(obs[tg.TG.TargetGroupArn], func(o TargetObservation) bool {
					return o.ID == t.ID && int32(o.Port) == t.Port && o.Drained
				})
				if drained || len(use[tg.TG.TargetGroupArn]) == 0 || !now.Before(t.DeregisteredAt.Add(delay)) {
					done = append(done, targetKey(tg.TG.TargetGroupName, t.ID, t.Port))
				}
			}
		}
		return nil
	}
	if err := s.view(ctx, find); err != nil || len(done) == 0 {
		if err != nil && ctx.Err() == nil {
			s.log.Error("elbv2: find drained targets", "err", err)
		}
		return
	}
	err := s.update(ctx, func(tx *store.Tx) error {
		if err := find(tx); err != nil {
			return err
		}
		for _, key := range done {
			if err := tx.Delete(bucketTargets, key); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("elbv2: forget drained targets", "err", err)
		}
		return
	}
	for _, key := range done {
		s.log.Info("elbv2: target drained and deregistered", "target", key)
	}
}
