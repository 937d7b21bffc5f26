package logs

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/wharf-dev/wharf/internal/awsapi"
)

// This file is CloudWatch Logs' filter pattern language, as FilterLogEvents, metric
// filters and TestMetricFilter use it. A pattern is one of:
//
//   - empty, blank or `""`: matches every event;
//   - terms: `ERROR "exact phrase" ?alt ?other -excluded %regex%`. Every plain term
//     must occur in the message (case-sensitive substring), no `-` term may occur, and
//     when there are `?` terms at least one of them must occur. Unquoted terms may hold
//     letters, digits, '_', '.' and '-' only; anything else must be quoted;
//   - JSON: `{ $.level = "error" && ($.latency > 200 || $.user.id IS NULL) }` with
//     =, !=, <, <=, >, >=, IS NULL, IS TRUE, IS FALSE, NOT EXISTS, &&, || (&& binds
//     tighter), parentheses, selectors `$.a.b[0].c`, and string values with a leading
//     or trailing '*' wildcard;
//   - space-delimited: `[ip, user, ..., status = 4* && status != 404, bytes > 1000]`:
//     the message is split at spaces ("..." and [...] groups are one field), each
//     pattern field matches one message field, `...` matches any number of them, and a
//     field's conditions (on that field, joined by && and ||) must hold.
//
// Regular expressions between '%' are allowed as terms and values (at most two per
// pattern), limited to the characters AWS allows. Patterns are compiled once; matching
// does not allocate for term and space-delimited patterns with fewer than 64 fields in
// the message, nor for JSON patterns whose string values have no escapes.

// maxRegexes is AWS's limit of regular expressions in one filter pattern.
const maxRegexes = 2

// maxPatternDepth bounds the nesting of parentheses in JSON patterns.
const maxPatternDepth = 32

type patternKind uint8

const (
	kindAll patternKind = iota
	kindTerms
	kindJSON
	kindDelimited
)

// Pattern is a compiled filter pattern. It is immutable and safe for concurrent use.
type Pattern struct {
	src  string
	kind patternKind

	// terms
	required, optional, excluded []textMatcher

	// JSON
	json *jsonNode

	// space-delimited
	fields []delimField
	named  map[string]int // field name → index in fields
}

// textMatcher finds a literal or a regular expression in a message.
type textMatcher struct {
	lit []byte
	re  *regexp.Regexp
}

func (m *textMatcher) in(msg []byte) bool {
	if m.re != nil {
		return m.re.Match(msg)
	}
	return bytes.Contains(msg, m.lit)
}

// CompilePattern parses a filter pattern; a malformed one is an
// InvalidParameterException saying what is wrong.
func CompilePattern(src string) (*Pattern, error) {
	p := &Pattern{src: src}
	s := strings.TrimSpace(src)
	lead := strings.Index(src, s) // leading blanks, for positions in messages
	if s == "" || s == `""` {
		p.kind = kindAll
		return p, nil
	}
	switch s[0] {
	case '{':
		if s[len(s)-1] != '}' {
			return nil, errPattern("If a filter pattern starts with '{' it must end with '}'")
		}
		p.kind = kindJSON
		ps := &parser{src: s[1 : len(s)-1], base: lead + 1}
		n, err := ps.jsonExpr(0)
		if err != nil {
			return nil, err
		}
		ps.skipSpace()
		if !ps.done() {
			return nil, ps.unexpected()
		}
		p.json = n
		return p, nil
	case '[':
		if s[len(s)-1] != ']' {
			return nil, errPattern("If a filter pattern starts with '[' it must end with ']'")
		}
		p.kind = kindDelimited
		if err := p.parseDelimited(s[1:len(s)-1], lead+1); err != nil {
			return nil, err
		}
		return p, nil
	}
	p.kind = kindTerms
	if err := p.parseTerms(s, lead); err != nil {
		return nil, err
	}
	return p, nil
}

// String returns the pattern as written.
func (p *Pattern) String() string { return p.src }

// MatchesAll reports whether the pattern matches every event.
func (p *Pattern) MatchesAll() bool { return p.kind == kindAll }

// Match reports whether a log event message matches the pattern.
func (p *Pattern) Match(msg []byte) bool {
	switch p.kind {
	case kindAll:
		return true
	case kindTerms:
		for i := range p.excluded {
			if p.excluded[i].in(msg) {
				return false
			}
		}
		for i := range p.required {
			if !p.required[i].in(msg) {
				return false
			}
		}
		if len(p.optional) == 0 {
			return true
		}
		for i := range p.optional {
			if p.optional[i].in(msg) {
				return true
			}
		}
		return false
	case kindJSON:
		if !isJSONObject(msg) {
			return false
		}
		return p.json.eval(msg)
	case kindDelimited:
		var buf [64]span
		toks := splitFields(msg, buf[:0])
		var pos [32]int32
		var assign []int32
		if len(p.fields) <= len(pos) {
			assign = pos[:len(p.fields)]
		} else {
			assign = make([]int32, len(p.fields))
		}
		return p.matchFields(msg, toks, assign)
	}
	return false
}

// Extract matches msg and returns, for a space-delimited pattern, each message field
// by its pattern name ("$status") or, when unnamed or covered by "...", by its 1-based
// position ("$3"), as TestMetricFilter reports them; other patterns extract nothing.
func (p *Pattern) Extract(msg []byte) (map[string]string, bool) {
	if p.kind != kindDelimited {
		if !p.Match(msg) {
			return nil, false
		}
		return map[string]string{}, true
	}
	toks := splitFields(msg, nil)
	assign := make([]int32, len(p.fields))
	if !p.matchFields(msg, toks, assign) {
		return nil, false
	}
	names := make([]string, len(toks))
	for i, f := range p.fields {
		if !f.ellipsis && f.name != "" && int(assign[i]) < len(toks) {
			names[assign[i]] = "$" + f.name
		}
	}
	out := make(map[string]string, len(toks))
	for j, t := range toks {
		key := names[j]
		if key == "" {
			key = "$" + strconv.Itoa(j+1)
		}
		out[key] = string(t.of(msg))
	}
	return out, true
}

// field returns the value of a named space-delimited field in msg, if it matches.
func (p *Pattern) field(msg []byte, name string) ([]byte, bool) {
	idx, ok := p.named[name]
	if !ok || p.kind != kindDelimited {
		return nil, false
	}
	var buf [64]span
	toks := splitFields(msg, buf[:0])
	var pos [32]int32
	var assign []int32
	if len(p.fields) <= len(pos) {
		assign = pos[:len(p.fields)]
	} else {
		assign = make([]int32, len(p.fields))
	}
	if !p.matchFields(msg, toks, assign) {
		return nil, false
	}
	return toks[assign[idx]].of(msg), true
}

func errPattern(format string, args ...any) error {
	return awsapi.Errorf("InvalidParameterException", format, args...)
}

func errBadChars(term string) error {
	return errPattern("Invalid character(s) in term '%s'", term)
}

// parser is a cursor over pattern text.
type parser struct {
	src     string
	pos     int
	base    int // offset of src in the whole pattern, for positions in messages
	regexes int
}

// at is the 1-based position of the cursor in the whole pattern.
func (ps *parser) at() int { return ps.base + ps.pos + 1 }

func (ps *parser) done() bool { return ps.pos >= len(ps.src) }

func (ps *parser) peek() byte {
	if ps.done() {
		return 0
	}
	return ps.src[ps.pos]
}

func (ps *parser) skipSpace() {
	for !ps.done() && isSpace(ps.src[ps.pos]) {
		ps.pos++
	}
}

func (ps *parser) hasPrefix(s string) bool { return strings.HasPrefix(ps.src[ps.pos:], s) }

func (ps *parser) unexpected() error {
	if ps.done() {
		return errPattern("Invalid filter pattern: unexpected end of pattern")
	}
	r, _ := utf8.DecodeRuneInString(ps.src[ps.pos:])
	return errPattern("Invalid filter pattern: unexpected '%c' at position %d", r, ps.at())
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// isTermRune reports whether r may appear in an unquoted term.
func isTermRune(r rune) bool {
	return r == '_' || r == '.' || r == '-' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

// isValueRune reports whether r may appear in an unquoted JSON or field value.
func isValueRune(r rune) bool { return isTermRune(r) || r == '*' || r == '+' }

// quoted reads a double-quoted string at the cursor; backslash escapes the next
// character.
func (ps *parser) quoted() (string, error) {
	start := ps.pos
	ps.pos++ // opening quote
	var b strings.Builder
	for !ps.done() {
		c := ps.src[ps.pos]
		switch c {
		case '\\':
			if ps.pos+1 >= len(ps.src) {
				return "", errPattern("Invalid filter pattern: unterminated quoted string starting at position %d", ps.base+start+1)
			}
			b.WriteByte(ps.src[ps.pos+1])
			ps.pos += 2
		case '"':
			ps.pos++
			return b.String(), nil
		default:
			b.WriteByte(c)
			ps.pos++
		}
	}
	return "", errPattern("Invalid filter pattern: unterminated quoted string starting at position %d", ps.base+start+1)
}

// regex reads a %regex% at the cursor.
func (ps *parser) regex() (*regexp.Regexp, error) {
	start := ps.pos
	end := strings.IndexByte(ps.src[start+1:], '%')
	if end < 0 {
		return nil, errPattern("Invalid filter pattern: unterminated regular expression starting at position %d", ps.base+start+1)
	}
	body := ps.src[start+1 : start+1+end]
	ps.pos = start + end + 2
	ps.regexes++
	if ps.regexes > maxRegexes {
		return nil, errPattern("Invalid filter pattern: at most %d regular expressions are allowed in a filter pattern", maxRegexes)
	}
	if body == "" {
		return nil, errPattern("Invalid filter pattern: empty regular expression at position %d", ps.base+start+1)
	}
	var bad []byte
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c >= utf8.RuneSelf {
			return nil, errPattern("Invalid filter pattern: multi-byte characters are not supported in regular expressions")
		}
		if isASCIIAlnum(c) || strings.IndexByte(":_#=@/;,-^$?[]{}|\\*+. ", c) >= 0 {
			continue
		}
		if bytes.IndexByte(bad, c) < 0 {
			bad = append(bad, c)
		}
	}
	if len(bad) > 0 {
		return nil, errBadChars(string(bad))
	}
	re, err := regexp.Compile(body)
	if err != nil {
		return nil, errPattern("Invalid filter pattern: invalid regular expression %%%s%%: %v", body, err)
	}
	return re, nil
}

func isASCIIAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// bareword reads an unquoted run of characters up to a delimiter and checks them with
// ok; stop reports delimiters.
func (ps *parser) bareword(stop func(byte) bool, ok func(rune) bool) (string, error) {
	start := ps.pos
	for !ps.done() && !stop(ps.src[ps.pos]) {
		ps.pos++
	}
	word := ps.src[start:ps.pos]
	var bad []rune
	for _, r := range word {
		if !ok(r) && !containsRune(bad, r) {
			bad = append(bad, r)
		}
	}
	if len(bad) > 0 {
		return "", errBadChars(string(bad))
	}
	return word, nil
}

func containsRune(rs []rune, r rune) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}

// parseTerms parses an unstructured pattern of terms.
func (p *Pattern) parseTerms(s string, base int) error {
	ps := &parser{src: s, base: base}
	for {
		ps.skipSpace()
		if ps.done() {
			return nil
		}
		var prefix byte
		if c := ps.peek(); c == '?' || c == '-' {
			prefix = c
			ps.pos++
			ps.skipSpace()
			if ps.done() {
				return errPattern("Invalid filter pattern: '%c' must be followed by a term", prefix)
			}
		}
		var m textMatcher
		switch ps.peek() {
		case '"':
			q, err := ps.quoted()
			if err != nil {
				return err
			}
			if !ps.done() && !isSpace(ps.peek()) {
				return errBadChars(`"`)
			}
			m.lit = []byte(q)
		case '%':
			re, err := ps.regex()
			if err != nil {
				return err
			}
			if !ps.done() && !isSpace(ps.peek()) {
				return errBadChars("%")
			}
			m.re = re
		default:
			w, err := ps.bareword(isSpace, isTermRune)
			if err != nil {
				return err
			}
			m.lit = []byte(w)
		}
		switch prefix {
		case '?':
			p.optional = append(p.optional, m)
		case '-':
			p.excluded = append(p.excluded, m)
		default:
			p.required = append(p.required, m)
		}
	}
}

// cmpOp is a comparison of a JSON or space-delimited condition.
type cmpOp uint8

const (
	opEq cmpOp = iota + 1
	opNe
	opLt
	opLe
	opGt
	opGe
	opIsNull
	opIsTrue
	opIsFalse
	opNotExists
)

// operator reads a comparison operator at the cursor.
func (ps *parser) operator() (cmpOp, bool) {
	for _, o := range []struct {
		s  string
		op cmpOp
	}{{"!=", opNe}, {"<=", opLe}, {">=", opGe}, {"=", opEq}, {"<", opLt}, {">", opGt}} {
		if ps.hasPrefix(o.s) {
			ps.pos += len(o.s)
			return o.op, true
		}
	}
	return 0, false
}

// value is the right-hand side of a condition.
type value struct {
	num    float64
	isNum  bool
	str    []byte // without the wildcards
	prefix bool   // leading '*': matches any text before str
	suffix bool   // trailing '*': matches any text after str
	re     *regexp.Regexp
}

// matchLiteral matches a string value that is not a regular expression; text does
// not escape.
func (v *value) matchLiteral(text []byte) bool {
	switch {
	case v.prefix && v.suffix:
		return bytes.Contains(text, v.str)
	case v.prefix:
		return bytes.HasSuffix(text, v.str)
	case v.suffix:
		return bytes.HasPrefix(text, v.str)
	}
	return bytes.Equal(text, v.str)
}

// compare applies op to a scalar given by its text.
func (v *value) compare(op cmpOp, text []byte) bool {
	if v.re != nil && !v.isNum {
		switch op {
		case opEq:
			return v.re.Match(text)
		case opNe:
			return !v.re.Match(text)
		}
		return false
	}
	return v.compareLiteral(op, text)
}

// compareLiteral is compare for values that are not regular expressions; text does
// not escape.
func (v *value) compareLiteral(op cmpOp, text []byte) bool {
	if v.isNum {
		x, ok := parseNumber(text)
		if !ok {
			return false
		}
		switch op {
		case opEq:
			return x == v.num
		case opNe:
			return x != v.num
		case opLt:
			return x < v.num
		case opLe:
			return x <= v.num
		case opGt:
			return x > v.num
		case opGe:
			return x >= v.num
		}
		return false
	}
	switch op {
	case opEq:
		return v.matchLiteral(text)
	case opNe:
		return !v.matchLiteral(text)
	}
	return false
}

// parseNumber parses a decimal number without allocating.
func parseNumber(b []byte) (float64, bool) {
	if len(b) == 0 || len(b) > 64 {
		return 0, false
	}
	var buf [64]byte
	n := copy(buf[:], b)
	f, err := strconv.ParseFloat(string(buf[:n]), 64)
	return f, err == nil
}

var numberRE = regexp.MustCompile(`^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$`)

// valueAt reads a condition value (quoted, %regex% or bare) at the cursor; stop
// reports the characters that end a bare value.
func (ps *parser) valueAt(op cmpOp, stop func(byte) bool) (value, error) {
	var v value
	switch ps.peek() {
	case 0:
		return v, errPattern("Invalid filter pattern: missing value after the operator at position %d", ps.at())
	case '"':
		q, err := ps.quoted()
		if err != nil {
			return v, err
		}
		v.str = []byte(q)
		setWildcards(&v)
	case '%':
		re, err := ps.regex()
		if err != nil {
			return v, err
		}
		v.re = re
	default:
		w, err := ps.bareword(stop, isValueRune)
		if err != nil {
			return v, err
		}
		if w == "" {
			return v, ps.unexpected()
		}
		if numberRE.MatchString(w) {
			f, err := strconv.ParseFloat(w, 64)
			if err == nil {
				v.isNum, v.num = true, f
			}
		}
		v.str = []byte(w)
		if !v.isNum {
			setWildcards(&v)
		}
	}
	switch op {
	case opLt, opLe, opGt, opGe:
		if !v.isNum {
			return v, errPattern("Invalid filter pattern: the operators <, <=, > and >= need a numeric value, got %q", string(v.str))
		}
	}
	return v, nil
}

// setWildcards turns a leading and a trailing '*' of a string value into wildcards; a
// '*' elsewhere is literal.
func setWildcards(v *value) {
	s := v.str
	if len(s) > 0 && s[0] == '*' {
		v.prefix = true
		s = s[1:]
	}
	if len(s) > 0 && s[len(s)-1] == '*' {
		v.suffix = true
		s = s[:len(s)-1]
	}
	if v.prefix && len(s) == 0 {
		v.suffix = true // "*" alone: anything
	}
	v.str = s
}

// jsonNode is a JSON pattern expression: a condition or && / || of two expressions.
type jsonNode struct {
	op          byte // 'c', '&', '|'
	left, right *jsonNode
	cond        jsonCond
}

// jsonCond is one JSON condition: a selector, an operator and a value.
type jsonCond struct {
	path []jsonStep
	op   cmpOp
	val  value
}

func (n *jsonNode) eval(msg []byte) bool {
	switch n.op {
	case '&':
		return n.left.eval(msg) && n.right.eval(msg)
	case '|':
		return n.left.eval(msg) || n.right.eval(msg)
	}
	return n.cond.eval(msg)
}

func (c *jsonCond) eval(msg []byte) bool {
	kind, raw := lookupJSON(msg, c.path)
	switch c.op {
	case opNotExists:
		return kind == jsonMissing
	case opIsNull:
		return kind == jsonNull
	case opIsTrue:
		return kind == jsonTrue
	case opIsFalse:
		return kind == jsonFalse
	}
	switch kind {
	case jsonString:
		if !hasEscape(raw) {
			return c.val.compare(c.op, raw)
		}
		if c.val.re != nil {
			return c.val.compare(c.op, unescapeJSON(raw, nil))
		}
		var buf [256]byte
		return c.val.compareLiteral(c.op, unescapeJSON(raw, buf[:0]))
	case jsonNumber:
		return c.val.compare(c.op, raw)
	case jsonTrue, jsonFalse:
		if c.val.isNum {
			return false
		}
		return c.val.compare(c.op, raw)
	}
	return false
}

func (ps *parser) jsonExpr(depth int) (*jsonNode, error) {
	left, err := ps.jsonAnd(depth)
	if err != nil {
		return nil, err
	}
	for {
		ps.skipSpace()
		if !ps.hasPrefix("||") {
			return left, nil
		}
		ps.pos += 2
		right, err := ps.jsonAnd(depth)
		if err != nil {
			return nil, err
		}
		left = &jsonNode{op: '|', left: left, right: right}
	}
}

func (ps *parser) jsonAnd(depth int) (*jsonNode, error) {
	left, err := ps.jsonUnary(depth)
	if err != nil {
		return nil, err
	}
	for {
		ps.skipSpace()
		if !ps.hasPrefix("&&") {
			return left, nil
		}
		ps.pos += 2
		right, err := ps.jsonUnary(depth)
		if err != nil {
			return nil, err
		}
		left = &jsonNode{op: '&', left: left, right: right}
	}
}

func (ps *parser) jsonUnary(depth int) (*jsonNode, error) {
	ps.skipSpace()
	switch ps.peek() {
	case '(':
		if depth >= maxPatternDepth {
			return nil, errPattern("Invalid filter pattern: parentheses nest deeper than %d levels", maxPatternDepth)
		}
		open := ps.pos
		ps.pos++
		n, err := ps.jsonExpr(depth + 1)
		if err != nil {
			return nil, err
		}
		ps.skipSpace()
		if ps.peek() != ')' {
			if ps.done() {
				return nil, errPattern("Invalid filter pattern: unbalanced parenthesis at position %d", ps.base+open+1)
			}
			return nil, ps.unexpected()
		}
		ps.pos++
		return n, nil
	case '$':
		c, err := ps.jsonCondition()
		if err != nil {
			return nil, err
		}
		return &jsonNode{op: 'c', cond: c}, nil
	case 0:
		return nil, errPattern("Invalid filter pattern: expected a condition such as { $.field = value }")
	}
	return nil, errPattern("Invalid filter pattern: a JSON condition must start with a selector such as $.field, found %q at position %d", string(ps.src[ps.pos]), ps.at())
}

// jsonStep is one step of a selector: a member name or an array index.
type jsonStep struct {
	key   string
	index int // -1 for a member
}

func isSelectorRune(r rune) bool {
	return r == '_' || r == '-' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

func (ps *parser) selector() ([]jsonStep, error) {
	start := ps.pos
	ps.pos++ // '$'
	var path []jsonStep
	for !ps.done() {
		switch ps.peek() {
		case '.':
			ps.pos++
			ks := ps.pos
			for !ps.done() {
				r, n := utf8.DecodeRuneInString(ps.src[ps.pos:])
				if !isSelectorRune(r) {
					break
				}
				ps.pos += n
			}
			if ps.pos == ks {
				end := ps.pos
				if !ps.done() {
					_, n := utf8.DecodeRuneInString(ps.src[ps.pos:])
					end += n
				}
				return nil, errBadChars(ps.src[start:end])
			}
			path = append(path, jsonStep{key: ps.src[ks:ps.pos], index: -1})
		case '[':
			if len(path) == 0 {
				return nil, errBadChars(ps.src[start : ps.pos+1])
			}
			ps.pos++
			ds := ps.pos
			for !ps.done() && ps.peek() >= '0' && ps.peek() <= '9' {
				ps.pos++
			}
			if ps.pos == ds || ps.peek() != ']' || ps.pos-ds > 9 {
				return nil, errPattern("Invalid filter pattern: array index in selector %q must be a number in brackets", ps.src[start:min(ps.pos+1, len(ps.src))])
			}
			i, _ := strconv.Atoi(ps.src[ds:ps.pos])
			ps.pos++
			path = append(path, jsonStep{index: i})
		default:
			if len(path) == 0 {
				return nil, errPattern("Invalid filter pattern: selector '$' must name a property, such as $.field")
			}
			c := ps.peek()
			if !isSpace(c) && c != '=' && c != '!' && c != '<' && c != '>' && c != ')' {
				_, n := utf8.DecodeRuneInString(ps.src[ps.pos:])
				return nil, errBadChars(ps.src[start : ps.pos+n])
			}
			return path, nil
		}
	}
	if len(path) == 0 {
		return nil, errPattern("Invalid filter pattern: selector '$' must name a property, such as $.field")
	}
	return path, nil
}

func (ps *parser) keyword(words ...string) bool {
	save := ps.pos
	for _, w := range words {
		ps.skipSpace()
		if !ps.hasPrefix(w) {
			ps.pos = save
			return false
		}
		end := ps.pos + len(w)
		if end < len(ps.src) && !isSpace(ps.src[end]) && ps.src[end] != ')' && ps.src[end] != '&' && ps.src[end] != '|' {
			ps.pos = save
			return false
		}
		ps.pos = end
	}
	return true
}

func (ps *parser) jsonCondition() (jsonCond, error) {
	var c jsonCond
	path, err := ps.selector()
	if err != nil {
		return c, err
	}
	c.path = path
	ps.skipSpace()
	switch {
	case ps.keyword("IS", "NULL"):
		c.op = opIsNull
		return c, nil
	case ps.keyword("IS", "TRUE"):
		c.op = opIsTrue
		return c, nil
	case ps.keyword("IS", "FALSE"):
		c.op = opIsFalse
		return c, nil
	case ps.keyword("NOT", "EXISTS"):
		c.op = opNotExists
		return c, nil
	}
	op, ok := ps.operator()
	if !ok {
		if ps.done() {
			return c, errPattern("Invalid filter pattern: expected an operator (=, !=, <, <=, >, >=, IS NULL, IS TRUE, IS FALSE or NOT EXISTS) after the selector")
		}
		return c, errPattern("Invalid filter pattern: expected an operator (=, !=, <, <=, >, >=, IS NULL, IS TRUE, IS FALSE or NOT EXISTS) at position %d", ps.at())
	}
	c.op = op
	ps.skipSpace()
	v, err := ps.valueAt(op, func(b byte) bool { return isSpace(b) || b == ')' || b == '&' || b == '|' })
	if err != nil {
		return c, err
	}
	c.val = v
	return c, nil
}

// delimField is one field of a space-delimited pattern.
type delimField struct {
	ellipsis bool
	name     string
	// any is a disjunction of conjunctions of conditions on the field ("a && b || c"
	// is [[a b] [c]]); empty means no condition.
	any [][]delimCond
}

type delimCond struct {
	op  cmpOp
	val value
}

func (f *delimField) match(text []byte) bool {
	if len(f.any) == 0 {
		return true
	}
	for _, all := range f.any {
		ok := true
		for i := range all {
			if !all[i].val.compare(all[i].op, text) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func isFieldNameByte(c byte) bool { return isASCIIAlnum(c) || c == '_' }

// parseDelimited parses the inside of a [ ... ] pattern.
func (p *Pattern) parseDelimited(s string, base int) error {
	ps := &parser{src: s, base: base}
	p.named = map[string]int{}
	for {
		f, err := ps.delimField()
		if err != nil {
			return err
		}
		if f.name != "" {
			if _, dup := p.named[f.name]; dup {
				return errPattern("Invalid filter pattern: field name %q is used twice", f.name)
			}
			p.named[f.name] = len(p.fields)
		}
		p.fields = append(p.fields, f)
		ps.skipSpace()
		if ps.done() {
			return nil
		}
		if ps.peek() != ',' {
			return ps.unexpected()
		}
		ps.pos++
	}
}

func (ps *parser) delimField() (delimField, error) {
	var f delimField
	ps.skipSpace()
	if ps.hasPrefix("...") {
		ps.pos += 3
		f.ellipsis = true
		return f, nil
	}
	if ps.done() || ps.peek() == ',' {
		return f, nil // an unnamed field
	}
	all := []delimCond{}
	for {
		ps.skipSpace()
		start := ps.pos
		for !ps.done() && isFieldNameByte(ps.peek()) {
			ps.pos++
		}
		name := ps.src[start:ps.pos]
		if name == "" {
			if ps.done() {
				return f, ps.unexpected()
			}
			_, n := utf8.DecodeRuneInString(ps.src[ps.pos:])
			return f, errBadChars(ps.src[ps.pos : ps.pos+n])
		}
		if f.name == "" {
			f.name = name
		} else if name != f.name {
			return f, errPattern("Invalid filter pattern: a condition on field %q cannot refer to field %q", f.name, name)
		}
		ps.skipSpace()
		if ps.done() || ps.peek() == ',' {
			if len(f.any) > 0 || len(all) > 0 {
				return f, errPattern("Invalid filter pattern: expected an operator after %q", name)
			}
			return f, nil // a named field without conditions
		}
		op, ok := ps.operator()
		if !ok {
			return f, ps.unexpected()
		}
		ps.skipSpace()
		v, err := ps.valueAt(op, func(b byte) bool { return isSpace(b) || b == ',' || b == '&' || b == '|' })
		if err != nil {
			return f, err
		}
		all = append(all, delimCond{op: op, val: v})
		ps.skipSpace()
		switch {
		case ps.hasPrefix("&&"):
			ps.pos += 2
		case ps.hasPrefix("||"):
			ps.pos += 2
			f.any = append(f.any, all)
			all = []delimCond{}
		default:
			f.any = append(f.any, all)
			return f, nil
		}
	}
}

// span is a field of a message: bytes [start, end).
type span struct{ start, end int32 }

func (s span) of(msg []byte) []byte { return msg[s.start:s.end] }

// splitFields splits a message at spaces; text between double quotes or square
// brackets is one field, without them.
func splitFields(msg []byte, out []span) []span {
	i := 0
	for i < len(msg) {
		for i < len(msg) && (msg[i] == ' ' || msg[i] == '\t') {
			i++
		}
		if i >= len(msg) {
			break
		}
		var closer byte
		switch msg[i] {
		case '"':
			closer = '"'
		case '[':
			closer = ']'
		}
		if closer != 0 {
			if j := bytes.IndexByte(msg[i+1:], closer); j >= 0 {
				out = append(out, span{int32(i + 1), int32(i + 1 + j)})
				i += j + 2
				continue
			}
		}
		start := i
		for i < len(msg) && msg[i] != ' ' && msg[i] != '\t' {
			i++
		}
		out = append(out, span{int32(start), int32(i)})
	}
	return out
}

// matchFields matches message fields against the pattern fields, '...' matching any
// number of them; assign receives the message field index of each pattern field.
func (p *Pattern) matchFields(msg []byte, toks []span, assign []int32) bool {
	fi, ti := 0, 0
	star, mark := -1, 0
	for ti < len(toks) {
		if fi < len(p.fields) && p.fields[fi].ellipsis {
			star, mark = fi, ti
			fi++
			continue
		}
		if fi < len(p.fields) && p.fields[fi].match(toks[ti].of(msg)) {
			assign[fi] = int32(ti)
			fi++
			ti++
			continue
		}
		if star < 0 {
			return false
		}
		fi = star + 1
		mark++
		ti = mark
	}
	for fi < len(p.fields) && p.fields[fi].ellipsis {
		fi++
	}
	return fi == len(p.fields)
}
