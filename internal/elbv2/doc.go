// Package elbv2 is Wharf's Elastic Load Balancing (version 2) control plane for
// application load balancers: load balancers, listeners, rules, target groups, targets
// and their attributes, with AWS's names, ARNs, defaults, quotas, validation and errors.
// It keeps the desired state in the store and drives a DataPlane (package lb), which
// serves the traffic and reports target health back.
//
// Where Wharf differs from AWS, by necessity:
//
//   - Only application load balancers, with HTTP and HTTPS listeners and target groups
//     of instances or IP addresses; other types are refused with a ValidationError that
//     says so. Authentication actions, rule transforms and RegexValues are refused too.
//   - DNS names end in .elb.localhost (web-1234567890.us-east-1.elb.localhost): every
//     name under .localhost resolves to the loopback address, where listeners listen.
//   - Subnets, security groups and VPCs are accepted and echoed; the i-th subnet is in
//     the region's i-th zone, and without subnets a load balancer is in two subnets of a
//     default VPC.
//   - Every instance id stands for the local node (Wharf has one), reached at 127.0.0.1.
//   - A certificate is a PEM file named by a file:// URL with an absolute path
//     (file:///etc/wharf/site.pem); its key is in the same file or in site.key beside it.
//   - A listener is created only once its port is bound; a port that cannot be bound
//     fails CreateListener (and ModifyListener) with InvalidConfigurationRequest.
package elbv2
