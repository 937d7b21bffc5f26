package elbv2

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/wharf-dev/wharf/internal/store"
)

// canonicalHostedZoneID is the Route 53 zone of us-east-1 application load balancers,
// which Wharf reports in every region.
const canonicalHostedZoneID = "Z35SXDOTRQ7X7K"

// dnsSuffix ends every load balancer DNS name: a Wharf extension, since every name under
// .localhost resolves to the loopback address (RFC 6761; curl and most resolvers do it
// without asking DNS), where the listeners are bound.
const dnsSuffix = "elb.localhost"

// CreateLoadBalancerInput is the input of CreateLoadBalancer.
type CreateLoadBalancerInput struct {
	Name           *string         `json:"Name,omitempty"`
	Subnets        []string        `json:"Subnets,omitempty"`
	SubnetMappings []SubnetMapping `json:"SubnetMappings,omitempty"`
	SecurityGroups []string        `json:"SecurityGroups,omitempty"`
	Scheme         *string         `json:"Scheme,omitempty"`
	Tags           []Tag           `json:"Tags,omitempty"`
	Type           *string         `json:"Type,omitempty"`
	IpAddressType  *string         `json:"IpAddressType,omitempty"`
}

// CreateLoadBalancerOutput is the output of CreateLoadBalancer.
type CreateLoadBalancerOutput struct {
	LoadBalancers []LoadBalancer `json:"LoadBalancers"`
}

// DescribeLoadBalancersInput is the input of DescribeLoadBalancers.
type DescribeLoadBalancersInput struct {
	LoadBalancerArns []string `json:"LoadBalancerArns,omitempty"`
	Names            []string `json:"Names,omitempty"`
	Marker           *string  `json:"Marker,omitempty"`
	PageSize         *int32   `json:"PageSize,omitempty"`
}

// DescribeLoadBalancersOutput is the output of DescribeLoadBalancers.
type DescribeLoadBalancersOutput struct {
	LoadBalancers []LoadBalancer `json:"LoadBalancers"`
	NextMarker    *string        `json:"NextMarker,omitempty"`
}

// DeleteLoadBalancerInput is the input of DeleteLoadBalancer.
type DeleteLoadBalancerInput struct {
	LoadBalancerArn *string `json:"LoadBalancerArn,omitempty"`
}

// DeleteLoadBalancerOutput is the (empty) output of DeleteLoadBalancer.
type DeleteLoadBalancerOutput struct{}

// SetSecurityGroupsInput is the input of SetSecurityGroups.
type SetSecurityGroupsInput struct {
	LoadBalancerArn *string  `json:"LoadBalancerArn,omitempty"`
	SecurityGroups  []string `json:"SecurityGroups,omitempty"`
}

// SetSecurityGroupsOutput is the output of SetSecurityGroups.
type SetSecurityGroupsOutput struct {
	SecurityGroupIds []string `json:"SecurityGroupIds"`
}

// SetSubnetsInput is the input of SetSubnets.
type SetSubnetsInput struct {
	LoadBalancerArn *string         `json:"LoadBalancerArn,omitempty"`
	Subnets         []string        `json:"Subnets,omitempty"`
	SubnetMappings  []SubnetMapping `json:"SubnetMappings,omitempty"`
	IpAddressType   *string         `json:"IpAddressType,omitempty"`
}

// SetSubnetsOutput is the output of SetSubnets.
type SetSubnetsOutput struct {
	AvailabilityZones []AvailabilityZone `json:"AvailabilityZones"`
	IpAddressType     string             `json:"IpAddressType,omitempty"`
}

// CreateLoadBalancer creates an application load balancer (the only type Wharf serves).
// Subnets and security groups are accepted and echoed: the i-th subnet is placed in the
// region's i-th zone; without subnets the load balancer is in two subnets of a default
// VPC. It is active at once; it serves traffic once it has listeners. As on AWS, creating
// a load balancer that exists with the same settings returns it.
func (s *Service) CreateLoadBalancer(ctx context.Context, in *CreateLoadBalancerInput) (*CreateLoadBalancerOutput, error) {
	if in.Name == nil {
		return nil, errRequired("name")
	}
	name := *in.Name
	if err := validName("Load balancer", name); err != nil {
		return nil, err
	}
	if strings.HasPrefix(name, "internal-") {
		return nil, errValidation("Load balancer name '%s' cannot begin with 'internal-'", name)
	}
	typ := deref(in.Type)
	switch typ {
	case "", "application":
		typ = "application"
	case "network", "gateway":
		return nil, errValidation("Load balancer type '%s' is not supported: Wharf serves application load balancers only", typ)
	default:
		return nil, errEnum("type", typ, "application", "network", "gateway")
	}
	scheme := deref(in.Scheme)
	switch scheme {
	case "":
		scheme = "internet-facing"
	case "internet-facing", "internal":
	default:
		return nil, errEnum("scheme", scheme, "internet-facing", "internal")
	}
	ipType, err := checkIPAddressType(in.IpAddressType, "ipv4")
	if err != nil {
		return nil, err
	}
	zones, err := s.subnetZones(in.Subnets, in.SubnetMappings)
	if err != nil {
		return nil, err
	}
	groups, err := checkSecurityGroups(in.SecurityGroups)
	if err != nil {
		return nil, err
	}
	if groups == nil {
		groups = []string{s.defaultSecurityGroup()}
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	want := LoadBalancer{
		LoadBalancerName:      name,
		CanonicalHostedZoneId: canonicalHostedZoneID,
		Scheme:                scheme,
		VpcId:                 s.defaultVPC(),
		State:                 &LoadBalancerState{Code: "active"},
		Type:                  typ,
		AvailabilityZones:     zones,
		SecurityGroups:        groups,
		IpAddressType:         ipType,
	}
	var out LoadBalancer
	err = s.change(ctx, func(tx *store.Tx) error {
		var old lbRecord
		found, err := get(tx, bucketLBs, name, &old)
		if err != nil {
			return err
		}
		if found {
			if !sameLoadBalancer(old.LB, want) {
				return errCode("DuplicateLoadBalancerName", "A load balancer with the same name '%s' exists, but with different settings", name)
			}
			out = old.LB
			return nil
		}
		if tx.Count(bucketLBs, "") >= quotaLoadBalancers {
			return errCode("TooManyLoadBalancers", "You've reached the limit on the number of load balancers for your account ('%d')", quotaLoadBalancers)
		}
		id := randomHex(16)
		lb := want
		lb.LoadBalancerArn = s.lbARN(name, id)
		lb.CreatedTime = s.now()
		prefix := ""
		if scheme == "internal" {
			prefix = "internal-"
		}
		lb.DNSName = strings.ToLower(prefix + name + "-" + randomDigits(10) + "." + s.region + "." + dnsSuffix)
		out = lb
		return tx.Put(bucketLBs, name, &lbRecord{LB: lb, ID: id, Tags: in.Tags})
	})
	if err != nil {
		return nil, err
	}
	return &CreateLoadBalancerOutput{LoadBalancers: []LoadBalancer{out}}, nil
}

// sameLoadBalancer reports whether a stored load balancer has the settings asked for.
func sameLoadBalancer(old, want LoadBalancer) bool {
	return old.Scheme == want.Scheme && old.Type == want.Type && old.IpAddressType == want.IpAddressType &&
		slices.Equal(old.SecurityGroups, want.SecurityGroups) && slices.Equal(old.AvailabilityZones, want.AvailabilityZones)
}

func checkIPAddressType(v *string, def string) (string, error) {
	switch t := deref(v); t {
	case "":
		return def, nil
	case "ipv4", "dualstack", "dualstack-without-public-ipv4":
		return t, nil
	default:
		return "", errEnum("ipAddressType", t, "ipv4", "dualstack", "dualstack-without-public-ipv4")
	}
}

// subnetZones checks the subnets of a load balancer and places them in zones.
func (s *Service) subnetZones(subnets []string, mappings []SubnetMapping) ([]AvailabilityZone, error) {
	if len(subnets) > 0 && len(mappings) > 0 {
		return nil, errValidation("You can specify subnets or subnet mappings, not both")
	}
	ids := slices.Clone(subnets)
	for i, m := range mappings {
		if m.SubnetId == nil {
			return nil, errRequired("subnetMappings.member." + strconv.Itoa(i+1) + ".subnetId")
		}
		ids = append(ids, *m.SubnetId)
	}
	if len(ids) == 0 {
		return []AvailabilityZone{
			{ZoneName: s.zone(0), SubnetId: s.defaultSubnet(s.zone(0))},
			{ZoneName: s.zone(1), SubnetId: s.defaultSubnet(s.zone(1))},
		}, nil
	}
	if len(ids) > 6 {
		return nil, errValidation("A load balancer can have at most one subnet in each of the region's 6 Availability Zones; %d subnets were given", len(ids))
	}
	zones := make([]AvailabilityZone, 0, len(ids))
	for i, id := range ids {
		rest, ok := strings.CutPrefix(id, "subnet-")
		if !ok || rest == "" || strings.Trim(rest, "0123456789abcdef") != "" {
			return nil, errCode("SubnetNotFound", "The subnet ID '%s' is not valid", id)
		}
		if slices.Contains(ids[:i], id) {
			return nil, errValidation("Subnet '%s' was specified more than once", id)
		}
		zones = append(zones, AvailabilityZone{ZoneName: s.zone(i), SubnetId: id})
	}
	if len(zones) < 2 {
		return nil, errValidation("At least two subnets in two different Availability Zones must be specified")
	}
	return zones, nil
}

// checkSecurityGroups checks security group ids (accepted and echoed).
func checkSecurityGroups(groups []string) ([]string, error) {
	if len(groups) > 5 {
		return nil, errValidation("A load balancer can have at most 5 security groups; %d were given", len(groups))
	}
	for i, g := range groups {
		rest, ok := strings.CutPrefix(g, "sg-")
		if !ok || rest == "" || strings.Trim(rest, "0123456789abcdef") != "" {
			return nil, errCode("InvalidSecurityGroup", "Security group '%s' does not exist", g)
		}
		if slices.Contains(groups[:i], g) {
			return nil, errValidation("Security group '%s' was specified more than once", g)
		}
	}
	return slices.Clone(groups), nil
}

// DescribeLoadBalancers describes load balancers by ARN or name, or all of them.
func (s *Service) DescribeLoadBalancers(ctx context.Context, in *DescribeLoadBalancersInput) (*DescribeLoadBalancersOutput, error) {
	if len(in.LoadBalancerArns) > 0 && len(in.Names) > 0 {
		return nil, errValidation("Load balancer names and load balancer ARNs cannot be specified at the same time")
	}
	if len(in.LoadBalancerArns) > 20 || len(in.Names) > 20 {
		return nil, errValidation("At most 20 load balancers can be described at once")
	}
	var lbs []LoadBalancer
	err := s.view(ctx, func(tx *store.Tx) error {
		var missing []string
		switch {
		case len(in.LoadBalancerArns) > 0:
			for _, arn := range in.LoadBalancerArns {
				if !looksLikeARN(arn, kindLoadBalancer) {
					return errValidation("'%s' is not a valid load balancer ARN", arn)
				}
				rec, found, err := s.loadBalancer(tx, arn)
				if err != nil {
					return err
				}
				if !found {
					missing = append(missing, arn)
					continue
				}
				lbs = append(lbs, rec.LB)
			}
		case len(in.Names) > 0:
			for _, name := range in.Names {
				var rec lbRecord
				found, err := get(tx, bucketLBs, name, &rec)
				if err != nil {
					return err
				}
				if !found {
					missing = append(missing, name)
					continue
				}
				lbs = append(lbs, rec.LB)
			}
		default:
			all, err := store.List[lbRecord](tx, bucketLBs, "")
			for _, rec := range all {
				lbs = append(lbs, rec.LB)
			}
			return err
		}
		if len(missing) > 0 {
			return notFound("LoadBalancerNotFound", "Load balancers", missing)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	lbs = dedupe(lbs, func(lb LoadBalancer) string { return lb.LoadBalancerArn })
	pg, next, err := page(lbs, func(lb LoadBalancer) string { return lb.LoadBalancerName }, in.Marker, in.PageSize)
	if err != nil {
		return nil, err
	}
	return &DescribeLoadBalancersOutput{LoadBalancers: pg, NextMarker: next}, nil
}

// DeleteLoadBalancer deletes a load balancer with its listeners and rules; its target
// groups and their targets stay. Deleting a load balancer that does not exist succeeds,
// as on AWS; one with deletion protection fails with OperationNotPermitted.
func (s *Service) DeleteLoadBalancer(ctx context.Context, in *DeleteLoadBalancerInput) (*DeleteLoadBalancerOutput, error) {
	if in.LoadBalancerArn == nil {
		return nil, errRequired("loadBalancerArn")
	}
	arn := *in.LoadBalancerArn
	if !looksLikeARN(arn, kindLoadBalancer) {
		return nil, errValidation("'%s' is not a valid load balancer ARN", arn)
	}
	err := s.change(ctx, func(tx *store.Tx) error {
		rec, found, err := s.loadBalancer(tx, arn)
		if err != nil || !found {
			return err
		}
		if lbAttributes(rec)[attrDeletionProtection] == "true" {
			return errCode("OperationNotPermitted", "Load balancer '%s' cannot be deleted because deletion protection is enabled", arn)
		}
		name := rec.LB.LoadBalancerName
		for _, bucket := range []string{bucketRules, bucketListeners} {
			var keys []string
			if err := tx.Scan(bucket, name+"/", func(k string, _ []byte) error {
				keys = append(keys, k)
				return nil
			}); err != nil {
				return err
			}
			for _, k := range keys {
				if err := tx.Delete(bucket, k); err != nil {
					return err
				}
			}
		}
		return tx.Delete(bucketLBs, name)
	})
	if err != nil {
		return nil, err
	}
	return &DeleteLoadBalancerOutput{}, nil
}

// SetSecurityGroups replaces the security groups of a load balancer (accepted and
// echoed).
func (s *Service) SetSecurityGroups(ctx context.Context, in *SetSecurityGroupsInput) (*SetSecurityGroupsOutput, error) {
	if in.SecurityGroups == nil {
		return nil, errRequired("securityGroups")
	}
	groups, err := checkSecurityGroups(in.SecurityGroups)
	if err != nil {
		return nil, err
	}
	if len(groups) == 0 {
		groups = []string{s.defaultSecurityGroup()}
	}
	err = s.update(ctx, func(tx *store.Tx) error {
		rec, err := s.mustLoadBalancer(tx, "loadBalancerArn", in.LoadBalancerArn)
		if err != nil {
			return err
		}
		rec.LB.SecurityGroups = groups
		return tx.Put(bucketLBs, rec.LB.LoadBalancerName, rec)
	})
	if err != nil {
		return nil, err
	}
	return &SetSecurityGroupsOutput{SecurityGroupIds: groups}, nil
}

// SetSubnets replaces the subnets of a load balancer (accepted and echoed).
func (s *Service) SetSubnets(ctx context.Context, in *SetSubnetsInput) (*SetSubnetsOutput, error) {
	if len(in.Subnets) == 0 && len(in.SubnetMappings) == 0 {
		return nil, errValidation("Subnets or subnet mappings must be specified")
	}
	zones, err := s.subnetZones(in.Subnets, in.SubnetMappings)
	if err != nil {
		return nil, err
	}
	var out SetSubnetsOutput
	err = s.update(ctx, func(tx *store.Tx) error {
		rec, err := s.mustLoadBalancer(tx, "loadBalancerArn", in.LoadBalancerArn)
		if err != nil {
			return err
		}
		ipType, err := checkIPAddressType(in.IpAddressType, rec.LB.IpAddressType)
		if err != nil {
			return err
		}
		rec.LB.AvailabilityZones = zones
		rec.LB.IpAddressType = ipType
		out = SetSubnetsOutput{AvailabilityZones: zones, IpAddressType: ipType}
		return tx.Put(bucketLBs, rec.LB.LoadBalancerName, rec)
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}
