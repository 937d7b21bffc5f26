package agent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/driver"
)

// The awslogs log driver: a shipper per container reads the container's output
// through the driver (driver.LogStreamer) from its start, cuts it into lines, groups
// lines into events (one per line, or by awslogs-multiline-pattern and
// awslogs-datetime-format), batches events within PutLogEvents' limits and appends
// them to Config.Logs, at least every Config.LogFlushInterval.
//
// Two goroutines per container: a reader, which puts lines into a bounded buffer, and
// a sender, which takes them out. In blocking mode a full buffer makes the reader wait,
// so nothing is lost: the runtime keeps the output the agent has not read yet (Docker's
// log, the process driver's log file), and the container is never slowed by the agent.
// In non-blocking mode (ECS's default) the buffer holds max-buffer-size bytes and the
// lines that do not fit are dropped, counted in LogCounters.Dropped, with one warning
// per episode of drops (an episode ends after a second without drops) and a note of
// how many it dropped.
//
// A failing sink (a missing group without awslogs-create-group, a sink that is down) is
// retried with backoff, 100 ms doubling to 6.4 s; each kind of error is logged once,
// until a delivery succeeds. When a task stops, its containers' output is delivered
// before the task is reported STOPPED, for at most Config.LogFlushTimeout; what is
// left then is counted in LogCounters.Undelivered.
//
// Delivery is at least once. After each delivery the position in the container's
// output of the last line delivered is saved in Config.StateDir; an agent that
// restarts while a container runs resumes there, so that only a batch whose delivery
// was under way when the agent stopped may be delivered twice. Without a StateDir, a
// restarted agent delivers a running container's output again from its start.
//
// An empty line makes no event (CloudWatch Logs refuses empty messages). Bytes that
// are not UTF-8 become U+FFFD. A line longer than an event's limit (256 KiB less 26
// bytes) is cut into several events, between characters.

// LogEvent is one CloudWatch Logs event.
type LogEvent struct {
	Timestamp time.Time
	Message   string
}

// LogSink receives the output of the containers whose log driver is awslogs.
type LogSink interface {
	// Append adds events, in chronological order, to log stream stream of log group
	// group, creating the stream when it does not exist, and the group too when
	// createGroup is true. It fails when the group does not exist and createGroup is
	// false. A batch respects PutLogEvents' limits: at most 10,000 events and
	// 1,048,576 bytes (each message plus 26), within 24 hours.
	Append(ctx context.Context, group, stream string, events []LogEvent, createGroup bool) error
}

// LogCounters counts what the awslogs log driver did with a task's output.
type LogCounters struct {
	// Delivered counts the events appended to the sink.
	Delivered uint64
	// Dropped counts the lines lost because a non-blocking container's buffer was full.
	Dropped uint64
	// Undelivered counts the lines given up when the task stopped and the sink did
	// not take them within Config.LogFlushTimeout.
	Undelivered uint64
}

// logCounters are a task's LogCounters, updated by its shippers.
type logCounters struct {
	delivered, dropped, undelivered atomic.Uint64
}

func (c *logCounters) snapshot() LogCounters {
	return LogCounters{Delivered: c.delivered.Load(), Dropped: c.dropped.Load(), Undelivered: c.undelivered.Load()}
}

// maxFinishedCounters is how many finished tasks keep their log counters.
const maxFinishedCounters = 256

// LogCounters returns the awslogs counters of a task running on this node, or one of
// the last that finished here; ok is false for another task.
func (a *Agent) LogCounters(taskArn string) (c LogCounters, ok bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	lc, ok := a.logCounters[taskArn]
	if !ok {
		return LogCounters{}, false
	}
	return lc.snapshot(), true
}

// taskLogCounters returns the counters of a task, made on first use. The caller holds a.mu.
func (a *Agent) taskLogCounters(taskArn string) *logCounters {
	lc, ok := a.logCounters[taskArn]
	if !ok {
		lc = &logCounters{}
		a.logCounters[taskArn] = lc
	}
	return lc
}

// finishLogCounters keeps a finished task's counters among the last ones. The caller
// holds a.mu.
func (a *Agent) finishLogCounters(taskArn string) {
	if _, ok := a.logCounters[taskArn]; !ok {
		return
	}
	a.finishedCounters = append(a.finishedCounters, taskArn)
	if len(a.finishedCounters) > maxFinishedCounters {
		old := a.finishedCounters[0]
		a.finishedCounters = a.finishedCounters[1:]
		if _, running := a.runners[old]; !running {
			delete(a.logCounters, old)
		}
	}
}

// blockingBuffer bounds the lines read ahead of a blocking container's sender.
const blockingBuffer = 1 << 20

// maxLinePiece is where a line is cut while it is read: a longer one comes in pieces,
// which become separate events anyway.
const maxLinePiece = maxEventBytes

// logLine is a line of output, or a piece of a long one.
type logLine struct {
	time time.Time
	text []byte // without its newline
	cont bool   // continues the line of the entry before
	// cursor is where the output after this entry starts; "" when the shipper cannot
	// resume there (in the middle of a line).
	cursor string
}

// shipper ships one container's output.
type shipper struct {
	sink        LogSink
	drv         driver.LogStreamer
	id          string // runtime id
	group       string
	stream      string
	createGroup bool
	pattern     *regexp.Regexp
	flushEvery  time.Duration
	counters    *logCounters
	log         *slog.Logger
	cursorFile  string // "" when positions are not saved
	start       string // the cursor to start from

	q         *lineQueue
	cancel    context.CancelFunc
	abandoned atomic.Bool
	done      chan struct{} // closed once the reader and the sender ended
}

// startShipper starts shipping container c's output, when its log driver is awslogs.
// It fails when the awslogs options are invalid, as Docker refuses to create such a
// container.
func (r *runner) startShipper(ctx context.Context, c *ctr) error {
	cfg, ok, err := awslogsOf(c.def)
	if !ok || c.ship != nil || c.id == "" {
		return nil
	}
	if err != nil {
		return &driver.StartError{Reason: driver.CannotCreateContainerError, Err: fmt.Errorf("failed to initialize logging driver: %w", err)}
	}
	log := r.log.With("container", c.def.Name, "runtime_id", c.id, "log_group", cfg.group)
	if r.a.cfg.Logs == nil {
		if !r.noSinkWarned {
			r.noSinkWarned = true
			log.Warn("output of an awslogs container is not shipped", "err", errNoLogSink)
		}
		return nil
	}
	drv, ok := c.drv.(driver.LogStreamer)
	if !ok {
		log.Warn("output of an awslogs container is not shipped: its driver cannot stream logs", "driver", c.drv.Name())
		return nil
	}
	stream := streamName(cfg.streamPrefix, c.def.Name, r.task.TaskArn, c.id)
	s := newShipper(r.a.cfg.Logs, drv, c.id, cfg, stream, r.a.cfg.LogFlushInterval, r.logs, log.With("log_stream", stream))
	if s.cursorFile = r.a.cursorFile(c.id); s.cursorFile != "" {
		s.start = readCursor(s.cursorFile)
	}
	sctx, cancel := context.WithCancel(ctx)
	s.cancel = cancel
	c.ship = s
	r.waits.Add(1)
	go func() {
		defer r.waits.Done()
		defer cancel()
		s.run(sctx)
	}()
	return nil
}

// newShipper returns a shipper of container id's output to stream; run starts it.
func newShipper(sink LogSink, drv driver.LogStreamer, id string, cfg awslogsConfig, stream string, flushEvery time.Duration, counters *logCounters, log *slog.Logger) *shipper {
	size := blockingBuffer
	if !cfg.blocking {
		size = cfg.bufferSize
	}
	s := &shipper{
		sink: sink, drv: drv, id: id, group: cfg.group, stream: stream, createGroup: cfg.createGroup,
		pattern: cfg.pattern, flushEvery: flushEvery, counters: counters, log: log, done: make(chan struct{}),
		cancel: func() {},
	}
	s.q = &lineQueue{max: size, blocking: cfg.blocking, ready: make(chan struct{}, 1), room: make(chan struct{}, 1), counters: counters, log: log}
	return s
}

// flushLogs waits until the shippers of the task's containers delivered all the output
// (the containers have stopped), for at most Config.LogFlushTimeout; the shippers still
// at work then give up. It returns early when ctx ends, leaving the rest to the next
// agent.
func (r *runner) flushLogs(ctx context.Context) {
	var ships []*shipper
	for _, c := range r.ctrs {
		if c.ship != nil {
			ships = append(ships, c.ship)
		}
	}
	if len(ships) == 0 {
		return
	}
	timer := time.NewTimer(r.a.cfg.LogFlushTimeout)
	defer timer.Stop()
	for i, s := range ships {
		select {
		case <-s.done:
			continue
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		r.log.Warn("the task's output was not all delivered in time: giving up", "timeout", r.a.cfg.LogFlushTimeout)
		for _, s := range ships[i:] {
			s.abandon()
		}
		for _, s := range ships[i:] {
			<-s.done
		}
		return
	}
}

// abandon makes the shipper give up at once, counting what it has not delivered.
func (s *shipper) abandon() {
	s.abandoned.Store(true)
	s.cancel()
}

// run reads and sends until the container's output is all delivered, or ctx ends.
func (s *shipper) run(ctx context.Context) {
	defer close(s.done)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.read(ctx)
	}()
	s.send(ctx)
	cancel() // when the sender gave up, the reader must stop too
	wg.Wait()
	if s.abandoned.Load() {
		s.counters.undelivered.Add(uint64(s.q.discard()))
	}
}

// read follows the container's output into the queue until the container exited and
// its output was read, or ctx ends. A failure to read is retried.
func (s *shipper) read(ctx context.Context) {
	defer s.q.close()
	asm := assembler{put: func(l logLine) error { return s.q.put(ctx, l) }}
	cursor := s.start
	var errs errorOnce
	for attempt := 0; ; attempt++ {
		err := s.drv.StreamLogs(ctx, s.id, cursor, true, asm.record)
		if asm.last != "" {
			cursor = asm.last
		}
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, driver.ErrNotFound) {
			s.log.Warn("the container is gone: its output ends here", "err", err)
			break
		}
		if errs.first(err) {
			s.log.Warn("reading the output of a container: retrying", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff(attempt)):
		}
	}
	asm.finish()
}

// send takes lines from the queue, groups them into events and delivers them in
// batches, until the reader has ended and everything was delivered, or ctx ends.
func (s *shipper) send(ctx context.Context) {
	tick := time.NewTicker(s.flushEvery)
	defer tick.Stop()
	g := grouper{pattern: s.pattern}
	var b batch
	var lines []logLine
	emit := func(e event) bool {
		if !b.fits(e) && !s.deliver(ctx, &b) {
			return false
		}
		b.add(e)
		return true
	}
	// lost counts the lines of the events not delivered when the shipper is abandoned.
	lost := func(rest []logLine) {
		if s.abandoned.Load() {
			s.counters.undelivered.Add(uint64(b.lines() + g.lines + len(rest)))
		}
	}
	for {
		var closed bool
		lines, closed = s.q.take(lines[:0], maxBatchEvents, maxBatchBytes)
		for i, l := range lines {
			if !g.add(l, emit) {
				lost(lines[i+1:])
				return
			}
		}
		if closed && len(lines) == 0 {
			if !g.flush(emit) || !s.deliver(ctx, &b) {
				lost(nil)
			}
			return
		}
		now := time.Now()
		if g.pending() && now.Sub(g.since) >= s.flushEvery && !g.flush(emit) {
			lost(nil)
			return
		}
		if b.len() > 0 && now.Sub(b.since) >= s.flushEvery && !s.deliver(ctx, &b) {
			lost(nil)
			return
		}
		if len(lines) > 0 {
			continue
		}
		select {
		case <-ctx.Done():
			lost(nil)
			return
		case <-s.q.ready:
		case <-tick.C:
		}
	}
}

// deliver appends the batch to the sink, retrying until it succeeds, and then saves
// the position after it. It returns false when ctx ended first.
func (s *shipper) deliver(ctx context.Context, b *batch) bool {
	if b.len() == 0 {
		return true
	}
	events := b.sorted()
	var errs errorOnce
	for attempt := 0; ; attempt++ {
		err := s.sink.Append(ctx, s.group, s.stream, events, s.createGroup)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return false
		}
		if errs.first(err) {
			s.log.Warn("delivering container output to CloudWatch Logs failed: retrying", "err", err, "events", len(events))
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(backoff(attempt)):
		}
	}
	if errs.seen() {
		s.log.Info("delivering container output to CloudWatch Logs again")
	}
	s.counters.delivered.Add(uint64(len(events)))
	if s.cursorFile != "" && b.cursor != "" {
		if err := writeCursor(s.cursorFile, b.cursor); err != nil {
			s.log.Warn("saving how far the output was delivered", "err", err)
		}
	}
	b.reset()
	return true
}

// errorOnce tells whether an error is the first of its kind.
type errorOnce map[string]bool

// first reports whether err is the first of its kind seen.
func (e *errorOnce) first(err error) bool {
	if *e == nil {
		*e = errorOnce{}
	}
	kind := errorKind(err)
	if (*e)[kind] {
		return false
	}
	(*e)[kind] = true
	return true
}

// seen reports whether any error was seen.
func (e errorOnce) seen() bool { return len(e) > 0 }

// errorKind names the kind of an error: its AWS error code when it has one, else its
// text.
func errorKind(err error) string {
	var coded interface{ ErrorCode() string }
	if errors.As(err, &coded) {
		return coded.ErrorCode()
	}
	var ae *awsapi.Error
	if errors.As(err, &ae) {
		return ae.Code
	}
	return err.Error()
}

// assembler turns records of output into lines: it joins the parts of a line the
// runtime cut, per stream, and cuts lines longer than maxLinePiece.
type assembler struct {
	put     func(logLine) error
	partial [2]pending // by stream: stdout, stderr
	last    string     // the cursor of the last record
}

// pending is the beginning of a line whose end has not been read.
type pending struct {
	time time.Time
	text []byte
	cont bool // a piece of the line was put already
}

func streamIndex(stream string) int {
	if stream == driver.StreamStderr {
		return 1
	}
	return 0
}

// record takes one record of output.
func (a *assembler) record(rec driver.LogRecord) error {
	a.last = rec.Cursor
	p := &a.partial[streamIndex(rec.Stream)]
	data, complete := bytes.CutSuffix(rec.Data, []byte{'\n'})
	if p.text == nil && complete && len(data) <= maxLinePiece {
		return a.put(logLine{time: rec.Time, text: bytes.Clone(data), cursor: a.resumable(rec.Cursor)})
	}
	if p.text == nil {
		p.time, p.text = rec.Time, make([]byte, 0, len(data))
	}
	p.text = append(p.text, data...)
	for len(p.text) > maxLinePiece {
		cut := runeCut(p.text, maxLinePiece)
		piece := logLine{time: p.time, text: bytes.Clone(p.text[:cut]), cont: p.cont}
		p.text = append(p.text[:0], p.text[cut:]...)
		p.cont = true
		if err := a.put(piece); err != nil {
			return err
		}
	}
	if !complete {
		return nil
	}
	l := logLine{time: p.time, text: p.text, cont: p.cont}
	*p = pending{}
	l.cursor = a.resumable(rec.Cursor)
	return a.put(l)
}

// resumable returns cursor, or "" when a line of another stream is partly read: its
// beginning is before cursor.
func (a *assembler) resumable(cursor string) string {
	for _, p := range a.partial {
		if p.text != nil {
			return ""
		}
	}
	return cursor
}

// finish puts what remains of unfinished lines: the output ended without a newline.
func (a *assembler) finish() {
	for i := range a.partial {
		p := &a.partial[i]
		if p.text == nil {
			continue
		}
		l := logLine{time: p.time, text: p.text, cont: p.cont}
		*p = pending{}
		l.cursor = a.resumable(a.last)
		if a.put(l) != nil {
			return
		}
	}
}

// runeCut returns where to cut b, at most at n, without cutting a UTF-8 sequence.
func runeCut(b []byte, n int) int {
	if n >= len(b) {
		return len(b)
	}
	for i := n; i > n-utf8.UTFMax && i > 0; i-- {
		if utf8.RuneStart(b[i]) {
			return i
		}
	}
	return n
}

// lineQueue is the bounded buffer between a shipper's reader and its sender.
type lineQueue struct {
	max      int
	blocking bool
	counters *logCounters
	log      *slog.Logger
	ready    chan struct{} // a token when lines arrived or the queue closed
	room     chan struct{} // a token when lines were taken

	mu       sync.Mutex
	lines    []logLine
	bytes    int
	closed   bool
	dropping bool      // in a drop episode
	episode  uint64    // lines dropped in the episode
	lastDrop time.Time // when the last line was dropped
}

// dropEpisodeGap ends an episode of drops: a drop that comes later after the last one
// starts another.
const dropEpisodeGap = time.Second

// put adds a line. In blocking mode it waits for room (it fails only when ctx ends);
// in non-blocking mode a line that does not fit is dropped and counted.
func (q *lineQueue) put(ctx context.Context, l logLine) error {
	size := len(l.text)
	q.mu.Lock()
	for q.blocking && len(q.lines) > 0 && q.bytes+size > q.max {
		q.mu.Unlock()
		select {
		case <-q.room:
		case <-ctx.Done():
			return ctx.Err()
		}
		q.mu.Lock()
	}
	now := time.Now()
	// The episode of drops before, when it has ended.
	var ended uint64
	if q.dropping && now.Sub(q.lastDrop) > dropEpisodeGap {
		ended, q.dropping, q.episode = q.episode, false, 0
	}
	if len(q.lines) > 0 && q.bytes+size > q.max {
		start := !q.dropping
		q.dropping = true
		q.episode++
		q.lastDrop = now
		q.mu.Unlock()
		q.counters.dropped.Add(1)
		q.logEpisode(ended)
		if start {
			q.log.Warn("the container writes faster than its output is delivered: dropping lines (mode non-blocking)", "max_buffer_size", q.max)
		}
		return nil
	}
	q.lines = append(q.lines, l)
	q.bytes += size
	q.mu.Unlock()
	q.logEpisode(ended)
	notify(q.ready)
	return nil
}

// logEpisode notes the end of an episode of n drops.
func (q *lineQueue) logEpisode(n uint64) {
	if n > 0 {
		q.log.Info("the container's output is no longer dropped", "dropped_lines", n)
	}
}

// take moves up to n lines and about maxBytes into out, without waiting; closed is
// true when the queue is empty and the reader has ended.
func (q *lineQueue) take(out []logLine, n, maxBytes int) (_ []logLine, closed bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	bytes, k := 0, 0
	for k < len(q.lines) && k < n && (k == 0 || bytes+len(q.lines[k].text) <= maxBytes) {
		bytes += len(q.lines[k].text)
		k++
	}
	out = append(out, q.lines[:k]...)
	clear(q.lines[:k])
	q.lines = q.lines[k:]
	if len(q.lines) == 0 {
		q.lines = nil
	}
	q.bytes -= bytes
	if k > 0 {
		notify(q.room)
	}
	return out, q.closed && len(q.lines) == 0
}

// close says that no more lines come.
func (q *lineQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	notify(q.ready)
}

// discard empties the queue and returns how many lines it held.
func (q *lineQueue) discard() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := len(q.lines)
	q.lines, q.bytes = nil, 0
	return n
}

// notify leaves a token in ch, a channel of capacity 1, unless one is there.
func notify(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// event is a log event with what the shipper needs to know of it.
type event struct {
	LogEvent
	lines  int    // lines of output that end in this event
	cursor string // the position after those lines; "" for none
}

// grouper groups lines into events: one per line, or, with a pattern, a line that
// matches it and the lines that follow up to the next match (as Docker's awslogs
// driver: each line of such an event ends with a newline).
type grouper struct {
	pattern *regexp.Regexp
	buf     []byte    // the multiline event being gathered
	time    time.Time // of its first line
	since   time.Time // when its first line was gathered
	lines   int
	cursor  string
}

// pending reports whether a multiline event is being gathered.
func (g *grouper) pending() bool { return g.lines > 0 }

// add takes a line and emits the events it completes; it returns false when emit does.
func (g *grouper) add(l logLine, emit func(event) bool) bool {
	text := validUTF8(l.text)
	if g.pattern == nil {
		return split(text, l.time, 1, l.cursor, emit)
	}
	if g.pending() && ((!l.cont && g.pattern.Match(text)) || len(g.buf)+len(text)+1 > maxEventBytes) {
		if !g.flush(emit) {
			return false
		}
	}
	if !g.pending() {
		g.time, g.since = l.time, time.Now()
	}
	if l.cont {
		g.buf = bytes.TrimSuffix(g.buf, []byte{'\n'})
	}
	g.buf = append(g.buf, text...)
	if len(g.buf) < maxEventBytes {
		g.buf = append(g.buf, '\n')
	}
	g.lines++
	g.cursor = l.cursor
	return true
}

// flush emits the multiline event being gathered.
func (g *grouper) flush(emit func(event) bool) bool {
	if !g.pending() {
		return true
	}
	ok := split(g.buf, g.time, g.lines, g.cursor, emit)
	g.buf, g.lines, g.cursor = g.buf[:0], 0, ""
	return ok
}

// split emits text as one event, or several when it is longer than an event's limit,
// cut between characters; the last one carries the lines and the cursor. Empty text
// makes no event.
func split(text []byte, t time.Time, lines int, cursor string, emit func(event) bool) bool {
	for len(text) > 0 {
		cut := runeCut(text, maxEventBytes)
		e := event{LogEvent: LogEvent{Timestamp: t, Message: string(text[:cut])}}
		text = text[cut:]
		if len(text) == 0 {
			e.lines, e.cursor = lines, cursor
		}
		if !emit(e) {
			return false
		}
	}
	return true
}

// validUTF8 returns b with each byte that is not part of valid UTF-8 replaced by
// U+FFFD, as CloudWatch Logs stores it.
func validUTF8(b []byte) []byte {
	if utf8.Valid(b) {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			out = append(out, "\uFFFD"...)
		} else {
			out = append(out, b[:size]...)
		}
		b = b[size:]
	}
	return out
}

// batch is the events of one PutLogEvents call.
type batch struct {
	events   []event
	bytes    int
	min, max time.Time
	since    time.Time // when its first event was added
	cursor   string    // the last cursor of its events
}

func (b *batch) len() int { return len(b.events) }

// lines counts the lines of output that end in the batch.
func (b *batch) lines() int {
	n := 0
	for _, e := range b.events {
		n += e.lines
	}
	return n
}

// fits reports whether e can join the batch within PutLogEvents' limits.
func (b *batch) fits(e event) bool {
	if len(b.events) == 0 {
		return true
	}
	lo, hi := b.min, b.max
	if e.Timestamp.Before(lo) {
		lo = e.Timestamp
	}
	if e.Timestamp.After(hi) {
		hi = e.Timestamp
	}
	return len(b.events) < maxBatchEvents && b.bytes+len(e.Message)+eventOverhead <= maxBatchBytes && hi.Sub(lo) <= maxBatchSpan
}

// add adds e to the batch.
func (b *batch) add(e event) {
	if len(b.events) == 0 {
		b.min, b.max, b.since = e.Timestamp, e.Timestamp, time.Now()
	}
	if e.Timestamp.Before(b.min) {
		b.min = e.Timestamp
	}
	if e.Timestamp.After(b.max) {
		b.max = e.Timestamp
	}
	b.events = append(b.events, e)
	b.bytes += len(e.Message) + eventOverhead
	if e.cursor != "" {
		b.cursor = e.cursor
	}
}

// sorted returns the batch's events in chronological order (PutLogEvents wants them
// so), those of the same time in the order they were written.
func (b *batch) sorted() []LogEvent {
	out := make([]LogEvent, len(b.events))
	for i, e := range b.events {
		out[i] = e.LogEvent
	}
	slices.SortStableFunc(out, func(x, y LogEvent) int { return x.Timestamp.Compare(y.Timestamp) })
	return out
}

// reset empties the batch.
func (b *batch) reset() {
	clear(b.events)
	b.events, b.bytes, b.cursor = b.events[:0], 0, ""
}

// cursorDir is the directory of the saved positions, under Config.StateDir.
const cursorDir = "awslogs"

// unsafeFileChars are those a runtime id may not bring into a file name.
var unsafeFileChars = regexp.MustCompile(`[^A-Za-z0-9_.-]`)

// cursorFile is where the position of container id's shipper is saved; "" without a
// StateDir.
func (a *Agent) cursorFile(id string) string {
	if a.cfg.StateDir == "" || id == "" {
		return ""
	}
	name := unsafeFileChars.ReplaceAllString(id, "_")
	if strings.HasPrefix(name, ".") {
		name = "_" + name
	}
	return filepath.Join(a.cfg.StateDir, cursorDir, name+".cursor")
}

// readCursor reads a saved position ("" when there is none).
func readCursor(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// writeCursor saves a position: a temporary file renamed over the last one. It is not
// synced: after a crash of the machine, an older position means some output delivered
// twice, never lost.
func writeCursor(path, cursor string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(cursor+"\n"), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// forgetCursor deletes the saved position of a container that was removed.
func (a *Agent) forgetCursor(id string) {
	if path := a.cursorFile(id); path != "" {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			a.log.Warn("removing the saved log position of a removed container", "runtime_id", id, "err", err)
		}
	}
}

// pruneCursors deletes the saved positions of containers that no longer exist: those
// not in found, which lists every container of every driver.
func (a *Agent) pruneCursors(found map[string]map[string]adopted) {
	if a.cfg.StateDir == "" {
		return
	}
	keep := map[string]bool{}
	for _, ctrs := range found {
		for _, c := range ctrs {
			keep[filepath.Base(a.cursorFile(c.st.ID))] = true
		}
	}
	dir := filepath.Join(a.cfg.StateDir, cursorDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !keep[e.Name()] {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}
