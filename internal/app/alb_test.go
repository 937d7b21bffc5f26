package app_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go"
)

// alb is a load balancer made through the API in a running Wharf, with one listener.
type alb struct {
	t        *testing.T
	c        *elb.Client
	arn      string
	listener string
	port     int
}

// newALB creates a load balancer and an HTTP listener on a free port whose default
// action is a fixed 404.
func newALB(t *testing.T, s *server, name string) *alb {
	t.Helper()
	ctx := context.Background()
	c := elb.NewFromConfig(s.awsConfig())
	lb, err := c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String(name), Subnets: []string{"subnet-a", "subnet-b"}})
	if err != nil {
		t.Fatalf("CreateLoadBalancer: %v", err)
	}
	a := &alb{t: t, c: c, arn: aws.ToString(lb.LoadBalancers[0].LoadBalancerArn), port: freePort(t)}
	l, err := c.CreateListener(ctx, &elb.CreateListenerInput{
		LoadBalancerArn: &a.arn, Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(int32(a.port)),
		DefaultActions: []elbtypes.Action{fixed(404, "no rule matched")},
	})
	if err != nil {
		t.Fatalf("CreateListener: %v", err)
	}
	a.listener = aws.ToString(l.Listeners[0].ListenerArn)
	return a
}

func fixed(status int, body string) elbtypes.Action {
	return elbtypes.Action{Type: elbtypes.ActionTypeEnumFixedResponse, FixedResponseConfig: &elbtypes.FixedResponseActionConfig{
		StatusCode: aws.String(strconv.Itoa(status)), ContentType: aws.String("text/plain"), MessageBody: aws.String(body)}}
}

// targetGroup creates a target group (health checks every 5 s on /) with the given
// upstream servers as ip targets.
func (a *alb) targetGroup(name string, upstreams ...*httptest.Server) string {
	a.t.Helper()
	ctx := context.Background()
	tg, err := a.c.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{
		Name: aws.String(name), Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(80), VpcId: aws.String("vpc-1"),
		TargetType: elbtypes.TargetTypeEnumIp, HealthCheckIntervalSeconds: aws.Int32(5), HealthCheckTimeoutSeconds: aws.Int32(2),
		HealthyThresholdCount: aws.Int32(2), UnhealthyThresholdCount: aws.Int32(2),
	})
	if err != nil {
		a.t.Fatalf("CreateTargetGroup: %v", err)
	}
	arn := aws.ToString(tg.TargetGroups[0].TargetGroupArn)
	// Draining ends at once unless a test says otherwise.
	if _, err := a.c.ModifyTargetGroupAttributes(ctx, &elb.ModifyTargetGroupAttributesInput{TargetGroupArn: &arn,
		Attributes: []elbtypes.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String("5")}}}); err != nil {
		a.t.Fatal(err)
	}
	for _, u := range upstreams {
		a.register(arn, u)
	}
	return arn
}

func (a *alb) register(tg string, u *httptest.Server) {
	a.t.Helper()
	if _, err := a.c.RegisterTargets(context.Background(), &elb.RegisterTargetsInput{TargetGroupArn: &tg,
		Targets: []elbtypes.TargetDescription{{Id: aws.String("127.0.0.1"), Port: aws.Int32(int32(portOf(u)))}}}); err != nil {
		a.t.Fatalf("RegisterTargets: %v", err)
	}
}

func forward(tg string) elbtypes.Action {
	return elbtypes.Action{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(tg)}
}

// rule adds a rule; it returns the API error, if any.
func (a *alb) rule(priority int32, conds []elbtypes.RuleCondition, actions ...elbtypes.Action) error {
	_, err := a.c.CreateRule(context.Background(), &elb.CreateRuleInput{ListenerArn: &a.listener, Priority: &priority, Conditions: conds, Actions: actions})
	return err
}

// get sends a request through the listener and returns the status and body.
func (a *alb) get(method, path string, header http.Header) (int, string, http.Header) {
	a.t.Helper()
	req, err := http.NewRequest(method, fmt.Sprintf("http://127.0.0.1:%d%s", a.port, path), nil)
	if err != nil {
		a.t.Fatal(err)
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if h := header.Get("Host"); h != "" {
		req.Host = h
	}
	client := http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header
}

// upstream is a target that answers with its name (and what it saw of the request).
func upstream(t *testing.T, name string) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s xff=%s proto=%s port=%s trace=%s", name, r.Header.Get("X-Forwarded-For"),
			r.Header.Get("X-Forwarded-Proto"), r.Header.Get("X-Forwarded-Port"), r.Header.Get("X-Amzn-Trace-Id"))
	}))
	t.Cleanup(s.Close)
	return s
}

func portOf(s *httptest.Server) int {
	_, p, _ := net.SplitHostPort(strings.TrimPrefix(s.URL, "http://"))
	n, _ := strconv.Atoi(p)
	return n
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func cond(field string, values ...string) elbtypes.RuleCondition {
	return elbtypes.RuleCondition{Field: aws.String(field), Values: values}
}

// TestALBRouting drives every condition type, weights, fixed responses and redirects
// through a real listener configured with the SDK.
func TestALBRouting(t *testing.T) {
	s := startServer(t, t.TempDir(), "process")
	a := newALB(t, s, "routing")
	tg := map[string]string{}
	for _, name := range []string{"path", "host", "header", "method", "query", "source", "heavy", "light"} {
		tg[name] = a.targetGroup(name, upstream(t, name))
	}
	rules := []struct {
		conds  []elbtypes.RuleCondition
		action elbtypes.Action
	}{
		{[]elbtypes.RuleCondition{cond("path-pattern", "/api/*")}, forward(tg["path"])},
		{[]elbtypes.RuleCondition{cond("host-header", "*.example.com")}, forward(tg["host"])},
		{[]elbtypes.RuleCondition{{Field: aws.String("http-header"), HttpHeaderConfig: &elbtypes.HttpHeaderConditionConfig{
			HttpHeaderName: aws.String("X-Canary"), Values: []string{"yes"}}}}, forward(tg["header"])},
		{[]elbtypes.RuleCondition{{Field: aws.String("http-request-method"), HttpRequestMethodConfig: &elbtypes.HttpRequestMethodConditionConfig{
			Values: []string{"DELETE"}}}}, forward(tg["method"])},
		{[]elbtypes.RuleCondition{{Field: aws.String("query-string"), QueryStringConfig: &elbtypes.QueryStringConditionConfig{
			Values: []elbtypes.QueryStringKeyValuePair{{Key: aws.String("version"), Value: aws.String("v2*")}}}}}, forward(tg["query"])},
		{[]elbtypes.RuleCondition{cond("path-pattern", "/old/*")}, elbtypes.Action{Type: elbtypes.ActionTypeEnumRedirect,
			RedirectConfig: &elbtypes.RedirectActionConfig{Path: aws.String("/new/#{path}"), Query: aws.String("from=#{host}"), StatusCode: elbtypes.RedirectActionStatusCodeEnumHttp301}}},
		{[]elbtypes.RuleCondition{cond("path-pattern", "/teapot")}, fixed(418, "short and stout")},
		{[]elbtypes.RuleCondition{cond("path-pattern", "/split")}, elbtypes.Action{Type: elbtypes.ActionTypeEnumForward, ForwardConfig: &elbtypes.ForwardActionConfig{
			TargetGroups: []elbtypes.TargetGroupTuple{{TargetGroupArn: aws.String(tg["heavy"]), Weight: aws.Int32(80)}, {TargetGroupArn: aws.String(tg["light"]), Weight: aws.Int32(20)}}}}},
		{[]elbtypes.RuleCondition{{Field: aws.String("source-ip"), SourceIpConfig: &elbtypes.SourceIpConditionConfig{Values: []string{"127.0.0.0/8"}}},
			cond("path-pattern", "/local")}, forward(tg["source"])},
	}
	for i, r := range rules {
		if err := a.rule(int32(i+1), r.conds, r.action); err != nil {
			t.Fatalf("rule %d: %v", i+1, err)
		}
	}
	cases := []struct {
		name, method, path string
		header             http.Header
		status             int
		bodyPrefix         string
	}{
		{"path", "GET", "/api/products", nil, 200, "path "},
		{"path is case-sensitive", "GET", "/API/products", nil, 404, "no rule matched"},
		{"host wildcard, any case", "GET", "/", http.Header{"Host": {"Shop.EXAMPLE.com"}}, 200, "host "},
		{"header", "GET", "/x", http.Header{"X-Canary": {"YES"}}, 200, "header "},
		{"method", "DELETE", "/x", nil, 200, "method "},
		{"method is case-sensitive", "delete", "/x", nil, 404, "no rule matched"},
		{"query", "GET", "/x?version=v2.1", nil, 200, "query "},
		{"query mismatch", "GET", "/x?version=v1", nil, 404, "no rule matched"},
		{"fixed response", "GET", "/teapot", nil, 418, "short and stout"},
		{"source ip and path", "GET", "/local", nil, 200, "source "},
		{"default", "GET", "/nothing", nil, 404, "no rule matched"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body, _ := a.get(tc.method, tc.path, tc.header)
			if status != tc.status || !strings.HasPrefix(body, tc.bodyPrefix) {
				t.Fatalf("%s %s: %d %q, want %d %q...", tc.method, tc.path, status, body, tc.status, tc.bodyPrefix)
			}
		})
	}
	t.Run("forwarded headers", func(t *testing.T) {
		_, body, _ := a.get("GET", "/api/x", nil)
		want := fmt.Sprintf("xff=127.0.0.1 proto=http port=%d trace=Root=1-", a.port)
		if !strings.Contains(body, want) {
			t.Fatalf("upstream saw %q, want %q", body, want)
		}
	})
	t.Run("redirect", func(t *testing.T) {
		status, _, h := a.get("GET", "/old/page", http.Header{"Host": {"shop.test"}})
		if status != 301 || h.Get("Location") != fmt.Sprintf("http://shop.test:%d/new/old/page?from=shop.test", a.port) {
			t.Fatalf("redirect: %d Location %q", status, h.Get("Location"))
		}
	})
	t.Run("weights 80/20", func(t *testing.T) {
		heavy := 0
		for i := 0; i < 1000; i++ {
			_, body, _ := a.get("GET", "/split", nil)
			if strings.HasPrefix(body, "heavy ") {
				heavy++
			} else if !strings.HasPrefix(body, "light ") {
				t.Fatalf("split answered %q", body)
			}
		}
		if heavy < 760 || heavy > 840 {
			t.Fatalf("%d of 1000 requests went to the 80%% group", heavy)
		}
	})
}

// TestALBBadInput checks the API's answers to bad requests.
func TestALBBadInput(t *testing.T) {
	s := startServer(t, t.TempDir(), "process")
	a := newALB(t, s, "bad")
	tg := a.targetGroup("bad", upstream(t, "u"))
	ok := []elbtypes.RuleCondition{cond("path-pattern", "/a")}
	if err := a.rule(10, ok, forward(tg)); err != nil {
		t.Fatal(err)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyPort := int32(busy.Addr().(*net.TCPAddr).Port)
	cases := []struct {
		name string
		call func() error
		code string
	}{
		{"duplicate priority", func() error { return a.rule(10, ok, forward(tg)) }, "PriorityInUse"},
		{"invalid path pattern", func() error {
			return a.rule(11, []elbtypes.RuleCondition{cond("path-pattern", strings.Repeat("a", 200))}, forward(tg))
		}, "ValidationError"},
		{"too many condition values", func() error {
			return a.rule(12, []elbtypes.RuleCondition{cond("path-pattern", "/1", "/2", "/3"), cond("host-header", "a.com", "b.com", "c.com")}, forward(tg))
		}, "ValidationError"},
		{"unknown target group", func() error {
			return a.rule(13, ok, forward("arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/nope/0123456789abcdef"))
		}, "TargetGroupNotFound"},
		{"unknown listener", func() error {
			_, err := a.c.DescribeRules(context.Background(), &elb.DescribeRulesInput{ListenerArn: aws.String(a.listener + "0")})
			return err
		}, "ListenerNotFound"},
		{"listener on a port in use", func() error {
			_, err := a.c.CreateListener(context.Background(), &elb.CreateListenerInput{LoadBalancerArn: &a.arn,
				Protocol: elbtypes.ProtocolEnumHttp, Port: &busyPort, DefaultActions: []elbtypes.Action{fixed(200, "x")}})
			return err
		}, "InvalidConfigurationRequest"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tc.code {
				t.Fatalf("got %v, want %s", err, tc.code)
			}
			if apiErr.ErrorMessage() == "" {
				t.Fatalf("%s has no message", tc.code)
			}
		})
	}
}

// TestALBHealthAndDraining fails a target and brings it back, and drains a target
// while a slow request is in flight.
func TestALBHealthAndDraining(t *testing.T) {
	s := startServer(t, t.TempDir(), "process")
	a := newALB(t, s, "health")
	var failing atomic.Bool
	release := make(chan struct{})
	var slowStarted atomic.Bool
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			slowStarted.Store(true)
			<-release
			fmt.Fprint(w, "slow done")
			return
		}
		if failing.Load() {
			http.Error(w, "down", 500)
			return
		}
		fmt.Fprint(w, "flaky")
	}))
	defer flaky.Close()
	steady := upstream(t, "steady")
	tg := a.targetGroup("health", flaky, steady)
	if err := a.rule(1, []elbtypes.RuleCondition{cond("path-pattern", "/*")}, forward(tg)); err != nil {
		t.Fatal(err)
	}
	state := func(port int) elbtypes.TargetHealthStateEnum {
		out, err := a.c.DescribeTargetHealth(context.Background(), &elb.DescribeTargetHealthInput{TargetGroupArn: &tg,
			Targets: []elbtypes.TargetDescription{{Id: aws.String("127.0.0.1"), Port: aws.Int32(int32(port))}}})
		if err != nil || len(out.TargetHealthDescriptions) != 1 {
			t.Fatalf("DescribeTargetHealth: %v", err)
		}
		return out.TargetHealthDescriptions[0].TargetHealth.State
	}
	waitState := func(port int, want elbtypes.TargetHealthStateEnum) {
		eventually(t, 60*time.Second, fmt.Sprintf("target %d %s", port, want), func() error {
			if got := state(port); got != want {
				return fmt.Errorf("state %s", got)
			}
			return nil
		})
	}
	waitState(portOf(flaky), elbtypes.TargetHealthStateEnumHealthy)
	waitState(portOf(steady), elbtypes.TargetHealthStateEnumHealthy)

	failing.Store(true)
	waitState(portOf(flaky), elbtypes.TargetHealthStateEnumUnhealthy)
	for i := 0; i < 20; i++ {
		if status, body, _ := a.get("GET", "/x", nil); status != 200 || !strings.HasPrefix(body, "steady") {
			t.Fatalf("with one target unhealthy, request %d got %d %q", i, status, body)
		}
	}
	failing.Store(false)
	waitState(portOf(flaky), elbtypes.TargetHealthStateEnumHealthy)

	// A slow request in flight on flaky completes while flaky drains; no new request reaches it.
	// Round robin sends /slow to either target: ask until flaky has it.
	slow := make(chan string, 1)
	go func() {
		url := fmt.Sprintf("http://127.0.0.1:%d/slow", a.port)
		for {
			resp, err := http.Get(url)
			if err != nil {
				slow <- err.Error()
				return
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(body) == "slow done" || slowStarted.Load() {
				slow <- string(body)
				return
			}
		}
	}()
	eventually(t, 10*time.Second, "slow request in flight", func() error {
		if !slowStarted.Load() {
			return errors.New("not yet")
		}
		return nil
	})
	if _, err := a.c.DeregisterTargets(context.Background(), &elb.DeregisterTargetsInput{TargetGroupArn: &tg,
		Targets: []elbtypes.TargetDescription{{Id: aws.String("127.0.0.1"), Port: aws.Int32(int32(portOf(flaky)))}}}); err != nil {
		t.Fatal(err)
	}
	waitState(portOf(flaky), elbtypes.TargetHealthStateEnumDraining)
	for i := 0; i < 20; i++ {
		if status, body, _ := a.get("GET", "/x", nil); status != 200 || !strings.HasPrefix(body, "steady") {
			t.Fatalf("while flaky drains, request %d got %d %q", i, status, body)
		}
	}
	close(release)
	select {
	case body := <-slow:
		if body != "slow done" {
			t.Fatalf("slow request: %q", body)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the in-flight request did not complete while its target drained")
	}
	waitState(portOf(flaky), elbtypes.TargetHealthStateEnumUnused)
}
