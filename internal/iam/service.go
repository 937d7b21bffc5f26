package iam

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/store"
)

// Clock tells the time. Tests give a fake one; the default is the system clock. (Any
// clock with a Now method, such as ecs.Clock or elbv2.Clock, serves.)
type Clock interface{ Now() time.Time }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// Config configures the IAM service.
type Config struct {
	// Region and AccountID: the account goes into every ARN ("000000000000" when empty).
	Region    string
	AccountID string
	// ValidatePolicy checks a policy document (trust is true for a role's trust policy);
	// its error becomes MalformedPolicyDocument. Nil only checks that the document is JSON.
	ValidatePolicy func(doc []byte, trust bool) error
	// Logger receives store failures; slog.Default() when nil.
	Logger *slog.Logger
	// Clock is the time source of creation dates; the system clock when nil.
	Clock Clock
}

// Service is Wharf's IAM API: users, groups, roles, access keys, managed and inline
// policies. Its state lives in the store; access keys go into Keys, where SigV4 finds them.
type Service struct {
	db       *store.DB
	keys     *Keys
	region   string
	account  string
	validate func(doc []byte, trust bool) error
	log      *slog.Logger
	clock    Clock
	// policyCache holds PoliciesFor results by principal ARN.
	policyMu    sync.Mutex
	policyCache map[string]policiesEntry
}

// NewService returns the IAM service over db, issuing access keys into keys.
func NewService(db *store.DB, keys *Keys, cfg Config) (*Service, error) {
	if db == nil || keys == nil {
		return nil, errors.New("iam: a store and a key store are required")
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
	return &Service{db: db, keys: keys, policyCache: map[string]policiesEntry{}, region: cfg.Region, account: cfg.AccountID,
		validate: cfg.ValidatePolicy, log: cfg.Logger, clock: cfg.Clock}, nil
}

// now returns the current time in UTC, to the second (as IAM shows times).
func (s *Service) now() time.Time { return s.clock.Now().UTC().Truncate(time.Second) }

func (s *Service) update(ctx context.Context, fn func(tx *store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.internal(s.db.Update(fn))
}

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
	s.log.Error("iam: store failure", "err", err)
	return fmt.Errorf("iam: %w", err)
}

// arn builds an IAM ARN of the account: kind is user, role, group or policy.
func (s *Service) arn(kind, path, name string) string {
	return "arn:aws:iam::" + s.account + ":" + kind + path + name
}

// Errors, with IAM's codes and statuses.

func errNoSuchEntity(format string, args ...any) error {
	return &awsapi.Error{Code: "NoSuchEntity", Message: fmt.Sprintf(format, args...), Status: 404}
}

func errExists(format string, args ...any) error {
	return &awsapi.Error{Code: "EntityAlreadyExists", Message: fmt.Sprintf(format, args...), Status: 409}
}

func errConflict(format string, args ...any) error {
	return &awsapi.Error{Code: "DeleteConflict", Message: fmt.Sprintf(format, args...), Status: 409}
}

func errLimit(format string, args ...any) error {
	return &awsapi.Error{Code: "LimitExceeded", Message: fmt.Sprintf(format, args...), Status: 409}
}

func errMalformed(format string, args ...any) error {
	return &awsapi.Error{Code: "MalformedPolicyDocument", Message: fmt.Sprintf(format, args...), Status: 400}
}

func errInvalid(format string, args ...any) error {
	return &awsapi.Error{Code: "InvalidInput", Message: fmt.Sprintf(format, args...), Status: 400}
}

func errValidation(format string, args ...any) error {
	return &awsapi.Error{Code: "ValidationError", Message: fmt.Sprintf(format, args...), Status: 400}
}

func errRequired(member string) error {
	return errValidation("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", member)
}

// Validation of names, paths and documents.

var (
	nameRE = regexp.MustCompile(`^[\w+=,.@-]+$`)
	pathRE = regexp.MustCompile(`^/([\x21-\x7E]*/)?$`)
)

// checkName checks a required name member against IAM's pattern and length.
func checkName(member string, v *string, maxLen int) (string, error) {
	if v == nil {
		return "", errRequired(member)
	}
	n := utf8.RuneCountInString(*v)
	if n < 1 {
		return "", errValidation("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must have length greater than or equal to 1", *v, member)
	}
	if n > maxLen {
		return "", errValidation("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must have length less than or equal to %d", *v, member, maxLen)
	}
	if !nameRE.MatchString(*v) {
		return "", errValidation(`1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+`, *v, member)
	}
	return *v, nil
}

// checkPath checks an optional path ("/" when nil).
func checkPath(member string, v *string) (string, error) {
	if v == nil {
		return "/", nil
	}
	if len(*v) > 512 || !pathRE.MatchString(*v) {
		return "", errValidation(`1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F)`, *v, member)
	}
	return *v, nil
}

// checkDocument checks a policy document: present, within maxLen characters (spaces
// not counted), JSON, and accepted by Config.ValidatePolicy. It returns the document.
func (s *Service) checkDocument(member string, v *string, maxLen int, quota string, trust bool) (string, error) {
	if v == nil {
		return "", errRequired(member)
	}
	doc := *v
	if strings.TrimSpace(doc) == "" {
		return "", errValidation("1 validation error detected: Value at '%s' failed to satisfy constraint: Member must have length greater than or equal to 1", member)
	}
	size := 0
	for _, r := range doc {
		if r != ' ' && r != '\t' && r != '\n' && r != '\r' {
			size++
		}
	}
	if size > maxLen {
		return "", errLimit("Cannot exceed quota for %s: %d", quota, maxLen)
	}
	if !json.Valid([]byte(doc)) {
		return "", errMalformed("Syntax errors in policy.")
	}
	if s.validate != nil {
		if err := s.validate([]byte(doc), trust); err != nil {
			return "", errMalformed("%s", err.Error())
		}
	}
	return doc, nil
}

// encodeDocument URL-encodes a policy document as IAM returns it (RFC 3986).
func encodeDocument(doc string) string {
	return strings.ReplaceAll(url.QueryEscape(doc), "+", "%20")
}

// checkTags checks tags given to a create or Tag operation: at most 50 in all, keys of
// 1 to 128 characters without the aws: prefix, values of up to 256.
func checkTags(tags []Tag) error {
	if len(tags) > 50 {
		return errLimit("The number of tags has reached the maximum limit of 50.")
	}
	seen := map[string]bool{}
	for _, t := range tags {
		if n := utf8.RuneCountInString(t.Key); n < 1 || n > 128 {
			return errValidation("1 validation error detected: Value '%s' at 'tags.member.key' failed to satisfy constraint: Member must have length between 1 and 128", t.Key)
		}
		if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return errInvalid("User-generated tag keys can't start with 'aws:'.")
		}
		if utf8.RuneCountInString(t.Value) > 256 {
			return errValidation("1 validation error detected: Value '%s' at 'tags.member.value' failed to satisfy constraint: Member must have length less than or equal to 256", t.Value)
		}
		if seen[strings.ToLower(t.Key)] {
			return errInvalid("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[strings.ToLower(t.Key)] = true
	}
	return nil
}

// mergeTags adds or replaces tags (keys compared without case) and checks the total.
func mergeTags(cur, add []Tag) ([]Tag, error) {
	if err := checkTags(add); err != nil {
		return nil, err
	}
	out := slices.Clone(cur)
	for _, t := range add {
		i := slices.IndexFunc(out, func(c Tag) bool { return strings.EqualFold(c.Key, t.Key) })
		if i >= 0 {
			out[i] = t
		} else {
			out = append(out, t)
		}
	}
	if len(out) > 50 {
		return nil, errLimit("The number of tags has reached the maximum limit of 50.")
	}
	return out, nil
}

// removeTags drops the tags with the given keys (compared without case).
func removeTags(cur []Tag, keys []string) []Tag {
	return slices.DeleteFunc(slices.Clone(cur), func(t Tag) bool {
		return slices.ContainsFunc(keys, func(k string) bool { return strings.EqualFold(k, t.Key) })
	})
}

// page returns the page of sorted items after marker, up to maxItems (default 100,
// 1 to 1000), the marker of the next page and whether there is one.
func page[T any](items []T, key func(T) string, marker *string, maxItems *int32) ([]T, *string, bool, error) {
	size := 100
	if maxItems != nil {
		if *maxItems < 1 || *maxItems > 1000 {
			return nil, nil, false, errValidation("1 validation error detected: Value '%d' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000", *maxItems)
		}
		size = int(*maxItems)
	}
	sorted := slices.Clone(items)
	slices.SortStableFunc(sorted, func(a, b T) int { return strings.Compare(key(a), key(b)) })
	start := 0
	if marker != nil {
		raw, err := base64.RawURLEncoding.DecodeString(*marker)
		if err != nil || len(raw) == 0 {
			return nil, nil, false, errValidation("Invalid Marker: %s", *marker)
		}
		from := string(raw)
		start = len(sorted)
		for i, it := range sorted {
			if key(it) >= from {
				start = i
				break
			}
		}
	}
	end := min(start+size, len(sorted))
	out := sorted[start:end]
	if out == nil {
		out = []T{}
	}
	if end < len(sorted) {
		next := base64.RawURLEncoding.EncodeToString([]byte(key(sorted[end])))
		return out, &next, true, nil
	}
	return out, nil, false, nil
}

// Random identifiers.

const idChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

// NewID returns an IAM unique id: the prefix (AIDA, AROA, ANPA, AGPA, AKIA, ASIA) and
// n random uppercase letters and digits.
func NewID(prefix string, n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	for i := range b {
		b[i] = idChars[int(b[i])%len(idChars)]
	}
	return prefix + string(b)
}

// NewSecret returns a random secret of n characters of base64 ([A-Za-z0-9+/]).
func NewSecret(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)[:n]
}

func lower(name string) string { return strings.ToLower(name) }

func ptr[T any](v T) *T { return &v }

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func itoa(n int) string { return strconv.Itoa(n) }
