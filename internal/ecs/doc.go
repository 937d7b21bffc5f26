// Package ecs is Wharf's Amazon Elastic Container Service: clusters, task definitions,
// tasks, services and container instances, with AWS's names, ARNs, validation and
// errors. It keeps the desired state in the store and reconciles services into tasks;
// agents (package agent) run the tasks and report what they observe back through
// the methods in node.go.
//
// Where Wharf knowingly differs from ECS:
//   - Every node registers as a container instance in every active cluster, and
//     DeleteCluster deregisters a cluster's instances itself. A node's resources are
//     shared by the tasks of all clusters.
//   - Tasks in the awsvpc network mode reserve no host ports (each has a network of its
//     own in ECS); the agent maps their ports.
//   - Only REPLICA services with the ECS deployment controller are supported; DAEMON,
//     CODE_DEPLOY, EXTERNAL and the cluster query language are
//     UnsupportedFeatureException. Placement strategies and constraints, capacity
//     providers and client tokens are accepted and echoed, not acted on: tasks go to
//     the instance with the most memory left.
//   - The deployment strategies are ECS's: ROLLING (converge in reconcile.go), and
//     BLUE_GREEN, LINEAR and CANARY (traffic.go), which shift traffic between the two
//     target groups of each load balancer's advancedConfiguration through the weights
//     of its production and test listener rules (Config.LoadBalancers must implement
//     ListenerRules). Every deployment records a service revision and a service
//     deployment (servicedeployments.go); the circuit breaker, CloudWatch alarms
//     (Config.Alarms) and StopServiceDeployment roll a deployment back (rollout.go).
//     Wharf has no Lambda: an AWS_LAMBDA lifecycle hook waits for
//     ContinueServiceDeployment (or its timeout) as a PAUSE hook does. An alarm
//     already in ALARM when a deployment starts is ignored until it leaves ALARM.
//   - The time scale (Config.TimeScale) divides the service scheduler's delays and the
//     bake times, step bake times and hook timeouts of deployments.
//   - Services put their tasks behind Application Load Balancer target groups
//     (Config.LoadBalancers; Classic Load Balancers are UnsupportedFeatureException).
//     A task's target is its node's instance id and the host port of the container
//     port, whatever the network mode. A task being stopped is DEACTIVATING while its
//     targets drain, at most an hour (divided by the time scale) when the load
//     balancer never reports them unused.
//
// Load balancer targets are kept in step with the tasks in targets.go: the load
// balancers may share the store, so they are only ever called between transactions.
package ecs
