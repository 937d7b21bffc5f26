package cloudwatch

import (
	"math"
	"slices"
	"sort"
)

// Percentiles come from a log-bucketed histogram (a DDSketch): a positive value v
// is counted in bin ceil(log(v)/log(γ)) with γ = 1.02, so any percentile read back is
// within 1% of a value actually published. Values below skMin share one zero bin. The
// bins are exact counts, so merging the sketches of several buckets (a 5-minute
// period from 1-minute buckets) loses nothing more. A bucket that received a negative
// value or a statistic set that does not pin its samples down (see addStatSet) has no
// percentiles, as in CloudWatch.
const (
	skGamma = 1.02
	skMin   = 1e-9
)

var skLogGamma = math.Log(skGamma)

// skBin is one bin of a sketch: its index and count.
type skBin struct {
	i int32
	n float64
}

// sketch is the histogram of a bucket's samples.
type sketch struct {
	zero float64
	bins []skBin // sorted by index
}

// skIndex returns the bin of a positive value v ≥ skMin.
func skIndex(v float64) int32 { return int32(math.Ceil(math.Log(v) / skLogGamma)) }

// skValue returns the representative value of bin i (relative error ≤ 1%).
func skValue(i int32) float64 { return 2 * math.Pow(skGamma, float64(i)) / (skGamma + 1) }

// add counts n samples of value v (v ≥ 0); idx is skIndex(v) when v ≥ skMin.
func (s *sketch) add(v float64, idx int32, n float64) {
	if v < skMin {
		s.zero += n
		return
	}
	if k := len(s.bins); k > 0 && s.bins[k-1].i == idx {
		s.bins[k-1].n += n
		return
	}
	k := sort.Search(len(s.bins), func(j int) bool { return s.bins[j].i >= idx })
	if k < len(s.bins) && s.bins[k].i == idx {
		s.bins[k].n += n
		return
	}
	s.bins = slices.Insert(s.bins, k, skBin{idx, n})
}

// merge adds o's counts to s.
func (s *sketch) merge(o *sketch) {
	s.zero += o.zero
	if len(o.bins) == 0 {
		return
	}
	if len(s.bins) == 0 {
		s.bins = append([]skBin(nil), o.bins...)
		return
	}
	out := make([]skBin, 0, len(s.bins)+len(o.bins))
	a, b := s.bins, o.bins
	for len(a) > 0 && len(b) > 0 {
		switch {
		case a[0].i < b[0].i:
			out = append(out, a[0])
			a = a[1:]
		case a[0].i > b[0].i:
			out = append(out, b[0])
			b = b[1:]
		default:
			out = append(out, skBin{a[0].i, a[0].n + b[0].n})
			a, b = a[1:], b[1:]
		}
	}
	out = append(append(out, a...), b...)
	s.bins = out
}

// clone returns a copy of s that shares nothing with it.
func (s *sketch) clone() sketch {
	return sketch{zero: s.zero, bins: slices.Clone(s.bins)}
}

// quantile returns the q-quantile (0 ≤ q ≤ 1) of the counted samples by nearest rank,
// clamped to [lo, hi] (the exact minimum and maximum), or false when empty.
func (s *sketch) quantile(q, lo, hi float64) (float64, bool) {
	total := s.zero
	for _, b := range s.bins {
		total += b.n
	}
	if total <= 0 {
		return 0, false
	}
	if q <= 0 {
		return lo, true
	}
	if q >= 1 {
		return hi, true
	}
	rank := q * total
	clamp := func(v float64) float64 { return math.Min(math.Max(v, lo), hi) }
	cum := s.zero
	if cum >= rank {
		return clamp(0), true
	}
	for _, b := range s.bins {
		cum += b.n
		if cum >= rank {
			return clamp(skValue(b.i)), true
		}
	}
	return hi, true
}
