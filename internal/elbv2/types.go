package elbv2

import "time"

// The wire types of the ELBv2 API. Member names (json tags) are those of the AWS model
// (aws-sdk-go-v2/service/elasticloadbalancingv2/types); the gateway's awsQuery codec
// reads and writes them.

// LoadBalancer is a load balancer as DescribeLoadBalancers shows it.
type LoadBalancer struct {
	LoadBalancerArn       string             `json:"LoadBalancerArn,omitempty"`
	LoadBalancerName      string             `json:"LoadBalancerName,omitempty"`
	DNSName               string             `json:"DNSName,omitempty"`
	CanonicalHostedZoneId string             `json:"CanonicalHostedZoneId,omitempty"`
	CreatedTime           time.Time          `json:"CreatedTime,omitzero"`
	Scheme                string             `json:"Scheme,omitempty"`
	VpcId                 string             `json:"VpcId,omitempty"`
	State                 *LoadBalancerState `json:"State,omitempty"`
	Type                  string             `json:"Type,omitempty"`
	AvailabilityZones     []AvailabilityZone `json:"AvailabilityZones,omitempty"`
	SecurityGroups        []string           `json:"SecurityGroups,omitempty"`
	IpAddressType         string             `json:"IpAddressType,omitempty"`
}

// LoadBalancerState is the state of a load balancer: active (Wharf's load balancers are
// active as soon as they are created).
type LoadBalancerState struct {
	Code   string `json:"Code,omitempty"`
	Reason string `json:"Reason,omitempty"`
}

// AvailabilityZone is one zone a load balancer is in, with its subnet.
type AvailabilityZone struct {
	ZoneName string `json:"ZoneName,omitempty"`
	SubnetId string `json:"SubnetId,omitempty"`
}

// SubnetMapping names a subnet of a load balancer (the addresses are not used).
type SubnetMapping struct {
	SubnetId           *string `json:"SubnetId,omitempty"`
	AllocationId       *string `json:"AllocationId,omitempty"`
	PrivateIPv4Address *string `json:"PrivateIPv4Address,omitempty"`
	IPv6Address        *string `json:"IPv6Address,omitempty"`
}

// Attribute is a load balancer or target group attribute (LoadBalancerAttribute,
// TargetGroupAttribute): a key and a value, both strings.
type Attribute struct {
	Key   *string `json:"Key,omitempty"`
	Value *string `json:"Value,omitempty"`
}

// TargetGroup is a target group as DescribeTargetGroups shows it.
type TargetGroup struct {
	TargetGroupArn             string   `json:"TargetGroupArn,omitempty"`
	TargetGroupName            string   `json:"TargetGroupName,omitempty"`
	Protocol                   string   `json:"Protocol,omitempty"`
	Port                       int32    `json:"Port,omitempty"`
	VpcId                      string   `json:"VpcId,omitempty"`
	HealthCheckProtocol        string   `json:"HealthCheckProtocol,omitempty"`
	HealthCheckPort            string   `json:"HealthCheckPort,omitempty"`
	HealthCheckEnabled         bool     `json:"HealthCheckEnabled"`
	HealthCheckIntervalSeconds int32    `json:"HealthCheckIntervalSeconds,omitempty"`
	HealthCheckTimeoutSeconds  int32    `json:"HealthCheckTimeoutSeconds,omitempty"`
	HealthyThresholdCount      int32    `json:"HealthyThresholdCount,omitempty"`
	UnhealthyThresholdCount    int32    `json:"UnhealthyThresholdCount,omitempty"`
	HealthCheckPath            string   `json:"HealthCheckPath,omitempty"`
	Matcher                    *Matcher `json:"Matcher,omitempty"`
	LoadBalancerArns           []string `json:"LoadBalancerArns"`
	TargetType                 string   `json:"TargetType,omitempty"`
	ProtocolVersion            string   `json:"ProtocolVersion,omitempty"`
	IpAddressType              string   `json:"IpAddressType,omitempty"`
}

// Matcher is the HTTP codes a healthy target answers health checks with.
type Matcher struct {
	HttpCode *string `json:"HttpCode,omitempty"`
	GrpcCode *string `json:"GrpcCode,omitempty"`
}

// TargetDescription names a target: an instance id or an IP address, and a port.
type TargetDescription struct {
	Id               *string `json:"Id,omitempty"`
	Port             *int32  `json:"Port,omitempty"`
	AvailabilityZone *string `json:"AvailabilityZone,omitempty"`
}

// TargetHealthDescription is a target with its health.
type TargetHealthDescription struct {
	Target          *TargetDescription `json:"Target,omitempty"`
	HealthCheckPort string             `json:"HealthCheckPort,omitempty"`
	TargetHealth    *TargetHealth      `json:"TargetHealth,omitempty"`
}

// TargetHealth is a target's state, with a reason code and description unless healthy.
type TargetHealth struct {
	State       string `json:"State,omitempty"`
	Reason      string `json:"Reason,omitempty"`
	Description string `json:"Description,omitempty"`
}

// Listener is a listener as DescribeListeners shows it.
type Listener struct {
	ListenerArn     string        `json:"ListenerArn,omitempty"`
	LoadBalancerArn string        `json:"LoadBalancerArn,omitempty"`
	Port            int32         `json:"Port,omitempty"`
	Protocol        string        `json:"Protocol,omitempty"`
	Certificates    []Certificate `json:"Certificates,omitempty"`
	SslPolicy       string        `json:"SslPolicy,omitempty"`
	DefaultActions  []Action      `json:"DefaultActions"`
	AlpnPolicy      []string      `json:"AlpnPolicy,omitempty"`
}

// Certificate is a listener certificate. Wharf reads certificates from PEM files: see
// CreateListener.
type Certificate struct {
	CertificateArn *string `json:"CertificateArn,omitempty"`
	IsDefault      *bool   `json:"IsDefault,omitempty"`
}

// Action is a rule action: forward, fixed-response or redirect.
type Action struct {
	Type                *string                    `json:"Type,omitempty"`
	Order               *int32                     `json:"Order,omitempty"`
	TargetGroupArn      *string                    `json:"TargetGroupArn,omitempty"`
	ForwardConfig       *ForwardActionConfig       `json:"ForwardConfig,omitempty"`
	FixedResponseConfig *FixedResponseActionConfig `json:"FixedResponseConfig,omitempty"`
	RedirectConfig      *RedirectActionConfig      `json:"RedirectConfig,omitempty"`
}

// ForwardActionConfig forwards to weighted target groups.
type ForwardActionConfig struct {
	TargetGroups                []TargetGroupTuple           `json:"TargetGroups,omitempty"`
	TargetGroupStickinessConfig *TargetGroupStickinessConfig `json:"TargetGroupStickinessConfig,omitempty"`
}

// TargetGroupTuple is a target group of a forward action with its weight (0-999).
type TargetGroupTuple struct {
	TargetGroupArn *string `json:"TargetGroupArn,omitempty"`
	Weight         *int32  `json:"Weight,omitempty"`
}

// TargetGroupStickinessConfig is the target group stickiness of a forward action.
type TargetGroupStickinessConfig struct {
	Enabled         *bool  `json:"Enabled,omitempty"`
	DurationSeconds *int32 `json:"DurationSeconds,omitempty"`
}

// FixedResponseActionConfig answers with a fixed response.
type FixedResponseActionConfig struct {
	StatusCode  *string `json:"StatusCode,omitempty"`
	ContentType *string `json:"ContentType,omitempty"`
	MessageBody *string `json:"MessageBody,omitempty"`
}

// RedirectActionConfig redirects.
type RedirectActionConfig struct {
	Protocol   *string `json:"Protocol,omitempty"`
	Port       *string `json:"Port,omitempty"`
	Host       *string `json:"Host,omitempty"`
	Path       *string `json:"Path,omitempty"`
	Query      *string `json:"Query,omitempty"`
	StatusCode *string `json:"StatusCode,omitempty"`
}

// Rule is a listener rule as DescribeRules shows it.
type Rule struct {
	RuleArn    string          `json:"RuleArn,omitempty"`
	Priority   string          `json:"Priority,omitempty"` // a number, or "default"
	Conditions []RuleCondition `json:"Conditions"`
	Actions    []Action        `json:"Actions"`
	IsDefault  bool            `json:"IsDefault"`
}

// RuleCondition is a rule condition, in the legacy form (Field and Values) or with the
// field's own configuration.
type RuleCondition struct {
	Field                   *string                           `json:"Field,omitempty"`
	Values                  []string                          `json:"Values,omitempty"`
	HostHeaderConfig        *HostHeaderConditionConfig        `json:"HostHeaderConfig,omitempty"`
	PathPatternConfig       *PathPatternConditionConfig       `json:"PathPatternConfig,omitempty"`
	HttpHeaderConfig        *HttpHeaderConditionConfig        `json:"HttpHeaderConfig,omitempty"`
	HttpRequestMethodConfig *HttpRequestMethodConditionConfig `json:"HttpRequestMethodConfig,omitempty"`
	QueryStringConfig       *QueryStringConditionConfig       `json:"QueryStringConfig,omitempty"`
	SourceIpConfig          *SourceIpConditionConfig          `json:"SourceIpConfig,omitempty"`
	// RegexValues is refused: Wharf's data plane matches the wildcard patterns only.
	RegexValues []string `json:"RegexValues,omitempty"`
}

// HostHeaderConditionConfig is the configuration of a host-header condition.
type HostHeaderConditionConfig struct {
	Values      []string `json:"Values,omitempty"`
	RegexValues []string `json:"RegexValues,omitempty"`
}

// PathPatternConditionConfig is the configuration of a path-pattern condition.
type PathPatternConditionConfig struct {
	Values      []string `json:"Values,omitempty"`
	RegexValues []string `json:"RegexValues,omitempty"`
}

// HttpHeaderConditionConfig is the configuration of an http-header condition.
type HttpHeaderConditionConfig struct {
	HttpHeaderName *string  `json:"HttpHeaderName,omitempty"`
	Values         []string `json:"Values,omitempty"`
	RegexValues    []string `json:"RegexValues,omitempty"`
}

// HttpRequestMethodConditionConfig is the configuration of an http-request-method
// condition.
type HttpRequestMethodConditionConfig struct {
	Values []string `json:"Values,omitempty"`
}

// QueryStringConditionConfig is the configuration of a query-string condition.
type QueryStringConditionConfig struct {
	Values []QueryStringKeyValuePair `json:"Values,omitempty"`
}

// QueryStringKeyValuePair is a query-string pattern; the key may be omitted.
type QueryStringKeyValuePair struct {
	Key   *string `json:"Key,omitempty"`
	Value *string `json:"Value,omitempty"`
}

// SourceIpConditionConfig is the configuration of a source-ip condition (CIDRs).
type SourceIpConditionConfig struct {
	Values []string `json:"Values,omitempty"`
}

// RulePriorityPair sets the priority of a rule.
type RulePriorityPair struct {
	RuleArn  *string `json:"RuleArn,omitempty"`
	Priority *int32  `json:"Priority,omitempty"`
}

// Tag is a resource tag.
type Tag struct {
	Key   *string `json:"Key,omitempty"`
	Value *string `json:"Value,omitempty"`
}

// TagDescription is the tags of one resource.
type TagDescription struct {
	ResourceArn string `json:"ResourceArn,omitempty"`
	Tags        []Tag  `json:"Tags"`
}

// Limit is an account quota.
type Limit struct {
	Name string `json:"Name,omitempty"`
	Max  string `json:"Max,omitempty"`
}
