package autoscaling

import (
	"testing"
	"time"
)

func TestScheduleNext(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		expr  string
		after string
		loc   *time.Location
		want  string // "" when it never fires
	}{
		{"at(2025-06-01T12:05:00)", "2025-06-01T12:00:00Z", time.UTC, "2025-06-01T12:05:00Z"},
		{"at(2025-06-01T12:05:00)", "2025-06-01T12:05:00Z", time.UTC, ""},
		{"at(2025-06-01T14:05:00)", "2025-06-01T12:00:00Z", paris, "2025-06-01T12:05:00Z"},
		{"cron(0 9 * * ? *)", "2025-06-01T12:00:00Z", paris, "2025-06-02T07:00:00Z"},
		{"cron(0 9 * * ? *)", "2025-06-01T06:59:59Z", paris, "2025-06-01T07:00:00Z"},
		{"cron(0 9 * * ? *)", "2025-12-01T12:00:00Z", paris, "2025-12-02T08:00:00Z"}, // winter time
		{"cron(*/15 * * * ? *)", "2025-06-01T12:07:00Z", time.UTC, "2025-06-01T12:15:00Z"},
		{"cron(0 8 ? * MON-FRI *)", "2025-06-01T12:00:00Z", time.UTC, "2025-06-02T08:00:00Z"}, // Sunday → Monday
		{"cron(0 8 ? * 2-6 *)", "2025-06-06T09:00:00Z", time.UTC, "2025-06-09T08:00:00Z"},     // Friday → Monday
		{"cron(30 1 L * ? *)", "2025-06-01T12:00:00Z", time.UTC, "2025-06-30T01:30:00Z"},
		{"cron(0 0 LW * ? *)", "2025-08-01T00:00:00Z", time.UTC, "2025-08-29T00:00:00Z"},  // 31 Aug is a Sunday
		{"cron(0 0 15W * ? *)", "2025-06-01T00:00:00Z", time.UTC, "2025-06-16T00:00:00Z"}, // 15 June is a Sunday
		{"cron(0 0 1W * ? *)", "2025-11-01T00:00:00Z", time.UTC, "2025-11-03T00:00:00Z"},  // 1 Nov is a Saturday
		{"cron(0 10 ? * 6L *)", "2025-06-01T00:00:00Z", time.UTC, "2025-06-27T10:00:00Z"}, // last Friday
		{"cron(0 10 ? * MON#2 *)", "2025-06-01T00:00:00Z", time.UTC, "2025-06-09T10:00:00Z"},
		{"cron(0 0 1 JAN,JUL ? 2026-2027)", "2025-06-01T00:00:00Z", time.UTC, "2026-01-01T00:00:00Z"},
		{"cron(0 0 1 1 ? 2024)", "2025-06-01T00:00:00Z", time.UTC, ""},
		{"cron(0 0 30 2 ? *)", "2025-06-01T00:00:00Z", time.UTC, ""},
		{"cron(30 2 * * ? *)", "2025-03-09T06:00:00Z", ny, "2025-03-09T07:30:00Z"}, // 2:30 does not exist on 9 March: 3:30 EDT
		{"cron(30 2 * * ? *)", "2025-03-09T07:30:00Z", ny, "2025-03-10T06:30:00Z"},
		{"cron(30 1 * * ? *)", "2025-11-02T05:00:00Z", ny, "2025-11-02T05:30:00Z"}, // 1:30 happens twice on 2 November: the first
	}
	for _, c := range cases {
		sc, err := parseSchedule(c.expr)
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		got, ok := sc.next(utc(c.after), time.Time{}, c.loc, 1)
		switch {
		case c.want == "" && ok:
			t.Errorf("%s after %s: fires at %s, want never", c.expr, c.after, got.UTC())
		case c.want != "" && (!ok || !got.Equal(utc(c.want))):
			t.Errorf("%s after %s: %s (%v), want %s", c.expr, c.after, got.UTC(), ok, c.want)
		}
	}
}

func TestScheduleRate(t *testing.T) {
	start := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	sc, err := parseSchedule("rate(10 minutes)")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		after time.Time
		scale float64
		want  time.Time
	}{
		{start, 1, start.Add(10 * time.Minute)},
		{start.Add(25 * time.Minute), 1, start.Add(30 * time.Minute)},
		{start.Add(-time.Hour), 1, start.Add(10 * time.Minute)},
		{start, 60, start.Add(10 * time.Second)},
		{start.Add(15 * time.Second), 60, start.Add(20 * time.Second)},
	} {
		got, ok := sc.next(c.after, start, time.UTC, c.scale)
		if !ok || !got.Equal(c.want) {
			t.Errorf("rate after %s at scale %g: %s, want %s", c.after, c.scale, got, c.want)
		}
	}
	// cron and at do not move with the time scale, and start bounds them.
	cr, _ := parseSchedule("cron(0 * * * ? *)")
	if got, _ := cr.next(start, start.Add(3*time.Hour), time.UTC, 60); !got.Equal(start.Add(3 * time.Hour)) {
		t.Errorf("cron from a later start: %s", got)
	}
}

func TestScheduleErrors(t *testing.T) {
	for _, expr := range []string{
		"", "at()", "at(2025-06-01 12:00:00)", "at(2025-13-01T12:00:00)", "rate(0 minutes)", "rate(-1 minutes)",
		"rate(5 weeks)", "rate(5)", "rate(+5 minutes)", "cron(0 9 * * *)", "cron(0 9 * * * *)", "cron(0 9 ? * ? *)",
		"cron(60 9 * * ? *)", "cron(0 24 * * ? *)", "cron(0 9 32 * ? *)", "cron(0 9 * 13 ? *)", "cron(0 9 ? * 8 *)",
		"cron(0 9 * * ? 1969)", "cron(0 9 * * ? 2200)", "cron(0 9 5-1 * ? *)", "cron(0/0 9 * * ? *)", "cron(0 9 ? * MON#6 *)",
		"cron(0 9 0W * ? *)", "cron(a 9 * * ? *)", "every(5 minutes)", "cron(0 9 * * ? *", "cron(,, 9 * * ? *)",
	} {
		if _, err := parseSchedule(expr); err == nil {
			t.Errorf("%q parsed", expr)
		}
	}
}

// FuzzParseSchedule checks that no schedule expression crashes the parser or the
// computation of its next firing.
func FuzzParseSchedule(f *testing.F) {
	for _, s := range []string{"at(2025-06-01T12:05:00)", "rate(5 minutes)", "cron(0 9 * * ? *)", "cron(0/5 1-3 L * ? 2025)",
		"cron(0 10 ? * 6L *)", "cron(0 10 ? * MON#2 *)", "cron(0 0 LW * ? *)", "cron(0 0 15W * ? *)"} {
		f.Add(s)
	}
	at := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, expr string) {
		sc, err := parseSchedule(expr)
		if err != nil {
			return
		}
		next, ok := sc.next(at, time.Time{}, time.UTC, 1)
		if ok && sc.kind != kindAt && !next.After(at) {
			t.Fatalf("%q: next %s is not after %s", expr, next, at)
		}
	})
}
