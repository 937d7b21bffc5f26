package agent

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/wharf-dev/wharf/internal/ecs"
)

// taskEndpointPath is where the app serves the task credentials and metadata
// endpoints (taskmeta.PathPrefix).
const taskEndpointPath = "/_wharf/task/"

// secretsReason starts the stoppedReason of a task whose secrets cannot be resolved,
// in ECS's words.
const secretsReason = "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: "

// wharfEnv are the variables Wharf sets in every container; neither the environment
// of the definition nor a secret replaces them.
var wharfEnv = map[string]bool{
	"AWS_ENDPOINT_URL":                   true,
	"AWS_REGION":                         true,
	"AWS_DEFAULT_REGION":                 true,
	"ECS_CONTAINER_METADATA_TASK_ARN":    true,
	"ECS_CONTAINER_METADATA_URI_V4":      true,
	"AWS_CONTAINER_CREDENTIALS_FULL_URI": true,
	"AWS_CONTAINER_AUTHORIZATION_TOKEN":  true,
}

// taskRoleArn is the task role of a task: its override, else its definition's.
func taskRoleArn(t ecs.Task, td ecs.TaskDefinition) string {
	if t.Overrides != nil && t.Overrides.TaskRoleArn != "" {
		return t.Overrides.TaskRoleArn
	}
	return td.TaskRoleArn
}

// executionRoleArn is the task execution role of a task: its override, else its definition's.
func executionRoleArn(t ecs.Task, td ecs.TaskDefinition) string {
	if t.Overrides != nil && t.Overrides.ExecutionRoleArn != "" {
		return t.Overrides.ExecutionRoleArn
	}
	return td.ExecutionRoleArn
}

// prepare readies the containers not yet created for their start: it resolves their
// secrets into their environment and gives them the task's token for the credentials
// and metadata endpoints. It returns the task's stoppedReason when the task cannot
// start, "" otherwise. Secret values are never logged.
func (r *runner) prepare(ctx context.Context) (failure string) {
	var pending []*ctr
	for _, c := range r.ctrs {
		if c.status == "" {
			pending = append(pending, c)
		}
	}
	if len(pending) == 0 {
		return ""
	}
	resolved := map[string]string{} // by valueFrom: a parameter used twice is read once
	for _, c := range pending {
		for _, s := range c.def.Secrets {
			v, ok := resolved[s.ValueFrom]
			if !ok {
				if r.a.cfg.Secrets == nil {
					return secretsReason + secretSource(s.ValueFrom) + ": this node has no secret resolver, so it cannot inject secret " + s.Name
				}
				var err error
				v, err = r.a.cfg.Secrets.Resolve(ctx, r.execRole, s.ValueFrom)
				if err != nil {
					if ctx.Err() != nil {
						return ""
					}
					r.log.Warn("resolving secret", "container", c.def.Name, "secret", s.Name, "value_from", s.ValueFrom, "execution_role", r.execRole, "err", err)
					return secretsReason + secretSource(s.ValueFrom) + ": " + err.Error()
				}
				resolved[s.ValueFrom] = v
			}
			if wharfEnv[s.Name] {
				r.log.Warn("secret not injected: Wharf sets this variable", "container", c.def.Name, "secret", s.Name)
				continue
			}
			c.spec.Env[s.Name] = v
		}
	}
	if r.a.cfg.Identity == nil {
		return ""
	}
	token, err := r.a.cfg.Identity.Issue(ctx, r.task.TaskArn, r.taskRole)
	if err != nil {
		if ctx.Err() != nil {
			return ""
		}
		return fmt.Sprintf("ResourceInitializationError: failed to issue the task's credentials token: %v", err)
	}
	for _, c := range pending {
		base := strings.TrimSuffix(r.a.metadataBase(c), "/")
		c.spec.Env["ECS_CONTAINER_METADATA_URI_V4"] = base + taskEndpointPath + "metadata/" + token + "/" + url.PathEscape(c.def.Name)
		if r.taskRole == "" {
			continue
		}
		// The SDKs accept an http FULL_URI only on a loopback host or the ECS and EKS
		// link-local addresses.
		if !sdkAcceptedURL(base) {
			r.log.Warn("task role credentials not offered: the container reaches wharf at an address the AWS SDKs refuse over http (neither loopback nor ECS link-local)", "container", c.def.Name, "endpoint", base)
			continue
		}
		c.spec.Env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = base + taskEndpointPath + "credentials"
		c.spec.Env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = token
	}
	return ""
}

// secretSource names the store a secret comes from as ECS does in its errors.
func secretSource(valueFrom string) string {
	if strings.HasPrefix(valueFrom, "arn:") && strings.Contains(valueFrom, ":secretsmanager:") {
		return "unable to retrieve secret from asm"
	}
	return "unable to retrieve secrets from ssm"
}

// metadataBase is the base URL at which container c reaches the task endpoints.
func (a *Agent) metadataBase(c *ctr) string {
	bridged := !strings.HasPrefix(c.def.Image, ProcessImagePrefix) && (c.spec.NetworkMode == "" || c.spec.NetworkMode == "bridge")
	if bridged && a.cfg.ContainerTaskEndpoint != "" {
		return a.cfg.ContainerTaskEndpoint
	}
	if bridged && a.cfg.DockerEndpoint != "" {
		return a.cfg.DockerEndpoint
	}
	if a.cfg.MetadataEndpoint != "" {
		return a.cfg.MetadataEndpoint
	}
	return a.cfg.Endpoint
}

// sdkAcceptedURL reports whether the AWS SDKs accept raw as an http
// AWS_CONTAINER_CREDENTIALS_FULL_URI: its host is localhost, a loopback address, or
// the link-local address of the ECS (169.254.170.2) or EKS (169.254.170.23,
// fd00:ec2::23) credentials endpoint.
func sdkAcceptedURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	switch host := u.Hostname(); host {
	case "localhost", "169.254.170.2", "169.254.170.23", "fd00:ec2::23":
		return true
	default:
		ip := net.ParseIP(host)
		return ip != nil && ip.IsLoopback()
	}
}

// revoke revokes a stopped task's token, if the node issues tokens.
func (a *Agent) revoke(ctx context.Context, taskArn string) {
	if a.cfg.Identity == nil {
		return
	}
	if err := a.cfg.Identity.Revoke(context.WithoutCancel(ctx), taskArn); err != nil {
		a.log.Warn("revoking task token", "task_arn", taskArn, "err", err)
	}
}
