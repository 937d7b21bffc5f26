package cloudformation

import (
	"context"
	"errors"
	"regexp"
	"sort"
	"strings"

	"github.com/wharf-dev/wharf/internal/store"
)

// noChangesReason is the status reason of a change set that would change nothing.
const noChangesReason = "The submitted information didn't contain changes. Submit different information to create a change set."

var changeSetNamePattern = regexp.MustCompile(`^[a-zA-Z][-a-zA-Z0-9]*$`)

// plan computes what deploying prep onto stack cur (nil for a new stack) would change:
// the resource changes, and whether anything else (outputs, tags) changes.
func (s *Service) plan(ctx context.Context, cur *stackRecord, prep *prepared) ([]changeRecord, bool, error) {
	st := cur
	if st == nil {
		st = &stackRecord{ID: "arn:aws:cloudformation:" + s.region + ":" + s.account + ":stack/new/00000000-0000-0000-0000-000000000000"}
	}
	op, err := s.newOperation(ctx, st, &prep.cfg, "")
	if err != nil {
		return nil, false, err
	}
	op.planned = true
	if cur != nil {
		if err := op.load(); err != nil {
			return nil, false, err
		}
	}
	var changes []changeRecord
	active := op.active()
	for _, id := range topoOrder(active, op.deps) {
		ch, err := op.planResource(id)
		if err != nil {
			return nil, false, err
		}
		if ch != nil {
			changes = append(changes, *ch)
		}
	}
	// Keep the template's order in the listing.
	pos := map[string]int{}
	for i, id := range op.tmpl.ResourceOrder {
		pos[id] = i
	}
	sort.SliceStable(changes, func(a, b int) bool { return pos[changes[a].LogicalID] < pos[changes[b].LogicalID] })
	isActive := map[string]bool{}
	for _, id := range active {
		isActive[id] = true
	}
	var gone []string
	for id, r := range op.res {
		if !isActive[id] && r.Status != stDeleteComplete && r.Status != rsDeleteSkipped {
			gone = append(gone, id)
		}
	}
	sort.Strings(gone)
	for _, id := range gone {
		r := op.res[id]
		changes = append(changes, changeRecord{Action: "Remove", LogicalID: id, PhysicalID: r.PhysicalID, Type: r.Type})
	}
	other := cur == nil || !sameTags(cur.Tags, prep.cfg.Tags)
	if !other {
		outputs, err := op.outputs()
		other = err != nil || !(len(outputs) == 0 && len(cur.Outputs) == 0 || sameJSON(outputs, cur.Outputs))
	}
	return changes, other, nil
}

// sameTags reports whether two tag lists hold the same tags.
func sameTags(a, b []tagRecord) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]string{}
	for _, t := range a {
		m[t.Key] = t.Value
	}
	for _, t := range b {
		if v, ok := m[t.Key]; !ok || v != t.Value {
			return false
		}
	}
	return true
}

// topoOrder orders nodes so that each comes after its dependencies (template order
// otherwise).
func topoOrder(nodes []string, deps map[string][]string) []string {
	in := map[string]bool{}
	for _, n := range nodes {
		in[n] = true
	}
	done := map[string]bool{}
	var out []string
	var visit func(n string, depth int)
	visit = func(n string, depth int) {
		if done[n] || depth > len(nodes) {
			return
		}
		done[n] = true
		for _, d := range deps[n] {
			if in[d] {
				visit(d, depth+1)
			}
		}
		out = append(out, n)
	}
	for _, n := range nodes {
		visit(n, 0)
	}
	return out
}

// planResource computes the change of one resource, marking it dynamic for the
// resources evaluated after it when its Ref or attributes may change.
func (op *operation) planResource(id string) (*changeRecord, error) {
	res := op.tmpl.Resources[id]
	old := op.resource(id)
	mark := func() {
		op.mu.Lock()
		op.dynamic[id] = true
		op.mu.Unlock()
	}
	if old == nil || !old.exists() {
		mark()
		return &changeRecord{Action: "Add", LogicalID: id, Type: res.Type}, nil
	}
	props, err := op.evalProps(res)
	ch := &changeRecord{Action: "Modify", LogicalID: id, PhysicalID: old.PhysicalID, Type: res.Type}
	if err != nil {
		// A value known only at execution (a new resource's list attribute, say) may
		// not fit a function until then: the change is dynamic, not an error.
		op.mu.Lock()
		dynamicDep := ""
		for _, d := range op.deps[id] {
			if op.dynamic[d] || op.dynamicAtt[d] {
				dynamicDep = d
				break
			}
		}
		op.mu.Unlock()
		if dynamicDep == "" {
			return nil, asValidation(err)
		}
		mark()
		ch.Replacement, ch.Scope = "Conditional", []string{"Properties"}
		ch.Details = []detailRecord{{Attribute: "Properties", Evaluation: "Dynamic", ChangeSource: "ResourceReference", CausingEntity: dynamicDep, RequiresRecreation: "Conditionally"}}
		return ch, nil
	}
	rt, _ := op.s.registry.Lookup(res.Type)
	if old.Type != res.Type {
		mark()
		ch.Replacement, ch.Scope = "True", []string{"Properties"}
		return ch, nil
	}
	changed := changedProps(old.Props, props)
	metaChanged := old.Metadata != metadataString(res.Metadata)
	if len(changed) == 0 && !metaChanged && settled(old.Status) {
		return nil, nil
	}
	replacement := "False"
	scope := map[string]bool{}
	for _, name := range changed {
		v := props[name]
		d := detailRecord{Attribute: "Properties", Name: name, RequiresRecreation: rt.recreation(name), Evaluation: "Static", ChangeSource: "DirectModification"}
		if name == templateHashProperty {
			d.Name = "TemplateURL"
			if _, ok := props["TemplateURL"]; !ok {
				continue
			}
		}
		if name == "Tags" {
			d.Attribute, d.Name = "Tags", ""
			scope["Tags"] = true
		} else {
			scope["Properties"] = true
		}
		if containsDynamic(v) {
			d.Evaluation, d.ChangeSource = "Dynamic", "ResourceAttribute"
		}
		switch {
		case d.RequiresRecreation == "Always" && d.Evaluation == "Static":
			replacement = "True"
		case d.RequiresRecreation != "Never" && replacement == "False":
			replacement = "Conditional"
		}
		ch.Details = append(ch.Details, d)
	}
	if replacement == "Conditional" && rt.Replace != nil && !containsDynamic(props) {
		if rt.Replace(old.Props, props) {
			replacement = "True"
		} else if !needsReplacement(&rt, changed, old.Props, props) {
			replacement = "False"
		}
	}
	if metaChanged {
		scope["Metadata"] = true
		ch.Details = append(ch.Details, detailRecord{Attribute: "Metadata", RequiresRecreation: "Never", Evaluation: "Static", ChangeSource: "DirectModification"})
	}
	for _, k := range []string{"Properties", "Metadata", "Tags"} {
		if scope[k] {
			ch.Scope = append(ch.Scope, k)
		}
	}
	if replacement != "False" {
		mark()
	} else {
		op.mu.Lock()
		op.dynamicAtt[id] = true
		op.mu.Unlock()
	}
	ch.Replacement = replacement
	return ch, nil
}

// containsDynamic reports whether a planned value holds a value known only at
// execution.
func containsDynamic(v any) bool {
	switch x := v.(type) {
	case string:
		return strings.Contains(x, dynamicValue)
	case []any:
		for _, e := range x {
			if containsDynamic(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range x {
			if containsDynamic(e) {
				return true
			}
		}
	}
	return false
}

// changeSetARN returns a new change set's ARN.
func (s *Service) changeSetARN(name string) string {
	return "arn:aws:cloudformation:" + s.region + ":" + s.account + ":changeSet/" + name + "/" + newUUID()
}

// findChangeSet returns a change set by ARN, or by name within a stack.
func findChangeSet(tx *store.Tx, nameOrID, stackName string) (*changeSetRecord, error) {
	if strings.HasPrefix(nameOrID, "arn:") {
		var cs changeSetRecord
		if err := tx.Get(bucketChangeSets, nameOrID, &cs); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil, errChangeSetNotFound(nameOrID)
			}
			return nil, err
		}
		return &cs, nil
	}
	if stackName == "" {
		return nil, errValidation("StackName must be specified if ChangeSetName is not specified as an ARN.")
	}
	st, err := findStack(tx, stackName, false)
	if err != nil {
		return nil, errChangeSetNotFound(nameOrID)
	}
	list, err := stackChangeSets(tx, st.ID)
	if err != nil {
		return nil, err
	}
	for _, cs := range list {
		if cs.Name == nameOrID {
			return cs, nil
		}
	}
	return nil, errChangeSetNotFound(nameOrID)
}

// stackChangeSets lists a stack's change sets, oldest first.
func stackChangeSets(tx *store.Tx, stackID string) ([]*changeSetRecord, error) {
	list, err := store.List[changeSetRecord](tx, bucketChangeSets, "")
	if err != nil {
		return nil, err
	}
	var out []*changeSetRecord
	for i := range list {
		if list[i].StackID == stackID {
			out = append(out, &list[i])
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Created.Before(out[b].Created) })
	return out, nil
}

// obsoleteChangeSets marks a stack's executable change sets other than except OBSOLETE.
func obsoleteChangeSets(tx *store.Tx, stackID, except string) error {
	list, err := stackChangeSets(tx, stackID)
	if err != nil {
		return err
	}
	for _, cs := range list {
		if cs.ID == except || cs.ExecutionStatus != "AVAILABLE" && cs.ExecutionStatus != "UNAVAILABLE" {
			continue
		}
		cs.ExecutionStatus = "OBSOLETE"
		if err := tx.Put(bucketChangeSets, cs.ID, cs); err != nil {
			return err
		}
	}
	return nil
}

// changeSetDone records the end of the change set an operation executed.
func (s *Service) changeSetDone(op *operation, status string) {
	if op.changeSet == "" || op.aborted() {
		return
	}
	_ = s.update(func(tx *store.Tx) error {
		var cs changeSetRecord
		if err := tx.Get(bucketChangeSets, op.changeSet, &cs); err != nil || cs.ExecutionStatus != "EXECUTE_IN_PROGRESS" {
			return nil
		}
		cs.ExecutionStatus = status
		return tx.Put(bucketChangeSets, cs.ID, &cs)
	})
}

// CreateChangeSet computes the changes a template would make to a stack (creating
// the stack in REVIEW_IN_PROGRESS for a CREATE change set).
func (s *Service) CreateChangeSet(ctx context.Context, in *CreateChangeSetInput) (*CreateChangeSetOutput, error) {
	csName, stackName := deref(in.ChangeSetName), deref(in.StackName)
	if csName == "" {
		return nil, errValidation("1 validation error detected: Value null at 'changeSetName' failed to satisfy constraint: Member must not be null")
	}
	if len(csName) > 128 || !changeSetNamePattern.MatchString(csName) {
		return nil, errValidation("1 validation error detected: Value '%s' at 'changeSetName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*", csName)
	}
	if strings.HasPrefix(stackName, "arn:") == false {
		if err := checkStackName(stackName); err != nil {
			return nil, err
		}
	}
	typ := deref(in.ChangeSetType)
	switch typ {
	case "":
		typ = "UPDATE"
	case "CREATE", "UPDATE":
	case "IMPORT":
		return nil, errValidation("Resource import change sets are not supported by Wharf.")
	default:
		return nil, errValidation("1 validation error detected: Value '%s' at 'changeSetType' failed to satisfy constraint: Member must satisfy enum value set: [UPDATE, IMPORT, CREATE]", typ)
	}
	onFailure := deref(in.OnStackFailure)
	switch onFailure {
	case "", "ROLLBACK", "DELETE", "DO_NOTHING":
	default:
		return nil, errValidation("1 validation error detected: Value '%s' at 'onStackFailure' failed to satisfy constraint: Member must satisfy enum value set: [DO_NOTHING, ROLLBACK, DELETE]", onFailure)
	}
	token := deref(in.ClientToken)
	var cur *stackRecord
	var dup *changeSetRecord
	var replaced string
	if err := s.view(func(tx *store.Tx) error {
		st, err := findStack(tx, stackName, false)
		if err != nil {
			return nil
		}
		cur = st
		list, err := stackChangeSets(tx, st.ID)
		if err != nil {
			return err
		}
		for _, cs := range list {
			if token != "" && cs.Token == token {
				dup = cs
				return nil
			}
			// A name is taken by a change set that may still be executed; one
			// already executed (or failed) gives its name up to the new one.
			if cs.Name == csName && cs.Status != "FAILED" && (cs.ExecutionStatus == "AVAILABLE" || cs.ExecutionStatus == "UNAVAILABLE" || cs.ExecutionStatus == "EXECUTE_IN_PROGRESS") {
				return errAlreadyExists("ChangeSet %s already exists", csName)
			}
			if cs.Name == csName {
				replaced = cs.ID
			}
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if dup != nil {
		return &CreateChangeSetOutput{Id: ptr(dup.ID), StackId: ptr(dup.StackID)}, nil
	}
	switch {
	case typ == "CREATE" && cur != nil && cur.Status != stReviewInProgress:
		return nil, errValidation("Stack [%s] already exists and cannot be created again with the changeSet [%s].", stackName, csName)
	case typ == "UPDATE" && cur == nil:
		return nil, errValidation("Stack [%s] does not exist", stackName)
	case typ == "UPDATE" && (cur.Status == stReviewInProgress || !updatable(cur.Status)):
		return nil, errNotUpdatable(cur)
	}
	var prev *stackConfig
	if typ == "UPDATE" {
		prev = &cur.stackConfig
	}
	var body, path string
	var err error
	if deref(in.UsePreviousTemplate) {
		if prev == nil {
			return nil, errValidation("UsePreviousTemplate can only be used with a change set of type UPDATE.")
		}
		body, path, err = s.templateFor(ctx, cur, in.TemplateBody, in.TemplateURL, in.UsePreviousTemplate)
	} else {
		body, path, err = s.loadTemplate(ctx, in.TemplateBody, in.TemplateURL)
	}
	if err != nil {
		return nil, err
	}
	var tags []tagRecord
	if prev != nil {
		tags = prev.Tags
	}
	if in.Tags != nil {
		if tags, err = tagRecords(in.Tags); err != nil {
			return nil, err
		}
	}
	prep, err := s.prepare(ctx, body, path, in.Parameters, prev, in.Capabilities, tags)
	if err != nil {
		return nil, err
	}
	cs := &changeSetRecord{
		ID: s.changeSetARN(csName), Name: csName, StackName: stackName, Type: typ, Description: deref(in.Description),
		Status: "CREATE_COMPLETE", ExecutionStatus: "AVAILABLE", Created: s.now(), Config: prep.cfg,
		OnStackFailure: onFailure, Token: token, Nested: deref(in.IncludeNestedStacks),
	}
	if typ == "UPDATE" {
		changes, other, err := s.plan(ctx, cur, prep)
		switch {
		case err != nil:
			cs.Status, cs.ExecutionStatus, cs.Reason = "FAILED", "UNAVAILABLE", errMessage(err)
		case len(changes) == 0 && !other:
			cs.Status, cs.ExecutionStatus, cs.Reason = "FAILED", "UNAVAILABLE", noChangesReason
		default:
			cs.Changes = changes
		}
	} else {
		changes, _, err := s.plan(ctx, nil, prep)
		if err != nil {
			cs.Status, cs.ExecutionStatus, cs.Reason = "FAILED", "UNAVAILABLE", errMessage(err)
		}
		cs.Changes = changes
	}
	err = s.write(func(w *writer) error {
		if cur == nil {
			if w.tx.Has(bucketNames, stackName) {
				return errAlreadyExists("Stack [%s] already exists", stackName)
			}
			st := &stackRecord{ID: s.stackARN(stackName), Name: stackName, Status: stReviewInProgress, Reason: "User Initiated", Created: s.now()}
			if err := w.tx.Put(bucketNames, stackName, st.ID); err != nil {
				return err
			}
			if err := w.tx.Put(bucketStacks, st.ID, st); err != nil {
				return err
			}
			if err := w.event(st, "", "", "", "", stReviewInProgress, "User Initiated", nil); err != nil {
				return err
			}
			cur = st
		}
		cs.StackID, cs.StackName = cur.ID, cur.Name
		if replaced != "" {
			if err := w.tx.Delete(bucketChangeSets, replaced); err != nil {
				return err
			}
		}
		return w.tx.Put(bucketChangeSets, cs.ID, cs)
	})
	if err != nil {
		return nil, err
	}
	return &CreateChangeSetOutput{Id: ptr(cs.ID), StackId: ptr(cs.StackID)}, nil
}

// errMessage returns an error's message without an API error's code.
func errMessage(err error) string {
	if e, ok := asAPI(err); ok {
		return e
	}
	return err.Error()
}

// DescribeChangeSet describes a change set and its changes.
func (s *Service) DescribeChangeSet(ctx context.Context, in *DescribeChangeSetInput) (*DescribeChangeSetOutput, error) {
	var cs *changeSetRecord
	if err := s.view(func(tx *store.Tx) error {
		var err error
		cs, err = findChangeSet(tx, deref(in.ChangeSetName), deref(in.StackName))
		return err
	}); err != nil {
		return nil, err
	}
	t := cs.Created
	out := &DescribeChangeSetOutput{
		ChangeSetName: ptr(cs.Name), ChangeSetId: ptr(cs.ID), StackId: ptr(cs.StackID), StackName: ptr(cs.StackName),
		Description: strPtr(cs.Description), Parameters: apiParameters(cs.Config.Params), CreationTime: &t,
		ExecutionStatus: ptr(cs.ExecutionStatus), Status: ptr(cs.Status), StatusReason: strPtr(cs.Reason),
		NotificationARNs: []string{}, RollbackConfiguration: &RollbackConfiguration{}, Capabilities: cs.Config.Capabilities,
		Tags: apiTags(cs.Config.Tags), Changes: []Change{}, IncludeNestedStacks: ptr(cs.Nested), OnStackFailure: strPtr(cs.OnStackFailure),
	}
	if len(cs.Config.Params) == 0 {
		out.Parameters = nil
	}
	page, next, err := paginate(cs.Changes, deref(in.NextToken), 100)
	if err != nil {
		return nil, err
	}
	for _, c := range page {
		rc := &ResourceChange{Action: ptr(c.Action), LogicalResourceId: ptr(c.LogicalID), PhysicalResourceId: strPtr(c.PhysicalID),
			ResourceType: ptr(c.Type), Replacement: strPtr(c.Replacement), Scope: c.Scope}
		if c.Action == "Modify" {
			rc.Details = []ResourceChangeDetail{}
			if rc.Scope == nil {
				rc.Scope = []string{}
			}
		}
		for _, d := range c.Details {
			rc.Details = append(rc.Details, ResourceChangeDetail{
				Target:     &ResourceTargetDefinition{Attribute: ptr(d.Attribute), Name: strPtr(d.Name), RequiresRecreation: strPtr(d.RequiresRecreation)},
				Evaluation: ptr(d.Evaluation), ChangeSource: strPtr(d.ChangeSource), CausingEntity: strPtr(d.CausingEntity),
			})
		}
		out.Changes = append(out.Changes, Change{Type: ptr("Resource"), ResourceChange: rc})
	}
	out.NextToken = next
	return out, nil
}

// ExecuteChangeSet runs a change set: creates or updates its stack.
func (s *Service) ExecuteChangeSet(ctx context.Context, in *ExecuteChangeSetInput) (*Empty, error) {
	token := deref(in.ClientRequestToken)
	if err := checkToken(token); err != nil {
		return nil, err
	}
	var cs *changeSetRecord
	var st *stackRecord
	if err := s.view(func(tx *store.Tx) error {
		var err error
		if cs, err = findChangeSet(tx, deref(in.ChangeSetName), deref(in.StackName)); err != nil {
			return err
		}
		st, err = getStack(tx, cs.StackID)
		return err
	}); err != nil {
		return nil, err
	}
	if cs.Status != "CREATE_COMPLETE" || cs.ExecutionStatus != "AVAILABLE" {
		if cs.ExecutionStatus == "EXECUTE_IN_PROGRESS" || cs.ExecutionStatus == "EXECUTE_COMPLETE" {
			if token != "" && cs.Token == token {
				return &Empty{}, nil
			}
		}
		return nil, errInvalidChangeSetStatus("ChangeSet [%s] cannot be executed in its current status of [%s]", cs.ID, cs.Status+"/"+cs.ExecutionStatus)
	}
	disable := deref(in.DisableRollback)
	if cs.Type == "CREATE" {
		onFailure := cs.OnStackFailure
		if disable {
			onFailure = "DO_NOTHING"
		}
		if onFailure == "" {
			onFailure = "ROLLBACK"
		}
		var started *stackRecord
		err := s.write(func(w *writer) error {
			cur, err := getStack(w.tx, st.ID)
			if err != nil {
				return err
			}
			if cur.Status != stReviewInProgress {
				return errInvalidChangeSetStatus("ChangeSet [%s] cannot be executed: stack %s is in %s state", cs.ID, cur.Name, cur.Status)
			}
			cur.stackConfig = cs.Config
			cur.Status, cur.Reason, cur.Updated = stCreateInProgress, "User Initiated", s.now()
			cur.ChangeSetID, cur.DisableRollback = cs.ID, onFailure == "DO_NOTHING"
			cur.Op = &opState{Kind: "create", Token: token, OnFailure: onFailure, Principal: callerOf(ctx)}
			cur.addToken("ExecuteChangeSet", token)
			if err := s.markExecuting(w, cs, token); err != nil {
				return err
			}
			if err := w.tx.Put(bucketStacks, cur.ID, cur); err != nil {
				return err
			}
			started = cur
			return w.event(cur, token, "", "", "", stCreateInProgress, "User Initiated", nil)
		})
		if err != nil {
			return nil, err
		}
		if err := s.startCreate(ctx, started, &started.stackConfig, token, onFailure, 0, cs.ID); err != nil {
			return nil, err
		}
		return &Empty{}, nil
	}
	if err := s.update(func(tx *store.Tx) error {
		w := &writer{tx: tx, s: s}
		return s.markExecuting(w, cs, token)
	}); err != nil {
		return nil, err
	}
	if err := s.startUpdate(ctx, st.ID, &cs.Config, token, "ExecuteChangeSet", disable, cs.ID); err != nil {
		_ = s.update(func(tx *store.Tx) error {
			cs.ExecutionStatus = "AVAILABLE"
			return tx.Put(bucketChangeSets, cs.ID, cs)
		})
		return nil, err
	}
	return &Empty{}, nil
}

// markExecuting marks a change set EXECUTE_IN_PROGRESS and deletes the stack's other
// change sets, which no longer apply, as CloudFormation does.
func (s *Service) markExecuting(w *writer, cs *changeSetRecord, token string) error {
	cs.ExecutionStatus = "EXECUTE_IN_PROGRESS"
	if token != "" {
		cs.Token = token
	}
	list, err := stackChangeSets(w.tx, cs.StackID)
	if err != nil {
		return err
	}
	for _, other := range list {
		if other.ID != cs.ID {
			if err := w.tx.Delete(bucketChangeSets, other.ID); err != nil {
				return err
			}
		}
	}
	return w.tx.Put(bucketChangeSets, cs.ID, cs)
}

// DeleteChangeSet deletes a change set.
func (s *Service) DeleteChangeSet(ctx context.Context, in *DeleteChangeSetInput) (*Empty, error) {
	err := s.update(func(tx *store.Tx) error {
		cs, err := findChangeSet(tx, deref(in.ChangeSetName), deref(in.StackName))
		if err != nil {
			return err
		}
		if cs.ExecutionStatus == "EXECUTE_IN_PROGRESS" {
			return errInvalidChangeSetStatus("Cannot delete ChangeSet in status EXECUTE_IN_PROGRESS")
		}
		return tx.Delete(bucketChangeSets, cs.ID)
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// ListChangeSets summarizes a stack's change sets.
func (s *Service) ListChangeSets(ctx context.Context, in *ListChangeSetsInput) (*ListChangeSetsOutput, error) {
	out := &ListChangeSetsOutput{Summaries: []ChangeSetSummary{}}
	err := s.view(func(tx *store.Tx) error {
		st, err := findStack(tx, deref(in.StackName), false)
		if err != nil {
			return err
		}
		list, err := stackChangeSets(tx, st.ID)
		if err != nil {
			return err
		}
		page, next, err := paginate(list, deref(in.NextToken), 100)
		if err != nil {
			return err
		}
		for _, cs := range page {
			t := cs.Created
			out.Summaries = append(out.Summaries, ChangeSetSummary{
				StackId: ptr(cs.StackID), StackName: ptr(cs.StackName), ChangeSetId: ptr(cs.ID), ChangeSetName: ptr(cs.Name),
				ExecutionStatus: ptr(cs.ExecutionStatus), Status: ptr(cs.Status), StatusReason: strPtr(cs.Reason), CreationTime: &t,
				Description: strPtr(cs.Description), IncludeNestedStacks: ptr(cs.Nested),
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
