package logs

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"sort"
)

// evKey orders the events of a group: by timestamp, then by sequence number (the
// order of ingestion), which makes every key unique.
type evKey struct {
	ts  int64
	seq uint64
}

func (a evKey) less(b evKey) bool {
	if a.ts != b.ts {
		return a.ts < b.ts
	}
	return a.seq < b.seq
}

// Bounds for keys.
var (
	keyMin = evKey{ts: -1 << 63, seq: 0}
	keyMax = evKey{ts: 1<<63 - 1, seq: 1<<64 - 1}
)

// hit is an event a scan returns.
type hit struct {
	key    evKey
	ingest int64
	stream uint32
	msg    string
}

// eventOverhead is what AWS counts per event besides the message (PutLogEvents batch
// size, response size).
const eventOverhead = 26

// scanQuery selects events of one group.
type scanQuery struct {
	from, to      int64             // timestamps, inclusive
	after, before evKey             // exclusive key bounds
	maxSeq        uint64            // events appended later are left out
	streams       map[uint32]string // the live streams to read
	match         *Pattern          // nil matches everything
	limit         int
	maxBytes      int  // response size limit, counting eventOverhead per event
	desc          bool // keep the newest limit events instead of the oldest
}

// scan returns the selected events in key order, at most q.limit of them and within
// q.maxBytes (the oldest kept, or the newest with desc), and whether more selected
// events were left out.
func (l *eventLog) scan(q scanQuery) ([]hit, bool, error) {
	segs, _ := l.view()
	h := &hitHeap{desc: q.desc, limit: q.limit}
	more := false
	var buf []byte
	matchAll := q.match == nil || q.match.MatchesAll()
	visit := func(sv *segView, b *block) error {
		switch {
		case b.firstSeq > q.maxSeq,
			b.maxTs < q.from || b.minTs > q.to,
			!q.desc && b.maxTs < q.after.ts,
			q.desc && b.minTs > q.before.ts,
			!b.mayHold(q.streams):
			return nil
		}
		if h.full() {
			w := h.worst()
			if !q.desc && b.minTs > w.ts || q.desc && b.maxTs < w.ts {
				more = true
				return nil
			}
		}
		if cap(buf) < int(b.size) {
			buf = make([]byte, b.size)
		}
		data := buf[:b.size]
		if _, err := sv.seg.f.ReadAt(data, b.off); err != nil {
			l.mu.RLock()
			gone := sv.seg.removed
			l.mu.RUnlock()
			if gone {
				return nil
			}
			return fmt.Errorf("logs: read %s: %w", sv.seg.path, err)
		}
		for len(data) >= recHeaderSize {
			n := int(binary.LittleEndian.Uint32(data[0:4]))
			if n < recFixedSize || recHeaderSize+n > len(data) {
				return fmt.Errorf("logs: %s: bad record at offset %d", sv.seg.path, b.off+int64(int(b.size)-len(data)))
			}
			body := data[recHeaderSize : recHeaderSize+n]
			if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(data[4:8]) {
				return fmt.Errorf("logs: %s: checksum mismatch at offset %d", sv.seg.path, b.off+int64(int(b.size)-len(data)))
			}
			data = data[recHeaderSize+n:]
			r := decodeBody(body)
			k := evKey{r.ts, r.seq}
			if r.seq > q.maxSeq || r.ts < q.from || r.ts > q.to || !q.after.less(k) || !k.less(q.before) {
				continue
			}
			if _, ok := q.streams[r.stream]; !ok {
				continue
			}
			if h.full() && !h.better(k) {
				if matchAll || q.match.Match(r.msg) {
					more = true
				}
				continue
			}
			if !matchAll && !q.match.Match(r.msg) {
				continue
			}
			if h.push(hit{key: k, ingest: r.ingest, stream: r.stream, msg: string(r.msg)}) {
				more = true
			}
		}
		return nil
	}
	if q.desc {
		for i := len(segs) - 1; i >= 0; i-- {
			sv := &segs[i]
			if sv.maxTs < q.from || sv.minTs > q.to {
				continue
			}
			for j := sv.blocks() - 1; j >= 0; j-- {
				if err := visit(sv, sv.block(j)); err != nil {
					return nil, false, err
				}
			}
		}
	} else {
		for i := range segs {
			sv := &segs[i]
			if sv.maxTs < q.from || sv.minTs > q.to {
				continue
			}
			for j := range sv.blocks() {
				if err := visit(sv, sv.block(j)); err != nil {
					return nil, false, err
				}
			}
		}
	}
	hits := h.items
	sort.Slice(hits, func(i, j int) bool { return hits[i].key.less(hits[j].key) })
	if q.maxBytes > 0 {
		total := 0
		if q.desc {
			for i := len(hits) - 1; i >= 0; i-- {
				total += len(hits[i].msg) + eventOverhead
				if total > q.maxBytes {
					hits, more = hits[i+1:], true
					break
				}
			}
		} else {
			for i := range hits {
				total += len(hits[i].msg) + eventOverhead
				if total > q.maxBytes {
					hits, more = hits[:i], true
					break
				}
			}
		}
	}
	return hits, more, nil
}

// hitHeap keeps the best limit hits: the smallest keys, or the largest with desc. Its
// root is the worst hit kept.
type hitHeap struct {
	items []hit
	limit int
	desc  bool
}

func (h *hitHeap) full() bool { return len(h.items) >= h.limit }

func (h *hitHeap) worst() evKey { return h.items[0].key }

// better reports whether k would be kept over the worst hit.
func (h *hitHeap) better(k evKey) bool {
	if h.desc {
		return h.items[0].key.less(k)
	}
	return k.less(h.items[0].key)
}

// worse reports whether item i is worse than item j.
func (h *hitHeap) worse(i, j int) bool {
	if h.desc {
		return h.items[i].key.less(h.items[j].key)
	}
	return h.items[j].key.less(h.items[i].key)
}

// push adds x, dropping the worst hit when full; it reports whether one was dropped.
func (h *hitHeap) push(x hit) bool {
	if h.limit <= 0 {
		return true
	}
	if !h.full() {
		h.items = append(h.items, x)
		i := len(h.items) - 1
		for i > 0 {
			p := (i - 1) / 2
			if !h.worse(i, p) {
				break
			}
			h.items[i], h.items[p] = h.items[p], h.items[i]
			i = p
		}
		return false
	}
	h.items[0] = x
	i, n := 0, len(h.items)
	for {
		l, r, w := 2*i+1, 2*i+2, i
		if l < n && h.worse(l, w) {
			w = l
		}
		if r < n && h.worse(r, w) {
			w = r
		}
		if w == i {
			return true
		}
		h.items[i], h.items[w] = h.items[w], h.items[i]
		i = w
	}
}
