package policy

import (
	"bytes"
	"encoding/base64"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// opKind is the comparison family of a condition operator.
type opKind int

const (
	opString opKind = iota
	opStringIgnoreCase
	opStringLike
	opNumEq
	opNumLT
	opNumLE
	opNumGT
	opNumGE
	opDateEq
	opDateLT
	opDateLE
	opDateGT
	opDateGE
	opBool
	opBinary
	opIP
	opArn // ArnEquals and ArnLike behave alike: component-wise wildcard match
	opNull
)

// Set qualifiers.
const (
	setNone = iota
	setAny
	setAll
)

// operator is a parsed condition operator.
type operator struct {
	kind     opKind
	negated  bool
	ifExists bool
	set      int
}

// baseOperators maps each base operator to its positive comparison and negation.
var baseOperators = map[string]operator{
	"StringEquals":              {kind: opString},
	"StringNotEquals":           {kind: opString, negated: true},
	"StringEqualsIgnoreCase":    {kind: opStringIgnoreCase},
	"StringNotEqualsIgnoreCase": {kind: opStringIgnoreCase, negated: true},
	"StringLike":                {kind: opStringLike},
	"StringNotLike":             {kind: opStringLike, negated: true},
	"NumericEquals":             {kind: opNumEq},
	"NumericNotEquals":          {kind: opNumEq, negated: true},
	"NumericLessThan":           {kind: opNumLT},
	"NumericLessThanEquals":     {kind: opNumLE},
	"NumericGreaterThan":        {kind: opNumGT},
	"NumericGreaterThanEquals":  {kind: opNumGE},
	"DateEquals":                {kind: opDateEq},
	"DateNotEquals":             {kind: opDateEq, negated: true},
	"DateLessThan":              {kind: opDateLT},
	"DateLessThanEquals":        {kind: opDateLE},
	"DateGreaterThan":           {kind: opDateGT},
	"DateGreaterThanEquals":     {kind: opDateGE},
	"Bool":                      {kind: opBool},
	"BinaryEquals":              {kind: opBinary},
	"IpAddress":                 {kind: opIP},
	"NotIpAddress":              {kind: opIP, negated: true},
	"ArnEquals":                 {kind: opArn},
	"ArnLike":                   {kind: opArn},
	"ArnNotEquals":              {kind: opArn, negated: true},
	"ArnNotLike":                {kind: opArn, negated: true},
	"Null":                      {kind: opNull},
}

// parseOperator parses [ForAnyValue:|ForAllValues:]Base[IfExists].
func parseOperator(name string) (operator, bool) {
	set := setNone
	base := name
	if rest, ok := strings.CutPrefix(base, "ForAnyValue:"); ok {
		set, base = setAny, rest
	} else if rest, ok := strings.CutPrefix(base, "ForAllValues:"); ok {
		set, base = setAll, rest
	}
	ifExists := false
	if rest, ok := strings.CutSuffix(base, "IfExists"); ok && base != "Null" {
		ifExists, base = true, rest
	}
	op, ok := baseOperators[base]
	if !ok || (op.kind == opNull && (ifExists || set != setNone)) {
		return operator{}, false
	}
	op.ifExists, op.set = ifExists, set
	return op, true
}

// isDate reports whether the operator compares dates.
func (o operator) isDate() bool { return o.kind >= opDateEq && o.kind <= opDateGE }

// evalCondition evaluates one condition against the request, following AWS's rules for
// missing keys: a missing key fails a positive operator, satisfies a negated one,
// satisfies ...IfExists and ForAllValues, and fails ForAnyValue.
func evalCondition(c *Condition, req *Request, vars bool) bool {
	vals, present := req.lookup(c.Key)
	if c.op.kind == opNull {
		for _, pv := range c.Values {
			switch strings.ToLower(pv) {
			case "true":
				if !present || len(vals) == 0 {
					return true
				}
			case "false":
				if present && len(vals) > 0 {
					return true
				}
			}
		}
		return false
	}
	if !present || len(vals) == 0 {
		switch {
		case c.op.ifExists, c.op.set == setAll:
			return true
		case c.op.set == setAny:
			return false
		}
		return c.op.negated
	}
	policyVals := c.Values
	esc := false // policyVals are escaped glob patterns
	if vars && needsExpand(c.Values) {
		esc = true
		policyVals = make([]string, 0, len(c.Values))
		glob := c.op.kind == opStringLike || c.op.kind == opArn
		for _, v := range c.Values {
			if e, ok := expand(v, req, glob); ok {
				policyVals = append(policyVals, e)
			}
		}
	}
	// f is the per-request-value test: "matches some policy value", negated as needed.
	f := func(v string) bool {
		m := false
		for _, pv := range policyVals {
			if compare(c.op.kind, pv, v, esc) {
				m = true
				break
			}
		}
		return m != c.op.negated
	}
	switch c.op.set {
	case setAny:
		for _, v := range vals {
			if f(v) {
				return true
			}
		}
		return false
	case setAll:
		for _, v := range vals {
			if !f(v) {
				return false
			}
		}
		return true
	}
	// A single-valued operator: the key matches when any of its values matches; a
	// negated operator is the negation of that.
	m := false
	for _, v := range vals {
		for _, pv := range policyVals {
			if compare(c.op.kind, pv, v, esc) {
				m = true
				break
			}
		}
	}
	return m != c.op.negated
}

// needsExpand reports whether any value contains a policy variable.
func needsExpand(vals []string) bool {
	for _, v := range vals {
		if strings.Contains(v, "${") {
			return true
		}
	}
	return false
}

// compare applies the positive form of an operator to a policy value pv and a request
// value v. esc says pv is an escaped glob pattern (after variable substitution).
func compare(kind opKind, pv, v string, esc bool) bool {
	switch kind {
	case opString:
		return pv == v
	case opStringIgnoreCase:
		return strings.EqualFold(pv, v)
	case opStringLike:
		return glob(pv, v, false, esc)
	case opArn:
		return arnMatch(pv, v, esc)
	case opBool:
		return strings.EqualFold(pv, v)
	case opBinary:
		a, err1 := base64.StdEncoding.DecodeString(pv)
		b, err2 := base64.StdEncoding.DecodeString(v)
		if err1 != nil || err2 != nil {
			return pv == v
		}
		return bytes.Equal(a, b)
	case opIP:
		addr, err := netip.ParseAddr(strings.TrimSpace(v))
		if err != nil {
			return false
		}
		addr = addr.Unmap()
		if pfx, err := netip.ParsePrefix(pv); err == nil {
			return pfx.Masked().Contains(addr)
		}
		if a, err := netip.ParseAddr(pv); err == nil {
			return a.Unmap() == addr
		}
		return false
	case opNumEq, opNumLT, opNumLE, opNumGT, opNumGE:
		a, err1 := strconv.ParseFloat(pv, 64)
		b, err2 := strconv.ParseFloat(v, 64)
		if err1 != nil || err2 != nil {
			return false
		}
		return ordered(kind-opNumEq, b, a)
	case opDateEq, opDateLT, opDateLE, opDateGT, opDateGE:
		a, ok1 := parseDate(pv)
		b, ok2 := parseDate(v)
		if !ok1 || !ok2 {
			return false
		}
		return ordered(kind-opDateEq, float64(b.UnixNano()), float64(a.UnixNano()))
	}
	return false
}

// ordered compares request value r with policy value p: rel 0 =, 1 <, 2 <=, 3 >, 4 >=.
func ordered(rel opKind, r, p float64) bool {
	switch rel {
	case 0:
		return r == p
	case 1:
		return r < p
	case 2:
		return r <= p
	case 3:
		return r > p
	case 4:
		return r >= p
	}
	return false
}

// dateLayouts are the ISO 8601 forms accepted in Date conditions.
var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04Z0700",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02",
	"2006-01",
	"2006",
}

// parseDate parses an ISO 8601 date or a Unix epoch in seconds.
func parseDate(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	if !strings.ContainsAny(s, "-Tt:") {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return time.Time{}, false
		}
		return time.Unix(n, 0), true
	}
	u := strings.ToUpper(s)
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, u); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
