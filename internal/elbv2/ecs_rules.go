package elbv2

import (
	"context"
	"maps"
	"slices"

	"github.com/wharf-dev/wharf/internal/store"
)

// The methods of this file let ECS shift traffic between the two target groups of a
// blue/green, linear or canary deployment (they implement ecs.ListenerRules). A rule is
// named by its ARN, or, for its default action, by its listener's ARN, as ECS's
// productionListenerRule and testListenerRule accept both. None may be called inside a
// store transaction.

// resolveRule finds a rule by its ARN, or a listener's default rule by the listener's
// ARN.
func (s *Service) resolveRule(tx *store.Tx, arn string) (*ruleRef, bool, error) {
	if looksLikeARN(arn, kindListener) {
		l, found, err := s.listener(tx, arn)
		if err != nil || !found {
			return nil, false, err
		}
		return &ruleRef{listener: l}, true, nil
	}
	if !looksLikeARN(arn, kindRule) {
		return nil, false, nil
	}
	return s.findRule(tx, arn)
}

// forwardWeights returns the target groups a rule's forward action sends to, with
// their weights (a lone TargetGroupArn weighs 1), and the action's stickiness.
func forwardWeights(actions []Action) (map[string]int32, *TargetGroupStickinessConfig) {
	out := map[string]int32{}
	for _, a := range actions {
		if deref(a.Type) != ActionForward {
			continue
		}
		if a.ForwardConfig != nil {
			for _, t := range a.ForwardConfig.TargetGroups {
				out[deref(t.TargetGroupArn)] = deref(t.Weight)
			}
			return out, a.ForwardConfig.TargetGroupStickinessConfig
		}
		if a.TargetGroupArn != nil {
			out[*a.TargetGroupArn] = 1
		}
	}
	return out, nil
}

// RuleForward returns the target groups a rule (or a listener's default action)
// forwards to and their weights; found is false when there is no such rule or
// listener.
func (s *Service) RuleForward(ctx context.Context, ruleArn string) (weights map[string]int32, found bool, err error) {
	err = s.view(ctx, func(tx *store.Tx) error {
		rr, ok, err := s.resolveRule(tx, ruleArn)
		if err != nil || !ok {
			return err
		}
		found = true
		weights, _ = forwardWeights(rr.view(s).Actions)
		return nil
	})
	return weights, found, err
}

// SetRuleForward makes a rule (or a listener's default action) forward to exactly the
// given target groups with the given weights, keeping the stickiness of its forward
// action, as ModifyRule does: the change is validated and stored, and served by the
// data plane when the call returns. Nothing changes when the weights are already so.
func (s *Service) SetRuleForward(ctx context.Context, ruleArn string, weights map[string]int32) error {
	var ruleARN string
	var current []Action
	err := s.view(ctx, func(tx *store.Tx) error {
		rr, ok, err := s.resolveRule(tx, ruleArn)
		if err != nil {
			return err
		}
		if !ok {
			return errCode("RuleNotFound", "Rule '%s' not found", ruleArn)
		}
		r := rr.view(s)
		ruleARN, current = r.RuleArn, r.Actions
		return nil
	})
	if err != nil {
		return err
	}
	have, sticky := forwardWeights(current)
	if len(current) == 1 && maps.Equal(have, weights) {
		return nil
	}
	// Target groups keep their place in the action; new ones follow, sorted.
	var order []string
	for _, a := range current {
		if a.ForwardConfig != nil {
			for _, t := range a.ForwardConfig.TargetGroups {
				if _, ok := weights[deref(t.TargetGroupArn)]; ok {
					order = append(order, deref(t.TargetGroupArn))
				}
			}
		}
	}
	for _, tg := range slices.Sorted(maps.Keys(weights)) {
		if !slices.Contains(order, tg) {
			order = append(order, tg)
		}
	}
	fc := &ForwardActionConfig{TargetGroupStickinessConfig: sticky}
	for _, tg := range order {
		fc.TargetGroups = append(fc.TargetGroups, TargetGroupTuple{TargetGroupArn: ptr(tg), Weight: ptr(weights[tg])})
	}
	_, err = s.ModifyRule(ctx, &ModifyRuleInput{
		RuleArn: &ruleARN,
		Actions: []Action{{Type: ptr(ActionForward), ForwardConfig: fc}},
	})
	return err
}
