package sigv4

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"testing"
)

func TestURIEncode(t *testing.T) {
	tests := []struct {
		in          string
		encodeSlash bool
		want        string
	}{
		{"", false, ""},
		{"/abc/XYZ/09-_.~", false, "/abc/XYZ/09-_.~"},
		{"/a b", false, "/a%20b"},
		{"/a%20b", false, "/a%2520b"},
		{"a/b", true, "a%2Fb"},
		{"+=&?#", true, "%2B%3D%26%3F%23"},
		{"\xe2\x82\xac", true, "%E2%82%AC"},
		{"\x00\xff", true, "%00%FF"},
	}
	for _, tt := range tests {
		if got := uriEncode(tt.in, tt.encodeSlash); got != tt.want {
			t.Errorf("uriEncode(%q, %v) = %q, want %q", tt.in, tt.encodeSlash, got, tt.want)
		}
	}
}

func TestRemoveDotSegments(t *testing.T) {
	// Expected values are botocore's normalize_url_path outputs.
	tests := map[string]string{
		"":                "/",
		"/":               "/",
		"/a/b":            "/a/b",
		"/a/./b":          "/a/b",
		"/a/../b":         "/b",
		"/../../a":        "/a",
		"//a//b//":        "/a/b/",
		"/a/b/..":         "/a",
		"/a/%2E%2E/b":     "/a/%2E%2E/b",
		"/prod/./x/../y/": "/prod/y/",
	}
	for in, want := range tests {
		if got := removeDotSegments(in); got != want {
			t.Errorf("removeDotSegments(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCanonicalQuery(t *testing.T) {
	tests := []struct {
		raw       string
		presigned bool
		want      string
	}{
		{"", false, ""},
		{"b=2&a=1", false, "a=1&b=2"},
		{"a=2&a=10&a=1", false, "a=1&a=10&a=2"},
		{"flag&empty=", false, "empty=&flag="},
		{"q=a+b&r=a%20b", false, "q=a%20b&r=a%20b"},
		{"k=%2f%7e", false, "k=%2F~"},
		{"bad=%zz&ok=1", false, "bad=%zz&ok=1"},
		{"a=1;b=2", false, "a=1%3Bb%3D2"},
		{"&&a=1&&", false, "a=1"},
		{"X-Amz-Signature=abc&X-Amz-Date=1", true, "X-Amz-Date=1"},
		{"X-Amz-Signature=abc&X-Amz-Date=1", false, "X-Amz-Date=1&X-Amz-Signature=abc"},
	}
	for _, tt := range tests {
		if got := canonicalQuery(tt.raw, tt.presigned); got != tt.want {
			t.Errorf("canonicalQuery(%q, %v) = %q, want %q", tt.raw, tt.presigned, got, tt.want)
		}
	}
}

func TestCanonicalHeaders(t *testing.T) {
	r := &http.Request{
		Host:             "127.0.0.1:4566",
		URL:              &url.URL{Path: "/"},
		Header:           http.Header{},
		ContentLength:    12,
		TransferEncoding: []string{"chunked"},
	}
	r.Header.Add("X-Multi", " one  two ")
	r.Header.Add("X-Multi", "three")
	r.Header.Set("Content-Type", "application/json")
	got := canonicalHeaders(r, []string{"content-length", "content-type", "host", "transfer-encoding", "x-absent", "x-multi"})
	want := "content-length:12\ncontent-type:application/json\nhost:127.0.0.1:4566\n" +
		"transfer-encoding:chunked\nx-absent:\nx-multi:one two,three\n"
	if got != want {
		t.Errorf("canonicalHeaders =\n%q\nwant\n%q", got, want)
	}
}

func TestRequestPath(t *testing.T) {
	tests := []struct {
		requestURI string
		urlPath    string
		want       string
	}{
		{"/a%20b?x=1", "/a b", "/a%20b"},
		{"/a%7Bb", "/a{b", "/a%7Bb"},
		{"/a{b", "/a{b", "/a{b"},
		{"http://host:1/p/q?x", "/p/q", "/p/q"},
		{"http://host:1", "", "/"},
		{"", "/x y", "/x%20y"},
		{"*", "", "/"},
	}
	for _, tt := range tests {
		r := &http.Request{RequestURI: tt.requestURI, URL: &url.URL{Path: tt.urlPath}}
		if got := requestPath(r); got != tt.want {
			t.Errorf("requestPath(%q, %q) = %q, want %q", tt.requestURI, tt.urlPath, got, tt.want)
		}
	}
}

func TestTrimAll(t *testing.T) {
	tests := map[string]string{
		"":              "",
		"  a  ":         "a",
		"a   b    c":    "a b c",
		"\ta \t b\t":    "a \t b",
		"no-change":     "no-change",
		" a  b , c  d ": "a b , c d",
	}
	for in, want := range tests {
		if got := trimAll(in); got != want {
			t.Errorf("trimAll(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDeriveKeyAWSExample(t *testing.T) {
	// The signing key example from the AWS General Reference (SigV4 "derive a signing key").
	got := fmt.Sprintf("%x", deriveKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam"))
	const want = "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
	if got != want {
		t.Errorf("deriveKey = %s, want %s", got, want)
	}
}

func TestKeyCache(t *testing.T) {
	var c keyCache
	first := c.get("secret", "20240101", "us-east-1", "ecs")
	if !bytes.Equal(first, deriveKey("secret", "20240101", "us-east-1", "ecs")) {
		t.Fatal("cached key differs from derived key")
	}
	for i := range 3 * maxCachedKeys {
		c.get(fmt.Sprint("s", i), "20240101", "us-east-1", "ecs")
		if n := len(c.keys); n > maxCachedKeys {
			t.Fatalf("cache holds %d keys, bound is %d", n, maxCachedKeys)
		}
	}
	if !bytes.Equal(c.get("secret", "20240102", "us-east-1", "ecs"), deriveKey("secret", "20240102", "us-east-1", "ecs")) {
		t.Fatal("key for another date is wrong")
	}
}
