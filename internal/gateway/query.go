package gateway

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/awsapi"
)

// parseQueryForm returns the parameters of an awsQuery request: the form body, plus
// the URL query parameters the body does not set (GET requests carry everything there).
func parseQueryForm(r *http.Request, body []byte) (url.Values, error) {
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Errorf("malformed form body: %w", err)
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("malformed query string: %w", err)
	}
	for k, vs := range q {
		if _, ok := vals[k]; !ok {
			vals[k] = vs
		}
	}
	return vals, nil
}

// formNode is one dotted segment of flattened awsQuery parameter names:
// "Tags.member.1.Key" is root → Tags → member → 1 → Key.
type formNode struct {
	val  *string
	kids map[string]*formNode
}

// buildFormTree arranges form parameters by their dotted names. Action and Version
// are kept but no input member reads them.
func buildFormTree(vals url.Values) *formNode {
	root := &formNode{}
	for k, vs := range vals {
		n := root
		for seg := range strings.SplitSeq(k, ".") {
			if n.kids == nil {
				n.kids = map[string]*formNode{}
			}
			c := n.kids[seg]
			if c == nil {
				c = &formNode{}
				n.kids[seg] = c
			}
			n = c
		}
		if len(vs) > 0 {
			v := vs[0]
			n.val = &v
		}
	}
	return root
}

// decodeQueryInput decodes awsQuery parameters into in (a pointer to the input struct).
func decodeQueryInput(vals url.Values, in reflect.Value) error {
	tree, err := buildFormTree(vals).tree(in.Elem().Type(), "", 0)
	if err != nil {
		return err
	}
	m, ok := tree.(map[string]any)
	if !ok {
		return &decodeError{msg: "expected structure"}
	}
	return decoder{strs: true}.decodeStruct(m, in.Elem(), "", 0)
}

// tree converts the node into a generic value shaped by the Go type t: lists come
// from "member.N" (or flattened "N") children, maps from "entry.N.key/value".
func (n *formNode) tree(t reflect.Type, path string, depth int) (any, error) {
	if depth > maxDepth {
		return nil, &decodeError{path, fmt.Sprintf("nesting exceeds %d levels", maxDepth)}
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch kindOf(t) {
	case kStruct:
		if len(n.kids) == 0 && n.val != nil && *n.val != "" {
			return *n.val, nil // the decoder reports the mismatch
		}
		m := map[string]any{}
		for _, f := range structOf(t).fields {
			c := n.kids[f.name]
			if c == nil || f.location != "" {
				continue
			}
			v, err := c.tree(f.typ, joinPath(path, f.name), depth+1)
			if err != nil {
				return nil, err
			}
			m[f.name] = v
		}
		return m, nil
	case kList:
		items := n.kids["member"]
		if items == nil {
			items = n // flattened: Name.1, Name.2
		}
		idx := items.indexes()
		if len(idx) == 0 {
			if n.val != nil && *n.val != "" {
				return *n.val, nil
			}
			return []any{}, nil // "Names=" is an empty list
		}
		list := make([]any, 0, len(idx))
		for i, k := range idx {
			v, err := items.kids[k].tree(t.Elem(), path+"["+strconv.Itoa(i)+"]", depth+1)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		return list, nil
	case kMap:
		entries := n.kids["entry"]
		if entries == nil {
			entries = n // flattened: Name.1.Name, Name.1.Value
		}
		m := map[string]any{}
		for _, k := range entries.indexes() {
			e := entries.kids[k]
			key := e.child("key", "Key", "Name")
			if key == nil || key.val == nil {
				return nil, &decodeError{path, fmt.Sprintf("map entry %s has no key", k)}
			}
			val := e.child("value", "Value")
			if val == nil {
				m[*key.val] = nil
				continue
			}
			v, err := val.tree(t.Elem(), path+"["+strconv.Quote(*key.val)+"]", depth+1)
			if err != nil {
				return nil, err
			}
			m[*key.val] = v
		}
		return m, nil
	default:
		if n.val == nil {
			return map[string]any{}, nil // nested parameters where a scalar belongs
		}
		return *n.val, nil
	}
}

// indexes returns the positive numeric child names of n, in numeric order.
func (n *formNode) indexes() []string {
	type ik struct {
		i int
		k string
	}
	var list []ik
	for k := range n.kids {
		if i, err := strconv.Atoi(k); err == nil && i > 0 {
			list = append(list, ik{i, k})
		}
	}
	sort.Slice(list, func(a, b int) bool { return list[a].i < list[b].i })
	out := make([]string, len(list))
	for i, e := range list {
		out[i] = e.k
	}
	return out
}

func (n *formNode) child(names ...string) *formNode {
	for _, name := range names {
		if c := n.kids[name]; c != nil {
			return c
		}
	}
	return nil
}

// xmlEncoder writes typed values as awsQuery response XML.
type xmlEncoder struct {
	buf bytes.Buffer
}

// encodeQueryOutput encodes an operation's output as <OpResponse><OpResult>…</OpResult>
// <ResponseMetadata><RequestId>…</RequestId></ResponseMetadata></OpResponse>.
func encodeQueryOutput(svc *awsapi.Service, op, requestID string, out any) ([]byte, error) {
	v, ok, err := outputValue(out)
	if err != nil {
		return nil, err
	}
	e := &xmlEncoder{}
	e.buf.WriteString("<" + op + "Response")
	if svc.XMLNamespace != "" {
		e.buf.WriteString(` xmlns="`)
		e.text(svc.XMLNamespace)
		e.buf.WriteString(`"`)
	}
	e.buf.WriteString(">")
	if ok {
		e.buf.WriteString("<" + op + "Result>")
		if err := e.members(v, 0); err != nil {
			return nil, err
		}
		e.buf.WriteString("</" + op + "Result>")
	} else {
		e.buf.WriteString("<" + op + "Result/>")
	}
	e.buf.WriteString("<ResponseMetadata><RequestId>")
	e.text(requestID)
	e.buf.WriteString("</RequestId></ResponseMetadata></" + op + "Response>")
	return e.buf.Bytes(), nil
}

func (e *xmlEncoder) text(s string) {
	_ = xml.EscapeText(&e.buf, []byte(s))
}

func (e *xmlEncoder) members(v reflect.Value, depth int) error {
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
		if err := e.element(f.name, fv, f.timeFormat, depth+1); err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
	}
	return nil
}

func (e *xmlEncoder) element(name string, v reflect.Value, timeFormat string, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("output nests deeper than %d levels", maxDepth)
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	k := kindOf(v.Type())
	if (k == kList || k == kMap || k == kDocument) && v.IsNil() {
		return nil
	}
	e.buf.WriteString("<" + name + ">")
	switch k {
	case kString:
		e.text(v.String())
	case kBool:
		e.buf.WriteString(strconv.FormatBool(v.Bool()))
	case kInt:
		e.buf.WriteString(strconv.FormatInt(v.Int(), 10))
	case kUint:
		e.buf.WriteString(strconv.FormatUint(v.Uint(), 10))
	case kFloat:
		e.buf.WriteString(formatFloat(v.Float(), v.Type().Bits()))
	case kTime:
		t := v.Interface().(time.Time)
		switch timeFormat {
		case "epoch-seconds":
			e.buf.WriteString(epochSeconds(t))
		case "http-date":
			e.text(t.UTC().Format(http.TimeFormat))
		default:
			e.buf.WriteString(iso8601(t))
		}
	case kBlob:
		e.buf.WriteString(base64.StdEncoding.EncodeToString(v.Bytes()))
	case kRawJSON:
		e.text(string(v.Bytes()))
	case kDocument:
		raw, err := json.Marshal(v.Interface())
		if err != nil {
			return fmt.Errorf("document: %w", err)
		}
		e.text(string(raw))
	case kList:
		for i := 0; i < v.Len(); i++ {
			if err := e.element("member", v.Index(i), timeFormat, depth+1); err != nil {
				return err
			}
		}
	case kMap:
		for _, key := range sortedKeys(v) {
			e.buf.WriteString("<entry><key>")
			e.text(key.String())
			e.buf.WriteString("</key>")
			if err := e.element("value", v.MapIndex(key), timeFormat, depth+1); err != nil {
				return err
			}
			e.buf.WriteString("</entry>")
		}
	case kStruct:
		if err := e.members(v, depth); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unsupported Go type %s", v.Type())
	}
	e.buf.WriteString("</" + name + ">")
	return nil
}

// queryErrorBody is the body of an awsQuery error response.
func queryErrorBody(svc *awsapi.Service, e *awsapi.Error, requestID string) []byte {
	x := &xmlEncoder{}
	x.buf.WriteString("<ErrorResponse")
	if svc != nil && svc.XMLNamespace != "" {
		x.buf.WriteString(` xmlns="`)
		x.text(svc.XMLNamespace)
		x.buf.WriteString(`"`)
	}
	x.buf.WriteString("><Error><Type>")
	if e.Server {
		x.buf.WriteString("Receiver")
	} else {
		x.buf.WriteString("Sender")
	}
	code := e.Code
	if e.QueryCode != "" {
		code = e.QueryCode
	}
	x.buf.WriteString("</Type><Code>")
	x.text(code)
	x.buf.WriteString("</Code><Message>")
	x.text(e.Message)
	x.buf.WriteString("</Message></Error><RequestId>")
	x.text(requestID)
	x.buf.WriteString("</RequestId></ErrorResponse>")
	return x.buf.Bytes()
}
