package cloudformation

import (
	"context"
	"errors"
	"sort"
	"strings"
)

// miscTypes registers the SSM, KMS, CloudWatch Logs, CloudWatch and Application Auto
// Scaling types.
func miscTypes(r *Registry) {
	r.Register("AWS::SSM::Parameter", ResourceType{
		Provider: ssmParameter{}, CreateOnly: []string{"Name"}, Attributes: []string{"Type", "Value"},
		NameProperty: "Name", Required: []string{"Type", "Value"},
	})
	r.Register("AWS::KMS::Key", ResourceType{
		Provider: kmsKey{}, CreateOnly: []string{"KeySpec", "KeyUsage", "MultiRegion", "Origin"}, Attributes: []string{"Arn", "KeyId"},
	})
	r.Register("AWS::KMS::Alias", ResourceType{
		Provider: kmsAlias{}, CreateOnly: []string{"AliasName"}, Required: []string{"AliasName", "TargetKeyId"}, Attributes: []string{},
	})
	r.Register("AWS::Logs::LogGroup", ResourceType{
		Provider: logGroup{}, CreateOnly: []string{"LogGroupName", "LogGroupClass"}, Attributes: []string{"Arn"},
		NameProperty: "LogGroupName",
	})
	r.Register("AWS::Logs::MetricFilter", ResourceType{
		Provider: metricFilter{}, CreateOnly: []string{"FilterName", "LogGroupName"}, Attributes: []string{},
		NameProperty: "FilterName", Required: []string{"FilterPattern", "LogGroupName", "MetricTransformations"},
	})
	r.Register("AWS::CloudWatch::Alarm", ResourceType{
		Provider: alarm{}, CreateOnly: []string{"AlarmName"}, Attributes: []string{"Arn"},
		NameProperty: "AlarmName", Required: []string{"ComparisonOperator", "EvaluationPeriods"},
	})
	r.Register("AWS::ApplicationAutoScaling::ScalableTarget", ResourceType{
		Provider: scalableTarget{}, CreateOnly: []string{"ResourceId", "ScalableDimension", "ServiceNamespace"}, Attributes: []string{"Id"},
		Required: []string{"MaxCapacity", "MinCapacity", "ResourceId", "ScalableDimension", "ServiceNamespace"},
	})
	r.Register("AWS::ApplicationAutoScaling::ScalingPolicy", ResourceType{
		Provider: scalingPolicy{}, CreateOnly: []string{"PolicyName", "ResourceId", "ScalableDimension", "ServiceNamespace", "ScalingTargetId"},
		Attributes: []string{"Arn"}, Required: []string{"PolicyName", "PolicyType"},
	})
}

// ssmParameter is the provider of AWS::SSM::Parameter. Its Tags are a map, not a
// list.
type ssmParameter struct{}

func ssmTags(v any) map[string]string {
	out := map[string]string{}
	if m, ok := v.(map[string]any); ok {
		for k, val := range m {
			out[k] = stringify(val)
		}
	}
	return out
}

func (ssmParameter) put(ctx context.Context, req *Request, name string, overwrite bool) error {
	in := pick(req.Properties, "Type", "Value", "Description", "AllowedPattern", "Tier", "DataType", "Policies")
	coerce(in, toStr, "Value")
	in["Name"] = name
	if overwrite {
		in["Overwrite"] = true
	} else if tags := ssmTags(req.Properties["Tags"]); len(tags) > 0 {
		in["Tags"] = tagList(tags, "Key", "Value")
	}
	if p, ok := in["Policies"]; ok {
		text, err := jsonText(p)
		if err != nil {
			return err
		}
		in["Policies"] = text
	}
	_, err := call(ctx, req, "ssm", "PutParameter", in)
	return err
}

func (p ssmParameter) Create(ctx context.Context, req *Request) (*Result, error) {
	name := str(req.Properties, "Name")
	if name == "" {
		name = "CFN-" + req.LogicalID + "-" + randomSuffix(12)
	}
	if err := p.put(ctx, req, name, false); err != nil {
		return nil, err
	}
	return &Result{PhysicalID: name, Attributes: map[string]any{"Type": str(req.Properties, "Type"), "Value": str(req.Properties, "Value")}}, nil
}

func (p ssmParameter) Update(ctx context.Context, req *Request, prior *Prior) (*Result, error) {
	name := prior.PhysicalID
	if err := p.put(ctx, req, name, true); err != nil {
		return nil, err
	}
	set, removed := tagDiff(ssmTags(prior.Properties["Tags"]), ssmTags(req.Properties["Tags"]))
	if len(set) > 0 {
		if _, err := call(ctx, req, "ssm", "AddTagsToResource", map[string]any{"ResourceType": "Parameter", "ResourceId": name, "Tags": tagList(set, "Key", "Value")}); err != nil {
			return nil, err
		}
	}
	if len(removed) > 0 {
		if _, err := call(ctx, req, "ssm", "RemoveTagsFromResource", map[string]any{"ResourceType": "Parameter", "ResourceId": name, "TagKeys": removed}); err != nil {
			return nil, err
		}
	}
	return &Result{Attributes: map[string]any{"Type": str(req.Properties, "Type"), "Value": str(req.Properties, "Value")}}, nil
}

func (ssmParameter) Delete(ctx context.Context, req *Request, prior *Prior) error {
	_, err := call(ctx, req, "ssm", "DeleteParameter", map[string]any{"Name": prior.PhysicalID})
	return err
}

// kmsKey is the provider of AWS::KMS::Key.
type kmsKey struct{}

func (kmsKey) sync(ctx context.Context, req *Request, id string, old, new map[string]any) error {
	if !sameJSON(old["Description"], new["Description"]) && old != nil {
		if _, err := call(ctx, req, "kms", "UpdateKeyDescription", map[string]any{"KeyId": id, "Description": str(new, "Description")}); err != nil {
			return err
		}
	}
	if !sameJSON(old["KeyPolicy"], new["KeyPolicy"]) && old != nil && new["KeyPolicy"] != nil {
		doc, err := jsonText(new["KeyPolicy"])
		if err != nil {
			return err
		}
		if _, err := call(ctx, req, "kms", "PutKeyPolicy", map[string]any{"KeyId": id, "PolicyName": "default", "Policy": doc}); err != nil {
			return err
		}
	}
	enabled := func(m map[string]any) bool { return toBool(m["Enabled"]) != false }
	if old == nil && !enabled(new) || old != nil && enabled(old) != enabled(new) {
		op := "DisableKey"
		if enabled(new) {
			op = "EnableKey"
		}
		if _, err := call(ctx, req, "kms", op, map[string]any{"KeyId": id}); err != nil {
			return err
		}
	}
	rotation := func(m map[string]any) bool { return toBool(m["EnableKeyRotation"]) == true }
	period := func(m map[string]any) any { return toInt(m["RotationPeriodInDays"]) }
	if (old == nil && rotation(new)) || old != nil && (rotation(old) != rotation(new) || rotation(new) && !sameJSON(period(old), period(new))) {
		in := map[string]any{"KeyId": id}
		op := "DisableKeyRotation"
		if rotation(new) {
			op = "EnableKeyRotation"
			if p := period(new); p != nil {
				in["RotationPeriodInDays"] = p
			}
		}
		if _, err := call(ctx, req, "kms", op, in); err != nil {
			return err
		}
	}
	if old != nil {
		set, removed := tagDiff(tagPairs(old["Tags"]), tagPairs(new["Tags"]))
		if len(set) > 0 {
			if _, err := call(ctx, req, "kms", "TagResource", map[string]any{"KeyId": id, "Tags": tagList(set, "TagKey", "TagValue")}); err != nil {
				return err
			}
		}
		if len(removed) > 0 {
			if _, err := call(ctx, req, "kms", "UntagResource", map[string]any{"KeyId": id, "TagKeys": removed}); err != nil {
				return err
			}
		}
	}
	return nil
}

func (k kmsKey) Create(ctx context.Context, req *Request) (*Result, error) {
	in := pick(req.Properties, "Description", "KeySpec", "KeyUsage", "MultiRegion", "Origin")
	coerce(in, toBool, "MultiRegion")
	if p, ok := req.Properties["KeyPolicy"]; ok && p != nil {
		doc, err := jsonText(p)
		if err != nil {
			return nil, err
		}
		in["Policy"] = doc
	}
	if tags := tagPairs(req.Properties["Tags"]); len(tags) > 0 {
		in["Tags"] = tagList(tags, "TagKey", "TagValue")
	}
	out, err := call(ctx, req, "kms", "CreateKey", in)
	if err != nil {
		return nil, err
	}
	id := getStr(out, "KeyMetadata", "KeyId")
	res := &Result{PhysicalID: id, Attributes: map[string]any{"KeyId": id, "Arn": getStr(out, "KeyMetadata", "Arn")}}
	if err := k.sync(ctx, req, id, nil, req.Properties); err != nil {
		return res, err
	}
	return res, nil
}

func (k kmsKey) Update(ctx context.Context, req *Request, prior *Prior) (*Result, error) {
	return nil, k.sync(ctx, req, prior.PhysicalID, prior.Properties, req.Properties)
}

func (kmsKey) Delete(ctx context.Context, req *Request, prior *Prior) error {
	in := map[string]any{"KeyId": prior.PhysicalID}
	if d := toInt(prior.Properties["PendingWindowInDays"]); d != nil {
		in["PendingWindowInDays"] = d
	}
	_, err := call(ctx, req, "kms", "ScheduleKeyDeletion", in)
	if ae, ok := asAPIError(err); ok && ae == "KMSInvalidStateException" {
		return nil // already pending deletion
	}
	return err
}

// kmsAlias is the provider of AWS::KMS::Alias.
type kmsAlias struct{}

func (kmsAlias) Create(ctx context.Context, req *Request) (*Result, error) {
	name := str(req.Properties, "AliasName")
	if _, err := call(ctx, req, "kms", "CreateAlias", map[string]any{"AliasName": name, "TargetKeyId": str(req.Properties, "TargetKeyId")}); err != nil {
		return nil, err
	}
	return &Result{PhysicalID: name, Attributes: map[string]any{}}, nil
}

func (kmsAlias) Update(ctx context.Context, req *Request, prior *Prior) (*Result, error) {
	_, err := call(ctx, req, "kms", "UpdateAlias", map[string]any{"AliasName": prior.PhysicalID, "TargetKeyId": str(req.Properties, "TargetKeyId")})
	return nil, err
}

func (kmsAlias) Delete(ctx context.Context, req *Request, prior *Prior) error {
	_, err := call(ctx, req, "kms", "DeleteAlias", map[string]any{"AliasName": prior.PhysicalID})
	return err
}

// logGroup is the provider of AWS::Logs::LogGroup.
type logGroup struct{}

func (logGroup) arn(req *Request, name string) string {
	return "arn:aws:logs:" + req.Region + ":" + req.AccountID + ":log-group:" + name + ":*"
}

func (g logGroup) Create(ctx context.Context, req *Request) (*Result, error) {
	name := str(req.Properties, "LogGroupName")
	if name == "" {
		name = req.PhysicalName(512)
	}
	in := pick(req.Properties, "KmsKeyId", "LogGroupClass", "DeletionProtectionEnabled")
	in["logGroupName"] = name
	if tags := tagPairs(req.Properties["Tags"]); len(tags) > 0 {
		in["tags"] = tags
	}
	if _, err := call(ctx, req, "logs", "CreateLogGroup", in); err != nil {
		return nil, err
	}
	res := &Result{PhysicalID: name, Attributes: map[string]any{"Arn": g.arn(req, name)}}
	if d := toInt(req.Properties["RetentionInDays"]); d != nil {
		if _, err := call(ctx, req, "logs", "PutRetentionPolicy", map[string]any{"logGroupName": name, "retentionInDays": d}); err != nil {
			return res, err
		}
	}
	return res, nil
}

func (g logGroup) Update(ctx context.Context, req *Request, prior *Prior) (*Result, error) {
	name := prior.PhysicalID
	o, n := prior.Properties, req.Properties
	if !sameJSON(toInt(o["RetentionInDays"]), toInt(n["RetentionInDays"])) {
		if d := toInt(n["RetentionInDays"]); d != nil {
			if _, err := call(ctx, req, "logs", "PutRetentionPolicy", map[string]any{"logGroupName": name, "retentionInDays": d}); err != nil {
				return nil, err
			}
		} else if _, err := call(ctx, req, "logs", "DeleteRetentionPolicy", map[string]any{"logGroupName": name}); err != nil {
			return nil, err
		}
	}
	set, removed := tagDiff(tagPairs(o["Tags"]), tagPairs(n["Tags"]))
	arn := strings.TrimSuffix(g.arn(req, name), ":*")
	if len(set) > 0 {
		if _, err := call(ctx, req, "logs", "TagResource", map[string]any{"resourceArn": arn, "tags": set}); err != nil {
			return nil, err
		}
	}
	if len(removed) > 0 {
		if _, err := call(ctx, req, "logs", "UntagResource", map[string]any{"resourceArn": arn, "tagKeys": removed}); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

func (logGroup) Delete(ctx context.Context, req *Request, prior *Prior) error {
	_, err := call(ctx, req, "logs", "DeleteLogGroup", map[string]any{"logGroupName": prior.PhysicalID})
	return err
}

// metricFilter is the provider of AWS::Logs::MetricFilter: its transformations'
// Dimensions are a list of {Key, Value}, the API's a map.
type metricFilter struct{}

func (metricFilter) put(ctx context.Context, req *Request, name string) error {
	var mts []any
	eachMap(req.Properties["MetricTransformations"], func(m map[string]any) {
		t := copyProps(m, "Dimensions")
		coerce(t, toStr, "MetricValue")
		coerce(t, toInt, "DefaultValue")
		if dims := tagPairs(m["Dimensions"]); len(dims) > 0 {
			t["dimensions"] = dims
		}
		mts = append(mts, t)
	})
	in := map[string]any{"filterName": name, "filterPattern": str(req.Properties, "FilterPattern"),
		"logGroupName": str(req.Properties, "LogGroupName"), "metricTransformations": mts}
	_, err := call(ctx, req, "logs", "PutMetricFilter", in)
	return err
}

func (f metricFilter) Create(ctx context.Context, req *Request) (*Result, error) {
	name := str(req.Properties, "FilterName")
	if name == "" {
		name = req.PhysicalName(512)
	}
	if err := f.put(ctx, req, name); err != nil {
		return nil, err
	}
	return &Result{PhysicalID: name, Attributes: map[string]any{}}, nil
}

func (f metricFilter) Update(ctx context.Context, req *Request, prior *Prior) (*Result, error) {
	return nil, f.put(ctx, req, prior.PhysicalID)
}

func (metricFilter) Delete(ctx context.Context, req *Request, prior *Prior) error {
	_, err := call(ctx, req, "logs", "DeleteMetricFilter", map[string]any{"filterName": prior.PhysicalID, "logGroupName": str(prior.Properties, "LogGroupName")})
	return err
}

// alarm is the provider of AWS::CloudWatch::Alarm.
type alarm struct{}

func (alarm) put(ctx context.Context, req *Request, name string) error {
	in := copyProps(req.Properties, "Tags")
	in["AlarmName"] = name
	coerce(in, toInt, "EvaluationPeriods", "DatapointsToAlarm", "Period", "Threshold")
	coerce(in, toBool, "ActionsEnabled")
	eachMap(in["Metrics"], func(m map[string]any) {
		coerce(m, toBool, "ReturnData")
		coerce(m, toInt, "Period")
		if ms, ok := m["MetricStat"].(map[string]any); ok {
			coerce(ms, toInt, "Period")
		}
	})
	if tags := tagPairs(req.Properties["Tags"]); len(tags) > 0 {
		in["Tags"] = tagList(tags, "Key", "Value")
	}
	_, err := call(ctx, req, "monitoring", "PutMetricAlarm", in)
	return err
}

func (a alarm) Create(ctx context.Context, req *Request) (*Result, error) {
	name := str(req.Properties, "AlarmName")
	if name == "" {
		name = req.PhysicalName(255)
	}
	if err := a.put(ctx, req, name); err != nil {
		return nil, err
	}
	return &Result{PhysicalID: name, Attributes: map[string]any{"Arn": "arn:aws:cloudwatch:" + req.Region + ":" + req.AccountID + ":alarm:" + name}}, nil
}

func (a alarm) Update(ctx context.Context, req *Request, prior *Prior) (*Result, error) {
	return nil, a.put(ctx, req, prior.PhysicalID)
}

func (alarm) Delete(ctx context.Context, req *Request, prior *Prior) error {
	_, err := call(ctx, req, "monitoring", "DeleteAlarms", map[string]any{"AlarmNames": []any{prior.PhysicalID}})
	return err
}

// scalableTarget is the provider of AWS::ApplicationAutoScaling::ScalableTarget; its
// physical id is "<ResourceId>|<ScalableDimension>|<ServiceNamespace>", as
// CloudFormation's.
type scalableTarget struct{}

const appScaling = "application-autoscaling"

func (scalableTarget) register(ctx context.Context, req *Request) error {
	in := pick(req.Properties, "ServiceNamespace", "ResourceId", "ScalableDimension", "MinCapacity", "MaxCapacity", "RoleARN", "SuspendedState")
	coerce(in, toInt, "MinCapacity", "MaxCapacity")
	if ss, ok := in["SuspendedState"].(map[string]any); ok {
		coerce(ss, toBool, "DynamicScalingInSuspended", "DynamicScalingOutSuspended", "ScheduledScalingSuspended")
	}
	_, err := call(ctx, req, appScaling, "RegisterScalableTarget", in)
	return err
}

// scheduled puts (and deletes) a target's ScheduledActions.
func (scalableTarget) scheduled(ctx context.Context, req *Request, old, new map[string]any) error {
	base := pick(new, "ServiceNamespace", "ResourceId", "ScalableDimension")
	names := map[string]bool{}
	var err error
	eachMap(new["ScheduledActions"], func(a map[string]any) {
		if err != nil {
			return
		}
		in := copyProps(a)
		for k, v := range base {
			in[k] = v
		}
		if sta, ok := in["ScalableTargetAction"].(map[string]any); ok {
			coerce(sta, toInt, "MinCapacity", "MaxCapacity")
		}
		names[getStr(a, "ScheduledActionName")] = true
		_, err = call(ctx, req, appScaling, "PutScheduledAction", in)
	})
	if err != nil {
		return err
	}
	var gone []string
	eachMap(old["ScheduledActions"], func(a map[string]any) {
		if n := getStr(a, "ScheduledActionName"); !names[n] {
			gone = append(gone, n)
		}
	})
	sort.Strings(gone)
	for _, n := range gone {
		in := pick(old, "ServiceNamespace", "ResourceId", "ScalableDimension")
		in["ScheduledActionName"] = n
		if _, err := call(ctx, req, appScaling, "DeleteScheduledAction", in); err != nil && !isNotFound(err) {
			return err
		}
	}
	return nil
}

func (t scalableTarget) Create(ctx context.Context, req *Request) (*Result, error) {
	if err := t.register(ctx, req); err != nil {
		return nil, err
	}
	p := req.Properties
	id := str(p, "ResourceId") + "|" + str(p, "ScalableDimension") + "|" + str(p, "ServiceNamespace")
	res := &Result{PhysicalID: id, Attributes: map[string]any{"Id": id}}
	if err := t.scheduled(ctx, req, map[string]any{}, p); err != nil {
		return res, err
	}
	return res, nil
}

func (t scalableTarget) Update(ctx context.Context, req *Request, prior *Prior) (*Result, error) {
	if err := t.register(ctx, req); err != nil {
		return nil, err
	}
	return nil, t.scheduled(ctx, req, prior.Properties, req.Properties)
}

func (t scalableTarget) Delete(ctx context.Context, req *Request, prior *Prior) error {
	_, err := call(ctx, req, appScaling, "DeregisterScalableTarget", pick(prior.Properties, "ServiceNamespace", "ResourceId", "ScalableDimension"))
	return err
}

// scalingPolicy is the provider of AWS::ApplicationAutoScaling::ScalingPolicy. It
// names its target either directly or by ScalingTargetId (a ScalableTarget's Ref).
type scalingPolicy struct{}

func (scalingPolicy) target(props map[string]any) (map[string]any, error) {
	t := pick(props, "ServiceNamespace", "ResourceId", "ScalableDimension")
	if id := str(props, "ScalingTargetId"); id != "" {
		parts := strings.Split(id, "|")
		if len(parts) != 3 {
			return nil, errors.New("Properties validation failed: ScalingTargetId must be the Ref of an AWS::ApplicationAutoScaling::ScalableTarget")
		}
		t["ResourceId"], t["ScalableDimension"], t["ServiceNamespace"] = parts[0], parts[1], parts[2]
	}
	if len(t) != 3 {
		return nil, errors.New("Properties validation failed: specify ScalingTargetId, or ResourceId, ScalableDimension and ServiceNamespace")
	}
	return t, nil
}

func (p scalingPolicy) put(ctx context.Context, req *Request) (string, error) {
	in, err := p.target(req.Properties)
	if err != nil {
		return "", err
	}
	for k, v := range pick(req.Properties, "PolicyName", "PolicyType", "StepScalingPolicyConfiguration", "TargetTrackingScalingPolicyConfiguration") {
		in[k] = v
	}
	if c, ok := in["TargetTrackingScalingPolicyConfiguration"].(map[string]any); ok {
		coerce(c, toInt, "TargetValue", "ScaleInCooldown", "ScaleOutCooldown")
		coerce(c, toBool, "DisableScaleIn")
	}
	if c, ok := in["StepScalingPolicyConfiguration"].(map[string]any); ok {
		coerce(c, toInt, "Cooldown", "MinAdjustmentMagnitude")
		eachMap(c["StepAdjustments"], func(s map[string]any) {
			coerce(s, toInt, "MetricIntervalLowerBound", "MetricIntervalUpperBound", "ScalingAdjustment")
		})
	}
	out, err := call(ctx, req, appScaling, "PutScalingPolicy", in)
	if err != nil {
		return "", err
	}
	return getStr(out, "PolicyARN"), nil
}

func (p scalingPolicy) Create(ctx context.Context, req *Request) (*Result, error) {
	arn, err := p.put(ctx, req)
	if err != nil {
		return nil, err
	}
	return &Result{PhysicalID: arn, Attributes: map[string]any{"Arn": arn}}, nil
}

func (p scalingPolicy) Update(ctx context.Context, req *Request, prior *Prior) (*Result, error) {
	_, err := p.put(ctx, req)
	return nil, err
}

func (p scalingPolicy) Delete(ctx context.Context, req *Request, prior *Prior) error {
	in, err := p.target(prior.Properties)
	if err != nil {
		return nil
	}
	in["PolicyName"] = str(prior.Properties, "PolicyName")
	_, err = call(ctx, req, appScaling, "DeleteScalingPolicy", in)
	return err
}
