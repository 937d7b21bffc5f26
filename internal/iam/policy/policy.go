// Package policy parses, validates and evaluates AWS IAM policy documents: identity
// policies, resource policies, role trust policies and KMS key policies. It is a pure
// library: no store, no HTTP. Parse applies AWS's validation rules and returns errors
// with AWS's MalformedPolicyDocument messages; Evaluate and Decide apply AWS's
// evaluation logic for a single account (explicit deny, then allow, else implicit deny).
package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Kind says which sort of policy document is parsed; it decides which elements are
// required and which are prohibited.
type Kind int

const (
	// Identity is a policy attached to a user, group or role; it has no Principal.
	Identity Kind = iota
	// Resource is a resource-based policy; every statement names a Principal.
	Resource
	// Trust is a role's trust (assume-role) policy: Principal required, only STS
	// AssumeRole actions, no Resource.
	Trust
	// KeyPolicy is a KMS key policy: Principal required.
	KeyPolicy
)

// Policy versions.
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// Error is a policy validation error. Message is AWS's message; the caller maps it to
// MalformedPolicyDocument, MalformedPolicyDocumentException or ValidationError.
type Error struct{ Message string }

// Error returns the message.
func (e *Error) Error() string { return e.Message }

// AWS's messages.
const (
	msgSyntax          = "Syntax errors in policy."
	msgLegacy          = "The policy failed legacy parsing"
	msgNoPrincipal     = "Policy document should not specify a principal."
	msgNeedPrincipal   = "Missing required field Principal"
	msgNeedActions     = "Policy statement must contain actions."
	msgNeedResources   = "Policy statement must contain resources."
	msgSidUnique       = "Statement IDs (SID) in a single policy must be unique."
	msgSidFormat       = "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"
	msgVendor          = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
	msgOneColon        = "Actions/Condition can contain only one colon."
	msgTrustResource   = "Has prohibited field Resource"
	msgTrustAction     = "AssumeRole policy may only specify STS AssumeRole actions."
	msgInvalidCondType = "Invalid Condition type : "
)

// Policy is a parsed and validated policy document.
type Policy struct {
	Version    string // "2012-10-17" or "2008-10-17" (the default when absent)
	ID         string
	Statements []Statement
}

// Statement is one parsed statement. Single strings in the document become one-element
// lists; a Principal of "*" becomes {"AWS": ["*"]}.
type Statement struct {
	Sid          string
	Effect       string // "Allow" or "Deny"
	Principal    map[string][]string
	NotPrincipal map[string][]string
	Action       []string
	NotAction    []string
	Resource     []string
	NotResource  []string
	Condition    []Condition

	label   string // Sid, or the statement's index
	deny    bool
	hasRes  bool // Resource or NotResource present
	hasVars bool // policy variables are substituted (Version 2012-10-17)
}

// Condition is one (operator, key, values) triple of a statement's Condition block.
type Condition struct {
	Operator string // as written, e.g. "ForAnyValue:StringLikeIfExists"
	Key      string
	Values   []string
	op       operator
}

// Parse parses and validates a policy document of the given kind. Errors are *Error.
func Parse(doc []byte, kind Kind) (*Policy, error) {
	top, err := decodeObject(doc)
	if err != nil {
		return nil, err
	}
	p := &Policy{Version: Version2008}
	var rawStmts []any
	haveStmt := false
	for k, v := range top {
		switch k {
		case "Version":
			s, ok := v.(string)
			if !ok || (s != Version2012 && s != Version2008) {
				return nil, &Error{msgSyntax}
			}
			p.Version = s
		case "Id":
			s, ok := v.(string)
			if !ok {
				return nil, &Error{msgSyntax}
			}
			p.ID = s
		case "Statement":
			haveStmt = true
			switch t := v.(type) {
			case map[string]any:
				rawStmts = []any{t}
			case []any:
				rawStmts = t
			default:
				return nil, &Error{msgSyntax}
			}
		default:
			return nil, &Error{msgSyntax}
		}
	}
	if !haveStmt || len(rawStmts) == 0 {
		return nil, &Error{msgSyntax}
	}
	for i, raw := range rawStmts {
		m, ok := raw.(map[string]any)
		if !ok {
			return nil, &Error{msgSyntax}
		}
		st, err := parseStatement(m, p.Version)
		if err != nil {
			return nil, err
		}
		st.label = st.Sid
		if st.label == "" {
			st.label = strconv.Itoa(i)
		}
		p.Statements = append(p.Statements, st)
	}
	if err := validate(p, kind); err != nil {
		return nil, err
	}
	return p, nil
}

// decodeObject decodes doc as one JSON object, keeping numbers as json.Number.
func decodeObject(doc []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var top map[string]any
	if err := dec.Decode(&top); err != nil || top == nil {
		return nil, &Error{msgSyntax}
	}
	if _, err := dec.Token(); err == nil {
		return nil, &Error{msgSyntax} // trailing data
	}
	return top, nil
}

// parseStatement checks one statement's syntax and converts it.
func parseStatement(m map[string]any, version string) (Statement, error) {
	var st Statement
	var err error
	haveEffect := false
	for k, v := range m {
		switch k {
		case "Sid":
			s, ok := v.(string)
			if !ok {
				return st, &Error{msgSyntax}
			}
			st.Sid = s
		case "Effect":
			s, ok := v.(string)
			if !ok || (!strings.EqualFold(s, "Allow") && !strings.EqualFold(s, "Deny")) {
				return st, &Error{msgSyntax}
			}
			st.Effect, haveEffect = s, true
		case "Action":
			st.Action, err = stringList(v)
		case "NotAction":
			st.NotAction, err = stringList(v)
		case "Resource":
			st.Resource, err = stringList(v)
			st.hasRes = true
		case "NotResource":
			st.NotResource, err = stringList(v)
			st.hasRes = true
		case "Principal":
			st.Principal, err = principalMap(v)
		case "NotPrincipal":
			st.NotPrincipal, err = principalMap(v)
		case "Condition":
			st.Condition, err = parseConditions(v)
		default:
			return st, &Error{msgSyntax}
		}
		if err != nil {
			return st, err
		}
	}
	_, hasA := m["Action"]
	_, hasNA := m["NotAction"]
	_, hasR := m["Resource"]
	_, hasNR := m["NotResource"]
	_, hasP := m["Principal"]
	_, hasNP := m["NotPrincipal"]
	if !haveEffect || (hasA && hasNA) || (hasR && hasNR) || (hasP && hasNP) {
		return st, &Error{msgSyntax}
	}
	st.deny = strings.EqualFold(st.Effect, "Deny")
	st.hasVars = version == Version2012
	return st, nil
}

// stringList accepts a string or a list of strings.
func stringList(v any) ([]string, error) {
	switch t := v.(type) {
	case string:
		return []string{t}, nil
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			s, ok := e.(string)
			if !ok {
				return nil, &Error{msgSyntax}
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, &Error{msgSyntax}
}

// principalMap accepts "*" or an object of principal type to string or list.
func principalMap(v any) (map[string][]string, error) {
	switch t := v.(type) {
	case string:
		if t != "*" {
			return nil, &Error{fmt.Sprintf("Invalid principal in policy: %q", t)}
		}
		return map[string][]string{"AWS": {"*"}}, nil
	case map[string]any:
		out := make(map[string][]string, len(t))
		for k, e := range t {
			l, err := stringList(e)
			if err != nil {
				return nil, err
			}
			out[k] = l
		}
		if len(out) == 0 {
			return nil, &Error{msgSyntax}
		}
		return out, nil
	}
	return nil, &Error{msgSyntax}
}

// parseConditions converts a Condition block: operator → key → value or values.
func parseConditions(v any) ([]Condition, error) {
	block, ok := v.(map[string]any)
	if !ok {
		return nil, &Error{msgSyntax}
	}
	var out []Condition
	for opName, rawKeys := range block {
		keys, ok := rawKeys.(map[string]any)
		if !ok {
			return nil, &Error{msgSyntax}
		}
		op, ok := parseOperator(opName)
		if !ok {
			return nil, &Error{msgInvalidCondType + opName}
		}
		for key, rawVals := range keys {
			vals, err := conditionValues(rawVals)
			if err != nil {
				return nil, err
			}
			out = append(out, Condition{Operator: opName, Key: key, Values: vals, op: op})
		}
	}
	return out, nil
}

// conditionValues accepts a scalar (string, number, bool) or a list of scalars.
func conditionValues(v any) ([]string, error) {
	scalar := func(e any) (string, bool) {
		switch t := e.(type) {
		case string:
			return t, true
		case json.Number:
			return t.String(), true
		case bool:
			return strconv.FormatBool(t), true
		}
		return "", false
	}
	if l, ok := v.([]any); ok {
		out := make([]string, 0, len(l))
		for _, e := range l {
			s, ok := scalar(e)
			if !ok {
				return nil, &Error{msgSyntax}
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, ok := scalar(v)
	if !ok {
		return nil, &Error{msgSyntax}
	}
	return []string{s}, nil
}
