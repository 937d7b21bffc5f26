package cloudtrail

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/store"
)

// userIdentity is the caller as CloudTrail's records describe it.
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

// pendingEvent is an event encoded by Record and waiting for commit.
type pendingEvent struct {
	key string
	// buf is the stored event, as json.Marshal writes a storedEvent, without its
	// leading seq member: seqRoom bytes of room for it (filled in by commit), then the
	// rest (see appendStoredEvent).
	buf []byte
}

// stored returns the stored event with its sequence number: the seq member is written
// into the room before the rest, so no byte of the rest is copied.
func (ev *pendingEvent) stored(seq uint64) []byte {
	var b [seqRoom]byte
	head := strconv.AppendUint(append(b[:0], `{"seq":`...), seq, 10)
	start := seqRoom - len(head)
	copy(ev.buf[start:], head)
	return ev.buf[start:]
}

// Record turns a completed call into a management event and queues it for the writer;
// Flush (or Run's next commit, a few milliseconds later) makes it durable. Secrets in
// the call's input and output never leave this function. The event is encoded here,
// on the caller's goroutine, so that commits only write.
func (s *Service) Record(c awsapi.Call) {
	ev := s.event(c, newUUID())
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

// bufPool holds encoding buffers; maxPooledBuf bounds the ones kept.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

const maxPooledBuf = 1 << 20

// event encodes the stored event of a call whose event id is id.
func (s *Service) event(c awsapi.Call, id string) *pendingEvent {
	t := c.Time
	if t.IsZero() {
		t = s.clock.Now()
	}
	t = t.UTC()
	if c.Region == "" {
		c.Region = s.region
	}
	bp := bufPool.Get().(*[]byte)
	buf := s.appendStoredEvent((*bp)[:0], &c, id, t)
	kept := make([]byte, len(buf))
	copy(kept, buf)
	ev := &pendingEvent{key: eventKey(t.UnixNano(), id), buf: kept}
	if cap(buf) <= maxPooledBuf {
		*bp = buf[:0]
		bufPool.Put(bp)
	}
	return ev
}

// mfaNotAuthenticated is the attributes of every assumed-role session context; shared,
// read only.
var mfaNotAuthenticated = map[string]string{"mfaAuthenticated": "false"}

// identityOf describes the caller as CloudTrail's userIdentity.
func identityOf(p *awsapi.Principal, account string) userIdentity {
	if p == nil {
		return userIdentity{Type: "Unknown"}
	}
	id := userIdentity{PrincipalID: p.UserID, ARN: p.ARN, AccountID: p.AccountID, AccessKeyID: p.AccessKeyID}
	if id.AccountID == "" {
		id.AccountID = account
	}
	var resource string
	if parts, ok := splitARN(p.ARN); ok {
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
		role, _, _ := strings.Cut(strings.TrimPrefix(resource, "assumed-role/"), "/")
		roleID, _, _ := strings.Cut(p.UserID, ":")
		id.SessionContext = &sessionContext{
			SessionIssuer: sessionIssuer{
				Type: "Role", PrincipalID: roleID, AccountID: id.AccountID, UserName: role,
				ARN: "arn:aws:iam::" + id.AccountID + ":role/" + role,
			},
			Attributes: mfaNotAuthenticated,
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
	var b [64]byte
	return string(append(append(appendHex16(b[:0], invertedTime(nanos)), '/'), id...))
}

func timeKey(nanos int64) string {
	var b [16]byte
	return string(appendHex16(b[:0], invertedTime(nanos)))
}

// invertedTime orders times newest first; times before 1970 are 1970's.
func invertedTime(nanos int64) uint64 {
	if nanos < 0 {
		nanos = 0
	}
	return uint64(math.MaxUint64) - uint64(nanos)
}

func seqKey(seq uint64) string {
	var b [16]byte
	return string(appendHex16(b[:0], seq))
}

// appendHex16 appends n as 16 lower-case hex digits, as fmt's %016x writes it.
func appendHex16(buf []byte, n uint64) []byte {
	for shift := 60; shift >= 0; shift -= 4 {
		buf = append(buf, hexDigits[n>>uint(shift)&0xf])
	}
	return buf
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
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
		// The seq records are the event keys as json.Marshal writes them (event keys
		// are hex digits, '/' and '-'), end to end in one buffer that, like the events,
		// must not change before the commit.
		quoted := make([]byte, 0, len(batch)*(len(batch[0].key)+2))
		for _, ev := range batch {
			seq++
			if err := tx.PutRaw(bucketEvents, ev.key, ev.stored(seq)); err != nil {
				return err
			}
			from := len(quoted)
			quoted = append(quoted, '"')
			quoted = append(quoted, ev.key...)
			quoted = append(quoted, '"')
			if err := tx.PutRaw(bucketSeq, seqKey(seq), quoted[from:len(quoted):len(quoted)]); err != nil {
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
