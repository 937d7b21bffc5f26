package cloudtrail

import (
	"encoding/json"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/wharf-dev/wharf/internal/awsapi"
)

// Hidden replaces every member tagged `sensitive:"true"`, as AWS does.
const Hidden = "HIDDEN_DUE_TO_SECURITY_REASONS"

const maxRedactDepth = 32

var (
	timeType = reflect.TypeFor[time.Time]()
	rawType  = reflect.TypeFor[json.RawMessage]()
)

// redactedJSON renders an operation's input or output as CloudTrail's
// requestParameters/responseElements: member names from json tags with a lower-case
// first letter, sensitive members replaced by Hidden, blobs left out, absent members
// omitted. An empty structure is null.
func redactedJSON(v any) json.RawMessage {
	tree := redact(reflect.ValueOf(v), 0)
	if m, ok := tree.(map[string]any); ok && len(m) == 0 {
		return json.RawMessage("null")
	}
	raw, err := json.Marshal(tree)
	if err != nil || tree == nil {
		return json.RawMessage("null")
	}
	return raw
}

// redact turns v into a JSON tree; nil means "leave out".
func redact(v reflect.Value, depth int) any {
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
			out = append(out, redact(v.Index(i), depth+1))
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
			out[k.String()] = redact(v.MapIndex(k), depth+1)
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
			if fv.IsZero() && (isNilable(fv) || strings.Contains(opts, "omitempty")) {
				continue
			}
			if f.Tag.Get("sensitive") == "true" {
				out[lowerFirst(name)] = Hidden
				continue
			}
			if x := redact(fv, depth+1); x != nil {
				out[lowerFirst(name)] = x
			}
		}
		return out
	}
	return nil
}

func isNilable(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Slice, reflect.Map:
		return true
	}
	return false
}

// lowerFirst lower-cases the first letter: "WithDecryption" → "withDecryption".
func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError || unicode.IsLower(r) {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}

// resourcesOf finds the resources a call named: every ARN in its input and output,
// and for SSM the parameter names.
func resourcesOf(c awsapi.Call, account string) []recResource {
	seen := map[string]bool{}
	var out []recResource
	add := func(arn string) {
		if seen[arn] || len(out) >= 50 {
			return
		}
		seen[arn] = true
		r := recResource{ARN: arn, Type: arnType(arn), AccountID: account}
		if parts := strings.SplitN(arn, ":", 6); len(parts) == 6 && parts[4] != "" {
			r.AccountID = parts[4]
		}
		out = append(out, r)
	}
	collectARNs(reflect.ValueOf(c.Input), "", 0, c, account, add)
	if c.Err == nil {
		collectARNs(reflect.ValueOf(c.Output), "", 0, c, account, add)
	}
	return out
}

// collectARNs walks v for ARN-valued strings (and SSM parameter names), skipping
// sensitive members.
func collectARNs(v reflect.Value, field string, depth int, c awsapi.Call, account string, add func(string)) {
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
			collectARNs(v.Index(i), field, depth+1, c, account, add)
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
			collectARNs(v.Field(i), name, depth+1, c, account, add)
		}
	}
}

// arnType names a resource type as CloudTrail does ("AWS::SSM::Parameter") from its ARN.
func arnType(arn string) string {
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
		name = upperCamel(svc)
	}
	if kind == "" {
		return "AWS::" + name
	}
	kinds := map[string]string{"targetgroup": "TargetGroup", "loadbalancer": "LoadBalancer", "listener-rule": "ListenerRule"}
	k, ok := kinds[kind]
	if !ok {
		k = upperCamel(kind)
	}
	return "AWS::" + name + "::" + k
}

// upperCamel turns "task-definition" into "TaskDefinition".
func upperCamel(s string) string {
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
