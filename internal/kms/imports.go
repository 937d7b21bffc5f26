package kms

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"time"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/store"
)

// importTokenLife is how long GetParametersForImport's public key and token are valid.
const importTokenLife = 24 * time.Hour

// wrapKeyVersion is the seal version of a key's import wrapping key (not a key version).
const wrapKeyVersion = -1

// GetParametersForImportInput is the input of GetParametersForImport.
type GetParametersForImportInput struct {
	KeyId             string `json:"KeyId"`
	WrappingAlgorithm string `json:"WrappingAlgorithm"`
	WrappingKeySpec   string `json:"WrappingKeySpec"`
}

// GetParametersForImportOutput is the output of GetParametersForImport.
type GetParametersForImportOutput struct {
	ImportToken       []byte    `json:"ImportToken" sensitive:"true"`
	KeyId             string    `json:"KeyId"`
	ParametersValidTo time.Time `json:"ParametersValidTo"`
	PublicKey         []byte    `json:"PublicKey"`
}

// GetParametersForImport returns an RSA public key to wrap key material with and the
// import token to send with it, both valid for 24 hours, for a key of origin EXTERNAL.
func (s *Service) GetParametersForImport(ctx context.Context, in *GetParametersForImportInput) (*GetParametersForImportOutput, error) {
	switch in.WrappingAlgorithm {
	case "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256":
	case "RSAES_PKCS1_V1_5", "RSA_AES_KEY_WRAP_SHA_1", "RSA_AES_KEY_WRAP_SHA_256", "SM2PKE":
		return nil, errUnsupported("Wharf supports the wrapping algorithms RSAES_OAEP_SHA_1 and RSAES_OAEP_SHA_256, not %s.", in.WrappingAlgorithm)
	default:
		return nil, errValidation("1 validation error detected: Value '%s' at 'wrappingAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [RSAES_PKCS1_V1_5, RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, RSA_AES_KEY_WRAP_SHA_1, RSA_AES_KEY_WRAP_SHA_256, SM2PKE]", in.WrappingAlgorithm)
	}
	bits := 0
	switch in.WrappingKeySpec {
	case "RSA_2048":
		bits = 2048
	case "RSA_3072":
		bits = 3072
	case "RSA_4096":
		bits = 4096
	default:
		return nil, errValidation("1 validation error detected: Value '%s' at 'wrappingKeySpec' failed to satisfy constraint: Member must satisfy enum value set: [RSA_2048, RSA_3072, RSA_4096, SM2]", in.WrappingKeySpec)
	}
	var k *keyRecord
	if err := s.view(ctx, func(tx *store.Tx) (err error) { k, err = s.resolve(tx, in.KeyId, false); return err }); err != nil {
		return nil, err
	}
	if err := importable(k); err != nil {
		return nil, err
	}
	priv, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		return nil, s.internal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, s.internal(err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		return nil, s.internal(err)
	}
	id, _ := parseUUID(k.ID)
	token := append(append([]byte{1}, id...), randomN(32)...)
	digest := sha256.Sum256(token)
	validTo := s.now().Add(importTokenLife)
	sealed := s.seal(k.ID, wrapKeyVersion, der)
	k, err = s.changeKey(ctx, k.ID, func(k *keyRecord) error {
		if err := importable(k); err != nil {
			return err
		}
		k.ImportWrapKey, k.ImportToken, k.ImportAlgorithm, k.ImportValidTo = sealed, digest[:], in.WrappingAlgorithm, &validTo
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &GetParametersForImportOutput{ImportToken: token, KeyId: k.ARN, ParametersValidTo: validTo, PublicKey: pub}, nil
}

// importable checks that key material can be imported into k.
func importable(k *keyRecord) error {
	if k.Origin != originExternal {
		return errUnsupported("%s has origin %s; key material can be imported only into keys of origin EXTERNAL.", k.ARN, k.Origin)
	}
	if k.State == statePendingDeletion {
		return usable(k)
	}
	return nil
}

// ImportKeyMaterialInput is the input of ImportKeyMaterial.
type ImportKeyMaterialInput struct {
	KeyId                  string     `json:"KeyId"`
	EncryptedKeyMaterial   []byte     `json:"EncryptedKeyMaterial" sensitive:"true"`
	ImportToken            []byte     `json:"ImportToken" sensitive:"true"`
	ExpirationModel        string     `json:"ExpirationModel,omitempty"`
	ValidTo                *time.Time `json:"ValidTo,omitempty"`
	ImportType             string     `json:"ImportType,omitempty"`
	KeyMaterialDescription *string    `json:"KeyMaterialDescription,omitempty"`
	KeyMaterialId          *string    `json:"KeyMaterialId,omitempty"`
}

// ImportKeyMaterialOutput is the output of ImportKeyMaterial.
type ImportKeyMaterialOutput struct {
	KeyId         string `json:"KeyId"`
	KeyMaterialId string `json:"KeyMaterialId"`
}

// ImportKeyMaterial unwraps 256-bit key material with the wrapping key of the import
// token and makes it the key's material; the key becomes Enabled. Re-importing must
// bring the same material.
func (s *Service) ImportKeyMaterial(ctx context.Context, in *ImportKeyMaterialInput) (*ImportKeyMaterialOutput, error) {
	model := in.ExpirationModel
	switch model {
	case "":
		model = "KEY_MATERIAL_DOES_NOT_EXPIRE"
		if in.ValidTo != nil {
			model = "KEY_MATERIAL_EXPIRES"
		}
	case "KEY_MATERIAL_EXPIRES":
		if in.ValidTo == nil {
			return nil, errValidation("ValidTo is required when ExpirationModel is KEY_MATERIAL_EXPIRES.")
		}
	case "KEY_MATERIAL_DOES_NOT_EXPIRE":
		if in.ValidTo != nil {
			return nil, errValidation("ValidTo must be omitted when ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE.")
		}
	default:
		return nil, errValidation("1 validation error detected: Value '%s' at 'expirationModel' failed to satisfy constraint: Member must satisfy enum value set: [KEY_MATERIAL_EXPIRES, KEY_MATERIAL_DOES_NOT_EXPIRE]", model)
	}
	now := s.now()
	if in.ValidTo != nil && (!in.ValidTo.After(now) || in.ValidTo.After(now.AddDate(0, 0, 365))) {
		return nil, errValidation("ValidTo must be in the future and at most 365 days away.")
	}
	var k *keyRecord
	if err := s.view(ctx, func(tx *store.Tx) (err error) { k, err = s.resolve(tx, in.KeyId, false); return err }); err != nil {
		return nil, err
	}
	if err := importable(k); err != nil {
		return nil, err
	}
	digest := sha256.Sum256(in.ImportToken)
	if len(k.ImportToken) == 0 || subtle.ConstantTimeCompare(digest[:], k.ImportToken) != 1 {
		return nil, awsapi.Errorf("InvalidImportTokenException", "The import token is not valid for %s.", k.ARN)
	}
	if k.ImportValidTo == nil || !k.ImportValidTo.After(s.clock.Now()) {
		return nil, awsapi.Errorf("ExpiredImportTokenException", "The import token for %s has expired; call GetParametersForImport again.", k.ARN)
	}
	der, err := s.unseal(k.ID, wrapKeyVersion, k.ImportWrapKey)
	if err != nil {
		return nil, s.internal(err)
	}
	priv, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, s.internal(err)
	}
	rk, ok := priv.(*rsa.PrivateKey)
	if !ok {
		return nil, s.internal(errNotRSA)
	}
	material, err := rsa.DecryptOAEP(oaepHash(k.ImportAlgorithm), nil, rk, in.EncryptedKeyMaterial, nil)
	if err != nil {
		return nil, errCiphertext()
	}
	if len(material) != 32 {
		return nil, awsapi.Errorf("IncorrectKeyMaterialException", "The key material must be 256 bits (32 bytes) for a SYMMETRIC_DEFAULT key, got %d bytes.", len(material))
	}
	sum := sha256.Sum256(material)
	k, err = s.changeKey(ctx, k.ID, func(k *keyRecord) error {
		if err := importable(k); err != nil {
			return err
		}
		if len(k.Versions) > 0 {
			if !bytes.Equal(k.Versions[0].Digest, sum[:]) {
				return awsapi.Errorf("IncorrectKeyMaterialException", "The key material differs from the material previously imported into %s.", k.ARN)
			}
		} else {
			k.Versions = []version{{MaterialID: newHexID(32), Sealed: s.seal(k.ID, 0, material), Created: now, Digest: sum[:]}}
		}
		if k.State == statePendingImport {
			k.State = stateEnabled
		}
		k.ExpirationModel, k.ValidTo = model, in.ValidTo
		k.ImportWrapKey, k.ImportToken, k.ImportAlgorithm, k.ImportValidTo = nil, nil, "", nil
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &ImportKeyMaterialOutput{KeyId: k.ARN, KeyMaterialId: k.Versions[0].MaterialID}, nil
}

// DeleteImportedKeyMaterialInput is the input of DeleteImportedKeyMaterial.
type DeleteImportedKeyMaterialInput struct {
	KeyId         string  `json:"KeyId"`
	KeyMaterialId *string `json:"KeyMaterialId,omitempty"`
}

// DeleteImportedKeyMaterial deletes a key's imported material: it becomes PendingImport.
func (s *Service) DeleteImportedKeyMaterial(ctx context.Context, in *DeleteImportedKeyMaterialInput) (*ImportKeyMaterialOutput, error) {
	var id string
	k, err := s.changeKey(ctx, in.KeyId, func(k *keyRecord) error {
		if err := importable(k); err != nil {
			return err
		}
		if len(k.Versions) > 0 {
			id = k.Versions[0].MaterialID
		}
		dropMaterial(k)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &ImportKeyMaterialOutput{KeyId: k.ARN, KeyMaterialId: id}, nil
}

func dropMaterial(k *keyRecord) {
	k.Versions, k.ValidTo, k.ExpirationModel = nil, nil, ""
	if k.State != statePendingDeletion {
		k.State = statePendingImport
	}
}

// expireMaterial deletes imported material whose ValidTo has passed.
func (s *Service) expireMaterial(ctx context.Context, id string) error {
	return s.update(ctx, func(tx *store.Tx) error {
		var k keyRecord
		if err := tx.Get(bucketKeys, id, &k); err != nil {
			if err == store.ErrNotFound {
				return nil
			}
			return err
		}
		if k.ValidTo == nil || k.ValidTo.After(s.clock.Now()) {
			return nil
		}
		dropMaterial(&k)
		return tx.Put(bucketKeys, id, &k)
	})
}
