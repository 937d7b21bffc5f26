// Package sts is Wharf's Security Token Service: GetCallerIdentity, AssumeRole and
// GetSessionToken. Temporary credentials (ASIA keys with a session token and an
// expiry) go into iam.Keys, where SigV4 verification finds them and refuses them once
// expired. The principal of an assumed role is its session ARN
// (arn:aws:sts::<acct>:assumed-role/<role>/<session>); the key records the role ARN,
// the session name and the session policy for the authorizer.
package sts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/iam"
)

// Clock tells the time; the system clock by default.
type Clock interface{ Now() time.Time }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// RoleSource finds roles by ARN (iam.Service is one).
type RoleSource interface {
	Role(ctx context.Context, arn string) (iam.Role, bool, error)
}

// Config configures the STS service.
type Config struct {
	Region    string
	AccountID string // "000000000000" when empty
	// Keys receives the temporary credentials. Required.
	Keys *iam.Keys
	// Roles finds the roles to assume. Required.
	Roles RoleSource
	// Authorize checks that p may assume role (its trust policy); nil allows the
	// principals of the same account.
	Authorize func(ctx context.Context, p awsapi.Principal, role iam.Role) error
	// ValidatePolicy checks a session policy; nil only checks that it is JSON.
	ValidatePolicy func(doc []byte) error
	Logger         *slog.Logger
	Clock          Clock
}

// Service is the STS API.
type Service struct {
	cfg Config
}

// New returns the STS service.
func New(cfg Config) (*Service, error) {
	if cfg.Keys == nil || cfg.Roles == nil {
		return nil, errors.New("sts: Keys and Roles are required")
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
	return &Service{cfg: cfg}, nil
}

// API describes the STS API for the gateway: awsQuery with Version 2011-06-15, SigV4
// name "sts".
func (s *Service) API() *awsapi.Service {
	return &awsapi.Service{
		SigningName:  "sts",
		QueryVersion: "2011-06-15",
		XMLNamespace: "https://sts.amazonaws.com/doc/2011-06-15/",
		Protocols:    []awsapi.Protocol{awsapi.Query},
		Operations: awsapi.Operations(
			// AWS allows every principal to call GetCallerIdentity and GetSessionToken;
			// AssumeRole is authorized by the role's trust policy together with the
			// caller's identity policies (Config.Authorize), not by the gateway alone.
			unauthorized(awsapi.Op("GetCallerIdentity", s.GetCallerIdentity)),
			unauthorized(awsapi.Op("AssumeRole", s.AssumeRole)),
			unauthorized(awsapi.Op("GetSessionToken", s.GetSessionToken)),
		),
	}
}

// unauthorized marks an operation that the gateway's policy check skips.
func unauthorized(op awsapi.Operation) awsapi.Operation {
	op.Unauthorized = true
	return op
}

// Wire types (member names of aws-sdk-go-v2/service/sts).
type (
	// Credentials are temporary credentials.
	Credentials struct {
		AccessKeyId     string    `json:"AccessKeyId"`
		SecretAccessKey string    `json:"SecretAccessKey" sensitive:"true"`
		SessionToken    string    `json:"SessionToken" sensitive:"true"`
		Expiration      time.Time `json:"Expiration"`
	}
	// AssumedRoleUser names an assumed-role session.
	AssumedRoleUser struct {
		AssumedRoleId string `json:"AssumedRoleId"`
		Arn           string `json:"Arn"`
	}
	// Tag is a session tag.
	Tag struct {
		Key   string `json:"Key"`
		Value string `json:"Value"`
	}
	// PolicyDescriptorType names a managed session policy.
	PolicyDescriptorType struct {
		Arn *string `json:"arn,omitempty"`
	}
	// GetCallerIdentityInput is the (empty) input of GetCallerIdentity.
	GetCallerIdentityInput struct{}
	// GetCallerIdentityOutput is the output of GetCallerIdentity.
	GetCallerIdentityOutput struct {
		UserId  string `json:"UserId"`
		Account string `json:"Account"`
		Arn     string `json:"Arn"`
	}
	// AssumeRoleInput is the input of AssumeRole.
	AssumeRoleInput struct {
		RoleArn           *string                `json:"RoleArn,omitempty"`
		RoleSessionName   *string                `json:"RoleSessionName,omitempty"`
		DurationSeconds   *int32                 `json:"DurationSeconds,omitempty"`
		Policy            *string                `json:"Policy,omitempty"`
		PolicyArns        []PolicyDescriptorType `json:"PolicyArns,omitempty"`
		Tags              []Tag                  `json:"Tags,omitempty"`
		TransitiveTagKeys []string               `json:"TransitiveTagKeys,omitempty"`
		ExternalId        *string                `json:"ExternalId,omitempty"`
		SerialNumber      *string                `json:"SerialNumber,omitempty"`
		TokenCode         *string                `json:"TokenCode,omitempty"`
		SourceIdentity    *string                `json:"SourceIdentity,omitempty"`
	}
	// AssumeRoleOutput is the output of AssumeRole.
	AssumeRoleOutput struct {
		Credentials      *Credentials     `json:"Credentials,omitempty"`
		AssumedRoleUser  *AssumedRoleUser `json:"AssumedRoleUser,omitempty"`
		PackedPolicySize *int32           `json:"PackedPolicySize,omitempty"`
		SourceIdentity   *string          `json:"SourceIdentity,omitempty"`
	}
	// GetSessionTokenInput is the input of GetSessionToken.
	GetSessionTokenInput struct {
		DurationSeconds *int32  `json:"DurationSeconds,omitempty"`
		SerialNumber    *string `json:"SerialNumber,omitempty"`
		TokenCode       *string `json:"TokenCode,omitempty"`
	}
	// GetSessionTokenOutput is the output of GetSessionToken.
	GetSessionTokenOutput struct {
		Credentials *Credentials `json:"Credentials,omitempty"`
	}
)

func errValidation(format string, args ...any) error {
	return &awsapi.Error{Code: "ValidationError", Message: fmt.Sprintf(format, args...), Status: 400}
}

func errAccessDenied(format string, args ...any) error {
	return &awsapi.Error{Code: "AccessDenied", Message: fmt.Sprintf(format, args...), Status: 403}
}

func errRange(member string, v, lo, hi int32) error {
	if v < lo {
		return errValidation("1 validation error detected: Value '%d' at '%s' failed to satisfy constraint: Member must have value greater than or equal to %d", v, member, lo)
	}
	return errValidation("1 validation error detected: Value '%d' at '%s' failed to satisfy constraint: Member must have value less than or equal to %d", v, member, hi)
}

var sessionNameRE = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

// caller returns the principal of the request and its key.
func (s *Service) caller(ctx context.Context) (awsapi.Principal, iam.AccessKey, error) {
	p, ok := awsapi.PrincipalFrom(ctx)
	if !ok {
		return p, iam.AccessKey{}, errAccessDenied("The request was not signed.")
	}
	var key iam.AccessKey
	if p.AccessKeyID != "" {
		k, found, err := s.cfg.Keys.Lookup(ctx, p.AccessKeyID)
		if err != nil {
			return p, key, fmt.Errorf("sts: looking up %s: %w", p.AccessKeyID, err)
		}
		if found {
			key = k
		}
	}
	return p, key, nil
}

// GetCallerIdentity names the principal that signed the request.
func (s *Service) GetCallerIdentity(ctx context.Context, _ *GetCallerIdentityInput) (*GetCallerIdentityOutput, error) {
	p, ok := awsapi.PrincipalFrom(ctx)
	if !ok {
		return nil, errAccessDenied("The request was not signed.")
	}
	return &GetCallerIdentityOutput{UserId: p.UserID, Account: p.AccountID, Arn: p.ARN}, nil
}

// AssumeRole returns temporary credentials for a role whose trust policy allows the caller.
func (s *Service) AssumeRole(ctx context.Context, in *AssumeRoleInput) (*AssumeRoleOutput, error) {
	p, key, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	if in.RoleArn == nil {
		return nil, errValidation("1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null")
	}
	if len(*in.RoleArn) < 20 || len(*in.RoleArn) > 2048 {
		return nil, errValidation("1 validation error detected: Value '%s' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20", *in.RoleArn)
	}
	if in.RoleSessionName == nil {
		return nil, errValidation("1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null")
	}
	if !sessionNameRE.MatchString(*in.RoleSessionName) {
		return nil, errValidation(`1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*`, *in.RoleSessionName)
	}
	if in.Policy != nil {
		if len(*in.Policy) > 2048 {
			return nil, &awsapi.Error{Code: "PackedPolicyTooLarge", Message: "Packed policy consumes more than 100 percent of the allowed space.", Status: 400}
		}
		if err := s.checkPolicy(*in.Policy); err != nil {
			return nil, err
		}
	}
	if len(in.PolicyArns) > 0 {
		return nil, errValidation("Wharf does not support managed session policies (PolicyArns); pass an inline Policy.")
	}
	if len(in.Tags) > 50 {
		return nil, errValidation("1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50")
	}
	role, ok, err := s.cfg.Roles.Role(ctx, *in.RoleArn)
	if err != nil {
		return nil, fmt.Errorf("sts: role %s: %w", *in.RoleArn, err)
	}
	denied := errAccessDenied("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", p.ARN, *in.RoleArn)
	if !ok {
		return nil, denied
	}
	if s.cfg.Authorize != nil {
		if err := s.cfg.Authorize(ctx, p, role); err != nil {
			return nil, denied
		}
	} else if p.AccountID != s.cfg.AccountID {
		return nil, denied
	}
	maxDur := role.MaxSessionDuration
	if maxDur == 0 {
		maxDur = 3600
	}
	dur := int32(3600)
	if in.DurationSeconds != nil {
		dur = *in.DurationSeconds
		if dur < 900 || dur > 43200 {
			return nil, errRange("durationSeconds", dur, 900, 43200)
		}
		if dur > maxDur {
			return nil, errValidation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
		}
		if key.RoleArn != "" && dur > 3600 {
			return nil, errValidation("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
		}
	}
	tags := map[string]string{}
	for _, t := range in.Tags {
		tags[t.Key] = t.Value
	}
	creds, user, err := s.issue(ctx, role, *in.RoleSessionName, time.Duration(dur)*time.Second, deref(in.Policy), tags, key.AccessKeyID)
	if err != nil {
		return nil, err
	}
	return &AssumeRoleOutput{Credentials: &creds, AssumedRoleUser: &user, PackedPolicySize: packedSize(in)}, nil
}

// packedSize reports the share of the packed policy quota used, in percent, when the
// request had a session policy or tags.
func packedSize(in *AssumeRoleInput) *int32 {
	if in.Policy == nil && len(in.Tags) == 0 {
		return nil
	}
	n := len(deref(in.Policy))
	for _, t := range in.Tags {
		n += len(t.Key) + len(t.Value)
	}
	pct := int32(n * 100 / 2048)
	return &pct
}

func (s *Service) checkPolicy(doc string) error {
	if strings.TrimSpace(doc) == "" {
		return &awsapi.Error{Code: "MalformedPolicyDocument", Message: "Syntax errors in policy.", Status: 400}
	}
	var v any
	if err := jsonUnmarshal(doc, &v); err != nil {
		return &awsapi.Error{Code: "MalformedPolicyDocument", Message: "Syntax errors in policy.", Status: 400}
	}
	if s.cfg.ValidatePolicy != nil {
		if err := s.cfg.ValidatePolicy([]byte(doc)); err != nil {
			return &awsapi.Error{Code: "MalformedPolicyDocument", Message: err.Error(), Status: 400}
		}
	}
	return nil
}

// CredentialsFor issues temporary credentials for a role without checking its trust
// policy: for Wharf itself (task roles), which is trusted. The duration is clamped to
// 15 minutes .. the role's maximum session.
func (s *Service) CredentialsFor(ctx context.Context, roleArn, sessionName string, duration time.Duration) (Credentials, error) {
	role, ok, err := s.cfg.Roles.Role(ctx, roleArn)
	if err != nil {
		return Credentials{}, fmt.Errorf("sts: role %s: %w", roleArn, err)
	}
	if !ok {
		return Credentials{}, fmt.Errorf("sts: role %s does not exist", roleArn)
	}
	if !sessionNameRE.MatchString(sessionName) {
		return Credentials{}, fmt.Errorf("sts: invalid session name %q", sessionName)
	}
	maxDur := time.Duration(max(role.MaxSessionDuration, 3600)) * time.Second
	duration = min(max(duration, 15*time.Minute), maxDur)
	creds, _, err := s.issue(ctx, role, sessionName, duration, "", nil, "")
	return creds, err
}

// issue stores a temporary key for a session of role and returns it.
func (s *Service) issue(ctx context.Context, role iam.Role, session string, d time.Duration, sessionPolicy string, tags map[string]string, source string) (Credentials, AssumedRoleUser, error) {
	now := s.cfg.Clock.Now().UTC().Truncate(time.Second)
	user := AssumedRoleUser{
		AssumedRoleId: role.RoleId + ":" + session,
		Arn:           "arn:aws:sts::" + s.cfg.AccountID + ":assumed-role/" + role.RoleName + "/" + session,
	}
	key := iam.AccessKey{
		AccessKeyID: iam.NewID("ASIA", 16), SecretAccessKey: iam.NewSecret(40), SessionToken: newToken(),
		Expires: now.Add(d), Status: "Active", CreatedAt: now,
		Principal: awsapi.Principal{AccountID: s.cfg.AccountID, ARN: user.Arn, UserID: user.AssumedRoleId},
		RoleArn:   role.Arn, SessionName: session, SessionPolicy: sessionPolicy, SourceKeyID: source, SessionTags: tags,
	}
	key.Principal.AccessKeyID = key.AccessKeyID
	if err := s.store(ctx, key, now); err != nil {
		return Credentials{}, AssumedRoleUser{}, err
	}
	return creds(key), user, nil
}

func (s *Service) store(ctx context.Context, key iam.AccessKey, now time.Time) error {
	if _, err := s.cfg.Keys.Prune(ctx, now); err != nil {
		s.cfg.Logger.Warn("sts: pruning expired keys", "err", err)
	}
	if err := s.cfg.Keys.Put(ctx, key); err != nil {
		return fmt.Errorf("sts: storing credentials: %w", err)
	}
	return nil
}

func creds(k iam.AccessKey) Credentials {
	return Credentials{AccessKeyId: k.AccessKeyID, SecretAccessKey: k.SecretAccessKey, SessionToken: k.SessionToken, Expiration: k.Expires}
}

// GetSessionToken returns temporary credentials with the caller's own identity: for
// IAM users (900 s to 36 h, 12 h by default) and root (up to 1 h).
func (s *Service) GetSessionToken(ctx context.Context, in *GetSessionTokenInput) (*GetSessionTokenOutput, error) {
	p, key, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	if key.SessionToken != "" || key.RoleArn != "" {
		return nil, errAccessDenied("Cannot call GetSessionToken with session credentials")
	}
	lo, hi, dur := int32(900), int32(129600), int32(43200)
	if p.Root {
		hi, dur = 3600, 3600
	}
	if in.DurationSeconds != nil {
		dur = *in.DurationSeconds
		if dur < lo || dur > hi {
			return nil, errRange("durationSeconds", dur, lo, hi)
		}
	}
	now := s.cfg.Clock.Now().UTC().Truncate(time.Second)
	k := iam.AccessKey{
		AccessKeyID: iam.NewID("ASIA", 16), SecretAccessKey: iam.NewSecret(40), SessionToken: newToken(),
		Expires: now.Add(time.Duration(dur) * time.Second), Status: "Active", CreatedAt: now,
		Principal: p, UserName: "", SourceKeyID: key.AccessKeyID,
	}
	k.Principal.AccessKeyID = k.AccessKeyID
	if err := s.store(ctx, k, now); err != nil {
		return nil, err
	}
	c := creds(k)
	return &GetSessionTokenOutput{Credentials: &c}, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
