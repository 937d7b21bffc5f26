package autoscaling

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
)

func TestRegisterDescribeDeregister(t *testing.T) {
	e := newEnv(t)
	e.scaler.set("default/api", 1)
	arn := e.register(3, 10)
	if !strings.HasPrefix(arn, "arn:aws:application-autoscaling:us-east-1:000000000000:scalable-target/") || len(arn) != len("arn:aws:application-autoscaling:us-east-1:000000000000:scalable-target/")+36 {
		t.Fatalf("ScalableTargetARN %q", arn)
	}
	// Registering raised the desired count to the minimum, as AWS does.
	if n := e.scaler.get("default/web"); n != 3 {
		t.Fatalf("desired count after registering with min 3: %d", n)
	}
	acts := e.activities(false)
	if len(acts) != 1 || aws.ToString(acts[0].Description) != "Setting desired count to 3." ||
		aws.ToString(acts[0].Cause) != "minimum capacity was set to 3" || acts[0].StatusCode != types.ScalingActivityStatusCodeSuccessful ||
		aws.ToString(acts[0].StatusMessage) != "Successfully set desired count to 3. Change successfully fulfilled by ecs." {
		t.Fatalf("activities after registering: %+v", acts)
	}
	// Re-registering updates only what it names.
	if arn2 := func() string {
		out, err := e.client.RegisterScalableTarget(e.ctx, &sdk.RegisterScalableTargetInput{
			ServiceNamespace: types.ServiceNamespaceEcs, ScalableDimension: types.ScalableDimensionECSServiceDesiredCount,
			ResourceId: aws.String("service/default/web"), MaxCapacity: aws.Int32(2), MinCapacity: aws.Int32(1),
			SuspendedState: &types.SuspendedState{DynamicScalingInSuspended: aws.Bool(true)}})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.ScalableTargetARN)
	}(); arn2 != arn {
		t.Fatalf("re-registering changed the ARN: %s → %s", arn, arn2)
	}
	if n := e.scaler.get("default/web"); n != 2 {
		t.Fatalf("desired count after lowering the maximum to 2: %d", n)
	}
	if acts := e.activities(false); len(acts) != 2 || aws.ToString(acts[0].Cause) != "maximum capacity was set to 2" {
		t.Fatalf("activities after lowering the maximum: %+v", acts)
	}
	if _, err := e.client.RegisterScalableTarget(e.ctx, &sdk.RegisterScalableTargetInput{
		ServiceNamespace: types.ServiceNamespaceEcs, ScalableDimension: types.ScalableDimensionECSServiceDesiredCount,
		ResourceId: aws.String("service/default/api"), MinCapacity: aws.Int32(0), MaxCapacity: aws.Int32(4),
		Tags: map[string]string{"team": "blue"}}); err != nil {
		t.Fatal(err)
	}
	out, err := e.client.DescribeScalableTargets(e.ctx, &sdk.DescribeScalableTargetsInput{ServiceNamespace: types.ServiceNamespaceEcs})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.ScalableTargets) != 2 {
		t.Fatalf("%d targets, want 2", len(out.ScalableTargets))
	}
	web := out.ScalableTargets[1]
	if aws.ToString(web.ResourceId) != "service/default/web" || aws.ToInt32(web.MinCapacity) != 1 || aws.ToInt32(web.MaxCapacity) != 2 ||
		aws.ToString(web.ScalableTargetARN) != arn || web.CreationTime == nil || !aws.ToBool(web.SuspendedState.DynamicScalingInSuspended) ||
		aws.ToBool(web.SuspendedState.DynamicScalingOutSuspended) ||
		aws.ToString(web.RoleARN) != "arn:aws:iam::000000000000:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService" {
		t.Fatalf("target: %+v %+v", web, web.SuspendedState)
	}
	// Filters and pages.
	page, err := e.client.DescribeScalableTargets(e.ctx, &sdk.DescribeScalableTargetsInput{ServiceNamespace: types.ServiceNamespaceEcs, MaxResults: aws.Int32(1)})
	if err != nil || len(page.ScalableTargets) != 1 || page.NextToken == nil || aws.ToString(page.ScalableTargets[0].ResourceId) != "service/default/api" {
		t.Fatalf("first page: %+v %v", page, err)
	}
	page, err = e.client.DescribeScalableTargets(e.ctx, &sdk.DescribeScalableTargetsInput{ServiceNamespace: types.ServiceNamespaceEcs, MaxResults: aws.Int32(1), NextToken: page.NextToken})
	if err != nil || len(page.ScalableTargets) != 1 || page.NextToken != nil || aws.ToString(page.ScalableTargets[0].ResourceId) != "service/default/web" {
		t.Fatalf("second page: %+v %v", page, err)
	}
	only, err := e.client.DescribeScalableTargets(e.ctx, &sdk.DescribeScalableTargetsInput{ServiceNamespace: types.ServiceNamespaceEcs, ResourceIds: []string{"service/default/api"}})
	if err != nil || len(only.ScalableTargets) != 1 || aws.ToString(only.ScalableTargets[0].ResourceId) != "service/default/api" {
		t.Fatalf("ResourceIds filter: %+v %v", only, err)
	}
	_, err = e.client.DescribeScalableTargets(e.ctx, &sdk.DescribeScalableTargetsInput{ServiceNamespace: types.ServiceNamespaceEcs, NextToken: aws.String("!!")})
	wantType[*types.InvalidNextTokenException](t, err)

	// Deregistering removes the target; a second time it is not found.
	if _, err := e.client.DeregisterScalableTarget(e.ctx, &sdk.DeregisterScalableTargetInput{ServiceNamespace: types.ServiceNamespaceEcs,
		ScalableDimension: types.ScalableDimensionECSServiceDesiredCount, ResourceId: aws.String("service/default/web")}); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.DeregisterScalableTarget(e.ctx, &sdk.DeregisterScalableTargetInput{ServiceNamespace: types.ServiceNamespaceEcs,
		ScalableDimension: types.ScalableDimensionECSServiceDesiredCount, ResourceId: aws.String("service/default/web")})
	wantType[*types.ObjectNotFoundException](t, err)
	wantCode(t, err, "ObjectNotFoundException", "No scalable target registered for service namespace: ecs, resource ID: service/default/web, scalable dimension: ecs:service:DesiredCount")
	// Its activities remain.
	if acts := e.activities(false); len(acts) != 2 {
		t.Fatalf("activities after deregistering: %d", len(acts))
	}
}

func TestRegisterErrors(t *testing.T) {
	e := newEnv(t)
	reg := func(ns, rid, dim string, min, max *int32) error {
		_, err := e.client.RegisterScalableTarget(e.ctx, &sdk.RegisterScalableTargetInput{ServiceNamespace: types.ServiceNamespace(ns),
			ScalableDimension: types.ScalableDimension(dim), ResourceId: aws.String(rid), MinCapacity: min, MaxCapacity: max})
		return err
	}
	one, five := aws.Int32(1), aws.Int32(5)
	cases := []struct {
		name, ns, rid, dim string
		min, max           *int32
		code, msg          string
	}{
		{"namespace AWS has but Wharf does not", "dynamodb", "table/t", "dynamodb:table:ReadCapacityUnits", one, five,
			"ValidationException", "Unsupported service namespace, resource type or scalable dimension. Wharf scales only ECS services"},
		{"namespace AWS does not have", "nope", "service/default/web", "ecs:service:DesiredCount", one, five,
			"ValidationException", "Value 'nope' at 'serviceNamespace' failed to satisfy constraint: Member must satisfy enum value set"},
		{"dimension of another service", "ecs", "service/default/web", "dynamodb:table:ReadCapacityUnits", one, five,
			"ValidationException", "Unsupported service namespace, resource type or scalable dimension"},
		{"resource id of another type", "ecs", "table/web", "ecs:service:DesiredCount", one, five,
			"ValidationException", "Unsupported service namespace, resource type or scalable dimension"},
		{"min greater than max", "ecs", "service/default/web", "ecs:service:DesiredCount", five, one,
			"ValidationException", "Minimum capacity cannot be greater than maximum capacity"},
		{"negative min", "ecs", "service/default/web", "ecs:service:DesiredCount", aws.Int32(-1), one,
			"ValidationException", "Value '-1' at 'minCapacity'"},
		{"new target without bounds", "ecs", "service/default/web", "ecs:service:DesiredCount", one, nil,
			"ValidationException", "MinCapacity and MaxCapacity are required"},
		{"no such ECS service", "ecs", "service/default/ghost", "ecs:service:DesiredCount", one, five,
			"ValidationException", "ECS service doesn't exist: service/default/ghost"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantCode(t, reg(c.ns, c.rid, c.dim, c.min, c.max), c.code, c.msg)
		})
	}
	_, err := e.client.DescribeScalableTargets(e.ctx, &sdk.DescribeScalableTargetsInput{ServiceNamespace: types.ServiceNamespaceDynamodb})
	wantCode(t, err, "ValidationException", "Wharf scales only ECS services")
	_, err = e.client.DescribeScalableTargets(e.ctx, &sdk.DescribeScalableTargetsInput{ServiceNamespace: types.ServiceNamespaceEcs, MaxResults: aws.Int32(51)})
	wantCode(t, err, "ValidationException", "Member must have value less than or equal to 50")
	if n := e.scaler.get("default/web"); n != 2 {
		t.Fatalf("failed registrations changed the desired count to %d", n)
	}
}

func TestTags(t *testing.T) {
	e := newEnv(t)
	arn := e.register(1, 4)
	if _, err := e.client.TagResource(e.ctx, &sdk.TagResourceInput{ResourceARN: aws.String(arn), Tags: map[string]string{"env": "prod", "team": "a"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.UntagResource(e.ctx, &sdk.UntagResourceInput{ResourceARN: aws.String(arn), TagKeys: []string{"team", "absent"}}); err != nil {
		t.Fatal(err)
	}
	out, err := e.client.ListTagsForResource(e.ctx, &sdk.ListTagsForResourceInput{ResourceARN: aws.String(arn)})
	if err != nil || len(out.Tags) != 1 || out.Tags["env"] != "prod" {
		t.Fatalf("tags: %v %v", out, err)
	}
	if tags := e.s.ResourceTags(e.ctx, arn); tags["env"] != "prod" {
		t.Fatalf("ResourceTags: %v", tags)
	}
	missing := arn[:len(arn)-4] + "0000"
	_, err = e.client.ListTagsForResource(e.ctx, &sdk.ListTagsForResourceInput{ResourceARN: aws.String(missing)})
	wantType[*types.ResourceNotFoundException](t, err)
	many := map[string]string{}
	for i := range 50 {
		many[fmt.Sprintf("k%d", i)] = "v"
	}
	_, err = e.client.TagResource(e.ctx, &sdk.TagResourceInput{ResourceARN: aws.String(arn), Tags: many})
	wantType[*types.TooManyTagsException](t, err)
	_, err = e.client.TagResource(e.ctx, &sdk.TagResourceInput{ResourceARN: aws.String(arn), Tags: map[string]string{"aws:x": "y"}})
	wantCode(t, err, "ValidationException", "aws:")
}
