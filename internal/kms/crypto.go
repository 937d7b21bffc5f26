package kms

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/binary"
	"fmt"
	"sort"
	"strings"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/store"
)

// A ciphertext blob of a symmetric key is:
//
//	byte 0      blobVersion
//	bytes 1-16  the key id (UUID bytes)
//	bytes 17-20 the key version (big-endian uint32), an index into the key's versions
//	bytes 21-32 a random GCM nonce
//	bytes 33-   the AES-256-GCM ciphertext and tag
//
// The GCM additional data is the 21-byte header followed by the canonical encryption
// context, so neither the header nor the context can be changed.
const (
	blobVersion = 1
	headerLen   = 1 + 16 + 4
	nonceLen    = 12
	minBlobLen  = headerLen + nonceLen + 16
)

// maxPlaintext is KMS's limit on Encrypt's plaintext; maxInProcess is the limit of
// EncryptFor, which serves SSM's advanced parameters (8 KB) too.
const (
	maxPlaintext = 4096
	maxInProcess = 64 << 10
)

// canonicalContext encodes an encryption context unambiguously: the pairs sorted by
// key, each string prefixed by its length.
func canonicalContext(dst []byte, ec map[string]string) []byte {
	keys := make([]string, 0, len(ec))
	for k := range ec {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(keys)))
	for _, k := range keys {
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(k)))
		dst = append(dst, k...)
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(ec[k])))
		dst = append(dst, ec[k]...)
	}
	return dst
}

// newMaterial returns fresh key material for a key spec: raw bytes for symmetric and
// HMAC keys, a PKCS #8 private key for RSA keys.
func newMaterial(spec string) ([]byte, error) {
	switch spec {
	case specSymmetric:
		return randomN(32), nil
	case "HMAC_224":
		return randomN(28), nil
	case "HMAC_256":
		return randomN(32), nil
	case "HMAC_384":
		return randomN(48), nil
	case "HMAC_512":
		return randomN(64), nil
	case "RSA_2048", "RSA_3072", "RSA_4096":
		var bits int
		fmt.Sscanf(spec, "RSA_%d", &bits)
		priv, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			return nil, fmt.Errorf("kms: generate %s key: %w", spec, err)
		}
		return x509.MarshalPKCS8PrivateKey(priv)
	}
	return nil, fmt.Errorf("kms: no material for key spec %s", spec)
}

func randomN(n int) []byte {
	b := make([]byte, n)
	randomBytes(b)
	return b
}

// material returns the plaintext material of version ver of k.
func (s *Service) material(k *keyRecord, ver int) ([]byte, error) {
	if ver < 0 || ver >= len(k.Versions) {
		return nil, fmt.Errorf("kms: key %s has no version %d", k.ID, ver)
	}
	return s.unseal(k.ID, ver, k.Versions[ver].Sealed)
}

// aead returns the AES-GCM of version ver of symmetric key k, cached.
func (s *Service) aead(k *keyRecord, ver int) (cipher.AEAD, error) {
	if ver < 0 || ver >= len(k.Versions) {
		return nil, errCiphertext()
	}
	cacheKey := fmt.Sprintf("%s/%d/%s", k.ID, ver, k.Versions[ver].MaterialID)
	if a, ok := s.aeads.Load(cacheKey); ok {
		return a.(cipher.AEAD), nil
	}
	m, err := s.material(k, ver)
	if err != nil {
		return nil, err
	}
	a, err := newGCM(m)
	if err != nil {
		return nil, fmt.Errorf("kms: key %s version %d: %w", k.ID, ver, err)
	}
	s.aeads.Store(cacheKey, a)
	return a, nil
}

// encryptSym encrypts pt under the newest version of symmetric key k.
func (s *Service) encryptSym(k *keyRecord, pt []byte, ec map[string]string) ([]byte, error) {
	ver := len(k.Versions) - 1
	a, err := s.aead(k, ver)
	if err != nil {
		return nil, err
	}
	id, ok := parseUUID(k.ID)
	if !ok {
		return nil, fmt.Errorf("kms: key id %q is not a UUID", k.ID)
	}
	blob := make([]byte, 0, headerLen+nonceLen+len(pt)+16)
	blob = append(blob, blobVersion)
	blob = append(blob, id...)
	blob = binary.BigEndian.AppendUint32(blob, uint32(ver))
	nonce := randomN(nonceLen)
	aad := canonicalContext(blob[:headerLen:headerLen], ec)
	blob = append(blob, nonce...)
	return a.Seal(blob, nonce, pt, aad), nil
}

// decrypted is the result of decrypting a symmetric blob.
type decrypted struct {
	plaintext []byte
	key       *keyRecord
	version   int
}

// decryptSym decrypts a symmetric ciphertext blob. wantKey, when set, must name the
// key the blob was made with.
func (s *Service) decryptSym(ctx context.Context, blob []byte, ec map[string]string, wantKey string) (*decrypted, error) {
	if len(blob) < minBlobLen || blob[0] != blobVersion {
		return nil, errCiphertext()
	}
	keyID := formatUUID(blob[1:17])
	ver := int(binary.BigEndian.Uint32(blob[17:21]))
	var k *keyRecord
	err := s.view(ctx, func(tx *store.Tx) error {
		if wantKey != "" {
			want, err := s.resolve(tx, wantKey, true)
			if err != nil {
				return err
			}
			if want.ID != keyID {
				return awsapi.Errorf("IncorrectKeyException", "The key ID in the request does not identify a CMK that can perform this operation.")
			}
		}
		rec, err := s.keyCache.Get(tx, keyID)
		if err != nil {
			if err == store.ErrNotFound {
				return errCiphertext()
			}
			return err
		}
		k = rec
		return nil
	})
	if err != nil {
		return nil, err
	}
	if k.Spec != specSymmetric {
		return nil, errCiphertext()
	}
	if err := usable(k); err != nil {
		return nil, err
	}
	if ver >= len(k.Versions) {
		return nil, errCiphertext()
	}
	a, err := s.aead(k, ver)
	if err != nil {
		return nil, s.internal(err)
	}
	aad := canonicalContext(blob[:headerLen:headerLen], ec)
	pt, err := a.Open(nil, blob[headerLen:headerLen+nonceLen], blob[headerLen+nonceLen:], aad)
	if err != nil {
		return nil, errCiphertext()
	}
	return &decrypted{plaintext: pt, key: k, version: ver}, nil
}

// encryptionKey resolves keyID for encryption: it must exist, be enabled and be a
// symmetric ENCRYPT_DECRYPT key (RSA keys are handled by the callers).
func (s *Service) encryptionKey(ctx context.Context, keyID string) (*keyRecord, error) {
	if err := s.ensureManaged(ctx, keyID); err != nil {
		return nil, err
	}
	var k *keyRecord
	if err := s.view(ctx, func(tx *store.Tx) (err error) { k, err = s.resolve(tx, keyID, true); return err }); err != nil {
		return nil, err
	}
	if err := usable(k); err != nil {
		return nil, err
	}
	if k.Usage != usageEncrypt {
		return nil, errUsage("%s key usage is %s which is not valid for this operation.", k.ARN, k.Usage)
	}
	return k, nil
}

// symmetricOnly rejects asymmetric keys in operations only symmetric keys perform.
func symmetricOnly(k *keyRecord) error {
	if k.Spec != specSymmetric {
		return errUsage("%s key usage is %s and key spec is %s which is not valid for this operation.", k.ARN, k.Usage, k.Spec)
	}
	return nil
}

// EncryptFor encrypts plaintext (up to 64 KiB) under the symmetric key keyID names
// (id, ARN, alias name or alias ARN; alias/aws/ssm is created on first use), for
// services that call KMS in process. It returns the ciphertext blob and the key ARN.
func (s *Service) EncryptFor(ctx context.Context, keyID string, plaintext []byte, encryptionContext map[string]string) ([]byte, string, error) {
	if len(plaintext) == 0 || len(plaintext) > maxInProcess {
		return nil, "", errValidation("The plaintext must be between 1 and %d bytes long.", maxInProcess)
	}
	k, err := s.encryptionKey(ctx, keyID)
	if err != nil {
		return nil, "", err
	}
	if err := symmetricOnly(k); err != nil {
		return nil, "", err
	}
	blob, err := s.encryptSym(k, plaintext, encryptionContext)
	if err != nil {
		return nil, "", s.internal(err)
	}
	return blob, k.ARN, nil
}

// DecryptFor decrypts a symmetric ciphertext blob with the encryption context it was
// made with, for services that call KMS in process. It returns the plaintext and the
// ARN of the key that made the blob.
func (s *Service) DecryptFor(ctx context.Context, ciphertext []byte, encryptionContext map[string]string) ([]byte, string, error) {
	d, err := s.decryptSym(ctx, ciphertext, encryptionContext, "")
	if err != nil {
		return nil, "", err
	}
	return d.plaintext, d.key.ARN, nil
}

// BlobKeyID returns the id of the key a symmetric ciphertext blob names, so that an
// authorizer can check kms:Decrypt on it before decrypting.
func BlobKeyID(blob []byte) (string, bool) {
	if len(blob) < minBlobLen || blob[0] != blobVersion {
		return "", false
	}
	return formatUUID(blob[1:17]), true
}

// checkAlgorithm validates an EncryptionAlgorithm for key k.
func checkAlgorithm(k *keyRecord, alg string) error {
	switch alg {
	case "", "SYMMETRIC_DEFAULT":
		if k.Spec != specSymmetric && alg != "" {
			return errUsage("Encryption algorithm SYMMETRIC_DEFAULT is not valid for %s.", k.ARN)
		}
		if k.Spec != specSymmetric {
			return errValidation("EncryptionAlgorithm is required for asymmetric key %s.", k.ARN)
		}
	case "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256":
		if !strings.HasPrefix(k.Spec, "RSA_") {
			return errUsage("Encryption algorithm %s is not valid for %s.", alg, k.ARN)
		}
	case "SM2PKE", "RSA_AES_KEY_WRAP_SHA_1", "RSA_AES_KEY_WRAP_SHA_256":
		return errUsage("Encryption algorithm %s is not valid for %s.", alg, k.ARN)
	default:
		return errValidation("1 validation error detected: Value '%s' at 'encryptionAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [SYMMETRIC_DEFAULT, RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, SM2PKE]", alg)
	}
	return nil
}

func checkPlaintext(pt []byte) error {
	if len(pt) == 0 {
		return errValidation("1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	if len(pt) > maxPlaintext {
		return errValidation("1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to %d", maxPlaintext)
	}
	return nil
}

func dryRun(p *bool) error {
	if deref(p) {
		return awsapi.Errorf("DryRunOperationException", "The request would have succeeded, but the DryRun option is set.")
	}
	return nil
}
