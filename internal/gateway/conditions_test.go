package gateway

import (
	"reflect"
	"testing"
)

func TestRequestTags(t *testing.T) {
	type kv struct {
		Key   *string
		Value *string
	}
	type kmsTag struct{ TagKey, TagValue string }
	s := func(v string) *string { return &v }
	cases := []struct {
		name string
		in   any
		want map[string][]string
	}{
		{"no tags", &struct{ Name string }{"x"}, nil},
		{"key/value list", &struct{ Tags []kv }{[]kv{{s("team"), s("web")}, {s("env"), s("prod")}}},
			map[string][]string{"aws:RequestTag/team": {"web"}, "aws:RequestTag/env": {"prod"}, "aws:TagKeys": {"team", "env"}}},
		{"TagKey/TagValue list", &struct{ Tags []kmsTag }{[]kmsTag{{"team", "web"}}},
			map[string][]string{"aws:RequestTag/team": {"web"}, "aws:TagKeys": {"team"}}},
		{"map", &struct{ Tags map[string]string }{map[string]string{"team": "web"}},
			map[string][]string{"aws:RequestTag/team": {"web"}, "aws:TagKeys": {"team"}}},
		{"untag keys", &struct{ TagKeys []string }{[]string{"team", "env"}},
			map[string][]string{"aws:TagKeys": {"team", "env"}}},
		{"nil input", (*struct{ Tags []kv })(nil), nil},
	}
	for _, tc := range cases {
		if got := requestTags(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}
