package cloudtrail

// The implementation of event encoding before the streaming encoder: reflection into a
// map[string]any tree, json.Marshal of the tree, of the record and (in commit) of the
// stored event. It is the reference the property tests compare the encoder with and the
// "before" of the benchmarks. Do not optimize it.

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/wharf-dev/wharf/internal/awsapi"
)

// redactedJSONOld is the original redactedJSON. It renders an operation's input or
// output as CloudTrail's requestParameters/responseElements: member names from json tags with a lower-case
// first letter, sensitive members replaced by Hidden, blobs left out, absent members
// omitted. An empty structure is null.
func redactedJSONOld(v any) json.RawMessage {
	tree := redactOld(reflect.ValueOf(v), 0)
	if m, ok := tree.(map[string]any); ok && len(m) == 0 {
		return json.RawMessage("null")
	}
	raw, err := json.Marshal(tree)
	if err != nil || tree == nil {
		return json.RawMessage("null")
	}
	return raw
}

// redactOld is the original redact: it turns v into a JSON tree; nil means "leave out".
func redactOld(v reflect.Value, depth int) any {
	if depth > maxRedactDepth || !v.IsValid() {
		return nil
	}
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	t := v.Type()
	switch {
	case t == timeType:
		return iso8601(v.Interface().(time.Time))
	case t == rawType:
		if raw := v.Bytes(); json.Valid(raw) {
			return json.RawMessage(raw)
		}
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		return v.String()
	case reflect.Bool:
		return v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return v.Uint()
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return strconv.FormatFloat(f, 'g', -1, 64)
		}
		return f
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return nil // blobs: ciphertexts, key material, plaintexts
		}
		if v.Kind() == reflect.Slice && v.IsNil() {
			return nil
		}
		out := make([]any, 0, v.Len())
		for i := 0; i < v.Len(); i++ {
			out = append(out, redactOld(v.Index(i), depth+1))
		}
		return out
	case reflect.Map:
		if v.IsNil() || t.Key().Kind() != reflect.String {
			return nil
		}
		out := make(map[string]any, v.Len())
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		for _, k := range keys {
			out[k.String()] = redactOld(v.MapIndex(k), depth+1)
		}
		return out
	case reflect.Struct:
		out := map[string]any{}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			fv := v.Field(i)
			if fv.IsZero() && (isNilableOld(fv) || strings.Contains(opts, "omitempty")) {
				continue
			}
			if f.Tag.Get("sensitive") == "true" {
				out[lowerFirst(name)] = Hidden
				continue
			}
			if x := redactOld(fv, depth+1); x != nil {
				out[lowerFirst(name)] = x
			}
		}
		return out
	}
	return nil
}

func isNilableOld(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Slice, reflect.Map:
		return true
	}
	return false
}

// resourcesOfOld is the original resourcesOf: it finds the resources a call named:
// every ARN in its input and output, and for SSM the parameter names.
func resourcesOfOld(c awsapi.Call, account string) []recResource {
	seen := map[string]bool{}
	var out []recResource
	add := func(arn string) {
		if seen[arn] || len(out) >= 50 {
			return
		}
		seen[arn] = true
		r := recResource{ARN: arn, Type: arnTypeOld(arn), AccountID: account}
		if parts := strings.SplitN(arn, ":", 6); len(parts) == 6 && parts[4] != "" {
			r.AccountID = parts[4]
		}
		out = append(out, r)
	}
	collectARNsOld(reflect.ValueOf(c.Input), "", 0, c, account, add)
	if c.Err == nil {
		collectARNsOld(reflect.ValueOf(c.Output), "", 0, c, account, add)
	}
	return out
}

// collectARNsOld is the original collectARNs: it walks v for ARN-valued strings (and
// SSM parameter names), skipping sensitive members.
func collectARNsOld(v reflect.Value, field string, depth int, c awsapi.Call, account string, add func(string)) {
	if depth > maxRedactDepth || !v.IsValid() {
		return
	}
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.String:
		s := v.String()
		switch {
		case strings.HasPrefix(s, "arn:aws:") && strings.Count(s, ":") >= 5:
			add(s)
		case c.Service == "ssm" && (field == "Name" || field == "Names") && s != "":
			name := s
			if i := strings.IndexByte(name, ':'); i > 0 {
				name = name[:i] // name:version and name:label selectors
			}
			region := c.Region
			if !strings.HasPrefix(name, "/") {
				name = "/" + name
			}
			add("arn:aws:ssm:" + region + ":" + account + ":parameter" + name)
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return
		}
		for i := 0; i < v.Len() && i < 100; i++ {
			collectARNsOld(v.Index(i), field, depth+1, c, account, add)
		}
	case reflect.Struct:
		if v.Type() == timeType {
			return
		}
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() || f.Tag.Get("sensitive") == "true" {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" {
				name = f.Name
			}
			collectARNsOld(v.Field(i), name, depth+1, c, account, add)
		}
	}
}

// arnTypeOld is the original arnType (it builds its tables on every call). It names a
// resource type as CloudTrail does ("AWS::SSM::Parameter") from its ARN.
func arnTypeOld(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	svc, res := parts[2], parts[5]
	kind := res
	if i := strings.IndexAny(res, "/:"); i >= 0 {
		kind = res[:i]
	}
	services := map[string]string{
		"ssm": "SSM", "kms": "KMS", "iam": "IAM", "sts": "STS", "ecs": "ECS",
		"elasticloadbalancing": "ElasticLoadBalancingV2", "cloudtrail": "CloudTrail",
		"logs": "Logs", "cloudwatch": "CloudWatch", "s3": "S3", "ecr": "ECR",
		"secretsmanager": "SecretsManager", "sqs": "SQS", "sns": "SNS", "dynamodb": "DynamoDB",
	}
	name, ok := services[svc]
	if !ok {
		name = upperCamelOld(svc)
	}
	if kind == "" {
		return "AWS::" + name
	}
	kinds := map[string]string{"targetgroup": "TargetGroup", "loadbalancer": "LoadBalancer", "listener-rule": "ListenerRule"}
	k, ok := kinds[kind]
	if !ok {
		k = upperCamelOld(kind)
	}
	return "AWS::" + name + "::" + k
}

// upperCamelOld is the original upperCamel: it turns "task-definition" into "TaskDefinition".
func upperCamelOld(s string) string {
	var b strings.Builder
	up := true
	for _, r := range s {
		if r == '-' || r == '_' {
			up = true
			continue
		}
		if up {
			r = unicode.ToUpper(r)
			up = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// record is one CloudTrail event as AWS writes it ("CloudTrail record contents").
type record struct {
	EventVersion       string          `json:"eventVersion"`
	UserIdentity       userIdentity    `json:"userIdentity"`
	EventTime          string          `json:"eventTime"`
	EventSource        string          `json:"eventSource"`
	EventName          string          `json:"eventName"`
	AWSRegion          string          `json:"awsRegion"`
	SourceIPAddress    string          `json:"sourceIPAddress"`
	UserAgent          string          `json:"userAgent"`
	ErrorCode          string          `json:"errorCode,omitempty"`
	ErrorMessage       string          `json:"errorMessage,omitempty"`
	RequestParameters  json.RawMessage `json:"requestParameters"`
	ResponseElements   json.RawMessage `json:"responseElements"`
	RequestID          string          `json:"requestID"`
	EventID            string          `json:"eventID"`
	ReadOnly           bool            `json:"readOnly"`
	Resources          []recResource   `json:"resources,omitempty"`
	EventType          string          `json:"eventType"`
	ManagementEvent    bool            `json:"managementEvent"`
	RecipientAccountID string          `json:"recipientAccountId"`
	EventCategory      string          `json:"eventCategory"`
}

// eventOld is the original event, with the event id given: it builds the stored
// event of a call (Record queued it; commit encoded it with tx.Put).
func (s *Service) eventOld(c awsapi.Call, id string) (*storedEvent, error) {
	t := c.Time
	if t.IsZero() {
		t = s.clock.Now()
	}
	t = t.UTC()
	region := c.Region
	if region == "" {
		region = s.region
	}
	c.Region = region
	r := record{
		EventVersion:       "1.09",
		UserIdentity:       identityOfOld(c.Principal, s.account),
		EventTime:          t.Format("2006-01-02T15:04:05Z"),
		EventSource:        c.Service + ".amazonaws.com",
		EventName:          c.Operation,
		AWSRegion:          region,
		SourceIPAddress:    c.SourceIP,
		UserAgent:          c.UserAgent,
		RequestID:          c.RequestID,
		EventID:            id,
		ReadOnly:           c.ReadOnly,
		EventType:          "AwsApiCall",
		ManagementEvent:    true,
		RecipientAccountID: s.account,
		EventCategory:      "Management",
		RequestParameters:  json.RawMessage("null"),
		ResponseElements:   json.RawMessage("null"),
	}
	if c.Err != nil {
		r.ErrorCode = c.Err.Code
		r.ErrorMessage = c.Err.Message
	}
	if c.Input != nil {
		r.RequestParameters = redactedJSONOld(c.Input)
	}
	if c.Output != nil && c.Err == nil && !c.ReadOnly {
		r.ResponseElements = redactedJSONOld(c.Output)
	}
	acct := r.UserIdentity.AccountID
	if acct == "" {
		acct = s.account
	}
	r.Resources = resourcesOfOld(c, acct)
	raw, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode event: %w", err)
	}
	ev := &storedEvent{
		ID:        id,
		Name:      c.Operation,
		Source:    r.EventSource,
		Username:  usernameOf(r.UserIdentity),
		AccessKey: r.UserIdentity.AccessKeyID,
		ReadOnly:  c.ReadOnly,
		TimeNanos: t.UnixNano(),
		Resources: r.Resources,
		Record:    raw,
	}
	ev.Key = eventKeyOld(ev.TimeNanos, id)
	return ev, nil
}

// storedOld is what the original commit stored for ev at sequence seq.
func storedOld(ev *storedEvent, seq uint64) ([]byte, error) {
	ev.Seq = seq
	return json.Marshal(ev)
}

// identityOfOld is the original identityOf: it describes the caller as CloudTrail's
// userIdentity.
func identityOfOld(p *awsapi.Principal, account string) userIdentity {
	if p == nil {
		return userIdentity{Type: "Unknown"}
	}
	id := userIdentity{PrincipalID: p.UserID, ARN: p.ARN, AccountID: p.AccountID, AccessKeyID: p.AccessKeyID}
	if id.AccountID == "" {
		id.AccountID = account
	}
	resource := ""
	if parts := strings.SplitN(p.ARN, ":", 6); len(parts) == 6 {
		resource = parts[5]
	}
	switch {
	case p.Root || resource == "root":
		id.Type = "Root"
		if id.PrincipalID == "" {
			id.PrincipalID = id.AccountID
		}
	case strings.HasPrefix(resource, "assumed-role/"):
		id.Type = "AssumedRole"
		// assumed-role/<role name>/<session name>
		fields := strings.Split(resource, "/")
		role := fields[1]
		if len(fields) < 3 {
			role = strings.TrimPrefix(resource, "assumed-role/")
		}
		roleID, _, _ := strings.Cut(p.UserID, ":")
		id.SessionContext = &sessionContext{
			SessionIssuer: sessionIssuer{
				Type: "Role", PrincipalID: roleID, AccountID: id.AccountID, UserName: role,
				ARN: "arn:aws:iam::" + id.AccountID + ":role/" + role,
			},
			Attributes: map[string]string{"mfaAuthenticated": "false"},
		}
	case strings.HasPrefix(resource, "user/"):
		id.Type = "IAMUser"
		id.UserName = resource[strings.LastIndexByte(resource, '/')+1:]
	case strings.HasSuffix(p.ARN, ".amazonaws.com"):
		id = userIdentity{Type: "AWSService", InvokedBy: p.ARN}
	default:
		id.Type = "Unknown"
	}
	return id
}

// eventKeyOld is the original eventKey.
func eventKeyOld(nanos int64, id string) string {
	if nanos < 0 {
		nanos = 0
	}
	return fmt.Sprintf("%016x", uint64(math.MaxUint64)-uint64(nanos)) + "/" + id
}
