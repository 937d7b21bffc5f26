package gateway

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// maxDepth bounds the nesting of decoded inputs and encoded outputs, so a hostile body
// or a cyclic output cannot exhaust the stack.
const maxDepth = 100

// kind classifies a Go type as the Smithy shape it stands for.
type kind int

const (
	kInvalid  kind = iota
	kString        // string and named string types (enums)
	kBool          // bool
	kInt           // signed integers
	kUint          // unsigned integers
	kFloat         // float32, float64
	kTime          // time.Time (timestamp)
	kBlob          // []byte (blob)
	kList          // other slices
	kMap           // maps with string keys
	kStruct        // structures
	kDocument      // any (document, passed through)
	kRawJSON       // json.RawMessage (document kept as JSON text)
)

var (
	timeType = reflect.TypeFor[time.Time]()
	rawType  = reflect.TypeFor[json.RawMessage]()
)

// kindOf classifies t, which must not be a pointer.
func kindOf(t reflect.Type) kind {
	switch t {
	case timeType:
		return kTime
	case rawType:
		return kRawJSON
	}
	switch t.Kind() {
	case reflect.String:
		return kString
	case reflect.Bool:
		return kBool
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return kInt
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return kUint
	case reflect.Float32, reflect.Float64:
		return kFloat
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return kBlob
		}
		return kList
	case reflect.Map:
		if t.Key().Kind() == reflect.String {
			return kMap
		}
	case reflect.Struct:
		return kStruct
	case reflect.Interface:
		if t.NumMethod() == 0 {
			return kDocument
		}
	}
	return kInvalid
}

// fieldInfo describes one member of a structure.
type fieldInfo struct {
	name      string // wire name, from the json tag or the Go field name
	index     []int
	typ       reflect.Type
	omitEmpty bool // json ",omitempty"
	omitZero  bool // json ",omitzero"
	// location and locationName bind restJson1 members to the URI ("uri"), the query
	// string ("querystring") or a header ("header") instead of the body.
	location     string
	locationName string
	// timeFormat is the member's timestampFormat tag: "epoch-seconds", "date-time" or
	// "http-date"; empty means the protocol's default.
	timeFormat string
}

// structInfo lists the members of a structure type in declaration order.
type structInfo struct {
	fields []fieldInfo
	byName map[string]int
	dups   []string // wire names claimed twice; reported by checkType
}

var structCache sync.Map // reflect.Type → *structInfo

// structOf returns the cached member list of struct type t.
func structOf(t reflect.Type) *structInfo {
	if v, ok := structCache.Load(t); ok {
		return v.(*structInfo)
	}
	info := &structInfo{byName: map[string]int{}}
	collectFields(t, nil, info)
	v, _ := structCache.LoadOrStore(t, info)
	return v.(*structInfo)
}

// collectFields appends the members of t (at index prefix) to info; the members of
// embedded structs without a json name are promoted, outer members winning.
func collectFields(t reflect.Type, prefix []int, info *structInfo) {
	var embedded []reflect.StructField
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag, hasTag := sf.Tag.Lookup("json")
		location := sf.Tag.Get("location")
		if tag == "-" {
			if location == "" {
				continue
			}
			tag = "" // bound to the URI, query or a header only
		}
		name, opts, _ := strings.Cut(tag, ",")
		if sf.Anonymous && name == "" && sf.Type.Kind() == reflect.Struct && sf.Type != timeType {
			embedded = append(embedded, sf)
			continue
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		f := fieldInfo{
			name:         name,
			index:        append(append([]int(nil), prefix...), i),
			typ:          sf.Type,
			location:     location,
			locationName: sf.Tag.Get("locationName"),
			timeFormat:   sf.Tag.Get("timestampFormat"),
		}
		if hasTag {
			for _, o := range strings.Split(opts, ",") {
				switch o {
				case "omitempty":
					f.omitEmpty = true
				case "omitzero":
					f.omitZero = true
				}
			}
		}
		if f.locationName == "" {
			f.locationName = name
		}
		if _, dup := info.byName[name]; dup {
			info.dups = append(info.dups, name)
			continue
		}
		info.byName[name] = len(info.fields)
		info.fields = append(info.fields, f)
	}
	for _, sf := range embedded {
		sub := &structInfo{byName: map[string]int{}}
		collectFields(sf.Type, append(append([]int(nil), prefix...), sf.Index...), sub)
		info.dups = append(info.dups, sub.dups...)
		for _, f := range sub.fields {
			if _, shadowed := info.byName[f.name]; shadowed {
				continue
			}
			info.byName[f.name] = len(info.fields)
			info.fields = append(info.fields, f)
		}
	}
}

// checkType reports the first member of t whose Go type the codecs cannot carry.
func checkType(t reflect.Type) error {
	return checkTypeAt(t, "", map[reflect.Type]bool{})
}

func checkTypeAt(t reflect.Type, path string, seen map[reflect.Type]bool) error {
	where := func() string {
		if path == "" {
			return t.String()
		}
		return fmt.Sprintf("member %q (%s)", path, t)
	}
	if t.Kind() == reflect.Pointer {
		if t.Elem().Kind() == reflect.Pointer || t.Elem().Kind() == reflect.Interface {
			return fmt.Errorf("%s: pointer to %s is not supported", where(), t.Elem().Kind())
		}
		t = t.Elem()
	}
	switch kindOf(t) {
	case kInvalid:
		return fmt.Errorf("%s: unsupported Go type", where())
	case kList:
		return checkTypeAt(t.Elem(), path+"[]", seen)
	case kMap:
		return checkTypeAt(t.Elem(), path+"{}", seen)
	case kStruct:
		if seen[t] {
			return nil
		}
		seen[t] = true
		info := structOf(t)
		if len(info.dups) > 0 {
			return fmt.Errorf("%s: member name %q used twice", where(), info.dups[0])
		}
		for _, f := range info.fields {
			switch f.location {
			case "", "uri", "querystring", "header":
			default:
				return fmt.Errorf("%s: unknown location %q on member %q", where(), f.location, f.name)
			}
			if err := checkTypeAt(f.typ, joinPath(path, f.name), seen); err != nil {
				return err
			}
		}
	}
	return nil
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// decodeError is an input that does not fit the operation's input type.
type decodeError struct {
	path string // member path, e.g. "tags[0].key"; empty for the top level
	msg  string
}

func (e *decodeError) Error() string {
	if e.path == "" {
		return e.msg
	}
	return fmt.Sprintf("field %q: %s", e.path, e.msg)
}

// decoder fills typed inputs from generic value trees: map[string]any, []any, string,
// json.Number, float64, bool, time.Time, []byte and nil.
type decoder struct {
	// strs: scalars arrive as strings (awsQuery forms, restJson1 URI/query/header bindings).
	strs bool
}

// describe names the generic type of v for error messages.
func describe(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case json.Number, float64:
		return "number"
	case bool:
		return "boolean"
	case map[string]any:
		return "structure"
	case []any:
		return "list"
	case time.Time:
		return "timestamp"
	case []byte:
		return "blob"
	}
	return fmt.Sprintf("%T", v)
}

// decode sets dst (settable) from the generic value v.
func (d decoder) decode(v any, dst reflect.Value, path string, depth int) error {
	if depth > maxDepth {
		return &decodeError{path, fmt.Sprintf("nesting exceeds %d levels", maxDepth)}
	}
	if v == nil {
		return nil // absent: leave the zero value
	}
	t := dst.Type()
	if t.Kind() == reflect.Pointer {
		p := reflect.New(t.Elem())
		if err := d.decode(v, p.Elem(), path, depth); err != nil {
			return err
		}
		dst.Set(p)
		return nil
	}
	mismatch := func(want string) error {
		if s, ok := v.(string); ok && d.strs {
			return &decodeError{path, fmt.Sprintf("expected %s, got %q", want, truncate(s))}
		}
		return &decodeError{path, fmt.Sprintf("expected %s, got %s", want, describe(v))}
	}
	switch kindOf(t) {
	case kString:
		s, ok := v.(string)
		if !ok {
			return mismatch("string")
		}
		dst.SetString(s)
	case kBool:
		switch b := v.(type) {
		case bool:
			dst.SetBool(b)
		case string:
			if !d.strs {
				return mismatch("boolean")
			}
			switch strings.ToLower(b) {
			case "true":
				dst.SetBool(true)
			case "false":
				dst.SetBool(false)
			default:
				return mismatch("boolean")
			}
		default:
			return mismatch("boolean")
		}
	case kInt:
		n, err := d.integer(v, t.Bits(), false)
		if err != "" {
			if err == "type" {
				return mismatch("integer")
			}
			return &decodeError{path, err}
		}
		dst.SetInt(int64(n))
	case kUint:
		n, err := d.integer(v, t.Bits(), true)
		if err != "" {
			if err == "type" {
				return mismatch("non-negative integer")
			}
			return &decodeError{path, err}
		}
		dst.SetUint(n)
	case kFloat:
		f, ok := d.float(v)
		if !ok {
			return mismatch("number")
		}
		if t.Kind() == reflect.Float32 && !math.IsInf(f, 0) && math.Abs(f) > math.MaxFloat32 {
			return &decodeError{path, fmt.Sprintf("value %g out of range for a float", f)}
		}
		dst.SetFloat(f)
	case kTime:
		tm, ok := d.time(v)
		if !ok {
			return mismatch("timestamp")
		}
		dst.Set(reflect.ValueOf(tm))
	case kBlob:
		switch b := v.(type) {
		case []byte:
			dst.SetBytes(append([]byte{}, b...))
		case string:
			raw, err := decodeBase64(b)
			if err != nil {
				return &decodeError{path, "expected base64-encoded blob: " + err.Error()}
			}
			dst.SetBytes(raw)
		default:
			return mismatch("blob")
		}
	case kDocument:
		dst.Set(reflect.ValueOf(v))
	case kRawJSON:
		if s, ok := v.(string); ok && d.strs {
			if !json.Valid([]byte(s)) {
				return &decodeError{path, "expected a JSON document"}
			}
			dst.SetBytes([]byte(s))
			return nil
		}
		raw, err := json.Marshal(v)
		if err != nil {
			return &decodeError{path, "document cannot be represented as JSON: " + err.Error()}
		}
		dst.SetBytes(raw)
	case kList:
		items, ok := v.([]any)
		if !ok {
			return mismatch("list")
		}
		s := reflect.MakeSlice(t, len(items), len(items))
		for i, item := range items {
			if err := d.decode(item, s.Index(i), path+"["+strconv.Itoa(i)+"]", depth+1); err != nil {
				return err
			}
		}
		dst.Set(s)
	case kMap:
		m, ok := v.(map[string]any)
		if !ok {
			return mismatch("map")
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out := reflect.MakeMapWithSize(t, len(m))
		for _, k := range keys {
			ev := reflect.New(t.Elem()).Elem()
			if err := d.decode(m[k], ev, path+"["+strconv.Quote(k)+"]", depth+1); err != nil {
				return err
			}
			out.SetMapIndex(reflect.ValueOf(k).Convert(t.Key()), ev)
		}
		dst.Set(out)
	case kStruct:
		m, ok := v.(map[string]any)
		if !ok {
			return mismatch("structure")
		}
		return d.decodeStruct(m, dst, path, depth)
	default:
		return &decodeError{path, fmt.Sprintf("unsupported Go type %s", t)}
	}
	return nil
}

// decodeStruct sets the body members of struct dst from m; unknown members are
// ignored, as AWS ignores them, and members bound to the URI, query or headers are
// not read from the body.
func (d decoder) decodeStruct(m map[string]any, dst reflect.Value, path string, depth int) error {
	for _, f := range structOf(dst.Type()).fields {
		if f.location != "" {
			continue
		}
		fv, ok := m[f.name]
		if !ok {
			continue
		}
		if err := d.decode(fv, dst.FieldByIndex(f.index), joinPath(path, f.name), depth+1); err != nil {
			return err
		}
	}
	return nil
}

// integer converts v to an integer of the given size. The error is "type" for a
// mismatched type, or a message.
func (d decoder) integer(v any, bits int, unsigned bool) (uint64, string) {
	var s string
	switch n := v.(type) {
	case json.Number:
		s = string(n)
	case string:
		if !d.strs {
			return 0, "type"
		}
		s = strings.TrimSpace(n)
	case float64:
		if n != math.Trunc(n) || math.IsInf(n, 0) {
			return 0, fmt.Sprintf("expected integer, got %g", n)
		}
		s = strconv.FormatFloat(n, 'f', -1, 64)
	default:
		return 0, "type"
	}
	if unsigned {
		u, err := strconv.ParseUint(s, 10, bits)
		if err == nil {
			return u, ""
		}
		if f, ferr := strconv.ParseFloat(s, 64); ferr == nil && f == math.Trunc(f) && f >= 0 && f < math.Ldexp(1, bits) {
			return uint64(f), ""
		}
		return 0, integerError(s, bits, "unsigned integer")
	}
	i, err := strconv.ParseInt(s, 10, bits)
	if err == nil {
		return uint64(i), ""
	}
	limit := math.Ldexp(1, bits-1)
	if f, ferr := strconv.ParseFloat(s, 64); ferr == nil && f == math.Trunc(f) && f >= -limit && f < limit {
		return uint64(int64(f)), ""
	}
	return 0, integerError(s, bits, "integer")
}

func integerError(s string, bits int, what string) string {
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		if strings.ContainsAny(s, ".eE") {
			return fmt.Sprintf("expected %s, got %s", what, truncate(s))
		}
		return fmt.Sprintf("value %s out of range for a %d-bit %s", truncate(s), bits, what)
	}
	return fmt.Sprintf("expected %s, got %q", what, truncate(s))
}

// float converts v to a float64; JSON's "NaN", "Infinity" and "-Infinity" strings
// are accepted, as Smithy sends them.
func (d decoder) float(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case json.Number:
		f, err := strconv.ParseFloat(string(n), 64)
		return f, err == nil
	case string:
		switch n {
		case "NaN":
			return math.NaN(), true
		case "Infinity":
			return math.Inf(1), true
		case "-Infinity":
			return math.Inf(-1), true
		}
		if d.strs {
			f, err := strconv.ParseFloat(strings.TrimSpace(n), 64)
			return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
		}
	}
	return 0, false
}

// time converts v to a timestamp: a time, epoch seconds, or (leniently, in every
// protocol) an ISO 8601 or HTTP date string.
func (d decoder) time(v any) (time.Time, bool) {
	switch t := v.(type) {
	case time.Time:
		return t, true
	case json.Number:
		return parseEpoch(string(t))
	case float64:
		return epochFloat(t)
	case string:
		return parseTimeString(t)
	}
	return time.Time{}, false
}

// maxEpoch keeps timestamps within the years 0001 to 9999.
const maxEpoch = 253402300799

// parseEpoch reads decimal epoch seconds exactly, down to nanoseconds.
func parseEpoch(s string) (time.Time, bool) {
	if strings.ContainsAny(s, "eE") {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return time.Time{}, false
		}
		return epochFloat(f)
	}
	neg := strings.HasPrefix(s, "-")
	whole, frac, _ := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	sec, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || sec > maxEpoch {
		return time.Time{}, false
	}
	var nsec int64
	if frac != "" {
		if len(frac) > 9 {
			frac = frac[:9]
		}
		n, err := strconv.ParseUint(frac, 10, 64)
		if err != nil {
			return time.Time{}, false
		}
		nsec = int64(n) * int64(math.Pow10(9-len(frac)))
	}
	if neg {
		sec, nsec = -sec, -nsec
	}
	return time.Unix(sec, nsec).UTC(), true
}

func epochFloat(f float64) (time.Time, bool) {
	if math.IsNaN(f) || math.Abs(f) > maxEpoch {
		return time.Time{}, false
	}
	// A float64 holds today's epoch seconds to about 0.2 µs, so round to microseconds:
	// 1704164645.678 is .678 exactly, not .678000020.
	sec := math.Floor(f)
	usec := math.Round((f - sec) * 1e6)
	return time.Unix(int64(sec), int64(usec)*1000).UTC(), true
}

func parseTimeString(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", http.TimeFormat, time.RFC1123Z} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	if s != "" && strings.Trim(s, "0123456789.-") == "" {
		return parseEpoch(s)
	}
	return time.Time{}, false
}

func decodeBase64(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		if b2, err2 := base64.RawStdEncoding.DecodeString(s); err2 == nil {
			return b2, nil
		}
		return nil, err
	}
	return b, nil
}

// truncate shortens s for an error message.
func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// omit reports whether an output member is left out: nil pointers, slices, maps and
// documents always (absent in Smithy); zero values when the json tag says omitempty
// (but a non-nil empty list or map is sent) or omitzero.
func omit(f *fieldInfo, v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Slice, reflect.Map:
		if v.IsNil() {
			return true
		}
	}
	if f.omitZero && v.IsZero() {
		return true
	}
	if !f.omitEmpty {
		return false
	}
	switch v.Kind() {
	case reflect.String:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return v.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	case reflect.Struct:
		return v.Type() == timeType && v.Interface().(time.Time).IsZero()
	}
	return false
}

// epochSeconds formats t as epoch seconds with at most millisecond precision.
func epochSeconds(t time.Time) string {
	return strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', -1, 64)
}

// iso8601 formats t as AWS does in XML and date-time members.
func iso8601(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// formatFloat formats a finite float as a JSON/XML number; non-finite values use
// Smithy's "NaN", "Infinity" and "-Infinity".
func formatFloat(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	abs := math.Abs(f)
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		return strconv.FormatFloat(f, 'e', -1, bits)
	}
	return strconv.FormatFloat(f, 'f', -1, bits)
}

// outputValue returns the struct value an operation returned, or ok=false for an
// empty output (nil or a nil pointer).
func outputValue(out any) (reflect.Value, bool, error) {
	if out == nil {
		return reflect.Value{}, false, nil
	}
	v := reflect.ValueOf(out)
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return reflect.Value{}, false, nil
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return reflect.Value{}, false, fmt.Errorf("operation output is %T, not a struct", out)
	}
	return v, true, nil
}
