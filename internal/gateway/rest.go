package gateway

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/awsapi"
)

// restRoute is one restJson1 operation's HTTP binding.
type restRoute struct {
	svc      *awsapi.Service
	op       string
	method   string
	segs     []restSeg
	query    map[string]string // literal query parameters the path requires ("?tagging")
	literals int               // literal segments, to prefer the most specific route
}

type restSeg struct {
	lit    string // literal segment, or
	label  string // label name ({Name} or {Key+})
	greedy bool
}

// parseRoute compiles an operation's HTTPMethod and HTTPPath ("/v1/things/{Name}",
// "/files/{Key+}", "/{Bucket}?tagging") and checks its labels against the input type.
func parseRoute(svc *awsapi.Service, op *awsapi.Operation) (*restRoute, error) {
	rt := &restRoute{svc: svc, op: op.Name, method: strings.ToUpper(op.HTTPMethod), query: map[string]string{}}
	path, rawQuery, _ := strings.Cut(op.HTTPPath, "?")
	if !strings.HasPrefix(path, "/") {
		return nil, fmt.Errorf("HTTPPath %q must start with /", op.HTTPPath)
	}
	if rawQuery != "" {
		for part := range strings.SplitSeq(rawQuery, "&") {
			k, v, _ := strings.Cut(part, "=")
			rt.query[k] = v
		}
	}
	uriFields := map[string]bool{}
	if op.Input != nil {
		for _, f := range structOf(op.Input).fields {
			if f.location == "uri" {
				uriFields[f.locationName] = true
			}
		}
	}
	trimmed := strings.Trim(path, "/")
	if trimmed != "" {
		parts := strings.Split(trimmed, "/")
		for i, p := range parts {
			if !strings.HasPrefix(p, "{") {
				if strings.ContainsAny(p, "{}") {
					return nil, fmt.Errorf("HTTPPath %q: malformed segment %q", op.HTTPPath, p)
				}
				rt.segs = append(rt.segs, restSeg{lit: p})
				rt.literals++
				continue
			}
			if !strings.HasSuffix(p, "}") || len(p) < 3 {
				return nil, fmt.Errorf("HTTPPath %q: malformed label %q", op.HTTPPath, p)
			}
			name := p[1 : len(p)-1]
			seg := restSeg{label: strings.TrimSuffix(name, "+"), greedy: strings.HasSuffix(name, "+")}
			if seg.greedy && i != len(parts)-1 {
				return nil, fmt.Errorf("HTTPPath %q: greedy label %q must be last", op.HTTPPath, p)
			}
			if !uriFields[seg.label] {
				return nil, fmt.Errorf("HTTPPath %q: label %q has no input member tagged location:\"uri\" locationName:%q", op.HTTPPath, seg.label, seg.label)
			}
			rt.segs = append(rt.segs, seg)
		}
	}
	return rt, nil
}

// pattern is the route's canonical form, for finding duplicates.
func (rt *restRoute) pattern() string {
	var b strings.Builder
	b.WriteString(rt.method + " ")
	for _, s := range rt.segs {
		b.WriteByte('/')
		switch {
		case s.label == "":
			b.WriteString(s.lit)
		case s.greedy:
			b.WriteString("{+}")
		default:
			b.WriteString("{}")
		}
	}
	return b.String()
}

// match reports whether the request path (split, escaped segments) fits the route,
// and returns its labels, unescaped.
func (rt *restRoute) match(segs []string, q url.Values) (map[string]string, bool) {
	for k, v := range rt.query {
		if !q.Has(k) || (v != "" && q.Get(k) != v) {
			return nil, false
		}
	}
	labels := map[string]string{}
	for i, s := range rt.segs {
		if i >= len(segs) {
			return nil, false
		}
		if s.greedy {
			parts := make([]string, 0, len(segs)-i)
			for _, raw := range segs[i:] {
				u, err := url.PathUnescape(raw)
				if err != nil {
					return nil, false
				}
				parts = append(parts, u)
			}
			joined := strings.Join(parts, "/")
			if joined == "" {
				return nil, false
			}
			labels[s.label] = joined
			return labels, true
		}
		u, err := url.PathUnescape(segs[i])
		if err != nil {
			return nil, false
		}
		if s.label == "" {
			if u != s.lit {
				return nil, false
			}
			continue
		}
		if u == "" {
			return nil, false
		}
		labels[s.label] = u
	}
	return labels, len(segs) == len(rt.segs)
}

// splitPath splits an escaped URL path into segments; "/" has none.
func splitPath(escaped string) []string {
	trimmed := strings.Trim(escaped, "/")
	if trimmed == "" {
		return nil
	}
	return strings.Split(trimmed, "/")
}

// matchREST finds the restJson1 route of a request: among the routes that fit, those
// of the signing service win, then the one with the most literal segments.
func (g *Gateway) matchREST(r *http.Request) (*restRoute, map[string]string) {
	if len(g.routes) == 0 {
		return nil, nil
	}
	segs := splitPath(r.URL.EscapedPath())
	q := r.URL.Query()
	type hit struct {
		rt     *restRoute
		labels map[string]string
	}
	var hits []hit
	for _, rt := range g.routes {
		if rt.method != r.Method {
			continue
		}
		if labels, ok := rt.match(segs, q); ok {
			hits = append(hits, hit{rt, labels})
		}
	}
	if len(hits) == 0 {
		return nil, nil
	}
	if len(hits) > 1 {
		if _, _, _, signing, ok := credentialScope(r); ok {
			var same []hit
			for _, h := range hits {
				if h.rt.svc.SigningName == signing {
					same = append(same, h)
				}
			}
			if len(same) > 0 {
				hits = same
			}
		}
	}
	best := hits[0]
	for _, h := range hits[1:] {
		if h.rt.literals > best.rt.literals {
			best = h
		}
	}
	return best.rt, best.labels
}

// decodeRESTInput decodes a restJson1 request into in: the JSON body, then the members
// bound to URI labels, query parameters and headers.
func decodeRESTInput(r *http.Request, labels map[string]string, body []byte, in reflect.Value) error {
	if err := decodeJSONInput(body, in); err != nil {
		return err
	}
	d := decoder{strs: true}
	q := r.URL.Query()
	for _, f := range structOf(in.Elem().Type()).fields {
		var v any
		list := isList(f.typ)
		switch f.location {
		case "uri":
			s, ok := labels[f.locationName]
			if !ok {
				continue
			}
			v = s
		case "querystring":
			vals, ok := q[f.locationName]
			if !ok {
				continue
			}
			v = stringsValue(vals, list)
		case "header":
			vals := r.Header.Values(f.locationName)
			if len(vals) == 0 {
				continue
			}
			if list {
				var split []string
				for _, h := range vals {
					for part := range strings.SplitSeq(h, ",") {
						split = append(split, strings.TrimSpace(part))
					}
				}
				vals = split
			}
			v = stringsValue(vals, list)
		default:
			continue
		}
		if err := d.decode(v, in.Elem().FieldByIndex(f.index), f.locationName, 1); err != nil {
			return err
		}
	}
	return nil
}

func isList(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return kindOf(t) == kList
}

func stringsValue(vals []string, list bool) any {
	if !list {
		return vals[0]
	}
	out := make([]any, len(vals))
	for i, s := range vals {
		out[i] = s
	}
	return out
}

// restOutputHeaders sets the response headers bound to output members.
func restOutputHeaders(h http.Header, out any) {
	v, ok, err := outputValue(out)
	if err != nil || !ok {
		return
	}
	info := structOf(v.Type())
	for i := range info.fields {
		f := &info.fields[i]
		if f.location != "header" {
			continue
		}
		fv := v.FieldByIndex(f.index)
		if omit(f, fv) {
			continue
		}
		if fv.Kind() == reflect.Pointer {
			fv = fv.Elem()
		}
		if kindOf(fv.Type()) == kList {
			for j := 0; j < fv.Len(); j++ {
				if s, ok := headerString(fv.Index(j)); ok {
					h.Add(f.locationName, s)
				}
			}
			continue
		}
		if s, ok := headerString(fv); ok {
			h.Set(f.locationName, s)
		}
	}
}

func headerString(v reflect.Value) (string, bool) {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return "", false
		}
		v = v.Elem()
	}
	switch kindOf(v.Type()) {
	case kString:
		return v.String(), true
	case kBool:
		return strconv.FormatBool(v.Bool()), true
	case kInt:
		return strconv.FormatInt(v.Int(), 10), true
	case kUint:
		return strconv.FormatUint(v.Uint(), 10), true
	case kFloat:
		return formatFloat(v.Float(), v.Type().Bits()), true
	case kTime:
		return v.Interface().(time.Time).UTC().Format(http.TimeFormat), true
	}
	return "", false
}
