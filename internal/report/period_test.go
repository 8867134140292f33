package report

import (
	"strings"
	"testing"
	"time"
)

func TestPeriodsAreTheCalendarOnesAndSayHowTheirWindowDiffers(t *testing.T) {
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	now := time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)
	for _, c := range []struct {
		name, kind, at   string
		start, end       time.Time
		label, window    string
		prevStart        time.Time
		note             string // a substring, "" for an exact window
		rollingPrevLabel string
	}{
		{"a month is its first day to the next month's", "month", "2026-10", day(2026, 10, 1), day(2026, 11, 1), "October 2026", "30d", day(2026, 9, 1),
			"30d window ending 2026-11-01 00:00 UTC, that is 2 Oct 2026 00:00 to 1 Nov 2026 00:00 (30 days); the calendar period October 2026 has 31 days", ""},
		{"a 30-day month is exactly the 30d window", "month", "2026-11", day(2026, 11, 1), day(2026, 12, 1), "November 2026", "30d", day(2026, 10, 1), "", ""},
		{"February is shorter than its window", "month", "2026-02", day(2026, 2, 1), day(2026, 3, 1), "February 2026", "30d", day(2026, 1, 1), "has 28 days", ""},
		{"a quarter is three months", "quarter", "2026-Q3", day(2026, 7, 1), day(2026, 10, 1), "Q3 2026", "90d", day(2026, 4, 1), "has 92 days", ""},
		{"an ISO week runs Monday to Monday", "week", "2026-W43", day(2026, 10, 19), day(2026, 10, 26), "2026-W43 (19 Oct to 25 Oct 2026)", "7d", day(2026, 10, 12), "", ""},
		{"week 1 of 2027 starts in 2026", "week", "2027-W01", day(2027, 1, 4), day(2027, 1, 11), "2027-W01 (4 Jan to 10 Jan 2027)", "7d", day(2026, 12, 28), "", ""},
		{"no --at is the last complete month", "month", "", day(2026, 11, 1), day(2026, 12, 1), "November 2026", "30d", day(2026, 10, 1), "", ""},
		{"no --at is the last complete week", "week", "", day(2026, 11, 23), day(2026, 11, 30), "2026-W48 (23 Nov to 29 Nov 2026)", "7d", day(2026, 11, 16), "", ""},
		{"an instant ends a rolling period of the window's length", "month", "2026-12-01T09:30:00Z", day(2026, 11, 1).Add(9*time.Hour + 30*time.Minute), now,
			"30 days to 2026-12-01 09:30 UTC", "30d", day(2026, 10, 2).Add(9*time.Hour + 30*time.Minute), "", "30 days to 2026-11-01 09:30 UTC"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := ParsePeriod(c.kind, c.at, now)
			if err != nil {
				t.Fatal(err)
			}
			if !p.Start.Equal(c.start) || !p.End.Equal(c.end) || p.Label != c.label || p.Window != c.window {
				t.Errorf("got %s to %s %q %s, want %s to %s %q %s", p.Start, p.End, p.Label, p.Window, c.start, c.end, c.label, c.window)
			}
			if prev := p.Previous(); !prev.Start.Equal(c.prevStart) || !prev.End.Equal(p.Start) && !p.Rolling {
				t.Errorf("previous %s to %s, want from %s to %s", prev.Start, prev.End, c.prevStart, p.Start)
			} else if c.rollingPrevLabel != "" && prev.Label != c.rollingPrevLabel {
				t.Errorf("previous %q, want %q", prev.Label, c.rollingPrevLabel)
			}
			note := p.WindowNote()
			if c.note == "" && note != "" || !strings.Contains(note, c.note) {
				t.Errorf("window note %q, want %q", note, c.note)
			}
		})
	}
}

func TestBadPeriodsAreRefusedWithTheFormTheyWant(t *testing.T) {
	for _, c := range []struct{ kind, at, want string }{
		{"year", "", `period "year": want week, month or quarter`},
		{"month", "2026-13", `--at "2026-13": month 13 is not 01 to 12`},
		{"month", "October", `--at "October": a month period wants YYYY-MM (such as 2026-10) or an RFC 3339 instant`},
		{"quarter", "2026-Q5", `--at "2026-Q5": a quarter period wants YYYY-Qn (such as 2026-Q3) or an RFC 3339 instant`},
		{"week", "2026-W54", `--at "2026-W54": 2026 has no ISO week 54`},
		{"week", "2026-10", `--at "2026-10": a week period wants an ISO week YYYY-Www (such as 2026-W43) or an RFC 3339 instant`},
	} {
		if _, err := ParsePeriod(c.kind, c.at, time.Now()); err == nil || err.Error() != c.want {
			t.Errorf("%s %s: %v, want %s", c.kind, c.at, err, c.want)
		}
	}
}
