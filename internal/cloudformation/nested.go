package cloudformation

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"

	"github.com/wharf-dev/wharf/internal/store"
)

// templateHashProperty is added to a nested stack's evaluated properties: the hash of
// the child template's text, so that a changed template file is an update even when
// its TemplateURL is the same. Providers ignore it.
const templateHashProperty = "Wharf::TemplateSHA256"

// addTemplateHash adds the hash of the nested template a stack resource names.
func (op *operation) addTemplateHash(props map[string]any) {
	u, ok := props["TemplateURL"].(string)
	if !ok {
		return
	}
	base := ""
	if op.cfg != nil {
		base = op.cfg.TemplatePath
	}
	path, err := filePath(u, base)
	if err != nil {
		return
	}
	text, err := readTemplateFile(path)
	if err != nil {
		return
	}
	sum := sha256.Sum256([]byte(text))
	props[templateHashProperty] = hex.EncodeToString(sum[:])
}

// nestedStack is the provider of AWS::CloudFormation::Stack: a child stack created,
// updated and deleted by this service, within the parent's operation.
type nestedStack struct{}

func nestedStackType() ResourceType {
	return ResourceType{
		Provider:   nestedStack{},
		Required:   []string{"TemplateURL"},
		Attributes: []string{"Outputs.*"},
	}
}

// childConfig prepares a nested stack's template and parameters.
func (nestedStack) childConfig(ctx context.Context, req *Request, prev *stackConfig) (*prepared, error) {
	u, _ := req.Properties["TemplateURL"].(string)
	if u == "" {
		return nil, errors.New("Properties validation failed for resource with message: #/TemplateURL: expected type: String")
	}
	parent := req.op
	base := ""
	var caps []string
	if parent.cfg != nil {
		base, caps = parent.cfg.TemplatePath, parent.cfg.Capabilities
	}
	path, err := filePath(u, base)
	if err != nil {
		return nil, errors.New(errMessage(err))
	}
	if (parent.cfg == nil || !parent.cfg.Trusted) && !req.svc.inTemplateDirs(path) {
		return nil, fmt.Errorf("TemplateURL %s is outside the directories Wharf serves templates from to this stack's creator", u)
	}
	body, err := readTemplateFile(path)
	if err != nil {
		return nil, errors.New(errMessage(err))
	}
	var params []Parameter
	if m, ok := req.Properties["Parameters"].(map[string]any); ok {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			params = append(params, Parameter{ParameterKey: ptr(k), ParameterValue: ptr(stringify(m[k]))})
		}
	}
	tags := tagsProperty(req.Properties["Tags"])
	if tags == nil && parent.cfg != nil {
		tags = parent.cfg.Tags
	}
	prep, err := req.svc.prepare(ctx, body, path, params, prev, caps, tags)
	if err != nil {
		return nil, errors.New(errMessage(err))
	}
	prep.cfg.Trusted = parent.cfg != nil && parent.cfg.Trusted
	return prep, nil
}

// tagsProperty reads a Tags property ([{Key, Value}]) as tag records.
func tagsProperty(v any) []tagRecord {
	list, ok := v.([]any)
	if !ok {
		return nil
	}
	var out []tagRecord
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			continue
		}
		k, _ := m["Key"].(string)
		val, _ := m["Value"].(string)
		if k != "" {
			out = append(out, tagRecord{Key: k, Value: val})
		}
	}
	return out
}

func (n nestedStack) Create(ctx context.Context, req *Request) (*Result, error) {
	s, parent := req.svc, req.op
	prep, err := n.childConfig(ctx, req, nil)
	if err != nil {
		return nil, err
	}
	name := req.PhysicalName(128)
	root := parent.st.RootID
	if root == "" {
		root = parent.st.ID
	}
	onFailure := "ROLLBACK"
	if parent.st.DisableRollback {
		onFailure = "DO_NOTHING"
	}
	timeout := int32(0)
	if f, ok := req.Properties["TimeoutInMinutes"].(float64); ok && f > 0 {
		timeout = int32(f)
	}
	st, err := s.createStackRecord(name, prep, parent.token, "", func(st *stackRecord) {
		st.ParentID, st.RootID = parent.st.ID, root
		st.DisableRollback = onFailure == "DO_NOTHING"
		st.Timeout = timeout
		st.Op = &opState{Kind: "create", Token: parent.token, OnFailure: onFailure, Principal: callerOf(ctx)}
	})
	if err != nil {
		return nil, errors.New(errMessage(err))
	}
	op, err := s.newOperation(ctx, st, &st.stackConfig, parent.token)
	if err != nil {
		return nil, errors.New(errMessage(err))
	}
	if err := s.runSync(op, func() error { return s.runCreate(op, onFailure, timeout) }); err != nil {
		return nil, err
	}
	return s.nestedResult(st.ID, stCreateComplete, "created")
}

// nestedResult reads a child stack's outcome: its outputs as attributes when it
// reached want, an error with its status and reason otherwise. The physical id is
// the child's stack id even on failure, so that a rollback can delete it.
func (s *Service) nestedResult(id, want, verb string) (*Result, error) {
	var st *stackRecord
	if err := s.view(func(tx *store.Tx) error {
		var err error
		st, err = getStack(tx, id)
		return err
	}); err != nil {
		return nil, err
	}
	if st.Status != want {
		return &Result{PhysicalID: id}, fmt.Errorf("Embedded stack %s was not successfully %s: %s", id, verb, st.Reason)
	}
	attrs := map[string]any{}
	for _, o := range st.Outputs {
		attrs["Outputs."+o.Key] = o.Value
	}
	return &Result{PhysicalID: id, Attributes: attrs}, nil
}

func (n nestedStack) Update(ctx context.Context, req *Request, prior *Prior) (*Result, error) {
	s := req.svc
	var cur *stackRecord
	if err := s.view(func(tx *store.Tx) error {
		var err error
		cur, err = getStack(tx, prior.PhysicalID)
		return err
	}); err != nil {
		return nil, fmt.Errorf("Embedded stack %s does not exist", prior.PhysicalID)
	}
	prep, err := n.childConfig(ctx, req, &cur.stackConfig)
	if err != nil {
		return nil, err
	}
	changes, other, err := s.plan(ctx, cur, prep)
	if err != nil {
		return nil, errors.New(errMessage(err))
	}
	if len(changes) == 0 && !other {
		return s.nestedResult(cur.ID, cur.Status, "updated")
	}
	if err := s.startUpdateSync(ctx, cur.ID, &prep.cfg, req.op.token, req.op.st.DisableRollback); err != nil {
		return nil, err
	}
	res, err := s.nestedResult(cur.ID, stUpdateComplete, "updated")
	if err != nil {
		return nil, err
	}
	return res, nil
}

func (nestedStack) Delete(ctx context.Context, req *Request, prior *Prior) error {
	s := req.svc
	var st *stackRecord
	if err := s.view(func(tx *store.Tx) error {
		var err error
		st, err = getStack(tx, prior.PhysicalID)
		return err
	}); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	}
	if st.Status == stDeleteComplete {
		return nil
	}
	if err := s.write(func(w *writer) error {
		cur, err := getStack(w.tx, st.ID)
		if err != nil {
			return err
		}
		cur.Status, cur.Reason = stDeleteInProgress, "User Initiated"
		cur.Op = &opState{Kind: "delete", Token: req.op.token, Principal: callerOf(ctx)}
		st = cur
		if err := w.tx.Put(bucketStacks, cur.ID, cur); err != nil {
			return err
		}
		return w.event(cur, req.op.token, "", "", "", stDeleteInProgress, "User Initiated", nil)
	}); err != nil {
		return err
	}
	op, err := s.newOperation(ctx, st, nil, req.op.token)
	if err != nil {
		return err
	}
	err = s.runSync(op, func() error {
		if err := op.load(); err != nil {
			return err
		}
		return s.runDelete(op, nil)
	})
	if err != nil {
		return err
	}
	_, err = s.nestedResult(st.ID, stDeleteComplete, "deleted")
	return err
}

// startUpdateSync updates a nested stack within the parent's operation.
func (s *Service) startUpdateSync(ctx context.Context, stackID string, cfg *stackConfig, token string, disableRollback bool) error {
	st, err := s.beginUpdate(ctx, stackID, cfg, token, "", disableRollback, "")
	if err != nil {
		return errors.New(errMessage(err))
	}
	op, err := s.newOperation(ctx, st, &st.stackConfig, token)
	if err != nil {
		return errors.New(errMessage(err))
	}
	return s.runSync(op, func() error {
		if err := op.load(); err != nil {
			return err
		}
		return s.runUpdate(op, disableRollback)
	})
}
