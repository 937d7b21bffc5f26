package iam_test

import (
	"net/url"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/wharf-dev/wharf/internal/awsapi"
)

const readS3 = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}]}`

func TestManagedPolicies(t *testing.T) {
	e := newEnv(t)
	c := e.rootIAM()
	out, err := c.CreatePolicy(e.ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String("read"), Path: aws.String("/app/"), PolicyDocument: aws.String(readS3), Description: aws.String("reads")})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(out.Policy.Arn)
	if arn != "arn:aws:iam::123456789012:policy/app/read" || aws.ToString(out.Policy.DefaultVersionId) != "v1" || !out.Policy.IsAttachable {
		t.Fatalf("CreatePolicy: %+v", out.Policy)
	}
	for _, tc := range []struct{ doc, code string }{
		{"{not json", "MalformedPolicyDocument"},
		{`{"BOGUS":1}`, "MalformedPolicyDocument"},
	} {
		_, err := c.CreatePolicy(e.ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String("bad"), PolicyDocument: aws.String(tc.doc)})
		wantType[*types.MalformedPolicyDocumentException](t, err)
	}
	_, err = c.CreatePolicy(e.ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String("read"), PolicyDocument: aws.String(readS3)})
	wantType[*types.EntityAlreadyExistsException](t, err)

	// Versions: up to 5, one default, documents URL-encoded.
	for i := 2; i <= 5; i++ {
		v, err := c.CreatePolicyVersion(e.ctx, &iamsdk.CreatePolicyVersionInput{PolicyArn: aws.String(arn), PolicyDocument: aws.String(allowAll), SetAsDefault: i == 3})
		if err != nil || aws.ToString(v.PolicyVersion.VersionId) != "v"+string(rune('0'+i)) || v.PolicyVersion.IsDefaultVersion != (i == 3) {
			t.Fatalf("CreatePolicyVersion %d: %+v %v", i, v, err)
		}
	}
	_, err = c.CreatePolicyVersion(e.ctx, &iamsdk.CreatePolicyVersionInput{PolicyArn: aws.String(arn), PolicyDocument: aws.String(allowAll)})
	wantCode(t, wantType[*types.LimitExceededException](t, err), "LimitExceeded", "up to 5 versions")
	got, err := c.GetPolicy(e.ctx, &iamsdk.GetPolicyInput{PolicyArn: aws.String(arn)})
	if err != nil || aws.ToString(got.Policy.DefaultVersionId) != "v3" || aws.ToString(got.Policy.Description) != "reads" {
		t.Fatalf("GetPolicy: %+v %v", got, err)
	}
	pv, err := c.GetPolicyVersion(e.ctx, &iamsdk.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v1")})
	if err != nil {
		t.Fatal(err)
	}
	if doc, err := url.QueryUnescape(aws.ToString(pv.PolicyVersion.Document)); err != nil || doc != readS3 || pv.PolicyVersion.IsDefaultVersion {
		t.Fatalf("GetPolicyVersion document %q (%v)", aws.ToString(pv.PolicyVersion.Document), err)
	}
	_, err = c.GetPolicyVersion(e.ctx, &iamsdk.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v9")})
	wantType[*types.NoSuchEntityException](t, err)
	_, err = c.DeletePolicyVersion(e.ctx, &iamsdk.DeletePolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v3")})
	wantCode(t, wantType[*types.DeleteConflictException](t, err), "DeleteConflict", "default version")
	if _, err := c.SetDefaultPolicyVersion(e.ctx, &iamsdk.SetDefaultPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v1")}); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"v2", "v3", "v4"} {
		if _, err := c.DeletePolicyVersion(e.ctx, &iamsdk.DeletePolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String(v)}); err != nil {
			t.Fatal(err)
		}
	}
	vs, err := c.ListPolicyVersions(e.ctx, &iamsdk.ListPolicyVersionsInput{PolicyArn: aws.String(arn)})
	if err != nil || len(vs.Versions) != 2 || aws.ToString(vs.Versions[0].VersionId) != "v5" || !vs.Versions[1].IsDefaultVersion {
		t.Fatalf("ListPolicyVersions: %+v %v", vs, err)
	}

	// Attach to a user: counts, OnlyAttached, DeleteConflict, and PoliciesFor.
	if _, err := c.CreateUser(e.ctx, &iamsdk.CreateUserInput{UserName: aws.String("u")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AttachUserPolicy(e.ctx, &iamsdk.AttachUserPolicyInput{UserName: aws.String("u"), PolicyArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AttachUserPolicy(e.ctx, &iamsdk.AttachUserPolicyInput{UserName: aws.String("u"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.AttachUserPolicy(e.ctx, &iamsdk.AttachUserPolicyInput{UserName: aws.String("u"), PolicyArn: aws.String("arn:aws:iam::123456789012:policy/nope")})
	wantType[*types.NoSuchEntityException](t, err)
	att, err := c.ListAttachedUserPolicies(e.ctx, &iamsdk.ListAttachedUserPoliciesInput{UserName: aws.String("u")})
	if err != nil || len(att.AttachedPolicies) != 2 || aws.ToString(att.AttachedPolicies[0].PolicyName) != "AdministratorAccess" {
		t.Fatalf("ListAttachedUserPolicies: %+v %v", att, err)
	}
	for _, tc := range []struct {
		scope types.PolicyScopeType
		only  bool
		want  []string
	}{
		{types.PolicyScopeTypeLocal, false, []string{"read"}},
		{types.PolicyScopeTypeAws, true, []string{"AdministratorAccess"}},
		{types.PolicyScopeTypeAll, true, []string{"AdministratorAccess", "read"}},
	} {
		l, err := c.ListPolicies(e.ctx, &iamsdk.ListPoliciesInput{Scope: tc.scope, OnlyAttached: tc.only})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, p := range l.Policies {
			names = append(names, aws.ToString(p.PolicyName))
			if aws.ToString(p.PolicyName) == "read" && aws.ToInt32(p.AttachmentCount) != 1 {
				t.Errorf("AttachmentCount %d", aws.ToInt32(p.AttachmentCount))
			}
		}
		if !slices.Equal(names, tc.want) {
			t.Errorf("ListPolicies %s %v: %v, want %v", tc.scope, tc.only, names, tc.want)
		}
	}
	if _, err := c.PutUserPolicy(e.ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("u"), PolicyName: aws.String("inline"), PolicyDocument: aws.String(`{"Statement":[]}`)}); err != nil {
		t.Fatal(err)
	}
	docs, err := e.iam.PoliciesFor(e.ctx, awsapi.Principal{AccountID: account, ARN: "arn:aws:iam::123456789012:user/u"})
	if err != nil || len(docs) != 3 || string(docs[0]) != `{"Statement":[]}` || string(docs[1]) != readS3 {
		t.Fatalf("PoliciesFor: %q %v", docs, err)
	}
	_, err = c.DeletePolicy(e.ctx, &iamsdk.DeletePolicyInput{PolicyArn: aws.String(arn)})
	wantCode(t, wantType[*types.DeleteConflictException](t, err), "DeleteConflict", "attached")
	if _, err := c.DetachUserPolicy(e.ctx, &iamsdk.DetachUserPolicyInput{UserName: aws.String("u"), PolicyArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DetachUserPolicy(e.ctx, &iamsdk.DetachUserPolicyInput{UserName: aws.String("u"), PolicyArn: aws.String(arn)})
	wantType[*types.NoSuchEntityException](t, err)
	_, err = c.DeletePolicy(e.ctx, &iamsdk.DeletePolicyInput{PolicyArn: aws.String(arn)})
	wantCode(t, err, "DeleteConflict", "more than one version")
	if _, err := c.DeletePolicyVersion(e.ctx, &iamsdk.DeletePolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v5")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeletePolicy(e.ctx, &iamsdk.DeletePolicyInput{PolicyArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetPolicy(e.ctx, &iamsdk.GetPolicyInput{PolicyArn: aws.String(arn)})
	wantType[*types.NoSuchEntityException](t, err)
	_, err = c.DeletePolicy(e.ctx, &iamsdk.DeletePolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")})
	wantType[*types.InvalidInputException](t, err)
}

func TestInlineAndGroups(t *testing.T) {
	e := newEnv(t)
	c := e.rootIAM()
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(c.CreateUser(e.ctx, &iamsdk.CreateUserInput{UserName: aws.String("dev")}))
	must(c.CreateGroup(e.ctx, &iamsdk.CreateGroupInput{GroupName: aws.String("devs"), Path: aws.String("/eng/")}))
	_, err := c.CreateGroup(e.ctx, &iamsdk.CreateGroupInput{GroupName: aws.String("DEVS")})
	wantType[*types.EntityAlreadyExistsException](t, err)
	must(c.AddUserToGroup(e.ctx, &iamsdk.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String("dev")}))
	_, err = c.AddUserToGroup(e.ctx, &iamsdk.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String("ghost")})
	wantType[*types.NoSuchEntityException](t, err)
	g, err := c.GetGroup(e.ctx, &iamsdk.GetGroupInput{GroupName: aws.String("devs")})
	if err != nil || len(g.Users) != 1 || aws.ToString(g.Group.Arn) != "arn:aws:iam::123456789012:group/eng/devs" || len(aws.ToString(g.Group.GroupId)) != 21 {
		t.Fatalf("GetGroup: %+v %v", g, err)
	}
	fu, err := c.ListGroupsForUser(e.ctx, &iamsdk.ListGroupsForUserInput{UserName: aws.String("dev")})
	if err != nil || len(fu.Groups) != 1 {
		t.Fatalf("ListGroupsForUser: %+v %v", fu, err)
	}
	lg, err := c.ListGroups(e.ctx, &iamsdk.ListGroupsInput{PathPrefix: aws.String("/eng")})
	if err != nil || len(lg.Groups) != 1 {
		t.Fatalf("ListGroups: %+v %v", lg, err)
	}

	// Inline policies on the group and the user reach the user.
	must(c.PutGroupPolicy(e.ctx, &iamsdk.PutGroupPolicyInput{GroupName: aws.String("devs"), PolicyName: aws.String("g1"), PolicyDocument: aws.String(readS3)}))
	must(c.AttachGroupPolicy(e.ctx, &iamsdk.AttachGroupPolicyInput{GroupName: aws.String("devs"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonSSMReadOnlyAccess")}))
	gp, err := c.GetGroupPolicy(e.ctx, &iamsdk.GetGroupPolicyInput{GroupName: aws.String("devs"), PolicyName: aws.String("g1")})
	if doc, _ := url.QueryUnescape(aws.ToString(gp.PolicyDocument)); err != nil || doc != readS3 || aws.ToString(gp.GroupName) != "devs" {
		t.Fatalf("GetGroupPolicy: %+v %v", gp, err)
	}
	_, err = c.GetGroupPolicy(e.ctx, &iamsdk.GetGroupPolicyInput{GroupName: aws.String("devs"), PolicyName: aws.String("none")})
	wantCode(t, err, "NoSuchEntity", "group policy with name none")
	_, err = c.PutUserPolicy(e.ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("dev"), PolicyName: aws.String("x"), PolicyDocument: aws.String("[")})
	wantType[*types.MalformedPolicyDocumentException](t, err)
	docs, err := e.iam.PoliciesFor(e.ctx, awsapi.Principal{ARN: "arn:aws:iam::123456789012:user/dev"})
	if err != nil || len(docs) != 2 {
		t.Fatalf("PoliciesFor through a group: %d %v", len(docs), err)
	}
	lp, err := c.ListGroupPolicies(e.ctx, &iamsdk.ListGroupPoliciesInput{GroupName: aws.String("devs")})
	if err != nil || !slices.Equal(lp.PolicyNames, []string{"g1"}) {
		t.Fatalf("ListGroupPolicies: %+v %v", lp, err)
	}
	la, err := c.ListAttachedGroupPolicies(e.ctx, &iamsdk.ListAttachedGroupPoliciesInput{GroupName: aws.String("devs")})
	if err != nil || len(la.AttachedPolicies) != 1 {
		t.Fatalf("ListAttachedGroupPolicies: %+v %v", la, err)
	}

	// Deleting in order: conflicts until the group is empty.
	_, err = c.DeleteGroup(e.ctx, &iamsdk.DeleteGroupInput{GroupName: aws.String("devs")})
	wantCode(t, err, "DeleteConflict", "remove users")
	_, err = c.DeleteUser(e.ctx, &iamsdk.DeleteUserInput{UserName: aws.String("dev")})
	wantCode(t, err, "DeleteConflict", "")
	must(c.RemoveUserFromGroup(e.ctx, &iamsdk.RemoveUserFromGroupInput{GroupName: aws.String("devs"), UserName: aws.String("dev")}))
	_, err = c.RemoveUserFromGroup(e.ctx, &iamsdk.RemoveUserFromGroupInput{GroupName: aws.String("devs"), UserName: aws.String("dev")})
	wantType[*types.NoSuchEntityException](t, err)
	_, err = c.DeleteGroup(e.ctx, &iamsdk.DeleteGroupInput{GroupName: aws.String("devs")})
	wantCode(t, err, "DeleteConflict", "delete policies")
	must(c.DeleteGroupPolicy(e.ctx, &iamsdk.DeleteGroupPolicyInput{GroupName: aws.String("devs"), PolicyName: aws.String("g1")}))
	_, err = c.DeleteGroup(e.ctx, &iamsdk.DeleteGroupInput{GroupName: aws.String("devs")})
	wantCode(t, err, "DeleteConflict", "detach")
	must(c.DetachGroupPolicy(e.ctx, &iamsdk.DetachGroupPolicyInput{GroupName: aws.String("devs"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonSSMReadOnlyAccess")}))
	must(c.DeleteGroup(e.ctx, &iamsdk.DeleteGroupInput{GroupName: aws.String("devs")}))
	must(c.DeleteUser(e.ctx, &iamsdk.DeleteUserInput{UserName: aws.String("dev")}))
}
