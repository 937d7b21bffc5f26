package cloudformation

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/wharf-dev/wharf/internal/store"
)

// runState is a stack's running operation.
type runState struct {
	op   *operation
	done chan struct{}
	// deleteAfter is set by a DeleteStack that arrived while the operation ran: the
	// operation was stopped, and the stack is deleted when it ends.
	deleteAfter bool
	retain      []string
	token       string
	caller      context.Context // the DeleteStack's
}

// launch runs fn as the stack's operation in a new goroutine.
func (s *Service) launch(op *operation, fn func() error) {
	rs := s.register(op)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.finish(op, rs, fn())
	}()
}

// runSync runs fn as the stack's operation in the calling goroutine (nested stacks).
func (s *Service) runSync(op *operation, fn func() error) error {
	rs := s.register(op)
	err := fn()
	s.finish(op, rs, err)
	return err
}

func (s *Service) register(op *operation) *runState {
	rs := &runState{op: op, done: make(chan struct{})}
	s.mu.Lock()
	s.running[op.stackID] = rs
	s.mu.Unlock()
	return rs
}

func (s *Service) finish(op *operation, rs *runState, err error) {
	if err != nil && !errors.Is(err, errAborted) {
		s.log.Error("cloudformation: stack operation", "stack", op.st.Name, "stack_id", op.stackID, "err", err)
	}
	s.mu.Lock()
	then := rs.deleteAfter && op.ctx.Err() == nil
	if !then && s.running[op.stackID] == rs {
		delete(s.running, op.stackID)
	}
	s.mu.Unlock()
	if then {
		// The delete registers its own operation in place of this one, so that the
		// stack is never seen idle in between.
		if derr := s.startDelete(rs.caller, op.stackID, rs.retain, rs.token); derr != nil {
			s.log.Error("cloudformation: delete after cancel", "stack_id", op.stackID, "err", derr)
		}
		s.mu.Lock()
		if s.running[op.stackID] == rs {
			delete(s.running, op.stackID)
		}
		s.mu.Unlock()
	}
	close(rs.done)
}

// runningOp returns the stack's running operation, if any.
func (s *Service) runningOp(stackID string) *runState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running[stackID]
}

// runCreate creates the stack's resources and, on failure, rolls back (ROLLBACK),
// rolls back and deletes the stack (DELETE), or stops (DO_NOTHING).
func (s *Service) runCreate(op *operation, onFailure string, timeout int32) error {
	op.kind = "create"
	stopTimer := op.startTimer(timeout, "Stack creation time exceeded the specified timeout")
	result := walk(op.active(), op.deps, s.parallel, false, op.stopped, func(id string) error {
		return op.createResource(id, false)
	})
	stopTimer()
	if op.aborted() {
		return errAborted
	}
	if op.deleting.Load() {
		return nil // a DeleteStack stopped the create; the delete follows
	}
	var reason string
	switch {
	case op.stopped():
		reason = op.reasonStopped() + ". "
	case len(result.failed) > 0:
		reason = "The following resource(s) failed to create: " + listString(failedList(result.failed)) + ". "
	case len(result.skipped) > 0:
		reason = "The following resource(s) could not be created: " + listString(result.skipped) + ". "
	default:
		outputs, err := op.outputs()
		imports := op.importList()
		if err == nil {
			err = op.setStack(stCreateComplete, "", func(w *writer, st *stackRecord) error {
				st.Op = nil
				return op.commitOutputs(w, st, outputs, imports)
			})
			if err == nil || errors.Is(err, errAborted) {
				if err == nil {
					s.changeSetDone(op, "EXECUTE_COMPLETE")
				}
				return err
			}
		}
		reason = reasonOf(err) + ". "
	}
	switch onFailure {
	case "DO_NOTHING":
		err := op.setStack(stCreateFailed, reason, nil)
		s.changeSetDone(op, "EXECUTE_FAILED")
		return err
	case "DELETE":
		if err := s.rollbackCreate(op, reason+"Delete requested by user."); err != nil {
			return err
		}
		return s.runDelete(op, nil)
	default:
		return s.rollbackCreate(op, reason+"Rollback requested by user.")
	}
}

// rollbackCreate deletes what a failed create made, in reverse dependency order.
func (s *Service) rollbackCreate(op *operation, reason string) error {
	op.rollingBack = true
	op.restart()
	if err := op.setStack(stRollbackInProgress, reason, nil); err != nil {
		return err
	}
	failed, err := op.deleteAll(op.existing(), nil)
	if err != nil {
		return err
	}
	s.changeSetDone(op, "EXECUTE_FAILED")
	if len(failed) > 0 {
		return op.setStack(stRollbackFailed, "The following resource(s) failed to delete: "+listString(failed)+". ", nil)
	}
	return op.setStack(stRollbackComplete, "", nil)
}

// runDelete deletes the stack's resources in reverse dependency order, retaining
// those of retain, then the stack.
func (s *Service) runDelete(op *operation, retain map[string]bool) error {
	op.kind = "delete"
	if op.st.Status != stDeleteInProgress {
		if err := op.setStack(stDeleteInProgress, "User Initiated", func(_ *writer, st *stackRecord) error {
			st.Op = &opState{Kind: "delete", Token: op.token, Principal: callerOf(op.ctx)}
			return nil
		}); err != nil {
			return err
		}
		op.st.Status = stDeleteInProgress
	}
	if users := s.exportUsers(op.stackID); len(users) > 0 {
		return op.setStack(stDeleteFailed, users[0], nil)
	}
	failed, err := op.deleteAll(op.existing(), retain)
	if err != nil {
		return err
	}
	if len(failed) > 0 {
		return op.setStack(stDeleteFailed, "The following resource(s) failed to delete: "+listString(failed)+". ", nil)
	}
	return op.setStack(stDeleteComplete, "", func(w *writer, st *stackRecord) error {
		st.Deleted = s.now()
		st.Op, st.Cleanup = nil, nil
		return forget(w.tx, st)
	})
}

// forget ends a deleted stack in tx: its name is free again, its exports are gone,
// its change sets deleted.
func forget(tx *store.Tx, st *stackRecord) error {
	var id string
	if err := tx.Get(bucketNames, st.Name, &id); err == nil && id == st.ID {
		if err := tx.Delete(bucketNames, st.Name); err != nil {
			return err
		}
	}
	for _, o := range st.Outputs {
		if o.ExportName == "" {
			continue
		}
		var ex exportRecord
		if err := tx.Get(bucketExports, o.ExportName, &ex); err == nil && ex.StackID == st.ID {
			if err := tx.Delete(bucketExports, o.ExportName); err != nil {
				return err
			}
		}
	}
	sets, err := store.List[changeSetRecord](tx, bucketChangeSets, "")
	if err != nil {
		return err
	}
	for _, cs := range sets {
		if cs.StackID == st.ID {
			if err := tx.Delete(bucketChangeSets, cs.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// exportUsers returns, for each export of the stack that another live stack imports,
// the reason a deletion fails.
func (s *Service) exportUsers(stackID string) []string {
	var out []string
	_ = s.view(func(tx *store.Tx) error {
		st, err := getStack(tx, stackID)
		if err != nil {
			return nil
		}
		for _, o := range st.Outputs {
			if o.ExportName == "" {
				continue
			}
			if users := importers(tx, o.ExportName, stackID); len(users) > 0 {
				out = append(out, fmt.Sprintf("Export %s cannot be deleted as it is in use by %s", o.ExportName, strings.Join(users, ", ")))
			}
		}
		return nil
	})
	return out
}

// importers lists the names of the live stacks (other than except) importing export.
func importers(tx *store.Tx, export, except string) []string {
	var out []string
	_ = tx.Scan(bucketStacks, "", func(_ string, raw []byte) error {
		var st stackRecord
		if store.Decode(raw, &st) != nil || st.ID == except || st.Status == stDeleteComplete {
			return nil
		}
		imports := st.Imports
		if st.Op != nil && st.Op.Previous != nil {
			imports = append(append([]string{}, imports...), st.Op.Previous.Imports...)
		}
		for _, name := range imports {
			if name == export {
				out = append(out, st.Name)
				break
			}
		}
		return nil
	})
	sort.Strings(out)
	return out
}

// outputs evaluates the template's outputs.
func (op *operation) outputs() ([]outputRecord, error) {
	var out []outputRecord
	env := op.env()
	for _, key := range op.tmpl.OutputOrder {
		o := op.tmpl.Outputs[key]
		if o.Condition != "" && !op.conds[o.Condition] {
			continue
		}
		v, err := op.tmpl.Eval(o.Value, env, op.conds)
		if err != nil {
			return nil, err
		}
		rec := outputRecord{Key: key, Value: stringify(v), Description: o.Description}
		if !o.ExportName.IsZero() {
			name, err := op.tmpl.Eval(o.ExportName, env, op.conds)
			if err != nil {
				return nil, err
			}
			rec.ExportName = stringify(name)
			if rec.ExportName == "" {
				return nil, fmt.Errorf("Template error: the Export Name of output %s must not be empty", key)
			}
		}
		out = append(out, rec)
	}
	return out, nil
}

// stringify renders an evaluated value as a stack output string.
func stringify(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case []string:
		return strings.Join(x, ",")
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = stringify(e)
		}
		return strings.Join(parts, ",")
	}
	if raw, err := normalize(v); err == nil {
		if s, ok := raw.(string); ok {
			return s
		}
	}
	return fmt.Sprint(v)
}

// commitOutputs records a stack's new outputs and imports and its exports, checking
// that no export name is taken by another stack and that no export another stack
// imports is removed or changed.
func (op *operation) commitOutputs(w *writer, st *stackRecord, outputs []outputRecord, imports []string) error {
	next := map[string]string{}
	for _, o := range outputs {
		if o.ExportName == "" {
			continue
		}
		if _, dup := next[o.ExportName]; dup {
			return errValidation("Template error: duplicate Export name %s", o.ExportName)
		}
		next[o.ExportName] = o.Value
		var ex exportRecord
		if err := w.tx.Get(bucketExports, o.ExportName, &ex); err == nil && ex.StackID != st.ID {
			owner := ex.StackID
			if other, err := getStack(w.tx, ex.StackID); err == nil {
				owner = other.Name
			}
			return errValidation("Export with name %s is already exported by stack %s", o.ExportName, owner)
		}
	}
	for _, o := range st.Outputs {
		if o.ExportName == "" {
			continue
		}
		v, kept := next[o.ExportName]
		if kept && v == o.Value {
			continue
		}
		if users := importers(w.tx, o.ExportName, st.ID); len(users) > 0 {
			if kept {
				return errValidation("Cannot update export %s as it is in use by %s", o.ExportName, strings.Join(users, ", "))
			}
			return errValidation("Cannot delete export %s as it is in use by %s", o.ExportName, strings.Join(users, ", "))
		}
		if !kept {
			if err := w.tx.Delete(bucketExports, o.ExportName); err != nil {
				return err
			}
		}
	}
	for name, value := range next {
		if err := w.tx.Put(bucketExports, name, &exportRecord{Name: name, Value: value, StackID: st.ID}); err != nil {
			return err
		}
	}
	st.Outputs = outputs
	st.Imports = imports
	return nil
}

// importList lists the exports the operation's template imported, sorted.
func (op *operation) importList() []string {
	op.mu.Lock()
	defer op.mu.Unlock()
	out := make([]string, 0, len(op.imports))
	for name := range op.imports {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}
