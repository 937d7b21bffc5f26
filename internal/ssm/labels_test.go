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

// history returns "version=value[labels]" for each kept version.
func (e *env) history(name string, decrypt bool) []string {
	e.t.Helper()
	var out []string
	pager := sdk.NewGetParameterHistoryPaginator(e.client, &sdk.GetParameterHistoryInput{Name: aws.String(name), WithDecryption: aws.Bool(decrypt)})
	for pager.HasMorePages() {
		page, err := pager.NextPage(e.ctx)
		if err != nil {
			e.t.Fatalf("GetParameterHistory %s: %v", name, err)
		}
		for _, h := range page.Parameters {
			out = append(out, fmt.Sprintf("%d=%s%v", h.Version, aws.ToString(h.Value), h.Labels))
		}
	}
	return out
}

func TestLabels(t *testing.T) {
	e := newEnv(t)
	for i := 1; i <= 3; i++ {
		e.put(&sdk.PutParameterInput{Name: aws.String("/l"), Value: aws.String(fmt.Sprintf("v%d", i)), Type: "SecureString", Overwrite: aws.Bool(i > 1)})
	}
	// Default version is the latest; invalid labels are reported, not attached.
	out, err := e.client.LabelParameterVersion(e.ctx, &sdk.LabelParameterVersionInput{Name: aws.String("/l"),
		Labels: []string{"prod", "1bad", "awsx", "SSMy", "has space", "ok.label-1_"}})
	if err != nil {
		t.Fatal(err)
	}
	if out.ParameterVersion != 3 || strings.Join(out.InvalidLabels, ",") != "1bad,awsx,SSMy,has space" {
		t.Fatalf("label: %+v", out)
	}
	// A label moves between versions.
	if _, err := e.client.LabelParameterVersion(e.ctx, &sdk.LabelParameterVersionInput{Name: aws.String("/l"), ParameterVersion: aws.Int64(1), Labels: []string{"prod"}}); err != nil {
		t.Fatal(err)
	}
	want := []string{"1=v1[prod]", "2=v2[]", "3=v3[ok.label-1_]"}
	if got := e.history("/l", true); !slices.Equal(got, want) {
		t.Fatalf("history %v, want %v", got, want)
	}
	for _, h := range e.history("/l", false) {
		if strings.Contains(h, "=v") {
			t.Fatalf("history without decryption shows a plaintext: %s", h)
		}
	}
	// At most 10 labels on a version.
	var ten []string
	for i := range 9 {
		ten = append(ten, fmt.Sprintf("l%d", i))
	}
	if _, err := e.client.LabelParameterVersion(e.ctx, &sdk.LabelParameterVersionInput{Name: aws.String("/l"), ParameterVersion: aws.Int64(2), Labels: ten}); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.LabelParameterVersion(e.ctx, &sdk.LabelParameterVersionInput{Name: aws.String("/l"), ParameterVersion: aws.Int64(2), Labels: []string{"x1", "x2"}})
	wantType[*types.ParameterVersionLabelLimitExceeded](t, err)
	_, err = e.client.LabelParameterVersion(e.ctx, &sdk.LabelParameterVersionInput{Name: aws.String("/l"), ParameterVersion: aws.Int64(9), Labels: []string{"x"}})
	wantType[*types.ParameterVersionNotFound](t, err)
	_, err = e.client.LabelParameterVersion(e.ctx, &sdk.LabelParameterVersionInput{Name: aws.String("/none"), Labels: []string{"x"}})
	wantType[*types.ParameterNotFound](t, err)
	_, err = e.client.LabelParameterVersion(e.ctx, &sdk.LabelParameterVersionInput{Name: aws.String("/l"), Labels: []string{strings.Repeat("a", 101)}})
	wantCode(t, err, "ValidationException", "100")

	un, err := e.client.UnlabelParameterVersion(e.ctx, &sdk.UnlabelParameterVersionInput{Name: aws.String("/l"), ParameterVersion: aws.Int64(1), Labels: []string{"prod", "l0"}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(un.RemovedLabels, ",") != "prod" || strings.Join(un.InvalidLabels, ",") != "l0" {
		t.Fatalf("unlabel: %+v", un)
	}
	_, err = e.client.GetParameter(e.ctx, &sdk.GetParameterInput{Name: aws.String("/l:prod")})
	wantType[*types.ParameterNotFound](t, err)
	_, err = e.client.UnlabelParameterVersion(e.ctx, &sdk.UnlabelParameterVersionInput{Name: aws.String("/l"), ParameterVersion: aws.Int64(7), Labels: []string{"x"}})
	wantType[*types.ParameterVersionNotFound](t, err)
}

// TestVersionLimit checks that a parameter keeps 100 versions: the 101st put deletes
// the oldest, unless the oldest has a label.
func TestVersionLimit(t *testing.T) {
	e := newEnv(t)
	for i := 1; i <= 100; i++ {
		e.put(&sdk.PutParameterInput{Name: aws.String("/v"), Value: aws.String(fmt.Sprint(i)), Type: "String", Overwrite: aws.Bool(i > 1)})
	}
	if _, err := e.client.LabelParameterVersion(e.ctx, &sdk.LabelParameterVersionInput{Name: aws.String("/v"), ParameterVersion: aws.Int64(1), Labels: []string{"pinned"}}); err != nil {
		t.Fatal(err)
	}
	_, err := e.client.PutParameter(e.ctx, &sdk.PutParameterInput{Name: aws.String("/v"), Value: aws.String("101"), Overwrite: aws.Bool(true)})
	wantType[*types.ParameterMaxVersionLimitExceeded](t, err)
	if _, err := e.client.UnlabelParameterVersion(e.ctx, &sdk.UnlabelParameterVersionInput{Name: aws.String("/v"), ParameterVersion: aws.Int64(1), Labels: []string{"pinned"}}); err != nil {
		t.Fatal(err)
	}
	if v := e.put(&sdk.PutParameterInput{Name: aws.String("/v"), Value: aws.String("101"), Overwrite: aws.Bool(true)}); v != 101 {
		t.Fatalf("version %d", v)
	}
	h := e.history("/v", false)
	if len(h) != 100 || h[0] != "2=2[]" || h[99] != "101=101[]" {
		t.Fatalf("history: %d versions, first %s last %s", len(h), h[0], h[len(h)-1])
	}
	_, err = e.client.GetParameter(e.ctx, &sdk.GetParameterInput{Name: aws.String("/v:1")})
	wantType[*types.ParameterVersionNotFound](t, err)
	page, err := e.client.GetParameterHistory(e.ctx, &sdk.GetParameterHistoryInput{Name: aws.String("/v")})
	if err != nil || len(page.Parameters) != 50 || page.NextToken == nil {
		t.Fatalf("default history page: %d versions, token %v, %v", len(page.Parameters), page.NextToken, err)
	}
	_, err = e.client.GetParameterHistory(e.ctx, &sdk.GetParameterHistoryInput{Name: aws.String("/v"), MaxResults: aws.Int32(51)})
	wantCode(t, err, "ValidationException", "between 1 and 50")
	_, err = e.client.GetParameterHistory(e.ctx, &sdk.GetParameterHistoryInput{Name: aws.String("/nope")})
	wantType[*types.ParameterNotFound](t, err)
}

func TestTags(t *testing.T) {
	e := newEnv(t)
	e.put(&sdk.PutParameterInput{Name: aws.String("/t"), Value: aws.String("v"), Type: "String",
		Tags: []types.Tag{{Key: aws.String("b"), Value: aws.String("2")}, {Key: aws.String("a"), Value: aws.String("1")}}})
	list := func(id string) string {
		t.Helper()
		out, err := e.client.ListTagsForResource(e.ctx, &sdk.ListTagsForResourceInput{ResourceType: types.ResourceTypeForTaggingParameter, ResourceId: aws.String(id)})
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, tg := range out.TagList {
			s = append(s, aws.ToString(tg.Key)+"="+aws.ToString(tg.Value))
		}
		return strings.Join(s, ",")
	}
	if got := list("/t"); got != "a=1,b=2" {
		t.Fatalf("tags %s", got)
	}
	if _, err := e.client.AddTagsToResource(e.ctx, &sdk.AddTagsToResourceInput{ResourceType: "Parameter", ResourceId: aws.String("/t"),
		Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("one")}, {Key: aws.String("c"), Value: aws.String("3")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.RemoveTagsFromResource(e.ctx, &sdk.RemoveTagsFromResourceInput{ResourceType: "Parameter", ResourceId: aws.String("/t"), TagKeys: []string{"b", "zz"}}); err != nil {
		t.Fatal(err)
	}
	if got := list("arn:aws:ssm:us-east-1:000000000000:parameter/t"); got != "a=one,c=3" {
		t.Fatalf("tags after add and remove: %s", got)
	}
	_, err := e.client.ListTagsForResource(e.ctx, &sdk.ListTagsForResourceInput{ResourceType: "Parameter", ResourceId: aws.String("/none")})
	wantType[*types.InvalidResourceId](t, err)
	_, err = e.client.ListTagsForResource(e.ctx, &sdk.ListTagsForResourceInput{ResourceType: "Bucket", ResourceId: aws.String("/t")})
	wantType[*types.InvalidResourceType](t, err)
	_, err = e.client.ListTagsForResource(e.ctx, &sdk.ListTagsForResourceInput{ResourceType: "Document", ResourceId: aws.String("/t")})
	wantType[*types.InvalidResourceId](t, err)
	var many []types.Tag
	for i := range 49 {
		many = append(many, types.Tag{Key: aws.String(fmt.Sprintf("k%02d", i)), Value: aws.String("v")})
	}
	_, err = e.client.AddTagsToResource(e.ctx, &sdk.AddTagsToResourceInput{ResourceType: "Parameter", ResourceId: aws.String("/t"), Tags: many})
	wantType[*types.TooManyTagsError](t, err)
	_, err = e.client.AddTagsToResource(e.ctx, &sdk.AddTagsToResourceInput{ResourceType: "Parameter", ResourceId: aws.String("/t"), Tags: []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("v")}}})
	wantType[*types.InvalidTag](t, err)
}
