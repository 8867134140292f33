package scorecard

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// format writes a value the way a person reads it: counts with thousands
// separators, durations in their two largest units, ratios as percentages.
func format(v float64, known bool, k kind) string {
	if !known {
		return "—"
	}
	switch k {
	case duration:
		return formatDuration(v)
	case ratio:
		return strconv.FormatFloat(v*100, 'f', 1, 64) + "%"
	case hours:
		return formatDecimal(v/3600) + " h"
	case money:
		if v == math.Trunc(v) {
			return formatCount(v)
		}
		return group(strconv.FormatFloat(v, 'f', 2, 64))
	}
	return formatCount(v)
}

// formatCount writes a whole number with thousands separators, and any
// other number with up to two decimals.
func formatCount(v float64) string {
	if v == math.Trunc(v) {
		return group(strconv.FormatFloat(v, 'f', 0, 64))
	}
	return formatDecimal(v)
}

// formatDecimal writes up to two decimals, without trailing zeros.
func formatDecimal(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return group(s)
}

// group inserts thousands separators into a plain decimal number.
func group(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if hasFrac {
		b.WriteString("." + frac)
	}
	return sign + b.String()
}

// formatDuration writes seconds in their two largest units ("3h 12m",
// "2d 5h"), rounded to the smaller one.
func formatDuration(sec float64) string {
	s := math.Round(sec)
	switch {
	case s < 60:
		return fmt.Sprintf("%.0fs", s)
	case s < 3600:
		return fmt.Sprintf("%.0fm %.0fs", math.Floor(s/60), math.Mod(s, 60))
	case s < 86400:
		m := math.Round(sec / 60)
		return fmt.Sprintf("%.0fh %.0fm", math.Floor(m/60), math.Mod(m, 60))
	}
	h := math.Round(sec / 3600)
	return fmt.Sprintf("%.0fd %.0fh", math.Floor(h/24), math.Mod(h, 24))
}

func plural(n float64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return formatCount(n) + " " + many
}

// change compares a window's figure with the period before it.
func change(cur, prev Cell, k kind, better Direction) *Change {
	c := &Change{Previous: prev.Value, PreviousKnown: prev.Known, Class: "same"}
	switch {
	case !cur.Known && !prev.Known:
		c.Text = "none before either"
		return c
	case !prev.Known:
		c.Text = "none the period before"
		return c
	case !cur.Known:
		c.Text = "was " + format(prev.Value, true, k)
		return c
	}
	delta := cur.Value - prev.Value
	if delta == 0 || (k == ratio && math.Abs(delta) < 0.0005) {
		c.Text = "no change"
		return c
	}
	sign := "+"
	if delta < 0 {
		sign = "−"
	}
	if (delta > 0) == (better == HigherIsBetter) {
		c.Class = "better"
	} else {
		c.Class = "worse"
	}
	if k == ratio {
		c.Text = sign + strconv.FormatFloat(math.Abs(delta)*100, 'f', 1, 64) + " pp"
		return c
	}
	c.Text = sign + format(math.Abs(delta), true, k)
	if prev.Value == 0 {
		c.Text += " (from 0)"
	} else {
		c.Text += fmt.Sprintf(" (%s%.0f%%)", sign, math.Abs(delta)/prev.Value*100)
	}
	return c
}
