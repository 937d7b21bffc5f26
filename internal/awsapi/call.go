package awsapi

import "time"

// Call is one API call as the gateway saw it, handed to the auditor (CloudTrail) after
// the call completed, allowed or denied. Input and Output are the operation's typed
// structs (nil when the request could not be decoded or the call failed); fields tagged
// `sensitive:"true"` in them hold secrets (SecureString values, plaintexts, key
// material) that an auditor must never record.
type Call struct {
	Time          time.Time
	Service       string // the SigV4 signing name: "ecs", "ssm", "kms"
	Operation     string // "GetParameter"
	Region        string
	RequestID     string
	Principal     *Principal // nil when the caller was not authenticated
	SourceIP      string
	UserAgent     string
	Input         any
	Output        any
	Err           *Error // nil on success
	HTTPStatus    int
	Anonymous     bool // the operation takes no signature
	ReadOnly      bool // the operation changes nothing (Describe*, Get*, List*, ...)
	DurationNanos int64
}
