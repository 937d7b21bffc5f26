// Command ssmbench measures SSM GetParameter WithDecryption against `wharf up`, signed
// and authorized: an IAM user whose policy allows ssm:GetParameter on the parameter and
// kms:Decrypt reads a SecureString from concurrent wrk connections. The request is
// signed once (SigV4 allows replay within its 15-minute window) so that the client's
// own signing does not take the machine's two cores from the server; the server still
// verifies the signature, evaluates the policies, decrypts and audits every request.
//
// It needs wrk (apt-get install wrk).
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	awsssm "github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/wharf-dev/wharf/bench/benchkit"
)

func main() {
	bin := flag.String("bin", "bin/wharf", "the wharf binary")
	conns := flag.String("c", "4,8,16", "wrk connections, comma-separated: one run each")
	d := flag.Duration("d", 10*time.Second, "duration of each run")
	flag.Parse()
	if err := run(*bin, *conns, *d); err != nil {
		fmt.Fprintln(os.Stderr, "ssmbench:", err)
		os.Exit(1)
	}
}

func run(bin, conns string, d time.Duration) error {
	w, err := benchkit.Start(bin)
	if err != nil {
		return err
	}
	defer w.Stop()
	ctx := context.Background()
	const secret = "postgres://app:bench-secret@db/app"
	if _, err := awsssm.NewFromConfig(w.Config()).PutParameter(ctx, &awsssm.PutParameterInput{Name: aws.String("/bench/db"),
		Value: aws.String(secret), Type: ssmtypes.ParameterTypeSecureString}); err != nil {
		return fmt.Errorf("put parameter: %w", err)
	}
	ic := awsiam.NewFromConfig(w.Config())
	if _, err := ic.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("bench")}); err != nil {
		return err
	}
	if _, err := ic.PutUserPolicy(ctx, &awsiam.PutUserPolicyInput{UserName: aws.String("bench"), PolicyName: aws.String("read"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"arn:aws:ssm:us-east-1:000000000000:parameter/bench/*"},
			{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}]}`)}); err != nil {
		return err
	}
	key, err := ic.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String("bench")})
	if err != nil {
		return err
	}
	user := aws.Credentials{AccessKeyID: aws.ToString(key.AccessKey.AccessKeyId), SecretAccessKey: aws.ToString(key.AccessKey.SecretAccessKey)}
	req, err := benchkit.Sign(user, w.Endpoint, "/", "ssm", map[string]string{
		"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AmazonSSM.GetParameter",
	}, []byte(`{"Name":"/bench/db","WithDecryption":true}`))
	if err != nil {
		return err
	}
	out, err := req.Do()
	if err != nil {
		return fmt.Errorf("GetParameter as the bench user: %w", err)
	}
	if !bytes.Contains(out, []byte("bench-secret")) {
		return fmt.Errorf("GetParameter answered %s", out)
	}
	fmt.Printf("GetParameter WithDecryption, signed by an IAM user, authorized, audited; wrk -t2, %v per run\n", d)
	for _, c := range strings.Split(conns, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil {
			return fmt.Errorf("-c %q: %w", conns, err)
		}
		if _, err := benchkit.Wrk(req, n, 2*time.Second); err != nil { // warm-up
			return err
		}
		cpu := benchkit.CPUOf(w.Pid)
		res, err := benchkit.Wrk(req, n, d)
		if err != nil {
			return err
		}
		cpu = benchkit.CPUOf(w.Pid) - cpu
		fmt.Printf("connections: %d  requests: %d  req/s: %.0f  p50: %s  p99: %s  wharf CPU per request: %.1f µs\n",
			n, res.Requests, res.PerSec, res.P50, res.P99, float64(cpu.Microseconds())/float64(res.Requests))
	}
	return nil
}
