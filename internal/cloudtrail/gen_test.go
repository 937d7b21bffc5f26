package cloudtrail

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"time"

	"github.com/wharf-dev/wharf/internal/awsapi"
)

// valueGen fills values of any type with random, edge-heavy contents: the
// property tests and fuzz targets compare the encoder with the original on them.
type valueGen struct {
	r *rand.Rand
	// maxLen bounds generated lists and maps (a few long lists test the ARN walk's
	// first-100 rule).
	maxLen int
}

// byteSource is a rand.Source reading a fuzzer's bytes, so that the fuzzer's mutations
// steer the values generated; when they run out it goes on with a fixed sequence
// (not zeros, on which rand's rejection sampling would never end).
type byteSource struct {
	b []byte
	n uint64
}

func (s *byteSource) Uint64() uint64 {
	if len(s.b) == 0 {
		// splitmix64
		s.n += 0x9e3779b97f4a7c15
		z := s.n
		z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		return z ^ z>>31
	}
	var w [8]byte
	n := copy(w[:], s.b)
	s.b = s.b[n:]
	return binary.LittleEndian.Uint64(w[:])
}

// Strings heavy with what escaping and the ARN walk care about.
var genStrings = []string{
	"", "a", "Name", "web", "/app/web/db", "app/web", "/app/x:3", "name:label", ":leading",
	"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
	"arn:aws:ssm:eu-west-1:000000000000:parameter/app/db",
	"arn:aws:iam::000000000000:role/task-role",
	"arn:aws:ecs:us-east-1:000000000000:task-definition/web:3",
	"arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/tg/abc",
	"arn:aws:elasticloadbalancing:us-east-1:000000000000:listener-rule/app/lb/1/2/3",
	"arn:aws:logs:us-east-1::log-group:/ecs/web:*",
	"arn:aws:weird-service_x:r:a:",
	"arn:aws:s3:::bucket", "arn:aws:too:few", "arn:aws-cn:kms:cn-north-1:1:key/x",
	"<script>alert('x')</script>", "a & b", "quote\"back\\slash", "tab\tnl\ncr\rff\fbs\b",
	"\x00\x01\x1f\x7f", "é", "日本語", "line\u2028sep\u2029", "\xff\xfe", "ok\xe2\x80", "\xe2\x80\xa8",
	"🙂 emoji", "HIDDEN_DUE_TO_SECURITY_REASONS", "{\"json\":1}", "null",
}

var genFloats = []float64{
	0, math.Copysign(0, -1), 1, -1, 0.1, 1.5, 100, 1e20, 1e21, 1e-6, 1e-7, 9.999999e-7, 1e-300,
	5e-324, math.MaxFloat64, -math.MaxFloat64, math.NaN(), math.Inf(1), math.Inf(-1),
	float64(float32(0.1)), 123456789.123, 1e100, -2.5e-9,
}

var genRaws = []string{
	`{"a": 1, "b": [true, null]}`, ` [1, 2 ,3] `, `"<b>&</b>"`, `"line\u2028"`, "\"\xe2\x80\xa8\"",
	`{}`, `[]`, `null`, `12.50`, `{"x":`, `nope`, ``, "\"\xff\"", `{"a" : {"b" : "c"}}`, `  true  `,
}

func (g *valueGen) str() string {
	if g.r.IntN(8) == 0 {
		// A random string of random bytes.
		b := make([]byte, g.r.IntN(12))
		for i := range b {
			b[i] = byte(g.r.Uint32())
		}
		return string(b)
	}
	return genStrings[g.r.IntN(len(genStrings))]
}

func (g *valueGen) float() float64 {
	if g.r.IntN(4) == 0 {
		return g.r.NormFloat64() * math.Pow(10, float64(g.r.IntN(40)-20))
	}
	return genFloats[g.r.IntN(len(genFloats))]
}

func (g *valueGen) time() time.Time {
	switch g.r.IntN(6) {
	case 0:
		return time.Time{}
	case 1:
		return time.Now() // a monotonic reading
	case 2:
		return time.Date(1969, 12, 31, 23, 59, 59, 999, time.UTC)
	}
	zone := time.FixedZone("Z", (g.r.IntN(27)-13)*3600+g.r.IntN(2)*1800)
	return time.Unix(g.r.Int64N(4e9), g.r.Int64N(1e9)).In(zone)
}

// value returns a random value of t; depth stops recursive types.
func (g *valueGen) value(t reflect.Type, depth int) reflect.Value {
	v := reflect.New(t).Elem()
	g.fill(v, depth)
	return v
}

// fill sets v (settable) to random contents.
func (g *valueGen) fill(v reflect.Value, depth int) {
	t := v.Type()
	if depth > 7 && g.r.IntN(4) != 0 {
		return // mostly zero, deep down
	}
	switch t {
	case timeType:
		v.Set(reflect.ValueOf(g.time()))
		return
	case rawType:
		if g.r.IntN(5) > 0 {
			v.SetBytes([]byte(genRaws[g.r.IntN(len(genRaws))]))
		}
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		if g.r.IntN(5) > 0 {
			p := reflect.New(t.Elem())
			g.fill(p.Elem(), depth+1)
			v.Set(p)
		}
	case reflect.Interface:
		if t.NumMethod() == 0 && g.r.IntN(5) > 0 {
			if x := g.anyValue(depth + 1); x.IsValid() {
				v.Set(x)
			}
		}
	case reflect.String:
		v.SetString(g.str())
	case reflect.Bool:
		v.SetBool(g.r.IntN(2) == 0)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		switch g.r.IntN(4) {
		case 0:
		case 1:
			v.SetInt(int64(g.r.IntN(100)) - 50)
		default:
			v.SetInt(int64(g.r.Uint64()) >> (64 - t.Bits())) // may overflow narrower kinds: wraps
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if g.r.IntN(4) > 0 {
			v.SetUint(g.r.Uint64() >> (64 - t.Bits()))
		}
	case reflect.Float32, reflect.Float64:
		v.SetFloat(g.float())
	case reflect.Complex64, reflect.Complex128:
		v.SetComplex(complex(g.float(), 1))
	case reflect.Slice:
		if g.r.IntN(6) == 0 {
			return // nil
		}
		n := g.r.IntN(g.maxLen + 1)
		if g.r.IntN(40) == 0 {
			n = 95 + g.r.IntN(15) // around the ARN walk's limit
		}
		s := reflect.MakeSlice(t, n, n)
		for i := range n {
			g.fill(s.Index(i), depth+1)
		}
		v.Set(s)
	case reflect.Array:
		for i := range v.Len() {
			g.fill(v.Index(i), depth+1)
		}
	case reflect.Map:
		if g.r.IntN(5) == 0 {
			return
		}
		m := reflect.MakeMap(t)
		for range g.r.IntN(g.maxLen + 1) {
			k, e := g.value(t.Key(), depth+1), g.value(t.Elem(), depth+1)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Struct:
		for i := range t.NumField() {
			if t.Field(i).IsExported() && g.r.IntN(6) > 0 {
				g.fill(v.Field(i), depth+1)
			}
		}
	}
}

// anyValue is a random dynamic value for an interface: what the gateway decodes
// into `any` members, and a few stranger things.
func (g *valueGen) anyValue(depth int) reflect.Value {
	types := []reflect.Type{
		reflect.TypeFor[string](), reflect.TypeFor[float64](), reflect.TypeFor[bool](),
		reflect.TypeFor[map[string]any](), reflect.TypeFor[[]any](), reflect.TypeFor[int64](),
		reflect.TypeFor[json.RawMessage](), reflect.TypeFor[*string](), reflect.TypeFor[time.Time](),
		reflect.TypeFor[[]byte](), reflect.TypeFor[edgeInner](), reflect.TypeFor[*edgeInner](),
		reflect.TypeFor[[]string](), reflect.TypeFor[[]float64](),
	}
	if depth > 6 {
		types = types[:3]
	}
	return g.value(types[g.r.IntN(len(types))], depth)
}

// call is a random API call carrying in and out.
func (g *valueGen) call(in, out any) awsapi.Call {
	principals := []*awsapi.Principal{
		nil, rootP, aliceP, roleP,
		{ARN: "ecs-tasks.amazonaws.com"},
		{AccountID: "", ARN: "arn:aws:sts::111122223333:assumed-role/only-role", UserID: "AROAX"},
		{AccountID: "111122223333", ARN: "arn:aws:iam::111122223333:user/<b>&\u2028", UserID: "AIDA\"X", AccessKeyID: "AKIA\xff"},
		{ARN: "not-an-arn", UserID: "u"},
	}
	services := []string{"ssm", "kms", "ecs", "logs", "monitoring", "cloudtrail", "s<s>", "\xe2\x80"}
	c := awsapi.Call{
		Service:   services[g.r.IntN(len(services))],
		Operation: g.str(),
		Region:    []string{"", "us-east-1", "eu-west-1", g.str()}[g.r.IntN(4)],
		RequestID: g.str(),
		Principal: principals[g.r.IntN(len(principals))],
		SourceIP:  g.str(),
		UserAgent: g.str(),
		Input:     in,
		Output:    out,
		ReadOnly:  g.r.IntN(3) == 0,
	}
	if g.r.IntN(3) > 0 {
		c.Time = g.time()
	}
	if g.r.IntN(4) == 0 {
		c.Err = &awsapi.Error{Code: []string{"", "AccessDeniedException"}[g.r.IntN(2)], Message: g.str()}
	}
	return c
}
