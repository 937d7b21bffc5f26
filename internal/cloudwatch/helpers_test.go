package cloudwatch

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/clocktest"
	"github.com/wharf-dev/wharf/internal/gateway/gatewaytest"
	"github.com/wharf-dev/wharf/internal/store"
)

// t0 is when every test's fake clock starts: a whole minute.
var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// recorder is an ActionDispatcher that records what it is asked to do and fails
// for the ARNs in fail.
type recorder struct {
	mu      sync.Mutex
	actions []AlarmAction
	fail    map[string]error
}

func (r *recorder) DispatchAlarmAction(_ context.Context, a AlarmAction) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.actions = append(r.actions, a)
	return r.fail[a.ActionARN]
}

func (r *recorder) got() []AlarmAction {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]AlarmAction(nil), r.actions...)
}

// env is a Service on a real store and data directory, behind the real gateway,
// driven by the real SDK client (rpcv2Cbor).
type env struct {
	t      *testing.T
	dir    string
	db     *store.DB
	s      *Service
	clock  *clocktest.Fake
	disp   *recorder
	url    string
	client *sdk.Client
	ctx    context.Context
	cfg    Config
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newEnv(t *testing.T) *env { return newEnvConfig(t, Config{}) }

// newEnvConfig makes an env; cfg's Dir, Clock, Dispatcher and Logger are filled in.
func newEnvConfig(t *testing.T, cfg Config) *env {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(filepath.Join(dir, "wharf.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e := &env{t: t, dir: dir, db: db, clock: clocktest.New(t0), disp: &recorder{fail: map[string]error{}}, ctx: context.Background()}
	cfg.Dir = filepath.Join(dir, "metrics")
	cfg.Clock = e.clock
	cfg.Dispatcher = e.disp
	cfg.Logger = quiet()
	e.cfg = cfg
	e.s, err = New(db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.s.Close() })
	e.url = gatewaytest.RootServer(t, e.s.API())
	e.client = sdk.NewFromConfig(gatewaytest.Config(e.url))
	return e
}

// reopen closes the service (unless crash, which leaves it as a crash would) and
// opens a new one over the same store and data directory.
func (e *env) reopen(crash bool) {
	e.t.Helper()
	if !crash {
		if err := e.s.Close(); err != nil {
			e.t.Fatal(err)
		}
	} else {
		// A crash: the log stays as it is on disk; only stop the flusher so the
		// old service cannot write any more.
		e.s.wal.close()
	}
	s, err := New(e.db, e.cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	e.s = s
	e.t.Cleanup(func() { s.Close() })
	e.url = gatewaytest.RootServer(e.t, e.s.API())
	e.client = sdk.NewFromConfig(gatewaytest.Config(e.url))
}

// put publishes data through the SDK.
func (e *env) put(ns string, data ...types.MetricDatum) {
	e.t.Helper()
	if _, err := e.client.PutMetricData(e.ctx, &sdk.PutMetricDataInput{Namespace: aws.String(ns), MetricData: data}); err != nil {
		e.t.Fatalf("PutMetricData: %v", err)
	}
}

// value is a datum of one value at a time.
func value(name string, v float64, at time.Time, dims ...string) types.MetricDatum {
	d := types.MetricDatum{MetricName: aws.String(name), Value: aws.Float64(v), Timestamp: aws.Time(at)}
	for i := 0; i+1 < len(dims); i += 2 {
		d.Dimensions = append(d.Dimensions, types.Dimension{Name: aws.String(dims[i]), Value: aws.String(dims[i+1])})
	}
	return d
}

// advance moves the fake clock and runs one evaluation pass at the new time.
func (e *env) advance(d time.Duration) {
	e.clock.Advance(d)
	e.s.evaluateAll(e.ctx, e.clock.Now())
}

// alarm returns the named metric alarm through the SDK.
func (e *env) alarm(name string) types.MetricAlarm {
	e.t.Helper()
	out, err := e.client.DescribeAlarms(e.ctx, &sdk.DescribeAlarmsInput{AlarmNames: []string{name}})
	if err != nil {
		e.t.Fatal(err)
	}
	if len(out.MetricAlarms) != 1 {
		e.t.Fatalf("DescribeAlarms %s: %d metric alarms", name, len(out.MetricAlarms))
	}
	return out.MetricAlarms[0]
}

func (e *env) state(name string) types.StateValue {
	e.t.Helper()
	return e.alarm(name).StateValue
}

// history returns an alarm's history items of a type, oldest first.
func (e *env) history(name string, typ types.HistoryItemType) []types.AlarmHistoryItem {
	e.t.Helper()
	out, err := e.client.DescribeAlarmHistory(e.ctx, &sdk.DescribeAlarmHistoryInput{AlarmName: aws.String(name),
		HistoryItemType: typ, ScanBy: types.ScanByTimestampAscending,
		AlarmTypes: []types.AlarmType{types.AlarmTypeMetricAlarm, types.AlarmTypeCompositeAlarm}})
	if err != nil {
		e.t.Fatal(err)
	}
	return out.AlarmHistoryItems
}

// wantCode checks that err is the AWS error code (as clients see it, the awsQuery
// code of query-compatible errors) with a message containing msg.
func wantCode(t *testing.T, err error, code, msg string) {
	t.Helper()
	if ae, ok := awsapi.As(err); ok {
		c := ae.Code
		if ae.QueryCode != "" {
			c = ae.QueryCode
		}
		err = &smithy.GenericAPIError{Code: c, Message: ae.Message}
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
