package cloudformation

import (
	"context"
	"strings"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/store"
)

// resources returns the stack ARNs an operation is authorized on, as the service
// authorization reference lists them: the stack for stack and change set operations
// (its id when it exists, "stack/<name>/*" otherwise), nothing ("*") for
// ValidateTemplate, ListStacks, ListExports, ListImports and for DescribeStacks and
// GetTemplateSummary without a stack.
func (s *Service) resources(_ context.Context, in any) []string {
	var name, changeSet string
	switch v := in.(type) {
	case *CreateStackInput:
		name = deref(v.StackName)
	case *UpdateStackInput:
		name = deref(v.StackName)
	case *DeleteStackInput:
		name = deref(v.StackName)
	case *DescribeStacksInput:
		name = deref(v.StackName)
	case *DescribeStackEventsInput:
		name = deref(v.StackName)
	case *DescribeStackResourceInput:
		name = deref(v.StackName)
	case *DescribeStackResourcesInput:
		name = deref(v.StackName)
	case *ListStackResourcesInput:
		name = deref(v.StackName)
	case *GetTemplateInput:
		name, changeSet = deref(v.StackName), deref(v.ChangeSetName)
	case *GetTemplateSummaryInput:
		name = deref(v.StackName)
	case *CreateChangeSetInput:
		name = deref(v.StackName)
	case *DescribeChangeSetInput:
		name, changeSet = deref(v.StackName), deref(v.ChangeSetName)
	case *ExecuteChangeSetInput:
		name, changeSet = deref(v.StackName), deref(v.ChangeSetName)
	case *DeleteChangeSetInput:
		name, changeSet = deref(v.StackName), deref(v.ChangeSetName)
	case *ListChangeSetsInput:
		name = deref(v.StackName)
	case *CancelUpdateStackInput:
		name = deref(v.StackName)
	case *ContinueUpdateRollbackInput:
		name = deref(v.StackName)
	case *UpdateTerminationProtectionInput:
		name = deref(v.StackName)
	}
	if name == "" && strings.HasPrefix(changeSet, "arn:") {
		_ = s.db.View(func(tx *store.Tx) error {
			if cs, err := findChangeSet(tx, changeSet, ""); err == nil {
				name = cs.StackID
			}
			return nil
		})
	}
	if name == "" {
		return nil
	}
	return []string{s.stackResource(name)}
}

// stackResource is the ARN a stack name or id is authorized as.
func (s *Service) stackResource(name string) string {
	if strings.HasPrefix(name, "arn:") {
		return name
	}
	id := ""
	_ = s.db.View(func(tx *store.Tx) error {
		_ = tx.Get(bucketNames, name, &id)
		return nil
	})
	if id != "" {
		return id
	}
	return "arn:aws:cloudformation:" + s.region + ":" + s.account + ":stack/" + name + "/*"
}

// withResources sets the authorization resources of every operation of the table.
func (s *Service) withResources(ops map[string]awsapi.Operation) map[string]awsapi.Operation {
	for name, op := range ops {
		switch name {
		case "ValidateTemplate", "ListStacks", "ListExports", "ListImports":
			continue
		}
		op.Resources = s.resources
		ops[name] = op
	}
	return ops
}
