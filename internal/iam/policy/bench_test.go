package policy

import "testing"

// BenchmarkDecide measures a realistic user with 3 identity policies of 5 statements.
func BenchmarkDecide(b *testing.B) {
	docs := []string{
		`{"Version":"2012-10-17","Statement":[
			{"Sid":"ReadAppParams","Effect":"Allow","Action":["ssm:GetParameter","ssm:GetParameters","ssm:GetParametersByPath"],"Resource":"arn:aws:ssm:us-east-1:123456789012:parameter/app/web/*"},
			{"Sid":"Describe","Effect":"Allow","Action":"ssm:DescribeParameters","Resource":"*"},
			{"Sid":"OwnParams","Effect":"Allow","Action":"ssm:*","Resource":"arn:aws:ssm:*:123456789012:parameter/home/${aws:username}/*"},
			{"Sid":"NoProd","Effect":"Deny","Action":"ssm:Put*","Resource":"arn:aws:ssm:*:*:parameter/app/prod/*"},
			{"Sid":"Tagged","Effect":"Allow","Action":"ssm:AddTagsToResource","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}}]}`,
		`{"Version":"2012-10-17","Statement":[
			{"Sid":"Decrypt","Effect":"Allow","Action":"kms:Decrypt","Resource":"arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab","Condition":{"StringEquals":{"kms:EncryptionContext:PARAMETER_ARN":"arn:aws:ssm:us-east-1:123456789012:parameter/app/web/db"}}},
			{"Sid":"ListKeys","Effect":"Allow","Action":["kms:ListKeys","kms:ListAliases"],"Resource":"*"},
			{"Sid":"OfficeOnly","Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddressIfExists":{"aws:SourceIp":["10.0.0.0/8","127.0.0.0/8"]}}},
			{"Sid":"TLS","Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}},
			{"Sid":"Window","Effect":"Allow","Action":"ecs:*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}}]}`,
		`{"Version":"2012-10-17","Statement":[
			{"Sid":"Logs","Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"arn:aws:logs:*:*:log-group:/ecs/*"},
			{"Sid":"Team","Effect":"Allow","Action":"ecs:UpdateService","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}},
			{"Sid":"NoIAM","Effect":"Deny","NotAction":["iam:Get*","iam:List*"],"Resource":"arn:aws:iam::*:*"},
			{"Sid":"Ecr","Effect":"Allow","Action":"ecr:BatchGet*","Resource":"arn:aws:ecr:us-east-1:123456789012:repository/app-*"},
			{"Sid":"Mfa","Effect":"Deny","Action":"ssm:DeleteParameter*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}]}`,
	}
	var ps []*Policy
	for _, d := range docs {
		ps = append(ps, mustParse(b, d, Identity))
	}
	req := Request{
		Action:    "ssm:GetParameter",
		Resource:  "arn:aws:ssm:us-east-1:123456789012:parameter/app/web/db",
		Principal: Principal{ARN: "arn:aws:iam::123456789012:user/alice", AccountID: "123456789012", Type: "IAMUser", UserID: "AIDAEXAMPLE"},
		Context: map[string][]string{
			"aws:username": {"alice"}, "aws:userid": {"AIDAEXAMPLE"}, "aws:PrincipalArn": {"arn:aws:iam::123456789012:user/alice"},
			"aws:SourceIp": {"127.0.0.1"}, "aws:SecureTransport": {"true"}, "aws:CurrentTime": {"2025-06-01T12:00:00Z"},
			"aws:PrincipalTag/team": {"web"},
		},
	}
	if d := Decide(req, ps, nil); !d.Allowed || d.Statement != "ReadAppParams" {
		b.Fatalf("decision %+v", d)
	}
	b.ReportAllocs()
	for b.Loop() {
		Decide(req, ps, nil)
	}
}
