package elbv2

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Condition fields.
const (
	fieldPath    = "path-pattern"
	fieldHost    = "host-header"
	fieldHeader  = "http-header"
	fieldMethod  = "http-request-method"
	fieldQuery   = "query-string"
	fieldSource  = "source-ip"
	maxValueLen  = 128
	maxHeaderLen = 40
)

var conditionFields = []string{fieldHeader, fieldMethod, fieldHost, fieldPath, fieldQuery, fieldSource}

// checkConditions checks the conditions of a rule as ALB does and returns them as
// DescribeRules shows them (path-pattern and host-header in both forms, the others in
// their configuration), which is how they are stored. The quotas count over the whole
// rule: 5 values (a query-string pair is one) and 5 wildcards.
func checkConditions(in []RuleCondition) ([]RuleCondition, error) {
	if len(in) == 0 {
		return nil, errValidation("A rule must have at least one condition")
	}
	wire := make([]RuleCondition, 0, len(in))
	values, wildcards := 0, 0
	seen := map[string]bool{}
	for i, c := range in {
		member := fmt.Sprintf("conditions.member.%d", i+1)
		if c.Field == nil {
			return nil, errRequired(member + ".field")
		}
		field := *c.Field
		if !slices.Contains(conditionFields, field) {
			return nil, errValidation("Condition field '%s' must be one of '[%s]'", field, strings.Join(conditionFields, ", "))
		}
		if err := checkConfigMatchesField(c, field); err != nil {
			return nil, err
		}
		switch field {
		case fieldHost, fieldMethod, fieldPath, fieldSource:
			if seen[field] {
				return nil, errValidation("A rule can have only one '%s' condition", field)
			}
			seen[field] = true
		}
		w, cfg, n, err := checkCondition(c, field)
		if err != nil {
			return nil, err
		}
		values += len(cfg.Values) + len(cfg.QueryStrings)
		wildcards += n
		wire = append(wire, w)
	}
	if values > quotaConditionValues {
		return nil, errValidation("A rule can only have '%d' condition values", quotaConditionValues)
	}
	if wildcards > quotaConditionWildcards {
		return nil, errValidation("A rule can only have '%d' condition wildcards", quotaConditionWildcards)
	}
	return wire, nil
}

// checkConfigMatchesField refuses configurations given for another field, and the
// regular expressions Wharf does not match.
func checkConfigMatchesField(c RuleCondition, field string) error {
	configs := []struct {
		name  string
		field string
		set   bool
	}{
		{"HostHeaderConfig", fieldHost, c.HostHeaderConfig != nil},
		{"PathPatternConfig", fieldPath, c.PathPatternConfig != nil},
		{"HttpHeaderConfig", fieldHeader, c.HttpHeaderConfig != nil},
		{"HttpRequestMethodConfig", fieldMethod, c.HttpRequestMethodConfig != nil},
		{"QueryStringConfig", fieldQuery, c.QueryStringConfig != nil},
		{"SourceIpConfig", fieldSource, c.SourceIpConfig != nil},
	}
	for _, cf := range configs {
		if cf.set && cf.field != field {
			return errValidation("%s can be specified only when the condition field is '%s', not '%s'", cf.name, cf.field, field)
		}
	}
	if len(c.RegexValues) > 0 || (c.HostHeaderConfig != nil && len(c.HostHeaderConfig.RegexValues) > 0) ||
		(c.PathPatternConfig != nil && len(c.PathPatternConfig.RegexValues) > 0) ||
		(c.HttpHeaderConfig != nil && len(c.HttpHeaderConfig.RegexValues) > 0) {
		return errValidation("RegexValues are not supported: Wharf matches conditions with Values (wildcards * and ?)")
	}
	if len(c.Values) > 0 && field != fieldHost && field != fieldPath {
		return errValidation("Values can be specified only for 'host-header' and 'path-pattern' conditions; specify a '%s' condition in its configuration", field)
	}
	return nil
}

// checkCondition checks one condition; it returns its wire and data plane forms and the
// number of wildcards it uses.
func checkCondition(c RuleCondition, field string) (RuleCondition, ConditionConfig, int, error) {
	var no RuleCondition
	cfg := ConditionConfig{Field: field}
	wire := RuleCondition{Field: ptr(field)}
	switch field {
	case fieldPath, fieldHost:
		var cfgValues []string
		if c.PathPatternConfig != nil {
			cfgValues = c.PathPatternConfig.Values
		}
		if c.HostHeaderConfig != nil {
			cfgValues = c.HostHeaderConfig.Values
		}
		vals, err := legacyOrConfig(field, c.Values, cfgValues, c.PathPatternConfig != nil || c.HostHeaderConfig != nil)
		if err != nil {
			return no, cfg, 0, err
		}
		for _, v := range vals {
			if field == fieldPath {
				err = checkPathPattern(v)
			} else {
				err = checkHostPattern(v)
			}
			if err != nil {
				return no, cfg, 0, err
			}
		}
		cfg.Values = vals
		wire.Values = slices.Clone(vals)
		if field == fieldPath {
			wire.PathPatternConfig = &PathPatternConditionConfig{Values: slices.Clone(vals)}
		} else {
			wire.HostHeaderConfig = &HostHeaderConditionConfig{Values: slices.Clone(vals)}
		}
		return wire, cfg, countWildcards(vals...), nil
	case fieldHeader:
		h := c.HttpHeaderConfig
		if h == nil {
			return no, cfg, 0, errValidation("An 'http-header' condition must have an HttpHeaderConfig")
		}
		name := deref(h.HttpHeaderName)
		if err := checkHeaderName(name); err != nil {
			return no, cfg, 0, err
		}
		if err := checkValues(field, h.Values, visible(true)); err != nil {
			return no, cfg, 0, err
		}
		cfg.HeaderName, cfg.Values = name, slices.Clone(h.Values)
		wire.HttpHeaderConfig = &HttpHeaderConditionConfig{HttpHeaderName: ptr(name), Values: slices.Clone(h.Values)}
		return wire, cfg, countWildcards(h.Values...), nil
	case fieldMethod:
		m := c.HttpRequestMethodConfig
		if m == nil {
			return no, cfg, 0, errValidation("An 'http-request-method' condition must have an HttpRequestMethodConfig")
		}
		if err := checkValues(field, m.Values, method); err != nil {
			return no, cfg, 0, err
		}
		cfg.Values = slices.Clone(m.Values)
		wire.HttpRequestMethodConfig = &HttpRequestMethodConditionConfig{Values: slices.Clone(m.Values)}
		return wire, cfg, 0, nil
	case fieldQuery:
		return checkQueryCondition(c.QueryStringConfig, wire, cfg)
	default: // fieldSource
		ip := c.SourceIpConfig
		if ip == nil {
			return no, cfg, 0, errValidation("A 'source-ip' condition must have a SourceIpConfig")
		}
		if err := checkValues(field, ip.Values, cidr); err != nil {
			return no, cfg, 0, err
		}
		cfg.Values = slices.Clone(ip.Values)
		wire.SourceIpConfig = &SourceIpConditionConfig{Values: slices.Clone(ip.Values)}
		return wire, cfg, 0, nil
	}
}

// legacyOrConfig returns the values of a path-pattern or host-header condition, given
// in Values (one value) or in its configuration (several).
func legacyOrConfig(field string, legacy, config []string, hasConfig bool) ([]string, error) {
	switch {
	case len(legacy) > 0 && hasConfig && !slices.Equal(legacy, config):
		return nil, errValidation("A '%s' condition can have Values or its configuration, not both", field)
	case len(legacy) > 1 && !hasConfig:
		return nil, errValidation("Values of a '%s' condition can hold a single value; give several in its configuration", field)
	case hasConfig:
		return config, checkValues(field, config, nil)
	default:
		return legacy, checkValues(field, legacy, nil)
	}
}

// checkValues checks that a condition has values, each 1 to 128 characters, each
// passing check when given.
func checkValues(field string, values []string, check func(string) string) error {
	if len(values) == 0 {
		return errValidation("A '%s' condition must have at least one value", field)
	}
	for _, v := range values {
		if v == "" {
			return errValidation("A '%s' condition value cannot be empty", field)
		}
		if len(v) > maxValueLen {
			return errValidation("The '%s' condition value '%s' is longer than %d characters", field, v, maxValueLen)
		}
		if check != nil {
			if rule := check(v); rule != "" {
				return errValidation("The '%s' condition value '%s' is not valid: %s", field, v, rule)
			}
		}
	}
	return nil
}

// checkPathPattern checks a path pattern: A-Z, a-z, 0-9, _ - . $ / ~ " ' @ : + & and the
// wildcards * and ?.
func checkPathPattern(v string) error {
	for _, c := range v {
		if !(isAlnum(c) || strings.ContainsRune(`_-.$/~"'@:+&*?`, c)) {
			return errValidation("The 'path-pattern' condition value '%s' is not valid: it can contain only A-Z, a-z, 0-9, the characters _ - . $ / ~ \" ' @ : + & and the wildcards * and ?", v)
		}
	}
	return nil
}

// checkHostPattern checks a host pattern: A-Z, a-z, 0-9, - . and the wildcards * and ?,
// with at least one "." and only letters after the last.
func checkHostPattern(v string) error {
	for _, c := range v {
		if !(isAlnum(c) || strings.ContainsRune("-.*?", c)) {
			return errValidation("The 'host-header' condition value '%s' is not valid: it can contain only A-Z, a-z, 0-9, - . and the wildcards * and ?", v)
		}
	}
	dot := strings.LastIndexByte(v, '.')
	if dot < 0 {
		return errValidation("The 'host-header' condition value '%s' is not valid: it must include at least one '.'", v)
	}
	tld := v[dot+1:]
	if tld == "" || strings.IndexFunc(tld, func(c rune) bool { return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '*' || c == '?') }) >= 0 {
		return errValidation("The 'host-header' condition value '%s' is not valid: only letters can follow the last '.'", v)
	}
	return nil
}

// checkHeaderName checks an http-header condition's header: an RFC 7230 token of up to
// 40 characters, not Host (which host-header conditions match).
func checkHeaderName(name string) error {
	if name == "" {
		return errValidation("An 'http-header' condition must have an HttpHeaderName")
	}
	if len(name) > maxHeaderLen {
		return errValidation("The HTTP header name '%s' is longer than %d characters", name, maxHeaderLen)
	}
	for _, c := range name {
		if !(isAlnum(c) || strings.ContainsRune("!#$%&'*+-.^_`|~", c)) {
			return errValidation("The HTTP header name '%s' is not valid: it can contain only the characters of an RFC 7230 token", name)
		}
	}
	if strings.EqualFold(name, "host") {
		return errValidation("An 'http-header' condition cannot match the Host header: use a 'host-header' condition")
	}
	return nil
}

func checkQueryCondition(q *QueryStringConditionConfig, wire RuleCondition, cfg ConditionConfig) (RuleCondition, ConditionConfig, int, error) {
	if q == nil {
		return RuleCondition{}, cfg, 0, errValidation("A 'query-string' condition must have a QueryStringConfig")
	}
	if len(q.Values) == 0 {
		return RuleCondition{}, cfg, 0, errValidation("A 'query-string' condition must have at least one value")
	}
	wildcards := 0
	out := &QueryStringConditionConfig{}
	for _, kv := range q.Values {
		v := deref(kv.Value)
		if v == "" {
			return RuleCondition{}, cfg, 0, errValidation("A 'query-string' condition value cannot be empty")
		}
		for _, s := range []string{deref(kv.Key), v} {
			if len(s) > maxValueLen {
				return RuleCondition{}, cfg, 0, errValidation("The 'query-string' condition value '%s' is longer than %d characters", s, maxValueLen)
			}
			if rule := visible(false)(s); rule != "" {
				return RuleCondition{}, cfg, 0, errValidation("The 'query-string' condition value '%s' is not valid: %s", s, rule)
			}
			wildcards += countWildcards(s)
		}
		pair := QueryStringKeyValuePair{Value: ptr(v)}
		if kv.Key != nil && *kv.Key != "" {
			pair.Key = ptr(*kv.Key)
		}
		out.Values = append(out.Values, pair)
		cfg.QueryStrings = append(cfg.QueryStrings, KeyValue{Key: deref(kv.Key), Value: v})
	}
	wire.QueryStringConfig = out
	return wire, cfg, wildcards, nil
}

// visible checks that a value has only visible ASCII characters (and spaces, when
// allowed): ALB rules apply to those only.
func visible(spaces bool) func(string) string {
	return func(v string) string {
		for _, c := range v {
			if c < ' ' || c >= 0x7f || (c == ' ' && !spaces) {
				if spaces {
					return "it can contain only visible ASCII characters and spaces"
				}
				return "it can contain only visible ASCII characters"
			}
		}
		return ""
	}
}

// method checks an HTTP method name: A-Z, hyphens and underscores, up to 40.
func method(v string) string {
	if len(v) > maxHeaderLen {
		return "a method name has at most 40 characters"
	}
	for _, c := range v {
		if !(c >= 'A' && c <= 'Z' || c == '-' || c == '_') {
			return "a method name can contain only A-Z, hyphens (-) and underscores (_)"
		}
	}
	return ""
}

// cidr checks a source IP range in CIDR notation, IPv4 or IPv6.
func cidr(v string) string {
	if _, err := netip.ParsePrefix(v); err != nil {
		return "it must be an IPv4 or IPv6 address range in CIDR notation (10.0.0.0/8, 2001:db8::/32)"
	}
	return ""
}

// countWildcards counts the * and ? of values, except those escaped with '\'.
func countWildcards(values ...string) int {
	n := 0
	for _, v := range values {
		escaped := false
		for _, c := range v {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '*' || c == '?':
				n++
			}
		}
	}
	return n
}

func isAlnum(c rune) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
