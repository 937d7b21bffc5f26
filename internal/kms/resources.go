package kms

import (
	"context"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/store"
)

// resources returns the key ARN an operation is authorized on: the key its KeyId (or
// DestinationKeyId, TargetKeyId) names, resolved through aliases, or for Decrypt
// without a KeyId the key its ciphertext blob names. Operations on no key (CreateKey,
// ListKeys, GenerateRandom...) are authorized on "*".
func (s *Service) resources(ctx context.Context, in any) []string {
	v := reflect.ValueOf(in)
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil
	}
	var ids []string
	for _, field := range []string{"KeyId", "DestinationKeyId", "TargetKeyId"} {
		if id := stringField(v, field); id != "" {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		if f := v.FieldByName("CiphertextBlob"); f.IsValid() && f.Kind() == reflect.Slice {
			if id, ok := BlobKeyID(f.Bytes()); ok {
				ids = append(ids, id)
			}
		}
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		out = append(out, s.resolvedARN(ctx, id))
	}
	return out
}

// resolvedARN resolves a key id, ARN or alias to the key's ARN; an unknown key keeps an ARN
// built from what was given, so that authorization still has a resource to check.
func (s *Service) resolvedARN(ctx context.Context, id string) string {
	var arn string
	err := s.view(ctx, func(tx *store.Tx) error {
		k, err := s.resolve(tx, id, true)
		if err == nil {
			arn = k.ARN
		}
		return nil
	})
	if err == nil && arn != "" {
		return arn
	}
	if strings.HasPrefix(id, "arn:") {
		return id
	}
	return s.keyARN(id)
}

func stringField(v reflect.Value, name string) string {
	f := v.FieldByName(name)
	switch {
	case !f.IsValid():
		return ""
	case f.Kind() == reflect.String:
		return f.String()
	case f.Kind() == reflect.Pointer && !f.IsNil() && f.Elem().Kind() == reflect.String:
		return f.Elem().String()
	}
	return ""
}

// withResources sets the authorization resources of every operation of the table.
func (s *Service) withResources(ops map[string]awsapi.Operation) map[string]awsapi.Operation {
	for name, op := range ops {
		op.Resources = s.resources
		op.Conditions = s.conditions
		ops[name] = op
	}
	return ops
}

// EncryptionContextConditions returns the IAM condition keys of an encryption context:
// kms:EncryptionContext:<key> for each pair and kms:EncryptionContextKeys.
func EncryptionContextConditions(ec map[string]string) map[string][]string {
	if len(ec) == 0 {
		return nil
	}
	out := make(map[string][]string, len(ec)+1)
	for k, v := range ec {
		out["kms:EncryptionContext:"+k] = []string{v}
		out["kms:EncryptionContextKeys"] = append(out["kms:EncryptionContextKeys"], k)
	}
	return out
}

// conditions returns the KMS condition keys of a call: those of its encryption context
// (the source context for ReEncrypt's kms:ReEncryptFrom side is not told apart).
func (s *Service) conditions(_ context.Context, in any) map[string][]string {
	v := reflect.ValueOf(in)
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil
	}
	for _, name := range []string{"EncryptionContext", "SourceEncryptionContext"} {
		if f := v.FieldByName(name); f.IsValid() && f.Kind() == reflect.Map {
			if ec, ok := f.Interface().(map[string]string); ok && len(ec) > 0 {
				return EncryptionContextConditions(ec)
			}
		}
	}
	return nil
}

// ResourceTags returns the tags of the key an ARN names, for aws:ResourceTag/<key>.
func (s *Service) ResourceTags(ctx context.Context, arn string) map[string]string {
	var tags map[string]string
	_ = s.view(ctx, func(tx *store.Tx) error {
		k, err := s.resolve(tx, arn, true)
		if err != nil {
			return nil
		}
		tags = make(map[string]string, len(k.Tags))
		for _, t := range k.Tags {
			tags[t.TagKey] = t.TagValue
		}
		return nil
	})
	return tags
}

// GrantAllows reports whether a grant on the key keyARN names gives principalARN the
// IAM action ("kms:Decrypt"), given the call's condition keys (for the grant's
// encryption context constraints). A grant to a role covers its assumed-role
// sessions. Grants to whole accounts are not honoured: Wharf has one account, whose
// identities need IAM policies anyway.
func (s *Service) GrantAllows(ctx context.Context, keyARN, principalARN, action string, conditions map[string][]string) bool {
	op, ok := strings.CutPrefix(action, "kms:")
	if !ok {
		return false
	}
	ec := map[string]string{}
	for k, v := range conditions {
		if name, ok := strings.CutPrefix(k, "kms:EncryptionContext:"); ok && len(v) == 1 {
			ec[name] = v[0]
		}
	}
	allowed := false
	_ = s.view(ctx, func(tx *store.Tx) error {
		k, err := s.resolve(tx, keyARN, true)
		if err != nil {
			return nil
		}
		return tx.Scan(bucketGrants, k.ID+"/", func(_ string, raw []byte) error {
			var g grantRecord
			if err := store.Decode(raw, &g); err != nil {
				return err
			}
			if grantee(g.GranteePrincipal, principalARN) && slices.Contains(g.Operations, op) && g.Constraints.allow(ec) {
				allowed = true
				return store.ErrStop
			}
			return nil
		})
	})
	return allowed
}

// grantee reports whether a grant's grantee principal is the caller: the same ARN, or
// the role of an assumed-role session.
func grantee(granteeARN, callerARN string) bool {
	if granteeARN == callerARN {
		return true
	}
	// arn:aws:sts::<acct>:assumed-role/<role>/<session> is a session of
	// arn:aws:iam::<acct>:role/<path><role>.
	parts := strings.SplitN(callerARN, ":", 6)
	if len(parts) != 6 || parts[2] != "sts" || !strings.HasPrefix(parts[5], "assumed-role/") {
		return false
	}
	role := strings.Split(parts[5], "/")
	if len(role) < 3 {
		return false
	}
	g := strings.SplitN(granteeARN, ":", 6)
	return len(g) == 6 && g[2] == "iam" && g[4] == parts[4] && strings.HasPrefix(g[5], "role/") &&
		(g[5] == "role/"+role[1] || strings.HasSuffix(g[5], "/"+role[1]))
}

// allow reports whether an encryption context meets the constraints (none: any does).
func (c *GrantConstraints) allow(ec map[string]string) bool {
	if c == nil {
		return true
	}
	if len(c.EncryptionContextEquals) > 0 {
		return maps.Equal(c.EncryptionContextEquals, ec)
	}
	for k, v := range c.EncryptionContextSubset {
		if ec[k] != v {
			return false
		}
	}
	return true
}
