package template

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Limits of the document parser, against hostile input.
const (
	// maxDepth is the deepest nesting of maps, lists and functions accepted.
	maxDepth = 200
	// maxNodes bounds the values one document may expand to (YAML aliases can
	// repeat a subtree); the budget also scales with the document's size.
	maxNodes = 1 << 20
)

// functions are the intrinsic function names a template may use, in the long form.
var functions = map[string]bool{
	"Ref": true, "Condition": true,
	"Fn::Base64": true, "Fn::Cidr": true, "Fn::FindInMap": true, "Fn::GetAtt": true,
	"Fn::GetAZs": true, "Fn::ImportValue": true, "Fn::Join": true, "Fn::Select": true,
	"Fn::Split": true, "Fn::Sub": true, "Fn::Transform": true,
	"Fn::If": true, "Fn::Equals": true, "Fn::And": true, "Fn::Or": true, "Fn::Not": true,
	"Fn::Length": true, "Fn::ToJsonString": true,
	// Rules-only functions.
	"Fn::Contains": true, "Fn::EachMemberEquals": true, "Fn::EachMemberIn": true,
	"Fn::ValueOf": true, "Fn::ValueOfAll": true, "Fn::RefAll": true,
}

// tagFunction maps a YAML short-form tag to its function, or "" when unknown.
func tagFunction(tag string) string {
	switch tag {
	case "!Ref":
		return "Ref"
	case "!Condition":
		return "Condition"
	}
	if name := "Fn::" + strings.TrimPrefix(tag, "!"); strings.HasPrefix(tag, "!") && functions[name] {
		return name
	}
	return ""
}

// parseDocument parses a JSON or YAML document into a node tree. JSON is chosen
// when the first non-blank character is "{", as AWS does.
func parseDocument(body []byte) (root *node, err error) {
	defer func() {
		// The YAML library is well fuzzed, but bad input must never crash a stack
		// operation: a panic becomes a format error.
		if r := recover(); r != nil {
			root, err = nil, &Error{Message: fmt.Sprintf("Template format error: unsupported structure. (%v)", r)}
		}
	}()
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	budget := len(body)*4 + 10000
	if budget > maxNodes {
		budget = maxNodes
	}
	if len(trimmed) > 0 && trimmed[0] == '{' {
		return parseJSON(body, budget)
	}
	return parseYAML(body, budget)
}

// builder holds what every parser shares: the node budget and the path of the
// member being parsed, for errors (nodes learn their parents only once built).
type builder struct {
	budget int
	stack  []string
}

func (b *builder) push(k string) { b.stack = append(b.stack, k) }
func (b *builder) pop()          { b.stack = b.stack[:len(b.stack)-1] }

// here is the path of the member being parsed, with more appended.
func (b *builder) here(more ...string) string {
	return strings.Join(append(append([]string(nil), b.stack...), more...), "/")
}

func (b *builder) newNode(k kind, line, col int) (*node, error) {
	b.budget--
	if b.budget < 0 {
		return nil, &Error{Path: b.here(), Line: line, Column: col, Message: "Template format error: template expands to too many values"}
	}
	return &node{kind: k, line: int32(line), col: int32(col)}, nil
}

// finishMap turns a single-member map naming an intrinsic function into a call.
func (b *builder) finishMap(m *node) (*node, error) {
	if len(m.keys) != 1 {
		return m, nil
	}
	k := m.keys[0]
	if k != "Ref" && !strings.HasPrefix(k, "Fn::") {
		return m, nil
	}
	if !functions[k] {
		line, col := m.keyPos(0)
		return nil, &Error{Path: b.here(k), Line: line, Column: col,
			Message: "Template format error: Encountered unsupported function: " + k + " Supported functions are: " + supportedFunctions}
	}
	return makeFunc(k, m.items[0], int(m.line), int(m.col)), nil
}

// makeFunc builds a function node around its argument, normalizing the
// "Resource.Attribute" string form of Fn::GetAtt into a list.
func makeFunc(name string, arg *node, line, col int) *node {
	f := &node{kind: kindFunc, s: name, line: int32(line), col: int32(col)}
	if name == "Fn::GetAtt" && arg != nil && arg.kind == kindString {
		if i := strings.IndexByte(arg.s, '.'); i > 0 && i < len(arg.s)-1 {
			l := &node{kind: kindList, line: arg.line, col: arg.col}
			a := &node{kind: kindString, s: arg.s[:i], line: arg.line, col: arg.col, parent: l, idx: 0}
			b := &node{kind: kindString, s: arg.s[i+1:], line: arg.line, col: arg.col, parent: l, idx: 1}
			l.items = []*node{a, b}
			arg = l
		}
	}
	if name == "Fn::Sub" {
		str, _ := subArgs(arg)
		if str != nil && str.kind == kindString {
			str.sub = parseSubText(str.s)
		}
	}
	if arg == nil {
		arg = &node{kind: kindNull, line: int32(line), col: int32(col)}
	}
	arg.parent, arg.key = f, name
	f.items = []*node{arg}
	return f
}

// --- YAML ---

var yamlLine = regexp.MustCompile(`line (\d+):? ?`)

func parseYAML(body []byte, budget int) (*node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(body))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{Message: "Template format error: unsupported structure."}
		}
		return nil, yamlError(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &Error{Line: extra.Line, Column: extra.Column, Message: "Template format error: YAML not well-formed. A template is a single YAML document"}
	} else if !errors.Is(err, io.EOF) {
		return nil, yamlError(err)
	}
	c := &yamlConv{builder: builder{budget: budget}}
	return c.convert(&doc, 0)
}

// yamlError words a YAML syntax error as AWS does, with the line the library found.
// The library's own description of the problem follows, as a sentence.
func yamlError(err error) *Error {
	e := &Error{Message: "Template format error: YAML not well-formed.", Err: err}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		e.Message += fmt.Sprintf(" (line %d)", e.Line)
		msg = yamlLine.ReplaceAllString(msg, "")
	}
	if msg = strings.TrimSpace(msg); msg != "" {
		e.Message += " " + strings.ToUpper(msg[:1]) + msg[1:] + "."
	}
	return e
}

type yamlConv struct {
	builder
}

func (c *yamlConv) convert(y *yaml.Node, depth int) (*node, error) {
	if depth > maxDepth {
		return nil, &Error{Path: c.here(), Line: y.Line, Column: y.Column, Message: "Template format error: YAML not well-formed. Nesting is too deep"}
	}
	switch y.Kind {
	case yaml.DocumentNode:
		if len(y.Content) == 0 {
			return nil, &Error{Message: "Template format error: unsupported structure."}
		}
		return c.convert(y.Content[0], depth)
	case yaml.AliasNode:
		if y.Alias == nil {
			return nil, &Error{Line: y.Line, Column: y.Column, Message: "Template format error: YAML not well-formed. Unknown alias"}
		}
		n, err := c.convert(y.Alias, depth+1)
		if err != nil {
			return nil, err
		}
		n.line, n.col = int32(y.Line), int32(y.Column)
		return n, nil
	}
	fn, err := c.tag(y)
	if err != nil {
		return nil, err
	}
	var n *node
	switch y.Kind {
	case yaml.ScalarNode:
		n, err = c.scalar(y, fn != "")
	case yaml.SequenceNode:
		n, err = c.sequence(y, depth)
	case yaml.MappingNode:
		n, err = c.mapping(y, depth, true)
	default:
		return nil, &Error{Line: y.Line, Column: y.Column, Message: "Template format error: YAML not well-formed."}
	}
	if err != nil {
		return nil, err
	}
	if fn == "" {
		return n, nil
	}
	if _, err := c.newNode(kindFunc, y.Line, y.Column); err != nil {
		return nil, err
	}
	return makeFunc(fn, n, y.Line, y.Column), nil
}

// tag returns the function a node's short-form tag calls, "" for a standard tag,
// or an error for a tag that is neither.
func (c *yamlConv) tag(y *yaml.Node) (string, error) {
	tag := y.ShortTag()
	if tag == "" || tag == "!" || strings.HasPrefix(tag, "!!") {
		return "", nil
	}
	if fn := tagFunction(tag); fn != "" {
		return fn, nil
	}
	return "", &Error{Path: c.here(), Line: y.Line, Column: y.Column,
		Message: "Template format error: Encountered unsupported function: " + tag + " Supported functions are: " + supportedFunctions}
}

func (c *yamlConv) scalar(y *yaml.Node, tagged bool) (*node, error) {
	n, err := c.newNode(kindString, y.Line, y.Column)
	if err != nil {
		return nil, err
	}
	n.s = y.Value
	if tagged {
		// The argument of a short-form function is its text, whatever it looks like.
		return n, nil
	}
	plain := y.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle|yaml.TaggedStyle) == 0
	if plain {
		// CloudFormation reads YAML 1.1: y, yes, on, n, no, off (in any of their
		// three cases) are booleans too.
		if b, ok := yaml11Bools[y.Value]; ok {
			n.kind, n.b = kindBool, b
			return n, nil
		}
	}
	switch y.ShortTag() {
	case "!!null":
		n.kind, n.s = kindNull, ""
	case "!!bool":
		var b bool
		if y.Decode(&b) == nil {
			n.kind, n.b = kindBool, b
		}
	case "!!int":
		var v any
		if y.Decode(&v) == nil {
			switch x := v.(type) {
			case int:
				n.kind, n.i, n.s = kindInt, int64(x), strconv.Itoa(x)
			case int64:
				n.kind, n.i, n.s = kindInt, x, strconv.FormatInt(x, 10)
			case uint64:
				n.kind, n.f = kindFloat, float64(x)
				n.s = strconv.FormatUint(x, 10)
			case float64:
				setFloat(n, x, y.Value)
			}
		}
	case "!!float":
		// A YAML 1.1 float has a dot: 1e3 or 012 (not an octal) are strings.
		if plain && !strings.Contains(y.Value, ".") {
			break
		}
		var f float64
		if y.Decode(&f) == nil {
			setFloat(n, f, y.Value)
		}
	}
	if n.kind == kindInt && plain && (strings.HasPrefix(y.Value, "0o") || strings.HasPrefix(y.Value, "0O")) {
		// 0o17 is a YAML 1.2 octal; YAML 1.1 has no such form.
		n.kind, n.s = kindString, y.Value
	}
	return n, nil
}

// yaml11Bools are the YAML 1.1 booleans.
var yaml11Bools = map[string]bool{
	"y": true, "Y": true, "yes": true, "Yes": true, "YES": true,
	"true": true, "True": true, "TRUE": true, "on": true, "On": true, "ON": true,
	"n": false, "N": false, "no": false, "No": false, "NO": false,
	"false": false, "False": false, "FALSE": false, "off": false, "Off": false, "OFF": false,
}

// setFloat makes n a float unless it is not finite (.inf, .nan stay strings: JSON
// has no such numbers).
func setFloat(n *node, f float64, text string) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return
	}
	n.kind, n.f, n.s = kindFloat, f, text
}

func (c *yamlConv) sequence(y *yaml.Node, depth int) (*node, error) {
	n, err := c.newNode(kindList, y.Line, y.Column)
	if err != nil {
		return nil, err
	}
	n.items = make([]*node, 0, len(y.Content))
	for i, cy := range y.Content {
		c.push(strconv.Itoa(i))
		it, err := c.convert(cy, depth+1)
		c.pop()
		if err != nil {
			return nil, err
		}
		it.parent, it.idx = n, int32(len(n.items))
		n.items = append(n.items, it)
	}
	return n, nil
}

func (c *yamlConv) mapping(y *yaml.Node, depth int, detectFunc bool) (*node, error) {
	n, err := c.newNode(kindMap, y.Line, y.Column)
	if err != nil {
		return nil, err
	}
	merged := map[string]bool{}
	seen := make(map[string]int, len(y.Content)/2)
	for i := 0; i+1 < len(y.Content); i += 2 {
		ky, vy := y.Content[i], y.Content[i+1]
		if ky.Kind == yaml.ScalarNode && ky.ShortTag() == "!!merge" {
			if err := c.merge(n, vy, depth, merged, seen); err != nil {
				return nil, err
			}
			continue
		}
		if ky.Kind != yaml.ScalarNode {
			return nil, &Error{Line: ky.Line, Column: ky.Column, Message: "Template format error: YAML not well-formed. A mapping key must be a string"}
		}
		c.push(ky.Value)
		v, err := c.convert(vy, depth+1)
		c.pop()
		if err != nil {
			return nil, err
		}
		if err := c.setMember(n, ky.Value, v, ky.Line, ky.Column, merged, seen); err != nil {
			return nil, err
		}
	}
	if !detectFunc {
		return n, nil
	}
	return c.finishMap(n)
}

// merge applies a YAML merge key ("<<: *base"): the merged mapping's members that
// the mapping does not set itself.
func (c *yamlConv) merge(n *node, vy *yaml.Node, depth int, merged map[string]bool, seen map[string]int) error {
	src := vy
	if src.Kind == yaml.AliasNode && src.Alias != nil {
		src = src.Alias
	}
	switch src.Kind {
	case yaml.SequenceNode:
		for _, it := range src.Content {
			if err := c.merge(n, it, depth, merged, seen); err != nil {
				return err
			}
		}
		return nil
	case yaml.MappingNode:
		m, err := c.mapping(src, depth+1, false)
		if err != nil {
			return err
		}
		for i, k := range m.keys {
			if _, ok := seen[k]; ok {
				continue
			}
			line, col := m.keyPos(i)
			if err := c.setMember(n, k, m.items[i], line, col, nil, seen); err != nil {
				return err
			}
			merged[k] = true
		}
		return nil
	}
	return &Error{Line: vy.Line, Column: vy.Column, Message: "Template format error: YAML not well-formed. A merge key must name a mapping"}
}

// setMember adds a member to a map node; a key given twice is an error unless the
// first came from a merge key. seen indexes the map's keys while it is built, so a
// map with many members costs no more than linear time.
func (b *builder) setMember(n *node, key string, v *node, line, col int, merged map[string]bool, seen map[string]int) error {
	if i, ok := seen[key]; ok {
		if merged[key] {
			delete(merged, key)
			v.parent, v.key = n, key
			n.items[i] = v
			n.kpos[2*i], n.kpos[2*i+1] = int32(line), int32(col)
			return nil
		}
		kl, _ := n.keyPos(i)
		return &Error{Path: b.here(key), Line: line, Column: col,
			Message: fmt.Sprintf("Template format error: Duplicate key %q (first at line %d)", key, kl)}
	}
	seen[key] = len(n.keys)
	v.parent, v.key = n, key
	n.keys = append(n.keys, key)
	n.items = append(n.items, v)
	n.kpos = append(n.kpos, int32(line), int32(col))
	return nil
}

// --- JSON ---

type jsonConv struct {
	builder
	dec   *json.Decoder
	body  []byte
	lines []int // offsets where lines start
}

func parseJSON(body []byte, budget int) (*node, error) {
	c := &jsonConv{builder: builder{budget: budget}, dec: json.NewDecoder(bytes.NewReader(body)), body: body}
	c.dec.UseNumber()
	c.lines = []int{0}
	for i, b := range body {
		if b == '\n' {
			c.lines = append(c.lines, i+1)
		}
	}
	n, err := c.value(0)
	if err != nil {
		return nil, err
	}
	if off := c.next(); off < len(body) {
		return nil, c.syntaxError(off, "JSON not well-formed. Content after the template's object")
	}
	return n, nil
}

// next is the offset of the next token.
func (c *jsonConv) next() int {
	off := int(c.dec.InputOffset())
	for off < len(c.body) {
		switch c.body[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
		default:
			return off
		}
	}
	return off
}

// pos converts a byte offset to a 1-based line and column.
func (c *jsonConv) pos(off int) (int, int) {
	i := sort.Search(len(c.lines), func(i int) bool { return c.lines[i] > off }) - 1
	if i < 0 {
		i = 0
	}
	return i + 1, off - c.lines[i] + 1
}

func (c *jsonConv) syntaxError(off int, msg string) *Error {
	line, col := c.pos(off)
	return &Error{Path: c.here(), Line: line, Column: col, Message: "Template format error: " + msg}
}

func (c *jsonConv) tokenError(err error, off int) *Error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off = int(se.Offset)
	} else if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		off = len(c.body)
	}
	e := c.syntaxError(off, "JSON not well-formed.")
	e.Message += fmt.Sprintf(" (line %d, column %d)", e.Line, e.Column)
	e.Err = err
	return e
}

func (c *jsonConv) value(depth int) (*node, error) {
	off := c.next()
	if depth > maxDepth {
		return nil, c.syntaxError(off, "JSON not well-formed. Nesting is too deep")
	}
	tok, err := c.dec.Token()
	if err != nil {
		return nil, c.tokenError(err, off)
	}
	line, col := c.pos(off)
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			return c.object(line, col, depth)
		case '[':
			return c.array(line, col, depth)
		}
		return nil, c.syntaxError(off, "JSON not well-formed.")
	case string:
		n, err := c.newNode(kindString, line, col)
		if err != nil {
			return nil, err
		}
		n.s = t
		return n, nil
	case json.Number:
		n, err := c.newNode(kindFloat, line, col)
		if err != nil {
			return nil, err
		}
		n.s = string(t)
		if i, err := t.Int64(); err == nil && !strings.ContainsAny(n.s, ".eE") {
			n.kind, n.i = kindInt, i
		} else if f, err := t.Float64(); err == nil {
			n.f = f
		} else {
			n.kind = kindString
		}
		return n, nil
	case bool:
		n, err := c.newNode(kindBool, line, col)
		if err != nil {
			return nil, err
		}
		n.b = t
		return n, nil
	case nil:
		return c.newNode(kindNull, line, col)
	}
	return nil, c.syntaxError(off, "JSON not well-formed.")
}

func (c *jsonConv) object(line, col, depth int) (*node, error) {
	n, err := c.newNode(kindMap, line, col)
	if err != nil {
		return nil, err
	}
	seen := map[string]int{}
	for c.dec.More() {
		off := c.next()
		tok, err := c.dec.Token()
		if err != nil {
			return nil, c.tokenError(err, off)
		}
		key, ok := tok.(string)
		if !ok {
			return nil, c.syntaxError(off, "JSON not well-formed.")
		}
		kl, kc := c.pos(off)
		c.push(key)
		v, err := c.value(depth + 1)
		c.pop()
		if err != nil {
			return nil, err
		}
		if err := c.setMember(n, key, v, kl, kc, nil, seen); err != nil {
			return nil, err
		}
	}
	off := c.next()
	if _, err := c.dec.Token(); err != nil {
		return nil, c.tokenError(err, off)
	}
	return c.finishMap(n)
}

func (c *jsonConv) array(line, col, depth int) (*node, error) {
	n, err := c.newNode(kindList, line, col)
	if err != nil {
		return nil, err
	}
	for c.dec.More() {
		c.push(strconv.Itoa(len(n.items)))
		it, err := c.value(depth + 1)
		c.pop()
		if err != nil {
			return nil, err
		}
		it.parent, it.idx = n, int32(len(n.items))
		n.items = append(n.items, it)
	}
	off := c.next()
	if _, err := c.dec.Token(); err != nil {
		return nil, c.tokenError(err, off)
	}
	return n, nil
}
