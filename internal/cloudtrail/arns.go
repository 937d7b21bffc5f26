package cloudtrail

import (
	"reflect"
	"strings"
	"unicode"

	"github.com/wharf-dev/wharf/internal/awsapi"
)

// maxResources bounds the resources of one event; maxWalkedElements the elements of a
// list the walk looks at.
const (
	maxResources      = 50
	maxWalkedElements = 100
)

// resourcesOf finds the resources a call named: every ARN in its input and output,
// and for SSM the parameter names, in the order met (fields in declaration order, the
// input before the output), each once, at most 50.
func resourcesOf(c awsapi.Call, account string) []recResource {
	w := arnWalker{ssm: c.Service == "ssm", region: c.Region, account: account}
	w.walkRoot(c.Input)
	if c.Err == nil {
		w.walkRoot(c.Output)
	}
	return w.out
}

// arnWalker collects the ARNs of a call, walking values by their plans: members that
// cannot hold a string (numbers, times, blobs, maps) are never visited.
type arnWalker struct {
	ssm     bool // the call is SSM's: Name and Names members are parameter names
	region  string
	account string
	out     []recResource
}

func (w *arnWalker) walkRoot(v any) {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() {
		return
	}
	w.walk(rv, planOf(rv.Type()), false, 0)
}

// walk visits v, a value of p's type; isName says it is (in) a Name or Names member.
func (w *arnWalker) walk(v reflect.Value, p *plan, isName bool, depth int) {
	if depth > maxRedactDepth || !p.mayARN || len(w.out) >= maxResources {
		return
	}
	for p.kind == kPtr || p.kind == kIface {
		if v.IsNil() {
			return
		}
		v = v.Elem()
		if p.kind == kPtr {
			p = p.elem
		} else if p = planOf(v.Type()); !p.mayARN {
			return
		}
	}
	switch p.kind {
	case kString:
		w.check(v.String(), isName)
	case kSlice, kArray:
		if !p.elem.mayARN {
			return
		}
		n := min(v.Len(), maxWalkedElements)
		if p.elem.kind == kString && depth < maxRedactDepth {
			if ss, ok := reflect.TypeAssert[[]string](v); ok {
				for _, s := range ss[:n] {
					w.check(s, isName)
				}
				return
			}
		}
		for i := range n {
			w.walk(v.Index(i), p.elem, isName, depth+1)
		}
	case kStruct:
		for _, f := range p.arnFields {
			w.walk(v.Field(f.index), f.plan, f.isName, depth+1)
		}
	}
}

// check adds s when it is an ARN or, in an SSM Name or Names member, a parameter name.
func (w *arnWalker) check(s string, isName bool) {
	switch {
	case strings.HasPrefix(s, "arn:aws:") && strings.Count(s, ":") >= 5:
		w.add(s)
	case w.ssm && isName && s != "":
		name := s
		if i := strings.IndexByte(name, ':'); i > 0 {
			name = name[:i] // name:version and name:label selectors
		}
		if !strings.HasPrefix(name, "/") {
			name = "/" + name
		}
		w.add("arn:aws:ssm:" + w.region + ":" + w.account + ":parameter" + name)
	}
}

func (w *arnWalker) add(arn string) {
	if len(w.out) >= maxResources {
		return
	}
	for i := range w.out {
		if w.out[i].ARN == arn {
			return
		}
	}
	r := recResource{ARN: arn, Type: arnType(arn), AccountID: w.account}
	if parts, ok := splitARN(arn); ok && parts[4] != "" {
		r.AccountID = parts[4]
	}
	w.out = append(w.out, r)
}

// splitARN splits an ARN into its six colon-separated fields (the last keeps its
// colons), as strings.SplitN(arn, ":", 6) does; ok is false when it has fewer.
func splitARN(arn string) (f [6]string, ok bool) {
	for n := range 5 {
		j := strings.IndexByte(arn, ':')
		if j < 0 {
			return f, false
		}
		f[n], arn = arn[:j], arn[j+1:]
	}
	f[5] = arn
	return f, true
}

// arnServices and arnKinds name services and resource kinds as CloudTrail's resource
// types do; others are upper-camel-cased.
var (
	arnServices = map[string]string{
		"ssm": "SSM", "kms": "KMS", "iam": "IAM", "sts": "STS", "ecs": "ECS",
		"elasticloadbalancing": "ElasticLoadBalancingV2", "cloudtrail": "CloudTrail",
		"logs": "Logs", "cloudwatch": "CloudWatch", "s3": "S3", "ecr": "ECR",
		"secretsmanager": "SecretsManager", "sqs": "SQS", "sns": "SNS", "dynamodb": "DynamoDB",
	}
	arnKinds = map[string]string{"targetgroup": "TargetGroup", "loadbalancer": "LoadBalancer", "listener-rule": "ListenerRule"}
)

// arnType names a resource type as CloudTrail does ("AWS::SSM::Parameter") from its ARN.
func arnType(arn string) string {
	parts, ok := splitARN(arn)
	if !ok {
		return ""
	}
	svc, res := parts[2], parts[5]
	kind := res
	if i := strings.IndexAny(res, "/:"); i >= 0 {
		kind = res[:i]
	}
	name, ok := arnServices[svc]
	if !ok {
		name = upperCamel(svc)
	}
	if kind == "" {
		return "AWS::" + name
	}
	k, ok := arnKinds[kind]
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
