package cloudformation

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// DefaultRegistry returns a registry of every resource type Wharf deploys: the
// service-backed ones (ECS, ELBv2, SSM, KMS, IAM, CloudWatch Logs and alarms,
// Application Auto Scaling), nested stacks, and the inert EC2 and EC2 Auto Scaling
// records.
func DefaultRegistry() *Registry {
	r := NewRegistry()
	r.Register("AWS::CloudFormation::Stack", nestedStackType())
	ecsTypes(r)
	elbTypes(r)
	iamTypes(r)
	miscTypes(r)
	inertTypes(r)
	return r
}

// The helpers below shape template properties into service inputs and read service
// outputs, which come back as the services' output structs.

// call invokes a service operation and returns its output as JSON-shaped values.
func call(ctx context.Context, req *Request, service, operation string, in map[string]any) (map[string]any, error) {
	out, err := req.Invoke(ctx, service, operation, in)
	if err != nil {
		return nil, err
	}
	return asMap(out)
}

// asMap converts an output struct to JSON-shaped values.
func asMap(v any) (map[string]any, error) {
	if v == nil {
		return map[string]any{}, nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("read service output: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return map[string]any{}, nil
	}
	return m, nil
}

// get walks JSON-shaped values by member names, matched case-insensitively; a
// numeric step indexes a list.
func get(v any, path ...string) any {
	for _, p := range path {
		switch x := v.(type) {
		case map[string]any:
			found := false
			if e, ok := x[p]; ok {
				v, found = e, true
			} else {
				for k, e := range x {
					if strings.EqualFold(k, p) {
						v, found = e, true
						break
					}
				}
			}
			if !found {
				return nil
			}
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// getStr is get for a string ("" when absent or not a string).
func getStr(v any, path ...string) string {
	s, _ := get(v, path...).(string)
	return s
}

// copyProps returns a shallow copy of props without the named keys.
func copyProps(props map[string]any, drop ...string) map[string]any {
	out := make(map[string]any, len(props))
	for k, v := range props {
		out[k] = v
	}
	for _, k := range drop {
		delete(out, k)
	}
	delete(out, templateHashProperty)
	return out
}

// pick returns the named properties that are set.
func pick(props map[string]any, keys ...string) map[string]any {
	out := map[string]any{}
	for _, k := range keys {
		if v, ok := props[k]; ok && v != nil {
			out[k] = v
		}
	}
	return out
}

// toInt converts a number or numeric string (CloudFormation accepts both) to a
// number; other values pass unchanged.
func toInt(v any) any {
	if s, ok := v.(string); ok {
		if f, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil {
			return f
		}
	}
	return v
}

// toStr converts a number or boolean to a string; other values pass unchanged.
func toStr(v any) any {
	switch x := v.(type) {
	case float64, bool, int, int64:
		return stringify(x)
	}
	return v
}

// toBool converts "true"/"false" to a boolean; other values pass unchanged.
func toBool(v any) any {
	if s, ok := v.(string); ok {
		if b, err := strconv.ParseBool(s); err == nil {
			return b
		}
	}
	return v
}

// coerce converts, in a map, the values at the named keys with fn.
func coerce(m map[string]any, fn func(any) any, keys ...string) {
	for _, k := range keys {
		if v, ok := m[k]; ok && v != nil {
			m[k] = fn(v)
		}
	}
}

// eachMap calls fn for each map in a list value.
func eachMap(v any, fn func(m map[string]any)) {
	list, _ := v.([]any)
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			fn(m)
		}
	}
}

// jsonText returns a policy document (an object, or already a string) as JSON text.
func jsonText(v any) (string, error) {
	if s, ok := v.(string); ok {
		return s, nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("Properties validation failed: the policy document is not JSON: %w", err)
	}
	return string(raw), nil
}

// strList reads a list of strings.
func strList(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, e := range list {
		if s, ok := e.(string); ok {
			out = append(out, s)
		} else if e != nil {
			out = append(out, stringify(e))
		}
	}
	return out
}

// diffStrings returns what is in b but not a (added) and in a but not b (removed).
func diffStrings(a, b []string) (added, removed []string) {
	in := func(list []string, s string) bool {
		for _, e := range list {
			if e == s {
				return true
			}
		}
		return false
	}
	for _, s := range b {
		if !in(a, s) {
			added = append(added, s)
		}
	}
	for _, s := range a {
		if !in(b, s) {
			removed = append(removed, s)
		}
	}
	return added, removed
}

// tagPairs reads CloudFormation tags ([{Key, Value}]) as a map.
func tagPairs(v any) map[string]string {
	out := map[string]string{}
	eachMap(v, func(m map[string]any) {
		if k := getStr(m, "Key"); k != "" {
			out[k] = stringify(get(m, "Value"))
		}
	})
	return out
}

// tagDiff returns the tags to set and the keys to remove going from old to new.
func tagDiff(old, new map[string]string) (set map[string]string, removed []string) {
	set = map[string]string{}
	for k, v := range new {
		if ov, ok := old[k]; !ok || ov != v {
			set[k] = v
		}
	}
	for k := range old {
		if _, ok := new[k]; !ok {
			removed = append(removed, k)
		}
	}
	sort.Strings(removed)
	return set, removed
}

// tagList formats tags as [{keyName: k, valueName: v}], sorted by key.
func tagList(tags map[string]string, keyName, valueName string) []any {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]any, 0, len(keys))
	for _, k := range keys {
		out = append(out, map[string]any{keyName: k, valueName: tags[k]})
	}
	return out
}

// waitUntil polls check (first at once, then every poll interval) until it reports
// done or fails, or the stabilization timeout passes.
func (r *Request) waitUntil(ctx context.Context, what string, check func() (bool, error)) error {
	s := r.svc
	deadline := s.clock.Now().Add(s.stableTO)
	for {
		done, err := check()
		if err != nil || done {
			return err
		}
		if !s.clock.Now().Before(deadline) {
			return fmt.Errorf("%s did not stabilize within %s", what, s.stableTO)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.clock.After(s.poll):
		case <-r.stopped():
			return errCancelled
		}
	}
}

// stopped returns a channel closed when the request's operation is stopped (a
// timeout or a cancellation); nil (never ready) outside an operation.
func (r *Request) stopped() <-chan struct{} {
	if r.op == nil {
		return nil
	}
	return r.op.stopChan()
}
