package cloudformation

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
)

func TestChangeSetLifecycle(t *testing.T) {
	e := newEnv(t)
	cs, err := e.client.CreateChangeSet(e.ctx, &sdk.CreateChangeSetInput{StackName: aws.String("cs"), ChangeSetName: aws.String("first"),
		ChangeSetType: "CREATE", TemplateBody: aws.String(chain)})
	if err != nil {
		t.Fatal(err)
	}
	st := e.stack("cs")
	wantStatus(t, st, stReviewInProgress)
	if aws.ToString(cs.StackId) != st.ID || !strings.HasPrefix(aws.ToString(cs.Id), "arn:aws:cloudformation:us-east-1:000000000000:changeSet/first/") {
		t.Fatalf("CreateChangeSet %+v", cs)
	}
	// The SDK's waiter sees it done at once.
	w := sdk.NewChangeSetCreateCompleteWaiter(e.client)
	desc, err := w.WaitForOutput(e.ctx, &sdk.DescribeChangeSetInput{ChangeSetName: cs.Id}, 10e9)
	if err != nil {
		t.Fatal(err)
	}
	if desc.Status != "CREATE_COMPLETE" || desc.ExecutionStatus != "AVAILABLE" || len(desc.Changes) != 3 {
		t.Fatalf("DescribeChangeSet %+v", desc)
	}
	for _, c := range desc.Changes {
		if c.Type != "Resource" || c.ResourceChange.Action != "Add" {
			t.Fatalf("change %+v", c.ResourceChange)
		}
	}
	// A stack in review cannot be updated or re-created; it shows in ListStacks.
	_, err = e.client.CreateStack(e.ctx, &sdk.CreateStackInput{StackName: aws.String("cs"), TemplateBody: aws.String(chain)})
	wantCode(t, err, "AlreadyExistsException", "already exists")
	if _, err := e.client.ExecuteChangeSet(e.ctx, &sdk.ExecuteChangeSetInput{ChangeSetName: aws.String("first"), StackName: aws.String("cs")}); err != nil {
		t.Fatal(err)
	}
	st = e.wait("cs")
	wantStatus(t, st, stCreateComplete)
	if st.ChangeSetID != aws.ToString(cs.Id) {
		t.Fatalf("the stack's ChangeSetId %q", st.ChangeSetID)
	}
	desc, _ = e.client.DescribeChangeSet(e.ctx, &sdk.DescribeChangeSetInput{ChangeSetName: cs.Id})
	if desc.ExecutionStatus != "EXECUTE_COMPLETE" {
		t.Fatalf("execution status %s", desc.ExecutionStatus)
	}
	_, err = e.client.ExecuteChangeSet(e.ctx, &sdk.ExecuteChangeSetInput{ChangeSetName: cs.Id})
	wantCode(t, err, "InvalidChangeSetStatus", "cannot be executed")

	// An update: N replaces Base (create-only Name), which makes Mid's Value dynamic.
	mod, err := e.client.CreateChangeSet(e.ctx, &sdk.CreateChangeSetInput{StackName: aws.String("cs"), ChangeSetName: aws.String("second"),
		UsePreviousTemplate: aws.Bool(true), Parameters: []sdkParam{sdkParameter("N", "renamed"), {ParameterKey: aws.String("V"), UsePreviousValue: aws.Bool(true)}}})
	if err != nil {
		t.Fatal(err)
	}
	desc, err = e.client.DescribeChangeSet(e.ctx, &sdk.DescribeChangeSetInput{ChangeSetName: aws.String("second"), StackName: aws.String("cs")})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*cftypes.ResourceChange{}
	for _, c := range desc.Changes {
		byID[aws.ToString(c.ResourceChange.LogicalResourceId)] = c.ResourceChange
	}
	base, mid := byID["Base"], byID["Mid"]
	if base == nil || base.Action != "Modify" || base.Replacement != "True" || aws.ToString(base.PhysicalResourceId) != "first" ||
		len(base.Details) != 1 || aws.ToString(base.Details[0].Target.Name) != "Name" || base.Details[0].Target.RequiresRecreation != "Always" ||
		base.Details[0].Evaluation != "Static" || base.Scope[0] != "Properties" {
		t.Fatalf("Base change %+v", base)
	}
	if mid == nil || mid.Replacement != "False" || mid.Details[0].Evaluation != "Dynamic" {
		t.Fatalf("Mid change %+v", mid)
	}
	if byID["Top"] != nil && byID["Top"].Details[0].Evaluation != "Dynamic" {
		t.Fatalf("Top change %+v", byID["Top"])
	}
	// A change set with nothing to change fails, with AWS's reason.
	none, err := e.client.CreateChangeSet(e.ctx, &sdk.CreateChangeSetInput{StackName: aws.String("cs"), ChangeSetName: aws.String("none"),
		UsePreviousTemplate: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	desc, _ = e.client.DescribeChangeSet(e.ctx, &sdk.DescribeChangeSetInput{ChangeSetName: none.Id})
	if desc.Status != "FAILED" || aws.ToString(desc.StatusReason) != noChangesReason || desc.ExecutionStatus != "UNAVAILABLE" {
		t.Fatalf("empty change set %+v", desc)
	}
	_, err = sdk.NewChangeSetCreateCompleteWaiter(e.client).WaitForOutput(e.ctx, &sdk.DescribeChangeSetInput{ChangeSetName: none.Id}, 10e9)
	if err == nil {
		t.Fatal("the waiter should fail on a FAILED change set")
	}
	list, err := e.client.ListChangeSets(e.ctx, &sdk.ListChangeSetsInput{StackName: aws.String("cs")})
	if err != nil || len(list.Summaries) != 3 {
		t.Fatalf("ListChangeSets %v %+v", err, list)
	}
	// Executing one deletes the others.
	if _, err := e.client.ExecuteChangeSet(e.ctx, &sdk.ExecuteChangeSetInput{ChangeSetName: mod.Id}); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, e.wait("cs"), stUpdateComplete)
	if got := e.resource(st.ID, "Base").PhysicalID; got != "renamed" {
		t.Fatalf("Base %s", got)
	}
	list, err = e.client.ListChangeSets(e.ctx, &sdk.ListChangeSetsInput{StackName: aws.String("cs")})
	if err != nil || len(list.Summaries) != 1 || list.Summaries[0].ExecutionStatus != "EXECUTE_COMPLETE" {
		t.Fatalf("ListChangeSets after execution %v %+v", err, list)
	}
	if _, err := e.client.DeleteChangeSet(e.ctx, &sdk.DeleteChangeSetInput{ChangeSetName: mod.Id}); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.DescribeChangeSet(e.ctx, &sdk.DescribeChangeSetInput{ChangeSetName: none.Id})
	wantCode(t, err, "ChangeSetNotFound", "does not exist")
	var nf *cftypes.ChangeSetNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("error %T is not ChangeSetNotFoundException", err)
	}
	// Type errors.
	_, err = e.client.CreateChangeSet(e.ctx, &sdk.CreateChangeSetInput{StackName: aws.String("cs"), ChangeSetName: aws.String("again"),
		ChangeSetType: "CREATE", TemplateBody: aws.String(chain)})
	wantCode(t, err, "ValidationError", "already exists and cannot be created again")
	_, err = e.client.CreateChangeSet(e.ctx, &sdk.CreateChangeSetInput{StackName: aws.String("nostack"), ChangeSetName: aws.String("u"),
		TemplateBody: aws.String(chain)})
	wantCode(t, err, "ValidationError", "Stack [nostack] does not exist")
}

func TestChangeSetRemoveAndConditional(t *testing.T) {
	e := newEnv(t)
	v1 := "Resources:\n  Keep: {Type: Test::Thing}\n  Drop: {Type: Test::Thing, DeletionPolicy: Retain}\n  C:\n    Type: Test::Conditional\n    Properties: {Size: !Ref AWS::NoValue}\n"
	st := e.create("rm", v1)
	wantStatus(t, st, stCreateComplete)
	v2 := "Resources:\n  Keep: {Type: Test::Thing, Properties: {Tags: [{Key: a, Value: b}]}}\n  C:\n    Type: Test::Conditional\n    Properties: {Size: 4}\n"
	cs, err := e.client.CreateChangeSet(e.ctx, &sdk.CreateChangeSetInput{StackName: aws.String("rm"), ChangeSetName: aws.String("rm"), TemplateBody: aws.String(v2)})
	if err != nil {
		t.Fatal(err)
	}
	desc, err := e.client.DescribeChangeSet(e.ctx, &sdk.DescribeChangeSetInput{ChangeSetName: cs.Id})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*cftypes.ResourceChange{}
	for _, c := range desc.Changes {
		got[aws.ToString(c.ResourceChange.LogicalResourceId)] = c.ResourceChange
	}
	if got["Drop"] == nil || got["Drop"].Action != "Remove" {
		t.Fatalf("Drop %+v", got["Drop"])
	}
	if k := got["Keep"]; k == nil || k.Scope[0] != "Tags" || k.Details[0].Target.Attribute != "Tags" {
		t.Fatalf("Keep %+v", k)
	}
	if c := got["C"]; c == nil || c.Details[0].Target.RequiresRecreation != "Conditionally" {
		t.Fatalf("C %+v", c)
	}
	if _, err := e.client.ExecuteChangeSet(e.ctx, &sdk.ExecuteChangeSetInput{ChangeSetName: cs.Id}); err != nil {
		t.Fatal(err)
	}
	st = e.wait("rm")
	wantStatus(t, st, stUpdateComplete)
	if e.resource(st.ID, "Drop") != nil {
		t.Fatal("Drop's record survived")
	}
	if len(e.p.liveIDs()) != 3 {
		t.Fatalf("Retain should keep Drop's resource: %v", e.p.liveIDs())
	}
}

func TestDeploy(t *testing.T) {
	e := newEnv(t)
	path := filepath.Join(e.dir, "stack.yaml")
	if err := os.WriteFile(path, []byte(chain+"Outputs:\n  TopArn: {Value: !GetAtt Top.Arn}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var seen []string
	outputs, err := e.s.Deploy(e.ctx, "app", path, map[string]string{"V": "dep"}, func(ev StackEvent) {
		seen = append(seen, aws.ToString(ev.LogicalResourceId)+" "+aws.ToString(ev.ResourceStatus))
	})
	if err != nil {
		t.Fatal(err)
	}
	st := e.stack("app")
	wantStatus(t, st, stCreateComplete)
	if outputs["TopArn"] != "arn:test:"+e.resource(st.ID, "Top").PhysicalID {
		t.Fatalf("outputs %v", outputs)
	}
	if len(seen) != len(e.events(st.ID))-1 || seen[len(seen)-1] != "app CREATE_COMPLETE" || seen[0] != "app CREATE_IN_PROGRESS" {
		t.Fatalf("progress %v\nevents %v", seen, e.events(st.ID))
	}
	// Again, unchanged: nothing happens, the outputs come back.
	seen = nil
	e.p.resetCalls()
	outputs, err = e.s.Deploy(e.ctx, "app", path, nil, func(ev StackEvent) { seen = append(seen, "x") })
	if err != nil || outputs["TopArn"] == "" || len(seen) != 0 || len(e.p.callLog()) != 0 {
		t.Fatalf("no-op deploy: %v %v %v %v", err, outputs, seen, e.p.callLog())
	}
	if got := e.stack("app").Params[0].Value; got != "dep" {
		t.Fatalf("V is %q: a deploy without parameters must keep the previous value", got)
	}
	// A change: an update.
	outputs, err = e.s.Deploy(e.ctx, "app", path, map[string]string{"V": "dep2"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, e.stack("app"), stUpdateComplete)
	// A failure: the error says how it ended and what failed first.
	e.p.failOnce("Update Mid", "mid is down")
	_, err = e.s.Deploy(e.ctx, "app", path, map[string]string{"V": "dep3"}, nil)
	if err == nil || !strings.Contains(err.Error(), "UPDATE_ROLLBACK_COMPLETE") || !strings.Contains(err.Error(), "Mid: mid is down") {
		t.Fatalf("failed deploy: %v", err)
	}
	e.p.heal("Update Mid")
	// A failed first create is deleted and created again.
	e.p.fail("Create Top", "top is down")
	if _, err := e.s.Deploy(e.ctx, "other", path, map[string]string{"N": "o"}, nil); err == nil || !strings.Contains(err.Error(), "ROLLBACK_COMPLETE") {
		t.Fatalf("failed create: %v", err)
	}
	e.p.heal("Create Top")
	if _, err := e.s.Deploy(e.ctx, "other", path, map[string]string{"N": "o"}, nil); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, e.stack("other"), stCreateComplete)
}
