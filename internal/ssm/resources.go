package ssm

import (
	"context"
	"strconv"
	"strings"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/store"
)

// resources returns the parameter ARNs an operation is authorized on, as the service
// authorization reference lists them: the named parameters (selectors dropped), the
// path of GetParametersByPath, and "*" for the rest (DescribeParameters).
func (s *Service) resources(_ context.Context, in any) []string {
	var names []string
	switch v := in.(type) {
	case *PutParameterInput:
		names = []string{deref(v.Name)}
	case *GetParameterInput:
		names = []string{deref(v.Name)}
	case *GetParametersInput:
		names = v.Names
	case *DeleteParameterInput:
		names = []string{deref(v.Name)}
	case *DeleteParametersInput:
		names = v.Names
	case *GetParametersByPathInput:
		names = []string{strings.TrimSuffix(deref(v.Path), "/")}
	case *GetParameterHistoryInput:
		names = []string{deref(v.Name)}
	case *LabelParameterVersionInput:
		names = []string{deref(v.Name)}
	case *UnlabelParameterVersionInput:
		names = []string{deref(v.Name)}
	case *AddTagsToResourceInput:
		names = []string{deref(v.ResourceId)}
	case *RemoveTagsFromResourceInput:
		names = []string{deref(v.ResourceId)}
	case *ListTagsForResourceInput:
		names = []string{deref(v.ResourceId)}
	}
	out := make([]string, 0, len(names))
	for _, n := range names {
		if n == "" {
			continue
		}
		if strings.HasPrefix(n, "arn:") {
			out = append(out, dropSelector(n[strings.Index(n, ":parameter/")+1:], s.arnPrefix()))
			continue
		}
		out = append(out, s.arn(dropSelector(n, "")))
	}
	return out
}

// arnPrefix is the ARN of the account's parameters, up to "parameter/".
func (s *Service) arnPrefix() string {
	return "arn:aws:ssm:" + s.region + ":" + s.account + ":"
}

// dropSelector removes a ":version" or ":label" selector from a parameter name (or
// from an ARN's "parameter/..." part, which prefix then completes).
func dropSelector(name, prefix string) string {
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		name = name[:i]
	}
	return prefix + name
}

// withResources sets the authorization resources of every operation of the table.
func (s *Service) withResources(ops map[string]awsapi.Operation) map[string]awsapi.Operation {
	for name, op := range ops {
		if name != "DescribeParameters" {
			op.Resources = s.resources
		}
		op.Conditions = conditions
		ops[name] = op
	}
	return ops
}

// ResourceTags returns the tags of the parameter an ARN names, for aws:ResourceTag/<key>.
func (s *Service) ResourceTags(ctx context.Context, arn string) map[string]string {
	name, ok := strings.CutPrefix(arn, s.arnPrefix()+"parameter")
	if !ok {
		return nil
	}
	var tags map[string]string
	_ = s.view(ctx, func(tx *store.Tx) error {
		p, _, err := s.find(tx, reference{name: strings.TrimPrefix(name, "/"), fromARN: true})
		if err != nil {
			return nil
		}
		tags = make(map[string]string, len(p.Tags))
		for _, t := range p.Tags {
			tags[t.Key] = t.Value
		}
		return nil
	})
	return tags
}

// conditions returns SSM's condition keys of a call: ssm:Overwrite for PutParameter and
// ssm:Recursive for GetParametersByPath, as "true" or "false".
func conditions(_ context.Context, in any) map[string][]string {
	switch v := in.(type) {
	case *PutParameterInput:
		return map[string][]string{"ssm:Overwrite": {strconv.FormatBool(deref(v.Overwrite))}}
	case *GetParametersByPathInput:
		return map[string][]string{"ssm:Recursive": {strconv.FormatBool(deref(v.Recursive))}}
	}
	return nil
}
