package autoscaling

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/wharf-dev/wharf/internal/awsapi"
)

// serviceNamespaces and scalableDimensions are the model's enumerations, so that a
// value AWS does not know gets AWS's enum error and one Wharf does not serve gets
// Wharf's.
var serviceNamespaces = []string{"ecs", "elasticmapreduce", "ec2", "appstream", "dynamodb", "rds", "sagemaker",
	"custom-resource", "comprehend", "lambda", "cassandra", "kafka", "elasticache", "neptune", "workspaces"}

var scalableDimensions = []string{"ecs:service:DesiredCount", "ec2:spot-fleet-request:TargetCapacity",
	"elasticmapreduce:instancegroup:InstanceCount", "appstream:fleet:DesiredCapacity",
	"dynamodb:table:ReadCapacityUnits", "dynamodb:table:WriteCapacityUnits", "dynamodb:index:ReadCapacityUnits",
	"dynamodb:index:WriteCapacityUnits", "rds:cluster:ReadReplicaCount", "sagemaker:variant:DesiredInstanceCount",
	"custom-resource:ResourceType:Property", "comprehend:document-classifier-endpoint:DesiredInferenceUnits",
	"comprehend:entity-recognizer-endpoint:DesiredInferenceUnits", "lambda:function:ProvisionedConcurrency",
	"cassandra:table:ReadCapacityUnits", "cassandra:table:WriteCapacityUnits", "kafka:broker-storage:VolumeSize",
	"elasticache:cache-cluster:Nodes", "elasticache:replication-group:NodeGroups",
	"elasticache:replication-group:Replicas", "neptune:cluster:ReadReplicaCount",
	"sagemaker:variant:DesiredProvisionedConcurrency", "sagemaker:inference-component:DesiredCopyCount",
	"workspaces:workspacespool:DesiredUserSessions"}

// unsupportedMessage is AWS's message for a namespace, resource type or dimension
// that does not fit, with what Wharf serves.
const unsupportedMessage = "Unsupported service namespace, resource type or scalable dimension. Wharf scales only ECS services: ServiceNamespace ecs, ScalableDimension ecs:service:DesiredCount, ResourceId service/<cluster>/<service>."

// errNull is AWS's validation error for a missing required member.
func errNull(member string) error {
	return errValidation("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", member)
}

// errEnum is AWS's validation error for a value outside an enumeration.
func errEnum(member, value string, set []string) error {
	return errValidation("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy enum value set: [%s]",
		value, member, strings.Join(set, ", "))
}

// errLength is AWS's validation error for a string of the wrong length.
func errLength(member, value string, minLen, maxLen int) error {
	if utf8.RuneCountInString(value) < minLen {
		return errValidation("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must have length greater than or equal to %d", value, member, minLen)
	}
	return errValidation("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must have length less than or equal to %d", clip(value), member, maxLen)
}

// clip shortens a long value for an error message.
func clip(v string) string {
	if len(v) > 120 {
		return v[:117] + "..."
	}
	return v
}

// targetKey identifies a scalable target.
type targetKey struct {
	Namespace  string
	ResourceID string
	Dimension  string
}

// key is the store key of the target; policies and scheduled actions extend it.
func (k targetKey) key() string { return k.Namespace + "\x00" + k.ResourceID + "\x00" + k.Dimension }

// cluster and service return the ECS names of a service/<cluster>/<service> id.
func (k targetKey) cluster() string {
	parts := strings.SplitN(k.ResourceID, "/", 3)
	return parts[1]
}

func (k targetKey) service() string {
	parts := strings.SplitN(k.ResourceID, "/", 3)
	return parts[2]
}

// checkNamespace validates a ServiceNamespace: required, in AWS's set, and ecs.
func checkNamespace(ns string) error {
	if ns == "" {
		return errNull("serviceNamespace")
	}
	if !slices.Contains(serviceNamespaces, ns) {
		return errEnum("serviceNamespace", ns, serviceNamespaces)
	}
	if ns != NamespaceECS {
		return errValidation("%s", unsupportedMessage)
	}
	return nil
}

// checkDimension validates a ScalableDimension filter (empty is allowed).
func checkDimension(dim string) error {
	if dim == "" {
		return nil
	}
	if !slices.Contains(scalableDimensions, dim) {
		return errEnum("scalableDimension", dim, scalableDimensions)
	}
	if dim != DimensionECSDesired {
		return errValidation("%s", unsupportedMessage)
	}
	return nil
}

// parseTarget validates the three members that identify a scalable target.
func parseTarget(ns, rid, dim string) (targetKey, error) {
	if err := checkNamespace(ns); err != nil {
		return targetKey{}, err
	}
	if rid == "" {
		return targetKey{}, errNull("resourceId")
	}
	if len(rid) > 1600 {
		return targetKey{}, errLength("resourceId", rid, 1, 1600)
	}
	if dim == "" {
		return targetKey{}, errNull("scalableDimension")
	}
	if err := checkDimension(dim); err != nil {
		return targetKey{}, err
	}
	if !validECSResourceID(rid) {
		return targetKey{}, errValidation("%s", unsupportedMessage)
	}
	return targetKey{Namespace: ns, ResourceID: rid, Dimension: dim}, nil
}

// validECSResourceID reports whether rid is service/<cluster>/<service> with ECS's
// name rules (letters, digits, hyphens and underscores, up to 255 characters).
func validECSResourceID(rid string) bool {
	parts := strings.Split(rid, "/")
	if len(parts) != 3 || parts[0] != "service" {
		return false
	}
	return ecsName(parts[1]) && ecsName(parts[2])
}

func ecsName(n string) bool {
	if n == "" || len(n) > 255 {
		return false
	}
	for _, c := range n {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// checkPolicyName validates a policy name: 1 to 256 printable characters.
func checkPolicyName(name string) error {
	if name == "" {
		return errNull("policyName")
	}
	if utf8.RuneCountInString(name) > 256 {
		return errLength("policyName", name, 1, 256)
	}
	for _, c := range name {
		if !unicode.IsPrint(c) {
			return errValidation("1 validation error detected: Value '%s' at 'policyName' failed to satisfy constraint: Member must satisfy regular expression pattern: \\p{Print}+", name)
		}
	}
	return nil
}

// checkActionName validates a scheduled action name: 1 to 256 characters, no
// control characters, no ':', '/' or '|', no leading or trailing spaces.
func checkActionName(name string) error {
	if name == "" {
		return errNull("scheduledActionName")
	}
	if utf8.RuneCountInString(name) > 256 {
		return errLength("scheduledActionName", name, 1, 256)
	}
	bad := strings.HasPrefix(name, " ") || strings.HasSuffix(name, " ")
	for _, c := range name {
		if c < 0x20 || c >= 0x7f && c <= 0x9f || c == ':' || c == '/' || c == '|' {
			bad = true
		}
	}
	if bad {
		return errValidation("1 validation error detected: Value '%s' at 'scheduledActionName' failed to satisfy constraint: Member must not contain control characters, ':', '/' or '|', nor begin or end with a space", name)
	}
	return nil
}

// maxResults returns the page size of a Describe call: 1 to 50, 50 by default.
func maxResults(p *int32) (int, error) {
	if p == nil {
		return 50, nil
	}
	if *p < 1 {
		return 0, errValidation("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1", *p)
	}
	if *p > 50 {
		return 0, errValidation("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 50", *p)
	}
	return int(*p), nil
}

// pageToken and parseToken turn the store key of the last item of a page into an
// opaque NextToken and back.
func pageToken(key string) *string {
	t := base64.RawURLEncoding.EncodeToString([]byte(key))
	return &t
}

func parseToken(p *string) (string, error) {
	if p == nil {
		return "", nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(*p)
	if err != nil || len(raw) == 0 {
		return "", errNextToken()
	}
	return string(raw), nil
}

// checkTags validates tags as AWS does: at most 50, keys of 1 to 128 characters not
// starting with "aws:", values of up to 256.
func checkTags(tags map[string]string) error {
	if len(tags) > 50 {
		return errTooManyTags()
	}
	for k, v := range tags {
		if k == "" || utf8.RuneCountInString(k) > 128 {
			return errLength("tags.key", k, 1, 128)
		}
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return errValidation("Tag keys must not begin with aws: (%s).", k)
		}
		if utf8.RuneCountInString(v) > 256 {
			return errLength("tags.value", v, 0, 256)
		}
	}
	return nil
}

func errTooManyTags() error {
	return awsapi.Errorf("TooManyTagsException", "A scalable target can have at most 50 tags.")
}

// newUUID returns a random version 4 UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return fmt.Sprintf("%s-%s-%s-%s-%s", h[0:8], h[8:12], h[12:16], h[16:20], h[20:32])
}
