package cloudformation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/store"
)

// Invoker calls an operation of another Wharf service on behalf of CloudFormation:
// service is the SigV4 signing name ("ecs", "elasticloadbalancing", "ssm", "kms",
// "iam", "logs", "monitoring", "application-autoscaling"), operation the API operation
// name, and input a pointer to the operation's input struct or a map[string]any decoded
// into it with the gateway's JSON rules (member names matched case-insensitively). The
// output is the operation's output struct (or nil); errors are the operation's
// (*awsapi.Error for API errors).
type Invoker interface {
	Invoke(ctx context.Context, service, operation string, input any) (output any, err error)
}

// InvokerFunc adapts a function to Invoker.
type InvokerFunc func(ctx context.Context, service, operation string, input any) (any, error)

// Invoke calls f.
func (f InvokerFunc) Invoke(ctx context.Context, service, operation string, input any) (any, error) {
	return f(ctx, service, operation, input)
}

// Clock tells the time and makes timers. Tests give a fake one; the default is the
// system clock.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time                         { return time.Now() }
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Config configures CloudFormation.
type Config struct {
	// Region and AccountID go into every ARN ("us-east-1", "000000000000" when empty).
	Region    string
	AccountID string
	// Invoker calls Wharf's other services for the built-in resource providers.
	// Without it, resources of those types fail to create with a reason that says so.
	Invoker Invoker
	// Clock stamps events and times stack timeouts and polls; the system clock when nil.
	Clock Clock
	// Logger receives engine and store failures; slog.Default() when nil.
	Logger *slog.Logger
	// SSM reads an SSM parameter's value, for parameters of type
	// AWS::SSM::Parameter::Value<...> and {{resolve:ssm:name}} references (name may
	// carry a ":version" selector). Without it those fail with a ValidationError.
	SSM func(name string) (string, error)
	// SSMSecure reads and decrypts a SecureString parameter for
	// {{resolve:ssm-secure:name}}; nil rejects those references.
	SSMSecure func(name string) (string, error)
	// Registry maps resource types to providers; nil uses DefaultRegistry().
	Registry *Registry
	// MaxParallel bounds the resources one stack operation works on at once; 10 when
	// zero.
	MaxParallel int
	// PollInterval is how often providers poll for stabilization (an ECS service
	// reaching its desired count); 2 seconds when zero.
	PollInterval time.Duration
	// TemplateDirs are the directories whose template files any caller may name in a
	// file:// TemplateURL. The account's root user (and Wharf itself, as in Deploy)
	// may name any file the process can read; other principals only files under
	// these. Nested stacks of a stack a root user made may also name any file.
	TemplateDirs []string
	// StabilizationTimeout bounds how long a provider waits for stabilization before
	// it fails the resource; 30 minutes when zero.
	StabilizationTimeout time.Duration
}

// Service is Wharf's CloudFormation. Its state lives in the store; stack operations
// run in background goroutines that Run (or Close) stops.
type Service struct {
	db           *store.DB
	region       string
	account      string
	invoker      Invoker
	clock        Clock
	log          *slog.Logger
	ssm          func(string) (string, error)
	ssmSec       func(string) (string, error)
	registry     *Registry
	parallel     int
	poll         time.Duration
	stableTO     time.Duration
	templateDirs []string

	base   context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	running map[string]*runState // stack id → its running operation
	subs    map[int]*subscriber
	nextSub int
	// writeMu serializes event sequence numbers with their commits, so that
	// subscribers see events in the order DescribeStackEvents lists them.
	writeMu sync.Mutex
}

// New returns CloudFormation over db.
func New(db *store.DB, cfg Config) (*Service, error) {
	if db == nil {
		return nil, errors.New("cloudformation: a store is required")
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
	if cfg.Registry == nil {
		cfg.Registry = DefaultRegistry()
	}
	if cfg.MaxParallel <= 0 {
		cfg.MaxParallel = 10
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 2 * time.Second
	}
	if cfg.StabilizationTimeout <= 0 {
		cfg.StabilizationTimeout = 30 * time.Minute
	}
	base, cancel := context.WithCancel(context.Background())
	return &Service{
		db: db, region: cfg.Region, account: cfg.AccountID, invoker: cfg.Invoker, clock: cfg.Clock,
		log: cfg.Logger, ssm: cfg.SSM, ssmSec: cfg.SSMSecure, registry: cfg.Registry, parallel: cfg.MaxParallel,
		poll: cfg.PollInterval, stableTO: cfg.StabilizationTimeout, templateDirs: cfg.TemplateDirs,
		base: base, cancel: cancel, running: map[string]*runState{}, subs: map[int]*subscriber{},
	}, nil
}

// API describes CloudFormation for the gateway: awsQuery 2010-05-15, SigV4 name
// "cloudformation".
func (s *Service) API() *awsapi.Service {
	return &awsapi.Service{
		SigningName:  "cloudformation",
		QueryVersion: "2010-05-15",
		XMLNamespace: "http://cloudformation.amazonaws.com/doc/2010-05-15/",
		Protocols:    []awsapi.Protocol{awsapi.Query},
		Operations: s.withResources(awsapi.Operations(
			awsapi.Op("ValidateTemplate", s.ValidateTemplate),
			awsapi.Op("CreateStack", s.CreateStack),
			awsapi.Op("UpdateStack", s.UpdateStack),
			awsapi.Op("DeleteStack", s.DeleteStack),
			awsapi.Op("DescribeStacks", s.DescribeStacks),
			awsapi.Op("DescribeStackEvents", s.DescribeStackEvents),
			awsapi.Op("DescribeStackResource", s.DescribeStackResource),
			awsapi.Op("DescribeStackResources", s.DescribeStackResources),
			awsapi.Op("ListStacks", s.ListStacks),
			awsapi.Op("ListStackResources", s.ListStackResources),
			awsapi.Op("GetTemplate", s.GetTemplate),
			awsapi.Op("GetTemplateSummary", s.GetTemplateSummary),
			awsapi.Op("CreateChangeSet", s.CreateChangeSet),
			awsapi.Op("DescribeChangeSet", s.DescribeChangeSet),
			awsapi.Op("ExecuteChangeSet", s.ExecuteChangeSet),
			awsapi.Op("DeleteChangeSet", s.DeleteChangeSet),
			awsapi.Op("ListChangeSets", s.ListChangeSets),
			awsapi.Op("CancelUpdateStack", s.CancelUpdateStack),
			awsapi.Op("ContinueUpdateRollback", s.ContinueUpdateRollback),
			awsapi.Op("ListExports", s.ListExports),
			awsapi.Op("ListImports", s.ListImports),
			awsapi.Op("UpdateTerminationProtection", s.UpdateTerminationProtection),
		)),
	}
}

// Run fails the stack operations a crash or stop left in progress and resumes their
// interrupted cleanups; then, until ctx ends, it forgets every hour the stacks deleted
// more than 90 days ago (as AWS lists them that long). When ctx ends it stops the
// running operations, which a later Run fails in turn.
func (s *Service) Run(ctx context.Context) error {
	if err := s.Recover(ctx); err != nil {
		return err
	}
	for {
		s.purgeDeleted()
		select {
		case <-ctx.Done():
			s.Close()
			return nil
		case <-s.clock.After(time.Hour):
		}
	}
}

// Close stops the running stack operations and waits for their goroutines. Stacks
// they leave in progress are failed by the next Recover.
func (s *Service) Close() {
	s.cancel()
	s.wg.Wait()
}

// now returns the current time in UTC, truncated to milliseconds as AWS reports it.
func (s *Service) now() time.Time { return s.clock.Now().UTC().Truncate(time.Millisecond) }

// update runs fn in a store transaction; store failures are logged and wrapped, API
// errors pass through.
func (s *Service) update(fn func(tx *store.Tx) error) error {
	return s.internal(s.db.Update(fn))
}

// view runs fn in a read-only store transaction.
func (s *Service) view(fn func(tx *store.Tx) error) error {
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
	s.log.Error("cloudformation: store failure", "err", err)
	return fmt.Errorf("cloudformation: %w", err)
}

// Error constructors, with CloudFormation's codes and messages.

func errValidation(format string, args ...any) error {
	return awsapi.Errorf("ValidationError", format, args...)
}

func errStackNotFound(name string) error {
	return errValidation("Stack with id %s does not exist", name)
}

func errAlreadyExists(format string, args ...any) error {
	return awsapi.Errorf("AlreadyExistsException", format, args...)
}

func errChangeSetNotFound(name string) error {
	return &awsapi.Error{Code: "ChangeSetNotFoundException", QueryCode: "ChangeSetNotFound", Message: fmt.Sprintf("ChangeSet [%s] does not exist", name)}
}

func errInvalidChangeSetStatus(format string, args ...any) error {
	return &awsapi.Error{Code: "InvalidChangeSetStatusException", QueryCode: "InvalidChangeSetStatus", Message: fmt.Sprintf(format, args...)}
}

func errTokenExists(format string, args ...any) error {
	return awsapi.Errorf("TokenAlreadyExistsException", format, args...)
}

func errCapabilities(caps []string) error {
	return awsapi.Errorf("InsufficientCapabilitiesException", "Requires capabilities : [%s]", strings.Join(caps, ", "))
}

func errLimit(format string, args ...any) error {
	return awsapi.Errorf("LimitExceededException", format, args...)
}

func ptr[T any](v T) *T { return &v }

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// strPtr returns nil for "" and a pointer otherwise.
func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// asAPIError returns the code of the API error in err, if any.
func asAPIError(err error) (string, bool) {
	if e, ok := awsapi.As(err); ok {
		return e.Code, true
	}
	return "", false
}

// asAPI returns the message of the API error in err, if any.
func asAPI(err error) (string, bool) {
	if e, ok := awsapi.As(err); ok {
		return e.Message, true
	}
	return "", false
}

// opContext is the context a stack operation runs in: the service's lifetime, with
// the principal of the request that started it, so that providers call Wharf's
// services as that caller (with its authorization and in its audit trail).
func (s *Service) opContext(caller context.Context) context.Context {
	ctx := s.base
	if caller == nil {
		return ctx
	}
	if p, ok := awsapi.PrincipalFrom(caller); ok {
		ctx = awsapi.WithPrincipal(ctx, p)
	}
	if ip := awsapi.SourceIP(caller); ip != "" {
		ctx = awsapi.WithSourceIP(ctx, ip)
	}
	return ctx
}

// callerOf returns the principal of the request in ctx, for the operation's record.
func callerOf(ctx context.Context) *awsapi.Principal {
	if p, ok := awsapi.PrincipalFrom(ctx); ok {
		return &p
	}
	return nil
}
