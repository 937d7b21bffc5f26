package elbv2

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/store"
)

// Clock tells the time and waits. Tests give a fake one; the default is the system clock.
// (It has the method set of ecs.Clock, so one clock can serve both.)
type Clock interface {
	Now() time.Time
	// After returns a channel that receives once d has passed.
	After(d time.Duration) <-chan time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time                         { return time.Now() }
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Config configures the ELBv2 service.
type Config struct {
	// Region and AccountID go into every ARN ("us-east-1", "000000000000" when empty).
	Region    string
	AccountID string
	// Logger receives the control plane's logs; slog.Default() when nil.
	Logger *slog.Logger
	// Clock is the time source of the API and of Run; the system clock when nil.
	Clock Clock
	// DataPlane serves the listeners. When nil the API works but nothing listens, and
	// every target stays in the initial state.
	DataPlane DataPlane
}

// Service is Wharf's ELBv2 control plane for application load balancers. Its desired
// state lives in the store, so any number of goroutines may call it and a restart loses
// nothing; Run keeps the data plane serving that state.
type Service struct {
	db      *store.DB
	region  string
	account string
	clock   Clock
	log     *slog.Logger
	dp      DataPlane

	// applyMu serializes the calls of DataPlane.Apply with the store writes that must
	// see their outcome (a listener is stored only once its port is bound).
	applyMu   sync.Mutex
	applied   *Snapshot        // the snapshot last applied; nil forces the next apply
	applyErrs map[string]error // the listeners that failed to bind in the last apply
}

// New returns the ELBv2 service over db.
func New(db *store.DB, cfg Config) (*Service, error) {
	if db == nil {
		return nil, errors.New("elbv2: a store is required")
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.AccountID == "" {
		cfg.AccountID = "000000000000"
	}
	if cfg.Clock == nil {
		cfg.Clock = systemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Service{
		db:      db,
		region:  cfg.Region,
		account: cfg.AccountID,
		clock:   cfg.Clock,
		log:     cfg.Logger,
		dp:      cfg.DataPlane,
	}, nil
}

// now returns the current time in UTC, to the millisecond (as the API shows times).
func (s *Service) now() time.Time { return s.clock.Now().UTC().Truncate(time.Millisecond) }

// update runs fn in a store transaction; failures of the store itself are logged and
// reported as InternalFailure, API errors pass through.
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

// change runs fn in a store transaction and, once it has committed, brings the data
// plane up to date, so that a change is served when its call returns.
func (s *Service) change(ctx context.Context, fn func(tx *store.Tx) error) error {
	if err := s.update(ctx, fn); err != nil {
		return err
	}
	s.sync()
	return nil
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
	s.log.Error("elbv2: store failure", "err", err)
	return fmt.Errorf("elbv2: %w", err)
}

// Error constructors, with ELBv2's awsQuery error codes.

func errValidation(format string, args ...any) error {
	return awsapi.Errorf("ValidationError", format, args...)
}

func errCode(code, format string, args ...any) error {
	return awsapi.Errorf(code, format, args...)
}

// errRequired is AWS's message for a missing required member.
func errRequired(member string) error {
	return errValidation("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", member)
}

// errRange is AWS's message for a number out of its range.
func errRange(member string, v int64, lo, hi int64) error {
	if v < lo {
		return errValidation("1 validation error detected: Value '%d' at '%s' failed to satisfy constraint: Member must have value greater than or equal to %d", v, member, lo)
	}
	return errValidation("1 validation error detected: Value '%d' at '%s' failed to satisfy constraint: Member must have value less than or equal to %d", v, member, hi)
}

// errEnum is AWS's message for a value outside an enumeration.
func errEnum(member, v string, allowed ...string) error {
	return errValidation("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy enum value set: [%s]", v, member, strings.Join(allowed, ", "))
}

// checkRange checks an optional number.
func checkRange(member string, v *int32, lo, hi int64) error {
	if v != nil && (int64(*v) < lo || int64(*v) > hi) {
		return errRange(member, int64(*v), lo, hi)
	}
	return nil
}

// notFound lists missing names as AWS does: "Load balancers '[a, b]' not found".
func notFound(code, what string, missing []string) error {
	return errCode(code, "%s '[%s]' not found", what, strings.Join(missing, ", "))
}

// randomHex returns n random hex digits.
func randomHex(n int) string {
	b := make([]byte, (n+1)/2)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)[:n]
}

// randomDigits returns n random decimal digits, the first not zero.
func randomDigits(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	out := make([]byte, n)
	for i, c := range b {
		out[i] = '0' + c%10
	}
	if out[0] == '0' {
		out[0] = '1'
	}
	return string(out)
}

// stableHex returns n hex digits derived from parts: the ids of the default VPC, its
// subnets and security group are the same on every call and every restart.
func stableHex(n int, parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:])[:n]
}

func ptr[T any](v T) *T { return &v }

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
