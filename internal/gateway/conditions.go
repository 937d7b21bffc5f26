package gateway

import (
	"reflect"
	"strings"
)

// requestTags returns the aws:RequestTag/<key> and aws:TagKeys condition keys of a
// decoded input: the tags of its top-level Tags member (a list of Key/Value or
// TagKey/TagValue structures, or a map, as the services spell them) and the keys of
// its TagKeys member (untagging). Nil when the input has neither.
func requestTags(in any) map[string][]string {
	v := reflect.ValueOf(in)
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil
	}
	var out map[string][]string
	add := func(k, val string) {
		if out == nil {
			out = map[string][]string{}
		}
		if val != "\x00" {
			out["aws:RequestTag/"+k] = []string{val}
		}
		out["aws:TagKeys"] = append(out["aws:TagKeys"], k)
	}
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		fv := v.Field(i)
		switch strings.ToLower(f.Name) {
		case "tags":
			tagsOf(fv, add)
		case "tagkeys":
			if fv.Kind() == reflect.Slice && fv.Type().Elem().Kind() == reflect.String {
				for j := 0; j < fv.Len(); j++ {
					add(fv.Index(j).String(), "\x00")
				}
			}
		}
	}
	return out
}

// tagsOf calls add for each tag of a Tags member.
func tagsOf(v reflect.Value, add func(k, val string)) {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String || v.Type().Elem().Kind() != reflect.String {
			return
		}
		for it := v.MapRange(); it.Next(); {
			add(it.Key().String(), it.Value().String())
		}
	case reflect.Slice:
		for j := 0; j < v.Len(); j++ {
			e := v.Index(j)
			for e.Kind() == reflect.Pointer {
				if e.IsNil() {
					break
				}
				e = e.Elem()
			}
			if e.Kind() != reflect.Struct {
				continue
			}
			k, kok := stringField(e, "Key", "TagKey")
			val, _ := stringField(e, "Value", "TagValue")
			if kok {
				add(k, val)
			}
		}
	}
}

// stringField reads the first of names that e has as a string or *string field.
func stringField(e reflect.Value, names ...string) (string, bool) {
	for _, n := range names {
		f := e.FieldByName(n)
		if !f.IsValid() {
			continue
		}
		if f.Kind() == reflect.Pointer {
			if f.IsNil() {
				return "", false
			}
			f = f.Elem()
		}
		if f.Kind() == reflect.String {
			return f.String(), true
		}
	}
	return "", false
}
