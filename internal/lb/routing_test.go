package lb

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/elbv2"
)

// TestRoutingEndToEnd sends real requests through a listener whose rules each use one
// condition type, with the default rule answering "default".
func TestRoutingEndToEnd(t *testing.T) {
	a := newUpstream(t, "A", nil)
	cond := func(prio int, c ...elbv2.ConditionConfig) elbv2.RuleConfig {
		return elbv2.RuleConfig{ARN: testL + "/r" + string(rune('0'+prio)), Priority: prio, Conditions: c, Actions: forwardTo(testTGA)}
	}
	rules := []elbv2.RuleConfig{
		cond(1, elbv2.ConditionConfig{Field: "path-pattern", Values: []string{"/api/*"}}),
		cond(2, elbv2.ConditionConfig{Field: "host-header", Values: []string{"*.shop.example"}}),
		cond(3, elbv2.ConditionConfig{Field: "http-header", HeaderName: "X-Canary", Values: []string{"y?s"}}),
		cond(4, elbv2.ConditionConfig{Field: "http-request-method", Values: []string{"DELETE"}}),
		cond(5, elbv2.ConditionConfig{Field: "query-string", QueryStrings: []elbv2.KeyValue{{Key: "version", Value: "v2*"}}}),
		cond(6, elbv2.ConditionConfig{Field: "source-ip", Values: []string{"10.0.0.0/8"}}),
	}
	p := newTestProxy(t, Options{})
	addr := apply(t, p, snapshot(fixed(200, "default"), rules, group(testTGA, a)))
	c := client()
	tests := []struct {
		name, method, path string
		hdr                []string
		want               string
	}{
		{"path match", "GET", "/api/users", nil, "A"},
		{"path case-sensitive", "GET", "/API/users", nil, "default"},
		{"path ignores query", "GET", "/x?p=/api/x", nil, "default"},
		{"host wildcard, case, port", "GET", "/", []string{"Host", "WWW.Shop.Example:8080"}, "A"},
		{"host other", "GET", "/", []string{"Host", "shop.example"}, "default"},
		{"header wildcard", "GET", "/", []string{"X-Canary", "YES"}, "A"},
		{"header mismatch", "GET", "/", []string{"X-Canary", "no"}, "default"},
		{"method", "DELETE", "/", nil, "A"},
		{"method other", "PUT", "/", nil, "default"},
		{"query decoded", "GET", "/?version=V2%2E1", nil, "A"},
		{"query other", "GET", "/?version=v1", nil, "default"},
		{"source ip not from XFF", "GET", "/", []string{"X-Forwarded-For", "10.1.1.1"}, "default"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, url(addr, tt.path), nil)
			for i := 0; i+1 < len(tt.hdr); i += 2 {
				if tt.hdr[i] == "Host" {
					req.Host = tt.hdr[i+1]
				} else {
					req.Header.Set(tt.hdr[i], tt.hdr[i+1])
				}
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if got := string(b); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestWeightedForward8020(t *testing.T) {
	a, b := newUpstream(t, "A", nil), newUpstream(t, "B", nil)
	fwd := []elbv2.ActionConfig{{Type: elbv2.ActionForward, Forward: &elbv2.ForwardConfig{TargetGroups: []elbv2.WeightedTargetGroup{{ARN: testTGA, Weight: 80}, {ARN: testTGB, Weight: 20}}}}}
	p := newTestProxy(t, Options{})
	addr := apply(t, p, snapshot(fwd, nil, group(testTGA, a), group(testTGB, b)))
	c := client()
	counts := map[string]int{}
	for range 1000 {
		_, body := get(t, c, url(addr, "/"))
		counts[body]++
	}
	if counts["A"] < 770 || counts["A"] > 830 || counts["A"]+counts["B"] != 1000 {
		t.Errorf("split %v, want about 800/200", counts)
	}
}

func TestGroupStickiness(t *testing.T) {
	a, b := newUpstream(t, "A", nil), newUpstream(t, "B", nil)
	fwd := []elbv2.ActionConfig{{Type: elbv2.ActionForward, Forward: &elbv2.ForwardConfig{
		TargetGroups:      []elbv2.WeightedTargetGroup{{ARN: testTGA, Weight: 50}, {ARN: testTGB, Weight: 50}},
		StickinessEnabled: true, StickinessDuration: time.Hour,
	}}}
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	p := newTestProxy(t, Options{Now: func() time.Time { return now }})
	addr := apply(t, p, snapshot(fwd, nil, group(testTGA, a), group(testTGB, b)))
	c := client()
	resp, first := get(t, c, url(addr, "/"))
	var tg, cors *http.Cookie
	for _, ck := range resp.Cookies() {
		switch ck.Name {
		case "AWSALBTG":
			tg = ck
		case "AWSALBTGCORS":
			cors = ck
		}
	}
	if tg == nil || cors == nil {
		t.Fatalf("missing group stickiness cookies: %v", resp.Header["Set-Cookie"])
	}
	if !tg.Expires.Equal(now.Add(time.Hour)) || cors.SameSite != http.SameSiteNoneMode {
		t.Errorf("cookie expiry %v (want %v), CORS SameSite %v", tg.Expires, now.Add(time.Hour), cors.SameSite)
	}
	for range 20 {
		_, body := get(t, c, url(addr, "/"), "Cookie", "AWSALBTG="+tg.Value)
		if body != first {
			t.Fatalf("sticky request went to %s, first went to %s", body, first)
		}
	}
	seen := map[string]bool{}
	for range 20 {
		_, body := get(t, c, url(addr, "/"))
		seen[body] = true
	}
	if !seen["A"] || !seen["B"] {
		t.Errorf("without the cookie requests went only to %v", seen)
	}
}

func TestTargetStickiness(t *testing.T) {
	a1, a2 := newUpstream(t, "A1", nil), newUpstream(t, "A2", nil)
	tg := group(testTGA, a1, a2)
	tg.StickinessEnabled, tg.StickinessType, tg.StickinessDuration = true, "lb_cookie", 24*time.Hour
	p := newTestProxy(t, Options{})
	addr := apply(t, p, snapshot(forwardTo(testTGA), nil, tg))
	c := client()
	resp, first := get(t, c, url(addr, "/"))
	var alb *http.Cookie
	names := map[string]bool{}
	for _, ck := range resp.Cookies() {
		names[ck.Name] = true
		if ck.Name == "AWSALB" {
			alb = ck
		}
	}
	if alb == nil || !names["AWSALBCORS"] {
		t.Fatalf("missing AWSALB/AWSALBCORS: %v", resp.Header["Set-Cookie"])
	}
	for range 10 {
		_, body := get(t, c, url(addr, "/"), "Cookie", "other=1; AWSALB="+alb.Value)
		if body != first {
			t.Fatalf("sticky request went to %s, first to %s", body, first)
		}
	}
	// Round robin without the cookie reaches both targets.
	seen := map[string]bool{}
	for range 4 {
		_, body := get(t, c, url(addr, "/"))
		seen[body] = true
	}
	if len(seen) != 2 {
		t.Errorf("round robin reached %v", seen)
	}
}

func TestFixedResponse(t *testing.T) {
	p := newTestProxy(t, Options{})
	def := []elbv2.ActionConfig{{Type: elbv2.ActionFixedResponse, FixedResponse: &elbv2.FixedResponseConfig{StatusCode: 418, ContentType: "application/json", MessageBody: `{"tea":true}`}}}
	addr := apply(t, p, snapshot(def, nil))
	resp, body := get(t, client(), url(addr, "/anything"))
	if resp.StatusCode != 418 || body != `{"tea":true}` {
		t.Errorf("got %d %q", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
	if s := resp.Header.Get("Server"); s != "awselb/2.0" {
		t.Errorf("Server %q", s)
	}
	// A body sent with the request is consumed; the connection stays usable.
	resp, body = rawRequest(t, addr, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello")
	if resp.StatusCode != 418 || body != `{"tea":true}` || resp.Close {
		t.Errorf("POST: got %d %q close=%v", resp.StatusCode, body, resp.Close)
	}
}

func TestRedirect(t *testing.T) {
	tests := []struct {
		name string
		rc   elbv2.RedirectConfig
		path string
		want string
	}{
		{"defaults keep everything", elbv2.RedirectConfig{StatusCode: 302}, "/a/b?x=1", "http://www.example.com:PORT/a/b?x=1"},
		{"to https", elbv2.RedirectConfig{Protocol: "HTTPS", Port: "443", StatusCode: 301}, "/a?q", "https://www.example.com:443/a?q"},
		{"path variables", elbv2.RedirectConfig{Path: "/new/#{path}", Host: "#{host}", StatusCode: 301}, "/old/x", "http://www.example.com:PORT/new/old/x"},
		{"host and query", elbv2.RedirectConfig{Host: "m.#{host}", Query: "from=#{port}&#{query}", StatusCode: 301}, "/p?a=b", "http://m.www.example.com:PORT/p?from=PORT&a=b"},
		{"path gets a leading slash", elbv2.RedirectConfig{Path: "#{path}", StatusCode: 301}, "/x", "http://www.example.com:PORT/x"},
		{"empty query dropped", elbv2.RedirectConfig{Query: "#{query}", StatusCode: 301}, "/x", "http://www.example.com:PORT/x"},
		{"protocol variable", elbv2.RedirectConfig{Protocol: "#{protocol}", Host: "other", StatusCode: 301}, "/", "http://other:PORT/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newTestProxy(t, Options{})
			rc := tt.rc
			s := snapshot([]elbv2.ActionConfig{{Type: elbv2.ActionRedirect, Redirect: &rc}}, nil)
			port := freePort(t)
			s.Listeners[0].Port = port
			addr := apply(t, p, s)
			// #{port} is the listener's port, not the one in the client's Host.
			resp, body := get(t, client(), url(addr, tt.path), "Host", "www.example.com:9999")
			want := strings.ReplaceAll(tt.want, "PORT", strconv.Itoa(port))
			if loc := resp.Header.Get("Location"); resp.StatusCode != rc.StatusCode || loc != want {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, loc, rc.StatusCode, want)
			}
			if !strings.Contains(body, strconv.Itoa(rc.StatusCode)) {
				t.Errorf("body %q", body)
			}
		})
	}
}

func TestApplyRejectsBadRules(t *testing.T) {
	p := newTestProxy(t, Options{})
	s := snapshot(fixed(200, "x"), []elbv2.RuleConfig{{ARN: "bad", Priority: 1,
		Conditions: []elbv2.ConditionConfig{{Field: "source-ip", Values: []string{"not-a-cidr"}}}, Actions: fixed(200, "y")}})
	errs := p.Apply(s)
	if err := errs[testL]; err == nil || !strings.Contains(err.Error(), "source-ip") {
		t.Errorf("Apply errors %v, want the listener's source-ip error", errs)
	}
	if _, ok := p.Addr(testL); ok {
		t.Error("a listener with invalid rules was bound")
	}
}
