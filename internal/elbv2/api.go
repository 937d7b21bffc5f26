package elbv2

import "github.com/wharf-dev/wharf/internal/awsapi"

// API describes the ELBv2 API for the gateway: awsQuery with Version 2015-12-01,
// SigV4 name "elasticloadbalancing", XML responses in AWS's namespace.
func (s *Service) API() *awsapi.Service {
	return &awsapi.Service{
		SigningName:  "elasticloadbalancing",
		QueryVersion: "2015-12-01",
		XMLNamespace: "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/",
		Protocols:    []awsapi.Protocol{awsapi.Query},
		ResourceTags: s.ResourceTags,
		Operations: s.withResources(awsapi.Operations(
			awsapi.Op("CreateLoadBalancer", s.CreateLoadBalancer),
			awsapi.Op("DescribeLoadBalancers", s.DescribeLoadBalancers),
			awsapi.Op("DeleteLoadBalancer", s.DeleteLoadBalancer),
			awsapi.Op("DescribeLoadBalancerAttributes", s.DescribeLoadBalancerAttributes),
			awsapi.Op("ModifyLoadBalancerAttributes", s.ModifyLoadBalancerAttributes),
			awsapi.Op("SetSecurityGroups", s.SetSecurityGroups),
			awsapi.Op("SetSubnets", s.SetSubnets),

			awsapi.Op("CreateTargetGroup", s.CreateTargetGroup),
			awsapi.Op("DescribeTargetGroups", s.DescribeTargetGroups),
			awsapi.Op("ModifyTargetGroup", s.ModifyTargetGroup),
			awsapi.Op("DeleteTargetGroup", s.DeleteTargetGroup),
			awsapi.Op("DescribeTargetGroupAttributes", s.DescribeTargetGroupAttributes),
			awsapi.Op("ModifyTargetGroupAttributes", s.ModifyTargetGroupAttributes),

			awsapi.Op("RegisterTargets", s.RegisterTargets),
			awsapi.Op("DeregisterTargets", s.DeregisterTargets),
			awsapi.Op("DescribeTargetHealth", s.DescribeTargetHealth),

			awsapi.Op("CreateListener", s.CreateListener),
			awsapi.Op("DescribeListeners", s.DescribeListeners),
			awsapi.Op("ModifyListener", s.ModifyListener),
			awsapi.Op("DeleteListener", s.DeleteListener),

			awsapi.Op("CreateRule", s.CreateRule),
			awsapi.Op("DescribeRules", s.DescribeRules),
			awsapi.Op("ModifyRule", s.ModifyRule),
			awsapi.Op("DeleteRule", s.DeleteRule),
			awsapi.Op("SetRulePriorities", s.SetRulePriorities),

			awsapi.Op("AddTags", s.AddTags),
			awsapi.Op("RemoveTags", s.RemoveTags),
			awsapi.Op("DescribeTags", s.DescribeTags),

			awsapi.Op("DescribeAccountLimits", s.DescribeAccountLimits),
		)),
	}
}
