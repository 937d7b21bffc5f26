package ssm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/store"
)

// Keys encrypts and decrypts SecureString values (KMS).
type Keys interface {
	// EncryptFor encrypts with keyID (key id, key ARN, alias name or alias ARN;
	// "alias/aws/ssm" for the default key) and returns the ciphertext and the key's ARN.
	EncryptFor(ctx context.Context, keyID string, plaintext []byte, encryptionContext map[string]string) (ciphertext []byte, keyARN string, err error)
	// DecryptFor decrypts a ciphertext made by EncryptFor with the same context and
	// returns the plaintext and the ARN of the key that decrypted it.
	DecryptFor(ctx context.Context, ciphertext []byte, encryptionContext map[string]string) (plaintext []byte, keyARN string, err error)
}

// Clock tells the time. Tests give a fake one; the default is the system clock.
type Clock interface {
	Now() time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// Config configures the Parameter Store.
type Config struct {
	// Region and AccountID go into every ARN ("us-east-1", "000000000000" when empty).
	Region    string
	AccountID string
	// Keys encrypts SecureString values; without it SecureString parameters are
	// rejected.
	Keys Keys
	// Logger receives store failures; slog.Default() when nil. Values are never logged.
	Logger *slog.Logger
	// Clock stamps LastModifiedDate; the system clock when nil.
	Clock Clock
}

// Service is Wharf's SSM Parameter Store. All of its state lives in the store, so any
// number of goroutines may call it.
type Service struct {
	db      *store.DB
	region  string
	account string
	keys    Keys
	log     *slog.Logger
	clock   Clock
	// params caches decoded parameter records for the read paths.
	params *store.Cache[paramRecord]
}

// New returns the Parameter Store over db.
func New(db *store.DB, cfg Config) (*Service, error) {
	if db == nil {
		return nil, errors.New("ssm: a store is required")
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
	return &Service{db: db, region: cfg.Region, account: cfg.AccountID, keys: cfg.Keys, log: cfg.Logger, clock: cfg.Clock,
		params: store.NewCache[paramRecord](bucketParams)}, nil
}

// API describes the Parameter Store for the gateway: awsJson1_1 with the target prefix
// AmazonSSM, SigV4 name "ssm", bare error codes.
func (s *Service) API() *awsapi.Service {
	return &awsapi.Service{
		SigningName:  "ssm",
		TargetPrefix: "AmazonSSM",
		Protocols:    []awsapi.Protocol{awsapi.JSON11},
		ResourceTags: s.ResourceTags,
		Operations: s.withResources(awsapi.Operations(
			awsapi.Op("PutParameter", s.PutParameter),
			awsapi.Op("GetParameter", s.GetParameter),
			awsapi.Op("GetParameters", s.GetParameters),
			awsapi.Op("GetParametersByPath", s.GetParametersByPath),
			awsapi.Op("DescribeParameters", s.DescribeParameters),
			awsapi.Op("GetParameterHistory", s.GetParameterHistory),
			awsapi.Op("LabelParameterVersion", s.LabelParameterVersion),
			awsapi.Op("UnlabelParameterVersion", s.UnlabelParameterVersion),
			awsapi.Op("DeleteParameter", s.DeleteParameter),
			awsapi.Op("DeleteParameters", s.DeleteParameters),
			awsapi.Op("AddTagsToResource", s.AddTagsToResource),
			awsapi.Op("RemoveTagsFromResource", s.RemoveTagsFromResource),
			awsapi.Op("ListTagsForResource", s.ListTagsForResource),
		)),
	}
}

// now returns the current time in UTC, truncated to milliseconds as AWS reports it.
func (s *Service) now() time.Time { return s.clock.Now().UTC().Truncate(time.Millisecond) }

// update runs fn in a store transaction; store failures are logged and wrapped, API
// errors pass through.
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
	s.log.Error("ssm: store failure", "err", err)
	return fmt.Errorf("ssm: %w", err)
}

// Error constructors, with SSM's codes and messages.

func errValidation(format string, args ...any) error {
	return awsapi.Errorf("ValidationException", format, args...)
}

func errNotFound(name string) error {
	return awsapi.Errorf("ParameterNotFound", "Parameter %s not found.", name)
}

func errVersionNotFound(name string, version string) error {
	return awsapi.Errorf("ParameterVersionNotFound", "Systems Manager could not find version %s of %s. Verify the version and try again.", version, name)
}

func errInternal(format string, args ...any) error {
	return &awsapi.Error{Code: "InternalServerError", Message: fmt.Sprintf(format, args...), Status: 500, Server: true}
}

func ptr[T any](v T) *T { return &v }

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
