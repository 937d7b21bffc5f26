package elbv2

import (
	"context"

	"github.com/wharf-dev/wharf/internal/store"
)

// The methods of this file let ECS put service tasks behind target groups in process
// (they implement ecs.LoadBalancers). Each is idempotent, as ECS repeats what it cannot
// prove it recorded; none may be called inside a store transaction.

// TargetGroup reports whether the target group exists and whether a listener forwards
// to it.
func (s *Service) TargetGroup(ctx context.Context, arn string) (exists, attached bool, err error) {
	err = s.view(ctx, func(tx *store.Tx) error {
		rec, found, err := s.targetGroup(tx, arn)
		if err != nil || !found {
			return err
		}
		exists = true
		use, err := s.usage(tx)
		attached = len(use[rec.TG.TargetGroupArn]) > 0
		return err
	})
	return exists, attached, err
}

// RegisterTarget registers id:port in a target group (nothing happens when it is
// registered).
func (s *Service) RegisterTarget(ctx context.Context, targetGroupArn, id string, port int32) error {
	_, err := s.RegisterTargets(ctx, &RegisterTargetsInput{
		TargetGroupArn: &targetGroupArn,
		Targets:        []TargetDescription{{Id: &id, Port: &port}},
	})
	return err
}

// DeregisterTarget starts draining id:port (nothing happens when it is not registered).
func (s *Service) DeregisterTarget(ctx context.Context, targetGroupArn, id string, port int32) error {
	_, err := s.DeregisterTargets(ctx, &DeregisterTargetsInput{
		TargetGroupArn: &targetGroupArn,
		Targets:        []TargetDescription{{Id: &id, Port: &port}},
	})
	return err
}

// TargetState returns the state and reason code DescribeTargetHealth reports for
// id:port: unused with Target.NotRegistered once it is forgotten.
func (s *Service) TargetState(ctx context.Context, targetGroupArn, id string, port int32) (state, reason string, err error) {
	out, err := s.DescribeTargetHealth(ctx, &DescribeTargetHealthInput{
		TargetGroupArn: &targetGroupArn,
		Targets:        []TargetDescription{{Id: &id, Port: &port}},
	})
	if err != nil {
		return "", "", err
	}
	h := out.TargetHealthDescriptions[0].TargetHealth
	return h.State, h.Reason, nil
}
