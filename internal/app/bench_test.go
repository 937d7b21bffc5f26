package app_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awsssm "github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// BenchmarkGetParameterDecrypted is GetParameter WithDecryption by an IAM user through
// the whole server (signature, policies, KMS, audit), over loopback.
func BenchmarkGetParameterDecrypted(b *testing.B) {
	s := startServer(b, b.TempDir(), "process")
	ctx := context.Background()
	if _, err := awsssm.NewFromConfig(s.awsConfig()).PutParameter(ctx, &awsssm.PutParameterInput{Name: aws.String("/bench/db"),
		Value: aws.String("bench-secret"), Type: ssmtypes.ParameterTypeSecureString}); err != nil {
		b.Fatal(err)
	}
	id, secret := newUser(b, s, "bench", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"arn:aws:ssm:us-east-1:000000000000:parameter/bench/*"},
		{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}]}`)
	body := []byte(`{"Name":"/bench/db","WithDecryption":true}`)
	req, _ := http.NewRequest("POST", s.app.Endpoint()+"/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AmazonSSM.GetParameter")
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}, req, hex.EncodeToString(sum[:]), "ssm", "us-east-1", time.Now()); err != nil {
		b.Fatal(err)
	}
	header := req.Header.Clone()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r, _ := http.NewRequest("POST", s.app.Endpoint()+"/", bytes.NewReader(body))
			r.Header = header
			resp, err := client.Do(r)
			if err != nil {
				b.Error(err)
				return
			}
			out, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !bytes.Contains(out, []byte("bench-secret")) {
				b.Errorf("%d %s", resp.StatusCode, out)
				return
			}
		}
	})
}
