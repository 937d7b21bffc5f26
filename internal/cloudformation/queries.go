package cloudformation

import (
	"context"
	"encoding/json"
	"errors"
	"sort"

	"github.com/wharf-dev/wharf/internal/store"
)

func driftNotChecked() *ResourceDriftInformation {
	return &ResourceDriftInformation{StackResourceDriftStatus: ptr("NOT_CHECKED")}
}

// apiResource converts a resource record to the DescribeStackResources shape.
func (r *resourceRecord) apiResource(st *stackRecord) StackResource {
	t := r.Updated
	return StackResource{
		StackName: ptr(st.Name), StackId: ptr(st.ID), LogicalResourceId: ptr(r.LogicalID), PhysicalResourceId: strPtr(r.PhysicalID),
		ResourceType: ptr(r.Type), Timestamp: &t, ResourceStatus: ptr(r.Status), ResourceStatusReason: strPtr(r.Reason),
		Description: strPtr(r.Description), DriftInformation: driftNotChecked(),
	}
}

// DescribeStackResource describes one resource of a stack.
func (s *Service) DescribeStackResource(ctx context.Context, in *DescribeStackResourceInput) (*DescribeStackResourceOutput, error) {
	name, logical := deref(in.StackName), deref(in.LogicalResourceId)
	if logical == "" {
		return nil, errValidation("1 validation error detected: Value null at 'logicalResourceId' failed to satisfy constraint: Member must not be null")
	}
	var out *DescribeStackResourceOutput
	err := s.view(func(tx *store.Tx) error {
		st, err := findStack(tx, name, true)
		if err != nil {
			return err
		}
		var r resourceRecord
		if err := tx.Get(bucketResources, resourceKey(st.ID, logical), &r); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return errValidation("Resource %s does not exist for stack %s", logical, name)
			}
			return err
		}
		t := r.Updated
		d := &StackResourceDetail{
			StackName: ptr(st.Name), StackId: ptr(st.ID), LogicalResourceId: ptr(r.LogicalID), PhysicalResourceId: strPtr(r.PhysicalID),
			ResourceType: ptr(r.Type), LastUpdatedTimestamp: &t, ResourceStatus: ptr(r.Status), ResourceStatusReason: strPtr(r.Reason),
			Description: strPtr(r.Description), DriftInformation: driftNotChecked(),
		}
		if r.Metadata != "" {
			d.Metadata = ptr(r.Metadata)
		}
		out = &DescribeStackResourceOutput{StackResourceDetail: d}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DescribeStackResources describes a stack's resources (or the stack and resource a
// physical resource id belongs to).
func (s *Service) DescribeStackResources(ctx context.Context, in *DescribeStackResourcesInput) (*DescribeStackResourcesOutput, error) {
	name, logical, physical := deref(in.StackName), deref(in.LogicalResourceId), deref(in.PhysicalResourceId)
	if name == "" && physical == "" {
		return nil, errValidation("Either StackName or PhysicalResourceId must be specified.")
	}
	out := &DescribeStackResourcesOutput{StackResources: []StackResource{}}
	err := s.view(func(tx *store.Tx) error {
		var stacks []*stackRecord
		if name != "" {
			st, err := findStack(tx, name, true)
			if err != nil {
				return err
			}
			stacks = []*stackRecord{st}
		} else {
			all, err := allStacks(tx)
			if err != nil {
				return err
			}
			stacks = all
		}
		found := false
		for _, st := range stacks {
			list, err := resources(tx, st.ID)
			if err != nil {
				return err
			}
			if physical != "" {
				match := false
				for _, r := range list {
					match = match || r.PhysicalID == physical
				}
				if !match {
					continue
				}
			}
			found = true
			for _, r := range list {
				if logical != "" && r.LogicalID != logical {
					continue
				}
				out.StackResources = append(out.StackResources, r.apiResource(st))
			}
			if physical != "" {
				break
			}
		}
		if physical != "" && !found {
			return errValidation("Stack for %s does not exist", physical)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListStackResources summarizes a stack's resources, 100 a page.
func (s *Service) ListStackResources(ctx context.Context, in *ListStackResourcesInput) (*ListStackResourcesOutput, error) {
	out := &ListStackResourcesOutput{StackResourceSummaries: []StackResourceSummary{}}
	err := s.view(func(tx *store.Tx) error {
		st, err := findStack(tx, deref(in.StackName), true)
		if err != nil {
			return err
		}
		list, err := resources(tx, st.ID)
		if err != nil {
			return err
		}
		page, next, err := paginate(list, deref(in.NextToken), 100)
		if err != nil {
			return err
		}
		for _, r := range page {
			t := r.Updated
			out.StackResourceSummaries = append(out.StackResourceSummaries, StackResourceSummary{
				LogicalResourceId: ptr(r.LogicalID), PhysicalResourceId: strPtr(r.PhysicalID), ResourceType: ptr(r.Type),
				LastUpdatedTimestamp: &t, ResourceStatus: ptr(r.Status), ResourceStatusReason: strPtr(r.Reason),
				DriftInformation: driftNotChecked(),
			})
		}
		out.NextToken = next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// GetTemplate returns a stack's (or a change set's) template.
func (s *Service) GetTemplate(ctx context.Context, in *GetTemplateInput) (*GetTemplateOutput, error) {
	stage := deref(in.TemplateStage)
	switch stage {
	case "", "Original", "Processed":
	default:
		return nil, errValidation("1 validation error detected: Value '%s' at 'templateStage' failed to satisfy constraint: Member must satisfy enum value set: [Original, Processed]", stage)
	}
	var body string
	err := s.view(func(tx *store.Tx) error {
		if cs := deref(in.ChangeSetName); cs != "" {
			rec, err := findChangeSet(tx, cs, deref(in.StackName))
			if err != nil {
				return err
			}
			body = rec.Config.Template
			return nil
		}
		st, err := findStack(tx, deref(in.StackName), true)
		if err != nil {
			return err
		}
		body = st.Template
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Without transforms, the processed template is the original.
	return &GetTemplateOutput{TemplateBody: ptr(body), StagesAvailable: []string{"Original", "Processed"}}, nil
}

// ValidateTemplate validates a template and describes its parameters.
func (s *Service) ValidateTemplate(ctx context.Context, in *ValidateTemplateInput) (*ValidateTemplateOutput, error) {
	body, _, err := s.loadTemplate(ctx, in.TemplateBody, in.TemplateURL)
	if err != nil {
		return nil, err
	}
	t, err := parseTemplate(body)
	if err != nil {
		return nil, err
	}
	needed, err := s.checkTemplate(t)
	if err != nil {
		return nil, err
	}
	out := &ValidateTemplateOutput{Parameters: []TemplateParameter{}, Description: strPtr(t.Description), Capabilities: needed,
		CapabilitiesReason: strPtr(capabilitiesReason(needed, t))}
	for _, name := range t.ParameterOrder {
		p := t.Parameters[name]
		tp := TemplateParameter{ParameterKey: ptr(name), NoEcho: ptr(p.NoEcho), Description: strPtr(p.Description)}
		if p.HasDefault {
			tp.DefaultValue = ptr(p.Default)
		}
		out.Parameters = append(out.Parameters, tp)
	}
	return out, nil
}

// GetTemplateSummary describes a template (given, or a stack's).
func (s *Service) GetTemplateSummary(ctx context.Context, in *GetTemplateSummaryInput) (*GetTemplateSummaryOutput, error) {
	if in.StackSetName != nil {
		return nil, errValidation("Stack sets are not supported by Wharf")
	}
	var body string
	if name := deref(in.StackName); name != "" {
		if in.TemplateBody != nil || in.TemplateURL != nil {
			return nil, errValidation("Specify exactly one of StackName, StackSetName, TemplateBody or TemplateURL.")
		}
		if err := s.view(func(tx *store.Tx) error {
			st, err := findStack(tx, name, true)
			if err != nil {
				return err
			}
			body = st.Template
			return nil
		}); err != nil {
			return nil, err
		}
	} else {
		var err error
		if body, _, err = s.loadTemplate(ctx, in.TemplateBody, in.TemplateURL); err != nil {
			return nil, err
		}
	}
	t, err := parseTemplate(body)
	if err != nil {
		return nil, err
	}
	needed, err := s.checkTemplate(t)
	if err != nil {
		return nil, err
	}
	out := &GetTemplateSummaryOutput{Parameters: []ParameterDeclaration{}, Description: strPtr(t.Description), Capabilities: needed,
		CapabilitiesReason: strPtr(capabilitiesReason(needed, t)), ResourceTypes: resourceTypes(t), Version: strPtr(t.FormatVersion)}
	if t.Metadata != nil {
		if raw, err := json.Marshal(t.Metadata); err == nil {
			out.Metadata = ptr(string(raw))
		}
	}
	for _, name := range t.ParameterOrder {
		p := t.Parameters[name]
		pd := ParameterDeclaration{ParameterKey: ptr(name), ParameterType: ptr(p.Type), NoEcho: ptr(p.NoEcho), Description: strPtr(p.Description),
			ParameterConstraints: &ParameterConstraints{AllowedValues: p.AllowedValues}}
		if p.HasDefault {
			pd.DefaultValue = ptr(p.Default)
		}
		out.Parameters = append(out.Parameters, pd)
	}
	byType := map[string][]string{}
	for _, id := range t.ResourceOrder {
		typ := t.Resources[id].Type
		byType[typ] = append(byType[typ], id)
	}
	for _, typ := range out.ResourceTypes {
		out.ResourceIdentifierSummaries = append(out.ResourceIdentifierSummaries, ResourceIdentifierSummary{ResourceType: ptr(typ), LogicalResourceIds: byType[typ]})
	}
	return out, nil
}

// ListExports lists the region's exports, 100 a page.
func (s *Service) ListExports(ctx context.Context, in *ListExportsInput) (*ListExportsOutput, error) {
	out := &ListExportsOutput{Exports: []Export{}}
	err := s.view(func(tx *store.Tx) error {
		list, err := store.List[exportRecord](tx, bucketExports, "")
		if err != nil {
			return err
		}
		page, next, err := paginate(list, deref(in.NextToken), 100)
		if err != nil {
			return err
		}
		for _, ex := range page {
			out.Exports = append(out.Exports, Export{ExportingStackId: ptr(ex.StackID), Name: ptr(ex.Name), Value: ptr(ex.Value)})
		}
		out.NextToken = next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListImports lists the stacks that import an export.
func (s *Service) ListImports(ctx context.Context, in *ListImportsInput) (*ListImportsOutput, error) {
	name := deref(in.ExportName)
	if name == "" {
		return nil, errValidation("1 validation error detected: Value null at 'exportName' failed to satisfy constraint: Member must not be null")
	}
	out := &ListImportsOutput{Imports: []string{}}
	err := s.view(func(tx *store.Tx) error {
		users := importers(tx, name, "")
		if len(users) == 0 {
			return errValidation("Export '%s' is not imported by any stack.", name)
		}
		sort.Strings(users)
		page, next, err := paginate(users, deref(in.NextToken), 100)
		if err != nil {
			return err
		}
		out.Imports = append(out.Imports, page...)
		out.NextToken = next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
