package cloudformation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wharf-dev/wharf/internal/cloudformation/template"
	"github.com/wharf-dev/wharf/internal/store"
)

// errAborted ends an operation that the service's shutdown interrupted: it writes
// nothing more, and the next Recover fails the stack.
var errAborted = errors.New("cloudformation: operation aborted by shutdown")

// operation is one running stack operation: the template it deploys, the stack's
// resources as it changes them, and the way to stop it.
type operation struct {
	s       *Service
	st      *stackRecord // identity fields only (ID, Name, RootID) are read from it
	stackID string
	token   string
	tmpl    *template.Template
	cfg     *stackConfig
	params  map[string]any
	conds   map[string]bool
	deps    map[string][]string // resource → resources it depends on (in tmpl)
	ctx     context.Context

	stopOnce   sync.Mutex
	stopCh     chan struct{}
	stopReason string

	mu      sync.Mutex
	res     map[string]*resourceRecord
	imports map[string]bool
	// dynamic marks, when planning a change set, the resources whose Ref and
	// Fn::GetAtt values are not known until the change set runs.
	dynamic map[string]bool
	// dynamicAtt marks the resources whose attributes (not Ref) may change.
	dynamicAtt map[string]bool
	planned    bool
	// changeSet is the id of the change set the operation executes, if any.
	changeSet string

	kind        string // "create", "update", "delete"
	rollingBack bool
	// deleting is set when a DeleteStack stopped the operation: it ends without a
	// rollback, and the delete follows.
	deleting atomic.Bool
}

// newOperation prepares an operation on stack st deploying cfg (whose template is
// parsed again; it was validated when the operation was accepted).
func (s *Service) newOperation(ctx context.Context, st *stackRecord, cfg *stackConfig, token string) (*operation, error) {
	op := &operation{
		s: s, st: st, stackID: st.ID, token: token, cfg: cfg, ctx: ctx, stopCh: make(chan struct{}),
		res: map[string]*resourceRecord{}, imports: map[string]bool{}, dynamic: map[string]bool{}, dynamicAtt: map[string]bool{},
	}
	if cfg != nil && cfg.Template != "" {
		tmpl, err := parseTemplate(cfg.Template)
		if err != nil {
			return nil, err
		}
		op.tmpl = tmpl
		op.params = map[string]any{}
		given := map[string]string{}
		for _, p := range cfg.Params {
			given[p.Key] = p.Value
		}
		params, err := tmpl.ResolveParameters(given, s.resolveSSMParameter)
		if err != nil {
			return nil, asValidation(err)
		}
		op.params = params
		conds, err := tmpl.Conditions(op.env())
		if err != nil {
			return nil, asValidation(err)
		}
		op.conds = conds
		deps, err := tmpl.Dependencies()
		if err != nil {
			return nil, asValidation(err)
		}
		op.deps = map[string][]string{}
		for id, ds := range deps {
			if _, ok := tmpl.Resources[id]; !ok {
				continue
			}
			for _, d := range ds {
				if _, ok := tmpl.Resources[d]; ok && d != id {
					op.deps[id] = append(op.deps[id], d)
				}
			}
			sort.Strings(op.deps[id])
		}
	}
	return op, nil
}

// load reads the stack's resource records into the operation.
func (op *operation) load() error {
	var list []*resourceRecord
	if err := op.s.view(func(tx *store.Tx) error {
		var err error
		list, err = resources(tx, op.stackID)
		return err
	}); err != nil {
		return err
	}
	// The lock is taken outside store transactions, always before them.
	op.mu.Lock()
	defer op.mu.Unlock()
	for _, r := range list {
		op.res[r.LogicalID] = r
	}
	return nil
}

// env is the evaluation environment of the operation's template.
func (op *operation) env() *template.Env {
	return &template.Env{
		Parameters: op.params, AccountID: op.s.account, Region: op.s.region, StackName: op.st.Name, StackID: op.st.ID,
		Partition: "aws", URLSuffix: "amazonaws.com", AZs: op.s.azs(),
		Ref: op.ref, GetAtt: op.getAtt, ImportValue: op.importValue, Resolve: op.s.resolve,
	}
}

// azs are the region's availability zones, for Fn::GetAZs.
func (s *Service) azs() []string {
	return []string{s.region + "a", s.region + "b", s.region + "c"}
}

// dynamicValue stands, in a change set's evaluation, for a value known only when the
// change set runs.
const dynamicValue = "{{changeSet:KNOWN_AFTER_APPLY}}"

func (op *operation) ref(logicalID string) (string, bool) {
	op.mu.Lock()
	defer op.mu.Unlock()
	if op.planned && op.dynamic[logicalID] {
		return dynamicValue, true
	}
	r, ok := op.res[logicalID]
	if !ok || r.PhysicalID == "" {
		if op.planned {
			return dynamicValue, true
		}
		return "", false
	}
	return r.PhysicalID, true
}

func (op *operation) getAtt(logicalID, attr string) (any, error) {
	op.mu.Lock()
	defer op.mu.Unlock()
	var typ string
	if res, ok := op.tmpl.Resources[logicalID]; ok {
		typ = res.Type
	}
	if rt, ok := op.s.registry.Lookup(typ); ok && rt.Attributes != nil && !hasAttribute(rt.Attributes, attr) {
		return nil, errNoAttribute(logicalID, attr)
	}
	if op.planned && (op.dynamic[logicalID] || op.dynamicAtt[logicalID]) {
		return dynamicValue, nil
	}
	r, ok := op.res[logicalID]
	if !ok || r.PhysicalID == "" {
		if op.planned {
			return dynamicValue, nil
		}
		return nil, fmt.Errorf("Template error: resource %s is not available for Fn::GetAtt", logicalID)
	}
	v, ok := r.Attrs[attr]
	if !ok {
		return nil, errNoAttribute(logicalID, attr)
	}
	return v, nil
}

// hasAttribute reports whether attr is one of names; "Outputs.X" matches "Outputs.*".
func hasAttribute(names []string, attr string) bool {
	for _, n := range names {
		if n == attr || (strings.HasSuffix(n, ".*") && strings.HasPrefix(attr, strings.TrimSuffix(n, "*"))) {
			return true
		}
	}
	return false
}

func (op *operation) importValue(name string) (string, error) {
	var ex exportRecord
	err := op.s.db.View(func(tx *store.Tx) error { return tx.Get(bucketExports, name, &ex) })
	if errors.Is(err, store.ErrNotFound) {
		return "", fmt.Errorf("No export named %s found", name)
	}
	if err != nil {
		return "", err
	}
	op.mu.Lock()
	op.imports[name] = true
	op.mu.Unlock()
	return ex.Value, nil
}

// resolve serves {{resolve:ssm:...}} and {{resolve:ssm-secure:...}} references.
func (s *Service) resolve(service, key string) (string, error) {
	switch service {
	case "ssm":
		if s.ssm == nil {
			return "", errors.New("SSM parameters cannot be resolved: no SSM is configured")
		}
		return s.ssm(key)
	case "ssm-secure":
		if s.ssmSec == nil {
			return "", errors.New("SSM secure parameters cannot be resolved: no SSM is configured")
		}
		return s.ssmSec(key)
	}
	return "", fmt.Errorf("Dynamic references to %s are not supported", service)
}

// resolveSSMParameter reads parameters of type AWS::SSM::Parameter::Value<...>.
func (s *Service) resolveSSMParameter(name string) (string, error) {
	if s.ssm == nil {
		return "", errors.New("SSM parameters cannot be resolved: no SSM is configured")
	}
	return s.ssm(name)
}

// stop ends the operation's walk: running resources finish, no more start.
func (op *operation) stop(reason string) {
	op.stopOnce.Lock()
	defer op.stopOnce.Unlock()
	select {
	case <-op.stopCh:
	default:
		op.stopReason = reason
		close(op.stopCh)
	}
}

// restart gives a stopped operation a new stop channel, for its rollback: the
// rollback itself runs to the end.
func (op *operation) restart() {
	op.stopOnce.Lock()
	defer op.stopOnce.Unlock()
	select {
	case <-op.stopCh:
		op.stopCh = make(chan struct{})
	default:
	}
}

func (op *operation) stopped() bool {
	select {
	case <-op.stopChan():
		return true
	default:
		return false
	}
}

func (op *operation) reasonStopped() string {
	op.stopOnce.Lock()
	defer op.stopOnce.Unlock()
	return op.stopReason
}

func (op *operation) stopChan() chan struct{} {
	op.stopOnce.Lock()
	defer op.stopOnce.Unlock()
	return op.stopCh
}

// aborted reports whether the service is shutting down.
func (op *operation) aborted() bool { return op.ctx.Err() != nil }

// evalProps evaluates a resource's properties to JSON-shaped values.
func (op *operation) evalProps(res *template.Resource) (map[string]any, error) {
	if res.Properties.IsZero() {
		return map[string]any{}, nil
	}
	v, err := op.tmpl.Eval(res.Properties, op.env(), op.conds)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return map[string]any{}, nil
	}
	norm, err := normalize(v)
	if err != nil {
		return nil, err
	}
	m, ok := norm.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("Template format error: Properties of %s must be an object", res.LogicalID)
	}
	if res.Type == "AWS::CloudFormation::Stack" {
		op.addTemplateHash(m)
	}
	return m, nil
}

// normalize round-trips a value through JSON, as the store does, so that fresh and
// stored values compare equal.
func normalize(v any) (any, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("value cannot be represented as JSON: %w", err)
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// sameJSON reports whether two values encode to the same JSON.
func sameJSON(a, b any) bool {
	ra, err1 := json.Marshal(a)
	rb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ra) == string(rb)
}

// active lists the template's resources whose condition holds, in template order.
func (op *operation) active() []string {
	var out []string
	for _, id := range op.tmpl.ResourceOrder {
		r := op.tmpl.Resources[id]
		if r.Condition != "" && !op.conds[r.Condition] {
			continue
		}
		out = append(out, id)
	}
	return out
}

// resource returns a resource record by logical id.
func (op *operation) resource(id string) *resourceRecord {
	op.mu.Lock()
	defer op.mu.Unlock()
	return op.res[id]
}

// setResource changes a resource record (under the operation's lock), stores it and
// records an event of its new status.
func (op *operation) setResource(id string, fn func(r *resourceRecord), eventProps map[string]any) error {
	return op.steps(id, eventProps, fn)
}

// steps applies changes to a resource record one after the other, recording an event
// of the status each leaves, and stores the result: all in one transaction.
func (op *operation) steps(id string, eventProps map[string]any, fns ...func(r *resourceRecord)) error {
	if op.aborted() {
		return errAborted
	}
	op.mu.Lock()
	defer op.mu.Unlock()
	r := op.res[id]
	if r == nil {
		r = &resourceRecord{StackID: op.stackID, LogicalID: id}
		op.res[id] = r
	}
	snapshots := make([]resourceRecord, len(fns))
	for i, fn := range fns {
		fn(r)
		r.Updated = op.s.now()
		snapshots[i] = *r
	}
	return op.s.write(func(w *writer) error {
		last := &snapshots[len(snapshots)-1]
		if err := w.tx.Put(bucketResources, resourceKey(op.stackID, id), last); err != nil {
			return err
		}
		for i := range snapshots {
			sn := &snapshots[i]
			if err := w.event(op.st, op.token, id, sn.PhysicalID, sn.Type, sn.Status, sn.Reason, eventProps); err != nil {
				return err
			}
		}
		return nil
	})
}

// setStack changes the stack record (fn may be nil; an error from it abandons the
// change) and, when status is set, records a stack event.
func (op *operation) setStack(status, reason string, fn func(w *writer, st *stackRecord) error) error {
	if op.aborted() {
		return errAborted
	}
	return op.s.write(func(w *writer) error {
		st, err := getStack(w.tx, op.stackID)
		if err != nil {
			return err
		}
		if fn != nil {
			if err := fn(w, st); err != nil {
				return err
			}
		}
		if status != "" {
			st.Status, st.Reason = status, reason
		}
		if err := w.tx.Put(bucketStacks, st.ID, st); err != nil {
			return err
		}
		if status == "" {
			return nil
		}
		return w.event(st, op.token, "", "", "", status, reason, nil)
	})
}

// request builds a provider request for a resource.
func (op *operation) request(id, typ string, props map[string]any) *Request {
	return &Request{
		StackName: op.st.Name, StackID: op.st.ID, LogicalID: id, Type: typ, Properties: props,
		Region: op.s.region, AccountID: op.s.account, Invoker: op.s.invoker, svc: op.s, op: op,
	}
}

// reasonOf is the status reason of an error: a service error met by a provider as
// CloudFormation words it, the message of an API error, or the error's text.
func reasonOf(err error) string {
	var he *handlerError
	if errors.As(err, &he) {
		return he.Error()
	}
	if msg, ok := asAPI(err); ok {
		return msg
	}
	msg := err.Error()
	if msg == "" {
		msg = "Internal Failure"
	}
	return msg
}

// createResource creates one resource of the template.
func (op *operation) createResource(id string, updating bool) error {
	res := op.tmpl.Resources[id]
	rt, _ := op.s.registry.Lookup(res.Type)
	inProgress, complete, failed := stCreateInProgress, stCreateComplete, stCreateFailed
	props, err := op.evalProps(res)
	init := func(r *resourceRecord) {
		r.Type, r.PhysicalID, r.Props, r.Attrs = res.Type, "", props, nil
		r.DependsOn = op.deps[id]
		r.DeletionPolicy, r.ReplacePolicy = res.DeletionPolicy, res.UpdateReplacePolicy
		r.Metadata = metadataString(res.Metadata)
		if updating {
			r.Action = "Add"
		}
	}
	if err == nil {
		err = checkRequired(&rt, props)
	}
	if err != nil {
		if werr := op.setResource(id, func(r *resourceRecord) { init(r); r.Status, r.Reason = failed, reasonOf(err) }, nil); werr != nil {
			return werr
		}
		return err
	}
	shown := op.eventProps(res, props)
	if err := op.setResource(id, func(r *resourceRecord) { init(r); r.Status, r.Reason = inProgress, "" }, shown); err != nil {
		return err
	}
	result, err := op.callCreate(&rt, op.request(id, res.Type, props))
	if op.aborted() {
		return errAborted
	}
	if err != nil {
		if werr := op.setResource(id, func(r *resourceRecord) {
			// A provider that made something before failing says so, and the
			// rollback deletes it.
			if result != nil && result.PhysicalID != "" {
				r.PhysicalID, r.Attrs = result.PhysicalID, result.Attributes
			}
			r.Status, r.Reason = failed, reasonOf(err)
		}, shown); werr != nil {
			return werr
		}
		return err
	}
	return op.steps(id, shown, func(r *resourceRecord) {
		r.PhysicalID, r.Attrs, r.Status, r.Reason = result.PhysicalID, result.Attributes, inProgress, "Resource creation Initiated"
	}, func(r *resourceRecord) { r.Status, r.Reason = complete, "" })
}

// callCreate calls a provider's Create, guarding against a missing provider, a panic
// and a result without a physical id.
func (op *operation) callCreate(rt *ResourceType, req *Request) (res *Result, err error) {
	if rt.Provider == nil {
		return nil, fmt.Errorf("Unrecognized resource type: %s", req.Type)
	}
	defer func() {
		if p := recover(); p != nil {
			op.s.log.Error("cloudformation: provider panic", "type", req.Type, "logical_id", req.LogicalID, "panic", p)
			res, err = nil, errors.New("Internal Failure")
		}
	}()
	res, err = rt.Provider.Create(op.ctx, req)
	if err != nil {
		return res, err
	}
	if res == nil || res.PhysicalID == "" {
		err = errors.New("Internal Failure: the resource provider returned no physical id")
	}
	return res, err
}

func (op *operation) callUpdate(rt *ResourceType, req *Request, prior *Prior) (res *Result, err error) {
	if rt.Provider == nil {
		return nil, fmt.Errorf("Unrecognized resource type: %s", req.Type)
	}
	defer func() {
		if p := recover(); p != nil {
			op.s.log.Error("cloudformation: provider panic", "type", req.Type, "logical_id", req.LogicalID, "panic", p)
			res, err = nil, errors.New("Internal Failure")
		}
	}()
	return rt.Provider.Update(op.ctx, req, prior)
}

func (op *operation) callDelete(rt *ResourceType, req *Request, prior *Prior) (err error) {
	if rt.Provider == nil {
		return nil // a type that was never created by a provider leaves nothing behind
	}
	defer func() {
		if p := recover(); p != nil {
			op.s.log.Error("cloudformation: provider panic", "type", req.Type, "logical_id", req.LogicalID, "panic", p)
			err = errors.New("Internal Failure")
		}
	}()
	err = rt.Provider.Delete(op.ctx, req, prior)
	if err != nil && isNotFound(err) {
		return nil
	}
	return err
}

// checkRequired reports the first required property missing from props.
func checkRequired(rt *ResourceType, props map[string]any) error {
	for _, p := range rt.Required {
		if v, ok := props[p]; !ok || v == nil {
			return fmt.Errorf("Properties validation failed for resource with message: #: required key [%s] not found", p)
		}
	}
	return nil
}

func metadataString(m any) string {
	if m == nil {
		return ""
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return ""
	}
	return string(raw)
}

// deleteResource deletes one resource record's physical resource (or skips it when
// retained) and records the events.
func (op *operation) deleteResource(id string, retain bool) error {
	r := op.resource(id)
	if r == nil || r.Status == stDeleteComplete || r.Status == rsDeleteSkipped {
		return nil
	}
	if retain || r.DeletionPolicy == "Retain" || r.DeletionPolicy == "RetainExceptOnCreate" && !op.undoingCreate(r) {
		return op.setResource(id, func(r *resourceRecord) { r.Status, r.Reason = rsDeleteSkipped, "" }, nil)
	}
	if r.PhysicalID == "" {
		return op.setResource(id, func(r *resourceRecord) { r.Status, r.Reason = stDeleteComplete, "" }, nil)
	}
	if err := op.setResource(id, func(r *resourceRecord) { r.Status, r.Reason = stDeleteInProgress, "" }, nil); err != nil {
		return err
	}
	rt, _ := op.s.registry.Lookup(r.Type)
	err := op.callDelete(&rt, op.request(id, r.Type, r.Props), &Prior{PhysicalID: r.PhysicalID, Properties: r.Props, Attributes: r.Attrs})
	if op.aborted() {
		return errAborted
	}
	if err != nil {
		if werr := op.setResource(id, func(r *resourceRecord) { r.Status, r.Reason = stDeleteFailed, reasonOf(err) }, nil); werr != nil {
			return werr
		}
		return err
	}
	return op.setResource(id, func(r *resourceRecord) { r.Status, r.Reason = stDeleteComplete, "" }, nil)
}

// undoingCreate reports whether deleting r undoes the operation that created it (a
// create's rollback, or an update's rollback of a resource it added): the one time a
// RetainExceptOnCreate resource is deleted.
func (op *operation) undoingCreate(r *resourceRecord) bool {
	return op.rollingBack && (op.kind == "create" || r.Action == "Add")
}

// deleteAll deletes the given resources in reverse dependency order, independent ones
// in parallel; it returns the logical ids that failed, sorted.
func (op *operation) deleteAll(ids []string, retain map[string]bool) ([]string, error) {
	deps := map[string][]string{}
	op.mu.Lock()
	for _, id := range ids {
		if r := op.res[id]; r != nil {
			deps[id] = r.DependsOn
		}
	}
	op.mu.Unlock()
	var abortErr error
	var abortMu sync.Mutex
	res := walk(ids, reverse(deps), op.s.parallel, true, nil, func(id string) error {
		err := op.deleteResource(id, retain[id])
		if errors.Is(err, errAborted) {
			abortMu.Lock()
			abortErr = err
			abortMu.Unlock()
		}
		return err
	})
	if abortErr != nil || op.aborted() {
		return nil, errAborted
	}
	var failed []string
	for id := range res.failed {
		failed = append(failed, id)
	}
	failed = append(failed, res.skipped...)
	sort.Strings(failed)
	return failed, nil
}

// existing lists the logical ids of the resources that have (or may have) a physical
// resource or a failed record to clean, in logical id order.
func (op *operation) existing() []string {
	op.mu.Lock()
	defer op.mu.Unlock()
	var out []string
	for id, r := range op.res {
		if r.Status != stDeleteComplete && r.Status != rsDeleteSkipped {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// startTimer stops the operation after the stack's timeout.
func (op *operation) startTimer(minutes int32, reason string) func() {
	if minutes <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	fire := op.s.clock.After(time.Duration(minutes) * time.Minute)
	go func() {
		select {
		case <-fire:
			op.stop(reason)
		case <-done:
		case <-op.ctx.Done():
		}
	}()
	return func() { close(done) }
}

// failedList formats the logical ids of failed resources for a stack reason.
func failedList(failed map[string]error) []string {
	out := make([]string, 0, len(failed))
	for id, err := range failed {
		if errors.Is(err, errCancelled) {
			continue
		}
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// errCancelled marks resources whose operation was cancelled by another's failure or
// a timeout.
var errCancelled = errors.New("Resource creation cancelled")

// eventProps is what a resource's events show of its properties: nothing when they
// hold a {{resolve:ssm-secure:...}} reference, and NoEcho parameter values masked.
func (op *operation) eventProps(res *template.Resource, props map[string]any) map[string]any {
	if res != nil && !res.Properties.IsZero() {
		if raw, err := json.Marshal(res.Properties.Raw()); err == nil && strings.Contains(string(raw), "{{resolve:ssm-secure:") {
			return nil
		}
	}
	var secrets []string
	if op.cfg != nil {
		for _, p := range op.cfg.Params {
			if p.NoEcho && p.Value != "" {
				secrets = append(secrets, p.Value)
			}
		}
	}
	if len(secrets) == 0 {
		return props
	}
	masked, _ := maskValue(props, secrets).(map[string]any)
	return masked
}

// maskValue replaces the secrets in the strings of v with "****".
func maskValue(v any, secrets []string) any {
	switch x := v.(type) {
	case string:
		for _, s := range secrets {
			x = strings.ReplaceAll(x, s, "****")
		}
		return x
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = maskValue(e, secrets)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = maskValue(e, secrets)
		}
		return out
	}
	return v
}
