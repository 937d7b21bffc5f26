package cloudwatch

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// mathTestEnv has m1 = 1,2,4,8 at 0,60,120,180 and m2 = 10,_,30,40 (no value at 60),
// on a grid of 0..240.
func mathTestEnv() *mathEnv {
	m1 := &tseries{id: "m1", label: "A", ts: []int64{0, 60, 120, 180}, vs: []float64{1, 2, 4, 8}}
	m2 := &tseries{id: "m2", label: "B", ts: []int64{0, 120, 180}, vs: []float64{10, 30, 40}}
	env := &mathEnv{grid: []int64{0, 60, 120, 180, 240}, period: 60}
	env.ref = func(id string, pos int) (mval, error) {
		switch id {
		case "m1":
			return mval{kind: vSeries, s: m1}, nil
		case "m2":
			return mval{kind: vSeries, s: m2}, nil
		}
		return mval{}, &exprError{pos, "Unknown metric id '" + id + "'"}
	}
	env.metrics = func() []*tseries { return []*tseries{m1, m2} }
	return env
}

// render prints a value compactly: "3" for a scalar, "0:1 60:2" for a series,
// "[...] [...]" for an array.
func render(v mval) string {
	ser := func(s *tseries) string {
		var parts []string
		for i, t := range s.ts {
			parts = append(parts, fmt.Sprintf("%d:%g", t, s.vs[i]))
		}
		return strings.Join(parts, " ")
	}
	switch v.kind {
	case vScalar:
		return fmt.Sprintf("%g", v.num)
	case vSeries:
		return ser(v.s)
	case vArray:
		var parts []string
		for _, s := range v.arr {
			parts = append(parts, "["+ser(s)+"]")
		}
		return strings.Join(parts, " ")
	}
	return "?"
}

func TestMathExpressions(t *testing.T) {
	tests := []struct{ expr, want string }{
		{"1 + 2 * 3", "7"},
		{"(1 + 2) * 3", "9"},
		{"2 ^ 3 ^ 2", "512"},
		{"-2 ^ 2", "-4"},
		{"10 / 4 - 1", "1.5"},
		{"m1 * 2", "0:2 60:4 120:8 180:16"},
		{"100 / m1", "0:100 60:50 120:25 180:12.5"},
		{"m1 + m2", "0:11 120:34 180:48"},
		{"m2 - m1", "0:9 120:26 180:32"},
		{"m1 / 0", ""},
		{"SUM(m1)", "15"},
		{"AVG(m1)", "3.75"},
		{"MIN(m2)", "10"},
		{"MAX(m2)", "40"},
		{"DATAPOINT_COUNT(m2)", "3"},
		{"SUM([m1, m2])", "0:11 60:2 120:34 180:48"},
		{"AVG([m1, m2])", "0:5.5 60:2 120:17 180:24"},
		{"MAX(METRICS())", "0:10 60:2 120:30 180:40"},
		{`SUM(METRICS("m2"))`, "0:10 120:30 180:40"},
		{"STDDEV([m1, m1])", "0:0 60:0 120:0 180:0"},
		{"ABS(m1 - 3)", "0:2 60:1 120:1 180:5"},
		{"CEIL(m1 / 3)", "0:1 60:1 120:2 180:3"},
		{"FLOOR(m1 / 3)", "0:0 60:0 120:1 180:2"},
		{"LOG10(m2)", fmt.Sprintf("0:1 120:%g 180:%g", math.Log10(30), math.Log10(40))},
		{"DIFF(m1)", "60:1 120:2 180:4"},
		{"RATE(m1)", fmt.Sprintf("60:%g 120:%g 180:%g", 1.0/60, 2.0/60, 4.0/60)},
		{"DIFF_TIME(m2)", "120:120 180:60"},
		{"RUNNING_SUM(m1)", "0:1 60:3 120:7 180:15"},
		{"FILL(m2, 0)", "0:10 60:0 120:30 180:40 240:0"},
		{"FILL(m2, REPEAT)", "0:10 60:10 120:30 180:40 240:40"},
		{"FILL(m2, LINEAR)", "0:10 60:20 120:30 180:40"},
		{"m1 > 3", "0:0 60:0 120:1 180:1"},
		{"m1 >= 2 AND m1 < 8", "0:0 60:1 120:1 180:0"},
		{"m1 == 1 || m1 == 8", "0:1 60:0 120:0 180:1"},
		{"NOT (m1 > 3)", "0:1 60:1 120:0 180:0"},
		{"!0", "1"},
		{"IF(m1 > 3, m1, 0)", "0:0 60:0 120:4 180:8"},
		{"IF(m1 > 3, m2)", "120:30 180:40"},
		{"IF(m1 < 3, m2, m1)", "0:10 120:4 180:8"},
		{"IF(1, m1, m2)", "0:1 60:2 120:4 180:8"},
		{"PERIOD(m1)", "60"},
		{"TIME_SERIES(5)", "0:5 60:5 120:5 180:5 240:5"},
		{"[m1, m2] * 10", "[0:10 60:20 120:40 180:80] [0:100 120:300 180:400]"},
		{"REMOVE_EMPTY([m1, m1 / 0])", "[0:1 60:2 120:4 180:8]"},
		{"LAST([m1, m2])", "0:10 120:30 180:40"},
		{"sum(m1)", "15"},
		{"1e2 + .5", "100.5"},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			n, err := parseExpr(tc.expr)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			v, err := mathTestEnv().eval(n)
			if err != nil {
				t.Fatalf("eval: %v", err)
			}
			if got := render(v); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestMathErrors(t *testing.T) {
	tests := []struct{ expr, want string }{
		{"", "Empty expression"},
		{"m1 +", "Unexpected end of expression at position 5"},
		{"m1 $ 2", "Unexpected character '$' at position 4"},
		{"(m1 + 2", "Expected ')' but found end of expression"},
		{"FOO(m1)", "Unrecognized function FOO at position 1"},
		{"SEARCH('x')", "Unexpected character"},
		{`SEARCH("{AWS/EC2} CPU", "Average", 60)`, "Function SEARCH is not supported by Wharf"},
		{"SUM(m1, m2)", "Function SUM takes 1 argument(s), 2 given"},
		{"FILL(m1, m2)", "The second argument of FILL must be a number, REPEAT or LINEAR, not a time series"},
		{"Ma + 1", "Invalid metric id 'Ma'"},
		{"m3 * 2", "Unknown metric id 'm3'"},
		{"[1, 2]", "An array holds time series, not a scalar"},
		{"[m1] + [m2]", "cannot combine two arrays"},
		{"1 < 2 < 3", "Comparisons cannot be chained"},
		{"1.2.3", "Invalid number '1.2.3'"},
		{`"abc`, "Unterminated string"},
		{"DIFF(3)", "Function DIFF needs a time series or an array, not a scalar"},
		{strings.Repeat("(", 100) + "1" + strings.Repeat(")", 100), "nests deeper than"},
		{strings.Repeat("1+", 1100) + "1", "longer than 2048 characters"},
		{"m1 AND", "Unexpected end of expression"},
		{"TIME_SERIES(m1)", "Function TIME_SERIES needs a scalar"},
	}
	for _, tc := range tests {
		t.Run(tc.expr[:min(len(tc.expr), 30)], func(t *testing.T) {
			n, err := parseExpr(tc.expr)
			if err == nil {
				_, err = mathTestEnv().eval(n)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func FuzzParseExpr(f *testing.F) {
	for _, s := range []string{"m1 * 2", "SUM([m1, m2])", "IF(m1 > 3 AND NOT m2, m1, 0)", "FILL(m1, LINEAR)",
		`METRICS("x")`, "-(-(1))^2", "1e309", `"a\"b"`, "[m1,", "((((", "m1 || !m2 && 1 != 2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		n, err := parseExpr(src)
		if err != nil {
			var ee *exprError
			if !asExprError(err, &ee) {
				t.Fatalf("error %v is not an exprError", err)
			}
			return
		}
		// Whatever parses evaluates to a value or an error, never a panic.
		_, _ = mathTestEnv().eval(n)
	})
}

func asExprError(err error, target **exprError) bool {
	e, ok := err.(*exprError)
	if ok {
		*target = e
	}
	return ok
}
