package logs

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
	sdk "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/clocktest"
	"github.com/wharf-dev/wharf/internal/gateway/gatewaytest"
	"github.com/wharf-dev/wharf/internal/store"
)

// testStart is the fake clock's start: event timestamps in tests are near it.
var testStart = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// fakeSink records the metrics metric filters publish.
type fakeSink struct {
	mu   sync.Mutex
	data map[string][]Metric
	err  error
}

func (f *fakeSink) PutMetrics(_ context.Context, ns string, data []Metric) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.data == nil {
		f.data = map[string][]Metric{}
	}
	f.data[ns] = append(f.data[ns], data...)
	return f.err
}

func (f *fakeSink) metrics(ns string) []Metric {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Metric(nil), f.data[ns]...)
}

// env is a Service on a real store and data directory, behind the real gateway,
// driven by the real SDK.
type env struct {
	t      *testing.T
	dir    string
	db     *store.DB
	s      *Service
	cfg    Config
	clock  *clocktest.Fake
	sink   *fakeSink
	url    string
	client *sdk.Client
	ctx    context.Context
}

// newEnv starts a service with a fake clock at testStart; opts adjust its Config.
func newEnv(t *testing.T, opts ...func(*Config)) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), clock: clocktest.New(testStart), sink: &fakeSink{}, ctx: context.Background()}
	e.cfg = Config{Dir: filepath.Join(e.dir, "logs"), Clock: e.clock, Metrics: e.sink,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, o := range opts {
		o(&e.cfg)
	}
	e.open()
	t.Cleanup(e.close)
	return e
}

func (e *env) open() {
	e.t.Helper()
	db, err := store.Open(filepath.Join(e.dir, "wharf.db"))
	if err != nil {
		e.t.Fatal(err)
	}
	e.db = db
	e.s, err = New(db, e.cfg)
	if err != nil {
		db.Close()
		e.t.Fatal(err)
	}
	e.url = gatewaytest.RootServer(e.t, e.s.API())
	e.client = sdk.NewFromConfig(gatewaytest.Config(e.url))
}

func (e *env) close() {
	if e.s != nil {
		e.s.Close()
		e.s = nil
	}
	if e.db != nil {
		e.db.Close()
		e.db = nil
	}
}

// reopen closes the service and the store and opens both again over the same data.
func (e *env) reopen() {
	e.t.Helper()
	e.close()
	e.open()
}

// group creates a log group.
func (e *env) group(name string) {
	e.t.Helper()
	if _, err := e.client.CreateLogGroup(e.ctx, &sdk.CreateLogGroupInput{LogGroupName: aws.String(name)}); err != nil {
		e.t.Fatalf("CreateLogGroup %s: %v", name, err)
	}
}

// stream creates a log stream.
func (e *env) stream(group, name string) {
	e.t.Helper()
	if _, err := e.client.CreateLogStream(e.ctx, &sdk.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(name)}); err != nil {
		e.t.Fatalf("CreateLogStream %s/%s: %v", group, name, err)
	}
}

// put stores messages at the given timestamps (ms) and fails on any rejection.
func (e *env) put(group, stream string, ts []int64, msgs ...string) *sdk.PutLogEventsOutput {
	e.t.Helper()
	events := make([]types.InputLogEvent, len(msgs))
	for i, m := range msgs {
		events[i] = types.InputLogEvent{Message: aws.String(m), Timestamp: aws.Int64(ts[i])}
	}
	out, err := e.client.PutLogEvents(e.ctx, &sdk.PutLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream), LogEvents: events})
	if err != nil {
		e.t.Fatalf("PutLogEvents %s/%s: %v", group, stream, err)
	}
	if out.RejectedLogEventsInfo != nil {
		e.t.Fatalf("PutLogEvents rejected events: %+v", *out.RejectedLogEventsInfo)
	}
	return out
}

// now is the fake clock's time in ms.
func (e *env) now() int64 { return e.clock.Now().UnixMilli() }

// times returns n timestamps from start, step ms apart.
func times(start int64, n int, step int64) []int64 {
	ts := make([]int64, n)
	for i := range ts {
		ts[i] = start + int64(i)*step
	}
	return ts
}

// messages of the events of a GetLogEvents or FilterLogEvents answer.
func messagesOf[T any](events []T, msg func(T) *string) []string {
	out := make([]string, len(events))
	for i, ev := range events {
		out[i] = aws.ToString(msg(ev))
	}
	return out
}

func outMsg(e types.OutputLogEvent) *string    { return e.Message }
func filtMsg(e types.FilteredLogEvent) *string { return e.Message }

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
