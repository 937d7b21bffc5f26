package ecs

import (
	"fmt"
	"strconv"
	"strings"
)

// ARNs, as ECS makes them (the "long" format that names the cluster):
//
//	arn:aws:ecs:<region>:<account>:cluster/<cluster>
//	arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>
//	arn:aws:ecs:<region>:<account>:task/<cluster>/<32 hex id>
//	arn:aws:ecs:<region>:<account>:service/<cluster>/<service>
//	arn:aws:ecs:<region>:<account>:container-instance/<cluster>/<32 hex id>
//	arn:aws:ecs:<region>:<account>:container/<cluster>/<task id>/<uuid>
//	arn:aws:ecs:<region>:<account>:service-revision/<cluster>/<service>/<19 digits>
//	arn:aws:ecs:<region>:<account>:service-deployment/<cluster>/<service>/<id>

func (s *Service) arn(resource string) string {
	return fmt.Sprintf("arn:aws:ecs:%s:%s:%s", s.region, s.account, resource)
}

func (s *Service) clusterARN(name string) string { return s.arn("cluster/" + name) }

func (s *Service) taskARN(cluster, id string) string { return s.arn("task/" + cluster + "/" + id) }

func (s *Service) serviceARN(cluster, name string) string {
	return s.arn("service/" + cluster + "/" + name)
}

func (s *Service) instanceARN(cluster, id string) string {
	return s.arn("container-instance/" + cluster + "/" + id)
}

func (s *Service) serviceRevisionARN(cluster, service, id string) string {
	return s.arn("service-revision/" + cluster + "/" + service + "/" + id)
}

func (s *Service) serviceDeploymentARN(cluster, service, id string) string {
	return s.arn("service-deployment/" + cluster + "/" + service + "/" + id)
}

func (s *Service) taskDefARN(family string, revision int32) string {
	return s.arn(fmt.Sprintf("task-definition/%s:%d", family, revision))
}

func (s *Service) containerARN(cluster, taskID string) string {
	return s.arn("container/" + cluster + "/" + taskID + "/" + newUUID())
}

// arnRef is a parsed ECS ARN of this region and account.
type arnRef struct {
	// kind is the resource type: cluster, task, service, container-instance,
	// task-definition, container, service-revision or service-deployment.
	kind string
	// cluster is the cluster named in a task, service or container-instance ARN; empty
	// for the older short format that omits it.
	cluster string
	// name is the cluster name, task id, service name, instance id or family:revision;
	// for a container, service revision or service deployment, the two path elements
	// after the cluster, "/"-separated.
	name string
}

// parseARN parses an ECS ARN; it fails for other services, regions or accounts, which
// hold nothing here.
func (s *Service) parseARN(arn string) (arnRef, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] != "ecs" ||
		parts[3] != s.region || parts[4] != s.account {
		return arnRef{}, false
	}
	kind, rest, ok := strings.Cut(parts[5], "/")
	if !ok || rest == "" {
		return arnRef{}, false
	}
	path := strings.Split(rest, "/")
	for _, p := range path {
		if p == "" {
			return arnRef{}, false
		}
	}
	switch kind {
	case "cluster":
		if len(path) == 1 && !strings.Contains(rest, ":") {
			return arnRef{kind: kind, name: rest}, true
		}
	case "task-definition":
		if len(path) == 1 {
			return arnRef{kind: kind, name: rest}, true
		}
	case "task", "service", "container-instance":
		switch len(path) {
		case 1:
			return arnRef{kind: kind, name: path[0]}, true
		case 2:
			return arnRef{kind: kind, cluster: path[0], name: path[1]}, true
		}
	case "container", "service-revision", "service-deployment":
		if len(path) == 3 {
			return arnRef{kind: kind, cluster: path[0], name: path[1] + "/" + path[2]}, true
		}
	}
	return arnRef{}, false
}

// clusterName resolves a cluster given by name or ARN; nil or empty means "default".
func (s *Service) clusterName(ref *string) (string, error) {
	v := deref(ref)
	if v == "" {
		return "default", nil
	}
	if strings.HasPrefix(v, "arn:") {
		r, ok := s.parseARN(v)
		if !ok || r.kind != "cluster" {
			return "", errClusterNotFound()
		}
		return r.name, nil
	}
	if !validName(v) {
		return "", errClusterNotFound()
	}
	return v, nil
}

// childName resolves a task, service or container instance given by id/name or ARN in
// cluster: it returns the name and whether it may exist there.
func (s *Service) childName(kind, cluster, ref string) (string, bool) {
	if ref == "" {
		return "", false
	}
	if strings.HasPrefix(ref, "arn:") {
		r, ok := s.parseARN(ref)
		if !ok || r.kind != kind || (r.cluster != "" && r.cluster != cluster) {
			return "", false
		}
		return r.name, true
	}
	if strings.ContainsAny(ref, "/:") {
		return "", false
	}
	return ref, true
}

// childARN returns the ARN a failure names for a reference that was not found.
func (s *Service) childARN(kind, cluster, ref string) string {
	if strings.HasPrefix(ref, "arn:") {
		return ref
	}
	return s.arn(kind + "/" + cluster + "/" + ref)
}

// taskDefRef is a parsed task definition reference: "family", "family:revision" or an ARN.
type taskDefRef struct {
	family   string
	revision int32 // 0 when only the family was given
}

// parseTaskDefRef parses a task definition reference.
func (s *Service) parseTaskDefRef(ref string) (taskDefRef, bool) {
	if strings.HasPrefix(ref, "arn:") {
		r, ok := s.parseARN(ref)
		if !ok || r.kind != "task-definition" {
			return taskDefRef{}, false
		}
		ref = r.name
		if !strings.Contains(ref, ":") {
			return taskDefRef{}, false
		}
	}
	family, rev, hasRev := strings.Cut(ref, ":")
	if !validName(family) {
		return taskDefRef{}, false
	}
	if !hasRev {
		return taskDefRef{family: family}, true
	}
	n, err := strconv.ParseInt(rev, 10, 32)
	if err != nil || n < 1 {
		return taskDefRef{}, false
	}
	return taskDefRef{family: family, revision: int32(n)}, true
}
