package kms

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	kmssdk "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
)

func TestCreateAndDescribeKey(t *testing.T) {
	e := newEnv(t)
	out, err := e.client.CreateKey(e.ctx, &kmssdk.CreateKeyInput{
		Description: aws.String("app key"),
		Tags:        []types.Tag{{TagKey: aws.String("team"), TagValue: aws.String("web")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	m := out.KeyMetadata
	if m.KeyState != types.KeyStateEnabled || !m.Enabled || m.KeySpec != types.KeySpecSymmetricDefault ||
		m.KeyUsage != types.KeyUsageTypeEncryptDecrypt || m.Origin != types.OriginTypeAwsKms ||
		m.KeyManager != types.KeyManagerTypeCustomer || aws.ToString(m.Description) != "app key" ||
		aws.ToBool(m.MultiRegion) || m.CreationDate == nil || m.CreationDate.IsZero() {
		t.Fatalf("metadata %+v", m)
	}
	if want := "arn:aws:kms:us-east-1:000000000000:key/" + aws.ToString(m.KeyId); aws.ToString(m.Arn) != want {
		t.Fatalf("ARN %s, want %s", aws.ToString(m.Arn), want)
	}
	for _, id := range []string{aws.ToString(m.KeyId), aws.ToString(m.Arn)} {
		d, err := e.client.DescribeKey(e.ctx, &kmssdk.DescribeKeyInput{KeyId: aws.String(id)})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(d.KeyMetadata.KeyId) != aws.ToString(m.KeyId) || len(d.KeyMetadata.EncryptionAlgorithms) != 1 {
			t.Fatalf("DescribeKey(%s) = %+v", id, d.KeyMetadata)
		}
	}
	pol, err := e.client.GetKeyPolicy(e.ctx, &kmssdk.GetKeyPolicyInput{KeyId: m.KeyId})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(aws.ToString(pol.Policy), "Enable IAM User Permissions") || !strings.Contains(aws.ToString(pol.Policy), "arn:aws:iam::000000000000:root") {
		t.Fatalf("default policy %s", aws.ToString(pol.Policy))
	}
	tags, err := e.client.ListResourceTags(e.ctx, &kmssdk.ListResourceTagsInput{KeyId: m.KeyId})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].TagValue) != "web" {
		t.Fatalf("tags %+v, %v", tags, err)
	}
}

func TestCreateKeyErrors(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name string
		in   kmssdk.CreateKeyInput
		code string
	}{
		{"bad spec", kmssdk.CreateKeyInput{KeySpec: "AES_99"}, "ValidationException"},
		{"hmac without usage", kmssdk.CreateKeyInput{KeySpec: types.KeySpecHmac256}, "ValidationException"},
		{"symmetric signing", kmssdk.CreateKeyInput{KeyUsage: types.KeyUsageTypeSignVerify}, "ValidationException"},
		{"ecc", kmssdk.CreateKeyInput{KeySpec: types.KeySpecEccNistP256, KeyUsage: types.KeyUsageTypeSignVerify}, "UnsupportedOperationException"},
		{"multi-region", kmssdk.CreateKeyInput{MultiRegion: aws.Bool(true)}, "UnsupportedOperationException"},
		{"bad policy json", kmssdk.CreateKeyInput{Policy: aws.String("{")}, "MalformedPolicyDocumentException"},
		{"policy without principal", kmssdk.CreateKeyInput{Policy: aws.String(`{"Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}`)}, "MalformedPolicyDocumentException"},
		{"reserved tag", kmssdk.CreateKeyInput{Tags: []types.Tag{{TagKey: aws.String("aws:x"), TagValue: aws.String("")}}}, "TagException"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.client.CreateKey(e.ctx, &c.in)
			wantCode(t, err, c.code, "")
		})
	}
	_, err := e.client.CreateKey(e.ctx, &kmssdk.CreateKeyInput{Policy: aws.String("{")})
	wantType[*types.MalformedPolicyDocumentException](t, err)
}

func TestDescribeKeyNotFound(t *testing.T) {
	e := newEnv(t)
	for _, id := range []string{"1234abcd-12ab-34cd-56ef-1234567890ab", "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab", "alias/nope", "arn:aws:kms:eu-west-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab", "garbage"} {
		_, err := e.client.DescribeKey(e.ctx, &kmssdk.DescribeKeyInput{KeyId: aws.String(id)})
		wantType[*types.NotFoundException](t, err)
	}
}

func TestListKeysPagination(t *testing.T) {
	e := newEnv(t)
	want := map[string]bool{}
	for range 5 {
		want[aws.ToString(e.key("k").KeyId)] = true
	}
	got := map[string]bool{}
	var marker *string
	pages := 0
	for {
		out, err := e.client.ListKeys(e.ctx, &kmssdk.ListKeysInput{Limit: aws.Int32(2), Marker: marker})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, k := range out.Keys {
			if got[aws.ToString(k.KeyId)] {
				t.Fatalf("key %s listed twice", aws.ToString(k.KeyId))
			}
			got[aws.ToString(k.KeyId)] = true
		}
		if !out.Truncated {
			break
		}
		marker = out.NextMarker
	}
	if pages != 3 || len(got) != 5 {
		t.Fatalf("%d pages, %d keys", pages, len(got))
	}
	for id := range want {
		if !got[id] {
			t.Fatalf("key %s not listed", id)
		}
	}
	_, err := e.client.ListKeys(e.ctx, &kmssdk.ListKeysInput{Marker: aws.String("!!!")})
	wantType[*types.InvalidMarkerException](t, err)
	_, err = e.client.ListKeys(e.ctx, &kmssdk.ListKeysInput{Limit: aws.Int32(5000)})
	wantCode(t, err, "ValidationException", "limit")
}

func TestAliases(t *testing.T) {
	e := newEnv(t)
	k1, k2 := e.key("one"), e.key("two")
	if _, err := e.client.CreateAlias(e.ctx, &kmssdk.CreateAliasInput{AliasName: aws.String("alias/app"), TargetKeyId: k1.KeyId}); err != nil {
		t.Fatal(err)
	}
	_, err := e.client.CreateAlias(e.ctx, &kmssdk.CreateAliasInput{AliasName: aws.String("alias/app"), TargetKeyId: k2.KeyId})
	wantType[*types.AlreadyExistsException](t, err)
	for _, bad := range []string{"app", "alias/aws/mine", "alias/has space"} {
		_, err = e.client.CreateAlias(e.ctx, &kmssdk.CreateAliasInput{AliasName: aws.String(bad), TargetKeyId: k2.KeyId})
		wantType[*types.InvalidAliasNameException](t, err)
	}
	_, err = e.client.CreateAlias(e.ctx, &kmssdk.CreateAliasInput{AliasName: aws.String("alias/x"), TargetKeyId: aws.String("1234abcd-12ab-34cd-56ef-1234567890ab")})
	wantType[*types.NotFoundException](t, err)

	for _, name := range []string{"alias/app", "arn:aws:kms:us-east-1:000000000000:alias/app"} {
		d, err := e.client.DescribeKey(e.ctx, &kmssdk.DescribeKeyInput{KeyId: aws.String(name)})
		if err != nil || aws.ToString(d.KeyMetadata.KeyId) != aws.ToString(k1.KeyId) {
			t.Fatalf("DescribeKey(%s) = %v, %v", name, d, err)
		}
	}
	blob := e.encrypt("alias/app", "hello", nil)
	if _, err := e.client.UpdateAlias(e.ctx, &kmssdk.UpdateAliasInput{AliasName: aws.String("alias/app"), TargetKeyId: k2.KeyId}); err != nil {
		t.Fatal(err)
	}
	if got := e.decrypt(blob, nil); got != "hello" {
		t.Fatalf("decrypt after UpdateAlias = %q", got)
	}
	out, err := e.client.Encrypt(e.ctx, &kmssdk.EncryptInput{KeyId: aws.String("alias/app"), Plaintext: []byte("x")})
	if err != nil || aws.ToString(out.KeyId) != aws.ToString(k2.Arn) {
		t.Fatalf("Encrypt via updated alias: %v, %v", out, err)
	}
	list, err := e.client.ListAliases(e.ctx, &kmssdk.ListAliasesInput{KeyId: k2.KeyId})
	if err != nil || len(list.Aliases) != 1 || aws.ToString(list.Aliases[0].AliasArn) != "arn:aws:kms:us-east-1:000000000000:alias/app" || aws.ToString(list.Aliases[0].TargetKeyId) != aws.ToString(k2.KeyId) {
		t.Fatalf("ListAliases = %+v, %v", list, err)
	}
	list, _ = e.client.ListAliases(e.ctx, &kmssdk.ListAliasesInput{KeyId: k1.KeyId})
	if len(list.Aliases) != 0 {
		t.Fatalf("k1 still has aliases %+v", list.Aliases)
	}
	_, err = e.client.UpdateAlias(e.ctx, &kmssdk.UpdateAliasInput{AliasName: aws.String("alias/none"), TargetKeyId: k2.KeyId})
	wantType[*types.NotFoundException](t, err)
	if _, err := e.client.DeleteAlias(e.ctx, &kmssdk.DeleteAliasInput{AliasName: aws.String("alias/app")}); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.DeleteAlias(e.ctx, &kmssdk.DeleteAliasInput{AliasName: aws.String("alias/app")})
	wantType[*types.NotFoundException](t, err)
	_, err = e.client.DescribeKey(e.ctx, &kmssdk.DescribeKeyInput{KeyId: aws.String("alias/app")})
	wantType[*types.NotFoundException](t, err)
}

func TestEnableDisable(t *testing.T) {
	e := newEnv(t)
	k := e.key("k")
	blob := e.encrypt(*k.KeyId, "secret", nil)
	if _, err := e.client.DisableKey(e.ctx, &kmssdk.DisableKeyInput{KeyId: k.KeyId}); err != nil {
		t.Fatal(err)
	}
	if s := e.state(*k.KeyId); s != types.KeyStateDisabled {
		t.Fatalf("state %s", s)
	}
	_, err := e.client.Encrypt(e.ctx, &kmssdk.EncryptInput{KeyId: k.KeyId, Plaintext: []byte("x")})
	wantType[*types.DisabledException](t, err)
	_, err = e.client.Decrypt(e.ctx, &kmssdk.DecryptInput{CiphertextBlob: blob})
	wantType[*types.DisabledException](t, err)
	_, err = e.client.GenerateDataKey(e.ctx, &kmssdk.GenerateDataKeyInput{KeyId: k.KeyId, KeySpec: types.DataKeySpecAes256})
	wantType[*types.DisabledException](t, err)
	if _, err := e.client.EnableKey(e.ctx, &kmssdk.EnableKeyInput{KeyId: k.KeyId}); err != nil {
		t.Fatal(err)
	}
	if got := e.decrypt(blob, nil); got != "secret" {
		t.Fatalf("decrypt %q", got)
	}
	_, err = e.client.EnableKey(e.ctx, &kmssdk.EnableKeyInput{KeyId: aws.String("alias/whatever")})
	wantType[*types.NotFoundException](t, err)
}

func TestScheduleDeletionAndRun(t *testing.T) {
	e := newEnv(t)
	k := e.key("doomed")
	keep := e.key("kept")
	if _, err := e.client.CreateAlias(e.ctx, &kmssdk.CreateAliasInput{AliasName: aws.String("alias/doomed"), TargetKeyId: k.KeyId}); err != nil {
		t.Fatal(err)
	}
	blob := e.encrypt(*k.KeyId, "secret", nil)
	for _, days := range []int32{6, 31} {
		_, err := e.client.ScheduleKeyDeletion(e.ctx, &kmssdk.ScheduleKeyDeletionInput{KeyId: k.KeyId, PendingWindowInDays: aws.Int32(days)})
		wantCode(t, err, "ValidationException", "pendingWindowInDays")
	}
	out, err := e.client.ScheduleKeyDeletion(e.ctx, &kmssdk.ScheduleKeyDeletionInput{KeyId: k.KeyId, PendingWindowInDays: aws.Int32(7)})
	if err != nil {
		t.Fatal(err)
	}
	if out.KeyState != types.KeyStatePendingDeletion || aws.ToInt32(out.PendingWindowInDays) != 7 || !out.DeletionDate.Equal(e.clock.Now().Add(7*24*time.Hour)) {
		t.Fatalf("ScheduleKeyDeletion = %+v", out)
	}
	_, err = e.client.Decrypt(e.ctx, &kmssdk.DecryptInput{CiphertextBlob: blob})
	wantType[*types.KMSInvalidStateException](t, err)
	_, err = e.client.Encrypt(e.ctx, &kmssdk.EncryptInput{KeyId: k.KeyId, Plaintext: []byte("x")})
	wantType[*types.KMSInvalidStateException](t, err)
	_, err = e.client.ScheduleKeyDeletion(e.ctx, &kmssdk.ScheduleKeyDeletionInput{KeyId: k.KeyId})
	wantType[*types.KMSInvalidStateException](t, err)

	// Cancel: the key is Disabled, then schedule again (default window: 30 days).
	if _, err := e.client.CancelKeyDeletion(e.ctx, &kmssdk.CancelKeyDeletionInput{KeyId: k.KeyId}); err != nil {
		t.Fatal(err)
	}
	if s := e.state(*k.KeyId); s != types.KeyStateDisabled {
		t.Fatalf("state after cancel %s", s)
	}
	_, err = e.client.CancelKeyDeletion(e.ctx, &kmssdk.CancelKeyDeletionInput{KeyId: k.KeyId})
	wantType[*types.KMSInvalidStateException](t, err)
	out, err = e.client.ScheduleKeyDeletion(e.ctx, &kmssdk.ScheduleKeyDeletionInput{KeyId: k.KeyId})
	if err != nil || aws.ToInt32(out.PendingWindowInDays) != 30 {
		t.Fatalf("ScheduleKeyDeletion = %+v, %v", out, err)
	}

	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan error, 1)
	go func() { done <- e.s.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	e.clock.Advance(29 * 24 * time.Hour)
	time.Sleep(20 * time.Millisecond) // give Run a chance to (wrongly) delete early
	if s := e.state(*k.KeyId); s != types.KeyStatePendingDeletion {
		t.Fatalf("state before the deletion date %s", s)
	}
	e.clock.Advance(24*time.Hour + time.Second)
	waitFor(t, "the key to be deleted", func() bool {
		_, err := e.client.DescribeKey(e.ctx, &kmssdk.DescribeKeyInput{KeyId: k.KeyId})
		return err != nil
	})
	_, err = e.client.DescribeKey(e.ctx, &kmssdk.DescribeKeyInput{KeyId: k.KeyId})
	wantType[*types.NotFoundException](t, err)
	_, err = e.client.DescribeKey(e.ctx, &kmssdk.DescribeKeyInput{KeyId: aws.String("alias/doomed")})
	wantType[*types.NotFoundException](t, err)
	_, err = e.client.Decrypt(e.ctx, &kmssdk.DecryptInput{CiphertextBlob: blob})
	wantType[*types.InvalidCiphertextException](t, err)
	if s := e.state(*keep.KeyId); s != types.KeyStateEnabled {
		t.Fatalf("the other key is %s", s)
	}
}

func TestPoliciesDescriptionTags(t *testing.T) {
	e := newEnv(t)
	k := e.key("old")
	pol := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"kms:*","Resource":"*"}]}`
	if _, err := e.client.PutKeyPolicy(e.ctx, &kmssdk.PutKeyPolicyInput{KeyId: k.KeyId, Policy: aws.String(pol), PolicyName: aws.String("default")}); err != nil {
		t.Fatal(err)
	}
	got, err := e.client.GetKeyPolicy(e.ctx, &kmssdk.GetKeyPolicyInput{KeyId: k.KeyId, PolicyName: aws.String("default")})
	if err != nil || aws.ToString(got.Policy) != pol || aws.ToString(got.PolicyName) != "default" {
		t.Fatalf("GetKeyPolicy = %+v, %v", got, err)
	}
	_, err = e.client.GetKeyPolicy(e.ctx, &kmssdk.GetKeyPolicyInput{KeyId: k.KeyId, PolicyName: aws.String("other")})
	wantType[*types.NotFoundException](t, err)
	_, err = e.client.PutKeyPolicy(e.ctx, &kmssdk.PutKeyPolicyInput{KeyId: k.KeyId, Policy: aws.String(`{"Statement":"x"}`)})
	wantType[*types.MalformedPolicyDocumentException](t, err)
	names, err := e.client.ListKeyPolicies(e.ctx, &kmssdk.ListKeyPoliciesInput{KeyId: k.KeyId})
	if err != nil || len(names.PolicyNames) != 1 || names.PolicyNames[0] != "default" {
		t.Fatalf("ListKeyPolicies = %+v, %v", names, err)
	}
	policy, arn, err := e.s.KeyPolicy(e.ctx, *k.KeyId)
	if err != nil || policy != pol || arn != *k.Arn {
		t.Fatalf("KeyPolicy = %q, %q, %v", policy, arn, err)
	}

	if _, err := e.client.UpdateKeyDescription(e.ctx, &kmssdk.UpdateKeyDescriptionInput{KeyId: k.KeyId, Description: aws.String("new")}); err != nil {
		t.Fatal(err)
	}
	d, _ := e.client.DescribeKey(e.ctx, &kmssdk.DescribeKeyInput{KeyId: k.KeyId})
	if aws.ToString(d.KeyMetadata.Description) != "new" {
		t.Fatalf("description %q", aws.ToString(d.KeyMetadata.Description))
	}

	tag := func(k, v string) types.Tag { return types.Tag{TagKey: aws.String(k), TagValue: aws.String(v)} }
	if _, err := e.client.TagResource(e.ctx, &kmssdk.TagResourceInput{KeyId: k.KeyId, Tags: []types.Tag{tag("b", "1"), tag("a", "2")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.TagResource(e.ctx, &kmssdk.TagResourceInput{KeyId: k.KeyId, Tags: []types.Tag{tag("b", "3")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.UntagResource(e.ctx, &kmssdk.UntagResourceInput{KeyId: k.KeyId, TagKeys: []string{"a"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := e.client.ListResourceTags(e.ctx, &kmssdk.ListResourceTagsInput{KeyId: k.KeyId})
	if err != nil || len(tags.Tags) != 1 || *tags.Tags[0].TagKey != "b" || *tags.Tags[0].TagValue != "3" {
		t.Fatalf("tags = %+v, %v", tags, err)
	}
	_, err = e.client.TagResource(e.ctx, &kmssdk.TagResourceInput{KeyId: k.KeyId, Tags: []types.Tag{tag("aws:x", "1")}})
	wantType[*types.TagException](t, err)
}
