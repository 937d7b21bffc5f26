package awsapi

import (
	"errors"
	"fmt"
)

// Error is an AWS API error: a code from the service's model, a message, and the HTTP
// status it travels with. Handlers return *Error for every failure a client should see.
type Error struct {
	Code    string // the error shape name, e.g. "ClusterNotFoundException"
	Message string
	Status  int  // HTTP status; 400 when zero
	Server  bool // a server fault (Receiver) rather than the caller's (Sender)
	// QueryCode is the awsQuery error code when it differs from the shape name
	// (CloudWatch's ResourceNotFound for DashboardNotFoundError); sent in
	// x-amzn-query-error by the JSON and CBOR codecs of query-compatible services.
	QueryCode string
}

// Error implements error.
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// HTTPStatus returns the status the error is sent with.
func (e *Error) HTTPStatus() int {
	if e.Status == 0 {
		if e.Server {
			return 500
		}
		return 400
	}
	return e.Status
}

// Errorf returns a client (400) error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// As returns err as an *Error when it is one (or wraps one).
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// Errors every service shares, with AWS's codes and statuses.
var (
	// ErrInternal is what a client sees for a bug or an unexpected failure.
	ErrInternal = &Error{Code: "InternalFailure", Message: "The request processing has failed because of an unknown error, exception or failure.", Status: 500, Server: true}
)

// InvalidAction is the error for an operation the service does not have.
func InvalidAction(op string) *Error {
	return &Error{Code: "UnknownOperationException", Message: fmt.Sprintf("The action or operation %q is not valid for this web service.", op), Status: 400}
}

// Serialization is the error for a request body that cannot be decoded.
func Serialization(format string, args ...any) *Error {
	return &Error{Code: "SerializationException", Message: fmt.Sprintf(format, args...), Status: 400}
}
