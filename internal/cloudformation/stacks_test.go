package cloudformation

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/store"
)

func TestNestedStack(t *testing.T) {
	e := newEnv(t)
	child := `
Parameters:
  Greeting: {Type: String}
Resources:
  Inner:
    Type: Test::Thing
    Properties: {Value: !Ref Greeting}
Outputs:
  InnerArn:
    Value: !GetAtt Inner.Arn
`
	parent := `
Resources:
  Outer: {Type: Test::Thing, Properties: {Value: outer}}
  Child:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: nested/child.yaml
      Parameters:
        Greeting: !Ref Outer
Outputs:
  FromChild:
    Value: !GetAtt Child.Outputs.InnerArn
`
	if err := os.MkdirAll(filepath.Join(e.dir, "nested"), 0o755); err != nil {
		t.Fatal(err)
	}
	childPath := filepath.Join(e.dir, "nested", "child.yaml")
	parentPath := filepath.Join(e.dir, "parent.yaml")
	for path, body := range map[string]string{childPath: child, parentPath: parent} {
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.client.CreateStack(e.ctx, &sdk.CreateStackInput{StackName: aws.String("outer"), TemplateURL: aws.String("file://" + parentPath)}); err != nil {
		t.Fatal(err)
	}
	st := e.wait("outer")
	wantStatus(t, st, stCreateComplete)
	childID := e.resource(st.ID, "Child").PhysicalID
	ch := e.stack(childID)
	wantStatus(t, ch, stCreateComplete)
	if ch.ParentID != st.ID || ch.RootID != st.ID || !strings.HasPrefix(ch.Name, "outer-Child-") {
		t.Fatalf("child %s parent %s root %s", ch.Name, ch.ParentID, ch.RootID)
	}
	inner := e.resource(childID, "Inner")
	if inner.Props["Value"] != e.resource(st.ID, "Outer").PhysicalID {
		t.Fatalf("the child's parameter: %v", inner.Props)
	}
	if st.Outputs[0].Value != "arn:test:"+inner.PhysicalID {
		t.Fatalf("outputs %+v", st.Outputs)
	}
	// Changing only the child's file is an update of the child.
	if err := os.WriteFile(childPath, []byte(strings.Replace(child, "Value: !Ref Greeting", "Value: !Sub \"${Greeting}!\"", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.UpdateStack(e.ctx, &sdk.UpdateStackInput{StackName: aws.String("outer"), TemplateURL: aws.String("file://" + parentPath)}); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, e.wait("outer"), stUpdateComplete)
	wantStatus(t, e.stack(childID), stUpdateComplete)
	if got := e.resource(childID, "Inner").Props["Value"]; !strings.HasSuffix(got.(string), "!") {
		t.Fatalf("child not updated: %v", got)
	}
	// Deleting the parent deletes the child and everything in it.
	wantStatus(t, e.remove("outer"), stDeleteComplete)
	wantStatus(t, e.stack(childID), stDeleteComplete)
	if len(e.p.liveIDs()) != 0 {
		t.Fatalf("live %v", e.p.liveIDs())
	}
}

func TestNestedStackFailureRollsBackParent(t *testing.T) {
	e := newEnv(t)
	if err := os.WriteFile(filepath.Join(e.dir, "child.yaml"), []byte("Resources:\n  Bad: {Type: Test::Thing}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(e.dir, "parent.yaml")
	if err := os.WriteFile(path, []byte("Resources:\n  Child:\n    Type: AWS::CloudFormation::Stack\n    Properties: {TemplateURL: child.yaml}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.p.fail("Create Bad", "bad")
	if _, err := e.client.CreateStack(e.ctx, &sdk.CreateStackInput{StackName: aws.String("p"), TemplateURL: aws.String("file://" + path)}); err != nil {
		t.Fatal(err)
	}
	st := e.wait("p")
	wantStatus(t, st, stRollbackComplete)
	ch := e.resource(st.ID, "Child")
	if !hasEvent(e.events(st.ID), "Child CREATE_FAILED Embedded stack arn:aws:cloudformation:us-east-1:000000000000:stack/p-Child-") {
		t.Fatalf("events %v", e.events(st.ID))
	}
	wantStatus(t, e.stack(ch.PhysicalID), stDeleteComplete)
}

func TestExportsAndImports(t *testing.T) {
	e := newEnv(t)
	exporter := `
Parameters:
  V: {Type: String, Default: one}
Resources:
  R: {Type: Test::Thing, Properties: {Value: !Ref V}}
Outputs:
  Shared:
    Value: !Ref R
    Export: {Name: !Sub "${AWS::StackName}-shared"}
`
	importer := `
Resources:
  U:
    Type: Test::Thing
    Properties:
      Value: !ImportValue exp-shared
`
	exp := e.create("exp", exporter)
	wantStatus(t, exp, stCreateComplete)
	imp := e.create("imp", importer)
	wantStatus(t, imp, stCreateComplete)
	if got := e.resource(imp.ID, "U").Props["Value"]; got != e.resource(exp.ID, "R").PhysicalID {
		t.Fatalf("imported %v", got)
	}
	ex, err := e.client.ListExports(e.ctx, &sdk.ListExportsInput{})
	if err != nil || len(ex.Exports) != 1 || aws.ToString(ex.Exports[0].Name) != "exp-shared" || aws.ToString(ex.Exports[0].ExportingStackId) != exp.ID {
		t.Fatalf("ListExports %v %+v", err, ex)
	}
	im, err := e.client.ListImports(e.ctx, &sdk.ListImportsInput{ExportName: aws.String("exp-shared")})
	if err != nil || !slices.Equal(im.Imports, []string{"imp"}) {
		t.Fatalf("ListImports %v %+v", err, im)
	}
	_, err = e.client.ListImports(e.ctx, &sdk.ListImportsInput{ExportName: aws.String("nobody")})
	wantCode(t, err, "ValidationError", "Export 'nobody' is not imported by any stack.")

	// An export in use can be neither deleted nor changed.
	st := e.remove("exp")
	wantStatus(t, st, stDeleteFailed)
	if st.Reason != "Export exp-shared cannot be deleted as it is in use by imp" {
		t.Fatalf("reason %q", st.Reason)
	}
	// The delete failed before touching anything, so the stack can be updated... but
	// not by changing the export.
	if _, err := e.client.UpdateStack(e.ctx, &sdk.UpdateStackInput{StackName: aws.String("exp"), UsePreviousTemplate: aws.Bool(true)}); err == nil {
		t.Fatal("updating a DELETE_FAILED stack should fail")
	}
	// Another stack may not export the same name.
	dup := e.create("dup", strings.Replace(exporter, `!Sub "${AWS::StackName}-shared"`, "exp-shared", 1))
	wantStatus(t, dup, stRollbackComplete)
	if !hasEvent(e.events(dup.ID), "dup ROLLBACK_IN_PROGRESS Export with name exp-shared is already exported by stack exp") {
		t.Fatalf("events %v", e.events(dup.ID))
	}
	// Importing a missing export fails the resource.
	bad := e.create("bad", strings.Replace(importer, "exp-shared", "missing", 1))
	wantStatus(t, bad, stRollbackComplete)
	if !hasEvent(e.events(bad.ID), "U CREATE_FAILED") || !strings.Contains(strings.Join(e.events(bad.ID), "\n"), "No export named missing found") {
		t.Fatalf("events %v", e.events(bad.ID))
	}
	// Once the importer is gone, the exporter goes.
	wantStatus(t, e.remove("imp"), stDeleteComplete)
	wantStatus(t, e.remove(exp.ID), stDeleteComplete)
	ex, _ = e.client.ListExports(e.ctx, &sdk.ListExportsInput{})
	if len(ex.Exports) != 0 {
		t.Fatalf("exports left: %+v", ex.Exports)
	}
}

func TestExportChangeBlockedWhileImported(t *testing.T) {
	e := newEnv(t)
	exporter := "Parameters:\n  V: {Type: String}\nResources:\n  R: {Type: Test::Thing}\nOutputs:\n  O:\n    Value: !Ref V\n    Export: {Name: shared}\n"
	wantStatus(t, e.create("x", exporter, "V", "1"), stCreateComplete)
	wantStatus(t, e.create("y", "Resources:\n  U: {Type: Test::Thing, Properties: {Value: !ImportValue shared}}\n"), stCreateComplete)
	st := e.update("x", exporter, "V", "2")
	wantStatus(t, st, stUpdateRollbackComplete)
	if !hasEvent(e.events(st.ID), "x UPDATE_ROLLBACK_IN_PROGRESS Cannot update export shared as it is in use by y") {
		t.Fatalf("events %v", e.events(st.ID))
	}
	if st.Outputs[0].Value != "1" || st.Params[0].Value != "1" {
		t.Fatalf("outputs %+v params %+v", st.Outputs, st.Params)
	}
}

func TestRestartFailsInterruptedStacks(t *testing.T) {
	e := newEnv(t)
	started, release := e.p.hold("Create A")
	defer release()
	if _, err := e.client.CreateStack(e.ctx, &sdk.CreateStackInput{StackName: aws.String("crash"), TemplateBody: aws.String(diamond)}); err != nil {
		t.Fatal(err)
	}
	<-started
	// A crash: the service stops mid-operation, writing nothing more.
	e.s.Close()
	st := e.stack("crash")
	wantStatus(t, st, stCreateInProgress)
	if r := e.resource(st.ID, "A"); r.Status != stCreateInProgress {
		t.Fatalf("A is %s", r.Status)
	}
	// The next start fails it cleanly; the stack can then be deleted.
	e.s = e.open()
	if err := e.s.Recover(context.Background()); err != nil {
		t.Fatal(err)
	}
	st = e.stack("crash")
	wantStatus(t, st, stCreateFailed)
	if st.Reason != interruptedReason {
		t.Fatalf("reason %q", st.Reason)
	}
	if r := e.resource(st.ID, "A"); r.Status != stCreateFailed || r.Reason != interruptedReason {
		t.Fatalf("A is %s (%s)", r.Status, r.Reason)
	}
	if !slices.Contains(e.events(st.ID), "crash CREATE_FAILED "+interruptedReason) {
		t.Fatalf("events %v", e.events(st.ID))
	}
	srv := e.s
	if _, err := srv.DeleteStack(e.ctx, &DeleteStackInput{StackName: aws.String("crash")}); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, e.wait(st.ID), stDeleteComplete)
}

func TestRestartResumesCleanup(t *testing.T) {
	e := newEnv(t)
	st := e.create("clean", chain)
	wantStatus(t, st, stCreateComplete)
	started, release := e.p.hold("Delete Base")
	defer release()
	if _, err := e.client.UpdateStack(e.ctx, &sdk.UpdateStackInput{StackName: aws.String("clean"), UsePreviousTemplate: aws.Bool(true),
		Parameters: []sdkParam{sdkParameter("N", "other")}}); err != nil {
		t.Fatal(err)
	}
	<-started
	e.s.Close()
	wantStatus(t, e.stack("clean"), stUpdateCompleteCleanupInProgress)
	if !slices.Contains(e.p.liveIDs(), "first") {
		t.Fatal("the old Base is gone before the cleanup")
	}
	e.s = e.open()
	if err := e.s.Recover(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, e.wait("clean"), stUpdateComplete)
	if live := e.p.liveIDs(); slices.Contains(live, "first") || !slices.Contains(live, "other") {
		t.Fatalf("live %v", live)
	}
}

func TestCapabilitiesAndTypes(t *testing.T) {
	e := newEnv(t)
	role := "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument: {}\n"
	_, err := e.client.CreateStack(e.ctx, &sdk.CreateStackInput{StackName: aws.String("iam"), TemplateBody: aws.String(role)})
	wantCode(t, err, "InsufficientCapabilitiesException", "Requires capabilities : [CAPABILITY_IAM]")
	named := role + "      RoleName: fixed\n"
	_, err = e.client.CreateStack(e.ctx, &sdk.CreateStackInput{StackName: aws.String("iam"), TemplateBody: aws.String(named), Capabilities: []cftypes.Capability{"CAPABILITY_IAM"}})
	wantCode(t, err, "InsufficientCapabilitiesException", "Requires capabilities : [CAPABILITY_NAMED_IAM]")
	var ice *cftypes.InsufficientCapabilitiesException
	if !errors.As(err, &ice) {
		t.Fatalf("error %T is not the SDK's InsufficientCapabilitiesException", err)
	}
	_, err = e.client.CreateStack(e.ctx, &sdk.CreateStackInput{StackName: aws.String("unk"), TemplateBody: aws.String("Resources:\n  X: {Type: 'AWS::Foo::Bar'}\n  Y: {Type: 'AWS::Baz::Qux'}\n")})
	wantCode(t, err, "ValidationError", "Template format error: Unrecognized resource types: [AWS::Foo::Bar, AWS::Baz::Qux]")
	_, err = e.client.ValidateTemplate(e.ctx, &sdk.ValidateTemplateInput{TemplateBody: aws.String("Resources:\n  X: {Type: 'AWS::Foo::Bar'}\n")})
	wantCode(t, err, "ValidationError", "Unrecognized resource types: [AWS::Foo::Bar]")
	_, err = e.client.CreateStack(e.ctx, &sdk.CreateStackInput{StackName: aws.String("bad name"), TemplateBody: aws.String(diamond)})
	wantCode(t, err, "ValidationError", "failed to satisfy constraint")
	_, err = e.client.CreateStack(e.ctx, &sdk.CreateStackInput{StackName: aws.String("x"), TemplateBody: aws.String("Resources: [")})
	wantCode(t, err, "ValidationError", "")
	_, err = e.client.CreateStack(e.ctx, &sdk.CreateStackInput{StackName: aws.String("x"), TemplateBody: aws.String(strings.Repeat(" ", 51201))})
	wantCode(t, err, "ValidationError", "51200")
	_, err = e.client.CreateStack(e.ctx, &sdk.CreateStackInput{StackName: aws.String("x"), TemplateURL: aws.String("https://s3.amazonaws.com/b/t.yaml")})
	wantCode(t, err, "ValidationError", "file://")
	_, err = e.client.CreateStack(e.ctx, &sdk.CreateStackInput{StackName: aws.String("x"), TemplateBody: aws.String(diamond), Parameters: []sdkParam{sdkParameter("Nope", "1")}})
	wantCode(t, err, "ValidationError", "Nope")
	_, err = e.client.CreateStack(e.ctx, &sdk.CreateStackInput{StackName: aws.String("x"), TemplateBody: aws.String("Parameters:\n  P: {Type: String}\nResources:\n  A: {Type: Test::Thing}\n")})
	wantCode(t, err, "ValidationError", "Parameters: [P] must have values")
}

func TestDescribeStacks(t *testing.T) {
	e := newEnv(t)
	body := `
Description: a test stack
Parameters:
  Secret: {Type: String, NoEcho: true}
  Image: {Type: 'AWS::SSM::Parameter::Value<String>', Default: /app/image}
  Plain: {Type: String, Default: p}
Resources:
  A: {Type: Test::Thing, Properties: {Value: !Ref Image}}
Outputs:
  Out: {Value: !Ref Plain, Description: the plain one}
`
	_, err := e.client.CreateStack(e.ctx, &sdk.CreateStackInput{StackName: aws.String("desc"), TemplateBody: aws.String(body),
		Parameters: []sdkParam{sdkParameter("Secret", "hunter2")}, Tags: []cftypes.Tag{{Key: aws.String("team"), Value: aws.String("core")}},
		TimeoutInMinutes: aws.Int32(30)})
	if err != nil {
		t.Fatal(err)
	}
	e.wait("desc")
	out, err := e.client.DescribeStacks(e.ctx, &sdk.DescribeStacksInput{StackName: aws.String("desc")})
	if err != nil {
		t.Fatal(err)
	}
	s := out.Stacks[0]
	if s.StackStatus != "CREATE_COMPLETE" || aws.ToString(s.Description) != "a test stack" || aws.ToInt32(s.TimeoutInMinutes) != 30 ||
		!strings.HasPrefix(aws.ToString(s.StackId), "arn:aws:cloudformation:us-east-1:000000000000:stack/desc/") || s.CreationTime == nil {
		t.Fatalf("stack %+v", s)
	}
	params := map[string]cftypes.Parameter{}
	for _, p := range s.Parameters {
		params[aws.ToString(p.ParameterKey)] = p
	}
	if aws.ToString(params["Secret"].ParameterValue) != "****" || aws.ToString(params["Plain"].ParameterValue) != "p" ||
		aws.ToString(params["Image"].ParameterValue) != "/app/image" || aws.ToString(params["Image"].ResolvedValue) != "nginx:1.27" {
		t.Fatalf("parameters %+v", params)
	}
	if e.resource(aws.ToString(s.StackId), "A").Props["Value"] != "nginx:1.27" {
		t.Fatal("the SSM parameter was not resolved")
	}
	if len(s.Outputs) != 1 || aws.ToString(s.Outputs[0].OutputValue) != "p" || aws.ToString(s.Outputs[0].Description) != "the plain one" {
		t.Fatalf("outputs %+v", s.Outputs)
	}
	if len(s.Tags) != 1 || aws.ToString(s.Tags[0].Key) != "team" {
		t.Fatalf("tags %+v", s.Tags)
	}
	if strings.Contains(fmt.Sprint(e.events(aws.ToString(s.StackId))), "hunter2") {
		t.Fatal("a NoEcho value leaked into the events")
	}
	// Every stack, paginated.
	for i := 0; i < 3; i++ {
		e.create(fmt.Sprintf("many%d", i), diamond)
	}
	all, err := e.client.DescribeStacks(e.ctx, &sdk.DescribeStacksInput{})
	if err != nil || len(all.Stacks) != 4 {
		t.Fatalf("DescribeStacks: %v %d", err, len(all.Stacks))
	}
	summaries, err := e.client.ListStacks(e.ctx, &sdk.ListStacksInput{StackStatusFilter: []cftypes.StackStatus{"CREATE_COMPLETE"}})
	if err != nil || len(summaries.StackSummaries) != 4 {
		t.Fatalf("ListStacks: %v %+v", err, summaries)
	}
	e.remove("many0")
	summaries, _ = e.client.ListStacks(e.ctx, &sdk.ListStacksInput{StackStatusFilter: []cftypes.StackStatus{"DELETE_COMPLETE"}})
	if len(summaries.StackSummaries) != 1 || aws.ToString(summaries.StackSummaries[0].StackName) != "many0" || summaries.StackSummaries[0].DeletionTime == nil {
		t.Fatalf("ListStacks deleted: %+v", summaries)
	}
	_, err = e.client.ListStacks(e.ctx, &sdk.ListStacksInput{StackStatusFilter: []cftypes.StackStatus{"BOGUS"}})
	wantCode(t, err, "ValidationError", "stackStatusFilter")
}

func TestDescribeStackEventsNewestFirstPaginated(t *testing.T) {
	e := newEnv(t)
	var b strings.Builder
	b.WriteString("Resources:\n")
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&b, "  R%02d: {Type: Test::Thing}\n", i)
	}
	st := e.create("events", b.String())
	p := sdk.NewDescribeStackEventsPaginator(e.client, &sdk.DescribeStackEventsInput{StackName: aws.String("events")})
	var all []cftypes.StackEvent
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		all = append(all, out.StackEvents...)
	}
	if pages != 2 || len(all) != 2+40*3 {
		t.Fatalf("%d pages, %d events", pages, len(all))
	}
	first, last := all[0], all[len(all)-1]
	if aws.ToString(first.LogicalResourceId) != "events" || first.ResourceStatus != "CREATE_COMPLETE" ||
		aws.ToString(last.ResourceStatusReason) != "User Initiated" || aws.ToString(last.PhysicalResourceId) != st.ID ||
		aws.ToString(last.ResourceType) != "AWS::CloudFormation::Stack" {
		t.Fatalf("first %+v last %+v", first, last)
	}
	seen := map[string]bool{}
	for _, ev := range all {
		if seen[aws.ToString(ev.EventId)] {
			t.Fatalf("event id %s twice", aws.ToString(ev.EventId))
		}
		seen[aws.ToString(ev.EventId)] = true
	}
	res, err := e.client.DescribeStackResources(e.ctx, &sdk.DescribeStackResourcesInput{StackName: aws.String("events"), LogicalResourceId: aws.String("R07")})
	if err != nil || len(res.StackResources) != 1 || res.StackResources[0].ResourceStatus != "CREATE_COMPLETE" {
		t.Fatalf("DescribeStackResources %v %+v", err, res)
	}
	phys := aws.ToString(res.StackResources[0].PhysicalResourceId)
	res, err = e.client.DescribeStackResources(e.ctx, &sdk.DescribeStackResourcesInput{PhysicalResourceId: aws.String(phys)})
	if err != nil || len(res.StackResources) != 40 {
		t.Fatalf("by physical id %v %d", err, len(res.StackResources))
	}
	one, err := e.client.DescribeStackResource(e.ctx, &sdk.DescribeStackResourceInput{StackName: aws.String("events"), LogicalResourceId: aws.String("R07")})
	if err != nil || aws.ToString(one.StackResourceDetail.PhysicalResourceId) != phys {
		t.Fatalf("DescribeStackResource %v %+v", err, one)
	}
	_, err = e.client.DescribeStackResource(e.ctx, &sdk.DescribeStackResourceInput{StackName: aws.String("events"), LogicalResourceId: aws.String("Nope")})
	wantCode(t, err, "ValidationError", "Resource Nope does not exist for stack events")
	list := sdk.NewListStackResourcesPaginator(e.client, &sdk.ListStackResourcesInput{StackName: aws.String("events")})
	n := 0
	for list.HasMorePages() {
		out, err := list.NextPage(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(out.StackResourceSummaries)
	}
	if n != 40 {
		t.Fatalf("ListStackResources: %d", n)
	}
}

func TestTemplateQueries(t *testing.T) {
	e := newEnv(t)
	body := "Description: d\nParameters:\n  P: {Type: String, Default: x, AllowedValues: [x, z], Description: pee}\n  S: {Type: String, NoEcho: true}\nResources:\n  A: {Type: Test::Thing}\n  R:\n    Type: AWS::IAM::Role\n    Properties: {AssumeRolePolicyDocument: {}}\n"
	v, err := e.client.ValidateTemplate(e.ctx, &sdk.ValidateTemplateInput{TemplateBody: aws.String(body)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(v.Description) != "d" || len(v.Parameters) != 2 || aws.ToString(v.Parameters[0].DefaultValue) != "x" ||
		!aws.ToBool(v.Parameters[1].NoEcho) || len(v.Capabilities) != 1 || v.Capabilities[0] != "CAPABILITY_IAM" {
		t.Fatalf("ValidateTemplate %+v", v)
	}
	path := filepath.Join(e.dir, "t.yaml")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	sum, err := e.client.GetTemplateSummary(e.ctx, &sdk.GetTemplateSummaryInput{TemplateURL: aws.String("file://" + path)})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sum.ResourceTypes, []string{"AWS::IAM::Role", "Test::Thing"}) || aws.ToString(sum.Parameters[0].ParameterType) != "String" ||
		!slices.Equal(sum.Parameters[0].ParameterConstraints.AllowedValues, []string{"x", "z"}) {
		t.Fatalf("GetTemplateSummary %+v", sum)
	}
	_, err = e.client.ValidateTemplate(e.ctx, &sdk.ValidateTemplateInput{TemplateURL: aws.String("file://" + filepath.Join(e.dir, "missing.yaml"))})
	wantCode(t, err, "ValidationError", "missing.yaml")

	e.create("tq", body, "S", "s")
	got, err := e.client.GetTemplate(e.ctx, &sdk.GetTemplateInput{StackName: aws.String("tq")})
	if err != nil || aws.ToString(got.TemplateBody) != body || len(got.StagesAvailable) != 2 {
		t.Fatalf("GetTemplate %v %+v", err, got)
	}
	got, err = e.client.GetTemplate(e.ctx, &sdk.GetTemplateInput{StackName: aws.String("tq"), TemplateStage: "Processed"})
	if err != nil || aws.ToString(got.TemplateBody) != body {
		t.Fatalf("GetTemplate Processed %v", err)
	}
	sum, err = e.client.GetTemplateSummary(e.ctx, &sdk.GetTemplateSummaryInput{StackName: aws.String("tq")})
	if err != nil || len(sum.Parameters) != 2 {
		t.Fatalf("GetTemplateSummary of a stack %v %+v", err, sum)
	}
}

func TestClientRequestTokens(t *testing.T) {
	e := newEnv(t)
	in := &sdk.CreateStackInput{StackName: aws.String("tok"), TemplateBody: aws.String(diamond), ClientRequestToken: aws.String("t-1")}
	a, err := e.client.CreateStack(e.ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.client.CreateStack(e.ctx, in)
	if err != nil || aws.ToString(b.StackId) != aws.ToString(a.StackId) {
		t.Fatalf("a retried CreateStack: %v %v", err, b)
	}
	e.wait("tok")
	for _, ev := range e.events(aws.ToString(a.StackId)) {
		_ = ev
	}
	out, _ := e.client.DescribeStackEvents(e.ctx, &sdk.DescribeStackEventsInput{StackName: aws.String("tok")})
	if aws.ToString(out.StackEvents[0].ClientRequestToken) != "t-1" {
		t.Fatalf("events carry token %q", aws.ToString(out.StackEvents[0].ClientRequestToken))
	}
	_, err = e.client.UpdateStack(e.ctx, &sdk.UpdateStackInput{StackName: aws.String("tok"), TemplateBody: aws.String(chain), ClientRequestToken: aws.String("t-1")})
	wantCode(t, err, "TokenAlreadyExistsException", "t-1")
}

func TestStoreRecordsSurviveReopen(t *testing.T) {
	e := newEnv(t)
	st := e.create("durable", diamond)
	e.s.Close()
	if err := e.db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(e.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	e.db = db
	e.s = e.open()
	got := e.stack("durable")
	if got == nil || got.ID != st.ID || got.Status != stCreateComplete || len(e.events(st.ID)) != len(e.events(st.ID)) || len(e.events(st.ID)) < 5 {
		t.Fatalf("after reopen: %+v", got)
	}
}

func TestSecretsStayOutOfEvents(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.SSMSecure = func(name string) (string, error) { return "s3cr3t-from-ssm", nil }
	})
	body := "Parameters:\n  Pw: {Type: String, NoEcho: true}\nResources:\n  A: {Type: Test::Thing, Properties: {Value: !Sub 'user:${Pw}'}}\n  B: {Type: Test::Thing, Properties: {Value: '{{resolve:ssm-secure:/db/pw}}'}}\n"
	st := e.create("secret", body, "Pw", "hunter2")
	wantStatus(t, st, stCreateComplete)
	if e.resource(st.ID, "B").Props["Value"] != "s3cr3t-from-ssm" {
		t.Fatal("the secure reference was not resolved")
	}
	out, err := e.client.DescribeStackEvents(e.ctx, &sdk.DescribeStackEventsInput{StackName: aws.String("secret")})
	if err != nil {
		t.Fatal(err)
	}
	masked := false
	for _, ev := range out.StackEvents {
		props := aws.ToString(ev.ResourceProperties)
		if strings.Contains(props, "hunter2") || strings.Contains(props, "s3cr3t") {
			t.Fatalf("event %s %s shows a secret: %s", aws.ToString(ev.LogicalResourceId), ev.ResourceStatus, props)
		}
		masked = masked || strings.Contains(props, "user:****")
	}
	if !masked {
		t.Fatal("no event shows A's masked properties")
	}
}

func TestTemplateFilesForOtherPrincipals(t *testing.T) {
	e := newEnv(t)
	allowed := filepath.Join(e.dir, "templates")
	if err := os.MkdirAll(allowed, 0o755); err != nil {
		t.Fatal(err)
	}
	inside, outside := filepath.Join(allowed, "ok.yaml"), filepath.Join(e.dir, "secret.yaml")
	for _, p := range []string{inside, outside} {
		if err := os.WriteFile(p, []byte(diamond), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	e.s.templateDirs = []string{allowed}
	user := awsapi.WithPrincipal(context.Background(), awsapi.Principal{AccountID: "000000000000", ARN: "arn:aws:iam::000000000000:user/dev"})
	if _, err := e.s.ValidateTemplate(user, &ValidateTemplateInput{TemplateURL: aws.String("file://" + inside)}); err != nil {
		t.Fatal(err)
	}
	_, err := e.s.ValidateTemplate(user, &ValidateTemplateInput{TemplateURL: aws.String("file://" + outside)})
	wantCode(t, err, "ValidationError", "outside the directories")
	_, err = e.s.ValidateTemplate(user, &ValidateTemplateInput{TemplateURL: aws.String("file://" + allowed + "/../secret.yaml")})
	wantCode(t, err, "ValidationError", "outside the directories")
	root := awsapi.WithPrincipal(context.Background(), awsapi.Principal{AccountID: "000000000000", Root: true})
	if _, err := e.s.ValidateTemplate(root, &ValidateTemplateInput{TemplateURL: aws.String("file://" + outside)}); err != nil {
		t.Fatal(err)
	}
	// A stack a non-root user made from a body may not nest a file outside.
	out, err := e.s.CreateStack(user, &CreateStackInput{StackName: aws.String("nest"),
		TemplateBody: aws.String("Resources:\n  C:\n    Type: AWS::CloudFormation::Stack\n    Properties: {TemplateURL: 'file://" + outside + "'}\n")})
	if err != nil {
		t.Fatal(err)
	}
	st := e.wait(*out.StackId)
	wantStatus(t, st, stRollbackComplete)
	if !strings.Contains(strings.Join(e.events(st.ID), "\n"), "outside the directories") {
		t.Fatalf("events %v", e.events(st.ID))
	}
}

func TestTemplateURLMustBeARegularFile(t *testing.T) {
	e := newEnv(t)
	_, err := e.client.ValidateTemplate(e.ctx, &sdk.ValidateTemplateInput{TemplateURL: aws.String("file://" + e.dir)})
	wantCode(t, err, "ValidationError", "not a regular file")
}

func TestDeletedStacksArePurgedAfter90Days(t *testing.T) {
	e := newEnv(t)
	st := e.create("old", diamond)
	e.remove("old")
	e.clock.Advance(89 * 24 * time.Hour)
	e.s.purgeDeleted()
	if e.stack(st.ID) == nil {
		t.Fatal("purged too early")
	}
	e.clock.Advance(2 * 24 * time.Hour)
	e.s.purgeDeleted()
	if e.stack(st.ID) != nil || len(e.events(st.ID)) != 0 || e.resource(st.ID, "A") != nil {
		t.Fatal("a stack deleted 91 days ago is still there")
	}
}

func TestAuthorizationResources(t *testing.T) {
	e := newEnv(t)
	st := e.create("authz", diamond)
	ops := e.s.API().Operations
	cases := []struct {
		op   string
		in   any
		want []string
	}{
		{"DescribeStacks", &DescribeStacksInput{StackName: aws.String("authz")}, []string{st.ID}},
		{"CreateStack", &CreateStackInput{StackName: aws.String("new")}, []string{"arn:aws:cloudformation:us-east-1:000000000000:stack/new/*"}},
		{"DeleteStack", &DeleteStackInput{StackName: aws.String(st.ID)}, []string{st.ID}},
		{"DescribeStacks", &DescribeStacksInput{}, nil},
		{"CreateChangeSet", &CreateChangeSetInput{StackName: aws.String("authz"), ChangeSetName: aws.String("c")}, []string{st.ID}},
	}
	for _, c := range cases {
		got := ops[c.op].Resources(context.Background(), c.in)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: resources %v, want %v", c.op, got, c.want)
		}
	}
	for _, name := range []string{"ValidateTemplate", "ListStacks", "ListExports", "ListImports"} {
		if ops[name].Resources != nil {
			t.Errorf("%s should be authorized on *", name)
		}
	}
	if len(ops) != 22 {
		t.Errorf("%d operations", len(ops))
	}
}
