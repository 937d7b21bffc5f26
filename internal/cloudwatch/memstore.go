package cloudwatch

import (
	"hash/maphash"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Metric data is aggregated as it arrives into buckets of four resolutions, kept as
// long as CloudWatch keeps each (its documented retention):
//
//	tier 0: 1-second buckets, 3 hours (high-resolution data only, unless TimeScale > 1)
//	tier 1: 1-minute buckets, 15 days
//	tier 2: 5-minute buckets, 63 days
//	tier 3: 1-hour buckets,   455 days
//
// Every datum goes into every tier at once, so a roll-up is never a separate job: a
// tier simply stops answering for times older than its retention, and the next
// coarser one answers instead. A bucket holds SampleCount, Sum, Minimum, Maximum and a
// sketch for percentiles. Buckets are kept per metric (namespace, name, dimensions)
// and per unit, since CloudWatch aggregates data of different units separately.
const numTiers = 4

var (
	tierRes  = [numTiers]int64{1, 60, 300, 3600}
	tierKeep = [numTiers]int64{3 * 3600, 15 * 86400, 63 * 86400, 455 * 86400}
)

// Sample kinds: how a datum was published.
const (
	kindValue  uint8 = iota // Value
	kindValues              // Values and Counts
	kindStats               // StatisticValues
)

// sample is one validated datum, ready to be logged and aggregated.
type sample struct {
	ts     int64 // unix seconds
	hiRes  bool  // StorageResolution 1
	kind   uint8
	value  float64
	values []float64
	counts []float64 // nil: 1 each
	n      float64   // statistic set
	sum    float64
	min    float64
	max    float64
}

// item is a sample of one metric.
type item struct {
	key  string // seriesKey(namespace, name, dims)
	name string
	dims []Dimension // sorted by name
	unit string
	s    sample
}

// agg is the aggregate of a bucket's (or a period's) samples.
type agg struct {
	n, sum, min, max float64
	sk               sketch
	noPct            bool // percentiles are unavailable
}

func (a *agg) empty() bool { return a.n == 0 }

func (a *agg) addValue(v, c float64) {
	if c <= 0 {
		return
	}
	if a.n == 0 {
		a.min, a.max = v, v
	} else {
		a.min, a.max = math.Min(a.min, v), math.Max(a.max, v)
	}
	a.n += c
	a.sum += v * c
	a.notePct(v, c)
}

// notePct counts v in the sketch, or drops the sketch for a negative value.
func (a *agg) notePct(v, c float64) {
	if a.noPct {
		return
	}
	if v < 0 {
		a.noPct, a.sk = true, sketch{}
		return
	}
	idx := int32(0)
	if v >= skMin {
		idx = skIndex(v)
	}
	a.sk.add(v, idx, c)
}

// addSample aggregates s. A statistic set keeps percentiles only when it pins its
// samples down: one sample (Min = Max = Sum), or all equal (Min = Max, Sum = Min×N).
func (a *agg) addSample(s *sample) {
	switch s.kind {
	case kindValue:
		a.addValue(s.value, 1)
	case kindValues:
		for i, v := range s.values {
			c := 1.0
			if s.counts != nil {
				c = s.counts[i]
			}
			a.addValue(v, c)
		}
	case kindStats:
		if s.n <= 0 {
			return
		}
		if a.n == 0 {
			a.min, a.max = s.min, s.max
		} else {
			a.min, a.max = math.Min(a.min, s.min), math.Max(a.max, s.max)
		}
		a.n += s.n
		a.sum += s.sum
		if s.min == s.max && (s.n == 1 && s.sum == s.min || s.sum == s.min*s.n) {
			a.notePct(s.min, s.n)
		} else {
			a.noPct, a.sk = true, sketch{}
		}
	}
}

// merge adds b into a; the sketch only when withPct.
func (a *agg) merge(b *agg, withPct bool) {
	if b.n == 0 {
		return
	}
	if a.n == 0 {
		a.min, a.max = b.min, b.max
	} else {
		a.min, a.max = math.Min(a.min, b.min), math.Max(a.max, b.max)
	}
	a.n += b.n
	a.sum += b.sum
	if b.noPct {
		a.noPct, a.sk = true, sketch{}
	} else if withPct && !a.noPct {
		a.sk.merge(&b.sk)
	}
}

// bucket is the aggregate of one tier interval starting at t (unix seconds).
type bucket struct {
	t int64
	a agg
}

// tierData is a tier's buckets in time order.
type tierData struct {
	b []bucket
}

// at returns the bucket starting at t, creating it in order.
func (td *tierData) at(t int64) *bucket {
	n := len(td.b)
	if n == 0 || td.b[n-1].t < t {
		td.b = append(td.b, bucket{t: t})
		return &td.b[n]
	}
	if td.b[n-1].t == t {
		return &td.b[n-1]
	}
	k := sort.Search(n, func(i int) bool { return td.b[i].t >= t })
	if td.b[k].t != t {
		td.b = slices.Insert(td.b, k, bucket{t: t})
	}
	return &td.b[k]
}

// trim drops buckets older than cutoff once they are a quarter of the tier (so the
// copy is amortized); older buckets left behind are never read.
func (td *tierData) trim(cutoff int64, force bool) {
	if len(td.b) == 0 || td.b[0].t >= cutoff {
		return
	}
	k := sort.Search(len(td.b), func(i int) bool { return td.b[i].t >= cutoff })
	if !force && k < len(td.b)/4 {
		return
	}
	n := copy(td.b, td.b[k:])
	clear(td.b[n:])
	td.b = td.b[:n]
}

// stream is a metric's data of one unit.
type stream struct {
	unit  string
	tiers [numTiers]tierData
}

// series is one metric.
type series struct {
	ns, name string
	dims     []Dimension
	key      string
	lastPut  int64 // unix seconds of the latest PutMetricData that carried it
	streams  []*stream
}

func (se *series) stream(unit string) *stream {
	for _, st := range se.streams {
		if st.unit == unit {
			return st
		}
	}
	st := &stream{unit: unit}
	se.streams = append(se.streams, st)
	return st
}

const numShards = 64

type shard struct {
	mu sync.RWMutex
	m  map[string]*series
}

// memStore holds every metric's buckets, sharded by metric.
type memStore struct {
	fine   bool // keep standard-resolution data in tier 0 too (TimeScale > 1)
	seed   maphash.Seed
	shards [numShards]shard
}

func newMemStore(fine bool) *memStore {
	m := &memStore{fine: fine, seed: maphash.MakeSeed()}
	for i := range m.shards {
		m.shards[i].m = map[string]*series{}
	}
	return m
}

func (m *memStore) shard(key string) *shard {
	return &m.shards[maphash.String(m.seed, key)%numShards]
}

// seriesKey is the identity of a metric; dims must be sorted by name.
func seriesKey(ns, name string, dims []Dimension) string {
	var b strings.Builder
	n := len(ns) + len(name) + 2
	for _, d := range dims {
		n += len(d.Name) + len(d.Value) + 2
	}
	b.Grow(n)
	b.WriteString(ns)
	b.WriteByte(0)
	b.WriteString(name)
	for _, d := range dims {
		b.WriteByte(0)
		b.WriteString(d.Name)
		b.WriteByte(1)
		b.WriteString(d.Value)
	}
	return b.String()
}

// sortDims sorts dimensions by name (a metric's identity does not depend on order).
func sortDims(d []Dimension) {
	slices.SortFunc(d, func(a, b Dimension) int { return strings.Compare(a.Name, b.Name) })
}

// apply aggregates items of namespace ns, logged at unix second put, as of now.
func (m *memStore) apply(ns string, items []item, put, now int64) {
	for i := range items {
		it := &items[i]
		sh := m.shard(it.key)
		sh.mu.Lock()
		se := sh.m[it.key]
		if se == nil {
			se = &series{ns: ns, name: it.name, dims: it.dims, key: it.key}
			sh.m[it.key] = se
		}
		if put > se.lastPut {
			se.lastPut = put
		}
		st := se.stream(it.unit)
		for t := range numTiers {
			if t == 0 && !it.s.hiRes && !m.fine {
				continue
			}
			cutoff := now - tierKeep[t]
			if it.s.ts < cutoff {
				continue
			}
			td := &st.tiers[t]
			td.trim(cutoff, false)
			td.at(it.s.ts - mod(it.s.ts, tierRes[t])).a.addSample(&it.s)
		}
		sh.mu.Unlock()
	}
}

func mod(a, b int64) int64 {
	r := a % b
	if r < 0 {
		r += b
	}
	return r
}

// periodAgg is the aggregate of one period starting at t.
type periodAgg struct {
	t    int64
	unit string
	a    agg
}

// periods aggregates tier t of metric key over [from, to) into periods of length
// period starting at from (which must be aligned to the tier); unit "" merges all
// units, otherwise only data of that unit counts. Periods without data are left out.
// The sketch is merged only when withPct.
func (m *memStore) periods(key, unit string, tier int, from, to, period int64, withPct bool) []periodAgg {
	sh := m.shard(key)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	se := sh.m[key]
	if se == nil || period <= 0 || to <= from {
		return nil
	}
	byT := map[int64]*periodAgg{}
	var out []*periodAgg
	for _, st := range se.streams {
		if unit != "" && st.unit != unit {
			continue
		}
		b := st.tiers[tier].b
		k := sort.Search(len(b), func(i int) bool { return b[i].t >= from })
		for ; k < len(b) && b[k].t < to; k++ {
			pt := from + (b[k].t-from)/period*period
			pa := byT[pt]
			if pa == nil {
				pa = &periodAgg{t: pt, unit: st.unit}
				byT[pt] = pa
				out = append(out, pa)
			}
			if pa.unit != st.unit {
				pa.unit = "" // several units merged
			}
			pa.a.merge(&b[k].a, withPct)
		}
	}
	res := make([]periodAgg, 0, len(out))
	for _, pa := range out {
		if pa.a.n > 0 {
			res = append(res, *pa)
		}
	}
	sort.Slice(res, func(i, j int) bool { return res[i].t < res[j].t })
	return res
}

// units lists the units the metric key was published with.
func (m *memStore) units(key string) []string {
	sh := m.shard(key)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	se := sh.m[key]
	if se == nil {
		return nil
	}
	out := make([]string, 0, len(se.streams))
	for _, st := range se.streams {
		out = append(out, st.unit)
	}
	sort.Strings(out)
	return out
}

// metricInfo describes a metric for ListMetrics and the Prometheus exposition.
type metricInfo struct {
	ns, name string
	dims     []Dimension
	key      string
	lastPut  int64
	latest   agg   // the newest minute bucket, all units merged
	latestT  int64 // its start
}

// list returns every metric, sorted by key; with latest, each one's newest minute.
func (m *memStore) list(latest bool) []metricInfo {
	var out []metricInfo
	for i := range m.shards {
		sh := &m.shards[i]
		sh.mu.RLock()
		for _, se := range sh.m {
			mi := metricInfo{ns: se.ns, name: se.name, dims: se.dims, key: se.key, lastPut: se.lastPut}
			if latest {
				for _, st := range se.streams {
					b := st.tiers[1].b
					if len(b) == 0 {
						continue
					}
					last := b[len(b)-1]
					switch {
					case last.t > mi.latestT:
						mi.latestT = last.t
						mi.latest = agg{}
						mi.latest.merge(&last.a, false)
					case last.t == mi.latestT:
						mi.latest.merge(&last.a, false)
					}
				}
			}
			out = append(out, mi)
		}
		sh.mu.RUnlock()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out
}

// expire drops buckets past retention and metrics with no data left.
func (m *memStore) expire(now int64) {
	for i := range m.shards {
		sh := &m.shards[i]
		sh.mu.Lock()
		for k, se := range sh.m {
			live := false
			for _, st := range se.streams {
				for t := range numTiers {
					st.tiers[t].trim(now-tierKeep[t], true)
					live = live || len(st.tiers[t].b) > 0
				}
			}
			if !live {
				delete(sh.m, k)
			}
		}
		sh.mu.Unlock()
	}
}
