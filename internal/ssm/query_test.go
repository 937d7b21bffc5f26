package ssm

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

func names[T any](ps []T, name func(T) *string) string {
	var out []string
	for _, p := range ps {
		out = append(out, aws.ToString(name(p)))
	}
	return strings.Join(out, ",")
}

func paramName(p types.Parameter) *string        { return p.Name }
func metaName(p types.ParameterMetadata) *string { return p.Name }

func seed(e *env) {
	e.t.Helper()
	for _, p := range []struct {
		name, value string
		typ         types.ParameterType
		key         string
		tier        types.ParameterTier
	}{
		{"/app/web/url", "u", "String", "", ""},
		{"/app/web/password", "pw", "SecureString", "", ""},
		{"/app/web/deep/x", "x", "StringList", "", ""},
		{"/app/db/password", "dbpw", "SecureString", "alias/app", "Advanced"},
		{"/app/top", "t", "String", "", ""},
		{"/other/y", "y", "String", "", ""},
		{"flat", "f", "String", "", ""},
	} {
		in := &sdk.PutParameterInput{Name: aws.String(p.name), Value: aws.String(p.value), Type: p.typ, Tier: p.tier}
		if p.key != "" {
			in.KeyId = aws.String(p.key)
		}
		e.put(in)
	}
}

func TestGetParametersByPath(t *testing.T) {
	e := newEnv(t)
	seed(e)
	if _, err := e.client.LabelParameterVersion(e.ctx, &sdk.LabelParameterVersionInput{Name: aws.String("/app/web/url"), Labels: []string{"live"}}); err != nil {
		t.Fatal(err)
	}
	eq := func(key string, values ...string) []types.ParameterStringFilter {
		return []types.ParameterStringFilter{{Key: aws.String(key), Values: values}}
	}
	tests := []struct {
		path      string
		recursive bool
		filters   []types.ParameterStringFilter
		want      string
	}{
		{"/app", false, nil, "/app/top"},
		{"/app/", false, nil, "/app/top"},
		{"/app/web", false, nil, "/app/web/password,/app/web/url"},
		{"/app", true, nil, "/app/db/password,/app/top,/app/web/deep/x,/app/web/password,/app/web/url"},
		{"/", false, nil, ""},
		{"/", true, nil, "/app/db/password,/app/top,/app/web/deep/x,/app/web/password,/app/web/url,/other/y"},
		{"/app", true, eq("Type", "SecureString"), "/app/db/password,/app/web/password"},
		{"/app", true, eq("KeyId", "alias/app"), "/app/db/password"},
		{"/app", true, []types.ParameterStringFilter{{Key: aws.String("KeyId"), Option: aws.String("BeginsWith"), Values: []string{"alias/aws"}}}, "/app/web/password"},
		{"/app", true, eq("Label", "live"), "/app/web/url"},
		{"/nothing", true, nil, ""},
	}
	for _, tc := range tests {
		out, err := e.client.GetParametersByPath(e.ctx, &sdk.GetParametersByPathInput{Path: aws.String(tc.path), Recursive: aws.Bool(tc.recursive), ParameterFilters: tc.filters})
		if err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		if got := names(out.Parameters, paramName); got != tc.want {
			t.Errorf("%s recursive=%v %v: %s, want %s", tc.path, tc.recursive, tc.filters, got, tc.want)
		}
	}
	// Decryption applies to SecureStrings only.
	out, err := e.client.GetParametersByPath(e.ctx, &sdk.GetParametersByPathInput{Path: aws.String("/app/web"), WithDecryption: aws.Bool(true)})
	if err != nil || aws.ToString(out.Parameters[0].Value) != "pw" || aws.ToString(out.Parameters[1].Value) != "u" {
		t.Fatalf("with decryption: %+v %v", out, err)
	}
	out, err = e.client.GetParametersByPath(e.ctx, &sdk.GetParametersByPathInput{Path: aws.String("/app/web")})
	if err != nil || aws.ToString(out.Parameters[0].Value) == "pw" {
		t.Fatalf("without decryption the plaintext came back: %+v %v", out, err)
	}

	errs := []struct {
		in   sdk.GetParametersByPathInput
		code string
	}{
		{sdk.GetParametersByPathInput{Path: aws.String("app")}, "ValidationException"},
		{sdk.GetParametersByPathInput{Path: aws.String("/app"), MaxResults: aws.Int32(11)}, "ValidationException"},
		{sdk.GetParametersByPathInput{Path: aws.String("/app"), ParameterFilters: eq("Name", "x")}, "InvalidFilterKey"},
		{sdk.GetParametersByPathInput{Path: aws.String("/app"), ParameterFilters: eq("Type", "Secret")}, "InvalidFilterValue"},
		{sdk.GetParametersByPathInput{Path: aws.String("/app"), ParameterFilters: eq("Type")}, "InvalidFilterValue"},
		{sdk.GetParametersByPathInput{Path: aws.String("/app"), ParameterFilters: []types.ParameterStringFilter{{Key: aws.String("Label"), Option: aws.String("BeginsWith"), Values: []string{"l"}}}}, "InvalidFilterOption"},
		{sdk.GetParametersByPathInput{Path: aws.String("/app"), NextToken: aws.String("!!")}, "InvalidNextToken"},
	}
	for _, tc := range errs {
		in := tc.in
		_, err := e.client.GetParametersByPath(e.ctx, &in)
		wantCode(t, err, tc.code, "")
	}
	_, err = e.client.GetParametersByPath(e.ctx, &sdk.GetParametersByPathInput{Path: aws.String("/app"), ParameterFilters: eq("Path", "/x")})
	wantType[*types.InvalidFilterKey](t, err)
}

func TestPagination(t *testing.T) {
	e := newEnv(t)
	var want []string
	for i := range 23 {
		n := fmt.Sprintf("/p/n%02d", i)
		want = append(want, n)
		e.put(&sdk.PutParameterInput{Name: aws.String(n), Value: aws.String("v"), Type: "String"})
	}
	e.put(&sdk.PutParameterInput{Name: aws.String("/q"), Value: aws.String("v"), Type: "String"})

	var got []string
	pages := 0
	pager := sdk.NewGetParametersByPathPaginator(e.client, &sdk.GetParametersByPathInput{Path: aws.String("/p"), MaxResults: aws.Int32(10)})
	for pager.HasMorePages() {
		out, err := pager.NextPage(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, p := range out.Parameters {
			got = append(got, aws.ToString(p.Name))
		}
	}
	if pages != 3 || !slices.Equal(got, want) {
		t.Fatalf("by path: %d pages, %v", pages, got)
	}

	got, pages = nil, 0
	dp := sdk.NewDescribeParametersPaginator(e.client, &sdk.DescribeParametersInput{MaxResults: aws.Int32(5),
		ParameterFilters: []types.ParameterStringFilter{{Key: aws.String("Path"), Option: aws.String("Recursive"), Values: []string{"/p"}}}})
	for dp.HasMorePages() {
		out, err := dp.NextPage(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, p := range out.Parameters {
			got = append(got, aws.ToString(p.Name))
		}
	}
	if pages != 5 || !slices.Equal(got, want) {
		t.Fatalf("describe: %d pages, %v", pages, got)
	}
	_, err := e.client.DescribeParameters(e.ctx, &sdk.DescribeParametersInput{MaxResults: aws.Int32(51)})
	wantCode(t, err, "ValidationException", "between 1 and 50")
}

func TestDescribeParameters(t *testing.T) {
	e := newEnv(t)
	seed(e)
	e.put(&sdk.PutParameterInput{Name: aws.String("/img"), Value: aws.String("ami-12345678"), Type: "String", DataType: aws.String("aws:ec2:image"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("infra")}}})
	if _, err := e.client.AddTagsToResource(e.ctx, &sdk.AddTagsToResourceInput{ResourceType: types.ResourceTypeForTaggingParameter, ResourceId: aws.String("/app/top"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("web")}}}); err != nil {
		t.Fatal(err)
	}
	f := func(key, option string, values ...string) []types.ParameterStringFilter {
		sf := types.ParameterStringFilter{Key: aws.String(key), Values: values}
		if option != "" {
			sf.Option = aws.String(option)
		}
		return []types.ParameterStringFilter{sf}
	}
	tests := []struct {
		filters []types.ParameterStringFilter
		want    string
	}{
		{nil, "/app/db/password,/app/top,/app/web/deep/x,/app/web/password,/app/web/url,/img,/other/y,flat"},
		{f("Name", "", "flat"), "flat"},
		{f("Name", "BeginsWith", "/app/web"), "/app/web/deep/x,/app/web/password,/app/web/url"},
		{f("Name", "Contains", "pass"), "/app/db/password,/app/web/password"},
		{f("Type", "", "StringList"), "/app/web/deep/x"},
		{f("KeyId", "", "alias/app"), "/app/db/password"},
		{f("Tier", "", "Advanced"), "/app/db/password"},
		{f("DataType", "", "aws:ec2:image"), "/img"},
		{f("Path", "", "/app"), "/app/top"},
		{f("Path", "Recursive", "/app/web"), "/app/web/deep/x,/app/web/password,/app/web/url"},
		{f("tag:team", "", "web"), "/app/top"},
		{f("tag:team", ""), "/app/top,/img"},
		{f("tag:team", "BeginsWith", "in"), "/img"},
	}
	for _, tc := range tests {
		out, err := e.client.DescribeParameters(e.ctx, &sdk.DescribeParametersInput{ParameterFilters: tc.filters})
		if err != nil {
			t.Fatalf("%v: %v", tc.filters, err)
		}
		if got := names(out.Parameters, metaName); got != tc.want {
			t.Errorf("filter %+v: %s, want %s", tc.filters, got, tc.want)
		}
	}
	out, err := e.client.DescribeParameters(e.ctx, &sdk.DescribeParametersInput{Filters: []types.ParametersFilter{{Key: types.ParametersFilterKeyType, Values: []string{"SecureString"}}}})
	if err != nil || names(out.Parameters, metaName) != "/app/db/password,/app/web/password" {
		t.Fatalf("legacy Filters: %+v %v", out, err)
	}
	m := out.Parameters[0]
	if m.Tier != types.ParameterTierAdvanced || m.Type != types.ParameterTypeSecureString || aws.ToString(m.ARN) != "arn:aws:ssm:us-east-1:000000000000:parameter/app/db/password" ||
		m.Version != 1 || aws.ToString(m.LastModifiedUser) != "arn:aws:iam::000000000000:root" || m.LastModifiedDate == nil {
		t.Fatalf("metadata: %+v", m)
	}
	errs := []struct {
		filters []types.ParameterStringFilter
		code    string
	}{
		{f("Label", "", "x"), "InvalidFilterKey"},
		{f("Bogus", "", "x"), "InvalidFilterKey"},
		{append(f("Type", "", "String"), f("Type", "", "String")...), "InvalidFilterKey"},
		{f("Path", "Equals", "/app"), "InvalidFilterOption"},
		{f("Type", "Contains", "String"), "InvalidFilterOption"},
		{f("Tier", "", "Gold"), "InvalidFilterValue"},
		{f("Path", "", "app"), "InvalidFilterValue"},
	}
	for _, tc := range errs {
		_, err := e.client.DescribeParameters(e.ctx, &sdk.DescribeParametersInput{ParameterFilters: tc.filters})
		wantCode(t, err, tc.code, "")
	}
	_, err = e.client.DescribeParameters(e.ctx, &sdk.DescribeParametersInput{ParameterFilters: f("Bogus", "", "x")})
	wantType[*types.InvalidFilterKey](t, err)
	_, err = e.client.DescribeParameters(e.ctx, &sdk.DescribeParametersInput{ParameterFilters: f("Path", "Equals", "/app")})
	wantType[*types.InvalidFilterOption](t, err)
}
