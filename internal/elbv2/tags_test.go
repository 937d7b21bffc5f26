package elbv2

import (
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

func TestTags(t *testing.T) {
	r := newRuleEnv(t)
	rule := r.rule(r.listenerARN, 1, "/a", fixed("200"))
	desc, _ := r.client.DescribeRules(r.ctx, &elb.DescribeRulesInput{ListenerArn: aws.String(r.listenerARN)})
	def := aws.ToString(desc.Rules[1].RuleArn)
	arns := []string{r.lbARN, r.api, r.listenerARN, aws.ToString(rule.RuleArn), def}

	_, err := r.client.AddTags(r.ctx, &elb.AddTagsInput{ResourceArns: arns, Tags: []types.Tag{
		{Key: aws.String("env"), Value: aws.String("prod")}, {Key: aws.String("team"), Value: aws.String("web")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.client.AddTags(r.ctx, &elb.AddTagsInput{ResourceArns: arns[:1], Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("dev")}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.client.RemoveTags(r.ctx, &elb.RemoveTagsInput{ResourceArns: arns[1:2], TagKeys: []string{"team", "absent"}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := r.client.DescribeTags(r.ctx, &elb.DescribeTagsInput{ResourceArns: arns})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range out.TagDescriptions {
		var tags []string
		for _, tag := range d.Tags {
			tags = append(tags, aws.ToString(tag.Key)+"="+aws.ToString(tag.Value))
		}
		got = append(got, fmt.Sprint(tags))
		if !slices.Contains(arns, aws.ToString(d.ResourceArn)) {
			t.Errorf("ResourceArn %s", aws.ToString(d.ResourceArn))
		}
	}
	want := []string{"[env=dev team=web]", "[env=prod]", "[env=prod team=web]", "[env=prod team=web]", "[env=prod team=web]"}
	if !slices.Equal(got, want) {
		t.Errorf("tags = %v, want %v", got, want)
	}

	// At most 50 tags per resource; a key given twice; unknown resources.
	var many []types.Tag
	for i := range 49 {
		many = append(many, types.Tag{Key: aws.String(fmt.Sprintf("k%d", i)), Value: aws.String("v")})
	}
	_, err = r.client.AddTags(r.ctx, &elb.AddTagsInput{ResourceArns: arns[:1], Tags: many})
	wantType[*types.TooManyTagsException](t, err)
	_, err = r.client.AddTags(r.ctx, &elb.AddTagsInput{ResourceArns: arns[:1], Tags: []types.Tag{{Key: aws.String("a")}, {Key: aws.String("a")}}})
	wantType[*types.DuplicateTagKeysException](t, err)
	for arn, check := range map[string]func(error){
		r.lbARN + "0":                    func(err error) { wantType[*types.LoadBalancerNotFoundException](t, err) },
		r.api + "0":                      func(err error) { wantType[*types.TargetGroupNotFoundException](t, err) },
		r.listenerARN + "0":              func(err error) { wantType[*types.ListenerNotFoundException](t, err) },
		aws.ToString(rule.RuleArn) + "0": func(err error) { wantType[*types.RuleNotFoundException](t, err) },
	} {
		_, err := r.client.DescribeTags(r.ctx, &elb.DescribeTagsInput{ResourceArns: []string{arn}})
		check(err)
	}
	_, err = r.client.DescribeTags(r.ctx, &elb.DescribeTagsInput{ResourceArns: []string{"arn:aws:ecs:us-east-1:000000000000:cluster/x"}})
	wantCode(t, err, "ValidationError", "not a valid")
	_, err = r.client.DescribeTags(r.ctx, &elb.DescribeTagsInput{ResourceArns: slices.Repeat([]string{r.lbARN}, 21)})
	wantCode(t, err, "ValidationError", "At most 20")

	// Tags given at creation.
	tg, err := r.client.CreateTargetGroup(r.ctx, &elb.CreateTargetGroupInput{Name: aws.String("tagged"), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(80),
		Tags: []types.Tag{{Key: aws.String("created"), Value: aws.String("yes")}}})
	if err != nil {
		t.Fatal(err)
	}
	out, err = r.client.DescribeTags(r.ctx, &elb.DescribeTagsInput{ResourceArns: []string{aws.ToString(tg.TargetGroups[0].TargetGroupArn)}})
	if err != nil || len(out.TagDescriptions) != 1 || len(out.TagDescriptions[0].Tags) != 1 || aws.ToString(out.TagDescriptions[0].Tags[0].Key) != "created" {
		t.Errorf("creation tags = %+v %v", out, err)
	}
}

func TestDescribeAccountLimits(t *testing.T) {
	e := newEnv(t)
	limits := map[string]string{}
	pg := elb.NewDescribeAccountLimitsPaginator(e.client, &elb.DescribeAccountLimitsInput{PageSize: aws.Int32(7)})
	pages := 0
	for pg.HasMorePages() {
		out, err := pg.NextPage(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, l := range out.Limits {
			limits[aws.ToString(l.Name)] = aws.ToString(l.Max)
		}
	}
	for name, max := range map[string]string{
		"application-load-balancers": "50", "target-groups": "3000", "targets-per-application-load-balancer": "1000",
		"listeners-per-application-load-balancer": "50", "rules-per-application-load-balancer": "100",
		"condition-values-per-alb-rule": "5", "condition-wildcards-per-alb-rule": "5",
		"target-groups-per-action-on-application-load-balancer": "5", "target-groups-per-application-load-balancer": "100",
		"certificates-per-application-load-balancer": "25",
	} {
		if limits[name] != max {
			t.Errorf("limit %s = %q, want %s", name, limits[name], max)
		}
	}
	if pages != 3 || len(limits) != len(accountLimits) {
		t.Errorf("%d limits in %d pages", len(limits), pages)
	}
}
