package autoscaling

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	cwsdk "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/smithy-go"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/clocktest"
	"github.com/wharf-dev/wharf/internal/cloudwatch"
	"github.com/wharf-dev/wharf/internal/gateway/gatewaytest"
	"github.com/wharf-dev/wharf/internal/store"
)

// t0 is when every test's fake clock starts: Sunday 1 June 2025, 12:00 UTC.
var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// fakeScaler is the ECS of the tests: desired counts by "cluster/service".
type fakeScaler struct {
	mu      sync.Mutex
	desired map[string]int32
	sets    []int32
	failSet error
}

func (f *fakeScaler) DesiredCount(_ context.Context, cluster, service string) (int32, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, ok := f.desired[cluster+"/"+service]
	if !ok {
		return 0, &awsapi.Error{Code: "ServiceNotFoundException", Message: "Service not found."}
	}
	return n, nil
}

func (f *fakeScaler) SetDesiredCount(_ context.Context, cluster, service string, n int32) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failSet != nil {
		return f.failSet
	}
	if _, ok := f.desired[cluster+"/"+service]; !ok {
		return &awsapi.Error{Code: "ServiceNotFoundException", Message: "Service not found."}
	}
	f.desired[cluster+"/"+service] = n
	f.sets = append(f.sets, n)
	return nil
}

func (f *fakeScaler) get(svc string) int32 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.desired[svc]
}

func (f *fakeScaler) set(svc string, n int32) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.desired[svc] = n
}

// lateDispatcher breaks the cycle between CloudWatch (which needs the dispatcher) and
// Application Auto Scaling (which needs CloudWatch's alarms), as internal/app does.
type lateDispatcher struct{ s atomic.Pointer[Service] }

func (l *lateDispatcher) DispatchAlarmAction(ctx context.Context, a cloudwatch.AlarmAction) error {
	s := l.s.Load()
	if s == nil {
		return errors.New("not wired")
	}
	return s.DispatchAlarmAction(ctx, a)
}

// signalClock is a fake clock that tells the test each time a loop waits on it.
type signalClock struct {
	*clocktest.Fake
	waiting chan struct{}
}

func (c *signalClock) After(d time.Duration) <-chan time.Time {
	ch := c.Fake.After(d)
	c.waiting <- struct{}{}
	return ch
}

// loop runs a Run method against a signalClock and steps it.
type loop struct {
	t     *testing.T
	clock *signalClock
	idle  bool
}

func startLoop(t *testing.T, clock *signalClock, run func(context.Context) error) *loop {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	t.Cleanup(func() {
		cancel()
		stop := make(chan struct{})
		go func() {
			for {
				select {
				case <-clock.waiting:
				case <-stop:
					return
				}
			}
		}()
		if err := <-done; err != nil {
			t.Error(err)
		}
		close(stop)
	})
	return &loop{t: t, clock: clock}
}

// step advances the clock by d once the loop waits, and returns when the loop has
// done its work and waits again. d must reach the loop's next tick.
func (l *loop) step(d time.Duration) {
	if !l.idle {
		<-l.clock.waiting
	}
	l.clock.Advance(d)
	<-l.clock.waiting
	l.idle = true
}

// env is Application Auto Scaling and a real CloudWatch on one real store, behind the
// real gateway, driven by the real SDK clients.
type env struct {
	t      testing.TB
	ctx    context.Context
	db     *store.DB
	clock  *clocktest.Fake
	cwClk  *signalClock // CloudWatch's clock
	asClk  *signalClock // Application Auto Scaling's clock
	cw     *cloudwatch.Service
	s      *Service
	scaler *fakeScaler
	url    string
	client *sdk.Client
	cwc    *cwsdk.Client
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newEnv makes an env with one ECS service, default/web, at desired count 2; opts
// adjust the Config.
func newEnv(t testing.TB, opts ...func(*Config)) *env {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(filepath.Join(dir, "wharf.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	fake := clocktest.New(t0)
	e := &env{t: t, ctx: context.Background(), db: db, clock: fake,
		cwClk: &signalClock{Fake: fake, waiting: make(chan struct{})}, asClk: &signalClock{Fake: fake, waiting: make(chan struct{})},
		scaler: &fakeScaler{desired: map[string]int32{"default/web": 2}}}
	disp := &lateDispatcher{}
	e.cw, err = cloudwatch.New(db, cloudwatch.Config{Dir: filepath.Join(dir, "metrics"), Clock: e.cwClk, Dispatcher: disp, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.cw.Close() })
	cfg := Config{Alarms: e.cw, Scaler: e.scaler, Clock: e.asClk, Logger: quiet()}
	for _, o := range opts {
		o(&cfg)
	}
	e.s, err = New(db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	disp.s.Store(e.s)
	e.url = gatewaytest.RootServer(t, e.s.API(), e.cw.API())
	e.client = sdk.NewFromConfig(gatewaytest.Config(e.url))
	e.cwc = cwsdk.NewFromConfig(gatewaytest.Config(e.url))
	return e
}

// register registers default/web with the given bounds.
func (e *env) register(min, max int32) string {
	e.t.Helper()
	out, err := e.client.RegisterScalableTarget(e.ctx, &sdk.RegisterScalableTargetInput{
		ServiceNamespace: types.ServiceNamespaceEcs, ScalableDimension: types.ScalableDimensionECSServiceDesiredCount,
		ResourceId: aws.String("service/default/web"), MinCapacity: aws.Int32(min), MaxCapacity: aws.Int32(max)})
	if err != nil {
		e.t.Fatalf("RegisterScalableTarget: %v", err)
	}
	return aws.ToString(out.ScalableTargetARN)
}

// activities lists default/web's scaling activities, newest first.
func (e *env) activities(includeNotScaled bool) []types.ScalingActivity {
	e.t.Helper()
	out, err := e.client.DescribeScalingActivities(e.ctx, &sdk.DescribeScalingActivitiesInput{
		ServiceNamespace: types.ServiceNamespaceEcs, ResourceId: aws.String("service/default/web"),
		IncludeNotScaledActivities: aws.Bool(includeNotScaled)})
	if err != nil {
		e.t.Fatalf("DescribeScalingActivities: %v", err)
	}
	return out.ScalingActivities
}

// putCPU publishes one AWS/ECS CPUUtilization datapoint of default/web, now.
func (e *env) putCPU(v float64) {
	e.t.Helper()
	now := e.clock.Now()
	err := e.cw.Put(e.ctx, "AWS/ECS", []cloudwatch.MetricDatum{{MetricName: "CPUUtilization", Value: &v, Unit: "Percent",
		Timestamp: &now, Dimensions: []cloudwatch.Dimension{{Name: "ClusterName", Value: "default"}, {Name: "ServiceName", Value: "web"}}}})
	if err != nil {
		e.t.Fatal(err)
	}
}

// wantCode checks that err is the AWS error code with a message containing msg.
func wantCode(t testing.TB, err error, code, msg string) {
	t.Helper()
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
