package app_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
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
	replay(b, s, aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}, "ssm",
		map[string]string{"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AmazonSSM.GetParameter"},
		[]byte(`{"Name":"/bench/db","WithDecryption":true}`), []byte("bench-secret"))
}

// BenchmarkPutMetricData is PutMetricData of 1,000 datapoints per call, as the aws CLI
// sends it (awsJson1_0), through the whole server; b.N counts calls.
func BenchmarkPutMetricData(b *testing.B) {
	s := startServer(b, b.TempDir(), "process")
	var data []map[string]any
	for i := 0; i < 1000; i++ {
		data = append(data, map[string]any{"MetricName": fmt.Sprintf("m%d", i%20), "Value": float64(i),
			"Dimensions": []map[string]string{{"Name": "host", "Value": fmt.Sprintf("h%d", i%50)}}})
	}
	body, _ := json.Marshal(map[string]any{"Namespace": "Bench", "MetricData": data})
	creds, _ := s.awsConfig().Credentials.Retrieve(context.Background())
	replay(b, s, creds, "monitoring", map[string]string{"Content-Type": "application/x-amz-json-1.0",
		"X-Amz-Target": "GraniteServiceVersion20100801.PutMetricData", "X-Amzn-Query-Mode": "true"}, body, nil)
}

// replay signs one request and sends it b.N times from parallel clients, checking that
// each answer is a 200 that contains want.
func replay(b *testing.B, s *server, creds aws.Credentials, signingName string, headers map[string]string, body, want []byte) {
	ctx := context.Background()
	req, _ := http.NewRequest("POST", s.app.Endpoint()+"/", bytes.NewReader(body))
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), signingName, "us-east-1", time.Now()); err != nil {
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
			if resp.StatusCode != 200 || !bytes.Contains(out, want) {
				b.Errorf("%d %s", resp.StatusCode, out)
				return
			}
		}
	})
}
