package iam

import "time"

// The wire types of the IAM API. Member names (json tags) are those of the AWS model
// (aws-sdk-go-v2/service/iam/types); the gateway's awsQuery codec reads and writes them.

// Tag is a key and a value attached to a user, role or policy.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// User is an IAM user as GetUser shows it.
type User struct {
	Path       string    `json:"Path"`
	UserName   string    `json:"UserName"`
	UserId     string    `json:"UserId"`
	Arn        string    `json:"Arn"`
	CreateDate time.Time `json:"CreateDate"`
	Tags       []Tag     `json:"Tags,omitempty"`
}

// Group is an IAM group.
type Group struct {
	Path       string    `json:"Path"`
	GroupName  string    `json:"GroupName"`
	GroupId    string    `json:"GroupId"`
	Arn        string    `json:"Arn"`
	CreateDate time.Time `json:"CreateDate"`
}

// Role is an IAM role. In process (Service.Role) AssumeRolePolicyDocument is the trust
// policy as JSON; on the wire it is URL-encoded, as IAM sends it.
type Role struct {
	Path                     string        `json:"Path"`
	RoleName                 string        `json:"RoleName"`
	RoleId                   string        `json:"RoleId"`
	Arn                      string        `json:"Arn"`
	CreateDate               time.Time     `json:"CreateDate"`
	AssumeRolePolicyDocument string        `json:"AssumeRolePolicyDocument,omitempty"`
	Description              string        `json:"Description,omitempty"`
	MaxSessionDuration       int32         `json:"MaxSessionDuration,omitempty"`
	Tags                     []Tag         `json:"Tags,omitempty"`
	RoleLastUsed             *RoleLastUsed `json:"RoleLastUsed,omitempty"`
}

// RoleLastUsed is when and where a role was last used (Wharf does not track it).
type RoleLastUsed struct {
	LastUsedDate *time.Time `json:"LastUsedDate,omitempty"`
	Region       *string    `json:"Region,omitempty"`
}

// Policy is a managed policy.
type Policy struct {
	PolicyName                    string    `json:"PolicyName"`
	PolicyId                      string    `json:"PolicyId"`
	Arn                           string    `json:"Arn"`
	Path                          string    `json:"Path"`
	DefaultVersionId              string    `json:"DefaultVersionId"`
	AttachmentCount               int32     `json:"AttachmentCount"`
	PermissionsBoundaryUsageCount int32     `json:"PermissionsBoundaryUsageCount"`
	IsAttachable                  bool      `json:"IsAttachable"`
	Description                   string    `json:"Description,omitempty"`
	CreateDate                    time.Time `json:"CreateDate"`
	UpdateDate                    time.Time `json:"UpdateDate"`
	Tags                          []Tag     `json:"Tags,omitempty"`
}

// PolicyVersion is one version of a managed policy; Document is URL-encoded on the wire
// and only GetPolicyVersion sends it.
type PolicyVersion struct {
	Document         string    `json:"Document,omitempty"`
	VersionId        string    `json:"VersionId"`
	IsDefaultVersion bool      `json:"IsDefaultVersion"`
	CreateDate       time.Time `json:"CreateDate"`
}

// AttachedPolicy names a managed policy attached to a user, group or role.
type AttachedPolicy struct {
	PolicyName string `json:"PolicyName"`
	PolicyArn  string `json:"PolicyArn"`
}

// AccessKeyInfo is a new access key with its secret (the AccessKey shape of the model).
type AccessKeyInfo struct {
	UserName        string    `json:"UserName"`
	AccessKeyId     string    `json:"AccessKeyId"`
	Status          string    `json:"Status"`
	SecretAccessKey string    `json:"SecretAccessKey" sensitive:"true"`
	CreateDate      time.Time `json:"CreateDate"`
}

// AccessKeyMetadata describes an access key without its secret.
type AccessKeyMetadata struct {
	UserName    string    `json:"UserName"`
	AccessKeyId string    `json:"AccessKeyId"`
	Status      string    `json:"Status"`
	CreateDate  time.Time `json:"CreateDate"`
}

// AccessKeyLastUsed is when, where and with what service a key was last used.
type AccessKeyLastUsed struct {
	LastUsedDate *time.Time `json:"LastUsedDate,omitempty"`
	ServiceName  string     `json:"ServiceName"`
	Region       string     `json:"Region"`
}

// Stored records.

// policies are the policies of a user, group or role: inline (name → document) and
// attached managed policies (ARNs, in attachment order).
type policies struct {
	Inline   map[string]string `json:"inline,omitempty"`
	Attached []string          `json:"attached,omitempty"`
}

func (p *policies) pols() *policies { return p }

type userRec struct {
	User
	Groups []string `json:"groups,omitempty"` // names of the groups the user is in
	policies
}

type groupRec struct {
	Group
	policies
}

type roleRec struct {
	Role
	policies
}

type policyRec struct {
	Policy
	Versions    []versionRec `json:"versions"`
	NextVersion int          `json:"nextVersion"`
}

type versionRec struct {
	VersionId  string    `json:"versionId"`
	Document   string    `json:"document"`
	CreateDate time.Time `json:"createDate"`
}

// Buckets.
const (
	usersBucket    = "iam.users"    // lower(name) → userRec
	groupsBucket   = "iam.groups"   // lower(name) → groupRec
	rolesBucket    = "iam.roles"    // lower(name) → roleRec
	policiesBucket = "iam.policies" // ARN → policyRec
)
