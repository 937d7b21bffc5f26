package cloudtrail

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/store"
)

// LookupAttribute is one filter of LookupEvents.
type LookupAttribute struct {
	AttributeKey   string  `json:"AttributeKey"`
	AttributeValue *string `json:"AttributeValue"`
}

// LookupEventsInput is the input of LookupEvents.
type LookupEventsInput struct {
	LookupAttributes []LookupAttribute `json:"LookupAttributes,omitempty"`
	StartTime        *time.Time        `json:"StartTime,omitempty"`
	EndTime          *time.Time        `json:"EndTime,omitempty"`
	EventCategory    string            `json:"EventCategory,omitempty"`
	MaxResults       *int32            `json:"MaxResults,omitempty"`
	NextToken        *string           `json:"NextToken,omitempty"`
}

// Resource is a resource an event names.
type Resource struct {
	ResourceType *string `json:"ResourceType,omitempty"`
	ResourceName *string `json:"ResourceName,omitempty"`
}

// Event is one event in LookupEvents' answer.
type Event struct {
	EventId         *string    `json:"EventId,omitempty"`
	EventName       *string    `json:"EventName,omitempty"`
	ReadOnly        *string    `json:"ReadOnly,omitempty"`
	AccessKeyId     *string    `json:"AccessKeyId,omitempty"`
	EventTime       *time.Time `json:"EventTime,omitempty"`
	EventSource     *string    `json:"EventSource,omitempty"`
	Username        *string    `json:"Username,omitempty"`
	Resources       []Resource `json:"Resources,omitempty"`
	CloudTrailEvent *string    `json:"CloudTrailEvent,omitempty"`
}

// LookupEventsOutput is the output of LookupEvents.
type LookupEventsOutput struct {
	Events    []Event `json:"Events"`
	NextToken *string `json:"NextToken,omitempty"`
}

// lookupKeys are the attribute keys LookupEvents accepts.
var lookupKeys = map[string]bool{
	"EventId": true, "EventName": true, "ReadOnly": true, "Username": true,
	"ResourceType": true, "ResourceName": true, "EventSource": true, "AccessKeyId": true,
}

// pageToken is what NextToken carries: where the last page ended and a digest of the
// query it belongs to.
type pageToken struct {
	After string `json:"a"`
	Query string `json:"q"`
}

// LookupEvents returns the management events matching at most one lookup attribute in
// a time range (the last 90 days by default), newest first, up to 50 a page. Events
// recorded before the call are committed first, so a caller sees its earlier calls.
func (s *Service) LookupEvents(ctx context.Context, in *LookupEventsInput) (*LookupEventsOutput, error) {
	if len(in.LookupAttributes) > 1 {
		return nil, awsapi.Errorf("InvalidLookupAttributesException", "You cannot use more than one lookup attribute.")
	}
	var attr *LookupAttribute
	if len(in.LookupAttributes) == 1 {
		attr = &in.LookupAttributes[0]
		if !lookupKeys[attr.AttributeKey] {
			return nil, awsapi.Errorf("InvalidLookupAttributesException", "Invalid attribute key: %q. Valid keys are EventId, EventName, ReadOnly, Username, ResourceType, ResourceName, EventSource and AccessKeyId.", attr.AttributeKey)
		}
		if attr.AttributeValue == nil || *attr.AttributeValue == "" || len(*attr.AttributeValue) > 2000 {
			return nil, awsapi.Errorf("InvalidLookupAttributesException", "The attribute value of %s must be between 1 and 2000 characters.", attr.AttributeKey)
		}
		if attr.AttributeKey == "ReadOnly" {
			if _, ok := parseBool(*attr.AttributeValue); !ok {
				return nil, awsapi.Errorf("InvalidLookupAttributesException", "The ReadOnly attribute value must be true or false.")
			}
		}
	}
	if in.EventCategory != "" && in.EventCategory != "insight" {
		return nil, awsapi.Errorf("InvalidEventCategoryException", "Invalid event category: %q.", in.EventCategory)
	}
	limit := 50
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 50 {
			return nil, awsapi.Errorf("InvalidMaxResultsException", "Value %d for MaxResults is invalid: it must be between 1 and 50.", *in.MaxResults)
		}
		limit = int(*in.MaxResults)
	}
	now := s.now()
	end, start := now, now.Add(-s.retention)
	if in.EndTime != nil {
		end = *in.EndTime
	}
	if in.StartTime != nil {
		start = *in.StartTime
	}
	if start.After(end) {
		return nil, awsapi.Errorf("InvalidTimeRangeException", "Start time must be earlier than end time.")
	}
	query := queryDigest(attr, start, end)
	from := timeKey(end.UnixNano())
	after := ""
	if in.NextToken != nil {
		var tok pageToken
		raw, err := base64.RawURLEncoding.DecodeString(*in.NextToken)
		if err != nil || json.Unmarshal(raw, &tok) != nil || tok.Query != query || tok.After < from {
			return nil, awsapi.Errorf("InvalidNextTokenException", "Invalid NextToken: it is malformed or was issued for a request with different parameters.")
		}
		after = tok.After
		from = tok.After
	}
	to := timeKey(start.UnixNano()) + "/~"
	out := &LookupEventsOutput{Events: []Event{}}
	if in.EventCategory == "insight" {
		return out, nil // Wharf records no Insights events
	}
	if err := s.commit(); err != nil {
		return nil, s.internal(err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	last, more := "", false
	err := s.db.View(func(tx *store.Tx) error {
		return scanRange(tx, bucketEvents, from, to, func(k string, raw []byte) error {
			if k == after {
				return nil
			}
			var ev storedEvent
			if err := store.Decode(raw, &ev); err != nil {
				return err
			}
			if !matches(&ev, attr) {
				return nil
			}
			if len(out.Events) == limit {
				more = true
				return store.ErrStop
			}
			out.Events = append(out.Events, lookupEvent(&ev))
			last = k
			return nil
		})
	})
	if err != nil {
		return nil, s.internal(err)
	}
	if more {
		raw, _ := json.Marshal(pageToken{After: last, Query: query})
		tok := base64.RawURLEncoding.EncodeToString(raw)
		out.NextToken = &tok
	}
	return out, nil
}

// queryDigest identifies a query so that a token is only honoured for the same one.
func queryDigest(attr *LookupAttribute, start, end time.Time) string {
	h := sha256.New()
	if attr != nil {
		h.Write([]byte(attr.AttributeKey + "\x00" + *attr.AttributeValue + "\x00"))
	}
	h.Write([]byte(start.UTC().Format(time.RFC3339Nano) + "\x00" + end.UTC().Format(time.RFC3339Nano)))
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// matches reports whether ev has the lookup attribute (every event when attr is nil).
func matches(ev *storedEvent, attr *LookupAttribute) bool {
	if attr == nil {
		return true
	}
	v := *attr.AttributeValue
	switch attr.AttributeKey {
	case "EventId":
		return ev.ID == v
	case "EventName":
		return ev.Name == v
	case "ReadOnly":
		b, _ := parseBool(v)
		return ev.ReadOnly == b
	case "Username":
		return ev.Username == v
	case "EventSource":
		return ev.Source == v
	case "AccessKeyId":
		return ev.AccessKey == v
	case "ResourceType":
		for _, r := range ev.Resources {
			if r.Type == v {
				return true
			}
		}
	case "ResourceName":
		for _, r := range ev.Resources {
			if r.ARN == v {
				return true
			}
		}
	}
	return false
}

// lookupEvent is a stored event as LookupEvents returns it.
func lookupEvent(ev *storedEvent) Event {
	t := time.Unix(0, ev.TimeNanos).UTC().Truncate(time.Second)
	ro := "false"
	if ev.ReadOnly {
		ro = "true"
	}
	e := Event{
		EventId: str(ev.ID), EventName: str(ev.Name), ReadOnly: &ro, EventTime: &t,
		EventSource: str(ev.Source), CloudTrailEvent: str(string(ev.Record)),
	}
	if ev.AccessKey != "" {
		e.AccessKeyId = str(ev.AccessKey)
	}
	if ev.Username != "" {
		e.Username = str(ev.Username)
	}
	for _, r := range ev.Resources {
		e.Resources = append(e.Resources, Resource{ResourceType: str(r.Type), ResourceName: str(r.ARN)})
	}
	return e
}

func str(s string) *string { return &s }
