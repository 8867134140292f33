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

// sheet is what one read of the table found so far, as rows stream in:
// everything but the incidents themselves, which go to the store in batches.
type sheet struct {
	name string
	// firstLine holds every id that appears in the sheet, valid row or not,
	// and the line it first appears on: an incident whose row became
	// invalid keeps its last good version rather than being deleted.
	firstLine map[string]int
	rows      int
	invalid   int
	// problems are the first maxStoredProblems invalid rows.
	problems []*tabular.CellError
	// unmapped counts cell values that became "unknown", by note text.
	unmapped map[string]*unmappedValue
	// moreUnmapped counts rows with further unknown values once
	// maxUnmappedNotes distinct ones are kept.
	moreUnmapped int
	// severities memoises NormaliseSeverity: a sheet has a handful of
	// distinct values and many rows.
	severities map[string]string
}

type unmappedValue struct {
	firstLine int
	rows      int
}

// maxUnmappedNotes bounds the distinct unknown values noted: a hostile
// sheet must not grow the landing page without bound.
const maxUnmappedNotes = 50

func newSheet(name string) *sheet {
	return &sheet{name: name, firstLine: map[string]int{}, unmapped: map[string]*unmappedValue{}, severities: map[string]string{}}
}

// row maps one row to an incident; an invalid row is counted, and kept
// among the problems while there are few, and ok is false.
func (s *settings) row(sh *sheet, rec tabular.Record, cat *catalog.Catalog) (inc incident.Incident, ok bool) {
	sh.rows++
	// Checked first, so no later message quotes an oversized cell whole.
	err := rec.Check()
	if err == nil {
		inc, err = s.incident(rec, cat, sh)
	}
	if err == nil {
		if first, dup := sh.firstLine[inc.ID]; dup {
			err = rec.Errorf(colID, "%s is also on line %d; only the first row with an id is used", tabular.Quote(inc.ID), first)
		}
	}
	if id := rec.Text(colID); id != "" && len(id) <= tabular.MaxCellBytes {
		if _, seen := sh.firstLine[id]; !seen {
			sh.firstLine[id] = rec.Line()
		}
	}
	if err != nil {
		var ce *tabular.CellError
		if !errors.As(err, &ce) {
			ce = &tabular.CellError{File: sh.name, Line: rec.Line(), Reason: err.Error()}
		}
		sh.invalid++
		if len(sh.problems) < maxStoredProblems {
			sh.problems = append(sh.problems, ce)
		}
		return inc, false
	}
	return inc, true
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
			return inc, rec.Errorf(c.name, "%s is before opened %s", tabular.Quote(rec.Text(c.name)), tabular.Quote(rec.Text(colOpened)))
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
		out.note(rec.Line(), fmt.Sprintf("severity %s is not a known severity; it is counted as unknown (add it to severity_map)", tabular.Quote(severity)))
	}
	service := rec.Text(colService)
	inc.Service = cat.Service(source, service)
	if inc.Service == catalog.Unknown && service != "" {
		out.note(rec.Line(), fmt.Sprintf("service %s is not in the catalog; it is counted as unknown (add it, or an alias, to catalog.services)", tabular.Quote(service)))
	}
	if team := rec.Text(colTeam); team != "" {
		inc.Team = cat.Team(source, team)
		if inc.Team == catalog.Unknown {
			out.note(rec.Line(), fmt.Sprintf("team %s is not in the catalog; it is counted as unknown (add it, or an alias, to catalog.teams)", tabular.Quote(team)))
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
	if u == nil && len(s.unmapped) >= maxUnmappedNotes {
		s.moreUnmapped++
		return
	}
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
	if s.moreUnmapped > 0 {
		notes = append(notes, fmt.Sprintf("%s: %d more rows with other values that are not in the catalog or the severity table", table, s.moreUnmapped))
	}
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
			if err := tabular.CheckYear(v, t); err != nil {
				// The store keeps times as JSON, which has no other years.
				return time.Time{}, rec.Errorf(name, "%v", err)
			}
			return t.UTC(), nil
		}
	}
	use := "2025-06-30T14:05:00Z, 2025-06-30 14:05 or 2025-06-30"
	if s.DateFormat != "" {
		use = fmt.Sprintf("the date_format %q, %s", s.DateFormat, use)
	}
	return time.Time{}, rec.Errorf(name, "%s is not a date or time (write it as %s)", tabular.Quote(v), use)
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
