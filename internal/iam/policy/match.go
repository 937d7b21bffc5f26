package policy

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// glob reports whether s matches pattern p, where '*' matches any run of characters
// (including none) and '?' exactly one. With fold, letters match case-insensitively.
// With esc, a backslash in p makes the next character literal (used for patterns built
// by policy-variable substitution, where ${*} and substituted values are literal).
func glob(p, s string, fold, esc bool) bool {
	px, sx := 0, 0
	nextPx, nextSx := 0, -1
	for px < len(p) || sx < len(s) {
		if px < len(p) {
			c := p[px]
			switch {
			case c == '?':
				if sx < len(s) {
					_, n := utf8.DecodeRuneInString(s[sx:])
					px++
					sx += n
					continue
				}
			case c == '*':
				nextPx = px
				if sx < len(s) {
					_, n := utf8.DecodeRuneInString(s[sx:])
					nextSx = sx + n
				} else {
					nextSx = len(s) + 1
				}
				px++
				continue
			default:
				pr, pn := utf8.DecodeRuneInString(p[px:])
				if esc && c == '\\' && px+1 < len(p) {
					pr, pn = utf8.DecodeRuneInString(p[px+1:])
					pn++
				}
				if sx < len(s) {
					sr, sn := utf8.DecodeRuneInString(s[sx:])
					if pr == sr || fold && unicode.ToLower(pr) == unicode.ToLower(sr) {
						px += pn
						sx += sn
						continue
					}
				}
			}
		}
		if 0 < nextSx && nextSx <= len(s) {
			px, sx = nextPx, nextSx
			continue
		}
		return false
	}
	return true
}

// arnMatch matches an ARN against a pattern one colon-separated component at a time, as
// AWS does: wildcards do not cross the first five colons. A pattern with fewer
// components matches its last component against the rest of the ARN.
func arnMatch(pattern, arn string, esc bool) bool {
	if pattern == "*" {
		return true
	}
	for range 5 {
		pi := strings.IndexByte(pattern, ':')
		if pi < 0 {
			return glob(pattern, arn, false, esc)
		}
		ai := strings.IndexByte(arn, ':')
		if ai < 0 {
			return false
		}
		if !glob(pattern[:pi], arn[:ai], false, esc) {
			return false
		}
		pattern, arn = pattern[pi+1:], arn[ai+1:]
	}
	return glob(pattern, arn, false, esc)
}

// actionMatch matches a request action against a policy action, case-insensitively.
func actionMatch(pattern, action string) bool {
	if pattern == "*" {
		return true
	}
	return glob(pattern, action, true, false)
}

// lookup returns the values of a condition key, matching the key case-insensitively.
func (r *Request) lookup(key string) ([]string, bool) {
	if v, ok := r.Context[key]; ok {
		return v, true
	}
	for k, v := range r.Context {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

// expand substitutes policy variables in s: ${key}, ${key, 'default'}, and the
// escapes ${*}, ${?} and ${$}. With forGlob, the result is a pattern for glob's esc
// mode: wildcards written in s stay wildcards, while substituted values and escapes are
// literal. ok is false when a variable has no single value and no default, in which
// case the element matches nothing.
func expand(s string, req *Request, forGlob bool) (string, bool) {
	var b strings.Builder
	lit := func(t string) {
		if !forGlob {
			b.WriteString(t)
			return
		}
		for i := 0; i < len(t); i++ {
			if c := t[i]; c == '*' || c == '?' || c == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(t[i])
		}
	}
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			break
		}
		raw := s[:i]
		if forGlob {
			raw = strings.ReplaceAll(raw, `\`, `\\`)
		}
		b.WriteString(raw)
		inner := s[i+2 : i+j]
		s = s[i+j+1:]
		switch inner {
		case "*", "?", "$":
			lit(inner)
			continue
		}
		key, def, hasDef := strings.Cut(inner, ",")
		key = strings.TrimSpace(key)
		if vals, ok := req.lookup(key); ok && len(vals) == 1 {
			lit(vals[0])
			continue
		}
		def = strings.TrimSpace(def)
		if hasDef && len(def) >= 2 && def[0] == '\'' && def[len(def)-1] == '\'' {
			lit(def[1 : len(def)-1])
			continue
		}
		return "", false
	}
	if forGlob {
		s = strings.ReplaceAll(s, `\`, `\\`)
	}
	b.WriteString(s)
	return b.String(), true
}

// principalMatch reports whether the request's principal is one of the principals in m.
func principalMatch(m map[string][]string, p *Principal) bool {
	for typ, vals := range m {
		for _, v := range vals {
			switch typ {
			case "AWS":
				if awsPrincipalMatch(v, p) {
					return true
				}
			case "Service":
				if p.Type == "Service" && strings.EqualFold(v, p.Service) {
					return true
				}
			default:
				if p.ARN != "" && v == p.ARN {
					return true
				}
			}
		}
	}
	return false
}

// awsPrincipalMatch matches one "AWS" principal value: "*" matches everyone, an account
// (ID or root ARN) every principal of that account, a role ARN the role and its
// sessions, any other ARN exactly that principal.
func awsPrincipalMatch(v string, p *Principal) bool {
	ap, ok := parseAWSPrincipal(v)
	switch {
	case !ok:
		return false
	case ap.any:
		return true
	case p.Type == "Anonymous" || p.Type == "Service":
		return false
	case ap.account != "":
		return p.AccountID == ap.account && (!p.delegate || p.Type == "Root")
	case p.ARN == ap.arn:
		return true
	case ap.role != "" && p.Type == "AssumedRole":
		// arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION
		parts := strings.SplitN(p.ARN, ":", 6)
		if len(parts) != 6 {
			return false
		}
		rest, ok := strings.CutPrefix(parts[5], "assumed-role/")
		if !ok {
			return false
		}
		name, _, _ := strings.Cut(rest, "/")
		return parts[4]+"/"+name == ap.role
	}
	return false
}
