// Package sigv4 verifies AWS Signature Version 4 on incoming HTTP requests,
// both the Authorization header form and presigned (query string) URLs, the
// way AWS services do. It computes the canonical request exactly as the
// aws-sdk-go-v2 signer and botocore build it, derives the signing key from
// the secret the server knows, and reports failures as an *Error whose Kind
// the gateway maps to each protocol's error code and whose Message follows
// AWS's wording.
package sigv4

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Algorithm is the only signing algorithm this package accepts.
const Algorithm = "AWS4-HMAC-SHA256"

// UnsignedPayload is the payload hash a client sends when it does not sign the body.
const UnsignedPayload = "UNSIGNED-PAYLOAD"

// MaxPresignExpires is the largest X-Amz-Expires AWS accepts: one week, in seconds.
const MaxPresignExpires = 604800

// DefaultMaxSkew is the clock skew AWS tolerates between client and server.
const DefaultMaxSkew = 15 * time.Minute

// timeFormat is the ISO 8601 basic format of X-Amz-Date.
const timeFormat = "20060102T150405Z"

// Messages AWS returns, kept verbatim.
const (
	msgBadSignature = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgUnknownKey   = "The security token included in the request is invalid."
	msgBadToken     = "The security token included in the request is invalid."
	msgExpiredKey   = "The security token included in the request is expired"
	msgMissing      = "Missing Authentication Token"
	msgBodyHash     = "The provided 'x-amz-content-sha256' header does not match what was computed."
	msgPresignGone  = "Request has expired"
)

// Kind classifies a verification failure.
type Kind int

// The kinds of verification failure.
const (
	// Missing means the request carries neither an Authorization header nor presigned query parameters.
	Missing Kind = iota + 1
	// Incomplete means the signature is malformed: a missing Credential, SignedHeaders or
	// Signature, a bad credential scope, a bad date, or an unsigned host.
	Incomplete
	// UnknownKey means the access key id is not known.
	UnknownKey
	// BadSignature means the signature, or the declared payload hash, does not match.
	BadSignature
	// Expired means the request time is outside the allowed skew or the presigned URL
	// has expired.
	Expired
	// BadToken means the session token is missing, unexpected or wrong.
	BadToken
	// ExpiredToken means the temporary credential has expired.
	ExpiredToken
)

// String returns the name of the kind.
func (k Kind) String() string {
	switch k {
	case Missing:
		return "Missing"
	case Incomplete:
		return "Incomplete"
	case UnknownKey:
		return "UnknownKey"
	case BadSignature:
		return "BadSignature"
	case Expired:
		return "Expired"
	case BadToken:
		return "BadToken"
	case ExpiredToken:
		return "ExpiredToken"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Error is a verification failure: Kind for the gateway to map to a protocol
// error code, Message in AWS's wording for the client.
type Error struct {
	Kind    Kind
	Message string
}

// Error returns the kind and the message.
func (e *Error) Error() string { return "sigv4: " + e.Kind.String() + ": " + e.Message }

// KindOf returns the Kind of err when err is or wraps an *Error.
func KindOf(err error) (Kind, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind, true
	}
	return 0, false
}

func newError(k Kind, format string, args ...any) *Error {
	if len(args) == 0 {
		return &Error{Kind: k, Message: format}
	}
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...)}
}

// Key is a credential the server knows.
type Key struct {
	AccessKeyID     string
	SecretAccessKey string
	// SessionToken is non-empty for temporary credentials: the request must
	// carry the same X-Amz-Security-Token.
	SessionToken string
	// Expires is when a temporary credential stops working; zero means never.
	Expires time.Time
}

// Lookup finds a key by access key id; ok=false when unknown.
type Lookup func(ctx context.Context, accessKeyID string) (Key, bool, error)

// Verifier checks SigV4 signatures against the keys Lookup knows.
// Its zero value with Lookup set is ready to use; it is safe for concurrent
// use and must not be copied after first use.
type Verifier struct {
	Lookup  Lookup
	Now     func() time.Time // nil = time.Now
	MaxSkew time.Duration    // 0 = 15 minutes

	cache keyCache
}

// Result is what a verified request proved.
type Result struct {
	AccessKeyID string
	Service     string // signing name from the credential scope, e.g. "ecs"
	Region      string
	Time        time.Time
	Presigned   bool
}

// Verify checks r's signature. body is the full request body (already read by
// the caller; r.Body must not be read). A failed check returns an *Error; a
// failing Lookup returns its error wrapped, which is not an *Error.
//
// Checks run in AWS's order: form of the signature, date, credential scope
// date, clock skew or presign expiry, access key, key expiry, session token,
// signature, declared payload hash.
func (v *Verifier) Verify(ctx context.Context, r *http.Request, body []byte) (Result, error) {
	if r == nil || r.URL == nil {
		return Result{}, newError(Missing, msgMissing)
	}
	if v.Lookup == nil {
		return Result{}, errors.New("sigv4: Verifier.Lookup is nil")
	}
	sig, err := parseRequest(r)
	if err != nil {
		return Result{}, err
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	skew := v.MaxSkew
	if skew <= 0 {
		skew = DefaultMaxSkew
	}
	t := now().UTC()
	if err := checkTime(sig, t, skew); err != nil {
		return Result{}, err
	}

	if sig.cred.accessKeyID == "" {
		return Result{}, newError(UnknownKey, msgUnknownKey)
	}
	key, ok, err := v.Lookup(ctx, sig.cred.accessKeyID)
	if err != nil {
		return Result{}, fmt.Errorf("sigv4: look up access key %q: %w", sig.cred.accessKeyID, err)
	}
	if !ok {
		return Result{}, newError(UnknownKey, msgUnknownKey)
	}
	if !key.Expires.IsZero() && !t.Before(key.Expires) {
		return Result{}, newError(ExpiredToken, msgExpiredKey)
	}
	if err := checkToken(key.SessionToken, sig.token, sig.hasToken); err != nil {
		return Result{}, err
	}

	if err := v.checkSignature(r, sig, key, body); err != nil {
		return Result{}, err
	}
	return Result{
		AccessKeyID: sig.cred.accessKeyID,
		Service:     sig.cred.service,
		Region:      sig.cred.region,
		Time:        sig.time,
		Presigned:   sig.presigned,
	}, nil
}

// checkTime enforces the clock skew window and, for presigned URLs, X-Amz-Expires.
func checkTime(sig *signature, now time.Time, skew time.Duration) error {
	reqTime := sig.time.Format(timeFormat)
	if sig.time.After(now.Add(skew)) {
		return newError(Expired, "Signature not yet current: %s is still later than %s (%s + %s)",
			reqTime, now.Add(skew).Format(timeFormat), now.Format(timeFormat), formatSkew(skew))
	}
	if sig.presigned && sig.hasExpires {
		if now.After(sig.time.Add(time.Duration(sig.expires) * time.Second)) {
			return newError(Expired, msgPresignGone)
		}
		return nil
	}
	if sig.time.Before(now.Add(-skew)) {
		return newError(Expired, "Signature expired: %s is now earlier than %s (%s - %s)",
			reqTime, now.Add(-skew).Format(timeFormat), now.Format(timeFormat), formatSkew(skew))
	}
	return nil
}

// formatSkew renders the skew the way AWS does ("15 min.").
func formatSkew(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%d min.", int64(d/time.Minute))
	}
	return fmt.Sprintf("%d sec.", int64(d/time.Second))
}

// checkToken compares the request's session token with the key's.
func checkToken(want, got string, present bool) error {
	if want == "" {
		if present {
			return newError(BadToken, msgBadToken)
		}
		return nil
	}
	if !present || subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
		return newError(BadToken, msgBadToken)
	}
	return nil
}

// checkSignature recomputes the signature for each canonical form a real
// client may have used and compares it in constant time.
func (v *Verifier) checkSignature(r *http.Request, sig *signature, key Key, body []byte) error {
	var bodyHash string
	hashBody := func() string {
		if bodyHash == "" {
			sum := sha256.Sum256(body)
			bodyHash = hex.EncodeToString(sum[:])
		}
		return bodyHash
	}

	// Payload hashes to try, most likely first.
	var payloads []string
	switch {
	case sig.contentSHA256 != "":
		payloads = []string{sig.contentSHA256}
	case sig.presigned:
		// S3 signs presigned URLs with UNSIGNED-PAYLOAD; the SDKs sign other
		// services' presigned URLs with the hash of the (usually empty) body.
		if sig.cred.service == "s3" {
			payloads = []string{UnsignedPayload, hashBody()}
		} else {
			payloads = []string{hashBody(), UnsignedPayload}
		}
	default:
		payloads = []string{hashBody()}
	}

	uris := canonicalURIs(requestPath(r), sig.cred.service)
	query := canonicalQuery(r.URL.RawQuery, sig.presigned)
	headers := canonicalHeaders(r, sig.signedHeaders)
	signingKey := v.cache.get(key.SecretAccessKey, sig.cred.date, sig.cred.region, sig.cred.service)
	scope := sig.cred.scope()
	amzDate := sig.time.Format(timeFormat)

	matched := false
	for _, uri := range uris {
		for _, payload := range payloads {
			canonical := buildCanonicalRequest(r.Method, uri, query, headers, sig.signedHeaderStr, payload)
			want := computeSignature(signingKey, amzDate, scope, canonical)
			if subtle.ConstantTimeCompare([]byte(want), []byte(sig.signature)) == 1 {
				matched = true
			}
		}
	}
	if !matched {
		return newError(BadSignature, msgBadSignature)
	}
	if sig.contentSHA256 != "" && sig.contentSHA256 != UnsignedPayload &&
		!strings.EqualFold(sig.contentSHA256, hashBody()) {
		return newError(BadSignature, msgBodyHash)
	}
	return nil
}

// keyCache keeps derived signing keys per (secret, date, region, service).
// It is bounded: when full, it is emptied and refilled.
type keyCache struct {
	mu   sync.Mutex
	keys map[cacheKey][]byte
}

type cacheKey struct{ secret, date, region, service string }

const maxCachedKeys = 256

func (c *keyCache) get(secret, date, region, service string) []byte {
	k := cacheKey{secret, date, region, service}
	c.mu.Lock()
	key, ok := c.keys[k]
	c.mu.Unlock()
	if ok {
		return key
	}
	key = deriveKey(secret, date, region, service)
	c.mu.Lock()
	if c.keys == nil || len(c.keys) >= maxCachedKeys {
		c.keys = make(map[cacheKey][]byte)
	}
	c.keys[k] = key
	c.mu.Unlock()
	return key
}
