package ssm

import (
	"context"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/store"
)

// filter is a validated ParameterStringFilter.
type filter struct {
	key    string
	option string
	values []string
}

// compileFilters validates ParameterFilters for DescribeParameters (byPath false) or
// GetParametersByPath (byPath true), with AWS's keys, options and values.
func compileFilters(in []ParameterStringFilter, byPath bool) ([]filter, error) {
	valid := "[Path, Name, Type, KeyId, Tier, DataType]"
	if byPath {
		valid = "[Type, KeyId, Label]"
	}
	seen := map[string]bool{}
	var out []filter
	for _, f := range in {
		key := deref(f.Key)
		isTag := strings.HasPrefix(key, "tag:") && len(key) > 4
		ok := isTag && !byPath
		switch key {
		case "Type", "KeyId":
			ok = true
		case "Label":
			ok = byPath
		case "Name", "Path", "Tier", "DataType":
			ok = !byPath
		}
		if !ok {
			return nil, awsapi.Errorf("InvalidFilterKey", "The following filter key is not valid: %s. Valid filter keys include: %s.", key, valid)
		}
		if seen[key] {
			return nil, awsapi.Errorf("InvalidFilterKey", "The following filter is duplicated in the request: %s. A request can contain only one occurrence of a specific filter.", key)
		}
		seen[key] = true
		if len(f.Values) == 0 && !isTag {
			return nil, awsapi.Errorf("InvalidFilterValue", "The following filter values are missing : null for filter key %s.", key)
		}
		if len(f.Values) > 50 {
			return nil, awsapi.Errorf("InvalidFilterValue", "A filter can have at most 50 values (filter key %s).", key)
		}
		option := deref(f.Option)
		allowed := []string{"BeginsWith", "Equals"}
		switch key {
		case "Path":
			allowed = []string{"Recursive", "OneLevel"}
			if option == "" {
				option = "OneLevel"
			}
		case "Name":
			allowed = append(allowed, "Contains")
		case "Label":
			allowed = []string{"Equals"}
		}
		if option == "" {
			option = "Equals"
		}
		if !slices.Contains(allowed, option) {
			return nil, awsapi.Errorf("InvalidFilterOption", "The following filter option is not valid: %s. Valid options include: [%s].", option, strings.Join(allowed, ", "))
		}
		for _, v := range f.Values {
			var enum []string
			switch key {
			case "Type":
				enum = []string{"String", "StringList", "SecureString"}
			case "Tier":
				enum = []string{"Standard", "Advanced", "Intelligent-Tiering"}
			}
			if enum != nil && !slices.Contains(enum, v) {
				return nil, awsapi.Errorf("InvalidFilterValue", "The following filter value is not valid: %s. Valid values include: [%s].", v, strings.Join(enum, ", "))
			}
			if key == "Path" && !strings.HasPrefix(v, "/") {
				return nil, awsapi.Errorf("InvalidFilterValue", "The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash \"/\". (filter value %s)", v)
			}
		}
		out = append(out, filter{key: key, option: option, values: f.Values})
	}
	return out, nil
}

// matches reports whether the parameter passes every filter; it returns the version a
// Label filter selects (0 for the latest).
func matches(p *paramRecord, filters []filter) (bool, int64) {
	var selected int64
	for _, f := range filters {
		var field string
		switch {
		case f.key == "Name":
			field = p.Name
		case f.key == "Type":
			field = p.Latest.Type
		case f.key == "KeyId":
			field = p.Latest.KeyID
		case f.key == "Tier":
			field = p.Latest.Tier
		case f.key == "DataType":
			field = p.Latest.DataType
		case f.key == "Path":
			if !slices.ContainsFunc(f.values, func(v string) bool { return underPath(p.Name, v, f.option == "Recursive") }) {
				return false, 0
			}
			continue
		case f.key == "Label":
			found := false
			for _, v := range f.values {
				if lv, ok := p.Labels[v]; ok {
					found, selected = true, lv
					break
				}
			}
			if !found {
				return false, 0
			}
			continue
		default: // tag:Key
			tagKey := strings.TrimPrefix(f.key, "tag:")
			i := slices.IndexFunc(p.Tags, func(t Tag) bool { return t.Key == tagKey })
			if i < 0 {
				return false, 0
			}
			if len(f.values) == 0 {
				continue
			}
			field = p.Tags[i].Value
		}
		if !slices.ContainsFunc(f.values, func(v string) bool { return matchOption(field, v, f.option) }) {
			return false, 0
		}
	}
	return true, selected
}

func matchOption(field, v, option string) bool {
	switch option {
	case "BeginsWith":
		return strings.HasPrefix(field, v)
	case "Contains":
		return strings.Contains(field, v)
	}
	return field == v
}

// underPath reports whether name lies below path: directly, or at any depth when
// recursive.
func underPath(name, path string, recursive bool) bool {
	if !strings.HasSuffix(path, "/") {
		path += "/"
	}
	rest, ok := strings.CutPrefix(name, path)
	if !ok || rest == "" {
		return false
	}
	return recursive || !strings.Contains(rest, "/")
}

// Page tokens are opaque to clients: the last key returned, base64url encoded.
func encodeToken(key string) string { return base64.RawURLEncoding.EncodeToString([]byte(key)) }

func decodeToken(tok *string) (string, error) {
	if tok == nil {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(*tok)
	if err != nil || len(b) == 0 {
		return "", awsapi.Errorf("InvalidNextToken", "The specified token is not valid.")
	}
	return string(b), nil
}

func maxResults(v *int32, max int32) (int, error) {
	if v == nil {
		return int(max), nil
	}
	if *v < 1 || *v > max {
		return 0, errValidation("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and %d", *v, max)
	}
	return int(*v), nil
}

// scanParams calls fn with the parameters under prefix whose names sort after the
// token, in name order, until fn returns false.
func scanParams(tx *store.Tx, prefix, after string, fn func(p *paramRecord) (bool, error)) error {
	return tx.Scan(bucketParams, prefix, func(k string, raw []byte) error {
		if after != "" && k <= after {
			return nil
		}
		var p paramRecord
		if err := store.Decode(raw, &p); err != nil {
			return err
		}
		more, err := fn(&p)
		if err != nil {
			return err
		}
		if !more {
			return store.ErrStop
		}
		return nil
	})
}

// GetParametersByPathInput is the input of GetParametersByPath.
type GetParametersByPathInput struct {
	Path             *string                 `json:"Path"`
	MaxResults       *int32                  `json:"MaxResults,omitempty"`
	NextToken        *string                 `json:"NextToken,omitempty"`
	ParameterFilters []ParameterStringFilter `json:"ParameterFilters,omitempty"`
	Recursive        *bool                   `json:"Recursive,omitempty"`
	WithDecryption   *bool                   `json:"WithDecryption,omitempty"`
}

// GetParametersByPathOutput is the output of GetParametersByPath.
type GetParametersByPathOutput struct {
	NextToken  *string     `json:"NextToken,omitempty"`
	Parameters []Parameter `json:"Parameters"`
}

// GetParametersByPath returns the parameters below a path, one level or recursively,
// filtered and paginated.
func (s *Service) GetParametersByPath(ctx context.Context, in *GetParametersByPathInput) (*GetParametersByPathOutput, error) {
	path := deref(in.Path)
	if !strings.HasPrefix(path, "/") {
		return nil, errValidation("The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash \"/\". It can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). It must use only letters, numbers, or the following symbols: . (period), - (hyphen), _ (underscore). Special characters are not allowed. All sub-paths, if specified, must use the forward slash symbol \"/\". Valid example: /get/parameters2-/by1./path0_.")
	}
	if strings.Count(strings.Trim(path, "/"), "/")+1 > maxLevels {
		return nil, awsapi.Errorf("HierarchyLevelLimitExceededException", "A hierarchy can have a maximum of %d levels.", maxLevels)
	}
	limit, err := maxResults(in.MaxResults, 10)
	if err != nil {
		return nil, err
	}
	filters, err := compileFilters(in.ParameterFilters, true)
	if err != nil {
		return nil, err
	}
	after, err := decodeToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	prefix := path
	if !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	type hit struct {
		p   paramRecord
		v   versionRecord
		sel string
	}
	var hits []hit
	more := false
	err = s.view(ctx, func(tx *store.Tx) error {
		return scanParams(tx, prefix, after, func(p *paramRecord) (bool, error) {
			if !underPath(p.Name, prefix, deref(in.Recursive)) {
				return true, nil
			}
			ok, ver := matches(p, filters)
			if !ok {
				return true, nil
			}
			if len(hits) == limit {
				more = true
				return false, nil
			}
			h := hit{p: *p, v: p.Latest}
			if ver != 0 && ver != p.Latest.Version {
				if err := tx.Get(bucketVersions, versionKey(p.Name, ver), &h.v); err != nil {
					return false, err
				}
			}
			hits = append(hits, h)
			return true, nil
		})
	})
	if err != nil {
		return nil, err
	}
	out := &GetParametersByPathOutput{Parameters: []Parameter{}}
	for _, h := range hits {
		val, err := s.value(ctx, h.p.Name, h.v, deref(in.WithDecryption))
		if err != nil {
			return nil, err
		}
		out.Parameters = append(out.Parameters, Parameter{
			ARN: s.arn(h.p.Name), DataType: h.v.DataType, LastModifiedDate: ptr(h.v.LastModifiedDate),
			Name: h.p.Name, Type: h.v.Type, Value: val, Version: h.v.Version,
		})
	}
	if more {
		out.NextToken = ptr(encodeToken(hits[len(hits)-1].p.Name))
	}
	return out, nil
}

// DescribeParametersInput is the input of DescribeParameters.
type DescribeParametersInput struct {
	Filters          []ParametersFilter      `json:"Filters,omitempty"`
	MaxResults       *int32                  `json:"MaxResults,omitempty"`
	NextToken        *string                 `json:"NextToken,omitempty"`
	ParameterFilters []ParameterStringFilter `json:"ParameterFilters,omitempty"`
	Shared           *bool                   `json:"Shared,omitempty"`
}

// DescribeParametersOutput is the output of DescribeParameters.
type DescribeParametersOutput struct {
	NextToken  *string             `json:"NextToken,omitempty"`
	Parameters []ParameterMetadata `json:"Parameters"`
}

// DescribeParameters lists parameter metadata (never values), filtered and paginated.
func (s *Service) DescribeParameters(ctx context.Context, in *DescribeParametersInput) (*DescribeParametersOutput, error) {
	if len(in.Filters) > 0 && len(in.ParameterFilters) > 0 {
		return nil, errValidation("You can use either Filters or ParameterFilters in a single request.")
	}
	limit, err := maxResults(in.MaxResults, 50)
	if err != nil {
		return nil, err
	}
	psf := in.ParameterFilters
	for _, f := range in.Filters {
		switch f.Key {
		case "Name", "Type", "KeyId":
		default:
			return nil, errValidation("1 validation error detected: Value '%s' at 'filters.1.member.key' failed to satisfy constraint: Member must satisfy enum value set: [Type, KeyId, Name]", f.Key)
		}
		psf = append(psf, ParameterStringFilter{Key: ptr(f.Key), Values: f.Values})
	}
	filters, err := compileFilters(psf, false)
	if err != nil {
		return nil, err
	}
	after, err := decodeToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &DescribeParametersOutput{Parameters: []ParameterMetadata{}}
	if deref(in.Shared) {
		return out, nil // Wharf has no parameters shared from other accounts.
	}
	err = s.view(ctx, func(tx *store.Tx) error {
		return scanParams(tx, "", after, func(p *paramRecord) (bool, error) {
			if ok, _ := matches(p, filters); !ok {
				return true, nil
			}
			if len(out.Parameters) == limit {
				out.NextToken = ptr(encodeToken(out.Parameters[limit-1].Name))
				return false, nil
			}
			v := p.Latest
			out.Parameters = append(out.Parameters, ParameterMetadata{
				ARN: s.arn(p.Name), AllowedPattern: v.AllowedPattern, DataType: v.DataType, Description: v.Description,
				KeyId: v.KeyID, LastModifiedDate: ptr(v.LastModifiedDate), LastModifiedUser: v.LastModifiedUser,
				Name: p.Name, Policies: []ParameterInlinePolicy{}, Tier: v.Tier, Type: v.Type, Version: v.Version,
			})
			return true, nil
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// GetParameterHistoryInput is the input of GetParameterHistory.
type GetParameterHistoryInput struct {
	Name           *string `json:"Name"`
	MaxResults     *int32  `json:"MaxResults,omitempty"`
	NextToken      *string `json:"NextToken,omitempty"`
	WithDecryption *bool   `json:"WithDecryption,omitempty"`
}

// GetParameterHistoryOutput is the output of GetParameterHistory.
type GetParameterHistoryOutput struct {
	NextToken  *string            `json:"NextToken,omitempty"`
	Parameters []ParameterHistory `json:"Parameters"`
}

// GetParameterHistory returns every kept version of a parameter, oldest first, with
// its labels.
func (s *Service) GetParameterHistory(ctx context.Context, in *GetParameterHistoryInput) (*GetParameterHistoryOutput, error) {
	ref, err := s.parseReference(deref(in.Name))
	if err != nil {
		return nil, err
	}
	if ref.selector != "" {
		return nil, errValidation("GetParameterHistory does not accept a parameter selector (%s).", ref.selector)
	}
	limit, err := maxResults(in.MaxResults, 50)
	if err != nil {
		return nil, err
	}
	after, err := decodeToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	var afterVersion int64
	if after != "" {
		if afterVersion, err = strconv.ParseInt(after, 10, 64); err != nil {
			return nil, awsapi.Errorf("InvalidNextToken", "The specified token is not valid.")
		}
	}
	var p paramRecord
	var versions []versionRecord
	more := false
	err = s.view(ctx, func(tx *store.Tx) error {
		var err error
		if p, _, err = s.find(tx, ref); err != nil {
			return err
		}
		return tx.Scan(bucketVersions, p.Name+"\x00", func(_ string, raw []byte) error {
			var v versionRecord
			if err := store.Decode(raw, &v); err != nil {
				return err
			}
			if v.Version <= afterVersion {
				return nil
			}
			if len(versions) == limit {
				more = true
				return store.ErrStop
			}
			versions = append(versions, v)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	out := &GetParameterHistoryOutput{Parameters: []ParameterHistory{}}
	for _, v := range versions {
		val, err := s.value(ctx, p.Name, v, deref(in.WithDecryption))
		if err != nil {
			return nil, err
		}
		out.Parameters = append(out.Parameters, ParameterHistory{
			AllowedPattern: v.AllowedPattern, DataType: v.DataType, Description: v.Description, KeyId: v.KeyID,
			Labels: p.labelsOf(v.Version), LastModifiedDate: ptr(v.LastModifiedDate), LastModifiedUser: v.LastModifiedUser,
			Name: p.Name, Policies: []ParameterInlinePolicy{}, Tier: v.Tier, Type: v.Type, Value: val, Version: v.Version,
		})
	}
	if more {
		out.NextToken = ptr(encodeToken(strconv.FormatInt(versions[len(versions)-1].Version, 10)))
	}
	return out, nil
}
