package cloudformation

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/wharf-dev/wharf/internal/awsapi"
)

// Provider creates, updates and deletes the physical resources of one resource type.
// Calls for one stack operation may run concurrently for different resources. A
// provider's errors become the resource's status reason.
type Provider interface {
	// Create makes the resource from req.Properties and returns its physical id (what
	// Ref returns) and the attributes Fn::GetAtt reads.
	Create(ctx context.Context, req *Request) (*Result, error)
	// Update changes the resource prior in place to req.Properties and returns its
	// attributes (nil keeps prior's). It is called only when no changed property
	// requires replacement.
	Update(ctx context.Context, req *Request, prior *Prior) (*Result, error)
	// Delete deletes the resource prior; req.Properties are the properties it was
	// made with. Deleting a resource that is already gone is not an error.
	Delete(ctx context.Context, req *Request, prior *Prior) error
}

// Result is a provider's account of a resource it made or changed.
type Result struct {
	// PhysicalID identifies the physical resource; Ref returns it. Update leaves it
	// empty (the physical resource stays the same).
	PhysicalID string
	// Attributes are the resource's Fn::GetAtt values by attribute name.
	Attributes map[string]any
}

// Prior is a resource as it was deployed.
type Prior struct {
	PhysicalID string
	Properties map[string]any
	Attributes map[string]any
}

// Request is one resource operation as a provider sees it.
type Request struct {
	StackName  string
	StackID    string
	LogicalID  string
	Type       string
	Properties map[string]any
	Region     string
	AccountID  string
	// Invoker calls Wharf's other services.
	Invoker Invoker

	svc    *Service
	op     *operation
	suffix string
}

// PhysicalName returns the name CloudFormation generates for a resource whose
// template gives none: "<stack>-<logical id>-<12 random characters>", the first two
// parts shortened so that the whole fits maxLen. The suffix is the same for every call
// of one request.
func (r *Request) PhysicalName(maxLen int) string {
	if r.suffix == "" {
		r.suffix = randomSuffix(12)
	}
	stack, logical := r.StackName, r.LogicalID
	room := maxLen - len(r.suffix) - 2
	if room < 2 {
		return r.suffix[:min(len(r.suffix), maxLen)]
	}
	for len(stack)+len(logical) > room {
		if len(stack) >= len(logical) {
			stack = stack[:len(stack)-1]
		} else {
			logical = logical[:len(logical)-1]
		}
	}
	return stack + "-" + logical + "-" + r.suffix
}

// Invoke calls another Wharf service through the Invoker; API errors come back in the
// form CloudFormation gives them in status reasons.
func (r *Request) Invoke(ctx context.Context, service, operation string, input any) (any, error) {
	if r.Invoker == nil {
		return nil, fmt.Errorf("Resource handler returned message: \"no Wharf service invoker is configured for %s\"", service)
	}
	out, err := r.Invoker.Invoke(ctx, service, operation, input)
	if err != nil {
		if ae, ok := awsapi.As(err); ok {
			return nil, &handlerError{service: service, err: ae}
		}
		return nil, err
	}
	return out, nil
}

// handlerError is a service API error met by a provider.
type handlerError struct {
	service string
	err     *awsapi.Error
}

func (e *handlerError) Error() string {
	return fmt.Sprintf("Resource handler returned message: %q (Service: %s, Status Code: %d, Error Code: %s)",
		e.err.Message, e.service, e.err.HTTPStatus(), e.err.Code)
}

func (e *handlerError) Unwrap() error { return e.err }

// isNotFound reports whether err is a service's "no such resource" error, which a
// Delete treats as done.
func isNotFound(err error) bool {
	ae, ok := awsapi.As(err)
	if !ok {
		return false
	}
	c := ae.Code
	return strings.Contains(c, "NotFound") || c == "NoSuchEntity" || c == "NoSuchEntityException" ||
		c == "ParameterNotFound" || c == "ResourceNotFoundException" || c == "ObjectNotFoundException"
}

// ResourceType is a registered resource type: its provider and what the engine and
// change sets need to know about its properties.
type ResourceType struct {
	// Provider makes the resources.
	Provider Provider
	// CreateOnly lists the properties whose change replaces the resource.
	CreateOnly []string
	// Conditional lists the properties whose change may replace the resource; Replace
	// decides (no replacement when nil).
	Conditional []string
	// Replace decides whether a change of Conditional properties replaces the resource.
	Replace func(old, new map[string]any) bool
	// Attributes lists the Fn::GetAtt attribute names; nil accepts any.
	Attributes []string
	// NameProperty is the property that names the physical resource, if any: a
	// replacement that keeps the name fails, as CloudFormation's does.
	NameProperty string
	// Required lists the properties a template must set.
	Required []string
	// IAM marks IAM resources, which need CAPABILITY_IAM (CAPABILITY_NAMED_IAM when
	// NameProperty is set).
	IAM bool
}

// recreation says whether a change of property name requires recreation: "Always",
// "Conditionally" or "Never".
func (t *ResourceType) recreation(name string) string {
	for _, p := range t.CreateOnly {
		if p == name {
			return "Always"
		}
	}
	for _, p := range t.Conditional {
		if p == name {
			return "Conditionally"
		}
	}
	return "Never"
}

// Registry maps resource type names to their providers. It is safe for concurrent use.
type Registry struct {
	mu    sync.RWMutex
	types map[string]ResourceType
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{types: map[string]ResourceType{}} }

// Register adds (or replaces) a resource type.
func (r *Registry) Register(name string, t ResourceType) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.types[name] = t
}

// Lookup returns a registered resource type.
func (r *Registry) Lookup(name string) (ResourceType, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	t, ok := r.types[name]
	return t, ok
}

// Types lists the registered type names, sorted.
func (r *Registry) Types() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.types))
	for n := range r.types {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// errNoAttribute is the error for a Fn::GetAtt of an attribute a type does not have.
func errNoAttribute(logicalID, attr string) error {
	return fmt.Errorf("Template error: resource %s does not support attribute type %s in Fn::GetAtt", logicalID, attr)
}

var errNotStabilized = errors.New("Resource did not stabilize")

const suffixAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// randomSuffix returns n random upper-case letters and digits.
func randomSuffix(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = suffixAlphabet[int(b[i])%len(suffixAlphabet)]
	}
	return string(b)
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
