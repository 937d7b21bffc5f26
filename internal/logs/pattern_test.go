package logs

import (
	"maps"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/awsapi"
)

// The JSON document of AWS's filter pattern examples.
const awsJSONExample = `{
  "eventType": "UpdateTrail",
  "sourceIPAddress": "111.111.111.111",
  "arrayKey": ["value", "another value"],
  "objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}],
  "SomeObject": null,
  "ThisFlag": true,
  "user": {"id": 1, "email": "John.Stiles@example.com"},
  "users": [{"id": 2, "email": "John.Doe@example.com"}, {"id": 3, "email": "Jane.Doe@example.com"}],
  "actions": ["GET", "PUT", "DELETE"],
  "coordinates": [[0, 1, 2], [4, 5, 6], [7, 8, 9]],
  "latency": 250,
  "level": "error",
  "quote": "say \"hi\"",
  "code": "404"
}`

const apacheLine = `127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534`

// TestPatternGolden is the golden table of filter pattern kinds: each pattern against
// messages it must and must not match.
func TestPatternGolden(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		match   []string
		noMatch []string
	}{
		// Match everything.
		{``, []string{"anything", "{}"}, nil},
		{`   `, []string{"anything"}, nil},
		{`""`, []string{"anything"}, nil},
		// Terms: case-sensitive substrings, all required.
		{`ERROR`, []string{"[ERROR] A fatal exception", "Exiting with ERRORCODE: -1"}, []string{"error", "ERRO R"}},
		{`ERROR Exception`, []string{"[ERROR] Caught IllegalArgumentException", "Exception then ERROR"}, []string{"[ERROR] only", "Exception only"}},
		{`"ERROR" "Exception"`, []string{"ERROR and Exception"}, []string{"ERROR"}},
		{`"Failed to process the request"`, []string{"[WARN] Failed to process the request"}, []string{"Failed to process request"}},
		{`"user@example.com"`, []string{"login user@example.com ok"}, []string{"user at example.com"}},
		{`"a \"quoted\" word"`, []string{`say a "quoted" word`}, []string{"a quoted word"}},
		{`404 10.0.0.1`, []string{"GET / 404 from 10.0.0.1"}, []string{"GET / 404 from 10.0.0.2"}},
		// OR terms and exclusions.
		{`?ERROR ?WARN`, []string{"ERROR WARN message", "ERROR message", "WARN message"}, []string{"INFO message"}},
		{`ERROR -WARN`, []string{"ERROR message"}, []string{"ERROR WARN message", "WARN message"}},
		{`"ERROR" - "Exiting"`, []string{"ERROR here"}, []string{"Exiting with ERRORCODE: -1"}},
		{`-DEBUG`, []string{"INFO ok", ""}, []string{"DEBUG x"}},
		{`ERROR ?disk ?memory`, []string{"ERROR disk full", "ERROR out of memory"}, []string{"ERROR network", "disk full"}},
		// Regular expressions.
		{`%ERR[0-9]+%`, []string{"got ERR42 here"}, []string{"got ERR here"}},
		{`%^[hc]at%`, []string{"hat on", "cat"}, []string{"the cat"}},
		{`INFO %user=[a-z]+%`, []string{"INFO user=bob"}, []string{"INFO user=42", "DEBUG user=bob"}},
		// JSON: equality, wildcards, numbers.
		{`{ $.eventType = "UpdateTrail" }`, []string{awsJSONExample}, []string{`{"eventType":"CreateTrail"}`, `not json`, `["UpdateTrail"]`}},
		{`{ $.eventType = UpdateTrail }`, []string{awsJSONExample}, nil},
		{`{ $.sourceIPAddress != 123.123.* }`, []string{awsJSONExample}, []string{`{"sourceIPAddress":"123.123.1.1"}`, `{"other":1}`}},
		{`{ $.sourceIPAddress = 111.* }`, []string{awsJSONExample}, []string{`{"sourceIPAddress":"11.111.1.1"}`}},
		{`{ $.eventType = *Trail }`, []string{awsJSONExample}, []string{`{"eventType":"TrailUpdate"}`}},
		{`{ $.eventType = *date* }`, []string{awsJSONExample}, []string{`{"eventType":"Trail"}`}},
		{`{ $.eventType = "Upd*Trail" }`, []string{`{"eventType":"Upd*Trail"}`}, []string{awsJSONExample}},
		{`{ $.latency = * }`, []string{awsJSONExample}, []string{`{"other":1}`}},
		{`{ $.arrayKey[0] = "value" }`, []string{awsJSONExample}, []string{`{"arrayKey":"value"}`}},
		{`{ $.arrayKey[1] = "another value" }`, []string{awsJSONExample}, nil},
		{`{ $.objectList[1].id = 2 }`, []string{awsJSONExample}, []string{`{"objectList":[{"id":2}]}`}},
		{`{ $.coordinates[1][2] = 6 }`, []string{awsJSONExample}, []string{`{"coordinates":[[6]]}`}},
		{`{ $.SomeObject IS NULL }`, []string{awsJSONExample}, []string{`{"SomeObject":1}`, `{}`}},
		{`{ $.SomeOtherObject NOT EXISTS }`, []string{awsJSONExample, `{}`}, []string{`{"SomeOtherObject":null}`}},
		{`{ $.ThisFlag IS TRUE }`, []string{awsJSONExample}, []string{`{"ThisFlag":false}`, `{"ThisFlag":"true"}`}},
		{`{ $.ThisFlag IS FALSE }`, []string{`{"ThisFlag":false}`}, []string{awsJSONExample}},
		{`{ $.users = 1 }`, nil, []string{`{"users":[1,2,3]}`}},
		{`{ $.users != 1 }`, nil, []string{`{"users":[1,2,3]}`, `{}`}},
		{`{ $.latency > 200 }`, []string{awsJSONExample, `{"latency":200.5}`}, []string{`{"latency":200}`, `{"latency":"fast"}`}},
		{`{ $.latency >= 250 }`, []string{awsJSONExample}, []string{`{"latency":249.99}`}},
		{`{ $.latency < 10e3 }`, []string{awsJSONExample}, []string{`{"latency":1e5}`}},
		{`{ $.latency <= +250 }`, []string{awsJSONExample}, []string{`{"latency":251}`}},
		{`{ $.latency != 250 }`, []string{`{"latency":251}`}, []string{awsJSONExample}},
		{`{ $.latency = 250.0 }`, []string{awsJSONExample}, nil},
		{`{ $.code = 404 }`, []string{awsJSONExample}, nil},
		{`{ $.quote = "say \"hi\"" }`, []string{awsJSONExample}, nil},
		{`{ $.level = "error" && $.latency > 200 }`, []string{awsJSONExample}, []string{`{"level":"error","latency":100}`, `{"level":"info","latency":300}`}},
		{`{ $.level = "info" || $.latency > 200 }`, []string{awsJSONExample, `{"level":"info"}`}, []string{`{"level":"warn","latency":1}`}},
		// AWS's compound examples.
		{`{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }`, []string{awsJSONExample}, nil},
		{`{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }`, nil, []string{awsJSONExample}},
		{`{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch && $.actions[2] = nomatch }`, []string{awsJSONExample}, nil},
		{`{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch) && $.actions[2] = nomatch }`, nil, []string{awsJSONExample}},
		{`{ $.detail-type = "x" }`, []string{`{"detail-type":"x"}`}, nil},
		{`{ $.a.b = "é" }`, []string{`{"a":{"b":"\u00e9"}}`}, nil},
		{`{ $.msg = %^time[a-z]+$% }`, []string{`{"msg":"timeout"}`}, []string{`{"msg":"no timeout"}`}},
		// Space-delimited.
		{`[ip, user, username, timestamp, request, status_code, bytes]`, []string{apacheLine}, []string{"a b c"}},
		{`[ip, user, username, timestamp, request, status_code, bytes > 1000]`, []string{apacheLine}, []string{strings.Replace(apacheLine, "1534", "999", 1)}},
		{`[ip, user, username, timestamp, request, status_code = 404, bytes]`, []string{apacheLine}, []string{strings.Replace(apacheLine, " 404 ", " 200 ", 1)}},
		{`[ip, user, username, timestamp, request, status_code = 4*, bytes]`, []string{apacheLine}, []string{strings.Replace(apacheLine, " 404 ", " 500 ", 1)}},
		{`[ip, user, username, timestamp, request = *html*, status_code = 4*, bytes]`, []string{apacheLine}, []string{strings.Replace(apacheLine, "index.html", "index.php", 1)}},
		{`[ip, user, username, timestamp, request, status_code = 4* && status_code != 403, bytes]`, []string{apacheLine}, []string{strings.Replace(apacheLine, " 404 ", " 403 ", 1)}},
		{`[..., status_code, bytes]`, []string{apacheLine, "a b"}, []string{"a"}},
		{`[ip, user, ...]`, []string{apacheLine, "a b"}, []string{"a"}},
		{`[ip, user, ..., status_code = 404, bytes]`, []string{apacheLine}, nil},
		{`[..., request = *.html*, status_code = 4*,]`, []string{apacheLine}, nil},
		{`[w1=ERROR, w2]`, []string{"ERROR message"}, []string{"ERROR WARN message", "WARN message"}},
		{`[w1=ERROR || w1=WARN, w2]`, []string{"ERROR message", "WARN message"}, []string{"ERROR WARN message", "INFO message"}},
		{`[w1!=ERROR && w1!=WARN, ...]`, []string{"INFO message"}, []string{"ERROR message", "WARN x"}},
		{`[a, ..., b = end, ...]`, []string{"x y end z", "x end"}, []string{"end x y", "x y z"}},
		{`[a = "two words", b]`, []string{`"two words" next`}, []string{"two words next"}},
		{`[a = x, b <= 5]`, []string{"x 5", "x -1.5"}, []string{"x 6", "x five"}},
	} {
		p, err := CompilePattern(tc.pattern)
		if err != nil {
			t.Errorf("CompilePattern(%q): %v", tc.pattern, err)
			continue
		}
		for _, m := range tc.match {
			if !p.Match([]byte(m)) {
				t.Errorf("pattern %q does not match %q", tc.pattern, m)
			}
		}
		for _, m := range tc.noMatch {
			if p.Match([]byte(m)) {
				t.Errorf("pattern %q matches %q", tc.pattern, m)
			}
		}
	}
}

// TestPatternErrors checks that malformed patterns are InvalidParameterException with
// a message that says what is wrong.
func TestPatternErrors(t *testing.T) {
	for _, tc := range []struct{ pattern, msg string }{
		{`email@example.com`, "Invalid character(s) in term '@'"},
		{`Status: timeout`, "Invalid character(s) in term ':'"},
		{`a(b)`, "Invalid character(s) in term '()'"},
		{"`x", "Invalid character(s) in term '`'"},
		{`SUCCESS*`, "Invalid character(s) in term '*'"},
		{`back\slash`, `Invalid character(s) in term '\'`},
		{`"unterminated`, "unterminated quoted string"},
		{`"a"b`, `Invalid character(s) in term '"'`},
		{`?`, "'?' must be followed by a term"},
		{`{ $.a = 1`, "If a filter pattern starts with '{' it must end with '}'"},
		{`[a, b`, "If a filter pattern starts with '[' it must end with ']'"},
		{`{ }`, "expected a condition"},
		{`{ $."sc-status" = 5* }`, `Invalid character(s) in term '$."'`},
		{`{ $ = 1 }`, "selector '$' must name a property"},
		{`{ $.a }`, "expected an operator"},
		{`{ $.a = }`, "missing value after the operator at position 9"},
		{`{ $.a > abc }`, "need a numeric value"},
		{`{ $.a = 1 && }`, "expected a condition"},
		{`{ ($.a = 1 }`, "unbalanced parenthesis"},
		{`{ $.a = 1) }`, "unexpected ')' at position 10"},
		{`{ $.a = 1 $.b = 2 }`, "unexpected '$'"},
		{`{ $.a[x] = 1 }`, "array index"},
		{`{ $.a = x@y }`, "Invalid character(s) in term '@'"},
		{`{ a = 1 }`, "must start with a selector"},
		{`{ ` + strings.Repeat("(", 40) + `$.a = 1` + strings.Repeat(")", 40) + ` }`, "nest deeper"},
		{`[a = 1 && b = 2]`, `cannot refer to field "b"`},
		{`[a, a]`, "used twice"},
		{`[a b]`, "unexpected 'b'"},
		{`[a = ]`, "missing value after the operator at position 6"},
		{`[a = x@y]`, "Invalid character(s) in term '@'"},
		{`[@]`, "Invalid character(s) in term '@'"},
		{`%a% %b% %c%`, "at most 2 regular expressions"},
		{`%(a)%`, "Invalid character(s) in term '()'"},
		{`%abc`, "unterminated regular expression"},
		{`%[a%`, "invalid regular expression"},
		{`%é%`, "multi-byte characters"},
	} {
		_, err := CompilePattern(tc.pattern)
		if err == nil {
			t.Errorf("CompilePattern(%q) succeeded", tc.pattern)
			continue
		}
		e, ok := awsapi.As(err)
		if !ok || e.Code != "InvalidParameterException" {
			t.Errorf("CompilePattern(%q): %v, want InvalidParameterException", tc.pattern, err)
			continue
		}
		if !strings.Contains(e.Message, tc.msg) {
			t.Errorf("CompilePattern(%q): message %q does not contain %q", tc.pattern, e.Message, tc.msg)
		}
	}
}

// TestPatternExtract checks the fields TestMetricFilter reports, with AWS's example.
func TestPatternExtract(t *testing.T) {
	p, err := CompilePattern(`[..., request=*.html*, status_code=4*,]`)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := p.Extract([]byte(apacheLine))
	if !ok {
		t.Fatal("no match")
	}
	want := map[string]string{
		"$status_code": "404", "$request": "GET /index.html HTTP/1.0", "$7": "1534",
		"$4": "10/Oct/2000:13:25:15 -0700", "$3": "frank", "$2": "-", "$1": "127.0.0.1",
	}
	if !maps.Equal(got, want) {
		t.Fatalf("extracted %v, want %v", got, want)
	}
	if _, ok := p.Extract([]byte("a b c")); ok {
		t.Fatal("Extract matched a non-matching message")
	}
	j, _ := CompilePattern(`{ $.a = 1 }`)
	got, ok = j.Extract([]byte(`{"a":1}`))
	if !ok || len(got) != 0 {
		t.Fatalf("JSON Extract = %v, %v; want an empty match", got, ok)
	}
	v, ok := p.field([]byte(apacheLine), "request")
	if !ok || string(v) != "GET /index.html HTTP/1.0" {
		t.Fatalf("field(request) = %q, %v", v, ok)
	}
}

// TestPatternMatchAllocs checks that matching does not allocate per event.
func TestPatternMatchAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	msgs := map[string]string{
		`ERROR ?disk ?memory -ignore`:                "ERROR disk full on /dev/sda",
		`{ $.level = "error" && $.latency > 200 }`:   `{"level":"error","latency":250,"path":"/x","tags":["a","b"]}`,
		`[ip, user, ..., status = 4*, bytes > 1000]`: apacheLine,
		`{ $.quote = "say" || $.a[1].b IS NULL }`:    `{"quote":"say \"hi\"","a":[1,{"b":null}]}`,
	}
	for pat, msg := range msgs {
		p, err := CompilePattern(pat)
		if err != nil {
			t.Fatal(err)
		}
		b := []byte(msg)
		if !p.Match(b) {
			t.Fatalf("%q does not match %q", pat, msg)
		}
		if n := testing.AllocsPerRun(100, func() { p.Match(b) }); n != 0 {
			t.Errorf("Match(%q) allocates %v times per event", pat, n)
		}
	}
}
