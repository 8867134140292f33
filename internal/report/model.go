package report

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Report is what every format renders: the same figures, read once.
type Report struct {
	Title      string    `json:"title"`
	Period     PeriodOut `json:"period"`
	Previous   PeriodOut `json:"previous_period"`
	Prometheus string    `json:"prometheus"`
	// WindowNote says how the exporter window differs from the calendar
	// period; empty when they are the same days.
	WindowNote string `json:"window_note,omitempty"`
	// Currency is the value section's ISO 4217 code, read from
	// sre_value_info at the period's end; empty when none is configured.
	Currency string    `json:"currency,omitempty"`
	Summary  []Figure  `json:"summary"`
	Sections []Section `json:"sections"`
	// Newsletter is the newsletter's "Metrics" section in Markdown.
	Newsletter string `json:"newsletter_metrics"`
}

// PeriodOut is a period as the report shows it.
type PeriodOut struct {
	Kind   string    `json:"kind"`
	Label  string    `json:"label"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Window string    `json:"window"`
}

func periodOut(p Period) PeriodOut {
	return PeriodOut{Kind: string(p.Kind), Label: p.Label, Start: p.Start, End: p.End, Window: p.Window}
}

// Section is one part of the report.
type Section struct {
	ID      string   `json:"id"`
	Title   string   `json:"title"`
	Intro   string   `json:"intro,omitempty"`
	Figures []Figure `json:"figures"`
	Tables  []Table  `json:"tables,omitempty"`
	Charts  []Chart  `json:"charts,omitempty"`
	// NoData explains a section none of whose figures has data.
	NoData string `json:"no_data,omitempty"`
}

// Unit is how a figure's value reads.
type Unit string

// The units of the report's figures.
const (
	Count   Unit = "count"
	Seconds Unit = "seconds"
	Ratio   Unit = "ratio"
	Money   Unit = "money"
)

// Better is the direction in which a figure improves.
type Better string

// Directions of improvement.
const (
	Higher  Better = "higher"
	Lower   Better = "lower"
	Neutral Better = "neutral"
)

// Value is a figure at one instant; OK is false when Prometheus had no
// data for it.
type Value struct {
	OK    bool
	Value float64
}

// MarshalJSON writes null for no data, never a made-up zero.
func (v Value) MarshalJSON() ([]byte, error) {
	if !v.OK || math.IsNaN(v.Value) || math.IsInf(v.Value, 0) {
		return []byte("null"), nil
	}
	return []byte(strconv.FormatFloat(v.Value, 'g', -1, 64)), nil
}

// Figure is one number with its previous value and where it comes from.
type Figure struct {
	ID       string `json:"id"`
	Label    string `json:"label"`
	Unit     Unit   `json:"unit"`
	Better   Better `json:"better"`
	Current  Value  `json:"value"`
	Previous Value  `json:"previous"`
	// Windowed figures count what happened in the exporter window that
	// ends at the period's end; the others are the state at the end.
	Windowed bool `json:"windowed"`
	// Window is the exporter window of a windowed figure.
	Window string `json:"window,omitempty"`
	// NoData says why there is no value (the series the query reads that
	// Prometheus does not have).
	NoData string `json:"no_data,omitempty"`
	// Currency is the ISO 4217 code of a money figure, when known.
	Currency string `json:"currency,omitempty"`
	Source   Origin `json:"source"`
}

// Origin is the query behind a figure, table or chart.
type Origin struct {
	// Dashboard and Panel name the dashboard panel whose query it is;
	// empty for a figure read straight from recording rules.
	Dashboard  string `json:"dashboard,omitempty"`
	PanelID    uint32 `json:"panel_id,omitempty"`
	PanelTitle string `json:"panel_title,omitempty"`
	// Query is the query as the dashboard or rule file has it, variables
	// and all; Expr is what ran, at At (and PreviousAt for the change).
	Query      string    `json:"query"`
	Expr       string    `json:"expr"`
	Series     string    `json:"series,omitempty"`
	Rules      []string  `json:"rules,omitempty"`
	At         time.Time `json:"at"`
	PreviousAt time.Time `json:"previous_at,omitzero"`
}

// Reference is how the Markdown and HTML name the origin.
func (o Origin) Reference() string {
	if o.Dashboard != "" {
		s := fmt.Sprintf("%s / panel %d %q", o.Dashboard, o.PanelID, o.PanelTitle)
		if o.Series != "" {
			s += " (series " + o.Series + ")"
		}
		return s
	}
	if len(o.Rules) > 0 {
		return "recording rules " + strings.Join(o.Rules, ", ")
	}
	return "query"
}

// Change is the current value minus the previous one.
func (f Figure) Change() (float64, bool) {
	if !f.Current.OK || !f.Previous.OK {
		return 0, false
	}
	return f.Current.Value - f.Previous.Value, true
}

// Arrow is ↑, ↓ or → for the change, – when either value is missing.
func (f Figure) Arrow() string {
	d, ok := f.Change()
	switch {
	case !ok:
		return "–"
	case d > 0:
		return "↑"
	case d < 0:
		return "↓"
	}
	return "→"
}

// Trend is "good", "bad" or "flat" (or "" when unknown) for colouring.
func (f Figure) Trend() string {
	d, ok := f.Change()
	switch {
	case !ok:
		return ""
	case d == 0 || f.Better == Neutral:
		return "flat"
	case (d > 0) == (f.Better == Higher):
		return "good"
	}
	return "bad"
}

// Text is the current value formatted, or "no data".
func (f Figure) Text() string { return f.withCurrency(formatValue(f.Current, f.Unit), f.Current) }

// PreviousText is the previous value formatted, or "no data".
func (f Figure) PreviousText() string {
	return f.withCurrency(formatValue(f.Previous, f.Unit), f.Previous)
}

// withCurrency names a known amount's currency ("12,345.68 EUR").
func (f Figure) withCurrency(text string, v Value) string {
	if f.Unit != Money || f.Currency == "" || !v.OK || math.IsNaN(v.Value) || math.IsInf(v.Value, 0) {
		return text
	}
	return text + " " + f.Currency
}

// ChangeText is the change formatted with its sign, such as "+3 (+20%)",
// "-25m", "+2.1 pp"; "n/a" when it cannot be computed.
func (f Figure) ChangeText() string {
	d, ok := f.Change()
	if !ok {
		return "n/a"
	}
	if d == 0 {
		return "no change"
	}
	sign := "+"
	if d < 0 {
		sign = "−"
	}
	abs := math.Abs(d)
	var s string
	switch f.Unit {
	case Ratio:
		return sign + trimFloat(abs*100, 1) + " pp"
	case Seconds:
		s = sign + formatDuration(abs)
	default:
		s = sign + formatNumber(abs)
	}
	if f.Previous.Value != 0 {
		s += fmt.Sprintf(" (%s%s%%)", sign, trimFloat(math.Abs(d/f.Previous.Value)*100, 0))
	}
	return s
}

// Table is rows of labelled values, such as a panel's per-severity figures.
type Table struct {
	ID      string     `json:"id"`
	Title   string     `json:"title"`
	Keys    []string   `json:"keys"`
	Columns []Column   `json:"columns"`
	Rows    []TableRow `json:"rows"`
	NoData  string     `json:"no_data,omitempty"`
	Source  Origin     `json:"source"`
}

// Column is a value column of a table.
type Column struct {
	Title  string `json:"title"`
	Unit   Unit   `json:"unit"`
	Expr   string `json:"expr"`
	Better Better `json:"better,omitempty"`
}

// TableRow is one row: its key label values and a value per column.
type TableRow struct {
	Keys   []string `json:"keys"`
	Values []Value  `json:"values"`
}

// Cell formats the row's value of column i.
func (t Table) Cell(r TableRow, i int) string { return formatValue(r.Values[i], t.Columns[i].Unit) }

// Chart is a trend line: the figure's value at each step of the months
// before the period's end.
type Chart struct {
	ID     string    `json:"id"`
	Title  string    `json:"title"`
	Unit   Unit      `json:"unit"`
	Figure string    `json:"figure"`
	Points []Point   `json:"points"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Step   string    `json:"step"`
	Expr   string    `json:"expr"`
	// PNG is the rendered chart; the JSON leaves it out.
	PNG []byte `json:"-"`
}

// Point is one value of a trend.
type Point struct {
	T time.Time `json:"t"`
	V float64   `json:"v"`
}

func formatValue(v Value, u Unit) string {
	if !v.OK || math.IsNaN(v.Value) || math.IsInf(v.Value, 0) {
		return "no data"
	}
	switch u {
	case Ratio:
		return trimFloat(v.Value*100, 1) + "%"
	case Seconds:
		return formatDuration(v.Value)
	}
	return formatNumber(v.Value)
}

// formatNumber writes whole numbers with thousands separators and others
// with up to two decimals.
func formatNumber(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return group(strconv.FormatInt(int64(v), 10))
	}
	s := trimFloat(v, 2)
	whole, frac, _ := strings.Cut(s, ".")
	if frac != "" {
		return group(whole) + "." + frac
	}
	return group(whole)
}

func group(digits string) string {
	neg := strings.HasPrefix(digits, "-")
	digits = strings.TrimPrefix(digits, "-")
	var b strings.Builder
	for i, c := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// trimFloat formats v with at most prec decimals, without trailing zeros.
func trimFloat(v float64, prec int) string {
	s := strconv.FormatFloat(v, 'f', prec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// formatDuration writes seconds as the two largest of d, h, m, s: "3h 12m",
// "2d 4h", "45s".
func formatDuration(secs float64) string {
	d := time.Duration(math.Round(secs)) * time.Second
	if d < time.Minute {
		return fmt.Sprintf("%ds", int(d/time.Second))
	}
	parts := []struct {
		n    time.Duration
		unit string
	}{{d / (24 * time.Hour), "d"}, {d % (24 * time.Hour) / time.Hour, "h"}, {d % time.Hour / time.Minute, "m"}, {d % time.Minute / time.Second, "s"}}
	for i, p := range parts {
		if p.n == 0 {
			continue
		}
		out := fmt.Sprintf("%d%s", p.n, p.unit)
		if i+1 < len(parts) && parts[i+1].n > 0 {
			out += fmt.Sprintf(" %d%s", parts[i+1].n, parts[i+1].unit)
		}
		return out
	}
	return "0s"
}

// MarshalJSON adds the figure as the other formats show it.
func (f Figure) MarshalJSON() ([]byte, error) {
	type plain Figure
	out := struct {
		plain
		Text   string   `json:"text"`
		Change *float64 `json:"change"`
		Arrow  string   `json:"arrow"`
	}{plain: plain(f), Text: f.Text(), Arrow: f.Arrow()}
	if d, ok := f.Change(); ok {
		out.Change = &d
	}
	return json.Marshal(out)
}
