package elbv2

import (
	"encoding/base64"
	"slices"
	"strings"
)

// maxPageSize is the largest PageSize the Describe operations accept, and the page size
// when none is given.
const maxPageSize = 400

// page returns the page of items that starts at marker, in the order of key, and the
// marker of the next page (nil on the last page). Markers are opaque to clients: the
// key of the next page's first item, base64-encoded, so a page stays right when items
// are added or removed between calls.
func page[T any](items []T, key func(T) string, marker *string, pageSize *int32) ([]T, *string, error) {
	size := maxPageSize
	if pageSize != nil {
		if err := checkRange("pageSize", pageSize, 1, maxPageSize); err != nil {
			return nil, nil, err
		}
		size = int(*pageSize)
	}
	sorted := slices.Clone(items)
	slices.SortStableFunc(sorted, func(a, b T) int { return strings.Compare(key(a), key(b)) })
	start := 0
	if marker != nil {
		raw, err := base64.RawURLEncoding.DecodeString(*marker)
		if err != nil || len(raw) == 0 {
			return nil, nil, errValidation("Invalid value for marker: '%s'", *marker)
		}
		from := string(raw)
		start = len(sorted)
		for i, it := range sorted {
			if key(it) >= from {
				start = i
				break
			}
		}
	}
	end := min(start+size, len(sorted))
	var next *string
	if end < len(sorted) {
		next = ptr(base64.RawURLEncoding.EncodeToString([]byte(key(sorted[end]))))
	}
	out := sorted[start:end]
	if out == nil {
		out = []T{}
	}
	return out, next, nil
}

// dedupe drops the items whose key an earlier item has, keeping the order.
func dedupe[T any](items []T, key func(T) string) []T {
	seen := map[string]bool{}
	return slices.DeleteFunc(items, func(it T) bool {
		k := key(it)
		if seen[k] {
			return true
		}
		seen[k] = true
		return false
	})
}
