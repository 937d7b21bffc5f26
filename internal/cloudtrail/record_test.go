package cloudtrail

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ct "github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/wharf-dev/wharf/internal/awsapi"
)

// Typed inputs and outputs shaped like the services' own, with their secrets tagged.
type ssmGetParameterInput struct {
	Name           *string `json:"Name"`
	WithDecryption *bool   `json:"WithDecryption,omitempty"`
}

type ssmParameter struct {
	Name    *string `json:"Name,omitempty"`
	Value   *string `json:"Value,omitempty" sensitive:"true"`
	Version int64   `json:"Version,omitempty"`
}

type ssmGetParameterOutput struct {
	Parameter *ssmParameter `json:"Parameter,omitempty"`
}

type ssmPutParameterInput struct {
	Name      *string        `json:"Name"`
	Value     *string        `json:"Value" sensitive:"true"`
	Type      string         `json:"Type,omitempty"`
	KeyId     *string        `json:"KeyId,omitempty"`
	Overwrite *bool          `json:"Overwrite,omitempty"`
	Extra     []ssmParameter `json:"Extra,omitempty"`
}

type ssmPutParameterOutput struct {
	Version int64  `json:"Version"`
	Tier    string `json:"Tier"`
}

type kmsEncryptInput struct {
	KeyId             *string           `json:"KeyId"`
	Plaintext         []byte            `json:"Plaintext" sensitive:"true"`
	EncryptionContext map[string]string `json:"EncryptionContext,omitempty"`
}

type kmsGenerateDataKeyOutput struct {
	KeyId          *string `json:"KeyId"`
	Plaintext      []byte  `json:"Plaintext" sensitive:"true"`
	CiphertextBlob []byte  `json:"CiphertextBlob"`
}

type iamAccessKey struct {
	UserName        string    `json:"UserName"`
	AccessKeyId     string    `json:"AccessKeyId"`
	SecretAccessKey string    `json:"SecretAccessKey" sensitive:"true"`
	CreateDate      time.Time `json:"CreateDate"`
}

type iamCreateAccessKeyOutput struct {
	AccessKey iamAccessKey `json:"AccessKey"`
}

// The secrets no stored byte, lookup answer or log file may contain.
var secrets = []string{"s3cr3t-ssm-value", "nested-s3cr3t", "plain-kms-text", "data-key-plaintext", "wJalrXUtnFEMI-SECRETKEY"}

// secretCalls are calls that carry every secret.
func secretCalls() []awsapi.Call {
	keyARN := "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	return []awsapi.Call{
		{Service: "ssm", Operation: "PutParameter", Principal: aliceP, SourceIP: "10.0.0.1", UserAgent: "aws-sdk-go-v2/1.0",
			Input: &ssmPutParameterInput{Name: aws.String("/app/web/db"), Value: aws.String("s3cr3t-ssm-value"), Type: "SecureString",
				KeyId: aws.String(keyARN), Extra: []ssmParameter{{Name: aws.String("x"), Value: aws.String("nested-s3cr3t")}}},
			Output: &ssmPutParameterOutput{Version: 1, Tier: "Standard"}},
		{Service: "ssm", Operation: "GetParameter", Principal: roleP, ReadOnly: true,
			Input:  &ssmGetParameterInput{Name: aws.String("/app/web/db"), WithDecryption: aws.Bool(true)},
			Output: &ssmGetParameterOutput{Parameter: &ssmParameter{Name: aws.String("/app/web/db"), Value: aws.String("s3cr3t-ssm-value"), Version: 1}}},
		{Service: "kms", Operation: "Encrypt", Principal: rootP,
			Input: &kmsEncryptInput{KeyId: aws.String(keyARN), Plaintext: []byte("plain-kms-text"), EncryptionContext: map[string]string{"app": "web"}}},
		{Service: "kms", Operation: "GenerateDataKey", Principal: rootP,
			Input:  &kmsEncryptInput{KeyId: aws.String(keyARN)},
			Output: &kmsGenerateDataKeyOutput{KeyId: aws.String(keyARN), Plaintext: []byte("data-key-plaintext"), CiphertextBlob: []byte("ciphertext")}},
		{Service: "iam", Operation: "CreateAccessKey", Principal: rootP,
			Output: &iamCreateAccessKeyOutput{AccessKey: iamAccessKey{UserName: "alice", AccessKeyId: "AKIANEW", SecretAccessKey: "wJalrXUtnFEMI-SECRETKEY", CreateDate: t0}}},
		{Service: "ssm", Operation: "GetParameter", Principal: aliceP, ReadOnly: true,
			Input: &ssmGetParameterInput{Name: aws.String("/app/other")},
			Err:   &awsapi.Error{Code: "AccessDeniedException", Message: "User: arn:aws:iam::000000000000:user/dev/alice is not authorized to perform: ssm:GetParameter"}},
	}
}

// assertNoSecret fails if b holds any secret, in clear or base64.
func assertNoSecret(t *testing.T, where string, b []byte) {
	t.Helper()
	for _, s := range secrets {
		if bytes.Contains(b, []byte(s)) || bytes.Contains(b, []byte(base64.StdEncoding.EncodeToString([]byte(s)))) {
			t.Errorf("%s contains the secret %q", where, s)
		}
	}
}

func TestSecretsNeverStored(t *testing.T) {
	e := newEnv(t)
	if _, err := e.client.CreateTrail(e.ctx, &ct.CreateTrailInput{Name: aws.String("audit"), S3BucketName: aws.String("bucket")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.StartLogging(e.ctx, &ct.StartLoggingInput{Name: aws.String("audit")}); err != nil {
		t.Fatal(err)
	}
	for i, c := range secretCalls() {
		c.Time = t0.Add(-time.Duration(10-i) * time.Minute)
		c.RequestID = "req"
		e.s.Record(c)
	}
	e.flush()

	out, err := e.client.LookupEvents(e.ctx, &ct.LookupEventsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Events) != len(secretCalls()) {
		t.Fatalf("got %d events, want %d", len(out.Events), len(secretCalls()))
	}
	all, _ := json.Marshal(out.Events)
	assertNoSecret(t, "LookupEvents", all)
	if !contains(all, Hidden) {
		t.Errorf("LookupEvents shows no %s: %s", Hidden, all)
	}

	// The store file, byte by byte.
	raw, err := os.ReadFile(e.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte("/app/web/db")) {
		t.Fatal("the store does not hold the events at all: the secret check proves nothing")
	}
	assertNoSecret(t, "the store file", raw)

	// The delivered log files.
	files := logFiles(t, filepath.Join(e.dir, "logs"))
	if len(files) == 0 {
		t.Fatal("no log file delivered")
	}
	for _, f := range files {
		assertNoSecret(t, f, gunzip(t, f))
	}
}

func TestRecordContents(t *testing.T) {
	e := newEnv(t)
	for i, c := range secretCalls() {
		c.Time = t0.Add(-time.Duration(10-i) * time.Minute)
		c.RequestID = "req-" + c.Operation
		c.Region = "eu-west-1"
		e.s.Record(c)
	}
	e.flush()
	out, err := e.client.LookupEvents(e.ctx, &ct.LookupEventsInput{})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]map[string]any{}
	for _, ev := range out.Events {
		var r map[string]any
		if err := json.Unmarshal([]byte(aws.ToString(ev.CloudTrailEvent)), &r); err != nil {
			t.Fatal(err)
		}
		key := aws.ToString(ev.EventName)
		if r["errorCode"] != nil {
			key += "-denied"
		}
		byName[key] = r
	}
	get := func(m map[string]any, path ...string) any {
		var v any = m
		for _, p := range path {
			mm, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = mm[p]
		}
		return v
	}
	tests := []struct {
		event string
		path  []string
		want  any
	}{
		{"PutParameter", []string{"eventVersion"}, "1.09"},
		{"PutParameter", []string{"eventSource"}, "ssm.amazonaws.com"},
		{"PutParameter", []string{"awsRegion"}, "eu-west-1"},
		{"PutParameter", []string{"eventTime"}, "2025-06-01T11:50:00Z"},
		{"PutParameter", []string{"sourceIPAddress"}, "10.0.0.1"},
		{"PutParameter", []string{"userAgent"}, "aws-sdk-go-v2/1.0"},
		{"PutParameter", []string{"requestID"}, "req-PutParameter"},
		{"PutParameter", []string{"eventType"}, "AwsApiCall"},
		{"PutParameter", []string{"managementEvent"}, true},
		{"PutParameter", []string{"eventCategory"}, "Management"},
		{"PutParameter", []string{"recipientAccountId"}, "000000000000"},
		{"PutParameter", []string{"readOnly"}, false},
		{"PutParameter", []string{"userIdentity", "type"}, "IAMUser"},
		{"PutParameter", []string{"userIdentity", "userName"}, "alice"},
		{"PutParameter", []string{"userIdentity", "principalId"}, "AIDAALICE"},
		{"PutParameter", []string{"userIdentity", "accessKeyId"}, "AKIAALICE000"},
		{"PutParameter", []string{"requestParameters", "name"}, "/app/web/db"},
		{"PutParameter", []string{"requestParameters", "value"}, Hidden},
		{"PutParameter", []string{"requestParameters", "type"}, "SecureString"},
		{"PutParameter", []string{"responseElements", "version"}, 1.0},
		{"GetParameter", []string{"userIdentity", "type"}, "AssumedRole"},
		{"GetParameter", []string{"userIdentity", "sessionContext", "sessionIssuer", "arn"}, "arn:aws:iam::000000000000:role/web"},
		{"GetParameter", []string{"userIdentity", "sessionContext", "sessionIssuer", "principalId"}, "AROAWEB"},
		{"GetParameter", []string{"userIdentity", "sessionContext", "sessionIssuer", "userName"}, "web"},
		{"GetParameter", []string{"requestParameters", "withDecryption"}, true},
		{"GetParameter", []string{"responseElements"}, nil},
		{"GetParameter", []string{"readOnly"}, true},
		{"GetParameter-denied", []string{"errorCode"}, "AccessDeniedException"},
		{"Encrypt", []string{"userIdentity", "type"}, "Root"},
		{"Encrypt", []string{"userIdentity", "principalId"}, "000000000000"},
		{"Encrypt", []string{"requestParameters", "plaintext"}, Hidden},
		{"Encrypt", []string{"requestParameters", "encryptionContext", "app"}, "web"},
		{"GenerateDataKey", []string{"responseElements", "plaintext"}, Hidden},
		{"GenerateDataKey", []string{"responseElements", "ciphertextBlob"}, nil},
		{"CreateAccessKey", []string{"responseElements", "accessKey", "secretAccessKey"}, Hidden},
		{"CreateAccessKey", []string{"responseElements", "accessKey", "createDate"}, "2025-06-01T12:00:00Z"},
		{"CreateAccessKey", []string{"requestParameters"}, nil},
	}
	for _, tc := range tests {
		r := byName[tc.event]
		if r == nil {
			t.Fatalf("no %s event", tc.event)
		}
		if got := get(r, tc.path...); got != tc.want {
			t.Errorf("%s %v = %#v, want %#v", tc.event, tc.path, got, tc.want)
		}
	}
	if id, _ := byName["Encrypt"]["eventID"].(string); len(id) != 36 {
		t.Errorf("eventID %q is not a UUID", id)
	}
}

func TestIdentities(t *testing.T) {
	tests := []struct {
		name string
		p    *awsapi.Principal
		typ  string
		user string
	}{
		{"root", rootP, "Root", "root"},
		{"user", aliceP, "IAMUser", "alice"},
		{"role", roleP, "AssumedRole", "task-1"},
		{"service", &awsapi.Principal{ARN: "ecs-tasks.amazonaws.com"}, "AWSService", "ecs-tasks.amazonaws.com"},
		{"anonymous", nil, "Unknown", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := identityOf(tc.p, "000000000000")
			if id.Type != tc.typ || usernameOf(id) != tc.user {
				t.Errorf("type %q user %q, want %q %q", id.Type, usernameOf(id), tc.typ, tc.user)
			}
		})
	}
}

// logFiles lists the .json.gz files under dir.
func logFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Ext(p) == ".gz" {
			out = append(out, p)
		}
		return nil
	})
	return out
}

func gunzip(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return b
}

var _ = types.LookupAttributeKeyEventId
