// Package cloudformation is Wharf's AWS CloudFormation: stacks created, updated and
// deleted from templates by a dependency-ordered engine, change sets, events, exports
// and imports, nested stacks, with AWS's statuses, ARNs, reasons and errors, spoken in
// awsQuery 2010-05-15.
//
// The engine keeps every stack, resource, event and change set in the store. Stack
// operations run in the background, one goroutine per stack operation: independent
// resources are created in parallel (bounded), a failed creation rolls back (deleting
// what was made, in reverse dependency order), an update computes per resource a no-op,
// an in-place update or a replacement (the new resource is created first and the old
// one deleted in UPDATE_COMPLETE_CLEANUP_IN_PROGRESS), and deletion runs in reverse
// dependency order honouring DeletionPolicy Retain. A stack that a crash left in
// progress is failed cleanly by Run (CREATE_FAILED, UPDATE_FAILED, ROLLBACK_FAILED,
// UPDATE_ROLLBACK_FAILED, DELETE_FAILED with a reason); interrupted cleanups resume.
//
// Resources are made by Providers, registered by resource type. The built-in providers
// call Wharf's other services through an Invoker (ECS, ELBv2, SSM, KMS, IAM, Logs,
// CloudWatch, Application Auto Scaling); EC2 and Auto Scaling resources, which Wharf
// does not run, are inert records with realistic ids and attributes.
//
// Providers run as the principal whose request started the operation: the Invoker
// gets it in the context (awsapi.PrincipalFrom), so that calls to other services are
// authorized and audited as that caller's.
//
// Where Wharf knowingly differs from AWS:
//   - TemplateURL takes file:// URLs (and, for nested stacks, paths relative to the
//     parent template's file), not S3 URLs: Wharf has no S3. Only regular files are
//     read. The account's root user may name any file the process can read; other
//     principals only files under Config.TemplateDirs.
//   - A change set name may be reused once the change set of that name was executed
//     or failed (the aws CLI names its change sets by the second).
//   - Change sets are computed when CreateChangeSet is called, so DescribeChangeSet
//     already reports CREATE_COMPLETE (or FAILED) on the first call.
//   - Transforms (AWS::Serverless, AWS::Include, macros), stack sets, drift detection,
//     resource import, stack policies, rollback triggers, notification ARNs and hooks
//     are not served; a template with a Transform is rejected.
package cloudformation
