package kms

import (
	"context"
	"fmt"
	"time"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/store"
)

// maxOnDemandRotations is KMS's limit on RotateKeyOnDemand per key.
const maxOnDemandRotations = 25

// rotatable checks that k's material can be rotated by KMS.
func rotatable(k *keyRecord) error {
	if k.Spec != specSymmetric {
		return errUnsupported("%s has key spec %s; only symmetric encryption keys can be rotated.", k.ARN, k.Spec)
	}
	if k.Origin != originKMS {
		return errUnsupported("%s has origin %s; KMS rotates only keys whose material it generated.", k.ARN, k.Origin)
	}
	return usable(k)
}

// RotationInput is the input of EnableKeyRotation.
type RotationInput struct {
	KeyId                string `json:"KeyId"`
	RotationPeriodInDays *int32 `json:"RotationPeriodInDays,omitempty"`
}

// EnableKeyRotation turns on automatic rotation every RotationPeriodInDays (90 to
// 2560, default 365).
func (s *Service) EnableKeyRotation(ctx context.Context, in *RotationInput) (*Empty, error) {
	days := int32(365)
	if in.RotationPeriodInDays != nil {
		days = *in.RotationPeriodInDays
		if days < 90 || days > 2560 {
			return nil, errValidation("1 validation error detected: Value '%d' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value between 90 and 2560", days)
		}
	}
	_, err := s.changeKey(ctx, in.KeyId, func(k *keyRecord) error {
		if err := customerManaged(k, "EnableKeyRotation"); err != nil {
			return err
		}
		if err := rotatable(k); err != nil {
			return err
		}
		next := s.now().Add(time.Duration(days) * 24 * time.Hour)
		k.RotationEnabled, k.RotationPeriod, k.NextRotation = true, days, &next
		return nil
	})
	return &Empty{}, err
}

// DisableKeyRotation turns off automatic rotation.
func (s *Service) DisableKeyRotation(ctx context.Context, in *KeyIdInput) (*Empty, error) {
	_, err := s.changeKey(ctx, in.KeyId, func(k *keyRecord) error {
		if err := customerManaged(k, "DisableKeyRotation"); err != nil {
			return err
		}
		if err := rotatable(k); err != nil {
			return err
		}
		k.RotationEnabled, k.RotationPeriod, k.NextRotation = false, 0, nil
		return nil
	})
	return &Empty{}, err
}

// GetKeyRotationStatusOutput is the output of GetKeyRotationStatus.
type GetKeyRotationStatusOutput struct {
	KeyId                     string     `json:"KeyId"`
	KeyRotationEnabled        bool       `json:"KeyRotationEnabled"`
	NextRotationDate          *time.Time `json:"NextRotationDate,omitempty"`
	OnDemandRotationStartDate *time.Time `json:"OnDemandRotationStartDate,omitempty"`
	RotationPeriodInDays      *int32     `json:"RotationPeriodInDays,omitempty"`
}

// GetKeyRotationStatus reports whether automatic rotation is on, and when it is next due.
func (s *Service) GetKeyRotationStatus(ctx context.Context, in *KeyIdInput) (*GetKeyRotationStatusOutput, error) {
	var k *keyRecord
	if err := s.view(ctx, func(tx *store.Tx) (err error) { k, err = s.resolve(tx, in.KeyId, false); return err }); err != nil {
		return nil, err
	}
	if k.Spec != specSymmetric {
		return nil, errUnsupported("%s has key spec %s; only symmetric encryption keys can be rotated.", k.ARN, k.Spec)
	}
	if k.State == statePendingDeletion {
		return nil, usable(k)
	}
	out := &GetKeyRotationStatusOutput{KeyId: k.ARN, KeyRotationEnabled: k.RotationEnabled, OnDemandRotationStartDate: k.OnDemandStarted}
	if k.RotationEnabled {
		out.RotationPeriodInDays = ptr(k.RotationPeriod)
		out.NextRotationDate = k.NextRotation
	}
	return out, nil
}

// RotateKeyOnDemand adds a new version of the key's material now. New encryptions use
// it; ciphertexts of the older versions still decrypt.
func (s *Service) RotateKeyOnDemand(ctx context.Context, in *KeyIdInput) (*KeyIdOutput, error) {
	material := randomN(32)
	k, err := s.changeKey(ctx, in.KeyId, func(k *keyRecord) error {
		if err := customerManaged(k, "RotateKeyOnDemand"); err != nil {
			return err
		}
		if err := rotatable(k); err != nil {
			return err
		}
		n := 0
		for _, v := range k.Versions {
			if v.Rotation == "ON_DEMAND" {
				n++
			}
		}
		if n >= maxOnDemandRotations {
			return awsapi.Errorf("LimitExceededException", "%s has reached the limit of %d on-demand rotations.", k.ARN, maxOnDemandRotations)
		}
		s.addVersion(k, material, "ON_DEMAND")
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &KeyIdOutput{KeyId: k.ARN}, nil
}

// addVersion appends a version of material to k.
func (s *Service) addVersion(k *keyRecord, material []byte, rotation string) {
	ver := len(k.Versions)
	k.Versions = append(k.Versions, version{MaterialID: newHexID(32), Sealed: s.seal(k.ID, ver, material), Created: s.now(), Rotation: rotation})
}

// ListKeyRotationsOutput is the output of ListKeyRotations.
type ListKeyRotationsOutput struct {
	NextMarker string               `json:"NextMarker,omitempty"`
	Rotations  []RotationsListEntry `json:"Rotations"`
	Truncated  bool                 `json:"Truncated"`
}

// ListKeyRotationsInput is the input of ListKeyRotations.
type ListKeyRotationsInput struct {
	KeyId              string `json:"KeyId"`
	IncludeKeyMaterial string `json:"IncludeKeyMaterial,omitempty"`
	Limit              *int32 `json:"Limit,omitempty"`
	Marker             string `json:"Marker,omitempty"`
}

// ListKeyRotations lists the completed rotations of a key, oldest first.
func (s *Service) ListKeyRotations(ctx context.Context, in *ListKeyRotationsInput) (*ListKeyRotationsOutput, error) {
	var k *keyRecord
	if err := s.view(ctx, func(tx *store.Tx) (err error) { k, err = s.resolve(tx, in.KeyId, false); return err }); err != nil {
		return nil, err
	}
	if k.Spec != specSymmetric {
		return nil, errUnsupported("%s has key spec %s; only symmetric encryption keys can be rotated.", k.ARN, k.Spec)
	}
	type entry struct {
		idx int
		v   version
	}
	var entries []entry
	for i, v := range k.Versions {
		if v.Rotation != "" || (in.IncludeKeyMaterial == "ALL_KEY_MATERIAL" && i == 0) {
			entries = append(entries, entry{i, v})
		}
	}
	pg, next, err := page(entries, func(e entry) string { return fmt.Sprintf("%08d", e.idx) }, in.Marker, in.Limit)
	if err != nil {
		return nil, err
	}
	out := &ListKeyRotationsOutput{Rotations: []RotationsListEntry{}, NextMarker: next, Truncated: next != ""}
	for _, e := range pg {
		state := "NON_CURRENT"
		if e.idx == len(k.Versions)-1 {
			state = "CURRENT"
		}
		out.Rotations = append(out.Rotations, RotationsListEntry{
			KeyId: k.ARN, KeyMaterialId: e.v.MaterialID, KeyMaterialState: state,
			RotationDate: e.v.Created, RotationType: e.v.Rotation,
		})
	}
	return out, nil
}

// Run deletes keys whose deletion date has passed, rotates keys whose rotation is due
// and expires imported material whose ValidTo has passed, until ctx is done. It is
// level-triggered: each pass acts on whatever is due, so restarts lose nothing.
func (s *Service) Run(ctx context.Context) error {
	changed, stop := s.db.Watch()
	defer stop()
	for {
		wait := time.Minute
		next, err := s.reconcile(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			s.log.Error("kms: reconcile", "err", err)
			wait = 5 * time.Second
		} else if !next.IsZero() {
			wait = min(wait, max(next.Sub(s.clock.Now()), 0))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		case <-s.clock.After(wait):
		}
	}
}

// reconcile performs every due deletion, rotation and expiry, and returns when the
// next one is due (zero when none is scheduled).
func (s *Service) reconcile(ctx context.Context) (time.Time, error) {
	var keys []keyRecord
	if err := s.view(ctx, func(tx *store.Tx) (err error) {
		keys, err = store.List[keyRecord](tx, bucketKeys, "")
		return err
	}); err != nil {
		return time.Time{}, err
	}
	now := s.clock.Now()
	var next time.Time
	soonest := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	for _, k := range keys {
		switch {
		case k.State == statePendingDeletion && k.DeletionDate != nil:
			if k.DeletionDate.After(now) {
				soonest(*k.DeletionDate)
				continue
			}
			if err := s.deleteKey(ctx, k.ID); err != nil {
				return time.Time{}, err
			}
			s.log.Info("kms: deleted key", "key_arn", k.ARN)
		case k.State == stateEnabled && k.RotationEnabled && k.NextRotation != nil:
			if k.NextRotation.After(now) {
				soonest(*k.NextRotation)
				continue
			}
			if err := s.rotateDue(ctx, k.ID); err != nil {
				return time.Time{}, err
			}
			s.log.Info("kms: rotated key", "key_arn", k.ARN)
			soonest(now.Add(time.Duration(k.RotationPeriod) * 24 * time.Hour))
		}
		if k.ValidTo != nil && len(k.Versions) > 0 && k.State != statePendingDeletion {
			if k.ValidTo.After(now) {
				soonest(*k.ValidTo)
				continue
			}
			if err := s.expireMaterial(ctx, k.ID); err != nil {
				return time.Time{}, err
			}
			s.log.Info("kms: imported key material expired", "key_arn", k.ARN)
		}
	}
	return next, nil
}

// deleteKey deletes a key pending deletion whose date has passed, with its aliases
// and grants.
func (s *Service) deleteKey(ctx context.Context, id string) error {
	return s.update(ctx, func(tx *store.Tx) error {
		var k keyRecord
		if err := tx.Get(bucketKeys, id, &k); err != nil {
			if err == store.ErrNotFound {
				return nil
			}
			return err
		}
		if k.State != statePendingDeletion || k.DeletionDate == nil || k.DeletionDate.After(s.clock.Now()) {
			return nil // cancelled meanwhile
		}
		aliases, err := store.List[aliasRecord](tx, bucketAliases, "")
		if err != nil {
			return err
		}
		for _, a := range aliases {
			if a.KeyID == id {
				if err := tx.Delete(bucketAliases, a.Name); err != nil {
					return err
				}
			}
		}
		var grants []string
		if err := tx.Scan(bucketGrants, id+"/", func(key string, _ []byte) error { grants = append(grants, key); return nil }); err != nil {
			return err
		}
		for _, g := range grants {
			if err := tx.Delete(bucketGrants, g); err != nil {
				return err
			}
		}
		return tx.Delete(bucketKeys, id)
	})
}

// rotateDue rotates a key whose automatic rotation is due.
func (s *Service) rotateDue(ctx context.Context, id string) error {
	material := randomN(32)
	return s.update(ctx, func(tx *store.Tx) error {
		var k keyRecord
		if err := tx.Get(bucketKeys, id, &k); err != nil {
			if err == store.ErrNotFound {
				return nil
			}
			return err
		}
		if k.State != stateEnabled || !k.RotationEnabled || k.NextRotation == nil || k.NextRotation.After(s.clock.Now()) {
			return nil
		}
		s.addVersion(&k, material, "AUTOMATIC")
		next := s.now().Add(time.Duration(k.RotationPeriod) * 24 * time.Hour)
		k.NextRotation = &next
		return tx.Put(bucketKeys, id, &k)
	})
}
