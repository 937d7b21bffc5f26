package iam

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/wharf-dev/wharf/internal/store"
)

// maxVersions is IAM's quota of versions per managed policy.
const maxVersions = 5

// Inputs and outputs of the managed policy operations.
type (
	// CreatePolicyInput is the input of CreatePolicy.
	CreatePolicyInput struct {
		PolicyName     *string `json:"PolicyName,omitempty"`
		Path           *string `json:"Path,omitempty"`
		PolicyDocument *string `json:"PolicyDocument,omitempty"`
		Description    *string `json:"Description,omitempty"`
		Tags           []Tag   `json:"Tags,omitempty"`
	}
	// PolicyOutput is the output of CreatePolicy and GetPolicy.
	PolicyOutput struct {
		Policy *Policy `json:"Policy,omitempty"`
	}
	// PolicyArnInput is the input of GetPolicy, DeletePolicy and ListPolicyVersions.
	PolicyArnInput struct {
		PolicyArn *string `json:"PolicyArn,omitempty"`
		Marker    *string `json:"Marker,omitempty"`
		MaxItems  *int32  `json:"MaxItems,omitempty"`
	}
	// ListPoliciesInput is the input of ListPolicies.
	ListPoliciesInput struct {
		Scope             *string `json:"Scope,omitempty"`
		OnlyAttached      *bool   `json:"OnlyAttached,omitempty"`
		PathPrefix        *string `json:"PathPrefix,omitempty"`
		PolicyUsageFilter *string `json:"PolicyUsageFilter,omitempty"`
		Marker            *string `json:"Marker,omitempty"`
		MaxItems          *int32  `json:"MaxItems,omitempty"`
	}
	// ListPoliciesOutput is the output of ListPolicies.
	ListPoliciesOutput struct {
		Policies    []Policy `json:"Policies"`
		IsTruncated bool     `json:"IsTruncated"`
		Marker      *string  `json:"Marker,omitempty"`
	}
	// CreatePolicyVersionInput is the input of CreatePolicyVersion.
	CreatePolicyVersionInput struct {
		PolicyArn      *string `json:"PolicyArn,omitempty"`
		PolicyDocument *string `json:"PolicyDocument,omitempty"`
		SetAsDefault   *bool   `json:"SetAsDefault,omitempty"`
	}
	// PolicyVersionOutput is the output of CreatePolicyVersion and GetPolicyVersion.
	PolicyVersionOutput struct {
		PolicyVersion *PolicyVersion `json:"PolicyVersion,omitempty"`
	}
	// PolicyVersionInput is the input of Get/DeletePolicyVersion and SetDefaultPolicyVersion.
	PolicyVersionInput struct {
		PolicyArn *string `json:"PolicyArn,omitempty"`
		VersionId *string `json:"VersionId,omitempty"`
	}
	// ListPolicyVersionsOutput is the output of ListPolicyVersions.
	ListPolicyVersionsOutput struct {
		Versions    []PolicyVersion `json:"Versions"`
		IsTruncated bool            `json:"IsTruncated"`
		Marker      *string         `json:"Marker,omitempty"`
	}
)

// getPolicy loads a managed policy (the account's or AWS's) or fails with NoSuchEntity.
func getPolicy(tx *store.Tx, arn string) (policyRec, error) {
	if p, ok := awsPolicies[arn]; ok {
		return p, nil
	}
	var p policyRec
	err := tx.Get(policiesBucket, arn, &p)
	if errors.Is(err, store.ErrNotFound) {
		return p, errNoSuchEntity("Policy %s was not found.", arn)
	}
	return p, err
}

// localPolicy loads one of the account's policies: AWS's cannot be changed.
func localPolicy(tx *store.Tx, arn *string) (policyRec, error) {
	if arn == nil {
		return policyRec{}, errRequired("policyArn")
	}
	if _, ok := awsPolicies[*arn]; ok {
		return policyRec{}, errInvalid("Policy %s is an AWS managed policy and cannot be modified.", *arn)
	}
	return getPolicy(tx, *arn)
}

// attachmentCounts counts, per policy ARN, the users, groups and roles it is attached to.
func attachmentCounts(tx *store.Tx) (map[string]int32, error) {
	counts := map[string]int32{}
	for _, bucket := range []string{usersBucket, groupsBucket, rolesBucket} {
		err := tx.Scan(bucket, "", func(_ string, raw []byte) error {
			var p policies
			if err := store.Decode(raw, &p); err != nil {
				return err
			}
			for _, a := range p.Attached {
				counts[a]++
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return counts, nil
}

// CreatePolicy creates a managed policy with its first version, v1.
func (s *Service) CreatePolicy(ctx context.Context, in *CreatePolicyInput) (*PolicyOutput, error) {
	name, err := checkName("policyName", in.PolicyName, 128)
	if err != nil {
		return nil, err
	}
	path, err := checkPath("path", in.Path)
	if err != nil {
		return nil, err
	}
	doc, err := s.checkDocument("policyDocument", in.PolicyDocument, 6144, "PolicySize", false)
	if err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	now := s.now()
	p := policyRec{
		Policy: Policy{PolicyName: name, PolicyId: NewID("ANPA", 17), Arn: s.arn("policy", path, name), Path: path,
			DefaultVersionId: "v1", IsAttachable: true, Description: deref(in.Description), CreateDate: now, UpdateDate: now, Tags: in.Tags},
		Versions:    []versionRec{{VersionId: "v1", Document: doc, CreateDate: now}},
		NextVersion: 2,
	}
	err = s.update(ctx, func(tx *store.Tx) error {
		dup := false
		err := tx.Scan(policiesBucket, "arn:aws:iam::"+s.account+":policy/", func(_ string, raw []byte) error {
			var o policyRec
			if err := store.Decode(raw, &o); err != nil {
				return err
			}
			dup = dup || strings.EqualFold(o.PolicyName, name)
			return nil
		})
		if err != nil {
			return err
		}
		if dup {
			return errExists("A policy called %s already exists. Duplicate names are not allowed.", name)
		}
		return tx.Put(policiesBucket, p.Arn, p)
	})
	if err != nil {
		return nil, err
	}
	return &PolicyOutput{Policy: &p.Policy}, nil
}

// GetPolicy describes a managed policy.
func (s *Service) GetPolicy(ctx context.Context, in *PolicyArnInput) (*PolicyOutput, error) {
	if in.PolicyArn == nil {
		return nil, errRequired("policyArn")
	}
	var p policyRec
	err := s.view(ctx, func(tx *store.Tx) error {
		var err error
		if p, err = getPolicy(tx, *in.PolicyArn); err != nil {
			return err
		}
		counts, err := attachmentCounts(tx)
		p.AttachmentCount = counts[p.Arn]
		return err
	})
	if err != nil {
		return nil, err
	}
	return &PolicyOutput{Policy: &p.Policy}, nil
}

// ListPolicies lists managed policies: the account's (Local), AWS's or both (All).
func (s *Service) ListPolicies(ctx context.Context, in *ListPoliciesInput) (*ListPoliciesOutput, error) {
	scope := deref(in.Scope)
	if scope == "" {
		scope = "All"
	}
	if scope != "All" && scope != "AWS" && scope != "Local" {
		return nil, errValidation("1 validation error detected: Value '%s' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]", scope)
	}
	var out []Policy
	err := s.view(ctx, func(tx *store.Tx) error {
		counts, err := attachmentCounts(tx)
		if err != nil {
			return err
		}
		var all []policyRec
		if scope != "Local" {
			for _, p := range awsPolicies {
				all = append(all, p)
			}
		}
		if scope != "AWS" {
			local, err := store.List[policyRec](tx, policiesBucket, "")
			if err != nil {
				return err
			}
			all = append(all, local...)
		}
		for _, p := range all {
			p.AttachmentCount = counts[p.Arn]
			if !strings.HasPrefix(p.Path, deref(in.PathPrefix)) || (deref(in.OnlyAttached) && p.AttachmentCount == 0) {
				continue
			}
			p.Description, p.Tags = "", nil // shown by GetPolicy only
			out = append(out, p.Policy)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	items, next, more, err := page(out, func(p Policy) string { return p.PolicyName + "\x00" + p.Arn }, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &ListPoliciesOutput{Policies: items, IsTruncated: more, Marker: next}, nil
}

// DeletePolicy deletes a managed policy attached to nothing and left with one version.
func (s *Service) DeletePolicy(ctx context.Context, in *PolicyArnInput) (*Empty, error) {
	err := s.update(ctx, func(tx *store.Tx) error {
		p, err := localPolicy(tx, in.PolicyArn)
		if err != nil {
			return err
		}
		counts, err := attachmentCounts(tx)
		if err != nil {
			return err
		}
		if counts[p.Arn] > 0 {
			return errConflict("Cannot delete a policy attached to entities.")
		}
		if len(p.Versions) > 1 {
			return errConflict("This policy has more than one version. Before you delete a policy, you must delete the policy's non-default versions.")
		}
		return tx.Delete(policiesBucket, p.Arn)
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// CreatePolicyVersion adds a version to a managed policy, optionally the default one.
func (s *Service) CreatePolicyVersion(ctx context.Context, in *CreatePolicyVersionInput) (*PolicyVersionOutput, error) {
	doc, err := s.checkDocument("policyDocument", in.PolicyDocument, 6144, "PolicySize", false)
	if err != nil {
		return nil, err
	}
	var v PolicyVersion
	err = s.update(ctx, func(tx *store.Tx) error {
		p, err := localPolicy(tx, in.PolicyArn)
		if err != nil {
			return err
		}
		if len(p.Versions) >= maxVersions {
			return errLimit("A managed policy can have up to %d versions. Before you create a new version, you must delete an existing version.", maxVersions)
		}
		now := s.now()
		id := "v" + itoa(p.NextVersion)
		p.NextVersion++
		p.Versions = append(p.Versions, versionRec{VersionId: id, Document: doc, CreateDate: now})
		p.UpdateDate = now
		if deref(in.SetAsDefault) {
			p.DefaultVersionId = id
		}
		v = PolicyVersion{VersionId: id, IsDefaultVersion: p.DefaultVersionId == id, CreateDate: now}
		return tx.Put(policiesBucket, p.Arn, p)
	})
	if err != nil {
		return nil, err
	}
	return &PolicyVersionOutput{PolicyVersion: &v}, nil
}

// version finds a version of p or fails with NoSuchEntity.
func (p policyRec) version(id *string) (int, error) {
	if id == nil {
		return 0, errRequired("versionId")
	}
	i := slices.IndexFunc(p.Versions, func(v versionRec) bool { return v.VersionId == *id })
	if i < 0 {
		return 0, errNoSuchEntity("Policy %s version %s does not exist or is not attachable.", p.Arn, *id)
	}
	return i, nil
}

// GetPolicyVersion returns a version of a policy with its document, URL-encoded.
func (s *Service) GetPolicyVersion(ctx context.Context, in *PolicyVersionInput) (*PolicyVersionOutput, error) {
	if in.PolicyArn == nil {
		return nil, errRequired("policyArn")
	}
	var v PolicyVersion
	err := s.view(ctx, func(tx *store.Tx) error {
		p, err := getPolicy(tx, *in.PolicyArn)
		if err != nil {
			return err
		}
		i, err := p.version(in.VersionId)
		if err != nil {
			return err
		}
		r := p.Versions[i]
		v = PolicyVersion{Document: encodeDocument(r.Document), VersionId: r.VersionId, IsDefaultVersion: r.VersionId == p.DefaultVersionId, CreateDate: r.CreateDate}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &PolicyVersionOutput{PolicyVersion: &v}, nil
}

// ListPolicyVersions lists the versions of a policy, newest first.
func (s *Service) ListPolicyVersions(ctx context.Context, in *PolicyArnInput) (*ListPolicyVersionsOutput, error) {
	if in.PolicyArn == nil {
		return nil, errRequired("policyArn")
	}
	var vs []PolicyVersion
	err := s.view(ctx, func(tx *store.Tx) error {
		p, err := getPolicy(tx, *in.PolicyArn)
		for _, r := range p.Versions {
			vs = append(vs, PolicyVersion{VersionId: r.VersionId, IsDefaultVersion: r.VersionId == p.DefaultVersionId, CreateDate: r.CreateDate})
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	// Newest first: sort on the version number, descending.
	key := func(v PolicyVersion) string { return strings.Repeat("0", 12-min(12, len(v.VersionId))) + v.VersionId }
	items, next, more, err := page(vs, func(v PolicyVersion) string { return invert(key(v)) }, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &ListPolicyVersionsOutput{Versions: items, IsTruncated: more, Marker: next}, nil
}

// invert maps digits and letters so that sorting the results ascending sorts the
// inputs descending.
func invert(s string) string {
	b := []byte(s)
	for i, c := range b {
		b[i] = 0xFF - c
	}
	return string(b)
}

// DeletePolicyVersion deletes a version other than the default.
func (s *Service) DeletePolicyVersion(ctx context.Context, in *PolicyVersionInput) (*Empty, error) {
	err := s.update(ctx, func(tx *store.Tx) error {
		p, err := localPolicy(tx, in.PolicyArn)
		if err != nil {
			return err
		}
		i, err := p.version(in.VersionId)
		if err != nil {
			return err
		}
		if p.Versions[i].VersionId == p.DefaultVersionId {
			return errConflict("Cannot delete the default version of a policy.")
		}
		p.Versions = slices.Delete(p.Versions, i, i+1)
		return tx.Put(policiesBucket, p.Arn, p)
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// SetDefaultPolicyVersion makes a version the one in force.
func (s *Service) SetDefaultPolicyVersion(ctx context.Context, in *PolicyVersionInput) (*Empty, error) {
	err := s.update(ctx, func(tx *store.Tx) error {
		p, err := localPolicy(tx, in.PolicyArn)
		if err != nil {
			return err
		}
		i, err := p.version(in.VersionId)
		if err != nil {
			return err
		}
		p.DefaultVersionId = p.Versions[i].VersionId
		return tx.Put(policiesBucket, p.Arn, p)
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}
