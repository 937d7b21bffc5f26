package cloudformation

import (
	"context"
	"errors"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/wharf-dev/wharf/internal/store"
)

var stackNamePattern = regexp.MustCompile(`^[a-zA-Z][-a-zA-Z0-9]*$`)

// checkStackName validates a new stack's name.
func checkStackName(name string) error {
	if name == "" {
		return errValidation("1 validation error detected: Value null at 'stackName' failed to satisfy constraint: Member must not be null")
	}
	if len(name) > 128 || !stackNamePattern.MatchString(name) {
		return errValidation("1 validation error detected: Value '%s' at 'stackName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*", name)
	}
	return nil
}

// stackARN returns a new stack's ARN.
func (s *Service) stackARN(name string) string {
	return "arn:aws:cloudformation:" + s.region + ":" + s.account + ":stack/" + name + "/" + newUUID()
}

// findStack returns the stack a name or stack id names: by name only a live stack, by
// id also a deleted one when deleted is set.
func findStack(tx *store.Tx, nameOrID string, deleted bool) (*stackRecord, error) {
	id := nameOrID
	if !strings.HasPrefix(nameOrID, "arn:") {
		if err := tx.Get(bucketNames, nameOrID, &id); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil, errStackNotFound(nameOrID)
			}
			return nil, err
		}
	}
	st, err := getStack(tx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errStackNotFound(nameOrID)
	}
	if err != nil {
		return nil, err
	}
	if st.Status == stDeleteComplete && !deleted {
		return nil, errStackNotFound(nameOrID)
	}
	return st, nil
}

// usedToken reports whether a client request token was used on the stack, and by
// which operation.
func (st *stackRecord) usedToken(token string) (string, bool) {
	for _, t := range st.Tokens {
		op, tok, _ := strings.Cut(t, ":")
		if tok == token {
			return op, true
		}
	}
	return "", false
}

func (st *stackRecord) addToken(op, token string) {
	if token == "" {
		return
	}
	st.Tokens = append(st.Tokens, op+":"+token)
	if len(st.Tokens) > 50 {
		st.Tokens = st.Tokens[len(st.Tokens)-50:]
	}
}

// checkToken validates a ClientRequestToken.
func checkToken(token string) error {
	if len(token) > 128 {
		return errValidation("1 validation error detected: Value '%s' at 'clientRequestToken' failed to satisfy constraint: Member must have length less than or equal to 128", token)
	}
	return nil
}

// CreateStack creates a stack and starts creating its resources.
func (s *Service) CreateStack(ctx context.Context, in *CreateStackInput) (*CreateStackOutput, error) {
	name := deref(in.StackName)
	if err := checkStackName(name); err != nil {
		return nil, err
	}
	token := deref(in.ClientRequestToken)
	if err := checkToken(token); err != nil {
		return nil, err
	}
	onFailure := deref(in.OnFailure)
	switch onFailure {
	case "", "ROLLBACK", "DELETE", "DO_NOTHING":
	default:
		return nil, errValidation("1 validation error detected: Value '%s' at 'onFailure' failed to satisfy constraint: Member must satisfy enum value set: [DO_NOTHING, ROLLBACK, DELETE]", onFailure)
	}
	if onFailure != "" && in.DisableRollback != nil {
		return nil, errValidation("You may only specify one of DisableRollback or OnFailure.")
	}
	if deref(in.DisableRollback) {
		onFailure = "DO_NOTHING"
	}
	if onFailure == "" {
		onFailure = "ROLLBACK"
	}
	if t := deref(in.TimeoutInMinutes); in.TimeoutInMinutes != nil && t < 1 {
		return nil, errValidation("1 validation error detected: Value '%d' at 'timeoutInMinutes' failed to satisfy constraint: Member must have value greater than or equal to 1", t)
	}
	// A retried request: the stack it made, when the token matches.
	var existing string
	if err := s.view(func(tx *store.Tx) error {
		st, err := findStack(tx, name, false)
		if err == nil && token != "" {
			if op, ok := st.usedToken(token); ok && op == "CreateStack" {
				existing = st.ID
			}
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if existing != "" {
		return &CreateStackOutput{StackId: ptr(existing)}, nil
	}
	body, path, err := s.loadTemplate(ctx, in.TemplateBody, in.TemplateURL)
	if err != nil {
		return nil, err
	}
	tags, err := tagRecords(in.Tags)
	if err != nil {
		return nil, err
	}
	prep, err := s.prepare(ctx, body, path, in.Parameters, nil, in.Capabilities, tags)
	if err != nil {
		return nil, err
	}
	st, err := s.createStackRecord(name, prep, token, "CreateStack", func(st *stackRecord) {
		st.DisableRollback = onFailure == "DO_NOTHING"
		st.Timeout = deref(in.TimeoutInMinutes)
		st.Protected = deref(in.EnableTerminationProtection)
		st.Op = &opState{Kind: "create", Token: token, OnFailure: onFailure, Principal: callerOf(ctx)}
	})
	if err != nil {
		return nil, err
	}
	if err := s.startCreate(ctx, st, &prep.cfg, token, onFailure, st.Timeout, ""); err != nil {
		return nil, err
	}
	return &CreateStackOutput{StackId: ptr(st.ID)}, nil
}

// createStackRecord stores a new stack in CREATE_IN_PROGRESS with its "User
// Initiated" event; the name must be free (a REVIEW_IN_PROGRESS stack of that name
// makes it AlreadyExists too).
func (s *Service) createStackRecord(name string, prep *prepared, token, opName string, fn func(st *stackRecord)) (*stackRecord, error) {
	var st *stackRecord
	err := s.write(func(w *writer) error {
		if w.tx.Has(bucketNames, name) {
			return errAlreadyExists("Stack [%s] already exists", name)
		}
		if n := w.tx.Count(bucketNames, ""); n >= maxStacks {
			return errLimit("Limit on the number of stacks has been exceeded: %d", maxStacks)
		}
		now := s.now()
		st = &stackRecord{ID: s.stackARN(name), Name: name, Status: stCreateInProgress, Reason: "User Initiated", Created: now, stackConfig: prep.cfg}
		st.addToken(opName, token)
		fn(st)
		if err := w.tx.Put(bucketNames, name, st.ID); err != nil {
			return err
		}
		if err := w.tx.Put(bucketStacks, st.ID, st); err != nil {
			return err
		}
		return w.event(st, token, "", "", "", stCreateInProgress, "User Initiated", nil)
	})
	return st, err
}

// startCreate starts the create operation of a stack stored in CREATE_IN_PROGRESS.
func (s *Service) startCreate(caller context.Context, st *stackRecord, cfg *stackConfig, token, onFailure string, timeout int32, changeSet string) error {
	op, err := s.newOperation(s.opContext(caller), st, cfg, token)
	if err != nil {
		return err
	}
	op.changeSet = changeSet
	s.launch(op, func() error { return s.runCreate(op, onFailure, timeout) })
	return nil
}

// updatable reports whether a stack in status can be updated.
func updatable(status string) bool {
	switch status {
	case stCreateComplete, stUpdateComplete, stUpdateRollbackComplete, stUpdateFailed, "IMPORT_COMPLETE", "IMPORT_ROLLBACK_COMPLETE":
		return true
	}
	return false
}

func errNotUpdatable(st *stackRecord) error {
	return errValidation("Stack:%s is in %s state and can not be updated.", st.ID, st.Status)
}

// UpdateStack updates a stack to a new template or new parameters.
func (s *Service) UpdateStack(ctx context.Context, in *UpdateStackInput) (*UpdateStackOutput, error) {
	name := deref(in.StackName)
	if name == "" {
		return nil, errValidation("1 validation error detected: Value null at 'stackName' failed to satisfy constraint: Member must not be null")
	}
	token := deref(in.ClientRequestToken)
	if err := checkToken(token); err != nil {
		return nil, err
	}
	var cur *stackRecord
	if err := s.view(func(tx *store.Tx) error {
		var err error
		cur, err = findStack(tx, name, false)
		return err
	}); err != nil {
		return nil, err
	}
	if token != "" {
		if op, ok := cur.usedToken(token); ok {
			if op == "UpdateStack" {
				return &UpdateStackOutput{StackId: ptr(cur.ID)}, nil
			}
			return nil, errTokenExists("Another %s request with the client request token %s already exists", op, token)
		}
	}
	if !updatable(cur.Status) {
		return nil, errNotUpdatable(cur)
	}
	body, path, err := s.templateFor(ctx, cur, in.TemplateBody, in.TemplateURL, in.UsePreviousTemplate)
	if err != nil {
		return nil, err
	}
	tags := cur.Tags
	if in.Tags != nil {
		if tags, err = tagRecords(in.Tags); err != nil {
			return nil, err
		}
	}
	prep, err := s.prepare(ctx, body, path, in.Parameters, &cur.stackConfig, in.Capabilities, tags)
	if err != nil {
		return nil, err
	}
	changes, changed, err := s.plan(ctx, cur, prep)
	if err != nil {
		return nil, err
	}
	if !changed && len(changes) == 0 {
		return nil, errValidation("No updates are to be performed.")
	}
	if err := s.startUpdate(ctx, cur.ID, &prep.cfg, token, "UpdateStack", deref(in.DisableRollback), ""); err != nil {
		return nil, err
	}
	return &UpdateStackOutput{StackId: ptr(cur.ID)}, nil
}

// templateFor returns the template of an update: the request's, or the stack's
// current one with UsePreviousTemplate.
func (s *Service) templateFor(ctx context.Context, cur *stackRecord, body, templateURL *string, usePrevious *bool) (string, string, error) {
	if deref(usePrevious) {
		if body != nil || templateURL != nil {
			return "", "", errValidation("You cannot specify both usePreviousTemplate and Template Body/Template URL.")
		}
		return cur.Template, cur.TemplatePath, nil
	}
	return s.loadTemplate(ctx, body, templateURL)
}

// beginUpdate moves a stack to UPDATE_IN_PROGRESS with cfg as its new configuration
// (the current one kept for a rollback) and records the "User Initiated" event.
func (s *Service) beginUpdate(caller context.Context, stackID string, cfg *stackConfig, token, opName string, disableRollback bool, changeSet string) (*stackRecord, error) {
	var st *stackRecord
	err := s.write(func(w *writer) error {
		cur, err := getStack(w.tx, stackID)
		if err != nil {
			return err
		}
		if !updatable(cur.Status) || s.runningOp(stackID) != nil {
			return errNotUpdatable(cur)
		}
		prev := cur.stackConfig
		next := *cfg
		next.Outputs, next.Imports = prev.Outputs, prev.Imports
		cur.stackConfig = next
		cur.Op = &opState{Kind: "update", Token: token, Previous: &prev, Principal: callerOf(caller)}
		cur.Status, cur.Reason, cur.Updated = stUpdateInProgress, "User Initiated", s.now()
		cur.DisableRollback = disableRollback
		cur.addToken(opName, token)
		if changeSet != "" {
			cur.ChangeSetID = changeSet
		}
		// Bookkeeping an interrupted update left: replaced resources' old physical
		// resources are cleaned up by this update.
		list, err := resources(w.tx, stackID)
		if err != nil {
			return err
		}
		for _, r := range list {
			if r.Action == "" && r.Prior == nil {
				continue
			}
			if r.Action == "Replace" && r.Prior != nil && r.Prior.PhysicalID != "" && r.Prior.PhysicalID != r.PhysicalID {
				cur.Cleanup = append(cur.Cleanup, replacedItem(r.LogicalID, r))
			}
			r.Action, r.Prior = "", nil
			if err := w.tx.Put(bucketResources, resourceKey(stackID, r.LogicalID), r); err != nil {
				return err
			}
		}
		if err := obsoleteChangeSets(w.tx, stackID, changeSet); err != nil {
			return err
		}
		if err := w.tx.Put(bucketStacks, cur.ID, cur); err != nil {
			return err
		}
		st = cur
		return w.event(cur, token, "", "", "", stUpdateInProgress, "User Initiated", nil)
	})
	return st, err
}

// startUpdate begins a stack's update and runs it in the background.
func (s *Service) startUpdate(caller context.Context, stackID string, cfg *stackConfig, token, opName string, disableRollback bool, changeSet string) error {
	st, err := s.beginUpdate(caller, stackID, cfg, token, opName, disableRollback, changeSet)
	if err != nil {
		return err
	}
	op, err := s.newOperation(s.opContext(caller), st, &st.stackConfig, token)
	if err != nil {
		return err
	}
	op.changeSet = changeSet
	s.launch(op, func() error {
		if err := op.load(); err != nil {
			return err
		}
		return s.runUpdate(op, disableRollback)
	})
	return nil
}

// DeleteStack deletes a stack. Deleting a stack that does not exist succeeds, as in
// CloudFormation.
func (s *Service) DeleteStack(ctx context.Context, in *DeleteStackInput) (*Empty, error) {
	name := deref(in.StackName)
	if name == "" {
		return nil, errValidation("1 validation error detected: Value null at 'stackName' failed to satisfy constraint: Member must not be null")
	}
	token := deref(in.ClientRequestToken)
	if err := checkToken(token); err != nil {
		return nil, err
	}
	var st *stackRecord
	err := s.view(func(tx *store.Tx) error {
		var err error
		st, err = findStack(tx, name, true)
		return err
	})
	if err != nil {
		if strings.Contains(err.Error(), "does not exist") {
			return &Empty{}, nil
		}
		return nil, err
	}
	if st.Status == stDeleteComplete || st.Status == stDeleteInProgress {
		return &Empty{}, nil
	}
	if st.Protected {
		return nil, errValidation("Stack [%s] cannot be deleted while TerminationProtection is enabled", st.Name)
	}
	if len(in.RetainResources) > 0 && st.Status != stDeleteFailed {
		return nil, errValidation("Invalid operation on stack [%s]. RetainResources can only be specified when the stack is in the DELETE_FAILED state", st.ID)
	}
	if rs := s.runningOp(st.ID); rs != nil {
		// Stop the running operation; the stack is deleted when it ends.
		s.mu.Lock()
		rs.deleteAfter, rs.retain, rs.token, rs.caller = true, in.RetainResources, token, ctx
		s.mu.Unlock()
		rs.op.deleting.Store(true)
		rs.op.stop("Stack operation cancelled by a delete request")
		return &Empty{}, nil
	}
	if err := s.startDelete(ctx, st.ID, in.RetainResources, token); err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// startDelete moves a stack to DELETE_IN_PROGRESS and starts deleting it.
func (s *Service) startDelete(caller context.Context, stackID string, retain []string, token string) error {
	var st *stackRecord
	err := s.write(func(w *writer) error {
		cur, err := getStack(w.tx, stackID)
		if err != nil {
			return err
		}
		if cur.Status == stDeleteComplete || cur.Status == stDeleteInProgress {
			return nil
		}
		cur.Status, cur.Reason = stDeleteInProgress, "User Initiated"
		cur.Op = &opState{Kind: "delete", Token: token, Retain: retain, Principal: callerOf(caller)}
		cur.addToken("DeleteStack", token)
		if err := w.tx.Put(bucketStacks, cur.ID, cur); err != nil {
			return err
		}
		st = cur
		return w.event(cur, token, "", "", "", stDeleteInProgress, "User Initiated", nil)
	})
	if err != nil || st == nil {
		return err
	}
	op, err := s.newOperation(s.opContext(caller), st, nil, token)
	if err != nil {
		return err
	}
	keep := map[string]bool{}
	for _, id := range retain {
		keep[id] = true
	}
	s.launch(op, func() error {
		if err := op.load(); err != nil {
			return err
		}
		return s.runDelete(op, keep)
	})
	return nil
}

// apiStack converts a stack record to the API shape.
func apiStack(st *stackRecord) Stack {
	out := Stack{
		StackId: ptr(st.ID), StackName: ptr(st.Name), Description: strPtr(st.Description), Parameters: apiParameters(st.Params),
		CreationTime: timePtr(st.Created), LastUpdatedTime: timePtr(st.Updated), DeletionTime: timePtr(st.Deleted),
		StackStatus: ptr(st.Status), StackStatusReason: strPtr(st.Reason), DisableRollback: ptr(st.DisableRollback),
		NotificationARNs: []string{}, Capabilities: st.Capabilities, Tags: apiTags(st.Tags),
		EnableTerminationProtection: ptr(st.Protected), ParentId: strPtr(st.ParentID), RootId: strPtr(st.RootID),
		ChangeSetId: strPtr(st.ChangeSetID), RollbackConfiguration: &RollbackConfiguration{},
		DriftInformation: &StackDriftInformation{StackDriftStatus: ptr("NOT_CHECKED")},
	}
	if st.Timeout > 0 {
		out.TimeoutInMinutes = ptr(st.Timeout)
	}
	if len(st.Params) == 0 {
		out.Parameters = nil
	}
	for _, o := range st.Outputs {
		out.Outputs = append(out.Outputs, Output{OutputKey: ptr(o.Key), OutputValue: ptr(o.Value), Description: strPtr(o.Description), ExportName: strPtr(o.ExportName)})
	}
	return out
}

// DescribeStacks describes one stack, or every live stack 100 a page.
func (s *Service) DescribeStacks(ctx context.Context, in *DescribeStacksInput) (*DescribeStacksOutput, error) {
	out := &DescribeStacksOutput{Stacks: []Stack{}}
	err := s.view(func(tx *store.Tx) error {
		if name := deref(in.StackName); name != "" {
			st, err := findStack(tx, name, true)
			if err != nil {
				return err
			}
			out.Stacks = append(out.Stacks, apiStack(st))
			return nil
		}
		all, err := liveStacks(tx)
		if err != nil {
			return err
		}
		page, next, err := paginate(all, deref(in.NextToken), 100)
		if err != nil {
			return err
		}
		for _, st := range page {
			out.Stacks = append(out.Stacks, apiStack(st))
		}
		out.NextToken = next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// liveStacks lists the stacks that are not deleted, newest first.
func liveStacks(tx *store.Tx) ([]*stackRecord, error) {
	all, err := allStacks(tx)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, st := range all {
		if st.Status != stDeleteComplete {
			out = append(out, st)
		}
	}
	return out, nil
}

// allStacks lists every stack, deleted ones too, newest first.
func allStacks(tx *store.Tx) ([]*stackRecord, error) {
	list, err := store.List[stackRecord](tx, bucketStacks, "")
	if err != nil {
		return nil, err
	}
	out := make([]*stackRecord, len(list))
	for i := range list {
		out[i] = &list[i]
	}
	sort.SliceStable(out, func(a, b int) bool {
		if !out[a].Created.Equal(out[b].Created) {
			return out[a].Created.After(out[b].Created)
		}
		return out[a].ID < out[b].ID
	})
	return out, nil
}

// paginate returns one page of items after the offset a token encodes.
func paginate[T any](items []T, token string, size int) ([]T, *string, error) {
	start := 0
	if token != "" {
		n, err := strconv.Atoi(token)
		if err != nil || n < 0 || n > len(items) {
			return nil, nil, errValidation("Invalid NextToken: %s", token)
		}
		start = n
	}
	end := min(start+size, len(items))
	var next *string
	if end < len(items) {
		next = ptr(strconv.Itoa(end))
	}
	return items[start:end], next, nil
}

// ListStacks summarizes stacks, deleted ones too, filtered by status.
func (s *Service) ListStacks(ctx context.Context, in *ListStacksInput) (*ListStacksOutput, error) {
	filter := map[string]bool{}
	for _, f := range in.StackStatusFilter {
		known := false
		for _, st := range stackStatuses {
			known = known || st == f
		}
		if !known {
			return nil, errValidation("1 validation error detected: Value '[%s]' at 'stackStatusFilter' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [%s]]", f, strings.Join(stackStatuses, ", "))
		}
		filter[f] = true
	}
	out := &ListStacksOutput{StackSummaries: []StackSummary{}}
	err := s.view(func(tx *store.Tx) error {
		all, err := allStacks(tx)
		if err != nil {
			return err
		}
		var picked []*stackRecord
		for _, st := range all {
			if len(filter) == 0 || filter[st.Status] {
				picked = append(picked, st)
			}
		}
		page, next, err := paginate(picked, deref(in.NextToken), 100)
		if err != nil {
			return err
		}
		for _, st := range page {
			out.StackSummaries = append(out.StackSummaries, StackSummary{
				StackId: ptr(st.ID), StackName: ptr(st.Name), TemplateDescription: strPtr(st.Description),
				CreationTime: timePtr(st.Created), LastUpdatedTime: timePtr(st.Updated), DeletionTime: timePtr(st.Deleted),
				StackStatus: ptr(st.Status), StackStatusReason: strPtr(st.Reason), ParentId: strPtr(st.ParentID), RootId: strPtr(st.RootID),
				DriftInformation: &StackDriftInformation{StackDriftStatus: ptr("NOT_CHECKED")},
			})
		}
		out.NextToken = next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateTerminationProtection turns a stack's termination protection on or off.
func (s *Service) UpdateTerminationProtection(ctx context.Context, in *UpdateTerminationProtectionInput) (*UpdateTerminationProtectionOutput, error) {
	name := deref(in.StackName)
	if name == "" {
		return nil, errValidation("1 validation error detected: Value null at 'stackName' failed to satisfy constraint: Member must not be null")
	}
	if in.EnableTerminationProtection == nil {
		return nil, errValidation("1 validation error detected: Value null at 'enableTerminationProtection' failed to satisfy constraint: Member must not be null")
	}
	var id string
	err := s.update(func(tx *store.Tx) error {
		st, err := findStack(tx, name, false)
		if err != nil {
			return err
		}
		if st.ParentID != "" {
			return errValidation("Termination protection cannot be updated on a nested stack. Update it on the root stack instead.")
		}
		st.Protected = *in.EnableTerminationProtection
		id = st.ID
		return tx.Put(bucketStacks, st.ID, st)
	})
	if err != nil {
		return nil, err
	}
	return &UpdateTerminationProtectionOutput{StackId: ptr(id)}, nil
}

// CancelUpdateStack cancels a stack's update, which then rolls back.
func (s *Service) CancelUpdateStack(ctx context.Context, in *CancelUpdateStackInput) (*Empty, error) {
	name := deref(in.StackName)
	var st *stackRecord
	if err := s.view(func(tx *store.Tx) error {
		var err error
		st, err = findStack(tx, name, false)
		return err
	}); err != nil {
		return nil, err
	}
	rs := s.runningOp(st.ID)
	if st.Status != stUpdateInProgress || rs == nil {
		return nil, errValidation("CancelUpdateStack cannot be called from current stack status")
	}
	rs.op.stop("Stack update cancelled")
	return &Empty{}, nil
}

// ContinueUpdateRollback resumes the rollback of a stack in UPDATE_ROLLBACK_FAILED,
// skipping the resources named in ResourcesToSkip.
func (s *Service) ContinueUpdateRollback(ctx context.Context, in *ContinueUpdateRollbackInput) (*Empty, error) {
	name := deref(in.StackName)
	token := deref(in.ClientRequestToken)
	var st *stackRecord
	err := s.write(func(w *writer) error {
		cur, err := findStack(w.tx, name, false)
		if err != nil {
			return err
		}
		if cur.Status != stUpdateRollbackFailed || s.runningOp(cur.ID) != nil {
			return errValidation("Stack %s is in %s state and can not continue the rollback. ContinueUpdateRollback is only supported for stacks in the UPDATE_ROLLBACK_FAILED state.", cur.ID, cur.Status)
		}
		if cur.Op == nil {
			cur.Op = &opState{Kind: "update"}
		}
		cur.Op.Skip = append(cur.Op.Skip, in.ResourcesToSkip...)
		cur.Op.Principal = callerOf(ctx)
		cur.Status, cur.Reason = stUpdateRollbackInProgress, "User Initiated"
		cur.addToken("ContinueUpdateRollback", token)
		if err := w.tx.Put(bucketStacks, cur.ID, cur); err != nil {
			return err
		}
		st = cur
		return w.event(cur, token, "", "", "", stUpdateRollbackInProgress, "User Initiated", nil)
	})
	if err != nil {
		return nil, err
	}
	op, err := s.newOperation(s.opContext(ctx), st, &st.stackConfig, token)
	if err != nil {
		op, err = s.newOperation(s.opContext(ctx), st, nil, token)
		if err != nil {
			return nil, err
		}
	}
	s.launch(op, func() error {
		if err := op.load(); err != nil {
			return err
		}
		op.kind = "update"
		return s.runUpdateRollback(op)
	})
	return &Empty{}, nil
}
