package cloudwatch

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

const (
	maxQueries          = 500
	defaultMaxDatapoint = 100800
)

// compiledQuery is a validated MetricDataQuery.
type compiledQuery struct {
	q      *MetricDataQuery
	num    int // 1-based position, for messages
	expr   *node
	key    string // metric queries: the series key
	stat   statSpec
	unit   string
	period int64 // metric queries: MetricStat.Period; expressions: Period or 0
}

func (c *compiledQuery) returnData() bool { return c.q.ReturnData == nil || *c.q.ReturnData }

func (c *compiledQuery) label() string {
	if c.q.Label != nil && *c.q.Label != "" {
		return *c.q.Label
	}
	if c.q.MetricStat != nil && c.q.MetricStat.Metric != nil {
		return metricLabel(c.q.MetricStat.Metric)
	}
	return c.q.Id
}

// compileQueries validates metric data queries (param names the list in messages:
// "MetricDataQueries", "Metrics") and parses their expressions.
func compileQueries(qs []MetricDataQuery, param string) ([]*compiledQuery, map[string]*compiledQuery, error) {
	byID := map[string]*compiledQuery{}
	out := make([]*compiledQuery, len(qs))
	for i := range qs {
		q := &qs[i]
		p := fmt.Sprintf("%s.member.%d", param, i+1)
		c := &compiledQuery{q: q, num: i + 1}
		if q.Id == "" {
			return nil, nil, errValidation("The parameter %s.Id is required.", p)
		}
		if !validID(q.Id) {
			return nil, nil, errValidation("The value %s for parameter %s.Id is invalid: an id starts with a lowercase letter and holds only letters, digits and underscores (at most 255).", q.Id, p)
		}
		if byID[q.Id] != nil {
			return nil, nil, errValidation("The value %s for parameter %s.Id is not unique.", q.Id, p)
		}
		byID[q.Id] = c
		hasExpr := q.Expression != nil
		if hasExpr == (q.MetricStat != nil) {
			return nil, nil, errValidation("Exactly one of the parameters %s.MetricStat and %s.Expression must be specified.", p, p)
		}
		if q.Period != nil {
			if !validPeriod(int64(*q.Period)) {
				return nil, nil, errValidation("The value %d for parameter %s.Period is invalid: it must be 1, 5, 10, 20, 30 or a multiple of 60.", *q.Period, p)
			}
			c.period = int64(*q.Period)
		}
		if hasExpr {
			if len(*q.Expression) > maxExprLen {
				return nil, nil, errValidation("The parameter %s.Expression must not be longer than %d characters.", p, maxExprLen)
			}
			n, err := parseExpr(*q.Expression)
			if err != nil {
				return nil, nil, errValidation("Error in expression %s: %s", q.Id, err.Error())
			}
			c.expr = n
			out[i] = c
			continue
		}
		ms := q.MetricStat
		if ms.Metric == nil {
			return nil, nil, errValidation("The parameter %s.MetricStat.Metric is required.", p)
		}
		if ms.Metric.Namespace == "" {
			return nil, nil, errValidation("The parameter %s.MetricStat.Metric.Namespace is required.", p)
		}
		if ms.Metric.MetricName == "" {
			return nil, nil, errValidation("The parameter %s.MetricStat.Metric.MetricName is required.", p)
		}
		dims, err := validDims(ms.Metric.Dimensions, p+".MetricStat.Metric.Dimensions")
		if err != nil {
			return nil, nil, err
		}
		if ms.Period == nil {
			return nil, nil, errValidation("The parameter %s.MetricStat.Period is required.", p)
		}
		if !validPeriod(int64(*ms.Period)) {
			return nil, nil, errValidation("The value %d for parameter %s.MetricStat.Period is invalid: it must be 1, 5, 10, 20, 30 or a multiple of 60.", *ms.Period, p)
		}
		c.period = int64(*ms.Period)
		st, ok := parseStat(ms.Stat)
		if !ok {
			return nil, nil, errValidation("The value %s for parameter %s.MetricStat.Stat is not a valid statistic.", ms.Stat, p)
		}
		c.stat = st
		if _, err := validUnit(ms.Unit, p+".MetricStat.Unit"); err != nil {
			return nil, nil, err
		}
		c.unit = ms.Unit
		c.key = seriesKey(ms.Metric.Namespace, ms.Metric.MetricName, dims)
		out[i] = c
	}
	// References must name queries of the request, without cycles.
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(c *compiledQuery) error
	visit = func(c *compiledQuery) error {
		switch state[c.q.Id] {
		case 1:
			return errValidation("Error in expression %s: Circular dependency between expressions", c.q.Id)
		case 2:
			return nil
		}
		state[c.q.Id] = 1
		if c.expr != nil {
			for _, id := range c.expr.refs(nil) {
				d := byID[id]
				if d == nil {
					return errValidation("Error in expression %s: Unknown metric id '%s'", c.q.Id, id)
				}
				if d == c {
					return errValidation("Error in expression %s: An expression cannot refer to itself", c.q.Id)
				}
				if err := visit(d); err != nil {
					return err
				}
			}
		}
		state[c.q.Id] = 2
		return nil
	}
	for _, c := range out {
		if err := visit(c); err != nil {
			return nil, nil, err
		}
	}
	return out, byID, nil
}

// queryRun evaluates compiled queries over one time range.
type queryRun struct {
	s       *Service
	queries []*compiledQuery
	byID    map[string]*compiledQuery
	from    int64 // unix seconds, before alignment
	to      int64
	now     int64
	scale   func(period int64) int64 // the period that passes in real time
	memo    map[string]mval
	// exact: from is already aligned for every period (alarm ranges), and periods
	// that do not fall on minutes read the 1-second tier.
	exact bool
}

func (r *queryRun) periodOf(c *compiledQuery) int64 {
	if c.period > 0 {
		return r.scale(c.period)
	}
	// An expression without a Period takes that of the first metric it uses.
	seen := map[string]bool{}
	var find func(c *compiledQuery) int64
	find = func(c *compiledQuery) int64 {
		if seen[c.q.Id] {
			return 0
		}
		seen[c.q.Id] = true
		if c.expr == nil {
			return c.period
		}
		if c.period > 0 {
			return c.period
		}
		for _, id := range c.expr.refs(nil) {
			if p := find(r.byID[id]); p > 0 {
				return p
			}
		}
		if c.expr.usesMetrics() {
			for _, d := range r.queries {
				if d.expr == nil {
					return d.period
				}
			}
		}
		return 0
	}
	p := find(c)
	if p == 0 {
		p = 60
	}
	return r.scale(p)
}

// value evaluates query id (memoized).
func (r *queryRun) value(id string) (mval, error) {
	if v, ok := r.memo[id]; ok {
		return v, nil
	}
	c := r.byID[id]
	period := r.periodOf(c)
	from := r.from
	if !r.exact {
		from = alignStart(r.from, period, r.now)
	}
	var v mval
	if c.expr == nil {
		var s *tseries
		if r.exact {
			s = r.s.alarmSeries(c.key, c.unit, c.stat, from, r.to, period, r.now)
		} else {
			s = r.s.metricSeries(c.key, c.unit, c.stat, from, r.to, period, r.now)
		}
		s.id, s.label = c.q.Id, c.label()
		v = mval{kind: vSeries, s: s}
	} else {
		env := &mathEnv{period: period}
		for t := from; t < r.to; t += period {
			env.grid = append(env.grid, t)
		}
		env.ref = func(ref string, pos int) (mval, error) { return r.value(ref) }
		env.metrics = func() []*tseries {
			var out []*tseries
			for _, d := range r.queries {
				if d.expr == nil {
					mv, err := r.value(d.q.Id)
					if err == nil {
						out = append(out, mv.s)
					}
				}
			}
			return out
		}
		res, err := env.eval(c.expr)
		if err != nil {
			var ee *exprError
			if errors.As(err, &ee) {
				return mval{}, errValidation("Error in expression %s: %s", c.q.Id, ee.Error())
			}
			return mval{}, err
		}
		switch res.kind {
		case vScalar:
			s := env.constant(res.num)
			res = mval{kind: vSeries, s: s}
		case vSeries:
			cp := *res.s
			res = mval{kind: vSeries, s: &cp}
		case vArray:
		default:
			return mval{}, errValidation("Error in expression %s: The expression returns %s, not a time series", c.q.Id, res.describe())
		}
		if res.kind == vSeries {
			res.s.id, res.s.label = c.q.Id, c.label()
		}
		v = res
	}
	r.memo[id] = v
	return v, nil
}

// GetMetricDataInput is the input of GetMetricData.
type GetMetricDataInput struct {
	MetricDataQueries []MetricDataQuery `json:"MetricDataQueries"`
	StartTime         *time.Time        `json:"StartTime"`
	EndTime           *time.Time        `json:"EndTime"`
	NextToken         *string           `json:"NextToken,omitempty"`
	ScanBy            string            `json:"ScanBy,omitempty"`
	MaxDatapoints     *int32            `json:"MaxDatapoints,omitempty"`
	LabelOptions      *LabelOptions     `json:"LabelOptions,omitempty"`
}

// GetMetricDataOutput is the output of GetMetricData.
type GetMetricDataOutput struct {
	MetricDataResults []MetricDataResult `json:"MetricDataResults"`
	NextToken         *string            `json:"NextToken,omitempty"`
	Messages          []MessageData      `json:"Messages"`
}

// GetMetricData evaluates metric queries and math expressions, returning the
// results with ReturnData (true by default), newest first unless ScanBy says
// otherwise, paginated at MaxDatapoints.
func (s *Service) GetMetricData(ctx context.Context, in *GetMetricDataInput) (*GetMetricDataOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	switch {
	case len(in.MetricDataQueries) == 0:
		return nil, errMissing("MetricDataQueries")
	case in.StartTime == nil:
		return nil, errMissing("StartTime")
	case in.EndTime == nil:
		return nil, errMissing("EndTime")
	}
	if len(in.MetricDataQueries) > maxQueries {
		return nil, errValidation("The collection MetricDataQueries must not have a size greater than %d.", maxQueries)
	}
	scan := in.ScanBy
	switch scan {
	case "":
		scan = ScanTimestampDescending
	case ScanTimestampDescending, ScanTimestampAscending:
	default:
		return nil, errValidation("The parameter ScanBy must be a value in the set [ TimestampDescending, TimestampAscending ].")
	}
	maxPoints := int64(defaultMaxDatapoint)
	if in.MaxDatapoints != nil {
		if *in.MaxDatapoints < 1 {
			return nil, errValidation("The parameter MaxDatapoints must be greater than 0.")
		}
		maxPoints = int64(*in.MaxDatapoints)
	}
	if in.LabelOptions != nil && in.LabelOptions.Timezone != nil && !validTimezone(*in.LabelOptions.Timezone) {
		return nil, errValidation("The parameter LabelOptions.Timezone must be of the form +HHMM or -HHMM.")
	}
	if !in.StartTime.Before(*in.EndTime) {
		return nil, errValidation("The parameter StartTime must be less than the parameter EndTime.")
	}
	queries, byID, err := compileQueries(in.MetricDataQueries, "MetricDataQueries")
	if err != nil {
		return nil, err
	}
	returned := 0
	for _, c := range queries {
		if c.returnData() {
			returned++
		}
	}
	if returned == 0 {
		return nil, errValidation("At least one of the queries in MetricDataQueries must have ReturnData set to true.")
	}
	digest := requestDigest(in, scan)
	offset := int64(0)
	if tok := deref(in.NextToken); tok != "" {
		offset, err = parseDataToken(tok, digest)
		if err != nil {
			return nil, err
		}
	}
	run := &queryRun{s: s, queries: queries, byID: byID, from: in.StartTime.Unix(),
		to: ceilDiv(in.EndTime.UnixNano(), int64(time.Second)), now: s.clock.Now().Unix(),
		scale: func(p int64) int64 { return p }, memo: map[string]mval{}}
	var all []MetricDataResult
	for _, c := range queries {
		if !c.returnData() {
			continue
		}
		v, err := run.value(c.q.Id)
		if err != nil {
			return nil, err
		}
		list := []*tseries{v.s}
		if v.kind == vArray {
			list = v.arr
		}
		for _, ts := range list {
			r := MetricDataResult{Id: c.q.Id, Label: ts.label, Messages: []MessageData{}, StatusCode: "Complete",
				Timestamps: make([]time.Time, len(ts.ts)), Values: slices.Clone(ts.vs)}
			if ts.label == "" || v.kind == vSeries {
				r.Label = c.label()
				if v.kind == vSeries && c.expr == nil {
					r.Label = ts.label
				}
			}
			for i, t := range ts.ts {
				r.Timestamps[i] = time.Unix(t, 0).UTC()
			}
			if scan == ScanTimestampDescending {
				slices.Reverse(r.Timestamps)
				slices.Reverse(r.Values)
			}
			all = append(all, r)
		}
	}
	out := &GetMetricDataOutput{MetricDataResults: []MetricDataResult{}, Messages: []MessageData{}}
	// Paginate over the results' datapoints in order: MaxDatapoints a page.
	pos, end := int64(0), offset+maxPoints
	for _, r := range all {
		n := int64(len(r.Values))
		lo, hi := max(offset-pos, 0), min(end-pos, n)
		pos += n
		if lo > n {
			lo = n
		}
		if hi < lo {
			hi = lo
		}
		page := r
		page.Timestamps, page.Values = r.Timestamps[lo:hi], r.Values[lo:hi]
		if hi < n {
			page.StatusCode = "PartialData"
		}
		out.MetricDataResults = append(out.MetricDataResults, page)
	}
	if pos > end {
		out.NextToken = ptr(dataToken(end, digest))
	}
	return out, nil
}

func validTimezone(tz string) bool {
	if len(tz) != 5 || tz[0] != '+' && tz[0] != '-' {
		return false
	}
	for _, c := range tz[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return tz[1:3] <= "23" && tz[3:] <= "59"
}

// requestDigest identifies a GetMetricData request apart from its paging.
func requestDigest(in *GetMetricDataInput, scan string) []byte {
	raw, _ := json.Marshal(struct {
		Q    []MetricDataQuery
		S, E int64
		Scan string
		Max  *int32
	}{in.MetricDataQueries, in.StartTime.UnixNano(), in.EndTime.UnixNano(), scan, in.MaxDatapoints})
	sum := sha256.Sum256(raw)
	return sum[:8]
}

func dataToken(offset int64, digest []byte) string {
	b := binary.AppendVarint(append([]byte(nil), digest...), offset)
	return base64.RawURLEncoding.EncodeToString(b)
}

func parseDataToken(tok string, digest []byte) (int64, error) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(raw) <= len(digest) || string(raw[:len(digest)]) != string(digest) {
		return 0, errNextToken()
	}
	off, n := binary.Varint(raw[len(digest):])
	if n <= 0 || off < 0 {
		return 0, errNextToken()
	}
	return off, nil
}
