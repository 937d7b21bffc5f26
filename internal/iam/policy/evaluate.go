package policy

import "strings"

// Principal is the caller a request is evaluated for.
type Principal struct {
	ARN       string
	AccountID string
	Type      string // Root, IAMUser, AssumedRole, Service, Anonymous
	Service   string // for Type Service, e.g. "ecs-tasks.amazonaws.com"
	UserID    string

	// delegate makes account principals in resource policies match only the account's
	// root user (see Decide).
	delegate bool
}

// Request is one authorization request.
type Request struct {
	// Action is "service:Operation"; matched case-insensitively.
	Action string
	// Resource is the ARN acted on, or "*"; matched case-sensitively.
	Resource string
	// Principal is the caller; matched against Principal/NotPrincipal elements.
	Principal Principal
	// Context holds condition keys (matched case-insensitively) and their values:
	// aws:username, aws:userid, aws:PrincipalArn, aws:SourceIp, aws:CurrentTime
	// (RFC 3339), aws:EpochTime, aws:SecureTransport, aws:PrincipalTag/K, ...
	Context map[string][]string
}

// Effect is the result of evaluating a policy.
type Effect int

const (
	// NotApplicable means no statement matched.
	NotApplicable Effect = iota
	// Allow means an Allow statement matched and no Deny did.
	Allow
	// Deny means a Deny statement matched.
	Deny
)

// String returns the effect's name.
func (e Effect) String() string {
	switch e {
	case Allow:
		return "Allow"
	case Deny:
		return "Deny"
	}
	return "NotApplicable"
}

// Evaluate returns the effect of p's statements on req: Deny if any Deny statement
// matches, else Allow if any Allow statement matches, else NotApplicable.
func (p *Policy) Evaluate(req Request) Effect {
	e, _ := p.evaluate(&req)
	return e
}

// evaluate returns the effect and the label of the deciding statement.
func (p *Policy) evaluate(req *Request) (Effect, string) {
	eff, label := NotApplicable, ""
	for i := range p.Statements {
		st := &p.Statements[i]
		if !st.matches(req) {
			continue
		}
		if st.deny {
			return Deny, st.label
		}
		if eff == NotApplicable {
			eff, label = Allow, st.label
		}
	}
	return eff, label
}

// matches reports whether the statement applies to req.
func (st *Statement) matches(req *Request) bool {
	if st.Action != nil && !anyAction(st.Action, req.Action) {
		return false
	}
	if st.NotAction != nil && anyAction(st.NotAction, req.Action) {
		return false
	}
	if st.Resource != nil && !st.anyResource(st.Resource, req) {
		return false
	}
	if st.NotResource != nil && st.anyResource(st.NotResource, req) {
		return false
	}
	if st.Principal != nil && !principalMatch(st.Principal, &req.Principal) {
		return false
	}
	if st.NotPrincipal != nil && principalMatch(st.NotPrincipal, &req.Principal) {
		return false
	}
	for i := range st.Condition {
		if !evalCondition(&st.Condition[i], req, st.hasVars) {
			return false
		}
	}
	return true
}

// anyAction reports whether action matches one of the patterns.
func anyAction(patterns []string, action string) bool {
	for _, p := range patterns {
		if actionMatch(p, action) {
			return true
		}
	}
	return false
}

// anyResource reports whether the request's resource matches one of the patterns,
// substituting policy variables in Version 2012-10-17 policies.
func (st *Statement) anyResource(patterns []string, req *Request) bool {
	for _, p := range patterns {
		esc := false
		if st.hasVars && strings.Contains(p, "${") {
			e, ok := expand(p, req, true)
			if !ok {
				continue
			}
			p, esc = e, true
		}
		if arnMatch(p, req.Resource, esc) {
			return true
		}
	}
	return false
}

// Decision is the outcome of Decide.
type Decision struct {
	Allowed      bool
	ExplicitDeny bool
	// Statement is the Sid, or else the index, of the deciding statement; empty for
	// an implicit deny.
	Statement string
}

// Decide combines policies as AWS does within one account: an explicit Deny in any
// policy denies; otherwise an Allow in any identity policy or any resource policy (whose
// statements must name the principal) allows; otherwise the request is implicitly
// denied.
func Decide(req Request, identity []*Policy, resource []*Policy) Decision {
	var allow string
	allowed := false
	// In a resource policy, an account principal (its ID or root ARN) delegates to the
	// account's identity policies: it allows the account's root user, but another
	// principal of the account only through its own identity policies. It still
	// denies every principal of the account.
	delegated := req
	delegated.Principal.delegate = true
	for i, set := range [2][]*Policy{identity, resource} {
		for _, p := range set {
			if p == nil {
				continue
			}
			e, label := p.evaluate(&req)
			if e == Allow && i == 1 {
				e, label = p.evaluate(&delegated)
			}
			switch e {
			case Deny:
				return Decision{ExplicitDeny: true, Statement: label}
			case Allow:
				if !allowed {
					allowed, allow = true, label
				}
			}
		}
	}
	return Decision{Allowed: allowed, Statement: allow}
}
