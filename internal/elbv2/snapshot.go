package elbv2

import (
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/store"
)

// localAddress is where every instance target is reached: Wharf has one node, and every
// instance id stands for it.
var localAddress = netip.MustParseAddr("127.0.0.1")

// snapshot builds the data plane's configuration from the store: every listener with its
// rules in evaluation order (ascending priority, the default rule last), every target
// group with its health check, attributes (defaults filled in) and targets (draining
// ones included), and the attributes of every load balancer.
func (s *Service) snapshot(tx *store.Tx) (Snapshot, error) {
	snap := Snapshot{
		Listeners:     []ListenerConfig{},
		TargetGroups:  map[string]TargetGroupConfig{},
		LoadBalancers: map[string]LoadBalancerConfig{},
	}
	lbs, err := store.List[lbRecord](tx, bucketLBs, "")
	if err != nil {
		return Snapshot{}, err
	}
	for i := range lbs {
		snap.LoadBalancers[lbs[i].LB.LoadBalancerArn] = lbConfig(&lbs[i])
	}
	ls, err := listenersOf(tx, "")
	if err != nil {
		return Snapshot{}, err
	}
	for i := range ls {
		l := &ls[i]
		rules, err := s.rulesOf(tx, l)
		if err != nil {
			return Snapshot{}, err
		}
		lc := ListenerConfig{
			ARN:             l.Listener.ListenerArn,
			LoadBalancerARN: l.Listener.LoadBalancerArn,
			Port:            int(l.Listener.Port),
			Protocol:        l.Listener.Protocol,
			CertificatePEM:  l.CertificatePEM,
			KeyPEM:          l.KeyPEM,
			Rules:           make([]RuleConfig, 0, len(rules)+1),
		}
		for _, r := range rules {
			lc.Rules = append(lc.Rules, RuleConfig{
				ARN:        r.Rule.RuleArn,
				Priority:   r.Priority,
				Conditions: conditionConfigs(r.Rule.Conditions),
				Actions:    actionConfigs(r.Rule.Actions),
			})
		}
		def := s.defaultRule(l)
		lc.Rules = append(lc.Rules, RuleConfig{ARN: def.RuleArn, IsDefault: true, Conditions: []ConditionConfig{}, Actions: actionConfigs(def.Actions)})
		snap.Listeners = append(snap.Listeners, lc)
	}
	tgs, err := store.List[tgRecord](tx, bucketTGs, "")
	if err != nil {
		return Snapshot{}, err
	}
	for i := range tgs {
		targets, err := targetsOf(tx, tgs[i].TG.TargetGroupName)
		if err != nil {
			return Snapshot{}, err
		}
		snap.TargetGroups[tgs[i].TG.TargetGroupArn] = tgConfig(&tgs[i], targets)
	}
	return snap, nil
}

func lbConfig(rec *lbRecord) LoadBalancerConfig {
	a := lbAttributes(rec)
	return LoadBalancerConfig{
		ARN:                   rec.LB.LoadBalancerArn,
		Name:                  rec.LB.LoadBalancerName,
		IdleTimeout:           seconds(a, attrIdleTimeout),
		DropInvalidHeaders:    a[attrDropInvalidHeaders] == "true",
		PreserveHostHeader:    a[attrPreserveHost] == "true",
		XFFHeaderProcessing:   a[attrXFFMode],
		XFFClientPort:         a[attrXFFClientPort] == "true",
		DesyncMitigationMode:  a[attrDesyncMode],
		XAmznTLSVersionCipher: a[attrTLSCipherHeaders] == "true",
	}
}

func tgConfig(rec *tgRecord, targets []targetRecord) TargetGroupConfig {
	tg := &rec.TG
	a := tgAttributes(rec)
	stickyDuration := seconds(a, attrLBCookieDuration)
	if a[attrStickinessType] == "app_cookie" {
		stickyDuration = seconds(a, attrAppCookieDuration)
	}
	cfg := TargetGroupConfig{
		ARN:                 tg.TargetGroupArn,
		Name:                tg.TargetGroupName,
		Protocol:            tg.Protocol,
		Port:                int(tg.Port),
		TargetType:          tg.TargetType,
		HealthCheckEnabled:  tg.HealthCheckEnabled,
		HealthCheckProtocol: tg.HealthCheckProtocol,
		HealthCheckPort:     tg.HealthCheckPort,
		HealthCheckPath:     tg.HealthCheckPath,
		HealthCheckInterval: time.Duration(tg.HealthCheckIntervalSeconds) * time.Second,
		HealthCheckTimeout:  time.Duration(tg.HealthCheckTimeoutSeconds) * time.Second,
		HealthyThreshold:    int(tg.HealthyThresholdCount),
		UnhealthyThreshold:  int(tg.UnhealthyThresholdCount),
		Matcher:             "200",
		DeregistrationDelay: seconds(a, attrDeregistrationDelay),
		SlowStart:           seconds(a, attrSlowStart),
		StickinessEnabled:   a[attrStickiness] == "true",
		StickinessType:      a[attrStickinessType],
		StickinessDuration:  stickyDuration,
		Algorithm:           a[attrAlgorithm],
		Targets:             make([]TargetConfig, 0, len(targets)),
	}
	if tg.Matcher != nil && tg.Matcher.HttpCode != nil {
		cfg.Matcher = *tg.Matcher.HttpCode
	}
	for _, t := range targets {
		addr := localAddress
		if tg.TargetType == "ip" {
			if ip, err := netip.ParseAddr(t.ID); err == nil {
				addr = ip
			}
		}
		tc := TargetConfig{
			ID:           t.ID,
			Port:         int(t.Port),
			Address:      netip.AddrPortFrom(addr, uint16(t.Port)).String(),
			RegisteredAt: t.RegisteredAt,
		}
		if t.DeregisteredAt != nil {
			tc.DeregisteredAt = *t.DeregisteredAt
		}
		cfg.Targets = append(cfg.Targets, tc)
	}
	return cfg
}

// conditionConfigs converts stored conditions (checked by checkConditions) to the data
// plane's form.
func conditionConfigs(conds []RuleCondition) []ConditionConfig {
	out := make([]ConditionConfig, 0, len(conds))
	for _, c := range conds {
		out = append(out, conditionConfig(c))
	}
	return out
}

func conditionConfig(c RuleCondition) ConditionConfig {
	cfg := ConditionConfig{Field: deref(c.Field)}
	switch {
	case c.PathPatternConfig != nil:
		cfg.Values = append([]string{}, c.PathPatternConfig.Values...)
	case c.HostHeaderConfig != nil:
		cfg.Values = append([]string{}, c.HostHeaderConfig.Values...)
	case c.HttpHeaderConfig != nil:
		cfg.HeaderName = deref(c.HttpHeaderConfig.HttpHeaderName)
		cfg.Values = append([]string{}, c.HttpHeaderConfig.Values...)
	case c.HttpRequestMethodConfig != nil:
		cfg.Values = append([]string{}, c.HttpRequestMethodConfig.Values...)
	case c.SourceIpConfig != nil:
		cfg.Values = append([]string{}, c.SourceIpConfig.Values...)
	case c.QueryStringConfig != nil:
		for _, kv := range c.QueryStringConfig.Values {
			cfg.QueryStrings = append(cfg.QueryStrings, KeyValue{Key: deref(kv.Key), Value: deref(kv.Value)})
		}
	default:
		cfg.Values = append([]string{}, c.Values...)
	}
	return cfg
}

// actionConfigs converts stored actions (checked and sorted by checkActions) to the
// data plane's form.
func actionConfigs(actions []Action) []ActionConfig {
	out := make([]ActionConfig, 0, len(actions))
	for _, a := range actions {
		ac := ActionConfig{Type: deref(a.Type), Order: int(deref(a.Order))}
		switch ac.Type {
		case ActionForward:
			f := &ForwardConfig{}
			if fc := a.ForwardConfig; fc != nil {
				for _, t := range fc.TargetGroups {
					f.TargetGroups = append(f.TargetGroups, WeightedTargetGroup{ARN: deref(t.TargetGroupArn), Weight: int(deref(t.Weight))})
				}
				if st := fc.TargetGroupStickinessConfig; st != nil && deref(st.Enabled) {
					f.StickinessEnabled = true
					f.StickinessDuration = time.Duration(deref(st.DurationSeconds)) * time.Second
				}
			} else if a.TargetGroupArn != nil {
				f.TargetGroups = []WeightedTargetGroup{{ARN: *a.TargetGroupArn, Weight: 1}}
			}
			ac.Forward = f
		case ActionFixedResponse:
			if fr := a.FixedResponseConfig; fr != nil {
				code, _ := strconv.Atoi(deref(fr.StatusCode))
				ac.FixedResponse = &FixedResponseConfig{StatusCode: code, ContentType: deref(fr.ContentType), MessageBody: deref(fr.MessageBody)}
			}
		case ActionRedirect:
			if r := a.RedirectConfig; r != nil {
				code, _ := strconv.Atoi(strings.TrimPrefix(deref(r.StatusCode), "HTTP_"))
				ac.Redirect = &RedirectConfig{
					Protocol: deref(r.Protocol), Host: deref(r.Host), Port: deref(r.Port),
					Path: deref(r.Path), Query: deref(r.Query), StatusCode: code,
				}
			}
		}
		out = append(out, ac)
	}
	return out
}
