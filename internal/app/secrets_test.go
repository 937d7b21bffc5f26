package app_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsct "github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	awsssm "github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"
)

// TestLeastPrivilegeSecrets is the story: a user allowed ssm:GetParameter on
// parameter/app/web/* and kms:Decrypt on one key reads those SecureStrings and is
// denied everything else; every attempt is in CloudTrail, and no secret is anywhere
// on disk or in the audit log.
func TestLeastPrivilegeSecrets(t *testing.T) {
	dataDir := t.TempDir()
	s := startServer(t, dataDir, "process")
	ctx := context.Background()
	kc := awskms.NewFromConfig(s.awsConfig())
	key := func() string {
		out, err := kc.CreateKey(ctx, &awskms.CreateKeyInput{Description: aws.String("test")})
		if err != nil {
			t.Fatalf("CreateKey: %v", err)
		}
		return aws.ToString(out.KeyMetadata.Arn)
	}
	webKey, otherKey := key(), key()
	root := awsssm.NewFromConfig(s.awsConfig())
	secrets := map[string]string{
		"/app/web/db":       "postgres://web:s3cr3t-web-db@db/web",
		"/app/web/other":    "s3cr3t-under-another-key",
		"/app/admin/secret": "s3cr3t-admin-only",
	}
	keys := map[string]string{"/app/web/db": webKey, "/app/web/other": otherKey, "/app/admin/secret": webKey}
	for name, value := range secrets {
		_, err := root.PutParameter(ctx, &awsssm.PutParameterInput{Name: aws.String(name), Value: aws.String(value),
			Type: ssmtypes.ParameterTypeSecureString, KeyId: aws.String(keys[name])})
		if err != nil {
			t.Fatalf("PutParameter %s: %v", name, err)
		}
	}
	id, secret := newUser(t, s, "web", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"arn:aws:ssm:us-east-1:000000000000:parameter/app/web/*"},
		{"Effect":"Allow","Action":"kms:Decrypt","Resource":"`+webKey+`"}]}`)
	user := awsssm.NewFromConfig(s.configAs(id, secret, ""))

	got, err := user.GetParameter(ctx, &awsssm.GetParameterInput{Name: aws.String("/app/web/db"), WithDecryption: aws.Bool(true)})
	if err != nil || aws.ToString(got.Parameter.Value) != secrets["/app/web/db"] {
		t.Fatalf("allowed GetParameter: %v", err)
	}
	for name, why := range map[string]string{"/app/web/other": "kms:Decrypt", "/app/admin/secret": "ssm:GetParameter"} {
		_, err := user.GetParameter(ctx, &awsssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
		var apiErr smithy.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDeniedException" || !strings.Contains(apiErr.ErrorMessage(), why) {
			t.Fatalf("GetParameter %s: %v, want AccessDeniedException about %s", name, err, why)
		}
	}
	if _, err := user.PutParameter(ctx, &awsssm.PutParameterInput{Name: aws.String("/app/web/new"), Value: aws.String("x"), Type: ssmtypes.ParameterTypeString}); err == nil {
		t.Fatal("PutParameter succeeded without permission")
	}
	if _, err := awskms.NewFromConfig(s.configAs(id, secret, "")).ListKeys(ctx, &awskms.ListKeysInput{}); err == nil {
		t.Fatal("ListKeys succeeded without permission")
	}

	// Every attempt, allowed or denied, is in CloudTrail, without a secret.
	ct := awsct.NewFromConfig(s.awsConfig())
	events, err := ct.LookupEvents(ctx, &awsct.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{{
		AttributeKey: cttypes.LookupAttributeKeyUsername, AttributeValue: aws.String("web")}}})
	if err != nil {
		t.Fatalf("LookupEvents: %v", err)
	}
	var allowed, denied int
	for _, e := range events.Events {
		raw := aws.ToString(e.CloudTrailEvent)
		for _, v := range secrets {
			if strings.Contains(raw, v) {
				t.Fatalf("CloudTrail event holds a secret: %s", raw)
			}
		}
		if aws.ToString(e.EventName) == "GetParameter" {
			if strings.Contains(raw, `"errorCode":"AccessDenied`) {
				denied++
			} else {
				allowed++
			}
		}
	}
	if allowed != 1 || denied != 2 {
		t.Fatalf("CloudTrail has %d allowed and %d denied GetParameter events of user web, want 1 and 2 (%d events)", allowed, denied, len(events.Events))
	}

	// No file of the data dir holds a plaintext secret.
	s.stop()
	err = filepath.WalkDir(dataDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, v := range secrets {
			if bytes.Contains(raw, []byte(v)) {
				t.Errorf("%s holds the plaintext of a SecureString", path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestKeyPolicies: KMS evaluates the key policy together with IAM. A key whose policy
// names only bob can be used by bob without any IAM policy, and not by alice even
// though her IAM policy allows every KMS action.
func TestKeyPolicies(t *testing.T) {
	s := startServer(t, t.TempDir(), "process")
	ctx := context.Background()
	aliceID, aliceSecret := newUser(t, s, "alice", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}`)
	bobID, bobSecret := newUser(t, s, "bob", "")
	keyPolicy := `{"Version":"2012-10-17","Statement":[
		{"Sid":"bob","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:user/bob"},"Action":["kms:Encrypt","kms:Decrypt"],"Resource":"*"},
		{"Sid":"admin","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:user/admin"},"Action":"kms:*","Resource":"*"}]}`
	out, err := awskms.NewFromConfig(s.awsConfig()).CreateKey(ctx, &awskms.CreateKeyInput{Policy: aws.String(keyPolicy), BypassPolicyLockoutSafetyCheck: true})
	if err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	keyID := out.KeyMetadata.KeyId
	bob := awskms.NewFromConfig(s.configAs(bobID, bobSecret, ""))
	enc, err := bob.Encrypt(ctx, &awskms.EncryptInput{KeyId: keyID, Plaintext: []byte("for bob")})
	if err != nil {
		t.Fatalf("bob's Encrypt, allowed by the key policy alone: %v", err)
	}
	if dec, err := bob.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: enc.CiphertextBlob}); err != nil || string(dec.Plaintext) != "for bob" {
		t.Fatalf("bob's Decrypt: %v", err)
	}
	_, err = awskms.NewFromConfig(s.configAs(aliceID, aliceSecret, "")).Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDeniedException" {
		t.Fatalf("alice's Decrypt on a key whose policy does not delegate to IAM: %v", err)
	}
}

// TestTaskSecretsAndRole: a task's process reads the secret ECS injected with the
// execution role's permissions and, with the SDK's default credential chain and no
// other configuration, calls SSM as its task role; a secret the execution role may not
// read stops the task before it starts.
func TestTaskSecretsAndRole(t *testing.T) {
	t.Run("process", func(t *testing.T) { testTaskSecretsAndRole(t, "process", "process:"+taskProbeBin, nil) })
	// A bridge-mode container reaches the credentials endpoint at ECS's link-local
	// address, as on ECS.
	t.Run("docker", func(t *testing.T) {
		requireDocker(t)
		testTaskSecretsAndRole(t, "docker", exampleImage, []string{"/taskprobe"})
	})
}

func testTaskSecretsAndRole(t *testing.T, driver, image string, entryPoint []string) {
	s := startServer(t, t.TempDir(), driver)
	ctx := context.Background()
	root := awsssm.NewFromConfig(s.awsConfig())
	const dbURL = "postgres://app:task-secret@db/app"
	for name, p := range map[string]struct {
		value string
		typ   ssmtypes.ParameterType
	}{"/app/web/db": {dbURL, ssmtypes.ParameterTypeSecureString}, "/app/admin/key": {"admin", ssmtypes.ParameterTypeSecureString},
		"/app/task/config": {"feature=on", ssmtypes.ParameterTypeString}} {
		if _, err := root.PutParameter(ctx, &awsssm.PutParameterInput{Name: aws.String(name), Value: aws.String(p.value), Type: p.typ}); err != nil {
			t.Fatal(err)
		}
	}
	ic := awsiam.NewFromConfig(s.awsConfig())
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	for role, doc := range map[string]string{
		"exec": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:GetParameters","Resource":"arn:aws:ssm:us-east-1:000000000000:parameter/app/web/*"}]}`,
		"app":  `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"arn:aws:ssm:us-east-1:000000000000:parameter/app/task/*"}]}`,
	} {
		if _, err := ic.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String(role), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
			t.Fatal(err)
		}
		if _, err := ic.PutRolePolicy(ctx, &awsiam.PutRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)}); err != nil {
			t.Fatal(err)
		}
	}
	run := func(family, secretFrom string) ecstypes.Task {
		t.Helper()
		_, err := s.ecs.RegisterTaskDefinition(ctx, &awsecs.RegisterTaskDefinitionInput{
			Family:           aws.String(family),
			ExecutionRoleArn: aws.String("arn:aws:iam::000000000000:role/exec"),
			TaskRoleArn:      aws.String("arn:aws:iam::000000000000:role/app"),
			ContainerDefinitions: []ecstypes.ContainerDefinition{{
				Name: aws.String("probe"), Image: aws.String(image), EntryPoint: entryPoint, Memory: aws.Int32(32),
				Secrets:     []ecstypes.Secret{{Name: aws.String("DB_URL"), ValueFrom: aws.String(secretFrom)}},
				Environment: []ecstypes.KeyValuePair{{Name: aws.String("EXPECTED"), Value: aws.String(dbURL)}, {Name: aws.String("ROLE"), Value: aws.String("app")}},
			}},
		})
		if err != nil {
			t.Fatal(err)
		}
		out, err := s.ecs.RunTask(ctx, &awsecs.RunTaskInput{TaskDefinition: aws.String(family)})
		if err != nil || len(out.Tasks) != 1 {
			t.Fatalf("RunTask: %v", err)
		}
		arn := aws.ToString(out.Tasks[0].TaskArn)
		var task ecstypes.Task
		eventually(t, 60*time.Second, family+" stopped", func() error {
			d, err := s.ecs.DescribeTasks(ctx, &awsecs.DescribeTasksInput{Tasks: []string{arn}})
			if err != nil {
				return err
			}
			task = d.Tasks[0]
			if aws.ToString(task.LastStatus) != "STOPPED" {
				return fmt.Errorf("lastStatus %s", aws.ToString(task.LastStatus))
			}
			return nil
		})
		return task
	}
	ok := run("probe", "/app/web/db")
	if c := ok.Containers[0]; aws.ToInt32(c.ExitCode) != 0 {
		t.Fatalf("taskprobe exited %d (reason %q): see its log in the test output", aws.ToInt32(c.ExitCode), aws.ToString(ok.StoppedReason))
	}
	bad := run("forbidden", "/app/admin/key")
	if bad.StopCode != ecstypes.TaskStopCodeTaskFailedToStart || !strings.Contains(aws.ToString(bad.StoppedReason), "ResourceInitializationError") ||
		!strings.Contains(aws.ToString(bad.StoppedReason), "AccessDenied") {
		t.Fatalf("a task whose secret the execution role may not read: %s %q", bad.StopCode, aws.ToString(bad.StoppedReason))
	}
}
