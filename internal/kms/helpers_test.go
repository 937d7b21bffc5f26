package kms

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	kmssdk "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"

	"github.com/wharf-dev/wharf/internal/clocktest"
	"github.com/wharf-dev/wharf/internal/gateway/gatewaytest"
	"github.com/wharf-dev/wharf/internal/store"
)

// env is a Service on a real store, behind the real gateway, driven by the real SDK.
type env struct {
	t      *testing.T
	dir    string
	dbPath string
	db     *store.DB
	s      *Service
	clock  *fakeClock
	client *kmssdk.Client
	ctx    context.Context
}

var testMasterKey = []byte("0123456789abcdef0123456789abcdef")

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), clock: newFakeClock(), ctx: context.Background()}
	e.dbPath = filepath.Join(e.dir, "wharf.db")
	db, err := store.Open(e.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e.db = db
	e.s, err = New(db, Config{MasterKey: testMasterKey, Clock: e.clock, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	e.client = kmssdk.NewFromConfig(gatewaytest.Config(gatewaytest.RootServer(t, e.s.API())))
	return e
}

// key creates a symmetric key and returns its metadata.
func (e *env) key(desc string) *types.KeyMetadata {
	e.t.Helper()
	out, err := e.client.CreateKey(e.ctx, &kmssdk.CreateKeyInput{Description: aws.String(desc)})
	if err != nil {
		e.t.Fatalf("CreateKey: %v", err)
	}
	return out.KeyMetadata
}

// encrypt encrypts pt under keyID with ec.
func (e *env) encrypt(keyID string, pt string, ec map[string]string) []byte {
	e.t.Helper()
	out, err := e.client.Encrypt(e.ctx, &kmssdk.EncryptInput{KeyId: aws.String(keyID), Plaintext: []byte(pt), EncryptionContext: ec})
	if err != nil {
		e.t.Fatalf("Encrypt: %v", err)
	}
	return out.CiphertextBlob
}

// decrypt decrypts blob with ec and returns the plaintext.
func (e *env) decrypt(blob []byte, ec map[string]string) string {
	e.t.Helper()
	out, err := e.client.Decrypt(e.ctx, &kmssdk.DecryptInput{CiphertextBlob: blob, EncryptionContext: ec})
	if err != nil {
		e.t.Fatalf("Decrypt: %v", err)
	}
	return string(out.Plaintext)
}

// state returns a key's state.
func (e *env) state(keyID string) types.KeyState {
	e.t.Helper()
	out, err := e.client.DescribeKey(e.ctx, &kmssdk.DescribeKeyInput{KeyId: aws.String(keyID)})
	if err != nil {
		e.t.Fatalf("DescribeKey: %v", err)
	}
	return out.KeyMetadata.KeyState
}

// wantCode checks that err is the AWS error code with a message containing msg.
func wantCode(t *testing.T, err error, code, msg string) {
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

type storeTx = store.Tx

func contextWithCancel(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithCancel(ctx)
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// fakeClock is the clock of the tests: it moves only when advanced.
type fakeClock = clocktest.Fake

func newFakeClock() *fakeClock { return clocktest.New(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)) }
