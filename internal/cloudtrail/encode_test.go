package cloudtrail

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ct "github.com/aws/aws-sdk-go-v2/service/cloudtrail"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/cloudwatch"
	"github.com/wharf-dev/wharf/internal/ecs"
	"github.com/wharf-dev/wharf/internal/kms"
	"github.com/wharf-dev/wharf/internal/logs"
	"github.com/wharf-dev/wharf/internal/ssm"
	"github.com/wharf-dev/wharf/internal/store"
)

// Types with every shape the encoder handles differently.
type (
	edgeInner struct {
		Name  string  `json:"Name"`
		Count int     `json:"count,omitempty"`
		Ratio float32 `json:"Ratio"`
		Arn   *string `json:"Arn,omitempty"`
	}
	EdgeEmbedded struct {
		Embedded string `json:"Embedded"`
	}
	edgeHidden    struct{ X string }
	namedString   string
	namedFloats   []float64
	namedStrings  []string
	edgeRecursive struct {
		Name string         `json:"Name"`
		Next *edgeRecursive `json:"Next,omitempty"`
		List []edgeRecursive
	}
	// Two types reaching a string only through each other and a third: the ARN
	// walk's plan must not lose the path (see resolveARNs).
	cycleA struct {
		B *cycleB
		C *cycleC
	}
	cycleB struct{ A *cycleA }
	cycleC struct{ S string }

	edgeAll struct {
		EdgeEmbedded
		*edgeInner
		edgeHidden
		unexported     string
		Plain          string
		Tagged         string            `json:"tagged"`
		Omit           string            `json:"Omit,omitempty"`
		Opts           int               `json:"Opts,string,omitempty"`
		Skipped        string            `json:"-"`
		Dash           string            `json:"-,"`
		Dup            string            `json:"Same,omitempty"`
		Dup2           *string           `json:"same,omitempty"` // the same member name
		Secret         string            `json:"Secret" sensitive:"true"`
		SecretNum      int               `sensitive:"true"`
		SecretPtr      *string           `json:"SecretPtr" sensitive:"true"`
		SecretBlob     []byte            `json:"SecretBlob" sensitive:"true"`
		SecretFunc     func()            `sensitive:"true"`
		Blob           []byte            `json:"Blob"`
		Bytes4         [4]byte           `json:"Bytes4"`
		Raw            json.RawMessage   `json:"Raw,omitempty"`
		RawPtr         *json.RawMessage  `json:"RawPtr,omitempty"`
		Raws           []json.RawMessage `json:"Raws,omitempty"`
		When           time.Time         `json:"When"`
		WhenOpt        time.Time         `json:"WhenOpt,omitempty"`
		WhenPtr        *time.Time        `json:"WhenPtr,omitempty"`
		Any            any               `json:"Any,omitempty"`
		Anys           []any             `json:"Anys"`
		AnyMap         map[string]any    `json:"AnyMap"`
		IntMap         map[int]string    `json:"IntMap"`
		NamedMap       map[namedString]*edgeInner
		Ints           [3]int8        `json:"Ints"`
		Uints          []uint16       `json:"Uints"`
		Ptr            uintptr        `json:"Ptr"`
		Cplx           complex64      `json:"Cplx"`
		Ch             chan int       `json:"Ch"`
		Fn             func()         `json:"Fn"`
		Float          float64        `json:"Float"`
		Floats         []float64      `json:"Floats"`
		Named          namedFloats    `json:"Named"`
		NamedStrings   namedStrings   `json:"NamedStrings"`
		Names          []string       `json:"Names"`
		Name           *string        `json:"Name"`
		Inner          edgeInner      `json:"Inner"`
		InnerOpt       edgeInner      `json:"InnerOpt,omitempty"`
		Inners         []*edgeInner   `json:"Inners"`
		Recursive      *edgeRecursive `json:"Recursive"`
		Cycle          *cycleA        `json:"Cycle"`
		Élan           string
		URL            string
		Bool           bool    `json:"Bool,omitempty"`
		NegZeroOmitted float64 `json:"NegZero,omitempty"`
		SkippedName    string  `json:"-"` // walked for ARNs all the same
	}
)

// realTypes are inputs and outputs of Wharf's services, and the edge type.
var realTypes = []reflect.Type{
	reflect.TypeFor[*ssm.PutParameterInput](), reflect.TypeFor[*ssm.GetParameterInput](),
	reflect.TypeFor[*ssm.GetParameterOutput](), reflect.TypeFor[*ssm.GetParametersByPathOutput](),
	reflect.TypeFor[*ssm.GetParametersInput](), reflect.TypeFor[*ssm.AddTagsToResourceInput](),
	reflect.TypeFor[*kms.EncryptInput](), reflect.TypeFor[*kms.DecryptOutput](),
	reflect.TypeFor[*kms.GenerateDataKeyOutput](), reflect.TypeFor[*kms.CreateKeyInput](),
	reflect.TypeFor[*ecs.RegisterTaskDefinitionInput](), reflect.TypeFor[*ecs.RegisterTaskDefinitionOutput](),
	reflect.TypeFor[*ecs.CreateServiceInput](), reflect.TypeFor[*ecs.DescribeServicesOutput](),
	reflect.TypeFor[*ecs.RunTaskInput](),
	reflect.TypeFor[*cloudwatch.PutMetricDataInput](), reflect.TypeFor[*cloudwatch.PutMetricAlarmInput](),
	reflect.TypeFor[*logs.PutLogEventsInput](), reflect.TypeFor[*logs.GetLogEventsOutput](),
	reflect.TypeFor[*logs.FilterLogEventsOutput](),
	reflect.TypeFor[*edgeAll](), reflect.TypeFor[edgeAll](), reflect.TypeFor[map[string]any](),
	reflect.TypeFor[[]any](), reflect.TypeFor[*cycleA](),
}

// compareRedacted fails when the encoder and the original disagree on v.
func compareRedacted(t testing.TB, v any) {
	t.Helper()
	want := redactedJSONOld(v)
	got := redactedJSON(v)
	if !bytes.Equal(got, want) {
		t.Fatalf("redactedJSON(%T) differs from the original:\n got %s\nwant %s", v, got, want)
	}
	if !json.Valid(got) {
		t.Fatalf("redactedJSON(%T) is not JSON: %s", v, got)
	}
}

// compareResources fails when the ARN walk and the original disagree on c.
func compareResources(t testing.TB, c awsapi.Call) {
	t.Helper()
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	want := resourcesOfOld(c, "000000000000")
	got := resourcesOf(c, "000000000000")
	if !slices.Equal(got, want) {
		t.Fatalf("resourcesOf(%s %T/%T) differs from the original:\n got %+v\nwant %+v", c.Service, c.Input, c.Output, got, want)
	}
}

// compareEvent fails when the stored event (and its key) differ from the original's.
func compareEvent(t testing.TB, s *Service, c awsapi.Call, seq uint64) {
	t.Helper()
	id := newUUID()
	old, err := s.eventOld(c, id)
	if err != nil {
		t.Fatalf("original event: %v", err)
	}
	want, err := storedOld(old, seq)
	if err != nil {
		t.Fatalf("original encoding: %v", err)
	}
	ev := s.event(c, id)
	got := ev.stored(seq)
	if !bytes.Equal(got, want) {
		t.Fatalf("stored event differs from the original:\n got %s\nwant %s", got, want)
	}
	if ev.key != old.Key {
		t.Fatalf("key %q, want %q", ev.key, old.Key)
	}
	// Committing again (after a failed commit) with another sequence.
	want, _ = storedOld(old, seq+12345)
	if got := ev.stored(seq + 12345); !bytes.Equal(got, want) {
		t.Fatalf("re-sequenced event differs:\n got %s\nwant %s", got, want)
	}
}

// testService is a service on a throwaway store, for the encoding tests.
func testService(t testing.TB) *Service {
	db, err := store.Open(filepath.Join(t.TempDir(), "wharf.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := New(db, Config{Clock: newFakeClock()})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestEncoderMatchesOriginal compares the encoder, the ARN walk and the whole stored
// event with the original implementation on generated values of real types.
func TestEncoderMatchesOriginal(t *testing.T) {
	s := testService(t)
	n := 120 // per type; FuzzEncoder goes further
	if testing.Short() {
		n = 30
	}
	for _, typ := range realTypes {
		t.Run(typ.String(), func(t *testing.T) {
			for i := range n {
				g := &valueGen{r: rand.New(rand.NewPCG(uint64(i), 7)), maxLen: 4}
				v := g.value(typ, 0).Interface()
				compareRedacted(t, v)
				out := g.value(realTypes[g.r.IntN(len(realTypes))], 0).Interface()
				c := g.call(v, out)
				compareResources(t, c)
				compareEvent(t, s, c, g.r.Uint64()>>uint(g.r.IntN(64)))
			}
		})
	}
}

// TestEncoderEdgeCases pins the rendering of hand-picked values (and checks the
// original agrees).
func TestEncoderEdgeCases(t *testing.T) {
	str := func(s string) *string { return &s }
	raw := json.RawMessage(` { "b" : "<&>", "a" : [ 1 , 2 ] } `)
	deep := &edgeRecursive{Name: "0"}
	for i, d := 1, deep; i < 40; i++ {
		d.Next = &edgeRecursive{Name: fmt.Sprint(i)}
		d = d.Next
	}
	zone := time.FixedZone("X", 2*3600)
	var nilInner *edgeInner
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"nil", nil, `null`},
		{"nil pointer", nilInner, `null`},
		{"empty structure", &struct{}{}, `null`},
		{"structure with nothing set", &struct{ A *string }{}, `null`},
		{"empty map", map[string]int{}, `null`},
		{"map sorted", map[string]int{"b": 1, "a": 2, "B": 3}, `{"B":3,"a":2,"b":1}`},
		{"map not keyed by strings", map[int]string{1: "a"}, `null`},
		{"string", "a<b>", `"a\u003cb\u003e"`},
		{"nested empty structure", &struct{ Inner struct{} }{}, `{"inner":{}}`},
		{"nil and empty lists", &struct {
			A []int
			B []int
		}{B: []int{}}, `{"b":[]}`},
		{"list of nothing", &struct{ L []any }{L: []any{nil, 1, []byte("x"), (*int)(nil)}}, `{"l":[null,1,null,null]}`},
		{"map of nothing", map[string]any{"n": nil, "b": []byte("x")}, `{"b":null,"n":null}`},
		{"sensitive", &struct {
			S  string  `sensitive:"true"`
			N  int     `sensitive:"true"`
			P  *string `sensitive:"true"`
			B  []byte  `sensitive:"true"`
			O  string  `json:",omitempty" sensitive:"true"`
			P2 *string `sensitive:"true"`
		}{P2: str("secret")}, `{"n":"HIDDEN_DUE_TO_SECURITY_REASONS","p2":"HIDDEN_DUE_TO_SECURITY_REASONS","s":"HIDDEN_DUE_TO_SECURITY_REASONS"}`},
		{"blobs", &struct {
			B []byte
			A [2]byte
			S string
		}{B: []byte("x"), S: "s"}, `{"s":"s"}`},
		{"floats", []float64{math.NaN(), math.Inf(1), math.Inf(-1), 1e21, 1e-7, 0.5, math.Copysign(0, -1), 100},
			`["NaN","+Inf","-Inf",1e+21,1e-7,0.5,-0,100]`},
		{"float32", []float32{0.1, 1e-7}, `[0.10000000149011612,1.0000000116860974e-7]`},
		{"time", &struct{ T time.Time }{T: time.Date(2025, 6, 1, 14, 0, 0, 123, zone)}, `{"t":"2025-06-01T12:00:00Z"}`},
		{"raw", &struct {
			R  json.RawMessage
			I  json.RawMessage
			L  []json.RawMessage
			R2 *json.RawMessage
		}{R: raw, I: json.RawMessage(`{`), L: []json.RawMessage{json.RawMessage(`x`), json.RawMessage(` 1 `)}, R2: &raw},
			`{"l":[null,1],"r":{"b":"\u003c\u0026\u003e","a":[1,2]},"r2":{"b":"\u003c\u0026\u003e","a":[1,2]}}`},
		{"raw at the top", json.RawMessage(` {} `), `{}`},
		{"escapes", []string{"\u2028\u2029", "\xff", "\x00\t\n\"\\", "é"}, `["\u2028\u2029","\ufffd","\u0000\t\n\"\\","é"]`},
		{"duplicate names, last present wins", &struct {
			A string  `json:"X"`
			B *string `json:"x"`
		}{A: "a", B: str("b")}, `{"x":"b"}`},
		{"duplicate names, last absent", &struct {
			A string  `json:"X"`
			B *string `json:"x"`
		}{A: "a"}, `{"x":"a"}`},
		{"json dash", &struct {
			A string `json:"-"`
			B string `json:"-,"`
			C string `json:"c"`
		}{"a", "b", "c"}, `{"c":"c"}`},
		{"embedded", &struct{ EdgeEmbedded }{EdgeEmbedded{"e"}}, `{"edgeEmbedded":{"embedded":"e"}}`},
		{"unsupported kinds", &struct {
			U uintptr
			C complex128
			F func()
			H chan int
			S string
		}{U: 1, C: 1i, F: func() {}, H: make(chan int), S: "s"}, `{"s":"s"}`},
		{"omitempty", &struct {
			A int    `json:",omitempty"`
			B int    `json:"b,string,omitempty"`
			C bool   `json:",omitempty"`
			D string `json:"D,omitempty"`
			E int
		}{}, `{"e":0}`},
		{"names", &struct {
			URL  string
			Élan string
			X_Y  string `json:"_x"`
		}{"u", "é", "x"}, `{"_x":"x","uRL":"u","élan":"é"}`},
		{"interfaces", &struct{ A, B, C any }{A: str("p"), B: &edgeInner{Name: "n"}, C: map[string]any{"k": []any{1.5, "s"}}},
			`{"a":"p","b":{"name":"n","ratio":0},"c":{"k":[1.5,"s"]}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(redactedJSON(tc.v)); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			compareRedacted(t, tc.v)
		})
	}
	// Past the depth limit members are left out as the original leaves them out.
	compareRedacted(t, deep)
	if got := string(redactedJSON(deep)); strings.Contains(got, `"name":"32"`) || !strings.Contains(got, `"name":"31","next":{}`) {
		t.Errorf("depth limit: %s", got)
	}
}

func TestLowerFirst(t *testing.T) {
	for in, want := range map[string]string{"WithDecryption": "withDecryption", "URL": "uRL", "x": "x", "": "", "Élan": "élan", "\xff": "\xff", "_A": "_A"} {
		if got := lowerFirst(in); got != want {
			t.Errorf("lowerFirst(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestARNWalk pins the ARN walk's rules on the edge type.
func TestARNWalk(t *testing.T) {
	arn := func(i int) string { return fmt.Sprintf("arn:aws:kms:us-east-1:111122223333:key/%d", i) }
	many := make([]string, 120)
	for i := range many {
		many[i] = arn(i % 110)
	}
	in := &edgeAll{
		Names: []string{"/a", "b:3"}, Name: new(string), SkippedName: arn(200),
		Secret: arn(201), Inners: []*edgeInner{{Arn: new(string)}}, AnyMap: map[string]any{"x": arn(202)},
		Recursive: &edgeRecursive{Next: &edgeRecursive{Name: "arn:aws:iam::000000000000:role/r"}},
		Cycle:     &cycleA{B: &cycleB{A: &cycleA{C: &cycleC{S: arn(203)}}}},
	}
	*in.Name = "p"
	*in.Inners[0].Arn = arn(204)
	c := awsapi.Call{Service: "ssm", Region: "us-east-1", Input: in, Output: &struct{ L []string }{many}}
	compareResources(t, c)
	got := resourcesOf(c, "000000000000")
	var arns []string
	for _, r := range got {
		arns = append(arns, r.ARN)
	}
	// Fields in declaration order (json:"-" ones too), sensitive members and maps
	// skipped, SSM names as parameter ARNs, the input first, 50 at most.
	want := []string{"arn:aws:ssm:us-east-1:000000000000:parameter/a", "arn:aws:ssm:us-east-1:000000000000:parameter/b",
		"arn:aws:ssm:us-east-1:000000000000:parameter/p", arn(204), "arn:aws:iam::000000000000:role/r", arn(203), arn(200), arn(0)}
	if len(arns) != 50 || !slices.Equal(arns[:len(want)], want) {
		t.Fatalf("got %d resources %v, want 50 starting with %v", len(arns), arns, want)
	}
	if got[3].Type != "AWS::KMS::Key" || got[3].AccountID != "111122223333" || got[0].Type != "AWS::SSM::Parameter" || got[0].AccountID != "000000000000" {
		t.Errorf("resource descriptions: %+v", got[:4])
	}
}

// TestARNWalkLooksAtTheFirst100 checks the walk looks at the first 100 elements of a
// list, and no further, whatever the list's type.
func TestARNWalkLooksAtTheFirst100(t *testing.T) {
	a, b := "arn:aws:sqs:us-east-1:000000000000:a", "arn:aws:sqs:us-east-1:000000000000:b"
	strs := append(slices.Repeat([]string{a}, 99), b, "arn:aws:sqs:us-east-1:000000000000:c")
	ptrs := make([]*string, len(strs))
	anys := make([]any, len(strs))
	for i := range strs {
		ptrs[i], anys[i] = &strs[i], strs[i]
	}
	for _, in := range []any{
		&struct{ L []string }{strs}, &struct{ L namedStrings }{strs}, &struct{ L []*string }{ptrs},
		&struct{ L []any }{anys}, &struct{ L [101]string }{[101]string(strs)},
	} {
		c := awsapi.Call{Service: "sqs", Input: in}
		compareResources(t, c)
		if got := resourcesOf(c, "000000000000"); len(got) != 2 || got[0].ARN != a || got[1].ARN != b {
			t.Errorf("%T: %+v, want %s and %s", in, got, a, b)
		}
	}
}

// FuzzEncoder compares the encoder with the original on values the fuzzer's bytes
// steer, of every real type.
func FuzzEncoder(f *testing.F) {
	f.Add([]byte{0})
	f.Add([]byte("some bytes to start from, some more bytes"))
	f.Add(bytes.Repeat([]byte{0xff, 0x01, 0x80}, 50))
	s := testService(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		typ := realTypes[int(data[0])%len(realTypes)]
		g := &valueGen{r: rand.New(&byteSource{b: data[1:]}), maxLen: 4}
		v := g.value(typ, 0).Interface()
		compareRedacted(t, v)
		c := g.call(v, g.value(realTypes[g.r.IntN(len(realTypes))], 0).Interface())
		compareResources(t, c)
		compareEvent(t, s, c, g.r.Uint64())
	})
}

// FuzzAppendString compares the string escaping with encoding/json's.
func FuzzAppendString(f *testing.F) {
	for _, s := range genStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("appendString(%q) = %s, want %s", s, got, want)
		}
	})
}

// FuzzAppendFloat compares the number formatting with encoding/json's.
func FuzzAppendFloat(f *testing.F) {
	for _, x := range genFloats {
		f.Add(math.Float64bits(x))
	}
	f.Fuzz(func(t *testing.T, bits uint64) {
		x := math.Float64frombits(bits)
		want, err := json.Marshal(x)
		if err != nil { // NaN and infinities: the original's strings
			want, _ = json.Marshal(fmt.Sprint(redactOld(reflect.ValueOf(x), 0)))
		}
		if got := appendFloat(nil, x); !bytes.Equal(got, want) {
			t.Fatalf("appendFloat(%v) = %s, want %s", x, got, want)
		}
	})
}

// TestKeysAndIDs checks the hand-written formatting of keys and event ids.
func TestKeysAndIDs(t *testing.T) {
	for _, n := range []int64{-5, 0, 1, 1748779200123456789, math.MaxInt64} {
		if got, want := eventKey(n, "id"), eventKeyOld(n, "id"); got != want {
			t.Errorf("eventKey(%d) = %s, want %s", n, got, want)
		}
		if got, want := timeKey(n)+"/id", eventKeyOld(n, "id"); got != want {
			t.Errorf("timeKey(%d) = %s, want %s", n, got, want)
		}
		if got, want := seqKey(uint64(n)), fmt.Sprintf("%016x", uint64(n)); got != want {
			t.Errorf("seqKey(%d) = %s, want %s", n, got, want)
		}
	}
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 100 {
		id := newUUID()
		if !uuid.MatchString(id) || seen[id] {
			t.Fatalf("newUUID() = %q: not a fresh version 4 UUID", id)
		}
		seen[id] = true
	}
}

// FuzzAppendTime compares the time formatting with the original's time.Format.
func FuzzAppendTime(f *testing.F) {
	f.Add(int64(0), int64(0), 0)
	f.Add(int64(1748779200), int64(999999999), 3600)
	f.Add(int64(-62167219200), int64(0), 0)  // year 0
	f.Add(int64(253402300799), int64(0), 60) // the last second of 9999
	f.Add(int64(253402300800), int64(0), 0)
	f.Add(int64(-62167219201), int64(0), 0)
	f.Fuzz(func(t *testing.T, sec, nsec int64, offset int) {
		tm := time.Unix(sec, nsec).In(time.FixedZone("Z", offset%(48*3600)))
		want := iso8601(tm)
		if got := string(appendTime(nil, tm)); got != want {
			t.Fatalf("appendTime(%v) = %s, want %s", tm, got, want)
		}
	})
}

// TestStoredBytesMatchOriginal records generated calls from concurrent callers,
// commits them, and checks every stored record byte for byte against what the
// original implementation stored for the same event at the same sequence number.
func TestStoredBytesMatchOriginal(t *testing.T) {
	s := testService(t)
	const callers, each = 6, 40
	calls := make([]awsapi.Call, callers*each)
	for i := range calls {
		g := &valueGen{r: rand.New(rand.NewPCG(uint64(i), 99)), maxLen: 3}
		in := g.value(realTypes[i%len(realTypes)], 0).Interface()
		out := g.value(realTypes[(i*7+3)%len(realTypes)], 0).Interface()
		calls[i] = g.call(in, out)
		calls[i].RequestID = fmt.Sprint(i)
	}
	var wg sync.WaitGroup
	for w := range callers {
		wg.Go(func() {
			for _, c := range calls[w*each : (w+1)*each] {
				s.Record(c)
			}
		})
	}
	wg.Wait()
	if err := s.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	seqs := map[uint64]bool{}
	err := s.db.View(func(tx *store.Tx) error {
		return tx.Scan(bucketEvents, "", func(key string, raw []byte) error {
			var ev storedEvent
			if err := store.Decode(raw, &ev); err != nil {
				return err
			}
			var rec struct {
				RequestID string `json:"requestID"`
			}
			if err := json.Unmarshal(ev.Record, &rec); err != nil {
				return err
			}
			var i int
			if _, err := fmt.Sscan(rec.RequestID, &i); err != nil || i < 0 || i >= len(calls) {
				return fmt.Errorf("stored event of an unknown call %q", rec.RequestID)
			}
			old, err := s.eventOld(calls[i], ev.ID)
			if err != nil {
				return err
			}
			want, _ := storedOld(old, ev.Seq)
			if !bytes.Equal(raw, want) || key != old.Key {
				t.Errorf("call %d stored as %s: %s\nthe original stored %s: %s", i, key, raw, old.Key, want)
			}
			var seqRaw []byte
			if err := tx.Scan(bucketSeq, seqKey(ev.Seq), func(_ string, b []byte) error { seqRaw = bytes.Clone(b); return nil }); err != nil {
				return err
			}
			if wantSeq, _ := json.Marshal(key); !bytes.Equal(seqRaw, wantSeq) {
				t.Errorf("sequence %d records %s, want %s", ev.Seq, seqRaw, wantSeq)
			}
			seqs[ev.Seq] = true
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seqs) != len(calls) || !seqs[1] || !seqs[uint64(len(calls))] {
		t.Errorf("%d events stored with sequences 1..%d, want %d", len(seqs), len(calls), len(calls))
	}
}

// TestEventsStoredByTheOriginalStillRead stores events as the original commit did
// (tx.Put of the stored event), records more, and reads all of them back through
// LookupEvents, a trail's log file and the retention purge.
func TestEventsStoredByTheOriginalStillRead(t *testing.T) {
	e := newEnv(t)
	if _, err := e.client.CreateTrail(e.ctx, &ct.CreateTrailInput{Name: aws.String("audit"), S3BucketName: aws.String("b")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.StartLogging(e.ctx, &ct.StartLoggingInput{Name: aws.String("audit")}); err != nil {
		t.Fatal(err)
	}
	calls := secretCalls()
	records := map[string]string{} // event id → the record LookupEvents must return
	for i, c := range calls[:3] {
		c.Time = t0.Add(-time.Duration(100-i) * 24 * time.Hour) // past the retention: purged below
		old, err := e.s.eventOld(c, newUUID())
		if err != nil {
			t.Fatal(err)
		}
		records[old.ID] = string(old.Record)
		if err := e.db.Update(func(tx *store.Tx) error {
			seq, err := lastSeq(tx)
			if err != nil {
				return err
			}
			seq++
			old.Seq = seq
			if err := tx.Put(bucketEvents, old.Key, old); err != nil {
				return err
			}
			if err := tx.Put(bucketSeq, seqKey(seq), old.Key); err != nil {
				return err
			}
			return tx.Put(bucketMeta, "seq", seq)
		}); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range calls[3:] {
		c.Time = t0.Add(-time.Duration(10-i) * time.Minute)
		e.s.Record(c)
	}
	e.flush()

	start := t0.Add(-200 * 24 * time.Hour)
	out, err := e.client.LookupEvents(e.ctx, &ct.LookupEventsInput{StartTime: &start})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Events) != len(calls) {
		t.Fatalf("LookupEvents returned %d events, want %d", len(out.Events), len(calls))
	}
	for _, ev := range out.Events {
		if want, ok := records[aws.ToString(ev.EventId)]; ok && aws.ToString(ev.CloudTrailEvent) != want {
			t.Errorf("an event stored by the original reads as %s, want %s", aws.ToString(ev.CloudTrailEvent), want)
		}
	}
	files := logFiles(t, filepath.Join(e.dir, "logs"))
	var delivered struct{ Records []json.RawMessage }
	for _, f := range files {
		var part struct{ Records []json.RawMessage }
		if err := json.Unmarshal(gunzip(t, f), &part); err != nil {
			t.Fatal(err)
		}
		delivered.Records = append(delivered.Records, part.Records...)
	}
	if len(delivered.Records) != len(calls) {
		t.Errorf("the trail delivered %d records, want %d", len(delivered.Records), len(calls))
	}
	if n, err := e.s.purge(); err != nil || n != 3 {
		t.Errorf("purge removed %d events (%v), want the 3 old ones", n, err)
	}
	if err := e.db.View(func(tx *store.Tx) error {
		if n := tx.Count(bucketSeq, ""); n != len(calls)-3 {
			t.Errorf("%d sequence records left, want %d", n, len(calls)-3)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
