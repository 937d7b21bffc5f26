package elbv2

import (
	"fmt"
	"strings"
)

// ARNs, as AWS makes them for application load balancers:
//
//	arn:aws:elasticloadbalancing:<region>:<account>:loadbalancer/app/<name>/<16 hex>
//	arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<16 hex>
//	arn:aws:elasticloadbalancing:<region>:<account>:listener/app/<lb name>/<lb id>/<16 hex>
//	arn:aws:elasticloadbalancing:<region>:<account>:listener-rule/app/<lb name>/<lb id>/<listener id>/<16 hex>

// Resource kinds named by ARNs.
const (
	kindLoadBalancer = "loadbalancer"
	kindTargetGroup  = "targetgroup"
	kindListener     = "listener"
	kindRule         = "listener-rule"
)

// ref is a parsed ELBv2 ARN.
type ref struct {
	kind       string
	name       string // load balancer or target group name
	id         string // load balancer or target group id
	listenerID string // listeners and rules
	ruleID     string // rules
}

func (s *Service) arnPrefix() string {
	return fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:", s.region, s.account)
}

func (s *Service) lbARN(name, id string) string {
	return s.arnPrefix() + "loadbalancer/app/" + name + "/" + id
}

func (s *Service) tgARN(name, id string) string {
	return s.arnPrefix() + "targetgroup/" + name + "/" + id
}

func (s *Service) listenerARN(lbName, lbID, id string) string {
	return s.arnPrefix() + "listener/app/" + lbName + "/" + lbID + "/" + id
}

func (s *Service) ruleARN(lbName, lbID, listenerID, id string) string {
	return s.arnPrefix() + "listener-rule/app/" + lbName + "/" + lbID + "/" + listenerID + "/" + id
}

// parseARN parses an ELBv2 ARN of this region and account. ok is false for anything
// else (another service, region or account, a network load balancer, a bad shape).
func (s *Service) parseARN(arn string) (r ref, ok bool) {
	rest, found := strings.CutPrefix(arn, s.arnPrefix())
	if !found {
		return ref{}, false
	}
	parts := strings.Split(rest, "/")
	for _, p := range parts {
		if p == "" {
			return ref{}, false
		}
	}
	switch {
	case parts[0] == kindLoadBalancer && len(parts) == 4 && parts[1] == "app":
		return ref{kind: kindLoadBalancer, name: parts[2], id: parts[3]}, true
	case parts[0] == kindTargetGroup && len(parts) == 3:
		return ref{kind: kindTargetGroup, name: parts[1], id: parts[2]}, true
	case parts[0] == kindListener && len(parts) == 5 && parts[1] == "app":
		return ref{kind: kindListener, name: parts[2], id: parts[3], listenerID: parts[4]}, true
	case parts[0] == kindRule && len(parts) == 6 && parts[1] == "app":
		return ref{kind: kindRule, name: parts[2], id: parts[3], listenerID: parts[4], ruleID: parts[5]}, true
	}
	return ref{}, false
}

// looksLikeARN reports whether s is shaped as an ARN of the given kind, whatever its
// region and account: such an ARN is not found rather than invalid.
func looksLikeARN(s, kind string) bool {
	parts := strings.SplitN(s, ":", 6)
	return len(parts) == 6 && parts[0] == "arn" && parts[2] == "elasticloadbalancing" &&
		strings.HasPrefix(parts[5], kind+"/")
}

// validName reports whether a load balancer or target group name is valid: 1 to 32
// letters, digits and hyphens, not beginning or ending with a hyphen.
func validName(what, name string) error {
	if name == "" {
		return errValidation("%s name cannot be empty", what)
	}
	if len(name) > 32 {
		return errValidation("%s name cannot be longer than '32' characters", what)
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return errValidation("%s name '%s' can only contain characters that are alphanumeric characters or hyphens(-)", what, name)
		}
	}
	if strings.HasPrefix(name, "-") || strings.HasSuffix(name, "-") {
		return errValidation("%s name '%s' cannot begin or end with '-'", what, name)
	}
	return nil
}

// defaultVPC is the id of the VPC Wharf reports for load balancers (and for target
// groups created without one): the same for every call, made from the account and region.
func (s *Service) defaultVPC() string {
	return "vpc-" + stableHex(17, s.account, s.region, "vpc")
}

// defaultSubnet is the id of the default VPC's subnet in zone.
func (s *Service) defaultSubnet(zone string) string {
	return "subnet-" + stableHex(17, s.account, s.region, "subnet", zone)
}

// defaultSecurityGroup is the id of the default VPC's default security group.
func (s *Service) defaultSecurityGroup() string {
	return "sg-" + stableHex(17, s.account, s.region, "sg")
}

// zone returns the name of the i-th availability zone of the region (a, b, c...).
func (s *Service) zone(i int) string {
	return s.region + string(rune('a'+i%6))
}
