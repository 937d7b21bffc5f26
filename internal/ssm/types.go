package ssm

import "time"

// The shapes below follow the SSM API model (member names as the SDK spells them).
// Fields tagged `sensitive:"true"` hold parameter values: the audit log redacts them.

// Tag is a resource tag.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// Parameter is a parameter value as GetParameter* return it.
type Parameter struct {
	ARN              string     `json:"ARN,omitempty"`
	DataType         string     `json:"DataType,omitempty"`
	LastModifiedDate *time.Time `json:"LastModifiedDate,omitempty"`
	Name             string     `json:"Name,omitempty"`
	Selector         string     `json:"Selector,omitempty"`
	Type             string     `json:"Type,omitempty"`
	Value            string     `json:"Value,omitempty" sensitive:"true"`
	Version          int64      `json:"Version"`
}

// ParameterMetadata describes a parameter without its value (DescribeParameters).
type ParameterMetadata struct {
	ARN              string                  `json:"ARN,omitempty"`
	AllowedPattern   string                  `json:"AllowedPattern,omitempty"`
	DataType         string                  `json:"DataType,omitempty"`
	Description      string                  `json:"Description,omitempty"`
	KeyId            string                  `json:"KeyId,omitempty"`
	LastModifiedDate *time.Time              `json:"LastModifiedDate,omitempty"`
	LastModifiedUser string                  `json:"LastModifiedUser,omitempty"`
	Name             string                  `json:"Name,omitempty"`
	Policies         []ParameterInlinePolicy `json:"Policies"`
	Tier             string                  `json:"Tier,omitempty"`
	Type             string                  `json:"Type,omitempty"`
	Version          int64                   `json:"Version"`
}

// ParameterInlinePolicy is a parameter policy; Wharf never has any.
type ParameterInlinePolicy struct {
	PolicyStatus string `json:"PolicyStatus,omitempty"`
	PolicyText   string `json:"PolicyText,omitempty"`
	PolicyType   string `json:"PolicyType,omitempty"`
}

// ParameterHistory is one version of a parameter (GetParameterHistory).
type ParameterHistory struct {
	AllowedPattern   string                  `json:"AllowedPattern,omitempty"`
	DataType         string                  `json:"DataType,omitempty"`
	Description      string                  `json:"Description,omitempty"`
	KeyId            string                  `json:"KeyId,omitempty"`
	Labels           []string                `json:"Labels"`
	LastModifiedDate *time.Time              `json:"LastModifiedDate,omitempty"`
	LastModifiedUser string                  `json:"LastModifiedUser,omitempty"`
	Name             string                  `json:"Name,omitempty"`
	Policies         []ParameterInlinePolicy `json:"Policies"`
	Tier             string                  `json:"Tier,omitempty"`
	Type             string                  `json:"Type,omitempty"`
	Value            string                  `json:"Value,omitempty" sensitive:"true"`
	Version          int64                   `json:"Version"`
}

// ParameterStringFilter filters DescribeParameters and GetParametersByPath.
type ParameterStringFilter struct {
	Key    *string  `json:"Key,omitempty"`
	Option *string  `json:"Option,omitempty"`
	Values []string `json:"Values,omitempty"`
}

// ParametersFilter is DescribeParameters' legacy filter (Name, Type, KeyId; Equals).
type ParametersFilter struct {
	Key    string   `json:"Key"`
	Values []string `json:"Values"`
}

// Records kept in the store.

const (
	bucketParams   = "ssm.params"   // name → paramRecord (the latest version and the parameter's state)
	bucketVersions = "ssm.versions" // name "\x00" version (20 digits) → versionRecord
)

// versionRecord is one version of a parameter. Value is the ciphertext in base64 for a
// SecureString: the plaintext is never stored.
type versionRecord struct {
	Version          int64     `json:"version"`
	Type             string    `json:"type"`
	Value            string    `json:"value"`
	KeyID            string    `json:"keyId,omitempty"`
	Description      string    `json:"description,omitempty"`
	AllowedPattern   string    `json:"allowedPattern,omitempty"`
	Tier             string    `json:"tier"`
	DataType         string    `json:"dataType"`
	LastModifiedDate time.Time `json:"lastModifiedDate"`
	LastModifiedUser string    `json:"lastModifiedUser,omitempty"`
}

// paramRecord is a parameter: its latest version, its labels and its tags.
type paramRecord struct {
	Name   string           `json:"name"`
	Latest versionRecord    `json:"latest"`
	Labels map[string]int64 `json:"labels,omitempty"` // label → version
	Tags   []Tag            `json:"tags,omitempty"`
}

// labelsOf returns the labels on version v, sorted by name.
func (p *paramRecord) labelsOf(v int64) []string {
	out := []string{}
	for l, lv := range p.Labels {
		if lv == v {
			out = append(out, l)
		}
	}
	sortStrings(out)
	return out
}
