package ecs

import (
	"encoding/base64"
	"slices"
	"strings"
	"unicode/utf8"
)

// validName reports whether s is a valid cluster, service, family or container name:
// 1 to 255 letters, digits, hyphens and underscores.
func validName(s string) bool {
	if len(s) < 1 || len(s) > 255 {
		return false
	}
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}

// nameRule is the wording of the name rule in error messages.
const nameRule = "up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed"

// Tag limits, as ECS documents them.
const (
	maxTags        = 50
	maxTagKeyLen   = 128
	maxTagValueLen = 256
)

// validateTags checks a list of tags given to a create or tag operation.
func validateTags(tags []Tag) error {
	if len(tags) > maxTags {
		return errInvalid("Too many tags: %d were given and a resource can have at most %d.", len(tags), maxTags)
	}
	seen := map[string]bool{}
	for i, t := range tags {
		if err := validateTagKey(t.Key, i); err != nil {
			return err
		}
		if n := utf8.RuneCountInString(t.Value); n > maxTagValueLen {
			return errInvalid("Tag value of key '%s' is %d characters long; the maximum is %d.", t.Key, n, maxTagValueLen)
		}
		if reserved(t.Value) {
			return errInvalid("Tag value of key '%s' begins with 'aws:', which is reserved for AWS use.", t.Key)
		}
		if seen[t.Key] {
			return errInvalid("Tag key '%s' is given more than once; each tag key must be unique.", t.Key)
		}
		seen[t.Key] = true
	}
	return nil
}

func validateTagKey(key string, i int) error {
	n := utf8.RuneCountInString(key)
	if n < 1 || n > maxTagKeyLen {
		return errInvalid("tags[%d].key must be 1 to %d characters long, got %d.", i, maxTagKeyLen, n)
	}
	if reserved(key) {
		return errInvalid("Tag key '%s' begins with 'aws:', which is reserved for AWS use.", key)
	}
	return nil
}

func reserved(s string) bool { return strings.HasPrefix(strings.ToLower(s), "aws:") }

// mergeTags returns old with the tags of add set (replacing values of existing keys).
func mergeTags(old, add []Tag) []Tag {
	out := slices.Clone(old)
	for _, t := range add {
		i := slices.IndexFunc(out, func(o Tag) bool { return o.Key == t.Key })
		if i >= 0 {
			out[i].Value = t.Value
		} else {
			out = append(out, t)
		}
	}
	return out
}

// includes reports which values a DescribeX `include` list holds, after checking each
// is one of allowed.
func includes(field string, values []string, allowed ...string) (map[string]bool, error) {
	m := map[string]bool{}
	for _, v := range values {
		if !slices.Contains(allowed, v) {
			return nil, errInvalid("%s: '%s' is not a valid value; valid values are %s.", field, v, strings.Join(allowed, ", "))
		}
		m[v] = true
	}
	return m, nil
}

// checkBatch checks the length of the list of a Describe operation.
func checkBatch(field string, n, max int) error {
	if n == 0 {
		return errInvalid("%s cannot be empty.", field)
	}
	if n > max {
		return errInvalid("%s can have at most %d items, got %d.", field, max, n)
	}
	return nil
}

// page selects a page of a listing whose items have sort keys keys (in listing order).
// nextToken, when given, is the opaque token of the previous page: the base64 of the
// last key it returned. It returns the bounds of the page and the token of the next.
func page(keys []string, desc bool, nextToken *string, maxResults *int32, defaultMax int) (lo, hi int, next *string, err error) {
	limit := defaultMax
	if maxResults != nil {
		if *maxResults < 1 || *maxResults > 100 {
			return 0, 0, nil, errInvalid("maxResults must be between 1 and 100, got %d.", *maxResults)
		}
		limit = int(*maxResults)
	}
	if tok := deref(nextToken); tok != "" {
		raw, derr := base64.RawURLEncoding.DecodeString(tok)
		if derr != nil || len(raw) == 0 {
			return 0, 0, nil, errInvalid("Invalid nextToken: it must be a value returned by a previous call.")
		}
		last := string(raw)
		lo = len(keys)
		for i, k := range keys {
			if (!desc && k > last) || (desc && k < last) {
				lo = i
				break
			}
		}
	}
	hi = min(lo+limit, len(keys))
	if hi < len(keys) {
		next = ptr(base64.RawURLEncoding.EncodeToString([]byte(keys[hi-1])))
	}
	return lo, hi, next, nil
}
