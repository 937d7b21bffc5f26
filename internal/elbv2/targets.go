package elbv2

import (
	"context"
	"net/netip"
	"regexp"
	"slices"
	"strconv"

	"github.com/wharf-dev/wharf/internal/store"
)

// RegisterTargetsInput is the input of RegisterTargets.
type RegisterTargetsInput struct {
	TargetGroupArn *string             `json:"TargetGroupArn,omitempty"`
	Targets        []TargetDescription `json:"Targets,omitempty"`
}

// RegisterTargetsOutput is the (empty) output of RegisterTargets.
type RegisterTargetsOutput struct{}

// DeregisterTargetsInput is the input of DeregisterTargets.
type DeregisterTargetsInput struct {
	TargetGroupArn *string             `json:"TargetGroupArn,omitempty"`
	Targets        []TargetDescription `json:"Targets,omitempty"`
}

// DeregisterTargetsOutput is the (empty) output of DeregisterTargets.
type DeregisterTargetsOutput struct{}

// DescribeTargetHealthInput is the input of DescribeTargetHealth.
type DescribeTargetHealthInput struct {
	TargetGroupArn *string             `json:"TargetGroupArn,omitempty"`
	Targets        []TargetDescription `json:"Targets,omitempty"`
	Include        []string            `json:"Include,omitempty"` // AnomalyDetection, All: nothing to add
}

// DescribeTargetHealthOutput is the output of DescribeTargetHealth.
type DescribeTargetHealthOutput struct {
	TargetHealthDescriptions []TargetHealthDescription `json:"TargetHealthDescriptions"`
}

// instanceIDPattern is what Wharf accepts as an instance id: "i-" and up to 17 letters or
// digits (EC2's are 8 or 17 hex digits; Wharf's node ids are 17).
var instanceIDPattern = regexp.MustCompile(`^i-[0-9a-zA-Z]{1,17}$`)

// target is a checked target of a request.
type target struct {
	id   string
	port int32
	az   string
}

// checkTargets checks the targets of a request against their group; ports default to
// the group's. Duplicates are dropped.
func checkTargets(tg *TargetGroup, in []TargetDescription, register bool) ([]target, error) {
	if len(in) == 0 {
		return nil, errRequired("targets")
	}
	var out []target
	for i, d := range in {
		if d.Id == nil || *d.Id == "" {
			return nil, errRequired("targets.member." + strconv.Itoa(i+1) + ".id")
		}
		t := target{id: *d.Id, port: tg.Port, az: deref(d.AvailabilityZone)}
		if d.Port != nil {
			if err := checkRange("targets.member."+strconv.Itoa(i+1)+".port", d.Port, 1, 65535); err != nil {
				return nil, err
			}
			t.port = *d.Port
		}
		switch tg.TargetType {
		case "instance":
			if !instanceIDPattern.MatchString(t.id) {
				return nil, errValidation("Instance ID '%s' is not valid", t.id)
			}
			if register && t.az != "" {
				return nil, errValidation("An Availability Zone cannot be specified for targets of type 'instance'")
			}
		case "ip":
			addr, err := netip.ParseAddr(t.id)
			if err != nil || addr.Zone() != "" {
				return nil, errValidation("The IP address '%s' is not a valid IP address", t.id)
			}
			if tg.IpAddressType == "ipv4" && !addr.Is4() {
				return nil, errValidation("The IP address '%s' is not a valid IPv4 address", t.id)
			}
			if tg.IpAddressType == "ipv6" && !addr.Is6() {
				return nil, errValidation("The IP address '%s' is not a valid IPv6 address", t.id)
			}
		}
		if !slices.ContainsFunc(out, func(o target) bool { return o.id == t.id && o.port == t.port }) {
			out = append(out, t)
		}
	}
	return out, nil
}

// RegisterTargets registers targets with a target group. Every instance id stands for
// the local node (Wharf has one), which the load balancer reaches at 127.0.0.1; IP
// targets are reached at their address. Registering a registered target does nothing;
// registering a draining one registers it anew.
func (s *Service) RegisterTargets(ctx context.Context, in *RegisterTargetsInput) (*RegisterTargetsOutput, error) {
	err := s.change(ctx, func(tx *store.Tx) error {
		rec, err := s.mustTargetGroup(tx, "targetGroupArn", in.TargetGroupArn)
		if err != nil {
			return err
		}
		targets, err := checkTargets(&rec.TG, in.Targets, true)
		if err != nil {
			return err
		}
		name := rec.TG.TargetGroupName
		existing, err := targetsOf(tx, name)
		if err != nil {
			return err
		}
		count := len(existing)
		now := s.now()
		for _, t := range targets {
			key := targetKey(name, t.id, t.port)
			var old targetRecord
			found, err := get(tx, bucketTargets, key, &old)
			if err != nil {
				return err
			}
			if found && old.DeregisteredAt == nil {
				continue
			}
			if !found {
				count++
			}
			if count > quotaTargetsPerGroup {
				return errCode("TooManyTargets", "You've reached the limit on the number of targets per target group ('%d')", quotaTargetsPerGroup)
			}
			if err := tx.Put(bucketTargets, key, &targetRecord{ID: t.id, Port: t.port, AvailabilityZone: t.az, RegisteredAt: now}); err != nil {
				return err
			}
		}
		return s.checkTargetsPerLoadBalancer(tx)
	})
	if err != nil {
		return nil, err
	}
	return &RegisterTargetsOutput{}, nil
}

// checkTargetsPerLoadBalancer enforces the quota of targets per load balancer, counted
// over the target groups its listeners forward to.
func (s *Service) checkTargetsPerLoadBalancer(tx *store.Tx) error {
	use, err := s.usage(tx)
	if err != nil {
		return err
	}
	perLB := map[string]int{}
	for tgARN, lbs := range use {
		rec, found, err := s.targetGroup(tx, tgARN)
		if err != nil {
			return err
		}
		if !found {
			continue
		}
		n := tx.Count(bucketTargets, rec.TG.TargetGroupName+"/")
		for _, lb := range lbs {
			perLB[lb] += n
			if perLB[lb] > quotaTargetsPerLB {
				return errCode("TooManyTargets", "You've reached the limit on the number of targets per load balancer ('%d')", quotaTargetsPerLB)
			}
		}
	}
	return nil
}

// DeregisterTargets deregisters targets. A target of a target group in use drains: it
// gets no new requests, and Run forgets it once it has no request in flight or its
// deregistration delay has passed. Deregistering a target that is not registered
// succeeds, as on AWS.
func (s *Service) DeregisterTargets(ctx context.Context, in *DeregisterTargetsInput) (*DeregisterTargetsOutput, error) {
	err := s.change(ctx, func(tx *store.Tx) error {
		rec, err := s.mustTargetGroup(tx, "targetGroupArn", in.TargetGroupArn)
		if err != nil {
			return err
		}
		targets, err := checkTargets(&rec.TG, in.Targets, false)
		if err != nil {
			return err
		}
		use, err := s.usage(tx)
		if err != nil {
			return err
		}
		immediate := len(use[rec.TG.TargetGroupArn]) == 0 || tgAttributes(rec)[attrDeregistrationDelay] == "0"
		now := s.now()
		for _, t := range targets {
			key := targetKey(rec.TG.TargetGroupName, t.id, t.port)
			var old targetRecord
			found, err := get(tx, bucketTargets, key, &old)
			if err != nil {
				return err
			}
			switch {
			case !found || old.DeregisteredAt != nil:
			case immediate:
				err = tx.Delete(bucketTargets, key)
			default:
				old.DeregisteredAt = &now
				err = tx.Put(bucketTargets, key, &old)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &DeregisterTargetsOutput{}, nil
}

// Target health descriptions, as AWS words them.
var healthDescriptions = map[string]string{
	ReasonRegistrationInProgress:   "Target registration is in progress",
	ReasonInitialHealthChecking:    "Initial health checks in progress",
	ReasonResponseCodeMismatch:     "Health checks failed",
	ReasonTimeout:                  "Request timed out",
	ReasonFailedHealthChecks:       "Health checks failed",
	ReasonNotRegistered:            "Target is not registered to the target group",
	ReasonNotInUse:                 "Target group is not configured to receive traffic from the load balancer",
	ReasonDeregistrationInProgress: "Target deregistration is in progress",
	ReasonHealthCheckDisabled:      "Health checks disabled",
}

// DescribeTargetHealth describes the health of the targets of a target group (all of
// them, or those asked for). It merges the registered targets with what the data plane
// observes: a target the data plane has not reported yet is initial
// (Elb.RegistrationInProgress); a target being deregistered is draining; every target of
// a group no listener forwards to is unused (Target.NotInUse); a target asked for that
// is not registered is unused (Target.NotRegistered).
func (s *Service) DescribeTargetHealth(ctx context.Context, in *DescribeTargetHealthInput) (*DescribeTargetHealthOutput, error) {
	var (
		tg      TargetGroup
		stored  []targetRecord
		inUse   bool
		targets []target
	)
	err := s.view(ctx, func(tx *store.Tx) error {
		rec, err := s.mustTargetGroup(tx, "targetGroupArn", in.TargetGroupArn)
		if err != nil {
			return err
		}
		tg = rec.TG
		if len(in.Targets) > 0 {
			if targets, err = checkTargets(&tg, in.Targets, false); err != nil {
				return err
			}
		}
		use, err := s.usage(tx)
		if err != nil {
			return err
		}
		inUse = len(use[tg.TargetGroupArn]) > 0
		stored, err = targetsOf(tx, tg.TargetGroupName)
		return err
	})
	if err != nil {
		return nil, err
	}
	var observed []TargetObservation
	if s.dp != nil && inUse {
		observed = s.dp.Observe()[tg.TargetGroupArn]
	}
	out := []TargetHealthDescription{}
	describe := func(t targetRecord, registered bool) {
		d := TargetHealthDescription{
			Target:          &TargetDescription{Id: ptr(t.ID), Port: ptr(t.Port)},
			HealthCheckPort: tg.HealthCheckPort,
			TargetHealth:    targetHealth(t, registered, inUse, observed),
		}
		if t.AvailabilityZone != "" {
			d.Target.AvailabilityZone = ptr(t.AvailabilityZone)
		}
		if d.HealthCheckPort == "traffic-port" {
			d.HealthCheckPort = strconv.Itoa(int(t.Port))
		}
		out = append(out, d)
	}
	if len(in.Targets) == 0 {
		for _, t := range stored {
			describe(t, true)
		}
	} else {
		for _, want := range targets {
			i := slices.IndexFunc(stored, func(t targetRecord) bool { return t.ID == want.id && t.Port == want.port })
			if i < 0 {
				describe(targetRecord{ID: want.id, Port: want.port}, false)
				continue
			}
			describe(stored[i], true)
		}
	}
	return &DescribeTargetHealthOutput{TargetHealthDescriptions: out}, nil
}

// targetHealth decides the health a target is shown with.
func targetHealth(t targetRecord, registered, inUse bool, observed []TargetObservation) *TargetHealth {
	health := func(state, reason, desc string) *TargetHealth {
		if desc == "" {
			desc = healthDescriptions[reason]
		}
		if state == StateHealthy {
			reason, desc = "", ""
		}
		return &TargetHealth{State: state, Reason: reason, Description: desc}
	}
	if !registered {
		return health(StateUnused, ReasonNotRegistered, "")
	}
	if !inUse {
		return health(StateUnused, ReasonNotInUse, "")
	}
	i := slices.IndexFunc(observed, func(o TargetObservation) bool { return o.ID == t.ID && int32(o.Port) == t.Port })
	if t.DeregisteredAt != nil {
		return health(StateDraining, ReasonDeregistrationInProgress, "")
	}
	if i < 0 || observed[i].State == "" || observed[i].State == StateDraining || observed[i].State == StateUnused {
		// Not reported yet, or reported from before a registration anew.
		return health(StateInitial, ReasonRegistrationInProgress, "")
	}
	o := observed[i]
	return health(o.State, o.Reason, o.Description)
}
