// Package cloudtrail is Wharf's audit trail: it turns every API call the gateway
// completes, allowed or denied, into a CloudTrail management event, stores it durably
// for 90 days, answers LookupEvents, and delivers trails' log files to a directory in
// the layout and format AWS writes to S3.
//
// Recording is batched: Record queues an event (its secrets already redacted) and a
// writer commits queued events in one store transaction every few milliseconds; Flush
// returns only once everything recorded before it is on disk.
package cloudtrail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/store"
)

// Store buckets.
const (
	bucketEvents = "cloudtrail-events" // inverted-time key → storedEvent
	bucketSeq    = "cloudtrail-seq"    // commit sequence → event key
	bucketMeta   = "cloudtrail-meta"   // "seq" → last sequence committed
	bucketTrails = "cloudtrail-trails" // trail name → trailRecord
)

// Defaults of Config.
const (
	DefaultDeliveryInterval = 5 * time.Minute
	DefaultBatchDelay       = 2 * time.Millisecond
	DefaultRetention        = 90 * 24 * time.Hour
	// maxPending bounds the queue: past it, Record commits in the caller.
	maxPending = 50000
	// batchSize wakes the writer early.
	batchSize = 1000
)

// Clock tells the time; tests give a fake one.
type Clock interface {
	Now() time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// Config configures the CloudTrail service.
type Config struct {
	// Region and AccountID of the trails and events ("us-east-1", "000000000000" when empty).
	Region    string
	AccountID string
	// Dir is where trails deliver their log files; trails cannot deliver when empty.
	Dir string
	// Logger receives delivery and writer errors; slog.Default() when nil.
	Logger *slog.Logger
	// Clock is the time source; the system clock when nil.
	Clock Clock
	// DeliveryInterval is how often logging trails deliver (DefaultDeliveryInterval when 0).
	DeliveryInterval time.Duration
	// BatchDelay is how long the writer gathers events before a commit (DefaultBatchDelay when 0).
	BatchDelay time.Duration
	// Retention is how long events are kept (DefaultRetention when 0).
	Retention time.Duration
}

// Service is the CloudTrail API, the event recorder and the trail deliverer.
type Service struct {
	db        *store.DB
	region    string
	account   string
	dir       string
	log       *slog.Logger
	clock     Clock
	interval  time.Duration
	delay     time.Duration
	retention time.Duration

	mu        sync.Mutex
	pending   []*pendingEvent
	queued    uint64 // events ever queued
	committed uint64 // events ever committed (or dropped after a failure)
	wake      chan struct{}

	writeMu   sync.Mutex // serializes commits
	deliverMu sync.Mutex // serializes trail deliveries
}

// New returns the CloudTrail service over db.
func New(db *store.DB, cfg Config) (*Service, error) {
	if db == nil {
		return nil, errors.New("cloudtrail: a store is required")
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
	if cfg.DeliveryInterval == 0 {
		cfg.DeliveryInterval = DefaultDeliveryInterval
	}
	if cfg.BatchDelay == 0 {
		cfg.BatchDelay = DefaultBatchDelay
	}
	if cfg.Retention == 0 {
		cfg.Retention = DefaultRetention
	}
	if cfg.DeliveryInterval < 0 || cfg.BatchDelay < 0 || cfg.Retention < 0 {
		return nil, fmt.Errorf("cloudtrail: intervals must be positive (delivery %v, batch %v, retention %v)",
			cfg.DeliveryInterval, cfg.BatchDelay, cfg.Retention)
	}
	return &Service{
		db:        db,
		region:    cfg.Region,
		account:   cfg.AccountID,
		dir:       cfg.Dir,
		log:       cfg.Logger,
		clock:     cfg.Clock,
		interval:  cfg.DeliveryInterval,
		delay:     cfg.BatchDelay,
		retention: cfg.Retention,
		wake:      make(chan struct{}, 1),
	}, nil
}

// API describes the CloudTrail API for the gateway: awsJson1_1 with the target prefix
// CloudTrail_20131101 and SigV4 name "cloudtrail".
func (s *Service) API() *awsapi.Service {
	return &awsapi.Service{
		SigningName:    "cloudtrail",
		TargetPrefix:   "CloudTrail_20131101",
		Protocols:      []awsapi.Protocol{awsapi.JSON11},
		ErrorNamespace: "com.amazonaws.cloudtrail.v20131101",
		Operations: s.withResources(awsapi.Operations(
			awsapi.Op("LookupEvents", s.LookupEvents),
			awsapi.Op("CreateTrail", s.CreateTrail),
			awsapi.Op("UpdateTrail", s.UpdateTrail),
			awsapi.Op("DeleteTrail", s.DeleteTrail),
			awsapi.Op("GetTrail", s.GetTrail),
			awsapi.Op("DescribeTrails", s.DescribeTrails),
			awsapi.Op("ListTrails", s.ListTrails),
			awsapi.Op("GetTrailStatus", s.GetTrailStatus),
			awsapi.Op("StartLogging", s.StartLogging),
			awsapi.Op("StopLogging", s.StopLogging),
		)),
	}
}

// Run commits recorded events, delivers logging trails' files every DeliveryInterval
// and deletes events older than the retention, until ctx ends; then it commits and
// delivers what is left and returns nil.
func (s *Service) Run(ctx context.Context) error {
	deliver := time.NewTicker(s.interval)
	defer deliver.Stop()
	purge := time.NewTicker(time.Hour)
	defer purge.Stop()
	s.purgeLogged()
	for {
		select {
		case <-ctx.Done():
			if err := s.commit(); err != nil {
				s.log.Error("cloudtrail: final commit failed", "err", err)
			}
			s.deliverAll()
			return nil
		case <-s.wake:
			t := time.NewTimer(s.delay)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
			}
			if err := s.commit(); err != nil {
				s.log.Error("cloudtrail: commit failed", "err", err)
			}
		case <-deliver.C:
			s.deliverAll()
		case <-purge.C:
			s.purgeLogged()
		}
	}
}

// Flush commits every event recorded before it was called and delivers the logging
// trails' log files.
func (s *Service) Flush(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.commit(); err != nil {
		return err
	}
	return s.deliverAll()
}

func (s *Service) purgeLogged() {
	if n, err := s.purge(); err != nil {
		s.log.Error("cloudtrail: retention purge failed", "err", err)
	} else if n > 0 {
		s.log.Debug("cloudtrail: purged old events", "count", n)
	}
}

// now returns the current time in UTC.
func (s *Service) now() time.Time { return s.clock.Now().UTC() }

// internal turns a store failure into InternalFailure (logged); API errors pass.
func (s *Service) internal(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := awsapi.As(err); ok {
		return err
	}
	s.log.Error("cloudtrail: store failure", "err", err)
	return awsapi.ErrInternal
}
