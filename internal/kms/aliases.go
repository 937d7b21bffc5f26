package kms

import (
	"context"
	"regexp"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/store"
)

// AliasInput is the input of CreateAlias, UpdateAlias and DeleteAlias.
type AliasInput struct {
	AliasName   string `json:"AliasName"`
	TargetKeyId string `json:"TargetKeyId,omitempty"`
}

var aliasPattern = regexp.MustCompile(`^alias/[a-zA-Z0-9/_-]+$`)

// checkAliasName validates a customer alias name.
func checkAliasName(name string) error {
	if len(name) < 1 || len(name) > 256 {
		return errValidation("1 validation error detected: Value '%s' at 'aliasName' failed to satisfy constraint: Member must have length between 1 and 256", name)
	}
	if !aliasPattern.MatchString(name) {
		return awsapi.Errorf("InvalidAliasNameException", "Alias must start with the prefix \"alias/\" and contain only alphanumeric characters, forward slashes (/), underscores (_) and dashes (-): %s", name)
	}
	if strings.HasPrefix(name, "alias/aws/") || name == "alias/aws" {
		return awsapi.Errorf("InvalidAliasNameException", "Cannot create, update or delete the reserved alias %s: the prefix alias/aws/ is for AWS managed keys.", name)
	}
	return nil
}

// aliasTarget checks that a key can be the target of a customer alias.
func aliasTarget(k *keyRecord) error {
	if k.Manager == managerAWS {
		return errUnsupported("An alias cannot point to AWS managed key %s.", k.ARN)
	}
	if k.State == statePendingDeletion {
		return usable(k)
	}
	return nil
}

// CreateAlias names a key.
func (s *Service) CreateAlias(ctx context.Context, in *AliasInput) (*Empty, error) {
	if err := checkAliasName(in.AliasName); err != nil {
		return nil, err
	}
	return &Empty{}, s.update(ctx, func(tx *store.Tx) error {
		k, err := s.resolve(tx, in.TargetKeyId, false)
		if err != nil {
			return err
		}
		if err := aliasTarget(k); err != nil {
			return err
		}
		if tx.Has(bucketAliases, in.AliasName) {
			return awsapi.Errorf("AlreadyExistsException", "An alias with the name %s already exists", s.aliasARN(in.AliasName))
		}
		now := s.now()
		return tx.Put(bucketAliases, in.AliasName, &aliasRecord{Name: in.AliasName, KeyID: k.ID, Created: now, Updated: now})
	})
}

// UpdateAlias points an alias at another key.
func (s *Service) UpdateAlias(ctx context.Context, in *AliasInput) (*Empty, error) {
	if err := checkAliasName(in.AliasName); err != nil {
		return nil, err
	}
	return &Empty{}, s.update(ctx, func(tx *store.Tx) error {
		var a aliasRecord
		if err := tx.Get(bucketAliases, in.AliasName, &a); err != nil {
			if err == store.ErrNotFound {
				return errNotFound("Alias %s is not found.", s.aliasARN(in.AliasName))
			}
			return err
		}
		k, err := s.resolve(tx, in.TargetKeyId, false)
		if err != nil {
			return err
		}
		if err := aliasTarget(k); err != nil {
			return err
		}
		var old keyRecord
		if err := tx.Get(bucketKeys, a.KeyID, &old); err == nil && (old.Usage != k.Usage || old.Spec != k.Spec) {
			return errValidation("The new target key %s must have the same key spec and key usage as the current target %s.", k.ARN, old.ARN)
		}
		a.KeyID, a.Updated = k.ID, s.now()
		return tx.Put(bucketAliases, a.Name, &a)
	})
}

// DeleteAlias deletes an alias; its key is unaffected.
func (s *Service) DeleteAlias(ctx context.Context, in *AliasInput) (*Empty, error) {
	if err := checkAliasName(in.AliasName); err != nil {
		return nil, err
	}
	return &Empty{}, s.update(ctx, func(tx *store.Tx) error {
		if !tx.Has(bucketAliases, in.AliasName) {
			return errNotFound("Alias %s is not found.", s.aliasARN(in.AliasName))
		}
		return tx.Delete(bucketAliases, in.AliasName)
	})
}

// ListAliasesOutput is the output of ListAliases.
type ListAliasesOutput struct {
	Aliases    []AliasListEntry `json:"Aliases"`
	NextMarker string           `json:"NextMarker,omitempty"`
	Truncated  bool             `json:"Truncated"`
}

// ListAliases lists the aliases of the account, or of one key.
func (s *Service) ListAliases(ctx context.Context, in *ListInput) (*ListAliasesOutput, error) {
	var aliases []aliasRecord
	err := s.view(ctx, func(tx *store.Tx) error {
		keyID := ""
		if in.KeyId != "" {
			k, err := s.resolve(tx, in.KeyId, false)
			if err != nil {
				return err
			}
			keyID = k.ID
		}
		all, err := store.List[aliasRecord](tx, bucketAliases, "")
		for _, a := range all {
			if keyID == "" || a.KeyID == keyID {
				aliases = append(aliases, a)
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	pg, next, err := page(aliases, func(a aliasRecord) string { return a.Name }, in.Marker, in.Limit)
	if err != nil {
		return nil, err
	}
	out := &ListAliasesOutput{Aliases: []AliasListEntry{}, NextMarker: next, Truncated: next != ""}
	for _, a := range pg {
		out.Aliases = append(out.Aliases, AliasListEntry{
			AliasArn: s.aliasARN(a.Name), AliasName: a.Name, TargetKeyId: a.KeyID,
			CreationDate: ptr(a.Created), LastUpdatedDate: ptr(a.Updated),
		})
	}
	return out, nil
}

// ssmAlias is the alias of the AWS managed key that SSM uses by default.
const ssmAlias = "alias/aws/ssm"

// ssmPolicy is the key policy of the AWS managed key for SSM.
func (s *Service) ssmPolicy() string {
	return `{
  "Version" : "2012-10-17",
  "Id" : "auto-ssm-1",
  "Statement" : [ {
    "Sid" : "Allow access through AWS Systems Manager for all principals in the account that are authorized to use AWS Systems Manager",
    "Effect" : "Allow",
    "Principal" : {
      "AWS" : "*"
    },
    "Action" : [ "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey" ],
    "Resource" : "*",
    "Condition" : {
      "StringEquals" : {
        "kms:CallerAccount" : "` + s.account + `",
        "kms:ViaService" : "ssm.` + s.region + `.amazonaws.com"
      }
    }
  }, {
    "Sid" : "Allow direct access to key metadata to the account",
    "Effect" : "Allow",
    "Principal" : {
      "AWS" : "arn:aws:iam::` + s.account + `:root"
    },
    "Action" : [ "kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant" ],
    "Resource" : "*"
  } ]
}`
}

// ensureManaged creates the AWS managed key for SSM the first time keyID names it.
func (s *Service) ensureManaged(ctx context.Context, keyID string) error {
	if keyID != ssmAlias && keyID != s.aliasARN(ssmAlias) {
		return nil
	}
	exists := false
	if err := s.view(ctx, func(tx *store.Tx) error { exists = tx.Has(bucketAliases, ssmAlias); return nil }); err != nil || exists {
		return err
	}
	return s.update(ctx, func(tx *store.Tx) error {
		if tx.Has(bucketAliases, ssmAlias) {
			return nil
		}
		id := newUUID()
		now := s.now()
		next := now.Add(365 * 24 * time.Hour)
		material, _ := newMaterial(specSymmetric)
		k := &keyRecord{
			ID: id, ARN: s.keyARN(id), Created: now, State: stateEnabled, Usage: usageEncrypt,
			Spec: specSymmetric, Origin: originKMS, Manager: managerAWS, Policy: s.ssmPolicy(),
			Description:     "Default key that protects my SSM parameters when no other key is defined",
			Versions:        []version{{MaterialID: newHexID(32), Sealed: s.seal(id, 0, material), Created: now}},
			RotationEnabled: true, RotationPeriod: 365, NextRotation: &next,
		}
		if err := tx.Put(bucketKeys, id, k); err != nil {
			return err
		}
		return tx.Put(bucketAliases, ssmAlias, &aliasRecord{Name: ssmAlias, KeyID: id, Created: now, Updated: now})
	})
}
