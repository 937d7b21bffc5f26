package elbv2

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/clocktest"
	"github.com/wharf-dev/wharf/internal/gateway/gatewaytest"
	"github.com/wharf-dev/wharf/internal/store"
)

// fakeDataPlane records what it is told to serve, fails the ports it is told to, and
// reports scripted observations.
type fakeDataPlane struct {
	mu        sync.Mutex
	last      *Snapshot
	applies   int
	failPorts map[int]error
	obs       map[string][]TargetObservation
}

func (f *fakeDataPlane) Apply(snap Snapshot) map[string]error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.last = &snap
	f.applies++
	errs := map[string]error{}
	for _, l := range snap.Listeners {
		if err := f.failPorts[l.Port]; err != nil {
			errs[l.ARN] = err
		}
	}
	return errs
}

func (f *fakeDataPlane) Observe() map[string][]TargetObservation {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string][]TargetObservation{}
	for k, v := range f.obs {
		out[k] = append([]TargetObservation(nil), v...)
	}
	return out
}

// snapshot returns the last snapshot applied (the zero Snapshot when none).
func (f *fakeDataPlane) snapshot() Snapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.last == nil {
		return Snapshot{}
	}
	return *f.last
}

func (f *fakeDataPlane) failPort(port int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failPorts == nil {
		f.failPorts = map[int]error{}
	}
	f.failPorts[port] = err
}

func (f *fakeDataPlane) observe(tgARN string, obs ...TargetObservation) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.obs == nil {
		f.obs = map[string][]TargetObservation{}
	}
	f.obs = maps.Clone(f.obs)
	f.obs[tgARN] = obs
}

// env is a Service on a real store, behind the real gateway, driven by the real SDK.
type env struct {
	t      *testing.T
	dir    string
	db     *store.DB
	s      *Service
	clock  *fakeClock
	dp     *fakeDataPlane
	url    string // the gateway's
	client *elb.Client
	ctx    context.Context
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), clock: newFakeClock(), dp: &fakeDataPlane{}, ctx: context.Background()}
	db, err := store.Open(filepath.Join(e.dir, "wharf.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e.db = db
	e.s = e.newService()
	e.url = gatewaytest.RootServer(t, e.s.API())
	e.client = elb.NewFromConfig(gatewaytest.Config(e.url))
	return e
}

// newService builds a Service over the env's store, clock and data plane.
func (e *env) newService() *Service {
	s, err := New(e.db, Config{Clock: e.clock, DataPlane: e.dp, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// lb creates an application load balancer.
func (e *env) lb(name string) types.LoadBalancer {
	e.t.Helper()
	out, err := e.client.CreateLoadBalancer(e.ctx, &elb.CreateLoadBalancerInput{Name: aws.String(name)})
	if err != nil {
		e.t.Fatalf("CreateLoadBalancer %s: %v", name, err)
	}
	return out.LoadBalancers[0]
}

// tg creates an HTTP target group of instances on port 80.
func (e *env) tg(name string) types.TargetGroup {
	e.t.Helper()
	out, err := e.client.CreateTargetGroup(e.ctx, &elb.CreateTargetGroupInput{
		Name: aws.String(name), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(80), VpcId: aws.String("vpc-0123456789abcdef0"),
	})
	if err != nil {
		e.t.Fatalf("CreateTargetGroup %s: %v", name, err)
	}
	return out.TargetGroups[0]
}

// listener creates an HTTP listener on port forwarding to tgARN.
func (e *env) listener(lbARN string, port int32, tgARN string) types.Listener {
	e.t.Helper()
	out, err := e.client.CreateListener(e.ctx, &elb.CreateListenerInput{
		LoadBalancerArn: aws.String(lbARN), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(port),
		DefaultActions: []types.Action{forward(tgARN)},
	})
	if err != nil {
		e.t.Fatalf("CreateListener: %v", err)
	}
	return out.Listeners[0]
}

// rule creates a rule with one path-pattern condition.
func (e *env) rule(listenerARN string, priority int32, path string, action types.Action) types.Rule {
	e.t.Helper()
	out, err := e.client.CreateRule(e.ctx, &elb.CreateRuleInput{
		ListenerArn: aws.String(listenerARN), Priority: aws.Int32(priority),
		Conditions: []types.RuleCondition{pathCond(path)},
		Actions:    []types.Action{action},
	})
	if err != nil {
		e.t.Fatalf("CreateRule %d: %v", priority, err)
	}
	return out.Rules[0]
}

func forward(tgARN string) types.Action {
	return types.Action{Type: types.ActionTypeEnumForward, TargetGroupArn: aws.String(tgARN)}
}

func fixed(code string) types.Action {
	return types.Action{Type: types.ActionTypeEnumFixedResponse, FixedResponseConfig: &types.FixedResponseActionConfig{StatusCode: aws.String(code)}}
}

func pathCond(values ...string) types.RuleCondition {
	return types.RuleCondition{Field: aws.String("path-pattern"), PathPatternConfig: &types.PathPatternConditionConfig{Values: values}}
}

// wantCode checks that err is the AWS error code with a message containing msg.
func wantCode(t *testing.T, err error, code, msg string) {
	t.Helper()
	if e, ok := awsapi.As(err); ok {
		err = &smithy.GenericAPIError{Code: e.Code, Message: e.Message}
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v (%T) is not an API error; want %s", err, err, code)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("error code %s (%s), want %s", ae.ErrorCode(), ae.ErrorMessage(), code)
	}
	if !strings.Contains(ae.ErrorMessage(), msg) {
		t.Fatalf("error message %q does not contain %q", ae.ErrorMessage(), msg)
	}
}

// wantType checks that err is the typed SDK exception T.
func wantType[T error](t *testing.T, err error) T {
	t.Helper()
	var target T
	if !errors.As(err, &target) {
		t.Fatalf("error %v (%T) is not a %T", err, err, target)
	}
	return target
}

// waitFor polls cond until it holds, failing the test after a generous deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// health describes the health of a target group's targets as "id:port=state/reason".
func (e *env) health(tgARN string, targets ...types.TargetDescription) []string {
	e.t.Helper()
	out, err := e.client.DescribeTargetHealth(e.ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(tgARN), Targets: targets})
	if err != nil {
		e.t.Fatalf("DescribeTargetHealth: %v", err)
	}
	var got []string
	for _, d := range out.TargetHealthDescriptions {
		got = append(got, fmt.Sprintf("%s:%d=%s/%s", aws.ToString(d.Target.Id), aws.ToInt32(d.Target.Port), d.TargetHealth.State, d.TargetHealth.Reason))
	}
	return got
}

// fakeClock is the clock of the tests: it moves only when advanced.
type fakeClock = clocktest.Fake

func newFakeClock() *fakeClock { return clocktest.New(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)) }
