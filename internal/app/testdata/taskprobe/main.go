// Command taskprobe is a test task: it checks that its secret arrived in the
// environment (DB_URL equals EXPECTED) and that the AWS SDK's default credential chain,
// with no other configuration, calls SSM and STS as its task role (ROLE). It exits 0
// when all holds and prints why not otherwise.
package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func main() {
	if err := run(); err != nil {
		fmt.Println("taskprobe:", err)
		os.Exit(1)
	}
	fmt.Println("taskprobe: ok")
}

func run() error {
	if got, want := os.Getenv("DB_URL"), os.Getenv("EXPECTED"); got == "" || got != want {
		return fmt.Errorf("secret DB_URL = %q, want %q", got, want)
	}
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return err
	}
	who, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return fmt.Errorf("GetCallerIdentity: %w", err)
	}
	if !strings.Contains(aws.ToString(who.Arn), ":assumed-role/"+os.Getenv("ROLE")+"/") {
		return fmt.Errorf("running as %s, want the task role %s", aws.ToString(who.Arn), os.Getenv("ROLE"))
	}
	out, err := ssm.NewFromConfig(cfg).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/task/config")})
	if err != nil {
		return fmt.Errorf("GetParameter as the task role: %w", err)
	}
	fmt.Println("taskprobe: config =", aws.ToString(out.Parameter.Value))
	return nil
}
