package cloudwatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/store"
)

// Clock tells the time and waits. Tests give a fake one (clocktest.Fake); the default
// is the system clock.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time                         { return time.Now() }
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// AlarmAction is one action an alarm invokes on a state transition (and, for Auto
// Scaling policy ARNs, again each minute while the alarm stays in that state).
type AlarmAction struct {
	AlarmName string
	AlarmARN  string
	ActionARN string
	OldState  string
	NewState  string
	Reason    string
	// ReasonData is the alarm's StateReasonData (JSON), which scaling policies read
	// to pick a step adjustment.
	ReasonData string
	Time       time.Time
}

// ActionDispatcher performs alarm actions (Application Auto Scaling policies, ...).
// An error is recorded in the alarm's history as a failed action.
type ActionDispatcher interface {
	DispatchAlarmAction(ctx context.Context, a AlarmAction) error
}

// Config configures the CloudWatch service.
type Config struct {
	// Region and AccountID go into every ARN ("us-east-1", "000000000000" when empty).
	Region    string
	AccountID string
	// Dir holds the metric data files (snapshot and write-ahead log). Required.
	Dir string
	// Clock drives timestamps, retention and the alarm evaluator; the system clock
	// when nil.
	Clock Clock
	// TimeScale > 1 makes alarm periods pass that many times faster: an alarm's
	// period counts as Period/TimeScale seconds of real time (at least one second)
	// and it is evaluated that much more often. Standard-resolution data is then also
	// kept at one-second resolution so that such short periods have data. 1 (the
	// default) is faithful to AWS.
	TimeScale float64
	// Dispatcher performs alarm actions. When nil, every action is recorded in the
	// alarm history as failed ("no action dispatcher is configured").
	Dispatcher ActionDispatcher
	// Logger receives failures; slog.Default() when nil.
	Logger *slog.Logger
	// CompactBytes is the write-ahead log size that triggers a snapshot (64 MiB when 0).
	CompactBytes int64
}

// Service is Wharf's CloudWatch: metrics (in memory, made durable by a write-ahead
// log and snapshots under Config.Dir) and alarms (in the store).
type Service struct {
	db        *store.DB
	region    string
	account   string
	clock     Clock
	scale     float64
	dispatch  ActionDispatcher
	log       *slog.Logger
	compactAt int64

	// applyMu orders metric writes against snapshots: a write holds it shared from
	// its log append until it is applied in memory; a snapshot holds it exclusively.
	applyMu    sync.RWMutex
	mem        *memStore
	wal        *wal
	compacting atomic.Bool
	compactMu  sync.Mutex // one snapshot at a time
	closeOnce  sync.Once
	closeErr   error

	// evalMu serializes alarm evaluation passes and SetAlarmState.
	evalMu  sync.Mutex
	evalMem evalState
	// afterEval, when set (tests), is called after each evaluation pass.
	afterEval func(time.Time)
}

// New opens the CloudWatch service over db, loading metric data from cfg.Dir.
func New(db *store.DB, cfg Config) (*Service, error) {
	if db == nil {
		return nil, errors.New("cloudwatch: a store is required")
	}
	if cfg.Dir == "" {
		return nil, errors.New("cloudwatch: a data directory is required")
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
	if cfg.CompactBytes <= 0 {
		cfg.CompactBytes = 64 << 20
	}
	s := &Service{db: db, region: cfg.Region, account: cfg.AccountID, clock: cfg.Clock, scale: cfg.TimeScale,
		dispatch: cfg.Dispatcher, log: cfg.Logger, compactAt: cfg.CompactBytes}
	s.mem = newMemStore(cfg.TimeScale > 1)
	w, err := openWAL(cfg.Dir, s.mem, s.clock.Now(), s.log)
	if err != nil {
		return nil, fmt.Errorf("cloudwatch: %w", err)
	}
	s.wal = w
	return s, nil
}

// Close writes a final snapshot of the metric data and closes its files. The service
// must not be used afterwards.
func (s *Service) Close() error {
	s.closeOnce.Do(func() {
		err := s.compact()
		if cerr := s.wal.close(); err == nil {
			err = cerr
		}
		s.closeErr = err
	})
	return s.closeErr
}

// API describes CloudWatch for the gateway: rpcv2Cbor, awsJson1_0 and awsQuery, SigV4
// name "monitoring", IAM prefix "cloudwatch", query-compatible errors.
func (s *Service) API() *awsapi.Service {
	return &awsapi.Service{
		SigningName:    "monitoring",
		TargetPrefix:   "GraniteServiceVersion20100801",
		QueryVersion:   "2010-08-01",
		XMLNamespace:   "http://monitoring.amazonaws.com/doc/2010-08-01/",
		CBORName:       "GraniteServiceVersion20100801",
		ErrorNamespace: "com.amazonaws.cloudwatch",
		ActionPrefix:   "cloudwatch",
		Protocols:      []awsapi.Protocol{awsapi.JSON10, awsapi.CBOR, awsapi.Query},
		Operations: s.withResources(awsapi.Operations(
			awsapi.Op("PutMetricData", s.PutMetricData),
			awsapi.Op("GetMetricStatistics", s.GetMetricStatistics),
			awsapi.Op("GetMetricData", s.GetMetricData),
			awsapi.Op("ListMetrics", s.ListMetrics),
			awsapi.Op("PutMetricAlarm", s.PutMetricAlarm),
			awsapi.Op("PutCompositeAlarm", s.PutCompositeAlarm),
			awsapi.Op("DescribeAlarms", s.DescribeAlarms),
			awsapi.Op("DescribeAlarmsForMetric", s.DescribeAlarmsForMetric),
			awsapi.Op("DescribeAlarmHistory", s.DescribeAlarmHistory),
			awsapi.Op("SetAlarmState", s.SetAlarmState),
			awsapi.Op("EnableAlarmActions", s.EnableAlarmActions),
			awsapi.Op("DisableAlarmActions", s.DisableAlarmActions),
			awsapi.Op("DeleteAlarms", s.DeleteAlarms),
			awsapi.Op("TagResource", s.TagResource),
			awsapi.Op("UntagResource", s.UntagResource),
			awsapi.Op("ListTagsForResource", s.ListTagsForResource),
		)),
	}
}

// now returns the current time in UTC, truncated to milliseconds as AWS reports it.
func (s *Service) now() time.Time { return s.clock.Now().UTC().Truncate(time.Millisecond) }

// alarmARN returns the ARN of the alarm name.
func (s *Service) alarmARN(name string) string {
	return "arn:aws:cloudwatch:" + s.region + ":" + s.account + ":alarm:" + name
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
	s.log.Error("cloudwatch: store failure", "err", err)
	return fmt.Errorf("cloudwatch: %w", err)
}

// Error constructors, with CloudWatch's shape names and awsQuery codes.

func errInvalidValue(format string, args ...any) error {
	return &awsapi.Error{Code: "InvalidParameterValueException", QueryCode: "InvalidParameterValue", Message: fmt.Sprintf(format, args...)}
}

func errMissing(param string) error {
	return &awsapi.Error{Code: "MissingRequiredParameterException", QueryCode: "MissingParameter",
		Message: fmt.Sprintf("The parameter %s is required.", param)}
}

func errCombination(format string, args ...any) error {
	return &awsapi.Error{Code: "InvalidParameterCombinationException", QueryCode: "InvalidParameterCombination", Message: fmt.Sprintf(format, args...)}
}

func errValidation(format string, args ...any) error {
	return &awsapi.Error{Code: "ValidationException", QueryCode: "ValidationError", Message: fmt.Sprintf(format, args...)}
}

func errLimit(format string, args ...any) error {
	return &awsapi.Error{Code: "LimitExceededFault", QueryCode: "LimitExceeded", Message: fmt.Sprintf(format, args...)}
}

func errNextToken() error {
	return &awsapi.Error{Code: "InvalidNextToken", QueryCode: "InvalidNextToken", Message: "The service couldn't process the NextToken."}
}

func errFormat(format string, args ...any) error {
	return &awsapi.Error{Code: "InvalidFormatFault", QueryCode: "InvalidFormat", Message: fmt.Sprintf(format, args...)}
}

func errAlarmNotFound(format string, args ...any) error {
	return &awsapi.Error{Code: "ResourceNotFound", QueryCode: "ResourceNotFound", Status: 404, Message: fmt.Sprintf(format, args...)}
}

func errResourceNotFound(arn string) error {
	return &awsapi.Error{Code: "ResourceNotFoundException", QueryCode: "ResourceNotFoundException", Status: 404,
		Message: fmt.Sprintf("The resource %s does not exist.", arn)}
}

func ptr[T any](v T) *T { return &v }

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
