package cloudtrail

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

func TestResources(t *testing.T) {
	e := newEnv(t)
	arn := "arn:aws:cloudtrail:" + e.s.region + ":" + e.s.account + ":trail/main"
	other := "arn:aws:cloudtrail:eu-west-1:111122223333:trail/far"
	tests := []struct {
		op   string
		in   any
		want []string
	}{
		{"CreateTrail", &CreateTrailInput{Name: aws.String("main")}, []string{arn}},
		{"CreateTrail", &CreateTrailInput{}, nil},
		{"UpdateTrail", &UpdateTrailInput{Name: aws.String(arn)}, []string{arn}},
		{"DeleteTrail", &NameInput{Name: aws.String("main")}, []string{arn}},
		{"GetTrail", &NameInput{Name: aws.String(other)}, []string{other}},
		{"GetTrailStatus", &NameInput{Name: aws.String("main")}, []string{arn}},
		{"StartLogging", &NameInput{Name: aws.String("main")}, []string{arn}},
		{"StopLogging", &NameInput{Name: aws.String(arn)}, []string{arn}},
		{"StopLogging", &NameInput{Name: aws.String("")}, nil},
		// An ARN of this region and account is resolved by its name whatever its
		// partition: it is authorized as the trail's own ARN.
		{"StopLogging", &NameInput{Name: aws.String("arn:aws-cn:cloudtrail:" + e.s.region + ":" + e.s.account + ":trail/main")}, []string{arn}},
		{"UpdateTrail", &UpdateTrailInput{Name: aws.String("arn:aws-cn:cloudtrail:" + e.s.region + ":" + e.s.account + ":trail/main")}, []string{arn}},
		{"DescribeTrails", &DescribeTrailsInput{TrailNameList: []string{"main"}}, nil},
		{"ListTrails", &ListTrailsInput{}, nil},
		{"LookupEvents", &LookupEventsInput{}, nil},
	}
	ops := e.s.API().Operations
	for _, tc := range tests {
		t.Run(tc.op, func(t *testing.T) {
			op, ok := ops[tc.op]
			if !ok {
				t.Fatalf("no operation %s", tc.op)
			}
			if op.Resources == nil {
				t.Fatalf("%s has no Resources", tc.op)
			}
			if got := op.Resources(context.Background(), tc.in); !slices.Equal(got, tc.want) {
				t.Errorf("%s resources = %q, want %q", tc.op, got, tc.want)
			}
		})
	}
}
