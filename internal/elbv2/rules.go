package elbv2

import (
	"context"
	"fmt"
	"strconv"

	"github.com/wharf-dev/wharf/internal/store"
)

// CreateRuleInput is the input of CreateRule.
type CreateRuleInput struct {
	ListenerArn *string         `json:"ListenerArn,omitempty"`
	Priority    *int32          `json:"Priority,omitempty"`
	Conditions  []RuleCondition `json:"Conditions,omitempty"`
	Actions     []Action        `json:"Actions,omitempty"`
	Tags        []Tag           `json:"Tags,omitempty"`
	Transforms  []struct{}      `json:"Transforms,omitempty"`
}

// CreateRuleOutput is the output of CreateRule.
type CreateRuleOutput struct {
	Rules []Rule `json:"Rules"`
}

// DescribeRulesInput is the input of DescribeRules.
type DescribeRulesInput struct {
	ListenerArn *string  `json:"ListenerArn,omitempty"`
	RuleArns    []string `json:"RuleArns,omitempty"`
	Marker      *string  `json:"Marker,omitempty"`
	PageSize    *int32   `json:"PageSize,omitempty"`
}

// DescribeRulesOutput is the output of DescribeRules.
type DescribeRulesOutput struct {
	Rules      []Rule  `json:"Rules"`
	NextMarker *string `json:"NextMarker,omitempty"`
}

// ModifyRuleInput is the input of ModifyRule.
type ModifyRuleInput struct {
	RuleArn         *string         `json:"RuleArn,omitempty"`
	Conditions      []RuleCondition `json:"Conditions,omitempty"`
	Actions         []Action        `json:"Actions,omitempty"`
	Transforms      []struct{}      `json:"Transforms,omitempty"`
	ResetTransforms *bool           `json:"ResetTransforms,omitempty"`
}

// ModifyRuleOutput is the output of ModifyRule.
type ModifyRuleOutput struct {
	Rules []Rule `json:"Rules"`
}

// DeleteRuleInput is the input of DeleteRule.
type DeleteRuleInput struct {
	RuleArn *string `json:"RuleArn,omitempty"`
}

// DeleteRuleOutput is the (empty) output of DeleteRule.
type DeleteRuleOutput struct{}

// SetRulePrioritiesInput is the input of SetRulePriorities.
type SetRulePrioritiesInput struct {
	RulePriorities []RulePriorityPair `json:"RulePriorities,omitempty"`
}

// SetRulePrioritiesOutput is the output of SetRulePriorities.
type SetRulePrioritiesOutput struct {
	Rules []Rule `json:"Rules"`
}

func errTransforms() error {
	return errValidation("Rule transforms are not supported: Wharf forwards requests without rewriting them")
}

// CreateRule adds a rule to a listener. Priorities are unique per listener
// (PriorityInUse); a load balancer has at most 100 rules besides its default ones
// (TooManyRules).
func (s *Service) CreateRule(ctx context.Context, in *CreateRuleInput) (*CreateRuleOutput, error) {
	if in.Priority == nil {
		return nil, errRequired("priority")
	}
	if err := checkRange("priority", in.Priority, 1, 50000); err != nil {
		return nil, err
	}
	if len(in.Transforms) > 0 {
		return nil, errTransforms()
	}
	conds, err := checkConditions(in.Conditions)
	if err != nil {
		return nil, err
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	var out Rule
	err = s.change(ctx, func(tx *store.Tx) error {
		l, err := s.mustListener(tx, "listenerArn", in.ListenerArn)
		if err != nil {
			return err
		}
		actions, err := s.checkActions(tx, "actions", in.Actions, l.Listener.LoadBalancerArn, l.Listener.Protocol)
		if err != nil {
			return err
		}
		rules, err := s.rulesOf(tx, l)
		if err != nil {
			return err
		}
		for _, r := range rules {
			if r.Priority == int(*in.Priority) {
				return errCode("PriorityInUse", "Priority '%d' is currently in use", *in.Priority)
			}
		}
		lbName := lbNameOf(l.Listener.LoadBalancerArn)
		if tx.Count(bucketRules, lbName+"/") >= quotaRulesPerLB {
			return errCode("TooManyRules", "You've reached the limit on the number of rules per load balancer ('%d')", quotaRulesPerLB)
		}
		lr, _ := s.parseARN(l.Listener.ListenerArn)
		id := randomHex(16)
		out = Rule{
			RuleArn:    s.ruleARN(lr.name, lr.id, lr.listenerID, id),
			Priority:   strconv.Itoa(int(*in.Priority)),
			Conditions: conds,
			Actions:    actions,
		}
		rec := &ruleRecord{Rule: out, Priority: int(*in.Priority), Listener: l.Listener.ListenerArn, Tags: in.Tags}
		if err := tx.Put(bucketRules, ruleKey(lr.name, lr.listenerID, id), rec); err != nil {
			return err
		}
		return s.checkUniqueTargetGroups(tx, l.Listener.LoadBalancerArn)
	})
	if err != nil {
		return nil, err
	}
	return &CreateRuleOutput{Rules: []Rule{out}}, nil
}

// ruleSortKey orders rules by listener, then priority, the default rule last.
func ruleSortKey(listenerARN string, r Rule) string {
	p := r.Priority
	if r.IsDefault {
		p = "50001"
	}
	n, _ := strconv.Atoi(p)
	return fmt.Sprintf("%s/%05d", listenerARN, n)
}

// DescribeRules describes the rules of a listener (by priority, the default rule last,
// with priority "default"), or rules by ARN.
func (s *Service) DescribeRules(ctx context.Context, in *DescribeRulesInput) (*DescribeRulesOutput, error) {
	if in.ListenerArn != nil && len(in.RuleArns) > 0 {
		return nil, errValidation("Listener ARN and rule ARNs cannot be specified at the same time")
	}
	if in.ListenerArn == nil && len(in.RuleArns) == 0 {
		return nil, errValidation("One of listener ARN or rule ARNs must be specified")
	}
	type keyed struct {
		key  string
		rule Rule
	}
	var rules []keyed
	err := s.view(ctx, func(tx *store.Tx) error {
		if in.ListenerArn != nil {
			l, err := s.mustListener(tx, "listenerArn", in.ListenerArn)
			if err != nil {
				return err
			}
			recs, err := s.rulesOf(tx, l)
			if err != nil {
				return err
			}
			for _, r := range recs {
				rules = append(rules, keyed{ruleSortKey(r.Listener, r.Rule), r.Rule})
			}
			def := s.defaultRule(l)
			rules = append(rules, keyed{ruleSortKey(l.Listener.ListenerArn, def), def})
			return nil
		}
		var missing []string
		for _, arn := range in.RuleArns {
			if !looksLikeARN(arn, kindRule) {
				return errValidation("'%s' is not a valid listener rule ARN", arn)
			}
			rr, found, err := s.findRule(tx, arn)
			if err != nil {
				return err
			}
			if !found {
				missing = append(missing, arn)
				continue
			}
			r := rr.view(s)
			rules = append(rules, keyed{ruleSortKey(rr.listener.Listener.ListenerArn, r), r})
		}
		if len(missing) > 0 {
			return notFound("RuleNotFound", "Rules", missing)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	pg, next, err := page(rules, func(k keyed) string { return k.key }, in.Marker, in.PageSize)
	if err != nil {
		return nil, err
	}
	out := &DescribeRulesOutput{Rules: make([]Rule, 0, len(pg)), NextMarker: next}
	for i, k := range pg {
		if i > 0 && k.rule.RuleArn == pg[i-1].rule.RuleArn {
			continue
		}
		out.Rules = append(out.Rules, k.rule)
	}
	return out, nil
}

// view returns the rule as DescribeRules shows it.
func (rr *ruleRef) view(s *Service) Rule {
	if rr.rule == nil {
		return s.defaultRule(rr.listener)
	}
	return rr.rule.Rule
}

// ModifyRule replaces the conditions or the actions of a rule (a default rule has
// actions only: they are its listener's default actions).
func (s *Service) ModifyRule(ctx context.Context, in *ModifyRuleInput) (*ModifyRuleOutput, error) {
	if len(in.Transforms) > 0 {
		return nil, errTransforms()
	}
	var conds []RuleCondition
	if in.Conditions != nil {
		var err error
		if conds, err = checkConditions(in.Conditions); err != nil {
			return nil, err
		}
	}
	var out Rule
	err := s.change(ctx, func(tx *store.Tx) error {
		rr, err := s.mustRule(tx, "ruleArn", in.RuleArn)
		if err != nil {
			return err
		}
		l := rr.listener
		var actions []Action
		if in.Actions != nil {
			if actions, err = s.checkActions(tx, "actions", in.Actions, l.Listener.LoadBalancerArn, l.Listener.Protocol); err != nil {
				return err
			}
		}
		if rr.rule == nil {
			if conds != nil {
				return errCode("OperationNotPermitted", "The default rule '%s' cannot have conditions", *in.RuleArn)
			}
			if actions != nil {
				l.Listener.DefaultActions = actions
				if err := tx.Put(bucketListeners, listenerKey(lbNameOf(l.Listener.LoadBalancerArn), l.ID), l); err != nil {
					return err
				}
			}
			out = s.defaultRule(l)
		} else {
			if conds != nil {
				rr.rule.Rule.Conditions = conds
			}
			if actions != nil {
				rr.rule.Rule.Actions = actions
			}
			if err := tx.Put(bucketRules, rr.key, rr.rule); err != nil {
				return err
			}
			out = rr.rule.Rule
		}
		return s.checkUniqueTargetGroups(tx, l.Listener.LoadBalancerArn)
	})
	if err != nil {
		return nil, err
	}
	return &ModifyRuleOutput{Rules: []Rule{out}}, nil
}

// DeleteRule deletes a rule; the default rule cannot be deleted (OperationNotPermitted).
func (s *Service) DeleteRule(ctx context.Context, in *DeleteRuleInput) (*DeleteRuleOutput, error) {
	err := s.change(ctx, func(tx *store.Tx) error {
		rr, err := s.mustRule(tx, "ruleArn", in.RuleArn)
		if err != nil {
			return err
		}
		if rr.rule == nil {
			return errCode("OperationNotPermitted", "Default rule '%s' cannot be deleted", *in.RuleArn)
		}
		return tx.Delete(bucketRules, rr.key)
	})
	if err != nil {
		return nil, err
	}
	return &DeleteRuleOutput{}, nil
}

// SetRulePriorities sets the priorities of rules, all at once or not at all: a
// priority another rule of the listener keeps fails the whole call (PriorityInUse), so
// two rules can swap priorities in one call.
func (s *Service) SetRulePriorities(ctx context.Context, in *SetRulePrioritiesInput) (*SetRulePrioritiesOutput, error) {
	if len(in.RulePriorities) == 0 {
		return nil, errRequired("rulePriorities")
	}
	for i, p := range in.RulePriorities {
		m := fmt.Sprintf("rulePriorities.member.%d", i+1)
		if p.RuleArn == nil {
			return nil, errRequired(m + ".ruleArn")
		}
		if p.Priority == nil {
			return nil, errRequired(m + ".priority")
		}
		if err := checkRange(m+".priority", p.Priority, 1, 50000); err != nil {
			return nil, err
		}
	}
	var out []Rule
	err := s.change(ctx, func(tx *store.Tx) error {
		changed := map[string]*ruleRef{} // by rule ARN
		taken := map[string]string{}     // listener ARN "/" priority → rule ARN
		for _, p := range in.RulePriorities {
			rr, err := s.mustRule(tx, "ruleArn", p.RuleArn)
			if err != nil {
				return err
			}
			if rr.rule == nil {
				return errCode("OperationNotPermitted", "The priority of the default rule '%s' cannot be changed", *p.RuleArn)
			}
			if changed[*p.RuleArn] != nil {
				return errValidation("Rule '%s' was provided multiple times", *p.RuleArn)
			}
			slot := fmt.Sprintf("%s/%d", rr.rule.Listener, *p.Priority)
			if taken[slot] != "" {
				return errValidation("Priority '%d' was provided multiple times", *p.Priority)
			}
			taken[slot] = *p.RuleArn
			rr.rule.Priority = int(*p.Priority)
			rr.rule.Rule.Priority = strconv.Itoa(int(*p.Priority))
			changed[*p.RuleArn] = rr
		}
		// A rule left as it is keeps its priority, which no moved rule may take.
		checked := map[string]bool{}
		for _, rr := range changed {
			if checked[rr.rule.Listener] {
				continue
			}
			checked[rr.rule.Listener] = true
			rules, err := s.rulesOf(tx, rr.listener)
			if err != nil {
				return err
			}
			for _, r := range rules {
				if changed[r.Rule.RuleArn] != nil {
					continue
				}
				if taken[fmt.Sprintf("%s/%d", r.Listener, r.Priority)] != "" {
					return errCode("PriorityInUse", "Priority '%d' is currently in use", r.Priority)
				}
			}
		}
		for _, p := range in.RulePriorities {
			rr := changed[*p.RuleArn]
			if err := tx.Put(bucketRules, rr.key, rr.rule); err != nil {
				return err
			}
			out = append(out, rr.rule.Rule)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &SetRulePrioritiesOutput{Rules: out}, nil
}
