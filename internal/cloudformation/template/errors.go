package template

import (
	"fmt"
	"sort"
	"strings"
)

// Error is a template error: a malformed document, a structural or reference error
// found by Parse or Validate, a parameter value that breaks its declaration, or an
// intrinsic function that cannot be evaluated. Message is worded as AWS words the
// ValidationError ("Template format error: ..."); Path, Line and Column say where.
type Error struct {
	// Path is the member the error is about, e.g. "Resources/Web/Properties/Image";
	// empty when the error is about the whole template or about parameter values.
	Path string
	// Line and Column are 1-based positions in the template body; 0 when unknown.
	Line, Column int
	// Message is the AWS wording of the error.
	Message string
	// Err is the underlying error when the error came from a callback (Env.GetAtt,
	// Env.ImportValue, Env.Resolve, the SSM lookup of ResolveParameters).
	Err error
}

// Error returns the message with its location: the path and, when known, the line
// and column, e.g. "Template format error: ... (at Resources/Web, line 4, column 3)".
func (e *Error) Error() string {
	var where []string
	if e.Path != "" {
		where = append(where, "at "+e.Path)
	}
	if e.Line > 0 && !strings.Contains(e.Message, "(line ") {
		if e.Column > 0 {
			where = append(where, fmt.Sprintf("line %d, column %d", e.Line, e.Column))
		} else {
			where = append(where, fmt.Sprintf("line %d", e.Line))
		}
	}
	if len(where) == 0 {
		return e.Message
	}
	return e.Message + " (" + strings.Join(where, ", ") + ")"
}

// Unwrap returns the callback's error, if any.
func (e *Error) Unwrap() error { return e.Err }

// errAt is an error about a node.
func errAt(n *node, format string, args ...any) *Error {
	e := &Error{Message: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Path = n.path()
		e.Line, e.Column = int(n.line), int(n.col)
	}
	return e
}

// errKey is an error about a map's i-th key.
func errKey(m *node, i int, format string, args ...any) *Error {
	e := errAt(m, format, args...)
	if m != nil && i < len(m.keys) {
		e.Line, e.Column = m.keyPos(i)
		if p := e.Path; p != "" {
			e.Path = p + "/" + m.keys[i]
		} else {
			e.Path = m.keys[i]
		}
	}
	return e
}

// formatError is a "Template format error: ..." about a node.
func formatError(n *node, format string, args ...any) *Error {
	return errAt(n, "Template format error: "+format, args...)
}

// templateError is a "Template error: ..." about a node.
func templateError(n *node, format string, args ...any) *Error {
	return errAt(n, "Template error: "+format, args...)
}

// nameList formats names as AWS lists them: "[A, B]".
func nameList(names []string) string {
	return "[" + strings.Join(names, ", ") + "]"
}

// sortedKeys returns a set's members sorted.
func sortedKeys(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// supportedFunctions is the list AWS prints with an unsupported function.
const supportedFunctions = "[Fn::Base64, Fn::GetAtt, Fn::GetAZs, Fn::ImportValue, Fn::Join, Fn::Split, Fn::FindInMap, Fn::Select, Ref, Fn::Equals, Fn::If, Fn::Not, Condition, Fn::And, Fn::Or, Fn::Contains, Fn::EachMemberEquals, Fn::EachMemberIn, Fn::ValueOf, Fn::ValueOfAll, Fn::RefAll, Fn::Sub, Fn::Cidr]"
