// Package template parses and evaluates AWS CloudFormation templates for Wharf's
// CloudFormation service: JSON and YAML (with the short-form tags), the sections of
// the template anatomy, intrinsic functions, pseudo parameters, parameter
// declarations and their constraints, conditions, rules and dynamic references,
// worded as AWS words its ValidationErrors. It is pure: callers supply the values
// evaluation needs (parameters, physical ids, attributes, exports, SSM values)
// through Env and callbacks; it keeps no state and talks to no service.
//
// Where Wharf knowingly differs from AWS:
//   - A Transform (AWS::Serverless, AWS::LanguageExtensions, AWS::Include, macros)
//     is reported as unsupported by Validate; Fn::Length, Fn::ToJsonString and the
//     DefaultValue form of Fn::FindInMap are nonetheless evaluated, Fn::ForEach is not.
//   - AllowedPattern is a Java regular expression at AWS; one Go's regexp package
//     cannot compile (a lookahead, a possessive quantifier) is not checked.
//   - AWS-specific parameter types (AWS::EC2::VPC::Id, ...) are checked as strings;
//     nothing verifies the ids exist. Rules' Fn::ValueOf, Fn::ValueOfAll and
//     Fn::RefAll, which look those values up, are not supported.
//   - YAML syntax errors carry the line the YAML library reports; the column is not
//     known for them.
package template
