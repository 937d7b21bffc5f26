package elbv2

import "time"

// This file is the contract between the ELBv2 control plane (this package) and the data
// plane that serves traffic (package lb). The control plane turns the stored load
// balancers, listeners, rules and target groups into a Snapshot and hands it to the
// DataPlane after every change; the data plane reports what it observes of each target
// (health, in-flight requests, draining) through Observe. Nothing here is on the request
// path: the data plane compiles the snapshot into its own structures.

// DataPlane serves the listeners of a Snapshot.
type DataPlane interface {
	// Apply makes the data plane serve snap: it binds new listeners, reconfigures
	// existing ones in place (keeping connections and target health), and closes the
	// ones no longer in snap. A listener that cannot bind its port is reported in the
	// returned map (listener ARN → error, e.g. "port 80 on 127.0.0.1: address already
	// in use"), and the others are still applied.
	Apply(snap Snapshot) map[string]error
	// Observe returns what the data plane knows of every target of every target group
	// it serves, keyed by target group ARN.
	Observe() map[string][]TargetObservation
}

// Snapshot is the complete configuration of the data plane at one moment.
type Snapshot struct {
	Listeners    []ListenerConfig
	TargetGroups map[string]TargetGroupConfig // by target group ARN
	// LoadBalancers holds per-load-balancer settings, by load balancer ARN.
	LoadBalancers map[string]LoadBalancerConfig
}

// LoadBalancerConfig is what the data plane needs of a load balancer's attributes.
type LoadBalancerConfig struct {
	ARN                   string
	Name                  string
	IdleTimeout           time.Duration // idle_timeout.timeout_seconds, default 60s
	DropInvalidHeaders    bool          // routing.http.drop_invalid_header_fields.enabled
	PreserveHostHeader    bool          // routing.http.preserve_host_header.enabled
	XFFHeaderProcessing   string        // routing.http.xff_header_processing.mode: append (default), preserve, remove
	XFFClientPort         bool          // routing.http.xff_client_port.enabled
	DesyncMitigationMode  string        // routing.http.desync_mitigation_mode
	XAmznTLSVersionCipher bool          // routing.http.x_amzn_tls_version_and_cipher_suite.enabled
}

// ListenerConfig is one listener: a port on the load balancer's bind address.
type ListenerConfig struct {
	ARN             string
	LoadBalancerARN string
	Port            int    // as configured; the data plane may map it (see lb.Options)
	Protocol        string // HTTP or HTTPS
	// CertificatePEM and KeyPEM hold the default certificate of an HTTPS listener.
	CertificatePEM []byte
	KeyPEM         []byte
	// Rules in evaluation order: ascending priority, the default rule last.
	Rules []RuleConfig
}

// RuleConfig is a listener rule; a default rule has no conditions and IsDefault set.
type RuleConfig struct {
	ARN        string
	Priority   int // 1-50000; 0 for the default rule
	IsDefault  bool
	Conditions []ConditionConfig // all must match
	Actions    []ActionConfig    // in Order; the last one is the terminal action
}

// ConditionConfig is one rule condition, with AWS's field names:
// path-pattern, host-header, http-header, http-request-method, query-string, source-ip.
// Values of one condition are alternatives (OR).
type ConditionConfig struct {
	Field string
	// Values are the patterns of path-pattern, host-header, http-header,
	// http-request-method and source-ip (CIDRs).
	Values []string
	// HeaderName is the header of an http-header condition.
	HeaderName string
	// QueryStrings are the key/value patterns of a query-string condition; an empty
	// Key matches any key.
	QueryStrings []KeyValue
}

// KeyValue is a query-string condition pair.
type KeyValue struct {
	Key   string
	Value string
}

// Action types.
const (
	ActionForward       = "forward"
	ActionFixedResponse = "fixed-response"
	ActionRedirect      = "redirect"
)

// ActionConfig is one rule action.
type ActionConfig struct {
	Type          string // forward, fixed-response, redirect
	Order         int
	Forward       *ForwardConfig
	FixedResponse *FixedResponseConfig
	Redirect      *RedirectConfig
}

// ForwardConfig forwards to one or more weighted target groups (a plain TargetGroupArn
// forward is one group of weight 1).
type ForwardConfig struct {
	TargetGroups []WeightedTargetGroup
	// Stickiness binds a client to the target group it was first sent to
	// (the AWSALBTG cookie) for Duration.
	StickinessEnabled  bool
	StickinessDuration time.Duration
}

// WeightedTargetGroup is a target group of a forward action with its weight (0-999).
type WeightedTargetGroup struct {
	ARN    string
	Weight int
}

// FixedResponseConfig answers without a target.
type FixedResponseConfig struct {
	StatusCode  int
	ContentType string
	MessageBody string
}

// RedirectConfig redirects; each part may use #{protocol}, #{host}, #{port}, #{path}
// and #{query} as ALB documents. StatusCode is 301 or 302.
type RedirectConfig struct {
	Protocol   string
	Host       string
	Port       string
	Path       string
	Query      string
	StatusCode int
}

// TargetGroupConfig is a target group with its health check, attributes and targets.
type TargetGroupConfig struct {
	ARN        string
	Name       string
	Protocol   string // HTTP or HTTPS
	Port       int
	TargetType string // instance or ip
	// HealthCheck settings, with AWS's defaults filled in by the control plane.
	HealthCheckEnabled  bool
	HealthCheckProtocol string
	HealthCheckPort     string // "traffic-port" or a port number
	HealthCheckPath     string
	HealthCheckInterval time.Duration
	HealthCheckTimeout  time.Duration
	HealthyThreshold    int
	UnhealthyThreshold  int
	Matcher             string // HTTP codes: "200", "200,202", "200-299"
	// Attributes.
	DeregistrationDelay time.Duration
	SlowStart           time.Duration
	StickinessEnabled   bool
	StickinessType      string // lb_cookie
	StickinessDuration  time.Duration
	Algorithm           string // round_robin or least_outstanding_requests
	Targets             []TargetConfig
}

// TargetConfig is a registered (or draining) target.
type TargetConfig struct {
	ID   string // instance id or IP address, as registered
	Port int
	// Address is the host:port the data plane connects to (the control plane resolves
	// instance ids of the local node to 127.0.0.1).
	Address string
	// RegisteredAt starts the initial health checks and slow start.
	RegisteredAt time.Time
	// DeregisteredAt is set while the target drains: no new requests; it becomes
	// unused after the target group's DeregistrationDelay or once idle.
	DeregisteredAt time.Time
}

// Target health states and reason codes, as DescribeTargetHealth reports them.
const (
	StateInitial   = "initial"
	StateHealthy   = "healthy"
	StateUnhealthy = "unhealthy"
	StateDraining  = "draining"
	StateUnused    = "unused"
	StateUnavail   = "unavailable"

	ReasonRegistrationInProgress   = "Elb.RegistrationInProgress"
	ReasonInitialHealthChecking    = "Elb.InitialHealthChecking"
	ReasonResponseCodeMismatch     = "Target.ResponseCodeMismatch"
	ReasonTimeout                  = "Target.Timeout"
	ReasonFailedHealthChecks       = "Target.FailedHealthChecks"
	ReasonNotRegistered            = "Target.NotRegistered"
	ReasonNotInUse                 = "Target.NotInUse"
	ReasonDeregistrationInProgress = "Target.DeregistrationInProgress"
	ReasonHealthCheckDisabled      = "Target.HealthCheckDisabled"
)

// TargetObservation is what the data plane sees of one target.
type TargetObservation struct {
	ID          string
	Port        int
	State       string // initial, healthy, unhealthy, draining, unused
	Reason      string // empty when healthy
	Description string
	InFlight    int
	// Drained is set once a draining target has no request in flight or its
	// deregistration delay has passed: the control plane may forget it.
	Drained bool
}
