package app

import (
	"context"
	"errors"
	"net/http"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/gateway"
	"github.com/wharf-dev/wharf/internal/iam"
	"github.com/wharf-dev/wharf/internal/sigv4"
)

// authenticator verifies SigV4 signatures against the stored access keys and names the
// principal a key stands for.
type authenticator struct {
	keys     *iam.Keys
	verifier sigv4.Verifier // keeps the derived signing keys between requests
}

func newAuthenticator(keys *iam.Keys) *authenticator {
	a := &authenticator{keys: keys}
	a.verifier.Lookup = func(ctx context.Context, id string) (sigv4.Key, bool, error) {
		k, ok, err := keys.Lookup(ctx, id)
		return sigv4.Key{AccessKeyID: k.AccessKeyID, SecretAccessKey: k.SecretAccessKey, SessionToken: k.SessionToken, Expires: k.Expires}, ok, err
	}
	return a
}

// Authenticate implements gateway.Authenticator.
func (a *authenticator) Authenticate(ctx context.Context, r *http.Request, body []byte) (awsapi.Principal, error) {
	res, err := a.verifier.Verify(ctx, r, body)
	if err != nil {
		var se *sigv4.Error
		if errors.As(err, &se) {
			return awsapi.Principal{}, &gateway.AuthError{Kind: authKinds[se.Kind], Message: se.Message}
		}
		return awsapi.Principal{}, err
	}
	// A second lookup (served from the key store's cache) for the principal: the key
	// may have been deleted in between, which fails the request as an unknown key would.
	key, ok, err := a.keys.Lookup(ctx, res.AccessKeyID)
	if err != nil {
		return awsapi.Principal{}, err
	}
	if !ok {
		return awsapi.Principal{}, &gateway.AuthError{Kind: gateway.UnknownKey, Message: "The security token included in the request is invalid."}
	}
	p := key.Principal
	p.AccessKeyID = key.AccessKeyID
	return p, nil
}

var authKinds = map[sigv4.Kind]gateway.AuthKind{
	sigv4.Missing:      gateway.Missing,
	sigv4.Incomplete:   gateway.Incomplete,
	sigv4.UnknownKey:   gateway.UnknownKey,
	sigv4.BadSignature: gateway.BadSignature,
	sigv4.Expired:      gateway.Expired,
	sigv4.BadToken:     gateway.BadToken,
	sigv4.ExpiredToken: gateway.ExpiredToken,
}
