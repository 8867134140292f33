package tabular

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/mask"
)

// DateLayouts are the layouts every date cell may use. Dates without a zone
// are UTC, so a day-only date is midnight UTC.
var DateLayouts = []string{"2006-01-02", time.RFC3339, "2006-01-02 15:04"}

// ParseDate parses a date in one of DateLayouts, or in extra when set (tried
// first, since the person configured it for this sheet).
func ParseDate(v, extra string) (time.Time, error) {
	layouts := DateLayouts
	if extra != "" {
		layouts = append([]string{extra}, DateLayouts...)
	}
	for _, l := range layouts {
		if t, err := time.ParseInLocation(l, v, time.UTC); err == nil {
			return t, CheckYear(v, t)
		}
	}
	return time.Time{}, fmt.Errorf("%s is not a date (use %s)", quote(v), orList(layouts))
}

// CheckYear refuses a time outside the years 0 to 9999 in UTC (such as
// 0000-01-01T00:00:00+01:00), which no sheet means and which cannot be
// stored: JSON has no encoding for it.
func CheckYear(v string, t time.Time) error {
	if y := t.UTC().Year(); y < 0 || y > 9999 {
		return fmt.Errorf("%s is in the year %d in UTC; dates must be in the years 0 to 9999", quote(v), y)
	}
	return nil
}

// CheckLayout reports whether a configured date layout can parse the dates
// it formats, which catches layouts without any Go reference element.
func CheckLayout(layout string) error {
	ref := time.Date(2024, 1, 31, 0, 0, 0, 0, time.UTC)
	s := ref.Format(layout)
	if s == layout {
		return fmt.Errorf("%s has no date elements; write it with Go's reference date, as in 02/01/2006 for day/month/year", mask.Quote(layout))
	}
	if _, err := time.ParseInLocation(layout, s, time.UTC); err != nil {
		// time's error quotes the layout whole.
		return fmt.Errorf("%s cannot parse the dates it writes; write it with Go's reference date, as in 02/01/2006 for day/month/year", mask.Quote(layout))
	}
	return nil
}

// thousands matches numbers written with comma thousands separators, as
// published sheets format them ("1,234" or "12,345.5").
var thousands = regexp.MustCompile(`^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$`)

// ParseFloat parses a finite number, allowing comma thousands separators.
func ParseFloat(v string) (float64, error) {
	s := v
	if thousands.MatchString(s) {
		s = strings.ReplaceAll(s, ",", "")
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%s is not a number", quote(v))
	}
	return f, nil
}

// ParseNumber parses a non-negative number.
func ParseNumber(v string) (float64, error) {
	f, err := ParseFloat(v)
	if err != nil {
		return 0, err
	}
	if f < 0 {
		return 0, fmt.Errorf("%s is negative; a count or amount must be 0 or more", quote(v))
	}
	return f, nil
}

// ParseInt parses a non-negative whole number.
func ParseInt(v string) (int64, error) {
	f, err := ParseNumber(v)
	if err != nil {
		return 0, err
	}
	if f != math.Trunc(f) || f > 1<<53 {
		return 0, fmt.Errorf("%s is not a whole number", quote(v))
	}
	return int64(f), nil
}

// ParseBool parses yes/no, true/false, y/n or 1/0 in any case.
func ParseBool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "yes", "y", "true", "1":
		return true, nil
	case "no", "n", "false", "0":
		return false, nil
	}
	return false, fmt.Errorf("%s is not yes or no (use yes/no, true/false, y/n or 1/0)", quote(v))
}

func orList(items []string) string {
	if len(items) == 1 {
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}
