package lb

import (
	"bufio"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/elbv2"
)

// words returns every string of up to n bytes over alphabet.
func words(alphabet string, n int) []string {
	out := []string{""}
	level := []string{""}
	for range n {
		var next []string
		for _, w := range level {
			for i := range len(alphabet) {
				next = append(next, w+alphabet[i:i+1])
			}
		}
		out = append(out, next...)
		level = next
	}
	return out
}

// TestPatternFastPathMatchesWildMatch checks, exhaustively over short patterns and
// inputs, that the literal prefix, suffix and length tests of pattern.match never
// change the outcome of the plain wildcard matcher.
func TestPatternFastPathMatchesWildMatch(t *testing.T) {
	patterns := words("a/B*?", 4)
	inputs := words("aA/b", 5)
	for _, fold := range []bool{false, true} {
		for _, ps := range patterns {
			p := newPattern(ps, fold)
			for _, in := range inputs {
				want := wildMatch(p.s, []byte(in), fold)
				if got := p.match([]byte(in)); got != want {
					t.Fatalf("pattern %q (fold=%v) on %q: match = %v, wildMatch = %v", ps, fold, in, got, want)
				}
			}
		}
	}
}

func TestNewPatternLiterals(t *testing.T) {
	tests := []struct {
		s              string
		fold           bool
		prefix, suffix string
		min            int
		star, anyMid   bool
	}{
		{"/api/*", false, "/api/", "", 5, true, true},
		{"*.css", false, "", ".css", 4, true, true},
		{"/a?c/*", false, "/a", "", 5, true, false},
		{"/img/*/x.png", false, "/img/", "/x.png", 11, true, true},
		{"/v?", false, "/v", "", 3, false, false},
		{"/exact", false, "/exact", "", 6, false, false},
		{"", false, "", "", 0, false, false},
		{"*", false, "", "", 0, true, true},
		{"a**b", false, "a", "b", 2, true, true},
		{"*.Example.COM", true, "", ".example.com", 12, true, true},
	}
	for _, tt := range tests {
		p := newPattern(tt.s, tt.fold)
		if p.prefix != tt.prefix || p.suffix != tt.suffix || p.min != tt.min || p.star != tt.star || p.anyMid != tt.anyMid {
			t.Errorf("newPattern(%q) = prefix %q suffix %q min %d star %v anyMid %v, want %q %q %d %v %v",
				tt.s, p.prefix, p.suffix, p.min, p.star, p.anyMid, tt.prefix, tt.suffix, tt.min, tt.star, tt.anyMid)
		}
	}
}

func compileConds(t testing.TB, conds ...elbv2.ConditionConfig) []condition {
	t.Helper()
	var out []condition
	for _, c := range conds {
		cc, err := compileCondition(c)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, cc)
	}
	return out
}

// TestRulePathGuard checks the path guard newRule derives, and that matchRules with
// it agrees with evaluating every condition for many paths.
func TestRulePathGuard(t *testing.T) {
	paths := []string{"", "/", "/a", "/abc", "/abc/", "/api", "/api/", "/api/v1", "/api/v1/x",
		"/x.css", "/api/x.css", "/rule-1", "/rule-1/", "/rule-1/x", "/rule-10/x", "/Rule-1/x",
		"/very/long/prefix", "/very/long/prefix/", "/very/long/prefix/a", "/very/long/prefiX/a", "/very/long/"}
	tests := []struct {
		values []string
		prefix string
		min    int
		hits   []string // paths that must match
	}{
		{[]string{"/rule-1/*"}, "/rule-1/", 8, []string{"/rule-1/", "/rule-1/x"}},
		{[]string{"/api/*", "*.css"}, "", 4, []string{"/api/", "/api/v1", "/api/v1/x", "/x.css", "/api/x.css"}},
		{[]string{"/api/v1", "/api/*"}, "/api/", 5, []string{"/api/", "/api/v1", "/api/v1/x", "/api/x.css"}},
		{[]string{"/a?c/*"}, "/a", 5, []string{"/abc/"}},
		{[]string{"?api*"}, "", 4, []string{"/api", "/api/", "/api/v1", "/api/v1/x", "/api/x.css"}},
		{[]string{""}, "", 0, []string{""}},
		{[]string{"/very/long/prefix/*"}, "/very/long/prefix/", 18, []string{"/very/long/prefix/", "/very/long/prefix/a"}},
		{[]string{"/very/long/prefix"}, "/very/long/prefix", 17, []string{"/very/long/prefix"}},
	}
	for _, tt := range tests {
		conds := compileConds(t, elbv2.ConditionConfig{Field: "path-pattern", Values: tt.values})
		ru := newRule("r", conds, nil)
		if ru.pathPrefix != tt.prefix || ru.pathMin != tt.min {
			t.Errorf("%q: guard = %q/%d, want %q/%d", tt.values, ru.pathPrefix, ru.pathMin, tt.prefix, tt.min)
		}
		hits := map[string]bool{}
		for _, h := range tt.hits {
			hits[h] = true
		}
		for _, path := range paths {
			r := &request{path: []byte(path)}
			want := conds[0].match(r, netip.Addr{})
			if want != hits[path] {
				t.Errorf("%q on %q: condition match = %v, table says %v", tt.values, path, want, hits[path])
			}
			if got := matchRules([]rule{ru}, r, netip.Addr{}) != nil; got != want {
				t.Errorf("%q on %q: matchRules = %v, want %v", tt.values, path, got, want)
			}
		}
	}
}

func TestNewRuleOrdersConditions(t *testing.T) {
	conds := compileConds(t,
		elbv2.ConditionConfig{Field: "query-string", QueryStrings: []elbv2.KeyValue{{Key: "k", Value: "v"}}},
		elbv2.ConditionConfig{Field: "http-header", HeaderName: "X-A", Values: []string{"1"}},
		elbv2.ConditionConfig{Field: "source-ip", Values: []string{"10.0.0.0/8"}},
		elbv2.ConditionConfig{Field: "host-header", Values: []string{"a.example.com"}},
		elbv2.ConditionConfig{Field: "path-pattern", Values: []string{"/p/*"}},
		elbv2.ConditionConfig{Field: "http-request-method", Values: []string{"GET"}},
	)
	ru := newRule("r", conds, nil)
	var got []int
	for _, c := range ru.conds {
		got = append(got, c.field)
	}
	want := []int{condMethod, condPath, condHost, condSourceIP, condHeader, condQuery}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("condition order = %v, want %v", got, want)
	}
	if conds[0].field != condQuery {
		t.Error("newRule reordered the caller's slice")
	}
	if ru.pathPrefix != "/p/" {
		t.Errorf("path guard = %q, want %q", ru.pathPrefix, "/p/")
	}
	client := netip.MustParseAddr("10.1.1.1")
	tests := []struct {
		req  string
		want bool
	}{
		{"GET /p/x?k=v HTTP/1.1\r\nHost: A.example.com\r\nX-A: 1\r\n\r\n", true},
		{"GET /p/x?k=w HTTP/1.1\r\nHost: A.example.com\r\nX-A: 1\r\n\r\n", false},
		{"GET /p/x?k=v HTTP/1.1\r\nHost: A.example.com\r\nX-A: 2\r\n\r\n", false},
		{"GET /q/x?k=v HTTP/1.1\r\nHost: A.example.com\r\nX-A: 1\r\n\r\n", false},
		{"PUT /p/x?k=v HTTP/1.1\r\nHost: A.example.com\r\nX-A: 1\r\nContent-Length: 0\r\n\r\n", false},
	}
	for _, tt := range tests {
		if got := matchRules([]rule{ru}, parsedRequest(t, tt.req), client) != nil; got != tt.want {
			t.Errorf("%q: matched = %v, want %v", tt.req, got, tt.want)
		}
	}
}

// TestQueryDecodedPerRequest checks that a request reused for the next request on a
// connection does not match against the previous request's decoded query.
func TestQueryDecodedPerRequest(t *testing.T) {
	k1 := newRule("k1", compileConds(t, elbv2.ConditionConfig{Field: "query-string", QueryStrings: []elbv2.KeyValue{{Key: "k", Value: "1"}}}), nil)
	k2 := newRule("k2", compileConds(t, elbv2.ConditionConfig{Field: "query-string", QueryStrings: []elbv2.KeyValue{{Key: "k", Value: "2"}}}), nil)
	rules := []rule{k1, k2}
	var r request
	for _, tt := range []struct{ req, want string }{
		{"GET /?a=b&k=%31 HTTP/1.1\r\nHost: a\r\n\r\n", "k1"},
		{"GET /?k=2 HTTP/1.1\r\nHost: a\r\n\r\n", "k2"},
		{"GET /?k=3 HTTP/1.1\r\nHost: a\r\n\r\n", ""},
		{"GET /?&&k=1 HTTP/1.1\r\nHost: a\r\n\r\n", "k1"},
	} {
		head, err := readHead(bufio.NewReader(strings.NewReader(tt.req)), nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.parse(head); err != nil {
			t.Fatal(err)
		}
		got := ""
		if ru := matchRules(rules, &r, netip.Addr{}); ru != nil {
			got = ru.arn
		}
		if got != tt.want {
			t.Errorf("%q matched %q, want %q", tt.req, got, tt.want)
		}
	}
}
