package elbv2

import (
	"slices"
	"testing"
)

// FuzzConditions checks that condition validation never panics, and that what it
// accepts reaches the data plane with every value.
func FuzzConditions(f *testing.F) {
	for _, seed := range [][3]string{
		{"path-pattern", "/api/*", ""}, {"host-header", "*.example.com", ""}, {"http-header", "*Mobile*", "User-Agent"},
		{"http-request-method", "GET", ""}, {"query-string", `\*x?`, "k"}, {"source-ip", "10.0.0.0/8", ""}, {"cookie", "", ""},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	f.Fuzz(func(t *testing.T, field, value, extra string) {
		c := RuleCondition{Field: &field, Values: []string{value}}
		switch field {
		case fieldHost:
			c = RuleCondition{Field: &field, HostHeaderConfig: &HostHeaderConditionConfig{Values: []string{value, extra}}}
		case fieldHeader:
			c = RuleCondition{Field: &field, HttpHeaderConfig: &HttpHeaderConditionConfig{HttpHeaderName: &extra, Values: []string{value}}}
		case fieldMethod:
			c = RuleCondition{Field: &field, HttpRequestMethodConfig: &HttpRequestMethodConditionConfig{Values: []string{value}}}
		case fieldQuery:
			c = RuleCondition{Field: &field, QueryStringConfig: &QueryStringConditionConfig{Values: []QueryStringKeyValuePair{{Key: &extra, Value: &value}}}}
		case fieldSource:
			c = RuleCondition{Field: &field, SourceIpConfig: &SourceIpConditionConfig{Values: []string{value}}}
		}
		wire, err := checkConditions([]RuleCondition{c})
		if err != nil {
			return
		}
		cfg := conditionConfig(wire[0])
		if cfg.Field != field {
			t.Fatalf("field %q became %q", field, cfg.Field)
		}
		if field == fieldQuery {
			if len(cfg.QueryStrings) != 1 || cfg.QueryStrings[0].Value != value {
				t.Fatalf("query-string %q became %+v", value, cfg.QueryStrings)
			}
			return
		}
		if !slices.Contains(cfg.Values, value) {
			t.Fatalf("value %q lost: %+v", value, cfg)
		}
	})
}

// FuzzParseARN checks that ARN parsing never panics and that what it accepts is made
// again by the ARN builders.
func FuzzParseARN(f *testing.F) {
	s := &Service{region: "us-east-1", account: "000000000000"}
	f.Add(s.lbARN("web", "0123456789abcdef"))
	f.Add(s.tgARN("api", "0123456789abcdef"))
	f.Add(s.listenerARN("web", "0123456789abcdef", "fedcba9876543210"))
	f.Add(s.ruleARN("web", "0123456789abcdef", "fedcba9876543210", "00112233aabbccdd"))
	f.Add("arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/net/x/1")
	f.Fuzz(func(t *testing.T, arn string) {
		r, ok := s.parseARN(arn)
		if !ok {
			return
		}
		var again string
		switch r.kind {
		case kindLoadBalancer:
			again = s.lbARN(r.name, r.id)
		case kindTargetGroup:
			again = s.tgARN(r.name, r.id)
		case kindListener:
			again = s.listenerARN(r.name, r.id, r.listenerID)
		case kindRule:
			again = s.ruleARN(r.name, r.id, r.listenerID, r.ruleID)
		}
		if again != arn {
			t.Fatalf("%q parsed as %+v, which makes %q", arn, r, again)
		}
	})
}
