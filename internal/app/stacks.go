package app

import (
	"context"
	"fmt"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/cloudformation"
	"github.com/wharf-dev/wharf/internal/gateway"
)

// cfnSource is the source address and user agent CloudTrail records for the calls
// CloudFormation makes on a stack's behalf, as AWS records them.
const cfnSource = "cloudformation.amazonaws.com"

// stackInvoker lets CloudFormation's resource providers call the other services
// through the gateway, as the principal that asked for the stack operation: authorized
// and audited like the caller's own requests. gw is set once the gateway exists (the
// gateway needs CloudFormation's API first).
type stackInvoker struct{ gw **gateway.Gateway }

// Invoke implements cloudformation.Invoker.
func (s stackInvoker) Invoke(ctx context.Context, service, operation string, input any) (any, error) {
	if *s.gw == nil {
		return nil, fmt.Errorf("cloudformation: %s %s: the gateway is not running", service, operation)
	}
	return (*s.gw).Call(ctx, service, operation, cfnSource, input)
}

// DeployStack creates or updates a CloudFormation stack from a template file as the
// account's root, through a change set (nothing happens when nothing changed), calling
// progress with each stack event as it happens; it returns the stack's outputs. It is
// what `wharf up -f` runs.
func (a *App) DeployStack(ctx context.Context, name, templatePath string, params map[string]string, progress func(cloudformation.StackEvent)) (map[string]string, error) {
	if a.stacks == nil {
		return nil, fmt.Errorf("CloudFormation is not running")
	}
	root := awsapi.Principal{AccountID: AccountID, ARN: "arn:aws:iam::" + AccountID + ":root", UserID: AccountID,
		AccessKeyID: a.creds.AccessKeyID, Root: true}
	return a.stacks.Deploy(awsapi.WithPrincipal(ctx, root), name, templatePath, params, progress)
}
