package ecs

import (
	"context"
	"encoding/json"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/awsapi"
)

var wantOperations = []string{
	"CreateCluster", "DescribeClusters", "ListClusters", "DeleteCluster", "UpdateClusterSettings",
	"RegisterTaskDefinition", "DescribeTaskDefinition", "ListTaskDefinitions", "ListTaskDefinitionFamilies",
	"DeregisterTaskDefinition", "DeleteTaskDefinitions",
	"RunTask", "StopTask", "DescribeTasks", "ListTasks",
	"CreateService", "UpdateService", "DescribeServices", "ListServices", "DeleteService",
	"ListServiceDeployments", "DescribeServiceDeployments", "DescribeServiceRevisions", "StopServiceDeployment", "ContinueServiceDeployment",
	"ListContainerInstances", "DescribeContainerInstances",
	"TagResource", "UntagResource", "ListTagsForResource",
}

func TestAPIDescribesTheService(t *testing.T) {
	e := newEnv(t)
	api := e.s.API()
	if api.SigningName != "ecs" || api.TargetPrefix != "AmazonEC2ContainerServiceV20141113" || api.ErrorNamespace != "" ||
		!slices.Equal(api.Protocols, []awsapi.Protocol{awsapi.JSON11}) {
		t.Fatalf("service description: %+v", api)
	}
	want := slices.Sorted(slices.Values(wantOperations))
	if got := api.OperationNames(); !slices.Equal(got, want) {
		t.Fatalf("operations:\n got %v\nwant %v", got, want)
	}
	// The table calls the methods.
	out, err := api.Operations["ListClusters"].Invoke(context.Background(), &ListClustersInput{})
	if err != nil {
		t.Fatal(err)
	}
	if l, ok := out.(*ListClustersOutput); !ok || l.ClusterArns == nil {
		t.Fatalf("ListClusters returned %#v", out)
	}
	_, err = api.Operations["DescribeTaskDefinition"].Invoke(context.Background(), &DescribeTaskDefinitionInput{TaskDefinition: ptr("nope")})
	wantAPIError(t, err, "ClientException", "Unable to describe task definition.")
}

// TestInputsDecodeSDKRequests decodes, into each operation's input, the body the AWS
// SDK sends with every member filled in, and checks that every member of the input
// struct (at any depth) is a member of AWS's model, spelled exactly alike.
func TestInputsDecodeSDKRequests(t *testing.T) {
	e := newEnv(t)
	for name, op := range e.s.API().Operations {
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", "sdk-requests", name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			var tree any
			if err := json.Unmarshal(raw, &tree); err != nil {
				t.Fatal(err)
			}
			// The SDK sends timestamps as epoch seconds, which the gateway's codec
			// decodes; encoding/json wants them as text.
			typed, err := json.Marshal(epochsAsText(op.Input, tree))
			if err != nil {
				t.Fatal(err)
			}
			in := reflect.New(op.Input).Interface()
			if err := json.Unmarshal(typed, in); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if reflect.ValueOf(in).Elem().IsZero() {
				t.Fatal("decoded input is empty")
			}
			checkMembers(t, op.Input, tree, name+"Input")
		})
	}
}

var timeType = reflect.TypeFor[time.Time]()

// epochsAsText returns a copy of a decoded JSON tree in which the numbers at the
// timestamp members of typ are RFC 3339 text.
func epochsAsText(typ reflect.Type, v any) any {
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	switch typ.Kind() {
	case reflect.Struct:
		if typ == timeType {
			if f, ok := v.(float64); ok {
				return time.Unix(int64(f), 0).UTC().Format(time.RFC3339)
			}
			return v
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return v
		}
		out := map[string]any{}
		for k, el := range obj {
			out[k] = el
		}
		for i := range typ.NumField() {
			f := typ.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if el, ok := obj[name]; ok {
				out[name] = epochsAsText(f.Type, el)
			}
		}
		return out
	case reflect.Slice:
		arr, ok := v.([]any)
		if !ok {
			return v
		}
		out := make([]any, len(arr))
		for i, el := range arr {
			out[i] = epochsAsText(typ.Elem(), el)
		}
		return out
	}
	return v
}

func checkMembers(t *testing.T, typ reflect.Type, v any, path string) {
	t.Helper()
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	switch typ.Kind() {
	case reflect.Struct:
		if typ == timeType {
			return
		}
		obj, ok := v.(map[string]any)
		if !ok {
			t.Errorf("%s: the SDK sends %T, the Go type is a struct", path, v)
			return
		}
		for i := range typ.NumField() {
			f := typ.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			val, ok := obj[name]
			if !ok {
				t.Errorf("%s.%s is not a member the SDK sends", path, name)
				continue
			}
			checkMembers(t, f.Type, val, path+"."+name)
		}
	case reflect.Slice:
		arr, ok := v.([]any)
		if !ok {
			t.Errorf("%s: the SDK sends %T, the Go type is a list", path, v)
			return
		}
		for _, el := range arr {
			checkMembers(t, typ.Elem(), el, path+"[]")
		}
	case reflect.Map:
		obj, ok := v.(map[string]any)
		if !ok {
			t.Errorf("%s: the SDK sends %T, the Go type is a map", path, v)
			return
		}
		for k, el := range obj {
			checkMembers(t, typ.Elem(), el, path+"{"+k+"}")
		}
	}
}

// TestDomainImports enforces the design rule: domain code does not speak HTTP or know
// the codecs.
func TestDomainImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		parsed, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range parsed.Imports {
			p := strings.Trim(imp.Path.Value, `"`)
			if p == "net/http" || strings.HasSuffix(p, "/internal/gateway") || strings.Contains(p, "aws-sdk-go") {
				t.Errorf("%s imports %s", f, p)
			}
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no source files checked")
	}
}
