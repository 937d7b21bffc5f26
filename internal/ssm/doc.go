// Package ssm is Wharf's AWS Systems Manager Parameter Store: String, StringList and
// SecureString parameters with versions, labels, selectors, tiers, allowed patterns,
// data types and tags, with AWS's names, ARNs, limits, validation and errors.
//
// SecureString values are encrypted through a Keys implementation (Wharf's KMS) with
// the encryption context {"PARAMETER_ARN": <parameter ARN>}, as AWS does; the store
// only ever holds their ciphertext, and a read without WithDecryption returns that
// ciphertext in base64.
//
// Where Wharf knowingly differs from AWS:
//   - Parameter policies (Expiration, ExpirationNotification, NoChangeNotification)
//     are not supported: a PutParameter with Policies is rejected rather than accepted
//     and ignored.
//   - Shared parameters (DescribeParameters Shared, resource policies) are not served.
//   - DataType aws:ec2:image values are checked for the AMI id format only; no image
//     catalog is consulted.
package ssm
