package logs

import (
	"testing"

	"github.com/wharf-dev/wharf/internal/awsapi"
)

// FuzzPattern compiles arbitrary filter patterns and matches them against arbitrary
// messages: no input may panic, a rejected pattern is an InvalidParameterException,
// and Extract agrees with Match.
func FuzzPattern(f *testing.F) {
	seeds := []string{
		``, `""`, `ERROR`, `?ERROR ?WARN -DEBUG`, `"quoted \" phrase"`, `%ERR[0-9]+%`,
		`{ $.level = "error" && ($.latency > 200 || $.user.id IS NULL) }`,
		`{ $.a[0].b[1] NOT EXISTS || $.c IS TRUE }`, `{ $.x = *mid* }`, `{ $.x != 1.5e3 }`,
		`[ip, user, ..., status = 4* && status != 404, bytes > 1000]`, `[..., a = %x+%, ...]`,
		`[a = "b c" || a = d, , e]`, `{ (((($.a = 1)))) }`, `[...]`, `[,]`, `{ $."x" = 1 }`,
	}
	msgs := []string{
		`{"level":"error","latency":250,"user":{"id":null},"a":[{"b":[0,1]}],"x":"amidb"}`,
		`127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534`,
		`ERROR 42 "unterminated [x`, `{"a":"\u00e9\"\\","b":[[[]]]}`, ``, `{`, `[1,2]`,
	}
	for i, s := range seeds {
		f.Add(s, msgs[i%len(msgs)])
	}
	f.Fuzz(func(t *testing.T, pattern, msg string) {
		p, err := CompilePattern(pattern)
		if err != nil {
			if e, ok := awsapi.As(err); !ok || e.Code != "InvalidParameterException" || e.Message == "" {
				t.Fatalf("CompilePattern(%q) error %v is not an InvalidParameterException", pattern, err)
			}
			return
		}
		matched := p.Match([]byte(msg))
		values, ok := p.Extract([]byte(msg))
		if ok != matched {
			t.Fatalf("pattern %q, message %q: Match %v but Extract %v", pattern, msg, matched, ok)
		}
		if ok && p.kind != kindDelimited && len(values) != 0 {
			t.Fatalf("pattern %q extracted %v from a non-delimited pattern", pattern, values)
		}
	})
}

// FuzzJSONLookup walks arbitrary valid JSON documents with selectors: no panic, and a
// found string or number lies within the message.
func FuzzJSONLookup(f *testing.F) {
	f.Add(`{"a":{"b":[1,{"c":"x\"y"}]}}`, "a", 1, "c")
	f.Add(`{"a":1,"a":2}`, "a", 0, "")
	f.Add(`{ "k" : [ true , null , -1.5e3 ] }`, "k", 2, "")
	f.Fuzz(func(t *testing.T, doc, k1 string, idx int, k2 string) {
		if !isJSONObject([]byte(doc)) || idx < 0 {
			return
		}
		path := []jsonStep{{key: k1, index: -1}, {index: idx % 16}, {key: k2, index: -1}}
		for n := 1; n <= len(path); n++ {
			kind, raw := lookupJSON([]byte(doc), path[:n])
			if kind == jsonString || kind == jsonNumber {
				if len(raw) > len(doc) {
					t.Fatalf("value %q longer than the document", raw)
				}
				_ = unescapeJSON(raw, nil)
			}
		}
	})
}
