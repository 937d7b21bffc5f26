package cloudwatch

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// tseries is a time series: ascending timestamps (unix seconds) and their values.
type tseries struct {
	id    string
	label string
	ts    []int64
	vs    []float64
}

// Value kinds of the evaluator.
const (
	vScalar = iota
	vSeries
	vArray
	vString
	vKeyword
)

// mval is an evaluated (sub)expression.
type mval struct {
	kind int
	num  float64
	s    *tseries
	arr  []*tseries
	str  string
}

func (v mval) describe() string {
	switch v.kind {
	case vScalar:
		return "a scalar"
	case vSeries:
		return "a time series"
	case vArray:
		return "an array of time series"
	case vString:
		return "a string"
	}
	return "a keyword"
}

// evalError is an evaluation error at a byte offset of the expression.
type evalError = exprError

// mathEnv is what an expression is evaluated against.
type mathEnv struct {
	// grid is the timestamps of the expression's periods, ascending; FILL and
	// TIME_SERIES fill it.
	grid   []int64
	period int64
	// ref resolves a query id.
	ref func(id string, pos int) (mval, error)
	// metrics returns the series of every MetricStat query (METRICS()).
	metrics func() []*tseries
}

func (e *mathEnv) errf(pos int, format string, args ...any) error {
	return &evalError{pos, fmt.Sprintf(format, args...)}
}

// eval evaluates n.
func (e *mathEnv) eval(n *node) (mval, error) {
	switch n.kind {
	case nNum:
		return mval{kind: vScalar, num: n.num}, nil
	case nStr:
		return mval{kind: vString, str: n.str}, nil
	case nKeyword:
		return mval{kind: vKeyword, str: n.str}, nil
	case nRef:
		return e.ref(n.str, n.pos)
	case nArray:
		var arr []*tseries
		for _, a := range n.args {
			v, err := e.eval(a)
			if err != nil {
				return mval{}, err
			}
			switch v.kind {
			case vSeries:
				arr = append(arr, v.s)
			case vArray:
				arr = append(arr, v.arr...)
			default:
				return mval{}, e.errf(a.pos, "An array holds time series, not %s", v.describe())
			}
		}
		return mval{kind: vArray, arr: arr}, nil
	case nUnary:
		x, err := e.eval(n.args[0])
		if err != nil {
			return mval{}, err
		}
		if n.str == "-" {
			return e.mapValues(n, x, func(v float64) float64 { return -v })
		}
		return e.mapValues(n, x, func(v float64) float64 { return b2f(v == 0) })
	case nBinary:
		l, err := e.eval(n.args[0])
		if err != nil {
			return mval{}, err
		}
		r, err := e.eval(n.args[1])
		if err != nil {
			return mval{}, err
		}
		f := binaryOp(n.str)
		return e.combine(n, l, r, f)
	case nCall:
		return e.call(n)
	}
	return mval{}, e.errf(n.pos, "Invalid expression")
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func binaryOp(op string) func(a, b float64) float64 {
	switch op {
	case "+":
		return func(a, b float64) float64 { return a + b }
	case "-":
		return func(a, b float64) float64 { return a - b }
	case "*":
		return func(a, b float64) float64 { return a * b }
	case "/":
		return func(a, b float64) float64 { return a / b }
	case "^":
		return math.Pow
	case "==":
		return func(a, b float64) float64 { return b2f(a == b) }
	case "!=":
		return func(a, b float64) float64 { return b2f(a != b) }
	case "<":
		return func(a, b float64) float64 { return b2f(a < b) }
	case "<=":
		return func(a, b float64) float64 { return b2f(a <= b) }
	case ">":
		return func(a, b float64) float64 { return b2f(a > b) }
	case ">=":
		return func(a, b float64) float64 { return b2f(a >= b) }
	case "&&":
		return func(a, b float64) float64 { return b2f(a != 0 && b != 0) }
	case "||":
		return func(a, b float64) float64 { return b2f(a != 0 || b != 0) }
	}
	return func(a, b float64) float64 { return math.NaN() }
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// mapSeries applies f to every value; non-finite results are dropped.
func mapSeries(s *tseries, f func(float64) float64) *tseries {
	out := &tseries{id: s.id, label: s.label}
	for i, v := range s.vs {
		if r := f(v); finite(r) {
			out.ts = append(out.ts, s.ts[i])
			out.vs = append(out.vs, r)
		}
	}
	return out
}

// mapValues applies f to a scalar, a series or every series of an array.
func (e *mathEnv) mapValues(n *node, x mval, f func(float64) float64) (mval, error) {
	switch x.kind {
	case vScalar:
		return mval{kind: vScalar, num: f(x.num)}, nil
	case vSeries:
		return mval{kind: vSeries, s: mapSeries(x.s, f)}, nil
	case vArray:
		out := make([]*tseries, len(x.arr))
		for i, s := range x.arr {
			out[i] = mapSeries(s, f)
		}
		return mval{kind: vArray, arr: out}, nil
	}
	return mval{}, e.errf(n.pos, "Operator '%s' cannot be applied to %s", n.str, x.describe())
}

// zip combines two series at the timestamps both have.
func zip(a, b *tseries, f func(x, y float64) float64) *tseries {
	out := &tseries{id: a.id, label: a.label}
	i, j := 0, 0
	for i < len(a.ts) && j < len(b.ts) {
		switch {
		case a.ts[i] < b.ts[j]:
			i++
		case a.ts[i] > b.ts[j]:
			j++
		default:
			if r := f(a.vs[i], b.vs[j]); finite(r) {
				out.ts = append(out.ts, a.ts[i])
				out.vs = append(out.vs, r)
			}
			i++
			j++
		}
	}
	return out
}

// combine applies a binary operator: scalars and series combine elementwise (series
// at the timestamps both have); an array combines each of its series.
func (e *mathEnv) combine(n *node, l, r mval, f func(a, b float64) float64) (mval, error) {
	for _, v := range []mval{l, r} {
		if v.kind == vString || v.kind == vKeyword {
			return mval{}, e.errf(n.pos, "Operator '%s' cannot be applied to %s", n.str, v.describe())
		}
	}
	switch {
	case l.kind == vScalar && r.kind == vScalar:
		return mval{kind: vScalar, num: f(l.num, r.num)}, nil
	case l.kind == vArray && r.kind == vArray:
		return mval{}, e.errf(n.pos, "Operator '%s' cannot combine two arrays of time series", n.str)
	case l.kind == vArray || r.kind == vArray:
		arr, other, left := l.arr, r, true
		if r.kind == vArray {
			arr, other, left = r.arr, l, false
		}
		out := make([]*tseries, len(arr))
		for i, s := range arr {
			a, b := mval{kind: vSeries, s: s}, other
			if !left {
				a, b = other, a
			}
			v, err := e.combine(n, a, b, f)
			if err != nil {
				return mval{}, err
			}
			out[i] = v.s
		}
		return mval{kind: vArray, arr: out}, nil
	case l.kind == vScalar:
		return mval{kind: vSeries, s: mapSeries(r.s, func(v float64) float64 { return f(l.num, v) })}, nil
	case r.kind == vScalar:
		return mval{kind: vSeries, s: mapSeries(l.s, func(v float64) float64 { return f(v, r.num) })}, nil
	}
	return mval{kind: vSeries, s: zip(l.s, r.s, f)}, nil
}

// fnArity bounds the argument count of each function.
var fnArity = map[string][2]int{
	"ABS": {1, 1}, "CEIL": {1, 1}, "FLOOR": {1, 1}, "LOG": {1, 1}, "LOG10": {1, 1},
	"SUM": {1, 1}, "AVG": {1, 1}, "MIN": {1, 1}, "MAX": {1, 1}, "STDDEV": {1, 1},
	"DATAPOINT_COUNT": {1, 1}, "DIFF": {1, 1}, "RATE": {1, 1}, "DIFF_TIME": {1, 1},
	"RUNNING_SUM": {1, 1}, "FILL": {2, 2}, "IF": {2, 3}, "PERIOD": {1, 1},
	"METRICS": {0, 1}, "REMOVE_EMPTY": {1, 1}, "TIME_SERIES": {1, 1},
	"FIRST": {1, 1}, "LAST": {1, 1},
}

// unsupportedFns are CloudWatch functions Wharf does not evaluate.
var unsupportedFns = map[string]bool{"SEARCH": true, "ANOMALY_DETECTION_BAND": true, "INSIGHT_RULE_METRIC": true,
	"SERVICE_QUOTA": true, "SLICE": true, "SORT": true, "LAMBDA": true, "SELECT": true, "MINUTE": true,
	"HOUR": true, "DAY": true, "DATE": true, "MONTH": true, "YEAR": true, "EPOCH": true, "CONCAT": true,
	"SUM_BY": true, "DB_PERF_INSIGHTS": true, "ACCOUNT_ID": true}

func (e *mathEnv) call(n *node) (mval, error) {
	ar, ok := fnArity[n.str]
	if !ok {
		if unsupportedFns[n.str] {
			return mval{}, e.errf(n.pos, "Function %s is not supported by Wharf", n.str)
		}
		return mval{}, e.errf(n.pos, "Unrecognized function %s", n.str)
	}
	if len(n.args) < ar[0] || len(n.args) > ar[1] {
		want := fmt.Sprint(ar[0])
		if ar[0] != ar[1] {
			want = fmt.Sprintf("%d to %d", ar[0], ar[1])
		}
		return mval{}, e.errf(n.pos, "Function %s takes %s argument(s), %d given", n.str, want, len(n.args))
	}
	if n.str == "METRICS" {
		return e.metricsFn(n)
	}
	args := make([]mval, len(n.args))
	for i, a := range n.args {
		v, err := e.eval(a)
		if err != nil {
			return mval{}, err
		}
		args[i] = v
	}
	x := args[0]
	needSeries := func(allowScalar bool) error {
		switch x.kind {
		case vSeries, vArray:
			return nil
		case vScalar:
			if allowScalar {
				return nil
			}
		}
		return e.errf(n.args[0].pos, "Function %s needs a time series or an array, not %s", n.str, x.describe())
	}
	switch n.str {
	case "ABS", "CEIL", "FLOOR", "LOG", "LOG10":
		if err := needSeries(true); err != nil {
			return mval{}, err
		}
		f := map[string]func(float64) float64{"ABS": math.Abs, "CEIL": math.Ceil, "FLOOR": math.Floor, "LOG": math.Log, "LOG10": math.Log10}[n.str]
		return e.mapValues(n, x, f)
	case "SUM", "AVG", "MIN", "MAX", "STDDEV", "DATAPOINT_COUNT":
		if err := needSeries(true); err != nil {
			return mval{}, err
		}
		red := reducer(n.str)
		switch x.kind {
		case vScalar:
			return mval{kind: vScalar, num: red([]float64{x.num})}, nil
		case vSeries:
			if len(x.s.vs) == 0 && n.str != "DATAPOINT_COUNT" && n.str != "SUM" {
				return mval{kind: vScalar, num: math.NaN()}, nil
			}
			return mval{kind: vScalar, num: red(x.s.vs)}, nil
		}
		return mval{kind: vSeries, s: acrossSeries(x.arr, red)}, nil
	case "DIFF", "RATE", "DIFF_TIME", "RUNNING_SUM":
		if err := needSeries(false); err != nil {
			return mval{}, err
		}
		return eachSeries(x, func(s *tseries) *tseries { return deltas(s, n.str) }), nil
	case "FIRST", "LAST":
		if x.kind != vArray {
			return mval{}, e.errf(n.args[0].pos, "Function %s needs an array of time series, not %s", n.str, x.describe())
		}
		if len(x.arr) == 0 {
			return mval{kind: vSeries, s: &tseries{}}, nil
		}
		if n.str == "FIRST" {
			return mval{kind: vSeries, s: x.arr[0]}, nil
		}
		return mval{kind: vSeries, s: x.arr[len(x.arr)-1]}, nil
	case "FILL":
		if err := needSeries(false); err != nil {
			return mval{}, err
		}
		how := args[1]
		if how.kind != vScalar && how.kind != vKeyword {
			return mval{}, e.errf(n.args[1].pos, "The second argument of FILL must be a number, REPEAT or LINEAR, not %s", how.describe())
		}
		return eachSeries(x, func(s *tseries) *tseries { return fill(s, e.grid, how) }), nil
	case "IF":
		return e.ifFn(n, args)
	case "PERIOD":
		if err := needSeries(false); err != nil {
			return mval{}, err
		}
		return mval{kind: vScalar, num: float64(e.period)}, nil
	case "REMOVE_EMPTY":
		if x.kind != vArray {
			return x, nil
		}
		var out []*tseries
		for _, s := range x.arr {
			if len(s.ts) > 0 {
				out = append(out, s)
			}
		}
		return mval{kind: vArray, arr: out}, nil
	case "TIME_SERIES":
		if x.kind != vScalar {
			return mval{}, e.errf(n.args[0].pos, "Function TIME_SERIES needs a scalar, not %s", x.describe())
		}
		return mval{kind: vSeries, s: e.constant(x.num)}, nil
	}
	return mval{}, e.errf(n.pos, "Unrecognized function %s", n.str)
}

func (e *mathEnv) metricsFn(n *node) (mval, error) {
	filter := ""
	if len(n.args) == 1 {
		if n.args[0].kind != nStr {
			return mval{}, e.errf(n.args[0].pos, "The argument of METRICS must be a string")
		}
		filter = n.args[0].str
	}
	var out []*tseries
	for _, s := range e.metrics() {
		if strings.Contains(s.id, filter) {
			out = append(out, s)
		}
	}
	return mval{kind: vArray, arr: out}, nil
}

// constant is a series with value v at every grid timestamp.
func (e *mathEnv) constant(v float64) *tseries {
	s := &tseries{ts: append([]int64(nil), e.grid...), vs: make([]float64, len(e.grid))}
	for i := range s.vs {
		s.vs[i] = v
	}
	if !finite(v) {
		return &tseries{}
	}
	return s
}

func eachSeries(x mval, f func(*tseries) *tseries) mval {
	if x.kind == vSeries {
		return mval{kind: vSeries, s: f(x.s)}
	}
	out := make([]*tseries, len(x.arr))
	for i, s := range x.arr {
		out[i] = f(s)
	}
	return mval{kind: vArray, arr: out}
}

func reducer(name string) func([]float64) float64 {
	switch name {
	case "SUM":
		return func(v []float64) float64 {
			s := 0.0
			for _, x := range v {
				s += x
			}
			return s
		}
	case "AVG":
		return func(v []float64) float64 {
			s := 0.0
			for _, x := range v {
				s += x
			}
			return s / float64(len(v))
		}
	case "MIN":
		return func(v []float64) float64 {
			m := math.Inf(1)
			for _, x := range v {
				m = math.Min(m, x)
			}
			return m
		}
	case "MAX":
		return func(v []float64) float64 {
			m := math.Inf(-1)
			for _, x := range v {
				m = math.Max(m, x)
			}
			return m
		}
	case "STDDEV":
		return func(v []float64) float64 {
			if len(v) == 0 {
				return math.NaN()
			}
			mean := 0.0
			for _, x := range v {
				mean += x
			}
			mean /= float64(len(v))
			ss := 0.0
			for _, x := range v {
				ss += (x - mean) * (x - mean)
			}
			return math.Sqrt(ss / float64(len(v)))
		}
	}
	return func(v []float64) float64 { return float64(len(v)) } // DATAPOINT_COUNT
}

// acrossSeries reduces an array to one series: at each timestamp any series has,
// the reduction of the values there.
func acrossSeries(arr []*tseries, red func([]float64) float64) *tseries {
	byT := map[int64][]float64{}
	for _, s := range arr {
		for i, t := range s.ts {
			byT[t] = append(byT[t], s.vs[i])
		}
	}
	ts := make([]int64, 0, len(byT))
	for t := range byT {
		ts = append(ts, t)
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
	out := &tseries{}
	for _, t := range ts {
		if v := red(byT[t]); finite(v) {
			out.ts = append(out.ts, t)
			out.vs = append(out.vs, v)
		}
	}
	return out
}

// deltas computes DIFF, RATE, DIFF_TIME (from the second point on) and RUNNING_SUM.
func deltas(s *tseries, fn string) *tseries {
	out := &tseries{id: s.id, label: s.label}
	sum := 0.0
	for i := range s.ts {
		var v float64
		switch fn {
		case "RUNNING_SUM":
			sum += s.vs[i]
			v = sum
		default:
			if i == 0 {
				continue
			}
			dt := float64(s.ts[i] - s.ts[i-1])
			switch fn {
			case "DIFF":
				v = s.vs[i] - s.vs[i-1]
			case "RATE":
				v = (s.vs[i] - s.vs[i-1]) / dt
			case "DIFF_TIME":
				v = dt
			}
		}
		if finite(v) {
			out.ts = append(out.ts, s.ts[i])
			out.vs = append(out.vs, v)
		}
	}
	return out
}

// fill fills the grid timestamps s has no value at: with a number, with the latest
// earlier value (REPEAT), or by interpolating between the values around the gap
// (LINEAR; gaps at the edges stay empty).
func fill(s *tseries, grid []int64, how mval) *tseries {
	have := make(map[int64]float64, len(s.ts))
	for i, t := range s.ts {
		have[t] = s.vs[i]
	}
	all := append([]int64(nil), grid...)
	for _, t := range s.ts {
		if _, ok := slicesIndex(grid, t); !ok {
			all = append(all, t)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	out := &tseries{id: s.id, label: s.label}
	for i, t := range all {
		v, ok := have[t]
		if !ok {
			switch {
			case how.kind == vScalar:
				v, ok = how.num, finite(how.num)
			case how.str == "REPEAT":
				for j := i - 1; j >= 0; j-- {
					if pv, pok := have[all[j]]; pok {
						v, ok = pv, true
						break
					}
				}
			case how.str == "LINEAR":
				var pt, nt int64
				var pv, nv float64
				var pok, nok bool
				for j := i - 1; j >= 0 && !pok; j-- {
					pv, pok = have[all[j]]
					pt = all[j]
				}
				for j := i + 1; j < len(all) && !nok; j++ {
					nv, nok = have[all[j]]
					nt = all[j]
				}
				if pok && nok {
					v, ok = pv+(nv-pv)*float64(t-pt)/float64(nt-pt), true
				}
			}
		}
		if ok {
			out.ts = append(out.ts, t)
			out.vs = append(out.vs, v)
		}
	}
	return out
}

func slicesIndex(s []int64, v int64) (int, bool) {
	i := sort.Search(len(s), func(i int) bool { return s[i] >= v })
	return i, i < len(s) && s[i] == v
}

// ifFn is IF(condition, trueValue[, falseValue]): at each timestamp of the condition
// (or everywhere, for a scalar condition), the true or the false value there; no
// value where the chosen branch has none (or is absent).
func (e *mathEnv) ifFn(n *node, args []mval) (mval, error) {
	for i, a := range args {
		if a.kind == vString || a.kind == vKeyword {
			return mval{}, e.errf(n.args[i].pos, "IF cannot take %s", a.describe())
		}
	}
	cond := args[0]
	tv := args[1]
	fv := mval{kind: -1}
	if len(args) == 3 {
		fv = args[2]
	}
	if cond.kind == vArray {
		out := make([]*tseries, len(cond.arr))
		for i, s := range cond.arr {
			v, err := e.ifFn(n, append([]mval{{kind: vSeries, s: s}}, args[1:]...))
			if err != nil {
				return mval{}, err
			}
			out[i] = v.s
		}
		return mval{kind: vArray, arr: out}, nil
	}
	if cond.kind == vScalar {
		if cond.num != 0 {
			return tv, nil
		}
		if fv.kind == -1 {
			return mval{kind: vSeries, s: &tseries{}}, nil
		}
		return fv, nil
	}
	if tv.kind == vArray || fv.kind == vArray {
		return mval{}, e.errf(n.pos, "IF with a time series condition cannot return an array")
	}
	at := func(v mval, t int64) (float64, bool) {
		switch v.kind {
		case vScalar:
			return v.num, true
		case vSeries:
			if i, ok := slicesIndex(v.s.ts, t); ok {
				return v.s.vs[i], true
			}
		}
		return 0, false
	}
	out := &tseries{id: cond.s.id, label: cond.s.label}
	for i, t := range cond.s.ts {
		branch := fv
		if cond.s.vs[i] != 0 {
			branch = tv
		}
		if v, ok := at(branch, t); ok && finite(v) {
			out.ts = append(out.ts, t)
			out.vs = append(out.vs, v)
		}
	}
	return mval{kind: vSeries, s: out}, nil
}
