package ecs

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/wharf-dev/wharf/internal/awsapi"
)

// Limits of the deployment configuration, as ECS documents them.
const (
	maxBakeMinutes        = 1440
	maxHookTimeoutMinutes = 1440
	minLinearStepPercent  = 3.0
	minCanaryPercent      = 0.1
	maxAlarmNames         = 10
	maxLifecycleHooks     = 10
)

// trafficShifting reports whether a strategy shifts traffic between two target groups
// (BLUE_GREEN, LINEAR, CANARY) rather than replacing tasks in place (ROLLING).
func trafficShifting(strategy string) bool {
	switch strategy {
	case strategyBlueGreen, strategyLinear, strategyCanary:
		return true
	}
	return false
}

// cloneConfig returns a deep copy of a deployment configuration.
func cloneConfig(dc *DeploymentConfiguration) *DeploymentConfiguration {
	if dc == nil {
		return nil
	}
	out := *dc
	cp := func(p *int32) *int32 {
		if p == nil {
			return nil
		}
		return ptr(*p)
	}
	out.MaximumPercent, out.MinimumHealthyPercent, out.BakeTimeInMinutes = cp(dc.MaximumPercent), cp(dc.MinimumHealthyPercent), cp(dc.BakeTimeInMinutes)
	if cb := dc.DeploymentCircuitBreaker; cb != nil {
		c := *cb
		if cb.ResetOnHealthyTask != nil {
			c.ResetOnHealthyTask = ptr(*cb.ResetOnHealthyTask)
		}
		if cb.ThresholdConfiguration != nil {
			c.ThresholdConfiguration = ptr(*cb.ThresholdConfiguration)
		}
		out.DeploymentCircuitBreaker = &c
	}
	if a := dc.Alarms; a != nil {
		out.Alarms = &DeploymentAlarms{AlarmNames: slices.Clone(a.AlarmNames), Enable: a.Enable, Rollback: a.Rollback}
	}
	if c := dc.CanaryConfiguration; c != nil {
		out.CanaryConfiguration = &CanaryConfiguration{CanaryBakeTimeInMinutes: cp(c.CanaryBakeTimeInMinutes)}
		if c.CanaryPercent != nil {
			out.CanaryConfiguration.CanaryPercent = ptr(*c.CanaryPercent)
		}
	}
	if l := dc.LinearConfiguration; l != nil {
		out.LinearConfiguration = &LinearConfiguration{StepBakeTimeInMinutes: cp(l.StepBakeTimeInMinutes)}
		if l.StepPercent != nil {
			out.LinearConfiguration.StepPercent = ptr(*l.StepPercent)
		}
	}
	out.LifecycleHooks = slices.Clone(dc.LifecycleHooks)
	return &out
}

// buildDeploymentConfig merges a deployment configuration into old (ECS's defaults when
// nil) and validates the result. The canary and linear configurations get their
// defaults when their strategy is chosen, and are dropped when another one is.
func buildDeploymentConfig(old, in *DeploymentConfiguration) (*DeploymentConfiguration, error) {
	dc := &DeploymentConfiguration{
		MaximumPercent:           ptr(int32(200)),
		MinimumHealthyPercent:    ptr(int32(100)),
		DeploymentCircuitBreaker: &DeploymentCircuitBreaker{},
		Strategy:                 strategyRolling,
	}
	if old != nil {
		dc = cloneConfig(old)
	}
	if in != nil {
		in = cloneConfig(in)
		if in.MaximumPercent != nil {
			dc.MaximumPercent = in.MaximumPercent
		}
		if in.MinimumHealthyPercent != nil {
			dc.MinimumHealthyPercent = in.MinimumHealthyPercent
		}
		if in.DeploymentCircuitBreaker != nil {
			dc.DeploymentCircuitBreaker = in.DeploymentCircuitBreaker
		}
		if in.Alarms != nil {
			dc.Alarms = in.Alarms
		}
		if in.BakeTimeInMinutes != nil {
			dc.BakeTimeInMinutes = in.BakeTimeInMinutes
		}
		if in.LifecycleHooks != nil {
			dc.LifecycleHooks = in.LifecycleHooks
		}
		switch in.Strategy {
		case "":
		case strategyRolling, strategyBlueGreen, strategyLinear, strategyCanary:
			if in.Strategy != dc.Strategy {
				dc.CanaryConfiguration, dc.LinearConfiguration = nil, nil
			}
			dc.Strategy = in.Strategy
		default:
			return nil, errInvalid("deploymentConfiguration.strategy must be one of ROLLING, BLUE_GREEN, LINEAR or CANARY, got '%s'.", in.Strategy)
		}
		if in.CanaryConfiguration != nil {
			if dc.Strategy != strategyCanary {
				return nil, errInvalid("canaryConfiguration is only valid when the deployment strategy is CANARY.")
			}
			dc.CanaryConfiguration = in.CanaryConfiguration
		}
		if in.LinearConfiguration != nil {
			if dc.Strategy != strategyLinear {
				return nil, errInvalid("linearConfiguration is only valid when the deployment strategy is LINEAR.")
			}
			dc.LinearConfiguration = in.LinearConfiguration
		}
	}
	if err := validateDeploymentConfig(dc); err != nil {
		return nil, err
	}
	return dc, nil
}

// validateDeploymentConfig checks a merged deployment configuration and fills in the
// defaults of its strategy's parameters.
func validateDeploymentConfig(dc *DeploymentConfiguration) error {
	if mh := *dc.MinimumHealthyPercent; mh < 0 || mh > 100 {
		return errInvalid("deploymentConfiguration.minimumHealthyPercent must be between 0 and 100, got %d.", mh)
	}
	if mp := *dc.MaximumPercent; mp < 100 {
		return errInvalid("deploymentConfiguration.maximumPercent must be at least 100 for the REPLICA scheduling strategy, got %d.", mp)
	}
	if b := dc.BakeTimeInMinutes; b != nil && (*b < 0 || *b > maxBakeMinutes) {
		return errInvalid("deploymentConfiguration.bakeTimeInMinutes must be between 0 and %d, got %d.", maxBakeMinutes, *b)
	}
	if dc.Strategy == strategyBlueGreen && dc.BakeTimeInMinutes == nil {
		return errInvalid("deploymentConfiguration.bakeTimeInMinutes is required when the deployment strategy is BLUE_GREEN.")
	}
	switch dc.Strategy {
	case strategyCanary:
		c := dc.CanaryConfiguration
		if c == nil {
			c = &CanaryConfiguration{}
			dc.CanaryConfiguration = c
		}
		if c.CanaryPercent == nil {
			c.CanaryPercent = ptr(defaultCanaryPercent)
		}
		if p := *c.CanaryPercent; !(p >= minCanaryPercent && p <= 100) || !tenths(p) {
			return errInvalid("canaryConfiguration.canaryPercent must be a multiple of 0.1 from 0.1 to 100.0, got %v.", p)
		}
		if c.CanaryBakeTimeInMinutes == nil {
			c.CanaryBakeTimeInMinutes = ptr(int32(defaultCanaryBakeTimeMinutes))
		}
		if b := *c.CanaryBakeTimeInMinutes; b < 0 || b > maxBakeMinutes {
			return errInvalid("canaryConfiguration.canaryBakeTimeInMinutes must be between 0 and %d, got %d.", maxBakeMinutes, b)
		}
	case strategyLinear:
		l := dc.LinearConfiguration
		if l == nil {
			l = &LinearConfiguration{}
			dc.LinearConfiguration = l
		}
		if l.StepPercent == nil {
			l.StepPercent = ptr(defaultLinearStepPercent)
		}
		if p := *l.StepPercent; !(p >= minLinearStepPercent && p <= 100) || !tenths(p) {
			return errInvalid("linearConfiguration.stepPercent must be a multiple of 0.1 from 3.0 to 100.0, got %v.", p)
		}
		if l.StepBakeTimeInMinutes == nil {
			l.StepBakeTimeInMinutes = ptr(int32(defaultLinearStepBakeMinutes))
		}
		if b := *l.StepBakeTimeInMinutes; b < 0 || b > maxBakeMinutes {
			return errInvalid("linearConfiguration.stepBakeTimeInMinutes must be between 0 and %d, got %d.", maxBakeMinutes, b)
		}
	}
	if err := validateCircuitBreaker(dc.DeploymentCircuitBreaker); err != nil {
		return err
	}
	if a := dc.Alarms; a != nil {
		if a.Enable && len(a.AlarmNames) == 0 {
			return errInvalid("deploymentConfiguration.alarms.alarmNames must name at least one alarm when alarms are enabled.")
		}
		if len(a.AlarmNames) > maxAlarmNames {
			return errInvalid("deploymentConfiguration.alarms.alarmNames can have at most %d alarms, got %d.", maxAlarmNames, len(a.AlarmNames))
		}
		for i, n := range a.AlarmNames {
			if n == "" || len(n) > 255 {
				return errInvalid("deploymentConfiguration.alarms.alarmNames[%d] must be 1 to 255 characters long.", i)
			}
		}
	}
	return validateHooks(dc)
}

// tenths reports whether p is a multiple of 0.1.
func tenths(p float64) bool {
	return math.Abs(p*10-math.Round(p*10)) < 1e-6
}

func validateCircuitBreaker(cb *DeploymentCircuitBreaker) error {
	if cb == nil || cb.ThresholdConfiguration == nil {
		return nil
	}
	t := cb.ThresholdConfiguration
	switch t.Type {
	case "COUNT", "BOUNDED_PERCENT", "UNBOUNDED_PERCENT":
	default:
		return errInvalid("deploymentCircuitBreaker.thresholdConfiguration.type must be COUNT, BOUNDED_PERCENT or UNBOUNDED_PERCENT, got '%s'.", t.Type)
	}
	if t.Value < 1 {
		return errInvalid("deploymentCircuitBreaker.thresholdConfiguration.value must be at least 1, got %d.", t.Value)
	}
	return nil
}

// validateHooks checks the lifecycle hooks of a deployment configuration, filling in
// their defaults (targetType AWS_LAMBDA; timeout ROLLBACK after 1440 minutes).
func validateHooks(dc *DeploymentConfiguration) error {
	if len(dc.LifecycleHooks) == 0 {
		return nil
	}
	if !trafficShifting(dc.Strategy) {
		return errInvalid("lifecycleHooks are supported only with the BLUE_GREEN, LINEAR and CANARY deployment strategies, not %s.", dc.Strategy)
	}
	if len(dc.LifecycleHooks) > maxLifecycleHooks {
		return errInvalid("deploymentConfiguration.lifecycleHooks can have at most %d hooks, got %d.", maxLifecycleHooks, len(dc.LifecycleHooks))
	}
	for i := range dc.LifecycleHooks {
		h := &dc.LifecycleHooks[i]
		f := fmt.Sprintf("lifecycleHooks[%d]", i)
		switch h.TargetType {
		case "":
			h.TargetType = hookTargetLambda
		case hookTargetLambda, hookTargetPause:
		default:
			return errInvalid("%s.targetType must be AWS_LAMBDA or PAUSE, got '%s'.", f, h.TargetType)
		}
		if h.TargetType == hookTargetLambda {
			if deref(h.HookTargetArn) == "" {
				return errInvalid("%s.hookTargetArn is required for an AWS_LAMBDA lifecycle hook.", f)
			}
			if deref(h.RoleArn) == "" {
				return errInvalid("%s.roleArn is required for an AWS_LAMBDA lifecycle hook.", f)
			}
		}
		if len(h.LifecycleStages) == 0 {
			return errInvalid("%s.lifecycleStages must name at least one lifecycle stage.", f)
		}
		for _, st := range h.LifecycleStages {
			if !slices.Contains(hookStages, st) {
				return errInvalid("%s.lifecycleStages: '%s' is not a valid lifecycle stage; valid stages are %s.", f, st, strings.Join(hookStages, ", "))
			}
			if h.TargetType == hookTargetPause && (st == stageTestTrafficShift || st == stageProductionTrafficShift) {
				return errInvalid("%s: PAUSE hooks cannot be configured at the %s stage.", f, st)
			}
		}
		if h.TimeoutConfiguration == nil {
			h.TimeoutConfiguration = &DeploymentLifecycleHookTimeoutConfiguration{}
		} else {
			h.TimeoutConfiguration = ptr(*h.TimeoutConfiguration)
		}
		tc := h.TimeoutConfiguration
		switch tc.Action {
		case "":
			tc.Action = hookActionRollback
		case hookActionContinue, hookActionRollback:
		default:
			return errInvalid("%s.timeoutConfiguration.action must be CONTINUE or ROLLBACK, got '%s'.", f, tc.Action)
		}
		if tc.TimeoutInMinutes == nil {
			tc.TimeoutInMinutes = ptr(int32(defaultHookTimeoutMinutes))
		} else if m := *tc.TimeoutInMinutes; m < 1 || m > maxHookTimeoutMinutes {
			return errInvalid("%s.timeoutConfiguration.timeoutInMinutes must be between 1 and %d, got %d.", f, maxHookTimeoutMinutes, m)
		}
	}
	return nil
}

// checkStrategyLoadBalancers checks the load balancers of a service against its
// strategy: the blue/green strategies need an advancedConfiguration on each.
func (s *Service) checkStrategyLoadBalancers(strategy string, lbs []LoadBalancer) error {
	if !trafficShifting(strategy) {
		return nil
	}
	for i, lb := range lbs {
		if lb.AdvancedConfiguration == nil {
			return errInvalid("loadBalancers[%d]: advancedConfiguration is required when the deployment strategy is %s.", i, strategy)
		}
	}
	if len(lbs) > 0 && s.rules == nil {
		return errInvalid("The %s deployment strategy is not available: this Wharf's load balancers cannot shift traffic between target groups.", strategy)
	}
	return nil
}

// checkAdvancedShape checks what can be checked of the advanced configuration of the
// ith load balancer of a service without the load balancers themselves.
func checkAdvancedShape(i int, lb LoadBalancer) error {
	ac := lb.AdvancedConfiguration
	if ac == nil {
		return nil
	}
	f := fmt.Sprintf("loadBalancers[%d].advancedConfiguration", i)
	switch {
	case deref(ac.AlternateTargetGroupArn) == "":
		return errInvalid("%s.alternateTargetGroupArn is required.", f)
	case deref(ac.ProductionListenerRule) == "":
		return errInvalid("%s.productionListenerRule is required.", f)
	case deref(ac.RoleArn) == "":
		return errInvalid("%s.roleArn is required.", f)
	case *ac.AlternateTargetGroupArn == lb.TargetGroupArn:
		return errInvalid("%s.alternateTargetGroupArn must be a target group other than targetGroupArn %s.", f, lb.TargetGroupArn)
	case deref(ac.TestListenerRule) != "" && *ac.TestListenerRule == *ac.ProductionListenerRule:
		return errInvalid("%s.testListenerRule must be a listener rule other than productionListenerRule.", f)
	}
	return nil
}

// checkAdvancedResources checks that the alternate target groups and the listener
// rules of advanced configurations exist and forward. It calls the load balancers, so
// it must run outside any store transaction.
func (s *Service) checkAdvancedResources(ctx context.Context, lbs []LoadBalancer) error {
	for _, lb := range lbs {
		ac := lb.AdvancedConfiguration
		if ac == nil {
			continue
		}
		if s.rules == nil {
			return errInvalid("loadBalancers: advancedConfiguration is not available: this Wharf's load balancers cannot shift traffic between target groups.")
		}
		cctx, cancel := context.WithTimeout(ctx, lbCallTimeout)
		exists, _, err := s.lbs.TargetGroup(cctx, *ac.AlternateTargetGroupArn)
		cancel()
		if err != nil {
			return s.lbFailure(ctx, "describe target group "+*ac.AlternateTargetGroupArn, err)
		}
		if !exists {
			return errInvalid("Unable to assume role and validate the specified alternateTargetGroupArn. (Target group %s was not found.)", *ac.AlternateTargetGroupArn)
		}
		for _, r := range []struct{ field, arn string }{{"productionListenerRule", deref(ac.ProductionListenerRule)}, {"testListenerRule", deref(ac.TestListenerRule)}} {
			if r.arn == "" {
				continue
			}
			cctx, cancel := context.WithTimeout(ctx, lbCallTimeout)
			_, found, err := s.rules.RuleForward(cctx, r.arn)
			cancel()
			if err != nil {
				return s.lbFailure(ctx, "describe listener rule "+r.arn, err)
			}
			if !found {
				return errInvalid("Unable to validate the specified %s. (Listener rule %s was not found.)", r.field, r.arn)
			}
		}
	}
	return nil
}

// lbFailure reports a failed call to the load balancers as ECS's server error.
func (s *Service) lbFailure(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	s.log.Error("ecs: load balancer call failed", "call", what, "err", err)
	return &awsapi.Error{Code: "ServerException", Status: 500, Server: true,
		Message: fmt.Sprintf("Elastic Load Balancing could not %s.", what)}
}
