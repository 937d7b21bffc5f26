package template

import (
	"fmt"
	"sort"
	"strings"
)

// Validate checks references (Ref/GetAtt/DependsOn/Condition to known names or
// pseudo parameters, FindInMap to known maps where literal), conditions'
// well-formedness, and that there is no dependency cycle; it does not need
// parameter values.
func (t *Template) Validate() error {
	if err := t.checkTransform(); err != nil {
		return err
	}
	var common []string
	for _, id := range t.ResourceOrder {
		if _, ok := t.Parameters[id]; ok {
			common = append(common, id)
		}
	}
	if len(common) > 0 {
		return errAt(t.Resources[common[0]].node, "Template error: all resources and parameters must have unique names. Common name(s):%s", nameList(common))
	}
	if err := t.validateConditions(); err != nil {
		return err
	}
	v := &validator{t: t, section: "Resources", unresolved: map[string]bool{}}
	for _, id := range t.ResourceOrder {
		r := t.Resources[id]
		for _, d := range r.DependsOn {
			if _, ok := t.Resources[d]; !ok {
				v.miss(d, r.attribute("DependsOn"))
			}
		}
		if r.Condition != "" {
			if _, ok := t.ConditionNodes[r.Condition]; !ok {
				return formatError(r.attribute("Condition"), "Unresolved condition dependency %s in the Resources block of the template", r.Condition)
			}
		}
		for _, n := range []Node{r.Properties, r.MetadataNode, r.CreationPolicy, r.UpdatePolicy} {
			if err := v.walk(n.n); err != nil {
				return err
			}
		}
	}
	if err := v.done(); err != nil {
		return err
	}
	v = &validator{t: t, section: "Outputs", unresolved: map[string]bool{}}
	for _, id := range t.OutputOrder {
		o := t.Outputs[id]
		if o.Condition != "" {
			if _, ok := t.ConditionNodes[o.Condition]; !ok {
				return formatError(o.node.get("Condition"), "Unresolved condition dependency %s in the Outputs block of the template", o.Condition)
			}
		}
		if err := v.walk(o.Value.n); err != nil {
			return err
		}
		if err := v.walk(o.ExportName.n); err != nil {
			return err
		}
	}
	if err := v.done(); err != nil {
		return err
	}
	v = &validator{t: t, section: "Rules", unresolved: map[string]bool{}}
	for _, r := range t.rules {
		if err := v.walk(r.cond); err != nil {
			return err
		}
		for _, a := range r.asserts {
			if err := v.walk(a.assert); err != nil {
				return err
			}
		}
	}
	if err := v.done(); err != nil {
		return err
	}
	_, err := t.Dependencies()
	return err
}

// checkTransform reports a Transform, which Wharf does not run.
func (t *Template) checkTransform() error {
	var names []string
	switch x := t.Transform.(type) {
	case nil:
	case string:
		if x != "" {
			names = append(names, x)
		}
	case []any:
		for _, it := range x {
			names = append(names, fmt.Sprint(it))
		}
	default:
		names = append(names, fmt.Sprint(x))
	}
	if len(names) == 0 {
		return nil
	}
	return &Error{Path: "Transform", Message: fmt.Sprintf("Template format error: Transform %s is not supported by Wharf", strings.Join(names, ", "))}
}

// validateConditions checks the Conditions section: each condition is a boolean
// operation on parameters and other conditions, every condition it names exists,
// and no condition depends on itself.
func (t *Template) validateConditions() error {
	v := &validator{t: t, section: "Conditions", unresolved: map[string]bool{}, condRefs: map[string][]string{}, condAt: map[string]*node{}}
	missing := map[string]bool{}
	var firstMissing *node
	for _, name := range t.ConditionOrder {
		n := t.ConditionNodes[name].n
		if !isBooleanOp(n) {
			return templateError(n, notBoolean)
		}
		v.cond = name
		if err := v.walk(n); err != nil {
			return err
		}
		for _, c := range v.condRefs[name] {
			if _, ok := t.ConditionNodes[c]; !ok {
				missing[c] = true
				if firstMissing == nil {
					firstMissing = v.condAt[c]
				}
			}
		}
	}
	if err := v.done(); err != nil {
		return err
	}
	if len(missing) > 0 {
		return formatError(firstMissing, "Unresolved condition dependencies %s in the Conditions block of the template", nameList(sortedKeys(missing)))
	}
	if cyc := cycles(t.ConditionOrder, v.condRefs); len(cyc) > 0 {
		n := t.ConditionNodes[cyc[0]].n
		return formatError(n, "Circular dependency between conditions: %s", nameList(cyc))
	}
	return nil
}

// isBooleanOp reports whether a condition's top-level is a boolean operation.
func isBooleanOp(n *node) bool {
	if n == nil {
		return false
	}
	switch n.kind {
	case kindFunc:
		switch n.s {
		case "Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not", "Condition":
			return true
		}
	case kindMap:
		return len(n.keys) == 1 && n.keys[0] == "Condition"
	case kindBool:
		return true
	}
	return false
}

// validator walks one section, checking function arguments' shapes and that every
// name a function refers to exists.
type validator struct {
	t          *Template
	section    string
	unresolved map[string]bool
	first      *node
	// cond is the condition being walked, and condRefs the conditions each one
	// names (Conditions section only).
	cond     string
	condRefs map[string][]string
	condAt   map[string]*node
}

// miss records a name that is neither a parameter, a pseudo parameter nor (outside
// the Conditions section) a resource.
func (v *validator) miss(name string, at *node) {
	if v.first == nil {
		v.first = at
	}
	v.unresolved[name] = true
}

// done reports the unresolved names of the section.
func (v *validator) done() error {
	if len(v.unresolved) == 0 {
		return nil
	}
	names := nameList(sortedKeys(v.unresolved))
	var e *Error
	if v.section == "Conditions" || v.section == "Rules" {
		e = formatError(v.first, "Unresolved dependencies %s. Cannot reference resources in the %s block of the template", names, v.section)
	} else {
		e = formatError(v.first, "Unresolved resource dependencies %s in the %s block of the template", names, v.section)
	}
	if v.first == nil {
		e.Path = v.section
	}
	return e
}

// name checks a name a Ref or Fn::Sub refers to.
func (v *validator) name(name string, at *node) {
	if isPseudo(name) {
		return
	}
	if _, ok := v.t.Parameters[name]; ok {
		return
	}
	if _, ok := v.t.Resources[name]; ok && v.section != "Conditions" && v.section != "Rules" {
		return
	}
	v.miss(name, at)
}

func (v *validator) condName(name string, at *node, how string) error {
	if v.condRefs != nil {
		v.condRefs[v.cond] = append(v.condRefs[v.cond], name)
		if v.condAt[name] == nil {
			v.condAt[name] = at
		}
		return nil
	}
	if _, ok := v.t.ConditionNodes[name]; !ok {
		return templateError(at, "unresolved condition dependency %s in %s", name, how)
	}
	return nil
}

func (v *validator) walk(n *node) error {
	if n == nil {
		return nil
	}
	switch n.kind {
	case kindList:
		for _, it := range n.items {
			if err := v.walk(it); err != nil {
				return err
			}
		}
		return nil
	case kindMap:
		if v.condRefs != nil && len(n.keys) == 1 && n.keys[0] == "Condition" && n.items[0].kind == kindString {
			return v.condName(n.items[0].s, n, "Condition")
		}
		for _, it := range n.items {
			if err := v.walk(it); err != nil {
				return err
			}
		}
		return nil
	case kindFunc:
		return v.function(n)
	}
	return nil
}

// function checks one intrinsic function call and walks its arguments.
func (v *validator) function(n *node) error {
	a := n.arg()
	switch n.s {
	case "Ref":
		if a == nil || a.kind != kindString {
			return formatError(n, "Every Ref object must have a single String value.")
		}
		v.name(a.s, n)
		return nil
	case "Fn::GetAtt":
		if a == nil || a.kind != kindList || len(a.items) != 2 || a.items[0].kind != kindString || a.items[0].s == "" {
			return templateError(n, "Fn::GetAtt requires a list argument with two elements: the logical name of a resource and an attribute name")
		}
		attr := a.items[1]
		if attr.kind != kindString && !attr.isFunc("Ref") {
			return templateError(n, "Fn::GetAtt requires a list argument with two elements: the logical name of a resource and an attribute name")
		}
		id := a.items[0].s
		if _, ok := v.t.Resources[id]; !ok {
			return templateError(n, "instance of Fn::GetAtt references undefined resource %s", id)
		}
		if v.section == "Conditions" || v.section == "Rules" {
			v.miss(id, n)
		}
		return v.walk(attr)
	case "Fn::Sub":
		str, vars := subArgs(a)
		if a == nil || str == nil || (a.kind == kindList && (len(a.items) != 2 || vars == nil)) {
			return templateError(n, subArgsError)
		}
		if str.kind == kindString {
			ss := parseSub(str)
			if ss.hasBad {
				return templateError(n, subNameError)
			}
			lookup := memberIndex(vars)
			for _, p := range ss.parts {
				if !p.isVar || lookup(p.text) != nil {
					continue
				}
				if id, _, dotted := strings.Cut(p.text, "."); dotted && !strings.HasPrefix(p.text, "AWS::") {
					if _, ok := v.t.Resources[id]; !ok || v.section == "Conditions" || v.section == "Rules" {
						v.miss(id, n)
					}
					continue
				}
				v.name(p.text, n)
			}
		} else if err := v.walk(str); err != nil {
			return err
		}
		return v.walk(vars)
	case "Fn::If":
		if a == nil || a.kind != kindList || len(a.items) == 0 || a.items[0].kind != kindString {
			return templateError(n, ifError)
		}
		if len(a.items) != 3 {
			return templateError(n, "Fn::If requires a list argument with three elements")
		}
		if err := v.condName(a.items[0].s, n, "Fn::If"); err != nil {
			return err
		}
		return v.walkAll(a.items[1:])
	case "Condition":
		if a == nil || a.kind != kindString {
			return templateError(n, "All Conditions must be of type string")
		}
		return v.condName(a.s, n, "Condition")
	case "Fn::FindInMap":
		return v.findInMap(n, a)
	case "Fn::Join":
		if a == nil || a.kind != kindList || len(a.items) != 2 || a.items[1].kind == kindMap || isScalar(a.items[1]) {
			return templateError(n, joinError)
		}
	case "Fn::Select":
		if a == nil || a.kind != kindList || len(a.items) != 2 || a.items[1].kind == kindMap || isScalar(a.items[1]) {
			return templateError(n, selectListError)
		}
		if s, ok := a.items[0].scalarText(); ok && !isIndex(s) {
			return templateError(n, selectIndexError)
		}
	case "Fn::Split":
		if a == nil || a.kind != kindList || len(a.items) != 2 {
			return templateError(n, splitError)
		}
	case "Fn::Cidr":
		if a == nil || a.kind != kindList || len(a.items) != 3 {
			return templateError(n, cidrError)
		}
	case "Fn::Equals":
		if a == nil || a.kind != kindList || len(a.items) != 2 {
			return templateError(n, "Fn::Equals requires a list argument with two elements")
		}
	case "Fn::And", "Fn::Or":
		if a == nil || a.kind != kindList || len(a.items) < 2 || len(a.items) > 10 {
			return templateError(n, "every %s object requires a list of at least 2 and at most 10 boolean parameters.", n.s)
		}
	case "Fn::Not":
		if a == nil || a.kind != kindList || len(a.items) != 1 {
			return templateError(n, "Fn::Not requires a list argument with one element")
		}
	case "Fn::ImportValue":
		if v.section == "Conditions" || v.section == "Rules" {
			return formatError(n, "Fn::ImportValue cannot be used in the %s block of the template", v.section)
		}
		refs := Node{a}.References()
		for _, r := range refs {
			if _, ok := v.t.Resources[r]; ok {
				return templateError(n, "the Fn::ImportValue function can't reference resources: %s", r)
			}
		}
	case "Fn::Transform":
		return formatError(n, "Transform %s is not supported by Wharf", transformName(a))
	case "Fn::Contains", "Fn::EachMemberEquals", "Fn::EachMemberIn", "Fn::ValueOf", "Fn::ValueOfAll", "Fn::RefAll":
		if v.section != "Rules" {
			return templateError(n, "%s can only be used in the Rules section of a template", n.s)
		}
	}
	return v.walk(a)
}

func (v *validator) walkAll(ns []*node) error {
	for _, it := range ns {
		if err := v.walk(it); err != nil {
			return err
		}
	}
	return nil
}

// findInMap checks an Fn::FindInMap: its shape, and, where the names are literal,
// that the mapping (and the value, without a DefaultValue) exists.
func (v *validator) findInMap(n, a *node) error {
	if a == nil || a.kind != kindList || (len(a.items) != 3 && len(a.items) != 4) {
		return templateError(n, findInMapError)
	}
	hasDefault := false
	if len(a.items) == 4 {
		opt := a.items[3]
		if opt.kind != kindMap || len(opt.keys) != 1 || opt.get("DefaultValue") == nil {
			return templateError(n, "the optional fourth argument of Fn::FindInMap must be a map with a DefaultValue member")
		}
		hasDefault = true
	}
	var lit [3]string
	literal := true
	for i := 0; i < 3; i++ {
		s, ok := a.items[i].scalarText()
		if !ok || a.items[i].kind != kindString {
			literal = false
			continue
		}
		lit[i] = s
	}
	if !hasDefault && a.items[0].kind == kindString {
		m, ok := v.t.Mappings[lit[0]]
		if !ok {
			return templateError(n, "Mapping named '%s' is not present in the 'Mappings' section of template", lit[0])
		}
		if literal {
			if _, ok := m[lit[1]][lit[2]]; !ok {
				return templateError(n, "Unable to get mapping for %s::%s::%s", lit[0], lit[1], lit[2])
			}
		}
	}
	return v.walkAll(a.items)
}

func isScalar(n *node) bool {
	_, ok := n.scalarText()
	return ok
}

func isIndex(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func transformName(a *node) string {
	if a == nil {
		return ""
	}
	if name := a.get("Name"); name != nil {
		if s, ok := name.scalarText(); ok {
			return s
		}
	}
	s, _ := a.scalarText()
	return s
}

// Dependencies returns, for each resource, the resources it depends on (explicit
// DependsOn and implicit Ref/GetAtt/Sub references in its Properties, Metadata,
// CreationPolicy and UpdatePolicy, in every branch of every Fn::If), sorted, or
// *Error for a cycle ("Circular dependency between resources: [A, B]").
func (t *Template) Dependencies() (map[string][]string, error) {
	deps := make(map[string][]string, len(t.Resources))
	for _, id := range t.ResourceOrder {
		r := t.Resources[id]
		set := map[string]bool{}
		for _, d := range r.DependsOn {
			if _, ok := t.Resources[d]; !ok {
				return nil, formatError(r.attribute("DependsOn"), "Unresolved resource dependencies [%s] in the Resources block of the template", d)
			}
			set[d] = true
		}
		for _, n := range []Node{r.Properties, r.MetadataNode, r.CreationPolicy, r.UpdatePolicy} {
			walkRefs(n.n, func(name string, _ refKind, _ *node) {
				if _, ok := t.Resources[name]; ok {
					set[name] = true
				}
			})
		}
		deps[id] = sortedKeys(set)
	}
	if cyc := cycles(t.ResourceOrder, deps); len(cyc) > 0 {
		return nil, errAt(t.Resources[cyc[0]].node, "Circular dependency between resources: %s", nameList(cyc))
	}
	return deps, nil
}

// Order returns the resources in an order that creates every resource after the
// ones it depends on, keeping declaration order where dependencies allow; it fails
// as Dependencies does. Deletion goes in the reverse order.
func (t *Template) Order() ([]string, error) {
	deps, err := t.Dependencies()
	if err != nil {
		return nil, err
	}
	placed := make(map[string]bool, len(deps))
	out := make([]string, 0, len(deps))
	for len(out) < len(t.ResourceOrder) {
		progress := false
		for _, id := range t.ResourceOrder {
			if placed[id] {
				continue
			}
			ready := true
			for _, d := range deps[id] {
				if !placed[d] {
					ready = false
					break
				}
			}
			if ready {
				placed[id] = true
				out = append(out, id)
				progress = true
				break
			}
		}
		if !progress {
			break
		}
	}
	return out, nil
}

// cycles returns the names that are on a dependency cycle (Tarjan's strongly
// connected components larger than one, or a name depending on itself), sorted.
func cycles(order []string, edges map[string][]string) []string {
	index := map[string]int{}
	low := map[string]int{}
	onStack := map[string]bool{}
	var stack, out []string
	next := 0
	var visit func(v string)
	visit = func(v string) {
		index[v], low[v] = next, next
		next++
		stack = append(stack, v)
		onStack[v] = true
		for _, w := range edges[v] {
			if _, seen := index[w]; !seen {
				if _, known := edges[w]; !known {
					continue
				}
				visit(w)
				low[v] = min(low[v], low[w])
			} else if onStack[w] {
				low[v] = min(low[v], index[w])
			}
		}
		if low[v] != index[v] {
			return
		}
		var comp []string
		for {
			w := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			onStack[w] = false
			comp = append(comp, w)
			if w == v {
				break
			}
		}
		self := false
		for _, w := range edges[v] {
			self = self || w == v
		}
		if len(comp) > 1 || self {
			out = append(out, comp...)
		}
	}
	for _, v := range order {
		if _, seen := index[v]; !seen {
			visit(v)
		}
	}
	sort.Strings(out)
	return out
}

// attribute is one of the resource's attributes as written, or the resource itself
// when that is unknown.
func (r *Resource) attribute(name string) *node {
	if n := r.node.get(name); n != nil {
		return n
	}
	return r.node
}

// Active returns the resources a stack creates under the given condition values (those
// without a Condition or whose condition holds), in creation order (see Order). An
// active resource whose DependsOn names one that is not created is an error, as AWS
// reports it when the stack is created.
func (t *Template) Active(conds map[string]bool) ([]string, error) {
	order, err := t.Order()
	if err != nil {
		return nil, err
	}
	on := func(id string) bool {
		r := t.Resources[id]
		return r.Condition == "" || conds[r.Condition]
	}
	out := make([]string, 0, len(order))
	for _, id := range order {
		if !on(id) {
			continue
		}
		for _, d := range t.Resources[id].DependsOn {
			if !on(d) {
				return nil, formatError(t.Resources[id].attribute("DependsOn"), "Unresolved resource dependencies [%s] in the Resources block of the template", d)
			}
		}
		out = append(out, id)
	}
	return out, nil
}
