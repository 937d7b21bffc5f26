package template

import "strings"

// subPart is a piece of an Fn::Sub string: literal text or a variable name.
type subPart struct {
	text  string
	isVar bool
}

// subString is a parsed Fn::Sub string.
type subString struct {
	parts []subPart
	// bad is the first variable name that is not well-formed, if any.
	bad string
	// hasBad tells bad apart from an empty bad name ("${}").
	hasBad bool
}

// parseSub returns the parsed form of an Fn::Sub string node.
func parseSub(n *node) *subString {
	if n.sub != nil {
		return n.sub
	}
	return parseSubText(n.s)
}

// parseSubText splits an Fn::Sub string into literals and ${Name} variables;
// ${!Literal} stands for the text "${Literal}", and a "${" without its "}" is
// literal text.
func parseSubText(s string) *subString {
	ss := &subString{}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			ss.parts = append(ss.parts, subPart{text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		j := strings.Index(s[i:], "${")
		if j < 0 {
			lit.WriteString(s[i:])
			break
		}
		lit.WriteString(s[i : i+j])
		i += j
		if i+2 < len(s) && s[i+2] == '!' {
			lit.WriteString("${")
			i += 3
			continue
		}
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			lit.WriteString(s[i:])
			break
		}
		name := strings.TrimSpace(s[i+2 : i+2+end])
		if !validSubName(name) && !ss.hasBad {
			ss.bad, ss.hasBad = name, true
		}
		flush()
		ss.parts = append(ss.parts, subPart{text: name, isVar: true})
		i += 2 + end + 1
	}
	flush()
	return ss
}

// validSubName reports whether a variable name has only the characters AWS allows:
// alphanumerics, underscores, periods and colons.
func validSubName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

// subNameError is AWS's message for a malformed variable name.
const subNameError = "variable names in Fn::Sub syntax must contain only alphanumeric characters, underscores, periods, and colons"
