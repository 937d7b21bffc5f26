package elbv2

import (
	"context"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/wharf-dev/wharf/internal/store"
)

// CreateTargetGroupInput is the input of CreateTargetGroup.
type CreateTargetGroupInput struct {
	Name                       *string  `json:"Name,omitempty"`
	Protocol                   *string  `json:"Protocol,omitempty"`
	ProtocolVersion            *string  `json:"ProtocolVersion,omitempty"`
	Port                       *int32   `json:"Port,omitempty"`
	VpcId                      *string  `json:"VpcId,omitempty"`
	HealthCheckProtocol        *string  `json:"HealthCheckProtocol,omitempty"`
	HealthCheckPort            *string  `json:"HealthCheckPort,omitempty"`
	HealthCheckEnabled         *bool    `json:"HealthCheckEnabled,omitempty"`
	HealthCheckPath            *string  `json:"HealthCheckPath,omitempty"`
	HealthCheckIntervalSeconds *int32   `json:"HealthCheckIntervalSeconds,omitempty"`
	HealthCheckTimeoutSeconds  *int32   `json:"HealthCheckTimeoutSeconds,omitempty"`
	HealthyThresholdCount      *int32   `json:"HealthyThresholdCount,omitempty"`
	UnhealthyThresholdCount    *int32   `json:"UnhealthyThresholdCount,omitempty"`
	Matcher                    *Matcher `json:"Matcher,omitempty"`
	TargetType                 *string  `json:"TargetType,omitempty"`
	Tags                       []Tag    `json:"Tags,omitempty"`
	IpAddressType              *string  `json:"IpAddressType,omitempty"`
}

// CreateTargetGroupOutput is the output of CreateTargetGroup.
type CreateTargetGroupOutput struct {
	TargetGroups []TargetGroup `json:"TargetGroups"`
}

// DescribeTargetGroupsInput is the input of DescribeTargetGroups.
type DescribeTargetGroupsInput struct {
	LoadBalancerArn *string  `json:"LoadBalancerArn,omitempty"`
	TargetGroupArns []string `json:"TargetGroupArns,omitempty"`
	Names           []string `json:"Names,omitempty"`
	Marker          *string  `json:"Marker,omitempty"`
	PageSize        *int32   `json:"PageSize,omitempty"`
}

// DescribeTargetGroupsOutput is the output of DescribeTargetGroups.
type DescribeTargetGroupsOutput struct {
	TargetGroups []TargetGroup `json:"TargetGroups"`
	NextMarker   *string       `json:"NextMarker,omitempty"`
}

// ModifyTargetGroupInput is the input of ModifyTargetGroup.
type ModifyTargetGroupInput struct {
	TargetGroupArn             *string  `json:"TargetGroupArn,omitempty"`
	HealthCheckProtocol        *string  `json:"HealthCheckProtocol,omitempty"`
	HealthCheckPort            *string  `json:"HealthCheckPort,omitempty"`
	HealthCheckEnabled         *bool    `json:"HealthCheckEnabled,omitempty"`
	HealthCheckPath            *string  `json:"HealthCheckPath,omitempty"`
	HealthCheckIntervalSeconds *int32   `json:"HealthCheckIntervalSeconds,omitempty"`
	HealthCheckTimeoutSeconds  *int32   `json:"HealthCheckTimeoutSeconds,omitempty"`
	HealthyThresholdCount      *int32   `json:"HealthyThresholdCount,omitempty"`
	UnhealthyThresholdCount    *int32   `json:"UnhealthyThresholdCount,omitempty"`
	Matcher                    *Matcher `json:"Matcher,omitempty"`
}

// ModifyTargetGroupOutput is the output of ModifyTargetGroup.
type ModifyTargetGroupOutput struct {
	TargetGroups []TargetGroup `json:"TargetGroups"`
}

// DeleteTargetGroupInput is the input of DeleteTargetGroup.
type DeleteTargetGroupInput struct {
	TargetGroupArn *string `json:"TargetGroupArn,omitempty"`
}

// DeleteTargetGroupOutput is the (empty) output of DeleteTargetGroup.
type DeleteTargetGroupOutput struct{}

// healthCheckInput is the health check settings common to Create and ModifyTargetGroup.
type healthCheckInput struct {
	protocol, port, path *string
	enabled              *bool
	interval, timeout    *int32
	healthy, unhealthy   *int32
	matcher              *Matcher
}

// applyHealthCheck checks health check settings and sets them on tg (whose current
// values are the defaults or the settings being modified).
func applyHealthCheck(tg *TargetGroup, in healthCheckInput) error {
	if in.protocol != nil {
		switch *in.protocol {
		case "HTTP", "HTTPS":
			tg.HealthCheckProtocol = *in.protocol
		default:
			return errValidation("Health check protocol '%s' is not valid for target groups with protocol '%s': it must be HTTP or HTTPS", *in.protocol, tg.Protocol)
		}
	}
	if in.port != nil {
		if *in.port != "traffic-port" {
			n, err := strconv.Atoi(*in.port)
			if err != nil || n < 1 || n > 65535 {
				return errValidation("Health check port '%s' must be 'traffic-port' or a port number from 1 to 65535", *in.port)
			}
		}
		tg.HealthCheckPort = *in.port
	}
	if in.path != nil {
		p := *in.path
		if p == "" || len(p) > 1024 {
			return errValidation("Health check path must be 1 to 1024 characters long")
		}
		if !strings.HasPrefix(p, "/") {
			return errValidation("Health check path must begin with a '/' character")
		}
		for _, c := range p {
			if c <= ' ' || c >= 0x7f {
				return errValidation("Health check path '%s' can contain only visible ASCII characters", p)
			}
		}
		tg.HealthCheckPath = p
	}
	if in.enabled != nil {
		tg.HealthCheckEnabled = *in.enabled
	}
	checks := []struct {
		member string
		v      *int32
		lo, hi int64
		dst    *int32
	}{
		{"healthCheckIntervalSeconds", in.interval, 5, 300, &tg.HealthCheckIntervalSeconds},
		{"healthCheckTimeoutSeconds", in.timeout, 2, 120, &tg.HealthCheckTimeoutSeconds},
		{"healthyThresholdCount", in.healthy, 2, 10, &tg.HealthyThresholdCount},
		{"unhealthyThresholdCount", in.unhealthy, 2, 10, &tg.UnhealthyThresholdCount},
	}
	for _, c := range checks {
		if err := checkRange(c.member, c.v, c.lo, c.hi); err != nil {
			return err
		}
		if c.v != nil {
			*c.dst = *c.v
		}
	}
	if tg.HealthCheckTimeoutSeconds >= tg.HealthCheckIntervalSeconds {
		return errValidation("Health check interval must be greater than the timeout.")
	}
	if in.matcher != nil {
		if in.matcher.GrpcCode != nil {
			return errValidation("A gRPC code matcher can be specified only for target groups with protocol version GRPC")
		}
		if in.matcher.HttpCode == nil {
			return errValidation("A health check matcher must have an HTTP code")
		}
		if err := checkHTTPCodes(*in.matcher.HttpCode); err != nil {
			return err
		}
		tg.Matcher = &Matcher{HttpCode: ptr(*in.matcher.HttpCode)}
	}
	return nil
}

// checkHTTPCodes checks a matcher's HTTP codes: "200", "200,202" or "200-299", each
// code from 200 to 499 as ALB allows.
func checkHTTPCodes(codes string) error {
	bad := func() error {
		return errValidation("Health check matcher HTTP code '%s' is not valid: give codes from 200 to 499, as one code (\"200\"), a list (\"200,202\") or a range (\"200-299\")", codes)
	}
	if codes == "" {
		return bad()
	}
	for part := range strings.SplitSeq(codes, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 200 || a > 499 || len(lo) != 3 {
			return bad()
		}
		if isRange {
			b, err := strconv.Atoi(hi)
			if err != nil || b < a || b > 499 || len(hi) != 3 {
				return bad()
			}
		}
	}
	return nil
}

// CreateTargetGroup creates an HTTP or HTTPS target group of instances or IP addresses,
// with AWS's health check defaults. As on AWS, creating a target group that exists with
// the same settings returns it; with other settings it fails with
// DuplicateTargetGroupName.
func (s *Service) CreateTargetGroup(ctx context.Context, in *CreateTargetGroupInput) (*CreateTargetGroupOutput, error) {
	if in.Name == nil {
		return nil, errRequired("name")
	}
	name := *in.Name
	if err := validName("Target group", name); err != nil {
		return nil, err
	}
	tt := deref(in.TargetType)
	switch tt {
	case "":
		tt = "instance"
	case "instance", "ip":
	case "lambda", "alb":
		return nil, errValidation("Target type '%s' is not supported: Wharf serves target groups of instances and IP addresses only", tt)
	default:
		return nil, errEnum("targetType", tt, "instance", "ip", "lambda", "alb")
	}
	if in.Protocol == nil {
		return nil, errValidation("A protocol must be specified for target groups of type '%s'", tt)
	}
	switch *in.Protocol {
	case "HTTP", "HTTPS":
	case "TCP", "TLS", "UDP", "TCP_UDP", "GENEVE", "QUIC", "TCP_QUIC":
		return nil, errValidation("Target group protocol '%s' is not supported: Wharf serves application load balancers, whose target groups use HTTP or HTTPS", *in.Protocol)
	default:
		return nil, errEnum("protocol", *in.Protocol, "HTTP", "HTTPS", "TCP", "TLS", "UDP", "TCP_UDP", "GENEVE")
	}
	if in.Port == nil {
		return nil, errValidation("A port must be specified for target groups of type '%s'", tt)
	}
	if err := checkRange("port", in.Port, 1, 65535); err != nil {
		return nil, err
	}
	switch v := deref(in.ProtocolVersion); v {
	case "", "HTTP1":
	case "HTTP2", "GRPC":
		return nil, errValidation("Protocol version '%s' is not supported: Wharf forwards HTTP/1.1 to targets (protocol version HTTP1)", v)
	default:
		return nil, errValidation("Protocol version '%s' is not valid: it must be HTTP1, HTTP2 or GRPC", v)
	}
	vpc := s.defaultVPC()
	if in.VpcId != nil {
		rest, ok := strings.CutPrefix(*in.VpcId, "vpc-")
		if !ok || rest == "" || strings.Trim(rest, "0123456789abcdef") != "" {
			return nil, errValidation("The VPC ID '%s' is not found", *in.VpcId)
		}
		vpc = *in.VpcId
	}
	ipType := deref(in.IpAddressType)
	switch ipType {
	case "":
		ipType = "ipv4"
	case "ipv4", "ipv6":
	default:
		return nil, errEnum("ipAddressType", ipType, "ipv4", "ipv6")
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	want := TargetGroup{
		TargetGroupName:            name,
		Protocol:                   *in.Protocol,
		Port:                       *in.Port,
		VpcId:                      vpc,
		HealthCheckProtocol:        "HTTP",
		HealthCheckPort:            "traffic-port",
		HealthCheckEnabled:         true,
		HealthCheckIntervalSeconds: 30,
		HealthCheckTimeoutSeconds:  5,
		HealthyThresholdCount:      5,
		UnhealthyThresholdCount:    2,
		HealthCheckPath:            "/",
		Matcher:                    &Matcher{HttpCode: ptr("200")},
		TargetType:                 tt,
		ProtocolVersion:            "HTTP1",
		IpAddressType:              ipType,
	}
	err := applyHealthCheck(&want, healthCheckInput{
		protocol: in.HealthCheckProtocol, port: in.HealthCheckPort, path: in.HealthCheckPath,
		enabled: in.HealthCheckEnabled, interval: in.HealthCheckIntervalSeconds, timeout: in.HealthCheckTimeoutSeconds,
		healthy: in.HealthyThresholdCount, unhealthy: in.UnhealthyThresholdCount, matcher: in.Matcher,
	})
	if err != nil {
		return nil, err
	}
	var out TargetGroup
	err = s.change(ctx, func(tx *store.Tx) error {
		var old tgRecord
		found, err := get(tx, bucketTGs, name, &old)
		if err != nil {
			return err
		}
		if found {
			cmp := old.TG
			cmp.TargetGroupArn, cmp.LoadBalancerArns = "", nil
			if !reflect.DeepEqual(cmp, want) {
				return errCode("DuplicateTargetGroupName", "A target group with the same name '%s' exists, but with different settings", name)
			}
			out, err = s.targetGroupView(tx, &old, nil)
			return err
		}
		if tx.Count(bucketTGs, "") >= quotaTargetGroups {
			return errCode("TooManyTargetGroups", "You've reached the limit on the number of target groups for your account ('%d')", quotaTargetGroups)
		}
		tg := want
		tg.TargetGroupArn = s.tgARN(name, randomHex(16))
		if err := tx.Put(bucketTGs, name, &tgRecord{TG: tg, Tags: in.Tags}); err != nil {
			return err
		}
		tg.LoadBalancerArns = []string{}
		out = tg
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &CreateTargetGroupOutput{TargetGroups: []TargetGroup{out}}, nil
}

// targetGroupView is a target group with the load balancers that use it; use is the
// usage map when the caller has it (nil to compute it).
func (s *Service) targetGroupView(tx *store.Tx, rec *tgRecord, use map[string][]string) (TargetGroup, error) {
	if use == nil {
		var err error
		if use, err = s.usage(tx); err != nil {
			return TargetGroup{}, err
		}
	}
	tg := rec.TG
	tg.LoadBalancerArns = slices.Clone(use[tg.TargetGroupArn])
	if tg.LoadBalancerArns == nil {
		tg.LoadBalancerArns = []string{}
	}
	return tg, nil
}

// DescribeTargetGroups describes target groups by ARN, by name, or those a load balancer
// uses, or all of them.
func (s *Service) DescribeTargetGroups(ctx context.Context, in *DescribeTargetGroupsInput) (*DescribeTargetGroupsOutput, error) {
	filters := 0
	for _, set := range []bool{in.LoadBalancerArn != nil, len(in.TargetGroupArns) > 0, len(in.Names) > 0} {
		if set {
			filters++
		}
	}
	if filters > 1 {
		return nil, errValidation("Only one of load balancer ARN, target group ARNs or target group names can be specified")
	}
	if len(in.TargetGroupArns) > 20 || len(in.Names) > 20 {
		return nil, errValidation("At most 20 target groups can be described at once")
	}
	var tgs []TargetGroup
	err := s.view(ctx, func(tx *store.Tx) error {
		use, err := s.usage(tx)
		if err != nil {
			return err
		}
		var recs []tgRecord
		var missing []string
		switch {
		case in.LoadBalancerArn != nil:
			lb, err := s.mustLoadBalancer(tx, "loadBalancerArn", in.LoadBalancerArn)
			if err != nil {
				return err
			}
			all, err := store.List[tgRecord](tx, bucketTGs, "")
			if err != nil {
				return err
			}
			for _, rec := range all {
				if slices.Contains(use[rec.TG.TargetGroupArn], lb.LB.LoadBalancerArn) {
					recs = append(recs, rec)
				}
			}
		case len(in.TargetGroupArns) > 0:
			for _, arn := range in.TargetGroupArns {
				if !looksLikeARN(arn, kindTargetGroup) {
					return errValidation("'%s' is not a valid target group ARN", arn)
				}
				rec, found, err := s.targetGroup(tx, arn)
				if err != nil {
					return err
				}
				if !found {
					missing = append(missing, arn)
					continue
				}
				recs = append(recs, *rec)
			}
		case len(in.Names) > 0:
			for _, name := range in.Names {
				var rec tgRecord
				found, err := get(tx, bucketTGs, name, &rec)
				if err != nil {
					return err
				}
				if !found {
					missing = append(missing, name)
					continue
				}
				recs = append(recs, rec)
			}
		default:
			if recs, err = store.List[tgRecord](tx, bucketTGs, ""); err != nil {
				return err
			}
		}
		if len(missing) > 0 {
			return notFound("TargetGroupNotFound", "Target groups", missing)
		}
		for i := range recs {
			tg, err := s.targetGroupView(tx, &recs[i], use)
			if err != nil {
				return err
			}
			tgs = append(tgs, tg)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	tgs = dedupe(tgs, func(tg TargetGroup) string { return tg.TargetGroupArn })
	pg, next, err := page(tgs, func(tg TargetGroup) string { return tg.TargetGroupName }, in.Marker, in.PageSize)
	if err != nil {
		return nil, err
	}
	return &DescribeTargetGroupsOutput{TargetGroups: pg, NextMarker: next}, nil
}

// ModifyTargetGroup changes the health check settings of a target group.
func (s *Service) ModifyTargetGroup(ctx context.Context, in *ModifyTargetGroupInput) (*ModifyTargetGroupOutput, error) {
	var out TargetGroup
	err := s.change(ctx, func(tx *store.Tx) error {
		rec, err := s.mustTargetGroup(tx, "targetGroupArn", in.TargetGroupArn)
		if err != nil {
			return err
		}
		err = applyHealthCheck(&rec.TG, healthCheckInput{
			protocol: in.HealthCheckProtocol, port: in.HealthCheckPort, path: in.HealthCheckPath,
			enabled: in.HealthCheckEnabled, interval: in.HealthCheckIntervalSeconds, timeout: in.HealthCheckTimeoutSeconds,
			healthy: in.HealthyThresholdCount, unhealthy: in.UnhealthyThresholdCount, matcher: in.Matcher,
		})
		if err != nil {
			return err
		}
		if err := tx.Put(bucketTGs, rec.TG.TargetGroupName, rec); err != nil {
			return err
		}
		out, err = s.targetGroupView(tx, rec, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &ModifyTargetGroupOutput{TargetGroups: []TargetGroup{out}}, nil
}

// DeleteTargetGroup deletes a target group and forgets its targets. A target group that
// a listener or rule forwards to cannot be deleted (ResourceInUse); deleting one that
// does not exist succeeds.
func (s *Service) DeleteTargetGroup(ctx context.Context, in *DeleteTargetGroupInput) (*DeleteTargetGroupOutput, error) {
	if in.TargetGroupArn == nil {
		return nil, errRequired("targetGroupArn")
	}
	arn := *in.TargetGroupArn
	if !looksLikeARN(arn, kindTargetGroup) {
		return nil, errValidation("'%s' is not a valid target group ARN", arn)
	}
	err := s.change(ctx, func(tx *store.Tx) error {
		rec, found, err := s.targetGroup(tx, arn)
		if err != nil || !found {
			return err
		}
		use, err := s.usage(tx)
		if err != nil {
			return err
		}
		if len(use[arn]) > 0 {
			return errCode("ResourceInUse", "Target group '%s' is currently in use by a listener or a rule", arn)
		}
		targets, err := targetsOf(tx, rec.TG.TargetGroupName)
		if err != nil {
			return err
		}
		for _, t := range targets {
			if err := tx.Delete(bucketTargets, targetKey(rec.TG.TargetGroupName, t.ID, t.Port)); err != nil {
				return err
			}
		}
		return tx.Delete(bucketTGs, rec.TG.TargetGroupName)
	})
	if err != nil {
		return nil, err
	}
	return &DeleteTargetGroupOutput{}, nil
}
