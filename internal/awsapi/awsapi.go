// Package awsapi defines what every Wharf service shares with the AWS API gateway:
// the description of a service and its operations, AWS errors, and the authenticated
// principal of a request. It knows nothing of HTTP or wire encodings; the gateway
// package turns requests into calls of the operations registered here.
package awsapi

import (
	"context"
	"fmt"
	"reflect"
	"sort"
)

// Protocol is one of the AWS wire protocols a service can be spoken in.
type Protocol int

// The protocols Wharf serves.
const (
	JSON10   Protocol = iota + 1 // awsJson1_0
	JSON11                       // awsJson1_1
	Query                        // awsQuery (form requests, XML responses)
	CBOR                         // smithy rpcv2Cbor
	RestJSON                     // restJson1
)

// String names the protocol as Smithy does.
func (p Protocol) String() string {
	switch p {
	case JSON10:
		return "awsJson1_0"
	case JSON11:
		return "awsJson1_1"
	case Query:
		return "awsQuery"
	case CBOR:
		return "rpcv2Cbor"
	case RestJSON:
		return "restJson1"
	}
	return fmt.Sprintf("Protocol(%d)", int(p))
}

// Service describes one AWS service as the gateway routes to it.
type Service struct {
	// SigningName is the SigV4 service name in the credential scope ("ecs", "monitoring").
	SigningName string
	// TargetPrefix is the X-Amz-Target prefix for JSON protocols
	// ("AmazonEC2ContainerServiceV20141113"); routing uses the part after the last dot.
	TargetPrefix string
	// QueryVersion is the Version form field for awsQuery ("2015-12-01").
	QueryVersion string
	// XMLNamespace is the xmlns of awsQuery responses.
	XMLNamespace string
	// CBORName is the service name in rpcv2Cbor paths (/service/<CBORName>/operation/<Op>).
	CBORName string
	// Protocols lists the protocols the service accepts; the first is its JSON flavour
	// when it has one.
	Protocols []Protocol
	// ErrorNamespace prefixes __type in JSON error bodies ("com.amazonaws.ecs.v20141113");
	// empty sends the bare code.
	ErrorNamespace string
	// ActionPrefix is the service prefix of IAM actions ("ecs", "ssm"); the signing
	// name when empty.
	ActionPrefix string
	// Operations maps operation names to their implementations.
	Operations map[string]Operation
	// ResourceTags, when set, returns the tags of one of the service's resources by
	// ARN (nil when it has none or does not exist), for the aws:ResourceTag/<key>
	// condition keys of IAM policies.
	ResourceTags func(ctx context.Context, arn string) map[string]string
}

// Action returns the IAM action of an operation ("ssm:GetParameter").
func (s *Service) Action(op string) string {
	prefix := s.ActionPrefix
	if prefix == "" {
		prefix = s.SigningName
	}
	return prefix + ":" + op
}

// Speaks reports whether the service accepts protocol p.
func (s *Service) Speaks(p Protocol) bool {
	for _, q := range s.Protocols {
		if q == p {
			return true
		}
	}
	return false
}

// OperationNames lists the service's operations, sorted.
func (s *Service) OperationNames() []string {
	names := make([]string, 0, len(s.Operations))
	for n := range s.Operations {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Operation is one API operation: a typed input, a typed output and the call between.
type Operation struct {
	// Name is the operation name as AWS spells it ("CreateCluster").
	Name string
	// Input is the struct type the request body decodes into.
	Input reflect.Type
	// HTTPMethod and HTTPPath route restJson1 operations ("POST", "/TraceSegments",
	// "/v1/things/{Name}"); other protocols leave them empty. Input fields tagged
	// `location:"uri"`, `location:"querystring"` or `location:"header"` with
	// `locationName:"..."` are bound from the path, query and headers.
	HTTPMethod string
	HTTPPath   string
	// Anonymous operations are served without a signature (STS AssumeRoleWithWebIdentity).
	Anonymous bool
	// Resources returns the ARNs an authorization of the call is checked against, as
	// AWS's service authorization reference lists them for the operation; nil means
	// "*". It gets the decoded input and the request's context (for the principal).
	Resources func(ctx context.Context, in any) []string
	// Conditions returns the service-specific condition keys of a call
	// ("kms:EncryptionContext:<key>"); nil when it has none. aws:RequestTag/<key> and
	// aws:TagKeys come from the input's Tags and TagKeys members without it.
	Conditions func(ctx context.Context, in any) map[string][]string
	// Dependent returns the other authorizations a call needs besides its own action,
	// as the service authorization reference lists them (iam:PassRole on the roles an
	// ECS task is given); nil when none. They are checked after the operation's own.
	Dependent func(ctx context.Context, in any) []Authorization
	// Unauthorized operations skip the policy check (sts:GetCallerIdentity, which AWS
	// always allows).
	Unauthorized bool
	// Invoke calls the operation with a pointer to a decoded Input; it returns a pointer
	// to the output struct (or nil for an empty output) or an error, preferably *Error.
	Invoke func(ctx context.Context, in any) (any, error)
}

// Op builds an Operation from a typed method.
func Op[In, Out any](name string, fn func(context.Context, *In) (*Out, error)) Operation {
	return Operation{
		Name:  name,
		Input: reflect.TypeFor[In](),
		Invoke: func(ctx context.Context, in any) (any, error) {
			out, err := fn(ctx, in.(*In))
			if err != nil {
				return nil, err
			}
			return out, nil
		},
	}
}

// Operations builds an operation table from a list.
func Operations(ops ...Operation) map[string]Operation {
	m := make(map[string]Operation, len(ops))
	for _, op := range ops {
		if _, dup := m[op.Name]; dup {
			panic("awsapi: operation registered twice: " + op.Name)
		}
		m[op.Name] = op
	}
	return m
}

// Authorization is what one call asks IAM to allow: an action on resources, with the
// request's own condition keys.
type Authorization struct {
	// Action is the IAM action ("ssm:GetParameter").
	Action string
	// Resources are the ARNs the action is on; ["*"] when it is on none.
	Resources []string
	// Conditions are the request's condition keys (aws:RequestTag/<key>,
	// aws:TagKeys, kms:EncryptionContext:<key>...), besides the global ones the
	// authorizer knows itself.
	Conditions map[string][]string
	// ResourceTags returns a resource's tags for aws:ResourceTag/<key>; nil when
	// the service has no tagged resources.
	ResourceTags func(ctx context.Context, arn string) map[string]string
}

// Principal is the authenticated caller of a request.
type Principal struct {
	AccountID   string // "000000000000"
	ARN         string // "arn:aws:iam::000000000000:root"
	UserID      string // the unique id AWS reports in GetCallerIdentity
	AccessKeyID string // the key that signed the request
	Root        bool   // the account's root credentials
}

type principalKey struct{}

// WithPrincipal returns a context that carries p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal of the request in ctx, if any.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

type requestIDKey struct{}

// WithRequestID returns a context that carries the request id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the id of the request in ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

type sourceIPKey struct{}

// WithSourceIP returns a context that carries the caller's IP address.
func WithSourceIP(ctx context.Context, ip string) context.Context {
	return context.WithValue(ctx, sourceIPKey{}, ip)
}

// SourceIP returns the caller's IP address in ctx, or "".
func SourceIP(ctx context.Context) string {
	ip, _ := ctx.Value(sourceIPKey{}).(string)
	return ip
}
