package logs

// Log event storage.
//
// Decision: events live in an append-only segment log per log group; the group,
// stream and metric filter metadata live in internal/store (bbolt). Chosen by
// BenchmarkStorage (storage_bench_test.go), which stores the same 100-byte events in
// durable 1,000-event batches both ways, and searches 1,000,000 of them for a term in
// one event of 10,000. Figures on the 2-vCPU development VM (ext4 on virtio, a small
// fsync ≈ 0.2 ms), two runs of -benchtime 1000x (3x for the scan):
//
//	                                        append, 1 writer   append, 8 writers   search 1M events
//	internal/store (bbolt, a JSON record       290-360k ev/s       370-390k ev/s        1.7 s
//	  per event keyed by time)
//	segment log (this file)                    1.0-3.3M ev/s       3.1-5.1M ev/s        60 ms
//
// bbolt rewrites B+tree pages and encodes JSON per event, commits one writer at a time
// with its own fsync, and must decode every record to search; the segment log writes a
// batch with one pwrite, shares one fsync among the writers that arrive while another
// sync runs (group commit), and scans sequentially, skipping what the sparse time
// index rules out. The disk is shared: under other load single fsyncs took up to
// 60 ms, which group commit hides from concurrent writers but not from a lone one.
//
// Layout: <dir>/<group id, 16 hex digits>/<first sequence number, 16 hex digits>.seg.
// A segment starts with the 8-byte magic "WHRFLOG1" and holds records:
//
//	u32 length of body | u32 CRC-32C of body | body: u64 seq | i64 timestamp ms |
//	i64 ingestion ms | u32 stream id | message bytes
//
// all little-endian. Sequence numbers grow by one per event within a group. On open
// every segment is read back: a record whose length or CRC does not check out (a torn
// tail after a crash: an unacknowledged write) ends the segment, which is truncated
// there. The in-memory index is sparse: per block of about 64 KiB of records the
// offset, the timestamp and sequence ranges and up to eight stream ids. PutLogEvents
// returns only after the fsync that covers its records; concurrent writers of a group
// share it. (Readers may see records a moment before that fsync completes.) A segment is sealed after 64 MiB or an hour, and retention deletes whole
// segments whose newest event has expired; reads hide expired events at once.

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

const (
	segMagic        = "WHRFLOG1"
	recHeaderSize   = 8  // length + CRC
	recFixedSize    = 28 // seq + timestamp + ingestion + stream id
	maxRecordBody   = recFixedSize + maxEventBytes
	blockTargetSize = 64 << 10
	blockMaxRecords = 1024
	maxBlockStreams = 8

	// DefaultSegmentBytes is the size after which a segment is sealed.
	DefaultSegmentBytes = 64 << 20
	// segmentMaxAgeMillis is the age after which a segment is sealed.
	segmentMaxAgeMillis = 60 * 60 * 1000
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errLogClosed is returned by a closed (deleted) group's log.
var errLogClosed = errors.New("logs: log group closed")

// block summarizes consecutive records of a segment for the sparse index.
type block struct {
	off              int64
	size             int32
	n                int32
	minTs, maxTs     int64
	firstSeq, maxSeq uint64
	nstreams         int8 // -1: more than maxBlockStreams
	streams          [maxBlockStreams]uint32
}

func (b *block) add(off int64, size int, ts int64, seq uint64, stream uint32) {
	if b.n == 0 {
		b.off, b.minTs, b.maxTs, b.firstSeq = off, ts, ts, seq
	}
	b.size += int32(size)
	b.n++
	b.minTs = min(b.minTs, ts)
	b.maxTs = max(b.maxTs, ts)
	b.maxSeq = seq
	if b.nstreams < 0 {
		return
	}
	for i := 0; i < int(b.nstreams); i++ {
		if b.streams[i] == stream {
			return
		}
	}
	if int(b.nstreams) == maxBlockStreams {
		b.nstreams = -1
		return
	}
	b.streams[b.nstreams] = stream
	b.nstreams++
}

func (b *block) full() bool { return b.size >= blockTargetSize || b.n >= blockMaxRecords }

// mayHold reports whether the block may hold records of a selected stream.
func (b *block) mayHold(streams map[uint32]string) bool {
	if b.nstreams < 0 {
		return true
	}
	for i := 0; i < int(b.nstreams); i++ {
		if _, ok := streams[b.streams[i]]; ok {
			return true
		}
	}
	return false
}

// segment is one file of a group's log.
type segment struct {
	path     string
	f        *os.File
	firstSeq uint64 // from the file name

	// Guarded by eventLog.mu.
	size         int64
	blocks       []block // the last one may still grow
	minTs, maxTs int64
	count        int
	created      int64 // ingestion time of the first record, ms
	removed      bool

	syncMu sync.Mutex
	synced atomic.Int64 // bytes known durable
}

// syncTo makes the segment durable up to at least end bytes; writers that arrive while
// a sync runs are covered by the next one, which syncs everything written by then.
func (s *segment) syncTo(end int64, written func() int64) error {
	if s.synced.Load() >= end {
		return nil
	}
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	if s.synced.Load() >= end {
		return nil
	}
	target := written()
	if err := s.f.Sync(); err != nil {
		if errors.Is(err, os.ErrClosed) {
			return errLogClosed
		}
		return fmt.Errorf("logs: sync %s: %w", s.path, err)
	}
	s.synced.Store(target)
	return nil
}

// streamStats are the per-stream figures DescribeLogStreams reports, rebuilt from the
// segments on open.
type streamStats struct {
	first, last, lastIngest int64
	lastSeq                 uint64
}

// eventLog is the segment log of one log group. Appends serialize on mu for the write
// only; the fsync happens outside it.
type eventLog struct {
	dir          string
	segmentBytes int64
	log          *slog.Logger

	mu      sync.RWMutex
	segs    []*segment
	nextSeq uint64
	stats   map[uint32]*streamStats
	closed  bool
	dirMade bool
}

// openEventLog opens (recovering) the log in dir, which need not exist yet.
func openEventLog(dir string, segmentBytes int64, log *slog.Logger) (*eventLog, error) {
	l := &eventLog{dir: dir, segmentBytes: segmentBytes, log: log, nextSeq: 1, stats: map[uint32]*streamStats{}}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return l, nil
	}
	if err != nil {
		return nil, fmt.Errorf("logs: read %s: %w", dir, err)
	}
	l.dirMade = true
	type named struct {
		first uint64
		name  string
	}
	var files []named
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".seg") || e.IsDir() {
			continue
		}
		first, err := strconv.ParseUint(strings.TrimSuffix(name, ".seg"), 16, 64)
		if err != nil {
			continue
		}
		files = append(files, named{first, name})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].first < files[j].first })
	for i, fn := range files {
		seg, err := l.recoverSegment(filepath.Join(dir, fn.name), fn.first, i == len(files)-1)
		if err != nil {
			l.closeFiles()
			return nil, err
		}
		if seg != nil {
			l.segs = append(l.segs, seg)
		}
	}
	return l, nil
}

// recoverSegment reads a segment back, rebuilding its index and the stream figures,
// and truncates a torn tail. It returns nil for a file that held nothing and was
// removed.
func (l *eventLog) recoverSegment(path string, first uint64, last bool) (*segment, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("logs: open %s: %w", path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("logs: stat %s: %w", path, err)
	}
	var magic [len(segMagic)]byte
	if _, err := io.ReadFull(f, magic[:]); err != nil || string(magic[:]) != segMagic {
		if fi.Size() < int64(len(segMagic)) && strings.HasPrefix(segMagic, string(magic[:fi.Size()])) {
			// Created but never written: a crash before the first append was durable.
			f.Close()
			if err := os.Remove(path); err != nil {
				return nil, fmt.Errorf("logs: remove empty segment: %w", err)
			}
			return nil, nil
		}
		f.Close()
		return nil, fmt.Errorf("logs: %s is not a Wharf log segment", path)
	}
	seg := &segment{path: path, f: f, firstSeq: first, size: int64(len(segMagic))}
	r := bufio.NewReaderSize(f, 1<<20)
	var hdr [recHeaderSize]byte
	body := make([]byte, 0, 4096)
	prevSeq := uint64(0)
	torn := ""
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			if err != io.EOF {
				torn = "short record header"
			}
			break
		}
		n := binary.LittleEndian.Uint32(hdr[0:4])
		if n < recFixedSize || n > maxRecordBody {
			torn = fmt.Sprintf("bad record length %d", n)
			break
		}
		if cap(body) < int(n) {
			body = make([]byte, n)
		}
		body = body[:n]
		if _, err := io.ReadFull(r, body); err != nil {
			torn = "short record"
			break
		}
		if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(hdr[4:8]) {
			torn = "checksum mismatch"
			break
		}
		rec := decodeBody(body)
		if rec.seq <= prevSeq || rec.seq < first {
			torn = "sequence out of order"
			break
		}
		prevSeq = rec.seq
		l.index(seg, seg.size, recHeaderSize+int(n), rec)
		seg.size += int64(recHeaderSize + int(n))
	}
	if torn != "" || seg.size < fi.Size() {
		l.log.Warn("logs: truncating damaged segment tail", "segment", path, "offset", seg.size, "size", fi.Size(), "reason", torn)
		if err := f.Truncate(seg.size); err != nil {
			f.Close()
			return nil, fmt.Errorf("logs: truncate %s: %w", path, err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, fmt.Errorf("logs: sync %s: %w", path, err)
		}
	}
	seg.synced.Store(seg.size)
	if seg.count == 0 && !last {
		f.Close()
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("logs: remove empty segment: %w", err)
		}
		return nil, nil
	}
	if prevSeq >= l.nextSeq {
		l.nextSeq = prevSeq + 1
	}
	if first >= l.nextSeq {
		l.nextSeq = first
	}
	return seg, nil
}

// rec is a decoded record; msg aliases the read buffer.
type rec struct {
	seq        uint64
	ts, ingest int64
	stream     uint32
	msg        []byte
}

func decodeBody(b []byte) rec {
	return rec{
		seq:    binary.LittleEndian.Uint64(b[0:8]),
		ts:     int64(binary.LittleEndian.Uint64(b[8:16])),
		ingest: int64(binary.LittleEndian.Uint64(b[16:24])),
		stream: binary.LittleEndian.Uint32(b[24:28]),
		msg:    b[recFixedSize:],
	}
}

// appendRecord appends the encoding of one record with message msg.
func appendRecord(buf []byte, r rec, msg string) []byte {
	start := len(buf)
	buf = binary.LittleEndian.AppendUint32(buf, uint32(recFixedSize+len(msg)))
	buf = binary.LittleEndian.AppendUint32(buf, 0) // CRC, below
	buf = binary.LittleEndian.AppendUint64(buf, r.seq)
	buf = binary.LittleEndian.AppendUint64(buf, uint64(r.ts))
	buf = binary.LittleEndian.AppendUint64(buf, uint64(r.ingest))
	buf = binary.LittleEndian.AppendUint32(buf, r.stream)
	buf = append(buf, msg...)
	binary.LittleEndian.PutUint32(buf[start+4:], crc32.Checksum(buf[start+recHeaderSize:], castagnoli))
	return buf
}

// index adds a record at off (size bytes) to the segment's index and the stream
// figures; l.mu must be held for writing (or the log not yet shared).
func (l *eventLog) index(seg *segment, off int64, size int, r rec) {
	if len(seg.blocks) == 0 || seg.blocks[len(seg.blocks)-1].full() {
		seg.blocks = append(seg.blocks, block{})
	}
	seg.blocks[len(seg.blocks)-1].add(off, size, r.ts, r.seq, r.stream)
	if seg.count == 0 {
		seg.minTs, seg.maxTs, seg.created = r.ts, r.ts, r.ingest
	}
	seg.count++
	seg.minTs = min(seg.minTs, r.ts)
	seg.maxTs = max(seg.maxTs, r.ts)
	st := l.stats[r.stream]
	if st == nil {
		st = &streamStats{first: r.ts, last: r.ts}
		l.stats[r.stream] = st
	}
	st.first = min(st.first, r.ts)
	st.last = max(st.last, r.ts)
	st.lastIngest = max(st.lastIngest, r.ingest)
	st.lastSeq = r.seq
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 256<<10); return &b }}

// appendEvents writes events (already validated and in order) of one stream and
// returns once they are durable, with the sequence number of the first.
func (l *eventLog) appendEvents(stream uint32, events []InputLogEvent, ingest int64) (uint64, error) {
	bp := bufPool.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= 4<<20 {
			bufPool.Put(bp)
		}
	}()
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return 0, errLogClosed
	}
	seg, err := l.activeSegment(ingest)
	if err != nil {
		l.mu.Unlock()
		return 0, err
	}
	first := l.nextSeq
	buf := (*bp)[:0]
	for i, e := range events {
		buf = appendRecord(buf, rec{seq: first + uint64(i), ts: deref(e.Timestamp), ingest: ingest, stream: stream}, deref(e.Message))
	}
	*bp = buf
	if _, err := seg.f.WriteAt(buf, seg.size); err != nil {
		// Leave no partial record behind for the next append to follow.
		_ = seg.f.Truncate(seg.size)
		l.mu.Unlock()
		return 0, fmt.Errorf("logs: write %s: %w", seg.path, err)
	}
	off := seg.size
	for i, e := range events {
		size := recHeaderSize + recFixedSize + len(deref(e.Message))
		l.index(seg, off, size, rec{seq: first + uint64(i), ts: deref(e.Timestamp), ingest: ingest, stream: stream})
		off += int64(size)
	}
	seg.size = off
	l.nextSeq += uint64(len(events))
	end := seg.size
	l.mu.Unlock()
	err = seg.syncTo(end, func() int64 {
		l.mu.RLock()
		defer l.mu.RUnlock()
		return seg.size
	})
	if errors.Is(err, errLogClosed) {
		l.mu.RLock()
		gone := seg.removed
		l.mu.RUnlock()
		if gone {
			return first, nil // deleted by retention or with the group meanwhile
		}
	}
	return first, err
}

// activeSegment returns the segment to append to, starting a new one when there is
// none or the current one is full or old; l.mu must be held.
func (l *eventLog) activeSegment(now int64) (*segment, error) {
	if n := len(l.segs); n > 0 {
		s := l.segs[n-1]
		if s.size < l.segmentBytes && (s.count == 0 || now-s.created < segmentMaxAgeMillis) {
			return s, nil
		}
	}
	if !l.dirMade {
		if err := os.MkdirAll(l.dir, 0o700); err != nil {
			return nil, fmt.Errorf("logs: create %s: %w", l.dir, err)
		}
		if err := syncDir(filepath.Dir(l.dir)); err != nil {
			return nil, err
		}
		l.dirMade = true
	}
	path := filepath.Join(l.dir, fmt.Sprintf("%016x.seg", l.nextSeq))
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("logs: create segment: %w", err)
	}
	if _, err := f.Write([]byte(segMagic)); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("logs: write segment header: %w", err)
	}
	if err := syncDir(l.dir); err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	s := &segment{path: path, f: f, firstSeq: l.nextSeq, size: int64(len(segMagic))}
	l.segs = append(l.segs, s)
	return s, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("logs: open directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("logs: sync directory %s: %w", dir, err)
	}
	return nil
}

// forgetStream drops a deleted stream's figures; its records stay until their
// segments expire, invisible because reads select live streams only.
func (l *eventLog) forgetStream(id uint32) {
	l.mu.Lock()
	delete(l.stats, id)
	l.mu.Unlock()
}

// streamStats returns a copy of a stream's figures.
func (l *eventLog) streamStats(id uint32) (streamStats, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	st, ok := l.stats[id]
	if !ok {
		return streamStats{}, false
	}
	return *st, true
}

// storedBytes is the size of the group's segments.
func (l *eventLog) storedBytes() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	var n int64
	for _, s := range l.segs {
		n += s.size
	}
	return n
}

// lastSeq is the sequence number of the newest event (0 when none).
func (l *eventLog) lastSeq() uint64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.nextSeq - 1
}

// expire deletes the segments whose newest event is older than cutoff (ms).
func (l *eventLog) expire(cutoff int64) (int, error) {
	l.mu.Lock()
	var doomed []*segment
	kept := l.segs[:0]
	for _, s := range l.segs {
		if s.count > 0 && s.maxTs < cutoff {
			s.removed = true
			doomed = append(doomed, s)
			continue
		}
		kept = append(kept, s)
	}
	for i := len(kept); i < len(l.segs); i++ {
		l.segs[i] = nil
	}
	l.segs = kept
	l.mu.Unlock()
	var errs []error
	for _, s := range doomed {
		s.f.Close()
		if err := os.Remove(s.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("logs: remove expired segment: %w", err))
		}
	}
	if len(doomed) > 0 {
		if err := syncDir(l.dir); err != nil {
			errs = append(errs, err)
		}
	}
	return len(doomed), errors.Join(errs...)
}

// closeFiles closes every segment file; the log must no longer be used.
func (l *eventLog) closeFiles() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	for _, s := range l.segs {
		s.removed = true
		s.f.Close()
	}
}

// destroy closes the log and removes its directory.
func (l *eventLog) destroy() error {
	l.closeFiles()
	if err := os.RemoveAll(l.dir); err != nil {
		return fmt.Errorf("logs: remove %s: %w", l.dir, err)
	}
	return nil
}

// segView is a segment as a reader sees it: its blocks but the last, which never
// change once another follows (appends go to the last block of the last segment
// only), and a copy of the last one.
type segView struct {
	seg          *segment
	sealed       []block
	last         block
	minTs, maxTs int64
}

// block returns block i of the view, the last one included.
func (v *segView) block(i int) *block {
	if i == len(v.sealed) {
		return &v.last
	}
	return &v.sealed[i]
}

// blocks is the number of blocks in the view.
func (v *segView) blocks() int { return len(v.sealed) + 1 }

// view snapshots the log for a reader.
func (l *eventLog) view() ([]segView, uint64) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := make([]segView, 0, len(l.segs))
	for _, s := range l.segs {
		n := len(s.blocks)
		if s.count == 0 || n == 0 {
			continue
		}
		out = append(out, segView{seg: s, sealed: s.blocks[: n-1 : n-1], last: s.blocks[n-1], minTs: s.minTs, maxTs: s.maxTs})
	}
	return out, l.nextSeq - 1
}
