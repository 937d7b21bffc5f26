package elbv2

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/store"
)

// The store layout. Every record is JSON; keys are chosen so that the records of one
// load balancer (or target group) share a prefix.
const (
	bucketLBs       = "elbv2.loadbalancers" // name → lbRecord
	bucketTGs       = "elbv2.targetgroups"  // name → tgRecord
	bucketListeners = "elbv2.listeners"     // lb name "/" listener id → listenerRecord
	bucketRules     = "elbv2.rules"         // lb name "/" listener id "/" rule id → ruleRecord
	bucketTargets   = "elbv2.targets"       // tg name "/" target id "/" port (5 digits) → targetRecord
)

// lbRecord is a load balancer, its attributes and tags.
type lbRecord struct {
	LB LoadBalancer `json:"lb"`
	ID string       `json:"id"`
	// Attributes holds the attributes set by ModifyLoadBalancerAttributes; the others
	// have their defaults.
	Attributes map[string]string `json:"attributes,omitempty"`
	Tags       []Tag             `json:"tags,omitempty"`
}

// tgRecord is a target group, its attributes and tags.
type tgRecord struct {
	TG         TargetGroup       `json:"tg"`
	Attributes map[string]string `json:"attributes,omitempty"`
	Tags       []Tag             `json:"tags,omitempty"`
}

// listenerRecord is a listener with its default rule, certificate and tags.
type listenerRecord struct {
	Listener Listener `json:"listener"`
	ID       string   `json:"id"`
	// DefaultRuleID names the default rule, whose actions are the listener's
	// DefaultActions.
	DefaultRuleID   string `json:"defaultRuleId"`
	DefaultRuleTags []Tag  `json:"defaultRuleTags,omitempty"`
	// CertificatePEM and KeyPEM are the default certificate of an HTTPS listener, read
	// from its files when the listener was created or modified.
	CertificatePEM []byte `json:"certificatePem,omitempty"`
	KeyPEM         []byte `json:"keyPem,omitempty"`
	Tags           []Tag  `json:"tags,omitempty"`
}

// ruleRecord is a non-default rule.
type ruleRecord struct {
	Rule     Rule   `json:"rule"`
	Priority int    `json:"priority"`
	Listener string `json:"listener"` // the listener's ARN
	Tags     []Tag  `json:"tags,omitempty"`
}

// targetRecord is a registered target, or one being deregistered (draining).
type targetRecord struct {
	ID               string     `json:"id"`
	Port             int32      `json:"port"`
	AvailabilityZone string     `json:"availabilityZone,omitempty"`
	RegisteredAt     time.Time  `json:"registeredAt"`
	DeregisteredAt   *time.Time `json:"deregisteredAt,omitempty"`
}

func listenerKey(lbName, id string) string { return lbName + "/" + id }

func ruleKey(lbName, listenerID, id string) string { return lbName + "/" + listenerID + "/" + id }

func targetKey(tgName, id string, port int32) string {
	return fmt.Sprintf("%s/%s/%05d", tgName, id, port)
}

// get reads bucket/key into v; found is false when absent.
func get(tx *store.Tx, bucket, key string, v any) (found bool, err error) {
	err = tx.Get(bucket, key, v)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// loadBalancer finds a load balancer by ARN; found is false when there is none (or the
// ARN is not a load balancer ARN of this account and region).
func (s *Service) loadBalancer(tx *store.Tx, arn string) (*lbRecord, bool, error) {
	r, ok := s.parseARN(arn)
	if !ok || r.kind != kindLoadBalancer {
		return nil, false, nil
	}
	var rec lbRecord
	found, err := get(tx, bucketLBs, r.name, &rec)
	if err != nil || !found || rec.LB.LoadBalancerArn != arn {
		return nil, false, err
	}
	return &rec, true, nil
}

// mustLoadBalancer finds a load balancer by ARN or fails with AWS's error.
func (s *Service) mustLoadBalancer(tx *store.Tx, member string, arn *string) (*lbRecord, error) {
	if arn == nil {
		return nil, errRequired(member)
	}
	if !looksLikeARN(*arn, kindLoadBalancer) {
		return nil, errValidation("'%s' is not a valid load balancer ARN", *arn)
	}
	rec, found, err := s.loadBalancer(tx, *arn)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, errCode("LoadBalancerNotFound", "Load balancer '%s' not found", *arn)
	}
	return rec, nil
}

// targetGroup finds a target group by ARN.
func (s *Service) targetGroup(tx *store.Tx, arn string) (*tgRecord, bool, error) {
	r, ok := s.parseARN(arn)
	if !ok || r.kind != kindTargetGroup {
		return nil, false, nil
	}
	var rec tgRecord
	found, err := get(tx, bucketTGs, r.name, &rec)
	if err != nil || !found || rec.TG.TargetGroupArn != arn {
		return nil, false, err
	}
	return &rec, true, nil
}

// mustTargetGroup finds a target group by ARN or fails with AWS's error.
func (s *Service) mustTargetGroup(tx *store.Tx, member string, arn *string) (*tgRecord, error) {
	if arn == nil {
		return nil, errRequired(member)
	}
	if !looksLikeARN(*arn, kindTargetGroup) {
		return nil, errValidation("'%s' is not a valid target group ARN", *arn)
	}
	rec, found, err := s.targetGroup(tx, *arn)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, errCode("TargetGroupNotFound", "Target group '%s' not found", *arn)
	}
	return rec, nil
}

// listener finds a listener by ARN.
func (s *Service) listener(tx *store.Tx, arn string) (*listenerRecord, bool, error) {
	r, ok := s.parseARN(arn)
	if !ok || r.kind != kindListener {
		return nil, false, nil
	}
	var rec listenerRecord
	found, err := get(tx, bucketListeners, listenerKey(r.name, r.listenerID), &rec)
	if err != nil || !found || rec.Listener.ListenerArn != arn {
		return nil, false, err
	}
	return &rec, true, nil
}

// mustListener finds a listener by ARN or fails with AWS's error.
func (s *Service) mustListener(tx *store.Tx, member string, arn *string) (*listenerRecord, error) {
	if arn == nil {
		return nil, errRequired(member)
	}
	if !looksLikeARN(*arn, kindListener) {
		return nil, errValidation("'%s' is not a valid listener ARN", *arn)
	}
	rec, found, err := s.listener(tx, *arn)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, errCode("ListenerNotFound", "Listener '%s' not found", *arn)
	}
	return rec, nil
}

// ruleRef is a rule found by ARN: a stored rule, or the default rule of a listener.
type ruleRef struct {
	rule     *ruleRecord     // nil for a default rule
	listener *listenerRecord // the rule's listener
	key      string          // the store key of a non-default rule
}

// findRule finds a rule (default or not) by ARN.
func (s *Service) findRule(tx *store.Tx, arn string) (*ruleRef, bool, error) {
	r, ok := s.parseARN(arn)
	if !ok || r.kind != kindRule {
		return nil, false, nil
	}
	var l listenerRecord
	found, err := get(tx, bucketListeners, listenerKey(r.name, r.listenerID), &l)
	if err != nil || !found || l.Listener.LoadBalancerArn != s.lbARN(r.name, r.id) {
		return nil, false, err
	}
	if r.ruleID == l.DefaultRuleID {
		return &ruleRef{listener: &l}, true, nil
	}
	var rule ruleRecord
	key := ruleKey(r.name, r.listenerID, r.ruleID)
	found, err = get(tx, bucketRules, key, &rule)
	if err != nil || !found || rule.Rule.RuleArn != arn {
		return nil, false, err
	}
	return &ruleRef{rule: &rule, listener: &l, key: key}, true, nil
}

// mustRule finds a rule by ARN or fails with AWS's error.
func (s *Service) mustRule(tx *store.Tx, member string, arn *string) (*ruleRef, error) {
	if arn == nil {
		return nil, errRequired(member)
	}
	if !looksLikeARN(*arn, kindRule) {
		return nil, errValidation("'%s' is not a valid listener rule ARN", *arn)
	}
	rr, found, err := s.findRule(tx, *arn)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, errCode("RuleNotFound", "Rule '%s' not found", *arn)
	}
	return rr, nil
}

// listenersOf lists the listeners of a load balancer ("" for every load balancer),
// by load balancer name and port.
func listenersOf(tx *store.Tx, lbName string) ([]listenerRecord, error) {
	prefix := ""
	if lbName != "" {
		prefix = lbName + "/"
	}
	ls, err := store.List[listenerRecord](tx, bucketListeners, prefix)
	slices.SortFunc(ls, func(a, b listenerRecord) int {
		if c := strings.Compare(lbNameOf(a.Listener.LoadBalancerArn), lbNameOf(b.Listener.LoadBalancerArn)); c != 0 {
			return c
		}
		return int(a.Listener.Port) - int(b.Listener.Port)
	})
	return ls, err
}

// rulesOf lists the non-default rules of a listener by priority.
func (s *Service) rulesOf(tx *store.Tx, l *listenerRecord) ([]ruleRecord, error) {
	r, _ := s.parseARN(l.Listener.ListenerArn)
	rules, err := store.List[ruleRecord](tx, bucketRules, listenerKey(r.name, r.listenerID)+"/")
	slices.SortFunc(rules, func(a, b ruleRecord) int { return a.Priority - b.Priority })
	return rules, err
}

// targetsOf lists the targets of a target group.
func targetsOf(tx *store.Tx, tgName string) ([]targetRecord, error) {
	return store.List[targetRecord](tx, bucketTargets, tgName+"/")
}

// lbNameOf returns the load balancer name in a load balancer or listener ARN.
func lbNameOf(arn string) string {
	_, rest, _ := strings.Cut(arn, "/app/")
	name, _, _ := strings.Cut(rest, "/")
	return name
}

// defaultRule returns the default rule of a listener.
func (s *Service) defaultRule(l *listenerRecord) Rule {
	r, _ := s.parseARN(l.Listener.ListenerArn)
	return Rule{
		RuleArn:    s.ruleARN(r.name, r.id, r.listenerID, l.DefaultRuleID),
		Priority:   "default",
		Conditions: []RuleCondition{},
		Actions:    l.Listener.DefaultActions,
		IsDefault:  true,
	}
}

// usage maps each target group ARN to the load balancers whose listeners forward to it
// (by a default action or a rule).
func (s *Service) usage(tx *store.Tx) (map[string][]string, error) {
	use := map[string][]string{}
	add := func(lb string, actions []Action) {
		for _, tg := range actionTargetGroups(actions) {
			if !slices.Contains(use[tg], lb) {
				use[tg] = append(use[tg], lb)
			}
		}
	}
	ls, err := listenersOf(tx, "")
	if err != nil {
		return nil, err
	}
	for i := range ls {
		l := &ls[i]
		add(l.Listener.LoadBalancerArn, l.Listener.DefaultActions)
		rules, err := s.rulesOf(tx, l)
		if err != nil {
			return nil, err
		}
		for _, r := range rules {
			add(l.Listener.LoadBalancerArn, r.Rule.Actions)
		}
	}
	for tg := range use {
		slices.Sort(use[tg])
	}
	return use, nil
}

// actionTargetGroups lists the target groups that actions forward to.
func actionTargetGroups(actions []Action) []string {
	var out []string
	for _, a := range actions {
		if a.ForwardConfig != nil {
			for _, t := range a.ForwardConfig.TargetGroups {
				if t.TargetGroupArn != nil && !slices.Contains(out, *t.TargetGroupArn) {
					out = append(out, *t.TargetGroupArn)
				}
			}
		}
		if a.TargetGroupArn != nil && !slices.Contains(out, *a.TargetGroupArn) {
			out = append(out, *a.TargetGroupArn)
		}
	}
	return out
}
