package cloudtrail

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/store"
)

// record is one CloudTrail event as AWS writes it ("CloudTrail record contents").
type record struct {
	EventVersion       string          `json:"eventVersion"`
	UserIdentity       userIdentity    `json:"userIdentity"`
	EventTime          string          `json:"eventTime"`
	EventSource        string          `json:"eventSource"`
	EventName          string          `json:"eventName"`
	AWSRegion          string          `json:"awsRegion"`
	SourceIPAddress    string          `json:"sourceIPAddress"`
	UserAgent          string          `json:"userAgent"`
	ErrorCode          string          `json:"errorCode,omitempty"`
	ErrorMessage       string          `json:"errorMessage,omitempty"`
	RequestParameters  json.RawMessage `json:"requestParameters"`
	ResponseElements   json.RawMessage `json:"responseElements"`
	RequestID          string          `json:"requestID"`
	EventID            string          `json:"eventID"`
	ReadOnly           bool            `json:"readOnly"`
	Resources          []recResource   `json:"resources,omitempty"`
	EventType          string          `json:"eventType"`
	ManagementEvent    bool            `json:"managementEvent"`
	RecipientAccountID string          `json:"recipientAccountId"`
	EventCategory      string          `json:"eventCategory"`
}

type userIdentity struct {
	Type           string          `json:"type"`
	PrincipalID    string          `json:"principalId,omitempty"`
	ARN            string          `json:"arn,omitempty"`
	AccountID      string          `json:"accountId,omitempty"`
	AccessKeyID    string          `json:"accessKeyId,omitempty"`
	UserName       string          `json:"userName,omitempty"`
	SessionContext *sessionContext `json:"sessionContext,omitempty"`
	InvokedBy      string          `json:"invokedBy,omitempty"`
}

type sessionContext struct {
	SessionIssuer sessionIssuer     `json:"sessionIssuer"`
	Attributes    map[string]string `json:"attributes"`
}

type sessionIssuer struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountId"`
	UserName    string `json:"userName"`
}

type recResource struct {
	ARN       string `json:"ARN"`
	AccountID string `json:"accountId,omitempty"`
	Type      string `json:"type,omitempty"`
}

// storedEvent is an event as kept in the store: the record and what LookupEvents
// filters on.
type storedEvent struct {
	Key       string          `json:"-"`
	Seq       uint64          `json:"seq"`
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Source    string          `json:"source"`
	Username  string          `json:"user,omitempty"`
	AccessKey string          `json:"key,omitempty"`
	ReadOnly  bool            `json:"ro"`
	TimeNanos int64           `json:"t"`
	Resources []recResource   `json:"res,omitempty"`
	Record    json.RawMessage `json:"record"`
}

// Record turns a completed call into a management event and queues it for the writer;
// Flush (or Run's next commit, a few milliseconds later) makes it durable. Secrets in
// the call's input and output never leave this function.
func (s *Service) Record(c awsapi.Call) {
	ev, err := s.event(c)
	if err != nil {
		s.log.Error("cloudtrail: cannot record event", "service", c.Service, "operation", c.Operation, "err", err)
		return
	}
	s.mu.Lock()
	s.pending = append(s.pending, ev)
	s.queued++
	n := len(s.pending)
	s.mu.Unlock()
	if n == 1 || n%batchSize == 0 {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
	if n >= maxPending {
		// Nobody drains the queue fast enough: commit in the caller (backpressure).
		if err := s.commit(); err != nil {
			s.log.Error("cloudtrail: commit failed", "err", err)
		}
	}
}

// event builds the stored event of a call.
func (s *Service) event(c awsapi.Call) (*storedEvent, error) {
	t := c.Time
	if t.IsZero() {
		t = s.clock.Now()
	}
	t = t.UTC()
	region := c.Region
	if region == "" {
		region = s.region
	}
	c.Region = region
	id := newUUID()
	r := record{
		EventVersion:       "1.09",
		UserIdentity:       identityOf(c.Principal, s.account),
		EventTime:          t.Format("2006-01-02T15:04:05Z"),
		EventSource:        c.Service + ".amazonaws.com",
		EventName:          c.Operation,
		AWSRegion:          region,
		SourceIPAddress:    c.SourceIP,
		UserAgent:          c.UserAgent,
		RequestID:          c.RequestID,
		EventID:            id,
		ReadOnly:           c.ReadOnly,
		EventType:          "AwsApiCall",
		ManagementEvent:    true,
		RecipientAccountID: s.account,
		EventCategory:      "Management",
		RequestParameters:  json.RawMessage("null"),
		ResponseElements:   json.RawMessage("null"),
	}
	if c.Err != nil {
		r.ErrorCode = c.Err.Code
		r.ErrorMessage = c.Err.Message
	}
	if c.Input != nil {
		r.RequestParameters = redactedJSON(c.Input)
	}
	if c.Output != nil && c.Err == nil && !c.ReadOnly {
		r.ResponseElements = redactedJSON(c.Output)
	}
	acct := r.UserIdentity.AccountID
	if acct == "" {
		acct = s.account
	}
	r.Resources = resourcesOf(c, acct)
	raw, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode event: %w", err)
	}
	ev := &storedEvent{
		ID:        id,
		Name:      c.Operation,
		Source:    r.EventSource,
		Username:  usernameOf(r.UserIdentity),
		AccessKey: r.UserIdentity.AccessKeyID,
		ReadOnly:  c.ReadOnly,
		TimeNanos: t.UnixNano(),
		Resources: r.Resources,
		Record:    raw,
	}
	ev.Key = eventKey(ev.TimeNanos, id)
	return ev, nil
}

// identityOf describes the caller as CloudTrail's userIdentity.
func identityOf(p *awsapi.Principal, account string) userIdentity {
	if p == nil {
		return userIdentity{Type: "Unknown"}
	}
	id := userIdentity{PrincipalID: p.UserID, ARN: p.ARN, AccountID: p.AccountID, AccessKeyID: p.AccessKeyID}
	if id.AccountID == "" {
		id.AccountID = account
	}
	resource := ""
	if parts := strings.SplitN(p.ARN, ":", 6); len(parts) == 6 {
		resource = parts[5]
	}
	switch {
	case p.Root || resource == "root":
		id.Type = "Root"
		if id.PrincipalID == "" {
			id.PrincipalID = id.AccountID
		}
	case strings.HasPrefix(resource, "assumed-role/"):
		id.Type = "AssumedRole"
		// assumed-role/<role name>/<session name>
		fields := strings.Split(resource, "/")
		role := fields[1]
		if len(fields) < 3 {
			role = strings.TrimPrefix(resource, "assumed-role/")
		}
		roleID, _, _ := strings.Cut(p.UserID, ":")
		id.SessionContext = &sessionContext{
			SessionIssuer: sessionIssuer{
				Type: "Role", PrincipalID: roleID, AccountID: id.AccountID, UserName: role,
				ARN: "arn:aws:iam::" + id.AccountID + ":role/" + role,
			},
			Attributes: map[string]string{"mfaAuthenticated": "false"},
		}
	case strings.HasPrefix(resource, "user/"):
		id.Type = "IAMUser"
		id.UserName = resource[strings.LastIndexByte(resource, '/')+1:]
	case strings.HasSuffix(p.ARN, ".amazonaws.com"):
		id = userIdentity{Type: "AWSService", InvokedBy: p.ARN}
	default:
		id.Type = "Unknown"
	}
	return id
}

// usernameOf is the Username LookupEvents reports: the user name, "root", or the
// role session name.
func usernameOf(id userIdentity) string {
	switch id.Type {
	case "Root":
		return "root"
	case "IAMUser":
		return id.UserName
	case "AssumedRole":
		return id.ARN[strings.LastIndexByte(id.ARN, '/')+1:]
	case "AWSService":
		return id.InvokedBy
	}
	return ""
}

// eventKey orders events newest first: the inverted time in fixed-width hex, then the id.
func eventKey(nanos int64, id string) string {
	return timeKey(nanos) + "/" + id
}

func timeKey(nanos int64) string {
	if nanos < 0 {
		nanos = 0
	}
	return fmt.Sprintf("%016x", uint64(math.MaxUint64)-uint64(nanos))
}

func seqKey(seq uint64) string { return fmt.Sprintf("%016x", seq) }

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// commit writes every queued event in one transaction. Events that cannot be written
// go back to the queue and the error is returned.
func (s *Service) commit() error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.mu.Lock()
	batch := s.pending
	s.pending = nil
	s.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	err := s.db.Update(func(tx *store.Tx) error {
		var seq uint64
		if err := tx.Get(bucketMeta, "seq", &seq); err != nil && err != store.ErrNotFound {
			return err
		}
		for _, ev := range batch {
			seq++
			ev.Seq = seq
			if err := tx.Put(bucketEvents, ev.Key, ev); err != nil {
				return err
			}
			if err := tx.Put(bucketSeq, seqKey(seq), ev.Key); err != nil {
				return err
			}
		}
		return tx.Put(bucketMeta, "seq", seq)
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.pending = append(batch, s.pending...)
		return fmt.Errorf("cloudtrail: commit %d events: %w", len(batch), err)
	}
	s.committed += uint64(len(batch))
	return nil
}

// scanRange calls fn for the keys of bucket in [from, to], in order. It seeks to the
// longest prefix the two bounds share, which store.Tx.Scan can start at.
func scanRange(tx *store.Tx, bucket, from, to string, fn func(key string, raw []byte) error) error {
	n := 0
	for n < len(from) && n < len(to) && from[n] == to[n] {
		n++
	}
	return tx.Scan(bucket, from[:n], func(k string, raw []byte) error {
		if k < from {
			return nil
		}
		if k > to {
			return store.ErrStop
		}
		return fn(k, raw)
	})
}

// purge deletes events older than the retention; it returns how many.
func (s *Service) purge() (int, error) {
	cutoff := s.now().Add(-s.retention).UnixNano()
	total := 0
	for {
		type victim struct {
			key string
			seq uint64
		}
		var victims []victim
		err := s.db.View(func(tx *store.Tx) error {
			return scanRange(tx, bucketEvents, timeKey(cutoff-1), "g", func(k string, raw []byte) error {
				var ev storedEvent
				if err := store.Decode(raw, &ev); err != nil {
					return err
				}
				victims = append(victims, victim{k, ev.Seq})
				if len(victims) >= 10000 {
					return store.ErrStop
				}
				return nil
			})
		})
		if err != nil || len(victims) == 0 {
			return total, err
		}
		err = s.db.Update(func(tx *store.Tx) error {
			for _, v := range victims {
				if err := tx.Delete(bucketEvents, v.key); err != nil {
					return err
				}
				if err := tx.Delete(bucketSeq, seqKey(v.seq)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		total += len(victims)
	}
}

// lastSeq returns the sequence of the last committed event.
func lastSeq(tx *store.Tx) (uint64, error) {
	var seq uint64
	if err := tx.Get(bucketMeta, "seq", &seq); err != nil && err != store.ErrNotFound {
		return 0, err
	}
	return seq, nil
}

// parseBool reads "true"/"false" as LookupEvents' ReadOnly attribute does.
func parseBool(s string) (bool, bool) {
	b, err := strconv.ParseBool(s)
	if err != nil || (s != "true" && s != "false") {
		return false, false
	}
	return b, true
}

// iso8601 formats t as CloudTrail's status strings do.
func iso8601(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }
