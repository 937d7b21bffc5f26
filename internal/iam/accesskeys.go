package iam

import (
	"context"
	"errors"
	"strings"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/store"
)

// maxKeysPerUser is IAM's quota of access keys per user.
const maxKeysPerUser = 2

// Inputs and outputs of the access key operations.
type (
	// CreateAccessKeyInput is the input of CreateAccessKey; without a user name the key
	// is the caller's.
	CreateAccessKeyInput struct {
		UserName *string `json:"UserName,omitempty"`
	}
	// CreateAccessKeyOutput is the output of CreateAccessKey, with the secret.
	CreateAccessKeyOutput struct {
		AccessKey *AccessKeyInfo `json:"AccessKey,omitempty"`
	}
	// ListAccessKeysInput is the input of ListAccessKeys.
	ListAccessKeysInput struct {
		UserName *string `json:"UserName,omitempty"`
		Marker   *string `json:"Marker,omitempty"`
		MaxItems *int32  `json:"MaxItems,omitempty"`
	}
	// ListAccessKeysOutput is the output of ListAccessKeys.
	ListAccessKeysOutput struct {
		AccessKeyMetadata []AccessKeyMetadata `json:"AccessKeyMetadata"`
		IsTruncated       bool                `json:"IsTruncated"`
		Marker            *string             `json:"Marker,omitempty"`
	}
	// UpdateAccessKeyInput is the input of UpdateAccessKey.
	UpdateAccessKeyInput struct {
		UserName    *string `json:"UserName,omitempty"`
		AccessKeyId *string `json:"AccessKeyId,omitempty"`
		Status      *string `json:"Status,omitempty"`
	}
	// DeleteAccessKeyInput is the input of DeleteAccessKey.
	DeleteAccessKeyInput struct {
		UserName    *string `json:"UserName,omitempty"`
		AccessKeyId *string `json:"AccessKeyId,omitempty"`
	}
	// GetAccessKeyLastUsedInput is the input of GetAccessKeyLastUsed.
	GetAccessKeyLastUsedInput struct {
		AccessKeyId *string `json:"AccessKeyId,omitempty"`
	}
	// GetAccessKeyLastUsedOutput is the output of GetAccessKeyLastUsed.
	GetAccessKeyLastUsedOutput struct {
		UserName          *string            `json:"UserName,omitempty"`
		AccessKeyLastUsed *AccessKeyLastUsed `json:"AccessKeyLastUsed,omitempty"`
	}
)

// keyUser is the user an access key operation is about: the named one, or the IAM user
// who signed the request.
func keyUser(ctx context.Context, name *string) (string, error) {
	if name != nil {
		return checkName("userName", name, 64)
	}
	p, _ := awsapi.PrincipalFrom(ctx)
	if i := strings.Index(p.ARN, ":user/"); i >= 0 && !p.Root {
		return p.ARN[strings.LastIndex(p.ARN, "/")+1:], nil
	}
	return "", errValidation("Must specify userName when calling with non-User credentials")
}

// CreateAccessKey creates an access key for a user; SigV4 accepts it at once.
func (s *Service) CreateAccessKey(ctx context.Context, in *CreateAccessKeyInput) (*CreateAccessKeyOutput, error) {
	name, err := keyUser(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	var key AccessKey
	err = s.update(ctx, func(tx *store.Tx) error {
		u, err := getUser(tx, name)
		if err != nil {
			return err
		}
		keys, err := userKeys(tx, name)
		if err != nil {
			return err
		}
		if len(keys) >= maxKeysPerUser {
			return errLimit("Cannot exceed quota for AccessKeysPerUser: %d", maxKeysPerUser)
		}
		key = AccessKey{
			AccessKeyID: NewID("AKIA", 16), SecretAccessKey: NewSecret(40), Status: "Active",
			CreatedAt: s.now(), UserName: u.UserName,
			Principal: awsapi.Principal{AccountID: s.account, ARN: u.Arn, UserID: u.UserId},
		}
		key.Principal.AccessKeyID = key.AccessKeyID
		return tx.Put(keysBucket, key.AccessKeyID, key)
	})
	if err != nil {
		return nil, err
	}
	return &CreateAccessKeyOutput{AccessKey: &AccessKeyInfo{UserName: key.UserName, AccessKeyId: key.AccessKeyID,
		Status: key.Status, SecretAccessKey: key.SecretAccessKey, CreateDate: key.CreatedAt}}, nil
}

// ListAccessKeys lists a user's access keys.
func (s *Service) ListAccessKeys(ctx context.Context, in *ListAccessKeysInput) (*ListAccessKeysOutput, error) {
	name, err := keyUser(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	var md []AccessKeyMetadata
	err = s.view(ctx, func(tx *store.Tx) error {
		if _, err := getUser(tx, name); err != nil {
			return err
		}
		keys, err := userKeys(tx, name)
		for _, k := range keys {
			md = append(md, AccessKeyMetadata{UserName: k.UserName, AccessKeyId: k.AccessKeyID, Status: k.Status, CreateDate: k.CreatedAt})
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	items, next, more, err := page(md, func(k AccessKeyMetadata) string { return k.AccessKeyId }, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &ListAccessKeysOutput{AccessKeyMetadata: items, IsTruncated: more, Marker: next}, nil
}

// userKey loads one of a user's long-term keys or fails with NoSuchEntity.
func userKey(tx *store.Tx, user, id string) (AccessKey, error) {
	if _, err := getUser(tx, user); err != nil {
		return AccessKey{}, err
	}
	var k AccessKey
	err := tx.Get(keysBucket, id, &k)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (lower(k.UserName) != lower(user) || !k.Expires.IsZero())) {
		return k, errNoSuchEntity("The Access Key with id %s cannot be found.", id)
	}
	return k, err
}

// UpdateAccessKey makes a key Active or Inactive.
func (s *Service) UpdateAccessKey(ctx context.Context, in *UpdateAccessKeyInput) (*Empty, error) {
	name, err := keyUser(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	if in.AccessKeyId == nil {
		return nil, errRequired("accessKeyId")
	}
	if in.Status == nil {
		return nil, errRequired("status")
	}
	if *in.Status != "Active" && *in.Status != "Inactive" {
		return nil, errValidation("1 validation error detected: Value '%s' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]", *in.Status)
	}
	err = s.update(ctx, func(tx *store.Tx) error {
		k, err := userKey(tx, name, *in.AccessKeyId)
		if err != nil {
			return err
		}
		k.Status = *in.Status
		return tx.Put(keysBucket, k.AccessKeyID, k)
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// DeleteAccessKey deletes a user's access key.
func (s *Service) DeleteAccessKey(ctx context.Context, in *DeleteAccessKeyInput) (*Empty, error) {
	name, err := keyUser(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	if in.AccessKeyId == nil {
		return nil, errRequired("accessKeyId")
	}
	err = s.update(ctx, func(tx *store.Tx) error {
		k, err := userKey(tx, name, *in.AccessKeyId)
		if err != nil {
			return err
		}
		return tx.Delete(keysBucket, k.AccessKeyID)
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// GetAccessKeyLastUsed names the owner of a key; Wharf does not track use, so the
// service and region are N/A, as AWS reports for a key never used.
func (s *Service) GetAccessKeyLastUsed(ctx context.Context, in *GetAccessKeyLastUsedInput) (*GetAccessKeyLastUsedOutput, error) {
	if in.AccessKeyId == nil {
		return nil, errRequired("accessKeyId")
	}
	var k AccessKey
	err := s.view(ctx, func(tx *store.Tx) error {
		err := tx.Get(keysBucket, *in.AccessKeyId, &k)
		if errors.Is(err, store.ErrNotFound) || (err == nil && k.UserName == "") {
			return errNoSuchEntity("The Access Key with id %s cannot be found.", *in.AccessKeyId)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &GetAccessKeyLastUsedOutput{UserName: ptr(k.UserName), AccessKeyLastUsed: &AccessKeyLastUsed{ServiceName: "N/A", Region: "N/A"}}, nil
}
