package gateway

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/wharf-dev/wharf/internal/awsapi"
)

// parseJSONBody reads a JSON request body into a generic tree. An empty body is an
// empty structure. The top level must be an object (or null).
func parseJSONBody(body []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return map[string]any{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, jsonSyntaxError(err, body)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &decodeError{msg: fmt.Sprintf("malformed JSON: unexpected data after the top-level value at offset %d", dec.InputOffset())}
	}
	switch m := v.(type) {
	case map[string]any:
		return m, nil
	case nil:
		return map[string]any{}, nil
	default:
		return nil, &decodeError{msg: fmt.Sprintf("expected a JSON object at the top level, got %s", describe(v))}
	}
}

// jsonSyntaxError turns an encoding/json error into a message with the byte offset.
func jsonSyntaxError(err error, body []byte) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		// Offset counts the bytes read, the offending one included.
		off := max(se.Offset-1, 0)
		line, col := lineCol(body, off)
		return &decodeError{msg: fmt.Sprintf("malformed JSON at offset %d (line %d, column %d): %s", off, line, col, se.Error())}
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return &decodeError{msg: fmt.Sprintf("malformed JSON: unexpected end of input at offset %d", len(body))}
	}
	return &decodeError{msg: "malformed JSON: " + err.Error()}
}

// lineCol returns the 1-based line and column of byte offset off in body.
func lineCol(body []byte, off int64) (line, col int) {
	if off > int64(len(body)) {
		off = int64(len(body))
	}
	before := body[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

// decodeJSONInput decodes a JSON request body into in (a pointer to the input struct).
func decodeJSONInput(body []byte, in reflect.Value) error {
	m, err := parseJSONBody(body)
	if err != nil {
		return err
	}
	return decoder{}.decodeStruct(m, in.Elem(), "", 0)
}

// jsonEncoder writes typed values as AWS JSON.
type jsonEncoder struct {
	buf []byte
}

// encodeJSONOutput encodes an operation's output as a JSON object; nil gives {}.
func encodeJSONOutput(out any) ([]byte, error) {
	v, ok, err := outputValue(out)
	if err != nil {
		return nil, err
	}
	if !ok {
		return []byte("{}"), nil
	}
	e := &jsonEncoder{buf: make([]byte, 0, 256)}
	if err := e.structure(v, 0); err != nil {
		return nil, err
	}
	return e.buf, nil
}

func (e *jsonEncoder) structure(v reflect.Value, depth int) error {
	e.buf = append(e.buf, '{')
	first := true
	info := structOf(v.Type())
	for i := range info.fields {
		f := &info.fields[i]
		if f.location != "" {
			continue
		}
		fv := v.FieldByIndex(f.index)
		if omit(f, fv) {
			continue
		}
		if !first {
			e.buf = append(e.buf, ',')
		}
		first = false
		e.buf = appendJSONString(e.buf, f.name)
		e.buf = append(e.buf, ':')
		if err := e.value(fv, f.timeFormat, depth+1); err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
	}
	e.buf = append(e.buf, '}')
	return nil
}

func (e *jsonEncoder) value(v reflect.Value, timeFormat string, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("output nests deeper than %d levels", maxDepth)
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			e.buf = append(e.buf, "null"...)
			return nil
		}
		v = v.Elem()
	}
	switch kindOf(v.Type()) {
	case kString:
		e.buf = appendJSONString(e.buf, v.String())
	case kBool:
		e.buf = strconv.AppendBool(e.buf, v.Bool())
	case kInt:
		e.buf = strconv.AppendInt(e.buf, v.Int(), 10)
	case kUint:
		e.buf = strconv.AppendUint(e.buf, v.Uint(), 10)
	case kFloat:
		s := formatFloat(v.Float(), v.Type().Bits())
		if s[0] == 'N' || s[0] == 'I' || s[0] == '-' && s[1] == 'I' {
			e.buf = appendJSONString(e.buf, s)
		} else {
			e.buf = append(e.buf, s...)
		}
	case kTime:
		t := v.Interface().(time.Time)
		switch timeFormat {
		case "date-time":
			e.buf = appendJSONString(e.buf, iso8601(t))
		case "http-date":
			e.buf = appendJSONString(e.buf, t.UTC().Format(http.TimeFormat))
		default:
			e.buf = append(e.buf, epochSeconds(t)...)
		}
	case kBlob:
		e.buf = append(e.buf, '"')
		e.buf = base64.StdEncoding.AppendEncode(e.buf, v.Bytes())
		e.buf = append(e.buf, '"')
	case kRawJSON:
		raw := v.Bytes()
		if len(raw) == 0 {
			e.buf = append(e.buf, "null"...)
			return nil
		}
		if !json.Valid(raw) {
			return fmt.Errorf("json.RawMessage member holds invalid JSON")
		}
		var b bytes.Buffer
		_ = json.Compact(&b, raw)
		e.buf = append(e.buf, b.Bytes()...)
	case kDocument:
		if v.IsNil() {
			e.buf = append(e.buf, "null"...)
			return nil
		}
		raw, err := json.Marshal(v.Interface())
		if err != nil {
			return fmt.Errorf("document: %w", err)
		}
		e.buf = append(e.buf, raw...)
	case kList:
		if v.IsNil() {
			e.buf = append(e.buf, "null"...)
			return nil
		}
		e.buf = append(e.buf, '[')
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			if err := e.value(v.Index(i), timeFormat, depth+1); err != nil {
				return err
			}
		}
		e.buf = append(e.buf, ']')
	case kMap:
		if v.IsNil() {
			e.buf = append(e.buf, "null"...)
			return nil
		}
		e.buf = append(e.buf, '{')
		for i, k := range sortedKeys(v) {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			e.buf = appendJSONString(e.buf, k.String())
			e.buf = append(e.buf, ':')
			if err := e.value(v.MapIndex(k), timeFormat, depth+1); err != nil {
				return err
			}
		}
		e.buf = append(e.buf, '}')
	case kStruct:
		return e.structure(v, depth)
	default:
		return fmt.Errorf("unsupported Go type %s", v.Type())
	}
	return nil
}

// sortedKeys returns the keys of a string-keyed map, sorted.
func sortedKeys(m reflect.Value) []reflect.Value {
	keys := m.MapKeys()
	sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
	return keys
}

// appendJSONString appends s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// jsonContentType is the response Content-Type of a JSON protocol.
func jsonContentType(p awsapi.Protocol) string {
	switch p {
	case awsapi.JSON10:
		return "application/x-amz-json-1.0"
	case awsapi.JSON11:
		return "application/x-amz-json-1.1"
	}
	return "application/json"
}

// errorType is the __type of an error body: "<namespace>#<code>" or the bare code.
func errorType(svc *awsapi.Service, code string) string {
	if svc != nil && svc.ErrorNamespace != "" {
		return svc.ErrorNamespace + "#" + code
	}
	return code
}

// queryErrorHeader sets x-amzn-query-error for services that also speak awsQuery,
// so that query-compatible clients see the awsQuery code.
func queryErrorHeader(h http.Header, svc *awsapi.Service, e *awsapi.Error) {
	if svc == nil || !svc.Speaks(awsapi.Query) {
		return
	}
	code := e.Code
	if e.QueryCode != "" {
		code = e.QueryCode
	}
	fault := "Sender"
	if e.Server {
		fault = "Receiver"
	}
	h.Set("X-Amzn-Query-Error", code+";"+fault)
}

// jsonErrorBody is the body of a JSON error response.
func jsonErrorBody(svc *awsapi.Service, e *awsapi.Error) []byte {
	b := append([]byte(`{"__type":`), appendJSONString(nil, errorType(svc, e.Code))...)
	b = append(b, `,"message":`...)
	b = appendJSONString(b, e.Message)
	return append(b, '}')
}
