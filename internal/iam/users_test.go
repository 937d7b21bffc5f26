package iam_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	stssdk "github.com/aws/aws-sdk-go-v2/service/sts"
)

func TestUsers(t *testing.T) {
	e := newEnv(t)
	c := e.rootIAM()
	out, err := c.CreateUser(e.ctx, &iamsdk.CreateUserInput{UserName: aws.String("alice"), Path: aws.String("/eng/"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("web")}}})
	if err != nil {
		t.Fatal(err)
	}
	u := out.User
	if aws.ToString(u.Arn) != "arn:aws:iam::123456789012:user/eng/alice" || !strings.HasPrefix(aws.ToString(u.UserId), "AIDA") || len(aws.ToString(u.UserId)) != 21 || u.CreateDate == nil {
		t.Errorf("CreateUser: %+v", u)
	}
	_, err = c.CreateUser(e.ctx, &iamsdk.CreateUserInput{UserName: aws.String("ALICE")})
	wantType[*types.EntityAlreadyExistsException](t, err)

	for _, tc := range []struct{ name, path, code string }{
		{"bad name", "/", "ValidationError"},
		{strings.Repeat("x", 65), "/", "ValidationError"},
		{"bob", "nopath", "ValidationError"},
	} {
		_, err := c.CreateUser(e.ctx, &iamsdk.CreateUserInput{UserName: aws.String(tc.name), Path: aws.String(tc.path)})
		wantCode(t, err, tc.code, "")
	}

	got, err := c.GetUser(e.ctx, &iamsdk.GetUserInput{UserName: aws.String("alice")})
	if err != nil || aws.ToString(got.User.UserId) != aws.ToString(u.UserId) || len(got.User.Tags) != 1 {
		t.Fatalf("GetUser: %+v %v", got, err)
	}
	_, err = c.GetUser(e.ctx, &iamsdk.GetUserInput{UserName: aws.String("nobody")})
	wantType[*types.NoSuchEntityException](t, err)

	if _, err := c.CreateUser(e.ctx, &iamsdk.CreateUserInput{UserName: aws.String("bob")}); err != nil {
		t.Fatal(err)
	}
	// Pagination and path prefixes.
	l1, err := c.ListUsers(e.ctx, &iamsdk.ListUsersInput{MaxItems: aws.Int32(1)})
	if err != nil || len(l1.Users) != 1 || !l1.IsTruncated || aws.ToString(l1.Users[0].UserName) != "alice" {
		t.Fatalf("ListUsers page 1: %+v %v", l1, err)
	}
	l2, err := c.ListUsers(e.ctx, &iamsdk.ListUsersInput{Marker: l1.Marker})
	if err != nil || len(l2.Users) != 1 || l2.IsTruncated || aws.ToString(l2.Users[0].UserName) != "bob" {
		t.Fatalf("ListUsers page 2: %+v %v", l2, err)
	}
	l3, err := c.ListUsers(e.ctx, &iamsdk.ListUsersInput{PathPrefix: aws.String("/eng/")})
	if err != nil || len(l3.Users) != 1 {
		t.Fatalf("ListUsers /eng/: %+v %v", l3, err)
	}

	// Tags.
	if _, err := c.TagUser(e.ctx, &iamsdk.TagUserInput{UserName: aws.String("alice"), Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}, {Key: aws.String("TEAM"), Value: aws.String("api")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagUser(e.ctx, &iamsdk.UntagUserInput{UserName: aws.String("alice"), TagKeys: []string{"env"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListUserTags(e.ctx, &iamsdk.ListUserTagsInput{UserName: aws.String("alice")})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Value) != "api" {
		t.Fatalf("ListUserTags: %+v %v", tags, err)
	}
	_, err = c.TagUser(e.ctx, &iamsdk.TagUserInput{UserName: aws.String("alice"), Tags: []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("1")}}})
	wantType[*types.InvalidInputException](t, err)

	// Rename: the user's keys follow.
	key, err := c.CreateAccessKey(e.ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("bob")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateUser(e.ctx, &iamsdk.UpdateUserInput{UserName: aws.String("bob"), NewUserName: aws.String("robert"), NewPath: aws.String("/ops/")}); err != nil {
		t.Fatal(err)
	}
	id, err := e.stsAs(aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey), "").GetCallerIdentity(e.ctx, &stssdk.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Arn) != "arn:aws:iam::123456789012:user/ops/robert" {
		t.Fatalf("identity after rename: %+v %v", id, err)
	}
	_, err = c.UpdateUser(e.ctx, &iamsdk.UpdateUserInput{UserName: aws.String("robert"), NewUserName: aws.String("alice")})
	wantType[*types.EntityAlreadyExistsException](t, err)

	// DeleteUser refuses while keys, policies or groups remain.
	_, err = c.DeleteUser(e.ctx, &iamsdk.DeleteUserInput{UserName: aws.String("robert")})
	wantCode(t, wantType[*types.DeleteConflictException](t, err), "DeleteConflict", "access keys")
	if _, err := c.DeleteAccessKey(e.ctx, &iamsdk.DeleteAccessKeyInput{UserName: aws.String("robert"), AccessKeyId: key.AccessKey.AccessKeyId}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutUserPolicy(e.ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("robert"), PolicyName: aws.String("p"), PolicyDocument: aws.String(allowAll)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteUser(e.ctx, &iamsdk.DeleteUserInput{UserName: aws.String("robert")})
	wantCode(t, err, "DeleteConflict", "delete policies")
	if _, err := c.DeleteUserPolicy(e.ctx, &iamsdk.DeleteUserPolicyInput{UserName: aws.String("robert"), PolicyName: aws.String("p")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteUser(e.ctx, &iamsdk.DeleteUserInput{UserName: aws.String("robert")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteUser(e.ctx, &iamsdk.DeleteUserInput{UserName: aws.String("robert")})
	wantType[*types.NoSuchEntityException](t, err)
}

const allowAll = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

func TestAccessKeys(t *testing.T) {
	e := newEnv(t)
	c := e.rootIAM()
	if _, err := c.CreateUser(e.ctx, &iamsdk.CreateUserInput{UserName: aws.String("svc")}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for range 2 {
		k, err := c.CreateAccessKey(e.ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("svc")})
		if err != nil {
			t.Fatal(err)
		}
		ak := k.AccessKey
		if id := aws.ToString(ak.AccessKeyId); !strings.HasPrefix(id, "AKIA") || len(id) != 20 || len(aws.ToString(ak.SecretAccessKey)) != 40 || ak.Status != types.StatusTypeActive || aws.ToString(ak.UserName) != "svc" {
			t.Fatalf("CreateAccessKey: %+v", ak)
		}
		ids = append(ids, aws.ToString(ak.AccessKeyId))
		if i := len(ids) - 1; i == 0 {
			// The new key signs requests at once, as the user.
			id, err := e.stsAs(ids[0], aws.ToString(ak.SecretAccessKey), "").GetCallerIdentity(e.ctx, &stssdk.GetCallerIdentityInput{})
			if err != nil || aws.ToString(id.Arn) != "arn:aws:iam::123456789012:user/svc" || !strings.HasPrefix(aws.ToString(id.UserId), "AIDA") || aws.ToString(id.Account) != account {
				t.Fatalf("GetCallerIdentity with a user key: %+v %v", id, err)
			}
			// The user's own key, without UserName, is about the caller.
			own, err := e.iamAs(ids[0], aws.ToString(ak.SecretAccessKey), "").ListAccessKeys(e.ctx, &iamsdk.ListAccessKeysInput{})
			if err != nil || len(own.AccessKeyMetadata) != 1 {
				t.Fatalf("ListAccessKeys as the user: %+v %v", own, err)
			}
			me, err := e.iamAs(ids[0], aws.ToString(ak.SecretAccessKey), "").GetUser(e.ctx, &iamsdk.GetUserInput{})
			if err != nil || aws.ToString(me.User.UserName) != "svc" {
				t.Fatalf("GetUser as the user: %+v %v", me, err)
			}
			secret := aws.ToString(ak.SecretAccessKey)
			defer func() {
				_, err := e.stsAs(ids[0], secret, "").GetCallerIdentity(e.ctx, &stssdk.GetCallerIdentityInput{})
				wantCode(t, err, "InvalidClientTokenId", "")
			}()
		}
	}
	_, err := c.CreateAccessKey(e.ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("svc")})
	wantCode(t, wantType[*types.LimitExceededException](t, err), "LimitExceeded", "AccessKeysPerUser: 2")
	_, err = c.CreateAccessKey(e.ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("ghost")})
	wantType[*types.NoSuchEntityException](t, err)

	l, err := c.ListAccessKeys(e.ctx, &iamsdk.ListAccessKeysInput{UserName: aws.String("svc")})
	if err != nil || len(l.AccessKeyMetadata) != 2 {
		t.Fatalf("ListAccessKeys: %+v %v", l, err)
	}
	lu, err := c.GetAccessKeyLastUsed(e.ctx, &iamsdk.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(ids[0])})
	if err != nil || aws.ToString(lu.UserName) != "svc" || aws.ToString(lu.AccessKeyLastUsed.ServiceName) != "N/A" {
		t.Fatalf("GetAccessKeyLastUsed: %+v %v", lu, err)
	}
	_, err = c.GetAccessKeyLastUsed(e.ctx, &iamsdk.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(rootKey)})
	wantType[*types.NoSuchEntityException](t, err)

	// Inactive keys are refused (checked by the deferred call above); status is validated.
	if _, err := c.UpdateAccessKey(e.ctx, &iamsdk.UpdateAccessKeyInput{UserName: aws.String("svc"), AccessKeyId: aws.String(ids[0]), Status: types.StatusTypeInactive}); err != nil {
		t.Fatal(err)
	}
	_, err = c.UpdateAccessKey(e.ctx, &iamsdk.UpdateAccessKeyInput{UserName: aws.String("svc"), AccessKeyId: aws.String(ids[0]), Status: "Paused"})
	wantCode(t, err, "ValidationError", "enum")
	_, err = c.UpdateAccessKey(e.ctx, &iamsdk.UpdateAccessKeyInput{UserName: aws.String("svc"), AccessKeyId: aws.String("AKIANOTAKEY000000000"), Status: types.StatusTypeActive})
	wantCode(t, wantType[*types.NoSuchEntityException](t, err), "NoSuchEntity", "AKIANOTAKEY000000000")
	_, err = c.DeleteAccessKey(e.ctx, &iamsdk.DeleteAccessKeyInput{UserName: aws.String("svc"), AccessKeyId: aws.String(rootKey)})
	wantType[*types.NoSuchEntityException](t, err)
	if _, err := c.DeleteAccessKey(e.ctx, &iamsdk.DeleteAccessKeyInput{UserName: aws.String("svc"), AccessKeyId: aws.String(ids[1])}); err != nil {
		t.Fatal(err)
	}
	l, err = c.ListAccessKeys(e.ctx, &iamsdk.ListAccessKeysInput{UserName: aws.String("svc")})
	if err != nil || len(l.AccessKeyMetadata) != 1 || l.AccessKeyMetadata[0].Status != types.StatusTypeInactive {
		t.Fatalf("ListAccessKeys after delete: %+v %v", l, err)
	}
}
