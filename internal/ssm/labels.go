package ssm

import (
	"context"
	"errors"
	"strconv"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/store"
)

// LabelParameterVersionInput is the input of LabelParameterVersion.
type LabelParameterVersionInput struct {
	Labels           []string `json:"Labels"`
	Name             *string  `json:"Name"`
	ParameterVersion *int64   `json:"ParameterVersion,omitempty"`
}

// LabelParameterVersionOutput is the output of LabelParameterVersion.
type LabelParameterVersionOutput struct {
	InvalidLabels    []string `json:"InvalidLabels"`
	ParameterVersion int64    `json:"ParameterVersion"`
}

func checkLabelCount(labels []string) error {
	if len(labels) < 1 || len(labels) > maxLabelsPerVer {
		return errValidation("1 validation error detected: Value at 'labels' failed to satisfy constraint: Member must have length less than or equal to %d and greater than or equal to 1", maxLabelsPerVer)
	}
	return nil
}

// readParam reads a parameter by name for an update.
func readParam(tx *store.Tx, name string) (paramRecord, error) {
	var p paramRecord
	err := tx.Get(bucketParams, name, &p)
	if errors.Is(err, store.ErrNotFound) {
		return p, errNotFound(name)
	}
	return p, err
}

// LabelParameterVersion attaches labels to a version (the latest by default), moving
// each from whichever version had it. Labels that break the naming rules are returned
// in InvalidLabels and not attached.
func (s *Service) LabelParameterVersion(ctx context.Context, in *LabelParameterVersionInput) (*LabelParameterVersionOutput, error) {
	if err := checkLabelCount(in.Labels); err != nil {
		return nil, err
	}
	name := deref(in.Name)
	out := &LabelParameterVersionOutput{}
	err := s.update(ctx, func(tx *store.Tx) error {
		p, err := readParam(tx, name)
		if err != nil {
			return err
		}
		version := p.Latest.Version
		if in.ParameterVersion != nil {
			version = *in.ParameterVersion
			if !tx.Has(bucketVersions, versionKey(name, version)) {
				return errVersionNotFound(name, strconv.FormatInt(version, 10))
			}
		}
		invalid := []string{}
		have := p.labelsOf(version)
		var add []string
		for _, l := range in.Labels {
			if len(l) > maxLabelLen {
				return errValidation("1 validation error detected: Value '[%s]' at 'labels' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to %d, Member must have length greater than or equal to 1]", l, maxLabelLen)
			}
			if !validLabel(l) {
				invalid = append(invalid, l)
				continue
			}
			if p.Labels[l] != version {
				add = append(add, l)
			}
		}
		if len(have)+len(add) > maxLabelsPerVer {
			return awsapi.Errorf("ParameterVersionLabelLimitExceeded", "A parameter version can have maximum %d labels.Move one or more labels to another version and try again.", maxLabelsPerVer)
		}
		if p.Labels == nil {
			p.Labels = map[string]int64{}
		}
		for _, l := range add {
			p.Labels[l] = version
		}
		out.InvalidLabels, out.ParameterVersion = invalid, version
		if len(add) == 0 {
			return nil
		}
		return tx.Put(bucketParams, name, p)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UnlabelParameterVersionInput is the input of UnlabelParameterVersion.
type UnlabelParameterVersionInput struct {
	Labels           []string `json:"Labels"`
	Name             *string  `json:"Name"`
	ParameterVersion *int64   `json:"ParameterVersion"`
}

// UnlabelParameterVersionOutput is the output of UnlabelParameterVersion.
type UnlabelParameterVersionOutput struct {
	InvalidLabels []string `json:"InvalidLabels"`
	RemovedLabels []string `json:"RemovedLabels"`
}

// UnlabelParameterVersion removes labels from a version; the labels not on it are
// returned in InvalidLabels.
func (s *Service) UnlabelParameterVersion(ctx context.Context, in *UnlabelParameterVersionInput) (*UnlabelParameterVersionOutput, error) {
	if err := checkLabelCount(in.Labels); err != nil {
		return nil, err
	}
	if in.ParameterVersion == nil {
		return nil, errValidation("1 validation error detected: Value null at 'parameterVersion' failed to satisfy constraint: Member must not be null")
	}
	name, version := deref(in.Name), *in.ParameterVersion
	out := &UnlabelParameterVersionOutput{}
	err := s.update(ctx, func(tx *store.Tx) error {
		p, err := readParam(tx, name)
		if err != nil {
			return err
		}
		if !tx.Has(bucketVersions, versionKey(name, version)) {
			return errVersionNotFound(name, strconv.FormatInt(version, 10))
		}
		out.InvalidLabels, out.RemovedLabels = []string{}, []string{}
		for _, l := range in.Labels {
			if lv, ok := p.Labels[l]; ok && lv == version {
				delete(p.Labels, l)
				out.RemovedLabels = append(out.RemovedLabels, l)
			} else {
				out.InvalidLabels = append(out.InvalidLabels, l)
			}
		}
		if len(out.RemovedLabels) == 0 {
			return nil
		}
		return tx.Put(bucketParams, name, p)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
