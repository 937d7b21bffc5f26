package ecs

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
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

// Config configures the ECS service.
type Config struct {
	// Region and AccountID go into every ARN ("us-east-1", "000000000000" when empty).
	Region    string
	AccountID string
	// Clock is the time source of the API and the reconciler; the system clock when nil.
	Clock Clock
	// Logger receives the reconciler's logs; slog.Default() when nil.
	Logger *slog.Logger
	// TimeScale (>= 1; 0 means 1) divides the service scheduler's delays: the backoff of
	// crash-looping services, the health check grace period and the 40 seconds a task
	// without a health check must run before it counts as healthy in a deployment.
	TimeScale float64
	// LoadBalancers puts service tasks behind target groups; when nil, services with
	// loadBalancers are rejected. When it also implements ListenerRules, the
	// BLUE_GREEN, LINEAR and CANARY strategies shift traffic through listener rules;
	// otherwise they are available only to services without load balancers.
	LoadBalancers LoadBalancers
	// Alarms reads the CloudWatch alarms of deployment configurations; when nil, the
	// alarms of deployments are not watched (their status is DISABLED).
	Alarms Alarms
}

// Service is Wharf's ECS control plane: the API operations and the service reconciler.
// All of its state lives in the store, so any number of goroutines may call it and a
// restart (or a crash) loses nothing.
type Service struct {
	db      *store.DB
	region  string
	account string
	clock   Clock
	log     *slog.Logger
	scale   float64
	lbs     LoadBalancers
	rules   ListenerRules
	alarms  Alarms

	mu sync.Mutex
	// watched are the alarms deployments in progress watched in the last round.
	watched []string
}

// New returns the ECS service over db.
func New(db *store.DB, cfg Config) (*Service, error) {
	if db == nil {
		return nil, errors.New("ecs: a store is required")
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
	if cfg.TimeScale == 0 {
		cfg.TimeScale = 1
	}
	if cfg.TimeScale < 1 || math.IsNaN(cfg.TimeScale) || math.IsInf(cfg.TimeScale, 0) {
		return nil, fmt.Errorf("ecs: time scale must be a number >= 1, got %v", cfg.TimeScale)
	}
	rules, _ := cfg.LoadBalancers.(ListenerRules)
	return &Service{
		db:      db,
		region:  cfg.Region,
		account: cfg.AccountID,
		clock:   cfg.Clock,
		log:     cfg.Logger,
		scale:   cfg.TimeScale,
		lbs:     cfg.LoadBalancers,
		rules:   rules,
		alarms:  cfg.Alarms,
	}, nil
}

// now returns the current time in UTC.
func (s *Service) now() time.Time { return s.clock.Now().UTC() }

// scaled divides a delay by the time scale.
func (s *Service) scaled(d time.Duration) time.Duration {
	return time.Duration(float64(d) / s.scale)
}

// Watch returns a channel that receives after any state change, and a function that
// ends the watch.
func (s *Service) Watch() (<-chan struct{}, func()) { return s.db.Watch() }

// Error constructors, with ECS's codes and messages.

func errInvalid(format string, args ...any) error {
	return awsapi.Errorf("InvalidParameterException", format, args...)
}

func errClient(format string, args ...any) error {
	return awsapi.Errorf("ClientException", format, args...)
}

func errUnsupported(format string, args ...any) error {
	return awsapi.Errorf("UnsupportedFeatureException", format, args...)
}

func errClusterNotFound() error {
	return awsapi.Errorf("ClusterNotFoundException", "Cluster not found.")
}

func errServiceNotFound() error {
	return awsapi.Errorf("ServiceNotFoundException", "Service not found.")
}

func errServiceDeploymentNotFound() error {
	return awsapi.Errorf("ServiceDeploymentNotFoundException", "The service deployment does not exist.")
}

func errConflict(format string, args ...any) error {
	return awsapi.Errorf("ConflictException", format, args...)
}

func errServiceNotActive() error {
	return awsapi.Errorf("ServiceNotActiveException", "Service was not ACTIVE.")
}

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

func (s *Service) internal(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := awsapi.As(err); ok {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, errNothingWritten) {
		return err
	}
	s.log.Error("ecs: store failure", "err", err)
	return fmt.Errorf("ecs: %w", err)
}

// randomBytes fills b from the system's random source (which never fails: since Go
// 1.24 crypto/rand.Read aborts the program rather than return an error).
func randomBytes(b []byte) { _, _ = rand.Read(b) }

// newID returns 32 hex digits, as ECS task and container instance ids.
func newID() string {
	b := make([]byte, 16)
	randomBytes(b)
	return hex.EncodeToString(b)
}

// newNumericID returns 19 random digits, as ECS service revision ids.
func newNumericID() string {
	b := make([]byte, 8)
	randomBytes(b)
	const lo, span = 1_000_000_000_000_000_000, 9_000_000_000_000_000_000
	return fmt.Sprintf("%019d", lo+binary.BigEndian.Uint64(b)%span)
}

// newDeploymentKey returns 21 random characters of the URL-safe base64 alphabet, as
// the ids of ECS service deployments.
func newDeploymentKey() string {
	b := make([]byte, 16)
	randomBytes(b)
	return base64.RawURLEncoding.EncodeToString(b)[:21]
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	b := make([]byte, 16)
	randomBytes(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// newDeploymentID returns "ecs-svc/" and 19 digits, as ECS deployment ids.
func newDeploymentID() string {
	b := make([]byte, 8)
	randomBytes(b)
	const lo, span = 1_000_000_000_000_000_000, 9_000_000_000_000_000_000
	n := lo + binary.BigEndian.Uint64(b)%span
	return fmt.Sprintf("ecs-svc/%019d", n)
}

func ptr[T any](v T) *T { return &v }

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
