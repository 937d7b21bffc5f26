package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// requestPath returns the path exactly as the client sent it: from the
// request line when the server recorded it, else the URL's escaped path.
func requestPath(r *http.Request) string {
	p := r.RequestURI
	switch {
	case strings.HasPrefix(p, "/"):
	case strings.Contains(p, "://"):
		// absolute-form request target: scheme://authority/path?query
		_, rest, _ := strings.Cut(p, "://")
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			p = rest[i:]
		} else {
			p = "/"
		}
	default:
		p = r.URL.EscapedPath()
	}
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	if p == "" {
		p = "/"
	}
	return p
}

// canonicalURIs returns the canonical URIs a real client may have signed for
// the path as sent. The aws-sdk-go-v2 signer URI-encodes the already escaped
// path once more; botocore does the same after removing dot segments and
// empty segments. S3 signs the path as sent.
func canonicalURIs(path, service string) []string {
	if service == "s3" {
		return []string{path}
	}
	uris := []string{uriEncode(path, false)}
	if n := removeDotSegments(path); n != path {
		uris = append(uris, uriEncode(n, false))
	}
	return uris
}

// removeDotSegments mirrors botocore's normalize_url_path: it drops "." and
// empty segments and resolves "..", keeping a trailing slash.
func removeDotSegments(path string) string {
	if path == "" {
		return "/"
	}
	var out []string
	for seg := range strings.SplitSeq(path, "/") {
		switch seg {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, seg)
		}
	}
	var b strings.Builder
	if path[0] == '/' {
		b.WriteByte('/')
	}
	b.WriteString(strings.Join(out, "/"))
	if path[len(path)-1] == '/' && len(out) > 0 {
		b.WriteByte('/')
	}
	return b.String()
}

// canonicalQuery sorts the query pairs by encoded key, then encoded value,
// each URI-encoded per AWS rules. A presigned request leaves out X-Amz-Signature.
func canonicalQuery(raw string, presigned bool) string {
	q := parseQueryValues(raw)
	type pair struct{ k, v string }
	pairs := make([]pair, 0, len(q))
	for _, p := range q {
		if presigned && p.ok && p.key == paramSignature {
			continue
		}
		if !p.ok {
			// Cannot be decoded: use it as sent, like botocore.
			pairs = append(pairs, pair{p.rawKey, p.rawValue})
			continue
		}
		pairs = append(pairs, pair{uriEncode(p.key, true), uriEncode(p.value, true)})
	}
	slices.SortFunc(pairs, func(a, b pair) int {
		if c := strings.Compare(a.k, b.k); c != 0 {
			return c
		}
		return strings.Compare(a.v, b.v)
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

// canonicalHeaders renders "name:value\n" for each signed header, in the
// order of SignedHeaders, with values trimmed, runs of spaces collapsed and
// repeated headers joined by ",".
func canonicalHeaders(r *http.Request, names []string) string {
	var b strings.Builder
	for _, name := range names {
		b.WriteString(name)
		b.WriteByte(':')
		b.WriteString(headerValue(r, name))
		b.WriteByte('\n')
	}
	return b.String()
}

// headerValue returns the canonical value of one signed header. The Go
// server moves Host and Transfer-Encoding out of r.Header; they are read
// from where it put them.
func headerValue(r *http.Request, name string) string {
	switch name {
	case "host", ":authority":
		host := r.Host
		if host == "" {
			host = r.URL.Host
		}
		return trimAll(host)
	}
	vals := r.Header.Values(name)
	if len(vals) == 0 {
		switch strings.ToLower(name) {
		case "content-length":
			if r.ContentLength > 0 {
				return strconv.FormatInt(r.ContentLength, 10)
			}
		case "transfer-encoding":
			vals = r.TransferEncoding
		}
	}
	if len(vals) == 1 {
		return trimAll(vals[0])
	}
	var b strings.Builder
	for i, v := range vals {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(trimAll(v))
	}
	return b.String()
}

// trimAll trims surrounding whitespace and collapses runs of spaces to one.
func trimAll(s string) string {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "  ") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	prevSpace := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' && prevSpace {
			continue
		}
		prevSpace = c == ' '
		b.WriteByte(c)
	}
	return b.String()
}

// uriEncode percent-encodes every byte except the unreserved characters
// A-Z a-z 0-9 - _ . ~ (and '/' unless encodeSlash), with upper-case hex.
func uriEncode(s string, encodeSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) && (encodeSlash || s[i] != '/') {
			n++
		}
	}
	if n == 0 {
		return s
	}
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || (!encodeSlash && c == '/') {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hexDigits[c>>4], hexDigits[c&15])
	}
	return string(b)
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

// buildCanonicalRequest joins the parts of the canonical request.
func buildCanonicalRequest(method, uri, query, headers, signedHeaders, payloadHash string) string {
	var b strings.Builder
	b.Grow(len(method) + len(uri) + len(query) + len(headers) + len(signedHeaders) + len(payloadHash) + 5)
	b.WriteString(method)
	b.WriteByte('\n')
	b.WriteString(uri)
	b.WriteByte('\n')
	b.WriteString(query)
	b.WriteByte('\n')
	b.WriteString(headers)
	b.WriteByte('\n')
	b.WriteString(signedHeaders)
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}

// computeSignature returns the hex signature of the string to sign built
// from the request time, the credential scope and the canonical request.
func computeSignature(signingKey []byte, amzDate, scope, canonicalRequest string) string {
	sum := sha256.Sum256([]byte(canonicalRequest))
	stringToSign := Algorithm + "\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
	return hex.EncodeToString(hmacSHA256(signingKey, stringToSign))
}

// deriveKey derives the signing key:
// HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request").
func deriveKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, terminator)
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}
