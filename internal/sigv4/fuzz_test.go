package sigv4

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const fuzzBody = `{"cluster":"default"}`

// fuzzRequest builds the request a server would see for the fuzzed parts.
func fuzzRequest(auth, amzDate, rawQuery string, body []byte, path string) *http.Request {
	r := &http.Request{
		Method:        http.MethodPost,
		URL:           &url.URL{Path: path, RawQuery: rawQuery},
		Host:          "example.com",
		Header:        http.Header{},
		ContentLength: int64(len(body)),
		RequestURI:    path + "?" + rawQuery,
	}
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	r.Header.Set("Content-Length", strconv.Itoa(len(body)))
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	if amzDate != "" {
		r.Header.Set("X-Amz-Date", amzDate)
	}
	return r
}

// signedSeeds returns a header-signed and a presigned request made by the
// SDK signer, as (auth, amzDate, rawQuery, path) seeds for fuzzRequest.
func signedSeeds(tb testing.TB) [][4]string {
	tb.Helper()
	signer := v4.NewSigner()
	ctx := context.Background()

	req := httptest.NewRequest(http.MethodPost, "http://example.com/p/a%20b?x=1&y=%2F", strings.NewReader(fuzzBody))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	if err := signer.SignHTTP(ctx, credsOf(keyLong), req, hashHex([]byte(fuzzBody)), "ecs", "us-east-1", signTime); err != nil {
		tb.Fatal(err)
	}
	header := [4]string{req.Header.Get("Authorization"), req.Header.Get("X-Amz-Date"), req.URL.RawQuery, "/p/a%20b"}

	preq := httptest.NewRequest(http.MethodPost, "http://example.com/q?X-Amz-Expires=300", strings.NewReader(fuzzBody))
	preq.Header.Set("Content-Type", "application/x-amz-json-1.1")
	signed, _, err := signer.PresignHTTP(ctx, credsOf(keyTemp), preq, UnsignedPayload, "sts", "us-east-1", signTime)
	if err != nil {
		tb.Fatal(err)
	}
	u, err := url.Parse(signed)
	if err != nil {
		tb.Fatal(err)
	}
	return [][4]string{header, {"", "", u.RawQuery, "/q"}}
}

// TestFuzzSeedsVerify proves the fuzz request builder yields verifiable
// requests, so the fuzzer starts from valid signatures.
func TestFuzzSeedsVerify(t *testing.T) {
	v := &Verifier{Lookup: testLookup, Now: fixedClock(0)}
	for _, s := range signedSeeds(t) {
		r := fuzzRequest(s[0], s[1], s[2], []byte(fuzzBody), s[3])
		if _, err := v.Verify(context.Background(), r, []byte(fuzzBody)); err != nil {
			t.Errorf("seed %q: %v", s, err)
		}
	}
}

func FuzzVerify(f *testing.F) {
	for _, s := range signedSeeds(f) {
		f.Add(s[0], s[1], s[2], []byte(fuzzBody), s[3])
	}
	f.Add("Bearer abc", "", "", []byte{}, "/")
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/ecs/aws4_request,SignedHeaders=host,Signature=00", "20240101T000000Z", "a=%zz&b=;&&=", []byte("x"), "/a/../b//c")
	f.Add("AWS4-HMAC-SHA256 Credential=//// SignedHeaders=; Signature=", "99999999T999999Z", "X-Amz-Credential=%2F", []byte(nil), "")

	v := &Verifier{Lookup: testLookup, Now: fixedClock(0)}
	f.Fuzz(func(t *testing.T, auth, amzDate, rawQuery string, body []byte, path string) {
		r := fuzzRequest(auth, amzDate, rawQuery, body, path)
		res, err := v.Verify(context.Background(), r, body)
		if err != nil {
			kind, ok := KindOf(err)
			if !ok || kind < Missing || kind > BadToken {
				t.Fatalf("Verify returned a non-verification error: %v", err)
			}
			if err.(*Error).Message == "" {
				t.Fatalf("empty message for kind %v", kind)
			}
			return
		}
		id, _, region, service, ok := Scope(r)
		if !ok || id != res.AccessKeyID || region != res.Region || service != res.Service {
			t.Fatalf("verified %+v but Scope = (%q, %q, %q, %v)", res, id, region, service, ok)
		}
	})
}

func FuzzScope(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/ecs/aws4_request, SignedHeaders=host, Signature=x", "")
	f.Add("", "X-Amz-Credential=AKID%2F20240101%2Fus-east-1%2Fsts%2Faws4_request")
	f.Add("Credential=a/b/c/d/e", "X-Amz-Credential=%zz")
	f.Fuzz(func(t *testing.T, auth, rawQuery string) {
		r := &http.Request{Header: http.Header{}, URL: &url.URL{RawQuery: rawQuery}}
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		id, date, region, service, ok := Scope(r)
		if !ok {
			if id != "" || date != "" || region != "" || service != "" {
				t.Fatalf("Scope not ok but returned values (%q, %q, %q, %q)", id, date, region, service)
			}
			return
		}
		for _, s := range []string{id, date, region, service} {
			if s == "" || strings.Contains(s, "/") {
				t.Fatalf("Scope ok with bad element %q in (%q, %q, %q, %q)", s, id, date, region, service)
			}
		}
		if len(date) != 8 {
			t.Fatalf("Scope date %q is not YYYYMMDD", date)
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	body := []byte(`{"maxResults":10}`)
	req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:4566/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AmazonEC2ContainerServiceV20141113.ListClusters")
	if err := v4.NewSigner().SignHTTP(context.Background(), credsOf(keyLong), req, hashHex(body), "ecs", "us-east-1", signTime); err != nil {
		b.Fatal(err)
	}
	v := &Verifier{Lookup: testLookup, Now: fixedClock(0)}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, req, body); err != nil {
			b.Fatal(err)
		}
	}
}
