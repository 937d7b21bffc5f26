package cloudformation

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/cloudformation/template"
)

// Template size limits, as CloudFormation's.
const (
	maxTemplateBody = 51200   // TemplateBody
	maxTemplateFile = 1 << 20 // TemplateURL
	maxResources    = 500
	maxOutputs      = 200
	maxParameters   = 200
	maxStacks       = 2000
)

// loadTemplate returns the template text of a request (its TemplateBody, or the file a
// file:// TemplateURL names, which the caller must be allowed to read) and the file's
// path ("" for a body).
func (s *Service) loadTemplate(ctx context.Context, body, templateURL *string) (string, string, error) {
	switch {
	case body != nil && templateURL != nil:
		return "", "", errValidation("Specify exactly one of TemplateBody or TemplateUrl.")
	case body != nil:
		if *body == "" {
			return "", "", errValidation("1 validation error detected: Value '' at 'templateBody' failed to satisfy constraint: Member must have length greater than or equal to 1")
		}
		if len(*body) > maxTemplateBody {
			return "", "", errValidation("1 validation error detected: Value at 'templateBody' failed to satisfy constraint: Member must have length less than or equal to %d", maxTemplateBody)
		}
		return *body, "", nil
	case templateURL != nil:
		path, err := filePath(*templateURL, "")
		if err != nil {
			return "", "", err
		}
		if !s.mayRead(ctx, path) {
			return "", "", errValidation("TemplateURL %s is outside the directories Wharf serves templates from to this caller", *templateURL)
		}
		text, err := readTemplateFile(path)
		return text, path, err
	}
	return "", "", errValidation("Either Template URL or Template Body must be specified.")
}

// filePath turns a TemplateURL into a file path: a file:// URL, or (for nested stacks,
// base being the parent template's file) a path relative to base's directory.
func filePath(raw, base string) (string, error) {
	if rest, ok := strings.CutPrefix(raw, "file://"); ok {
		if u, err := url.Parse(raw); err == nil && u.Path != "" {
			rest = u.Host + u.Path
			if u.Host != "" && u.Host != "localhost" && !strings.HasPrefix(rest, "/") {
				rest = u.Host + "/" + u.Path
			}
			if u.Host == "localhost" {
				rest = u.Path
			}
		}
		if rest == "" {
			return "", errValidation("TemplateURL must reference a valid file: %s", raw)
		}
		if !filepath.IsAbs(rest) && base != "" {
			rest = filepath.Join(filepath.Dir(base), rest)
		}
		return filepath.Clean(rest), nil
	}
	if strings.Contains(raw, "://") {
		return "", errValidation("TemplateURL must be a file:// URL: Wharf has no S3 (got %s)", raw)
	}
	if base == "" {
		return "", errValidation("TemplateURL must be a file:// URL (got %s)", raw)
	}
	if filepath.IsAbs(raw) {
		return filepath.Clean(raw), nil
	}
	return filepath.Join(filepath.Dir(base), raw), nil
}

// trusted reports whether the caller in ctx may read any template file: the
// account's root user, or Wharf itself (no caller).
func trusted(ctx context.Context) bool {
	p, ok := awsapi.PrincipalFrom(ctx)
	return !ok || p.Root
}

// mayRead reports whether the caller in ctx may use the template file at path: a
// trusted caller any, others only those under Config.TemplateDirs.
func (s *Service) mayRead(ctx context.Context, path string) bool {
	return trusted(ctx) || s.inTemplateDirs(path)
}

// inTemplateDirs reports whether path (symbolic links resolved) lies under one of
// the configured template directories.
func (s *Service) inTemplateDirs(path string) bool {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return false
	}
	for _, dir := range s.templateDirs {
		d, err := filepath.EvalSymlinks(dir)
		if err != nil {
			continue
		}
		if rel, err := filepath.Rel(d, real); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") && !filepath.IsAbs(rel) {
			return true
		}
	}
	return false
}

// readTemplateFile reads a template file, up to CloudFormation's size limit.
func readTemplateFile(path string) (string, error) {
	// Only regular files: a FIFO or a device would block or never end.
	if fi, err := os.Stat(path); err != nil {
		return "", errValidation("TemplateURL must reference a valid file: %s", pathError(err))
	} else if !fi.Mode().IsRegular() {
		return "", errValidation("TemplateURL must reference a valid file: %s is not a regular file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return "", errValidation("TemplateURL must reference a valid file: %s", pathError(err))
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, maxTemplateFile+1))
	if err != nil {
		return "", errValidation("TemplateURL must reference a valid file: %s", pathError(err))
	}
	if len(raw) > maxTemplateFile {
		return "", errValidation("Template may not exceed %d bytes in size.", maxTemplateFile)
	}
	return string(raw), nil
}

func pathError(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Path + ": " + pe.Err.Error()
	}
	return err.Error()
}

// parseTemplate parses a template body; errors are ValidationErrors.
func parseTemplate(body string) (*template.Template, error) {
	t, err := template.Parse([]byte(body))
	if err != nil {
		return nil, asValidation(err)
	}
	return t, nil
}

// asValidation turns a template error into a ValidationError with AWS's wording.
func asValidation(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := awsapi.As(err); ok {
		return err
	}
	var te *template.Error
	if errors.As(err, &te) {
		return errValidation("%s", te.Message)
	}
	return errValidation("%s", err.Error())
}

// checkTemplate validates a parsed template: its structure and references, its
// limits, that it has no Transform, and that every resource type is known. It returns
// the capabilities the template needs.
func (s *Service) checkTemplate(t *template.Template) ([]string, error) {
	if t.Transform != nil && !isEmptyTransform(t.Transform) {
		return nil, errValidation("Template format error: Transforms are not supported by Wharf (%v)", t.Transform)
	}
	if err := t.Validate(); err != nil {
		return nil, asValidation(err)
	}
	if len(t.Resources) > maxResources {
		return nil, errValidation("Template format error: Number of resources, %d, is greater than maximum allowed, %d", len(t.Resources), maxResources)
	}
	if len(t.Outputs) > maxOutputs {
		return nil, errValidation("Template format error: Number of outputs, %d, is greater than maximum allowed, %d", len(t.Outputs), maxOutputs)
	}
	if len(t.Parameters) > maxParameters {
		return nil, errValidation("Template format error: Number of parameters, %d, is greater than maximum allowed, %d", len(t.Parameters), maxParameters)
	}
	var unknown []string
	seen := map[string]bool{}
	iam, named := false, false
	for _, id := range t.ResourceOrder {
		r := t.Resources[id]
		rt, ok := s.registry.Lookup(r.Type)
		if !ok {
			if !seen[r.Type] {
				seen[r.Type] = true
				unknown = append(unknown, r.Type)
			}
			continue
		}
		if rt.IAM {
			iam = true
			if rt.NameProperty != "" && hasProperty(r.Properties, rt.NameProperty) {
				named = true
			}
		}
	}
	if len(unknown) > 0 {
		return nil, errValidation("Template format error: Unrecognized resource types: %s", listString(unknown))
	}
	for _, ref := range t.AttributeRefs() {
		r, ok := t.Resources[ref.LogicalID]
		if !ok {
			continue // Validate reports references to undefined resources
		}
		if rt, ok := s.registry.Lookup(r.Type); ok && rt.Attributes != nil && !hasAttribute(rt.Attributes, ref.Attribute) {
			return nil, errValidation("Template error: resource %s does not support attribute type %s in Fn::GetAtt (at %s)", ref.LogicalID, ref.Attribute, ref.Path)
		}
	}
	switch {
	case named:
		return []string{"CAPABILITY_NAMED_IAM"}, nil
	case iam:
		return []string{"CAPABILITY_IAM"}, nil
	}
	return nil, nil
}

func isEmptyTransform(v any) bool {
	switch x := v.(type) {
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case []string:
		return len(x) == 0
	}
	return false
}

// hasProperty reports whether a resource's properties set the top-level property name.
func hasProperty(props template.Node, name string) bool {
	if props.IsZero() {
		return false
	}
	m, ok := props.Raw().(map[string]any)
	if !ok {
		return false
	}
	v, ok := m[name]
	return ok && v != nil
}

// checkCapabilities fails when the template needs capabilities the caller did not
// acknowledge.
func checkCapabilities(needed, given []string) error {
	if len(needed) == 0 {
		return nil
	}
	have := map[string]bool{}
	for _, c := range given {
		have[c] = true
	}
	need := needed[0]
	if have[need] || need == "CAPABILITY_IAM" && have["CAPABILITY_NAMED_IAM"] {
		return nil
	}
	return errCapabilities(needed)
}

// checkCapabilityValues rejects unknown capability names.
func checkCapabilityValues(caps []string) error {
	for _, c := range caps {
		switch c {
		case "CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND":
		default:
			return errValidation("1 validation error detected: Value '[%s]' at 'capabilities' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [CAPABILITY_AUTO_EXPAND, CAPABILITY_NAMED_IAM, CAPABILITY_IAM]]", strings.Join(caps, ", "))
		}
	}
	return nil
}

// prepared is a validated template with its parameters resolved.
type prepared struct {
	tmpl   *template.Template
	cfg    stackConfig
	needed []string // capabilities the template needs
}

// prepare parses and validates a template and resolves its parameters: given
// parameters, UsePreviousValue against prev (the stack's current configuration, nil
// for a new stack), and defaults.
func (s *Service) prepare(ctx context.Context, body, path string, given []Parameter, prev *stackConfig, caps []string, tags []tagRecord) (*prepared, error) {
	t, err := parseTemplate(body)
	if err != nil {
		return nil, err
	}
	needed, err := s.checkTemplate(t)
	if err != nil {
		return nil, err
	}
	if err := checkCapabilityValues(caps); err != nil {
		return nil, err
	}
	if err := checkCapabilities(needed, caps); err != nil {
		return nil, err
	}
	values := map[string]string{}
	for _, p := range given {
		key := deref(p.ParameterKey)
		if key == "" {
			return nil, errValidation("1 validation error detected: Value null at 'parameters.member.parameterKey' failed to satisfy constraint: Member must not be null")
		}
		if deref(p.UsePreviousValue) {
			if p.ParameterValue != nil {
				return nil, errValidation("Invalid input for parameter key %s. Cannot specify usePreviousValue as true and non empty value for a parameter", key)
			}
			found := false
			if prev != nil {
				for _, pv := range prev.Params {
					if pv.Key == key {
						values[key], found = pv.Value, true
					}
				}
			}
			if !found {
				return nil, errValidation("Invalid input for parameter key %s. Cannot specify usePreviousValue as true for a parameter key not in the previous template", key)
			}
			continue
		}
		values[key] = deref(p.ParameterValue)
	}
	resolved, err := t.ResolveParameters(values, s.resolveSSMParameter)
	if err != nil {
		return nil, asValidation(err)
	}
	cfg := stackConfig{Template: body, TemplatePath: path, Description: t.Description, Capabilities: caps, Tags: tags, Trusted: trusted(ctx)}
	for _, name := range t.ParameterOrder {
		decl := t.Parameters[name]
		v, ok := values[name]
		if !ok {
			v = decl.Default
		}
		pv := paramValue{Key: name, Value: v, NoEcho: decl.NoEcho}
		if strings.HasPrefix(decl.Type, "AWS::SSM::Parameter::Value<") {
			pv.SSM = true
			pv.Resolved = stringify(resolved[name])
		}
		cfg.Params = append(cfg.Params, pv)
	}
	return &prepared{tmpl: t, cfg: cfg, needed: needed}, nil
}

// tagRecords converts API tags, checking AWS's limits.
func tagRecords(tags []Tag) ([]tagRecord, error) {
	if len(tags) > 50 {
		return nil, errValidation("1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50")
	}
	out := make([]tagRecord, 0, len(tags))
	for _, t := range tags {
		k := deref(t.Key)
		if k == "" || len(k) > 128 {
			return nil, errValidation("1 validation error detected: Value '%s' at 'tags.member.key' failed to satisfy constraint: Member must have length between 1 and 128", k)
		}
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return nil, errValidation("Invalid tag key: tag keys cannot start with 'aws:' (%s)", k)
		}
		if len(deref(t.Value)) > 256 {
			return nil, errValidation("1 validation error detected: Value at 'tags.member.value' failed to satisfy constraint: Member must have length less than or equal to 256")
		}
		out = append(out, tagRecord{Key: k, Value: deref(t.Value)})
	}
	return out, nil
}

// apiParameters lists a configuration's parameters as DescribeStacks shows them.
func apiParameters(params []paramValue) []Parameter {
	out := make([]Parameter, 0, len(params))
	for _, p := range params {
		v := p.Value
		if p.NoEcho {
			v = "****"
		}
		ap := Parameter{ParameterKey: ptr(p.Key), ParameterValue: ptr(v)}
		if p.SSM {
			rv := p.Resolved
			if p.NoEcho {
				rv = "****"
			}
			ap.ResolvedValue = ptr(rv)
		}
		out = append(out, ap)
	}
	return out
}

// apiTags lists tags in the API shape.
func apiTags(tags []tagRecord) []Tag {
	if len(tags) == 0 {
		return nil
	}
	out := make([]Tag, len(tags))
	for i, t := range tags {
		out[i] = Tag{Key: ptr(t.Key), Value: ptr(t.Value)}
	}
	return out
}

// resourceTypes lists a template's resource types, sorted and unique.
func resourceTypes(t *template.Template) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range t.Resources {
		if !seen[r.Type] {
			seen[r.Type] = true
			out = append(out, r.Type)
		}
	}
	sort.Strings(out)
	return out
}

// capabilitiesReason explains the capabilities a template needs.
func capabilitiesReason(needed []string, t *template.Template) string {
	if len(needed) == 0 {
		return ""
	}
	var ids []string
	for _, id := range t.ResourceOrder {
		if strings.HasPrefix(t.Resources[id].Type, "AWS::IAM::") {
			ids = append(ids, id)
		}
	}
	return fmt.Sprintf("The following resource(s) require capabilities: %s", listString(typesOf(t, ids)))
}

func typesOf(t *template.Template, ids []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range ids {
		typ := t.Resources[id].Type
		if !seen[typ] {
			seen[typ] = true
			out = append(out, typ)
		}
	}
	return out
}
