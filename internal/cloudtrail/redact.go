package cloudtrail

import (
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// Hidden replaces every member tagged `sensitive:"true"`, as AWS does.
const Hidden = "HIDDEN_DUE_TO_SECURITY_REASONS"

const maxRedactDepth = 32

var (
	timeType = reflect.TypeFor[time.Time]()
	rawType  = reflect.TypeFor[json.RawMessage]()
)

// redactedJSON renders an operation's input or output as CloudTrail's
// requestParameters/responseElements (see appendRedacted).
func redactedJSON(v any) json.RawMessage {
	return appendRedacted(nil, v)
}

// appendRedacted appends v rendered as CloudTrail's requestParameters or
// responseElements: member names from json tags with a lower-case first letter,
// sensitive members replaced by Hidden, blobs left out, absent members omitted, members
// and map keys in sorted order, strings escaped as encoding/json escapes them (HTML
// characters included). An empty structure, and a value that renders as nothing, is null.
//
// It writes while it walks v, by per-type plans (see planOf); the bytes are those the
// original implementation produced by building a map[string]any tree and marshalling it
// (redactedJSONOld in the tests, which compare the two on generated values).
func appendRedacted(buf []byte, v any) []byte {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() {
		return append(buf, "null"...)
	}
	start := len(buf)
	buf, st := appendValue(buf, rv, planOf(rv.Type()), 0)
	if st == omitted || st == emptyObject {
		buf = append(buf[:start], "null"...)
	}
	return buf
}

// status says what appendValue wrote.
type status uint8

const (
	wrote       status = iota // a JSON value
	omitted                   // nothing: the value is left out (null in a list or map)
	emptyObject               // {} from a structure or a map
)

// planKind is what the encoder does with a value of a type.
type planKind uint8

const (
	kOmit   planKind = iota // nothing: blobs, functions, channels, complex numbers, maps not keyed by strings
	kPtr                    // the element, or nothing for nil
	kIface                  // the dynamic value, or nothing for nil
	kString                 // a string
	kBool                   // true or false
	kInt                    // a signed integer
	kUint                   // an unsigned integer
	kFloat                  // a number; NaN and infinities as strings
	kTime                   // an ISO 8601 string, in UTC, to the second
	kRaw                    // json.RawMessage as it is (compacted) when valid, else nothing
	kSlice                  // a list, or nothing for nil
	kArray                  // a list
	kMap                    // an object with sorted keys, or nothing for nil
	kStruct                 // an object of the members
)

// plan is what the encoder and the ARN walk know about a type, computed once.
type plan struct {
	kind   planKind
	elem   *plan       // kPtr, kSlice, kArray, kMap: the element's (the value's) plan
	fields []fieldPlan // kStruct: members sorted by name, duplicates last field first

	// mayARN: a value of the type may hold a string the ARN walk looks at.
	mayARN bool
	// arnFields: kStruct: the fields the ARN walk visits, in declaration order.
	arnFields []arnField
}

// fieldPlan is one member of a structure.
type fieldPlan struct {
	index     int
	name      string // the member name: the json name (else the field's) with a lower-case first letter
	key       []byte // the encoded name and the colon
	sensitive bool
	skip      skipRule
	plan      *plan // nil for a sensitive member
	// last: no later entry of fields has this name. Members of the same name (a
	// duplicate json name) are one key; the last field that has a value wins.
	last bool
}

// skipRule says when a member is absent.
type skipRule uint8

const (
	skipNever skipRule = iota
	skipNil            // a nil pointer, interface, slice or map
	skipZero           // omitempty: the zero value
)

// arnField is a field the ARN walk visits.
type arnField struct {
	index  int
	isName bool // the json name (else the field's) is Name or Names
	plan   *plan
}

var (
	plans  sync.Map   // reflect.Type → *plan, complete plans only
	planMu sync.Mutex // serializes building
)

// planOf returns the plan of t, building (once) the plans of every type it reaches.
func planOf(t reflect.Type) *plan {
	if p, ok := plans.Load(t); ok {
		return p.(*plan)
	}
	planMu.Lock()
	defer planMu.Unlock()
	if p, ok := plans.Load(t); ok {
		return p.(*plan)
	}
	b := planBuilder{building: map[reflect.Type]*plan{}}
	p := b.build(t)
	b.resolveARNs()
	// Published only when complete, so that readers never see a plan half built.
	for t, p := range b.building {
		plans.Store(t, p)
	}
	return p
}

// planBuilder builds the plans of types not yet cached; building is the set in
// progress, which makes recursive types terminate.
type planBuilder struct {
	building map[reflect.Type]*plan
	order    []*plan
}

func (b *planBuilder) build(t reflect.Type) *plan {
	if p, ok := plans.Load(t); ok {
		return p.(*plan)
	}
	if p, ok := b.building[t]; ok {
		return p
	}
	p := &plan{}
	b.building[t] = p
	b.order = append(b.order, p)
	switch {
	case t == timeType:
		p.kind = kTime
		return p
	case t == rawType:
		p.kind = kRaw
		return p
	}
	switch t.Kind() {
	case reflect.Pointer:
		p.kind, p.elem = kPtr, b.build(t.Elem())
	case reflect.Interface:
		p.kind = kIface
	case reflect.String:
		p.kind = kString
	case reflect.Bool:
		p.kind = kBool
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		p.kind = kInt
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		p.kind = kUint
	case reflect.Float32, reflect.Float64:
		p.kind = kFloat
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			p.kind = kOmit // blobs: ciphertexts, key material, plaintexts
			break
		}
		p.kind = kArray
		if t.Kind() == reflect.Slice {
			p.kind = kSlice
		}
		p.elem = b.build(t.Elem())
	case reflect.Map:
		if t.Key().Kind() == reflect.String {
			p.kind, p.elem = kMap, b.build(t.Elem())
		}
	case reflect.Struct:
		p.kind = kStruct
		b.buildStruct(p, t)
	}
	return p
}

func (b *planBuilder) buildStruct(p *plan, t reflect.Type) {
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		sensitive := f.Tag.Get("sensitive") == "true"
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		var fp *plan
		if !sensitive {
			fp = b.build(f.Type)
			// The ARN walk visits json:"-" members too.
			walkName := name
			if walkName == "" {
				walkName = f.Name
			}
			p.arnFields = append(p.arnFields, arnField{index: i, isName: walkName == "Name" || walkName == "Names", plan: fp})
		}
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		m := fieldPlan{index: i, name: lowerFirst(name), sensitive: sensitive, plan: fp}
		m.key = append(appendString(nil, m.name), ':')
		switch f.Type.Kind() {
		case reflect.Pointer, reflect.Interface, reflect.Slice, reflect.Map:
			m.skip = skipNil
		default:
			if strings.Contains(opts, "omitempty") {
				m.skip = skipZero
			}
		}
		p.fields = append(p.fields, m)
	}
	// Sorted as encoding/json sorts a map's keys; of members with the same name, the
	// last field first.
	slices.SortStableFunc(p.fields, func(a, b fieldPlan) int {
		if c := strings.Compare(a.name, b.name); c != 0 {
			return c
		}
		return b.index - a.index
	})
	for i := range p.fields {
		p.fields[i].last = i == len(p.fields)-1 || p.fields[i+1].name != p.fields[i].name
	}
}

// resolveARNs computes mayARN of the new plans (the least fixed point: a type may hold
// an ARN when it is a string or an interface, or reaches one) and drops the fields
// that cannot.
func (b *planBuilder) resolveARNs() {
	for changed := true; changed; {
		changed = false
		for _, p := range b.order {
			if !p.mayARN && p.reachesARN() {
				p.mayARN, changed = true, true
			}
		}
	}
	for _, p := range b.order {
		p.arnFields = slices.DeleteFunc(p.arnFields, func(f arnField) bool { return !f.plan.mayARN })
		if len(p.arnFields) == 0 {
			p.arnFields = nil
		}
	}
}

func (p *plan) reachesARN() bool {
	switch p.kind {
	case kString, kIface:
		return true
	case kPtr, kSlice, kArray:
		return p.elem.mayARN
	case kStruct:
		for _, f := range p.arnFields {
			if f.plan.mayARN {
				return true
			}
		}
	}
	return false
}

// appendValue appends the rendering of v, a value of p's type.
func appendValue(buf []byte, v reflect.Value, p *plan, depth int) ([]byte, status) {
	if depth > maxRedactDepth {
		return buf, omitted
	}
	for p.kind == kPtr || p.kind == kIface {
		if v.IsNil() {
			return buf, omitted
		}
		v = v.Elem()
		if p.kind == kPtr {
			p = p.elem
		} else {
			p = planOf(v.Type())
		}
	}
	switch p.kind {
	case kString:
		return appendString(buf, v.String()), wrote
	case kBool:
		return strconv.AppendBool(buf, v.Bool()), wrote
	case kInt:
		return strconv.AppendInt(buf, v.Int(), 10), wrote
	case kUint:
		return strconv.AppendUint(buf, v.Uint(), 10), wrote
	case kFloat:
		return appendFloat(buf, v.Float()), wrote
	case kTime:
		t, _ := reflect.TypeAssert[time.Time](v)
		buf = append(buf, '"')
		buf = appendTime(buf, t)
		return append(buf, '"'), wrote
	case kRaw:
		raw := v.Bytes()
		if !json.Valid(raw) {
			return buf, omitted
		}
		// As encoding/json writes a RawMessage: compacted, HTML characters escaped.
		b, err := json.Marshal(json.RawMessage(raw))
		if err != nil {
			return buf, omitted
		}
		return append(buf, b...), wrote
	case kSlice:
		if v.IsNil() {
			return buf, omitted
		}
		return appendList(buf, v, p.elem, depth), wrote
	case kArray:
		return appendList(buf, v, p.elem, depth), wrote
	case kMap:
		if v.IsNil() {
			return buf, omitted
		}
		return appendMap(buf, v, p.elem, depth)
	case kStruct:
		return appendStruct(buf, v, p, depth)
	}
	return buf, omitted
}

// appendList appends a list; elements that render as nothing are null.
func appendList(buf []byte, v reflect.Value, elem *plan, depth int) []byte {
	buf = append(buf, '[')
	if elem.kind == kFloat && depth < maxRedactDepth {
		// The common list of numbers (CloudWatch's Values and Counts), without a
		// reflect call per element.
		if fs, ok := reflect.TypeAssert[[]float64](v); ok {
			for i, f := range fs {
				if i > 0 {
					buf = append(buf, ',')
				}
				buf = appendFloat(buf, f)
			}
			return append(buf, ']')
		}
	}
	for i := range v.Len() {
		if i > 0 {
			buf = append(buf, ',')
		}
		var st status
		if buf, st = appendValue(buf, v.Index(i), elem, depth+1); st == omitted {
			buf = append(buf, "null"...)
		}
	}
	return append(buf, ']')
}

// mapEntry is a key of a map being encoded and the index of its value.
type mapEntry struct {
	key string
	i   int
}

// appendMap appends a map keyed by strings, keys sorted; values that render as nothing
// are null.
func appendMap(buf []byte, v reflect.Value, elem *plan, depth int) ([]byte, status) {
	n := v.Len()
	if n == 0 {
		return append(buf, '{', '}'), emptyObject
	}
	t := v.Type()
	entries := make([]mapEntry, 0, n)
	vals := reflect.MakeSlice(reflect.SliceOf(t.Elem()), n, n)
	key := reflect.New(t.Key()).Elem()
	for it := v.MapRange(); len(entries) < n && it.Next(); {
		key.SetIterKey(it)
		vals.Index(len(entries)).SetIterValue(it)
		entries = append(entries, mapEntry{key.String(), len(entries)})
	}
	slices.SortFunc(entries, func(a, b mapEntry) int { return strings.Compare(a.key, b.key) })
	buf = append(buf, '{')
	for j, e := range entries {
		if j > 0 {
			buf = append(buf, ',')
		}
		buf = appendString(buf, e.key)
		buf = append(buf, ':')
		var st status
		if buf, st = appendValue(buf, vals.Index(e.i), elem, depth+1); st == omitted {
			buf = append(buf, "null"...)
		}
	}
	return append(buf, '}'), wrote
}

// appendStruct appends the members of a structure that have a value.
func appendStruct(buf []byte, v reflect.Value, p *plan, depth int) ([]byte, status) {
	buf = append(buf, '{')
	start := len(buf)
	fields := p.fields
	for i := 0; i < len(fields); i++ {
		f := &fields[i]
		fv := v.Field(f.index)
		switch f.skip {
		case skipNil:
			if fv.IsNil() {
				continue
			}
		case skipZero:
			if fv.IsZero() {
				continue
			}
		}
		mark := len(buf)
		if mark > start {
			buf = append(buf, ',')
		}
		buf = append(buf, f.key...)
		if f.sensitive {
			buf = append(buf, `"`+Hidden+`"`...)
		} else {
			var st status
			if buf, st = appendValue(buf, fv, f.plan, depth+1); st == omitted {
				buf = buf[:mark]
				continue
			}
		}
		for !fields[i].last { // this member has its value: skip its namesakes
			i++
		}
	}
	if len(buf) == start {
		return append(buf, '}'), emptyObject
	}
	return append(buf, '}'), wrote
}

// appendFloat appends f as encoding/json writes a float64, and NaN and the infinities
// as the strings "NaN", "+Inf" and "-Inf".
func appendFloat(buf []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		buf = append(buf, '"')
		buf = strconv.AppendFloat(buf, f, 'g', -1, 64)
		return append(buf, '"')
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	buf = strconv.AppendFloat(buf, f, format, -1, 64)
	if format == 'e' {
		// e-09 → e-9, as encoding/json does.
		n := len(buf)
		if n >= 4 && buf[n-4] == 'e' && buf[n-3] == '-' && buf[n-2] == '0' {
			buf[n-2] = buf[n-1]
			buf = buf[:n-1]
		}
	}
	return buf
}

// appendTime appends t in UTC as iso8601 formats it ("2006-01-02T15:04:05Z"), without
// the layout interpretation of time.Format for the years 0-9999.
func appendTime(buf []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(buf, "2006-01-02T15:04:05Z")
	}
	hour, minute, sec := t.Clock()
	return append(buf,
		byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-',
		byte('0'+int(month)/10), byte('0'+int(month)%10), '-', byte('0'+day/10), byte('0'+day%10), 'T',
		byte('0'+hour/10), byte('0'+hour%10), ':', byte('0'+minute/10), byte('0'+minute%10), ':',
		byte('0'+sec/10), byte('0'+sec%10), 'Z')
}

// safeASCII holds the ASCII bytes encoding/json writes as they are in a string, with
// HTML escaping on: not control characters, ", \, <, > and &.
var safeASCII = func() (t [utf8.RuneSelf]bool) {
	for b := ' '; b < utf8.RuneSelf; b++ {
		t[b] = true
	}
	for _, b := range `"\<>&` {
		t[b] = false
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string, escaped exactly as json.Marshal escapes it.
func appendString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	buf = appendStringBody(buf, s)
	return append(buf, '"')
}

// appendStringBody appends the escaped characters of s, without the quotes.
func appendStringBody(buf []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if safeASCII[b] {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch b {
			case '\\', '"':
				buf = append(buf, '\\', b)
			case '\b':
				buf = append(buf, '\\', 'b')
			case '\f':
				buf = append(buf, '\\', 'f')
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(buf, s[start:]...)
}

// lowerFirst lower-cases the first letter: "WithDecryption" → "withDecryption".
func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError || unicode.IsLower(r) {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}
