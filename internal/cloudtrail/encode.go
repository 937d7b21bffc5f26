package cloudtrail

import (
	"slices"
	"strconv"
	"time"

	"github.com/wharf-dev/wharf/internal/awsapi"
)

// seqRoom is the room a pending event keeps before its bytes for the seq member of the
// stored event: `{"seq":` and up to 20 digits.
const seqRoom = len(`{"seq":`) + 20

// appendStoredEvent appends the stored event of call c, whose region is set, event id
// is id and time (UTC) t, as json.Marshal would write a storedEvent, except that in
// place of the leading `{"seq":N` it leaves seqRoom bytes of room (pendingEvent.stored
// fills them in). It writes the CloudTrail record (AWS's "CloudTrail record contents")
// with the members, in the order, that LookupEvents and trails have always returned:
//
//	{"eventVersion":"1.09","userIdentity":{...},"eventTime":...,"eventSource":...,
//	 "eventName":...,"awsRegion":...,"sourceIPAddress":...,"userAgent":...,
//	 ["errorCode":...,]["errorMessage":...,]"requestParameters":...,
//	 "responseElements":...,"requestID":...,"eventID":...,"readOnly":...,
//	 ["resources":[{"ARN":...,"accountId":...,"type":...}],]"eventType":"AwsApiCall",
//	 "managementEvent":true,"recipientAccountId":...,"eventCategory":"Management"}
//
// The tests compare it, byte for byte, with json.Marshal of the record and stored
// event structures the original implementation used.
func (s *Service) appendStoredEvent(buf []byte, c *awsapi.Call, id string, t time.Time) []byte {
	ident := identityOf(c.Principal, s.account)
	acct := ident.AccountID
	if acct == "" {
		acct = s.account
	}
	res := resourcesOf(*c, acct)

	buf = append(buf, make([]byte, seqRoom)...)
	buf = append(buf, `,"id":`...)
	buf = appendString(buf, id)
	buf = append(buf, `,"name":`...)
	buf = appendString(buf, c.Operation)
	buf = append(buf, `,"source":`...)
	buf = appendSource(buf, c.Service)
	if user := usernameOf(ident); user != "" {
		buf = append(buf, `,"user":`...)
		buf = appendString(buf, user)
	}
	if ident.AccessKeyID != "" {
		buf = append(buf, `,"key":`...)
		buf = appendString(buf, ident.AccessKeyID)
	}
	buf = append(buf, `,"ro":`...)
	buf = strconv.AppendBool(buf, c.ReadOnly)
	buf = append(buf, `,"t":`...)
	buf = strconv.AppendInt(buf, t.UnixNano(), 10)
	if len(res) > 0 {
		buf = append(buf, `,"res":`...)
		buf = appendResources(buf, res)
	}
	buf = append(buf, `,"record":`...)

	buf = append(buf, `{"eventVersion":"1.09","userIdentity":`...)
	buf = appendIdentity(buf, &ident)
	buf = append(buf, `,"eventTime":"`...)
	buf = appendTime(buf, t)
	buf = append(buf, `","eventSource":`...)
	buf = appendSource(buf, c.Service)
	buf = append(buf, `,"eventName":`...)
	buf = appendString(buf, c.Operation)
	buf = append(buf, `,"awsRegion":`...)
	buf = appendString(buf, c.Region)
	buf = append(buf, `,"sourceIPAddress":`...)
	buf = appendString(buf, c.SourceIP)
	buf = append(buf, `,"userAgent":`...)
	buf = appendString(buf, c.UserAgent)
	if c.Err != nil && c.Err.Code != "" {
		buf = append(buf, `,"errorCode":`...)
		buf = appendString(buf, c.Err.Code)
	}
	if c.Err != nil && c.Err.Message != "" {
		buf = append(buf, `,"errorMessage":`...)
		buf = appendString(buf, c.Err.Message)
	}
	buf = append(buf, `,"requestParameters":`...)
	if c.Input != nil {
		buf = appendRedacted(buf, c.Input)
	} else {
		buf = append(buf, "null"...)
	}
	buf = append(buf, `,"responseElements":`...)
	if c.Output != nil && c.Err == nil && !c.ReadOnly {
		buf = appendRedacted(buf, c.Output)
	} else {
		buf = append(buf, "null"...)
	}
	buf = append(buf, `,"requestID":`...)
	buf = appendString(buf, c.RequestID)
	buf = append(buf, `,"eventID":`...)
	buf = appendString(buf, id)
	buf = append(buf, `,"readOnly":`...)
	buf = strconv.AppendBool(buf, c.ReadOnly)
	if len(res) > 0 {
		buf = append(buf, `,"resources":`...)
		buf = appendResources(buf, res)
	}
	buf = append(buf, `,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":`...)
	buf = appendString(buf, s.account)
	buf = append(buf, `,"eventCategory":"Management"}`...)
	return append(buf, '}')
}

// appendSource appends the event source of a service, "<service>.amazonaws.com".
func appendSource(buf []byte, service string) []byte {
	buf = append(buf, '"')
	buf = appendStringBody(buf, service)
	return append(buf, `.amazonaws.com"`...)
}

// appendIdentity appends the userIdentity member (empty members omitted).
func appendIdentity(buf []byte, id *userIdentity) []byte {
	buf = append(buf, `{"type":`...)
	buf = appendString(buf, id.Type)
	buf = appendOptional(buf, `,"principalId":`, id.PrincipalID)
	buf = appendOptional(buf, `,"arn":`, id.ARN)
	buf = appendOptional(buf, `,"accountId":`, id.AccountID)
	buf = appendOptional(buf, `,"accessKeyId":`, id.AccessKeyID)
	buf = appendOptional(buf, `,"userName":`, id.UserName)
	if sc := id.SessionContext; sc != nil {
		is := &sc.SessionIssuer
		buf = append(buf, `,"sessionContext":{"sessionIssuer":{"type":`...)
		buf = appendString(buf, is.Type)
		buf = append(buf, `,"principalId":`...)
		buf = appendString(buf, is.PrincipalID)
		buf = append(buf, `,"arn":`...)
		buf = appendString(buf, is.ARN)
		buf = append(buf, `,"accountId":`...)
		buf = appendString(buf, is.AccountID)
		buf = append(buf, `,"userName":`...)
		buf = appendString(buf, is.UserName)
		buf = append(buf, `},"attributes":`...)
		buf = appendStringMap(buf, sc.Attributes)
		buf = append(buf, '}')
	}
	buf = appendOptional(buf, `,"invokedBy":`, id.InvokedBy)
	return append(buf, '}')
}

// appendOptional appends the member key and the string value unless it is empty.
func appendOptional(buf []byte, key, v string) []byte {
	if v == "" {
		return buf
	}
	return appendString(append(buf, key...), v)
}

// appendStringMap appends m with its keys sorted (null when nil).
func appendStringMap(buf []byte, m map[string]string) []byte {
	if m == nil {
		return append(buf, "null"...)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	buf = append(buf, '{')
	for i, k := range keys {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendString(buf, k)
		buf = append(buf, ':')
		buf = appendString(buf, m[k])
	}
	return append(buf, '}')
}

// appendResources appends the resources of an event.
func appendResources(buf []byte, res []recResource) []byte {
	buf = append(buf, '[')
	for i := range res {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, `{"ARN":`...)
		buf = appendString(buf, res[i].ARN)
		buf = appendOptional(buf, `,"accountId":`, res[i].AccountID)
		buf = appendOptional(buf, `,"type":`, res[i].Type)
		buf = append(buf, '}')
	}
	return append(buf, ']')
}
