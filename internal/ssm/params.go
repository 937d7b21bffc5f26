package ssm

import (
	"context"
	"errors"
	"regexp"
	"strings"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/store"
)

// PutParameterInput is the input of PutParameter.
type PutParameterInput struct {
	Name           *string `json:"Name"`
	Value          *string `json:"Value" sensitive:"true"`
	AllowedPattern *string `json:"AllowedPattern,omitempty"`
	DataType       *string `json:"DataType,omitempty"`
	Description    *string `json:"Description,omitempty"`
	KeyId          *string `json:"KeyId,omitempty"`
	Overwrite      *bool   `json:"Overwrite,omitempty"`
	Policies       *string `json:"Policies,omitempty"`
	Tags           []Tag   `json:"Tags,omitempty"`
	Tier           string  `json:"Tier,omitempty"`
	Type           string  `json:"Type,omitempty"`
}

// PutParameterOutput is the output of PutParameter.
type PutParameterOutput struct {
	Tier    string `json:"Tier,omitempty"`
	Version int64  `json:"Version"`
}

var amiID = regexp.MustCompile(`^ami-([0-9a-f]{8}|[0-9a-f]{17})$`)

// PutParameter creates a parameter or, with Overwrite, adds a version to it.
func (s *Service) PutParameter(ctx context.Context, in *PutParameterInput) (*PutParameterOutput, error) {
	name, value := deref(in.Name), deref(in.Value)
	if err := s.validName(name); err != nil {
		return nil, err
	}
	if in.Value == nil || value == "" {
		return nil, errValidation("1 validation error detected: Value '' at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	if len(value) > maxValueAdvanced {
		return nil, errValidation("1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length less than or equal to %d", maxValueAdvanced)
	}
	if deref(in.Policies) != "" {
		return nil, errValidation("Parameter policies are not supported by Wharf.")
	}
	if in.Description != nil && len(*in.Description) > maxDescriptionLen {
		return nil, errValidation("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to %d", maxDescriptionLen)
	}
	if in.AllowedPattern != nil && len(*in.AllowedPattern) > maxPatternLen {
		return nil, errValidation("1 validation error detected: Value at 'allowedPattern' failed to satisfy constraint: Member must have length less than or equal to %d", maxPatternLen)
	}
	switch in.Type {
	case "", "String", "StringList", "SecureString":
	default:
		return nil, errValidation("1 validation error detected: Value '%s' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [SecureString, StringList, String]", in.Type)
	}
	switch in.Tier {
	case "", "Standard", "Advanced", "Intelligent-Tiering":
	default:
		return nil, errValidation("1 validation error detected: Value '%s' at 'tier' failed to satisfy constraint: Member must satisfy enum value set: [Advanced, Intelligent-Tiering, Standard]", in.Tier)
	}
	if in.DataType != nil {
		switch *in.DataType {
		case "text", "aws:ec2:image", "aws:ssm:integration":
		default:
			return nil, errValidation("The following data type is not supported: %s (Data type names are all lowercase.)", *in.DataType)
		}
	}
	overwrite := deref(in.Overwrite)
	if overwrite && len(in.Tags) > 0 {
		return nil, errValidation("Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.")
	}
	if err := validTags(in.Tags); err != nil {
		return nil, err
	}

	// KMS is called outside the store transaction; the transaction then checks that
	// the parameter has not changed since the read the encryption was based on.
	for attempt := 0; ; attempt++ {
		var existing *paramRecord
		if err := s.view(ctx, func(tx *store.Tx) error {
			var p paramRecord
			err := tx.Get(bucketParams, name, &p)
			if err == nil {
				existing = &p
			} else if !errors.Is(err, store.ErrNotFound) {
				return err
			}
			return nil
		}); err != nil {
			return nil, err
		}
		ver, err := s.newVersion(ctx, in, existing)
		if err != nil {
			return nil, err
		}
		out, retry, err := s.commitVersion(ctx, name, ver, existing, in.Tags)
		if !retry || attempt >= 10 {
			return out, err
		}
	}
}

// newVersion builds the next version of a parameter from the input and the existing
// parameter (nil when new), encrypting a SecureString value.
func (s *Service) newVersion(ctx context.Context, in *PutParameterInput, existing *paramRecord) (versionRecord, error) {
	name, value := deref(in.Name), deref(in.Value)
	if existing != nil && !deref(in.Overwrite) {
		return versionRecord{}, awsapi.Errorf("ParameterAlreadyExists", "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.")
	}
	v := versionRecord{Type: in.Type, Description: deref(in.Description), AllowedPattern: deref(in.AllowedPattern), DataType: deref(in.DataType), KeyID: deref(in.KeyId)}
	if existing != nil {
		prev := existing.Latest
		if v.Type == "" {
			v.Type = prev.Type
		}
		if in.Description == nil {
			v.Description = prev.Description
		}
		if in.AllowedPattern == nil {
			v.AllowedPattern = prev.AllowedPattern
		}
		if in.DataType == nil {
			v.DataType = prev.DataType
		}
		if in.KeyId == nil && v.Type == "SecureString" && prev.Type == "SecureString" {
			v.KeyID = prev.KeyID
		}
	}
	if v.Type == "" {
		return v, errValidation("A parameter type is required when you create a parameter.")
	}
	if v.DataType == "" {
		v.DataType = "text"
	}
	if in.KeyId != nil && v.Type != "SecureString" {
		return v, errValidation("KeyId is required for SecureString type parameter only.")
	}
	if v.Type == "SecureString" && v.KeyID == "" {
		v.KeyID = defaultKeyID
	}
	if v.DataType != "text" && v.Type != "String" {
		return v, errValidation("The data type %s is supported only for parameters of type String.", v.DataType)
	}
	if v.DataType == "aws:ec2:image" && !amiID.MatchString(value) {
		return v, errValidation("Parameter value, %s, is not a valid AMI ID. Use the format ami-12345678 or ami-12345678901234567.", value)
	}
	if v.AllowedPattern != "" {
		re, err := regexp.Compile(`^(?:` + v.AllowedPattern + `)$`)
		if err != nil {
			return v, awsapi.Errorf("InvalidAllowedPatternException", "The allowed pattern is not a valid regular expression: %v", err)
		}
		if !re.MatchString(value) {
			return v, awsapi.Errorf("ParameterPatternMismatchException", "Parameter value, cannot be validated against allowedPattern: %s", v.AllowedPattern)
		}
	}
	tier, err := chooseTier(in.Tier, len(value), existing)
	if err != nil {
		return v, err
	}
	v.Tier = tier
	v.LastModifiedDate = s.now()
	if p, ok := awsapi.PrincipalFrom(ctx); ok {
		v.LastModifiedUser = p.ARN
	}
	if v.Type == "SecureString" {
		ct, err := s.encrypt(ctx, name, v.KeyID, value)
		if err != nil {
			return v, err
		}
		v.Value = ct
	} else {
		v.Value = value
	}
	return v, nil
}

// chooseTier returns the tier of a new version: the requested one, Intelligent-Tiering
// resolved by size, never a downgrade from Advanced.
func chooseTier(requested string, size int, existing *paramRecord) (string, error) {
	advanced := existing != nil && existing.Latest.Tier == "Advanced"
	switch requested {
	case "Advanced":
		return "Advanced", nil
	case "Standard":
		if advanced {
			return "", errValidation("This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the advanced parameter and recreate it as a standard parameter.")
		}
		if size > maxValueStandard {
			return "", errValidation("Standard tier parameters support a maximum parameter value of %d characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier. For more information, see https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html", maxValueStandard)
		}
		return "Standard", nil
	default: // "" (the account's default tier, Standard) or Intelligent-Tiering
		if advanced || (requested == "Intelligent-Tiering" && size > maxValueStandard) {
			return "Advanced", nil
		}
		if size > maxValueStandard {
			return "", errValidation("Standard tier parameters support a maximum parameter value of %d characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier. For more information, see https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html", maxValueStandard)
		}
		return "Standard", nil
	}
}

// commitVersion writes ver as the next version of name. retry is true when the
// parameter changed since existing was read.
func (s *Service) commitVersion(ctx context.Context, name string, ver versionRecord, existing *paramRecord, tags []Tag) (out *PutParameterOutput, retry bool, err error) {
	err = s.update(ctx, func(tx *store.Tx) error {
		var p paramRecord
		err := tx.Get(bucketParams, name, &p)
		switch {
		case errors.Is(err, store.ErrNotFound):
			if existing != nil {
				retry = true
				return errRetry
			}
			p = paramRecord{Name: name, Tags: mergeTags(nil, tags)}
			if err := s.checkTierQuota(tx, ver.Tier); err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			if existing == nil || p.Latest.Version != existing.Latest.Version {
				retry = true
				return errRetry
			}
			if ver.Tier != p.Latest.Tier {
				if err := s.checkTierQuota(tx, ver.Tier); err != nil {
					return err
				}
			}
			if err := s.dropOldest(tx, &p); err != nil {
				return err
			}
		}
		ver.Version = p.Latest.Version + 1
		p.Latest = ver
		if err := tx.Put(bucketVersions, versionKey(name, ver.Version), ver); err != nil {
			return err
		}
		if err := tx.Put(bucketParams, name, p); err != nil {
			return err
		}
		out = &PutParameterOutput{Tier: ver.Tier, Version: ver.Version}
		return nil
	})
	if errors.Is(err, errRetry) {
		return nil, true, err
	}
	return out, false, err
}

var errRetry = errors.New("ssm: parameter changed during put")

// checkTierQuota fails when the account has no room for another parameter of tier.
func (s *Service) checkTierQuota(tx *store.Tx, tier string) error {
	limit := maxStandardParams
	if tier == "Advanced" {
		limit = maxAdvancedParams
	}
	n := 0
	err := tx.Scan(bucketParams, "", func(_ string, raw []byte) error {
		var p paramRecord
		if err := store.Decode(raw, &p); err != nil {
			return err
		}
		if p.Latest.Tier == tier {
			n++
		}
		return nil
	})
	if err != nil {
		return err
	}
	if n >= limit {
		return awsapi.Errorf("ParameterLimitExceeded", "You have reached the maximum number of %s parameters (%d) for this account and Region.", strings.ToLower(tier), limit)
	}
	return nil
}

// dropOldest makes room for a new version when the parameter has maxVersions: the
// oldest version is deleted unless a label is on it.
func (s *Service) dropOldest(tx *store.Tx, p *paramRecord) error {
	var keys []string
	if err := tx.Scan(bucketVersions, p.Name+"\x00", func(k string, _ []byte) error {
		keys = append(keys, k)
		return nil
	}); err != nil {
		return err
	}
	if len(keys) < maxVersions {
		return nil
	}
	var oldest versionRecord
	if err := tx.Get(bucketVersions, keys[0], &oldest); err != nil {
		return err
	}
	if len(p.labelsOf(oldest.Version)) > 0 {
		return awsapi.Errorf("ParameterMaxVersionLimitExceeded", "You attempted to create a new version of %s by calling the PutParameter API with the overwrite flag. Version %d, the oldest version, can't be deleted because it has a label associated with it. Move the label to another version of the parameter, and try again.", p.Name, oldest.Version)
	}
	return tx.Delete(bucketVersions, keys[0])
}

// find reads a parameter and the version ref selects.
//
// In a read transaction the record's maps are shared with other readers (store.Cache)
// and must not be changed.
func (s *Service) find(tx *store.Tx, ref reference) (paramRecord, versionRecord, error) {
	rec, err := s.params.Get(tx, ref.name)
	if errors.Is(err, store.ErrNotFound) && ref.fromARN && !strings.HasPrefix(ref.name, "/") {
		// An ARN "parameter/name" names "name" or "/name".
		rec, err = s.params.Get(tx, "/"+ref.name)
	}
	if errors.Is(err, store.ErrNotFound) {
		return paramRecord{}, versionRecord{}, errNotFound(ref.name)
	}
	if err != nil {
		return paramRecord{}, versionRecord{}, err
	}
	p := *rec
	switch {
	case ref.version > 0:
		var v versionRecord
		err := tx.Get(bucketVersions, versionKey(p.Name, ref.version), &v)
		if errors.Is(err, store.ErrNotFound) {
			return p, v, errVersionNotFound(p.Name, ref.selector[1:])
		}
		return p, v, err
	case ref.label != "":
		lv, ok := p.Labels[ref.label]
		if !ok {
			return p, versionRecord{}, errNotFound(ref.name + ref.selector)
		}
		var v versionRecord
		err := tx.Get(bucketVersions, versionKey(p.Name, lv), &v)
		return p, v, err
	}
	return p, p.Latest, nil
}

// value returns the value of a version as a caller sees it: decrypted when asked.
func (s *Service) value(ctx context.Context, name string, v versionRecord, decrypt bool) (string, error) {
	if v.Type != "SecureString" || !decrypt {
		return v.Value, nil
	}
	return s.decrypt(ctx, name, v.Value)
}

// GetParameterInput is the input of GetParameter.
type GetParameterInput struct {
	Name           *string `json:"Name"`
	WithDecryption *bool   `json:"WithDecryption,omitempty"`
}

// GetParameterOutput is the output of GetParameter.
type GetParameterOutput struct {
	Parameter *Parameter `json:"Parameter,omitempty"`
}

// GetParameter returns one parameter, optionally a selected version (name:version or
// name:label).
func (s *Service) GetParameter(ctx context.Context, in *GetParameterInput) (*GetParameterOutput, error) {
	p, err := s.getOne(ctx, deref(in.Name), deref(in.WithDecryption))
	if err != nil {
		return nil, err
	}
	return &GetParameterOutput{Parameter: p}, nil
}

func (s *Service) getOne(ctx context.Context, nameOrARN string, decrypt bool) (*Parameter, error) {
	ref, err := s.parseReference(nameOrARN)
	if err != nil {
		return nil, err
	}
	var p paramRecord
	var v versionRecord
	if err := s.view(ctx, func(tx *store.Tx) error {
		var err error
		p, v, err = s.find(tx, ref)
		return err
	}); err != nil {
		return nil, err
	}
	val, err := s.value(ctx, p.Name, v, decrypt)
	if err != nil {
		return nil, err
	}
	return &Parameter{
		ARN: s.arn(p.Name), DataType: v.DataType, LastModifiedDate: ptr(v.LastModifiedDate),
		Name: p.Name, Selector: ref.selector, Type: v.Type, Value: val, Version: v.Version,
	}, nil
}

// ResolveParameter resolves a parameter name or ARN, with an optional :version or
// :label selector, to its value, decrypted for a SecureString. It serves ECS task
// secrets in-process; errors are *awsapi.Error with SSM's codes.
func (s *Service) ResolveParameter(ctx context.Context, nameOrARN string) (string, error) {
	p, err := s.getOne(ctx, nameOrARN, true)
	if err != nil {
		return "", err
	}
	return p.Value, nil
}

// GetParametersInput is the input of GetParameters.
type GetParametersInput struct {
	Names          []string `json:"Names"`
	WithDecryption *bool    `json:"WithDecryption,omitempty"`
}

// GetParametersOutput is the output of GetParameters.
type GetParametersOutput struct {
	InvalidParameters []string    `json:"InvalidParameters"`
	Parameters        []Parameter `json:"Parameters"`
}

// GetParameters returns up to 10 parameters; the names that do not resolve are listed
// in InvalidParameters.
func (s *Service) GetParameters(ctx context.Context, in *GetParametersInput) (*GetParametersOutput, error) {
	if len(in.Names) < 1 || len(in.Names) > 10 {
		return nil, errValidation("1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length less than or equal to 10 and greater than or equal to 1")
	}
	out := &GetParametersOutput{InvalidParameters: []string{}, Parameters: []Parameter{}}
	seen := map[string]bool{}
	for _, n := range in.Names {
		if seen[n] {
			continue
		}
		seen[n] = true
		p, err := s.getOne(ctx, n, deref(in.WithDecryption))
		if err != nil {
			if e, ok := awsapi.As(err); ok && (e.Code == "ParameterNotFound" || e.Code == "ParameterVersionNotFound" || e.Code == "ValidationException") {
				out.InvalidParameters = append(out.InvalidParameters, n)
				continue
			}
			return nil, err
		}
		out.Parameters = append(out.Parameters, *p)
	}
	return out, nil
}

// DeleteParameterInput is the input of DeleteParameter.
type DeleteParameterInput struct {
	Name *string `json:"Name"`
}

// DeleteParameterOutput is the (empty) output of DeleteParameter.
type DeleteParameterOutput struct{}

// DeleteParameter deletes a parameter with all its versions, labels and tags.
func (s *Service) DeleteParameter(ctx context.Context, in *DeleteParameterInput) (*DeleteParameterOutput, error) {
	name := deref(in.Name)
	err := s.update(ctx, func(tx *store.Tx) error { return deleteParam(tx, name) })
	if err != nil {
		return nil, err
	}
	return &DeleteParameterOutput{}, nil
}

func deleteParam(tx *store.Tx, name string) error {
	if name == "" || !tx.Has(bucketParams, name) {
		return errNotFound(name)
	}
	var keys []string
	if err := tx.Scan(bucketVersions, name+"\x00", func(k string, _ []byte) error {
		keys = append(keys, k)
		return nil
	}); err != nil {
		return err
	}
	for _, k := range keys {
		if err := tx.Delete(bucketVersions, k); err != nil {
			return err
		}
	}
	return tx.Delete(bucketParams, name)
}

// DeleteParametersInput is the input of DeleteParameters.
type DeleteParametersInput struct {
	Names []string `json:"Names"`
}

// DeleteParametersOutput is the output of DeleteParameters.
type DeleteParametersOutput struct {
	DeletedParameters []string `json:"DeletedParameters"`
	InvalidParameters []string `json:"InvalidParameters"`
}

// DeleteParameters deletes up to 10 parameters; the missing ones are listed in
// InvalidParameters.
func (s *Service) DeleteParameters(ctx context.Context, in *DeleteParametersInput) (*DeleteParametersOutput, error) {
	if len(in.Names) < 1 || len(in.Names) > 10 {
		return nil, errValidation("1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length less than or equal to 10 and greater than or equal to 1")
	}
	out := &DeleteParametersOutput{DeletedParameters: []string{}, InvalidParameters: []string{}}
	err := s.update(ctx, func(tx *store.Tx) error {
		out.DeletedParameters, out.InvalidParameters = []string{}, []string{}
		for _, n := range in.Names {
			err := deleteParam(tx, n)
			if e, ok := awsapi.As(err); ok && e.Code == "ParameterNotFound" {
				out.InvalidParameters = append(out.InvalidParameters, n)
				continue
			}
			if err != nil {
				return err
			}
			out.DeletedParameters = append(out.DeletedParameters, n)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
