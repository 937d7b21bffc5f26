package logs

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Validation of names and values against the model's constraints, with the wording
// of AWS's validation errors, and ARNs.

var (
	groupNameRE   = regexp.MustCompile(`^[\.\-_/#A-Za-z0-9]+$`)
	groupPatRE    = regexp.MustCompile(`^[\.\-_/#A-Za-z0-9]*$`)
	tagKeyRE      = regexp.MustCompile(`^([\p{L}\p{Z}\p{N}_.:/=+\-@]+)$`)
	tagValueRE    = regexp.MustCompile(`^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`)
	metricNameRE  = regexp.MustCompile(`^[^:*$]*$`)
	identifierRE  = regexp.MustCompile(`^[\w#+=/:,.@-]*$`)
	resourceArnRE = regexp.MustCompile(`^[\w+=/:,.@-]*$`)
)

const (
	groupNamePattern  = `[\.\-_/#A-Za-z0-9]+`
	streamNamePattern = `[^:*]*`
	maxNameLen        = 512
	maxTags           = 50
)

func errNull(field string) error {
	return errInvalid("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", field)
}

func errTooLong(field, value string, max int) error {
	return errInvalid("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must have length less than or equal to %d", value, field, max)
}

func errTooShort(field, value string, min int) error {
	return errInvalid("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must have length greater than or equal to %d", value, field, min)
}

func errPatternMismatch(field, value, pattern string) error {
	return errInvalid("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", value, field, pattern)
}

func errRange(field string, v int64, min, max int64) error {
	if v < min {
		return errInvalid("1 validation error detected: Value '%d' at '%s' failed to satisfy constraint: Member must have value greater than or equal to %d", v, field, min)
	}
	return errInvalid("1 validation error detected: Value '%d' at '%s' failed to satisfy constraint: Member must have value less than or equal to %d", v, field, max)
}

// checkLen checks a string's length in characters.
func checkLen(field, v string, min, max int) error {
	n := utf8.RuneCountInString(v)
	if n < min {
		return errTooShort(field, v, min)
	}
	if max > 0 && n > max {
		return errTooLong(field, v, max)
	}
	return nil
}

// validGroupName checks a required log group name.
func validGroupName(field string, p *string) (string, error) {
	if p == nil {
		return "", errNull(field)
	}
	if err := checkLen(field, *p, 1, maxNameLen); err != nil {
		return "", err
	}
	if !groupNameRE.MatchString(*p) {
		return "", errPatternMismatch(field, *p, groupNamePattern)
	}
	return *p, nil
}

// validStreamName checks a log stream name (or a filter name: the same rule).
func validStreamName(field string, p *string) (string, error) {
	if p == nil {
		return "", errNull(field)
	}
	if err := checkLen(field, *p, 1, maxNameLen); err != nil {
		return "", err
	}
	if strings.ContainsAny(*p, ":*") {
		return "", errPatternMismatch(field, *p, streamNamePattern)
	}
	return *p, nil
}

// validLimit checks an optional page size and returns it or def.
func validLimit(field string, p *int32, max, def int) (int, error) {
	if p == nil {
		return def, nil
	}
	if *p < 1 || int(*p) > max {
		return 0, errRange(field, int64(*p), 1, int64(max))
	}
	return int(*p), nil
}

// validTags checks tags against AWS's key and value rules.
func validTags(field string, tags map[string]string) error {
	if len(tags) > maxTags {
		return errInvalid("1 validation error detected: Value at '%s' failed to satisfy constraint: Member must have length less than or equal to %d", field, maxTags)
	}
	for k, v := range tags {
		if err := validTagKey(field+".key", k); err != nil {
			return err
		}
		if utf8.RuneCountInString(v) > 256 {
			return errTooLong(field+".value", v, 256)
		}
		if !tagValueRE.MatchString(v) {
			return errPatternMismatch(field+".value", v, `^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`)
		}
	}
	return nil
}

func validTagKey(field, k string) error {
	if err := checkLen(field, k, 1, 128); err != nil {
		return err
	}
	if !tagKeyRE.MatchString(k) {
		return errPatternMismatch(field, k, `^([\p{L}\p{Z}\p{N}_.:/=+\-@]+)$`)
	}
	return nil
}

// allowedRetention lists the retention periods AWS accepts, in days.
var allowedRetention = []int32{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

func validRetention(p *int32) (int32, error) {
	if p == nil {
		return 0, errNull("retentionInDays")
	}
	for _, d := range allowedRetention {
		if d == *p {
			return d, nil
		}
	}
	days := make([]string, len(allowedRetention))
	for i, d := range allowedRetention {
		days[i] = fmt.Sprint(d)
	}
	return 0, errInvalid("1 validation error detected: Value '%d' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [%s]", *p, strings.Join(days, ", "))
}

// validGroupClass checks a log group class; empty is STANDARD.
func validGroupClass(c string) (string, error) {
	switch c {
	case "":
		return "STANDARD", nil
	case "STANDARD", "INFREQUENT_ACCESS", "DELIVERY":
		return c, nil
	}
	return "", errInvalid("1 validation error detected: Value '%s' at 'logGroupClass' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, INFREQUENT_ACCESS, DELIVERY]", c)
}

// groupARN is a log group's ARN as DescribeLogGroups' arn reports it and IAM
// authorizes group operations: with a trailing ":*".
func (s *Service) groupARN(name string) string { return s.groupBareARN(name) + ":*" }

// groupBareARN is a log group's ARN without ":*" (logGroupArn, TagResource).
func (s *Service) groupBareARN(name string) string {
	return "arn:aws:logs:" + s.region + ":" + s.account + ":log-group:" + name
}

// streamARN is a log stream's ARN.
func (s *Service) streamARN(group, stream string) string {
	return s.groupBareARN(group) + ":log-stream:" + stream
}

// groupFromARN returns the log group an ARN of this account and region names
// ("...:log-group:NAME" with an optional ":*"), or false.
func (s *Service) groupFromARN(arn string) (string, bool) {
	prefix := s.groupBareARN("")
	if !strings.HasPrefix(arn, prefix) {
		return "", false
	}
	name := strings.TrimSuffix(arn[len(prefix):], ":*")
	if name == "" || !groupNameRE.MatchString(name) {
		return "", false
	}
	return name, true
}

// resolveGroup returns the log group named by logGroupName or logGroupIdentifier (a
// name or an ARN), exactly one of which must be given.
func (s *Service) resolveGroup(name, identifier *string) (string, error) {
	switch {
	case name != nil && identifier != nil:
		return "", errInvalid("LogGroup name and LogGroup ARN are mutually exclusive parameters.")
	case name != nil:
		return validGroupName("logGroupName", name)
	case identifier != nil:
		id := *identifier
		if err := checkLen("logGroupIdentifier", id, 1, 2048); err != nil {
			return "", err
		}
		if !identifierRE.MatchString(id) {
			return "", errPatternMismatch("logGroupIdentifier", id, `[\w#+=/:,.@-]*`)
		}
		if strings.HasPrefix(id, "arn:") {
			g, ok := s.groupFromARN(id)
			if !ok {
				return "", errGroupNotFound()
			}
			return g, nil
		}
		return validGroupName("logGroupIdentifier", identifier)
	}
	return "", errInvalid("Should provide either name or ARN of the log group.")
}

// Pagination tokens are opaque to clients: base64url of a small JSON document.

func encodeToken(v any) *string {
	raw, _ := json.Marshal(v)
	t := base64.RawURLEncoding.EncodeToString(raw)
	return &t
}

func decodeToken(p *string, v any) error {
	if p == nil {
		return nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(*p)
	if err == nil {
		err = json.Unmarshal(raw, v)
	}
	if err != nil {
		return errInvalid("The specified nextToken is invalid.")
	}
	return nil
}
