package kms

import (
	"context"
	"strings"
)

// EncryptInput is the input of Encrypt.
type EncryptInput struct {
	KeyId               string            `json:"KeyId"`
	Plaintext           []byte            `json:"Plaintext" sensitive:"true"`
	EncryptionAlgorithm string            `json:"EncryptionAlgorithm,omitempty"`
	EncryptionContext   map[string]string `json:"EncryptionContext,omitempty"`
	GrantTokens         []string          `json:"GrantTokens,omitempty"`
	DryRun              *bool             `json:"DryRun,omitempty"`
}

// EncryptOutput is the output of Encrypt.
type EncryptOutput struct {
	CiphertextBlob      []byte `json:"CiphertextBlob"`
	EncryptionAlgorithm string `json:"EncryptionAlgorithm"`
	KeyId               string `json:"KeyId"`
}

// Encrypt encrypts up to 4096 bytes under a key.
func (s *Service) Encrypt(ctx context.Context, in *EncryptInput) (*EncryptOutput, error) {
	if err := checkPlaintext(in.Plaintext); err != nil {
		return nil, err
	}
	k, err := s.encryptionKey(ctx, in.KeyId)
	if err != nil {
		return nil, err
	}
	if err := checkAlgorithm(k, in.EncryptionAlgorithm); err != nil {
		return nil, err
	}
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	if k.Spec != specSymmetric {
		blob, err := s.rsaEncrypt(k, in.EncryptionAlgorithm, in.Plaintext)
		if err != nil {
			return nil, err
		}
		return &EncryptOutput{CiphertextBlob: blob, EncryptionAlgorithm: in.EncryptionAlgorithm, KeyId: k.ARN}, nil
	}
	blob, err := s.encryptSym(k, in.Plaintext, in.EncryptionContext)
	if err != nil {
		return nil, s.internal(err)
	}
	return &EncryptOutput{CiphertextBlob: blob, EncryptionAlgorithm: "SYMMETRIC_DEFAULT", KeyId: k.ARN}, nil
}

// DecryptInput is the input of Decrypt.
type DecryptInput struct {
	CiphertextBlob      []byte            `json:"CiphertextBlob"`
	EncryptionAlgorithm string            `json:"EncryptionAlgorithm,omitempty"`
	EncryptionContext   map[string]string `json:"EncryptionContext,omitempty"`
	GrantTokens         []string          `json:"GrantTokens,omitempty"`
	KeyId               string            `json:"KeyId,omitempty"`
	DryRun              *bool             `json:"DryRun,omitempty"`
}

// DecryptOutput is the output of Decrypt.
type DecryptOutput struct {
	EncryptionAlgorithm string `json:"EncryptionAlgorithm"`
	KeyId               string `json:"KeyId"`
	KeyMaterialId       string `json:"KeyMaterialId,omitempty"`
	Plaintext           []byte `json:"Plaintext" sensitive:"true"`
}

// Decrypt decrypts a ciphertext blob made by Encrypt, GenerateDataKey or ReEncrypt.
func (s *Service) Decrypt(ctx context.Context, in *DecryptInput) (*DecryptOutput, error) {
	if len(in.CiphertextBlob) == 0 || len(in.CiphertextBlob) > 6144 {
		return nil, errValidation("1 validation error detected: Value at 'ciphertextBlob' failed to satisfy constraint: Member must have length between 1 and 6144")
	}
	if strings.HasPrefix(in.EncryptionAlgorithm, "RSAES_") {
		if in.KeyId == "" {
			return nil, errValidation("KeyId is required to decrypt with an asymmetric encryption algorithm.")
		}
		k, err := s.encryptionKey(ctx, in.KeyId)
		if err != nil {
			return nil, err
		}
		if err := checkAlgorithm(k, in.EncryptionAlgorithm); err != nil {
			return nil, err
		}
		if err := dryRun(in.DryRun); err != nil {
			return nil, err
		}
		pt, err := s.rsaDecrypt(k, in.EncryptionAlgorithm, in.CiphertextBlob)
		if err != nil {
			return nil, err
		}
		return &DecryptOutput{EncryptionAlgorithm: in.EncryptionAlgorithm, KeyId: k.ARN, Plaintext: pt}, nil
	}
	switch in.EncryptionAlgorithm {
	case "", "SYMMETRIC_DEFAULT":
	default:
		return nil, errValidation("1 validation error detected: Value '%s' at 'encryptionAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [SYMMETRIC_DEFAULT, RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, SM2PKE]", in.EncryptionAlgorithm)
	}
	d, err := s.decryptSym(ctx, in.CiphertextBlob, in.EncryptionContext, in.KeyId)
	if err != nil {
		return nil, err
	}
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	return &DecryptOutput{
		EncryptionAlgorithm: "SYMMETRIC_DEFAULT", KeyId: d.key.ARN,
		KeyMaterialId: d.key.Versions[d.version].MaterialID, Plaintext: d.plaintext,
	}, nil
}

// ReEncryptInput is the input of ReEncrypt.
type ReEncryptInput struct {
	CiphertextBlob                 []byte            `json:"CiphertextBlob"`
	DestinationKeyId               string            `json:"DestinationKeyId"`
	DestinationEncryptionAlgorithm string            `json:"DestinationEncryptionAlgorithm,omitempty"`
	DestinationEncryptionContext   map[string]string `json:"DestinationEncryptionContext,omitempty"`
	SourceEncryptionAlgorithm      string            `json:"SourceEncryptionAlgorithm,omitempty"`
	SourceEncryptionContext        map[string]string `json:"SourceEncryptionContext,omitempty"`
	SourceKeyId                    string            `json:"SourceKeyId,omitempty"`
	GrantTokens                    []string          `json:"GrantTokens,omitempty"`
	DryRun                         *bool             `json:"DryRun,omitempty"`
}

// ReEncryptOutput is the output of ReEncrypt.
type ReEncryptOutput struct {
	CiphertextBlob                 []byte `json:"CiphertextBlob"`
	DestinationEncryptionAlgorithm string `json:"DestinationEncryptionAlgorithm"`
	DestinationKeyMaterialId       string `json:"DestinationKeyMaterialId,omitempty"`
	KeyId                          string `json:"KeyId"`
	SourceEncryptionAlgorithm      string `json:"SourceEncryptionAlgorithm"`
	SourceKeyId                    string `json:"SourceKeyId"`
	SourceKeyMaterialId            string `json:"SourceKeyMaterialId,omitempty"`
}

// ReEncrypt decrypts a blob and encrypts its plaintext under another key (or the
// newest version of the same key) without exposing it.
func (s *Service) ReEncrypt(ctx context.Context, in *ReEncryptInput) (*ReEncryptOutput, error) {
	if len(in.CiphertextBlob) == 0 || len(in.CiphertextBlob) > 6144 {
		return nil, errValidation("1 validation error detected: Value at 'ciphertextBlob' failed to satisfy constraint: Member must have length between 1 and 6144")
	}
	for _, alg := range []string{in.SourceEncryptionAlgorithm, in.DestinationEncryptionAlgorithm} {
		if alg != "" && alg != "SYMMETRIC_DEFAULT" {
			return nil, errUnsupported("Wharf re-encrypts with symmetric keys only (algorithm %s).", alg)
		}
	}
	dst, err := s.encryptionKey(ctx, in.DestinationKeyId)
	if err != nil {
		return nil, err
	}
	if err := symmetricOnly(dst); err != nil {
		return nil, err
	}
	d, err := s.decryptSym(ctx, in.CiphertextBlob, in.SourceEncryptionContext, in.SourceKeyId)
	if err != nil {
		return nil, err
	}
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	blob, err := s.encryptSym(dst, d.plaintext, in.DestinationEncryptionContext)
	if err != nil {
		return nil, s.internal(err)
	}
	return &ReEncryptOutput{
		CiphertextBlob: blob, DestinationEncryptionAlgorithm: "SYMMETRIC_DEFAULT", KeyId: dst.ARN,
		DestinationKeyMaterialId:  dst.Versions[len(dst.Versions)-1].MaterialID,
		SourceEncryptionAlgorithm: "SYMMETRIC_DEFAULT", SourceKeyId: d.key.ARN,
		SourceKeyMaterialId: d.key.Versions[d.version].MaterialID,
	}, nil
}

// GenerateDataKeyInput is the input of GenerateDataKey and
// GenerateDataKeyWithoutPlaintext.
type GenerateDataKeyInput struct {
	KeyId             string            `json:"KeyId"`
	EncryptionContext map[string]string `json:"EncryptionContext,omitempty"`
	KeySpec           string            `json:"KeySpec,omitempty"`
	NumberOfBytes     *int32            `json:"NumberOfBytes,omitempty"`
	GrantTokens       []string          `json:"GrantTokens,omitempty"`
	DryRun            *bool             `json:"DryRun,omitempty"`
}

// GenerateDataKeyOutput is the output of GenerateDataKey.
type GenerateDataKeyOutput struct {
	CiphertextBlob []byte `json:"CiphertextBlob"`
	KeyId          string `json:"KeyId"`
	KeyMaterialId  string `json:"KeyMaterialId,omitempty"`
	Plaintext      []byte `json:"Plaintext,omitempty" sensitive:"true"`
}

// GenerateDataKey returns a random data key in plaintext and encrypted under a key.
func (s *Service) GenerateDataKey(ctx context.Context, in *GenerateDataKeyInput) (*GenerateDataKeyOutput, error) {
	n := 0
	switch {
	case in.KeySpec != "" && in.NumberOfBytes != nil:
		return nil, errValidation("Please specify either number of bytes or key spec, not both.")
	case in.KeySpec == "AES_256":
		n = 32
	case in.KeySpec == "AES_128":
		n = 16
	case in.KeySpec != "":
		return nil, errValidation("1 validation error detected: Value '%s' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]", in.KeySpec)
	case in.NumberOfBytes != nil:
		n = int(*in.NumberOfBytes)
		if n < 1 || n > 1024 {
			return nil, errValidation("1 validation error detected: Value '%d' at 'numberOfBytes' failed to satisfy constraint: Member must have value between 1 and 1024", n)
		}
	default:
		return nil, errValidation("Please specify either number of bytes or key spec.")
	}
	k, err := s.encryptionKey(ctx, in.KeyId)
	if err != nil {
		return nil, err
	}
	if err := symmetricOnly(k); err != nil {
		return nil, err
	}
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	pt := randomN(n)
	blob, err := s.encryptSym(k, pt, in.EncryptionContext)
	if err != nil {
		return nil, s.internal(err)
	}
	return &GenerateDataKeyOutput{CiphertextBlob: blob, KeyId: k.ARN, KeyMaterialId: k.Versions[len(k.Versions)-1].MaterialID, Plaintext: pt}, nil
}

// GenerateDataKeyWithoutPlaintext is GenerateDataKey that returns only the encrypted
// data key.
func (s *Service) GenerateDataKeyWithoutPlaintext(ctx context.Context, in *GenerateDataKeyInput) (*GenerateDataKeyOutput, error) {
	out, err := s.GenerateDataKey(ctx, in)
	if err != nil {
		return nil, err
	}
	clear(out.Plaintext)
	out.Plaintext = nil
	return out, nil
}

// GenerateRandomInput is the input of GenerateRandom.
type GenerateRandomInput struct {
	CustomKeyStoreId *string `json:"CustomKeyStoreId,omitempty"`
	NumberOfBytes    *int32  `json:"NumberOfBytes,omitempty"`
}

// GenerateRandomOutput is the output of GenerateRandom.
type GenerateRandomOutput struct {
	Plaintext []byte `json:"Plaintext" sensitive:"true"`
}

// GenerateRandom returns 1 to 1024 random bytes.
func (s *Service) GenerateRandom(ctx context.Context, in *GenerateRandomInput) (*GenerateRandomOutput, error) {
	if in.NumberOfBytes == nil {
		return nil, errValidation("1 validation error detected: Value null at 'numberOfBytes' failed to satisfy constraint: Member must not be null")
	}
	n := int(*in.NumberOfBytes)
	if n < 1 || n > 1024 {
		return nil, errValidation("1 validation error detected: Value '%d' at 'numberOfBytes' failed to satisfy constraint: Member must have value between 1 and 1024", n)
	}
	if in.CustomKeyStoreId != nil {
		return nil, errUnsupported("Custom key stores are not supported.")
	}
	return &GenerateRandomOutput{Plaintext: randomN(n)}, nil
}
