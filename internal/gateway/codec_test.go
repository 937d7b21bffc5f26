package gateway

import (
	"encoding/json"
	"math"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/wharf-dev/wharf/internal/awsapi"
)

func ptr[T any](v T) *T { return &v }

// richSink is a sink with every member set, at millisecond timestamp precision.
func richSink() *sink {
	t2 := fixedTime.Add(time.Hour)
	return &sink{
		Str: "s \"q\" <x> & é", StrPtr: ptr(""), Enum: "RED", Bool: true, BoolPtr: ptr(false),
		Int: -1, Int8: -128, Int16: 32767, Int32: -2147483648, Int64: math.MaxInt64,
		Uint: 1, Uint8: 255, Uint16: 65535, Uint32: math.MaxUint32, Uint64: math.MaxUint64,
		IntPtr: ptr(int32(0)), F32: 1.5, F64: -2.25e-10, F64Ptr: ptr(math.Inf(1)),
		Time: fixedTime, TimePtr: &t2, Blob: []byte{0, 1, 2, 255},
		List: []string{"a", "", "c"}, Ints: []int64{}, Structs: []sinkInner{{Name: "x", When: &t2, Tags: map[string]string{"k": "v"}}},
		StructPtrs: []*sinkInner{{Name: "p"}}, Map: map[string]int{"b": 2, "a": 1}, MapStructs: map[string]sinkInner{"m": {Name: "n"}},
		Nested: &sinkInner{Name: "nested"}, NestedVal: sinkInner{Name: "val"},
		Doc: map[string]any{"x": []any{json.Number("1"), "y", true, nil}}, Raw: json.RawMessage(`{"k":[1,2]}`),
		NoTag: "untagged", Self: &sink{Str: "inner"}, sinkEmbedded: sinkEmbedded{Promoted: "p"},
	}
}

func TestJSONOutputExact(t *testing.T) {
	s := &sink{
		Str: "a\n\"b\"\x01\xff", Int32: 0, Bool: false, F64: math.Inf(-1), F32: 0.1, Time: fixedTime,
		Blob: []byte("hi"), List: []string{}, Map: map[string]int{"b": 2, "a": 1},
		Nested: &sinkInner{}, Doc: map[string]any{"x": []any{1, "y"}}, Raw: json.RawMessage("{ \"k\" : 1 }"),
		Skipped: "secret", NoTag: "n", StructPtrs: []*sinkInner{nil}, sinkEmbedded: sinkEmbedded{Promoted: "p"},
	}
	got, err := encodeJSONOutput(s)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"str":"a\n\"b\"\u0001\ufffd","f32":0.1,"f64":"-Infinity","time":1704164645.678,"blob":"aGk=","list":[],` +
		`"structPtrs":[null],"map":{"a":1,"b":2},"nested":{"name":""},"doc":{"x":[1,"y"]},"raw":{"k":1},"NoTag":"n","promoted":"p"}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	for _, out := range []any{nil, (*sink)(nil)} {
		if got, err := encodeJSONOutput(out); err != nil || string(got) != "{}" {
			t.Errorf("encode(%#v) = %s, %v", out, got, err)
		}
	}
	// Members without omitempty are sent even when zero.
	got, _ = encodeJSONOutput(&ecsCluster{ClusterName: "c"})
	if want := `{"clusterName":"c","registeredContainerInstancesCount":0,"runningTasksCount":0,"pendingTasksCount":0,"activeServicesCount":0}`; string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// Timestamps: whole seconds have no fraction; date-time members are ISO 8601.
	type stamps struct {
		A time.Time `json:"a"`
		B time.Time `json:"b" timestampFormat:"date-time"`
		C time.Time `json:"c" timestampFormat:"http-date"`
	}
	got, _ = encodeJSONOutput(stamps{A: time.Unix(1700000000, 0), B: fixedTime, C: fixedTime})
	if want := `{"a":1700000000,"b":"2024-01-02T03:04:05.678Z","c":"Tue, 02 Jan 2024 03:04:05 GMT"}`; string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// A cycle is an error, not a stack overflow.
	cyc := &sink{}
	cyc.Self = cyc
	if _, err := encodeJSONOutput(cyc); err == nil || !strings.Contains(err.Error(), "deeper than") {
		t.Errorf("cyclic output: %v", err)
	}
	if _, err := encodeCBOROutput(cyc); err == nil {
		t.Error("cyclic CBOR output: no error")
	}
}

func TestJSONInput(t *testing.T) {
	body := `{"str":"x","strPtr":null,"enum":"BLUE","bool":true,"int":-5,"int8":127,"uint64":18446744073709551615,
		"intPtr":7,"f32":1.5,"f64":"NaN","f64Ptr":"Infinity","time":1704164645.678,"timePtr":"2024-01-02T03:04:05.678Z",
		"blob":"AAEC/w==","list":["a"],"ints":[1,2.0,-3],"structs":[{"name":"n","when":1704164645,"tags":{"a":"b"}}],
		"map":{"k":1},"nested":{"name":"m"},"doc":{"a":[1.5]},"raw":[1, {"b":2}],"NoTag":"t","promoted":"p",
		"unknown":{"deep":[1,2,3]},"-":"skipped","Skipped":"no","self":{"self":{"str":"deep"}}}`
	var s sink
	if err := decodeJSONInput([]byte(body), reflect.ValueOf(&s)); err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(s.F64) {
		t.Errorf("f64 = %v, want NaN", s.F64)
	}
	s.F64 = 0
	want := sink{Str: "x", Enum: "BLUE", Bool: true, Int: -5, Int8: 127, Uint64: math.MaxUint64, IntPtr: ptr(int32(7)), F32: 1.5,
		F64Ptr: ptr(math.Inf(1)), Time: fixedTime, TimePtr: ptr(fixedTime), Blob: []byte{0, 1, 2, 255}, List: []string{"a"},
		Ints: []int64{1, 2, -3}, Structs: []sinkInner{{Name: "n", When: ptr(time.Unix(1704164645, 0).UTC()), Tags: map[string]string{"a": "b"}}},
		Map: map[string]int{"k": 1}, Nested: &sinkInner{Name: "m"}, Doc: map[string]any{"a": []any{json.Number("1.5")}},
		Raw: json.RawMessage(`[1,{"b":2}]`), NoTag: "t", Self: &sink{Self: &sink{Str: "deep"}}, sinkEmbedded: sinkEmbedded{Promoted: "p"}}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("got  %+v\nwant %+v", s, want)
	}

	bad := []struct{ body, msg string }{
		{`{"int8":128}`, `field "int8": value 128 out of range for a 8-bit integer`},
		{`{"uint":-1}`, `field "uint": value -1 out of range for a 64-bit unsigned integer`},
		{`{"f32":1e39}`, `field "f32": value 1e+39 out of range for a float`},
		{`{"f64":"1.5"}`, `field "f64": expected number, got string`},
		{`{"bool":"true"}`, `field "bool": expected boolean, got string`},
		{`{"time":"yesterday"}`, `field "time": expected timestamp, got string`},
		{`{"time":1e300}`, `field "time": expected timestamp, got number`},
		{`{"blob":"!!"}`, `field "blob": expected base64-encoded blob`},
		{`{"list":"a"}`, `field "list": expected list, got string`},
		{`{"map":[]}`, `field "map": expected map, got list`},
		{`{"map":{"k":"v"}}`, `field "map[\"k\"]": expected integer, got string`},
		{`{"nested":1}`, `field "nested": expected structure, got number`},
		{`{"structPtrs":[{"tags":{"a":1}}]}`, `field "structPtrs[0].tags[\"a\"]": expected string, got number`},
		{`"str"`, `expected a JSON object at the top level, got string`},
		{strings.Repeat(`{"self":`, 120) + `{}` + strings.Repeat(`}`, 120), `nesting exceeds 100 levels`},
	}
	for _, tc := range bad {
		var s sink
		err := decodeJSONInput([]byte(tc.body), reflect.ValueOf(&s))
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("decode %s: error %v, want %q", truncate(tc.body), err, tc.msg)
		}
	}
	// Empty bodies and null are empty inputs.
	for _, body := range []string{"", "  ", "null", "{}"} {
		var s sink
		if err := decodeJSONInput([]byte(body), reflect.ValueOf(&s)); err != nil || !reflect.DeepEqual(s, sink{}) {
			t.Errorf("decode %q: %+v, %v", body, s, err)
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	in := richSink()
	b, err := encodeJSONOutput(in)
	if err != nil {
		t.Fatal(err)
	}
	var out sink
	if err := decodeJSONInput(b, reflect.ValueOf(&out)); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	in.Doc = map[string]any{"x": []any{json.Number("1"), "y", true, nil}}
	if !reflect.DeepEqual(&out, in) {
		t.Errorf("round trip:\ngot  %+v\nwant %+v\njson %s", out, *in, b)
	}
}

func TestCBORRoundTrip(t *testing.T) {
	in := richSink()
	b, err := encodeCBOROutput(in)
	if err != nil {
		t.Fatal(err)
	}
	var out sink
	if err := decodeCBORInput(b, reflect.ValueOf(&out)); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if !reflect.DeepEqual(&out, in) {
		t.Errorf("round trip:\ngot  %+v\nwant %+v", out, *in)
	}
	// Wire details: timestamps are tag 1, blobs are byte strings, int64 extremes fit.
	v, _ := cbor.Decode(b)
	m := v.(cbor.Map)
	if tag, ok := m["time"].(*cbor.Tag); !ok || tag.ID != 1 || tag.Value != cbor.Float64(1704164645.678) {
		t.Errorf("time = %#v", m["time"])
	}
	if _, ok := m["blob"].(cbor.Slice); !ok {
		t.Errorf("blob = %#v", m["blob"])
	}
	if m["int32"] != cbor.NegInt(2147483648) || m["uint64"] != cbor.Uint(math.MaxUint64) {
		t.Errorf("int32 = %#v, uint64 = %#v", m["int32"], m["uint64"])
	}
	if got, _ := encodeCBOROutput(nil); len(got) != 1 || got[0] != 0xa0 {
		t.Errorf("empty output = %x", got)
	}
	// Whole-second timestamps are integers inside the tag; indefinite-length input works.
	whole, _ := encodeCBOROutput(&sink{Time: time.Unix(1700000000, 0)})
	if v, _ := cbor.Decode(whole); v.(cbor.Map)["time"].(*cbor.Tag).Value != cbor.Uint(1700000000) {
		t.Errorf("whole-second time = %#v", v)
	}
	indefinite := []byte{0xbf, 0x63, 's', 't', 'r', 0x7f, 0x61, 'a', 0x61, 'b', 0xff, 0xff}
	var s sink
	if err := decodeCBORInput(indefinite, reflect.ValueOf(&s)); err != nil || s.Str != "ab" {
		t.Errorf("indefinite map: %+v, %v", s, err)
	}
	bad := []struct {
		in  cbor.Value
		msg string
	}{
		{cbor.Map{"int8": cbor.NegInt(129)}, `field "int8": value -129 out of range for a 8-bit integer`},
		{cbor.Map{"int64": cbor.NegInt(0)}, `value -18446744073709551616 out of range`},
		{cbor.Map{"str": cbor.Slice("x")}, `field "str": expected string, got blob`},
		{cbor.Map{"list": &cbor.Tag{ID: 2, Value: cbor.Slice{1}}}, `unsupported CBOR tag 2`},
		{cbor.Map{"time": &cbor.Tag{ID: 1, Value: &cbor.Nil{}}}, `CBOR tag 1 must hold epoch seconds, got null`},
	}
	for _, tc := range bad {
		var s sink
		err := decodeCBORInput(cbor.Encode(tc.in), reflect.ValueOf(&s))
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("decode %#v: error %v, want %q", tc.in, err, tc.msg)
		}
	}
}

func TestQueryInput(t *testing.T) {
	form := "Action=Echo&Version=2015-12-01&str=x&bool=TRUE&int=-3&uint8=7&f64=1.5&intPtr=4" +
		"&time=2024-01-02T03:04:05.678Z&timePtr=1704164645.678&blob=AAEC%2Fw%3D%3D" +
		"&list.member.2=b&list.member.10=c&list.member.1=a" +
		"&ints=&structs.member.1.name=s1&structs.member.1.tags.entry.1.key=k&structs.member.1.tags.entry.1.value=v" +
		"&structPtrs.1.name=flat&map.entry.2.key=b&map.entry.2.value=2&map.entry.1.key=a&map.entry.1.value=1" +
		"&mapStructs.entry.1.key=m&mapStructs.entry.1.value.name=mv" +
		"&nested.name=n&nested.when=2024-01-02T03:04:05Z&doc=hello&raw=%7B%22a%22%3A1%7D&NoTag=t&promoted=p&self.self.str=deep&unknown=1"
	vals, err := url.ParseQuery(form)
	if err != nil {
		t.Fatal(err)
	}
	var s sink
	if err := decodeQueryInput(vals, reflect.ValueOf(&s)); err != nil {
		t.Fatal(err)
	}
	want := sink{Str: "x", Bool: true, Int: -3, Uint8: 7, F64: 1.5, IntPtr: ptr(int32(4)), Time: fixedTime, TimePtr: ptr(fixedTime),
		Blob: []byte{0, 1, 2, 255}, List: []string{"a", "b", "c"}, Ints: []int64{},
		Structs: []sinkInner{{Name: "s1", Tags: map[string]string{"k": "v"}}}, StructPtrs: []*sinkInner{{Name: "flat"}},
		Map: map[string]int{"a": 1, "b": 2}, MapStructs: map[string]sinkInner{"m": {Name: "mv"}},
		Nested: &sinkInner{Name: "n", When: ptr(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC))}, Doc: "hello",
		Raw: json.RawMessage(`{"a":1}`), NoTag: "t", Self: &sink{Self: &sink{Str: "deep"}}, sinkEmbedded: sinkEmbedded{Promoted: "p"}}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("got  %+v\nwant %+v", s, want)
	}
	bad := []struct{ form, msg string }{
		{"int=1.5", `field "int": expected integer, got 1.5`},
		{"bool=yes", `field "bool": expected boolean, got "yes"`},
		{"time=tomorrow", `field "time": expected timestamp, got "tomorrow"`},
		{"map.entry.1.value=1", `field "map": map entry 1 has no key`},
		{"list=a", `field "list": expected list, got "a"`},
		{"nested=x", `field "nested": expected structure, got "x"`},
		{"raw=not-json", `field "raw": expected a JSON document`},
		{"uint=-1", `field "uint": value -1 out of range for a 64-bit unsigned integer`},
		{"self" + strings.Repeat(".self", 120) + ".str=x", "nesting exceeds 100 levels"},
	}
	for _, tc := range bad {
		vals, _ := url.ParseQuery(tc.form)
		var s sink
		err := decodeQueryInput(vals, reflect.ValueOf(&s))
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("decode %q: error %v, want %q", truncate(tc.form), err, tc.msg)
		}
	}
}

func TestQueryOutputExact(t *testing.T) {
	svc := &awsapi.Service{XMLNamespace: "http://example.com/doc/"}
	s := &sink{Str: "<a&b>", F64Ptr: ptr(math.NaN()), Time: fixedTime, Blob: []byte("hi"), List: []string{"x", "y"}, Ints: []int64{},
		Structs: []sinkInner{{Name: "n"}}, Map: map[string]int{"b": 2, "a": 1}, Doc: map[string]any{"k": "v"}, Bool: true}
	got, err := encodeQueryOutput(svc, "Echo", "req-1", s)
	if err != nil {
		t.Fatal(err)
	}
	want := `<EchoResponse xmlns="http://example.com/doc/"><EchoResult><str>&lt;a&amp;b&gt;</str><bool>true</bool>` +
		`<f64Ptr>NaN</f64Ptr><time>2024-01-02T03:04:05.678Z</time><blob>aGk=</blob>` +
		`<list><member>x</member><member>y</member></list><ints></ints><structs><member><name>n</name></member></structs>` +
		`<map><entry><key>a</key><value>1</value></entry><entry><key>b</key><value>2</value></entry></map>` +
		`<doc>{&#34;k&#34;:&#34;v&#34;}</doc><NoTag></NoTag></EchoResult>` +
		`<ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></EchoResponse>`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	got, _ = encodeQueryOutput(&awsapi.Service{}, "AddTags", "req-2", nil)
	if want := `<AddTagsResponse><AddTagsResult/><ResponseMetadata><RequestId>req-2</RequestId></ResponseMetadata></AddTagsResponse>`; string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestParseEpoch(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"1704164645.678", fixedTime, true},
		{"1704164645", time.Unix(1704164645, 0), true},
		{"1704164645.123456789123", time.Unix(1704164645, 123456789), true},
		{"-1.5", time.Unix(-2, 500_000_000), true},
		{"1.7041646456780e9", fixedTime, true},
		{"0", time.Unix(0, 0), true},
		{"99999999999999", time.Time{}, false},
		{"1.x", time.Time{}, false},
		{"", time.Time{}, false},
	}
	for _, tc := range tests {
		got, ok := parseEpoch(tc.in)
		if ok != tc.ok || (ok && !got.Equal(tc.want)) {
			t.Errorf("parseEpoch(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
