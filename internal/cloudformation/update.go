package cloudformation

import (
	"errors"
	"fmt"
	"sort"

	"github.com/wharf-dev/wharf/internal/store"
)

// changedProps lists the top-level properties whose values differ, sorted.
func changedProps(old, new map[string]any) []string {
	var out []string
	for k, v := range new {
		if ov, ok := old[k]; !ok || !sameJSON(ov, v) {
			out = append(out, k)
		}
	}
	for k := range old {
		if _, ok := new[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// needsReplacement decides whether changing props replaces a resource of type rt.
func needsReplacement(rt *ResourceType, changed []string, old, new map[string]any) bool {
	conditional := false
	for _, p := range changed {
		switch rt.recreation(p) {
		case "Always":
			return true
		case "Conditionally":
			conditional = true
		}
	}
	return conditional && rt.Replace != nil && rt.Replace(old, new)
}

// settled reports whether a resource status is a completed create or update.
func settled(status string) bool {
	return status == stCreateComplete || status == stUpdateComplete
}

// updateResource brings one resource of the template to its new properties: creates
// it when new, leaves it when unchanged, updates it in place or replaces it.
func (op *operation) updateResource(id string) error {
	res := op.tmpl.Resources[id]
	old := op.resource(id)
	if old == nil || !old.exists() {
		return op.createResource(id, true)
	}
	rt, _ := op.s.registry.Lookup(res.Type)
	props, err := op.evalProps(res)
	if err == nil {
		err = checkRequired(&rt, props)
	}
	if err != nil {
		if werr := op.setResource(id, func(r *resourceRecord) { r.Status, r.Reason = stUpdateFailed, reasonOf(err) }, nil); werr != nil {
			return werr
		}
		return err
	}
	meta := func(r *resourceRecord) {
		r.DependsOn = op.deps[id]
		r.DeletionPolicy, r.ReplacePolicy = res.DeletionPolicy, res.UpdateReplacePolicy
		r.Metadata = metadataString(res.Metadata)
	}
	typeChanged := old.Type != res.Type
	changed := changedProps(old.Props, props)
	if !typeChanged && len(changed) == 0 && settled(old.Status) && old.Metadata == metadataString(res.Metadata) {
		return op.quietly(id, meta)
	}
	prior := old.state()
	shown := op.eventProps(res, props)
	if typeChanged || needsReplacement(&rt, changed, old.Props, props) {
		if name := rt.NameProperty; !typeChanged && name != "" && props[name] != nil && sameJSON(old.Props[name], props[name]) {
			err := fmt.Errorf("CloudFormation cannot update a stack when a custom-named resource requires replacing. Rename %v and update the stack again.", props[name])
			if werr := op.setResource(id, func(r *resourceRecord) { r.Status, r.Reason = stUpdateFailed, err.Error() }, nil); werr != nil {
				return werr
			}
			return err
		}
		return op.replaceResource(id, &rt, props, shown, prior, meta)
	}
	if err := op.setResource(id, func(r *resourceRecord) {
		meta(r)
		if r.Prior == nil {
			r.Prior, r.Action = prior, "Modify"
		}
		r.Props, r.Status, r.Reason = props, stUpdateInProgress, ""
	}, shown); err != nil {
		return err
	}
	result, err := op.callUpdate(&rt, op.request(id, res.Type, props), &Prior{PhysicalID: old.PhysicalID, Properties: old.Props, Attributes: old.Attrs})
	if op.aborted() {
		return errAborted
	}
	if err != nil {
		if werr := op.setResource(id, func(r *resourceRecord) { r.Status, r.Reason = stUpdateFailed, reasonOf(err) }, shown); werr != nil {
			return werr
		}
		return err
	}
	return op.setResource(id, func(r *resourceRecord) {
		if result != nil && result.Attributes != nil {
			r.Attrs = result.Attributes
		}
		r.Status, r.Reason = stUpdateComplete, ""
	}, shown)
}

// quietly stores changes to a resource record that are not resource changes (its
// dependencies and policies), without an event.
func (op *operation) quietly(id string, fn func(r *resourceRecord)) error {
	if op.aborted() {
		return errAborted
	}
	op.mu.Lock()
	defer op.mu.Unlock()
	r := op.res[id]
	fn(r)
	snapshot := *r
	return op.s.update(func(tx *store.Tx) error {
		return tx.Put(bucketResources, resourceKey(op.stackID, id), &snapshot)
	})
}

// replaceResource creates the new physical resource of a replacement; the old one is
// deleted in the cleanup phase.
func (op *operation) replaceResource(id string, rt *ResourceType, props, shown map[string]any, prior *resourceState, meta func(*resourceRecord)) error {
	res := op.tmpl.Resources[id]
	if err := op.setResource(id, func(r *resourceRecord) {
		meta(r)
		if r.Prior == nil || r.Action == "Modify" {
			r.Prior = prior
		}
		r.Action = "Replace"
		r.Type, r.Props, r.Status, r.Reason = res.Type, props, stUpdateInProgress, "Requested update requires the creation of a new physical resource; hence creating one."
	}, shown); err != nil {
		return err
	}
	result, err := op.callCreate(rt, op.request(id, res.Type, props))
	if op.aborted() {
		return errAborted
	}
	if err != nil {
		if werr := op.setResource(id, func(r *resourceRecord) { r.Status, r.Reason = stUpdateFailed, reasonOf(err) }, shown); werr != nil {
			return werr
		}
		return err
	}
	return op.steps(id, shown, func(r *resourceRecord) {
		r.PhysicalID, r.Attrs, r.Status, r.Reason = result.PhysicalID, result.Attributes, stUpdateInProgress, "Resource creation Initiated"
	}, func(r *resourceRecord) { r.Status, r.Reason = stUpdateComplete, "" })
}

// runUpdate updates the stack's resources to the operation's template, then cleans
// up; on failure it rolls back (or stops in UPDATE_FAILED when rollback is disabled).
func (s *Service) runUpdate(op *operation, disableRollback bool) error {
	op.kind = "update"
	result := walk(op.active(), op.deps, s.parallel, false, op.stopped, op.updateResource)
	if op.aborted() {
		return errAborted
	}
	if op.deleting.Load() {
		return nil // a DeleteStack stopped the update; the delete follows
	}
	var reason string
	switch {
	case op.stopped():
		reason = op.reasonStopped()
	case len(result.failed) > 0:
		failed := failedList(result.failed)
		verb := "create"
		for _, id := range failed {
			if r := op.resource(id); r == nil || r.Action != "Add" {
				verb = "update"
			}
		}
		reason = "The following resource(s) failed to " + verb + ": " + listString(failed) + ". "
	default:
		outputs, err := op.outputs()
		imports, removed := op.importList(), op.removed()
		if err == nil {
			err = op.setStack(stUpdateCompleteCleanupInProgress, "", func(w *writer, st *stackRecord) error {
				if err := op.commitOutputs(w, st, outputs, imports); err != nil {
					return err
				}
				st.Cleanup = append(st.Cleanup, removed...)
				return nil
			})
			if err == nil {
				return s.runCleanup(op)
			}
			if errors.Is(err, errAborted) {
				return err
			}
		}
		reason = reasonOf(err)
	}
	if disableRollback {
		err := op.setStack(stUpdateFailed, reason, nil)
		s.changeSetDone(op, "EXECUTE_FAILED")
		return err
	}
	if err := op.setStack(stUpdateRollbackInProgress, reason, nil); err != nil {
		return err
	}
	return s.runUpdateRollback(op)
}

// removed lists, as cleanup items, the resources an update drops: those no longer in
// the template (or whose condition no longer holds), and the old physical resources
// of replacements.
func (op *operation) removed() []cleanupItem {
	active := map[string]bool{}
	for _, id := range op.active() {
		active[id] = true
	}
	op.mu.Lock()
	defer op.mu.Unlock()
	var out []cleanupItem
	ids := make([]string, 0, len(op.res))
	for id := range op.res {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		r := op.res[id]
		if !active[id] && r.Status != stDeleteComplete && r.Status != rsDeleteSkipped {
			out = append(out, cleanupItem{LogicalID: id, Type: r.Type, PhysicalID: r.PhysicalID, Props: r.Props, Attrs: r.Attrs,
				DependsOn: r.DependsOn, Retain: r.DeletionPolicy == "Retain" || r.DeletionPolicy == "RetainExceptOnCreate", Removed: true})
			continue
		}
		if r.Action == "Replace" && r.Prior != nil && r.Prior.PhysicalID != "" && r.Prior.PhysicalID != r.PhysicalID {
			out = append(out, replacedItem(id, r))
		}
	}
	return out
}

func replacedItem(id string, r *resourceRecord) cleanupItem {
	return cleanupItem{LogicalID: id, Type: r.Prior.Type, PhysicalID: r.Prior.PhysicalID, Props: r.Prior.Props, Attrs: r.Prior.Attrs,
		DependsOn: r.Prior.DependsOn, Retain: r.ReplacePolicy == "Retain"}
}

// runCleanup deletes what a successful update left behind (UPDATE_COMPLETE_CLEANUP_IN_PROGRESS)
// and completes the update. Failures to delete are reported as events but, as in
// CloudFormation, do not fail the update.
func (s *Service) runCleanup(op *operation) error {
	var items []cleanupItem
	if err := s.view(func(tx *store.Tx) error {
		st, err := getStack(tx, op.stackID)
		if err != nil {
			return err
		}
		items = st.Cleanup
		return nil
	}); err != nil {
		return err
	}
	if err := op.cleanItems(items); err != nil {
		return err
	}
	records := op.settled()
	err := op.setStack(stUpdateComplete, "", func(w *writer, st *stackRecord) error {
		st.Cleanup, st.Op = nil, nil
		return op.settle(w, records)
	})
	if err == nil {
		s.changeSetDone(op, "EXECUTE_COMPLETE")
	}
	return err
}

// settled returns the resource records with their update bookkeeping cleared, for
// the transaction that ends an update (settle writes them). It takes the operation's
// lock before any store transaction, as everything else does.
func (op *operation) settled() []resourceRecord {
	op.mu.Lock()
	defer op.mu.Unlock()
	var out []resourceRecord
	for _, r := range op.res {
		if r.Action == "" && r.Prior == nil {
			continue
		}
		r.Action, r.Prior = "", nil
		out = append(out, *r)
	}
	return out
}

// settle writes records from settled.
func (op *operation) settle(w *writer, records []resourceRecord) error {
	for i := range records {
		if err := w.tx.Put(bucketResources, resourceKey(op.stackID, records[i].LogicalID), &records[i]); err != nil {
			return err
		}
	}
	return nil
}

// cleanItems deletes cleanup items in reverse dependency order and records the events.
func (op *operation) cleanItems(items []cleanupItem) error {
	if len(items) == 0 {
		return nil
	}
	keys := make([]string, len(items))
	byLogical := map[string][]string{}
	for i, it := range items {
		keys[i] = it.LogicalID + "\x00" + it.PhysicalID
		byLogical[it.LogicalID] = append(byLogical[it.LogicalID], keys[i])
	}
	prereq := map[string][]string{}
	for i, it := range items {
		for _, d := range it.DependsOn {
			for _, k := range byLogical[d] {
				prereq[k] = append(prereq[k], keys[i]) // delete the dependent first
			}
		}
	}
	index := map[string]int{}
	for i, k := range keys {
		index[k] = i
	}
	var abort error
	walk(keys, prereq, op.s.parallel, true, nil, func(k string) error {
		err := op.cleanItem(items[index[k]])
		if errors.Is(err, errAborted) {
			abort = err
		}
		return err
	})
	if abort != nil || op.aborted() {
		return errAborted
	}
	return nil
}

// cleanItem deletes one cleanup item.
func (op *operation) cleanItem(it cleanupItem) error {
	event := func(status, reason string) error {
		if op.aborted() {
			return errAborted
		}
		var snapshot *resourceRecord
		drop := false
		if it.Removed {
			op.mu.Lock()
			if r := op.res[it.LogicalID]; r != nil {
				r.Status, r.Reason, r.Updated = status, reason, op.s.now()
				c := *r
				snapshot = &c
				if status == stDeleteComplete || status == rsDeleteSkipped {
					delete(op.res, it.LogicalID)
					drop = true
				}
			}
			op.mu.Unlock()
		}
		return op.s.write(func(w *writer) error {
			key := resourceKey(op.stackID, it.LogicalID)
			switch {
			case drop:
				if err := w.tx.Delete(bucketResources, key); err != nil {
					return err
				}
			case snapshot != nil:
				if err := w.tx.Put(bucketResources, key, snapshot); err != nil {
					return err
				}
			}
			return w.event(op.st, op.token, it.LogicalID, it.PhysicalID, it.Type, status, reason, nil)
		})
	}
	if it.Retain {
		return event(rsDeleteSkipped, "")
	}
	if it.PhysicalID == "" {
		return event(stDeleteComplete, "")
	}
	if err := event(stDeleteInProgress, ""); err != nil {
		return err
	}
	rt, _ := op.s.registry.Lookup(it.Type)
	err := op.callDelete(&rt, op.request(it.LogicalID, it.Type, it.Props), &Prior{PhysicalID: it.PhysicalID, Properties: it.Props, Attributes: it.Attrs})
	if op.aborted() {
		return errAborted
	}
	if err != nil {
		op.s.log.Warn("cloudformation: cleanup failed", "stack", op.st.Name, "logical_id", it.LogicalID, "physical_id", it.PhysicalID, "err", err)
		return event(stDeleteFailed, reasonOf(err))
	}
	return event(stDeleteComplete, "")
}

// runUpdateRollback returns the resources a failed update touched to their previous
// state, deletes what it added, and restores the stack's previous configuration.
func (s *Service) runUpdateRollback(op *operation) error {
	op.rollingBack = true
	op.restart()
	var prev *stackConfig
	var skip map[string]bool
	if err := s.view(func(tx *store.Tx) error {
		st, err := getStack(tx, op.stackID)
		if err != nil {
			return err
		}
		if st.Op != nil {
			prev = st.Op.Previous
			skip = map[string]bool{}
			for _, id := range st.Op.Skip {
				skip[id] = true
			}
		}
		return nil
	}); err != nil {
		return err
	}
	op.mu.Lock()
	var touched []string
	deps := map[string][]string{}
	for id, r := range op.res {
		if r.Action == "" || r.Action == "Restored" {
			continue // untouched, or restored by an earlier attempt
		}
		touched = append(touched, id)
		if r.Prior != nil {
			deps[id] = r.Prior.DependsOn
		}
	}
	op.mu.Unlock()
	sort.Strings(touched)
	var abort error
	result := walk(touched, deps, s.parallel, true, nil, func(id string) error {
		err := op.restore(id, skip[id])
		if errors.Is(err, errAborted) {
			abort = err
		}
		return err
	})
	if abort != nil || op.aborted() {
		return errAborted
	}
	if len(result.failed) > 0 || len(result.skipped) > 0 {
		failed := failedList(result.failed)
		err := op.setStack(stUpdateRollbackFailed, "The following resource(s) failed to update: "+listString(failed)+". ", nil)
		s.changeSetDone(op, "EXECUTE_FAILED")
		return err
	}
	var cleanup []cleanupItem
	if err := op.setStack(stUpdateRollbackCompleteCleanupInProgress, "", func(w *writer, st *stackRecord) error {
		if prev != nil {
			st.stackConfig = *prev
		}
		if st.Op != nil {
			cleanup = st.Op.RollbackCleanup
		}
		return nil
	}); err != nil {
		return err
	}
	return s.runRollbackCleanup(op, cleanup)
}

// runRollbackCleanup deletes what a rolled-back update made and completes the
// rollback.
func (s *Service) runRollbackCleanup(op *operation, items []cleanupItem) error {
	if err := op.cleanItems(items); err != nil {
		return err
	}
	records := op.settled()
	err := op.setStack(stUpdateRollbackComplete, "", func(w *writer, st *stackRecord) error {
		st.Op = nil
		return op.settle(w, records)
	})
	if err == nil {
		s.changeSetDone(op, "EXECUTE_FAILED")
	}
	return err
}

// restore returns one touched resource to its state before the update: an in-place
// update is undone by another update, a replacement by going back to the old physical
// resource, and an added resource is scheduled for deletion.
func (op *operation) restore(id string, skip bool) error {
	r := op.resource(id)
	if r == nil {
		return nil
	}
	addCleanup := func(it cleanupItem) error {
		return op.setStack("", "", func(_ *writer, st *stackRecord) error {
			if st.Op == nil {
				st.Op = &opState{Kind: "update"}
			}
			for _, c := range st.Op.RollbackCleanup {
				if c.LogicalID == it.LogicalID && c.PhysicalID == it.PhysicalID {
					return nil
				}
			}
			st.Op.RollbackCleanup = append(st.Op.RollbackCleanup, it)
			return nil
		})
	}
	switch {
	case r.Action == "Add":
		return addCleanup(cleanupItem{LogicalID: id, Type: r.Type, PhysicalID: r.PhysicalID, Props: r.Props, Attrs: r.Attrs,
			DependsOn: r.DependsOn, Removed: true, Retain: r.DeletionPolicy == "Retain"})
	case r.Prior == nil:
		return nil
	case r.Action == "Replace":
		if r.PhysicalID != r.Prior.PhysicalID && r.PhysicalID != "" {
			if err := addCleanup(cleanupItem{LogicalID: id, Type: r.Type, PhysicalID: r.PhysicalID, Props: r.Props, Attrs: r.Attrs}); err != nil {
				return err
			}
		}
		p := r.Prior
		return op.steps(id, op.eventProps(nil, p.Props), func(r *resourceRecord) {
			r.Type, r.PhysicalID, r.Props, r.Attrs, r.DependsOn = p.Type, p.PhysicalID, p.Props, p.Attrs, p.DependsOn
			r.Status, r.Reason = stUpdateInProgress, ""
		}, func(r *resourceRecord) { r.Status, r.Reason, r.Action = stUpdateComplete, "", "Restored" })
	}
	p := r.Prior
	shown := op.eventProps(nil, p.Props)
	if err := op.setResource(id, func(r *resourceRecord) {
		r.Status, r.Reason = stUpdateInProgress, ""
	}, shown); err != nil {
		return err
	}
	var attrs map[string]any
	if !skip {
		rt, _ := op.s.registry.Lookup(p.Type)
		result, err := op.callUpdate(&rt, op.request(id, p.Type, p.Props), &Prior{PhysicalID: r.PhysicalID, Properties: r.Props, Attributes: r.Attrs})
		if op.aborted() {
			return errAborted
		}
		if err != nil {
			if werr := op.setResource(id, func(r *resourceRecord) { r.Status, r.Reason = stUpdateFailed, reasonOf(err) }, shown); werr != nil {
				return werr
			}
			return err
		}
		if result != nil {
			attrs = result.Attributes
		}
	}
	return op.setResource(id, func(r *resourceRecord) {
		r.Props, r.DependsOn = p.Props, p.DependsOn
		r.Attrs = p.Attrs
		if attrs != nil {
			r.Attrs = attrs
		}
		r.Status, r.Reason = stUpdateComplete, ""
		r.Action = "Restored"
	}, shown)
}
