package cloudtrail

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ct "github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/smithy-go"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/clocktest"
	"github.com/wharf-dev/wharf/internal/gateway/gatewaytest"
	"github.com/wharf-dev/wharf/internal/store"
)

// t0 is the fake clock's start.
var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// env is a Service on a real store, behind the real gateway, driven by the real SDK.
type env struct {
	t      testing.TB
	dir    string
	dbPath string
	db     *store.DB
	s      *Service
	clock  *fakeClock
	client *ct.Client
	ctx    context.Context
}

func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), clock: clocktest.New(t0), ctx: context.Background()}
	e.dbPath = filepath.Join(e.dir, "wharf.db")
	e.open()
	t.Cleanup(func() { e.db.Close() })
	return e
}

// open (re)opens the store and builds the service, the gateway and the client.
func (e *env) open() {
	e.t.Helper()
	db, err := store.Open(e.dbPath)
	if err != nil {
		e.t.Fatal(err)
	}
	e.db = db
	e.s, err = New(db, Config{
		Dir: filepath.Join(e.dir, "logs"), Clock: e.clock,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		e.t.Fatal(err)
	}
	cfg := gatewaytest.Config(gatewaytest.RootServer(e.t, e.s.API()))
	// Retries: the SDK's client intermittently fails reading an answer with "use of
	// closed network connection" (aws/aws-sdk-go-v2#1825, #2737); the server sent
	// the whole body (checked with a raw client). Reported to the lead.
	cfg.RetryMaxAttempts = 3
	e.client = ct.NewFromConfig(cfg)
}

// reopen closes the store and opens it again with a new service.
func (e *env) reopen() {
	e.t.Helper()
	if err := e.db.Close(); err != nil {
		e.t.Fatal(err)
	}
	e.open()
}

func (e *env) flush() {
	e.t.Helper()
	if err := e.s.Flush(e.ctx); err != nil {
		e.t.Fatalf("Flush: %v", err)
	}
}

// Principals for the synthetic calls.
var (
	rootP  = &awsapi.Principal{AccountID: "000000000000", ARN: "arn:aws:iam::000000000000:root", UserID: "000000000000", AccessKeyID: "AKIAROOT0000", Root: true}
	aliceP = &awsapi.Principal{AccountID: "000000000000", ARN: "arn:aws:iam::000000000000:user/dev/alice", UserID: "AIDAALICE", AccessKeyID: "AKIAALICE000"}
	roleP  = &awsapi.Principal{AccountID: "000000000000", ARN: "arn:aws:sts::000000000000:assumed-role/web/task-1", UserID: "AROAWEB:task-1", AccessKeyID: "ASIAWEB00000"}
)

// wantCode checks that err is the AWS error code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got %v, want %s", err, code)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("got %s (%s), want %s", ae.ErrorCode(), ae.ErrorMessage(), code)
	}
}

func contains(b []byte, s string) bool { return strings.Contains(string(b), s) }

// fakeClock is the clock of the tests: it moves only when advanced.
type fakeClock = clocktest.Fake

func newFakeClock() *fakeClock { return clocktest.New(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)) }
