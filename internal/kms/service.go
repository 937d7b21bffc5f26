package kms

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/store"
)

// Clock tells the time and waits. Tests give a fake one; the default is the system clock.
type Clock interface {
	Now() time.Time
	// After returns a channel that receives once d has passed.
	After(d time.Duration) <-chan time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time                         { return time.Now() }
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Config configures the KMS service.
type Config struct {
	// Region and AccountID go into every ARN ("us-east-1", "000000000000" when empty).
	Region    string
	AccountID string
	// MasterKey (32 bytes) seals all key material at rest with AES-256-GCM.
	MasterKey []byte
	// Logger receives the reconciler's logs; slog.Default() when nil.
	Logger *slog.Logger
	// Clock is the time source; the system clock when nil.
	Clock Clock
}

// Service is Wharf's KMS: the API operations, the in-process encryption used by other
// services, and the reconciler that deletes and rotates keys when due.
type Service struct {
	db      *store.DB
	region  string
	account string
	master  cipher.AEAD
	log     *slog.Logger
	clock   Clock

	// aeads caches the unsealed AEAD of each symmetric key version, by
	// "<key id>/<version>"; material never changes once written.
	aeads sync.Map
	// keyCache and aliasCache hold the decoded key and alias records for the read
	// paths (every Decrypt reads its key); records from them are shared, never changed.
	keyCache   *store.Cache[keyRecord]
	aliasCache *store.Cache[aliasRecord]
}

// New returns the KMS service over db.
func New(db *store.DB, cfg Config) (*Service, error) {
	if db == nil {
		return nil, errors.New("kms: a store is required")
	}
	if len(cfg.MasterKey) != 32 {
		return nil, fmt.Errorf("kms: the master key must be 32 bytes, got %d", len(cfg.MasterKey))
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.AccountID == "" {
		cfg.AccountID = "000000000000"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Clock == nil {
		cfg.Clock = systemClock{}
	}
	master, err := newGCM(cfg.MasterKey)
	if err != nil {
		return nil, fmt.Errorf("kms: master key: %w", err)
	}
	return &Service{db: db, region: cfg.Region, account: cfg.AccountID, master: master, log: cfg.Logger, clock: cfg.Clock,
		keyCache: store.NewCache[keyRecord](bucketKeys), aliasCache: store.NewCache[aliasRecord](bucketAliases)}, nil
}

// MasterKeyEnv is the environment variable that supplies the master key (base64).
const MasterKeyEnv = "WHARF_MASTER_KEY"

// LoadMasterKey returns the master key: WHARF_MASTER_KEY (base64 of 32 bytes) if set,
// else <dataDir>/master.key, created with 32 random bytes and mode 0600 if absent.
func LoadMasterKey(dataDir string) ([]byte, error) {
	if v := os.Getenv(MasterKeyEnv); v != "" {
		key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v))
		if err != nil {
			return nil, fmt.Errorf("kms: %s is not base64: %w", MasterKeyEnv, err)
		}
		if len(key) != 32 {
			return nil, fmt.Errorf("kms: %s must hold 32 bytes, got %d", MasterKeyEnv, len(key))
		}
		return key, nil
	}
	path := filepath.Join(dataDir, "master.key")
	key, err := os.ReadFile(path)
	if err == nil {
		if len(key) != 32 {
			return nil, fmt.Errorf("kms: %s must hold 32 bytes, got %d", path, len(key))
		}
		return key, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("kms: read master key: %w", err)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("kms: create data dir: %w", err)
	}
	key = make([]byte, 32)
	randomBytes(key)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) { // another process made it first
			return LoadMasterKey(dataDir)
		}
		return nil, fmt.Errorf("kms: create master key: %w", err)
	}
	if _, err := f.Write(key); err != nil {
		f.Close()
		return nil, fmt.Errorf("kms: write master key: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("kms: write master key: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("kms: write master key: %w", err)
	}
	return key, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// seal encrypts key material under the master key, bound to its key and version.
func (s *Service) seal(keyID string, ver int, material []byte) []byte {
	nonce := make([]byte, 12)
	randomBytes(nonce)
	return s.master.Seal(nonce, nonce, material, sealAAD(keyID, ver))
}

// unseal decrypts key material sealed by seal.
func (s *Service) unseal(keyID string, ver int, sealed []byte) ([]byte, error) {
	if len(sealed) < 12+16 {
		return nil, fmt.Errorf("kms: sealed material of key %s version %d is truncated", keyID, ver)
	}
	pt, err := s.master.Open(nil, sealed[:12], sealed[12:], sealAAD(keyID, ver))
	if err != nil {
		return nil, fmt.Errorf("kms: unseal key %s version %d (wrong master key?): %w", keyID, ver, err)
	}
	return pt, nil
}

func sealAAD(keyID string, ver int) []byte {
	return fmt.Appendf(nil, "wharf-kms-material:%s:%d", keyID, ver)
}

// now returns the current time in UTC, to the second as KMS reports it.
func (s *Service) now() time.Time { return s.clock.Now().UTC().Truncate(time.Second) }

func (s *Service) keyARN(id string) string {
	return "arn:aws:kms:" + s.region + ":" + s.account + ":key/" + id
}

func (s *Service) aliasARN(name string) string {
	return "arn:aws:kms:" + s.region + ":" + s.account + ":" + name
}

// update runs fn in a store transaction; store failures are logged and reported as
// InternalFailure, API errors pass through.
func (s *Service) update(ctx context.Context, fn func(tx *store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.internal(s.db.Update(fn))
}

// view runs fn in a read-only store transaction.
func (s *Service) view(ctx context.Context, fn func(tx *store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.internal(s.db.View(fn))
}

func (s *Service) internal(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := awsapi.As(err); ok {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	s.log.Error("kms: internal failure", "err", err)
	return &awsapi.Error{Code: "KMSInternalException", Message: "An internal error occurred.", Status: 500, Server: true}
}

// Error constructors with KMS's codes.

func errNotFound(format string, args ...any) error {
	return awsapi.Errorf("NotFoundException", format, args...)
}

func errValidation(format string, args ...any) error {
	return awsapi.Errorf("ValidationException", format, args...)
}

func errState(format string, args ...any) error {
	return awsapi.Errorf("KMSInvalidStateException", format, args...)
}

func errUnsupported(format string, args ...any) error {
	return awsapi.Errorf("UnsupportedOperationException", format, args...)
}

func errUsage(format string, args ...any) error {
	return awsapi.Errorf("InvalidKeyUsageException", format, args...)
}

func errCiphertext() error {
	return awsapi.Errorf("InvalidCiphertextException", "The ciphertext is invalid, or was not made with this key and encryption context.")
}

// randomBytes fills b from the system's random source (crypto/rand.Read never fails
// since Go 1.24).
func randomBytes(b []byte) { _, _ = rand.Read(b) }

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	b := make([]byte, 16)
	randomBytes(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return formatUUID(b)
}

func formatUUID(b []byte) string {
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// parseUUID returns the 16 bytes of a UUID in its canonical text form.
func parseUUID(s string) ([]byte, bool) {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return nil, false
	}
	b, err := hex.DecodeString(s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36])
	if err != nil || strings.ToLower(s) != s {
		return nil, false
	}
	return b, true
}

// newHexID returns n random bytes as hex (key material ids, grant ids).
func newHexID(n int) string {
	b := make([]byte, n)
	randomBytes(b)
	return hex.EncodeToString(b)
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func ptr[T any](v T) *T { return &v }
