package logs

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

func TestLogGroupLifecycle(t *testing.T) {
	e := newEnv(t)
	_, err := e.client.CreateLogGroup(e.ctx, &sdk.CreateLogGroupInput{
		LogGroupName: aws.String("/ecs/web"), KmsKeyId: aws.String("arn:aws:kms:us-east-1:000000000000:key/k1"),
		LogGroupClass: types.LogGroupClassInfrequentAccess, Tags: map[string]string{"team": "a"},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.client.CreateLogGroup(e.ctx, &sdk.CreateLogGroupInput{LogGroupName: aws.String("/ecs/web")})
	wantType[*types.ResourceAlreadyExistsException](t, err)
	wantCode(t, err, "ResourceAlreadyExistsException", "The specified log group already exists")

	out, err := e.client.DescribeLogGroups(e.ctx, &sdk.DescribeLogGroupsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.LogGroups) != 1 {
		t.Fatalf("groups: %+v", out.LogGroups)
	}
	g := out.LogGroups[0]
	if aws.ToString(g.Arn) != "arn:aws:logs:us-east-1:000000000000:log-group:/ecs/web:*" ||
		aws.ToString(g.LogGroupArn) != "arn:aws:logs:us-east-1:000000000000:log-group:/ecs/web" ||
		aws.ToInt64(g.CreationTime) != testStart.UnixMilli() || g.LogGroupClass != types.LogGroupClassInfrequentAccess ||
		aws.ToString(g.KmsKeyId) != "arn:aws:kms:us-east-1:000000000000:key/k1" || g.RetentionInDays != nil ||
		aws.ToInt32(g.MetricFilterCount) != 0 || g.StoredBytes == nil {
		t.Fatalf("group: %+v", g)
	}

	if _, err := e.client.PutRetentionPolicy(e.ctx, &sdk.PutRetentionPolicyInput{LogGroupName: aws.String("/ecs/web"), RetentionInDays: aws.Int32(14)}); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.PutRetentionPolicy(e.ctx, &sdk.PutRetentionPolicyInput{LogGroupName: aws.String("/ecs/web"), RetentionInDays: aws.Int32(2)})
	wantType[*types.InvalidParameterException](t, err)
	wantCode(t, err, "InvalidParameterException", "Value '2' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]")
	_, err = e.client.PutRetentionPolicy(e.ctx, &sdk.PutRetentionPolicyInput{LogGroupName: aws.String("/none"), RetentionInDays: aws.Int32(1)})
	wantType[*types.ResourceNotFoundException](t, err)
	wantCode(t, err, "ResourceNotFoundException", "The specified log group does not exist.")
	out, _ = e.client.DescribeLogGroups(e.ctx, &sdk.DescribeLogGroupsInput{})
	if aws.ToInt32(out.LogGroups[0].RetentionInDays) != 14 {
		t.Fatalf("retention: %+v", out.LogGroups[0])
	}
	if _, err := e.client.DeleteRetentionPolicy(e.ctx, &sdk.DeleteRetentionPolicyInput{LogGroupName: aws.String("/ecs/web")}); err != nil {
		t.Fatal(err)
	}
	out, _ = e.client.DescribeLogGroups(e.ctx, &sdk.DescribeLogGroupsInput{})
	if out.LogGroups[0].RetentionInDays != nil {
		t.Fatalf("retention after delete: %+v", out.LogGroups[0])
	}

	// Events make files; deleting the group removes them.
	e.stream("/ecs/web", "s")
	e.put("/ecs/web", "s", []int64{e.now()}, "hello")
	dirs, _ := os.ReadDir(e.cfg.Dir)
	if len(dirs) != 1 {
		t.Fatalf("data dir holds %d entries, want the group's directory", len(dirs))
	}
	if _, err := e.client.DeleteLogGroup(e.ctx, &sdk.DeleteLogGroupInput{LogGroupName: aws.String("/ecs/web")}); err != nil {
		t.Fatal(err)
	}
	if dirs, _ := os.ReadDir(e.cfg.Dir); len(dirs) != 0 {
		t.Fatalf("the deleted group's files remain: %v", dirs)
	}
	_, err = e.client.DeleteLogGroup(e.ctx, &sdk.DeleteLogGroupInput{LogGroupName: aws.String("/ecs/web")})
	wantType[*types.ResourceNotFoundException](t, err)
	_, err = e.client.PutLogEvents(e.ctx, &sdk.PutLogEventsInput{LogGroupName: aws.String("/ecs/web"), LogStreamName: aws.String("s"),
		LogEvents: []types.InputLogEvent{{Message: aws.String("x"), Timestamp: aws.Int64(e.now())}}})
	wantCode(t, err, "ResourceNotFoundException", "The specified log group does not exist.")

	// A group made again with the same name starts empty.
	e.group("/ecs/web")
	e.stream("/ecs/web", "s")
	got, err := e.client.GetLogEvents(e.ctx, &sdk.GetLogEventsInput{LogGroupName: aws.String("/ecs/web"), LogStreamName: aws.String("s")})
	if err != nil || len(got.Events) != 0 {
		t.Fatalf("recreated group: %v %+v", err, got)
	}
}

func TestDescribeLogGroupsFilters(t *testing.T) {
	e := newEnv(t)
	names := []string{"/aws/DataLogs", "DataLogs", "GroupDataLogs", "datalogs", "Data/log/s", "Groupdata", "/ecs/a", "/ecs/b"}
	for _, n := range names {
		e.group(n)
	}
	list := func(in *sdk.DescribeLogGroupsInput) []string {
		t.Helper()
		var got []string
		p := sdk.NewDescribeLogGroupsPaginator(e.client, in)
		for p.HasMorePages() {
			out, err := p.NextPage(e.ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, g := range out.LogGroups {
				got = append(got, aws.ToString(g.LogGroupName))
			}
		}
		return got
	}
	sorted := slices.Clone(names)
	slices.Sort(sorted)
	if got := list(&sdk.DescribeLogGroupsInput{Limit: aws.Int32(3)}); !slices.Equal(got, sorted) {
		t.Fatalf("all groups, 3 a page: %v, want %v", got, sorted)
	}
	if got := list(&sdk.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/ecs/")}); !slices.Equal(got, []string{"/ecs/a", "/ecs/b"}) {
		t.Fatalf("prefix: %v", got)
	}
	// The API reference's own example: a case-sensitive substring.
	if got := list(&sdk.DescribeLogGroupsInput{LogGroupNamePattern: aws.String("DataLogs")}); !slices.Equal(got, []string{"/aws/DataLogs", "DataLogs", "GroupDataLogs"}) {
		t.Fatalf("pattern: %v", got)
	}
	out, err := e.client.DescribeLogGroups(e.ctx, &sdk.DescribeLogGroupsInput{LogGroupNamePattern: aws.String("ecs")})
	if err != nil {
		t.Fatal(err)
	}
	if g := out.LogGroups[0]; g.Arn == nil || g.CreationTime == nil || g.LogGroupArn != nil || g.StoredBytes != nil {
		t.Fatalf("with a pattern only arn, creationTime and logGroupName are returned: %+v", g)
	}
	if got := list(&sdk.DescribeLogGroupsInput{LogGroupIdentifiers: []string{"/ecs/b", "arn:aws:logs:us-east-1:000000000000:log-group:DataLogs"}}); !slices.Equal(got, []string{"/ecs/b", "DataLogs"}) {
		t.Fatalf("identifiers: %v", got)
	}

	for _, tc := range []struct {
		in  *sdk.DescribeLogGroupsInput
		msg string
	}{
		{&sdk.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/a"), LogGroupNamePattern: aws.String("a")}, "mutually exclusive"},
		{&sdk.DescribeLogGroupsInput{Limit: aws.Int32(0)}, "Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{&sdk.DescribeLogGroupsInput{Limit: aws.Int32(51)}, "Member must have value less than or equal to 50"},
		{&sdk.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("bad name")}, "Member must satisfy regular expression pattern"},
		{&sdk.DescribeLogGroupsInput{NextToken: aws.String("garbage!")}, "The specified nextToken is invalid."},
		{&sdk.DescribeLogGroupsInput{LogGroupClass: "COLD"}, "enum value set"},
	} {
		_, err := e.client.DescribeLogGroups(e.ctx, tc.in)
		wantType[*types.InvalidParameterException](t, err)
		wantCode(t, err, "InvalidParameterException", tc.msg)
	}
}

func TestLogGroupTags(t *testing.T) {
	e := newEnv(t)
	e.group("g")
	arn := "arn:aws:logs:us-east-1:000000000000:log-group:g"
	if _, err := e.client.TagLogGroup(e.ctx, &sdk.TagLogGroupInput{LogGroupName: aws.String("g"), Tags: map[string]string{"a": "1", "b": "2"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.TagResource(e.ctx, &sdk.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"c": "3", "a": "one"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.UntagLogGroup(e.ctx, &sdk.UntagLogGroupInput{LogGroupName: aws.String("g"), Tags: []string{"b"}}); err != nil {
		t.Fatal(err)
	}
	old, err := e.client.ListTagsLogGroup(e.ctx, &sdk.ListTagsLogGroupInput{LogGroupName: aws.String("g")})
	if err != nil {
		t.Fatal(err)
	}
	cur, err := e.client.ListTagsForResource(e.ctx, &sdk.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	// The model's ARN pattern has no '*': the arn DescribeLogGroups reports is refused.
	_, err = e.client.ListTagsForResource(e.ctx, &sdk.ListTagsForResourceInput{ResourceArn: aws.String(arn + ":*")})
	wantCode(t, err, "InvalidParameterException", `Member must satisfy regular expression pattern: [\w+=/:,.@-]*`)
	want := map[string]string{"a": "one", "c": "3"}
	if !maps.Equal(old.Tags, want) || !maps.Equal(cur.Tags, want) {
		t.Fatalf("tags %v and %v, want %v", old.Tags, cur.Tags, want)
	}
	if _, err := e.client.UntagResource(e.ctx, &sdk.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"a", "c"}}); err != nil {
		t.Fatal(err)
	}
	cur, _ = e.client.ListTagsForResource(e.ctx, &sdk.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if len(cur.Tags) != 0 {
		t.Fatalf("tags after untag: %v", cur.Tags)
	}

	many := map[string]string{}
	for i := range 51 {
		many[fmt.Sprintf("k%d", i)] = "v"
	}
	_, err = e.client.TagResource(e.ctx, &sdk.TagResourceInput{ResourceArn: aws.String(arn), Tags: many})
	wantCode(t, err, "InvalidParameterException", "Member must have length less than or equal to 50")
	delete(many, "k50")
	if _, err := e.client.TagResource(e.ctx, &sdk.TagResourceInput{ResourceArn: aws.String(arn), Tags: many}); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.TagResource(e.ctx, &sdk.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"one-more": "v"}})
	wantType[*types.TooManyTagsException](t, err)
	_, err = e.client.TagLogGroup(e.ctx, &sdk.TagLogGroupInput{LogGroupName: aws.String("g"), Tags: map[string]string{"x": "bad|value"}})
	wantCode(t, err, "InvalidParameterException", "Member must satisfy regular expression pattern")
	_, err = e.client.TagResource(e.ctx, &sdk.TagResourceInput{ResourceArn: aws.String("arn:aws:logs:us-east-1:000000000000:log-group:nope"), Tags: map[string]string{"a": "b"}})
	wantType[*types.ResourceNotFoundException](t, err)
	_, err = e.client.ListTagsForResource(e.ctx, &sdk.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:logs:eu-west-1:000000000000:log-group:g")})
	wantType[*types.ResourceNotFoundException](t, err)
	_, err = e.client.ListTagsForResource(e.ctx, &sdk.ListTagsForResourceInput{ResourceArn: aws.String("not-an-arn")})
	wantCode(t, err, "InvalidParameterException", "Invalid ARN")
}

func TestLogGroupValidation(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		in  *sdk.CreateLogGroupInput
		msg string
	}{
		{&sdk.CreateLogGroupInput{LogGroupName: aws.String("has space")}, `Value 'has space' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\.\-_/#A-Za-z0-9]+`},
		{&sdk.CreateLogGroupInput{LogGroupName: aws.String("")}, "Member must have length greater than or equal to 1"},
		{&sdk.CreateLogGroupInput{LogGroupName: aws.String(strings.Repeat("a", 513))}, "Member must have length less than or equal to 512"},
		{&sdk.CreateLogGroupInput{LogGroupName: aws.String("g"), LogGroupClass: "HOT"}, "Member must satisfy enum value set: [STANDARD, INFREQUENT_ACCESS, DELIVERY]"},
		{&sdk.CreateLogGroupInput{LogGroupName: aws.String("g"), KmsKeyId: aws.String(strings.Repeat("k", 257))}, "at 'kmsKeyId'"},
		{&sdk.CreateLogGroupInput{LogGroupName: aws.String("g"), Tags: map[string]string{"": "v"}}, "Member must have length greater than or equal to 1"},
		{&sdk.CreateLogGroupInput{LogGroupName: aws.String("g"), DeletionProtectionEnabled: aws.Bool(true)}, "not supported"},
	} {
		_, err := e.client.CreateLogGroup(e.ctx, tc.in)
		wantType[*types.InvalidParameterException](t, err)
		wantCode(t, err, "InvalidParameterException", tc.msg)
	}
	out, _ := e.client.DescribeLogGroups(e.ctx, &sdk.DescribeLogGroupsInput{})
	if len(out.LogGroups) != 0 {
		t.Fatalf("a rejected group was created: %+v", out.LogGroups)
	}
}
