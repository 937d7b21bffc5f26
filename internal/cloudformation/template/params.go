package template

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// awsSpecificTypes are the AWS-specific parameter types; their values are strings
// (ids and names) that Wharf does not look up.
var awsSpecificTypes = map[string]bool{
	"AWS::EC2::AvailabilityZone::Name":   true,
	"AWS::EC2::Image::Id":                true,
	"AWS::EC2::Instance::Id":             true,
	"AWS::EC2::KeyPair::KeyName":         true,
	"AWS::EC2::SecurityGroup::GroupName": true,
	"AWS::EC2::SecurityGroup::Id":        true,
	"AWS::EC2::Subnet::Id":               true,
	"AWS::EC2::Volume::Id":               true,
	"AWS::EC2::VPC::Id":                  true,
	"AWS::Route53::HostedZone::Id":       true,
}

// ec2Type matches the AWS::EC2::<Thing>::<Attribute> family, so that a type AWS
// adds later is not rejected.
var ec2Type = regexp.MustCompile(`^AWS::EC2::[A-Za-z0-9]+::[A-Za-z0-9]+$`)

// paramType is a parameter type taken apart.
type paramType struct {
	list   bool // the value is a list
	number bool // the value (or each member) is a number
	ssm    bool // the value names an SSM parameter holding the real value
}

// parseParameterType classifies a parameter type; ok is false for an unknown one.
func parseParameterType(t string) (pt paramType, ok bool) {
	if inner, found := strings.CutPrefix(t, "AWS::SSM::Parameter::Value<"); found {
		inner, found = strings.CutSuffix(inner, ">")
		if !found {
			return pt, false
		}
		if inner == "String" {
			return paramType{ssm: true}, true
		}
		p, ok := parseParameterType(inner)
		if !ok || p.ssm || p.number {
			return pt, false
		}
		p.ssm = true
		return p, true
	}
	switch t {
	case "String", "AWS::SSM::Parameter::Name":
		return pt, true
	case "Number":
		return paramType{number: true}, true
	case "List<Number>":
		return paramType{list: true, number: true}, true
	case "CommaDelimitedList", "List<String>":
		// List<String> is only valid inside AWS::SSM::Parameter::Value<...>;
		// knownParameterType rejects it at the top level.
		return paramType{list: true}, true
	}
	if awsSpecificTypes[t] || ec2Type.MatchString(t) {
		return pt, true
	}
	if inner, found := strings.CutPrefix(t, "List<"); found {
		inner, found = strings.CutSuffix(inner, ">")
		if found && (awsSpecificTypes[inner] || ec2Type.MatchString(inner)) {
			return paramType{list: true}, true
		}
	}
	return pt, false
}

// knownParameterType reports whether a template may declare a parameter of type t.
func knownParameterType(t string) bool {
	if t == "List<String>" {
		return false
	}
	_, ok := parseParameterType(t)
	return ok
}

// ResolveParameters checks given values (plus defaults) against the declarations:
// missing values without default ("Parameters: [X] must have values"),
// AllowedValues, AllowedPattern, Min/MaxLength, Min/MaxValue, types String, Number,
// List<Number>, CommaDelimitedList, AWS::EC2::*::Id and List<...> (strings), and
// AWS::SSM::Parameter::Value<String|List<String>|...> which it resolves with ssm
// (nil ssm: an error). Unknown given parameters are an error as AWS words it.
// Values are string or []string. The template's Rules are then checked against the
// values.
func (t *Template) ResolveParameters(given map[string]string, ssm func(name string) (string, error)) (map[string]any, error) {
	var unknown []string
	for name := range given {
		if _, ok := t.Parameters[name]; !ok {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, &Error{Message: fmt.Sprintf("Parameters: %s do not exist in the template", nameList(unknown))}
	}
	var missing []string
	for _, name := range t.ParameterOrder {
		p := t.Parameters[name]
		if _, ok := given[name]; !ok && !p.HasDefault {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return nil, &Error{Message: fmt.Sprintf("Parameters: %s must have values", nameList(missing))}
	}
	out := make(map[string]any, len(t.Parameters))
	for _, name := range t.ParameterOrder {
		p := t.Parameters[name]
		raw, ok := given[name]
		if !ok {
			raw = p.Default
		}
		v, err := p.resolve(raw, ssm)
		if err != nil {
			return nil, err
		}
		out[name] = v
	}
	if err := t.checkRules(out); err != nil {
		return nil, err
	}
	return out, nil
}

// resolve checks one value against the parameter's declaration and converts it.
func (p *Parameter) resolve(raw string, ssm func(string) (string, error)) (any, error) {
	pt, ok := parseParameterType(p.Type)
	if !ok {
		return nil, &Error{Message: "Template format error: Unrecognized parameter type: " + p.Type}
	}
	if pt.ssm {
		if ssm == nil {
			return nil, &Error{Message: fmt.Sprintf("Unable to fetch parameters [%s] from parameter store for this account.", raw)}
		}
		v, err := ssm(raw)
		if err != nil {
			return nil, &Error{Message: fmt.Sprintf("Unable to fetch parameters [%s] from parameter store for this account.", raw), Err: err}
		}
		if pt.list {
			return strings.Split(v, ","), nil
		}
		return v, nil
	}
	if !pt.list {
		if err := p.check(raw, pt.number); err != nil {
			return nil, err
		}
		return raw, nil
	}
	members := strings.Split(raw, ",")
	for _, m := range members {
		if err := p.check(m, pt.number); err != nil {
			return nil, err
		}
	}
	return members, nil
}

// check checks a value (or a list's member) against the parameter's constraints.
func (p *Parameter) check(v string, number bool) error {
	fail := func(format string, args ...any) error {
		if p.ConstraintDescription != "" {
			return &Error{Message: fmt.Sprintf("Parameter %s failed to satisfy constraint: %s", p.Name, p.ConstraintDescription)}
		}
		return &Error{Message: fmt.Sprintf("Parameter '%s' ", p.Name) + fmt.Sprintf(format, args...)}
	}
	if len(p.AllowedValues) > 0 {
		found := false
		for _, a := range p.AllowedValues {
			if a == v {
				found = true
				break
			}
		}
		if !found {
			return fail("must be one of AllowedValues")
		}
	}
	if number {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return fail("must be a number")
		}
		if p.MinValue != nil && f < *p.MinValue {
			return fail("must be a number not less than %s", formatNumber(*p.MinValue))
		}
		if p.MaxValue != nil && f > *p.MaxValue {
			return fail("must be a number not greater than %s", formatNumber(*p.MaxValue))
		}
		return nil
	}
	n := len([]rune(v))
	if p.MinLength != nil && n < *p.MinLength {
		return fail("must contain at least %d characters", *p.MinLength)
	}
	if p.MaxLength != nil && n > *p.MaxLength {
		return fail("must contain at most %d characters", *p.MaxLength)
	}
	if p.AllowedPattern != "" {
		// AWS's patterns are Java regular expressions, matched against the whole
		// value; one Go's engine cannot compile (a lookahead, say) is not checked.
		if re, err := regexp.Compile(`^(?:` + p.AllowedPattern + `)$`); err == nil && !re.MatchString(v) {
			return fail("must match pattern %s", p.AllowedPattern)
		}
	}
	return nil
}

func formatNumber(f float64) string {
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// SSM reports whether the parameter's value names a Systems Manager parameter whose
// value is the one templates see (type AWS::SSM::Parameter::Value<...>); AWS shows
// that value as the parameter's ResolvedValue.
func (p *Parameter) SSM() bool {
	pt, ok := parseParameterType(p.Type)
	return ok && pt.ssm
}

// List reports whether the parameter's value is a list (CommaDelimitedList,
// List<...>, or an SSM parameter holding one): Ref gives a []string.
func (p *Parameter) List() bool {
	pt, ok := parseParameterType(p.Type)
	return ok && pt.list
}
