package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/ecs"
	"github.com/wharf-dev/wharf/internal/gateway"
	"github.com/wharf-dev/wharf/internal/ssm"
	"github.com/wharf-dev/wharf/internal/sts"
	"github.com/wharf-dev/wharf/internal/taskmeta"
)

// This file adapts the services to what tasks need: secrets resolved as the task
// execution role, credentials of the task role, and the task's metadata.

// secretResolver reads task secrets from Parameter Store with the permissions of the
// task execution role, as the ECS agent does.
type secretResolver struct {
	ssm     *ssm.Service
	authz   *authorizer
	region  string
	account string
}

// Resolve implements agent.SecretResolver.
func (r secretResolver) Resolve(ctx context.Context, executionRoleArn, valueFrom string) (string, error) {
	if executionRoleArn == "" {
		return "", errors.New("the task definition has no executionRoleArn to read secrets with")
	}
	name := executionRoleArn[strings.LastIndexByte(executionRoleArn, '/')+1:]
	p := awsapi.Principal{
		AccountID: r.account,
		ARN:       fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/ecs-task-execution", r.account, name),
		UserID:    "AROA" + name + ":ecs-task-execution",
	}
	arn := valueFrom
	if !strings.HasPrefix(arn, "arn:") {
		arn = fmt.Sprintf("arn:aws:ssm:%s:%s:parameter/%s", r.region, r.account, strings.TrimPrefix(valueFrom, "/"))
	}
	if err := r.authz.Authorize(ctx, p, awsapi.Authorization{Action: "ssm:GetParameters", Resources: []string{arn}, ResourceTags: r.ssm.ResourceTags}); err != nil {
		var denied *gateway.Denied
		if errors.As(err, &denied) {
			return "", fmt.Errorf("AccessDeniedException: %s", denied.Message)
		}
		return "", err
	}
	value, err := r.ssm.ResolveParameter(awsapi.WithPrincipal(ctx, p), valueFrom)
	if e, ok := awsapi.As(err); ok {
		return "", fmt.Errorf("%s: %s", e.Code, e.Message)
	}
	return value, err
}

// roleCredentials issues task role credentials through STS.
func roleCredentials(s *sts.Service) taskmeta.RoleCredentials {
	return func(ctx context.Context, roleArn, sessionName string, d time.Duration) (taskmeta.Credentials, error) {
		c, err := s.CredentialsFor(ctx, roleArn, sessionName, d)
		if err != nil {
			return taskmeta.Credentials{}, err
		}
		return taskmeta.Credentials{AccessKeyID: c.AccessKeyId, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken, Expiration: c.Expiration}, nil
	}
}

// taskInfo describes a task and its definition for the metadata endpoint.
func taskInfo(e *ecs.Service) taskmeta.TaskInfo {
	return func(ctx context.Context, taskArn string) (ecs.Task, ecs.TaskDefinition, error) {
		parts := strings.Split(taskArn, "/")
		if len(parts) < 3 {
			return ecs.Task{}, ecs.TaskDefinition{}, fmt.Errorf("malformed task ARN %q", taskArn)
		}
		cluster := parts[len(parts)-2]
		out, err := e.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: &cluster, Tasks: []string{taskArn}})
		if e, ok := awsapi.As(err); ok && e.Code == "ClusterNotFoundException" {
			return ecs.Task{}, ecs.TaskDefinition{}, fmt.Errorf("%w: %s", taskmeta.ErrTaskNotFound, taskArn)
		}
		if err != nil {
			return ecs.Task{}, ecs.TaskDefinition{}, err
		}
		if len(out.Tasks) != 1 {
			return ecs.Task{}, ecs.TaskDefinition{}, fmt.Errorf("%w: %s", taskmeta.ErrTaskNotFound, taskArn)
		}
		task := out.Tasks[0]
		td, err := e.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: &task.TaskDefinitionArn})
		if err != nil {
			return ecs.Task{}, ecs.TaskDefinition{}, err
		}
		return task, *td.TaskDefinition, nil
	}
}
