package gateway

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/smithy-go/encoding/cbor"
)

const (
	ecsTarget = "AmazonEC2ContainerServiceV20141113."
	cwTarget  = "GraniteServiceVersion20100801."
	cwCBOR    = "/service/GraniteServiceVersion20100801/operation/"
	json11    = "application/x-amz-json-1.1"
	json10    = "application/x-amz-json-1.0"
	formCT    = "application/x-www-form-urlencoded; charset=utf-8"
)

type rawReq struct {
	method  string // POST when empty
	path    string // "/" when empty
	header  map[string]string
	body    []byte
	chunked bool // send without Content-Length
}

type rawResp struct {
	status int
	header http.Header
	body   []byte
}

func (h *harness) do(t *testing.T, rq rawReq) rawResp {
	t.Helper()
	method, path := rq.method, rq.path
	if method == "" {
		method = http.MethodPost
	}
	if path == "" {
		path = "/"
	}
	var body io.Reader = bytes.NewReader(rq.body)
	if rq.chunked {
		body = struct{ io.Reader }{body}
	}
	req, err := http.NewRequest(method, h.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range rq.header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return rawResp{resp.StatusCode, resp.Header, b}
}

// errorInfo parses an error response in any protocol: the code as clients see it
// (the __type after '#', or <Code>), the message and, for XML, the request id.
func errorInfo(t *testing.T, r rawResp) (code, message, requestID string) {
	t.Helper()
	switch ct := r.header.Get("Content-Type"); {
	case ct == "text/xml":
		var e struct {
			Error struct {
				Type, Code, Message string
			}
			RequestID string `xml:"RequestId"`
		}
		if err := xml.Unmarshal(r.body, &e); err != nil {
			t.Fatalf("error body %q: %v", r.body, err)
		}
		if e.Error.Type != "Sender" && e.Error.Type != "Receiver" {
			t.Errorf("<Type> = %q", e.Error.Type)
		}
		return e.Error.Code, e.Error.Message, e.RequestID
	case ct == "application/cbor":
		if r.header.Get("Smithy-Protocol") != "rpc-v2-cbor" {
			t.Errorf("CBOR error without Smithy-Protocol header")
		}
		v, err := cbor.Decode(r.body)
		if err != nil {
			t.Fatalf("error body %x: %v", r.body, err)
		}
		m := v.(cbor.Map)
		typ := string(m["__type"].(cbor.String))
		_, code, _ = strings.Cut("#"+typ, "#")
		if i := strings.LastIndexByte(typ, '#'); i >= 0 {
			code = typ[i+1:]
		}
		return code, string(m["message"].(cbor.String)), ""
	default:
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		if err := json.Unmarshal(r.body, &e); err != nil {
			t.Fatalf("error body %q (Content-Type %q): %v", r.body, ct, err)
		}
		code = e.Type[strings.LastIndexByte(e.Type, '#')+1:]
		if h := r.header.Get("X-Amzn-Errortype"); h != code {
			t.Errorf("X-Amzn-ErrorType = %q, body code %q", h, code)
		}
		return code, e.Message, ""
	}
}

func signed(service string, h map[string]string) map[string]string {
	out := map[string]string{"Authorization": authHeader("AKIDTEST", service)}
	for k, v := range h {
		out[k] = v
	}
	return out
}

func cborBody(m cbor.Map) []byte { return cbor.Encode(m) }

func TestBadRequests(t *testing.T) {
	h := newHarness(t, 0)
	ecsH := func(op string) map[string]string {
		return signed("ecs", map[string]string{"X-Amz-Target": ecsTarget + op, "Content-Type": json11})
	}
	cborH := signed("monitoring", map[string]string{"Smithy-Protocol": "rpc-v2-cbor", "Content-Type": "application/cbor"})
	elbForm := signed("elasticloadbalancing", map[string]string{"Content-Type": formCT})
	tests := []struct {
		name        string
		req         rawReq
		status      int
		code        string
		msg         string // substring of the message
		contentType string
	}{
		{"unknown target prefix", rawReq{header: signed("nope", map[string]string{"X-Amz-Target": "Nope_2020.ListClusters", "Content-Type": json11}), body: []byte("{}")},
			400, "UnknownOperationException", `Unknown X-Amz-Target prefix "Nope_2020"`, json11},
		{"target without dot", rawReq{header: map[string]string{"X-Amz-Target": "ListClusters", "Content-Type": json11}},
			400, "UnknownOperationException", "has no operation", json11},
		{"unknown operation", rawReq{header: ecsH("Nope"), body: []byte("{}")},
			400, "UnknownOperationException", `"Nope" is not valid`, json11},
		{"bad content type", rawReq{header: signed("ecs", map[string]string{"X-Amz-Target": ecsTarget + "ListClusters", "Content-Type": "text/plain"}), body: []byte("{}")},
			400, "UnknownOperationException", `Content-Type "text/plain"`, json11},
		{"malformed JSON", rawReq{header: ecsH("CreateCluster"), body: []byte(`{"clusterName": }`)},
			400, "SerializationException", "malformed JSON at offset 16 (line 1, column 17): invalid character '}' looking for beginning of value", json11},
		{"truncated JSON", rawReq{header: ecsH("CreateCluster"), body: []byte(`{"clusterName": "a"`)},
			400, "SerializationException", "unexpected end of input at offset 19", json11},
		{"trailing JSON", rawReq{header: ecsH("CreateCluster"), body: []byte(`{} {}`)},
			400, "SerializationException", "unexpected data after the top-level value", json11},
		{"JSON of the wrong type", rawReq{header: ecsH("CreateService"), body: []byte(`{"cluster":"default","desiredCount":"x"}`)},
			400, "SerializationException", `field "desiredCount": expected integer, got string`, json11},
		{"JSON nested wrong type", rawReq{header: ecsH("CreateCluster"), body: []byte(`{"tags":[{"key":"a"},{"key":7}]}`)},
			400, "SerializationException", `field "tags[1].key": expected string, got number`, json11},
		{"JSON integer overflow", rawReq{header: ecsH("CreateService"), body: []byte(`{"desiredCount":3000000000}`)},
			400, "SerializationException", `value 3000000000 out of range for a 32-bit integer`, json11},
		{"JSON fraction for integer", rawReq{header: ecsH("CreateService"), body: []byte(`{"desiredCount":1.5}`)},
			400, "SerializationException", `expected integer, got 1.5`, json11},
		{"JSON top-level list", rawReq{header: ecsH("ListClusters"), body: []byte(`[1]`)},
			400, "SerializationException", "expected a JSON object at the top level, got list", json11},
		{"GET with X-Amz-Target", rawReq{method: "GET", header: ecsH("ListClusters")},
			405, "MethodNotAllowedException", "GET", json11},
		{"JSON 1.0 to a 1.1 service answers 1.0", rawReq{header: signed("ecs", map[string]string{"X-Amz-Target": ecsTarget + "Nope", "Content-Type": json10})},
			400, "UnknownOperationException", "Nope", json10},
		{"unknown action", rawReq{header: elbForm, body: []byte("Action=Nope&Version=2015-12-01")},
			400, "InvalidAction", "Could not find operation Nope for version 2015-12-01", "text/xml"},
		{"unknown version unsigned", rawReq{header: map[string]string{"Content-Type": formCT}, body: []byte("Action=DescribeLoadBalancers&Version=1999-01-01")},
			400, "InvalidAction", "Could not find operation DescribeLoadBalancers for version 1999-01-01", "text/xml"},
		{"missing action", rawReq{header: elbForm, body: []byte("Version=2015-12-01")},
			400, "MissingAction", "Action", "text/xml"},
		{"malformed form", rawReq{header: elbForm, body: []byte("Action=DescribeLoadBalancers&Names.member.1=%zz")},
			400, "MalformedQueryString", "malformed form body", "text/xml"},
		{"query wrong type", rawReq{header: elbForm, body: []byte("Action=DescribeLoadBalancers&Version=2015-12-01&PageSize=abc")},
			400, "ValidationError", `field "PageSize": expected integer, got "abc"`, "text/xml"},
		{"query list where scalar", rawReq{header: elbForm, body: []byte("Action=DescribeLoadBalancers&Version=2015-12-01&Marker.member.1=a")},
			400, "ValidationError", `field "Marker": expected string, got structure`, "text/xml"},
		{"query PUT", rawReq{method: "PUT", header: elbForm, body: []byte("Action=DescribeLoadBalancers")},
			405, "MethodNotAllowed", "PUT", "text/xml"},
		{"malformed CBOR", rawReq{path: cwCBOR + "DescribeAlarms", header: cborH, body: []byte{0xbf, 0x61}},
			400, "SerializationException", "malformed CBOR", "application/cbor"},
		{"CBOR top-level list", rawReq{path: cwCBOR + "DescribeAlarms", header: cborH, body: cbor.Encode(cbor.List{cbor.Uint(1)})},
			400, "SerializationException", "expected a CBOR map at the top level, got list", "application/cbor"},
		{"CBOR wrong type", rawReq{path: cwCBOR + "DescribeAlarms", header: cborH, body: cborBody(cbor.Map{"MaxRecords": cbor.String("ten")})},
			400, "SerializationException", `field "MaxRecords": expected integer, got string`, "application/cbor"},
		{"CBOR bad timestamp tag", rawReq{path: cwCBOR + "PutMetricData", header: cborH, body: cborBody(cbor.Map{"MetricData": cbor.List{cbor.Map{"Timestamp": &cbor.Tag{ID: 1, Value: cbor.String("x")}}}})},
			400, "SerializationException", "CBOR tag 1 must hold epoch seconds", "application/cbor"},
		{"CBOR unknown service", rawReq{path: "/service/Nope/operation/DescribeAlarms", header: cborH},
			404, "UnknownOperationException", `"Nope"`, "application/cbor"},
		{"CBOR unknown operation", rawReq{path: cwCBOR + "Nope", header: cborH},
			404, "UnknownOperationException", `"Nope"`, "application/cbor"},
		{"CBOR wrong content type", rawReq{path: cwCBOR + "DescribeAlarms", header: signed("monitoring", map[string]string{"Smithy-Protocol": "rpc-v2-cbor", "Content-Type": "application/json"}), body: []byte("{}")},
			415, "UnsupportedMediaTypeException", "application/json", "application/cbor"},
		{"CBOR GET", rawReq{method: "GET", path: cwCBOR + "DescribeAlarms", header: cborH},
			405, "MethodNotAllowedException", "GET", "application/cbor"},
		{"bad gzip", rawReq{header: signed("ecs", map[string]string{"X-Amz-Target": ecsTarget + "ListClusters", "Content-Type": json11, "Content-Encoding": "gzip"}), body: []byte("{}")},
			400, "SerializationException", "malformed gzip body", json11},
		{"unknown content encoding", rawReq{header: signed("ecs", map[string]string{"X-Amz-Target": ecsTarget + "ListClusters", "Content-Type": json11, "Content-Encoding": "br"}), body: []byte("{}")},
			415, "UnsupportedMediaTypeException", `"br"`, json11},
		{"nothing matches", rawReq{method: "GET", path: "/favicon.ico"},
			404, "UnknownOperationException", "GET /favicon.ico", "application/json"},
		{"REST wrong method", rawReq{method: "DELETE", path: "/TraceSegments"},
			404, "UnknownOperationException", "DELETE /TraceSegments", "application/json"},
		{"REST malformed body", rawReq{path: "/TraceSegments", header: signed("xray", nil), body: []byte(`{"TraceSegmentDocuments":"x"}`)},
			400, "SerializationException", `field "TraceSegmentDocuments": expected list, got string`, "application/json"},
		{"REST bad label type", rawReq{method: "GET", path: "/v1/things/a?limit=many", header: signed("xray", nil)},
			400, "SerializationException", `field "limit": expected integer, got "many"`, "application/json"},
		{"REST typed error", rawReq{path: "/GetGroup", header: signed("xray", nil), body: []byte(`{"GroupName":"g"}`)},
			400, "InvalidRequestException", "Group g not found", "application/json"},
		{"non-AWS error", rawReq{header: ecsH("Fail"), body: []byte("{}")},
			500, "InternalFailure", "unknown error", json11},
		{"output not a struct", rawReq{header: ecsH("BadOutput"), body: []byte("{}")},
			500, "InternalFailure", "unknown error", json11},
		{"query-compatible JSON error", rawReq{header: signed("monitoring", map[string]string{"X-Amz-Target": cwTarget + "GetDashboard", "Content-Type": json10}), body: []byte(`{"DashboardName":"x"}`)},
			404, "DashboardNotFoundError", "Dashboard x does not exist", json10},
		{"query-compatible query error", rawReq{header: signed("monitoring", map[string]string{"Content-Type": formCT}), body: []byte("Action=GetDashboard&Version=2010-08-01&DashboardName=x")},
			404, "ResourceNotFound", "Dashboard x does not exist", "text/xml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do(t, tc.req)
			if r.status != tc.status {
				t.Errorf("status = %d, want %d (body %q)", r.status, tc.status, r.body)
			}
			if ct := r.header.Get("Content-Type"); ct != tc.contentType {
				t.Errorf("Content-Type = %q, want %q", ct, tc.contentType)
			}
			code, msg, _ := errorInfo(t, r)
			if code != tc.code {
				t.Errorf("code = %q, want %q (message %q)", code, tc.code, msg)
			}
			if !strings.Contains(msg, tc.msg) {
				t.Errorf("message = %q, want it to contain %q", msg, tc.msg)
			}
			if id := r.header.Get("X-Amzn-Requestid"); !uuidRE.MatchString(id) {
				t.Errorf("x-amzn-RequestId = %q", id)
			}
		})
	}
}

func TestQueryCompatibleHeader(t *testing.T) {
	h := newHarness(t, 0)
	cases := []struct {
		name string
		req  rawReq
	}{
		{"json", rawReq{header: signed("monitoring", map[string]string{"X-Amz-Target": cwTarget + "GetDashboard", "Content-Type": json10}), body: []byte(`{"DashboardName":"x"}`)}},
		{"cbor", rawReq{path: cwCBOR + "GetDashboard", header: signed("monitoring", map[string]string{"Smithy-Protocol": "rpc-v2-cbor", "Content-Type": "application/cbor"}),
			body: cborBody(cbor.Map{"DashboardName": cbor.String("x")})}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do(t, tc.req)
			if got := r.header.Get("X-Amzn-Query-Error"); got != "ResourceNotFound;Sender" {
				t.Errorf("x-amzn-query-error = %q", got)
			}
			var typ string
			if tc.name == "json" {
				var e map[string]string
				_ = json.Unmarshal(r.body, &e)
				typ = e["__type"]
			} else {
				v, _ := cbor.Decode(r.body)
				typ = string(v.(cbor.Map)["__type"].(cbor.String))
			}
			if typ != "com.amazonaws.cloudwatch#DashboardNotFoundError" {
				t.Errorf("__type = %q", typ)
			}
		})
	}
	// A service that does not speak awsQuery sends no such header.
	r := h.do(t, rawReq{header: signed("ecs", map[string]string{"X-Amz-Target": ecsTarget + "DeleteCluster", "Content-Type": json11}), body: []byte(`{"cluster":"x"}`)})
	if r.header.Get("X-Amzn-Query-Error") != "" || r.status != 400 {
		t.Errorf("ECS error: status %d, x-amzn-query-error %q", r.status, r.header.Get("X-Amzn-Query-Error"))
	}
}

func TestOversizedBody(t *testing.T) {
	h := newHarness(t, 1024)
	big := bytes.Repeat([]byte("a"), 2000)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte(`{"clusterName":"` + strings.Repeat("a", 5000) + `"}`))
	_ = zw.Close()
	tests := []struct {
		name string
		req  rawReq
		code string
	}{
		{"json", rawReq{header: signed("ecs", map[string]string{"X-Amz-Target": ecsTarget + "CreateCluster", "Content-Type": json11}), body: big}, "RequestEntityTooLargeException"},
		{"json chunked", rawReq{header: signed("ecs", map[string]string{"X-Amz-Target": ecsTarget + "CreateCluster", "Content-Type": json11}), body: big, chunked: true}, "RequestEntityTooLargeException"},
		{"gzip bomb", rawReq{header: signed("ecs", map[string]string{"X-Amz-Target": ecsTarget + "CreateCluster", "Content-Type": json11, "Content-Encoding": "gzip"}), body: gz.Bytes()}, "RequestEntityTooLargeException"},
		{"query", rawReq{header: signed("elasticloadbalancing", map[string]string{"Content-Type": formCT}), body: big}, "RequestEntityTooLarge"},
		{"cbor", rawReq{path: cwCBOR + "PutMetricData", header: signed("monitoring", map[string]string{"Smithy-Protocol": "rpc-v2-cbor", "Content-Type": "application/cbor"}), body: big, chunked: true}, "RequestEntityTooLargeException"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "gzip bomb" && len(tc.req.body) > 1024 {
				t.Fatalf("compressed body is %d bytes; the test needs it under the limit", len(tc.req.body))
			}
			r := h.do(t, tc.req)
			if r.status != 413 {
				t.Errorf("status = %d, want 413", r.status)
			}
			code, msg, _ := errorInfo(t, r)
			if code != tc.code || !strings.Contains(msg, "1024 bytes") {
				t.Errorf("error = %q %q", code, msg)
			}
		})
	}
	// Under the limit still works.
	r := h.do(t, rawReq{header: signed("ecs", map[string]string{"X-Amz-Target": ecsTarget + "ListClusters", "Content-Type": json11}), body: []byte("{}")})
	if r.status != 200 {
		t.Errorf("small request: status %d", r.status)
	}
}

func TestPanicBecomesInternalFailure(t *testing.T) {
	h := newHarness(t, 0)
	tests := []struct {
		name string
		req  rawReq
		ct   string
	}{
		{"json", rawReq{header: signed("ecs", map[string]string{"X-Amz-Target": ecsTarget + "Panic", "Content-Type": json11}), body: []byte("{}")}, json11},
		{"query", rawReq{header: signed("elasticloadbalancing", map[string]string{"Content-Type": formCT}), body: []byte("Action=Panic&Version=2015-12-01")}, "text/xml"},
		{"cbor", rawReq{path: cwCBOR + "Panic", header: signed("monitoring", map[string]string{"Smithy-Protocol": "rpc-v2-cbor"})}, "application/cbor"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do(t, tc.req)
			if r.status != 500 || r.header.Get("Content-Type") != tc.ct {
				t.Errorf("status %d, Content-Type %q", r.status, r.header.Get("Content-Type"))
			}
			code, _, bodyID := errorInfo(t, r)
			if code != "InternalFailure" {
				t.Errorf("code = %q", code)
			}
			id := r.header.Get("X-Amzn-Requestid")
			if !uuidRE.MatchString(id) {
				t.Fatalf("request id %q", id)
			}
			if tc.name == "query" && bodyID != id {
				t.Errorf("XML RequestId %q, header %q", bodyID, id)
			}
			logged := false
			for line := range strings.SplitSeq(h.logs.String(), "\n") {
				if strings.Contains(line, "request_id="+id) && strings.Contains(line, "level=ERROR") &&
					strings.Contains(line, "panic serving request") && strings.Contains(line, "(*Gateway).serve(") {
					logged = true
				}
			}
			if !logged {
				t.Errorf("no error log line with request id %s and the stack", id)
			}
		})
	}
	// The server survives.
	r := h.do(t, rawReq{header: signed("ecs", map[string]string{"X-Amz-Target": ecsTarget + "ListClusters", "Content-Type": json11}), body: []byte("{}")})
	if r.status != 200 {
		t.Errorf("after panic: status %d", r.status)
	}
}

func TestAuthErrors(t *testing.T) {
	h := newHarness(t, 0)
	reqs := map[string]func(key string) rawReq{
		"json": func(key string) rawReq {
			hd := map[string]string{"X-Amz-Target": ecsTarget + "ListClusters", "Content-Type": json11}
			if key != "" {
				hd["Authorization"] = authHeader(key, "ecs")
			}
			return rawReq{header: hd, body: []byte("{}")}
		},
		"query": func(key string) rawReq {
			hd := map[string]string{"Content-Type": formCT}
			if key != "" {
				hd["Authorization"] = authHeader(key, "elasticloadbalancing")
			}
			return rawReq{header: hd, body: []byte("Action=DescribeLoadBalancers&Version=2015-12-01")}
		},
		"cbor": func(key string) rawReq {
			hd := map[string]string{"Smithy-Protocol": "rpc-v2-cbor", "Content-Type": "application/cbor"}
			if key != "" {
				hd["Authorization"] = authHeader(key, "monitoring")
			}
			return rawReq{path: cwCBOR + "DescribeAlarms", header: hd, body: cborBody(cbor.Map{})}
		},
		"rest": func(key string) rawReq {
			hd := map[string]string{"Content-Type": "application/json"}
			if key != "" {
				hd["Authorization"] = authHeader(key, "xray")
			}
			return rawReq{path: "/TraceSegments", header: hd, body: []byte(`{"TraceSegmentDocuments":[]}`)}
		},
	}
	tests := []struct {
		proto, key string
		status     int
		code, msg  string
	}{
		{"json", "", 403, "MissingAuthenticationTokenException", "Missing Authentication Token"},
		{"json", "INCOMPLETE", 400, "IncompleteSignatureException", "requires 'Signature'"},
		{"json", "UNKNOWN", 403, "UnrecognizedClientException", "security token"},
		{"json", "BADSIG", 403, "InvalidSignatureException", "does not match"},
		{"json", "EXPIRED", 403, "InvalidSignatureException", "Signature expired: 20240101T000000Z"},
		{"json", "BADTOKEN", 403, "UnrecognizedClientException", "expired"},
		{"json", "BROKEN", 500, "InternalFailure", "unknown error"},
		{"query", "", 403, "MissingAuthenticationToken", "missing Authentication Token"},
		{"query", "INCOMPLETE", 400, "IncompleteSignature", "requires 'Signature'"},
		{"query", "UNKNOWN", 403, "InvalidClientTokenId", "security token"},
		{"query", "BADSIG", 403, "SignatureDoesNotMatch", "does not match"},
		{"query", "EXPIRED", 403, "SignatureDoesNotMatch", "Signature expired: "},
		{"query", "BADTOKEN", 403, "InvalidClientTokenId", "expired"},
		{"query", "BROKEN", 500, "InternalFailure", "unknown error"},
		{"cbor", "", 403, "MissingAuthenticationTokenException", "Missing Authentication Token"},
		{"cbor", "UNKNOWN", 403, "UnrecognizedClientException", "security token"},
		{"cbor", "EXPIRED", 403, "InvalidSignatureException", "Signature expired: "},
		{"rest", "", 403, "MissingAuthenticationTokenException", "Missing Authentication Token"},
		{"rest", "BADSIG", 403, "InvalidSignatureException", "does not match"},
	}
	for _, tc := range tests {
		t.Run(tc.proto+"/"+tc.key, func(t *testing.T) {
			r := h.do(t, reqs[tc.proto](tc.key))
			if r.status != tc.status {
				t.Errorf("status = %d, want %d", r.status, tc.status)
			}
			code, msg, _ := errorInfo(t, r)
			if code != tc.code || !strings.Contains(msg, tc.msg) {
				t.Errorf("error = %q %q, want %q containing %q", code, msg, tc.code, tc.msg)
			}
		})
	}
}

func TestAuthGetsRawBody(t *testing.T) {
	h := newHarness(t, 0)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte(`{"clusterName":"zipped"}`))
	_ = zw.Close()
	r := h.do(t, rawReq{header: signed("ecs", map[string]string{"X-Amz-Target": ecsTarget + "CreateCluster", "Content-Type": json11, "Content-Encoding": "gzip"}), body: gz.Bytes()})
	if r.status != 200 || !strings.Contains(string(r.body), `"clusterName":"zipped"`) {
		t.Fatalf("gzip request: %d %s", r.status, r.body)
	}
	if !bytes.Equal(h.auth.body(), gz.Bytes()) {
		t.Errorf("the authenticator got %q, not the body as sent", h.auth.body())
	}
}

func TestAnonymousOperation(t *testing.T) {
	h := newHarness(t, 0)
	r := h.do(t, rawReq{header: map[string]string{"Content-Type": formCT}, body: []byte("Action=AnonymousHello&Version=2015-12-01&Name=web")})
	if r.status != 200 || !strings.Contains(string(r.body), "<Greeting>hello web from anonymous</Greeting>") {
		t.Errorf("anonymous: %d %s", r.status, r.body)
	}
}
