package logs

import (
	"encoding/json"
	"unicode/utf8"
)

// This file finds values in JSON log events for JSON filter patterns and metric
// values without decoding the document: a selector walks the bytes, skipping what is
// not on its path.

// jsonKind is what a selector found.
type jsonKind uint8

const (
	jsonMissing jsonKind = iota
	jsonString           // raw is the string's contents, still escaped
	jsonNumber           // raw is the number's text
	jsonTrue
	jsonFalse
	jsonNull
	jsonObject
	jsonArray
)

// isJSONObject reports whether msg is one valid JSON object (with optional
// surrounding whitespace).
func isJSONObject(msg []byte) bool {
	i := skipWS(msg, 0)
	if i >= len(msg) || msg[i] != '{' {
		return false
	}
	return json.Valid(msg)
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// lookupJSON returns the kind and raw text of the value at path in msg, which must be
// valid JSON (isJSONObject).
func lookupJSON(msg []byte, path []jsonStep) (jsonKind, []byte) {
	i := skipWS(msg, 0)
	for _, step := range path {
		if i >= len(msg) {
			return jsonMissing, nil
		}
		if step.index < 0 {
			if msg[i] != '{' {
				return jsonMissing, nil
			}
			j, ok := findMember(msg, i, step.key)
			if !ok {
				return jsonMissing, nil
			}
			i = j
		} else {
			if msg[i] != '[' {
				return jsonMissing, nil
			}
			j, ok := findElement(msg, i, step.index)
			if !ok {
				return jsonMissing, nil
			}
			i = j
		}
	}
	if i >= len(msg) {
		return jsonMissing, nil
	}
	switch c := msg[i]; {
	case c == '"':
		end := skipString(msg, i)
		return jsonString, msg[i+1 : end-1]
	case c == '{':
		return jsonObject, nil
	case c == '[':
		return jsonArray, nil
	case c == 't':
		return jsonTrue, msg[i : i+4]
	case c == 'f':
		return jsonFalse, msg[i : i+5]
	case c == 'n':
		return jsonNull, nil
	default:
		end := skipValue(msg, i)
		return jsonNumber, msg[i:end]
	}
}

// findMember returns the offset of the value of member key in the object at i. When
// a key occurs twice, the last one wins, as encoding/json decides.
func findMember(msg []byte, i int, key string) (int, bool) {
	i = skipWS(msg, i+1) // past '{'
	found, at := false, 0
	for i < len(msg) && msg[i] != '}' {
		ks := i
		ke := skipString(msg, i)
		i = skipWS(msg, ke)
		i = skipWS(msg, i+1) // ':'
		if keyEquals(msg[ks+1:ke-1], key) {
			found, at = true, i
		}
		i = skipWS(msg, skipValue(msg, i))
		if i < len(msg) && msg[i] == ',' {
			i = skipWS(msg, i+1)
		}
	}
	return at, found
}

// findElement returns the offset of element n of the array at i.
func findElement(msg []byte, i, n int) (int, bool) {
	i = skipWS(msg, i+1) // past '['
	for k := 0; i < len(msg) && msg[i] != ']'; k++ {
		if k == n {
			return i, true
		}
		i = skipWS(msg, skipValue(msg, i))
		if i < len(msg) && msg[i] == ',' {
			i = skipWS(msg, i+1)
		}
	}
	return 0, false
}

// keyEquals compares a raw (escaped) JSON string with key.
func keyEquals(raw []byte, key string) bool {
	if !hasEscape(raw) {
		return string(raw) == key
	}
	var buf [128]byte
	return string(unescapeJSON(raw, buf[:0])) == key
}

// skipString returns the offset just past the string starting at i.
func skipString(b []byte, i int) int {
	i++
	for i < len(b) {
		switch b[i] {
		case '\\':
			i += 2
		case '"':
			return i + 1
		default:
			i++
		}
	}
	return len(b)
}

// skipValue returns the offset just past the value starting at i.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	}
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}

func hasEscape(raw []byte) bool {
	for _, c := range raw {
		if c == '\\' {
			return true
		}
	}
	return false
}

// unescapeJSON appends the decoded contents of a raw JSON string to buf.
func unescapeJSON(raw []byte, buf []byte) []byte {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' || i+1 >= len(raw) {
			buf = append(buf, c)
			continue
		}
		i++
		switch raw[i] {
		case 'n':
			buf = append(buf, '\n')
		case 't':
			buf = append(buf, '\t')
		case 'r':
			buf = append(buf, '\r')
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'u':
			if i+4 >= len(raw) {
				return buf
			}
			r := rune(hex4(raw[i+1 : i+5]))
			i += 4
			if r >= 0xD800 && r < 0xDC00 && i+6 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
				lo := rune(hex4(raw[i+3 : i+7]))
				if lo >= 0xDC00 && lo < 0xE000 {
					r = (r-0xD800)<<10 + (lo - 0xDC00) + 0x10000
					i += 6
				}
			}
			buf = utf8.AppendRune(buf, r)
		default:
			buf = append(buf, raw[i])
		}
	}
	return buf
}

func hex4(b []byte) int {
	n := 0
	for _, c := range b {
		n <<= 4
		switch {
		case c >= '0' && c <= '9':
			n |= int(c - '0')
		case c >= 'a' && c <= 'f':
			n |= int(c-'a') + 10
		case c >= 'A' && c <= 'F':
			n |= int(c-'A') + 10
		}
	}
	return n
}
