package kms

import "time"

// KeyMetadata describes a KMS key as DescribeKey and CreateKey return it.
type KeyMetadata struct {
	AWSAccountId                string     `json:"AWSAccountId,omitempty"`
	KeyId                       string     `json:"KeyId"`
	Arn                         string     `json:"Arn,omitempty"`
	CreationDate                time.Time  `json:"CreationDate,omitzero"`
	CurrentKeyMaterialId        string     `json:"CurrentKeyMaterialId,omitempty"`
	CustomerMasterKeySpec       string     `json:"CustomerMasterKeySpec,omitempty"`
	DeletionDate                *time.Time `json:"DeletionDate,omitempty"`
	Description                 string     `json:"Description"`
	Enabled                     bool       `json:"Enabled"`
	EncryptionAlgorithms        []string   `json:"EncryptionAlgorithms,omitempty"`
	ExpirationModel             string     `json:"ExpirationModel,omitempty"`
	KeyManager                  string     `json:"KeyManager,omitempty"`
	KeySpec                     string     `json:"KeySpec,omitempty"`
	KeyState                    string     `json:"KeyState,omitempty"`
	KeyUsage                    string     `json:"KeyUsage,omitempty"`
	MacAlgorithms               []string   `json:"MacAlgorithms,omitempty"`
	MultiRegion                 *bool      `json:"MultiRegion,omitempty"`
	Origin                      string     `json:"Origin,omitempty"`
	PendingDeletionWindowInDays *int32     `json:"PendingDeletionWindowInDays,omitempty"`
	SigningAlgorithms           []string   `json:"SigningAlgorithms,omitempty"`
	ValidTo                     *time.Time `json:"ValidTo,omitempty"`
}

// Tag is a key's tag.
type Tag struct {
	TagKey   string `json:"TagKey"`
	TagValue string `json:"TagValue"`
}

// KeyListEntry is one key in ListKeys.
type KeyListEntry struct {
	KeyId  string `json:"KeyId"`
	KeyArn string `json:"KeyArn"`
}

// AliasListEntry is one alias in ListAliases.
type AliasListEntry struct {
	AliasArn        string     `json:"AliasArn"`
	AliasName       string     `json:"AliasName"`
	TargetKeyId     string     `json:"TargetKeyId,omitempty"`
	CreationDate    *time.Time `json:"CreationDate,omitempty"`
	LastUpdatedDate *time.Time `json:"LastUpdatedDate,omitempty"`
}

// RotationsListEntry is one rotation in ListKeyRotations.
type RotationsListEntry struct {
	KeyId            string    `json:"KeyId"`
	KeyMaterialId    string    `json:"KeyMaterialId,omitempty"`
	KeyMaterialState string    `json:"KeyMaterialState,omitempty"`
	RotationDate     time.Time `json:"RotationDate"`
	RotationType     string    `json:"RotationType"`
}

// GrantConstraints limits a grant to requests with a given encryption context.
type GrantConstraints struct {
	EncryptionContextEquals map[string]string `json:"EncryptionContextEquals,omitempty"`
	EncryptionContextSubset map[string]string `json:"EncryptionContextSubset,omitempty"`
}

// GrantListEntry is one grant in ListGrants.
type GrantListEntry struct {
	Constraints       *GrantConstraints `json:"Constraints,omitempty"`
	CreationDate      time.Time         `json:"CreationDate"`
	GrantId           string            `json:"GrantId"`
	GranteePrincipal  string            `json:"GranteePrincipal,omitempty"`
	IssuingAccount    string            `json:"IssuingAccount,omitempty"`
	KeyId             string            `json:"KeyId"`
	Name              string            `json:"Name,omitempty"`
	Operations        []string          `json:"Operations"`
	RetiringPrincipal string            `json:"RetiringPrincipal,omitempty"`
}

// Key states, usages, specs and origins as KMS names them.
const (
	stateEnabled         = "Enabled"
	stateDisabled        = "Disabled"
	statePendingDeletion = "PendingDeletion"
	statePendingImport   = "PendingImport"

	usageEncrypt = "ENCRYPT_DECRYPT"
	usageSign    = "SIGN_VERIFY"
	usageMAC     = "GENERATE_VERIFY_MAC"

	specSymmetric = "SYMMETRIC_DEFAULT"

	originKMS      = "AWS_KMS"
	originExternal = "EXTERNAL"

	managerCustomer = "CUSTOMER"
	managerAWS      = "AWS"
)

// keyRecord is a key as stored (bucket "kms.keys", by key id).
type keyRecord struct {
	ID              string     `json:"id"`
	ARN             string     `json:"arn"`
	Created         time.Time  `json:"created"`
	Description     string     `json:"description"`
	State           string     `json:"state"`
	Usage           string     `json:"usage"`
	Spec            string     `json:"spec"`
	Origin          string     `json:"origin"`
	Manager         string     `json:"manager"`
	Policy          string     `json:"policy"`
	Tags            []Tag      `json:"tags,omitempty"`
	DeletionDate    *time.Time `json:"deletionDate,omitempty"`
	PendingWindow   int32      `json:"pendingWindow,omitempty"`
	Versions        []version  `json:"versions,omitempty"`
	RotationEnabled bool       `json:"rotationEnabled,omitempty"`
	RotationPeriod  int32      `json:"rotationPeriod,omitempty"`
	NextRotation    *time.Time `json:"nextRotation,omitempty"`
	OnDemandStarted *time.Time `json:"onDemandStarted,omitempty"`
	// Imported key material: the expiration model and date, and the outstanding
	// wrapping key of GetParametersForImport (sealed) with its token and deadline.
	ExpirationModel string     `json:"expirationModel,omitempty"`
	ValidTo         *time.Time `json:"validTo,omitempty"`
	ImportWrapKey   []byte     `json:"importWrapKey,omitempty"`
	ImportToken     []byte     `json:"importToken,omitempty"`
	ImportAlgorithm string     `json:"importAlgorithm,omitempty"`
	ImportValidTo   *time.Time `json:"importValidTo,omitempty"`
}

// version is one generation of a key's material, sealed under the master key. Its
// index in keyRecord.Versions is the key version a ciphertext blob names.
type version struct {
	MaterialID string    `json:"materialId"`
	Sealed     []byte    `json:"sealed"`
	Created    time.Time `json:"created"`
	Rotation   string    `json:"rotation,omitempty"` // "", AUTOMATIC or ON_DEMAND
	Digest     []byte    `json:"digest,omitempty"`   // SHA-256 of imported material, to match re-imports
}

// aliasRecord is an alias as stored (bucket "kms.aliases", by alias name).
type aliasRecord struct {
	Name    string    `json:"name"`
	KeyID   string    `json:"keyId"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

// grantRecord is a grant as stored (bucket "kms.grants", by "<key id>/<grant id>").
type grantRecord struct {
	GrantListEntry
	TokenDigest []byte `json:"tokenDigest"`
}

// Store buckets.
const (
	bucketKeys    = "kms.keys"
	bucketAliases = "kms.aliases"
	bucketGrants  = "kms.grants"
)
