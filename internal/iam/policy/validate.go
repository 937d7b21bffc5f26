package policy

import (
	"fmt"
	"strings"
)

// validate applies AWS's semantic rules, in AWS's order, to a syntactically valid policy.
func validate(p *Policy, kind Kind) error {
	iamKind := kind == Identity || kind == Trust
	// Legacy parsing: case-sensitive Effect, parsable dates, resource shapes.
	for _, st := range p.Statements {
		if st.Effect != "Allow" && st.Effect != "Deny" {
			return &Error{msgLegacy}
		}
		for _, c := range st.Condition {
			if !c.op.isDate() {
				continue
			}
			for _, v := range c.Values {
				if strings.Contains(v, "${") {
					continue
				}
				if _, ok := parseDate(v); !ok {
					return &Error{msgLegacy}
				}
			}
		}
		for _, r := range append(append([]string(nil), st.Resource...), st.NotResource...) {
			if r != "*" && strings.Contains(r, "::") && strings.Count(r, ":") < 5 {
				return &Error{msgLegacy}
			}
		}
	}
	if iamKind {
		seen := map[string]bool{}
		for _, st := range p.Statements {
			if st.Sid == "" {
				continue
			}
			if seen[st.Sid] {
				return &Error{msgSidUnique}
			}
			seen[st.Sid] = true
		}
		for _, st := range p.Statements {
			if !alnum(st.Sid) {
				return &Error{msgSidFormat}
			}
		}
	}
	for _, st := range p.Statements {
		if len(st.Action) == 0 && len(st.NotAction) == 0 {
			return &Error{msgNeedActions}
		}
	}
	for _, st := range p.Statements {
		if kind == Trust {
			if st.hasRes {
				return &Error{msgTrustResource}
			}
			continue
		}
		if len(st.Resource) == 0 && len(st.NotResource) == 0 {
			return &Error{msgNeedResources}
		}
	}
	for _, st := range p.Statements {
		for _, r := range st.Resource {
			if err := checkResource(r); err != nil {
				return err
			}
		}
		for _, r := range st.NotResource {
			if err := checkResource(r); err != nil {
				return err
			}
		}
	}
	for _, st := range p.Statements {
		for _, a := range st.Action {
			if err := checkAction(a); err != nil {
				return err
			}
		}
		for _, a := range st.NotAction {
			if err := checkAction(a); err != nil {
				return err
			}
		}
		for _, c := range st.Condition {
			if !strings.Contains(c.Key, ":") {
				return &Error{msgVendor}
			}
		}
	}
	for _, st := range p.Statements {
		hasP := st.Principal != nil || st.NotPrincipal != nil
		if kind == Identity {
			if hasP {
				return &Error{msgNoPrincipal}
			}
			continue
		}
		if !hasP {
			return &Error{msgNeedPrincipal}
		}
		for _, m := range []map[string][]string{st.Principal, st.NotPrincipal} {
			if err := checkPrincipals(m); err != nil {
				return err
			}
		}
	}
	if kind == Trust {
		for _, st := range p.Statements {
			for _, a := range st.Action {
				if !trustAction(a) {
					return &Error{msgTrustAction}
				}
			}
		}
	}
	return nil
}

// alnum reports whether s matches [0-9A-Za-z]*.
func alnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// checkResource requires "*" or an ARN-shaped string.
func checkResource(r string) error {
	if r == "*" {
		return nil
	}
	if !strings.Contains(r, ":") {
		return &Error{fmt.Sprintf("Resource %s must be in ARN format or \"*\".", r)}
	}
	if strings.HasPrefix(r, "arn:") {
		rest := r[len("arn:"):]
		part, rest, ok := strings.Cut(rest, ":")
		if part != "*" && !strings.HasPrefix(part, "aws") && !strings.HasPrefix(part, "${") {
			return &Error{fmt.Sprintf("Partition \"%s\" is not valid for resource \"%s\".", part, r)}
		}
		if ok {
			vendor, _, _ := strings.Cut(rest, ":")
			if strings.ContainsAny(vendor, "*?") && vendor != "*" {
				return &Error{"Resource vendor must be fully qualified and cannot contain regexes."}
			}
		}
	}
	return nil
}

// checkAction requires "*" or vendor:action with a valid vendor.
func checkAction(a string) error {
	if a == "*" {
		return nil
	}
	vendor, name, ok := strings.Cut(a, ":")
	if !ok {
		return &Error{msgVendor}
	}
	if strings.Contains(name, ":") {
		return &Error{msgOneColon}
	}
	if vendor == "*" {
		return nil
	}
	for i := 0; i < len(vendor); i++ {
		c := vendor[i]
		if !(c == '-' || c == '.' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return &Error{fmt.Sprintf("Vendor %s is not valid", vendor)}
		}
	}
	if vendor == "" {
		return &Error{msgVendor}
	}
	return nil
}

// trustAction reports whether a is an action a trust policy may grant.
func trustAction(a string) bool {
	vendor, name, ok := strings.Cut(a, ":")
	if a == "*" {
		return true
	}
	if !ok || !strings.EqualFold(vendor, "sts") {
		return false
	}
	for _, n := range []string{"AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity", "TagSession", "SetSourceIdentity", "SetContext"} {
		if glob(name, n, true, false) {
			return true
		}
	}
	return false
}

// checkPrincipals validates the values of a Principal or NotPrincipal element.
func checkPrincipals(m map[string][]string) error {
	for typ, vals := range m {
		for _, v := range vals {
			bad := &Error{fmt.Sprintf("Invalid principal in policy: \"%s\":\"%s\"", typ, v)}
			switch typ {
			case "AWS":
				if _, ok := parseAWSPrincipal(v); !ok {
					return bad
				}
			case "Service":
				if v == "" || strings.ContainsAny(v, "*? :") || !strings.Contains(v, ".") {
					return bad
				}
			case "Federated", "CanonicalUser":
				if v == "" {
					return bad
				}
			default:
				return bad
			}
		}
	}
	return nil
}

// awsPrincipal is a parsed value of a Principal's "AWS" element.
type awsPrincipal struct {
	any     bool   // "*"
	account string // set for the account root (12 digits or arn:...:root)
	arn     string // set for users, roles, sessions
	role    string // role name, for a role ARN (matches its sessions)
}

// parseAWSPrincipal parses "*", a 12-digit account, or an IAM/STS ARN.
func parseAWSPrincipal(v string) (awsPrincipal, bool) {
	if v == "*" {
		return awsPrincipal{any: true}, true
	}
	if isAccount(v) {
		return awsPrincipal{account: v}, true
	}
	parts := strings.SplitN(v, ":", 6)
	if strings.ContainsAny(v, "*?") || len(parts) != 6 || parts[0] != "arn" || !strings.HasPrefix(parts[1], "aws") || parts[3] != "" || !isAccount(parts[4]) {
		return awsPrincipal{}, false
	}
	res := parts[5]
	switch parts[2] {
	case "iam":
		switch {
		case res == "root":
			return awsPrincipal{account: parts[4]}, true
		case strings.HasPrefix(res, "user/") && len(res) > len("user/"):
			return awsPrincipal{arn: v}, true
		case strings.HasPrefix(res, "role/") && len(res) > len("role/"):
			name := res[strings.LastIndexByte(res, '/')+1:]
			if name == "" {
				return awsPrincipal{}, false
			}
			return awsPrincipal{arn: v, account: "", role: parts[4] + "/" + name}, true
		}
	case "sts":
		if strings.HasPrefix(res, "assumed-role/") || strings.HasPrefix(res, "federated-user/") {
			return awsPrincipal{arn: v}, true
		}
	}
	return awsPrincipal{}, false
}

// isAccount reports whether s is a 12-digit account ID.
func isAccount(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
