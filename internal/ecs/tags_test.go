package ecs

import (
	"slices"
	"testing"
)

func TestTags(t *testing.T) {
	e := newEnv(t)
	e.node("i-1", 2048, 4096)
	td := e.register("web", 64, false)
	svc := e.createService("web", 0)
	run, err := e.s.RunTask(e.ctx, &RunTaskInput{TaskDefinition: ptr("web")})
	if err != nil {
		t.Fatal(err)
	}
	resources := map[string]string{
		"cluster":            e.s.clusterARN("default"),
		"service":            svc.ServiceArn,
		"task":               run.Tasks[0].TaskArn,
		"task definition":    td.TaskDefinitionArn,
		"container instance": e.instance("default").ContainerInstanceArn,
	}
	for kind, arn := range resources {
		t.Run(kind, func(t *testing.T) {
			list := func() []Tag {
				t.Helper()
				out, err := e.s.ListTagsForResource(e.ctx, &ListTagsForResourceInput{ResourceArn: ptr(arn)})
				if err != nil {
					t.Fatal(err)
				}
				return out.Tags
			}
			if got := list(); got == nil || len(got) != 0 {
				t.Fatalf("initial tags %+v, want an empty list", got)
			}
			if _, err := e.s.TagResource(e.ctx, &TagResourceInput{ResourceArn: ptr(arn), Tags: []Tag{{Key: "a", Value: "1"}, {Key: "b", Value: "2"}}}); err != nil {
				t.Fatal(err)
			}
			if _, err := e.s.TagResource(e.ctx, &TagResourceInput{ResourceArn: ptr(arn), Tags: []Tag{{Key: "a", Value: "3"}}}); err != nil {
				t.Fatal(err)
			}
			if got := list(); !slices.Equal(got, []Tag{{Key: "a", Value: "3"}, {Key: "b", Value: "2"}}) {
				t.Fatalf("after tagging: %+v", got)
			}
			if _, err := e.s.UntagResource(e.ctx, &UntagResourceInput{ResourceArn: ptr(arn), TagKeys: []string{"b", "missing"}}); err != nil {
				t.Fatal(err)
			}
			if got := list(); !slices.Equal(got, []Tag{{Key: "a", Value: "3"}}) {
				t.Fatalf("after untagging: %+v", got)
			}
		})
	}
	// Tags show in describe calls with include TAGS.
	d, err := e.s.DescribeServices(e.ctx, &DescribeServicesInput{Services: []string{"web"}, Include: []string{"TAGS"}})
	if err != nil || !slices.Equal(d.Services[0].Tags, []Tag{{Key: "a", Value: "3"}}) {
		t.Fatalf("service tags: %+v %v", d, err)
	}

	full := make([]Tag, 50)
	for i := range full {
		full[i] = Tag{Key: string(rune('A'+i%26)) + string(rune('a'+i/26)), Value: "v"}
	}
	tests := []struct {
		name string
		call func() error
		code string
		msg  string
	}{
		{"no ARN", func() error {
			_, err := e.s.ListTagsForResource(e.ctx, &ListTagsForResourceInput{})
			return err
		}, "InvalidParameterException", "resourceArn is required"},
		{"not an ARN", func() error {
			_, err := e.s.ListTagsForResource(e.ctx, &ListTagsForResourceInput{ResourceArn: ptr("web")})
			return err
		}, "InvalidParameterException", "is not a valid ECS ARN"},
		{"unknown cluster", func() error {
			_, err := e.s.ListTagsForResource(e.ctx, &ListTagsForResourceInput{ResourceArn: ptr(e.s.clusterARN("nope"))})
			return err
		}, "ResourceNotFoundException", "could not be found"},
		{"unknown task", func() error {
			_, err := e.s.TagResource(e.ctx, &TagResourceInput{ResourceArn: ptr(e.s.taskARN("default", "ffff")), Tags: []Tag{{Key: "a"}}})
			return err
		}, "ResourceNotFoundException", "could not be found"},
		{"other region", func() error {
			_, err := e.s.ListTagsForResource(e.ctx, &ListTagsForResourceInput{ResourceArn: ptr("arn:aws:ecs:eu-west-1:000000000000:cluster/default")})
			return err
		}, "ResourceNotFoundException", "could not be found"},
		{"no tags", func() error {
			_, err := e.s.TagResource(e.ctx, &TagResourceInput{ResourceArn: ptr(resources["cluster"])})
			return err
		}, "InvalidParameterException", "tags cannot be empty"},
		{"too many in total", func() error {
			_, err := e.s.TagResource(e.ctx, &TagResourceInput{ResourceArn: ptr(resources["cluster"]), Tags: full})
			return err
		}, "InvalidParameterException", "would have 51"},
		{"reserved key", func() error {
			_, err := e.s.UntagResource(e.ctx, &UntagResourceInput{ResourceArn: ptr(resources["cluster"]), TagKeys: []string{"aws:x"}})
			return err
		}, "InvalidParameterException", "reserved for AWS use"},
		{"no keys", func() error {
			_, err := e.s.UntagResource(e.ctx, &UntagResourceInput{ResourceArn: ptr(resources["cluster"])})
			return err
		}, "InvalidParameterException", "tagKeys cannot be empty"},
		{"container", func() error {
			_, err := e.s.ListTagsForResource(e.ctx, &ListTagsForResourceInput{ResourceArn: ptr(run.Tasks[0].Containers[0].ContainerArn)})
			return err
		}, "InvalidParameterException", "cannot be tagged"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantAPIError(t, tt.call(), tt.code, tt.msg) })
	}
}
