package lb

import (
	"bytes"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/wharf-dev/wharf/internal/elbv2"
)

// pattern is a compiled ALB wildcard pattern: '*' matches any run of characters
// (including none) and '?' exactly one.
type pattern struct {
	s    string // lower-cased when fold
	fold bool   // case-insensitive
	wild bool   // has '*' or '?'
	// The cheap tests run before the wildcard matcher (set by newPattern): a match
	// starts with prefix and ends with suffix (the literal text before the first and
	// after the last wildcard; prefix is all of s when !wild), and has at least min
	// bytes (the bytes of s that are not '*'), exactly min unless star. anyMid
	// reports that s between prefix and suffix is only '*'s, so that the two
	// literal tests decide the match.
	prefix, suffix string
	min            int
	star, anyMid   bool
}

func newPattern(s string, fold bool) pattern {
	if fold {
		s = strings.ToLower(s)
	}
	p := pattern{s: s, fold: fold, prefix: s}
	first := strings.IndexAny(s, "*?")
	if first < 0 {
		p.min = len(s)
		return p
	}
	last := strings.LastIndexAny(s, "*?")
	p.wild = true
	p.prefix, p.suffix = s[:first], s[last+1:]
	p.min = len(s) - strings.Count(s, "*")
	p.star = p.min < len(s)
	p.anyMid = strings.Trim(s[first:last+1], "*") == ""
	return p
}

// match reports whether b matches the pattern. It does not allocate.
func (p *pattern) match(b []byte) bool {
	if !p.wild {
		if p.fold {
			return equalFold(b, p.s)
		}
		return string(b) == p.s
	}
	if len(b) < p.min || !p.star && len(b) != p.min {
		return false
	}
	end := len(b) - len(p.suffix)
	if !equalLit(b[:len(p.prefix)], p.prefix, p.fold) || !equalLit(b[end:], p.suffix, p.fold) {
		return false
	}
	if p.anyMid {
		return true
	}
	return wildMatch(p.s[len(p.prefix):len(p.s)-len(p.suffix)], b[len(p.prefix):end], p.fold)
}

// equalLit reports whether b equals the pattern literal s, comparing bytes as
// wildMatch does.
func equalLit(b []byte, s string, fold bool) bool {
	if !fold {
		return string(b) == s
	}
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		if c := s[i]; c != b[i] && c != lower(b[i]) {
			return false
		}
	}
	return true
}

// wildMatch matches s against p ('*' and '?' wildcards), in linear space and
// O(len(p)·len(s)) worst-case time, backtracking only to the last '*'.
func wildMatch(p string, s []byte, fold bool) bool {
	px, sx := 0, 0
	star, starS := -1, 0
	for sx < len(s) {
		if px < len(p) {
			c := p[px]
			switch {
			case c == '*':
				star, starS = px, sx
				px++
				continue
			case c == '?':
				px++
				sx++
				continue
			case c == s[sx] || (fold && c == lower(s[sx])):
				px++
				sx++
				continue
			}
		}
		if star < 0 {
			return false
		}
		starS++
		px, sx = star+1, starS
	}
	for px < len(p) && p[px] == '*' {
		px++
	}
	return px == len(p)
}

// Condition fields.
const (
	condPath = iota
	condHost
	condHeader
	condMethod
	condQuery
	condSourceIP
)

// condition is one compiled rule condition; its values are alternatives.
type condition struct {
	field    int
	patterns []pattern
	header   string // http-header name, lower case
	query    []queryPattern
	prefixes []netip.Prefix
}

// queryPattern is one key/value pair of a query-string condition.
type queryPattern struct {
	anyKey bool
	key    pattern
	value  pattern
}

// compileCondition compiles an ALB rule condition.
func compileCondition(c elbv2.ConditionConfig) (condition, error) {
	var out condition
	switch c.Field {
	case "path-pattern":
		out.field = condPath
		for _, v := range c.Values {
			out.patterns = append(out.patterns, newPattern(v, false))
		}
	case "host-header":
		out.field = condHost
		for _, v := range c.Values {
			out.patterns = append(out.patterns, newPattern(v, true))
		}
	case "http-header":
		out.field = condHeader
		if !isToken([]byte(c.HeaderName)) {
			return out, fmt.Errorf("http-header condition: invalid header name %q", c.HeaderName)
		}
		out.header = strings.ToLower(c.HeaderName)
		for _, v := range c.Values {
			out.patterns = append(out.patterns, newPattern(v, true))
		}
	case "http-request-method":
		out.field = condMethod
		for _, v := range c.Values {
			out.patterns = append(out.patterns, pattern{s: v})
		}
	case "query-string":
		out.field = condQuery
		for _, kv := range c.QueryStrings {
			out.query = append(out.query, queryPattern{
				anyKey: kv.Key == "",
				key:    newPattern(kv.Key, true),
				value:  newPattern(kv.Value, true),
			})
		}
		if len(out.query) == 0 {
			return out, fmt.Errorf("query-string condition: no key/value pairs")
		}
		return out, nil
	case "source-ip":
		out.field = condSourceIP
		for _, v := range c.Values {
			p, err := netip.ParsePrefix(v)
			if err != nil {
				return out, fmt.Errorf("source-ip condition: %w", err)
			}
			out.prefixes = append(out.prefixes, p.Masked())
		}
		if len(out.prefixes) == 0 {
			return out, fmt.Errorf("source-ip condition: no CIDR blocks")
		}
		return out, nil
	default:
		return out, fmt.Errorf("unsupported condition field %q", c.Field)
	}
	if len(out.patterns) == 0 {
		return out, fmt.Errorf("%s condition: no values", c.Field)
	}
	return out, nil
}

// match reports whether the request satisfies the condition. It does not allocate
// once r.scratch and r.qends have grown to the size of the request's query string.
func (c *condition) match(r *request, client netip.Addr) bool {
	switch c.field {
	case condPath:
		return anyMatch(c.patterns, r.path)
	case condHost:
		return anyMatch(c.patterns, r.host)
	case condMethod:
		return anyMatch(c.patterns, r.method)
	case condHeader:
		for i := range r.headers {
			h := &r.headers[i]
			if equalFold(h.name, c.header) && anyMatch(c.patterns, h.value) {
				return true
			}
		}
		return false
	case condQuery:
		return c.matchQuery(r)
	case condSourceIP:
		for _, p := range c.prefixes {
			if p.Contains(client) {
				return true
			}
		}
		return false
	}
	return false
}

func anyMatch(ps []pattern, b []byte) bool {
	for i := range ps {
		if ps[i].match(b) {
			return true
		}
	}
	return false
}

// matchQuery matches the URL-decoded key/value pairs of the query string.
func (c *condition) matchQuery(r *request) bool {
	if !r.qdecoded {
		r.decodeQuery()
	}
	start := 0
	for i := 0; i+1 < len(r.qends); i += 2 {
		key, value := r.scratch[start:r.qends[i]], r.scratch[r.qends[i]:r.qends[i+1]]
		start = r.qends[i+1]
		for j := range c.query {
			qp := &c.query[j]
			if (qp.anyKey || qp.key.match(key)) && qp.value.match(value) {
				return true
			}
		}
	}
	return false
}

// decodeQuery URL-decodes the non-empty key/value pairs of the query string into
// r.scratch, once per request, recording their ends in r.qends.
func (r *request) decodeQuery() {
	r.scratch, r.qends = r.scratch[:0], r.qends[:0]
	q := r.query
	for len(q) > 0 {
		var pair []byte
		if i := bytes.IndexByte(q, '&'); i >= 0 {
			pair, q = q[:i], q[i+1:]
		} else {
			pair, q = q, nil
		}
		if len(pair) == 0 {
			continue
		}
		rawKey, rawValue := pair, []byte(nil)
		if i := bytes.IndexByte(pair, '='); i >= 0 {
			rawKey, rawValue = pair[:i], pair[i+1:]
		}
		r.scratch = unescape(r.scratch, rawKey)
		r.qends = append(r.qends, len(r.scratch))
		r.scratch = unescape(r.scratch, rawValue)
		r.qends = append(r.qends, len(r.scratch))
	}
	r.qdecoded = true
}

// unescape appends the URL-decoded form of b (%XX escapes and '+' as space) to dst;
// an invalid escape is kept as is.
func unescape(dst, b []byte) []byte {
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '+':
			c = ' '
		case c == '%' && i+2 < len(b) && ishex(b[i+1]) && ishex(b[i+2]):
			c = unhex(b[i+1])<<4 | unhex(b[i+2])
			i += 2
		}
		dst = append(dst, c)
	}
	return dst
}

func ishex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// rule is a compiled listener rule: all conditions must match.
type rule struct {
	arn    string
	conds  []condition
	action *action
	// A request whose path is shorter than pathMin or does not start with
	// pathPrefix cannot match the rule (see newRule); the zero values reject nothing.
	// pathWord holds the first (up to 8) bytes of pathPrefix, and pathMask their
	// positions, to compare them in one step.
	pathPrefix         string
	pathMin            int
	pathWord, pathMask uint64
}

// headWord returns the first (up to 8) bytes of b as a little-endian word, and a
// mask of the positions they fill.
func headWord[T ~string | ~[]byte](b T) (word, mask uint64) {
	for i := range min(len(b), 8) {
		word |= uint64(b[i]) << (8 * i)
		mask |= 0xff << (8 * i)
	}
	return word, mask
}

// condCost orders condition fields from cheapest to costliest to evaluate.
var condCost = [...]int{condMethod: 0, condPath: 1, condHost: 2, condSourceIP: 3, condHeader: 4, condQuery: 5}

// newRule builds a rule from compiled conditions, ordered cheapest first (all must
// match, so the order does not change the outcome), with the path guard of its
// first path-pattern condition: the literal prefix all its values share and the
// shortest length any of them matches.
func newRule(arn string, conds []condition, a *action) rule {
	ru := rule{arn: arn, action: a}
	ru.conds = slices.Clone(conds)
	slices.SortStableFunc(ru.conds, func(x, y condition) int { return condCost[x.field] - condCost[y.field] })
	for i := range ru.conds {
		c := &ru.conds[i]
		if c.field != condPath || len(c.patterns) == 0 {
			continue
		}
		ru.pathPrefix, ru.pathMin = c.patterns[0].prefix, c.patterns[0].min
		for _, p := range c.patterns[1:] {
			n := 0
			for n < len(ru.pathPrefix) && n < len(p.prefix) && ru.pathPrefix[n] == p.prefix[n] {
				n++
			}
			ru.pathPrefix = ru.pathPrefix[:n]
			ru.pathMin = min(ru.pathMin, p.min)
		}
		break
	}
	ru.pathWord, ru.pathMask = headWord(ru.pathPrefix)
	return ru
}

// matchRules returns the first rule whose conditions all match, or nil.
func matchRules(rules []rule, r *request, client netip.Addr) *rule {
	path := r.path
	word, _ := headWord(path)
	for i := range rules {
		ru := &rules[i]
		// pathMin >= len(pathPrefix), so the path's bytes under pathMask are real.
		if len(path) < ru.pathMin || (word^ru.pathWord)&ru.pathMask != 0 ||
			len(ru.pathPrefix) > 8 && string(path[8:len(ru.pathPrefix)]) != ru.pathPrefix[8:] {
			continue
		}
		ok := true
		for j := range ru.conds {
			if !ru.conds[j].match(r, client) {
				ok = false
				break
			}
		}
		if ok {
			return ru
		}
	}
	return nil
}
