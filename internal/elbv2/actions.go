package elbv2

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/wharf-dev/wharf/internal/store"
)

// Redirect defaults: a component not given keeps the request's.
const (
	redirectProtocol = "#{protocol}"
	redirectPort     = "#{port}"
	redirectHost     = "#{host}"
	redirectPath     = "/#{path}"
	redirectQuery    = "#{query}"
)

var fixedContentTypes = []string{"text/plain", "text/css", "text/html", "application/javascript", "application/json"}

// checkActions checks the actions of a rule (or a listener's default actions) of the
// load balancer lbARN, whose listener speaks protocol, and returns them as they are
// stored and shown: sorted by Order, orders and redirect defaults filled in, a forward
// action with both TargetGroupArn (for one group) and ForwardConfig.
func (s *Service) checkActions(tx *store.Tx, member string, in []Action, lbARN, protocol string) ([]Action, error) {
	if len(in) == 0 {
		return nil, errRequired(member)
	}
	out := make([]Action, 0, len(in))
	orders := map[int32]bool{}
	for i, a := range in {
		m := fmt.Sprintf("%s.member.%d", member, i+1)
		if a.Type == nil {
			return nil, errRequired(m + ".type")
		}
		order := int32(i + 1)
		if a.Order != nil {
			if err := checkRange(m+".order", a.Order, 1, 50000); err != nil {
				return nil, err
			}
			order = *a.Order
		}
		if orders[order] {
			return nil, errValidation("Action order '%d' was specified more than once", order)
		}
		orders[order] = true
		var (
			act Action
			err error
		)
		switch *a.Type {
		case ActionForward:
			act, err = s.checkForward(tx, a, lbARN)
		case ActionFixedResponse:
			act, err = checkFixedResponse(a)
		case ActionRedirect:
			act, err = checkRedirect(a, protocol)
		case "authenticate-oidc", "authenticate-cognito", "jwt-validation":
			return nil, errCode("InvalidLoadBalancerAction", "Action type '%s' is not supported: Wharf has no identity provider to authenticate with", *a.Type)
		default:
			return nil, errEnum(m+".type", *a.Type, "forward", "authenticate-oidc", "authenticate-cognito", "redirect", "fixed-response", "jwt-validation")
		}
		if err != nil {
			return nil, err
		}
		act.Type = ptr(*a.Type)
		act.Order = ptr(order)
		out = append(out, act)
	}
	if len(out) > 1 {
		return nil, errCode("InvalidLoadBalancerAction", "A rule can have only one of the actions forward, redirect and fixed-response")
	}
	slices.SortFunc(out, func(a, b Action) int { return int(*a.Order) - int(*b.Order) })
	return out, nil
}

// checkForward checks a forward action: its target groups exist, are not used by
// another load balancer, and are at most 5, with weights from 0 to 999.
func (s *Service) checkForward(tx *store.Tx, a Action, lbARN string) (Action, error) {
	var tuples []TargetGroupTuple
	var sticky *TargetGroupStickinessConfig
	switch {
	case a.ForwardConfig != nil:
		tuples = a.ForwardConfig.TargetGroups
		sticky = a.ForwardConfig.TargetGroupStickinessConfig
		if len(tuples) == 0 {
			return Action{}, errValidation("A forward action's ForwardConfig must have at least one target group")
		}
		if a.TargetGroupArn != nil && (len(tuples) != 1 || deref(tuples[0].TargetGroupArn) != *a.TargetGroupArn) {
			return Action{}, errValidation("A forward action with both TargetGroupArn and ForwardConfig must name the same, single target group in both")
		}
	case a.TargetGroupArn != nil:
		tuples = []TargetGroupTuple{{TargetGroupArn: a.TargetGroupArn}}
	default:
		return Action{}, errValidation("A forward action must have a TargetGroupArn or a ForwardConfig")
	}
	if len(tuples) > quotaTargetGroupsPerAction {
		return Action{}, errCode("TooManyTargetGroups", "A forward action can have at most '%d' target groups; %d were given", quotaTargetGroupsPerAction, len(tuples))
	}
	use, err := s.usage(tx)
	if err != nil {
		return Action{}, err
	}
	fc := &ForwardActionConfig{}
	for _, t := range tuples {
		arn := deref(t.TargetGroupArn)
		if arn == "" {
			return Action{}, errValidation("Each target group of a forward action must have a TargetGroupArn")
		}
		if !looksLikeARN(arn, kindTargetGroup) {
			return Action{}, errValidation("'%s' is not a valid target group ARN", arn)
		}
		if _, found, err := s.targetGroup(tx, arn); err != nil {
			return Action{}, err
		} else if !found {
			return Action{}, errCode("TargetGroupNotFound", "Target group '%s' not found", arn)
		}
		for _, other := range use[arn] {
			if other != lbARN {
				return Action{}, errCode("TargetGroupAssociationLimit", "The following target groups cannot be associated with more than one load balancer: '%s'", arn)
			}
		}
		if slices.ContainsFunc(fc.TargetGroups, func(x TargetGroupTuple) bool { return *x.TargetGroupArn == arn }) {
			return Action{}, errValidation("Target group '%s' is specified more than once in a forward action", arn)
		}
		weight := int32(1)
		if t.Weight != nil {
			if err := checkRange("weight", t.Weight, 0, 999); err != nil {
				return Action{}, err
			}
			weight = *t.Weight
		}
		fc.TargetGroups = append(fc.TargetGroups, TargetGroupTuple{TargetGroupArn: ptr(arn), Weight: ptr(weight)})
	}
	fc.TargetGroupStickinessConfig = &TargetGroupStickinessConfig{Enabled: ptr(false)}
	if sticky != nil {
		if err := checkRange("durationSeconds", sticky.DurationSeconds, 1, 604800); err != nil {
			return Action{}, err
		}
		if deref(sticky.Enabled) {
			if sticky.DurationSeconds == nil {
				return Action{}, errValidation("The duration of target group stickiness must be specified when stickiness is enabled")
			}
			fc.TargetGroupStickinessConfig = &TargetGroupStickinessConfig{Enabled: ptr(true), DurationSeconds: ptr(*sticky.DurationSeconds)}
		}
	}
	out := Action{ForwardConfig: fc}
	if len(fc.TargetGroups) == 1 {
		out.TargetGroupArn = ptr(*fc.TargetGroups[0].TargetGroupArn)
	}
	return out, nil
}

func checkFixedResponse(a Action) (Action, error) {
	f := a.FixedResponseConfig
	if f == nil {
		return Action{}, errValidation("A fixed-response action must have a FixedResponseConfig")
	}
	code := deref(f.StatusCode)
	if f.StatusCode == nil {
		return Action{}, errRequired("fixedResponseConfig.statusCode")
	}
	if len(code) != 3 || !strings.ContainsRune("245", rune(code[0])) || strings.Trim(code[1:], "0123456789") != "" {
		return Action{}, errValidation("Fixed response status code '%s' is not valid: it must be a 2XX, 4XX or 5XX code", code)
	}
	out := &FixedResponseActionConfig{StatusCode: ptr(code)}
	if f.ContentType != nil {
		if !slices.Contains(fixedContentTypes, *f.ContentType) {
			return Action{}, errEnum("fixedResponseConfig.contentType", *f.ContentType, fixedContentTypes...)
		}
		out.ContentType = ptr(*f.ContentType)
	}
	if f.MessageBody != nil {
		if len(*f.MessageBody) > 1024 {
			return Action{}, errValidation("Fixed response message body is %d bytes long; it can be at most 1024", len(*f.MessageBody))
		}
		out.MessageBody = ptr(*f.MessageBody)
	}
	return Action{FixedResponseConfig: out}, nil
}

func checkRedirect(a Action, listenerProtocol string) (Action, error) {
	r := a.RedirectConfig
	if r == nil {
		return Action{}, errValidation("A redirect action must have a RedirectConfig")
	}
	out := &RedirectActionConfig{
		Protocol:   ptr(orDefault(r.Protocol, redirectProtocol)),
		Port:       ptr(orDefault(r.Port, redirectPort)),
		Host:       ptr(orDefault(r.Host, redirectHost)),
		Path:       ptr(orDefault(r.Path, redirectPath)),
		Query:      ptr(orDefault(r.Query, redirectQuery)),
		StatusCode: r.StatusCode,
	}
	switch deref(r.StatusCode) {
	case "HTTP_301", "HTTP_302":
	case "":
		return Action{}, errRequired("redirectConfig.statusCode")
	default:
		return Action{}, errEnum("redirectConfig.statusCode", *r.StatusCode, "HTTP_301", "HTTP_302")
	}
	switch p := *out.Protocol; p {
	case "HTTP", "HTTPS", redirectProtocol:
		if p == "HTTP" && listenerProtocol == "HTTPS" {
			return Action{}, errValidation("A redirect cannot go from HTTPS to HTTP")
		}
	default:
		return Action{}, errValidation("Redirect protocol '%s' is not valid: it must be HTTP, HTTPS or #{protocol}", p)
	}
	if p := *out.Port; p != redirectPort {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return Action{}, errValidation("Redirect port '%s' is not valid: it must be a port from 1 to 65535 or #{port}", p)
		}
	}
	for _, part := range []struct{ name, v string }{{"host", *out.Host}, {"path", *out.Path}, {"query", *out.Query}} {
		if len(part.v) > 128 {
			return Action{}, errValidation("Redirect %s '%s' is longer than 128 characters", part.name, part.v)
		}
		if rule := visible(false)(part.v); rule != "" && part.v != "" {
			return Action{}, errValidation("Redirect %s '%s' is not valid: %s", part.name, part.v, rule)
		}
	}
	if *out.Host == "" {
		return Action{}, errValidation("Redirect host cannot be empty")
	}
	if !strings.HasPrefix(*out.Path, "/") {
		return Action{}, errValidation("Redirect path '%s' is not valid: it must begin with '/'", *out.Path)
	}
	if strings.HasPrefix(*out.Query, "?") {
		return Action{}, errValidation("Redirect query '%s' is not valid: it must not begin with '?', which is added", *out.Query)
	}
	if *out.Protocol == redirectProtocol && *out.Port == redirectPort && *out.Host == redirectHost &&
		*out.Path == redirectPath && *out.Query == redirectQuery {
		return Action{}, errCode("InvalidLoadBalancerAction", "The redirect configuration is not valid because it creates a loop.")
	}
	return Action{RedirectConfig: out}, nil
}

func orDefault(v *string, def string) string {
	if v == nil {
		return def
	}
	return *v
}

// checkUniqueTargetGroups enforces the quota of target groups per load balancer once
// a change is written.
func (s *Service) checkUniqueTargetGroups(tx *store.Tx, lbARN string) error {
	use, err := s.usage(tx)
	if err != nil {
		return err
	}
	n := 0
	for _, lbs := range use {
		if slices.Contains(lbs, lbARN) {
			n++
		}
	}
	if n > quotaTargetGroupsPerLB {
		return errCode("TooManyUniqueTargetGroupsPerLoadBalancer", "You've reached the limit on the number of unique target groups per load balancer ('%d')", quotaTargetGroupsPerLB)
	}
	return nil
}
