package autoscaling

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // scheduled actions name IANA time zones; do not depend on the host's

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/cloudwatch"
	"github.com/wharf-dev/wharf/internal/store"
)

// Alarms creates and deletes the CloudWatch alarms of target tracking policies.
// *cloudwatch.Service implements it.
type Alarms interface {
	PutMetricAlarm(ctx context.Context, in *cloudwatch.PutMetricAlarmInput) (*cloudwatch.PutMetricAlarmOutput, error)
	DeleteAlarms(ctx context.Context, in *cloudwatch.AlarmNamesInput) (*cloudwatch.EmptyOutput, error)
}

// AlarmDescriber is an optional capability of Alarms: with it, DescribeScalingPolicies
// lists the alarms whose AlarmActions name a step scaling policy. *cloudwatch.Service
// implements it.
type AlarmDescriber interface {
	DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput) (*cloudwatch.DescribeAlarmsOutput, error)
}

// Scaler reads and sets the desired count of ECS services.
type Scaler interface {
	// DesiredCount returns a service's desired count. For a cluster or service that
	// does not exist it returns an error that wraps ErrServiceNotFound, or an
	// *awsapi.Error coded ClusterNotFoundException, ServiceNotFoundException,
	// ServiceNotActiveException or ObjectNotFoundException.
	DesiredCount(ctx context.Context, cluster, service string) (int32, error)
	// SetDesiredCount sets a service's desired count.
	SetDesiredCount(ctx context.Context, cluster, service string, n int32) error
}

// ErrServiceNotFound is what a Scaler wraps when the ECS service does not exist.
var ErrServiceNotFound = errors.New("autoscaling: ECS service not found")

// Clock tells the time and waits. Tests give a fake one (clocktest.Fake); the default
// is the system clock.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time                         { return time.Now() }
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Config configures Application Auto Scaling.
type Config struct {
	// Region and AccountID go into every ARN ("us-east-1", "000000000000" when empty).
	Region    string
	AccountID string
	// Alarms creates the alarms of target tracking policies (Wharf's CloudWatch).
	// Without it, target tracking policies are rejected.
	Alarms Alarms
	// Scaler reads and sets the desired count of ECS services. Required.
	Scaler Scaler
	// Clock drives cooldowns, timestamps and Run; the system clock when nil.
	Clock Clock
	// TimeScale > 1 makes cooldowns and rate() schedule intervals pass that many times
	// faster; at() and cron() schedules stay on the wall clock. 1 (the default) is
	// faithful to AWS.
	TimeScale float64
	// Logger receives failures and decisions; slog.Default() when nil.
	Logger *slog.Logger
}

// Service is Wharf's Application Auto Scaling. Its configuration and activities live
// in the store; any number of goroutines may call it.
type Service struct {
	db      *store.DB
	region  string
	account string
	alarms  Alarms
	scaler  Scaler
	clock   Clock
	scale   float64
	log     *slog.Logger

	// mu serializes every change of configuration and of capacity: API mutations,
	// alarm-driven scaling and scheduled actions. It is never held inside a store
	// transaction, and store transactions never call out (CloudWatch and ECS share
	// the store).
	mu sync.Mutex
}

// New returns Application Auto Scaling over db.
func New(db *store.DB, cfg Config) (*Service, error) {
	if db == nil {
		return nil, errors.New("autoscaling: a store is required")
	}
	if cfg.Scaler == nil {
		return nil, errors.New("autoscaling: a Scaler is required")
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
	if cfg.TimeScale < 1 || math.IsNaN(cfg.TimeScale) || math.IsInf(cfg.TimeScale, 0) {
		cfg.TimeScale = 1
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Service{db: db, region: cfg.Region, account: cfg.AccountID, alarms: cfg.Alarms, scaler: cfg.Scaler,
		clock: cfg.Clock, scale: cfg.TimeScale, log: cfg.Logger.With("component", "autoscaling")}, nil
}

// API describes Application Auto Scaling for the gateway: awsJson1_1 with the target
// prefix AnyScaleFrontendService, SigV4 name and IAM prefix application-autoscaling.
func (s *Service) API() *awsapi.Service {
	return &awsapi.Service{
		SigningName:  "application-autoscaling",
		TargetPrefix: "AnyScaleFrontendService",
		ActionPrefix: "application-autoscaling",
		Protocols:    []awsapi.Protocol{awsapi.JSON11},
		ResourceTags: s.ResourceTags,
		Operations: s.withResources(awsapi.Operations(
			awsapi.Op("RegisterScalableTarget", s.RegisterScalableTarget),
			awsapi.Op("DescribeScalableTargets", s.DescribeScalableTargets),
			awsapi.Op("DeregisterScalableTarget", s.DeregisterScalableTarget),
			awsapi.Op("PutScalingPolicy", s.PutScalingPolicy),
			awsapi.Op("DescribeScalingPolicies", s.DescribeScalingPolicies),
			awsapi.Op("DeleteScalingPolicy", s.DeleteScalingPolicy),
			awsapi.Op("DescribeScalingActivities", s.DescribeScalingActivities),
			awsapi.Op("PutScheduledAction", s.PutScheduledAction),
			awsapi.Op("DescribeScheduledActions", s.DescribeScheduledActions),
			awsapi.Op("DeleteScheduledAction", s.DeleteScheduledAction),
			awsapi.Op("GetPredictiveScalingForecast", s.GetPredictiveScalingForecast),
			awsapi.Op("TagResource", s.TagResource),
			awsapi.Op("UntagResource", s.UntagResource),
			awsapi.Op("ListTagsForResource", s.ListTagsForResource),
		)),
	}
}

// now returns the current time in UTC, truncated to milliseconds as AWS reports it.
func (s *Service) now() time.Time { return s.clock.Now().UTC().Truncate(time.Millisecond) }

// scaled returns the real-time length of d seconds of AWS time (cooldowns, rates).
func (s *Service) scaled(seconds int64) time.Duration {
	d := time.Duration(seconds) * time.Second
	if s.scale <= 1 {
		return d
	}
	return time.Duration(float64(d) / s.scale)
}

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
	s.log.Error("autoscaling: store failure", "err", err)
	return fmt.Errorf("autoscaling: %w", err)
}

// Error constructors, with Application Auto Scaling's codes.

func errValidation(format string, args ...any) error {
	return awsapi.Errorf("ValidationException", format, args...)
}

func errObjectNotFound(format string, args ...any) error {
	return awsapi.Errorf("ObjectNotFoundException", format, args...)
}

func errLimit(format string, args ...any) error {
	return awsapi.Errorf("LimitExceededException", format, args...)
}

func errFailedAccess(format string, args ...any) error {
	return awsapi.Errorf("FailedResourceAccessException", format, args...)
}

func errResourceNotFound(arn string) error {
	return awsapi.Errorf("ResourceNotFoundException", "No scalable target found for ARN %s.", arn)
}

func errNextToken() error {
	return awsapi.Errorf("InvalidNextTokenException", "The NextToken value is not valid.")
}

// errTargetNotFound is ObjectNotFoundException for an unregistered scalable target,
// in AWS's words.
func errTargetNotFound(k targetKey) error {
	return errObjectNotFound("No scalable target registered for service namespace: %s, resource ID: %s, scalable dimension: %s",
		k.Namespace, k.ResourceID, k.Dimension)
}

// notFound reports whether a Scaler error says the ECS service does not exist.
func notFound(err error) bool {
	if errors.Is(err, ErrServiceNotFound) {
		return true
	}
	if e, ok := awsapi.As(err); ok {
		switch e.Code {
		case "ClusterNotFoundException", "ServiceNotFoundException", "ServiceNotActiveException", "ObjectNotFoundException":
			return true
		}
	}
	return false
}

// errMessage returns the message of an error for an activity's StatusMessage.
func errMessage(err error) string {
	if e, ok := awsapi.As(err); ok {
		return strings.TrimSpace(e.Code + ": " + e.Message)
	}
	return err.Error()
}

func ptr[T any](v T) *T { return &v }

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
