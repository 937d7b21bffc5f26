package ssm

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/clocktest"
	"github.com/wharf-dev/wharf/internal/gateway/gatewaytest"
	"github.com/wharf-dev/wharf/internal/store"
)

// fakeKeys is a Keys with real AES-256-GCM under one fixed test key: the key id and
// the encryption context are bound as additional data, so decrypting with another
// context fails. Key ids it does not know fail as KMS does.
type fakeKeys struct {
	mu       sync.Mutex
	aead     cipher.AEAD
	disabled map[string]bool // key ARN → disabled
	denied   bool            // every Decrypt is AccessDeniedException
	encrypts int
}

// fakeKeyARNs maps the key ids and aliases the fake knows to key ARNs.
var fakeKeyARNs = map[string]string{
	"alias/aws/ssm": "arn:aws:kms:us-east-1:000000000000:key/aws-ssm-0000",
	"alias/app":     "arn:aws:kms:us-east-1:000000000000:key/app-1111",
	"app-1111":      "arn:aws:kms:us-east-1:000000000000:key/app-1111",
	"arn:aws:kms:us-east-1:000000000000:key/app-1111": "arn:aws:kms:us-east-1:000000000000:key/app-1111",
	"off-2222": "arn:aws:kms:us-east-1:000000000000:key/off-2222",
}

func newFakeKeys() *fakeKeys {
	block, err := aes.NewCipher(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		panic(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return &fakeKeys{aead: aead, disabled: map[string]bool{}}
}

func contextAAD(keyARN string, ec map[string]string) []byte {
	keys := make([]string, 0, len(ec))
	for k := range ec {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(keyARN)
	for _, k := range keys {
		b.WriteString("\x00" + k + "=" + ec[k])
	}
	return []byte(b.String())
}

func (f *fakeKeys) EncryptFor(_ context.Context, keyID string, plaintext []byte, ec map[string]string) ([]byte, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	arn, ok := fakeKeyARNs[keyID]
	if !ok {
		return nil, "", &awsapi.Error{Code: "NotFoundException", Message: "Key '" + keyID + "' does not exist"}
	}
	if f.disabled[arn] {
		return nil, "", &awsapi.Error{Code: "DisabledException", Message: arn + " is disabled."}
	}
	f.encrypts++
	nonce := make([]byte, f.aead.NonceSize())
	_, _ = rand.Read(nonce)
	out := append([]byte{byte(len(arn))}, arn...)
	out = append(out, nonce...)
	return f.aead.Seal(out, nonce, plaintext, contextAAD(arn, ec)), arn, nil
}

func (f *fakeKeys) DecryptFor(_ context.Context, ct []byte, ec map[string]string) ([]byte, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	bad := &awsapi.Error{Code: "InvalidCiphertextException", Message: "The ciphertext is not valid."}
	if len(ct) < 1 || len(ct) < 1+int(ct[0])+f.aead.NonceSize() {
		return nil, "", bad
	}
	arn := string(ct[1 : 1+int(ct[0])])
	rest := ct[1+int(ct[0]):]
	if f.denied {
		return nil, "", &awsapi.Error{Code: "AccessDeniedException", Message: "User is not authorized to perform: kms:Decrypt on resource: " + arn}
	}
	if f.disabled[arn] {
		return nil, "", &awsapi.Error{Code: "DisabledException", Message: arn + " is disabled."}
	}
	pt, err := f.aead.Open(nil, rest[:f.aead.NonceSize()], rest[f.aead.NonceSize():], contextAAD(arn, ec))
	if err != nil {
		return nil, "", bad
	}
	return pt, arn, nil
}

func (f *fakeKeys) disable(arn string, off bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.disabled[arn] = off
}

func (f *fakeKeys) deny(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.denied = on
}

// env is a Service on a real store, behind the real gateway, driven by the real SDK.
type env struct {
	t      *testing.T
	dbPath string
	db     *store.DB
	s      *Service
	keys   *fakeKeys
	clock  *fakeClock
	url    string // the gateway's
	client *sdk.Client
	ctx    context.Context
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, dbPath: filepath.Join(t.TempDir(), "wharf.db"), keys: newFakeKeys(), ctx: context.Background(),
		clock: newFakeClock()}
	db, err := store.Open(e.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e.db = db
	e.s, err = New(db, Config{Keys: e.keys, Clock: e.clock, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	e.url = gatewaytest.NewServer(t, gatewaytest.AllowAll(awsapi.Principal{AccountID: "000000000000", ARN: "arn:aws:iam::000000000000:root", Root: true}), e.s.API())
	e.client = sdk.NewFromConfig(gatewaytest.Config(e.url))
	return e
}

// put creates or overwrites a parameter and returns its version.
func (e *env) put(in *sdk.PutParameterInput) int64 {
	e.t.Helper()
	out, err := e.client.PutParameter(e.ctx, in)
	if err != nil {
		e.t.Fatalf("PutParameter %s: %v", aws.ToString(in.Name), err)
	}
	return out.Version
}

// get returns a parameter's value.
func (e *env) get(name string, decrypt bool) string {
	e.t.Helper()
	out, err := e.client.GetParameter(e.ctx, &sdk.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(decrypt)})
	if err != nil {
		e.t.Fatalf("GetParameter %s: %v", name, err)
	}
	return aws.ToString(out.Parameter.Value)
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

// fakeClock is the clock of the tests: it moves only when advanced.
type fakeClock = clocktest.Fake

func newFakeClock() *fakeClock { return clocktest.New(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)) }
