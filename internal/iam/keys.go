// Package iam is Wharf's Identity and Access Management: the access keys that sign
// requests and the principals they stand for (Keys), and the IAM API (Service) with
// users, groups, roles with trust policies, access keys, managed policies with versions
// and inline policies. The policy language itself is package iam/policy; the API takes
// its parser through Config.ValidatePolicy, and the authorizer asks PoliciesFor and
// Role for the documents that apply to a principal.
//
// Where Wharf differs from AWS: passwords, MFA, instance profiles, permissions
// boundaries, SAML/OIDC providers and access-key last-use tracking are not served.
package iam

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/store"
)

const keysBucket = "iam.accesskeys"

// AccessKey is a stored access key and the principal it authenticates.
type AccessKey struct {
	AccessKeyID     string           `json:"accessKeyId"`
	SecretAccessKey string           `json:"secretAccessKey" sensitive:"true"`
	SessionToken    string           `json:"sessionToken,omitempty" sensitive:"true"`
	Expires         time.Time        `json:"expires,omitzero"`
	Status          string           `json:"status"` // Active, Inactive
	Principal       awsapi.Principal `json:"principal"`
	CreatedAt       time.Time        `json:"createdAt"`

	// UserName is the IAM user a long-term key (AKIA) belongs to; empty for the root
	// key and for temporary credentials.
	UserName string `json:"userName,omitempty"`
	// RoleArn and SessionName are set for the temporary credentials of an assumed role
	// (Principal.ARN is then the assumed-role ARN).
	RoleArn     string `json:"roleArn,omitempty"`
	SessionName string `json:"sessionName,omitempty"`
	// SessionPolicy is the session policy given to AssumeRole (JSON); the authorizer
	// intersects it with the role's policies.
	SessionPolicy string `json:"sessionPolicy,omitempty"`
	// SourceKeyID is the key that requested these temporary credentials.
	SourceKeyID string `json:"sourceKeyId,omitempty"`
	// Tags are the session tags (aws:PrincipalTag) of temporary credentials.
	SessionTags map[string]string `json:"sessionTags,omitempty"`
}

// Keys is the store of access keys.
type Keys struct {
	db    *store.DB
	cache *store.Cache[AccessKey] // every signed request looks its key up
}

// NewKeys returns the key store backed by db.
func NewKeys(db *store.DB) *Keys { return &Keys{db: db, cache: store.NewCache[AccessKey](keysBucket)} }

// EnsureRoot records the account's root key (idempotent).
func (k *Keys) EnsureRoot(accountID, accessKeyID, secret string) error {
	return k.db.Update(func(tx *store.Tx) error {
		var cur AccessKey
		err := tx.Get(keysBucket, accessKeyID, &cur)
		if err == nil && cur.SecretAccessKey == secret {
			return nil
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return tx.Put(keysBucket, accessKeyID, AccessKey{
			AccessKeyID:     accessKeyID,
			SecretAccessKey: secret,
			Status:          "Active",
			CreatedAt:       time.Now().UTC(),
			Principal: awsapi.Principal{
				AccountID: accountID, ARN: fmt.Sprintf("arn:aws:iam::%s:root", accountID),
				UserID: accountID, AccessKeyID: accessKeyID, Root: true,
			},
		})
	})
}

// Lookup returns the active key with the given id; ok is false when there is none.
func (k *Keys) Lookup(_ context.Context, accessKeyID string) (AccessKey, bool, error) {
	var key AccessKey
	err := k.db.View(func(tx *store.Tx) error {
		rec, err := k.cache.Get(tx, accessKeyID)
		if err == nil {
			key = *rec
		}
		return err
	})
	if errors.Is(err, store.ErrNotFound) || (err == nil && key.Status != "Active") {
		return AccessKey{}, false, nil
	}
	if err != nil {
		return AccessKey{}, false, err
	}
	return key, true, nil
}

// Put stores key (new or replaced).
func (k *Keys) Put(_ context.Context, key AccessKey) error {
	if key.AccessKeyID == "" {
		return errors.New("iam: an access key needs an id")
	}
	return k.db.Update(func(tx *store.Tx) error { return tx.Put(keysBucket, key.AccessKeyID, key) })
}

// Delete removes the key with the given id (absent is not an error).
func (k *Keys) Delete(_ context.Context, accessKeyID string) error {
	return k.db.Update(func(tx *store.Tx) error { return tx.Delete(keysBucket, accessKeyID) })
}

// Prune deletes the temporary keys that expired before now and returns how many.
func (k *Keys) Prune(_ context.Context, now time.Time) (int, error) {
	n := 0
	err := k.db.Update(func(tx *store.Tx) error {
		var dead []string
		err := tx.Scan(keysBucket, "", func(id string, raw []byte) error {
			var key AccessKey
			if err := store.Decode(raw, &key); err != nil {
				return err
			}
			if !key.Expires.IsZero() && !now.Before(key.Expires) {
				dead = append(dead, id)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, id := range dead {
			if err := tx.Delete(keysBucket, id); err != nil {
				return err
			}
		}
		n = len(dead)
		return nil
	})
	return n, err
}

// userKeys returns the long-term keys of an IAM user (any status), oldest first.
func userKeys(tx *store.Tx, userName string) ([]AccessKey, error) {
	var out []AccessKey
	err := tx.Scan(keysBucket, "", func(_ string, raw []byte) error {
		var key AccessKey
		if err := store.Decode(raw, &key); err != nil {
			return err
		}
		if key.UserName != "" && lower(key.UserName) == lower(userName) && key.Expires.IsZero() {
			out = append(out, key)
		}
		return nil
	})
	slices.SortFunc(out, func(a, b AccessKey) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, err
}
