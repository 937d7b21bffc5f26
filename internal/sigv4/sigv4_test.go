package sigv4

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// signTime is when the test requests are signed.
var signTime = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// The keys the test server knows.
var (
	keyLong    = Key{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
	keyTemp    = Key{AccessKeyID: "ASIATEMPEXAMPLE", SecretAccessKey: "temp/secret", SessionToken: "FwoGZXIvYXdzEXAMPLETOKEN=="}
	keyExpired = Key{AccessKeyID: "ASIAEXPIREDEXAMPLE", SecretAccessKey: "old", SessionToken: "oldtoken", Expires: signTime.Add(-time.Hour)}
)

func testLookup(ctx context.Context, id string) (Key, bool, error) {
	for _, k := range []Key{keyLong, keyTemp, keyExpired} {
		if k.AccessKeyID == id {
			return k, true, nil
		}
	}
	return Key{}, false, nil
}

func credsOf(k Key) aws.Credentials {
	return aws.Credentials{AccessKeyID: k.AccessKeyID, SecretAccessKey: k.SecretAccessKey, SessionToken: k.SessionToken}
}

func hashHex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// fixedClock returns a clock standing at signTime+d.
func fixedClock(d time.Duration) func() time.Time {
	return func() time.Time { return signTime.Add(d) }
}

// harness is a real HTTP server whose handler verifies every request and
// records the outcome, answering 200 "{}" on success and 403 otherwise.
type harness struct {
	srv *httptest.Server
	v   *Verifier

	mu    sync.Mutex
	calls int
	res   Result
	err   error
}

func newHarness(t *testing.T, v *Verifier) *harness {
	t.Helper()
	h := &harness{v: v}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		res, verr := v.Verify(r.Context(), r, body)
		h.mu.Lock()
		h.calls++
		h.res, h.err = res, verr
		h.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if verr != nil {
			code := "InternalFailure"
			if k, ok := KindOf(verr); ok {
				code = k.String()
			}
			w.WriteHeader(http.StatusForbidden)
			_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": verr.Error()})
			return
		}
		_, _ = io.WriteString(w, "{}")
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// do sends req and returns what the handler's Verify returned for it.
func (h *harness) do(t *testing.T, req *http.Request) (Result, error) {
	t.Helper()
	h.mu.Lock()
	before := h.calls
	h.mu.Unlock()
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.calls != before+1 {
		t.Fatalf("handler ran %d times, want 1", h.calls-before)
	}
	return h.res, h.err
}

func newRequest(t *testing.T, method, rawURL, body string) *http.Request {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, rawURL, r)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	return req
}

// ecsRequest builds a request like the ECS client's ListClusters.
func ecsRequest(t *testing.T, base, body string) *http.Request {
	t.Helper()
	req := newRequest(t, http.MethodPost, base+"/", body)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AmazonEC2ContainerServiceV20141113.ListClusters")
	return req
}

func signHeader(t *testing.T, req *http.Request, k Key, payloadHash, service string, at time.Time) {
	t.Helper()
	// The S3 client turns off the second path escaping; mirror it.
	opt := func(o *v4.SignerOptions) { o.DisableURIPathEscaping = service == "s3" }
	err := v4.NewSigner().SignHTTP(context.Background(), credsOf(k), req, payloadHash, service, "us-east-1", at, opt)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
}

// checkOutcome asserts success when wantKind is 0, else an *Error of wantKind
// (and wantMsg exactly, when given).
func checkOutcome(t *testing.T, err error, wantKind Kind, wantMsg string) {
	t.Helper()
	if wantKind == 0 {
		if err != nil {
			t.Fatalf("Verify: %v, want success", err)
		}
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Verify error = %v, want *Error of kind %v", err, wantKind)
	}
	if e.Kind != wantKind {
		t.Fatalf("Verify kind = %v (%s), want %v", e.Kind, e.Message, wantKind)
	}
	if wantMsg != "" && e.Message != wantMsg {
		t.Fatalf("Verify message =\n  %q\nwant\n  %q", e.Message, wantMsg)
	}
}

func TestVerifyHeaderForm(t *testing.T) {
	const body = `{"maxResults":10}`
	tests := []struct {
		name        string
		path        string // default "/"
		key         Key    // signing key; default keyLong
		payloadHash string // default sha256(body)
		service     string // default "ecs"
		before      func(r *http.Request)
		after       func(r *http.Request) // tampering after signing
		now         time.Duration
		wantKind    Kind
		wantMsg     string
	}{
		{name: "valid"},
		{name: "valid 14 min late", now: 14 * time.Minute},
		{name: "valid 14 min early", now: -14 * time.Minute},
		{name: "unsigned header changed", after: func(r *http.Request) { r.Header.Set("User-Agent", "other") }},
		{name: "repeated and spaced headers", before: func(r *http.Request) {
			r.Header.Add("X-Amz-Meta-A", "  one   two  ")
			r.Header.Add("X-Amz-Meta-A", "three")
		}},
		{name: "wrong secret", key: Key{AccessKeyID: keyLong.AccessKeyID, SecretAccessKey: "wrong"},
			wantKind: BadSignature, wantMsg: msgBadSignature},
		{name: "unknown key", key: Key{AccessKeyID: "AKIDUNKNOWN", SecretAccessKey: "x"},
			wantKind: UnknownKey, wantMsg: "The security token included in the request is invalid."},
		{name: "tampered body", after: func(r *http.Request) {
			b := `{"maxResults":99}`
			r.Body, r.ContentLength = io.NopCloser(strings.NewReader(b)), int64(len(b))
		}, wantKind: BadSignature, wantMsg: msgBadSignature},
		{name: "tampered signed header", after: func(r *http.Request) {
			r.Header.Set("X-Amz-Target", "AmazonEC2ContainerServiceV20141113.DeleteCluster")
		}, wantKind: BadSignature},
		{name: "tampered host", after: func(r *http.Request) { r.Host = "evil.example:1234" }, wantKind: BadSignature},
		{name: "tampered method", after: func(r *http.Request) { r.Method = http.MethodPut }, wantKind: BadSignature},
		{name: "query added", after: func(r *http.Request) { r.URL.RawQuery = "a=b" }, wantKind: BadSignature},
		{name: "too old", now: 30 * time.Minute, wantKind: Expired,
			wantMsg: "Signature expired: 20240101T000000Z is now earlier than 20240101T001500Z (20240101T003000Z - 15 min.)"},
		{name: "too new", now: -30 * time.Minute, wantKind: Expired,
			wantMsg: "Signature not yet current: 20240101T000000Z is still later than 20231231T234500Z (20231231T233000Z + 15 min.)"},
		{name: "content sha256 header", before: func(r *http.Request) {
			r.Header.Set("X-Amz-Content-Sha256", hashHex([]byte(body)))
		}},
		{name: "unsigned payload", payloadHash: UnsignedPayload, before: func(r *http.Request) {
			r.Header.Set("X-Amz-Content-Sha256", UnsignedPayload)
		}, after: func(r *http.Request) {
			b := `{"maxResults":99}` // same length: content-length is signed
			r.Body, r.ContentLength = io.NopCloser(strings.NewReader(b)), int64(len(b))
		}},
		{name: "content sha256 of another body", payloadHash: hashHex([]byte("x")), before: func(r *http.Request) {
			r.Header.Set("X-Amz-Content-Sha256", hashHex([]byte("x")))
		}, wantKind: BadSignature, wantMsg: msgBodyHash},
		{name: "content sha256 tampered", before: func(r *http.Request) {
			r.Header.Set("X-Amz-Content-Sha256", hashHex([]byte(body)))
		}, after: func(r *http.Request) {
			r.Header.Set("X-Amz-Content-Sha256", UnsignedPayload)
		}, wantKind: BadSignature, wantMsg: msgBadSignature},
		{name: "s3 path not double-encoded", path: "/bucket/a%20b", service: "s3"},
		{name: "session token", key: keyTemp},
		{name: "session token missing", key: Key{AccessKeyID: keyTemp.AccessKeyID, SecretAccessKey: keyTemp.SecretAccessKey},
			wantKind: BadToken, wantMsg: msgBadToken},
		{name: "session token wrong", key: Key{AccessKeyID: keyTemp.AccessKeyID, SecretAccessKey: keyTemp.SecretAccessKey, SessionToken: "other"},
			wantKind: BadToken},
		{name: "session token on long-term key", key: Key{AccessKeyID: keyLong.AccessKeyID, SecretAccessKey: keyLong.SecretAccessKey, SessionToken: "tok"},
			wantKind: BadToken},
		{name: "temporary key expired", key: keyExpired, wantKind: ExpiredToken, wantMsg: "The security token included in the request is expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, &Verifier{Lookup: testLookup, Now: fixedClock(tt.now)})
			path, key, service, payload := tt.path, tt.key, tt.service, tt.payloadHash
			if path == "" {
				path = "/"
			}
			if key.AccessKeyID == "" {
				key = keyLong
			}
			if service == "" {
				service = "ecs"
			}
			if payload == "" {
				payload = hashHex([]byte(body))
			}
			req := ecsRequest(t, h.srv.URL+strings.TrimSuffix(path, "/"), body)
			if tt.before != nil {
				tt.before(req)
			}
			signHeader(t, req, key, payload, service, signTime)
			if tt.after != nil {
				tt.after(req)
			}
			res, err := h.do(t, req)
			checkOutcome(t, err, tt.wantKind, tt.wantMsg)
			if tt.wantKind != 0 {
				return
			}
			want := Result{AccessKeyID: key.AccessKeyID, Service: service, Region: "us-east-1", Time: signTime}
			if res != want {
				t.Errorf("Result = %+v, want %+v", res, want)
			}
		})
	}
}

// TestVerifySignsContentLengthAndPort makes sure the valid case above really
// covers the headers the Go server moves around: the SDK signs
// content-length and a host with its port.
func TestVerifySignsContentLengthAndPort(t *testing.T) {
	h := newHarness(t, &Verifier{Lookup: testLookup, Now: fixedClock(0)})
	req := ecsRequest(t, h.srv.URL, `{}`)
	signHeader(t, req, keyLong, hashHex([]byte(`{}`)), "ecs", signTime)
	auth := req.Header.Get("Authorization")
	if !strings.Contains(auth, "SignedHeaders=content-length;content-type;host;x-amz-date;x-amz-target,") {
		t.Fatalf("SDK signed unexpected headers: %s", auth)
	}
	if _, err := h.do(t, req); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	// The same signature must fail when the port differs.
	req2 := ecsRequest(t, h.srv.URL, `{}`)
	signHeader(t, req2, keyLong, hashHex([]byte(`{}`)), "ecs", signTime)
	req2.Host = strings.Replace(req2.URL.Host, ":", ":1", 1)
	_, err := h.do(t, req2)
	checkOutcome(t, err, BadSignature, msgBadSignature)
}

func TestVerifyPathsAndQueries(t *testing.T) {
	targets := []string{
		"/",
		"/2015-03-31/functions/my-func/invocations",
		"/a%20b/c",
		"/a+b/c%2Bd",
		"/a%2Fb/c",
		"/%E2%82%AC/%C3%BC",
		"/x/(y)!*$'@:,;=/~z",
		"/a//b/./c/../d",
		"/trailing/",
		"/?a=1",
		"/?b=2&a=1&a=0&c=x%20y&d=a+b",
		"/?empty=&flag&k%3D=v%26",
		"/?Action=ListUsers&Version=2010-05-08&Marker=a%2Fb%3Dc",
		"/p%20q?x=%E2%82%AC&y=~-._",
	}
	for _, target := range targets {
		t.Run(target, func(t *testing.T) {
			h := newHarness(t, &Verifier{Lookup: testLookup, Now: fixedClock(0)})
			for _, method := range []string{http.MethodGet, http.MethodPost} {
				body := ""
				if method == http.MethodPost {
					body = "Action=Describe&Version=1"
				}
				req := newRequest(t, method, h.srv.URL+target, body)
				signHeader(t, req, keyLong, hashHex([]byte(body)), "ecs", signTime)
				if _, err := h.do(t, req); err != nil {
					t.Fatalf("%s %s: %v", method, target, err)
				}
			}
		})
	}
}

func TestVerifyDateHeaderFallback(t *testing.T) {
	// No client here sends Date instead of X-Amz-Date, so the signature is
	// computed by hand from the documented algorithm.
	h := newHarness(t, &Verifier{Lookup: testLookup, Now: fixedClock(time.Minute)})
	req := newRequest(t, http.MethodGet, h.srv.URL+"/?Action=ListUsers", "")
	req.Header.Set("Date", "Mon, 01 Jan 2024 00:00:00 GMT")
	host := req.URL.Host
	canonical := "GET\n/\nAction=ListUsers\n" +
		"date:Mon, 01 Jan 2024 00:00:00 GMT\nhost:" + host + "\n\n" +
		"date;host\n" + hashHex(nil)
	scope := "20240101/us-east-1/iam/aws4_request"
	stringToSign := "AWS4-HMAC-SHA256\n20240101T000000Z\n" + scope + "\n" + hashHex([]byte(canonical))
	key := hmacSHA256([]byte("AWS4"+keyLong.SecretAccessKey), "20240101")
	for _, part := range []string{"us-east-1", "iam", "aws4_request"} {
		key = hmacSHA256(key, part)
	}
	sig := hex.EncodeToString(hmacSHA256(key, stringToSign))
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"+scope+", SignedHeaders=date;host, Signature="+sig)
	res, err := h.do(t, req)
	checkOutcome(t, err, 0, "")
	if res.Service != "iam" || !res.Time.Equal(signTime) {
		t.Errorf("Result = %+v", res)
	}

	req.Header.Set("Date", "Mon, 01 Jan 2024 00:00:01 GMT")
	_, err = h.do(t, req)
	checkOutcome(t, err, BadSignature, "")
}

func TestVerifyPresigned(t *testing.T) {
	tests := []struct {
		name        string
		query       string // added to the URL before presigning
		key         Key
		payloadHash string // default UNSIGNED-PAYLOAD
		header      http.Header
		after       func(u *url.URL)
		now         time.Duration
		wantKind    Kind
		wantMsg     string
	}{
		{name: "valid", query: "X-Amz-Expires=300", now: 299 * time.Second},
		{name: "valid without expires", query: "Action=GetCallerIdentity&Version=2011-06-15", now: 10 * time.Minute},
		{name: "valid empty body hash", payloadHash: hashHex(nil), query: "X-Amz-Expires=60"},
		{name: "hoisted headers", query: "X-Amz-Expires=300", header: http.Header{"X-Amz-Target": {"A.B"}, "X-K8s-Aws-Id": {"cluster"}}},
		{name: "session token", key: keyTemp, query: "X-Amz-Expires=300"},
		{name: "content sha256 in query", payloadHash: hashHex(nil), query: "X-Amz-Content-Sha256=" + hashHex(nil)},
		{name: "expired", query: "X-Amz-Expires=300", now: 301 * time.Second, wantKind: Expired, wantMsg: msgPresignGone},
		{name: "week-long url late", query: "X-Amz-Expires=604800", now: 6 * 24 * time.Hour},
		{name: "no expires too old", now: 16 * time.Minute, wantKind: Expired},
		{name: "not yet valid", query: "X-Amz-Expires=3600", now: -16 * time.Minute, wantKind: Expired},
		{name: "expires too long", query: "X-Amz-Expires=604801", wantKind: Incomplete},
		{name: "expires not a number", query: "X-Amz-Expires=soon", wantKind: Incomplete},
		{name: "expires negative", query: "X-Amz-Expires=-1", wantKind: Incomplete},
		{name: "wrong secret", key: Key{AccessKeyID: keyLong.AccessKeyID, SecretAccessKey: "nope"}, wantKind: BadSignature, wantMsg: msgBadSignature},
		{name: "unknown key", key: Key{AccessKeyID: "AKIDNOPE", SecretAccessKey: "x"}, wantKind: UnknownKey},
		{name: "missing token", key: Key{AccessKeyID: keyTemp.AccessKeyID, SecretAccessKey: keyTemp.SecretAccessKey}, wantKind: BadToken},
		{name: "tampered param", query: "Action=Get", after: func(u *url.URL) {
			u.RawQuery = strings.Replace(u.RawQuery, "Action=Get", "Action=Put", 1)
		}, wantKind: BadSignature},
		{name: "tampered expires", query: "X-Amz-Expires=60", after: func(u *url.URL) {
			u.RawQuery = strings.Replace(u.RawQuery, "X-Amz-Expires=60", "X-Amz-Expires=600", 1)
		}, wantKind: BadSignature},
		{name: "signature removed", after: func(u *url.URL) {
			q := u.Query()
			q.Del("X-Amz-Signature")
			u.RawQuery = q.Encode()
		}, wantKind: Incomplete, wantMsg: "AWS query-string parameters must include 'X-Amz-Signature'. Re-examine the query-string parameters."},
		{name: "algorithm wrong", after: func(u *url.URL) {
			u.RawQuery = strings.Replace(u.RawQuery, "AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512", 1)
		}, wantKind: Incomplete},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, &Verifier{Lookup: testLookup, Now: fixedClock(tt.now)})
			key, payload := tt.key, tt.payloadHash
			if key.AccessKeyID == "" {
				key = keyLong
			}
			if payload == "" {
				payload = UnsignedPayload
			}
			target := h.srv.URL + "/path/obj"
			if tt.query != "" {
				target += "?" + tt.query
			}
			req := newRequest(t, http.MethodGet, target, "")
			for k, v := range tt.header {
				req.Header[k] = v
			}
			signed, signedHeaders, err := v4.NewSigner().PresignHTTP(context.Background(), credsOf(key), req, payload, "sts", "us-east-1", signTime)
			if err != nil {
				t.Fatalf("presign: %v", err)
			}
			u, err := url.Parse(signed)
			if err != nil {
				t.Fatalf("parse presigned URL: %v", err)
			}
			if tt.after != nil {
				tt.after(u)
			}
			out := newRequest(t, http.MethodGet, u.String(), "")
			for k, v := range signedHeaders {
				if k != "Host" {
					out.Header[k] = v
				}
			}
			res, err := h.do(t, out)
			checkOutcome(t, err, tt.wantKind, tt.wantMsg)
			if tt.wantKind != 0 {
				return
			}
			want := Result{AccessKeyID: key.AccessKeyID, Service: "sts", Region: "us-east-1", Time: signTime, Presigned: true}
			if res != want {
				t.Errorf("Result = %+v, want %+v", res, want)
			}
		})
	}
}

func TestVerifyMalformed(t *testing.T) {
	const cred = "Credential=AKIDEXAMPLE/20240101/us-east-1/ecs/aws4_request"
	const sig = "Signature=" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	tests := []struct {
		name     string
		auth     string
		amzDate  string // X-Amz-Date header; "-" for none
		extra    http.Header
		wantKind Kind
		wantMsg  string
	}{
		{name: "no auth", auth: "", wantKind: Missing, wantMsg: "Missing Authentication Token"},
		{name: "blank auth", auth: "   ", wantKind: Missing},
		{name: "bearer", auth: "Bearer abc", wantKind: Incomplete,
			wantMsg: "'abc' not a valid key=value pair (missing equal-sign) in Authorization header: 'Bearer abc'."},
		{name: "space after equal", auth: "AWS4-HMAC-SHA256 Credential= AKIDEXAMPLE/20240101/us-east-1/ecs/aws4_request, SignedHeaders=host, " + sig,
			wantKind: Incomplete, wantMsg: "'AKIDEXAMPLE/20240101/us-east-1/ecs/aws4_request' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 Credential= AKIDEXAMPLE/20240101/us-east-1/ecs/aws4_request, SignedHeaders=host, " + sig + "'."},
		{name: "algorithm only", auth: "AWS4-HMAC-SHA256", wantKind: Incomplete,
			wantMsg: "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256"},
		{name: "missing credential and signature", auth: "AWS4-HMAC-SHA256 SignedHeaders=host", wantKind: Incomplete,
			wantMsg: "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256 SignedHeaders=host"},
		{name: "missing signed headers", auth: "AWS4-HMAC-SHA256 " + cred + ", " + sig, wantKind: Incomplete,
			wantMsg: "Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 " + cred + ", " + sig},
		{name: "missing date", auth: "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host, " + sig, amzDate: "-", wantKind: Incomplete,
			wantMsg: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host, " + sig},
		{name: "sigv2", auth: "AWS AKIDEXAMPLE:qaNdqGsI6bq4Hi+9Gzovwyjbh0E=", wantKind: Incomplete},
		{name: "other algorithm", auth: "AWS4-HMAC-SHA512 " + cred + ", SignedHeaders=host, " + sig, wantKind: Incomplete,
			wantMsg: "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."},
		{name: "short credential", auth: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1, SignedHeaders=host, " + sig, wantKind: Incomplete,
			wantMsg: "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKIDEXAMPLE/20240101/us-east-1'"},
		{name: "bad terminator", auth: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/ecs/aws5_request, SignedHeaders=host, " + sig, wantKind: Incomplete,
			wantMsg: "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'."},
		{name: "empty region", auth: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101//ecs/aws4_request, SignedHeaders=host, " + sig, wantKind: Incomplete},
		{name: "empty service", auth: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1//aws4_request, SignedHeaders=host, " + sig, wantKind: Incomplete},
		{name: "bad scope date", auth: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/2024011/us-east-1/ecs/aws4_request, SignedHeaders=host, " + sig, wantKind: Incomplete},
		{name: "scope date mismatch", auth: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240102/us-east-1/ecs/aws4_request, SignedHeaders=host, " + sig, wantKind: BadSignature,
			wantMsg: "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20240102' != '20240101', from '20240101T000000Z'."},
		{name: "host not signed", auth: "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=x-amz-date, " + sig, wantKind: Incomplete,
			wantMsg: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."},
		{name: "empty signed header", auth: "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;;x-amz-date, " + sig, wantKind: Incomplete},
		{name: "bad x-amz-date", auth: "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host, " + sig, amzDate: "2024-01-01T00:00:00Z", wantKind: Incomplete,
			wantMsg: "Date must be in ISO-8601 'basic format'. Got '2024-01-01T00:00:00Z'. See http://en.wikipedia.org/wiki/ISO_8601"},
		{name: "bad date header", auth: "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host, " + sig, amzDate: "-",
			extra: http.Header{"Date": {"yesterday"}}, wantKind: Incomplete},
		{name: "bad content sha256", auth: "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host, " + sig,
			extra: http.Header{"X-Amz-Content-Sha256": {"abc"}}, wantKind: Incomplete},
		{name: "empty access key", auth: "AWS4-HMAC-SHA256 Credential=/20240101/us-east-1/ecs/aws4_request, SignedHeaders=host, " + sig, wantKind: UnknownKey},
		{name: "garbage signature", auth: "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;x-amz-date, Signature=zz", wantKind: BadSignature},
		{name: "no spaces", auth: "AWS4-HMAC-SHA256 " + cred + ",SignedHeaders=host;x-amz-date," + sig, wantKind: BadSignature, wantMsg: msgBadSignature},
		{name: "tabs", auth: "AWS4-HMAC-SHA256\t" + cred + ",\tSignedHeaders=host;x-amz-date,\t" + sig, wantKind: BadSignature, wantMsg: msgBadSignature},
		{name: "presign missing params", auth: "", extra: http.Header{"X-Query": {"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20240101T000000Z"}},
			wantKind: Incomplete,
			wantMsg:  "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. Re-examine the query-string parameters."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, &Verifier{Lookup: testLookup, Now: fixedClock(0)})
			target := h.srv.URL + "/"
			if q := tt.extra.Get("X-Query"); q != "" {
				target += "?" + q
			}
			req := newRequest(t, http.MethodPost, target, "{}")
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			switch tt.amzDate {
			case "":
				req.Header.Set("X-Amz-Date", "20240101T000000Z")
			case "-":
			default:
				req.Header.Set("X-Amz-Date", tt.amzDate)
			}
			for k, v := range tt.extra {
				if k != "X-Query" {
					req.Header[k] = v
				}
			}
			_, err := h.do(t, req)
			checkOutcome(t, err, tt.wantKind, tt.wantMsg)
		})
	}
}

func TestVerifyLookupErrors(t *testing.T) {
	req := httptest.NewRequest(http.MethodPost, "http://example.com/", bytes.NewReader(nil))
	signHeader(t, req, keyLong, hashHex(nil), "ecs", signTime)

	boom := errors.New("store down")
	v := &Verifier{Now: fixedClock(0), Lookup: func(context.Context, string) (Key, bool, error) { return Key{}, false, boom }}
	_, err := v.Verify(context.Background(), req, nil)
	if !errors.Is(err, boom) {
		t.Fatalf("Verify error = %v, want it to wrap %v", err, boom)
	}
	if _, ok := KindOf(err); ok {
		t.Fatalf("a Lookup failure must not be a verification *Error: %v", err)
	}

	_, err = (&Verifier{Now: fixedClock(0)}).Verify(context.Background(), req, nil)
	if err == nil {
		t.Fatal("Verify with nil Lookup succeeded")
	}
	if _, ok := KindOf(err); ok {
		t.Fatalf("nil Lookup must not be a verification *Error: %v", err)
	}

	_, err = (&Verifier{Lookup: testLookup}).Verify(context.Background(), nil, nil)
	checkOutcome(t, err, Missing, "")
}

func TestScope(t *testing.T) {
	tests := []struct {
		name                  string
		auth, query           string
		id, date, region, svc string
		ok                    bool
	}{
		{name: "header", auth: "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/ecs/aws4_request, SignedHeaders=host, Signature=x",
			id: "AKID", date: "20240101", region: "us-east-1", svc: "ecs", ok: true},
		{name: "header without spaces", auth: "AWS4-HMAC-SHA256 Credential=AKID/20240101/eu-west-1/monitoring/aws4_request,SignedHeaders=host,Signature=x",
			id: "AKID", date: "20240101", region: "eu-west-1", svc: "monitoring", ok: true},
		{name: "query", query: "X-Amz-Credential=AKID%2F20240101%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Signature=x",
			id: "AKID", date: "20240101", region: "us-east-1", svc: "sts", ok: true},
		{name: "header wins over query", auth: "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/ecs/aws4_request",
			query: "X-Amz-Credential=OTHER%2F20240101%2Fus-east-1%2Fsts%2Faws4_request",
			id:    "AKID", date: "20240101", region: "us-east-1", svc: "ecs", ok: true},
		{name: "absent"},
		{name: "no credential", auth: "AWS4-HMAC-SHA256 SignedHeaders=host"},
		{name: "short", auth: "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1"},
		{name: "bad terminator", auth: "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/ecs/x"},
		{name: "bad date", auth: "AWS4-HMAC-SHA256 Credential=AKID/2024-1-1/us-east-1/ecs/aws4_request"},
		{name: "empty key", auth: "AWS4-HMAC-SHA256 Credential=/20240101/us-east-1/ecs/aws4_request"},
		{name: "bearer", auth: "Bearer abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "http://example.com/?"+tt.query, nil)
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			id, date, region, svc, ok := Scope(r)
			if id != tt.id || date != tt.date || region != tt.region || svc != tt.svc || ok != tt.ok {
				t.Errorf("Scope = (%q, %q, %q, %q, %v), want (%q, %q, %q, %q, %v)",
					id, date, region, svc, ok, tt.id, tt.date, tt.region, tt.svc, tt.ok)
			}
		})
	}
	if _, _, _, _, ok := Scope(nil); ok {
		t.Error("Scope(nil) ok")
	}
}

func TestKind(t *testing.T) {
	for k, want := range map[Kind]string{Missing: "Missing", Incomplete: "Incomplete", UnknownKey: "UnknownKey",
		BadSignature: "BadSignature", Expired: "Expired", BadToken: "BadToken", Kind(0): "Kind(0)"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", int(k), got, want)
		}
	}
	err := error(&Error{Kind: Expired, Message: "m"})
	if got := err.Error(); got != "sigv4: Expired: m" {
		t.Errorf("Error() = %q", got)
	}
	if k, ok := KindOf(errors.Join(errors.New("x"), err)); !ok || k != Expired {
		t.Errorf("KindOf wrapped = %v, %v", k, ok)
	}
}
