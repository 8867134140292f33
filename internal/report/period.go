package report

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// Kind is how long a report's period is.
type Kind string

// The kinds of period and the exporter window each maps onto.
const (
	Week    Kind = "week"
	Month   Kind = "month"
	Quarter Kind = "quarter"
)

// Kinds lists the kinds in flag order.
var Kinds = []string{string(Week), string(Month), string(Quarter)}

// window is the exporter's trailing window (the label of the *_in_window
// families) that stands for a period of the kind.
func (k Kind) window() (label string, d time.Duration) {
	switch k {
	case Week:
		return "7d", 7 * 24 * time.Hour
	case Quarter:
		return "90d", 90 * 24 * time.Hour
	default:
		return "30d", 30 * 24 * time.Hour
	}
}

// Period is the stretch of time a report covers: [Start, End) in UTC.
// Figures are read at End; the windowed ones over Window, the exporter's
// trailing window that ends at End.
type Period struct {
	Kind  Kind
	Start time.Time
	End   time.Time
	// Label names the period for people: "October 2026", "2026-W43",
	// "Q3 2026", or "30 days to 2026-12-01 09:00 UTC".
	Label string
	// Window is the label of the exporter window the period's figures use.
	Window string
	// Rolling is a period that ends at a given instant rather than on a
	// calendar boundary.
	Rolling bool
}

var (
	monthForm   = regexp.MustCompile(`^(\d{4})-(\d{2})$`)
	quarterForm = regexp.MustCompile(`^(\d{4})-Q([1-4])$`)
	weekForm    = regexp.MustCompile(`^(\d{4})-W(\d{2})$`)
)

// ParsePeriod reads --period and --at. at is, by kind, a month
// ("2026-10": October 1 to November 1 UTC), a quarter ("2026-Q3": July 1 to
// October 1) or an ISO week ("2026-W43": Monday to Monday); an RFC 3339
// instant ends a rolling period of the kind's window there; empty is the
// last complete calendar period before now.
func ParsePeriod(kind, at string, now time.Time) (Period, error) {
	k := Kind(kind)
	switch k {
	case Week, Month, Quarter:
	default:
		return Period{}, fmt.Errorf("period %q: want week, month or quarter", kind)
	}
	if at == "" {
		p := calendar(k, now.UTC())
		return p.Previous(), nil
	}
	if t, err := time.Parse(time.RFC3339, at); err == nil {
		return rolling(k, t.UTC()), nil
	}
	var start time.Time
	switch k {
	case Month:
		m := monthForm.FindStringSubmatch(at)
		if m == nil {
			return Period{}, fmt.Errorf("--at %q: a month period wants YYYY-MM (such as 2026-10) or an RFC 3339 instant", at)
		}
		y, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		if mo < 1 || mo > 12 {
			return Period{}, fmt.Errorf("--at %q: month %d is not 01 to 12", at, mo)
		}
		start = time.Date(y, time.Month(mo), 1, 0, 0, 0, 0, time.UTC)
	case Quarter:
		m := quarterForm.FindStringSubmatch(at)
		if m == nil {
			return Period{}, fmt.Errorf("--at %q: a quarter period wants YYYY-Qn (such as 2026-Q3) or an RFC 3339 instant", at)
		}
		y, _ := strconv.Atoi(m[1])
		q, _ := strconv.Atoi(m[2])
		start = time.Date(y, time.Month(3*(q-1)+1), 1, 0, 0, 0, 0, time.UTC)
	case Week:
		m := weekForm.FindStringSubmatch(at)
		if m == nil {
			return Period{}, fmt.Errorf("--at %q: a week period wants an ISO week YYYY-Www (such as 2026-W43) or an RFC 3339 instant", at)
		}
		y, _ := strconv.Atoi(m[1])
		w, _ := strconv.Atoi(m[2])
		start = isoWeekStart(y, w)
		if gy, gw := start.ISOWeek(); gy != y || gw != w {
			return Period{}, fmt.Errorf("--at %q: %d has no ISO week %d", at, y, w)
		}
	}
	return calendar(k, start), nil
}

// calendar is the calendar period of kind k that contains t.
func calendar(k Kind, t time.Time) Period {
	p := Period{Kind: k}
	p.Window, _ = k.window()
	switch k {
	case Week:
		day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
		offset := (int(day.Weekday()) + 6) % 7 // days since Monday
		p.Start = day.AddDate(0, 0, -offset)
		p.End = p.Start.AddDate(0, 0, 7)
		y, w := p.Start.ISOWeek()
		p.Label = fmt.Sprintf("%d-W%02d (%s to %s)", y, w, p.Start.Format("2 Jan"), p.End.AddDate(0, 0, -1).Format("2 Jan 2006"))
	case Quarter:
		q := (int(t.Month()) - 1) / 3
		p.Start = time.Date(t.Year(), time.Month(3*q+1), 1, 0, 0, 0, 0, time.UTC)
		p.End = p.Start.AddDate(0, 3, 0)
		p.Label = fmt.Sprintf("Q%d %d", q+1, t.Year())
	default:
		p.Start = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
		p.End = p.Start.AddDate(0, 1, 0)
		p.Label = p.Start.Format("January 2006")
	}
	return p
}

// rolling is the period of kind k's window that ends at end.
func rolling(k Kind, end time.Time) Period {
	label, d := k.window()
	days := int(d / (24 * time.Hour))
	return Period{Kind: k, Start: end.Add(-d), End: end, Window: label, Rolling: true,
		Label: fmt.Sprintf("%d days to %s", days, end.Format("2006-01-02 15:04 UTC"))}
}

// isoWeekStart is the Monday of ISO week w of year y (week 1 holds the
// year's first Thursday).
func isoWeekStart(y, w int) time.Time {
	jan4 := time.Date(y, 1, 4, 0, 0, 0, 0, time.UTC)
	monday := jan4.AddDate(0, 0, -((int(jan4.Weekday()) + 6) % 7))
	return monday.AddDate(0, 0, 7*(w-1))
}

// Previous is the period before p, for the change of each figure.
func (p Period) Previous() Period {
	if p.Rolling {
		_, d := p.Kind.window()
		return rolling(p.Kind, p.End.Add(-d))
	}
	return calendar(p.Kind, p.Start.Add(-time.Nanosecond))
}

// Days is the period's length in days.
func (p Period) Days() int { return int(p.End.Sub(p.Start).Hours()/24 + 0.5) }

// WindowStart is where the exporter window ending at End begins.
func (p Period) WindowStart() time.Time {
	_, d := p.Kind.window()
	return p.End.Add(-d)
}

// WindowNote says how the exporter window of the windowed figures differs
// from the calendar period, or "" when they are the same days. A report
// never labels a 30-day figure as a 31-day month's without saying so.
func (p Period) WindowNote() string {
	ws := p.WindowStart()
	if ws.Equal(p.Start) {
		return ""
	}
	return fmt.Sprintf("Figures \"in the period\" are the exporter's %s window ending %s, that is %s to %s (%d days); the calendar period %s has %d days.",
		p.Window, p.End.Format("2006-01-02 15:04 UTC"), ws.Format("2 Jan 2006 15:04"), p.End.Format("2 Jan 2006 15:04"),
		int(p.End.Sub(ws).Hours()/24+0.5), p.Label, p.Days())
}
