package cloudformation

import (
	"context"
	"sort"
	"strings"
)

// iamTypes registers the AWS::IAM types. All need CAPABILITY_IAM, and
// CAPABILITY_NAMED_IAM when they name their resource.
func iamTypes(r *Registry) {
	r.Register("AWS::IAM::Role", ResourceType{
		Provider: iamPrincipal{kind: "Role"}, CreateOnly: []string{"RoleName", "Path"}, Attributes: []string{"Arn", "RoleId"},
		NameProperty: "RoleName", Required: []string{"AssumeRolePolicyDocument"}, IAM: true,
	})
	r.Register("AWS::IAM::User", ResourceType{
		Provider: iamPrincipal{kind: "User"}, CreateOnly: []string{"UserName"}, Attributes: []string{"Arn"},
		NameProperty: "UserName", IAM: true,
	})
	r.Register("AWS::IAM::Group", ResourceType{
		Provider: iamPrincipal{kind: "Group"}, CreateOnly: []string{"GroupName"}, Attributes: []string{"Arn"},
		NameProperty: "GroupName", IAM: true,
	})
	r.Register("AWS::IAM::Policy", ResourceType{
		Provider: iamPolicy{}, CreateOnly: []string{"PolicyName"}, Attributes: []string{"Id"},
		Required: []string{"PolicyName", "PolicyDocument"}, IAM: true,
	})
	r.Register("AWS::IAM::ManagedPolicy", ResourceType{
		Provider: iamManagedPolicy{}, CreateOnly: []string{"ManagedPolicyName", "Path", "Description"},
		Attributes: []string{"AttachmentCount", "CreateDate", "DefaultVersionId", "IsAttachable", "PermissionsBoundaryUsageCount",
			"PolicyArn", "PolicyId", "UpdateDate"},
		NameProperty: "ManagedPolicyName", Required: []string{"PolicyDocument"}, IAM: true,
	})
	r.Register("AWS::IAM::AccessKey", ResourceType{
		Provider: iamAccessKey{}, CreateOnly: []string{"UserName", "Serial"}, Attributes: []string{"SecretAccessKey"},
		Required: []string{"UserName"}, IAM: true,
	})
	r.Register("AWS::IAM::InstanceProfile", ResourceType{
		Provider: iamInstanceProfile{}, CreateOnly: []string{"InstanceProfileName", "Path"}, Attributes: []string{"Arn"},
		NameProperty: "InstanceProfileName", Required: []string{"Roles"}, IAM: true,
	})
}

// inlinePolicies reads a Policies property: policy name → document text.
func inlinePolicies(v any) (map[string]string, error) {
	out := map[string]string{}
	var err error
	eachMap(v, func(m map[string]any) {
		if err != nil {
			return
		}
		name := getStr(m, "PolicyName")
		doc, derr := jsonText(get(m, "PolicyDocument"))
		if derr != nil {
			err = derr
			return
		}
		out[name] = doc
	})
	return out, err
}

// iamPrincipal is the provider of roles, users and groups.
type iamPrincipal struct {
	kind string // "Role", "User", "Group"
}

func (p iamPrincipal) nameKey() string { return p.kind + "Name" }

func (p iamPrincipal) Create(ctx context.Context, req *Request) (*Result, error) {
	name := str(req.Properties, p.nameKey())
	if name == "" {
		max := 64
		if p.kind == "Group" {
			max = 128
		}
		name = req.PhysicalName(max)
	}
	in := pick(req.Properties, "Path", "Description", "MaxSessionDuration", "PermissionsBoundary", "Tags")
	in[p.nameKey()] = name
	coerce(in, toInt, "MaxSessionDuration")
	if p.kind == "Role" {
		doc, err := jsonText(req.Properties["AssumeRolePolicyDocument"])
		if err != nil {
			return nil, err
		}
		in["AssumeRolePolicyDocument"] = doc
	}
	if p.kind == "Group" {
		delete(in, "Tags")
		delete(in, "Description")
	}
	out, err := call(ctx, req, "iam", "Create"+p.kind, in)
	if err != nil {
		return nil, err
	}
	attrs := map[string]any{"Arn": getStr(out, p.kind, "Arn")}
	if p.kind == "Role" {
		attrs["RoleId"] = getStr(out, "Role", "RoleId")
	}
	res := &Result{PhysicalID: name, Attributes: attrs}
	if err := p.sync(ctx, req, name, map[string]any{}, req.Properties); err != nil {
		return res, err
	}
	return res, nil
}

// sync brings a principal's groups, inline and managed policies from old to new.
func (p iamPrincipal) sync(ctx context.Context, req *Request, name string, old, new map[string]any) error {
	oldP, err := inlinePolicies(old["Policies"])
	if err != nil {
		return err
	}
	newP, err := inlinePolicies(new["Policies"])
	if err != nil {
		return err
	}
	names := make([]string, 0, len(newP))
	for n := range newP {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if od, ok := oldP[n]; ok && od == newP[n] {
			continue
		}
		if _, err := call(ctx, req, "iam", "Put"+p.kind+"Policy", map[string]any{p.nameKey(): name, "PolicyName": n, "PolicyDocument": newP[n]}); err != nil {
			return err
		}
	}
	for n := range oldP {
		if _, ok := newP[n]; !ok {
			if _, err := call(ctx, req, "iam", "Delete"+p.kind+"Policy", map[string]any{p.nameKey(): name, "PolicyName": n}); err != nil && !isNotFound(err) {
				return err
			}
		}
	}
	added, removed := diffStrings(strList(old["ManagedPolicyArns"]), strList(new["ManagedPolicyArns"]))
	for _, arn := range added {
		if _, err := call(ctx, req, "iam", "Attach"+p.kind+"Policy", map[string]any{p.nameKey(): name, "PolicyArn": arn}); err != nil {
			return err
		}
	}
	for _, arn := range removed {
		if _, err := call(ctx, req, "iam", "Detach"+p.kind+"Policy", map[string]any{p.nameKey(): name, "PolicyArn": arn}); err != nil && !isNotFound(err) {
			return err
		}
	}
	if p.kind == "User" {
		added, removed := diffStrings(strList(old["Groups"]), strList(new["Groups"]))
		for _, g := range added {
			if _, err := call(ctx, req, "iam", "AddUserToGroup", map[string]any{"UserName": name, "GroupName": g}); err != nil {
				return err
			}
		}
		for _, g := range removed {
			if _, err := call(ctx, req, "iam", "RemoveUserFromGroup", map[string]any{"UserName": name, "GroupName": g}); err != nil && !isNotFound(err) {
				return err
			}
		}
	}
	return nil
}

func (p iamPrincipal) Update(ctx context.Context, req *Request, prior *Prior) (*Result, error) {
	name := prior.PhysicalID
	o, n := prior.Properties, req.Properties
	if p.kind == "Role" {
		if !sameJSON(o["AssumeRolePolicyDocument"], n["AssumeRolePolicyDocument"]) {
			doc, err := jsonText(n["AssumeRolePolicyDocument"])
			if err != nil {
				return nil, err
			}
			if _, err := call(ctx, req, "iam", "UpdateAssumeRolePolicy", map[string]any{"RoleName": name, "PolicyDocument": doc}); err != nil {
				return nil, err
			}
		}
		if !sameJSON(o["Description"], n["Description"]) || !sameJSON(o["MaxSessionDuration"], n["MaxSessionDuration"]) {
			in := pick(n, "Description", "MaxSessionDuration")
			coerce(in, toInt, "MaxSessionDuration")
			if _, ok := in["Description"]; !ok {
				in["Description"] = ""
			}
			in["RoleName"] = name
			if _, err := call(ctx, req, "iam", "UpdateRole", in); err != nil {
				return nil, err
			}
		}
	}
	if p.kind != "Group" {
		set, removed := tagDiff(tagPairs(o["Tags"]), tagPairs(n["Tags"]))
		if len(set) > 0 {
			if _, err := call(ctx, req, "iam", "Tag"+p.kind, map[string]any{p.nameKey(): name, "Tags": tagList(set, "Key", "Value")}); err != nil {
				return nil, err
			}
		}
		if len(removed) > 0 {
			if _, err := call(ctx, req, "iam", "Untag"+p.kind, map[string]any{p.nameKey(): name, "TagKeys": removed}); err != nil {
				return nil, err
			}
		}
	}
	return nil, p.sync(ctx, req, name, o, n)
}

func (p iamPrincipal) Delete(ctx context.Context, req *Request, prior *Prior) error {
	if err := p.sync(ctx, req, prior.PhysicalID, prior.Properties, map[string]any{}); err != nil && !isNotFound(err) {
		return err
	}
	_, err := call(ctx, req, "iam", "Delete"+p.kind, map[string]any{p.nameKey(): prior.PhysicalID})
	return err
}

// iamPolicy is the provider of AWS::IAM::Policy: one inline policy put on roles,
// users and groups.
type iamPolicy struct{}

var policyTargets = []struct{ prop, kind string }{{"Roles", "Role"}, {"Users", "User"}, {"Groups", "Group"}}

func (iamPolicy) apply(ctx context.Context, req *Request, old, new map[string]any) error {
	name := str(new, "PolicyName")
	doc := ""
	if new["PolicyDocument"] != nil {
		var err error
		if doc, err = jsonText(new["PolicyDocument"]); err != nil {
			return err
		}
	}
	changed := !sameJSON(old["PolicyDocument"], new["PolicyDocument"])
	for _, t := range policyTargets {
		oldT, newT := strList(old[t.prop]), strList(new[t.prop])
		added, removed := diffStrings(oldT, newT)
		put := added
		if changed {
			put = newT
		}
		for _, target := range put {
			if _, err := call(ctx, req, "iam", "Put"+t.kind+"Policy", map[string]any{t.kind + "Name": target, "PolicyName": name, "PolicyDocument": doc}); err != nil {
				return err
			}
		}
		for _, target := range removed {
			if _, err := call(ctx, req, "iam", "Delete"+t.kind+"Policy", map[string]any{t.kind + "Name": target, "PolicyName": str(old, "PolicyName")}); err != nil && !isNotFound(err) {
				return err
			}
		}
	}
	return nil
}

func (p iamPolicy) Create(ctx context.Context, req *Request) (*Result, error) {
	if len(strList(req.Properties["Roles"]))+len(strList(req.Properties["Users"]))+len(strList(req.Properties["Groups"])) == 0 {
		return nil, errorString("At least one of [Groups,Roles,Users] must be non-empty.")
	}
	id := req.PhysicalName(64)
	if err := p.apply(ctx, req, map[string]any{}, req.Properties); err != nil {
		return nil, err
	}
	return &Result{PhysicalID: id, Attributes: map[string]any{"Id": id}}, nil
}

func (p iamPolicy) Update(ctx context.Context, req *Request, prior *Prior) (*Result, error) {
	return nil, p.apply(ctx, req, prior.Properties, req.Properties)
}

func (p iamPolicy) Delete(ctx context.Context, req *Request, prior *Prior) error {
	return p.apply(ctx, req, prior.Properties, map[string]any{"PolicyName": prior.Properties["PolicyName"]})
}

// iamManagedPolicy is the provider of AWS::IAM::ManagedPolicy.
type iamManagedPolicy struct{}

func (iamManagedPolicy) attach(ctx context.Context, req *Request, arn string, old, new map[string]any) error {
	for _, t := range policyTargets {
		added, removed := diffStrings(strList(old[t.prop]), strList(new[t.prop]))
		for _, target := range added {
			if _, err := call(ctx, req, "iam", "Attach"+t.kind+"Policy", map[string]any{t.kind + "Name": target, "PolicyArn": arn}); err != nil {
				return err
			}
		}
		for _, target := range removed {
			if _, err := call(ctx, req, "iam", "Detach"+t.kind+"Policy", map[string]any{t.kind + "Name": target, "PolicyArn": arn}); err != nil && !isNotFound(err) {
				return err
			}
		}
	}
	return nil
}

func policyAttrs(out map[string]any) map[string]any {
	p := get(out, "Policy")
	return map[string]any{
		"PolicyArn": getStr(p, "Arn"), "PolicyId": getStr(p, "PolicyId"), "DefaultVersionId": getStr(p, "DefaultVersionId"),
		"AttachmentCount": get(p, "AttachmentCount"), "IsAttachable": get(p, "IsAttachable"),
		"PermissionsBoundaryUsageCount": get(p, "PermissionsBoundaryUsageCount"), "CreateDate": getStr(p, "CreateDate"),
		"UpdateDate": getStr(p, "CreateDate"),
	}
}

func (m iamManagedPolicy) Create(ctx context.Context, req *Request) (*Result, error) {
	name := str(req.Properties, "ManagedPolicyName")
	if name == "" {
		name = req.PhysicalName(128)
	}
	doc, err := jsonText(req.Properties["PolicyDocument"])
	if err != nil {
		return nil, err
	}
	in := pick(req.Properties, "Path", "Description")
	in["PolicyName"], in["PolicyDocument"] = name, doc
	out, err := call(ctx, req, "iam", "CreatePolicy", in)
	if err != nil {
		return nil, err
	}
	attrs := policyAttrs(out)
	arn := getStr(attrs, "PolicyArn")
	res := &Result{PhysicalID: arn, Attributes: attrs}
	if err := m.attach(ctx, req, arn, map[string]any{}, req.Properties); err != nil {
		return res, err
	}
	return res, nil
}

func (m iamManagedPolicy) Update(ctx context.Context, req *Request, prior *Prior) (*Result, error) {
	arn := prior.PhysicalID
	attrs := map[string]any{}
	for k, v := range prior.Attributes {
		attrs[k] = v
	}
	if !sameJSON(prior.Properties["PolicyDocument"], req.Properties["PolicyDocument"]) {
		doc, err := jsonText(req.Properties["PolicyDocument"])
		if err != nil {
			return nil, err
		}
		if err := m.pruneVersions(ctx, req, arn); err != nil {
			return nil, err
		}
		out, err := call(ctx, req, "iam", "CreatePolicyVersion", map[string]any{"PolicyArn": arn, "PolicyDocument": doc, "SetAsDefault": true})
		if err != nil {
			return nil, err
		}
		if v := getStr(out, "PolicyVersion", "VersionId"); v != "" {
			attrs["DefaultVersionId"] = v
		}
	}
	return &Result{Attributes: attrs}, m.attach(ctx, req, arn, prior.Properties, req.Properties)
}

// pruneVersions deletes the oldest non-default version when a policy has the five
// IAM allows.
func (iamManagedPolicy) pruneVersions(ctx context.Context, req *Request, arn string) error {
	out, err := call(ctx, req, "iam", "ListPolicyVersions", map[string]any{"PolicyArn": arn})
	if err != nil {
		return err
	}
	versions, _ := get(out, "Versions").([]any)
	var old []string
	for _, v := range versions {
		if isDefault, _ := get(v, "IsDefaultVersion").(bool); !isDefault {
			old = append(old, getStr(v, "VersionId"))
		}
	}
	if len(versions) < 5 || len(old) == 0 {
		return nil
	}
	sort.Slice(old, func(a, b int) bool { return versionNumber(old[a]) < versionNumber(old[b]) })
	_, err = call(ctx, req, "iam", "DeletePolicyVersion", map[string]any{"PolicyArn": arn, "VersionId": old[0]})
	return err
}

func versionNumber(v string) int {
	n := 0
	for _, c := range strings.TrimPrefix(v, "v") {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
	}
	return n
}

func (m iamManagedPolicy) Delete(ctx context.Context, req *Request, prior *Prior) error {
	arn := prior.PhysicalID
	if err := m.attach(ctx, req, arn, prior.Properties, map[string]any{}); err != nil && !isNotFound(err) {
		return err
	}
	out, err := call(ctx, req, "iam", "ListPolicyVersions", map[string]any{"PolicyArn": arn})
	if err != nil {
		return err
	}
	versions, _ := get(out, "Versions").([]any)
	for _, v := range versions {
		if isDefault, _ := get(v, "IsDefaultVersion").(bool); !isDefault {
			if _, err := call(ctx, req, "iam", "DeletePolicyVersion", map[string]any{"PolicyArn": arn, "VersionId": getStr(v, "VersionId")}); err != nil && !isNotFound(err) {
				return err
			}
		}
	}
	_, err = call(ctx, req, "iam", "DeletePolicy", map[string]any{"PolicyArn": arn})
	return err
}

// iamAccessKey is the provider of AWS::IAM::AccessKey.
type iamAccessKey struct{}

func (iamAccessKey) Create(ctx context.Context, req *Request) (*Result, error) {
	user := str(req.Properties, "UserName")
	out, err := call(ctx, req, "iam", "CreateAccessKey", map[string]any{"UserName": user})
	if err != nil {
		return nil, err
	}
	id := getStr(out, "AccessKey", "AccessKeyId")
	res := &Result{PhysicalID: id, Attributes: map[string]any{"SecretAccessKey": getStr(out, "AccessKey", "SecretAccessKey")}}
	if status := str(req.Properties, "Status"); status == "Inactive" {
		if _, err := call(ctx, req, "iam", "UpdateAccessKey", map[string]any{"UserName": user, "AccessKeyId": id, "Status": status}); err != nil {
			return res, err
		}
	}
	return res, nil
}

func (iamAccessKey) Update(ctx context.Context, req *Request, prior *Prior) (*Result, error) {
	status := str(req.Properties, "Status")
	if status == "" {
		status = "Active"
	}
	_, err := call(ctx, req, "iam", "UpdateAccessKey", map[string]any{"UserName": str(req.Properties, "UserName"), "AccessKeyId": prior.PhysicalID, "Status": status})
	return nil, err
}

func (iamAccessKey) Delete(ctx context.Context, req *Request, prior *Prior) error {
	_, err := call(ctx, req, "iam", "DeleteAccessKey", map[string]any{"UserName": str(prior.Properties, "UserName"), "AccessKeyId": prior.PhysicalID})
	return err
}

// iamInstanceProfile records AWS::IAM::InstanceProfile: Wharf's IAM has no instance
// profiles (it runs no EC2 instances), so the profile is a record with AWS's name
// and ARN.
type iamInstanceProfile struct{}

func (iamInstanceProfile) attrs(req *Request, name string) map[string]any {
	path := str(req.Properties, "Path")
	if path == "" {
		path = "/"
	}
	return map[string]any{"Arn": "arn:aws:iam::" + req.AccountID + ":instance-profile" + path + name}
}

func (p iamInstanceProfile) Create(_ context.Context, req *Request) (*Result, error) {
	name := str(req.Properties, "InstanceProfileName")
	if name == "" {
		name = req.PhysicalName(128)
	}
	return &Result{PhysicalID: name, Attributes: p.attrs(req, name)}, nil
}

func (p iamInstanceProfile) Update(_ context.Context, req *Request, prior *Prior) (*Result, error) {
	return &Result{Attributes: p.attrs(req, prior.PhysicalID)}, nil
}

func (iamInstanceProfile) Delete(context.Context, *Request, *Prior) error { return nil }

// errorString is a plain error with a fixed message.
type errorString string

func (e errorString) Error() string { return string(e) }
