package ecs

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/store"
)

// RegisterTaskDefinitionInput is the input of RegisterTaskDefinition.
type RegisterTaskDefinitionInput struct {
	Family                  *string               `json:"family,omitempty"`
	ContainerDefinitions    []ContainerDefinition `json:"containerDefinitions,omitempty"`
	Cpu                     *string               `json:"cpu,omitempty"`
	Memory                  *string               `json:"memory,omitempty"`
	NetworkMode             string                `json:"networkMode,omitempty"`
	TaskRoleArn             *string               `json:"taskRoleArn,omitempty"`
	ExecutionRoleArn        *string               `json:"executionRoleArn,omitempty"`
	RequiresCompatibilities []string              `json:"requiresCompatibilities,omitempty"`
	Tags                    []Tag                 `json:"tags,omitempty"`
	Volumes                 []any                 `json:"volumes,omitempty"`
	PlacementConstraints    []any                 `json:"placementConstraints,omitempty"`
}

// RegisterTaskDefinitionOutput is the output of RegisterTaskDefinition.
type RegisterTaskDefinitionOutput struct {
	TaskDefinition *TaskDefinition `json:"taskDefinition,omitempty"`
	Tags           []Tag           `json:"tags,omitempty"`
}

// DescribeTaskDefinitionInput is the input of DescribeTaskDefinition.
type DescribeTaskDefinitionInput struct {
	TaskDefinition *string  `json:"taskDefinition,omitempty"`
	Include        []string `json:"include,omitempty"` // TAGS
}

// DescribeTaskDefinitionOutput is the output of DescribeTaskDefinition.
type DescribeTaskDefinitionOutput struct {
	TaskDefinition *TaskDefinition `json:"taskDefinition,omitempty"`
	Tags           []Tag           `json:"tags,omitempty"`
}

// ListTaskDefinitionsInput is the input of ListTaskDefinitions.
type ListTaskDefinitionsInput struct {
	// FamilyPrefix is, despite its name, the full family name (as in ECS).
	FamilyPrefix *string `json:"familyPrefix,omitempty"`
	Status       string  `json:"status,omitempty"` // ACTIVE (default), INACTIVE, DELETE_IN_PROGRESS
	Sort         string  `json:"sort,omitempty"`   // ASC (default), DESC
	MaxResults   *int32  `json:"maxResults,omitempty"`
	NextToken    *string `json:"nextToken,omitempty"`
}

// ListTaskDefinitionsOutput is the output of ListTaskDefinitions.
type ListTaskDefinitionsOutput struct {
	TaskDefinitionArns []string `json:"taskDefinitionArns"`
	NextToken          *string  `json:"nextToken,omitempty"`
}

// ListTaskDefinitionFamiliesInput is the input of ListTaskDefinitionFamilies.
type ListTaskDefinitionFamiliesInput struct {
	FamilyPrefix *string `json:"familyPrefix,omitempty"`
	Status       string  `json:"status,omitempty"` // ACTIVE, INACTIVE, ALL (default)
	MaxResults   *int32  `json:"maxResults,omitempty"`
	NextToken    *string `json:"nextToken,omitempty"`
}

// ListTaskDefinitionFamiliesOutput is the output of ListTaskDefinitionFamilies.
type ListTaskDefinitionFamiliesOutput struct {
	Families  []string `json:"families"`
	NextToken *string  `json:"nextToken,omitempty"`
}

// DeregisterTaskDefinitionInput is the input of DeregisterTaskDefinition.
type DeregisterTaskDefinitionInput struct {
	TaskDefinition *string `json:"taskDefinition,omitempty"`
}

// DeregisterTaskDefinitionOutput is the output of DeregisterTaskDefinition.
type DeregisterTaskDefinitionOutput struct {
	TaskDefinition *TaskDefinition `json:"taskDefinition,omitempty"`
}

// DeleteTaskDefinitionsInput is the input of DeleteTaskDefinitions.
type DeleteTaskDefinitionsInput struct {
	TaskDefinitions []string `json:"taskDefinitions,omitempty"`
}

// DeleteTaskDefinitionsOutput is the output of DeleteTaskDefinitions.
type DeleteTaskDefinitionsOutput struct {
	TaskDefinitions []TaskDefinition `json:"taskDefinitions"`
	Failures        []Failure        `json:"failures"`
}

// RegisterTaskDefinition registers a new revision of a task definition family.
func (s *Service) RegisterTaskDefinition(ctx context.Context, in *RegisterTaskDefinitionInput) (*RegisterTaskDefinitionOutput, error) {
	td, err := buildTaskDefinition(in)
	if err != nil {
		return nil, err
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	if p, ok := awsapi.PrincipalFrom(ctx); ok {
		td.RegisteredBy = p.ARN
	}
	err = s.update(ctx, func(tx *store.Tx) error {
		fam := familyRecord{Family: td.Family}
		if _, err := get(tx, bucketFamilies, td.Family, &fam); err != nil {
			return err
		}
		fam.LastRevision++
		td.Revision = fam.LastRevision
		td.TaskDefinitionArn = s.taskDefARN(td.Family, td.Revision)
		td.RegisteredAt = ptr(s.now())
		if err := tx.Put(bucketFamilies, td.Family, fam); err != nil {
			return err
		}
		return tx.Put(bucketTaskDefs, taskDefKey(td.Family, td.Revision), taskDefRecord{Def: td, Tags: in.Tags})
	})
	if err != nil {
		return nil, err
	}
	return &RegisterTaskDefinitionOutput{TaskDefinition: &td, Tags: in.Tags}, nil
}

// lookupTaskDef finds the task definition named by ref ("family" for the latest ACTIVE
// revision, "family:revision" or an ARN).
func (s *Service) lookupTaskDef(tx *store.Tx, ref string) (taskDefRecord, bool, error) {
	var rec taskDefRecord
	r, ok := s.parseTaskDefRef(ref)
	if !ok {
		return rec, false, nil
	}
	if r.revision > 0 {
		found, err := get(tx, bucketTaskDefs, taskDefKey(r.family, r.revision), &rec)
		return rec, found, err
	}
	found := false
	err := tx.Scan(bucketTaskDefs, r.family+":", func(_ string, raw []byte) error {
		var c taskDefRecord
		if err := store.Decode(raw, &c); err != nil {
			return err
		}
		if c.Def.Status == "ACTIVE" {
			rec, found = c, true // keys are in revision order: the last one wins
		}
		return nil
	})
	return rec, found, err
}

// DescribeTaskDefinition describes a task definition; its tags come with include TAGS.
func (s *Service) DescribeTaskDefinition(ctx context.Context, in *DescribeTaskDefinitionInput) (*DescribeTaskDefinitionOutput, error) {
	if deref(in.TaskDefinition) == "" {
		return nil, errClient("taskDefinition is required.")
	}
	inc, err := includes("include", in.Include, "TAGS")
	if err != nil {
		return nil, err
	}
	var out DescribeTaskDefinitionOutput
	err = s.view(ctx, func(tx *store.Tx) error {
		rec, found, err := s.lookupTaskDef(tx, *in.TaskDefinition)
		if err != nil {
			return err
		}
		if !found {
			return errClient("Unable to describe task definition.")
		}
		out.TaskDefinition = &rec.Def
		if inc["TAGS"] {
			out.Tags = append([]Tag{}, rec.Tags...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// ListTaskDefinitions lists task definition ARNs by family and revision.
func (s *Service) ListTaskDefinitions(ctx context.Context, in *ListTaskDefinitionsInput) (*ListTaskDefinitionsOutput, error) {
	status := in.Status
	switch status {
	case "":
		status = "ACTIVE"
	case "ACTIVE", "INACTIVE", "DELETE_IN_PROGRESS":
	default:
		return nil, errInvalid("status must be ACTIVE, INACTIVE or DELETE_IN_PROGRESS, got '%s'.", status)
	}
	desc := false
	switch in.Sort {
	case "", "ASC":
	case "DESC":
		desc = true
	default:
		return nil, errInvalid("sort must be ASC or DESC, got '%s'.", in.Sort)
	}
	family := deref(in.FamilyPrefix)
	type item struct{ key, arn string }
	var items []item
	err := s.view(ctx, func(tx *store.Tx) error {
		prefix := ""
		if family != "" {
			prefix = family + ":"
		}
		return tx.Scan(bucketTaskDefs, prefix, func(_ string, raw []byte) error {
			var rec taskDefRecord
			if err := store.Decode(raw, &rec); err != nil {
				return err
			}
			if rec.Def.Status == status {
				items = append(items, item{fmt.Sprintf("%s\x00%010d", rec.Def.Family, rec.Def.Revision), rec.Def.TaskDefinitionArn})
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(items, func(i, j int) bool {
		if desc {
			return items[i].key > items[j].key
		}
		return items[i].key < items[j].key
	})
	keys := make([]string, len(items))
	for i, it := range items {
		keys[i] = it.key
	}
	lo, hi, next, err := page(keys, desc, in.NextToken, in.MaxResults, 100)
	if err != nil {
		return nil, err
	}
	out := &ListTaskDefinitionsOutput{TaskDefinitionArns: []string{}, NextToken: next}
	for _, it := range items[lo:hi] {
		out.TaskDefinitionArns = append(out.TaskDefinitionArns, it.arn)
	}
	return out, nil
}

// ListTaskDefinitionFamilies lists families: ACTIVE ones have an ACTIVE revision,
// INACTIVE ones have none; by default both.
func (s *Service) ListTaskDefinitionFamilies(ctx context.Context, in *ListTaskDefinitionFamiliesInput) (*ListTaskDefinitionFamiliesOutput, error) {
	switch in.Status {
	case "", "ALL", "ACTIVE", "INACTIVE":
	default:
		return nil, errInvalid("status must be ACTIVE, INACTIVE or ALL, got '%s'.", in.Status)
	}
	prefix := deref(in.FamilyPrefix)
	active := map[string]bool{}
	err := s.view(ctx, func(tx *store.Tx) error {
		return tx.Scan(bucketTaskDefs, prefix, func(_ string, raw []byte) error {
			var rec taskDefRecord
			if err := store.Decode(raw, &rec); err != nil {
				return err
			}
			active[rec.Def.Family] = active[rec.Def.Family] || rec.Def.Status == "ACTIVE"
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	var families []string
	for f, a := range active {
		if in.Status == "ACTIVE" && !a || in.Status == "INACTIVE" && a {
			continue
		}
		families = append(families, f)
	}
	sort.Strings(families)
	lo, hi, next, err := page(families, false, in.NextToken, in.MaxResults, 100)
	if err != nil {
		return nil, err
	}
	return &ListTaskDefinitionFamiliesOutput{Families: append([]string{}, families[lo:hi]...), NextToken: next}, nil
}

// DeregisterTaskDefinition makes a task definition revision INACTIVE: running tasks
// and services keep it, new ones cannot use it.
func (s *Service) DeregisterTaskDefinition(ctx context.Context, in *DeregisterTaskDefinitionInput) (*DeregisterTaskDefinitionOutput, error) {
	ref := deref(in.TaskDefinition)
	if ref == "" {
		return nil, errClient("taskDefinition is required.")
	}
	if r, ok := s.parseTaskDefRef(ref); ok && r.revision == 0 {
		return nil, errClient("Invalid revision: give the task definition as family:revision or a full ARN, not '%s'.", ref)
	}
	var out TaskDefinition
	err := s.update(ctx, func(tx *store.Tx) error {
		rec, found, err := s.lookupTaskDef(tx, ref)
		if err != nil {
			return err
		}
		if !found {
			return errClient("The specified task definition does not exist.")
		}
		if rec.Def.Status == "ACTIVE" {
			rec.Def.Status = "INACTIVE"
			rec.Def.DeregisteredAt = ptr(s.now())
			if err := tx.Put(bucketTaskDefs, taskDefKey(rec.Def.Family, rec.Def.Revision), rec); err != nil {
				return err
			}
		}
		out = rec.Def
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &DeregisterTaskDefinitionOutput{TaskDefinition: &out}, nil
}

// DeleteTaskDefinitions deletes up to 10 INACTIVE task definition revisions: they turn
// DELETE_IN_PROGRESS and disappear once no task or service uses them.
func (s *Service) DeleteTaskDefinitions(ctx context.Context, in *DeleteTaskDefinitionsInput) (*DeleteTaskDefinitionsOutput, error) {
	if err := checkBatch("taskDefinitions", len(in.TaskDefinitions), 10); err != nil {
		return nil, err
	}
	out := &DeleteTaskDefinitionsOutput{TaskDefinitions: []TaskDefinition{}, Failures: []Failure{}}
	err := s.update(ctx, func(tx *store.Tx) error {
		for _, ref := range in.TaskDefinitions {
			arn := ref
			r, ok := s.parseTaskDefRef(ref)
			if ok && r.revision > 0 {
				arn = s.taskDefARN(r.family, r.revision)
			}
			if !ok || r.revision == 0 {
				out.Failures = append(out.Failures, Failure{Arn: arn, Reason: "The specified task definition identifier is invalid. Specify a valid name or ARN and try again."})
				continue
			}
			rec, found, err := s.lookupTaskDef(tx, ref)
			if err != nil {
				return err
			}
			switch {
			case !found:
				out.Failures = append(out.Failures, Failure{Arn: arn, Reason: "The specified task definition does not exist. Specify a valid account, family, revision and try again."})
				continue
			case rec.Def.Status == "ACTIVE":
				out.Failures = append(out.Failures, Failure{Arn: arn, Reason: "The specified task definition is still in ACTIVE status. Please deregister the target and try again."})
				continue
			case rec.Def.Status == "INACTIVE":
				rec.Def.Status = "DELETE_IN_PROGRESS"
				rec.Def.DeleteRequestedAt = ptr(s.now())
				if err := tx.Put(bucketTaskDefs, taskDefKey(rec.Def.Family, rec.Def.Revision), rec); err != nil {
					return err
				}
			}
			out.TaskDefinitions = append(out.TaskDefinitions, rec.Def)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// usableTaskDef finds the task definition a new task or deployment is to use: it must
// exist and be ACTIVE.
func (s *Service) usableTaskDef(tx *store.Tx, ref string) (taskDefRecord, error) {
	if ref == "" {
		return taskDefRecord{}, errInvalid("TaskDefinition can not be blank.")
	}
	rec, found, err := s.lookupTaskDef(tx, ref)
	if err != nil {
		return rec, err
	}
	if !found {
		return rec, errClient("TaskDefinition not found.")
	}
	if rec.Def.Status != "ACTIVE" {
		return rec, errClient("TaskDefinition is %s: only ACTIVE task definitions can start new tasks.", strings.ToLower(rec.Def.Status))
	}
	return rec, nil
}
