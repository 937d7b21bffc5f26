package elbv2

import (
	"context"
	"strconv"
)

// The quotas of application load balancers, with AWS's default values.
const (
	quotaLoadBalancers         = 50
	quotaTargetGroups          = 3000
	quotaTargetsPerLB          = 1000
	quotaTargetsPerGroup       = 1000
	quotaListenersPerLB        = 50
	quotaRulesPerLB            = 100
	quotaConditionValues       = 5
	quotaConditionWildcards    = 5
	quotaTargetGroupsPerAction = 5
	quotaTargetGroupsPerLB     = 100
	quotaCertificatesPerLB     = 25
	quotaTags                  = 50
)

// DescribeAccountLimitsInput is the input of DescribeAccountLimits.
type DescribeAccountLimitsInput struct {
	Marker   *string `json:"Marker,omitempty"`
	PageSize *int32  `json:"PageSize,omitempty"`
}

// DescribeAccountLimitsOutput is the output of DescribeAccountLimits.
type DescribeAccountLimitsOutput struct {
	Limits     []Limit `json:"Limits"`
	NextMarker *string `json:"NextMarker,omitempty"`
}

// accountLimits are the limits DescribeAccountLimits reports, named as AWS names them
// (those of network and gateway load balancers included, as AWS lists them).
var accountLimits = []Limit{
	{Name: "application-load-balancers", Max: strconv.Itoa(quotaLoadBalancers)},
	{Name: "certificates-per-application-load-balancer", Max: strconv.Itoa(quotaCertificatesPerLB)},
	{Name: "condition-values-per-alb-rule", Max: strconv.Itoa(quotaConditionValues)},
	{Name: "condition-wildcards-per-alb-rule", Max: strconv.Itoa(quotaConditionWildcards)},
	{Name: "gateway-load-balancers", Max: "100"},
	{Name: "gateway-load-balancers-per-vpc", Max: "100"},
	{Name: "geneve-target-groups", Max: "100"},
	{Name: "listeners-per-application-load-balancer", Max: strconv.Itoa(quotaListenersPerLB)},
	{Name: "listeners-per-network-load-balancer", Max: "50"},
	{Name: "network-load-balancers", Max: "50"},
	{Name: "rules-per-application-load-balancer", Max: strconv.Itoa(quotaRulesPerLB)},
	{Name: "target-groups", Max: strconv.Itoa(quotaTargetGroups)},
	{Name: "target-groups-per-action-on-application-load-balancer", Max: strconv.Itoa(quotaTargetGroupsPerAction)},
	{Name: "target-groups-per-action-on-network-load-balancer", Max: "1"},
	{Name: "target-groups-per-application-load-balancer", Max: strconv.Itoa(quotaTargetGroupsPerLB)},
	{Name: "targets-per-application-load-balancer", Max: strconv.Itoa(quotaTargetsPerLB)},
	{Name: "targets-per-availability-zone-per-gateway-load-balancer", Max: "300"},
	{Name: "targets-per-availability-zone-per-network-load-balancer", Max: "500"},
	{Name: "targets-per-network-load-balancer", Max: "3000"},
}

// DescribeAccountLimits lists the account's quotas.
func (s *Service) DescribeAccountLimits(ctx context.Context, in *DescribeAccountLimitsInput) (*DescribeAccountLimitsOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	pg, next, err := page(accountLimits, func(l Limit) string { return l.Name }, in.Marker, in.PageSize)
	if err != nil {
		return nil, err
	}
	return &DescribeAccountLimitsOutput{Limits: pg, NextMarker: next}, nil
}
