package cloudformation

import (
	"context"
	"strings"
)

const elb = "elasticloadbalancing"

// elbTypes registers the AWS::ElasticLoadBalancingV2 types.
func elbTypes(r *Registry) {
	r.Register("AWS::ElasticLoadBalancingV2::LoadBalancer", ResourceType{
		Provider:     elbLoadBalancer{},
		CreateOnly:   []string{"Name", "Scheme", "Type"},
		Attributes:   []string{"CanonicalHostedZoneID", "DNSName", "LoadBalancerArn", "LoadBalancerFullName", "LoadBalancerName", "SecurityGroups"},
		NameProperty: "Name",
	})
	r.Register("AWS::ElasticLoadBalancingV2::TargetGroup", ResourceType{
		Provider:     elbTargetGroup{},
		CreateOnly:   []string{"Name", "Port", "Protocol", "ProtocolVersion", "VpcId", "TargetType", "IpAddressType"},
		Attributes:   []string{"LoadBalancerArns", "TargetGroupArn", "TargetGroupFullName", "TargetGroupName"},
		NameProperty: "Name",
	})
	r.Register("AWS::ElasticLoadBalancingV2::Listener", ResourceType{
		Provider:   elbListener{},
		CreateOnly: []string{"LoadBalancerArn"},
		Attributes: []string{"ListenerArn"},
		Required:   []string{"LoadBalancerArn", "DefaultActions"},
	})
	r.Register("AWS::ElasticLoadBalancingV2::ListenerRule", ResourceType{
		Provider:   elbListenerRule{},
		CreateOnly: []string{"ListenerArn"},
		Attributes: []string{"IsDefault", "RuleArn"},
		Required:   []string{"Actions", "Conditions", "Priority"},
	})
}

// elbTags applies a change of an ELB resource's Tags property.
func elbTags(ctx context.Context, req *Request, arn string, old, new any) error {
	set, removed := tagDiff(tagPairs(old), tagPairs(new))
	if len(set) > 0 {
		if _, err := call(ctx, req, elb, "AddTags", map[string]any{"ResourceArns": []any{arn}, "Tags": tagList(set, "Key", "Value")}); err != nil {
			return err
		}
	}
	if len(removed) > 0 {
		if _, err := call(ctx, req, elb, "RemoveTags", map[string]any{"ResourceArns": []any{arn}, "TagKeys": removed}); err != nil {
			return err
		}
	}
	return nil
}

// actions shapes listener and rule actions: numbers given as strings become numbers.
func actions(v any) any {
	eachMap(v, func(a map[string]any) {
		coerce(a, toInt, "Order")
		if fc, ok := a["ForwardConfig"].(map[string]any); ok {
			eachMap(fc["TargetGroups"], func(tg map[string]any) { coerce(tg, toInt, "Weight") })
			if st, ok := fc["TargetGroupStickinessConfig"].(map[string]any); ok {
				coerce(st, toInt, "DurationSeconds")
				coerce(st, toBool, "Enabled")
			}
		}
		if fr, ok := a["FixedResponseConfig"].(map[string]any); ok {
			coerce(fr, toStr, "StatusCode")
		}
		if rc, ok := a["RedirectConfig"].(map[string]any); ok {
			coerce(rc, toStr, "Port")
		}
	})
	return v
}

// fullName is the part of an ELB ARN after "loadbalancer/" or before the account's
// resource prefix: "app/name/id", "targetgroup/name/id".
func fullName(arn, marker string) string {
	if i := strings.Index(arn, marker); i >= 0 {
		return arn[i+len(marker):]
	}
	return arn
}

type elbLoadBalancer struct{}

func (elbLoadBalancer) attributes(ctx context.Context, req *Request, arn string, attrs any) error {
	list, _ := attrs.([]any)
	if len(list) == 0 {
		return nil
	}
	eachMap(attrs, func(m map[string]any) { coerce(m, toStr, "Value") })
	_, err := call(ctx, req, elb, "ModifyLoadBalancerAttributes", map[string]any{"LoadBalancerArn": arn, "Attributes": attrs})
	return err
}

func (lb elbLoadBalancer) Create(ctx context.Context, req *Request) (*Result, error) {
	name := str(req.Properties, "Name")
	if name == "" {
		name = req.PhysicalName(32)
	}
	in := pick(req.Properties, "Subnets", "SubnetMappings", "SecurityGroups", "Scheme", "Type", "IpAddressType", "Tags")
	in["Name"] = name
	out, err := call(ctx, req, elb, "CreateLoadBalancer", in)
	if err != nil {
		return nil, err
	}
	l := get(out, "LoadBalancers", "0")
	arn := getStr(l, "LoadBalancerArn")
	if err := lb.attributes(ctx, req, arn, req.Properties["LoadBalancerAttributes"]); err != nil {
		return &Result{PhysicalID: arn}, err
	}
	sgs := get(l, "SecurityGroups")
	if sgs == nil {
		sgs = []any{}
	}
	return &Result{PhysicalID: arn, Attributes: map[string]any{
		"LoadBalancerArn": arn, "DNSName": getStr(l, "DNSName"), "CanonicalHostedZoneID": getStr(l, "CanonicalHostedZoneId"),
		"LoadBalancerName": getStr(l, "LoadBalancerName"), "LoadBalancerFullName": fullName(arn, ":loadbalancer/"),
		"SecurityGroups": sgs,
	}}, nil
}

func (lb elbLoadBalancer) Update(ctx context.Context, req *Request, prior *Prior) (*Result, error) {
	arn := prior.PhysicalID
	p, o := req.Properties, prior.Properties
	attrs := map[string]any{}
	for k, v := range prior.Attributes {
		attrs[k] = v
	}
	if !sameJSON(o["SecurityGroups"], p["SecurityGroups"]) {
		sgs := p["SecurityGroups"]
		if sgs == nil {
			sgs = []any{}
		}
		if _, err := call(ctx, req, elb, "SetSecurityGroups", map[string]any{"LoadBalancerArn": arn, "SecurityGroups": sgs}); err != nil {
			return nil, err
		}
		attrs["SecurityGroups"] = sgs
	}
	if !sameJSON(o["Subnets"], p["Subnets"]) || !sameJSON(o["SubnetMappings"], p["SubnetMappings"]) {
		in := pick(p, "Subnets", "SubnetMappings")
		in["LoadBalancerArn"] = arn
		if _, err := call(ctx, req, elb, "SetSubnets", in); err != nil {
			return nil, err
		}
	}
	if !sameJSON(o["LoadBalancerAttributes"], p["LoadBalancerAttributes"]) {
		if err := lb.attributes(ctx, req, arn, p["LoadBalancerAttributes"]); err != nil {
			return nil, err
		}
	}
	if err := elbTags(ctx, req, arn, o["Tags"], p["Tags"]); err != nil {
		return nil, err
	}
	return &Result{Attributes: attrs}, nil
}

func (elbLoadBalancer) Delete(ctx context.Context, req *Request, prior *Prior) error {
	_, err := call(ctx, req, elb, "DeleteLoadBalancer", map[string]any{"LoadBalancerArn": prior.PhysicalID})
	return err
}

type elbTargetGroup struct{}

var healthCheckKeys = []string{"HealthCheckProtocol", "HealthCheckPort", "HealthCheckEnabled", "HealthCheckPath",
	"HealthCheckIntervalSeconds", "HealthCheckTimeoutSeconds", "HealthyThresholdCount", "UnhealthyThresholdCount", "Matcher"}

func healthCheck(props map[string]any) map[string]any {
	in := pick(props, healthCheckKeys...)
	coerce(in, toInt, "HealthCheckIntervalSeconds", "HealthCheckTimeoutSeconds", "HealthyThresholdCount", "UnhealthyThresholdCount")
	coerce(in, toStr, "HealthCheckPort")
	coerce(in, toBool, "HealthCheckEnabled")
	return in
}

func (tg elbTargetGroup) attributes(ctx context.Context, req *Request, arn string, attrs any) error {
	list, _ := attrs.([]any)
	if len(list) == 0 {
		return nil
	}
	eachMap(attrs, func(m map[string]any) { coerce(m, toStr, "Value") })
	_, err := call(ctx, req, elb, "ModifyTargetGroupAttributes", map[string]any{"TargetGroupArn": arn, "Attributes": attrs})
	return err
}

func targets(v any) []any {
	list, _ := v.([]any)
	eachMap(v, func(t map[string]any) { coerce(t, toInt, "Port") })
	return list
}

func (tg elbTargetGroup) Create(ctx context.Context, req *Request) (*Result, error) {
	name := str(req.Properties, "Name")
	if name == "" {
		name = req.PhysicalName(32)
	}
	in := healthCheck(req.Properties)
	for k, v := range pick(req.Properties, "Protocol", "ProtocolVersion", "Port", "VpcId", "TargetType", "Tags", "IpAddressType") {
		in[k] = v
	}
	coerce(in, toInt, "Port")
	in["Name"] = name
	out, err := call(ctx, req, elb, "CreateTargetGroup", in)
	if err != nil {
		return nil, err
	}
	g := get(out, "TargetGroups", "0")
	arn := getStr(g, "TargetGroupArn")
	if err := tg.attributes(ctx, req, arn, req.Properties["TargetGroupAttributes"]); err != nil {
		return &Result{PhysicalID: arn}, err
	}
	if ts := targets(req.Properties["Targets"]); len(ts) > 0 {
		if _, err := call(ctx, req, elb, "RegisterTargets", map[string]any{"TargetGroupArn": arn, "Targets": ts}); err != nil {
			return &Result{PhysicalID: arn}, err
		}
	}
	lbs := get(g, "LoadBalancerArns")
	if lbs == nil {
		lbs = []any{}
	}
	return &Result{PhysicalID: arn, Attributes: map[string]any{
		"TargetGroupArn": arn, "TargetGroupName": getStr(g, "TargetGroupName"), "TargetGroupFullName": fullName(arn, ":"+req.AccountID+":"),
		"LoadBalancerArns": lbs,
	}}, nil
}

func (tg elbTargetGroup) Update(ctx context.Context, req *Request, prior *Prior) (*Result, error) {
	arn := prior.PhysicalID
	p, o := req.Properties, prior.Properties
	if !sameJSON(healthCheck(o), healthCheck(p)) {
		in := healthCheck(p)
		in["TargetGroupArn"] = arn
		if _, err := call(ctx, req, elb, "ModifyTargetGroup", in); err != nil {
			return nil, err
		}
	}
	if !sameJSON(o["TargetGroupAttributes"], p["TargetGroupAttributes"]) {
		if err := tg.attributes(ctx, req, arn, p["TargetGroupAttributes"]); err != nil {
			return nil, err
		}
	}
	if !sameJSON(o["Targets"], p["Targets"]) {
		key := func(t any) string { return getStr(t, "Id") + ":" + stringify(get(t, "Port")) }
		oldT, newT := targets(o["Targets"]), targets(p["Targets"])
		var oldK, newK []string
		byKey := map[string]any{}
		for _, t := range oldT {
			oldK = append(oldK, key(t))
			byKey[key(t)] = t
		}
		for _, t := range newT {
			newK = append(newK, key(t))
			byKey[key(t)] = t
		}
		added, removed := diffStrings(oldK, newK)
		if len(removed) > 0 {
			var list []any
			for _, k := range removed {
				list = append(list, byKey[k])
			}
			if _, err := call(ctx, req, elb, "DeregisterTargets", map[string]any{"TargetGroupArn": arn, "Targets": list}); err != nil {
				return nil, err
			}
		}
		if len(added) > 0 {
			var list []any
			for _, k := range added {
				list = append(list, byKey[k])
			}
			if _, err := call(ctx, req, elb, "RegisterTargets", map[string]any{"TargetGroupArn": arn, "Targets": list}); err != nil {
				return nil, err
			}
		}
	}
	if err := elbTags(ctx, req, arn, o["Tags"], p["Tags"]); err != nil {
		return nil, err
	}
	return nil, nil
}

func (elbTargetGroup) Delete(ctx context.Context, req *Request, prior *Prior) error {
	_, err := call(ctx, req, elb, "DeleteTargetGroup", map[string]any{"TargetGroupArn": prior.PhysicalID})
	return err
}

type elbListener struct{}

func (elbListener) input(props map[string]any) map[string]any {
	in := pick(props, "Protocol", "Port", "DefaultActions", "Certificates", "SslPolicy", "AlpnPolicy")
	coerce(in, toInt, "Port")
	if a, ok := in["DefaultActions"]; ok {
		in["DefaultActions"] = actions(a)
	}
	return in
}

func (l elbListener) Create(ctx context.Context, req *Request) (*Result, error) {
	in := l.input(req.Properties)
	in["LoadBalancerArn"] = req.Properties["LoadBalancerArn"]
	out, err := call(ctx, req, elb, "CreateListener", in)
	if err != nil {
		return nil, err
	}
	arn := getStr(out, "Listeners", "0", "ListenerArn")
	return &Result{PhysicalID: arn, Attributes: map[string]any{"ListenerArn": arn}}, nil
}

func (l elbListener) Update(ctx context.Context, req *Request, prior *Prior) (*Result, error) {
	in := l.input(req.Properties)
	in["ListenerArn"] = prior.PhysicalID
	_, err := call(ctx, req, elb, "ModifyListener", in)
	return nil, err
}

func (elbListener) Delete(ctx context.Context, req *Request, prior *Prior) error {
	_, err := call(ctx, req, elb, "DeleteListener", map[string]any{"ListenerArn": prior.PhysicalID})
	return err
}

type elbListenerRule struct{}

func (elbListenerRule) Create(ctx context.Context, req *Request) (*Result, error) {
	in := pick(req.Properties, "ListenerArn", "Priority", "Conditions", "Actions")
	coerce(in, toInt, "Priority")
	if a, ok := in["Actions"]; ok {
		in["Actions"] = actions(a)
	}
	out, err := call(ctx, req, elb, "CreateRule", in)
	if err != nil {
		return nil, err
	}
	arn := getStr(out, "Rules", "0", "RuleArn")
	isDefault, _ := get(out, "Rules", "0", "IsDefault").(bool)
	return &Result{PhysicalID: arn, Attributes: map[string]any{"RuleArn": arn, "IsDefault": isDefault}}, nil
}

func (elbListenerRule) Update(ctx context.Context, req *Request, prior *Prior) (*Result, error) {
	p, o := req.Properties, prior.Properties
	if !sameJSON(o["Conditions"], p["Conditions"]) || !sameJSON(o["Actions"], p["Actions"]) {
		in := pick(p, "Conditions", "Actions")
		if a, ok := in["Actions"]; ok {
			in["Actions"] = actions(a)
		}
		in["RuleArn"] = prior.PhysicalID
		if _, err := call(ctx, req, elb, "ModifyRule", in); err != nil {
			return nil, err
		}
	}
	if !sameJSON(o["Priority"], p["Priority"]) {
		pair := map[string]any{"RuleArn": prior.PhysicalID, "Priority": toInt(p["Priority"])}
		if _, err := call(ctx, req, elb, "SetRulePriorities", map[string]any{"RulePriorities": []any{pair}}); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

func (elbListenerRule) Delete(ctx context.Context, req *Request, prior *Prior) error {
	_, err := call(ctx, req, elb, "DeleteRule", map[string]any{"RuleArn": prior.PhysicalID})
	return err
}
