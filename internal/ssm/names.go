package ssm

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/wharf-dev/wharf/internal/awsapi"
)

// Limits from the Parameter Store quotas and the API model.
const (
	maxNameLen        = 2048 // the model's constraint on Name
	maxARNLen         = 1011 // a name including its full ARN
	maxLevels         = 15
	maxValueStandard  = 4096
	maxValueAdvanced  = 8192
	maxStandardParams = 10000
	maxAdvancedParams = 100000
	maxVersions       = 100
	maxLabelsPerVer   = 10
	maxLabelLen       = 100
	maxTags           = 50
	maxDescriptionLen = 1024
	maxPatternLen     = 1024
)

const nameRules = `Parameter name: can't be prefixed with "aws" or "ssm" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_`

// arn returns the ARN of the parameter name.
func (s *Service) arn(name string) string {
	return "arn:aws:ssm:" + s.region + ":" + s.account + ":parameter/" + strings.TrimPrefix(name, "/")
}

// validName checks a parameter name for PutParameter.
func (s *Service) validName(name string) error {
	if name == "" {
		return errValidation("1 validation error detected: Value '' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	if len(name) > maxNameLen {
		return errValidation("1 validation error detected: Value at 'name' failed to satisfy constraint: Member must have length less than or equal to %d", maxNameLen)
	}
	lower := strings.ToLower(strings.TrimPrefix(name, "/"))
	if strings.HasPrefix(lower, "aws") || strings.HasPrefix(lower, "ssm") {
		if strings.HasPrefix(strings.ToLower(name), "/aws/") {
			return &awsapi.Error{Code: "AccessDeniedException", Message: fmt.Sprintf("No access to reserved parameter name: %s.", name)}
		}
		return errValidation("%s", nameRules)
	}
	if strings.Contains(name, "/") && !strings.HasPrefix(name, "/") {
		return errValidation("Parameter name must be a fully qualified name.")
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-' || c == '/') {
			return errValidation("%s", nameRules)
		}
	}
	segs := strings.Split(strings.TrimPrefix(name, "/"), "/")
	for _, seg := range segs {
		if seg == "" {
			return errValidation("%s", nameRules)
		}
	}
	if len(segs) > maxLevels {
		return awsapi.Errorf("HierarchyLevelLimitExceededException", "A hierarchy can have a maximum of %d levels. For more information, see Requirements and constraints for parameter names in the AWS Systems Manager User Guide.", maxLevels)
	}
	if n := len(s.arn(name)); n > maxARNLen {
		return errValidation("Parameter name including its ARN is %d characters long; the maximum is %d.", n, maxARNLen)
	}
	return nil
}

// reference is a parsed GetParameter name: a name or ARN with an optional selector.
type reference struct {
	name     string
	selector string // "" or ":3" or ":label"
	version  int64  // > 0 when the selector is a version
	label    string // when the selector is a label
	fromARN  bool   // the parameter was named by its ARN
}

// parseReference parses "name", "name:selector", or an ARN with an optional selector.
func (s *Service) parseReference(in string) (reference, error) {
	var ref reference
	rest := in
	if strings.HasPrefix(in, "arn:") {
		parts := strings.SplitN(in, ":", 6)
		if len(parts) != 6 || parts[2] != "ssm" || !strings.HasPrefix(parts[5], "parameter/") {
			return ref, errValidation("Invalid parameter ARN: %s", in)
		}
		if parts[3] != s.region || parts[4] != s.account {
			return ref, errNotFound(in)
		}
		ref.fromARN = true
		rest = strings.TrimPrefix(parts[5], "parameter")
		if strings.Count(rest, "/") == 1 {
			rest = strings.TrimPrefix(rest, "/")
		}
	}
	name, sel, found := strings.Cut(rest, ":")
	ref.name = name
	if name == "" {
		return ref, errValidation("1 validation error detected: Value '' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	if !found {
		return ref, nil
	}
	if sel == "" || strings.Contains(sel, ":") {
		return ref, errValidation("Invalid parameter selector: %q. A selector is a version number or a label.", ":"+sel)
	}
	ref.selector = ":" + sel
	if sel[0] >= '0' && sel[0] <= '9' {
		v, err := strconv.ParseInt(sel, 10, 64)
		if err != nil || v < 1 {
			return ref, errValidation("Invalid parameter version: %s", sel)
		}
		ref.version = v
		return ref, nil
	}
	ref.label = sel
	return ref, nil
}

// validLabel reports whether a label follows AWS's rules: 1-100 letters, digits,
// '.', '-', '_'; not starting with a digit, "aws" or "ssm" (case-insensitive).
func validLabel(l string) bool {
	if l == "" || len(l) > maxLabelLen || l[0] >= '0' && l[0] <= '9' {
		return false
	}
	lower := strings.ToLower(l)
	if strings.HasPrefix(lower, "aws") || strings.HasPrefix(lower, "ssm") {
		return false
	}
	for _, c := range l {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// validTags checks tag keys and values against the model's constraints.
func validTags(tags []Tag) error {
	if len(tags) > maxTags {
		return awsapi.Errorf("TooManyTagsError", "The Tags list can have at most %d tags.", maxTags)
	}
	for _, t := range tags {
		if len(t.Key) < 1 || len(t.Key) > 128 {
			return awsapi.Errorf("InvalidTag", "Tag key %q must be 1 to 128 characters long.", t.Key)
		}
		if len(t.Value) > 256 {
			return awsapi.Errorf("InvalidTag", "The value of tag %q must be at most 256 characters long.", t.Key)
		}
		if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return awsapi.Errorf("InvalidTag", "Tag keys can't start with aws: (%s).", t.Key)
		}
	}
	return nil
}

// mergeTags adds or replaces tags by key, keeping them sorted by key.
func mergeTags(have, add []Tag) []Tag {
	m := map[string]string{}
	for _, t := range have {
		m[t.Key] = t.Value
	}
	for _, t := range add {
		m[t.Key] = t.Value
	}
	out := make([]Tag, 0, len(m))
	for k, v := range m {
		out = append(out, Tag{Key: k, Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

func sortStrings(s []string) { sort.Strings(s) }

// versionKey is the store key of a version of name.
func versionKey(name string, v int64) string { return fmt.Sprintf("%s\x00%020d", name, v) }
