package incidentsheet

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/catalog"
	"github.com/sre-value/sre-value-exporter/internal/incident"
	"github.com/sre-value/sre-value-exporter/internal/tabular"
)

// source is the label value and the catalog source of this kind.
const source = "sheet"

// sheet is one read of the table: the incidents of the valid rows, the
// rows that could not be used, and values nobody mapped.
type sheet struct {
	incidents []incident.Incident
	// ids are every id that appears in the sheet, valid row or not: an
	// incident whose row became invalid keeps its last good version.
	ids     map[string]bool
	invalid []*tabular.CellError
	// unmapped counts cell values that became "unknown", by note text.
	unmapped map[string]*unmappedValue
	// severities memoises NormaliseSeverity: a sheet has a handful of
	// distinct values and many rows.
	severities map[string]string
}

type unmappedValue struct {
	firstLine int
	rows      int
}

// read maps every row of t to an incident.
func (s *settings) read(t *tabular.Table, cat *catalog.Catalog) (*sheet, error) {
	cols, err := t.Resolve(wantColumns, s.Columns)
	if err != nil {
		return nil, err
	}
	out := &sheet{ids: map[string]bool{}, unmapped: map[string]*unmappedValue{}, severities: map[string]string{}}
	firstLine := map[string]int{}
	for _, row := range t.Rows {
		rec := cols.Record(row)
		inc, err := s.incident(rec, cat, out)
		if err == nil {
			if first, dup := firstLine[inc.ID]; dup {
				err = rec.Errorf(colID, "%q is also on line %d; only the first row with an id is used", inc.ID, first)
			}
		}
		if id := rec.Text(colID); id != "" {
			out.ids[id] = true
			if _, seen := firstLine[id]; !seen {
				firstLine[id] = row.Line
			}
		}
		if err != nil {
			var ce *tabular.CellError
			if !errors.As(err, &ce) {
				ce = &tabular.CellError{File: t.Name, Line: row.Line, Reason: err.Error()}
			}
			out.invalid = append(out.invalid, ce)
			continue
		}
		out.incidents = append(out.incidents, inc)
	}
	return out, nil
}

// incident maps one row; the error is a *tabular.CellError naming the cell.
func (s *settings) incident(rec tabular.Record, cat *catalog.Catalog, out *sheet) (incident.Incident, error) {
	var inc incident.Incident
	id, err := rec.Required(colID)
	if err != nil {
		return inc, err
	}
	inc.ID = id
	if inc.Opened, err = s.time(rec, colOpened); err != nil {
		return inc, err
	}
	if inc.Acknowledged, err = s.time(rec, colAcknowledged); err != nil {
		return inc, err
	}
	if inc.Resolved, err = s.time(rec, colResolved); err != nil {
		return inc, err
	}
	for _, c := range []struct {
		name string
		t    time.Time
	}{{colAcknowledged, inc.Acknowledged}, {colResolved, inc.Resolved}} {
		if !c.t.IsZero() && c.t.Before(inc.Opened) {
			return inc, rec.Errorf(c.name, "%q is before opened %q", rec.Text(c.name), rec.Text(colOpened))
		}
	}
	if inc.ActionItems, err = actionItems(rec, inc.Opened); err != nil {
		return inc, err
	}

	severity := rec.Text(colSeverity)
	var known bool
	if inc.Severity, known = out.severities[severity]; !known {
		inc.Severity = incident.NormaliseSeverity(severity, s.SeverityMap)
		out.severities[severity] = inc.Severity
	}
	if inc.Severity == catalog.Unknown && severity != "" && !s.mapsToUnknown(severity) {
		out.note(rec.Line(), fmt.Sprintf("severity %q is not a known severity; it is counted as unknown (add it to severity_map)", severity))
	}
	service := rec.Text(colService)
	inc.Service = cat.Service(source, service)
	if inc.Service == catalog.Unknown && service != "" {
		out.note(rec.Line(), fmt.Sprintf("service %q is not in the catalog; it is counted as unknown (add it, or an alias, to catalog.services)", service))
	}
	if team := rec.Text(colTeam); team != "" {
		inc.Team = cat.Team(source, team)
		if inc.Team == catalog.Unknown {
			out.note(rec.Line(), fmt.Sprintf("team %q is not in the catalog; it is counted as unknown (add it, or an alias, to catalog.teams)", team))
		}
	} else {
		inc.Team = cat.Owner(inc.Service)
	}
	if pm := rec.Text(colPostmortem); !meansNone(pm) {
		inc.Postmortem = pm
	}
	// Catch anything the checks above missed, with the model's own rule.
	if err := inc.Validate(); err != nil {
		return inc, rec.Errorf("", "%v", err)
	}
	return inc, nil
}

// mapsToUnknown tells a severity the config deliberately maps to unknown,
// which is not worth a note.
func (s *settings) mapsToUnknown(v string) bool {
	m, ok := s.SeverityMap[v]
	if !ok {
		m, ok = s.SeverityMap[strings.ToLower(strings.TrimSpace(v))]
	}
	return ok && m == catalog.Unknown
}

func (s *sheet) note(line int, msg string) {
	u := s.unmapped[msg]
	if u == nil {
		u = &unmappedValue{firstLine: line}
		s.unmapped[msg] = u
	}
	u.rows++
}

// unmappedNotes lists the unmapped values, sorted, naming where to look.
func (s *sheet) unmappedNotes(table string) []string {
	notes := make([]string, 0, len(s.unmapped))
	for msg, u := range s.unmapped {
		where := fmt.Sprintf("%s:%d", table, u.firstLine)
		if u.rows > 1 {
			where += fmt.Sprintf(" and %d more rows", u.rows-1)
		}
		notes = append(notes, where+": "+msg)
	}
	sort.Strings(notes)
	return notes
}

// time parses a date or time cell; an empty optional cell is the zero time.
func (s *settings) time(rec tabular.Record, name string) (time.Time, error) {
	v, err := rec.Required(name)
	if err != nil || v == "" {
		return time.Time{}, err
	}
	for _, layout := range s.layouts {
		if t, err := time.ParseInLocation(layout, v, s.location); err == nil {
			return t.UTC(), nil
		}
	}
	use := "2025-06-30T14:05:00Z, 2025-06-30 14:05 or 2025-06-30"
	if s.DateFormat != "" {
		use = fmt.Sprintf("the date_format %q, %s", s.DateFormat, use)
	}
	return time.Time{}, rec.Errorf(name, "%q is not a date or time (write it as %s)", v, use)
}

// actionItems turns the sheet's counts into the model's items. The sheet
// says how many open items are overdue but not when they were due, so
// overdue items are recorded as due when the incident opened.
func actionItems(rec tabular.Record, opened time.Time) ([]incident.ActionItem, error) {
	open, err := rec.Int(colItemsOpen)
	if err != nil {
		return nil, err
	}
	done, err := rec.Int(colItemsDone)
	if err != nil {
		return nil, err
	}
	overdue, err := rec.Int(colItemsOverdue)
	if err != nil {
		return nil, err
	}
	if overdue > open {
		return nil, rec.Errorf(colItemsOverdue, "%d overdue is more than the %d open items (overdue items are counted among the open ones)", overdue, open)
	}
	// Bound the slice a typo such as 1e9 would allocate.
	const maxItems = 10000
	if open+done > maxItems {
		return nil, rec.Errorf(colItemsOpen, "%d open and %d done action items is more than the limit of %d per incident", open, done, maxItems)
	}
	var items []incident.ActionItem
	for i := int64(0); i < open; i++ {
		var due time.Time
		if i < overdue {
			due = opened
		}
		items = append(items, incident.ActionItem{Due: due})
	}
	for i := int64(0); i < done; i++ {
		items = append(items, incident.ActionItem{Done: true})
	}
	return items, nil
}

// meansNone tells a postmortem cell that says there is none.
func meansNone(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "-", "no", "n", "none", "n/a", "na", "false", "0":
		return true
	}
	return false
}
