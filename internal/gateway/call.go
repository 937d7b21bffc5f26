package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/wharf-dev/wharf/internal/awsapi"
)

// Call invokes an operation without HTTP, on behalf of the principal in ctx, as a
// service acting for its caller does (CloudFormation creating a stack's resources):
// the service is named by its SigV4 signing name; input is a pointer to the
// operation's input type, or a value (map[string]any) that decodes into it with the
// JSON protocols' rules (member names matched case-insensitively). The call is
// authorized as a request would be and audited with source as its source address
// and user agent ("cloudformation.amazonaws.com"). Errors are *awsapi.Error:
// AccessDenied or AccessDeniedException, as the service's protocol has it, when the
// principal may not make the call.
func (g *Gateway) Call(ctx context.Context, service, operation, source string, input any) (any, error) {
	svc := g.bySign[service]
	if svc == nil {
		return nil, awsapi.Errorf("InvalidAction", "Wharf serves no service %q", service)
	}
	op, ok := svc.Operations[operation]
	if !ok {
		return nil, awsapi.InvalidAction(operation)
	}
	inType := op.Input
	if inType == nil {
		inType = reflect.TypeFor[struct{}]()
	}
	in := reflect.New(inType)
	if input != nil {
		if reflect.TypeOf(input) == in.Type() {
			in = reflect.ValueOf(input)
		} else {
			raw, err := json.Marshal(input)
			if err != nil {
				return nil, awsapi.Errorf("ValidationError", "%s %s: input: %v", service, operation, err)
			}
			if err := json.Unmarshal(raw, in.Interface()); err != nil {
				return nil, awsapi.Errorf("ValidationError", "%s %s: input does not match the operation's shape: %v", service, operation, err)
			}
		}
	}
	start := time.Now()
	ac := awsapi.Call{Time: start.UTC(), Service: svc.SigningName, Operation: operation, Region: g.region, RequestID: newRequestID(),
		SourceIP: source, UserAgent: source, Input: in.Interface(), ReadOnly: readOnly(operation)}
	if p, ok := awsapi.PrincipalFrom(ctx); ok {
		ac.Principal = &p
	}
	ctx = awsapi.WithRequestID(ctx, ac.RequestID)
	out, err := g.invoke(ctx, svc, &op, operation, ac.Principal, in.Interface())
	ac.Output, ac.DurationNanos = out, time.Since(start).Nanoseconds()
	if err != nil {
		ac.Err, _ = awsapi.As(err)
	}
	if g.audit != nil {
		g.audit(ac)
	}
	return out, err
}

// invoke authorizes and runs one call of Call.
func (g *Gateway) invoke(ctx context.Context, svc *awsapi.Service, op *awsapi.Operation, name string, p *awsapi.Principal, in any) (any, error) {
	if err := g.check(ctx, p, svc, op, name, in); err != nil {
		var denied *Denied
		if errors.As(err, &denied) {
			// As the service answers a denied request: awsQuery services with
			// AccessDenied (403), the JSON protocols with AccessDeniedException (400).
			if svc.Speaks(awsapi.Query) && !svc.Speaks(awsapi.JSON10) && !svc.Speaks(awsapi.JSON11) && !svc.Speaks(awsapi.CBOR) {
				return nil, &awsapi.Error{Code: "AccessDenied", Message: denied.Message, Status: 403}
			}
			return nil, &awsapi.Error{Code: "AccessDeniedException", Message: denied.Message, Status: 400}
		}
		g.log.Error("authorizer failed", "service", svc.SigningName, "operation", name, "err", err)
		return nil, awsapi.ErrInternal
	}
	out, err := op.Invoke(ctx, in)
	if err != nil {
		if _, ok := awsapi.As(err); !ok {
			g.log.Error("operation failed", "service", svc.SigningName, "operation", name, "err", err)
			return nil, fmt.Errorf("%s %s: %w", svc.SigningName, name, err)
		}
	}
	return out, err
}
