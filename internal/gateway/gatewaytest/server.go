// Package gatewaytest holds the scaffolding that service tests share: a real gateway
// on an httptest server, an SDK configuration that talks to it, and a runner for the
// installed aws CLI. It is for tests only.
package gatewaytest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/gateway"
)

// Root is the principal RootServer accepts every request as: the root of account
// 000000000000.
var Root = awsapi.Principal{AccountID: "000000000000", Root: true}

// AllowAll returns an Authenticator that accepts every request as p.
func AllowAll(p awsapi.Principal) gateway.Authenticator {
	return gateway.AuthenticatorFunc(func(context.Context, *http.Request, []byte) (awsapi.Principal, error) {
		return p, nil
	})
}

// NewServer serves services behind a real gateway that authenticates with auth, on
// an httptest server closed when the test ends, and returns the server's URL. It
// fails the test when the gateway cannot be built.
func NewServer(t testing.TB, auth gateway.Authenticator, services ...*awsapi.Service) string {
	t.Helper()
	gw, err := gateway.New(gateway.Config{Services: services, Auth: auth})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gw)
	t.Cleanup(srv.Close)
	return srv.URL
}

// RootServer is NewServer with every request accepted as Root.
func RootServer(t testing.TB, services ...*awsapi.Service) string {
	t.Helper()
	return NewServer(t, AllowAll(Root), services...)
}

// TestKeyID and TestSecret are the static credentials of Config.
const (
	TestKeyID  = "AKIDTEST"
	TestSecret = "secret"
)

// Config returns an SDK configuration for region us-east-1 that sends every request
// to endpoint once, signed with TestKeyID and TestSecret. The one retry allowed is of
// a response the client failed to read because its own connection was closed under
// it ("use of closed network connection"), which happens rarely under heavy load and
// is not yet understood (see the project's notes); nothing else is retried, so tests
// see every server error.
func Config(endpoint string) aws.Config {
	return ConfigAs(endpoint, TestKeyID, TestSecret, "")
}

// ConfigAs is Config signing with the given access key id, secret and session token
// (none when empty).
func ConfigAs(endpoint, keyID, secret, token string) aws.Config {
	return aws.Config{
		Region: "us-east-1",
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret, SessionToken: token, Source: "test"}, nil
		}),
		BaseEndpoint: aws.String(endpoint),
		Retryer:      ClosedConnRetryer,
	}
}

// ClosedConnRetryer retries a request once when the client's connection was closed
// while it read the answer, and never otherwise.
func ClosedConnRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = 2
		o.Retryables = []retry.IsErrorRetryable{retry.IsErrorRetryableFunc(func(err error) aws.Ternary {
			if strings.Contains(err.Error(), "use of closed network connection") {
				return aws.TrueTernary
			}
			return aws.FalseTernary
		})}
		o.RateLimiter = ratelimit.None
	})
}
