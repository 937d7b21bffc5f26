package template

import (
	"bytes"
	"strconv"
	"strings"
)

// Template is a parsed CloudFormation template.
type Template struct {
	// FormatVersion is AWSTemplateFormatVersion ("2010-09-09" when given).
	FormatVersion string
	// Description is the template's description.
	Description string
	// Parameters are the declared parameters by name; ParameterOrder lists their
	// names in declaration order.
	Parameters     map[string]*Parameter
	ParameterOrder []string
	// Mappings are the mappings: map name, top-level key, second-level key, value
	// (a string, number, bool or list).
	Mappings map[string]map[string]map[string]any
	// ConditionNodes are the declared conditions by name, unevaluated (the method
	// Conditions evaluates them); ConditionOrder lists their names in declaration
	// order.
	ConditionNodes map[string]Node
	ConditionOrder []string
	// Resources are the declared resources by logical id; ResourceOrder lists their
	// ids in declaration order.
	Resources     map[string]*Resource
	ResourceOrder []string
	// Outputs are the declared outputs by logical id; OutputOrder lists them in
	// declaration order.
	Outputs     map[string]*Output
	OutputOrder []string
	// Metadata is the template's Metadata section as plain values.
	Metadata any
	// Transform is the Transform section as written (a string or list); Validate
	// reports a non-empty one as unsupported.
	Transform any
	// Body is the original template text.
	Body []byte

	rules []*rule
}

// Parameter is a declared template parameter.
type Parameter struct {
	Name, Type, Default, Description, AllowedPattern, ConstraintDescription string
	// HasDefault tells an empty Default apart from none.
	HasDefault bool
	// NoEcho masks the value in descriptions of the stack.
	NoEcho        bool
	AllowedValues []string
	// MinLength and MaxLength bound a String's length; nil when not declared.
	MinLength, MaxLength *int
	// MinValue and MaxValue bound a Number; nil when not declared.
	MinValue, MaxValue *float64
}

// Resource is a declared resource.
type Resource struct {
	LogicalID, Type string
	// Properties are the resource's properties, intrinsics unevaluated; zero when
	// the resource has none.
	Properties Node
	// DependsOn lists the resources named by the DependsOn attribute.
	DependsOn []string
	// Condition names the condition that decides whether the resource is created.
	Condition string
	// DeletionPolicy and UpdateReplacePolicy are the policies as written ("" when
	// not given).
	DeletionPolicy, UpdateReplacePolicy string
	// Metadata is the resource's Metadata attribute as plain values (intrinsics in
	// long form); MetadataNode is the same, for evaluation.
	Metadata     any
	MetadataNode Node
	// CreationPolicy and UpdatePolicy are those attributes, unevaluated.
	CreationPolicy, UpdatePolicy Node
	// Line is the line of the resource's logical id in the template (0 when
	// unknown).
	Line int

	node *node
}

// Output is a declared output.
type Output struct {
	LogicalID string
	// Value is the output's value, unevaluated.
	Value       Node
	Description string
	// ExportName is Export.Name, unevaluated; zero when the output has no Export.
	ExportName Node
	// Condition names the condition that decides whether the output is shown.
	Condition string

	node *node
}

// Limits AWS puts on a template.
const (
	maxResources  = 500
	maxParameters = 200
	maxOutputs    = 200
	maxMappings   = 200
	maxIDLength   = 255
)

// sections are the members a template may have.
var sections = map[string]bool{
	"AWSTemplateFormatVersion": true, "Description": true, "Metadata": true,
	"Parameters": true, "Rules": true, "Mappings": true, "Conditions": true,
	"Transform": true, "Resources": true, "Outputs": true, "Hooks": true,
}

// Parse reads a JSON or YAML template (YAML with the short-form tags !Ref !Sub
// !GetAtt !Join !Select !Split !If !Equals !Not !And !Or !FindInMap !Base64 !Cidr
// !GetAZs !ImportValue !Condition, and long forms { "Fn::...": ... }); a malformed
// document, an unknown intrinsic or tag, or a structural error returns *Error.
func Parse(body []byte) (*Template, error) {
	root, err := parseDocument(body)
	if err != nil {
		return nil, err
	}
	if root.kind != kindMap {
		return nil, formatError(root, "unsupported structure.")
	}
	t := &Template{
		Body:           bytes.Clone(body),
		Parameters:     map[string]*Parameter{},
		Mappings:       map[string]map[string]map[string]any{},
		ConditionNodes: map[string]Node{},
		Resources:      map[string]*Resource{},
		Outputs:        map[string]*Output{},
	}
	var unknown []string
	for _, k := range root.keys {
		if !sections[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		for i, k := range root.keys {
			if k == unknown[0] {
				return nil, errKey(root, i, "Template format error: Invalid template property or properties %s", nameList(unknown))
			}
		}
	}
	steps := []struct {
		section string
		parse   func(*node) error
	}{
		{"AWSTemplateFormatVersion", t.parseVersion},
		{"Description", t.parseDescription},
		{"Metadata", func(n *node) error { t.Metadata = n.raw(); return nil }},
		{"Transform", func(n *node) error { t.Transform = n.raw(); return nil }},
		{"Parameters", t.parseParameters},
		{"Mappings", t.parseMappings},
		{"Conditions", t.parseConditions},
		{"Rules", t.parseRules},
		{"Resources", t.parseResources},
		{"Outputs", t.parseOutputs},
	}
	for _, s := range steps {
		if n := root.get(s.section); n != nil {
			if err := s.parse(n); err != nil {
				return nil, err
			}
		}
	}
	if root.get("Resources") == nil {
		return nil, formatError(root, "At least one Resources member must be defined.")
	}
	return t, nil
}

func (t *Template) parseVersion(n *node) error {
	if n.kind != kindString || n.s != "2010-09-09" {
		return formatError(n, "unsupported value for AWSTemplateFormatVersion.")
	}
	t.FormatVersion = n.s
	return nil
}

func (t *Template) parseDescription(n *node) error {
	if n.kind != kindString {
		return formatError(n, "Every Description member must be a string.")
	}
	if len(n.s) > 1024 {
		return formatError(n, "Description must be no longer than 1024 bytes.")
	}
	t.Description = n.s
	return nil
}

// alphanumeric reports whether s is a non-empty run of ASCII letters and digits, as
// logical ids must be.
func alphanumeric(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// checkID checks a logical id of a section: alphanumeric and at most 255
// characters, as AWS requires.
func checkID(m *node, i int, what string) error {
	id := m.keys[i]
	if !alphanumeric(id) {
		return errKey(m, i, "Template format error: %s name %s is non alphanumeric.", what, id)
	}
	if len(id) > maxIDLength {
		return errKey(m, i, "Template format error: %s name %s is longer than %d characters.", what, id, maxIDLength)
	}
	return nil
}

// sectionMap checks that a section is a map.
func sectionMap(n *node, section string) error {
	if n.kind != kindMap {
		return formatError(n, "Every %s member must be an object.", section)
	}
	return nil
}

var parameterAttributes = map[string]bool{
	"Type": true, "Default": true, "Description": true, "AllowedValues": true,
	"AllowedPattern": true, "ConstraintDescription": true, "MinLength": true,
	"MaxLength": true, "MinValue": true, "MaxValue": true, "NoEcho": true,
}

func (t *Template) parseParameters(sec *node) error {
	if err := sectionMap(sec, "Parameters"); err != nil {
		return err
	}
	if len(sec.keys) > maxParameters {
		return formatError(sec, "Number of parameters, %d, is greater than maximum allowed, %d", len(sec.keys), maxParameters)
	}
	for i, name := range sec.keys {
		if err := checkID(sec, i, "Parameter"); err != nil {
			return err
		}
		pn := sec.items[i]
		if pn.kind != kindMap {
			return formatError(pn, "Every Parameters object must contain a Type member.")
		}
		p := &Parameter{Name: name}
		for j, attr := range pn.keys {
			if !parameterAttributes[attr] {
				return errKey(pn, j, "Template format error: Invalid template parameter property '%s'", attr)
			}
		}
		typ := pn.get("Type")
		if typ == nil || typ.kind != kindString {
			return formatError(pn, "Every Parameters object must contain a Type member.")
		}
		p.Type = typ.s
		if !knownParameterType(p.Type) {
			return formatError(typ, "Unrecognized parameter type: %s", p.Type)
		}
		if d := pn.get("Default"); d != nil {
			s, ok := d.scalarText()
			if !ok {
				return formatError(d, "Every Default member must be a string.")
			}
			p.Default, p.HasDefault = s, true
		}
		var err error
		if p.Description, err = stringAttr(pn, "Description"); err != nil {
			return err
		}
		if p.ConstraintDescription, err = stringAttr(pn, "ConstraintDescription"); err != nil {
			return err
		}
		if p.AllowedPattern, err = stringAttr(pn, "AllowedPattern"); err != nil {
			return err
		}
		if av := pn.get("AllowedValues"); av != nil {
			if av.kind != kindList {
				return formatError(av, "Every AllowedValues member must be a list.")
			}
			for _, it := range av.items {
				s, ok := it.scalarText()
				if !ok {
					return formatError(it, "Every AllowedValues value must be a string.")
				}
				p.AllowedValues = append(p.AllowedValues, s)
			}
		}
		if p.MinLength, err = intAttr(pn, "MinLength"); err != nil {
			return err
		}
		if p.MaxLength, err = intAttr(pn, "MaxLength"); err != nil {
			return err
		}
		if p.MinValue, err = floatAttr(pn, "MinValue"); err != nil {
			return err
		}
		if p.MaxValue, err = floatAttr(pn, "MaxValue"); err != nil {
			return err
		}
		if ne := pn.get("NoEcho"); ne != nil {
			s, ok := ne.scalarText()
			if !ok || (!strings.EqualFold(s, "true") && !strings.EqualFold(s, "false")) {
				return formatError(ne, "Every NoEcho member must be a boolean.")
			}
			p.NoEcho = strings.EqualFold(s, "true")
		}
		t.Parameters[name] = p
		t.ParameterOrder = append(t.ParameterOrder, name)
	}
	return nil
}

// stringAttr reads an optional scalar attribute as a string.
func stringAttr(m *node, attr string) (string, error) {
	n := m.get(attr)
	if n == nil {
		return "", nil
	}
	s, ok := n.scalarText()
	if !ok {
		return "", formatError(n, "Every %s member must be a string.", attr)
	}
	return s, nil
}

func intAttr(m *node, attr string) (*int, error) {
	n := m.get(attr)
	if n == nil {
		return nil, nil
	}
	s, _ := n.scalarText()
	v, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return nil, formatError(n, "Every %s member must be an integer.", attr)
	}
	return &v, nil
}

func floatAttr(m *node, attr string) (*float64, error) {
	n := m.get(attr)
	if n == nil {
		return nil, nil
	}
	s, _ := n.scalarText()
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return nil, formatError(n, "Every %s member must be a number.", attr)
	}
	return &v, nil
}

func (t *Template) parseMappings(sec *node) error {
	if err := sectionMap(sec, "Mappings"); err != nil {
		return err
	}
	if len(sec.keys) > maxMappings {
		return formatError(sec, "Number of mappings, %d, is greater than maximum allowed, %d", len(sec.keys), maxMappings)
	}
	for i, name := range sec.keys {
		if err := checkID(sec, i, "Mapping"); err != nil {
			return err
		}
		mn := sec.items[i]
		if mn.kind != kindMap {
			return formatError(mn, "Every Mappings member %s must be a map", name)
		}
		m := make(map[string]map[string]any, len(mn.keys))
		for j, top := range mn.keys {
			tn := mn.items[j]
			if tn.kind != kindMap {
				return formatError(tn, "Every Mappings member %s must be a map", top)
			}
			second := make(map[string]any, len(tn.keys))
			for k, key := range tn.keys {
				v := tn.items[k]
				if !mappingValue(v) {
					return formatError(v, "Every Mappings attribute must be a String or a List.")
				}
				second[key] = v.raw()
			}
			m[top] = second
		}
		t.Mappings[name] = m
	}
	return nil
}

// mappingValue reports whether a node may be a mapping's value: a scalar or a list
// of scalars, with no intrinsic function.
func mappingValue(v *node) bool {
	if _, ok := v.scalarText(); ok {
		return true
	}
	if v.kind != kindList {
		return false
	}
	for _, it := range v.items {
		if _, ok := it.scalarText(); !ok {
			return false
		}
	}
	return true
}

func (t *Template) parseConditions(sec *node) error {
	if err := sectionMap(sec, "Conditions"); err != nil {
		return err
	}
	for i, name := range sec.keys {
		t.ConditionNodes[name] = Node{sec.items[i]}
		t.ConditionOrder = append(t.ConditionOrder, name)
	}
	return nil
}

var resourceAttributes = map[string]bool{
	"Type": true, "Properties": true, "DependsOn": true, "Condition": true,
	"DeletionPolicy": true, "UpdateReplacePolicy": true, "Metadata": true,
	"CreationPolicy": true, "UpdatePolicy": true, "Version": true,
}

var deletionPolicies = map[string]bool{"Delete": true, "Retain": true, "RetainExceptOnCreate": true, "Snapshot": true}
var updateReplacePolicies = map[string]bool{"Delete": true, "Retain": true, "Snapshot": true}

func (t *Template) parseResources(sec *node) error {
	if sec.kind != kindMap || len(sec.keys) == 0 {
		return formatError(sec, "At least one Resources member must be defined.")
	}
	if len(sec.keys) > maxResources {
		return formatError(sec, "Number of resources, %d, is greater than maximum allowed, %d", len(sec.keys), maxResources)
	}
	for i, id := range sec.keys {
		if err := checkID(sec, i, "Resource"); err != nil {
			return err
		}
		rn := sec.items[i]
		line, _ := sec.keyPos(i)
		r := &Resource{LogicalID: id, Line: line, node: rn}
		if rn.kind != kindMap {
			return formatError(rn, "[/Resources/%s] Every Resources object must contain a Type member.", id)
		}
		for j, attr := range rn.keys {
			if !resourceAttributes[attr] {
				return errKey(rn, j, "Template format error: Invalid template resource property '%s'", attr)
			}
		}
		typ := rn.get("Type")
		if typ == nil || typ.kind != kindString || typ.s == "" {
			return formatError(rn, "[/Resources/%s] Every Resources object must contain a Type member.", id)
		}
		r.Type = typ.s
		if p := rn.get("Properties"); p != nil {
			switch {
			case p.kind == kindMap, p.kind == kindFunc:
				r.Properties = Node{p}
			case p.kind == kindNull:
			default:
				return formatError(p, "[/Resources/%s/Properties] Every Properties member must be an object.", id)
			}
		}
		if d := rn.get("DependsOn"); d != nil {
			switch d.kind {
			case kindString:
				r.DependsOn = []string{d.s}
			case kindList:
				for _, it := range d.items {
					if it.kind != kindString {
						return formatError(it, "Every DependsOn value must be a string.")
					}
					r.DependsOn = append(r.DependsOn, it.s)
				}
			default:
				return formatError(d, "DependsOn must be a string or list of strings.")
			}
		}
		if c := rn.get("Condition"); c != nil {
			if c.kind != kindString {
				return formatError(c, "Every Condition member must be a string.")
			}
			r.Condition = c.s
		}
		var err error
		if r.DeletionPolicy, err = policyAttr(rn, "DeletionPolicy", id, deletionPolicies); err != nil {
			return err
		}
		if r.UpdateReplacePolicy, err = policyAttr(rn, "UpdateReplacePolicy", id, updateReplacePolicies); err != nil {
			return err
		}
		if m := rn.get("Metadata"); m != nil {
			r.Metadata, r.MetadataNode = m.raw(), Node{m}
		}
		if c := rn.get("CreationPolicy"); c != nil {
			r.CreationPolicy = Node{c}
		}
		if u := rn.get("UpdatePolicy"); u != nil {
			r.UpdatePolicy = Node{u}
		}
		t.Resources[id] = r
		t.ResourceOrder = append(t.ResourceOrder, id)
	}
	return nil
}

func policyAttr(rn *node, attr, id string, allowed map[string]bool) (string, error) {
	n := rn.get(attr)
	if n == nil {
		return "", nil
	}
	if n.kind != kindString || !allowed[n.s] {
		s, _ := n.scalarText()
		return "", formatError(n, "Unrecognized %s %s for resource %s", attr, s, id)
	}
	return n.s, nil
}

var outputAttributes = map[string]bool{"Value": true, "Description": true, "Export": true, "Condition": true}

func (t *Template) parseOutputs(sec *node) error {
	if err := sectionMap(sec, "Outputs"); err != nil {
		return err
	}
	if len(sec.keys) > maxOutputs {
		return formatError(sec, "Number of outputs, %d, is greater than maximum allowed, %d", len(sec.keys), maxOutputs)
	}
	for i, id := range sec.keys {
		if err := checkID(sec, i, "Output"); err != nil {
			return err
		}
		on := sec.items[i]
		if on.kind != kindMap {
			return formatError(on, "Every Outputs member must contain a Value object")
		}
		for j, attr := range on.keys {
			if !outputAttributes[attr] {
				return errKey(on, j, "Template format error: Invalid outputs property : [%s]", attr)
			}
		}
		o := &Output{LogicalID: id, node: on}
		v := on.get("Value")
		if v == nil || v.kind == kindNull {
			return formatError(on, "Every Outputs member must contain a Value object")
		}
		o.Value = Node{v}
		var err error
		if o.Description, err = stringAttr(on, "Description"); err != nil {
			return err
		}
		if c := on.get("Condition"); c != nil {
			if c.kind != kindString {
				return formatError(c, "Every Condition member must be a string.")
			}
			o.Condition = c.s
		}
		if ex := on.get("Export"); ex != nil {
			name := ex.get("Name")
			if ex.kind != kindMap || len(ex.keys) != 1 || name == nil || name.kind == kindNull || name.kind == kindList || name.kind == kindMap {
				return formatError(ex, "Output %s is malformed. The Name field of every Export member must be specified and consist only of alphanumeric characters, colons, or hyphens.", id)
			}
			o.ExportName = Node{name}
		}
		t.Outputs[id] = o
		t.OutputOrder = append(t.OutputOrder, id)
	}
	return nil
}
