package logs

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/store"
)

// getStream reads a stream record; a missing one is ResourceNotFoundException.
func getStream(tx *store.Tx, group uint64, name string) (streamRecord, error) {
	var st streamRecord
	err := tx.Get(bucketStreams, childKey(group, name), &st)
	if errors.Is(err, store.ErrNotFound) {
		return st, errStreamNotFound()
	}
	return st, err
}

// CreateLogStream creates a log stream in a log group.
func (s *Service) CreateLogStream(ctx context.Context, in *CreateLogStreamInput) (*CreateLogStreamOutput, error) {
	group, err := validGroupName("logGroupName", in.LogGroupName)
	if err != nil {
		return nil, err
	}
	stream, err := validStreamName("logStreamName", in.LogStreamName)
	if err != nil {
		return nil, err
	}
	if err := s.createStream(ctx, group, stream); err != nil {
		return nil, err
	}
	return &CreateLogStreamOutput{}, nil
}

func (s *Service) createStream(ctx context.Context, group, stream string) error {
	return s.update(ctx, func(tx *store.Tx) error {
		g, err := getGroup(tx, group)
		if err != nil {
			return err
		}
		key := childKey(g.ID, stream)
		if tx.Has(bucketStreams, key) {
			return awsapi.Errorf("ResourceAlreadyExistsException", "The specified log stream already exists")
		}
		g.NextStreamID++
		if g.NextStreamID == 0 {
			return errLimit("The log group has had too many log streams.")
		}
		if err := tx.Put(bucketGroups, group, g); err != nil {
			return err
		}
		return tx.Put(bucketStreams, key, streamRecord{ID: g.NextStreamID, Name: stream, CreationTime: s.nowMillis()})
	})
}

// DeleteLogStream deletes a log stream; its events are no longer returned and go with
// their segments.
func (s *Service) DeleteLogStream(ctx context.Context, in *DeleteLogStreamInput) (*DeleteLogStreamOutput, error) {
	group, err := validGroupName("logGroupName", in.LogGroupName)
	if err != nil {
		return nil, err
	}
	stream, err := validStreamName("logStreamName", in.LogStreamName)
	if err != nil {
		return nil, err
	}
	var g groupRecord
	var st streamRecord
	if err := s.update(ctx, func(tx *store.Tx) error {
		if g, err = getGroup(tx, group); err != nil {
			return err
		}
		if st, err = getStream(tx, g.ID, stream); err != nil {
			return err
		}
		return tx.Delete(bucketStreams, childKey(g.ID, stream))
	}); err != nil {
		return nil, err
	}
	if l := s.eventLog(g.ID); l != nil {
		l.forgetStream(st.ID)
	}
	return &DeleteLogStreamOutput{}, nil
}

// streamToken is DescribeLogStreams' position: the last stream returned and, when
// ordered by LastEventTime, its last event time then.
type streamToken struct {
	Order string `json:"o"`
	Desc  bool   `json:"d,omitempty"`
	Name  string `json:"n"`
	Last  int64  `json:"t,omitempty"`
}

// DescribeLogStreams lists the streams of a log group by name or by last event time.
func (s *Service) DescribeLogStreams(ctx context.Context, in *DescribeLogStreamsInput) (*DescribeLogStreamsOutput, error) {
	group, err := s.resolveGroup(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	limit, err := validLimit("limit", in.Limit, 50, 50)
	if err != nil {
		return nil, err
	}
	order := in.OrderBy
	switch order {
	case "":
		order = "LogStreamName"
	case "LogStreamName", "LastEventTime":
	default:
		return nil, errInvalid("1 validation error detected: Value '%s' at 'orderBy' failed to satisfy constraint: Member must satisfy enum value set: [LogStreamName, LastEventTime]", order)
	}
	prefix := ""
	if in.LogStreamNamePrefix != nil {
		if prefix, err = validStreamName("logStreamNamePrefix", in.LogStreamNamePrefix); err != nil {
			return nil, err
		}
		if order == "LastEventTime" {
			return nil, errInvalid("Cannot order by LastEventTime with a logStreamNamePrefix.")
		}
	}
	desc := deref(in.Descending)
	var tok *streamToken
	if in.NextToken != nil {
		tok = &streamToken{}
		if err := decodeToken(in.NextToken, tok); err != nil {
			return nil, err
		}
		if tok.Order != order || tok.Desc != desc {
			return nil, errInvalid("The specified nextToken is invalid.")
		}
	}
	var g groupRecord
	var streams []streamRecord
	if err := s.view(ctx, func(tx *store.Tx) error {
		if g, err = getGroup(tx, group); err != nil {
			return err
		}
		streams, err = store.List[streamRecord](tx, bucketStreams, childKey(g.ID, prefix))
		return err
	}); err != nil {
		return nil, err
	}
	l := s.eventLog(g.ID)
	type row struct {
		rec   streamRecord
		stats streamStats
		has   bool
	}
	rows := make([]row, len(streams))
	for i, st := range streams {
		rows[i].rec = st
		if l != nil {
			rows[i].stats, rows[i].has = l.streamStats(st.ID)
		}
	}
	// before reports whether row a comes before row b in the requested order.
	before := func(a row, aLast int64, b string, bLast int64) bool {
		if order == "LastEventTime" && aLast != bLast {
			return aLast < bLast != desc
		}
		return a.rec.Name < b != desc
	}
	lastOf := func(r row) int64 {
		if r.has {
			return r.stats.last
		}
		return 0
	}
	sort.Slice(rows, func(i, j int) bool { return before(rows[i], lastOf(rows[i]), rows[j].rec.Name, lastOf(rows[j])) })
	out := &DescribeLogStreamsOutput{LogStreams: []LogStream{}}
	start := 0
	if tok != nil {
		// The first row strictly after the token's position.
		afterTok := func(r row) bool {
			if order == "LastEventTime" && lastOf(r) != tok.Last {
				return tok.Last < lastOf(r) != desc
			}
			if r.rec.Name == tok.Name {
				return false
			}
			return tok.Name < r.rec.Name != desc
		}
		start = sort.Search(len(rows), func(i int) bool { return afterTok(rows[i]) })
	}
	end := min(len(rows), start+limit)
	for _, r := range rows[start:end] {
		ls := LogStream{
			Arn:                 ptr(s.streamARN(group, r.rec.Name)),
			CreationTime:        ptr(r.rec.CreationTime),
			LogStreamName:       ptr(r.rec.Name),
			StoredBytes:         ptr(int64(0)),
			UploadSequenceToken: ptr(sequenceToken(r.rec.ID, r.stats.lastSeq)),
		}
		if r.has {
			ls.FirstEventTimestamp = ptr(r.stats.first)
			ls.LastEventTimestamp = ptr(r.stats.last)
			ls.LastIngestionTime = ptr(r.stats.lastIngest)
		}
		out.LogStreams = append(out.LogStreams, ls)
	}
	if end < len(rows) && end > start {
		last := rows[end-1]
		out.NextToken = encodeToken(streamToken{Order: order, Desc: desc, Name: last.rec.Name, Last: lastOf(last)})
	}
	return out, nil
}

// sequenceToken is the (ignored) upload sequence token AWS still reports for a
// stream: 56 digits.
func sequenceToken(stream uint32, lastSeq uint64) string {
	return fmt.Sprintf("%036d%020d", stream, lastSeq)
}

// streamsOf returns the streams of a group by id, selected by exact names or a name
// prefix (all when both are empty).
func streamsOf(tx *store.Tx, group uint64, names []string, prefix string) (map[uint32]string, error) {
	out := map[uint32]string{}
	if len(names) > 0 {
		for _, n := range names {
			var st streamRecord
			err := tx.Get(bucketStreams, childKey(group, n), &st)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			out[st.ID] = st.Name
		}
		return out, nil
	}
	err := tx.Scan(bucketStreams, childKey(group, prefix), func(key string, raw []byte) error {
		var st streamRecord
		if err := store.Decode(raw, &st); err != nil {
			return err
		}
		out[st.ID] = st.Name
		return nil
	})
	return out, err
}

// sortedNames returns the names of a stream selection, sorted.
func sortedNames(streams map[uint32]string) []string {
	names := make([]string, 0, len(streams))
	for _, n := range streams {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
