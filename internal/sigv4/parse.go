package sigv4

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Query parameter and header names of SigV4.
const (
	paramAlgorithm     = "X-Amz-Algorithm"
	paramCredential    = "X-Amz-Credential"
	paramDate          = "X-Amz-Date"
	paramExpires       = "X-Amz-Expires"
	paramSignedHeaders = "X-Amz-SignedHeaders"
	paramSignature     = "X-Amz-Signature"
	paramToken         = "X-Amz-Security-Token"
	paramContentSHA256 = "X-Amz-Content-Sha256"
	terminator         = "aws4_request"
)

// credential is the parsed Credential: keyid/date/region/service/aws4_request.
type credential struct {
	accessKeyID, date, region, service string
}

// scope returns date/region/service/aws4_request.
func (c credential) scope() string {
	return c.date + "/" + c.region + "/" + c.service + "/" + terminator
}

// signature is everything the request claims about its own signing.
type signature struct {
	presigned       bool
	cred            credential
	signedHeaders   []string
	signedHeaderStr string
	signature       string
	time            time.Time
	expires         int64 // X-Amz-Expires in seconds, when hasExpires
	hasExpires      bool
	token           string
	hasToken        bool
	contentSHA256   string // declared payload hash, "" when none
}

// parseRequest reads the signature from the Authorization header or, when
// there is none, from the presigned query parameters.
func parseRequest(r *http.Request) (*signature, error) {
	if auth := strings.TrimSpace(r.Header.Get("Authorization")); auth != "" {
		return parseHeaderForm(r, auth)
	}
	q := parseQueryValues(r.URL.RawQuery)
	if q.has(paramAlgorithm) || q.has(paramCredential) || q.has(paramSignature) {
		return parsePresigned(r, q)
	}
	return nil, newError(Missing, msgMissing)
}

// parseHeaderForm parses
// "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/ecs/aws4_request, SignedHeaders=host;x-amz-date, Signature=hex".
func parseHeaderForm(r *http.Request, auth string) (*signature, error) {
	algorithm, params, err := splitAuthorization(auth)
	if err != nil {
		return nil, err
	}
	credStr, hasCred := params["Credential"]
	sigStr, hasSig := params["Signature"]
	signedStr, hasSigned := params["SignedHeaders"]
	amzDate := r.Header.Get("X-Amz-Date")
	httpDate := r.Header.Get("Date")

	var missing []string
	if !hasCred {
		missing = append(missing, "Authorization header requires 'Credential' parameter.")
	}
	if !hasSig {
		missing = append(missing, "Authorization header requires 'Signature' parameter.")
	}
	if !hasSigned {
		missing = append(missing, "Authorization header requires 'SignedHeaders' parameter.")
	}
	if amzDate == "" && httpDate == "" {
		missing = append(missing, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	if len(missing) > 0 {
		return nil, newError(Incomplete, "%s Authorization=%s", strings.Join(missing, " "), auth)
	}
	if algorithm != Algorithm {
		return nil, newError(Incomplete, "The authorization mechanism you have provided is not supported. Please use %s.", Algorithm)
	}

	sig := &signature{signature: sigStr}
	if sig.cred, err = parseCredential(credStr); err != nil {
		return nil, err
	}
	if sig.signedHeaders, err = parseSignedHeaders(signedStr); err != nil {
		return nil, err
	}
	sig.signedHeaderStr = signedStr
	if amzDate != "" {
		sig.time, err = parseAmzDate(amzDate)
	} else {
		sig.time, err = parseHTTPDate(httpDate)
	}
	if err != nil {
		return nil, err
	}
	if err := checkScopeDate(sig.cred, sig.time); err != nil {
		return nil, err
	}
	if vals := r.Header.Values(paramToken); len(vals) > 0 {
		sig.token, sig.hasToken = vals[0], true
	}
	sig.contentSHA256 = r.Header.Get(paramContentSHA256)
	if err := checkContentSHA256(sig.contentSHA256); err != nil {
		return nil, err
	}
	return sig, nil
}

// splitAuthorization splits the header into the algorithm and its
// key=value parameters, which are separated by commas and/or whitespace.
func splitAuthorization(auth string) (string, map[string]string, error) {
	algorithm, rest := auth, ""
	if i := strings.IndexAny(auth, " \t"); i >= 0 {
		algorithm, rest = auth[:i], auth[i+1:]
	}
	params := make(map[string]string, 3)
	fields := strings.FieldsFunc(rest, func(c rune) bool {
		return c == ',' || c == ' ' || c == '\t'
	})
	for _, f := range fields {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return "", nil, newError(Incomplete, "'%s' not a valid key=value pair (missing equal-sign) in Authorization header: '%s'.", f, auth)
		}
		if _, dup := params[k]; !dup {
			params[k] = v
		}
	}
	return algorithm, params, nil
}

// parsePresigned parses the X-Amz-* query parameters of a presigned URL.
func parsePresigned(r *http.Request, q queryValues) (*signature, error) {
	var missing []string
	for _, name := range []string{paramAlgorithm, paramCredential, paramSignature, paramSignedHeaders, paramDate} {
		if !q.has(name) {
			missing = append(missing, "AWS query-string parameters must include '"+name+"'.")
		}
	}
	if len(missing) > 0 {
		return nil, newError(Incomplete, "%s Re-examine the query-string parameters.", strings.Join(missing, " "))
	}
	if alg := q.get(paramAlgorithm); alg != Algorithm {
		return nil, newError(Incomplete, "X-Amz-Algorithm only supports '%s', not '%s'.", Algorithm, alg)
	}

	sig := &signature{presigned: true, signature: q.get(paramSignature)}
	var err error
	if sig.cred, err = parseCredential(q.get(paramCredential)); err != nil {
		return nil, err
	}
	sig.signedHeaderStr = q.get(paramSignedHeaders)
	if sig.signedHeaders, err = parseSignedHeaders(sig.signedHeaderStr); err != nil {
		return nil, err
	}
	if sig.time, err = parseAmzDate(q.get(paramDate)); err != nil {
		return nil, err
	}
	if err := checkScopeDate(sig.cred, sig.time); err != nil {
		return nil, err
	}
	if q.has(paramExpires) {
		s := q.get(paramExpires)
		n, err := strconv.ParseInt(s, 10, 64)
		switch {
		case err != nil:
			return nil, newError(Incomplete, "X-Amz-Expires should be a number, not '%s'.", s)
		case n < 0:
			return nil, newError(Incomplete, "X-Amz-Expires must be non-negative, not '%s'.", s)
		case n > MaxPresignExpires:
			return nil, newError(Incomplete, "X-Amz-Expires must be less than a week (in seconds) that is %d, not '%s'.", MaxPresignExpires, s)
		}
		sig.expires, sig.hasExpires = n, true
	}
	if q.has(paramToken) {
		sig.token, sig.hasToken = q.get(paramToken), true
	} else if vals := r.Header.Values(paramToken); len(vals) > 0 {
		sig.token, sig.hasToken = vals[0], true
	}
	if q.has(paramContentSHA256) {
		sig.contentSHA256 = q.get(paramContentSHA256)
	} else {
		sig.contentSHA256 = r.Header.Get(paramContentSHA256)
	}
	if err := checkContentSHA256(sig.contentSHA256); err != nil {
		return nil, err
	}
	return sig, nil
}

// parseCredential parses keyid/date/region/service/aws4_request.
func parseCredential(s string) (credential, error) {
	parts := strings.Split(s, "/")
	if len(parts) != 5 {
		return credential{}, newError(Incomplete, "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '%s'", s)
	}
	c := credential{accessKeyID: parts[0], date: parts[1], region: parts[2], service: parts[3]}
	switch {
	case parts[4] != terminator:
		return credential{}, newError(Incomplete, "Credential should be scoped with a valid terminator: '%s', not '%s'.", terminator, parts[4])
	case c.region == "":
		return credential{}, newError(Incomplete, "Credential should be scoped to a valid region, not '%s'.", c.region)
	case c.service == "":
		return credential{}, newError(Incomplete, "Credential should be scoped to a valid service, not '%s'.", c.service)
	case !isScopeDate(c.date):
		return credential{}, newError(Incomplete, "Credential should be scoped to a valid date in YYYYMMDD format, not '%s'.", c.date)
	}
	return c, nil
}

func isScopeDate(s string) bool {
	if len(s) != 8 {
		return false
	}
	_, err := time.Parse("20060102", s)
	return err == nil
}

// checkScopeDate requires the credential scope date to be the request's date.
func checkScopeDate(c credential, t time.Time) error {
	if d := t.Format("20060102"); d != c.date {
		return newError(BadSignature, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.", c.date, d, t.Format(timeFormat))
	}
	return nil
}

// parseSignedHeaders splits "content-type;host;x-amz-date"; host must be among them.
func parseSignedHeaders(s string) ([]string, error) {
	names := strings.Split(s, ";")
	hasHost := false
	for _, n := range names {
		if n == "" {
			return nil, newError(Incomplete, "SignedHeaders must be a ';'-separated list of header names, got '%s'.", s)
		}
		if n == "host" || n == ":authority" {
			hasHost = true
		}
	}
	if !hasHost {
		return nil, newError(Incomplete, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
	}
	return names, nil
}

func parseAmzDate(s string) (time.Time, error) {
	t, err := time.Parse(timeFormat, s)
	if err != nil || t.Format(timeFormat) != s {
		return time.Time{}, newError(Incomplete, "Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601", s)
	}
	return t, nil
}

func parseHTTPDate(s string) (time.Time, error) {
	t, err := http.ParseTime(s)
	if err != nil {
		return time.Time{}, newError(Incomplete, "Date must be in RFC 1123 format (e.g. 'Mon, 02 Jan 2006 15:04:05 GMT') or X-Amz-Date in ISO-8601 'basic format'. Got '%s'.", s)
	}
	return t.UTC(), nil
}

// checkContentSHA256 validates a declared payload hash.
func checkContentSHA256(s string) error {
	if s == "" || s == UnsignedPayload {
		return nil
	}
	if len(s) != 64 || strings.IndexFunc(s, func(c rune) bool { return !isHex(c) }) >= 0 {
		return newError(Incomplete, "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, or a valid sha256 value, not '%s'.", s)
	}
	return nil
}

func isHex(c rune) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// Scope parses only the credential scope (no verification) so that a gateway
// can learn the signing service name for routing: from the Authorization
// header or X-Amz-Credential query param. ok=false when absent/malformed.
func Scope(r *http.Request) (accessKeyID, date, region, service string, ok bool) {
	if r == nil {
		return "", "", "", "", false
	}
	var credStr string
	if auth := strings.TrimSpace(r.Header.Get("Authorization")); auth != "" {
		for _, f := range strings.FieldsFunc(auth, func(c rune) bool { return c == ',' || c == ' ' || c == '\t' }) {
			if v, found := strings.CutPrefix(f, "Credential="); found {
				credStr = v
				break
			}
		}
	} else if r.URL != nil {
		credStr = parseQueryValues(r.URL.RawQuery).get(paramCredential)
	}
	if credStr == "" {
		return "", "", "", "", false
	}
	c, err := parseCredential(credStr)
	if err != nil || c.accessKeyID == "" {
		return "", "", "", "", false
	}
	return c.accessKeyID, c.date, c.region, c.service, true
}

// queryValues is a decoded query string in wire order.
type queryValues []queryPair

type queryPair struct {
	key, value       string // decoded
	rawKey, rawValue string // as sent
	ok               bool   // both decoded cleanly
}

// parseQueryValues splits a raw query on '&' and decodes each pair. Unlike
// url.ParseQuery it keeps pairs it cannot decode (marked !ok) and pairs
// containing ';', so the canonical query covers everything that was sent.
func parseQueryValues(raw string) queryValues {
	var q queryValues
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		rk, rv, _ := strings.Cut(part, "=")
		p := queryPair{rawKey: rk, rawValue: rv, ok: true}
		var err1, err2 error
		p.key, err1 = url.QueryUnescape(rk)
		p.value, err2 = url.QueryUnescape(rv)
		if err1 != nil || err2 != nil {
			p.ok = false
		}
		q = append(q, p)
	}
	return q
}

func (q queryValues) has(key string) bool {
	for _, p := range q {
		if p.ok && p.key == key {
			return true
		}
	}
	return false
}

// get returns the first value of key.
func (q queryValues) get(key string) string {
	for _, p := range q {
		if p.ok && p.key == key {
			return p.value
		}
	}
	return ""
}
