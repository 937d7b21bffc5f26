package autoscaling

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Schedules of scheduled actions, as Application Auto Scaling writes them:
//
//	at(yyyy-mm-ddThh:mm:ss)   once, in the action's time zone
//	rate(value unit)          every value minutes, hours or days
//	cron(fields)              AWS's six-field cron: minutes hours day-of-month month
//	                          day-of-week year, in the action's time zone
//
// The cron fields take , - * / everywhere; day-of-month also ? L LW and nW (the
// weekday nearest day n); day-of-week also ? L nL (the last weekday n of the month)
// and n#k (the k-th weekday n); months JAN-DEC and weekdays SUN-SAT (SUN is 1).
// Exactly one of day-of-month and day-of-week must be ?. Years run 1970 to 2199.

type scheduleKind int

const (
	kindAt scheduleKind = iota + 1
	kindRate
	kindCron
)

// schedule is a parsed Schedule.
type schedule struct {
	kind scheduleKind
	at   [6]int        // year, month, day, hour, minute, second of at()
	rate time.Duration // of rate(), in AWS time
	cron *cronExpr
}

const maxYear = 2199

// parseSchedule parses a Schedule expression.
func parseSchedule(expr string) (*schedule, error) {
	if len(expr) > 1600 {
		return nil, fmt.Errorf("it is longer than 1600 characters")
	}
	name, body, ok := strings.Cut(expr, "(")
	if !ok || !strings.HasSuffix(body, ")") {
		return nil, fmt.Errorf("it must be at(...), rate(...) or cron(...)")
	}
	body = strings.TrimSuffix(body, ")")
	switch name {
	case "at":
		t, err := time.Parse("2006-01-02T15:04:05", body)
		if err != nil || t.Year() < 1970 || t.Year() > maxYear {
			return nil, fmt.Errorf("at() takes a date and time yyyy-mm-ddThh:mm:ss")
		}
		return &schedule{kind: kindAt, at: [6]int{t.Year(), int(t.Month()), t.Day(), t.Hour(), t.Minute(), t.Second()}}, nil
	case "rate":
		fields := strings.Fields(body)
		if len(fields) != 2 {
			return nil, fmt.Errorf("rate() takes a value and a unit: rate(5 minutes)")
		}
		n, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil || n < 1 || fields[0][0] == '+' {
			return nil, fmt.Errorf("the value of rate() must be a positive integer")
		}
		var unit time.Duration
		switch fields[1] {
		case "minute", "minutes":
			unit = time.Minute
		case "hour", "hours":
			unit = time.Hour
		case "day", "days":
			unit = 24 * time.Hour
		default:
			return nil, fmt.Errorf("the unit of rate() must be minute(s), hour(s) or day(s)")
		}
		if n > int64(100*365*24*time.Hour/unit) {
			return nil, fmt.Errorf("the value of rate() is too large")
		}
		return &schedule{kind: kindRate, rate: time.Duration(n) * unit}, nil
	case "cron":
		c, err := parseCron(body)
		if err != nil {
			return nil, err
		}
		return &schedule{kind: kindCron, cron: c}, nil
	}
	return nil, fmt.Errorf("it must be at(...), rate(...) or cron(...)")
}

// next returns the first time the schedule fires strictly after after, no earlier
// than start (the action's StartTime or, for rate(), its first period's origin), in
// loc; rate intervals are divided by scale. ok is false when it never fires again.
func (sc *schedule) next(after, start time.Time, loc *time.Location, scale float64) (time.Time, bool) {
	switch sc.kind {
	case kindAt:
		t := time.Date(sc.at[0], time.Month(sc.at[1]), sc.at[2], sc.at[3], sc.at[4], sc.at[5], 0, loc)
		return t, t.After(after) && !t.Before(start)
	case kindRate:
		every := sc.rate
		if scale > 1 {
			every = time.Duration(float64(every) / scale)
		}
		if every <= 0 {
			every = time.Nanosecond
		}
		if start.IsZero() || start.Before(after.AddDate(-100, 0, 0)) {
			start = after // no usable origin: count from now
		}
		if after.Before(start) {
			return start.Add(every), true
		}
		k := after.Sub(start)/every + 1
		return start.Add(k * every), true
	case kindCron:
		from := after
		if start.After(from) {
			from = start.Add(-time.Nanosecond)
		}
		return sc.cron.next(from, loc)
	}
	return time.Time{}, false
}

// cronExpr is a parsed six-field cron expression.
type cronExpr struct {
	minutes [60]bool
	hours   [24]bool
	months  [13]bool
	years   [maxYear - 1970 + 1]bool
	// Day of month: days, or one special form.
	domAny   bool // ?
	dom      [32]bool
	domLast  bool // L
	domLastW bool // LW
	domNearW int  // nW: the weekday nearest day n
	// Day of week (1 = Sunday): days, or one special form.
	dowAny  bool // ?
	dow     [8]bool
	dowLast int // nL: the last weekday n of the month
	dowNth  [2]int
}

var monthNames = []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}
var dayNames = []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}

// parseCron parses the body of cron(...).
func parseCron(body string) (*cronExpr, error) {
	f := strings.Fields(body)
	if len(f) != 6 {
		return nil, fmt.Errorf("cron() takes six fields (minutes hours day-of-month month day-of-week year), not %d", len(f))
	}
	c := &cronExpr{}
	if err := parseField(f[0], 0, 59, nil, c.minutes[:]); err != nil {
		return nil, fmt.Errorf("minutes: %w", err)
	}
	if err := parseField(f[1], 0, 23, nil, c.hours[:]); err != nil {
		return nil, fmt.Errorf("hours: %w", err)
	}
	if err := parseField(f[3], 1, 12, monthNames, c.months[:]); err != nil {
		return nil, fmt.Errorf("month: %w", err)
	}
	if err := parseYears(f[5], c.years[:]); err != nil {
		return nil, fmt.Errorf("year: %w", err)
	}
	dom, dow := f[2], f[4]
	if (dom == "?") == (dow == "?") {
		return nil, fmt.Errorf("exactly one of day-of-month and day-of-week must be ?")
	}
	if dom == "?" {
		c.domAny = true
		if err := c.parseDow(dow); err != nil {
			return nil, fmt.Errorf("day-of-week: %w", err)
		}
	} else {
		c.dowAny = true
		if err := c.parseDom(dom); err != nil {
			return nil, fmt.Errorf("day-of-month: %w", err)
		}
	}
	return c, nil
}

func (c *cronExpr) parseDom(s string) error {
	switch {
	case s == "L":
		c.domLast = true
		return nil
	case s == "LW":
		c.domLastW = true
		return nil
	case strings.HasSuffix(s, "W"):
		n, err := strconv.Atoi(strings.TrimSuffix(s, "W"))
		if err != nil || n < 1 || n > 31 {
			return fmt.Errorf("nW takes a day from 1 to 31")
		}
		c.domNearW = n
		return nil
	}
	return parseField(s, 1, 31, nil, c.dom[:])
}

func (c *cronExpr) parseDow(s string) error {
	if s == "L" {
		s = "7"
	}
	if d, k, ok := strings.Cut(s, "#"); ok {
		day, err := value(d, 1, 7, dayNames)
		if err != nil {
			return err
		}
		n, err := strconv.Atoi(k)
		if err != nil || n < 1 || n > 5 {
			return fmt.Errorf("n#k takes k from 1 to 5")
		}
		c.dowNth = [2]int{day, n}
		return nil
	}
	if d, ok := strings.CutSuffix(s, "L"); ok {
		day, err := value(d, 1, 7, dayNames)
		if err != nil {
			return err
		}
		c.dowLast = day
		return nil
	}
	return parseField(s, 1, 7, dayNames, c.dow[:])
}

// parseField parses a comma list of *, values, ranges a-b and steps (*/s, a/s, a-b/s)
// into set (indexed by value).
func parseField(s string, lo, hi int, names []string, set []bool) error {
	if s == "" {
		return fmt.Errorf("empty field")
	}
	for _, part := range strings.Split(s, ",") {
		rng, step, hasStep := strings.Cut(part, "/")
		inc := 1
		if hasStep {
			n, err := strconv.Atoi(step)
			if err != nil || n < 1 || n > hi {
				return fmt.Errorf("the step of %q must be from 1 to %d", part, hi)
			}
			inc = n
		}
		a, b := lo, hi
		switch {
		case rng == "*":
		default:
			x, y, isRange := strings.Cut(rng, "-")
			v, err := value(x, lo, hi, names)
			if err != nil {
				return err
			}
			a, b = v, v
			if isRange {
				if b, err = value(y, lo, hi, names); err != nil {
					return err
				}
				if b < a {
					return fmt.Errorf("the range %q runs backwards", rng)
				}
			} else if hasStep {
				b = hi
			}
		}
		for v := a; v <= b; v += inc {
			set[v] = true
		}
	}
	return nil
}

// value parses a number from lo to hi, or a name (names[0] is lo).
func value(s string, lo, hi int, names []string) (int, error) {
	for i, n := range names {
		if strings.EqualFold(s, n) {
			return lo + i, nil
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi || s[0] == '+' {
		return 0, fmt.Errorf("%q is not a value from %d to %d", s, lo, hi)
	}
	return n, nil
}

func parseYears(s string, set []bool) error {
	wide := make([]bool, maxYear+1)
	if err := parseField(s, 1970, maxYear, nil, wide); err != nil {
		return err
	}
	copy(set, wide[1970:])
	return nil
}

// matchDay reports whether the cron fires on a date.
func (c *cronExpr) matchDay(y int, m time.Month, d int, loc *time.Location) bool {
	last := time.Date(y, m+1, 0, 0, 0, 0, 0, loc).Day()
	wd := int(time.Date(y, m, d, 12, 0, 0, 0, loc).Weekday()) + 1 // 1 = Sunday
	if c.dowAny {
		switch {
		case c.domLast:
			return d == last
		case c.domLastW:
			return d == weekdayNear(y, m, last, last, loc)
		case c.domNearW > 0:
			n := min(c.domNearW, last)
			return d == weekdayNear(y, m, n, last, loc)
		}
		return c.dom[d]
	}
	switch {
	case c.dowLast > 0:
		return wd == c.dowLast && d+7 > last
	case c.dowNth[0] > 0:
		return wd == c.dowNth[0] && (d-1)/7+1 == c.dowNth[1]
	}
	return c.dow[wd]
}

// weekdayNear returns the weekday (Monday to Friday) nearest day n of the month,
// without leaving the month.
func weekdayNear(y int, m time.Month, n, last int, loc *time.Location) int {
	switch time.Date(y, m, n, 12, 0, 0, 0, loc).Weekday() {
	case time.Saturday:
		if n == 1 {
			return 3
		}
		return n - 1
	case time.Sunday:
		if n == last {
			return n - 2
		}
		return n + 1
	}
	return n
}

// next returns the first firing strictly after after, in loc.
func (c *cronExpr) next(after time.Time, loc *time.Location) (time.Time, bool) {
	a := after.In(loc)
	y, m, d := a.Date()
	for y <= maxYear {
		if y < 1970 || !c.years[y-1970] {
			y, m, d = y+1, time.January, 1
			continue
		}
		if !c.months[m] {
			if m == time.December {
				y, m, d = y+1, time.January, 1
			} else {
				m, d = m+1, 1
			}
			continue
		}
		if d > time.Date(y, m+1, 0, 0, 0, 0, 0, loc).Day() {
			if m == time.December {
				y, m, d = y+1, time.January, 1
			} else {
				m, d = m+1, 1
			}
			continue
		}
		if c.matchDay(y, m, d, loc) {
			for h := range 24 {
				if !c.hours[h] {
					continue
				}
				for mi := range 60 {
					if !c.minutes[mi] {
						continue
					}
					if t := localTime(y, m, d, h, mi, loc); t.After(after) {
						return t, true
					}
				}
			}
		}
		d++
	}
	return time.Time{}, false
}

// localTime returns the instant a wall clock in loc shows the given time. A time that
// a daylight-saving change skips is taken with the offset before the change (2:30
// that does not exist fires at 3:30 of the new time).
func localTime(y int, m time.Month, d, h, mi int, loc *time.Location) time.Time {
	t := time.Date(y, m, d, h, mi, 0, 0, loc)
	if t.Hour() == h && t.Minute() == mi {
		return t
	}
	_, off := t.Add(-3 * time.Hour).Zone()
	return time.Date(y, m, d, h, mi, 0, 0, time.FixedZone("", off)).In(loc)
}
