package cloudformation

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/cloudformation"
)

const diamond = `
Resources:
  A:
    Type: Test::Thing
    Properties: {Value: a}
  B:
    Type: Test::Thing
    Properties: {Value: b}
  C:
    Type: Test::Thing
    Properties:
      Value: !Sub "${A}+${B}"
Outputs:
  CArn:
    Value: !GetAtt C.Arn
`

func TestCreateRunsIndependentResourcesInParallel(t *testing.T) {
	e := newEnv(t)
	// A and B must both be in flight before either may finish: a serial engine
	// would deadlock here and the test time out.
	aStarted, releaseA := e.p.hold("Create A")
	bStarted, releaseB := e.p.hold("Create B")
	go func() {
		<-aStarted
		<-bStarted
		releaseA()
		releaseB()
	}()
	st := e.create("par", diamond)
	wantStatus(t, st, stCreateComplete)
	calls := e.p.callLog()
	if index(calls, "Create C") < index(calls, "Create A") || index(calls, "Create C") < index(calls, "Create B") {
		t.Fatalf("C created before its dependencies: %v", calls)
	}
	c := e.resource(st.ID, "C")
	if got := c.Props["Value"]; got != "A-1+B-2" && got != "A-2+B-1" {
		t.Fatalf("C's Value %v: Refs not resolved to physical ids", got)
	}
	if len(st.Outputs) != 1 || st.Outputs[0].Value != "arn:test:"+c.PhysicalID {
		t.Fatalf("outputs %+v", st.Outputs)
	}
	ev := e.events(st.ID)
	want := []string{"par CREATE_IN_PROGRESS User Initiated", "C CREATE_IN_PROGRESS", "C CREATE_IN_PROGRESS Resource creation Initiated", "C CREATE_COMPLETE", "par CREATE_COMPLETE"}
	if ev[0] != want[0] || ev[len(ev)-1] != want[4] {
		t.Fatalf("events %v", ev)
	}
	for _, w := range want[1:4] {
		if !slices.Contains(ev, w) {
			t.Fatalf("events %v lack %q", ev, w)
		}
	}
}

func TestCreateParallelismIsBounded(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxParallel = 2 })
	var b strings.Builder
	b.WriteString("Resources:\n")
	for i := 0; i < 12; i++ {
		b.WriteString("  R" + string(rune('A'+i)) + ":\n    Type: Test::Thing\n")
	}
	wantStatus(t, e.create("bounded", b.String()), stCreateComplete)
	if e.p.maxRun > 2 {
		t.Fatalf("%d resources worked on at once, limit 2", e.p.maxRun)
	}
	if len(e.p.liveIDs()) != 12 {
		t.Fatalf("live %v", e.p.liveIDs())
	}
}

func TestCreateFailureRollsBackLeavingNothing(t *testing.T) {
	e := newEnv(t)
	e.p.fail("Create C", "C is broken")
	st := e.create("rb", diamond)
	wantStatus(t, st, stRollbackComplete)
	if live := e.p.liveIDs(); len(live) != 0 {
		t.Fatalf("rollback left %v", live)
	}
	ev := e.events(st.ID)
	if !slices.Contains(ev, "C CREATE_FAILED C is broken") {
		t.Fatalf("events %v", ev)
	}
	if !slices.Contains(ev, "rb ROLLBACK_IN_PROGRESS The following resource(s) failed to create: [C]. Rollback requested by user.") {
		t.Fatalf("events %v", ev)
	}
	for _, id := range []string{"A", "B", "C"} {
		if r := e.resource(st.ID, id); r == nil || r.Status != stDeleteComplete {
			t.Fatalf("resource %s after rollback: %+v", id, r)
		}
	}
	// The stack cannot be updated, only deleted; its name stays taken until then.
	_, err := e.client.UpdateStack(e.ctx, &sdk.UpdateStackInput{StackName: aws.String("rb"), UsePreviousTemplate: aws.Bool(true)})
	wantCode(t, err, "ValidationError", "is in ROLLBACK_COMPLETE state and can not be updated.")
	_, err = e.client.CreateStack(e.ctx, &sdk.CreateStackInput{StackName: aws.String("rb"), TemplateBody: aws.String(diamond)})
	wantCode(t, err, "AlreadyExistsException", "Stack [rb] already exists")
	wantStatus(t, e.remove("rb"), stDeleteComplete)
	e.p.heal("Create C")
	wantStatus(t, e.create("rb", diamond), stCreateComplete)
}

func TestOnFailure(t *testing.T) {
	e := newEnv(t)
	e.p.fail("Create C", "nope")
	_, err := e.client.CreateStack(e.ctx, &sdk.CreateStackInput{StackName: aws.String("keep"), TemplateBody: aws.String(diamond), OnFailure: "DO_NOTHING"})
	if err != nil {
		t.Fatal(err)
	}
	st := e.wait("keep")
	wantStatus(t, st, stCreateFailed)
	if st.Reason != "The following resource(s) failed to create: [C]. " {
		t.Fatalf("reason %q", st.Reason)
	}
	if len(e.p.liveIDs()) != 2 {
		t.Fatalf("DO_NOTHING should keep A and B: %v", e.p.liveIDs())
	}
	wantStatus(t, e.remove("keep"), stDeleteComplete)

	_, err = e.client.CreateStack(e.ctx, &sdk.CreateStackInput{StackName: aws.String("gone"), TemplateBody: aws.String(diamond), OnFailure: "DELETE"})
	if err != nil {
		t.Fatal(err)
	}
	gone := e.stack("gone")
	st = e.wait(gone.ID)
	wantStatus(t, st, stDeleteComplete)
	if len(e.p.liveIDs()) != 0 {
		t.Fatalf("DELETE left %v", e.p.liveIDs())
	}
	_, err = e.client.DescribeStacks(e.ctx, &sdk.DescribeStacksInput{StackName: aws.String("gone")})
	wantCode(t, err, "ValidationError", "Stack with id gone does not exist")

	_, err = e.client.CreateStack(e.ctx, &sdk.CreateStackInput{StackName: aws.String("both"), TemplateBody: aws.String(diamond), OnFailure: "DELETE", DisableRollback: aws.Bool(true)})
	wantCode(t, err, "ValidationError", "DisableRollback")
}

const chain = `
Parameters:
  V: {Type: String, Default: one}
  N: {Type: String, Default: first}
Resources:
  Base:
    Type: Test::Thing
    Properties: {Name: !Ref N, Value: base}
  Mid:
    Type: Test::Thing
    Properties: {Value: !Sub "${Base}/${V}"}
  Top:
    Type: Test::Thing
    Properties: {Value: !GetAtt Mid.Arn}
`

func TestUpdateInPlaceAndReplacement(t *testing.T) {
	e := newEnv(t)
	st := e.create("up", chain)
	wantStatus(t, st, stCreateComplete)
	mid := e.resource(st.ID, "Mid").PhysicalID

	// V changes Mid's Value: an in-place update; Top is unchanged (same Arn).
	e.p.resetCalls()
	st = e.update("up", chain, "V", "two")
	wantStatus(t, st, stUpdateComplete)
	if calls := e.p.callLog(); !slices.Equal(calls, []string{"Update Mid"}) {
		t.Fatalf("calls %v, want only Update Mid", calls)
	}
	if e.resource(st.ID, "Mid").PhysicalID != mid {
		t.Fatal("an in-place update changed the physical id")
	}

	// N changes Base's Name (create-only): Base is replaced, and the change flows to
	// Mid (its Value embeds Base's Ref); the old Base is deleted in the cleanup.
	e.p.resetCalls()
	st = e.update("up", chain, "V", "two", "N", "second")
	wantStatus(t, st, stUpdateComplete)
	calls := e.p.callLog()
	if index(calls, "Create Base") < 0 || index(calls, "Update Mid") < index(calls, "Create Base") || index(calls, "Delete Base") < index(calls, "Update Mid") {
		t.Fatalf("calls %v: want Create Base, Update Mid, then Delete Base in the cleanup", calls)
	}
	if live := e.p.liveIDs(); slices.Contains(live, "first") || !slices.Contains(live, "second") {
		t.Fatalf("live %v", live)
	}
	ev := e.events(st.ID)
	for _, w := range []string{
		"Base UPDATE_IN_PROGRESS Requested update requires the creation of a new physical resource; hence creating one.",
		"up UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "Base DELETE_IN_PROGRESS", "Base DELETE_COMPLETE",
	} {
		if !slices.Contains(ev, w) {
			t.Fatalf("events %v lack %q", ev, w)
		}
	}
	if ev[len(ev)-1] != "up UPDATE_COMPLETE" {
		t.Fatalf("last event %q", ev[len(ev)-1])
	}
	if got := e.resource(st.ID, "Mid").Props["Value"]; got != "second/two" {
		t.Fatalf("Mid Value %v", got)
	}

	// Nothing changed: AWS's error.
	_, err := e.client.UpdateStack(e.ctx, &sdk.UpdateStackInput{StackName: aws.String("up"), UsePreviousTemplate: aws.Bool(true),
		Parameters: []sdkParam{{ParameterKey: aws.String("V"), UsePreviousValue: aws.Bool(true)}, {ParameterKey: aws.String("N"), UsePreviousValue: aws.Bool(true)}}})
	wantCode(t, err, "ValidationError", "No updates are to be performed.")
}

func TestCustomNamedReplacementFails(t *testing.T) {
	e := newEnv(t)
	const v1 = "Resources:\n  R:\n    Type: Test::Conditional\n    Properties: {Size: 5}\n"
	wantStatus(t, e.create("named", v1), stCreateComplete)
	// Growing is in place; shrinking replaces (the type's Replace rule).
	e.p.resetCalls()
	wantStatus(t, e.update("named", strings.Replace(v1, "5", "7", 1)), stUpdateComplete)
	if calls := e.p.callLog(); !slices.Equal(calls, []string{"Update R"}) {
		t.Fatalf("calls %v", calls)
	}
	e.p.resetCalls()
	wantStatus(t, e.update("named", strings.Replace(v1, "5", "3", 1)), stUpdateComplete)
	if calls := e.p.callLog(); !slices.Equal(calls, []string{"Create R", "Delete R"}) {
		t.Fatalf("calls %v", calls)
	}

	const named = "Resources:\n  T:\n    Type: Test::Thing\n    Properties: {Name: fixed, Value: x}\n"
	wantStatus(t, e.create("fixed", named), stCreateComplete)
	// Changing the type of a custom-named resource would need a second one of the
	// same name.
	r := e.s.registry
	r.Register("Test::Thing", ResourceType{Provider: e.p, CreateOnly: []string{"Name", "Value"}, NameProperty: "Name"})
	st := e.update("fixed", strings.Replace(named, "Value: x", "Value: y", 1))
	wantStatus(t, st, stUpdateRollbackComplete)
	ev := e.events(st.ID)
	if !hasEvent(ev, "T UPDATE_FAILED CloudFormation cannot update a stack when a custom-named resource requires replacing. Rename fixed and update the stack again.") {
		t.Fatalf("events %v", ev)
	}
}

func TestUpdateFailureRollsBack(t *testing.T) {
	e := newEnv(t)
	st := e.create("urb", chain)
	wantStatus(t, st, stCreateComplete)
	oldBase := e.resource(st.ID, "Base").PhysicalID
	// The new template replaces Base (new name), updates Mid in place, adds Extra,
	// and Top's update fails.
	next := chain + "  Extra:\n    Type: Test::Thing\n    Properties: {Value: extra}\n"
	next = strings.Replace(next, "Properties: {Value: !GetAtt Mid.Arn}", "Properties: {Value: !GetAtt Mid.Arn, Other: 1}", 1)
	e.p.failOnce("Update Top", "Top refuses")
	_, err := e.client.UpdateStack(e.ctx, &sdk.UpdateStackInput{StackName: aws.String("urb"), TemplateBody: aws.String(next),
		Parameters: []sdkParam{sdkParameter("N", "renamed"), sdkParameter("V", "v2")}})
	if err != nil {
		t.Fatal(err)
	}
	st = e.wait("urb")
	wantStatus(t, st, stUpdateRollbackComplete)
	if !strings.Contains(e.events(st.ID)[len(e.events(st.ID))-1], "UPDATE_ROLLBACK_COMPLETE") {
		t.Fatal("last event is not UPDATE_ROLLBACK_COMPLETE")
	}
	// Back to the original physical resources and properties; what the update made
	// is gone.
	if got := e.resource(st.ID, "Base").PhysicalID; got != oldBase {
		t.Fatalf("Base is %s after rollback, want %s", got, oldBase)
	}
	if live := e.p.liveIDs(); slices.Contains(live, "renamed") || len(live) != 3 {
		t.Fatalf("live after rollback %v", live)
	}
	if e.resource(st.ID, "Extra") != nil {
		t.Fatal("the added resource's record survived the rollback")
	}
	if got := e.resource(st.ID, "Mid").Props["Value"]; got != "first/one" {
		t.Fatalf("Mid Value %v after rollback", got)
	}
	if got := e.p.live[e.resource(st.ID, "Mid").PhysicalID]["Value"]; got != "first/one" {
		t.Fatalf("the provider's Mid holds %v after rollback", got)
	}
	if st.Template != chain {
		t.Fatal("the template was not restored")
	}
	ev := e.events(st.ID)
	if !slices.Contains(ev, "urb UPDATE_ROLLBACK_IN_PROGRESS The following resource(s) failed to update: [Top]. ") {
		t.Fatalf("events %v", ev)
	}
	// A later update works from the restored state.
	wantStatus(t, e.update("urb", chain, "V", "three"), stUpdateComplete)
}

func TestUpdateRollbackFailureAndContinue(t *testing.T) {
	e := newEnv(t)
	wantStatus(t, e.create("cont", chain), stCreateComplete)
	next := strings.Replace(chain, "Value: base", "Value: base2", 1)
	next = strings.Replace(next, "Properties: {Value: !GetAtt Mid.Arn}", "Properties: {Value: !GetAtt Mid.Arn, Other: 1}", 1)
	// Base is updated in place, Top fails, and undoing Base (its second update)
	// fails too.
	e.p.failOnce("Update Top", "Top refuses")
	e.p.failFrom("Update Base", 2, "still broken")
	if _, err := e.client.UpdateStack(e.ctx, &sdk.UpdateStackInput{StackName: aws.String("cont"), TemplateBody: aws.String(next)}); err != nil {
		t.Fatal(err)
	}
	st := e.wait("cont")
	wantStatus(t, st, stUpdateRollbackFailed)
	if st.Reason != "The following resource(s) failed to update: [Base]. " {
		t.Fatalf("reason %q", st.Reason)
	}
	_, err := e.client.UpdateStack(e.ctx, &sdk.UpdateStackInput{StackName: aws.String("cont"), UsePreviousTemplate: aws.Bool(true)})
	wantCode(t, err, "ValidationError", "UPDATE_ROLLBACK_FAILED state and can not be updated")
	e.p.heal("Update Base")
	if _, err := e.client.ContinueUpdateRollback(e.ctx, &sdk.ContinueUpdateRollbackInput{StackName: aws.String("cont")}); err != nil {
		t.Fatal(err)
	}
	st = e.wait("cont")
	wantStatus(t, st, stUpdateRollbackComplete)
	if got := e.p.live["first"]["Value"]; got != "base" {
		t.Fatalf("Base holds %v after the continued rollback", got)
	}
	_, err = e.client.ContinueUpdateRollback(e.ctx, &sdk.ContinueUpdateRollbackInput{StackName: aws.String("cont")})
	wantCode(t, err, "ValidationError", "ContinueUpdateRollback is only supported")
}

func TestDeleteOrderAndRetain(t *testing.T) {
	e := newEnv(t)
	const tmpl = `
Resources:
  A: {Type: Test::Thing}
  B:
    Type: Test::Thing
    Properties: {Value: !Ref A}
  C:
    Type: Test::Thing
    DependsOn: B
  Kept:
    Type: Test::Thing
    DeletionPolicy: Retain
    Properties: {Name: kept}
`
	st := e.create("del", tmpl)
	wantStatus(t, st, stCreateComplete)
	e.p.resetCalls()
	st = e.remove("del")
	wantStatus(t, st, stDeleteComplete)
	calls := e.p.callLog()
	if !(index(calls, "Delete C") < index(calls, "Delete B") && index(calls, "Delete B") < index(calls, "Delete A")) || index(calls, "Delete C") < 0 {
		t.Fatalf("delete order %v, want C, B, A", calls)
	}
	if index(calls, "Delete Kept") >= 0 || !slices.Equal(e.p.liveIDs(), []string{"kept"}) {
		t.Fatalf("Retain: calls %v, live %v", calls, e.p.liveIDs())
	}
	if !slices.Contains(e.events(st.ID), "Kept DELETE_SKIPPED") {
		t.Fatalf("events %v", e.events(st.ID))
	}
	// Deleted stacks are found by id, not by name.
	out, err := e.client.DescribeStacks(e.ctx, &sdk.DescribeStacksInput{StackName: aws.String(st.ID)})
	if err != nil || string(out.Stacks[0].StackStatus) != stDeleteComplete || out.Stacks[0].DeletionTime == nil {
		t.Fatalf("DescribeStacks by id: %v %+v", err, out)
	}
	_, err = e.client.DescribeStacks(e.ctx, &sdk.DescribeStacksInput{StackName: aws.String("del")})
	wantCode(t, err, "ValidationError", "Stack with id del does not exist")
	// Deleting what does not exist succeeds, as in AWS.
	if _, err := e.client.DeleteStack(e.ctx, &sdk.DeleteStackInput{StackName: aws.String("del")}); err != nil {
		t.Fatal(err)
	}
}

func TestDeleteFailureAndRetainResources(t *testing.T) {
	e := newEnv(t)
	st := e.create("df", diamond)
	e.p.fail("Delete A", "A is stuck")
	st = e.remove("df")
	wantStatus(t, st, stDeleteFailed)
	if st.Reason != "The following resource(s) failed to delete: [A]. " {
		t.Fatalf("reason %q", st.Reason)
	}
	_, err := e.client.DeleteStack(e.ctx, &sdk.DeleteStackInput{StackName: aws.String("df"), RetainResources: []string{"A"}})
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, e.wait(st.ID), stDeleteComplete)
	if live := e.p.liveIDs(); len(live) != 1 || !strings.HasPrefix(live[0], "A-") {
		t.Fatalf("live %v", live)
	}
	_, err = e.client.DeleteStack(e.ctx, &sdk.DeleteStackInput{StackName: aws.String("nothing"), RetainResources: []string{"A"}})
	if err != nil {
		t.Fatal(err)
	}
}

func TestTerminationProtection(t *testing.T) {
	e := newEnv(t)
	_, err := e.client.CreateStack(e.ctx, &sdk.CreateStackInput{StackName: aws.String("prot"), TemplateBody: aws.String(diamond), EnableTerminationProtection: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	e.wait("prot")
	_, err = e.client.DeleteStack(e.ctx, &sdk.DeleteStackInput{StackName: aws.String("prot")})
	wantCode(t, err, "ValidationError", "Stack [prot] cannot be deleted while TerminationProtection is enabled")
	if _, err := e.client.UpdateTerminationProtection(e.ctx, &sdk.UpdateTerminationProtectionInput{StackName: aws.String("prot"), EnableTerminationProtection: aws.Bool(false)}); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, e.remove("prot"), stDeleteComplete)
}

func TestTimeout(t *testing.T) {
	e := newEnv(t)
	started, release := e.p.hold("Create A")
	defer release()
	_, err := e.client.CreateStack(e.ctx, &sdk.CreateStackInput{StackName: aws.String("slow"), TemplateBody: aws.String(diamond), TimeoutInMinutes: aws.Int32(5)})
	if err != nil {
		t.Fatal(err)
	}
	<-started
	e.clock.Advance(4 * time.Minute)
	if st := e.stack("slow"); st.Status != stCreateInProgress {
		t.Fatalf("status %s before the timeout", st.Status)
	}
	e.clock.Advance(2 * time.Minute)
	st := e.wait("slow")
	wantStatus(t, st, stRollbackComplete)
	if !slices.Contains(e.events(st.ID), "slow ROLLBACK_IN_PROGRESS Stack creation time exceeded the specified timeout. Rollback requested by user.") {
		t.Fatalf("events %v", e.events(st.ID))
	}
	if len(e.p.liveIDs()) != 0 {
		t.Fatalf("live %v", e.p.liveIDs())
	}
}

func TestCancelUpdate(t *testing.T) {
	e := newEnv(t)
	wantStatus(t, e.create("cancel", chain), stCreateComplete)
	started, release := e.p.hold("Update Mid")
	defer release()
	if _, err := e.client.UpdateStack(e.ctx, &sdk.UpdateStackInput{StackName: aws.String("cancel"), UsePreviousTemplate: aws.Bool(true),
		Parameters: []sdkParam{sdkParameter("V", "changed")}}); err != nil {
		t.Fatal(err)
	}
	<-started
	if _, err := e.client.CancelUpdateStack(e.ctx, &sdk.CancelUpdateStackInput{StackName: aws.String("cancel")}); err != nil {
		t.Fatal(err)
	}
	st := e.wait("cancel")
	wantStatus(t, st, stUpdateRollbackComplete)
	if !hasEvent(e.events(st.ID), "cancel UPDATE_ROLLBACK_IN_PROGRESS Stack update cancelled") {
		t.Fatalf("events %v", e.events(st.ID))
	}
	_, err := e.client.CancelUpdateStack(e.ctx, &sdk.CancelUpdateStackInput{StackName: aws.String("cancel")})
	wantCode(t, err, "ValidationError", "CancelUpdateStack cannot be called from current stack status")
}

func TestDeleteDuringCreate(t *testing.T) {
	e := newEnv(t)
	started, release := e.p.hold("Create A")
	defer release()
	if _, err := e.client.CreateStack(e.ctx, &sdk.CreateStackInput{StackName: aws.String("abort"), TemplateBody: aws.String(diamond)}); err != nil {
		t.Fatal(err)
	}
	<-started
	id := e.stack("abort").ID
	if _, err := e.client.DeleteStack(e.ctx, &sdk.DeleteStackInput{StackName: aws.String("abort")}); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, e.wait(id), stDeleteComplete)
	if len(e.p.liveIDs()) != 0 {
		t.Fatalf("live %v", e.p.liveIDs())
	}
}
