package iam

import (
	"crypto/sha256"
	"strings"
	"time"
)

// awsPolicies are the AWS managed policies Wharf ships (Scope AWS): the ones a
// deployment of ECS tasks commonly attaches. They cannot be changed or deleted.
var awsPolicies = map[string]policyRec{}

func init() {
	for _, p := range []struct{ path, name, desc, doc string }{
		{"/", "AdministratorAccess", "Provides full access to AWS services and resources.",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`},
		{"/", "PowerUserAccess", "Provides full access to AWS services and resources, but does not allow management of Users and groups.",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":["iam:*","organizations:*","account:*"],"Resource":"*"},{"Effect":"Allow","Action":["iam:CreateServiceLinkedRole","iam:DeleteServiceLinkedRole","iam:ListRoles","organizations:DescribeOrganization","account:ListRegions","account:GetAccountInformation"],"Resource":"*"}]}`},
		{"/", "IAMReadOnlyAccess", "Provides read only access to IAM via the AWS Management Console.",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GenerateCredentialReport","iam:GenerateServiceLastAccessedDetails","iam:Get*","iam:List*","iam:SimulateCustomPolicy","iam:SimulatePrincipalPolicy"],"Resource":"*"}]}`},
		{"/", "AmazonSSMReadOnlyAccess", "Provides read only access to Amazon SSM.",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ssm:Describe*","ssm:Get*","ssm:List*"],"Resource":"*"}]}`},
		{"/service-role/", "AmazonECSTaskExecutionRolePolicy", "Provides access to other AWS service resources that are required to run Amazon ECS tasks",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ecr:GetAuthorizationToken","ecr:BatchCheckLayerAvailability","ecr:GetDownloadUrlForLayer","ecr:BatchGetImage","logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}`},
	} {
		arn := "arn:aws:iam::aws:policy" + p.path + p.name
		created := time.Date(2015, 2, 6, 18, 39, 46, 0, time.UTC)
		awsPolicies[arn] = policyRec{
			Policy: Policy{PolicyName: p.name, PolicyId: stableID("ANPA", arn), Arn: arn, Path: p.path,
				DefaultVersionId: "v1", IsAttachable: true, Description: p.desc, CreateDate: created, UpdateDate: created},
			Versions:    []versionRec{{VersionId: "v1", Document: p.doc, CreateDate: created}},
			NextVersion: 2,
		}
	}
}

// stableID derives an id that is the same on every run from s.
func stableID(prefix, s string) string {
	sum := sha256.Sum256([]byte(s))
	var b strings.Builder
	b.WriteString(prefix)
	for _, c := range sum[:17] {
		b.WriteByte(idChars[int(c)%len(idChars)])
	}
	return b.String()
}
