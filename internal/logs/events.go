package logs

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/store"
)

// AWS's PutLogEvents limits.
const (
	maxBatchEvents = 10000
	maxBatchBytes  = 1048576 // messages plus eventOverhead per event
	maxEventBytes  = 262144 - eventOverhead
	maxBatchSpan   = 24 * 60 * 60 * 1000      // ms
	maxFuture      = 2 * 60 * 60 * 1000       // ms
	maxPast        = 14 * 24 * 60 * 60 * 1000 // ms
	maxResultBytes = 1048576
	maxFilterLen   = 1024
)

// PutLogEvents stores a batch of events in a log stream and returns once they are
// durable. Events too old (14 days, or the group's retention) or too new (2 hours
// ahead) are left out and reported; the rest are stored.
func (s *Service) PutLogEvents(ctx context.Context, in *PutLogEventsInput) (*PutLogEventsOutput, error) {
	group, err := validGroupName("logGroupName", in.LogGroupName)
	if err != nil {
		return nil, err
	}
	stream, err := validStreamName("logStreamName", in.LogStreamName)
	if err != nil {
		return nil, err
	}
	if err := validEvents(in.LogEvents); err != nil {
		return nil, err
	}
	g, st, err := s.lookupStream(ctx, group, stream)
	if err != nil {
		return nil, err
	}
	now := s.nowMillis()
	lo, hi, info := rejected(in.LogEvents, now, g.RetentionInDays)
	out := &PutLogEventsOutput{RejectedLogEventsInfo: info}
	lastSeq, err := s.storeEvents(ctx, g, st, in.LogEvents[lo:hi], now)
	if err != nil {
		return nil, err
	}
	out.NextSequenceToken = ptr(sequenceToken(st.ID, lastSeq))
	return out, nil
}

// storeEvents appends accepted events of one stream durably, then publishes what the
// group's metric filters make of them; it returns the last sequence number written.
func (s *Service) storeEvents(ctx context.Context, g groupRecord, st streamRecord, events []InputLogEvent, now int64) (uint64, error) {
	l, err := s.logFor(g.ID, g.Name)
	if err != nil {
		return 0, err
	}
	if len(events) == 0 {
		return l.lastSeq(), nil
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	first, err := l.appendEvents(st.ID, events, now)
	if errors.Is(err, errLogClosed) {
		s.mu.Lock()
		gone, closed := s.deleted[g.ID], s.closed
		s.mu.Unlock()
		if gone {
			return 0, errGroupNotFound()
		}
		if closed {
			return 0, errUnavailable()
		}
	}
	if err != nil {
		return 0, s.internal(err)
	}
	s.publish(ctx, g, events)
	return first + uint64(len(events)) - 1, nil
}

// lookupStream reads a group and one of its streams.
func (s *Service) lookupStream(ctx context.Context, group, stream string) (groupRecord, streamRecord, error) {
	var g groupRecord
	var st streamRecord
	err := s.view(ctx, func(tx *store.Tx) error {
		var err error
		if g, err = getGroup(tx, group); err != nil {
			return err
		}
		st, err = getStream(tx, g.ID, stream)
		return err
	})
	return g, st, err
}

// validEvents checks a PutLogEvents batch as AWS does.
func validEvents(events []InputLogEvent) error {
	if events == nil {
		return errNull("logEvents")
	}
	if len(events) < 1 {
		return errInvalid("1 validation error detected: Value '[]' at 'logEvents' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	if len(events) > maxBatchEvents {
		return errInvalid("1 validation error detected: Value at 'logEvents' failed to satisfy constraint: Member must have length less than or equal to %d", maxBatchEvents)
	}
	size := 0
	for i, e := range events {
		field := ""
		if e.Timestamp == nil || *e.Timestamp < 0 || e.Message == nil || *e.Message == "" {
			field = fmt.Sprintf("logEvents.%d.member", i+1)
		}
		if e.Timestamp == nil {
			return errNull(field + ".timestamp")
		}
		if *e.Timestamp < 0 {
			return errRange(field+".timestamp", *e.Timestamp, 0, 1<<63-1)
		}
		if e.Message == nil {
			return errNull(field + ".message")
		}
		if *e.Message == "" {
			return errTooShort(field+".message", "", 1)
		}
		if n := len(*e.Message) + eventOverhead; n > maxEventBytes+eventOverhead {
			return errInvalid("Log event too large: %d bytes exceeds limit of %d", n, maxEventBytes+eventOverhead)
		}
		size += len(*e.Message) + eventOverhead
		if i > 0 && *e.Timestamp < *events[i-1].Timestamp {
			return errInvalid("Log events in a single PutLogEvents request must be in chronological order.")
		}
	}
	if size > maxBatchBytes {
		return errInvalid("Upload too large: %d bytes exceeds limit of %d", size, maxBatchBytes)
	}
	if *events[len(events)-1].Timestamp-*events[0].Timestamp > maxBatchSpan {
		return errInvalid("The batch of log events in a single PutLogEvents request cannot span more than 24 hours.")
	}
	return nil
}

// rejected splits a chronological batch: events[lo:hi] are accepted; the rest are too
// old, expired by the group's retention, or too new, as info reports (nil when none).
func rejected(events []InputLogEvent, now int64, retention int32) (lo, hi int, info *RejectedLogEventsInfo) {
	tooOld := now - maxPast
	expired := retentionCutoff(now, retention)
	tooNew := now + maxFuture
	lo, hi = 0, len(events)
	for i, e := range events {
		ts := *e.Timestamp
		if ts > tooNew {
			hi = i
			if info == nil {
				info = &RejectedLogEventsInfo{}
			}
			info.TooNewLogEventStartIndex = ptr(int32(i))
			break
		}
		if ts < tooOld {
			if info == nil {
				info = &RejectedLogEventsInfo{}
			}
			info.TooOldLogEventEndIndex = ptr(int32(i))
			lo = i + 1
		}
		if ts < expired {
			if info == nil {
				info = &RejectedLogEventsInfo{}
			}
			info.ExpiredLogEventEndIndex = ptr(int32(i))
			lo = i + 1
		}
	}
	if lo > hi {
		lo = hi
	}
	return lo, hi, info
}

// DroppedEventsError is what Append returns when it stored all events but those it
// counts: too old (14 days), expired (older than the group's retention), too new (2
// hours ahead) or empty.
type DroppedEventsError struct {
	TooOld, Expired, TooNew, Empty int
}

// Error implements error.
func (e *DroppedEventsError) Error() string {
	return fmt.Sprintf("logs: dropped %d events (too old %d, expired %d, too new %d, empty %d)",
		e.TooOld+e.Expired+e.TooNew+e.Empty, e.TooOld, e.Expired, e.TooNew, e.Empty)
}

// Append stores events in a log stream for a log driver, without authorization. It
// creates the stream, and the group when createGroup is set, if missing; orders the
// events by time; cuts messages longer than AWS's 256 KiB event limit (at a UTF-8
// boundary); splits the events into batches within PutLogEvents' limits; and returns
// once they are durable, with metric filters applied as PutLogEvents does. Events
// PutLogEvents would reject for their time, and empty messages, are dropped: Append
// then returns a *DroppedEventsError counting them while everything else is stored.
// Any other error may leave earlier batches stored. Events are not modified.
func (s *Service) Append(ctx context.Context, group, stream string, events []InputLogEvent, createGroup bool) error {
	if _, err := validGroupName("logGroupName", &group); err != nil {
		return err
	}
	if _, err := validStreamName("logStreamName", &stream); err != nil {
		return err
	}
	g, st, err := s.lookupStream(ctx, group, stream)
	if isNotFound(err, errGroupNotFound()) && createGroup {
		err = s.createGroup(ctx, groupRecord{Name: group, CreationTime: s.nowMillis(), Class: "STANDARD"})
		if err == nil || isCode(err, "ResourceAlreadyExistsException") {
			g, st, err = s.lookupStream(ctx, group, stream)
		}
	}
	if isNotFound(err, errStreamNotFound()) {
		err = s.createStream(ctx, group, stream)
		if err == nil || isCode(err, "ResourceAlreadyExistsException") {
			g, st, err = s.lookupStream(ctx, group, stream)
		}
	}
	if err != nil {
		return err
	}
	var dropped DroppedEventsError
	now := s.nowMillis()
	tooOld, expired, tooNew := now-maxPast, retentionCutoff(now, g.RetentionInDays), now+maxFuture
	kept := make([]InputLogEvent, 0, len(events))
	for _, e := range events {
		msg, ts := deref(e.Message), deref(e.Timestamp)
		switch {
		case msg == "":
			dropped.Empty++
			continue
		case ts < tooOld || e.Timestamp == nil:
			dropped.TooOld++
			continue
		case ts < expired:
			dropped.Expired++
			continue
		case ts > tooNew:
			dropped.TooNew++
			continue
		}
		if len(msg) > maxEventBytes {
			msg = truncateUTF8(msg, maxEventBytes)
		}
		kept = append(kept, InputLogEvent{Message: &msg, Timestamp: &ts})
	}
	slices.SortStableFunc(kept, func(a, b InputLogEvent) int {
		return compareInt(*a.Timestamp, *b.Timestamp)
	})
	for len(kept) > 0 {
		n, size := 0, 0
		for n < len(kept) && n < maxBatchEvents {
			sz := len(*kept[n].Message) + eventOverhead
			if size+sz > maxBatchBytes || *kept[n].Timestamp-*kept[0].Timestamp > maxBatchSpan {
				break
			}
			size += sz
			n++
		}
		if _, err := s.storeEvents(ctx, g, st, kept[:n], now); err != nil {
			return err
		}
		kept = kept[n:]
	}
	if dropped != (DroppedEventsError{}) {
		return &dropped
	}
	return nil
}

func compareInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func isCode(err error, code string) bool {
	e, ok := awsapi.As(err)
	return ok && e.Code == code
}

// isNotFound reports whether err is the same not-found error as want (group or
// stream).
func isNotFound(err, want error) bool {
	e, ok := awsapi.As(err)
	w, _ := awsapi.As(want)
	return ok && e.Code == w.Code && e.Message == w.Message
}

// Event positions in tokens: "f/" (events after) or "b/" (events before) and 56
// digits: the timestamp (19), the sequence number (20) and 17 zeros.

func positionToken(dir byte, k evKey) *string {
	ts := max(k.ts, 0)
	t := fmt.Sprintf("%c/%019d%020d%017d", dir, ts, k.seq, 0)
	return &t
}

func parsePosition(tok string) (byte, evKey, error) {
	bad := errInvalid("The specified nextToken is invalid.")
	if len(tok) != 58 || tok[1] != '/' || tok[0] != 'f' && tok[0] != 'b' {
		return 0, evKey{}, bad
	}
	ts, err1 := strconv.ParseInt(tok[2:21], 10, 64)
	seq, err2 := strconv.ParseUint(tok[21:41], 10, 64)
	if err1 != nil || err2 != nil || ts < 0 {
		return 0, evKey{}, bad
	}
	return tok[0], evKey{ts, seq}, nil
}

// next and prev are the keys just after and before k.
func next(k evKey) evKey {
	if k.seq == 1<<64-1 {
		return evKey{k.ts + 1, 0}
	}
	return evKey{k.ts, k.seq + 1}
}

func prev(k evKey) evKey {
	if k.seq == 0 {
		if k.ts <= 0 {
			return evKey{0, 0}
		}
		return evKey{k.ts - 1, 1<<64 - 1}
	}
	return evKey{k.ts, k.seq - 1}
}

// GetLogEvents returns events of one stream in time order: the newest (or, with
// startFromHead, the oldest) of the time range, then pages forward and backward with
// the tokens; a page past either end returns the token it was given.
func (s *Service) GetLogEvents(ctx context.Context, in *GetLogEventsInput) (*GetLogEventsOutput, error) {
	group, err := s.resolveGroup(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	stream, err := validStreamName("logStreamName", in.LogStreamName)
	if err != nil {
		return nil, err
	}
	limit, err := validLimit("limit", in.Limit, maxBatchEvents, maxBatchEvents)
	if err != nil {
		return nil, err
	}
	if err := validTimes(in.StartTime, in.EndTime); err != nil {
		return nil, err
	}
	dir, pos := byte(0), evKey{}
	if in.NextToken != nil {
		if dir, pos, err = parsePosition(*in.NextToken); err != nil {
			return nil, err
		}
	}
	g, st, err := s.lookupStream(ctx, group, stream)
	if err != nil {
		return nil, err
	}
	q := scanQuery{
		from: deref(in.StartTime), to: keyMax.ts, after: keyMin, before: keyMax, maxSeq: keyMax.seq,
		streams: map[uint32]string{st.ID: stream}, limit: limit, maxBytes: maxResultBytes,
	}
	if in.EndTime != nil {
		q.to = *in.EndTime - 1 // endTime is exclusive here
	}
	q.from = max(q.from, retentionCutoff(s.nowMillis(), g.RetentionInDays))
	switch dir {
	case 'f':
		q.after = pos
	case 'b':
		q.before, q.desc = pos, true
	default:
		q.desc = !deref(in.StartFromHead)
	}
	var hits []hit
	if l := s.eventLog(g.ID); l != nil {
		if hits, _, err = l.scan(q); err != nil {
			return nil, s.internal(err)
		}
	}
	out := &GetLogEventsOutput{Events: make([]OutputLogEvent, len(hits))}
	for i, h := range hits {
		out.Events[i] = OutputLogEvent{Timestamp: ptr(h.key.ts), Message: ptr(h.msg), IngestionTime: ptr(h.ingest)}
	}
	if len(hits) > 0 {
		out.NextForwardToken = positionToken('f', hits[len(hits)-1].key)
		out.NextBackwardToken = positionToken('b', hits[0].key)
		return out, nil
	}
	switch dir {
	case 'f':
		out.NextForwardToken, out.NextBackwardToken = in.NextToken, positionToken('b', next(pos))
	case 'b':
		out.NextForwardToken, out.NextBackwardToken = positionToken('f', prev(pos)), in.NextToken
	default:
		// An empty range: forward from its start, backward from its end.
		out.NextForwardToken = positionToken('f', prev(evKey{q.from, 0}))
		out.NextBackwardToken = positionToken('b', evKey{q.to, keyMax.seq})
	}
	return out, nil
}

func validTimes(start, end *int64) error {
	if start != nil && *start < 0 {
		return errRange("startTime", *start, 0, 1<<63-1)
	}
	if end != nil && *end < 0 {
		return errRange("endTime", *end, 0, 1<<63-1)
	}
	if start != nil && end != nil && *start > *end {
		return errInvalid("startTime must be less than or equal to endTime.")
	}
	return nil
}

// filterCursor is FilterLogEvents' position: the group, the newest sequence number
// when the search began (later events are left to a new search, so pages neither
// repeat nor skip events), and the last event returned.
type filterCursor struct {
	group, snap uint64
	last        evKey
}

func (c filterCursor) token() *string {
	b := make([]byte, 0, 33)
	b = append(b, 1)
	b = binary.BigEndian.AppendUint64(b, c.group)
	b = binary.BigEndian.AppendUint64(b, c.snap)
	b = binary.BigEndian.AppendUint64(b, uint64(c.last.ts))
	b = binary.BigEndian.AppendUint64(b, c.last.seq)
	t := base64.RawURLEncoding.EncodeToString(b)
	return &t
}

func parseFilterCursor(tok string) (filterCursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) != 33 || b[0] != 1 {
		return filterCursor{}, errInvalid("The specified nextToken is invalid.")
	}
	return filterCursor{
		group: binary.BigEndian.Uint64(b[1:]),
		snap:  binary.BigEndian.Uint64(b[9:]),
		last:  evKey{int64(binary.BigEndian.Uint64(b[17:])), binary.BigEndian.Uint64(b[25:])},
	}, nil
}

// eventID is an event's id in FilterLogEvents: 56 digits from its timestamp, group and
// sequence number.
func eventID(group uint64, k evKey) string {
	return fmt.Sprintf("%019d%017d%020d", max(k.ts, 0), group%1e17, k.seq)
}

// FilterLogEvents searches a log group's streams for events matching a filter
// pattern, in time order across streams.
func (s *Service) FilterLogEvents(ctx context.Context, in *FilterLogEventsInput) (*FilterLogEventsOutput, error) {
	group, err := s.resolveGroup(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	if in.LogStreamNames != nil && in.LogStreamNamePrefix != nil {
		return nil, errInvalid("You cannot specify both logStreamNames and logStreamNamePrefix.")
	}
	if in.LogStreamNames != nil && (len(in.LogStreamNames) < 1 || len(in.LogStreamNames) > 100) {
		return nil, errInvalid("1 validation error detected: Value at 'logStreamNames' failed to satisfy constraint: Member must have length between 1 and 100")
	}
	for i := range in.LogStreamNames {
		if _, err := validStreamName("logStreamNames", &in.LogStreamNames[i]); err != nil {
			return nil, err
		}
	}
	prefix := ""
	if in.LogStreamNamePrefix != nil {
		if prefix, err = validStreamName("logStreamNamePrefix", in.LogStreamNamePrefix); err != nil {
			return nil, err
		}
	}
	limit, err := validLimit("limit", in.Limit, maxBatchEvents, maxBatchEvents)
	if err != nil {
		return nil, err
	}
	if err := validTimes(in.StartTime, in.EndTime); err != nil {
		return nil, err
	}
	if len(deref(in.FilterPattern)) > maxFilterLen {
		return nil, errTooLong("filterPattern", deref(in.FilterPattern), maxFilterLen)
	}
	pattern, err := s.patterns.compile(deref(in.FilterPattern))
	if err != nil {
		return nil, err
	}
	var g groupRecord
	var streams map[uint32]string
	if err := s.view(ctx, func(tx *store.Tx) error {
		if g, err = getGroup(tx, group); err != nil {
			return err
		}
		streams, err = streamsOf(tx, g.ID, in.LogStreamNames, prefix)
		return err
	}); err != nil {
		return nil, err
	}
	l := s.eventLog(g.ID)
	cur := filterCursor{group: g.ID, last: keyMin}
	if in.NextToken != nil {
		if cur, err = parseFilterCursor(*in.NextToken); err != nil {
			return nil, err
		}
		if cur.group != g.ID {
			return nil, errInvalid("The specified nextToken is invalid.")
		}
	} else if l != nil {
		cur.snap = l.lastSeq()
	}
	q := scanQuery{
		from: deref(in.StartTime), to: keyMax.ts, after: cur.last, before: keyMax, maxSeq: cur.snap,
		streams: streams, match: pattern, limit: limit, maxBytes: maxResultBytes,
	}
	if in.EndTime != nil {
		q.to = *in.EndTime
	}
	q.from = max(q.from, retentionCutoff(s.nowMillis(), g.RetentionInDays))
	var hits []hit
	more := false
	if l != nil && len(streams) > 0 {
		if hits, more, err = l.scan(q); err != nil {
			return nil, s.internal(err)
		}
	}
	out := &FilterLogEventsOutput{Events: make([]FilteredLogEvent, len(hits)), SearchedLogStreams: []SearchedLogStream{}}
	for i, h := range hits {
		out.Events[i] = FilteredLogEvent{
			EventId: ptr(eventID(g.ID, h.key)), IngestionTime: ptr(h.ingest), LogStreamName: ptr(streams[h.stream]),
			Message: ptr(h.msg), Timestamp: ptr(h.key.ts),
		}
	}
	for _, name := range sortedNames(streams) {
		out.SearchedLogStreams = append(out.SearchedLogStreams, SearchedLogStream{LogStreamName: ptr(name), SearchedCompletely: ptr(!more)})
	}
	if more && len(hits) > 0 {
		cur.last = hits[len(hits)-1].key
		out.NextToken = cur.token()
	}
	return out, nil
}

// patternCache keeps recently used compiled patterns.
type patternCache struct {
	mu sync.Mutex
	m  map[string]*Pattern
}

func (c *patternCache) compile(src string) (*Pattern, error) {
	c.mu.Lock()
	p, ok := c.m[src]
	c.mu.Unlock()
	if ok {
		return p, nil
	}
	p, err := CompilePattern(src)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= 256 {
		c.m = map[string]*Pattern{}
	}
	c.m[src] = p
	c.mu.Unlock()
	return p, nil
}
