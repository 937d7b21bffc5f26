// Package ecs is Wharf's Amazon Elastic Container Service: clusters, task definitions,
// tasks, services and container instances, with AWS's names, ARNs, validation and
// errors. It keeps the desired state in the store and reconciles services into tasks;
// agents (package agent) run the tasks and report what they observe back through
// the methods in node.go.
package ecs
