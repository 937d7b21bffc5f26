// Package iam keeps Wharf's identities: today the access keys that sign requests and the
// principals they stand for. Policies and the IAM API build on it.
package iam

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/store"
)

const keysBucket = "iam.accesskeys"

// AccessKey is a stored access key and the principal it authenticates.
type AccessKey struct {
	AccessKeyID     string           `json:"accessKeyId"`
	SecretAccessKey string           `json:"secretAccessKey"`
	SessionToken    string           `json:"sessionToken,omitempty"`
	Expires         time.Time        `json:"expires,omitzero"`
	Status          string           `json:"status"` // Active, Inactive
	Principal       awsapi.Principal `json:"principal"`
	CreatedAt       time.Time        `json:"createdAt"`
}

// Keys is the store of access keys.
type Keys struct{ db *store.DB }

// NewKeys returns the key store backed by db.
func NewKeys(db *store.DB) *Keys { return &Keys{db: db} }

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
	err := k.db.View(func(tx *store.Tx) error { return tx.Get(keysBucket, accessKeyID, &key) })
	if errors.Is(err, store.ErrNotFound) || (err == nil && key.Status != "Active") {
		return AccessKey{}, false, nil
	}
	if err != nil {
		return AccessKey{}, false, err
	}
	return key, true, nil
}
