package cloudformation

import "time"

// The shapes below follow the CloudFormation API model (member names as the SDK spells
// them); the gateway encodes them as awsQuery XML.

// Parameter is a stack parameter: its key and value as given, or UsePreviousValue.
type Parameter struct {
	ParameterKey     *string `json:"ParameterKey,omitempty"`
	ParameterValue   *string `json:"ParameterValue,omitempty" sensitive:"true"`
	ResolvedValue    *string `json:"ResolvedValue,omitempty" sensitive:"true"`
	UsePreviousValue *bool   `json:"UsePreviousValue,omitempty"`
}

// Tag is a stack tag.
type Tag struct {
	Key   *string `json:"Key,omitempty"`
	Value *string `json:"Value,omitempty"`
}

// Output is a stack output.
type Output struct {
	Description *string `json:"Description,omitempty"`
	ExportName  *string `json:"ExportName,omitempty"`
	OutputKey   *string `json:"OutputKey,omitempty"`
	OutputValue *string `json:"OutputValue,omitempty"`
}

// Stack describes a stack (DescribeStacks).
type Stack struct {
	StackId                     *string                `json:"StackId,omitempty"`
	StackName                   *string                `json:"StackName,omitempty"`
	ChangeSetId                 *string                `json:"ChangeSetId,omitempty"`
	Description                 *string                `json:"Description,omitempty"`
	Parameters                  []Parameter            `json:"Parameters,omitempty"`
	CreationTime                *time.Time             `json:"CreationTime,omitempty"`
	DeletionTime                *time.Time             `json:"DeletionTime,omitempty"`
	LastUpdatedTime             *time.Time             `json:"LastUpdatedTime,omitempty"`
	RollbackConfiguration       *RollbackConfiguration `json:"RollbackConfiguration,omitempty"`
	StackStatus                 *string                `json:"StackStatus,omitempty"`
	StackStatusReason           *string                `json:"StackStatusReason,omitempty"`
	DisableRollback             *bool                  `json:"DisableRollback,omitempty"`
	NotificationARNs            []string               `json:"NotificationARNs,omitempty"`
	TimeoutInMinutes            *int32                 `json:"TimeoutInMinutes,omitempty"`
	Capabilities                []string               `json:"Capabilities,omitempty"`
	Outputs                     []Output               `json:"Outputs,omitempty"`
	Tags                        []Tag                  `json:"Tags,omitempty"`
	EnableTerminationProtection *bool                  `json:"EnableTerminationProtection,omitempty"`
	ParentId                    *string                `json:"ParentId,omitempty"`
	RootId                      *string                `json:"RootId,omitempty"`
	DriftInformation            *StackDriftInformation `json:"DriftInformation,omitempty"`
}

// RollbackConfiguration is a stack's rollback triggers; Wharf's are always empty.
type RollbackConfiguration struct {
	MonitoringTimeInMinutes *int32 `json:"MonitoringTimeInMinutes,omitempty"`
}

// StackDriftInformation is a stack's drift status; Wharf never detects drift.
type StackDriftInformation struct {
	StackDriftStatus *string `json:"StackDriftStatus,omitempty"`
}

// StackEvent is one stack event: a stack or resource status change.
type StackEvent struct {
	EventId              *string    `json:"EventId,omitempty"`
	StackId              *string    `json:"StackId,omitempty"`
	StackName            *string    `json:"StackName,omitempty"`
	LogicalResourceId    *string    `json:"LogicalResourceId,omitempty"`
	PhysicalResourceId   *string    `json:"PhysicalResourceId,omitempty"`
	ResourceType         *string    `json:"ResourceType,omitempty"`
	Timestamp            *time.Time `json:"Timestamp,omitempty"`
	ResourceStatus       *string    `json:"ResourceStatus,omitempty"`
	ResourceStatusReason *string    `json:"ResourceStatusReason,omitempty"`
	ResourceProperties   *string    `json:"ResourceProperties,omitempty" sensitive:"true"`
	ClientRequestToken   *string    `json:"ClientRequestToken,omitempty"`
}

// StackResource describes a stack resource (DescribeStackResources).
type StackResource struct {
	StackName            *string                   `json:"StackName,omitempty"`
	StackId              *string                   `json:"StackId,omitempty"`
	LogicalResourceId    *string                   `json:"LogicalResourceId,omitempty"`
	PhysicalResourceId   *string                   `json:"PhysicalResourceId,omitempty"`
	ResourceType         *string                   `json:"ResourceType,omitempty"`
	Timestamp            *time.Time                `json:"Timestamp,omitempty"`
	ResourceStatus       *string                   `json:"ResourceStatus,omitempty"`
	ResourceStatusReason *string                   `json:"ResourceStatusReason,omitempty"`
	Description          *string                   `json:"Description,omitempty"`
	DriftInformation     *ResourceDriftInformation `json:"DriftInformation,omitempty"`
}

// StackResourceDetail describes one stack resource in full (DescribeStackResource).
type StackResourceDetail struct {
	StackName            *string                   `json:"StackName,omitempty"`
	StackId              *string                   `json:"StackId,omitempty"`
	LogicalResourceId    *string                   `json:"LogicalResourceId,omitempty"`
	PhysicalResourceId   *string                   `json:"PhysicalResourceId,omitempty"`
	ResourceType         *string                   `json:"ResourceType,omitempty"`
	LastUpdatedTimestamp *time.Time                `json:"LastUpdatedTimestamp,omitempty"`
	ResourceStatus       *string                   `json:"ResourceStatus,omitempty"`
	ResourceStatusReason *string                   `json:"ResourceStatusReason,omitempty"`
	Description          *string                   `json:"Description,omitempty"`
	Metadata             *string                   `json:"Metadata,omitempty"`
	DriftInformation     *ResourceDriftInformation `json:"DriftInformation,omitempty"`
}

// StackResourceSummary summarizes a stack resource (ListStackResources).
type StackResourceSummary struct {
	LogicalResourceId    *string                   `json:"LogicalResourceId,omitempty"`
	PhysicalResourceId   *string                   `json:"PhysicalResourceId,omitempty"`
	ResourceType         *string                   `json:"ResourceType,omitempty"`
	LastUpdatedTimestamp *time.Time                `json:"LastUpdatedTimestamp,omitempty"`
	ResourceStatus       *string                   `json:"ResourceStatus,omitempty"`
	ResourceStatusReason *string                   `json:"ResourceStatusReason,omitempty"`
	DriftInformation     *ResourceDriftInformation `json:"DriftInformation,omitempty"`
}

// ResourceDriftInformation is a resource's drift status; Wharf never detects drift.
type ResourceDriftInformation struct {
	StackResourceDriftStatus *string `json:"StackResourceDriftStatus,omitempty"`
}

// StackSummary summarizes a stack (ListStacks).
type StackSummary struct {
	StackId             *string                `json:"StackId,omitempty"`
	StackName           *string                `json:"StackName,omitempty"`
	TemplateDescription *string                `json:"TemplateDescription,omitempty"`
	CreationTime        *time.Time             `json:"CreationTime,omitempty"`
	LastUpdatedTime     *time.Time             `json:"LastUpdatedTime,omitempty"`
	DeletionTime        *time.Time             `json:"DeletionTime,omitempty"`
	StackStatus         *string                `json:"StackStatus,omitempty"`
	StackStatusReason   *string                `json:"StackStatusReason,omitempty"`
	ParentId            *string                `json:"ParentId,omitempty"`
	RootId              *string                `json:"RootId,omitempty"`
	DriftInformation    *StackDriftInformation `json:"DriftInformation,omitempty"`
}

// Change is one change of a change set.
type Change struct {
	Type           *string         `json:"Type,omitempty"`
	ResourceChange *ResourceChange `json:"ResourceChange,omitempty"`
}

// ResourceChange is what a change set does to one resource.
type ResourceChange struct {
	Action             *string                `json:"Action,omitempty"`
	LogicalResourceId  *string                `json:"LogicalResourceId,omitempty"`
	PhysicalResourceId *string                `json:"PhysicalResourceId,omitempty"`
	ResourceType       *string                `json:"ResourceType,omitempty"`
	Replacement        *string                `json:"Replacement,omitempty"`
	Scope              []string               `json:"Scope,omitempty"`
	Details            []ResourceChangeDetail `json:"Details,omitempty"`
}

// ResourceChangeDetail is one changed property of a resource change.
type ResourceChangeDetail struct {
	Target        *ResourceTargetDefinition `json:"Target,omitempty"`
	Evaluation    *string                   `json:"Evaluation,omitempty"`
	ChangeSource  *string                   `json:"ChangeSource,omitempty"`
	CausingEntity *string                   `json:"CausingEntity,omitempty"`
}

// ResourceTargetDefinition names the changed property and whether it forces recreation.
type ResourceTargetDefinition struct {
	Attribute          *string `json:"Attribute,omitempty"`
	Name               *string `json:"Name,omitempty"`
	RequiresRecreation *string `json:"RequiresRecreation,omitempty"`
}

// ChangeSetSummary summarizes a change set (ListChangeSets).
type ChangeSetSummary struct {
	StackId             *string    `json:"StackId,omitempty"`
	StackName           *string    `json:"StackName,omitempty"`
	ChangeSetId         *string    `json:"ChangeSetId,omitempty"`
	ChangeSetName       *string    `json:"ChangeSetName,omitempty"`
	ExecutionStatus     *string    `json:"ExecutionStatus,omitempty"`
	Status              *string    `json:"Status,omitempty"`
	StatusReason        *string    `json:"StatusReason,omitempty"`
	CreationTime        *time.Time `json:"CreationTime,omitempty"`
	Description         *string    `json:"Description,omitempty"`
	IncludeNestedStacks *bool      `json:"IncludeNestedStacks,omitempty"`
}

// Export is a stack output exported for cross-stack references.
type Export struct {
	ExportingStackId *string `json:"ExportingStackId,omitempty"`
	Name             *string `json:"Name,omitempty"`
	Value            *string `json:"Value,omitempty"`
}

// TemplateParameter declares a parameter (ValidateTemplate).
type TemplateParameter struct {
	ParameterKey *string `json:"ParameterKey,omitempty"`
	DefaultValue *string `json:"DefaultValue,omitempty"`
	NoEcho       *bool   `json:"NoEcho,omitempty"`
	Description  *string `json:"Description,omitempty"`
}

// ParameterDeclaration declares a parameter (GetTemplateSummary).
type ParameterDeclaration struct {
	ParameterKey         *string               `json:"ParameterKey,omitempty"`
	DefaultValue         *string               `json:"DefaultValue,omitempty"`
	ParameterType        *string               `json:"ParameterType,omitempty"`
	NoEcho               *bool                 `json:"NoEcho,omitempty"`
	Description          *string               `json:"Description,omitempty"`
	ParameterConstraints *ParameterConstraints `json:"ParameterConstraints,omitempty"`
}

// ParameterConstraints lists a parameter's allowed values.
type ParameterConstraints struct {
	AllowedValues []string `json:"AllowedValues,omitempty"`
}

// ResourceIdentifierSummary lists the logical ids of one resource type (GetTemplateSummary).
type ResourceIdentifierSummary struct {
	ResourceType       *string  `json:"ResourceType,omitempty"`
	LogicalResourceIds []string `json:"LogicalResourceIds,omitempty"`
}

// Operation inputs and outputs.

// ValidateTemplateInput is the input of ValidateTemplate.
type ValidateTemplateInput struct {
	TemplateBody *string
	TemplateURL  *string
}

// ValidateTemplateOutput is the output of ValidateTemplate.
type ValidateTemplateOutput struct {
	Parameters         []TemplateParameter `json:"Parameters"`
	Description        *string             `json:"Description,omitempty"`
	Capabilities       []string            `json:"Capabilities,omitempty"`
	CapabilitiesReason *string             `json:"CapabilitiesReason,omitempty"`
	DeclaredTransforms []string            `json:"DeclaredTransforms,omitempty"`
}

// CreateStackInput is the input of CreateStack.
type CreateStackInput struct {
	StackName                   *string
	TemplateBody                *string
	TemplateURL                 *string
	Parameters                  []Parameter
	DisableRollback             *bool
	RollbackConfiguration       *RollbackConfiguration
	TimeoutInMinutes            *int32
	NotificationARNs            []string
	Capabilities                []string
	ResourceTypes               []string
	RoleARN                     *string
	OnFailure                   *string
	StackPolicyBody             *string
	StackPolicyURL              *string
	Tags                        []Tag
	ClientRequestToken          *string
	EnableTerminationProtection *bool
	RetainExceptOnCreate        *bool
}

// CreateStackOutput is the output of CreateStack.
type CreateStackOutput struct {
	StackId *string `json:"StackId,omitempty"`
}

// UpdateStackInput is the input of UpdateStack.
type UpdateStackInput struct {
	StackName                   *string
	TemplateBody                *string
	TemplateURL                 *string
	UsePreviousTemplate         *bool
	StackPolicyDuringUpdateBody *string
	StackPolicyDuringUpdateURL  *string
	Parameters                  []Parameter
	Capabilities                []string
	ResourceTypes               []string
	RoleARN                     *string
	RollbackConfiguration       *RollbackConfiguration
	StackPolicyBody             *string
	StackPolicyURL              *string
	NotificationARNs            []string
	Tags                        []Tag
	DisableRollback             *bool
	ClientRequestToken          *string
	RetainExceptOnCreate        *bool
}

// UpdateStackOutput is the output of UpdateStack.
type UpdateStackOutput struct {
	StackId *string `json:"StackId,omitempty"`
}

// DeleteStackInput is the input of DeleteStack.
type DeleteStackInput struct {
	StackName          *string
	RetainResources    []string
	RoleARN            *string
	ClientRequestToken *string
	DeletionMode       *string
}

// DescribeStacksInput is the input of DescribeStacks.
type DescribeStacksInput struct {
	StackName *string
	NextToken *string
}

// DescribeStacksOutput is the output of DescribeStacks.
type DescribeStacksOutput struct {
	Stacks    []Stack `json:"Stacks"`
	NextToken *string `json:"NextToken,omitempty"`
}

// DescribeStackEventsInput is the input of DescribeStackEvents.
type DescribeStackEventsInput struct {
	StackName *string
	NextToken *string
}

// DescribeStackEventsOutput is the output of DescribeStackEvents.
type DescribeStackEventsOutput struct {
	StackEvents []StackEvent `json:"StackEvents"`
	NextToken   *string      `json:"NextToken,omitempty"`
}

// DescribeStackResourceInput is the input of DescribeStackResource.
type DescribeStackResourceInput struct {
	StackName         *string
	LogicalResourceId *string
}

// DescribeStackResourceOutput is the output of DescribeStackResource.
type DescribeStackResourceOutput struct {
	StackResourceDetail *StackResourceDetail `json:"StackResourceDetail,omitempty"`
}

// DescribeStackResourcesInput is the input of DescribeStackResources.
type DescribeStackResourcesInput struct {
	StackName          *string
	LogicalResourceId  *string
	PhysicalResourceId *string
}

// DescribeStackResourcesOutput is the output of DescribeStackResources.
type DescribeStackResourcesOutput struct {
	StackResources []StackResource `json:"StackResources"`
}

// ListStacksInput is the input of ListStacks.
type ListStacksInput struct {
	NextToken         *string
	StackStatusFilter []string
}

// ListStacksOutput is the output of ListStacks.
type ListStacksOutput struct {
	StackSummaries []StackSummary `json:"StackSummaries"`
	NextToken      *string        `json:"NextToken,omitempty"`
}

// ListStackResourcesInput is the input of ListStackResources.
type ListStackResourcesInput struct {
	StackName *string
	NextToken *string
}

// ListStackResourcesOutput is the output of ListStackResources.
type ListStackResourcesOutput struct {
	StackResourceSummaries []StackResourceSummary `json:"StackResourceSummaries"`
	NextToken              *string                `json:"NextToken,omitempty"`
}

// GetTemplateInput is the input of GetTemplate.
type GetTemplateInput struct {
	StackName     *string
	ChangeSetName *string
	TemplateStage *string
}

// GetTemplateOutput is the output of GetTemplate.
type GetTemplateOutput struct {
	TemplateBody    *string  `json:"TemplateBody,omitempty"`
	StagesAvailable []string `json:"StagesAvailable,omitempty"`
}

// GetTemplateSummaryInput is the input of GetTemplateSummary.
type GetTemplateSummaryInput struct {
	TemplateBody *string
	TemplateURL  *string
	StackName    *string
	StackSetName *string
	CallAs       *string
}

// GetTemplateSummaryOutput is the output of GetTemplateSummary.
type GetTemplateSummaryOutput struct {
	Parameters                  []ParameterDeclaration      `json:"Parameters"`
	Description                 *string                     `json:"Description,omitempty"`
	Capabilities                []string                    `json:"Capabilities,omitempty"`
	CapabilitiesReason          *string                     `json:"CapabilitiesReason,omitempty"`
	ResourceTypes               []string                    `json:"ResourceTypes,omitempty"`
	Version                     *string                     `json:"Version,omitempty"`
	Metadata                    *string                     `json:"Metadata,omitempty"`
	DeclaredTransforms          []string                    `json:"DeclaredTransforms,omitempty"`
	ResourceIdentifierSummaries []ResourceIdentifierSummary `json:"ResourceIdentifierSummaries,omitempty"`
}

// CreateChangeSetInput is the input of CreateChangeSet.
type CreateChangeSetInput struct {
	StackName               *string
	TemplateBody            *string
	TemplateURL             *string
	UsePreviousTemplate     *bool
	Parameters              []Parameter
	Capabilities            []string
	ResourceTypes           []string
	RoleARN                 *string
	RollbackConfiguration   *RollbackConfiguration
	NotificationARNs        []string
	Tags                    []Tag
	ChangeSetName           *string
	ClientToken             *string
	Description             *string
	ChangeSetType           *string
	IncludeNestedStacks     *bool
	OnStackFailure          *string
	ImportExistingResources *bool
}

// CreateChangeSetOutput is the output of CreateChangeSet.
type CreateChangeSetOutput struct {
	Id      *string `json:"Id,omitempty"`
	StackId *string `json:"StackId,omitempty"`
}

// DescribeChangeSetInput is the input of DescribeChangeSet.
type DescribeChangeSetInput struct {
	ChangeSetName         *string
	StackName             *string
	NextToken             *string
	IncludePropertyValues *bool
}

// DescribeChangeSetOutput is the output of DescribeChangeSet.
type DescribeChangeSetOutput struct {
	ChangeSetName         *string                `json:"ChangeSetName,omitempty"`
	ChangeSetId           *string                `json:"ChangeSetId,omitempty"`
	StackId               *string                `json:"StackId,omitempty"`
	StackName             *string                `json:"StackName,omitempty"`
	Description           *string                `json:"Description,omitempty"`
	Parameters            []Parameter            `json:"Parameters,omitempty"`
	CreationTime          *time.Time             `json:"CreationTime,omitempty"`
	ExecutionStatus       *string                `json:"ExecutionStatus,omitempty"`
	Status                *string                `json:"Status,omitempty"`
	StatusReason          *string                `json:"StatusReason,omitempty"`
	NotificationARNs      []string               `json:"NotificationARNs,omitempty"`
	RollbackConfiguration *RollbackConfiguration `json:"RollbackConfiguration,omitempty"`
	Capabilities          []string               `json:"Capabilities,omitempty"`
	Tags                  []Tag                  `json:"Tags,omitempty"`
	Changes               []Change               `json:"Changes"`
	NextToken             *string                `json:"NextToken,omitempty"`
	IncludeNestedStacks   *bool                  `json:"IncludeNestedStacks,omitempty"`
	OnStackFailure        *string                `json:"OnStackFailure,omitempty"`
}

// ExecuteChangeSetInput is the input of ExecuteChangeSet.
type ExecuteChangeSetInput struct {
	ChangeSetName        *string
	StackName            *string
	ClientRequestToken   *string
	DisableRollback      *bool
	RetainExceptOnCreate *bool
}

// DeleteChangeSetInput is the input of DeleteChangeSet.
type DeleteChangeSetInput struct {
	ChangeSetName *string
	StackName     *string
}

// ListChangeSetsInput is the input of ListChangeSets.
type ListChangeSetsInput struct {
	StackName *string
	NextToken *string
}

// ListChangeSetsOutput is the output of ListChangeSets.
type ListChangeSetsOutput struct {
	Summaries []ChangeSetSummary `json:"Summaries"`
	NextToken *string            `json:"NextToken,omitempty"`
}

// CancelUpdateStackInput is the input of CancelUpdateStack.
type CancelUpdateStackInput struct {
	StackName          *string
	ClientRequestToken *string
}

// ContinueUpdateRollbackInput is the input of ContinueUpdateRollback.
type ContinueUpdateRollbackInput struct {
	StackName          *string
	RoleARN            *string
	ResourcesToSkip    []string
	ClientRequestToken *string
}

// ListExportsInput is the input of ListExports.
type ListExportsInput struct {
	NextToken *string
}

// ListExportsOutput is the output of ListExports.
type ListExportsOutput struct {
	Exports   []Export `json:"Exports"`
	NextToken *string  `json:"NextToken,omitempty"`
}

// ListImportsInput is the input of ListImports.
type ListImportsInput struct {
	ExportName *string
	NextToken  *string
}

// ListImportsOutput is the output of ListImports.
type ListImportsOutput struct {
	Imports   []string `json:"Imports"`
	NextToken *string  `json:"NextToken,omitempty"`
}

// UpdateTerminationProtectionInput is the input of UpdateTerminationProtection.
type UpdateTerminationProtectionInput struct {
	EnableTerminationProtection *bool
	StackName                   *string
}

// UpdateTerminationProtectionOutput is the output of UpdateTerminationProtection.
type UpdateTerminationProtectionOutput struct {
	StackId *string `json:"StackId,omitempty"`
}

// Empty is the output of operations that return nothing.
type Empty struct{}
