package cloudwatch

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Durability. Metric data lives in memory (memstore.go) and is made durable by an
// append-only write-ahead log with group commit: PutMetricData appends its validated
// samples as one framed record to the current batch and waits; a single flusher
// writes each batch with one write and one fsync, so concurrent requests share an
// fsync. A request is acknowledged only after the fsync of its batch, and applied in
// memory after that. From time to time (when the log passes Config.CompactBytes, on
// Close) the whole in-memory state is written as a snapshot, after which the log
// segments it covers are deleted. On start the snapshot is loaded and the newer
// segments are replayed; a torn record at the end of a segment (a crash during a
// write) is where that segment ends.
//
// Why not internal/store (bbolt, JSON records): measured with BenchmarkPutMetricData
// against BenchmarkStoreAlternative (one store record per 1,000-item request) in one
// run on a loaded 2-core machine, the log took 0.4 to 1.15 million datapoints/s and
// the store 0.3 to 0.63 million, without even aggregating. Both clear the 50,000/s
// goal; the log wins on size (a binary record of about 30 bytes a datapoint), on
// sharing fsyncs between concurrent requests, and above all by keeping metric
// traffic out of the store, whose single writer lock every Wharf service shares.

const (
	snapName   = "metrics.snap"
	snapMagic  = "WHARFCW1"
	recVersion = 1
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

var errWALClosed = errors.New("metric log is closed")

// walBatch is the records waiting for one write and fsync.
type walBatch struct {
	buf  []byte
	done chan struct{}
	err  error
}

// wal is the write-ahead log of metric data: numbered segment files in dir.
type wal struct {
	dir string
	log *slog.Logger

	writeMu sync.Mutex // held while a batch is written, and by rotate

	mu     sync.Mutex
	cur    *walBatch
	f      *os.File
	seg    uint64
	size   int64 // bytes logged since the last snapshot
	failed error // a write failed: the log accepts nothing more
	closed bool
	kick   chan struct{}
	done   chan struct{}
}

func segName(n uint64) string { return fmt.Sprintf("metrics-%016d.wal", n) }

// segments lists the segment numbers in dir, ascending.
func segments(dir string) ([]uint64, error) {
	names, err := filepath.Glob(filepath.Join(dir, "metrics-*.wal"))
	if err != nil {
		return nil, err
	}
	var out []uint64
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(n), "metrics-"), ".wal")
		if v, err := strconv.ParseUint(base, 10, 64); err == nil {
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

// openWAL loads the snapshot and the log segments in dir into mem and opens a new
// segment for writing.
func openWAL(dir string, mem *memStore, now time.Time, log *slog.Logger) (*wal, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	next, err := loadSnapshot(filepath.Join(dir, snapName), mem)
	if err != nil {
		return nil, err
	}
	segs, err := segments(dir)
	if err != nil {
		return nil, err
	}
	w := &wal{dir: dir, log: log, kick: make(chan struct{}, 1), done: make(chan struct{})}
	w.seg = next
	for _, n := range segs {
		if n < next {
			_ = os.Remove(filepath.Join(dir, segName(n))) // covered by the snapshot
			continue
		}
		size, err := replaySegment(filepath.Join(dir, segName(n)), mem, now.Unix(), log)
		if err != nil {
			return nil, err
		}
		if size == 0 {
			_ = os.Remove(filepath.Join(dir, segName(n))) // nothing in it
		}
		w.size += size
		w.seg = n + 1
	}
	if err := w.openSegment(); err != nil {
		return nil, err
	}
	w.cur = &walBatch{done: make(chan struct{})}
	go w.loop()
	return w, nil
}

// openSegment creates segment w.seg for appending.
func (w *wal) openSegment() error {
	f, err := os.OpenFile(filepath.Join(w.dir, segName(w.seg)), os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	if err := syncDir(w.dir); err != nil {
		f.Close()
		return err
	}
	w.f = f
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// append logs one record and returns, once it is on disk, the log's size.
func (w *wal) append(rec []byte) (int64, error) {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return 0, errWALClosed
	}
	if w.failed != nil {
		w.mu.Unlock()
		return 0, w.failed
	}
	b := w.cur
	b.buf = appendFrame(b.buf, rec)
	size := w.size + int64(len(b.buf))
	select {
	case w.kick <- struct{}{}:
	default:
	}
	w.mu.Unlock()
	<-b.done
	return size, b.err
}

func appendFrame(buf, rec []byte) []byte {
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(rec)))
	buf = binary.LittleEndian.AppendUint32(buf, crc32.Checksum(rec, crcTable))
	return append(buf, rec...)
}

// loop is the flusher: one write and one fsync per batch.
func (w *wal) loop() {
	defer close(w.done)
	for range w.kick {
		w.flush()
	}
	w.flush()
}

func (w *wal) flush() {
	w.writeMu.Lock()
	defer w.writeMu.Unlock()
	w.mu.Lock()
	b := w.cur
	if len(b.buf) == 0 {
		w.mu.Unlock()
		return
	}
	w.cur = &walBatch{done: make(chan struct{})}
	f := w.f
	w.mu.Unlock()
	_, err := f.Write(b.buf)
	if err == nil {
		err = f.Sync()
	}
	w.mu.Lock()
	if err != nil {
		err = fmt.Errorf("write metric log: %w", err)
		w.failed = err
		w.log.Error("cloudwatch: metric log write failed; metric writes are refused until restart", "err", err)
	} else {
		w.size += int64(len(b.buf))
	}
	w.mu.Unlock()
	b.err = err
	close(b.done)
}

// rotate starts a new segment and returns its number: every record logged before
// is in the segments below it. The caller makes sure no append is in flight.
func (w *wal) rotate() (uint64, error) {
	w.writeMu.Lock()
	defer w.writeMu.Unlock()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return 0, errWALClosed
	}
	if len(w.cur.buf) > 0 {
		return 0, errors.New("metric log rotated with a write in flight")
	}
	if err := w.f.Close(); err != nil {
		return 0, err
	}
	w.seg++
	if err := w.openSegment(); err != nil {
		w.failed = err
		return 0, err
	}
	w.size = 0
	return w.seg, nil
}

// removeBefore deletes the segments below n (covered by a snapshot).
func (w *wal) removeBefore(n uint64) {
	segs, err := segments(w.dir)
	if err != nil {
		return
	}
	for _, s := range segs {
		if s < n {
			if err := os.Remove(filepath.Join(w.dir, segName(s))); err != nil {
				w.log.Warn("cloudwatch: remove metric log segment", "err", err)
			}
		}
	}
}

// close stops the flusher (after it wrote what is pending) and closes the segment.
func (w *wal) close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	close(w.kick)
	w.mu.Unlock()
	<-w.done
	return w.f.Close()
}

// ---- records ----

// encodeRecord encodes one PutMetricData's samples: namespace ns, logged at put.
func encodeRecord(buf []byte, ns string, put int64, items []item) []byte {
	buf = append(buf, recVersion)
	buf = binary.AppendVarint(buf, put)
	buf = appendString(buf, ns)
	buf = binary.AppendUvarint(buf, uint64(len(items)))
	for i := range items {
		it := &items[i]
		buf = appendString(buf, it.name)
		buf = binary.AppendUvarint(buf, uint64(len(it.dims)))
		for _, d := range it.dims {
			buf = appendString(buf, d.Name)
			buf = appendString(buf, d.Value)
		}
		buf = appendString(buf, it.unit)
		flags := it.s.kind << 1
		if it.s.hiRes {
			flags |= 1
		}
		if it.s.counts != nil {
			flags |= 8
		}
		buf = append(buf, flags)
		buf = binary.AppendVarint(buf, it.s.ts)
		switch it.s.kind {
		case kindValue:
			buf = appendF64(buf, it.s.value)
		case kindValues:
			buf = binary.AppendUvarint(buf, uint64(len(it.s.values)))
			for _, v := range it.s.values {
				buf = appendF64(buf, v)
			}
			for _, c := range it.s.counts {
				buf = appendF64(buf, c)
			}
		case kindStats:
			buf = appendF64(buf, it.s.n)
			buf = appendF64(buf, it.s.sum)
			buf = appendF64(buf, it.s.min)
			buf = appendF64(buf, it.s.max)
		}
	}
	return buf
}

func appendString(buf []byte, s string) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(s)))
	return append(buf, s...)
}

func appendF64(buf []byte, f float64) []byte {
	return binary.LittleEndian.AppendUint64(buf, math.Float64bits(f))
}

// reader decodes the binary formats, remembering the first error.
type reader struct {
	b   []byte
	err error
}

var errShort = errors.New("truncated")

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errShort
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errShort
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) byte() byte {
	if r.err != nil || len(r.b) < 1 {
		r.err = errShort
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *reader) f64() float64 {
	if r.err != nil || len(r.b) < 8 {
		r.err = errShort
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(r.b))
	r.b = r.b[8:]
	return v
}

func (r *reader) string() string {
	n := r.uvarint()
	if r.err != nil || uint64(len(r.b)) < n {
		r.err = errShort
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

// count reads a length and checks it against the bytes left (each element takes at
// least min bytes), so a corrupt length cannot make a huge allocation.
func (r *reader) count(min int) int {
	n := r.uvarint()
	if r.err == nil && n > uint64(len(r.b)/min) {
		r.err = errShort
		return 0
	}
	return int(n)
}

// decodeRecord decodes a record made by encodeRecord.
func decodeRecord(rec []byte) (ns string, put int64, items []item, err error) {
	r := &reader{b: rec}
	if v := r.byte(); r.err == nil && v != recVersion {
		return "", 0, nil, fmt.Errorf("unknown record version %d", v)
	}
	put = r.varint()
	ns = r.string()
	n := r.count(4)
	items = make([]item, 0, n)
	for range n {
		var it item
		it.name = r.string()
		nd := r.count(2)
		for range nd {
			it.dims = append(it.dims, Dimension{Name: r.string(), Value: r.string()})
		}
		it.unit = r.string()
		flags := r.byte()
		it.s.hiRes = flags&1 != 0
		it.s.kind = flags >> 1 & 3
		it.s.ts = r.varint()
		switch it.s.kind {
		case kindValue:
			it.s.value = r.f64()
		case kindValues:
			k := r.count(8)
			it.s.values = make([]float64, k)
			for j := range it.s.values {
				it.s.values[j] = r.f64()
			}
			if flags&8 != 0 {
				it.s.counts = make([]float64, k)
				for j := range it.s.counts {
					it.s.counts[j] = r.f64()
				}
			}
		case kindStats:
			it.s.n, it.s.sum, it.s.min, it.s.max = r.f64(), r.f64(), r.f64(), r.f64()
		default:
			r.err = fmt.Errorf("unknown sample kind %d", it.s.kind)
		}
		if r.err != nil {
			break
		}
		it.key = seriesKey(ns, it.name, it.dims)
		items = append(items, it)
	}
	if r.err != nil {
		return "", 0, nil, r.err
	}
	return ns, put, items, nil
}

// replaySegment applies the records of one segment file and returns its size.
func replaySegment(path string, mem *memStore, now int64, log *slog.Logger) (int64, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	off := 0
	for off < len(raw) {
		if len(raw)-off < 8 {
			break
		}
		n := int(binary.LittleEndian.Uint32(raw[off:]))
		sum := binary.LittleEndian.Uint32(raw[off+4:])
		if n > len(raw)-off-8 || crc32.Checksum(raw[off+8:off+8+n], crcTable) != sum {
			break
		}
		ns, put, items, err := decodeRecord(raw[off+8 : off+8+n])
		if err != nil {
			break
		}
		mem.apply(ns, items, put, now)
		off += 8 + n
	}
	if off < len(raw) {
		log.Warn("cloudwatch: metric log segment ends in a torn record; the rest is ignored",
			"file", path, "offset", off, "size", len(raw))
	}
	return int64(off), nil
}

// ---- snapshots ----

// encodeSnapshot writes the whole store; next is the first log segment it does not
// cover.
func encodeSnapshot(m *memStore, next uint64) []byte {
	buf := append([]byte(nil), snapMagic...)
	buf = binary.AppendUvarint(buf, next)
	var all []*series
	for i := range m.shards {
		sh := &m.shards[i]
		sh.mu.RLock()
		for _, se := range sh.m {
			all = append(all, se)
		}
		sh.mu.RUnlock()
	}
	buf = binary.AppendUvarint(buf, uint64(len(all)))
	for _, se := range all {
		sh := m.shard(se.key)
		sh.mu.RLock()
		buf = appendString(buf, se.ns)
		buf = appendString(buf, se.name)
		buf = binary.AppendUvarint(buf, uint64(len(se.dims)))
		for _, d := range se.dims {
			buf = appendString(buf, d.Name)
			buf = appendString(buf, d.Value)
		}
		buf = binary.AppendVarint(buf, se.lastPut)
		buf = binary.AppendUvarint(buf, uint64(len(se.streams)))
		for _, st := range se.streams {
			buf = appendString(buf, st.unit)
			for t := range numTiers {
				b := st.tiers[t].b
				buf = binary.AppendUvarint(buf, uint64(len(b)))
				for k := range b {
					a := &b[k].a
					buf = binary.AppendVarint(buf, b[k].t)
					buf = appendF64(buf, a.n)
					buf = appendF64(buf, a.sum)
					buf = appendF64(buf, a.min)
					buf = appendF64(buf, a.max)
					if a.noPct {
						buf = append(buf, 1)
					} else {
						buf = append(buf, 0)
					}
					buf = appendF64(buf, a.sk.zero)
					buf = binary.AppendUvarint(buf, uint64(len(a.sk.bins)))
					for _, bin := range a.sk.bins {
						buf = binary.AppendVarint(buf, int64(bin.i))
						buf = appendF64(buf, bin.n)
					}
				}
			}
		}
		sh.mu.RUnlock()
	}
	return binary.LittleEndian.AppendUint32(buf, crc32.Checksum(buf, crcTable))
}

// writeSnapshot replaces the snapshot file atomically.
func writeSnapshot(dir string, data []byte) error {
	tmp := filepath.Join(dir, snapName+".tmp")
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, bytes.NewReader(data)); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, snapName)); err != nil {
		return err
	}
	return syncDir(dir)
}

// loadSnapshot loads the snapshot at path into mem and returns the first log
// segment it does not cover (0 when there is no snapshot).
func loadSnapshot(path string, mem *memStore) (uint64, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if len(raw) < len(snapMagic)+4 || string(raw[:len(snapMagic)]) != snapMagic {
		return 0, fmt.Errorf("%s is not a metric snapshot", path)
	}
	body := raw[:len(raw)-4]
	if crc32.Checksum(body, crcTable) != binary.LittleEndian.Uint32(raw[len(raw)-4:]) {
		return 0, fmt.Errorf("%s is corrupt (checksum mismatch)", path)
	}
	r := &reader{b: body[len(snapMagic):]}
	next := r.uvarint()
	n := r.count(8)
	for range n {
		se := &series{ns: r.string(), name: r.string()}
		nd := r.count(2)
		for range nd {
			se.dims = append(se.dims, Dimension{Name: r.string(), Value: r.string()})
		}
		se.key = seriesKey(se.ns, se.name, se.dims)
		se.lastPut = r.varint()
		ns := r.count(5)
		for range ns {
			st := &stream{unit: r.string()}
			for t := range numTiers {
				nb := r.count(42)
				st.tiers[t].b = make([]bucket, nb)
				for k := range st.tiers[t].b {
					b := &st.tiers[t].b[k]
					b.t = r.varint()
					b.a.n, b.a.sum, b.a.min, b.a.max = r.f64(), r.f64(), r.f64(), r.f64()
					b.a.noPct = r.byte() == 1
					b.a.sk.zero = r.f64()
					nbins := r.count(9)
					if nbins > 0 {
						b.a.sk.bins = make([]skBin, nbins)
						for j := range b.a.sk.bins {
							b.a.sk.bins[j] = skBin{i: int32(r.varint()), n: r.f64()}
						}
					}
				}
			}
			se.streams = append(se.streams, st)
		}
		if r.err != nil {
			break
		}
		mem.shard(se.key).m[se.key] = se
	}
	if r.err != nil {
		return 0, fmt.Errorf("%s: %w", path, r.err)
	}
	return next, nil
}

// compact writes a snapshot of the metric data and drops the log it covers.
func (s *Service) compact() error {
	s.compactMu.Lock()
	defer s.compactMu.Unlock()
	s.applyMu.Lock()
	s.mem.expire(s.clock.Now().Unix())
	next, err := s.wal.rotate()
	if err != nil {
		s.applyMu.Unlock()
		if errors.Is(err, errWALClosed) {
			return nil
		}
		return fmt.Errorf("rotate metric log: %w", err)
	}
	snap := encodeSnapshot(s.mem, next)
	s.applyMu.Unlock()
	if err := writeSnapshot(s.wal.dir, snap); err != nil {
		return fmt.Errorf("write metric snapshot: %w", err)
	}
	s.wal.removeBefore(next)
	return nil
}

// maybeCompact compacts in the background once the log has grown past the limit.
func (s *Service) maybeCompact(size int64) {
	if size < s.compactAt || !s.compacting.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer s.compacting.Store(false)
		if err := s.compact(); err != nil {
			s.log.Error("cloudwatch: metric snapshot failed", "err", err)
		}
	}()
}
