package ecs

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/awsapi"
)

// LoadBalancers is what ECS needs of Elastic Load Balancing to put service tasks behind target groups.
//
// The implementation may use the same store as ECS: ECS never calls it while one of its
// own store transactions is open. Every method must be idempotent, because ECS calls
// again whatever it cannot prove it recorded (after a crash, for example).
type LoadBalancers interface {
	// TargetGroup reports whether the target group exists and whether a listener rule of a load balancer forwards to it.
	TargetGroup(ctx context.Context, arn string) (exists, attached bool, err error)
	// RegisterTarget registers id:port in the target group (idempotent).
	RegisterTarget(ctx context.Context, targetGroupArn, id string, port int32) error
	// DeregisterTarget starts draining id:port (idempotent; no error when not registered).
	DeregisterTarget(ctx context.Context, targetGroupArn, id string, port int32) error
	// TargetState returns the target's state as DescribeTargetHealth reports it:
	// initial, healthy, unhealthy, draining, unused (unused also when not registered), with the reason code.
	TargetState(ctx context.Context, targetGroupArn, id string, port int32) (state, reason string, err error)
}

// ListenerRules is what the BLUE_GREEN, LINEAR and CANARY deployment strategies need of
// Elastic Load Balancing to shift traffic between two target groups. An implementation
// of LoadBalancers may implement it too. A rule is given by its ARN, or, for its
// default action, by the ARN of its listener (as productionListenerRule and
// testListenerRule accept both). Like LoadBalancers, it is never called inside one of
// ECS's store transactions, and SetRuleForward must be idempotent.
type ListenerRules interface {
	// RuleForward returns the target groups a rule forwards to and their weights
	// (empty when its action is not a forward); found is false when there is no such
	// rule or listener.
	RuleForward(ctx context.Context, ruleArn string) (weights map[string]int32, found bool, err error)
	// SetRuleForward makes the rule forward to exactly the given target groups with
	// the given weights (0 to 999), and returns once the load balancer serves it.
	SetRuleForward(ctx context.Context, ruleArn string, weights map[string]int32) error
}

// Target health states, as DescribeTargetHealth reports them.
const (
	targetInitial   = "initial"
	targetHealthy   = "healthy"
	targetUnhealthy = "unhealthy"
	targetDraining  = "draining"
	targetUnused    = "unused"
)

// reasonNotRegistered is the reason code of a target the target group does not have.
const reasonNotRegistered = "Target.NotRegistered"

// maxLoadBalancers is how many target groups a service may have.
const maxLoadBalancers = 5

// Where a task's target is in its life, as the control plane records it. Each state
// says which call the sync pass makes next, so that a crash between a call and its
// record only repeats the (idempotent) call.
const (
	// targetRegistering: registration decided; RegisterTarget not known to have succeeded.
	targetRegistering = "REGISTERING"
	// targetRegistered: RegisterTarget succeeded; the health is polled.
	targetRegistered = "REGISTERED"
	// targetDeregistering: deregistration decided; DeregisterTarget not known to have succeeded.
	targetDeregistering = "DEREGISTERING"
	// targetDrained: DeregisterTarget succeeded; polled until unused while the task is
	// DEACTIVATING. A target is forgotten once it is unused (or its task stopped).
	targetDrained = "DRAINING"
)

// drainTimeout bounds how long a task stays DEACTIVATING when its targets never report
// unused (a load balancer that keeps failing); the target group's deregistration delay
// (300 seconds by default, at most an hour) normally ends draining well before.
const drainTimeout = time.Hour

// taskTarget is a target of a task in a target group: the node's instance id and the
// host port of the container port the service's load balancer names.
type taskTarget struct {
	TargetGroupArn string `json:"targetGroupArn"`
	ID             string `json:"id"`
	Port           int32  `json:"port"`
	State          string `json:"state"`
	// Health and Reason are the target's state and reason code as last polled.
	Health string `json:"health,omitempty"`
	Reason string `json:"reason,omitempty"`
}

func (t taskTarget) same(o taskTarget) bool {
	return t.TargetGroupArn == o.TargetGroupArn && t.ID == o.ID && t.Port == o.Port
}

// hostPortOf returns the host port bound to a load balancer's container port, once the
// agent has reported it.
func hostPortOf(t Task, lb LoadBalancer) (int32, bool) {
	for _, c := range t.Containers {
		if c.Name != lb.ContainerName {
			continue
		}
		for _, b := range c.NetworkBindings {
			if deref(b.ContainerPort) == deref(lb.ContainerPort) && deref(b.HostPort) > 0 && (b.Protocol == "" || b.Protocol == "tcp") {
				return *b.HostPort, true
			}
		}
	}
	return 0, false
}

// target returns the recorded target of a task for a load balancer, if any.
func (r *taskRecord) target(lb LoadBalancer) (taskTarget, bool) {
	port, ok := hostPortOf(r.Task, lb)
	if !ok {
		return taskTarget{}, false
	}
	want := taskTarget{TargetGroupArn: lb.TargetGroupArn, ID: r.NodeID, Port: port}
	i := slices.IndexFunc(r.Targets, want.same)
	if i < 0 {
		return taskTarget{}, false
	}
	return r.Targets[i], true
}

// targetsHealthy reports whether a task is healthy in every target group of its
// service (true for a task without load balancers).
func (r *taskRecord) targetsHealthy() bool {
	for _, lb := range r.LoadBalancers {
		t, ok := r.target(lb)
		if !ok || t.State != targetRegistered || t.Health != targetHealthy {
			return false
		}
	}
	return true
}

// targetUnhealthy returns a registered target of the task that its load balancer
// reports unhealthy.
func (r *taskRecord) targetUnhealthy() (taskTarget, bool) {
	for _, t := range r.Targets {
		if t.State == targetRegistered && t.Health == targetUnhealthy {
			return t, true
		}
	}
	return taskTarget{}, false
}

// deactivate starts the draining of a task that is being stopped: its targets are to be
// deregistered, and it stays DEACTIVATING (its containers keep running) until they are
// unused. It reports whether the task has targets to drain.
func (r *taskRecord) deactivate() bool {
	if len(r.Targets) == 0 || r.Task.LastStatus != StatusRunning {
		return false
	}
	for i := range r.Targets {
		switch r.Targets[i].State {
		case targetRegistering, targetRegistered:
			r.Targets[i].State = targetDeregistering
		}
	}
	r.Task.LastStatus = StatusDeactivating
	return true
}

// healthReason is how ECS words a load balancer's reason code in its events.
func healthReason(code string) string {
	switch code {
	case "Target.Timeout":
		return "Request timed out"
	case "Elb.InternalError":
		return "Elastic Load Balancing internal error"
	}
	return "Health checks failed"
}

// checkLoadBalancerShapes checks what can be checked of a service's load balancers
// without the task definition or the load balancers themselves.
func (s *Service) checkLoadBalancerShapes(lbs []LoadBalancer) error {
	if len(lbs) == 0 {
		return nil
	}
	if s.lbs == nil {
		return errInvalid("Load balancing is not available: this Wharf runs without Elastic Load Balancing, so a service cannot have loadBalancers.")
	}
	if len(lbs) > maxLoadBalancers {
		return errInvalid("A service can have at most %d target groups in loadBalancers, got %d.", maxLoadBalancers, len(lbs))
	}
	for i, lb := range lbs {
		switch {
		case lb.TargetGroupArn != "" && lb.LoadBalancerName != "":
			return errInvalid("loadBalancers[%d]: give targetGroupArn (Application Load Balancer) or loadBalancerName (Classic Load Balancer), not both.", i)
		case lb.LoadBalancerName != "":
			return errUnsupported("Wharf supports Application Load Balancer target groups (targetGroupArn), not Classic Load Balancers (loadBalancerName %s).", lb.LoadBalancerName)
		case lb.TargetGroupArn == "":
			return errInvalid("loadBalancers[%d]: targetGroupArn is required.", i)
		case lb.ContainerName == "" || lb.ContainerPort == nil:
			return errInvalid("loadBalancers[%d]: containerName and containerPort are required.", i)
		}
		if err := checkAdvancedShape(i, lb); err != nil {
			return err
		}
		for _, other := range lbs[:i] {
			if other.TargetGroupArn == lb.TargetGroupArn && other.ContainerName == lb.ContainerName && deref(other.ContainerPort) == deref(lb.ContainerPort) {
				return errInvalid("loadBalancers[%d] repeats target group %s with container %s port %d.", i, lb.TargetGroupArn, lb.ContainerName, *lb.ContainerPort)
			}
		}
	}
	return nil
}

// checkTargetGroups checks that each target group exists and that a load balancer
// forwards to it. It calls the load balancers, so it must run outside any store
// transaction.
func (s *Service) checkTargetGroups(ctx context.Context, lbs []LoadBalancer) error {
	for _, lb := range lbs {
		cctx, cancel := context.WithTimeout(ctx, lbCallTimeout)
		exists, attached, err := s.lbs.TargetGroup(cctx, lb.TargetGroupArn)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			s.log.Error("ecs: describing a target group", "target_group_arn", lb.TargetGroupArn, "err", err)
			return &awsapi.Error{Code: "ServerException", Status: 500, Server: true,
				Message: fmt.Sprintf("Elastic Load Balancing could not describe target group %s.", lb.TargetGroupArn)}
		}
		if !exists {
			return errInvalid("Unable to assume role and validate the specified targetGroupArn. Please verify that the ECS service role being passed has the proper permissions. (Target group %s was not found.)", lb.TargetGroupArn)
		}
		if !attached {
			return errInvalid("The target group with targetGroupArn %s does not have an associated load balancer.", lb.TargetGroupArn)
		}
	}
	return nil
}

// sameLoadBalancers reports whether two load balancer configurations are equal.
func sameLoadBalancers(a, b []LoadBalancer) bool {
	return slices.EqualFunc(a, b, func(x, y LoadBalancer) bool {
		return x.TargetGroupArn == y.TargetGroupArn && x.LoadBalancerName == y.LoadBalancerName &&
			x.ContainerName == y.ContainerName && deref(x.ContainerPort) == deref(y.ContainerPort) &&
			sameJSON(x.AdvancedConfiguration, y.AdvancedConfiguration)
	})
}

// stopUnhealthyTargets stops (and so replaces) the tasks that a load balancer reports
// unhealthy once the service's health check grace period since they started is over.
// ECS does not throttle launches for these.
func (p *pass) stopUnhealthyTargets() error {
	svc := p.svc()
	grace := p.s.scaled(time.Duration(deref(svc.HealthCheckGracePeriodSeconds)) * time.Second)
	var victims []*taskRecord
	reasons := map[*taskRecord]string{}
	for _, r := range p.tasks {
		if !r.wanted() || r.Task.LastStatus != StatusRunning {
			continue
		}
		t, ok := r.targetUnhealthy()
		if !ok || (r.Task.StartedAt != nil && p.now.Before(r.Task.StartedAt.Add(grace))) {
			continue
		}
		_, id := clusterAndID(r.Task.TaskArn)
		p.event("(service %s) (task %s) (instance %s) (port %d) is unhealthy in (target-group %s) due to (reason %s).",
			svc.ServiceName, id, t.ID, t.Port, t.TargetGroupArn, healthReason(t.Reason))
		r.Accounted = true
		if d := p.deployment(r.Task.StartedBy); d != nil {
			d.FailedTasks++
		}
		p.countFailure(r)
		victims = append(victims, r)
		reasons[r] = "Task failed ELB health checks in (target-group " + t.TargetGroupArn + ")"
	}
	return p.stop(victims, StopCodeServiceSchedulerInitiated, func(r *taskRecord) string { return reasons[r] })
}

// targetEvents collects the service events of one sync pass, per service.
type targetEvents struct {
	registered   map[string]int // target group → targets registered
	deregistered map[string]int // target group → targets deregistered
	draining     int            // tasks that began draining
}

// messages returns the events in the order ECS sends them.
func (e *targetEvents) messages(service string) []string {
	var out []string
	for _, tg := range sortedKeys(e.registered) {
		out = append(out, fmt.Sprintf("(service %s) registered %d targets in (target-group %s)", service, e.registered[tg], tg))
	}
	for _, tg := range sortedKeys(e.deregistered) {
		out = append(out, fmt.Sprintf("(service %s) deregistered %d targets in (target-group %s)", service, e.deregistered[tg], tg))
	}
	if e.draining > 0 {
		out = append(out, fmt.Sprintf("(service %s) has begun draining connections on %d tasks.", service, e.draining))
	}
	return out
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// shortTarget names a target in logs.
func shortTarget(t taskTarget) string {
	tg := t.TargetGroupArn
	if i := strings.Index(tg, "targetgroup/"); i >= 0 {
		tg = tg[i:]
	}
	return fmt.Sprintf("%s %s:%d", tg, t.ID, t.Port)
}
