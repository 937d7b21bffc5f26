package cloudformation

import (
	"context"
	"time"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/store"
)

// interruptedReason is the status reason of what a restart interrupted.
const interruptedReason = "The stack operation was interrupted by a restart of Wharf"

// failedStatus maps an interrupted stack status to the status Recover gives it.
var failedStatus = map[string]string{
	stCreateInProgress:         stCreateFailed,
	stRollbackInProgress:       stRollbackFailed,
	stDeleteInProgress:         stDeleteFailed,
	stUpdateInProgress:         stUpdateFailed,
	stUpdateRollbackInProgress: stUpdateRollbackFailed,
}

// Recover fails the stack operations a crash or stop left in progress (with a reason
// saying so) and resumes their interrupted cleanups. Run calls it; it is safe to call
// again, and leaves alone the stacks whose operations are running.
func (s *Service) Recover(ctx context.Context) error {
	var stacks []*stackRecord
	if err := s.view(func(tx *store.Tx) error {
		all, err := allStacks(tx)
		if err != nil {
			return err
		}
		for _, st := range all {
			if inProgress(st.Status) && s.runningOp(st.ID) == nil {
				stacks = append(stacks, st)
			}
		}
		return nil
	}); err != nil {
		return err
	}
	// Oldest first, so that a nested stack is failed before its parent.
	for i := len(stacks) - 1; i >= 0; i-- {
		if err := ctx.Err(); err != nil {
			return err
		}
		st := stacks[i]
		switch st.Status {
		case stUpdateCompleteCleanupInProgress, stUpdateRollbackCompleteCleanupInProgress:
			s.resumeCleanup(st)
		default:
			if err := s.failInterrupted(st); err != nil {
				return err
			}
		}
	}
	return nil
}

// failInterrupted moves an interrupted stack, its resources in progress and the
// change set it was executing to their failed states.
func (s *Service) failInterrupted(st *stackRecord) error {
	status, ok := failedStatus[st.Status]
	if !ok {
		return nil
	}
	s.log.Warn("cloudformation: failing an interrupted stack operation", "stack", st.Name, "stack_id", st.ID, "status", st.Status)
	return s.write(func(w *writer) error {
		cur, err := getStack(w.tx, st.ID)
		if err != nil {
			return err
		}
		token := ""
		if cur.Op != nil {
			token = cur.Op.Token
		}
		list, err := resources(w.tx, cur.ID)
		if err != nil {
			return err
		}
		for _, r := range list {
			var to string
			switch r.Status {
			case stCreateInProgress:
				to = stCreateFailed
			case stUpdateInProgress:
				to = stUpdateFailed
			case stDeleteInProgress:
				to = stDeleteFailed
			default:
				continue
			}
			r.Status, r.Reason, r.Updated = to, interruptedReason, s.now()
			if err := w.tx.Put(bucketResources, resourceKey(cur.ID, r.LogicalID), r); err != nil {
				return err
			}
			if err := w.event(cur, token, r.LogicalID, r.PhysicalID, r.Type, to, interruptedReason, nil); err != nil {
				return err
			}
		}
		if cur.ChangeSetID != "" {
			var cs changeSetRecord
			if err := w.tx.Get(bucketChangeSets, cur.ChangeSetID, &cs); err == nil && cs.ExecutionStatus == "EXECUTE_IN_PROGRESS" {
				cs.ExecutionStatus = "EXECUTE_FAILED"
				if err := w.tx.Put(bucketChangeSets, cs.ID, &cs); err != nil {
					return err
				}
			}
		}
		cur.Status, cur.Reason = status, interruptedReason
		if err := w.tx.Put(bucketStacks, cur.ID, cur); err != nil {
			return err
		}
		return w.event(cur, token, "", "", "", status, interruptedReason, nil)
	})
}

// resumeCleanup runs again the cleanup phase an interruption cut short.
func (s *Service) resumeCleanup(st *stackRecord) {
	token := ""
	if st.Op != nil {
		token = st.Op.Token
	}
	ctx := s.base
	if st.Op != nil && st.Op.Principal != nil {
		ctx = awsapi.WithPrincipal(ctx, *st.Op.Principal)
	}
	op, err := s.newOperation(ctx, st, &st.stackConfig, token)
	if err != nil {
		op, err = s.newOperation(ctx, st, nil, token)
		if err != nil {
			s.log.Error("cloudformation: resume cleanup", "stack", st.Name, "err", err)
			return
		}
	}
	op.changeSet = st.ChangeSetID
	s.log.Info("cloudformation: resuming an interrupted cleanup", "stack", st.Name, "stack_id", st.ID, "status", st.Status)
	s.launch(op, func() error {
		if err := op.load(); err != nil {
			return err
		}
		if st.Status == stUpdateCompleteCleanupInProgress {
			op.kind = "update"
			return s.runCleanup(op)
		}
		op.kind, op.rollingBack = "update", true
		var items []cleanupItem
		if st.Op != nil {
			items = st.Op.RollbackCleanup
		}
		return s.runRollbackCleanup(op, items)
	})
}

// deletedRetention is how long ListStacks and DescribeStacks by id show deleted stacks.
const deletedRetention = 90 * 24 * time.Hour

// purgeDeleted forgets the stacks deleted more than 90 days ago: their records,
// resources and events.
func (s *Service) purgeDeleted() {
	cutoff := s.now().Add(-deletedRetention)
	var old []string
	_ = s.view(func(tx *store.Tx) error {
		return tx.Scan(bucketStacks, "", func(key string, raw []byte) error {
			var st stackRecord
			if store.Decode(raw, &st) == nil && st.Status == stDeleteComplete && !st.Deleted.IsZero() && st.Deleted.Before(cutoff) {
				old = append(old, key)
			}
			return nil
		})
	})
	for _, id := range old {
		err := s.update(func(tx *store.Tx) error {
			for _, bucket := range []string{bucketResources, bucketEvents} {
				var keys []string
				if err := tx.Scan(bucket, id+"\x00", func(k string, _ []byte) error {
					keys = append(keys, k)
					return nil
				}); err != nil {
					return err
				}
				for _, k := range keys {
					if err := tx.Delete(bucket, k); err != nil {
						return err
					}
				}
			}
			return tx.Delete(bucketStacks, id)
		})
		if err != nil {
			s.log.Error("cloudformation: purge a deleted stack", "stack_id", id, "err", err)
		}
	}
}
