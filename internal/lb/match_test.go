package lb

import (
	"bufio"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/elbv2"
)

// parsedRequest parses a raw request head for matcher tests.
func parsedRequest(t testing.TB, raw string) *request {
	t.Helper()
	var r request
	head, err := readHead(bufio.NewReader(strings.NewReader(raw)), nil)
	if err != nil {
		t.Fatalf("readHead: %v", err)
	}
	if err := r.parse(head); err != nil {
		t.Fatalf("parse: %v", err)
	}
	return &r
}

func TestWildMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		fold, want bool
	}{
		{"/api/*", "/api/", false, true},
		{"/api/*", "/api/v1/users", false, true},
		{"/api/*", "/api", false, false},
		{"/api/*", "/API/x", false, false},
		{"/api/*", "/API/x", true, true},
		{"*", "", false, true},
		{"*", "anything", false, true},
		{"/img/*.png", "/img/a/b.png", false, true},
		{"/img/*.png", "/img/a/b.jpg", false, false},
		{"/?", "/a", false, true},
		{"/?", "/", false, false},
		{"/?", "/ab", false, false},
		{"a*b*c", "aXbYbZc", false, true},
		{"a*b*c", "aXbYbZ", false, false},
		{"**", "x", false, true},
		{"*.example.com", "www.example.com", true, true},
		{"*.example.com", "example.com", true, false},
		{"exact", "exact", false, true},
		{"exact", "exactly", false, false},
	}
	for _, tt := range tests {
		p := newPattern(tt.pattern, tt.fold)
		if got := p.match([]byte(tt.s)); got != tt.want {
			t.Errorf("match(%q, %q, fold=%v) = %v, want %v", tt.pattern, tt.s, tt.fold, got, tt.want)
		}
	}
}

func TestConditions(t *testing.T) {
	req := "GET /api/v1/Users?Color=Blue%20Sky&flag&Size=XL HTTP/1.1\r\n" +
		"Host: WWW.Example.com:8080\r\n" +
		"User-Agent: Mozilla/5.0 (X11) Chrome/120\r\n" +
		"X-Env: staging\r\n" +
		"X-Env: Canary\r\n\r\n"
	client := netip.MustParseAddr("10.1.2.3")
	tests := []struct {
		name string
		cond elbv2.ConditionConfig
		want bool
	}{
		{"path exact prefix", elbv2.ConditionConfig{Field: "path-pattern", Values: []string{"/api/*"}}, true},
		{"path is case-sensitive", elbv2.ConditionConfig{Field: "path-pattern", Values: []string{"/api/v1/users"}}, false},
		{"path excludes query", elbv2.ConditionConfig{Field: "path-pattern", Values: []string{"*Color*"}}, false},
		{"path OR of values", elbv2.ConditionConfig{Field: "path-pattern", Values: []string{"/nope", "/api/v?/Users"}}, true},
		{"host folds case, strips port", elbv2.ConditionConfig{Field: "host-header", Values: []string{"www.example.com"}}, true},
		{"host wildcard", elbv2.ConditionConfig{Field: "host-header", Values: []string{"*.EXAMPLE.com"}}, true},
		{"host other", elbv2.ConditionConfig{Field: "host-header", Values: []string{"api.example.com"}}, false},
		{"header value wildcard folds case", elbv2.ConditionConfig{Field: "http-header", HeaderName: "user-agent", Values: []string{"*chrome*"}}, true},
		{"header any occurrence", elbv2.ConditionConfig{Field: "http-header", HeaderName: "X-ENV", Values: []string{"canary"}}, true},
		{"header absent", elbv2.ConditionConfig{Field: "http-header", HeaderName: "X-Missing", Values: []string{"*"}}, false},
		{"method exact", elbv2.ConditionConfig{Field: "http-request-method", Values: []string{"GET"}}, true},
		{"method is case-sensitive", elbv2.ConditionConfig{Field: "http-request-method", Values: []string{"get"}}, false},
		{"query key/value decoded, case-insensitive", elbv2.ConditionConfig{Field: "query-string", QueryStrings: []elbv2.KeyValue{{Key: "color", Value: "blue sky"}}}, true},
		{"query value wildcard", elbv2.ConditionConfig{Field: "query-string", QueryStrings: []elbv2.KeyValue{{Key: "size", Value: "x*"}}}, true},
		{"query any key", elbv2.ConditionConfig{Field: "query-string", QueryStrings: []elbv2.KeyValue{{Value: "xl"}}}, true},
		{"query wrong value", elbv2.ConditionConfig{Field: "query-string", QueryStrings: []elbv2.KeyValue{{Key: "size", Value: "s"}}}, false},
		{"query key without value", elbv2.ConditionConfig{Field: "query-string", QueryStrings: []elbv2.KeyValue{{Key: "flag", Value: ""}}}, true},
		{"source ip in CIDR", elbv2.ConditionConfig{Field: "source-ip", Values: []string{"192.168.0.0/16", "10.0.0.0/8"}}, true},
		{"source ip outside", elbv2.ConditionConfig{Field: "source-ip", Values: []string{"10.2.0.0/16"}}, false},
	}
	r := parsedRequest(t, req)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := compileCondition(tt.cond)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.match(r, client); got != tt.want {
				t.Errorf("match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSourceIPIgnoresXForwardedFor(t *testing.T) {
	r := parsedRequest(t, "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n")
	c, err := compileCondition(elbv2.ConditionConfig{Field: "source-ip", Values: []string{"10.0.0.0/8"}})
	if err != nil {
		t.Fatal(err)
	}
	if c.match(r, netip.MustParseAddr("127.0.0.1")) {
		t.Error("source-ip matched X-Forwarded-For instead of the client address")
	}
	if !c.match(r, netip.MustParseAddr("10.9.9.9")) {
		t.Error("source-ip did not match the client address")
	}
}

func TestCompileConditionErrors(t *testing.T) {
	tests := []struct {
		cond elbv2.ConditionConfig
		want string
	}{
		{elbv2.ConditionConfig{Field: "source-ip", Values: []string{"10.0.0.1"}}, "source-ip"},
		{elbv2.ConditionConfig{Field: "bogus", Values: []string{"x"}}, "unsupported condition field"},
		{elbv2.ConditionConfig{Field: "path-pattern"}, "no values"},
		{elbv2.ConditionConfig{Field: "http-header", HeaderName: "bad name", Values: []string{"x"}}, "invalid header name"},
		{elbv2.ConditionConfig{Field: "query-string"}, "no key/value pairs"},
	}
	for _, tt := range tests {
		_, err := compileCondition(tt.cond)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("compileCondition(%+v) = %v, want error containing %q", tt.cond, err, tt.want)
		}
	}
}

func TestMatchRulesFirstMatchWins(t *testing.T) {
	mk := func(conds ...elbv2.ConditionConfig) rule {
		var cc []condition
		for _, c := range conds {
			c, err := compileCondition(c)
			if err != nil {
				t.Fatal(err)
			}
			cc = append(cc, c)
		}
		return newRule("", cc, nil)
	}
	rules := []rule{
		mk(elbv2.ConditionConfig{Field: "path-pattern", Values: []string{"/api/*"}}, elbv2.ConditionConfig{Field: "http-request-method", Values: []string{"POST"}}),
		mk(elbv2.ConditionConfig{Field: "path-pattern", Values: []string{"/api/*"}}),
		mk(),
	}
	for i := range rules {
		rules[i].arn = fmt.Sprint(i)
	}
	tests := []struct{ req, want string }{
		{"POST /api/x HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", "0"},
		{"GET /api/x HTTP/1.1\r\nHost: a\r\n\r\n", "1"},
		{"GET /other HTTP/1.1\r\nHost: a\r\n\r\n", "2"},
	}
	for _, tt := range tests {
		got := matchRules(rules, parsedRequest(t, tt.req), netip.Addr{})
		if got == nil || got.arn != tt.want {
			t.Errorf("%q matched %v, want rule %s", tt.req, got, tt.want)
		}
	}
}

// BenchmarkMatch matches a request against 100 rules of every condition type, the
// last of which matches. It must report 0 allocs/op.
func BenchmarkMatch(b *testing.B) {
	var rules []rule
	for i := range 100 {
		var conds []elbv2.ConditionConfig
		switch i % 5 {
		case 0:
			conds = append(conds, elbv2.ConditionConfig{Field: "path-pattern", Values: []string{fmt.Sprintf("/api/v%d/*", i), "/static/*.css"}})
		case 1:
			conds = append(conds, elbv2.ConditionConfig{Field: "host-header", Values: []string{fmt.Sprintf("svc%d.*.example.com", i)}})
		case 2:
			conds = append(conds, elbv2.ConditionConfig{Field: "http-header", HeaderName: "X-Tenant", Values: []string{fmt.Sprintf("tenant-%d", i)}})
		case 3:
			conds = append(conds, elbv2.ConditionConfig{Field: "query-string", QueryStrings: []elbv2.KeyValue{{Key: "v", Value: fmt.Sprint(i)}}})
		case 4:
			conds = append(conds, elbv2.ConditionConfig{Field: "source-ip", Values: []string{fmt.Sprintf("10.%d.0.0/16", i)}},
				elbv2.ConditionConfig{Field: "http-request-method", Values: []string{"PUT"}})
		}
		var cc []condition
		for _, c := range conds {
			c, err := compileCondition(c)
			if err != nil {
				b.Fatal(err)
			}
			cc = append(cc, c)
		}
		rules = append(rules, newRule("", cc, nil))
	}
	last, _ := compileCondition(elbv2.ConditionConfig{Field: "path-pattern", Values: []string{"/shop/*/checkout"}})
	rules = append(rules, newRule("hit", []condition{last}, nil))
	r := parsedRequest(b, "GET /shop/cart/checkout?v=1000&q=hello%20world HTTP/1.1\r\nHost: www.example.com\r\nX-Tenant: none\r\nUser-Agent: bench\r\n\r\n")
	client := netip.MustParseAddr("192.168.1.1")
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if ru := matchRules(rules, r, client); ru == nil || ru.arn != "hit" {
			b.Fatal("no match")
		}
	}
}

func TestMatchDoesNotAllocate(t *testing.T) {
	c, err := compileCondition(elbv2.ConditionConfig{Field: "query-string", QueryStrings: []elbv2.KeyValue{{Key: "k*", Value: "*v"}}})
	if err != nil {
		t.Fatal(err)
	}
	h, _ := compileCondition(elbv2.ConditionConfig{Field: "host-header", Values: []string{"*.example.com"}})
	rules := []rule{{conds: []condition{h, c}}}
	r := parsedRequest(t, "GET /a?x=1&key=%41v HTTP/1.1\r\nHost: a.example.com\r\n\r\n")
	matchRules(rules, r, netip.Addr{}) // grows the scratch buffer once
	allocs := testing.AllocsPerRun(100, func() {
		if matchRules(rules, r, netip.Addr{}) == nil {
			t.Fatal("no match")
		}
	})
	if allocs != 0 {
		t.Errorf("rule matching allocated %v times per request", allocs)
	}
}

// BenchmarkMatchPathRules matches requests against the shape bench/alb.sh uses: 99
// non-matching path-pattern "/rule-N/*" rules, then a default rule without
// conditions. It must report 0 allocs/op.
func BenchmarkMatchPathRules(b *testing.B) {
	var rules []rule
	for i := 1; i < 100; i++ {
		c, err := compileCondition(elbv2.ConditionConfig{Field: "path-pattern", Values: []string{fmt.Sprintf("/rule-%d/*", i)}})
		if err != nil {
			b.Fatal(err)
		}
		rules = append(rules, newRule(fmt.Sprint(i), []condition{c}, nil))
	}
	rules = append(rules, newRule("default", nil, nil))
	for _, bc := range []struct{ name, path, want string }{
		{"root", "/", "default"},
		{"other", "/api/items", "default"},
		{"near", "/rule-5", "default"},
		{"hit", "/rule-99/x", "99"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := parsedRequest(b, "GET "+bc.path+" HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n")
			b.ReportAllocs()
			for b.Loop() {
				if ru := matchRules(rules, r, netip.Addr{}); ru == nil || ru.arn != bc.want {
					b.Fatal("wrong match")
				}
			}
		})
	}
}
