package gateway

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/wharf-dev/wharf/internal/awsapi"
)

// AuthKind says why a request failed authentication.
type AuthKind int

// The reasons a request can fail authentication. The gateway turns each into the
// error AWS sends for it, in the request's protocol.
const (
	Missing      AuthKind = iota + 1 // no signature at all
	Incomplete                       // a signature with parts missing or malformed
	UnknownKey                       // the access key id is not known
	BadSignature                     // the signature does not match
	Expired                          // the signature's time is too far from now
	BadToken                         // the session token is invalid
	ExpiredToken                     // the temporary credentials have expired
)

// String names the kind.
func (k AuthKind) String() string {
	switch k {
	case Missing:
		return "Missing"
	case Incomplete:
		return "Incomplete"
	case UnknownKey:
		return "UnknownKey"
	case BadSignature:
		return "BadSignature"
	case Expired:
		return "Expired"
	case BadToken:
		return "BadToken"
	case ExpiredToken:
		return "ExpiredToken"
	}
	return "AuthKind(" + strconv.Itoa(int(k)) + ")"
}

// AuthError is an authentication failure an Authenticator returns; its Message is
// sent to the client.
type AuthError struct {
	Kind    AuthKind
	Message string
}

// Error implements error.
func (e *AuthError) Error() string {
	return "authentication failed (" + e.Kind.String() + "): " + e.Message
}

// authErrorFor maps an authentication failure to the AWS error of a protocol family:
// awsQuery has its own codes; JSON, CBOR and REST share Coral's. ok is false when err
// is not an *AuthError (an authenticator failure, which is an internal error).
func authErrorFor(err error, query bool) (*awsapi.Error, bool) {
	var ae *AuthError
	if !errors.As(err, &ae) {
		return nil, false
	}
	msg := ae.Message
	def := func(s string) string {
		if msg == "" {
			return s
		}
		return msg
	}
	e := &awsapi.Error{Status: http.StatusForbidden}
	switch ae.Kind {
	case Missing:
		if query {
			e.Code, e.Message = "MissingAuthenticationToken", def("Request is missing Authentication Token")
		} else {
			// AWS sends exactly this text.
			e.Code, e.Message = "MissingAuthenticationTokenException", "Missing Authentication Token"
		}
	case Incomplete:
		e.Status = http.StatusBadRequest
		e.Code, e.Message = pick(query, "IncompleteSignature", "IncompleteSignatureException"), def("The request signature is incomplete.")
	case UnknownKey:
		e.Code, e.Message = pick(query, "InvalidClientTokenId", "UnrecognizedClientException"), def("The security token included in the request is invalid.")
	case BadSignature:
		e.Code, e.Message = pick(query, "SignatureDoesNotMatch", "InvalidSignatureException"),
			def("The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.")
	case Expired:
		e.Code = pick(query, "SignatureDoesNotMatch", "InvalidSignatureException")
		e.Message = def("Signature expired.")
		if !strings.HasPrefix(e.Message, "Signature expired") {
			e.Message = "Signature expired: " + e.Message
		}
	case BadToken:
		e.Code, e.Message = pick(query, "InvalidClientTokenId", "UnrecognizedClientException"), def("The security token included in the request is invalid.")
	case ExpiredToken:
		e.Status = http.StatusBadRequest
		e.Code, e.Message = pick(query, "ExpiredToken", "ExpiredTokenException"), def("The security token included in the request is expired")
	default:
		return nil, false
	}
	return e, true
}

func pick(query bool, queryCode, jsonCode string) string {
	if query {
		return queryCode
	}
	return jsonCode
}

// Errors the gateway itself sends.

func unknownOperation(format string, args ...any) *awsapi.Error {
	return &awsapi.Error{Code: "UnknownOperationException", Message: fmt.Sprintf(format, args...), Status: http.StatusBadRequest}
}

func invalidAction(action, version string) *awsapi.Error {
	return &awsapi.Error{Code: "InvalidAction", Message: fmt.Sprintf("Could not find operation %s for version %s", action, version), Status: http.StatusBadRequest}
}

func methodNotAllowed(method string, p awsapi.Protocol) *awsapi.Error {
	code := "MethodNotAllowedException"
	if p == awsapi.Query {
		code = "MethodNotAllowed"
	}
	return &awsapi.Error{Code: code, Message: fmt.Sprintf("The HTTP method %s is not allowed for %s requests.", method, p), Status: http.StatusMethodNotAllowed}
}

func tooLarge(limit int64, p awsapi.Protocol) *awsapi.Error {
	code := "RequestEntityTooLargeException"
	if p == awsapi.Query {
		code = "RequestEntityTooLarge"
	}
	return &awsapi.Error{Code: code, Message: fmt.Sprintf("Request body exceeds the limit of %d bytes.", limit), Status: http.StatusRequestEntityTooLarge}
}

// inputError is the error for an input that cannot be decoded: SerializationException
// in JSON, CBOR and REST, ValidationError in awsQuery.
func inputError(p awsapi.Protocol, err error) *awsapi.Error {
	if p == awsapi.Query {
		return &awsapi.Error{Code: "ValidationError", Message: err.Error(), Status: http.StatusBadRequest}
	}
	return awsapi.Serialization("%s", err.Error())
}

// writeError sends e in the protocol of the call (JSON when none is known yet).
func (c *call) writeError(e *awsapi.Error) {
	c.status, c.code, c.err = e.HTTPStatus(), e.Code, e
	h := c.w.Header()
	var body []byte
	switch c.proto {
	case awsapi.Query:
		h.Set("Content-Type", "text/xml")
		body = queryErrorBody(c.svc, e, c.id)
	case awsapi.CBOR:
		h.Set("Smithy-Protocol", "rpc-v2-cbor")
		h.Set("Content-Type", "application/cbor")
		queryErrorHeader(h, c.svc, e)
		body = cborErrorBody(c.svc, e)
	default: // JSON10, JSON11, RestJSON, or not yet known
		h.Set("Content-Type", jsonContentType(c.proto))
		h.Set("X-Amzn-Errortype", e.Code)
		if c.proto != awsapi.RestJSON {
			queryErrorHeader(h, c.svc, e)
		}
		body = jsonErrorBody(c.svc, e)
	}
	c.write(e.HTTPStatus(), body)
}
