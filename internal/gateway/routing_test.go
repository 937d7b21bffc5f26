package gateway

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/wharf-dev/wharf/internal/awsapi"
)

func TestRouting(t *testing.T) {
	h := newHarness(t, 0)
	tests := []struct {
		name   string
		req    rawReq
		ct     string
		want   []string // substrings of the body
		header map[string]string
	}{
		{"CloudTrail-style long target prefix", rawReq{header: signed("ecs", map[string]string{
			"X-Amz-Target": "com.amazonaws.ecs.v20141113." + ecsTarget + "ListClusters", "Content-Type": json11}), body: []byte("{}")},
			json11, []string{`{"clusterArns":["arn:aws:ecs:us-east-1:123456789012:cluster/default"]}`}, nil},
		{"unknown prefix, found by signing name", rawReq{header: signed("ecs", map[string]string{
			"X-Amz-Target": "SomethingElse.ListClusters", "Content-Type": json11}), body: []byte("{}")},
			json11, []string{`"clusterArns"`}, nil},
		{"no Content-Type uses the service's own JSON", rawReq{header: signed("monitoring", map[string]string{
			"X-Amz-Target": cwTarget + "DescribeAlarms"})},
			json10, []string{`"StateUpdatedTimestamp":1704164645.678`, `"Threshold":80.5`, `"AlarmActions":[]`}, nil},
		{"empty JSON output", rawReq{header: signed("ecs", map[string]string{"X-Amz-Target": ecsTarget + "Empty", "Content-Type": json11})},
			json11, []string{`{}`}, nil},
		{"query over GET", rawReq{method: "GET", path: "/?Action=DescribeLoadBalancers&Version=2015-12-01&Names.member.1=my-lb",
			header: signed("elasticloadbalancing", nil)},
			"text/xml", []string{`<DescribeLoadBalancersResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><DescribeLoadBalancersResult><LoadBalancers><member>`,
				`<CreatedTime>2024-01-02T03:04:05.678Z</CreatedTime><State><Code>active</Code></State>`,
				`<SecurityGroups><member>sg-1</member><member>sg-&lt;2&gt;&amp;</member></SecurityGroups>`}, nil},
		{"query routed by Version among signed services", rawReq{header: signed("monitoring", map[string]string{"Content-Type": formCT}),
			body: []byte("Action=DescribeAlarms&Version=2010-08-01&StateValue=OK")},
			"text/xml", []string{`<DescribeAlarmsResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/">`,
				`<StateUpdatedTimestamp>2024-01-02T03:04:05.678Z</StateUpdatedTimestamp>`, `<AlarmActions></AlarmActions>`,
				`<Dimensions><member><Name>ServiceName</Name><Value>web</Value></member></Dimensions>`}, nil},
		{"empty query output", rawReq{header: signed("elasticloadbalancing", map[string]string{"Content-Type": formCT}),
			body: []byte("Action=AddTags&Version=2015-12-01&ResourceArns.member.1=a&Tags.member.1.Key=k")},
			"text/xml", []string{`<AddTagsResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><AddTagsResult/><ResponseMetadata><RequestId>`}, nil},
		{"empty list as Names=", rawReq{header: signed("elasticloadbalancing", map[string]string{"Content-Type": formCT}),
			body: []byte("Action=DescribeLoadBalancers&Version=2015-12-01&Names=")},
			"text/xml", []string{`<LoadBalancerName>my-lb</LoadBalancerName>`, `<LoadBalancerName>other-lb</LoadBalancerName>`}, nil},
		{"REST labels, query and headers", rawReq{method: "GET", path: "/v1/things/a%2Fb?verbose=true&limit=5&tag=x&tag=y",
			header: signed("xray", map[string]string{"X-Trace-Id": "1-abc", "X-Since": "Tue, 02 Jan 2024 03:04:05 GMT"})},
			"application/json", []string{`{"Name":"a/b","Verbose":true,"Limit":5,"Tags":["x","y"],"TraceId":"1-abc","Since":"2024-01-02T03:04:05Z","Principal":"123456789012"}`},
			map[string]string{"Etag": `"v1"`}},
		{"REST greedy label", rawReq{method: "GET", path: "/files/a/b%20c/d", header: signed("xray", nil)},
			"application/json", []string{`{"Key":"a/b c/d"}`}, nil},
		{"REST body", rawReq{path: "/TraceSegments", header: signed("xray", map[string]string{"Content-Type": "application/json"}),
			body: []byte(`{"TraceSegmentDocuments":["{}","not json"]}`)},
			"application/json", []string{`{"UnprocessedTraceSegments":["not json"]}`}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do(t, tc.req)
			if r.status != 200 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			if ct := r.header.Get("Content-Type"); ct != tc.ct {
				t.Errorf("Content-Type = %q, want %q", ct, tc.ct)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(r.body), w) {
					t.Errorf("body lacks %s:\n%s", w, r.body)
				}
			}
			for k, v := range tc.header {
				if r.header.Get(k) != v {
					t.Errorf("header %s = %q, want %q", k, r.header.Get(k), v)
				}
			}
			id := r.header.Get("X-Amzn-Requestid")
			if !uuidRE.MatchString(id) {
				t.Errorf("request id %q", id)
			}
			if tc.ct == "text/xml" && !strings.Contains(string(r.body), "<ResponseMetadata><RequestId>"+id+"</RequestId></ResponseMetadata>") {
				t.Errorf("XML body lacks RequestId %s", id)
			}
		})
	}
}

func TestCBOREmptyOutputAndHeader(t *testing.T) {
	h := newHarness(t, 0)
	r := h.do(t, rawReq{path: cwCBOR + "PutMetricData", header: signed("monitoring", map[string]string{"Smithy-Protocol": "rpc-v2-cbor", "Content-Type": "application/cbor"}),
		body: cborBody(cbor.Map{"Namespace": cbor.String("App"), "MetricData": cbor.List{cbor.Map{"MetricName": cbor.String("m"), "Extra": cbor.Map{"x": cbor.NegInt(5)}}}})})
	if r.status != 200 || r.header.Get("Smithy-Protocol") != "rpc-v2-cbor" || r.header.Get("Content-Type") != "application/cbor" || string(r.body) != "\xa0" {
		t.Errorf("status %d, headers %v, body %x", r.status, r.header, r.body)
	}
	got := h.cw.received()
	if len(got) != 1 || !reflect.DeepEqual(got[0].MetricData[0].Extra, map[string]int64{"x": -5}) {
		t.Errorf("received %+v", got)
	}
	// No body at all (the client sends none for an empty input).
	r = h.do(t, rawReq{path: cwCBOR + "DescribeAlarms", header: signed("monitoring", map[string]string{"Smithy-Protocol": "rpc-v2-cbor"})})
	v, err := cbor.Decode(r.body)
	if r.status != 200 || err != nil {
		t.Fatalf("status %d, body %x, %v", r.status, r.body, err)
	}
	alarms := v.(cbor.Map)["MetricAlarms"].(cbor.List)
	if len(alarms) != 1 || alarms[0].(cbor.Map)["EvaluationPeriods"] != cbor.Uint(3) {
		t.Errorf("alarms = %#v", alarms)
	}
}

func TestEchoOverHTTP(t *testing.T) {
	h := newHarness(t, 0)
	in := richSink()
	body, _ := encodeJSONOutput(in)
	r := h.do(t, rawReq{header: signed("ecs", map[string]string{"X-Amz-Target": ecsTarget + "Echo", "Content-Type": json11}), body: body})
	if r.status != 200 {
		t.Fatalf("json echo: %d %s", r.status, r.body)
	}
	var out sink
	if err := decodeJSONInput(r.body, reflect.ValueOf(&out)); err != nil || !reflect.DeepEqual(&out, in) {
		t.Errorf("json echo: %v\ngot  %+v\nwant %+v", err, out, *in)
	}

	body, _ = encodeCBOROutput(in)
	r = h.do(t, rawReq{path: cwCBOR + "Echo", header: signed("monitoring", map[string]string{"Smithy-Protocol": "rpc-v2-cbor", "Content-Type": "application/cbor"}), body: body})
	out = sink{}
	if err := decodeCBORInput(r.body, reflect.ValueOf(&out)); err != nil || !reflect.DeepEqual(&out, in) {
		t.Errorf("cbor echo: %v\ngot  %+v\nwant %+v", err, out, *in)
	}
}

func TestNewValidation(t *testing.T) {
	noop := func(ctx context.Context, in *struct{}) (*struct{}, error) { return nil, nil }
	jsonSvc := func(prefix string) *awsapi.Service {
		return &awsapi.Service{SigningName: "s" + prefix, TargetPrefix: prefix, Protocols: []awsapi.Protocol{awsapi.JSON11},
			Operations: awsapi.Operations(awsapi.Op("Op", noop))}
	}
	withInput := func(typ reflect.Type) *awsapi.Service {
		s := jsonSvc("T")
		s.Operations = map[string]awsapi.Operation{"Op": {Name: "Op", Input: typ, Invoke: func(context.Context, any) (any, error) { return nil, nil }}}
		return s
	}
	rest := func(method, path string, in reflect.Type) *awsapi.Operation {
		return &awsapi.Operation{Name: "R" + strings.ReplaceAll(path, "/", "_"), HTTPMethod: method, HTTPPath: path, Input: in,
			Invoke: func(context.Context, any) (any, error) { return nil, nil }}
	}
	restSvc := func(ops ...*awsapi.Operation) *awsapi.Service {
		s := &awsapi.Service{SigningName: "r", Protocols: []awsapi.Protocol{awsapi.RestJSON}, Operations: map[string]awsapi.Operation{}}
		for _, op := range ops {
			s.Operations[op.Name] = *op
		}
		return s
	}
	type labeled struct {
		ID string `location:"uri" locationName:"Id" json:"-"`
	}
	tests := []struct {
		name     string
		services []*awsapi.Service
		err      string
	}{
		{"duplicate target prefix", []*awsapi.Service{jsonSvc("A"), jsonSvc("A")}, `TargetPrefix "A" is also claimed`},
		{"duplicate CBOR name", []*awsapi.Service{
			{SigningName: "a", CBORName: "C", Protocols: []awsapi.Protocol{awsapi.CBOR}},
			{SigningName: "b", CBORName: "C", Protocols: []awsapi.Protocol{awsapi.CBOR}}}, `CBORName "C" is also claimed`},
		{"duplicate query version", []*awsapi.Service{
			{SigningName: "q", QueryVersion: "1", Protocols: []awsapi.Protocol{awsapi.Query}},
			{SigningName: "q", QueryVersion: "1", Protocols: []awsapi.Protocol{awsapi.Query}}}, `claimed twice`},
		{"JSON without prefix", []*awsapi.Service{{SigningName: "a", Protocols: []awsapi.Protocol{awsapi.JSON10}}}, "no TargetPrefix"},
		{"query without version", []*awsapi.Service{{SigningName: "a", Protocols: []awsapi.Protocol{awsapi.Query}}}, "no QueryVersion"},
		{"CBOR without name", []*awsapi.Service{{SigningName: "a", Protocols: []awsapi.Protocol{awsapi.CBOR}}}, "no CBORName"},
		{"no signing name", []*awsapi.Service{{Protocols: []awsapi.Protocol{awsapi.CBOR}}}, "SigningName is empty"},
		{"no protocols", []*awsapi.Service{{SigningName: "a"}}, "no Protocols"},
		{"unknown protocol", []*awsapi.Service{{SigningName: "a", Protocols: []awsapi.Protocol{99}}}, "unknown protocol"},
		{"nil service", []*awsapi.Service{nil}, "service 0 is nil"},
		{"name mismatch", []*awsapi.Service{{SigningName: "a", TargetPrefix: "A", Protocols: []awsapi.Protocol{awsapi.JSON11},
			Operations: map[string]awsapi.Operation{"X": awsapi.Op("Y", noop)}}}, `registered as "X" is named "Y"`},
		{"nil invoke", []*awsapi.Service{{SigningName: "a", TargetPrefix: "A", Protocols: []awsapi.Protocol{awsapi.JSON11},
			Operations: map[string]awsapi.Operation{"X": {Name: "X"}}}}, "no Invoke"},
		{"input not a struct", []*awsapi.Service{withInput(reflect.TypeFor[string]())}, "is not a struct type"},
		{"unsupported member", []*awsapi.Service{withInput(reflect.TypeFor[struct {
			C chan int `json:"c"`
		}]())}, `member "c" (chan int): unsupported Go type`},
		{"int-keyed map", []*awsapi.Service{withInput(reflect.TypeFor[struct{ M map[int]string }]())}, `member "M"`},
		{"pointer to pointer", []*awsapi.Service{withInput(reflect.TypeFor[struct{ P **string }]())}, "pointer to ptr"},
		{"duplicate member", []*awsapi.Service{withInput(reflect.StructOf([]reflect.StructField{ // built so vet does not object
			{Name: "A", Type: reflect.TypeFor[string](), Tag: `json:"x"`},
			{Name: "B", Type: reflect.TypeFor[string](), Tag: `json:"x"`},
		}))}, `member name "x" used twice`},
		{"bad location", []*awsapi.Service{withInput(reflect.TypeFor[struct {
			A string `location:"body"`
		}]())}, `unknown location "body"`},
		{"REST without routes", []*awsapi.Service{restSvc()}, "no operation has an HTTPMethod"},
		{"REST label without member", []*awsapi.Service{restSvc(rest("GET", "/x/{Id}", nil))}, `label "Id" has no input member`},
		{"REST greedy not last", []*awsapi.Service{restSvc(rest("GET", "/{Id+}/x", reflect.TypeFor[labeled]()))}, "must be last"},
		{"REST relative path", []*awsapi.Service{restSvc(rest("GET", "x", nil))}, "must start with /"},
		{"REST malformed segment", []*awsapi.Service{restSvc(rest("GET", "/a{b}", nil))}, "malformed segment"},
		{"REST duplicate route", []*awsapi.Service{restSvc(rest("GET", "/x/{Id}", reflect.TypeFor[labeled]()), rest("GET", "/x/{Id}/", reflect.TypeFor[labeled]()))}, "share the route"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(Config{Services: tc.services, Auth: &fakeAuth{}})
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("New: %v, want an error containing %q", err, tc.err)
			}
		})
	}
	if _, err := New(Config{Services: []*awsapi.Service{jsonSvc("A")}}); err == nil {
		t.Error("New without Auth: no error")
	}
	both := jsonSvc("B")
	both.Protocols = []awsapi.Protocol{awsapi.JSON10, awsapi.JSON11}
	if _, err := New(Config{Services: []*awsapi.Service{jsonSvc("A"), both}, Auth: &fakeAuth{}}); err != nil {
		t.Errorf("valid table: %v", err)
	}
}

func TestCredentialScope(t *testing.T) {
	tests := []struct {
		auth, query string
		key, svc    string
		ok          bool
	}{
		{"AWS4-HMAC-SHA256 Credential=AKID/20240102/us-east-1/ecs/aws4_request, SignedHeaders=host, Signature=x", "", "AKID", "ecs", true},
		{"AWS4-HMAC-SHA256 Credential=AKID/20240102/us-east-1/ecs/aws4_request,SignedHeaders=host", "", "AKID", "ecs", true},
		{"AWS4-HMAC-SHA256 SignedHeaders=host", "", "", "", false},
		{"AWS4-HMAC-SHA256 Credential=AKID/20240102/us-east-1/ecs", "", "", "", false},
		{"Basic abc", "", "", "", false},
		{"", "X-Amz-Credential=AKID%2F20240102%2Fus-east-1%2Fsts%2Faws4_request", "AKID", "sts", true},
		{"", "", "", "", false},
	}
	for _, tc := range tests {
		r, _ := http.NewRequest("GET", "http://x/?"+tc.query, nil)
		if tc.auth != "" {
			r.Header.Set("Authorization", tc.auth)
		}
		key, _, _, svc, ok := credentialScope(r)
		if key != tc.key || svc != tc.svc || ok != tc.ok {
			t.Errorf("credentialScope(%q, %q) = %q %q %v", tc.auth, tc.query, key, svc, ok)
		}
	}
}

func TestRequestIDs(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := newRequestID()
		if !uuidRE.MatchString(id) || seen[id] {
			t.Fatalf("bad or repeated id %q", id)
		}
		seen[id] = true
	}
}

// TestAuthErrorMapping checks the mapping table directly, including unknown kinds.
func TestAuthErrorMapping(t *testing.T) {
	e, ok := authErrorFor(&AuthError{Kind: Expired, Message: "Signature expired: x"}, false)
	if !ok || e.Message != "Signature expired: x" || e.Code != "InvalidSignatureException" || e.HTTPStatus() != 403 {
		t.Errorf("expired = %+v", e)
	}
	e, _ = authErrorFor(&AuthError{Kind: Expired}, true)
	if !strings.HasPrefix(e.Message, "Signature expired") {
		t.Errorf("expired without message = %+v", e)
	}
	if _, ok := authErrorFor(&AuthError{Kind: 42}, false); ok {
		t.Error("unknown kind mapped")
	}
	if _, ok := authErrorFor(json.Unmarshal([]byte("x"), new(any)), false); ok {
		t.Error("plain error mapped")
	}
	if s := (&AuthError{Kind: BadToken, Message: "m"}).Error(); s != "authentication failed (BadToken): m" {
		t.Errorf("Error() = %q", s)
	}
}

func TestRESTRouteMatch(t *testing.T) {
	type in struct {
		Bucket string `location:"uri" locationName:"Bucket" json:"-"`
		Key    string `location:"uri" locationName:"Key" json:"-"`
	}
	mk := func(path string) *restRoute {
		rt, err := parseRoute(&awsapi.Service{}, &awsapi.Operation{Name: "Op", HTTPMethod: "GET", HTTPPath: path, Input: reflect.TypeFor[in]()})
		if err != nil {
			t.Fatalf("parseRoute(%q): %v", path, err)
		}
		return rt
	}
	tests := []struct {
		route, path, query string
		want               map[string]string // nil: no match
	}{
		{"/", "/", "", map[string]string{}},
		{"/", "/x", "", nil},
		{"/{Bucket}", "/b", "", map[string]string{"Bucket": "b"}},
		{"/{Bucket}", "/", "", nil},
		{"/{Bucket}?tagging", "/b", "tagging", map[string]string{"Bucket": "b"}},
		{"/{Bucket}?tagging", "/b", "", nil},
		{"/{Bucket}?list-type=2", "/b", "list-type=1", nil},
		{"/{Bucket}?list-type=2", "/b", "list-type=2", map[string]string{"Bucket": "b"}},
		{"/{Bucket}/{Key+}", "/b/a/b/c", "", map[string]string{"Bucket": "b", "Key": "a/b/c"}},
		{"/{Bucket}/{Key+}", "/b", "", nil},
		{"/{Bucket}/{Key+}", "/b/%2F%20x", "", map[string]string{"Bucket": "b", "Key": "/ x"}},
		{"/{Bucket}/{Key}", "/b/k/extra", "", nil},
		{"/v1/{Bucket}", "/v2/b", "", nil},
		{"/v1/{Bucket}", "/v1/%zz", "", nil},
	}
	for _, tc := range tests {
		q, _ := url.ParseQuery(tc.query)
		got, ok := mk(tc.route).match(splitPath(tc.path), q)
		if (tc.want == nil) != !ok || (ok && !reflect.DeepEqual(got, tc.want)) {
			t.Errorf("route %s, path %s?%s: %v %v, want %v", tc.route, tc.path, tc.query, got, ok, tc.want)
		}
	}
}
