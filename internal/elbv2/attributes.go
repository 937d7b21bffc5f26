package elbv2

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/store"
)

// DescribeLoadBalancerAttributesInput is the input of DescribeLoadBalancerAttributes.
type DescribeLoadBalancerAttributesInput struct {
	LoadBalancerArn *string `json:"LoadBalancerArn,omitempty"`
}

// DescribeLoadBalancerAttributesOutput is the output of DescribeLoadBalancerAttributes.
type DescribeLoadBalancerAttributesOutput struct {
	Attributes []Attribute `json:"Attributes"`
}

// ModifyLoadBalancerAttributesInput is the input of ModifyLoadBalancerAttributes.
type ModifyLoadBalancerAttributesInput struct {
	LoadBalancerArn *string     `json:"LoadBalancerArn,omitempty"`
	Attributes      []Attribute `json:"Attributes,omitempty"`
}

// ModifyLoadBalancerAttributesOutput is the output of ModifyLoadBalancerAttributes.
type ModifyLoadBalancerAttributesOutput struct {
	Attributes []Attribute `json:"Attributes"`
}

// DescribeTargetGroupAttributesInput is the input of DescribeTargetGroupAttributes.
type DescribeTargetGroupAttributesInput struct {
	TargetGroupArn *string `json:"TargetGroupArn,omitempty"`
}

// DescribeTargetGroupAttributesOutput is the output of DescribeTargetGroupAttributes.
type DescribeTargetGroupAttributesOutput struct {
	Attributes []Attribute `json:"Attributes"`
}

// ModifyTargetGroupAttributesInput is the input of ModifyTargetGroupAttributes.
type ModifyTargetGroupAttributesInput struct {
	TargetGroupArn *string     `json:"TargetGroupArn,omitempty"`
	Attributes     []Attribute `json:"Attributes,omitempty"`
}

// ModifyTargetGroupAttributesOutput is the output of ModifyTargetGroupAttributes.
type ModifyTargetGroupAttributesOutput struct {
	Attributes []Attribute `json:"Attributes"`
}

// Attribute keys the data plane reads.
const (
	attrIdleTimeout         = "idle_timeout.timeout_seconds"
	attrDeletionProtection  = "deletion_protection.enabled"
	attrDropInvalidHeaders  = "routing.http.drop_invalid_header_fields.enabled"
	attrPreserveHost        = "routing.http.preserve_host_header.enabled"
	attrXFFMode             = "routing.http.xff_header_processing.mode"
	attrXFFClientPort       = "routing.http.xff_client_port.enabled"
	attrDesyncMode          = "routing.http.desync_mitigation_mode"
	attrTLSCipherHeaders    = "routing.http.x_amzn_tls_version_and_cipher_suite.enabled"
	attrDeregistrationDelay = "deregistration_delay.timeout_seconds"
	attrSlowStart           = "slow_start.duration_seconds"
	attrStickiness          = "stickiness.enabled"
	attrStickinessType      = "stickiness.type"
	attrLBCookieDuration    = "stickiness.lb_cookie.duration_seconds"
	attrAppCookieName       = "stickiness.app_cookie.cookie_name"
	attrAppCookieDuration   = "stickiness.app_cookie.duration_seconds"
	attrAlgorithm           = "load_balancing.algorithm.type"
	attrAnomalyMitigation   = "load_balancing.algorithm.anomaly_mitigation"
)

// attrSpec is an attribute's default and the check of its values.
type attrSpec struct {
	def   string
	check func(v string) string // returns what a valid value is, or "" when v is valid
}

func isBool(v string) string {
	if v == "true" || v == "false" {
		return ""
	}
	return "must be true or false"
}

func anyValue(string) string { return "" }

func oneOf(values ...string) func(string) string {
	return func(v string) string {
		if slices.Contains(values, v) {
			return ""
		}
		return "must be one of " + strings.Join(values, ", ")
	}
}

func intIn(lo, hi int) func(string) string {
	return func(v string) string {
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return fmt.Sprintf("must be an integer from %d to %d", lo, hi)
		}
		return ""
	}
}

func slowStart(v string) string {
	n, err := strconv.Atoi(v)
	if err != nil || (n != 0 && (n < 30 || n > 900)) {
		return "must be 0 (disabled) or an integer from 30 to 900"
	}
	return ""
}

func offOr(check func(string) string) func(string) string {
	return func(v string) string {
		if v == "off" || check(v) == "" {
			return ""
		}
		return "must be off or " + strings.TrimPrefix(check(v), "must be ")
	}
}

func bucketName(v string) string {
	if len(v) > 255 {
		return "must be at most 255 characters"
	}
	return ""
}

// lbAttributeSpecs are the attributes of an application load balancer, with AWS's
// defaults. Only the routing and idle timeout attributes change what Wharf does; the
// others are accepted and echoed.
var lbAttributeSpecs = map[string]attrSpec{
	"access_logs.s3.enabled":            {"false", isBool},
	"access_logs.s3.bucket":             {"", bucketName},
	"access_logs.s3.prefix":             {"", anyValue},
	"connection_logs.s3.enabled":        {"false", isBool},
	"connection_logs.s3.bucket":         {"", bucketName},
	"connection_logs.s3.prefix":         {"", anyValue},
	"health_check_logs.s3.enabled":      {"false", isBool},
	"health_check_logs.s3.bucket":       {"", bucketName},
	"health_check_logs.s3.prefix":       {"", anyValue},
	"client_keep_alive.seconds":         {"3600", intIn(60, 604800)},
	attrDeletionProtection:              {"false", isBool},
	attrIdleTimeout:                     {"60", intIn(1, 4000)},
	"load_balancing.cross_zone.enabled": {"true", isBool},
	attrDesyncMode:                      {"defensive", oneOf("monitor", "defensive", "strictest")},
	attrDropInvalidHeaders:              {"false", isBool},
	attrPreserveHost:                    {"false", isBool},
	attrTLSCipherHeaders:                {"false", isBool},
	attrXFFClientPort:                   {"false", isBool},
	attrXFFMode:                         {"append", oneOf("append", "preserve", "remove")},
	"routing.http2.enabled":             {"true", isBool},
	"waf.fail_open.enabled":             {"false", isBool},
	"zonal_shift.config.enabled":        {"false", isBool},
	"routing.http.request.x_amzn_mtls_clientcert.header_name": {"", anyValue},
}

// tgAttributeSpecs are the attributes of an HTTP(S) target group of instances or IP
// addresses, with AWS's defaults.
var tgAttributeSpecs = map[string]attrSpec{
	attrDeregistrationDelay:             {"300", intIn(0, 3600)},
	attrSlowStart:                       {"0", slowStart},
	attrStickiness:                      {"false", isBool},
	attrStickinessType:                  {"lb_cookie", oneOf("lb_cookie", "app_cookie")},
	attrLBCookieDuration:                {"86400", intIn(1, 604800)},
	attrAppCookieName:                   {"", appCookieName},
	attrAppCookieDuration:               {"86400", intIn(1, 604800)},
	attrAlgorithm:                       {"round_robin", oneOf("round_robin", "least_outstanding_requests", "weighted_random")},
	attrAnomalyMitigation:               {"off", oneOf("on", "off")},
	"load_balancing.cross_zone.enabled": {"use_load_balancer_configuration", oneOf("true", "false", "use_load_balancer_configuration")},
	"target_group_health.dns_failover.minimum_healthy_targets.count":                 {"1", offOr(intIn(1, 1000))},
	"target_group_health.dns_failover.minimum_healthy_targets.percentage":            {"off", offOr(intIn(1, 100))},
	"target_group_health.unhealthy_state_routing.minimum_healthy_targets.count":      {"1", intIn(1, 1000)},
	"target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage": {"off", offOr(intIn(1, 100))},
}

// appCookieName checks the name of an application stickiness cookie.
func appCookieName(v string) string {
	for _, reserved := range []string{"AWSALB", "AWSALBAPP", "AWSALBTG"} {
		if strings.HasPrefix(v, reserved) {
			return "cannot begin with AWSALB, AWSALBAPP or AWSALBTG, which are reserved for the load balancer"
		}
	}
	if len(v) > 256 {
		return "must be at most 256 characters"
	}
	for _, c := range v {
		if c <= ' ' || c >= 0x7f || strings.ContainsRune("()<>@,;:\\\"/[]?={}", c) {
			return "must be a cookie name: visible ASCII characters other than separators"
		}
	}
	return ""
}

// withDefaults returns the full attribute map: the set values over the defaults.
func withDefaults(specs map[string]attrSpec, set map[string]string) map[string]string {
	out := make(map[string]string, len(specs))
	for k, spec := range specs {
		out[k] = spec.def
	}
	maps.Copy(out, set)
	return out
}

func lbAttributes(rec *lbRecord) map[string]string {
	return withDefaults(lbAttributeSpecs, rec.Attributes)
}

func tgAttributes(rec *tgRecord) map[string]string {
	return withDefaults(tgAttributeSpecs, rec.Attributes)
}

// attributeList lists attributes sorted by key.
func attributeList(m map[string]string) []Attribute {
	out := make([]Attribute, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, Attribute{Key: ptr(k), Value: ptr(m[k])})
	}
	return out
}

// applyAttributes checks changes against specs and returns the set values with the
// changes made. what names the resource in messages ("Load balancer", "Target group").
func applyAttributes(what string, specs map[string]attrSpec, set map[string]string, changes []Attribute) (map[string]string, error) {
	if len(changes) == 0 {
		return nil, errRequired("attributes")
	}
	if len(changes) > 20 {
		return nil, errValidation("At most 20 attributes can be modified at once; %d were given", len(changes))
	}
	out := maps.Clone(set)
	if out == nil {
		out = map[string]string{}
	}
	for _, a := range changes {
		if a.Key == nil {
			return nil, errValidation("%s attribute key must be specified", what)
		}
		spec, ok := specs[*a.Key]
		if !ok {
			return nil, errValidation("%s attribute key '%s' is not recognized", what, *a.Key)
		}
		v := deref(a.Value)
		if rule := spec.check(v); rule != "" {
			return nil, errValidation("%s attribute '%s' has the invalid value '%s': it %s", what, *a.Key, v, rule)
		}
		out[*a.Key] = v
	}
	return out, nil
}

// checkLBAttributes checks the rules that tie attributes together.
func checkLBAttributes(attrs map[string]string) error {
	for _, log := range []string{"access_logs", "connection_logs", "health_check_logs"} {
		if attrs[log+".s3.enabled"] == "true" && attrs[log+".s3.bucket"] == "" {
			return errValidation("The value of '%s.s3.bucket' cannot be empty when '%s.s3.enabled' is true", log, log)
		}
	}
	return nil
}

func checkTGAttributes(attrs map[string]string) error {
	if attrs[attrStickiness] == "true" && attrs[attrStickinessType] == "app_cookie" && attrs[attrAppCookieName] == "" {
		return errValidation("The value of '%s' must be specified when application-based stickiness is enabled", attrAppCookieName)
	}
	if attrs[attrAnomalyMitigation] == "on" && attrs[attrAlgorithm] != "weighted_random" {
		return errValidation("'%s' can be 'on' only with the weighted_random algorithm", attrAnomalyMitigation)
	}
	return nil
}

// DescribeLoadBalancerAttributes lists every attribute of a load balancer.
func (s *Service) DescribeLoadBalancerAttributes(ctx context.Context, in *DescribeLoadBalancerAttributesInput) (*DescribeLoadBalancerAttributesOutput, error) {
	var out []Attribute
	err := s.view(ctx, func(tx *store.Tx) error {
		rec, err := s.mustLoadBalancer(tx, "loadBalancerArn", in.LoadBalancerArn)
		if err != nil {
			return err
		}
		out = attributeList(lbAttributes(rec))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &DescribeLoadBalancerAttributesOutput{Attributes: out}, nil
}

// ModifyLoadBalancerAttributes changes attributes of a load balancer and returns all
// of them. An unknown key or an invalid value fails the whole call.
func (s *Service) ModifyLoadBalancerAttributes(ctx context.Context, in *ModifyLoadBalancerAttributesInput) (*ModifyLoadBalancerAttributesOutput, error) {
	var out []Attribute
	err := s.change(ctx, func(tx *store.Tx) error {
		rec, err := s.mustLoadBalancer(tx, "loadBalancerArn", in.LoadBalancerArn)
		if err != nil {
			return err
		}
		set, err := applyAttributes("Load balancer", lbAttributeSpecs, rec.Attributes, in.Attributes)
		if err != nil {
			return err
		}
		rec.Attributes = set
		all := lbAttributes(rec)
		if err := checkLBAttributes(all); err != nil {
			return err
		}
		out = attributeList(all)
		return tx.Put(bucketLBs, rec.LB.LoadBalancerName, rec)
	})
	if err != nil {
		return nil, err
	}
	return &ModifyLoadBalancerAttributesOutput{Attributes: out}, nil
}

// DescribeTargetGroupAttributes lists every attribute of a target group.
func (s *Service) DescribeTargetGroupAttributes(ctx context.Context, in *DescribeTargetGroupAttributesInput) (*DescribeTargetGroupAttributesOutput, error) {
	var out []Attribute
	err := s.view(ctx, func(tx *store.Tx) error {
		rec, err := s.mustTargetGroup(tx, "targetGroupArn", in.TargetGroupArn)
		if err != nil {
			return err
		}
		out = attributeList(tgAttributes(rec))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &DescribeTargetGroupAttributesOutput{Attributes: out}, nil
}

// ModifyTargetGroupAttributes changes attributes of a target group and returns all of
// them.
func (s *Service) ModifyTargetGroupAttributes(ctx context.Context, in *ModifyTargetGroupAttributesInput) (*ModifyTargetGroupAttributesOutput, error) {
	var out []Attribute
	err := s.change(ctx, func(tx *store.Tx) error {
		rec, err := s.mustTargetGroup(tx, "targetGroupArn", in.TargetGroupArn)
		if err != nil {
			return err
		}
		set, err := applyAttributes("Target group", tgAttributeSpecs, rec.Attributes, in.Attributes)
		if err != nil {
			return err
		}
		rec.Attributes = set
		all := tgAttributes(rec)
		if err := checkTGAttributes(all); err != nil {
			return err
		}
		out = attributeList(all)
		return tx.Put(bucketTGs, rec.TG.TargetGroupName, rec)
	})
	if err != nil {
		return nil, err
	}
	return &ModifyTargetGroupAttributesOutput{Attributes: out}, nil
}

// seconds reads an integer attribute as a duration (0 when unparsable, which validation
// prevents).
func seconds(attrs map[string]string, key string) time.Duration {
	n, _ := strconv.Atoi(attrs[key])
	return time.Duration(n) * time.Second
}
