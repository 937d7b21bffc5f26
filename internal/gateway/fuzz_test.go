package gateway

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/wharf-dev/wharf/internal/awsapi"
)

// FuzzJSONDecode checks that any body decodes or fails cleanly, and that what
// decodes has a stable canonical form: encode(decode(encode(x))) == encode(x).
func FuzzJSONDecode(f *testing.F) {
	rich, _ := encodeJSONOutput(richSink())
	for _, s := range []string{`{}`, `{"str":"x","ints":[1,2]}`, `{"time":1e9}`, `{"map":{"a":1}}`, `[`, `{"self":{"self":{}}}`, string(rich)} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var s sink
		if err := decodeJSONInput(data, reflect.ValueOf(&s)); err != nil {
			if _, ok := err.(*decodeError); !ok {
				t.Fatalf("error %v is %T, not *decodeError", err, err)
			}
			return
		}
		first, err := encodeJSONOutput(&s)
		if err != nil {
			t.Fatalf("decoded input does not encode: %v", err)
		}
		var again sink
		if err := decodeJSONInput(first, reflect.ValueOf(&again)); err != nil {
			t.Fatalf("encoded output %s does not decode: %v", first, err)
		}
		second, err := encodeJSONOutput(&again)
		if err != nil || !bytes.Equal(first, second) {
			t.Fatalf("unstable round trip:\n%s\n%s (%v)", first, second, err)
		}
	})
}

// FuzzQueryDecode checks that any form decodes into the rich input or fails cleanly.
func FuzzQueryDecode(f *testing.F) {
	for _, s := range []string{"str=x", "list.member.1=a&list.member.2=b", "map.entry.1.key=a&map.entry.1.value=1",
		"structs.member.1.tags.entry.1.key=k", "self.self.self.str=x", "list=", "ints.1=5", "time=2024-01-02T03:04:05Z", "%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, form string) {
		vals, err := url.ParseQuery(form)
		if err != nil {
			return
		}
		var s sink
		if err := decodeQueryInput(vals, reflect.ValueOf(&s)); err != nil {
			return
		}
		if _, err := encodeQueryOutput(&awsapi.Service{}, "Echo", "id", &s); err != nil {
			t.Fatalf("decoded input does not encode: %v", err)
		}
	})
}

// FuzzCBORDecode checks that any body decodes or fails cleanly, and that a decoded
// input survives a CBOR round trip unchanged after one normalization.
func FuzzCBORDecode(f *testing.F) {
	rich, _ := encodeCBOROutput(richSink())
	f.Add(rich)
	f.Add(cbor.Encode(cbor.Map{"time": &cbor.Tag{ID: 1, Value: cbor.Float64(1.5)}, "list": cbor.List{cbor.String("a")}}))
	f.Add([]byte{0xbf, 0x63, 's', 't', 'r', 0x7f, 0x61, 'a', 0xff, 0xff})
	f.Add([]byte{0xa0})
	f.Fuzz(func(t *testing.T, data []byte) {
		var s sink
		if err := decodeCBORInput(data, reflect.ValueOf(&s)); err != nil {
			if _, ok := err.(*decodeError); !ok {
				t.Fatalf("error %v is %T, not *decodeError", err, err)
			}
			return
		}
		b1, err := encodeCBOROutput(&s)
		if err != nil {
			t.Fatalf("decoded input does not encode: %v", err)
		}
		var s2, s3 sink
		if err := decodeCBORInput(b1, reflect.ValueOf(&s2)); err != nil {
			t.Fatalf("encoded output does not decode: %v", err)
		}
		b2, _ := encodeCBOROutput(&s2)
		if err := decodeCBORInput(b2, reflect.ValueOf(&s3)); err != nil {
			t.Fatalf("second round does not decode: %v", err)
		}
		j2, _ := encodeJSONOutput(&s2)
		j3, _ := encodeJSONOutput(&s3)
		if !bytes.Equal(j2, j3) {
			t.Fatalf("unstable round trip:\n%s\n%s", j2, j3)
		}
	})
}

// panicDetector fails a fuzz run when the gateway logs a recovered panic.
type panicDetector struct{ slog.Handler }

func (p panicDetector) Handle(ctx context.Context, r slog.Record) error {
	if strings.Contains(r.Message, "panic") {
		var stack string
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "stack" || a.Key == "panic" {
				stack += a.Value.String() + "\n"
			}
			return true
		})
		panic("gateway recovered a panic: " + stack)
	}
	return nil
}

// FuzzServeHTTP sends arbitrary requests through the whole handler: it must always
// answer with a status, a request id and a Content-Type, and never panic.
func FuzzServeHTTP(f *testing.F) {
	cw := &fakeCW{}
	services := []*awsapi.Service{newECSService(), newELBService(), newCWService(cw), newXRayService()}
	for _, s := range services { // no deliberate panics
		delete(s.Operations, "Panic")
	}
	gw, err := New(Config{Services: services, Auth: &fakeAuth{}, MaxBodyBytes: 1 << 16,
		Logger: slog.New(panicDetector{slog.DiscardHandler})})
	if err != nil {
		f.Fatal(err)
	}
	f.Add("POST", "/", ecsTarget+"CreateService", json11, "ecs", []byte(`{"desiredCount":"x"}`))
	f.Add("POST", "/", ecsTarget+"Echo", json11, "ecs", []byte(`{"structs":[{"tags":{"a":"b"}}]}`))
	f.Add("POST", "/", "", formCT, "elasticloadbalancing", []byte("Action=Echo&Version=2015-12-01&list.member.1=a"))
	f.Add("GET", "/?Action=DescribeLoadBalancers&Names.member.1=my-lb", "", "", "elasticloadbalancing", []byte(nil))
	f.Add("POST", cwCBOR+"Echo", "", "application/cbor", "monitoring", cbor.Encode(cbor.Map{"int": cbor.Uint(1)}))
	f.Add("GET", "/v1/things/x?limit=2", "", "", "xray", []byte(nil))
	f.Add("POST", "/TraceSegments", "", "application/json", "", []byte(`{"TraceSegmentDocuments":[]}`))
	f.Fuzz(func(t *testing.T, method, target, xAmzTarget, contentType, signing string, body []byte) {
		u, err := url.ParseRequestURI(target)
		if err != nil || method == "" || strings.ContainsAny(method, " \t\r\n") {
			return
		}
		r := &http.Request{Method: method, URL: u, Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(body)),
			ContentLength: int64(len(body)), Host: "localhost"}
		r = r.WithContext(context.Background())
		if xAmzTarget != "" {
			r.Header.Set("X-Amz-Target", xAmzTarget)
		}
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
			r.Header.Set("Smithy-Protocol", "rpc-v2-cbor")
		}
		if signing != "" {
			r.Header.Set("Authorization", authHeader("AKIDFUZZ", signing))
		}
		w := httptest.NewRecorder()
		gw.ServeHTTP(w, r)
		if w.Code < 200 || w.Code > 599 {
			t.Fatalf("status %d", w.Code)
		}
		if !uuidRE.MatchString(w.Header().Get("X-Amzn-Requestid")) {
			t.Fatalf("no request id")
		}
		if w.Header().Get("Content-Type") == "" {
			t.Fatalf("no Content-Type (status %d)", w.Code)
		}
		if w.Code >= 500 && w.Code != 500 {
			t.Fatalf("unexpected server status %d", w.Code)
		}
	})
}

// BenchmarkJSONRoundTrip measures a ListClusters-like call through ServeHTTP.
func BenchmarkJSONRoundTrip(b *testing.B) {
	svc := newECSService()
	gw, err := New(Config{Services: []*awsapi.Service{svc}, Auth: &fakeAuth{}})
	if err != nil {
		b.Fatal(err)
	}
	body := []byte(`{"maxResults":10}`)
	auth := authHeader("AKIDBENCH", "ecs")
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest("POST", "/", bytes.NewReader(body))
		r.Header.Set("X-Amz-Target", ecsTarget+"ListClusters")
		r.Header.Set("Content-Type", json11)
		r.Header.Set("Authorization", auth)
		w := httptest.NewRecorder()
		gw.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}
