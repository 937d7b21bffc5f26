package template

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
)

// Env is what evaluation can see.
type Env struct {
	// Parameters are the parameter values, from ResolveParameters (string or
	// []string).
	Parameters map[string]any
	// AccountID, Region, StackName, StackID, Partition and URLSuffix are the pseudo
	// parameters' values; Partition defaults to "aws" and URLSuffix to
	// "amazonaws.com" (their China and GovCloud forms for those regions).
	AccountID, Region, StackName, StackID, Partition, URLSuffix string
	// NotificationARNs is AWS::NotificationARNs.
	NotificationARNs []string
	// AZs are what Fn::GetAZs returns for the stack's region; default
	// ["<region>a", "<region>b", "<region>c"].
	AZs []string
	// Ref returns a created resource's physical id; false when it has none (yet).
	Ref func(logicalID string) (string, bool)
	// GetAtt returns a created resource's attribute.
	GetAtt func(logicalID, attribute string) (any, error)
	// ImportValue returns the value another stack exports under a name.
	ImportValue func(exportName string) (string, error)
	// Resolve answers a dynamic reference {{resolve:service:key}}, such as
	// {{resolve:ssm:name:version}} or {{resolve:ssm-secure:name}}.
	Resolve func(service, key string) (string, error)
}

// noValueT is the value of Ref AWS::NoValue: the member or element it is in is
// removed.
type noValueT struct{}

var noValue = noValueT{}

// number is a template number, with its source text.
type number struct {
	text  string
	isInt bool
	i     int64
	f     float64
}

// evalMode tells what an evaluation may refer to.
type evalMode uint8

const (
	modeResources  evalMode = iota // resources, outputs: everything
	modeConditions                 // the Conditions section: parameters and pseudo parameters
	modeRules                      // the Rules section: parameters and pseudo parameters
)

// evaluator evaluates nodes of one template against one Env.
type evaluator struct {
	t     *Template
	env   *Env
	conds map[string]bool
	mode  evalMode
	ce    *condEval
}

func newEvaluator(t *Template, env *Env, conds map[string]bool) *evaluator {
	if t == nil {
		t = &Template{}
	}
	if env == nil {
		env = &Env{}
	}
	return &evaluator{t: t, env: env, conds: conds}
}

// Eval evaluates a node to plain JSON-like values (map[string]any, []any, string,
// float64/int, bool, nil) with every intrinsic resolved; AWS::NoValue removes the
// member or list element; conditions from the map decide Fn::If (nil conds: they
// are evaluated from env as needed). Dynamic references in strings are resolved
// with env.Resolve.
func (t *Template) Eval(n Node, env *Env, conds map[string]bool) (any, error) {
	if n.n == nil {
		return nil, nil
	}
	e := newEvaluator(t, env, conds)
	v, err := e.eval(n.n)
	if err != nil {
		return nil, err
	}
	if v == noValue {
		return nil, nil
	}
	return e.finalize(v, &locator{root: n.n})
}

// Conditions evaluates every condition.
func (t *Template) Conditions(env *Env) (map[string]bool, error) {
	e := newEvaluator(t, env, nil)
	e.mode = modeConditions
	e.ce = &condEval{e: e, done: map[string]bool{}, visiting: map[string]bool{}}
	for _, name := range t.ConditionOrder {
		if _, err := e.ce.get(name, nil); err != nil {
			return nil, err
		}
	}
	return e.ce.done, nil
}

// condEval evaluates named conditions once each, finding cycles.
type condEval struct {
	e        *evaluator
	done     map[string]bool
	visiting map[string]bool
	stack    []string
}

func (c *condEval) get(name string, at *node) (bool, error) {
	if v, ok := c.done[name]; ok {
		return v, nil
	}
	n, ok := c.e.t.ConditionNodes[name]
	if !ok {
		return false, formatError(at, "Unresolved condition dependencies %s in the Conditions block of the template", nameList([]string{name}))
	}
	if c.visiting[name] {
		var cycle []string
		for i, s := range c.stack {
			if s == name {
				cycle = append(cycle, c.stack[i:]...)
				break
			}
		}
		return false, formatError(n.n, "Circular dependency between conditions: %s", nameList(cycle))
	}
	c.visiting[name] = true
	c.stack = append(c.stack, name)
	v, err := c.e.boolOf(n.n)
	c.stack = c.stack[:len(c.stack)-1]
	delete(c.visiting, name)
	if err != nil {
		return false, err
	}
	c.done[name] = v
	return v, nil
}

// condition looks a named condition up; how says where it was named, for the error.
func (e *evaluator) condition(name string, at *node, how string) (bool, error) {
	if e.ce != nil {
		return e.ce.get(name, at)
	}
	if e.conds == nil {
		conds, err := e.t.Conditions(e.env)
		if err != nil {
			return false, err
		}
		e.conds = conds
	}
	v, ok := e.conds[name]
	if !ok {
		return false, templateError(at, "unresolved condition dependency %s in %s", name, how)
	}
	return v, nil
}

const notBoolean = "Conditions can only be boolean operations on parameters and other conditions"

// boolOf evaluates a condition expression.
func (e *evaluator) boolOf(n *node) (bool, error) {
	if n == nil {
		return false, templateError(n, notBoolean)
	}
	switch n.kind {
	case kindBool:
		return n.b, nil
	case kindString:
		if b, err := strconv.ParseBool(n.s); err == nil && (strings.EqualFold(n.s, "true") || strings.EqualFold(n.s, "false")) {
			return b, nil
		}
	case kindMap:
		if len(n.keys) == 1 && n.keys[0] == "Condition" && n.items[0].kind == kindString {
			return e.condition(n.items[0].s, n, "Condition")
		}
	case kindFunc:
		a := n.arg()
		switch n.s {
		case "Fn::Equals":
			if a == nil || a.kind != kindList || len(a.items) != 2 {
				return false, templateError(n, "Fn::Equals requires a list argument with two elements")
			}
			x, err := e.eval(a.items[0])
			if err != nil {
				return false, err
			}
			y, err := e.eval(a.items[1])
			if err != nil {
				return false, err
			}
			return equalValues(x, y), nil
		case "Fn::And", "Fn::Or":
			if a == nil || a.kind != kindList || len(a.items) < 2 || len(a.items) > 10 {
				return false, templateError(n, "every %s object requires a list of at least 2 and at most 10 boolean parameters.", n.s)
			}
			and := n.s == "Fn::And"
			for _, it := range a.items {
				b, err := e.boolOf(it)
				if err != nil {
					return false, err
				}
				if b != and {
					return b, nil
				}
			}
			return and, nil
		case "Fn::Not":
			if a == nil || a.kind != kindList || len(a.items) != 1 {
				return false, templateError(n, "Fn::Not requires a list argument with one element")
			}
			b, err := e.boolOf(a.items[0])
			return !b, err
		case "Condition":
			if a == nil || a.kind != kindString {
				return false, templateError(n, "All Conditions must be of type string")
			}
			return e.condition(a.s, n, "Condition")
		case "Fn::Contains", "Fn::EachMemberEquals", "Fn::EachMemberIn":
			if e.mode == modeRules {
				return e.ruleFunction(n)
			}
		}
		v, err := e.eval(n)
		if err != nil {
			return false, err
		}
		if s, ok := scalarString(v); ok && (strings.EqualFold(s, "true") || strings.EqualFold(s, "false")) {
			return strings.EqualFold(s, "true"), nil
		}
	}
	return false, templateError(n, notBoolean)
}

// eval evaluates a node to internal values: string, number, bool, nil, []any,
// map[string]any, or noValue.
func (e *evaluator) eval(n *node) (any, error) {
	switch n.kind {
	case kindNull:
		return nil, nil
	case kindBool:
		return n.b, nil
	case kindInt:
		return number{text: n.s, isInt: true, i: n.i}, nil
	case kindFloat:
		return number{text: n.s, f: n.f}, nil
	case kindString:
		return n.s, nil
	case kindList:
		out := make([]any, 0, len(n.items))
		for _, it := range n.items {
			v, err := e.eval(it)
			if err != nil {
				return nil, err
			}
			if v != noValue {
				out = append(out, v)
			}
		}
		return out, nil
	case kindMap:
		out := make(map[string]any, len(n.keys))
		for i, k := range n.keys {
			v, err := e.eval(n.items[i])
			if err != nil {
				return nil, err
			}
			if v != noValue {
				out[k] = v
			}
		}
		return out, nil
	case kindFunc:
		return e.call(n)
	}
	return nil, templateError(n, "unsupported value")
}

// call evaluates an intrinsic function.
func (e *evaluator) call(n *node) (any, error) {
	a := n.arg()
	switch n.s {
	case "Ref":
		return e.ref(n, a)
	case "Fn::GetAtt":
		return e.getAtt(n, a)
	case "Fn::Sub":
		return e.sub(n, a)
	case "Fn::Join":
		return e.join(n, a)
	case "Fn::Select":
		return e.selectFn(n, a)
	case "Fn::Split":
		return e.split(n, a)
	case "Fn::FindInMap":
		return e.findInMap(n, a)
	case "Fn::Base64":
		s, err := e.evalString(a, n, "every Fn::Base64 object must have a String-typed value.")
		if err != nil {
			return nil, err
		}
		return base64.StdEncoding.EncodeToString([]byte(s)), nil
	case "Fn::Cidr":
		return e.cidr(n, a)
	case "Fn::GetAZs":
		return e.getAZs(n, a)
	case "Fn::ImportValue":
		if e.mode != modeResources {
			return nil, formatError(n, "Fn::ImportValue cannot be used in the %s block of the template", modeSection(e.mode))
		}
		name, err := e.evalString(a, n, "every Fn::ImportValue object must have a String-typed value.")
		if err != nil {
			return nil, err
		}
		if e.env.ImportValue == nil {
			return nil, templateError(n, "Fn::ImportValue cannot be evaluated here: no exports are available")
		}
		v, err := e.env.ImportValue(name)
		if err != nil {
			return nil, callbackError(n, err)
		}
		return v, nil
	case "Fn::If":
		return e.ifFn(n, a)
	case "Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not", "Condition":
		return e.boolOf(n)
	case "Fn::Length":
		v, err := e.eval(a)
		if err != nil {
			return nil, err
		}
		l, ok := v.([]any)
		if !ok {
			return nil, templateError(n, "Fn::Length requires a list argument")
		}
		return number{text: strconv.Itoa(len(l)), isInt: true, i: int64(len(l))}, nil
	case "Fn::ToJsonString":
		v, err := e.eval(a)
		if err != nil {
			return nil, err
		}
		if v == noValue {
			v = nil
		}
		out, err := e.finalize(v, &locator{root: n})
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(out)
		if err != nil {
			return nil, templateError(n, "Fn::ToJsonString cannot encode its argument: %v", err)
		}
		return string(b), nil
	case "Fn::Transform":
		return nil, templateError(n, "Fn::Transform is not supported: Wharf runs no macros")
	}
	if e.mode == modeRules {
		return nil, templateError(n, "%s is not supported: Wharf does not look up the values of AWS-specific parameter types", n.s)
	}
	return nil, templateError(n, "%s can only be used in the Rules section of a template", n.s)
}

// modeSection names the section a mode evaluates.
func modeSection(m evalMode) string {
	switch m {
	case modeConditions:
		return "Conditions"
	case modeRules:
		return "Rules"
	}
	return "Resources"
}

// section is the top-level section a node is in ("Resources" when unknown).
func section(n *node) string {
	for c := n; c != nil; c = c.parent {
		if c.parent != nil && c.parent.parent == nil && c.parent.kind == kindMap {
			return c.key
		}
	}
	return "Resources"
}

// unresolved is AWS's error for a name that is neither a parameter nor a resource.
func (e *evaluator) unresolved(at *node, name string) *Error {
	if e.mode != modeResources {
		return formatError(at, "Unresolved dependencies %s. Cannot reference resources in the %s block of the template", nameList([]string{name}), modeSection(e.mode))
	}
	return formatError(at, "Unresolved resource dependencies %s in the %s block of the template", nameList([]string{name}), section(at))
}

// pseudo returns a pseudo parameter's value.
func (e *evaluator) pseudo(at *node, name string) (any, error) {
	env := e.env
	switch name {
	case "AWS::AccountId":
		return env.AccountID, nil
	case "AWS::Region":
		return env.Region, nil
	case "AWS::StackName":
		return env.StackName, nil
	case "AWS::StackId":
		return env.StackID, nil
	case "AWS::Partition":
		if env.Partition != "" {
			return env.Partition, nil
		}
		switch {
		case strings.HasPrefix(env.Region, "cn-"):
			return "aws-cn", nil
		case strings.HasPrefix(env.Region, "us-gov-"):
			return "aws-us-gov", nil
		}
		return "aws", nil
	case "AWS::URLSuffix":
		if env.URLSuffix != "" {
			return env.URLSuffix, nil
		}
		if strings.HasPrefix(env.Region, "cn-") {
			return "amazonaws.com.cn", nil
		}
		return "amazonaws.com", nil
	case "AWS::NoValue":
		return noValue, nil
	case "AWS::NotificationARNs":
		out := make([]any, len(env.NotificationARNs))
		for i, s := range env.NotificationARNs {
			out[i] = s
		}
		return out, nil
	}
	return nil, e.unresolved(at, name)
}

// isPseudo reports whether name is a pseudo parameter.
func isPseudo(name string) bool {
	switch name {
	case "AWS::AccountId", "AWS::Region", "AWS::StackName", "AWS::StackId", "AWS::Partition",
		"AWS::URLSuffix", "AWS::NoValue", "AWS::NotificationARNs":
		return true
	}
	return false
}

// parameter returns a parameter's value, if name is a parameter.
func (e *evaluator) parameter(at *node, name string) (any, bool, error) {
	v, has := e.env.Parameters[name]
	if _, declared := e.t.Parameters[name]; !declared && !has {
		return nil, false, nil
	}
	if !has {
		return nil, true, errAt(at, "Parameters: [%s] must have values", name)
	}
	switch x := v.(type) {
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out, true, nil
	}
	return v, true, nil
}

// resource checks that a resource exists and will be created (its condition
// holds), for a Ref or Fn::GetAtt to it.
func (e *evaluator) resource(at *node, id string) (bool, error) {
	r, ok := e.t.Resources[id]
	if !ok {
		return false, nil
	}
	if e.mode != modeResources {
		return true, e.unresolved(at, id)
	}
	if r.Condition != "" {
		on, err := e.condition(r.Condition, at, "the Resources block of the template")
		if err != nil {
			return true, err
		}
		if !on {
			return true, formatError(at, "Unresolved resource dependencies %s in the %s block of the template", nameList([]string{id}), section(at))
		}
	}
	return true, nil
}

func (e *evaluator) ref(n, a *node) (any, error) {
	if a == nil || a.kind != kindString {
		return nil, formatError(n, "Every Ref object must have a single String value.")
	}
	name := a.s
	if strings.HasPrefix(name, "AWS::") {
		return e.pseudo(n, name)
	}
	if v, ok, err := e.parameter(n, name); ok || err != nil {
		return v, err
	}
	ok, err := e.resource(n, name)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, e.unresolved(n, name)
	}
	if e.env.Ref == nil {
		return nil, templateError(n, "reference %s not ready", name)
	}
	id, ok := e.env.Ref(name)
	if !ok {
		return nil, templateError(n, "reference %s not ready", name)
	}
	return id, nil
}

func (e *evaluator) getAtt(n, a *node) (any, error) {
	if a == nil || a.kind != kindList || len(a.items) != 2 || a.items[0].kind != kindString || a.items[0].s == "" {
		return nil, templateError(n, "Fn::GetAtt requires a list argument with two elements: the logical name of a resource and an attribute name")
	}
	id := a.items[0].s
	attr, err := e.evalString(a.items[1], n, "Fn::GetAtt requires a list argument with two elements: the logical name of a resource and an attribute name")
	if err != nil {
		return nil, err
	}
	return e.attribute(n, id, attr)
}

// attribute returns a resource's attribute, for Fn::GetAtt and Fn::Sub.
func (e *evaluator) attribute(at *node, id, attr string) (any, error) {
	ok, err := e.resource(at, id)
	if err != nil {
		return nil, err
	}
	if !ok {
		if e.mode != modeResources {
			return nil, e.unresolved(at, id)
		}
		return nil, templateError(at, "instance of Fn::GetAtt references undefined resource %s", id)
	}
	if e.env.GetAtt == nil {
		return nil, templateError(at, "reference %s not ready", id)
	}
	v, err := e.env.GetAtt(id, attr)
	if err != nil {
		return nil, callbackError(at, err)
	}
	if l, ok := v.([]string); ok {
		out := make([]any, len(l))
		for i, s := range l {
			out[i] = s
		}
		return out, nil
	}
	return v, nil
}

// callbackError wraps an error from an Env callback, keeping an *Error as it is.
func callbackError(at *node, err error) error {
	var te *Error
	if errors.As(err, &te) {
		if te.Path == "" && at != nil {
			c := *te
			c.Path, c.Line, c.Column = at.path(), int(at.line), int(at.col)
			return &c
		}
		return err
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "Template") {
		msg = "Template error: " + msg
	}
	e := errAt(at, "%s", msg)
	e.Err = err
	return e
}

// evalString evaluates a node that must give a string (a number or bool is
// written as its text).
func (e *evaluator) evalString(n, at *node, msg string) (string, error) {
	if n == nil {
		return "", templateError(at, "%s", msg)
	}
	v, err := e.eval(n)
	if err != nil {
		return "", err
	}
	s, ok := scalarString(v)
	if !ok {
		return "", templateError(at, "%s", msg)
	}
	return s, nil
}

// scalarString is the text of a scalar value.
func scalarString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case number:
		return x.text, true
	case bool:
		return strconv.FormatBool(x), true
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	}
	return "", false
}

// equalValues compares two values as Fn::Equals does: scalars by their text.
func equalValues(a, b any) bool {
	if as, ok := scalarString(a); ok {
		bs, ok := scalarString(b)
		return ok && as == bs
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalValues(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !equalValues(v, w) {
				return false
			}
		}
		return true
	}
	return false
}

const subArgsError = "One or more Fn::Sub intrinsic functions don't specify expected arguments. Specify a string as first argument, and an optional second argument to specify a mapping of values to replace in the string"

func (e *evaluator) sub(n, a *node) (any, error) {
	str, vars := subArgs(a)
	if a == nil || str == nil || (a.kind == kindList && (len(a.items) != 2 || vars == nil)) {
		return nil, templateError(n, subArgsError)
	}
	var ss *subString
	if str.kind == kindString {
		ss = parseSub(str)
	} else {
		s, err := e.evalString(str, n, subArgsError)
		if err != nil {
			return nil, err
		}
		ss = parseSubText(s)
	}
	if ss.hasBad {
		return nil, templateError(n, subNameError)
	}
	lookup := memberIndex(vars)
	var b strings.Builder
	for _, p := range ss.parts {
		if !p.isVar {
			b.WriteString(p.text)
			continue
		}
		v, err := e.subVar(n, p.text, lookup(p.text))
		if err != nil {
			return nil, err
		}
		s, ok := scalarString(v)
		if !ok {
			return nil, templateError(n, "variable %s in Fn::Sub expression does not resolve to a string", p.text)
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

// subVar resolves one ${Name} of an Fn::Sub.
// def is the variable's definition in the substitution's own map, if any.
func (e *evaluator) subVar(n *node, name string, def *node) (any, error) {
	if def != nil {
		return e.eval(def)
	}
	if strings.HasPrefix(name, "AWS::") {
		return e.pseudo(n, name)
	}
	if id, attr, dotted := strings.Cut(name, "."); dotted {
		if _, ok := e.t.Resources[id]; !ok {
			return nil, e.unresolved(n, id)
		}
		return e.attribute(n, id, attr)
	}
	if v, ok, err := e.parameter(n, name); ok || err != nil {
		return v, err
	}
	ok, err := e.resource(n, name)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, e.unresolved(n, name)
	}
	if e.env.Ref == nil {
		return nil, templateError(n, "reference %s not ready", name)
	}
	id, ok := e.env.Ref(name)
	if !ok {
		return nil, templateError(n, "reference %s not ready", name)
	}
	return id, nil
}

const joinError = "every Fn::Join object requires two parameters, (1) a string delimiter and (2) a list of strings to be joined or a function that returns a list of strings (such as Fn::GetAZs) to be joined."

func (e *evaluator) join(n, a *node) (any, error) {
	if a == nil || a.kind != kindList || len(a.items) != 2 {
		return nil, templateError(n, joinError)
	}
	delim, err := e.evalString(a.items[0], n, joinError)
	if err != nil {
		return nil, err
	}
	v, err := e.eval(a.items[1])
	if err != nil {
		return nil, err
	}
	list, ok := v.([]any)
	if !ok {
		return nil, templateError(n, joinError)
	}
	parts := make([]string, len(list))
	for i, it := range list {
		s, ok := scalarString(it)
		if !ok {
			return nil, templateError(n, joinError)
		}
		parts[i] = s
	}
	return strings.Join(parts, delim), nil
}

const selectIndexError = "Fn::Select requires a list argument with a valid index value as its first element"
const selectListError = "Fn::Select requires a list argument with two elements: an integer index and a list"

func (e *evaluator) selectFn(n, a *node) (any, error) {
	if a == nil || a.kind != kindList || len(a.items) == 0 {
		return nil, templateError(n, selectIndexError)
	}
	idx, err := e.evalString(a.items[0], n, selectIndexError)
	if err != nil {
		return nil, err
	}
	i, err := strconv.Atoi(strings.TrimSpace(idx))
	if err != nil {
		return nil, templateError(n, selectIndexError)
	}
	if len(a.items) != 2 {
		return nil, templateError(n, selectListError)
	}
	v, err := e.eval(a.items[1])
	if err != nil {
		return nil, err
	}
	list, ok := v.([]any)
	if !ok {
		return nil, templateError(n, selectListError)
	}
	if i < 0 || i >= len(list) {
		return nil, templateError(n, "Fn::Select cannot select nonexistent value at index %d", i)
	}
	return list[i], nil
}

const splitError = "every Fn::Split object requires two parameters, (1) a string delimiter and (2) a string to be split or a function that returns a string to be split."

func (e *evaluator) split(n, a *node) (any, error) {
	if a == nil || a.kind != kindList || len(a.items) != 2 {
		return nil, templateError(n, splitError)
	}
	delim, err := e.evalString(a.items[0], n, splitError)
	if err != nil {
		return nil, err
	}
	if delim == "" {
		return nil, templateError(n, splitError)
	}
	src, err := e.evalString(a.items[1], n, splitError)
	if err != nil {
		return nil, err
	}
	parts := strings.Split(src, delim)
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out, nil
}

const findInMapError = "every Fn::FindInMap object requires three parameters, the map name, map key and the attribute for return value"

func (e *evaluator) findInMap(n, a *node) (any, error) {
	if a == nil || a.kind != kindList || (len(a.items) != 3 && len(a.items) != 4) {
		return nil, templateError(n, findInMapError)
	}
	var keys [3]string
	for i := range keys {
		s, err := e.evalString(a.items[i], n, findInMapError)
		if err != nil {
			return nil, err
		}
		keys[i] = s
	}
	var def *node
	if len(a.items) == 4 {
		opt := a.items[3]
		def = opt.get("DefaultValue")
		if opt.kind != kindMap || len(opt.keys) != 1 || def == nil {
			return nil, templateError(n, "the optional fourth argument of Fn::FindInMap must be a map with a DefaultValue member")
		}
	}
	m, ok := e.t.Mappings[keys[0]]
	if !ok && def == nil {
		return nil, templateError(n, "Mapping named '%s' is not present in the 'Mappings' section of template", keys[0])
	}
	v, found := m[keys[1]][keys[2]]
	if !found {
		if def != nil {
			return e.eval(def)
		}
		return nil, templateError(n, "Unable to get mapping for %s::%s::%s", keys[0], keys[1], keys[2])
	}
	return v, nil
}

const ifError = "Fn::If requires a list argument with the first element being a condition"

func (e *evaluator) ifFn(n, a *node) (any, error) {
	if a == nil || a.kind != kindList || len(a.items) == 0 || a.items[0].kind != kindString {
		return nil, templateError(n, ifError)
	}
	if len(a.items) != 3 {
		return nil, templateError(n, "Fn::If requires a list argument with three elements")
	}
	on, err := e.condition(a.items[0].s, n, "Fn::If")
	if err != nil {
		return nil, err
	}
	if on {
		return e.eval(a.items[1])
	}
	return e.eval(a.items[2])
}

func (e *evaluator) getAZs(n, a *node) (any, error) {
	region := ""
	if a != nil && a.kind != kindNull {
		s, err := e.evalString(a, n, "every Fn::GetAZs object must have a String-typed value.")
		if err != nil {
			return nil, err
		}
		region = s
	}
	if region == "" {
		region = e.env.Region
	}
	var azs []string
	if region == e.env.Region && len(e.env.AZs) > 0 {
		azs = e.env.AZs
	} else if region != "" {
		azs = []string{region + "a", region + "b", region + "c"}
	}
	out := make([]any, len(azs))
	for i, z := range azs {
		out[i] = z
	}
	return out, nil
}

// finalize converts internal values to plain ones and resolves dynamic references
// in strings. It copies lists and maps, so a value an Env callback returned is
// never changed. at locates the value in the template, for errors.
func (e *evaluator) finalize(v any, at *locator) (any, error) {
	switch x := v.(type) {
	case number:
		if x.isInt {
			return intValue(x.i), nil
		}
		return x.f, nil
	case string:
		return e.dynamic(x, at)
	case []any:
		out := make([]any, 0, len(x))
		for i, it := range x {
			if it == noValue {
				continue
			}
			f, err := e.finalize(it, &locator{up: at, idx: i})
			if err != nil {
				return nil, err
			}
			out = append(out, f)
		}
		return out, nil
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			f, err := e.dynamic(s, &locator{up: at, idx: i})
			if err != nil {
				return nil, err
			}
			out[i] = f
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, it := range x {
			if it == noValue {
				continue
			}
			f, err := e.finalize(it, &locator{up: at, key: k})
			if err != nil {
				return nil, err
			}
			out[k] = f
		}
		return out, nil
	case noValueT:
		return nil, nil
	}
	return v, nil
}

// locator is the place of a value inside an evaluated node: a chain of member
// keys and list indexes below the node. It finds the template node the value came
// from, as closely as the template's literals allow, only when an error needs it.
type locator struct {
	up   *locator
	root *node
	key  string
	idx  int
}

func (l *locator) node() *node {
	if l == nil {
		return nil
	}
	if l.up == nil {
		return l.root
	}
	p := l.up.node()
	if p == nil {
		return nil
	}
	if l.key != "" {
		if c := p.get(l.key); c != nil {
			return c
		}
		return p
	}
	if p.kind == kindList && l.idx < len(p.items) {
		return p.items[l.idx]
	}
	return p
}

// dynamic resolves the dynamic references ({{resolve:service:key}}) in a string.
func (e *evaluator) dynamic(s string, loc *locator) (string, error) {
	const open = "{{resolve:"
	if !strings.Contains(s, open) {
		return s, nil
	}
	var b strings.Builder
	for {
		i := strings.Index(s, open)
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		inner := s[i+len(open) : i+j]
		service, key, ok := strings.Cut(inner, ":")
		if !ok || service == "" || key == "" {
			return "", errAt(loc.node(), "Incorrect format is used in the dynamic reference '{{resolve:%s}}'", inner)
		}
		if e.env.Resolve == nil {
			return "", errAt(loc.node(), "The dynamic reference '{{resolve:%s}}' cannot be resolved here", inner)
		}
		v, err := e.env.Resolve(service, key)
		if err != nil {
			return "", callbackError(loc.node(), err)
		}
		b.WriteString(s[:i])
		b.WriteString(v)
		s = s[i+j+2:]
	}
}
