package cloudformation

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// wideTemplate is n independent Test::Thing resources, each reading a parameter.
func wideTemplate(n int) string {
	var b strings.Builder
	b.WriteString("Parameters:\n  V: {Type: String, Default: v}\nResources:\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "  R%03d:\n    Type: Test::Thing\n    Properties: {Value: !Sub '${V}-%d'}\n", i, i)
	}
	return b.String()
}

// BenchmarkCreateDeleteStack measures a whole stack life: create 20 resources (every
// status change an fsynced store write and an event) and delete them.
func BenchmarkCreateDeleteStack(b *testing.B) {
	e := newEnv(b)
	body := wideTemplate(20)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		name := fmt.Sprintf("bench%d", i)
		out, err := e.s.CreateStack(ctx, &CreateStackInput{StackName: aws.String(name), TemplateBody: aws.String(body)})
		if err != nil {
			b.Fatal(err)
		}
		<-e.s.runningOp(*out.StackId).done
		if _, err := e.s.DeleteStack(ctx, &DeleteStackInput{StackName: out.StackId}); err != nil {
			b.Fatal(err)
		}
		if rs := e.s.runningOp(*out.StackId); rs != nil {
			<-rs.done
		}
	}
}

// BenchmarkPlan100 measures computing a change set for a 100-resource stack whose
// every resource changes.
func BenchmarkPlan100(b *testing.B) {
	e := newEnv(b)
	body := wideTemplate(100)
	ctx := context.Background()
	out, err := e.s.CreateStack(ctx, &CreateStackInput{StackName: aws.String("plan"), TemplateBody: aws.String(body)})
	if err != nil {
		b.Fatal(err)
	}
	<-e.s.runningOp(*out.StackId).done
	st := e.stack("plan")
	prep, err := e.s.prepare(ctx, body, "", []Parameter{{ParameterKey: aws.String("V"), ParameterValue: aws.String("w")}}, &st.stackConfig, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		changes, _, err := e.s.plan(ctx, st, prep)
		if err != nil || len(changes) != 100 {
			b.Fatalf("%v %d", err, len(changes))
		}
	}
}

// BenchmarkDescribeStacks measures describing one stack by name.
func BenchmarkDescribeStacks(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	out, err := e.s.CreateStack(ctx, &CreateStackInput{StackName: aws.String("desc"), TemplateBody: aws.String(wideTemplate(10))})
	if err != nil {
		b.Fatal(err)
	}
	<-e.s.runningOp(*out.StackId).done
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.s.DescribeStacks(ctx, &DescribeStacksInput{StackName: aws.String("desc")}); err != nil {
			b.Fatal(err)
		}
	}
}
