package kms

import (
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"errors"
	"hash"
	"strings"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/store"
)

var rsaSigningAlgorithms = []string{"RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512", "RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512"}

// usableKey resolves keyID (aliases allowed), which must be enabled and have usage.
func (s *Service) usableKey(ctx context.Context, keyID, usage string) (*keyRecord, error) {
	var k *keyRecord
	if err := s.view(ctx, func(tx *store.Tx) (err error) { k, err = s.resolve(tx, keyID, true); return err }); err != nil {
		return nil, err
	}
	if err := usable(k); err != nil {
		return nil, err
	}
	if k.Usage != usage {
		return nil, errUsage("%s key usage is %s which is not valid for this operation.", k.ARN, k.Usage)
	}
	return k, nil
}

// MacInput is the input of GenerateMac and VerifyMac.
type MacInput struct {
	KeyId        string   `json:"KeyId"`
	MacAlgorithm string   `json:"MacAlgorithm"`
	Message      []byte   `json:"Message" sensitive:"true"`
	Mac          []byte   `json:"Mac,omitempty"`
	GrantTokens  []string `json:"GrantTokens,omitempty"`
	DryRun       *bool    `json:"DryRun,omitempty"`
}

// GenerateMacOutput is the output of GenerateMac.
type GenerateMacOutput struct {
	KeyId        string `json:"KeyId"`
	Mac          []byte `json:"Mac"`
	MacAlgorithm string `json:"MacAlgorithm"`
}

// VerifyMacOutput is the output of VerifyMac.
type VerifyMacOutput struct {
	KeyId        string `json:"KeyId"`
	MacAlgorithm string `json:"MacAlgorithm"`
	MacValid     bool   `json:"MacValid"`
}

func (s *Service) mac(ctx context.Context, in *MacInput) (*keyRecord, []byte, error) {
	if len(in.Message) == 0 || len(in.Message) > 4096 {
		return nil, nil, errValidation("1 validation error detected: Value at 'message' failed to satisfy constraint: Member must have length between 1 and 4096")
	}
	var h func() hash.Hash
	switch in.MacAlgorithm {
	case "HMAC_SHA_224":
		h = sha256.New224
	case "HMAC_SHA_256":
		h = sha256.New
	case "HMAC_SHA_384":
		h = sha512.New384
	case "HMAC_SHA_512":
		h = sha512.New
	default:
		return nil, nil, errValidation("1 validation error detected: Value '%s' at 'macAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [HMAC_SHA_224, HMAC_SHA_256, HMAC_SHA_384, HMAC_SHA_512]", in.MacAlgorithm)
	}
	k, err := s.usableKey(ctx, in.KeyId, usageMAC)
	if err != nil {
		return nil, nil, err
	}
	if "HMAC_SHA_"+strings.TrimPrefix(k.Spec, "HMAC_") != in.MacAlgorithm {
		return nil, nil, errUsage("MAC algorithm %s is not valid for %s (key spec %s).", in.MacAlgorithm, k.ARN, k.Spec)
	}
	if err := dryRun(in.DryRun); err != nil {
		return nil, nil, err
	}
	m, err := s.material(k, len(k.Versions)-1)
	if err != nil {
		return nil, nil, s.internal(err)
	}
	mac := hmac.New(h, m)
	mac.Write(in.Message)
	return k, mac.Sum(nil), nil
}

// GenerateMac computes an HMAC of a message with an HMAC key.
func (s *Service) GenerateMac(ctx context.Context, in *MacInput) (*GenerateMacOutput, error) {
	k, sum, err := s.mac(ctx, in)
	if err != nil {
		return nil, err
	}
	return &GenerateMacOutput{KeyId: k.ARN, Mac: sum, MacAlgorithm: in.MacAlgorithm}, nil
}

// VerifyMac checks an HMAC; a mismatch is KMSInvalidMacException.
func (s *Service) VerifyMac(ctx context.Context, in *MacInput) (*VerifyMacOutput, error) {
	k, sum, err := s.mac(ctx, in)
	if err != nil {
		return nil, err
	}
	if !hmac.Equal(sum, in.Mac) {
		return nil, awsapi.Errorf("KMSInvalidMacException", "The MAC is not valid for this message, key and algorithm.")
	}
	return &VerifyMacOutput{KeyId: k.ARN, MacAlgorithm: in.MacAlgorithm, MacValid: true}, nil
}

// rsaKey returns the private key of RSA key k.
func (s *Service) rsaKey(k *keyRecord) (*rsa.PrivateKey, error) {
	der, err := s.material(k, len(k.Versions)-1)
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
	return rk, nil
}

var errNotRSA = errors.New("kms: key material is not an RSA key")

func oaepHash(alg string) hash.Hash {
	if alg == "RSAES_OAEP_SHA_1" {
		return sha1.New()
	}
	return sha256.New()
}

// rsaEncrypt encrypts with RSA-OAEP; the blob is the bare RSA ciphertext, as in KMS.
func (s *Service) rsaEncrypt(k *keyRecord, alg string, pt []byte) ([]byte, error) {
	priv, err := s.rsaKey(k)
	if err != nil {
		return nil, err
	}
	out, err := rsa.EncryptOAEP(oaepHash(alg), rand.Reader, &priv.PublicKey, pt, nil)
	if err != nil {
		return nil, errValidation("The plaintext is too long for %s with %s.", k.Spec, alg)
	}
	return out, nil
}

// rsaDecrypt decrypts an RSA-OAEP ciphertext.
func (s *Service) rsaDecrypt(k *keyRecord, alg string, blob []byte) ([]byte, error) {
	priv, err := s.rsaKey(k)
	if err != nil {
		return nil, err
	}
	pt, err := rsa.DecryptOAEP(oaepHash(alg), nil, priv, blob, nil)
	if err != nil {
		return nil, errCiphertext()
	}
	return pt, nil
}

// SignInput is the input of Sign and Verify.
type SignInput struct {
	KeyId            string   `json:"KeyId"`
	Message          []byte   `json:"Message" sensitive:"true"`
	MessageType      string   `json:"MessageType,omitempty"`
	Signature        []byte   `json:"Signature,omitempty"`
	SigningAlgorithm string   `json:"SigningAlgorithm"`
	GrantTokens      []string `json:"GrantTokens,omitempty"`
	DryRun           *bool    `json:"DryRun,omitempty"`
}

// SignOutput is the output of Sign.
type SignOutput struct {
	KeyId            string `json:"KeyId"`
	Signature        []byte `json:"Signature"`
	SigningAlgorithm string `json:"SigningAlgorithm"`
}

// VerifyOutput is the output of Verify.
type VerifyOutput struct {
	KeyId            string `json:"KeyId"`
	SignatureValid   bool   `json:"SignatureValid"`
	SigningAlgorithm string `json:"SigningAlgorithm"`
}

// digest hashes (or takes as already hashed) the message of a Sign/Verify request.
func (s *Service) digest(ctx context.Context, in *SignInput) (*rsa.PrivateKey, *keyRecord, crypto.Hash, []byte, error) {
	var h crypto.Hash
	switch {
	case strings.HasSuffix(in.SigningAlgorithm, "SHA_256"):
		h = crypto.SHA256
	case strings.HasSuffix(in.SigningAlgorithm, "SHA_384"):
		h = crypto.SHA384
	case strings.HasSuffix(in.SigningAlgorithm, "SHA_512"):
		h = crypto.SHA512
	}
	if !strings.HasPrefix(in.SigningAlgorithm, "RSASSA_") || h == 0 {
		return nil, nil, 0, nil, errValidation("1 validation error detected: Value '%s' at 'signingAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [%s]", in.SigningAlgorithm, strings.Join(rsaSigningAlgorithms, ", "))
	}
	if len(in.Message) == 0 || len(in.Message) > 4096 {
		return nil, nil, 0, nil, errValidation("1 validation error detected: Value at 'message' failed to satisfy constraint: Member must have length between 1 and 4096")
	}
	k, err := s.usableKey(ctx, in.KeyId, usageSign)
	if err != nil {
		return nil, nil, 0, nil, err
	}
	if err := dryRun(in.DryRun); err != nil {
		return nil, nil, 0, nil, err
	}
	var sum []byte
	switch in.MessageType {
	case "", "RAW":
		hh := h.New()
		hh.Write(in.Message)
		sum = hh.Sum(nil)
	case "DIGEST":
		if len(in.Message) != h.Size() {
			return nil, nil, 0, nil, errValidation("Digest is invalid length for algorithm %s.", in.SigningAlgorithm)
		}
		sum = in.Message
	default:
		return nil, nil, 0, nil, errValidation("1 validation error detected: Value '%s' at 'messageType' failed to satisfy constraint: Member must satisfy enum value set: [RAW, DIGEST]", in.MessageType)
	}
	priv, err := s.rsaKey(k)
	if err != nil {
		return nil, nil, 0, nil, err
	}
	return priv, k, h, sum, nil
}

// Sign signs a message (or digest) with an RSA SIGN_VERIFY key.
func (s *Service) Sign(ctx context.Context, in *SignInput) (*SignOutput, error) {
	priv, k, h, sum, err := s.digest(ctx, in)
	if err != nil {
		return nil, err
	}
	var sig []byte
	if strings.Contains(in.SigningAlgorithm, "_PSS_") {
		sig, err = rsa.SignPSS(rand.Reader, priv, h, sum, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	} else {
		sig, err = rsa.SignPKCS1v15(rand.Reader, priv, h, sum)
	}
	if err != nil {
		return nil, s.internal(err)
	}
	return &SignOutput{KeyId: k.ARN, Signature: sig, SigningAlgorithm: in.SigningAlgorithm}, nil
}

// Verify checks a signature; an invalid one is KMSInvalidSignatureException.
func (s *Service) Verify(ctx context.Context, in *SignInput) (*VerifyOutput, error) {
	priv, k, h, sum, err := s.digest(ctx, in)
	if err != nil {
		return nil, err
	}
	if strings.Contains(in.SigningAlgorithm, "_PSS_") {
		err = rsa.VerifyPSS(&priv.PublicKey, h, sum, in.Signature, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	} else {
		err = rsa.VerifyPKCS1v15(&priv.PublicKey, h, sum, in.Signature)
	}
	if err != nil {
		return nil, awsapi.Errorf("KMSInvalidSignatureException", "The signature is not valid for this message, key and algorithm.")
	}
	return &VerifyOutput{KeyId: k.ARN, SignatureValid: true, SigningAlgorithm: in.SigningAlgorithm}, nil
}

// GetPublicKeyOutput is the output of GetPublicKey.
type GetPublicKeyOutput struct {
	CustomerMasterKeySpec string   `json:"CustomerMasterKeySpec"`
	EncryptionAlgorithms  []string `json:"EncryptionAlgorithms,omitempty"`
	KeyId                 string   `json:"KeyId"`
	KeySpec               string   `json:"KeySpec"`
	KeyUsage              string   `json:"KeyUsage"`
	PublicKey             []byte   `json:"PublicKey"`
	SigningAlgorithms     []string `json:"SigningAlgorithms,omitempty"`
}

// GetPublicKey returns the DER SubjectPublicKeyInfo of an RSA key.
func (s *Service) GetPublicKey(ctx context.Context, in *KeyIdInput) (*GetPublicKeyOutput, error) {
	var k *keyRecord
	if err := s.view(ctx, func(tx *store.Tx) (err error) { k, err = s.resolve(tx, in.KeyId, true); return err }); err != nil {
		return nil, err
	}
	if err := usable(k); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(k.Spec, "RSA_") {
		return nil, errUnsupported("%s is not an asymmetric key (key spec %s).", k.ARN, k.Spec)
	}
	priv, err := s.rsaKey(k)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		return nil, s.internal(err)
	}
	m := s.metadata(k)
	return &GetPublicKeyOutput{
		CustomerMasterKeySpec: k.Spec, KeySpec: k.Spec, KeyUsage: k.Usage, KeyId: k.ARN, PublicKey: der,
		EncryptionAlgorithms: m.EncryptionAlgorithms, SigningAlgorithms: m.SigningAlgorithms,
	}, nil
}
