package iam_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	stssdk "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/gateway"
	"github.com/wharf-dev/wharf/internal/gateway/gatewaytest"
	"github.com/wharf-dev/wharf/internal/iam"
	"github.com/wharf-dev/wharf/internal/sigv4"
	"github.com/wharf-dev/wharf/internal/store"
	"github.com/wharf-dev/wharf/internal/sts"
)

const (
	account    = "123456789012"
	rootKey    = "AKIAROOTROOTROOTROOT"
	rootSecret = "rootsecretrootsecretrootsecretrootsecret"
)

// clock is a settable clock shared by STS and the signature verifier.
type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off += d
}

// authenticator is the app's: SigV4 against iam.Keys (see internal/app/auth.go), with
// the test's clock and a wide skew window, so that moving the clock expires sessions
// without making the SDK's signing time look stale.
type authenticator struct {
	keys *iam.Keys
	v    *sigv4.Verifier
}

func newAuthenticator(keys *iam.Keys, c *clock) *authenticator {
	a := &authenticator{keys: keys}
	a.v = &sigv4.Verifier{Now: c.Now, MaxSkew: 7 * 24 * time.Hour, Lookup: func(ctx context.Context, id string) (sigv4.Key, bool, error) {
		k, ok, err := keys.Lookup(ctx, id)
		return sigv4.Key{AccessKeyID: k.AccessKeyID, SecretAccessKey: k.SecretAccessKey, SessionToken: k.SessionToken, Expires: k.Expires}, ok, err
	}}
	return a
}

var kinds = map[sigv4.Kind]gateway.AuthKind{
	sigv4.Missing: gateway.Missing, sigv4.Incomplete: gateway.Incomplete, sigv4.UnknownKey: gateway.UnknownKey,
	sigv4.BadSignature: gateway.BadSignature, sigv4.Expired: gateway.Expired, sigv4.BadToken: gateway.BadToken, sigv4.ExpiredToken: gateway.ExpiredToken,
}

func (a *authenticator) Authenticate(ctx context.Context, r *http.Request, body []byte) (awsapi.Principal, error) {
	res, err := a.v.Verify(ctx, r, body)
	if err != nil {
		var se *sigv4.Error
		if errors.As(err, &se) {
			return awsapi.Principal{}, &gateway.AuthError{Kind: kinds[se.Kind], Message: se.Message}
		}
		return awsapi.Principal{}, err
	}
	k, ok, err := a.keys.Lookup(ctx, res.AccessKeyID)
	if err != nil || !ok {
		return awsapi.Principal{}, &gateway.AuthError{Kind: gateway.UnknownKey, Message: "key vanished"}
	}
	p := k.Principal
	p.AccessKeyID = k.AccessKeyID
	return p, nil
}

// env is IAM and STS behind the real gateway with real SigV4 verification.
type env struct {
	t     *testing.T
	ctx   context.Context
	db    *store.DB
	keys  *iam.Keys
	iam   *iam.Service
	sts   *sts.Service
	clock *clock
	url   string // the gateway's
	// authorize, when set, replaces the default same-account trust check.
	authorize func(p awsapi.Principal, role iam.Role) error
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, ctx: context.Background(), clock: &clock{}}
	db, err := store.Open(filepath.Join(t.TempDir(), "wharf.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e.db, e.keys = db, iam.NewKeys(db)
	if err := e.keys.EnsureRoot(account, rootKey, rootSecret); err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	e.iam, err = iam.NewService(db, e.keys, iam.Config{AccountID: account, Logger: quiet, Clock: e.clock,
		ValidatePolicy: func(doc []byte, trust bool) error {
			if strings.Contains(string(doc), "BOGUS") {
				return errors.New("Policy document should not contain BOGUS")
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	e.sts, err = sts.New(sts.Config{AccountID: account, Keys: e.keys, Roles: e.iam, Logger: quiet, Clock: e.clock,
		Authorize: func(_ context.Context, p awsapi.Principal, role iam.Role) error {
			if e.authorize != nil {
				return e.authorize(p, role)
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	e.url = gatewaytest.NewServer(t, newAuthenticator(e.keys, e.clock), e.iam.API(), e.sts.API())
	return e
}

func (e *env) config(id, secret, token string) aws.Config {
	return gatewaytest.ConfigAs(e.url, id, secret, token)
}

// IAM and STS clients signing with the given credentials.
func (e *env) iamAs(id, secret, token string) *iamsdk.Client {
	return iamsdk.NewFromConfig(e.config(id, secret, token))
}

func (e *env) stsAs(id, secret, token string) *stssdk.Client {
	return stssdk.NewFromConfig(e.config(id, secret, token))
}

func (e *env) rootIAM() *iamsdk.Client { return e.iamAs(rootKey, rootSecret, "") }
func (e *env) rootSTS() *stssdk.Client { return e.stsAs(rootKey, rootSecret, "") }

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

const trustAll = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`
