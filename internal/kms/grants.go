package kms

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"slices"
	"strings"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/store"
)

var grantOperations = []string{"Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncryptFrom", "ReEncryptTo",
	"Sign", "Verify", "GetPublicKey", "CreateGrant", "RetireGrant", "DescribeKey", "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext",
	"GenerateMac", "VerifyMac", "DeriveSharedSecret"}

// CreateGrantInput is the input of CreateGrant.
type CreateGrantInput struct {
	KeyId             string            `json:"KeyId"`
	GranteePrincipal  string            `json:"GranteePrincipal,omitempty"`
	Operations        []string          `json:"Operations"`
	Constraints       *GrantConstraints `json:"Constraints,omitempty"`
	Name              string            `json:"Name,omitempty"`
	RetiringPrincipal string            `json:"RetiringPrincipal,omitempty"`
	GrantTokens       []string          `json:"GrantTokens,omitempty"`
	DryRun            *bool             `json:"DryRun,omitempty"`
}

// CreateGrantOutput is the output of CreateGrant.
type CreateGrantOutput struct {
	GrantId    string `json:"GrantId"`
	GrantToken string `json:"GrantToken" sensitive:"true"`
}

// CreateGrant records a grant of operations on a key to a principal.
func (s *Service) CreateGrant(ctx context.Context, in *CreateGrantInput) (*CreateGrantOutput, error) {
	if in.GranteePrincipal == "" {
		return nil, errValidation("1 validation error detected: Value null at 'granteePrincipal' failed to satisfy constraint: Member must not be null")
	}
	if len(in.Operations) == 0 {
		return nil, errValidation("1 validation error detected: Value at 'operations' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	for _, op := range in.Operations {
		if !slices.Contains(grantOperations, op) {
			return nil, errValidation("1 validation error detected: Value '%s' at 'operations' failed to satisfy constraint: Member must satisfy enum value set: [%s]", op, strings.Join(grantOperations, ", "))
		}
	}
	if c := in.Constraints; c != nil && len(c.EncryptionContextEquals) > 0 && len(c.EncryptionContextSubset) > 0 {
		return nil, errValidation("A grant constraint may have EncryptionContextEquals or EncryptionContextSubset, not both.")
	}
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	var out *CreateGrantOutput
	err := s.update(ctx, func(tx *store.Tx) error {
		k, err := s.resolve(tx, in.KeyId, false)
		if err != nil {
			return err
		}
		if k.State == statePendingDeletion {
			return usable(k)
		}
		// The same request again returns the existing grant, as KMS does for a name.
		if in.Name != "" {
			existing, err := store.List[grantRecord](tx, bucketGrants, k.ID+"/")
			if err != nil {
				return err
			}
			for _, g := range existing {
				if g.Name == in.Name && g.GranteePrincipal == in.GranteePrincipal && slices.Equal(g.Operations, in.Operations) {
					out = &CreateGrantOutput{GrantId: g.GrantId, GrantToken: ""}
				}
			}
		}
		id := newHexID(32)
		token := base64.RawURLEncoding.EncodeToString(append([]byte(id), randomN(32)...))
		digest := sha256.Sum256([]byte(token))
		if out != nil {
			// Reissue a token for the existing grant.
			var g grantRecord
			if err := tx.Get(bucketGrants, k.ID+"/"+out.GrantId, &g); err != nil {
				return err
			}
			g.TokenDigest = digest[:]
			out.GrantToken = token
			return tx.Put(bucketGrants, k.ID+"/"+g.GrantId, &g)
		}
		g := grantRecord{
			GrantListEntry: GrantListEntry{
				Constraints: in.Constraints, CreationDate: s.now(), GrantId: id, GranteePrincipal: in.GranteePrincipal,
				IssuingAccount: "arn:aws:iam::" + s.account + ":root", KeyId: k.ARN, Name: in.Name,
				Operations: in.Operations, RetiringPrincipal: in.RetiringPrincipal,
			},
			TokenDigest: digest[:],
		}
		out = &CreateGrantOutput{GrantId: id, GrantToken: token}
		return tx.Put(bucketGrants, k.ID+"/"+id, &g)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListGrantsInput is the input of ListGrants.
type ListGrantsInput struct {
	KeyId            string `json:"KeyId"`
	GrantId          string `json:"GrantId,omitempty"`
	GranteePrincipal string `json:"GranteePrincipal,omitempty"`
	Limit            *int32 `json:"Limit,omitempty"`
	Marker           string `json:"Marker,omitempty"`
}

// ListGrantsOutput is the output of ListGrants.
type ListGrantsOutput struct {
	Grants     []GrantListEntry `json:"Grants"`
	NextMarker string           `json:"NextMarker,omitempty"`
	Truncated  bool             `json:"Truncated"`
}

// ListGrants lists a key's grants.
func (s *Service) ListGrants(ctx context.Context, in *ListGrantsInput) (*ListGrantsOutput, error) {
	var grants []grantRecord
	err := s.view(ctx, func(tx *store.Tx) error {
		k, err := s.resolve(tx, in.KeyId, false)
		if err != nil {
			return err
		}
		all, err := store.List[grantRecord](tx, bucketGrants, k.ID+"/")
		for _, g := range all {
			if (in.GrantId == "" || g.GrantId == in.GrantId) && (in.GranteePrincipal == "" || g.GranteePrincipal == in.GranteePrincipal) {
				grants = append(grants, g)
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	pg, next, err := page(grants, func(g grantRecord) string { return g.GrantId }, in.Marker, in.Limit)
	if err != nil {
		return nil, err
	}
	out := &ListGrantsOutput{Grants: []GrantListEntry{}, NextMarker: next, Truncated: next != ""}
	for _, g := range pg {
		out.Grants = append(out.Grants, g.GrantListEntry)
	}
	return out, nil
}

// GrantInput is the input of RevokeGrant and RetireGrant.
type GrantInput struct {
	KeyId      string `json:"KeyId,omitempty"`
	GrantId    string `json:"GrantId,omitempty"`
	GrantToken string `json:"GrantToken,omitempty" sensitive:"true"`
	DryRun     *bool  `json:"DryRun,omitempty"`
}

// RevokeGrant deletes a grant of a key.
func (s *Service) RevokeGrant(ctx context.Context, in *GrantInput) (*Empty, error) {
	if in.GrantId == "" {
		return nil, errValidation("1 validation error detected: Value null at 'grantId' failed to satisfy constraint: Member must not be null")
	}
	return &Empty{}, s.update(ctx, func(tx *store.Tx) error {
		k, err := s.resolve(tx, in.KeyId, false)
		if err != nil {
			return err
		}
		if !tx.Has(bucketGrants, k.ID+"/"+in.GrantId) {
			return errNotFound("Grant ID %s not found for key %s.", in.GrantId, k.ARN)
		}
		if err := dryRun(in.DryRun); err != nil {
			return err
		}
		return tx.Delete(bucketGrants, k.ID+"/"+in.GrantId)
	})
}

// RetireGrant deletes a grant named by its token, or by key and grant id.
func (s *Service) RetireGrant(ctx context.Context, in *GrantInput) (*Empty, error) {
	if in.GrantToken == "" && (in.KeyId == "" || in.GrantId == "") {
		return nil, errValidation("Either GrantToken, or both KeyId and GrantId, must be specified.")
	}
	return &Empty{}, s.update(ctx, func(tx *store.Tx) error {
		var key string
		if in.GrantToken != "" {
			raw, err := base64.RawURLEncoding.DecodeString(in.GrantToken)
			if err != nil || len(raw) < 64 {
				return awsapi.Errorf("InvalidGrantTokenException", "The grant token is not valid.")
			}
			digest := sha256.Sum256([]byte(in.GrantToken))
			grantID := string(raw[:64])
			err = tx.Scan(bucketGrants, "", func(k string, v []byte) error {
				var g grantRecord
				if err := store.Decode(v, &g); err != nil {
					return err
				}
				if g.GrantId == grantID && string(g.TokenDigest) == string(digest[:]) {
					key = k
					return store.ErrStop
				}
				return nil
			})
			if err != nil {
				return err
			}
			if key == "" {
				return awsapi.Errorf("InvalidGrantTokenException", "The grant token is not valid.")
			}
		} else {
			k, err := s.resolve(tx, in.KeyId, false)
			if err != nil {
				return err
			}
			key = k.ID + "/" + in.GrantId
			if !tx.Has(bucketGrants, key) {
				return errNotFound("Grant ID %s not found for key %s.", in.GrantId, k.ARN)
			}
		}
		if err := dryRun(in.DryRun); err != nil {
			return err
		}
		return tx.Delete(bucketGrants, key)
	})
}
