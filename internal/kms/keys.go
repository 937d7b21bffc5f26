package kms

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/store"
)

// CreateKeyInput is the input of CreateKey.
type CreateKeyInput struct {
	BypassPolicyLockoutSafetyCheck bool    `json:"BypassPolicyLockoutSafetyCheck,omitempty"`
	CustomKeyStoreId               *string `json:"CustomKeyStoreId,omitempty"`
	CustomerMasterKeySpec          string  `json:"CustomerMasterKeySpec,omitempty"`
	Description                    *string `json:"Description,omitempty"`
	KeySpec                        string  `json:"KeySpec,omitempty"`
	KeyUsage                       string  `json:"KeyUsage,omitempty"`
	MultiRegion                    *bool   `json:"MultiRegion,omitempty"`
	Origin                         string  `json:"Origin,omitempty"`
	Policy                         *string `json:"Policy,omitempty"`
	Tags                           []Tag   `json:"Tags,omitempty"`
	XksKeyId                       *string `json:"XksKeyId,omitempty"`
}

// CreateKeyOutput is the output of CreateKey.
type CreateKeyOutput struct {
	KeyMetadata *KeyMetadata `json:"KeyMetadata"`
}

var keySpecs = []string{"SYMMETRIC_DEFAULT", "RSA_2048", "RSA_3072", "RSA_4096", "HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512",
	"ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1", "SM2", "ML_DSA_44", "ML_DSA_65", "ML_DSA_87", "ECC_NIST_EDWARDS25519"}

// CreateKey creates a customer managed key.
func (s *Service) CreateKey(ctx context.Context, in *CreateKeyInput) (*CreateKeyOutput, error) {
	spec := in.KeySpec
	if spec == "" {
		spec = in.CustomerMasterKeySpec
	} else if in.CustomerMasterKeySpec != "" && in.CustomerMasterKeySpec != spec {
		return nil, errValidation("You cannot specify KeySpec and CustomerMasterKeySpec with different values.")
	}
	if spec == "" {
		spec = specSymmetric
	}
	if !slices.Contains(keySpecs, spec) {
		return nil, errValidation("1 validation error detected: Value '%s' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [%s]", spec, strings.Join(keySpecs, ", "))
	}
	usage := in.KeyUsage
	switch usage {
	case "":
		switch {
		case strings.HasPrefix(spec, "HMAC_"):
			return nil, errValidation("You must specify a KeyUsage value for an HMAC KMS key: GENERATE_VERIFY_MAC.")
		default:
			usage = usageEncrypt
		}
	case usageEncrypt, usageSign, usageMAC:
	case "KEY_AGREEMENT":
		return nil, errUnsupported("Wharf does not support KeyUsage KEY_AGREEMENT.")
	default:
		return nil, errValidation("1 validation error detected: Value '%s' at 'keyUsage' failed to satisfy constraint: Member must satisfy enum value set: [SIGN_VERIFY, ENCRYPT_DECRYPT, GENERATE_VERIFY_MAC, KEY_AGREEMENT]", usage)
	}
	switch {
	case spec == specSymmetric && usage != usageEncrypt,
		strings.HasPrefix(spec, "HMAC_") && usage != usageMAC,
		strings.HasPrefix(spec, "RSA_") && usage == usageMAC:
		return nil, errValidation("KeyUsage %s is not compatible with KeySpec %s.", usage, spec)
	case !strings.HasPrefix(spec, "RSA_") && !strings.HasPrefix(spec, "HMAC_") && spec != specSymmetric:
		return nil, errUnsupported("Wharf does not support KeySpec %s; use SYMMETRIC_DEFAULT, HMAC_* or RSA_*.", spec)
	}
	origin := in.Origin
	switch origin {
	case "":
		origin = originKMS
	case originKMS:
	case originExternal:
		if spec != specSymmetric {
			return nil, errUnsupported("Wharf imports key material for SYMMETRIC_DEFAULT keys only.")
		}
	case "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE":
		return nil, errUnsupported("Custom key stores are not supported: Origin %s.", origin)
	default:
		return nil, errValidation("1 validation error detected: Value '%s' at 'origin' failed to satisfy constraint: Member must satisfy enum value set: [AWS_CLOUDHSM, EXTERNAL, EXTERNAL_KEY_STORE, AWS_KMS]", origin)
	}
	if in.CustomKeyStoreId != nil || in.XksKeyId != nil {
		return nil, errUnsupported("Custom key stores are not supported.")
	}
	if deref(in.MultiRegion) {
		return nil, errUnsupported("Multi-Region keys are not supported.")
	}
	desc := deref(in.Description)
	if len(desc) > 8192 {
		return nil, errValidation("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 8192")
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	id := newUUID()
	policy := deref(in.Policy)
	if in.Policy == nil {
		policy = defaultPolicy(s.account)
	} else if err := validatePolicy(policy); err != nil {
		return nil, err
	}
	now := s.now()
	k := &keyRecord{
		ID: id, ARN: s.keyARN(id), Created: now, Description: desc, State: stateEnabled,
		Usage: usage, Spec: spec, Origin: origin, Manager: managerCustomer, Policy: policy,
		Tags: mergeTags(nil, in.Tags),
	}
	if origin == originExternal {
		k.State = statePendingImport
	} else {
		material, err := newMaterial(spec)
		if err != nil {
			return nil, s.internal(err)
		}
		k.Versions = []version{{MaterialID: newHexID(32), Sealed: s.seal(id, 0, material), Created: now}}
	}
	if err := s.update(ctx, func(tx *store.Tx) error { return tx.Put(bucketKeys, id, k) }); err != nil {
		return nil, err
	}
	return &CreateKeyOutput{KeyMetadata: s.metadata(k)}, nil
}

// defaultPolicy is the key policy AWS gives a key created without one.
func defaultPolicy(account string) string {
	return `{
  "Version" : "2012-10-17",
  "Id" : "key-default-1",
  "Statement" : [ {
    "Sid" : "Enable IAM User Permissions",
    "Effect" : "Allow",
    "Principal" : {
      "AWS" : "arn:aws:iam::` + account + `:root"
    },
    "Action" : "kms:*",
    "Resource" : "*"
  } ]
}`
}

// validatePolicy checks the shape of a key policy document.
func validatePolicy(doc string) error {
	bad := func(format string, args ...any) error {
		return awsapi.Errorf("MalformedPolicyDocumentException", format, args...)
	}
	if len(doc) == 0 || len(doc) > 32768 {
		return bad("The key policy must be between 1 and 32768 characters long.")
	}
	var p map[string]any
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		return bad("The key policy is not valid JSON: %v", err)
	}
	if v, ok := p["Version"]; ok && v != "2012-10-17" && v != "2008-10-17" {
		return bad("The policy Version %v is not supported.", v)
	}
	var stmts []any
	switch st := p["Statement"].(type) {
	case []any:
		stmts = st
	case map[string]any:
		stmts = []any{st}
	default:
		return bad("The key policy must contain a Statement.")
	}
	if len(stmts) == 0 {
		return bad("The key policy must contain at least one statement.")
	}
	for i, raw := range stmts {
		st, ok := raw.(map[string]any)
		if !ok {
			return bad("Statement %d is not an object.", i)
		}
		if e := st["Effect"]; e != "Allow" && e != "Deny" {
			return bad("Statement %d: Effect must be Allow or Deny.", i)
		}
		_, p := st["Principal"]
		_, np := st["NotPrincipal"]
		if !p && !np {
			return bad("Statement %d: a key policy statement must have a Principal.", i)
		}
		_, a := st["Action"]
		_, na := st["NotAction"]
		if a == na {
			return bad("Statement %d must have exactly one of Action and NotAction.", i)
		}
	}
	return nil
}

// resolve returns the key keyID names: a key id or key ARN, and when aliases is true
// also an alias name or alias ARN. In a read transaction the record is shared with
// other readers (store.Cache) and must not be changed; in a write transaction it is
// a fresh copy.
func (s *Service) resolve(tx *store.Tx, keyID string, aliases bool) (*keyRecord, error) {
	if keyID == "" {
		return nil, errValidation("1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null")
	}
	id := keyID
	if strings.HasPrefix(id, "arn:") {
		prefix := "arn:aws:kms:" + s.region + ":" + s.account + ":"
		rest, ok := strings.CutPrefix(id, prefix)
		if !ok {
			return nil, errNotFound("Invalid arn %s", keyID)
		}
		id = rest
		if kid, ok := strings.CutPrefix(rest, "key/"); ok {
			id = kid
		} else if !strings.HasPrefix(rest, "alias/") {
			return nil, errNotFound("Invalid arn %s", keyID)
		}
	}
	if strings.HasPrefix(id, "alias/") {
		if !aliases {
			return nil, errNotFound("Invalid keyId %s", keyID)
		}
		a, err := s.aliasCache.Get(tx, id)
		if err != nil {
			if err == store.ErrNotFound {
				return nil, errNotFound("Alias %s is not found.", s.aliasARN(id))
			}
			return nil, err
		}
		id = a.KeyID
	}
	k, err := s.keyCache.Get(tx, id)
	if err != nil {
		if err == store.ErrNotFound {
			if strings.HasPrefix(keyID, "arn:") || len(id) == 36 {
				return nil, errNotFound("Key '%s' does not exist", s.keyARN(id))
			}
			return nil, errNotFound("Invalid keyId %s", keyID)
		}
		return nil, err
	}
	return k, nil
}

// usable returns the error for using a key that is not enabled.
func usable(k *keyRecord) error {
	switch k.State {
	case stateEnabled:
		return nil
	case stateDisabled:
		return awsapi.Errorf("DisabledException", "%s is disabled.", k.ARN)
	case statePendingDeletion:
		return errState("%s is pending deletion.", k.ARN)
	case statePendingImport:
		return errState("%s is pending import.", k.ARN)
	}
	return errState("%s is in state %s.", k.ARN, k.State)
}

// customerManaged rejects changes to AWS managed keys.
func customerManaged(k *keyRecord, op string) error {
	if k.Manager == managerAWS {
		return errUnsupported("%s is not supported for AWS managed key %s.", op, k.ARN)
	}
	return nil
}

// metadata describes k as KMS does.
func (s *Service) metadata(k *keyRecord) *KeyMetadata {
	m := &KeyMetadata{
		AWSAccountId: s.account, KeyId: k.ID, Arn: k.ARN, CreationDate: k.Created,
		CustomerMasterKeySpec: k.Spec, KeySpec: k.Spec, Description: k.Description,
		Enabled: k.State == stateEnabled, KeyManager: k.Manager, KeyState: k.State,
		KeyUsage: k.Usage, MultiRegion: ptr(false), Origin: k.Origin,
		DeletionDate: k.DeletionDate, ValidTo: k.ValidTo, ExpirationModel: k.ExpirationModel,
	}
	if k.State == statePendingDeletion {
		m.PendingDeletionWindowInDays = ptr(k.PendingWindow)
	}
	if n := len(k.Versions); n > 0 && k.Spec == specSymmetric {
		m.CurrentKeyMaterialId = k.Versions[n-1].MaterialID
	}
	switch {
	case k.Spec == specSymmetric:
		m.EncryptionAlgorithms = []string{"SYMMETRIC_DEFAULT"}
	case strings.HasPrefix(k.Spec, "HMAC_"):
		m.MacAlgorithms = []string{"HMAC_SHA_" + strings.TrimPrefix(k.Spec, "HMAC_")}
	case k.Usage == usageEncrypt:
		m.EncryptionAlgorithms = []string{"RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"}
	default:
		m.SigningAlgorithms = rsaSigningAlgorithms
	}
	return m
}

// KeyIdInput is the input of the operations that take only a key (DescribeKey,
// EnableKey, DisableKey, CancelKeyDeletion, rotation status...).
type KeyIdInput struct {
	KeyId       string   `json:"KeyId"`
	GrantTokens []string `json:"GrantTokens,omitempty"`
}

// DescribeKeyOutput is the output of DescribeKey.
type DescribeKeyOutput struct {
	KeyMetadata *KeyMetadata `json:"KeyMetadata"`
}

// DescribeKey describes a key, by id, ARN or alias.
func (s *Service) DescribeKey(ctx context.Context, in *KeyIdInput) (*DescribeKeyOutput, error) {
	if err := s.ensureManaged(ctx, in.KeyId); err != nil {
		return nil, err
	}
	var k *keyRecord
	err := s.view(ctx, func(tx *store.Tx) (err error) {
		k, err = s.resolve(tx, in.KeyId, true)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &DescribeKeyOutput{KeyMetadata: s.metadata(k)}, nil
}

// ListInput is the input of the paginated List operations on keys.
type ListInput struct {
	KeyId  string `json:"KeyId,omitempty"`
	Limit  *int32 `json:"Limit,omitempty"`
	Marker string `json:"Marker,omitempty"`
}

// ListKeysOutput is the output of ListKeys.
type ListKeysOutput struct {
	Keys       []KeyListEntry `json:"Keys"`
	NextMarker string         `json:"NextMarker,omitempty"`
	Truncated  bool           `json:"Truncated"`
}

// ListKeys lists the account's keys, deleted ones excepted.
func (s *Service) ListKeys(ctx context.Context, in *ListInput) (*ListKeysOutput, error) {
	var keys []keyRecord
	if err := s.view(ctx, func(tx *store.Tx) (err error) {
		keys, err = store.List[keyRecord](tx, bucketKeys, "")
		return err
	}); err != nil {
		return nil, err
	}
	pg, next, err := page(keys, func(k keyRecord) string { return k.ID }, in.Marker, in.Limit)
	if err != nil {
		return nil, err
	}
	out := &ListKeysOutput{Keys: []KeyListEntry{}, NextMarker: next, Truncated: next != ""}
	for _, k := range pg {
		out.Keys = append(out.Keys, KeyListEntry{KeyId: k.ID, KeyArn: k.ARN})
	}
	return out, nil
}

// page returns the page of items (sorted by key) that starts at marker, and the marker
// of the next page ("" on the last). Markers are opaque: the base64 of the next key.
func page[T any](items []T, key func(T) string, marker string, limit *int32) ([]T, string, error) {
	n := 100
	if limit != nil {
		if *limit < 1 || *limit > 1000 {
			return nil, "", errValidation("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 1 and 1000", *limit)
		}
		n = int(*limit)
	}
	start := 0
	if marker != "" {
		from, err := base64.RawURLEncoding.DecodeString(marker)
		if err != nil || len(from) == 0 {
			return nil, "", awsapi.Errorf("InvalidMarkerException", "The marker %q is not valid.", marker)
		}
		start = len(items)
		for i, it := range items {
			if key(it) >= string(from) {
				start = i
				break
			}
		}
	}
	end := min(start+n, len(items))
	next := ""
	if end < len(items) {
		next = base64.RawURLEncoding.EncodeToString([]byte(key(items[end])))
	}
	return items[start:end], next, nil
}

// Empty is the output of the operations that return nothing.
type Empty struct{}

// changeKey runs fn on the key keyID names (no aliases) and stores the result.
func (s *Service) changeKey(ctx context.Context, keyID string, fn func(k *keyRecord) error) (*keyRecord, error) {
	var out *keyRecord
	err := s.update(ctx, func(tx *store.Tx) error {
		k, err := s.resolve(tx, keyID, false)
		if err != nil {
			return err
		}
		if err := fn(k); err != nil {
			return err
		}
		out = k
		return tx.Put(bucketKeys, k.ID, k)
	})
	return out, err
}

// EnableKey enables a disabled key.
func (s *Service) EnableKey(ctx context.Context, in *KeyIdInput) (*Empty, error) {
	_, err := s.changeKey(ctx, in.KeyId, func(k *keyRecord) error {
		if err := customerManaged(k, "EnableKey"); err != nil {
			return err
		}
		switch k.State {
		case stateEnabled, stateDisabled:
			k.State = stateEnabled
			return nil
		}
		return usable(k)
	})
	return &Empty{}, err
}

// DisableKey disables a key: it cannot be used until enabled again.
func (s *Service) DisableKey(ctx context.Context, in *KeyIdInput) (*Empty, error) {
	_, err := s.changeKey(ctx, in.KeyId, func(k *keyRecord) error {
		if err := customerManaged(k, "DisableKey"); err != nil {
			return err
		}
		switch k.State {
		case stateEnabled, stateDisabled:
			k.State = stateDisabled
			return nil
		}
		return usable(k)
	})
	return &Empty{}, err
}

// ScheduleKeyDeletionInput is the input of ScheduleKeyDeletion.
type ScheduleKeyDeletionInput struct {
	KeyId               string `json:"KeyId"`
	PendingWindowInDays *int32 `json:"PendingWindowInDays,omitempty"`
}

// ScheduleKeyDeletionOutput is the output of ScheduleKeyDeletion.
type ScheduleKeyDeletionOutput struct {
	DeletionDate        time.Time `json:"DeletionDate"`
	KeyId               string    `json:"KeyId"`
	KeyState            string    `json:"KeyState"`
	PendingWindowInDays int32     `json:"PendingWindowInDays"`
}

// ScheduleKeyDeletion puts a key in PendingDeletion; Run deletes it after the window.
func (s *Service) ScheduleKeyDeletion(ctx context.Context, in *ScheduleKeyDeletionInput) (*ScheduleKeyDeletionOutput, error) {
	days := int32(30)
	if in.PendingWindowInDays != nil {
		days = *in.PendingWindowInDays
		if days < 7 || days > 30 {
			return nil, errValidation("1 validation error detected: Value '%d' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value between 7 and 30", days)
		}
	}
	k, err := s.changeKey(ctx, in.KeyId, func(k *keyRecord) error {
		if err := customerManaged(k, "ScheduleKeyDeletion"); err != nil {
			return err
		}
		if k.State == statePendingDeletion {
			return errState("%s is pending deletion.", k.ARN)
		}
		at := s.now().Add(time.Duration(days) * 24 * time.Hour)
		k.State, k.DeletionDate, k.PendingWindow = statePendingDeletion, &at, days
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &ScheduleKeyDeletionOutput{DeletionDate: *k.DeletionDate, KeyId: k.ARN, KeyState: k.State, PendingWindowInDays: days}, nil
}

// KeyIdOutput is the output of the operations that return the key's ARN.
type KeyIdOutput struct {
	KeyId string `json:"KeyId"`
}

// CancelKeyDeletion cancels a scheduled deletion; the key is left Disabled.
func (s *Service) CancelKeyDeletion(ctx context.Context, in *KeyIdInput) (*KeyIdOutput, error) {
	k, err := s.changeKey(ctx, in.KeyId, func(k *keyRecord) error {
		if k.State != statePendingDeletion {
			return errState("%s is not pending deletion.", k.ARN)
		}
		k.State, k.DeletionDate, k.PendingWindow = stateDisabled, nil, 0
		if len(k.Versions) == 0 {
			k.State = statePendingImport
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &KeyIdOutput{KeyId: k.ARN}, nil
}

// UpdateKeyDescriptionInput is the input of UpdateKeyDescription.
type UpdateKeyDescriptionInput struct {
	KeyId       string `json:"KeyId"`
	Description string `json:"Description"`
}

// UpdateKeyDescription replaces a key's description.
func (s *Service) UpdateKeyDescription(ctx context.Context, in *UpdateKeyDescriptionInput) (*Empty, error) {
	if len(in.Description) > 8192 {
		return nil, errValidation("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 8192")
	}
	_, err := s.changeKey(ctx, in.KeyId, func(k *keyRecord) error {
		if err := customerManaged(k, "UpdateKeyDescription"); err != nil {
			return err
		}
		if k.State == statePendingDeletion {
			return usable(k)
		}
		k.Description = in.Description
		return nil
	})
	return &Empty{}, err
}

// PolicyInput is the input of GetKeyPolicy and PutKeyPolicy.
type PolicyInput struct {
	KeyId                          string  `json:"KeyId"`
	PolicyName                     *string `json:"PolicyName,omitempty"`
	Policy                         *string `json:"Policy,omitempty"`
	BypassPolicyLockoutSafetyCheck bool    `json:"BypassPolicyLockoutSafetyCheck,omitempty"`
}

// GetKeyPolicyOutput is the output of GetKeyPolicy.
type GetKeyPolicyOutput struct {
	Policy     string `json:"Policy"`
	PolicyName string `json:"PolicyName"`
}

func policyName(p *string) error {
	if p != nil && *p != "default" {
		return errNotFound("No such policy exists: %s. The only valid policy name is \"default\".", *p)
	}
	return nil
}

// GetKeyPolicy returns a key's policy (its only one, "default").
func (s *Service) GetKeyPolicy(ctx context.Context, in *PolicyInput) (*GetKeyPolicyOutput, error) {
	if err := policyName(in.PolicyName); err != nil {
		return nil, err
	}
	var k *keyRecord
	if err := s.view(ctx, func(tx *store.Tx) (err error) { k, err = s.resolve(tx, in.KeyId, false); return err }); err != nil {
		return nil, err
	}
	return &GetKeyPolicyOutput{Policy: k.Policy, PolicyName: "default"}, nil
}

// PutKeyPolicy replaces a key's policy.
func (s *Service) PutKeyPolicy(ctx context.Context, in *PolicyInput) (*Empty, error) {
	if err := policyName(in.PolicyName); err != nil {
		return nil, err
	}
	if in.Policy == nil {
		return nil, errValidation("1 validation error detected: Value null at 'policy' failed to satisfy constraint: Member must not be null")
	}
	if err := validatePolicy(*in.Policy); err != nil {
		return nil, err
	}
	_, err := s.changeKey(ctx, in.KeyId, func(k *keyRecord) error {
		if err := customerManaged(k, "PutKeyPolicy"); err != nil {
			return err
		}
		k.Policy = *in.Policy
		return nil
	})
	return &Empty{}, err
}

// ListKeyPoliciesOutput is the output of ListKeyPolicies.
type ListKeyPoliciesOutput struct {
	PolicyNames []string `json:"PolicyNames"`
	Truncated   bool     `json:"Truncated"`
}

// ListKeyPolicies lists a key's policy names: always "default".
func (s *Service) ListKeyPolicies(ctx context.Context, in *ListInput) (*ListKeyPoliciesOutput, error) {
	if err := s.view(ctx, func(tx *store.Tx) error { _, err := s.resolve(tx, in.KeyId, false); return err }); err != nil {
		return nil, err
	}
	return &ListKeyPoliciesOutput{PolicyNames: []string{"default"}}, nil
}

// KeyPolicy returns the policy of the key keyID names (id, ARN or alias), for the
// authorizer to evaluate together with IAM policies, and the key's ARN.
func (s *Service) KeyPolicy(ctx context.Context, keyID string) (policy, keyARN string, err error) {
	var k *keyRecord
	err = s.view(ctx, func(tx *store.Tx) (err error) { k, err = s.resolve(tx, keyID, true); return err })
	if err != nil {
		return "", "", err
	}
	return k.Policy, k.ARN, nil
}

// keyStateString is for log lines.
func (k *keyRecord) String() string { return fmt.Sprintf("%s (%s)", k.ARN, k.State) }
