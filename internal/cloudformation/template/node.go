package template

import (
	"math"
	"sort"
	"strconv"
	"strings"
)

// kind is what a parsed value is.
type kind uint8

const (
	kindNull kind = iota
	kindBool
	kindInt
	kindFloat
	kindString
	kindList
	kindMap
	kindFunc
)

// node is one parsed value of a template. Intrinsic functions are kept as kindFunc
// nodes whose name is s and whose argument is items[0]. A node knows its parent and
// its key there, so an error can name its path without every node storing one.
type node struct {
	kind kind
	b    bool
	i    int64
	f    float64
	// s is a string's value, a number's source text, or a function's name.
	s string
	// items are a list's elements, a map's values (in keys' order) or a function's
	// single argument.
	items []*node
	keys  []string
	// kpos holds each map key's line and column, two entries a key.
	kpos      []int32
	line, col int32
	parent    *node
	// key is this node's member name in its parent map, or the function name when
	// the parent is a function; idx is its index when the parent is a list.
	key string
	idx int32
	// sub caches a parsed Fn::Sub string.
	sub *subString
}

// Node is a parsed template value with its intrinsic functions still in it, and its
// position in the template. The zero Node is an absent value.
type Node struct {
	n *node
}

// IsZero reports whether the node is absent (the member was not in the template).
func (n Node) IsZero() bool { return n.n == nil }

// Line is the node's 1-based line in the template body, or 0 when unknown.
func (n Node) Line() int {
	if n.n == nil {
		return 0
	}
	return int(n.n.line)
}

// Column is the node's 1-based column in the template body, or 0 when unknown.
func (n Node) Column() int {
	if n.n == nil {
		return 0
	}
	return int(n.n.col)
}

// Path is the node's location in the template, such as
// "Resources/Web/Properties/Image".
func (n Node) Path() string {
	if n.n == nil {
		return ""
	}
	return n.n.path()
}

// Raw returns the node as plain JSON-like values with intrinsic functions in their
// long JSON form ({"Ref": "X"}, {"Fn::Join": [...]}), as a template written in JSON
// would have them.
func (n Node) Raw() any {
	if n.n == nil {
		return nil
	}
	return n.n.raw()
}

// References lists the logical ids (of parameters and resources) the node refers to
// through Ref, Fn::GetAtt and Fn::Sub, sorted and without pseudo parameters.
func (n Node) References() []string {
	set := map[string]bool{}
	walkRefs(n.n, func(name string, _ refKind, _ *node) {
		if !strings.HasPrefix(name, "AWS::") {
			set[name] = true
		}
	})
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// path builds the node's location from its ancestors.
func (n *node) path() string {
	var parts []string
	for c := n; c != nil && c.parent != nil; c = c.parent {
		if c.parent.kind == kindList {
			parts = append(parts, strconv.Itoa(int(c.idx)))
		} else {
			parts = append(parts, c.key)
		}
	}
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return strings.Join(parts, "/")
}

// get returns a map member, or nil.
func (n *node) get(key string) *node {
	if n == nil || n.kind != kindMap {
		return nil
	}
	for i, k := range n.keys {
		if k == key {
			return n.items[i]
		}
	}
	return nil
}

// memberIndex returns a lookup of a map node's members that costs constant time
// per call on a large map (and nil for a nil or non-map node).
func memberIndex(n *node) func(string) *node {
	if n == nil || n.kind != kindMap || len(n.keys) <= 8 {
		return n.get
	}
	idx := make(map[string]*node, len(n.keys))
	for i, k := range n.keys {
		if _, dup := idx[k]; !dup {
			idx[k] = n.items[i]
		}
	}
	return func(k string) *node { return idx[k] }
}

// keyPos is the position of a map's i-th key.
func (n *node) keyPos(i int) (line, col int) {
	if 2*i+1 < len(n.kpos) {
		return int(n.kpos[2*i]), int(n.kpos[2*i+1])
	}
	return int(n.line), int(n.col)
}

// arg is a function node's argument.
func (n *node) arg() *node {
	if n == nil || n.kind != kindFunc || len(n.items) == 0 {
		return nil
	}
	return n.items[0]
}

// isFunc reports whether the node is a call of the named function.
func (n *node) isFunc(name string) bool {
	return n != nil && n.kind == kindFunc && n.s == name
}

// scalarText is the text of a scalar (string, number, bool), and false for
// anything else.
func (n *node) scalarText() (string, bool) {
	if n == nil {
		return "", false
	}
	switch n.kind {
	case kindString, kindInt, kindFloat:
		return n.s, true
	case kindBool:
		return strconv.FormatBool(n.b), true
	}
	return "", false
}

// raw converts the node to plain values, intrinsics in long form.
func (n *node) raw() any {
	switch n.kind {
	case kindNull:
		return nil
	case kindBool:
		return n.b
	case kindInt:
		return intValue(n.i)
	case kindFloat:
		return n.f
	case kindString:
		return n.s
	case kindList:
		out := make([]any, len(n.items))
		for i, it := range n.items {
			out[i] = it.raw()
		}
		return out
	case kindMap:
		out := make(map[string]any, len(n.keys))
		for i, k := range n.keys {
			out[k] = n.items[i].raw()
		}
		return out
	case kindFunc:
		return map[string]any{n.s: n.arg().rawOrNil()}
	}
	return nil
}

func (n *node) rawOrNil() any {
	if n == nil {
		return nil
	}
	return n.raw()
}

// intValue returns an int64 as an int where it fits (always on 64-bit platforms).
func intValue(i int64) any {
	if i >= math.MinInt && i <= math.MaxInt {
		return int(i)
	}
	return i
}

// refKind tells how a node refers to a name.
type refKind uint8

const (
	refRef refKind = iota
	refGetAtt
	refSub
)

// walkRefs calls fn for every name the tree refers to through Ref, Fn::GetAtt
// (its resource) and Fn::Sub (the first part of each variable not defined in the
// substitution's own map), in document order.
func walkRefs(n *node, fn func(name string, how refKind, at *node)) {
	if n == nil {
		return
	}
	switch n.kind {
	case kindList, kindMap:
		for _, it := range n.items {
			walkRefs(it, fn)
		}
	case kindFunc:
		a := n.arg()
		switch n.s {
		case "Ref":
			if a != nil && a.kind == kindString {
				fn(a.s, refRef, n)
				return
			}
		case "Fn::GetAtt":
			if a != nil && a.kind == kindList && len(a.items) > 0 && a.items[0].kind == kindString {
				fn(a.items[0].s, refGetAtt, n)
				for _, it := range a.items[1:] {
					walkRefs(it, fn)
				}
				return
			}
		case "Fn::Sub":
			str, vars := subArgs(a)
			if str != nil && str.kind == kindString {
				ss := parseSub(str)
				lookup := memberIndex(vars)
				for _, p := range ss.parts {
					if !p.isVar || lookup(p.text) != nil {
						continue
					}
					name := p.text
					if !strings.HasPrefix(name, "AWS::") {
						if i := strings.IndexByte(name, '.'); i >= 0 {
							name = name[:i]
						}
					}
					fn(name, refSub, n)
				}
			}
			if vars != nil {
				walkRefs(vars, fn)
			}
			if str != nil && str.kind != kindString {
				walkRefs(str, fn)
			}
			return
		}
		walkRefs(a, fn)
	}
}

// subArgs splits an Fn::Sub argument into its string and its variable map (nil in
// the one-argument form).
func subArgs(a *node) (str, vars *node) {
	if a == nil {
		return nil, nil
	}
	if a.kind == kindList {
		if len(a.items) > 0 {
			str = a.items[0]
		}
		if len(a.items) > 1 && a.items[1].kind == kindMap {
			vars = a.items[1]
		}
		return str, vars
	}
	return a, nil
}

// AttributeRef is a literal Fn::GetAtt (or ${Resource.Attribute} in Fn::Sub) in a
// template: which resource's attribute it reads, and where.
type AttributeRef struct {
	LogicalID, Attribute string
	Path                 string
	Line, Column         int
}

// AttributeRefs lists the attribute references with literal names in the resources'
// properties and the outputs, so that an attribute a resource type does not have can
// be refused before anything is created.
func (t *Template) AttributeRefs() []AttributeRef {
	var out []AttributeRef
	var walk func(n *node)
	walk = func(n *node) {
		if n == nil {
			return
		}
		if n.kind == kindFunc {
			a := n.arg()
			switch n.s {
			case "Fn::GetAtt":
				if a != nil && a.kind == kindList && len(a.items) == 2 && a.items[0].kind == kindString && a.items[1].kind == kindString {
					out = append(out, AttributeRef{LogicalID: a.items[0].s, Attribute: a.items[1].s, Path: n.path(), Line: int(n.line), Column: int(n.col)})
				}
			case "Fn::Sub":
				if str, vars := subArgs(a); str != nil && str.kind == kindString {
					lookup := memberIndex(vars)
					for _, p := range parseSub(str).parts {
						name := p.text
						if !p.isVar || lookup(name) != nil || strings.HasPrefix(name, "AWS::") {
							continue
						}
						if id, attr, ok := strings.Cut(name, "."); ok {
							out = append(out, AttributeRef{LogicalID: id, Attribute: attr, Path: n.path(), Line: int(n.line), Column: int(n.col)})
						}
					}
				}
			}
		}
		for _, it := range n.items {
			walk(it)
		}
	}
	for _, id := range t.ResourceOrder {
		walk(t.Resources[id].Properties.n)
	}
	for _, id := range t.OutputOrder {
		walk(t.Outputs[id].Value.n)
	}
	return out
}
