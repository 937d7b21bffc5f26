package logs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/store"
)

// Clock tells the time and waits. Tests give a fake one; the default is the system
// clock.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time                         { return time.Now() }
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Metric is one data point a metric filter publishes.
type Metric struct {
	Name       string
	Dimensions map[string]string
	Value      float64
	Unit       string // a CloudWatch standard unit; empty when the filter names none
	Timestamp  time.Time
}

// MetricSink receives the data points of metric filters (CloudWatch).
type MetricSink interface {
	// PutMetrics publishes data points of one namespace.
	PutMetrics(ctx context.Context, namespace string, data []Metric) error
}

// Config configures the CloudWatch Logs service.
type Config struct {
	// Region and AccountID go into every ARN ("us-east-1", "000000000000" when empty).
	Region    string
	AccountID string
	// Dir holds the event segments, one directory per log group; required.
	Dir string
	// Clock stamps ingestion times and drives retention; the system clock when nil.
	Clock Clock
	// Logger receives storage failures; slog.Default() when nil.
	Logger *slog.Logger
	// Metrics receives the data points of metric filters; none are published when nil.
	Metrics MetricSink
	// SegmentBytes is the size after which a segment file is sealed
	// (DefaultSegmentBytes when zero).
	SegmentBytes int64
	// RetentionInterval is how often Run deletes expired segments (one minute when
	// zero).
	RetentionInterval time.Duration
}

// Service is Wharf's CloudWatch Logs. Log group, stream and metric filter metadata
// live in the store; events live in a segment log per group under Config.Dir. Any
// number of goroutines may call it.
type Service struct {
	db       *store.DB
	dir      string
	region   string
	account  string
	clock    Clock
	log      *slog.Logger
	sink     MetricSink
	segBytes int64
	interval time.Duration

	mu      sync.Mutex
	groups  map[uint64]*eventLog       // by group id
	filters map[uint64][]*metricFilter // compiled metric filters by group id
	deleted map[uint64]bool            // ids of groups deleted since New
	closed  bool

	patterns patternCache
	swept    chan struct{} // tests: signalled after each retention sweep
}

// Store buckets.
const (
	bucketGroups  = "logs.groups"
	bucketStreams = "logs.streams"
	bucketFilters = "logs.metricfilters"
	bucketSeq     = "logs.sequences"
)

// groupRecord is a log group as stored.
type groupRecord struct {
	ID              uint64            `json:"id"`
	Name            string            `json:"name"`
	CreationTime    int64             `json:"creationTime"`
	RetentionInDays int32             `json:"retentionInDays,omitempty"`
	KmsKeyID        string            `json:"kmsKeyId,omitempty"`
	Class           string            `json:"class"`
	Tags            map[string]string `json:"tags,omitempty"`
	NextStreamID    uint32            `json:"nextStreamId"`
}

// streamRecord is a log stream as stored, under streamKey.
type streamRecord struct {
	ID           uint32 `json:"id"`
	Name         string `json:"name"`
	CreationTime int64  `json:"creationTime"`
}

// filterRecord is a metric filter as stored, under streamKey of its name.
type filterRecord struct {
	Name            string                 `json:"name"`
	Pattern         string                 `json:"pattern"`
	CreationTime    int64                  `json:"creationTime"`
	Transformations []MetricTransformation `json:"transformations"`
}

// childKey is the store key of a stream or metric filter of a group: the group id in
// 16 hex digits, '/', the name. Names sort as AWS lists them.
func childKey(group uint64, name string) string { return childPrefix(group) + name }

func childPrefix(group uint64) string { return fmt.Sprintf("%016x/", group) }

// New returns CloudWatch Logs over db and the segments in cfg.Dir, recovering them:
// torn tails left by a crash are truncated, and directories of deleted groups removed.
func New(db *store.DB, cfg Config) (*Service, error) {
	if db == nil {
		return nil, errors.New("logs: a store is required")
	}
	if cfg.Dir == "" {
		return nil, errors.New("logs: a directory for events is required")
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
	if cfg.SegmentBytes <= 0 {
		cfg.SegmentBytes = DefaultSegmentBytes
	}
	if cfg.RetentionInterval <= 0 {
		cfg.RetentionInterval = time.Minute
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("logs: create %s: %w", cfg.Dir, err)
	}
	s := &Service{
		db: db, dir: cfg.Dir, region: cfg.Region, account: cfg.AccountID, clock: cfg.Clock,
		log: cfg.Logger, sink: cfg.Metrics, segBytes: cfg.SegmentBytes, interval: cfg.RetentionInterval,
		groups: map[uint64]*eventLog{}, filters: map[uint64][]*metricFilter{}, deleted: map[uint64]bool{},
	}
	var groups []groupRecord
	var filters = map[uint64][]filterRecord{}
	if err := db.View(func(tx *store.Tx) error {
		var err error
		if groups, err = store.List[groupRecord](tx, bucketGroups, ""); err != nil {
			return err
		}
		for _, g := range groups {
			fs, err := store.List[filterRecord](tx, bucketFilters, childPrefix(g.ID))
			if err != nil {
				return err
			}
			filters[g.ID] = fs
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("logs: load: %w", err)
	}
	known := map[string]bool{}
	for _, g := range groups {
		l, err := openEventLog(s.groupDir(g.ID), s.segBytes, s.log.With("log_group", g.Name))
		if err != nil {
			s.Close()
			return nil, err
		}
		s.groups[g.ID] = l
		known[filepath.Base(s.groupDir(g.ID))] = true
		for _, f := range filters[g.ID] {
			mf, err := compileMetricFilter(g.Name, f)
			if err != nil {
				s.log.Error("logs: stored metric filter does not compile", "log_group", g.Name, "filter", f.Name, "err", err)
				continue
			}
			s.filters[g.ID] = append(s.filters[g.ID], mf)
		}
	}
	entries, err := os.ReadDir(cfg.Dir)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("logs: read %s: %w", cfg.Dir, err)
	}
	for _, e := range entries {
		if e.IsDir() && !known[e.Name()] {
			if _, err := strconv.ParseUint(e.Name(), 16, 64); err != nil {
				continue
			}
			// The events of a group whose deletion was committed before a crash.
			if err := os.RemoveAll(filepath.Join(cfg.Dir, e.Name())); err != nil {
				s.log.Warn("logs: cannot remove the events of a deleted log group", "dir", e.Name(), "err", err)
			}
		}
	}
	return s, nil
}

func (s *Service) groupDir(id uint64) string {
	return filepath.Join(s.dir, fmt.Sprintf("%016x", id))
}

// Close closes the segment files. Calls after Close fail.
func (s *Service) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for _, l := range s.groups {
		l.closeFiles()
	}
	return nil
}

// API describes CloudWatch Logs for the gateway: awsJson1_1 with the target prefix
// Logs_20140328, SigV4 name "logs", bare error codes.
func (s *Service) API() *awsapi.Service {
	return &awsapi.Service{
		SigningName:  "logs",
		TargetPrefix: "Logs_20140328",
		Protocols:    []awsapi.Protocol{awsapi.JSON11},
		Operations: s.withResources(awsapi.Operations(
			awsapi.Op("CreateLogGroup", s.CreateLogGroup),
			awsapi.Op("DeleteLogGroup", s.DeleteLogGroup),
			awsapi.Op("DescribeLogGroups", s.DescribeLogGroups),
			awsapi.Op("PutRetentionPolicy", s.PutRetentionPolicy),
			awsapi.Op("DeleteRetentionPolicy", s.DeleteRetentionPolicy),
			awsapi.Op("TagLogGroup", s.TagLogGroup),
			awsapi.Op("UntagLogGroup", s.UntagLogGroup),
			awsapi.Op("ListTagsLogGroup", s.ListTagsLogGroup),
			awsapi.Op("TagResource", s.TagResource),
			awsapi.Op("UntagResource", s.UntagResource),
			awsapi.Op("ListTagsForResource", s.ListTagsForResource),
			awsapi.Op("CreateLogStream", s.CreateLogStream),
			awsapi.Op("DeleteLogStream", s.DeleteLogStream),
			awsapi.Op("DescribeLogStreams", s.DescribeLogStreams),
			awsapi.Op("PutLogEvents", s.PutLogEvents),
			awsapi.Op("GetLogEvents", s.GetLogEvents),
			awsapi.Op("FilterLogEvents", s.FilterLogEvents),
			awsapi.Op("PutMetricFilter", s.PutMetricFilter),
			awsapi.Op("DescribeMetricFilters", s.DescribeMetricFilters),
			awsapi.Op("DeleteMetricFilter", s.DeleteMetricFilter),
			awsapi.Op("TestMetricFilter", s.TestMetricFilter),
		)),
	}
}

// Run deletes expired events every RetentionInterval (of the configured clock) until
// ctx ends; then it returns nil.
func (s *Service) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.clock.After(s.interval):
			s.sweep()
		}
	}
}

// sweep deletes, in every group with a retention, the segments whose newest event has
// expired.
func (s *Service) sweep() {
	defer func() {
		if s.swept != nil {
			select {
			case s.swept <- struct{}{}:
			default:
			}
		}
	}()
	var groups []groupRecord
	if err := s.db.View(func(tx *store.Tx) error {
		var err error
		groups, err = store.List[groupRecord](tx, bucketGroups, "")
		return err
	}); err != nil {
		s.log.Error("logs: retention: cannot list log groups", "err", err)
		return
	}
	now := s.nowMillis()
	for _, g := range groups {
		if g.RetentionInDays == 0 {
			continue
		}
		l := s.eventLog(g.ID)
		if l == nil {
			continue
		}
		n, err := l.expire(retentionCutoff(now, g.RetentionInDays))
		if err != nil {
			s.log.Error("logs: retention failed", "log_group", g.Name, "err", err)
		}
		if n > 0 {
			s.log.Info("logs: expired segments deleted", "log_group", g.Name, "segments", n)
		}
	}
}

// retentionCutoff is the oldest timestamp (ms) a group with the retention keeps.
func retentionCutoff(now int64, days int32) int64 {
	if days <= 0 {
		return -1 << 63
	}
	return now - int64(days)*24*60*60*1000
}

// eventLog returns the open log of a group, or nil once it is deleted.
func (s *Service) eventLog(id uint64) *eventLog {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.groups[id]
}

// logFor returns the event log of a group for writing, opening it on first use.
func (s *Service) logFor(id uint64, name string) (*eventLog, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errUnavailable()
	}
	if s.deleted[id] {
		return nil, errGroupNotFound()
	}
	if l := s.groups[id]; l != nil {
		return l, nil
	}
	l, err := openEventLog(s.groupDir(id), s.segBytes, s.log.With("log_group", name))
	if err != nil {
		return nil, s.internal(err)
	}
	s.groups[id] = l
	return l, nil
}

// deletedGroup remembers a deleted group so that no late writer revives its log;
// s.mu must be held.
func (s *Service) deletedGroup(id uint64) { s.deleted[id] = true }

// nowMillis is the clock's time in ms since the epoch.
func (s *Service) nowMillis() int64 { return s.clock.Now().UnixMilli() }

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
	s.log.Error("logs: failure", "err", err)
	return fmt.Errorf("logs: %w", err)
}

// Error constructors, with CloudWatch Logs' codes and messages.

func errInvalid(format string, args ...any) error {
	return awsapi.Errorf("InvalidParameterException", format, args...)
}

func errGroupNotFound() error {
	return awsapi.Errorf("ResourceNotFoundException", "The specified log group does not exist.")
}

func errStreamNotFound() error {
	return awsapi.Errorf("ResourceNotFoundException", "The specified log stream does not exist.")
}

func errResourceNotFound() error {
	return awsapi.Errorf("ResourceNotFoundException", "The specified resource does not exist.")
}

func errLimit(format string, args ...any) error {
	return awsapi.Errorf("LimitExceededException", format, args...)
}

// errUnavailable is what a caller sees when the group's storage went away under it
// (the service is closing).
func errUnavailable() error {
	return &awsapi.Error{Code: "ServiceUnavailableException", Message: "The service cannot complete the request.", Status: 503, Server: true}
}

func ptr[T any](v T) *T { return &v }

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
