package iam

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/store"
)

// PoliciesFor returns the identity policies of a principal, as JSON documents: the
// inline policies and the default versions of the attached managed policies of the
// IAM user (and of its groups) or of the role behind an assumed-role session. The root
// principal and unknown principals have none. Session policies are not included: they
// are in the AccessKey of the session (Keys.Lookup(p.AccessKeyID).SessionPolicy).
//
// The result is cached per principal until a user, group, role or policy changes; the
// returned slice is shared and must not be changed.
func (s *Service) PoliciesFor(ctx context.Context, p awsapi.Principal) ([][]byte, error) {
	if p.Root {
		return nil, nil
	}
	k, name, ok := identityOf(p.ARN)
	if !ok {
		return nil, nil
	}
	var docs [][]byte
	err := s.view(ctx, func(tx *store.Tx) error {
		gen := policyGeneration(tx)
		s.policyMu.Lock()
		cached, ok := s.policyCache[p.ARN]
		s.policyMu.Unlock()
		if ok && cached.gen == gen {
			docs = cached.docs
			return nil
		}
		defer func() {
			if gen == (policyGen{}) {
				return
			}
			s.policyMu.Lock()
			defer s.policyMu.Unlock()
			if len(s.policyCache) >= maxCachedPrincipals {
				clear(s.policyCache) // sessions come and go: start over rather than grow
			}
			s.policyCache[p.ARN] = policiesEntry{gen: gen, docs: docs}
		}()
		e, err := k.load(tx, name)
		if err != nil {
			if _, api := awsapi.As(err); api {
				return nil // deleted since the key was issued: no policies
			}
			return err
		}
		holders := []*policies{e.pols()}
		if u, ok := e.(*userRec); ok {
			for _, gn := range u.Groups {
				if g, err := getGroup(tx, gn); err == nil {
					holders = append(holders, &g.policies)
				}
			}
		}
		for _, h := range holders {
			for _, n := range slices.Sorted(maps.Keys(h.Inline)) {
				docs = append(docs, []byte(h.Inline[n]))
			}
			for _, arn := range h.Attached {
				pol, err := getPolicy(tx, arn)
				if err != nil {
					if _, api := awsapi.As(err); api {
						continue
					}
					return err
				}
				for _, v := range pol.Versions {
					if v.VersionId == pol.DefaultVersionId {
						docs = append(docs, []byte(v.Document))
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("iam: policies for %s: %w", p.ARN, err)
	}
	return docs, nil
}

// policyGen is the generation of every bucket identity policies are read from.
type policyGen [4]uint64

func policyGeneration(tx *store.Tx) policyGen {
	return policyGen{tx.Generation(usersBucket), tx.Generation(groupsBucket), tx.Generation(rolesBucket), tx.Generation(policiesBucket)}
}

// maxCachedPrincipals bounds the PoliciesFor cache.
const maxCachedPrincipals = 10000

// policiesEntry is a cached PoliciesFor result and the generation it was read at.
type policiesEntry struct {
	gen  policyGen
	docs [][]byte
}

// identityOf names the user or role that a principal ARN stands for: a user ARN
// (arn:aws:iam::<acct>:user/<path><name>) or an assumed-role session ARN
// (arn:aws:sts::<acct>:assumed-role/<role>/<session>).
func identityOf(arn string) (kind, string, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 {
		return kind{}, "", false
	}
	res := parts[5]
	switch {
	case parts[2] == "iam" && strings.HasPrefix(res, "user/"):
		return userKind, res[strings.LastIndex(res, "/")+1:], true
	case parts[2] == "sts" && strings.HasPrefix(res, "assumed-role/"):
		seg := strings.Split(res, "/")
		if len(seg) == 3 {
			return roleKind, seg[1], true
		}
	case parts[2] == "iam" && strings.HasPrefix(res, "role/"):
		return roleKind, res[strings.LastIndex(res, "/")+1:], true
	}
	return kind{}, "", false
}

// Role returns the role with the given ARN; ok is false when there is none. Its
// AssumeRolePolicyDocument is the trust policy as JSON.
func (s *Service) Role(ctx context.Context, arn string) (Role, bool, error) {
	k, name, ok := identityOf(arn)
	if !ok || k.label != "role" || !strings.HasPrefix(arn, "arn:aws:iam::"+s.account+":role/") {
		return Role{}, false, nil
	}
	var r Role
	found := false
	err := s.view(ctx, func(tx *store.Tx) error {
		var rec roleRec
		err := tx.Get(rolesBucket, lower(name), &rec)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		// The path is part of the ARN: role/app/web and role/web are different roles.
		if rec.Arn == arn {
			r, found = rec.Role, true
		}
		return nil
	})
	if err != nil {
		return Role{}, false, err
	}
	return r, found, nil
}

// GetAccountSummaryInput is the (empty) input of GetAccountSummary.
type GetAccountSummaryInput struct{}

// GetAccountSummaryOutput is the output of GetAccountSummary: usage and quotas.
type GetAccountSummaryOutput struct {
	SummaryMap map[string]int32 `json:"SummaryMap"`
}

// GetAccountSummary counts the account's IAM entities and shows the quotas.
func (s *Service) GetAccountSummary(ctx context.Context, _ *GetAccountSummaryInput) (*GetAccountSummaryOutput, error) {
	m := map[string]int32{
		"AccessKeysPerUserQuota": maxKeysPerUser, "AttachedPoliciesPerUserQuota": maxAttached,
		"AttachedPoliciesPerGroupQuota": maxAttached, "AttachedPoliciesPerRoleQuota": maxAttached,
		"PolicyVersionsInUseQuota": 10000, "VersionsPerPolicyQuota": maxVersions, "GroupsPerUserQuota": 10,
		"UsersQuota": 5000, "GroupsQuota": 300, "RolesQuota": 1000, "PoliciesQuota": 1500, "PolicySizeQuota": 6144,
		"UserPolicySizeQuota": 2048, "GroupPolicySizeQuota": 5120, "AssumeRolePolicySizeQuota": 2048,
	}
	err := s.view(ctx, func(tx *store.Tx) error {
		m["Users"] = int32(tx.Count(usersBucket, ""))
		m["Groups"] = int32(tx.Count(groupsBucket, ""))
		m["Roles"] = int32(tx.Count(rolesBucket, ""))
		m["Policies"] = int32(tx.Count(policiesBucket, ""))
		keys := 0
		err := tx.Scan(keysBucket, "", func(_ string, raw []byte) error {
			var k AccessKey
			if err := store.Decode(raw, &k); err != nil {
				return err
			}
			if k.Principal.Root {
				m["AccountAccessKeysPresent"] = 1
			}
			if k.UserName != "" {
				keys++
			}
			return nil
		})
		m["AccessKeysPerUser"] = int32(keys) // the model's name; AWS reports the total
		return err
	})
	if err != nil {
		return nil, err
	}
	return &GetAccountSummaryOutput{SummaryMap: m}, nil
}
