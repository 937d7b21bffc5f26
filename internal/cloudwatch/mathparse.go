package cloudwatch

import (
	"fmt"
	"strconv"
	"strings"
)

// Metric math expressions (GetMetricData and metric-math alarms), parsed into a tree
// and evaluated by matheval.go. The grammar, loosest binding first:
//
//	expr    = or
//	or      = and { ("OR" | "||") and }
//	and     = not { ("AND" | "&&") not }
//	not     = ("NOT" | "!") not | compare
//	compare = sum [ ("==" | "!=" | "<" | "<=" | ">" | ">=") sum ]
//	sum     = product { ("+" | "-") product }
//	product = unary { ("*" | "/") unary }
//	unary   = ("-" | "+") unary | power
//	power   = primary [ "^" unary ]                (right-associative)
//	primary = number | string | id | FUNC "(" [ expr { "," expr } ] ")"
//	        | "(" expr ")" | "[" expr { "," expr } "]" | REPEAT | LINEAR
//
// Ids are query ids (a lowercase letter, then letters, digits and underscores);
// function names and the keywords are matched without regard to case when they are
// followed by "(" (functions) or stand alone in upper case (AND, OR, NOT, REPEAT,
// LINEAR).

const (
	maxExprLen   = 2048
	maxExprDepth = 64
)

// nodeKind is the kind of a parsed expression node.
type nodeKind int

const (
	nNum     nodeKind = iota // a number
	nStr                     // a string literal
	nRef                     // a query id
	nCall                    // a function call
	nUnary                   // -x, !x
	nBinary                  // x op y
	nArray                   // [x, y, ...]
	nKeyword                 // REPEAT, LINEAR
)

// node is a parsed expression.
type node struct {
	kind nodeKind
	pos  int // byte offset in the expression, for messages
	num  float64
	str  string // id, function name (upper case), operator, keyword or string
	args []*node
}

// exprError is a syntax error at a byte offset.
type exprError struct {
	pos int
	msg string
}

func (e *exprError) Error() string { return fmt.Sprintf("%s at position %d", e.msg, e.pos+1) }

// token kinds.
const (
	tEOF = iota
	tNum
	tStr
	tIdent
	tOp
)

type exprToken struct {
	kind int
	pos  int
	text string
	num  float64
}

type exprParser struct {
	src   string
	toks  []exprToken
	i     int
	depth int
}

// parseExpr parses a metric math expression.
func parseExpr(src string) (*node, error) {
	if strings.TrimSpace(src) == "" {
		return nil, &exprError{0, "Empty expression"}
	}
	if len(src) > maxExprLen {
		return nil, &exprError{maxExprLen, fmt.Sprintf("Expression is longer than %d characters", maxExprLen)}
	}
	toks, err := tokenize(src)
	if err != nil {
		return nil, err
	}
	p := &exprParser{src: src, toks: toks}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, &exprError{t.pos, fmt.Sprintf("Unexpected %s", describeTok(t))}
	}
	return n, nil
}

func describeTok(t exprToken) string {
	switch t.kind {
	case tEOF:
		return "end of expression"
	case tStr:
		return fmt.Sprintf("string %q", t.text)
	}
	return fmt.Sprintf("'%s'", t.text)
}

func isIdentStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool      { return c >= '0' && c <= '9' }

func tokenize(src string) ([]exprToken, error) {
	var toks []exprToken
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case isDigit(c) || c == '.' && i+1 < len(src) && isDigit(src[i+1]):
			j := i
			for j < len(src) && (isDigit(src[j]) || src[j] == '.') {
				j++
			}
			if j < len(src) && (src[j] == 'e' || src[j] == 'E') {
				k := j + 1
				if k < len(src) && (src[k] == '+' || src[k] == '-') {
					k++
				}
				if k < len(src) && isDigit(src[k]) {
					for k < len(src) && isDigit(src[k]) {
						k++
					}
					j = k
				}
			}
			v, err := strconv.ParseFloat(src[i:j], 64)
			if err != nil {
				return nil, &exprError{i, fmt.Sprintf("Invalid number '%s'", src[i:j])}
			}
			toks = append(toks, exprToken{kind: tNum, pos: i, text: src[i:j], num: v})
			i = j
		case isIdentStart(c):
			j := i
			for j < len(src) && (isIdentStart(src[j]) || isDigit(src[j])) {
				j++
			}
			toks = append(toks, exprToken{kind: tIdent, pos: i, text: src[i:j]})
			i = j
		case c == '"':
			var b strings.Builder
			j := i + 1
			for ; j < len(src) && src[j] != '"'; j++ {
				if src[j] == '\\' && j+1 < len(src) {
					j++
				}
				b.WriteByte(src[j])
			}
			if j >= len(src) {
				return nil, &exprError{i, "Unterminated string"}
			}
			toks = append(toks, exprToken{kind: tStr, pos: i, text: b.String()})
			i = j + 1
		default:
			two := ""
			if i+1 < len(src) {
				two = src[i : i+2]
			}
			switch two {
			case "==", "!=", "<=", ">=", "&&", "||":
				toks = append(toks, exprToken{kind: tOp, pos: i, text: two})
				i += 2
				continue
			}
			if strings.IndexByte("+-*/^()[],<>!", c) < 0 {
				return nil, &exprError{i, fmt.Sprintf("Unexpected character '%s'", printable(c))}
			}
			toks = append(toks, exprToken{kind: tOp, pos: i, text: string(c)})
			i++
		}
	}
	return append(toks, exprToken{kind: tEOF, pos: len(src)}), nil
}

func printable(c byte) string {
	if c < 0x20 || c >= 0x7f {
		return fmt.Sprintf("\\x%02x", c)
	}
	return string(c)
}

func (p *exprParser) peek() exprToken { return p.toks[p.i] }

func (p *exprParser) next() exprToken {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

// isOp reports whether the next exprToken is one of the operators (or upper-case
// keyword operators).
func (p *exprParser) isOp(ops ...string) (exprToken, bool) {
	t := p.peek()
	if t.kind != tOp && t.kind != tIdent {
		return t, false
	}
	for _, o := range ops {
		if t.text == o {
			return t, true
		}
	}
	return t, false
}

func (p *exprParser) expect(op string) error {
	t := p.next()
	if t.kind != tOp || t.text != op {
		return &exprError{t.pos, fmt.Sprintf("Expected '%s' but found %s", op, describeTok(t))}
	}
	return nil
}

func (p *exprParser) enter(pos int) error {
	p.depth++
	if p.depth > maxExprDepth {
		return &exprError{pos, fmt.Sprintf("Expression nests deeper than %d levels", maxExprDepth)}
	}
	return nil
}

func (p *exprParser) binary(sub func() (*node, error), ops ...string) (*node, error) {
	l, err := sub()
	if err != nil {
		return nil, err
	}
	for {
		t, ok := p.isOp(ops...)
		if !ok {
			return l, nil
		}
		p.next()
		r, err := sub()
		if err != nil {
			return nil, err
		}
		op := t.text
		switch op {
		case "OR":
			op = "||"
		case "AND":
			op = "&&"
		}
		l = &node{kind: nBinary, pos: t.pos, str: op, args: []*node{l, r}}
	}
}

func (p *exprParser) or() (*node, error)  { return p.binary(p.and, "||", "OR") }
func (p *exprParser) and() (*node, error) { return p.binary(p.not, "&&", "AND") }

func (p *exprParser) not() (*node, error) {
	if t, ok := p.isOp("!", "NOT"); ok {
		p.next()
		if err := p.enter(t.pos); err != nil {
			return nil, err
		}
		defer func() { p.depth-- }()
		x, err := p.not()
		if err != nil {
			return nil, err
		}
		return &node{kind: nUnary, pos: t.pos, str: "!", args: []*node{x}}, nil
	}
	return p.compare()
}

func (p *exprParser) compare() (*node, error) {
	l, err := p.sum()
	if err != nil {
		return nil, err
	}
	if t, ok := p.isOp("==", "!=", "<", "<=", ">", ">="); ok && t.kind == tOp {
		p.next()
		r, err := p.sum()
		if err != nil {
			return nil, err
		}
		if t2, ok := p.isOp("==", "!=", "<", "<=", ">", ">="); ok && t2.kind == tOp {
			return nil, &exprError{t2.pos, "Comparisons cannot be chained; use AND"}
		}
		return &node{kind: nBinary, pos: t.pos, str: t.text, args: []*node{l, r}}, nil
	}
	return l, nil
}

func (p *exprParser) sum() (*node, error) { return p.binary(p.product, "+", "-") }

func (p *exprParser) product() (*node, error) { return p.binary(p.unary, "*", "/") }

func (p *exprParser) unary() (*node, error) {
	if t, ok := p.isOp("-", "+"); ok && t.kind == tOp {
		p.next()
		if err := p.enter(t.pos); err != nil {
			return nil, err
		}
		defer func() { p.depth-- }()
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		if t.text == "+" {
			return x, nil
		}
		if x.kind == nNum {
			x.num = -x.num
			x.pos = t.pos
			return x, nil
		}
		return &node{kind: nUnary, pos: t.pos, str: "-", args: []*node{x}}, nil
	}
	return p.power()
}

func (p *exprParser) power() (*node, error) {
	base, err := p.primary()
	if err != nil {
		return nil, err
	}
	if t, ok := p.isOp("^"); ok {
		p.next()
		if err := p.enter(t.pos); err != nil {
			return nil, err
		}
		defer func() { p.depth-- }()
		exp, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &node{kind: nBinary, pos: t.pos, str: "^", args: []*node{base, exp}}, nil
	}
	return base, nil
}

// list parses "expr {, expr}" up to the closing exprToken (already past the opener).
func (p *exprParser) list(closing string, allowEmpty bool) ([]*node, error) {
	var out []*node
	if t, ok := p.isOp(closing); ok && t.kind == tOp {
		if !allowEmpty {
			return nil, &exprError{t.pos, "Empty array"}
		}
		p.next()
		return out, nil
	}
	for {
		x, err := p.or()
		if err != nil {
			return nil, err
		}
		out = append(out, x)
		t := p.next()
		if t.kind == tOp && t.text == closing {
			return out, nil
		}
		if t.kind != tOp || t.text != "," {
			return nil, &exprError{t.pos, fmt.Sprintf("Expected ',' or '%s' but found %s", closing, describeTok(t))}
		}
	}
}

func (p *exprParser) primary() (*node, error) {
	t := p.next()
	if err := p.enter(t.pos); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	switch t.kind {
	case tNum:
		return &node{kind: nNum, pos: t.pos, num: t.num}, nil
	case tStr:
		return &node{kind: nStr, pos: t.pos, str: t.text}, nil
	case tIdent:
		if n := p.peek(); n.kind == tOp && n.text == "(" {
			p.next()
			args, err := p.list(")", true)
			if err != nil {
				return nil, err
			}
			return &node{kind: nCall, pos: t.pos, str: strings.ToUpper(t.text), args: args}, nil
		}
		switch t.text {
		case "REPEAT", "LINEAR":
			return &node{kind: nKeyword, pos: t.pos, str: t.text}, nil
		case "AND", "OR", "NOT":
			return nil, &exprError{t.pos, fmt.Sprintf("Unexpected '%s'", t.text)}
		}
		if !validID(t.text) {
			return nil, &exprError{t.pos, fmt.Sprintf("Invalid metric id '%s': ids start with a lowercase letter", t.text)}
		}
		return &node{kind: nRef, pos: t.pos, str: t.text}, nil
	case tOp:
		switch t.text {
		case "(":
			x, err := p.or()
			if err != nil {
				return nil, err
			}
			if err := p.expect(")"); err != nil {
				return nil, err
			}
			return x, nil
		case "[":
			items, err := p.list("]", false)
			if err != nil {
				return nil, err
			}
			return &node{kind: nArray, pos: t.pos, args: items}, nil
		}
	}
	return nil, &exprError{t.pos, fmt.Sprintf("Unexpected %s", describeTok(t))}
}

// validID reports whether s is a valid query id.
func validID(s string) bool {
	if s == "" || len(s) > 255 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !(isIdentStart(c) || isDigit(c)) {
			return false
		}
	}
	return true
}

// refs appends the query ids n refers to.
func (n *node) refs(out []string) []string {
	if n.kind == nRef {
		out = append(out, n.str)
	}
	for _, a := range n.args {
		out = a.refs(out)
	}
	return out
}

// usesMetrics reports whether n calls METRICS().
func (n *node) usesMetrics() bool {
	if n.kind == nCall && n.str == "METRICS" {
		return true
	}
	for _, a := range n.args {
		if a.usesMetrics() {
			return true
		}
	}
	return false
}
