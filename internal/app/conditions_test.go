package app_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	awsssm "github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"
)

// denied fails the test unless err is an AccessDeniedException.
func denied(t *testing.T, what string, err error) {
	t.Helper()
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDeniedException" {
		t.Fatalf("%s: got %v, want AccessDeniedException", what, err)
	}
}

// TestConditionKeys: aws:ResourceTag, aws:RequestTag, ssm:Overwrite and
// kms:EncryptionContext conditions in identity policies see the tags of the resource
// and of the request, the call's options and its encryption context.
func TestConditionKeys(t *testing.T) {
	s := startServer(t, t.TempDir(), "process")
	ctx := context.Background()
	root := awsssm.NewFromConfig(s.awsConfig())
	for name, team := range map[string]string{"/app/web/url": "web", "/app/db/url": "db"} {
		if _, err := root.PutParameter(ctx, &awsssm.PutParameterInput{Name: aws.String(name), Value: aws.String("v-" + team),
			Type: ssmtypes.ParameterTypeString, Tags: []ssmtypes.Tag{{Key: aws.String("team"), Value: aws.String(team)}}}); err != nil {
			t.Fatal(err)
		}
	}
	id, secret := newUser(t, s, "web", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"web"}}},
		{"Effect":"Allow","Action":"ssm:PutParameter","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/team":"web"}}},
		{"Effect":"Deny","Action":"ssm:PutParameter","Resource":"*","Condition":{"Bool":{"ssm:Overwrite":"true"}}},
		{"Effect":"Allow","Action":["kms:Encrypt","kms:Decrypt"],"Resource":"*","Condition":{"StringEquals":{"kms:EncryptionContext:app":"web"}}}]}`)
	web := s.configAs(id, secret, "")
	ssmc := awsssm.NewFromConfig(web)
	if out, err := ssmc.GetParameter(ctx, &awsssm.GetParameterInput{Name: aws.String("/app/web/url")}); err != nil || aws.ToString(out.Parameter.Value) != "v-web" {
		t.Fatalf("GetParameter of a parameter tagged team=web: %v", err)
	}
	_, err := ssmc.GetParameter(ctx, &awsssm.GetParameterInput{Name: aws.String("/app/db/url")})
	denied(t, "GetParameter of a parameter tagged team=db", err)

	put := func(name, team string) error {
		_, err := ssmc.PutParameter(ctx, &awsssm.PutParameterInput{Name: aws.String(name), Value: aws.String("x"), Type: ssmtypes.ParameterTypeString,
			Tags: []ssmtypes.Tag{{Key: aws.String("team"), Value: aws.String(team)}}})
		return err
	}
	if err := put("/app/web/new", "web"); err != nil {
		t.Fatalf("PutParameter tagging team=web: %v", err)
	}
	denied(t, "PutParameter tagging team=db", put("/app/web/other", "db"))
	_, err = ssmc.PutParameter(ctx, &awsssm.PutParameterInput{Name: aws.String("/app/web/new"), Value: aws.String("y"), Overwrite: aws.Bool(true)})
	denied(t, "PutParameter with Overwrite, denied on ssm:Overwrite", err)

	key, err := awskms.NewFromConfig(s.awsConfig()).CreateKey(ctx, &awskms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	kmsc := awskms.NewFromConfig(web)
	enc, err := kmsc.Encrypt(ctx, &awskms.EncryptInput{KeyId: key.KeyMetadata.KeyId, Plaintext: []byte("p"), EncryptionContext: map[string]string{"app": "web"}})
	if err != nil {
		t.Fatalf("Encrypt with app=web: %v", err)
	}
	if _, err := kmsc.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: map[string]string{"app": "web"}}); err != nil {
		t.Fatalf("Decrypt with app=web: %v", err)
	}
	_, err = kmsc.Encrypt(ctx, &awskms.EncryptInput{KeyId: key.KeyMetadata.KeyId, Plaintext: []byte("p"), EncryptionContext: map[string]string{"app": "db"}})
	denied(t, "Encrypt with app=db", err)
}

// TestGrants: a KMS grant gives a user with no KMS permission the operations it lists,
// within its encryption context constraint, until it is revoked.
func TestGrants(t *testing.T) {
	s := startServer(t, t.TempDir(), "process")
	ctx := context.Background()
	admin := awskms.NewFromConfig(s.awsConfig())
	key, err := admin.CreateKey(ctx, &awskms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	keyID := key.KeyMetadata.KeyId
	webCtx := map[string]string{"app": "web", "env": "prod"}
	enc, err := admin.Encrypt(ctx, &awskms.EncryptInput{KeyId: keyID, Plaintext: []byte("granted"), EncryptionContext: webCtx})
	if err != nil {
		t.Fatal(err)
	}
	other, err := admin.Encrypt(ctx, &awskms.EncryptInput{KeyId: keyID, Plaintext: []byte("other"), EncryptionContext: map[string]string{"app": "db"}})
	if err != nil {
		t.Fatal(err)
	}
	id, secret := newUser(t, s, "grantee", "")
	user := awskms.NewFromConfig(s.configAs(id, secret, ""))
	_, err = user.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: webCtx})
	denied(t, "Decrypt before the grant", err)

	g, err := admin.CreateGrant(ctx, &awskms.CreateGrantInput{KeyId: keyID, GranteePrincipal: aws.String("arn:aws:iam::000000000000:user/grantee"),
		Operations:  []kmstypes.GrantOperation{kmstypes.GrantOperationDecrypt},
		Constraints: &kmstypes.GrantConstraints{EncryptionContextSubset: map[string]string{"app": "web"}}})
	if err != nil {
		t.Fatal(err)
	}
	dec, err := user.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: webCtx})
	if err != nil || string(dec.Plaintext) != "granted" {
		t.Fatalf("Decrypt under the grant: %v", err)
	}
	_, err = user.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: other.CiphertextBlob, EncryptionContext: map[string]string{"app": "db"}})
	denied(t, "Decrypt outside the grant's constraint", err)
	_, err = user.Encrypt(ctx, &awskms.EncryptInput{KeyId: keyID, Plaintext: []byte("x"), EncryptionContext: webCtx})
	denied(t, "Encrypt, which the grant does not list", err)

	if _, err := admin.RevokeGrant(ctx, &awskms.RevokeGrantInput{KeyId: keyID, GrantId: g.GrantId}); err != nil {
		t.Fatal(err)
	}
	_, err = user.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: webCtx})
	denied(t, "Decrypt after RevokeGrant", err)
}

// TestPassRole: giving a task a role takes iam:PassRole on that role, as on AWS.
func TestPassRole(t *testing.T) {
	s := startServer(t, t.TempDir(), "process")
	ctx := context.Background()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	if _, err := awsiam.NewFromConfig(s.awsConfig()).CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("app"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ecs.RegisterTaskDefinition(ctx, &awsecs.RegisterTaskDefinitionInput{
		Family: aws.String("roled"), TaskRoleArn: aws.String("arn:aws:iam::000000000000:role/app"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("p"), Image: aws.String("process:" + probeBin), Memory: aws.Int32(16)}},
	}); err != nil {
		t.Fatal(err)
	}
	run := func(doc string) error {
		t.Helper()
		name := fmt.Sprintf("deployer%d", len(doc))
		id, secret := newUser(t, s, name, doc)
		_, err := awsecs.NewFromConfig(s.configAs(id, secret, "")).RunTask(ctx, &awsecs.RunTaskInput{TaskDefinition: aws.String("roled")})
		return err
	}
	err := run(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecs:RunTask","Resource":"*"}]}`)
	denied(t, "RunTask of a task definition with a task role, without iam:PassRole", err)
	if !strings.Contains(err.Error(), "iam:PassRole") {
		t.Errorf("the denial does not name iam:PassRole: %v", err)
	}
	if err := run(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecs:RunTask","Resource":"*"},
		{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::000000000000:role/app","Condition":{"StringEquals":{"iam:PassedToService":"ecs-tasks.amazonaws.com"}}}]}`); err != nil {
		t.Fatalf("RunTask with iam:PassRole on the role: %v", err)
	}
}
