package gateway

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/wharf-dev/wharf/internal/awsapi"
)

// decodeCBORInput decodes an rpcv2Cbor request body into in (a pointer to the input
// struct). An empty body is an empty input.
func decodeCBORInput(body []byte, in reflect.Value) error {
	if len(body) == 0 {
		return nil
	}
	v, err := safeCBORDecode(body)
	if err != nil {
		return &decodeError{msg: "malformed CBOR: " + err.Error()}
	}
	tree, err := cborTree(v, "", 0)
	if err != nil {
		return err
	}
	switch m := tree.(type) {
	case map[string]any:
		return decoder{}.decodeStruct(m, in.Elem(), "", 0)
	case nil:
		return nil
	default:
		return &decodeError{msg: fmt.Sprintf("expected a CBOR map at the top level, got %s", describe(tree))}
	}
}

// safeCBORDecode runs the smithy decoder, turning a panic on hostile input into an error.
func safeCBORDecode(body []byte) (v cbor.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, fmt.Errorf("invalid encoding (%v)", r)
		}
	}()
	return cbor.Decode(body)
}

// cborTree converts a decoded CBOR value into the generic tree the decoder reads.
// Integers become json.Number so that every size can be range-checked exactly; tag 1
// becomes a time.Time.
func cborTree(v cbor.Value, path string, depth int) (any, error) {
	if depth > maxDepth {
		return nil, &decodeError{path, fmt.Sprintf("nesting exceeds %d levels", maxDepth)}
	}
	switch x := v.(type) {
	case cbor.Uint:
		return json.Number(strconv.FormatUint(uint64(x), 10)), nil
	case cbor.NegInt:
		if x == 0 {
			return json.Number("-18446744073709551616"), nil
		}
		return json.Number("-" + strconv.FormatUint(uint64(x), 10)), nil
	case cbor.Slice:
		return []byte(x), nil
	case cbor.String:
		return string(x), nil
	case cbor.Bool:
		return bool(x), nil
	case cbor.Float32:
		return float64(x), nil
	case cbor.Float64:
		return float64(x), nil
	case *cbor.Nil, *cbor.Undefined, nil:
		return nil, nil
	case cbor.List:
		out := make([]any, len(x))
		for i, item := range x {
			t, err := cborTree(item, path+"["+strconv.Itoa(i)+"]", depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = t
		}
		return out, nil
	case cbor.Map:
		out := make(map[string]any, len(x))
		for k, item := range x {
			t, err := cborTree(item, joinPath(path, k), depth+1)
			if err != nil {
				return nil, err
			}
			out[k] = t
		}
		return out, nil
	case *cbor.Tag:
		if x.ID != 1 {
			return nil, &decodeError{path, fmt.Sprintf("unsupported CBOR tag %d", x.ID)}
		}
		inner, err := cborTree(x.Value, path, depth+1)
		if err != nil {
			return nil, err
		}
		t, ok := decoder{}.time(inner)
		if !ok || inner == nil {
			return nil, &decodeError{path, fmt.Sprintf("CBOR tag 1 must hold epoch seconds, got %s", describe(inner))}
		}
		return t, nil
	}
	return nil, &decodeError{path, fmt.Sprintf("unsupported CBOR value %T", v)}
}

// encodeCBOROutput encodes an operation's output as a CBOR map; nil gives an empty map.
func encodeCBOROutput(out any) ([]byte, error) {
	v, ok, err := outputValue(out)
	if err != nil {
		return nil, err
	}
	if !ok {
		return cbor.Encode(cbor.Map{}), nil
	}
	m, err := cborStruct(v, 0)
	if err != nil {
		return nil, err
	}
	return cbor.Encode(m), nil
}

func cborStruct(v reflect.Value, depth int) (cbor.Map, error) {
	info := structOf(v.Type())
	m := make(cbor.Map, len(info.fields))
	for i := range info.fields {
		f := &info.fields[i]
		if f.location != "" {
			continue
		}
		fv := v.FieldByIndex(f.index)
		if omit(f, fv) {
			continue
		}
		cv, err := cborValue(fv, depth+1)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.name, err)
		}
		m[f.name] = cv
	}
	return m, nil
}

func cborValue(v reflect.Value, depth int) (cbor.Value, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("output nests deeper than %d levels", maxDepth)
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return &cbor.Nil{}, nil
		}
		v = v.Elem()
	}
	switch kindOf(v.Type()) {
	case kString:
		return cbor.String(v.String()), nil
	case kBool:
		return cbor.Bool(v.Bool()), nil
	case kInt:
		return cborInt(v.Int()), nil
	case kUint:
		return cbor.Uint(v.Uint()), nil
	case kFloat:
		if v.Kind() == reflect.Float32 {
			return cbor.Float32(float32(v.Float())), nil
		}
		return cbor.Float64(v.Float()), nil
	case kTime:
		return cborTime(v.Interface().(time.Time)), nil
	case kBlob:
		return cbor.Slice(append([]byte{}, v.Bytes()...)), nil
	case kRawJSON:
		if len(v.Bytes()) == 0 {
			return &cbor.Nil{}, nil
		}
		var doc any
		if err := json.Unmarshal(v.Bytes(), &doc); err != nil {
			return nil, fmt.Errorf("json.RawMessage member holds invalid JSON: %w", err)
		}
		return cborDocument(doc, depth)
	case kDocument:
		return cborDocument(v.Interface(), depth)
	case kList:
		if v.IsNil() {
			return &cbor.Nil{}, nil
		}
		l := make(cbor.List, v.Len())
		for i := range l {
			item, err := cborValue(v.Index(i), depth+1)
			if err != nil {
				return nil, err
			}
			l[i] = item
		}
		return l, nil
	case kMap:
		if v.IsNil() {
			return &cbor.Nil{}, nil
		}
		m := make(cbor.Map, v.Len())
		iter := v.MapRange()
		for iter.Next() {
			item, err := cborValue(iter.Value(), depth+1)
			if err != nil {
				return nil, err
			}
			m[iter.Key().String()] = item
		}
		return m, nil
	case kStruct:
		return cborStruct(v, depth)
	}
	return nil, fmt.Errorf("unsupported Go type %s", v.Type())
}

func cborInt(i int64) cbor.Value {
	if i >= 0 {
		return cbor.Uint(uint64(i))
	}
	return cbor.NegInt(uint64(-i)) // -MinInt64 wraps to 2^63, the right magnitude
}

// cborTime is a timestamp as tag 1 around epoch seconds: an integer when whole,
// otherwise a float64 with millisecond precision.
func cborTime(t time.Time) cbor.Value {
	ms := t.UnixMilli()
	if ms%1000 == 0 {
		return &cbor.Tag{ID: 1, Value: cborInt(ms / 1000)}
	}
	return &cbor.Tag{ID: 1, Value: cbor.Float64(float64(ms) / 1000)}
}

// cborDocument converts an untyped document (as encoding/json or the decoders build
// it) to CBOR.
func cborDocument(doc any, depth int) (cbor.Value, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("output nests deeper than %d levels", maxDepth)
	}
	switch x := doc.(type) {
	case nil:
		return &cbor.Nil{}, nil
	case string:
		return cbor.String(x), nil
	case bool:
		return cbor.Bool(x), nil
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return cborInt(i), nil
		}
		f, err := x.Float64()
		if err != nil {
			return nil, fmt.Errorf("document number %q: %w", x, err)
		}
		return cbor.Float64(f), nil
	case []byte:
		return cbor.Slice(x), nil
	case time.Time:
		return cborTime(x), nil
	case []any:
		l := make(cbor.List, len(x))
		for i, item := range x {
			c, err := cborDocument(item, depth+1)
			if err != nil {
				return nil, err
			}
			l[i] = c
		}
		return l, nil
	case map[string]any:
		m := make(cbor.Map, len(x))
		for k, item := range x {
			c, err := cborDocument(item, depth+1)
			if err != nil {
				return nil, err
			}
			m[k] = c
		}
		return m, nil
	}
	v := reflect.ValueOf(doc)
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return cborInt(v.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return cbor.Uint(v.Uint()), nil
	case reflect.Float32, reflect.Float64:
		if f := v.Float(); f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return cborInt(int64(f)), nil
		}
		return cbor.Float64(v.Float()), nil
	}
	// Anything else goes through its JSON form.
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("document: %w", err)
	}
	var generic any
	if err := json.Unmarshal(raw, &generic); err != nil {
		return nil, fmt.Errorf("document: %w", err)
	}
	return cborDocument(generic, depth+1)
}

// cborErrorBody is the body of an rpcv2Cbor error response.
//
// The message goes under both "message" and "Message": the CBOR clients read member
// names case-sensitively, and some error shapes name it Message (CloudWatch's
// ResourceNotFoundException).
func cborErrorBody(svc *awsapi.Service, e *awsapi.Error) []byte {
	return cbor.Encode(cbor.Map{
		"__type":  cbor.String(errorType(svc, e.Code)),
		"message": cbor.String(e.Message),
		"Message": cbor.String(e.Message),
	})
}
