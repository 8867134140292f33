package jira

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/catalog"
	"github.com/sre-value/sre-value-exporter/internal/incident"
)

const source = "jira"

// mapped is an issue turned into an incident, with the keys of its action
// items (in the order of inc.ActionItems) whose due dates are looked up
// separately: links and sub-tasks carry the status but not the due date.
type mapped struct {
	inc        incident.Incident
	actionKeys []string
}

// mapIssue turns one search result into an incident. histories is the
// complete changelog (nil when acknowledged_status is not used).
func (s *settings) mapIssue(cat *catalog.Catalog, is issue, histories []history) (mapped, error) {
	inc := incident.Incident{ID: is.Key}
	var err error
	if inc.Opened, err = s.timeField(is, "created"); err != nil {
		return mapped{}, err
	}
	if inc.Opened.IsZero() {
		return mapped{}, fmt.Errorf("issue %s: field created is missing", is.Key)
	}
	if inc.Updated, err = s.timeField(is, "updated"); err != nil {
		return mapped{}, err
	}
	// A reopened issue has its resolutiondate cleared, so it is open again.
	if inc.Resolved, err = s.timeField(is, "resolutiondate"); err != nil {
		return mapped{}, err
	}

	inc.Severity = incident.NormaliseSeverity(first(names(is.Fields[s.SeverityField])), s.SeverityMap)

	inc.Service = cat.Service(source, fieldValue(is, s.ServiceField, s.ServiceLabelPrefix))
	// An empty team field (or no team label) falls back to the service's
	// owner, as when no team field is configured.
	if team := fieldValue(is, s.TeamField, s.TeamLabelPrefix); s.TeamField != "" && team != "" {
		inc.Team = cat.Team(source, team)
	} else {
		inc.Team = cat.Owner(inc.Service)
	}

	switch {
	case s.AcknowledgedField != "":
		if inc.Acknowledged, err = s.timeField(is, s.AcknowledgedField); err != nil {
			return mapped{}, err
		}
	case s.AcknowledgedStatus != "":
		if inc.Acknowledged, err = firstTransitionInto(histories, s.AcknowledgedStatus); err != nil {
			return mapped{}, fmt.Errorf("issue %s: changelog: %w", is.Key, err)
		}
	}

	m := mapped{inc: inc}
	if s.Postmortem == nil {
		return m, nil
	}
	var links []issueLink
	if raw := is.Fields["issuelinks"]; len(raw) > 0 && string(raw) != "null" {
		if err := json.Unmarshal(raw, &links); err != nil {
			return mapped{}, fmt.Errorf("issue %s: field issuelinks: %w", is.Key, err)
		}
	}
	if lt := s.Postmortem.LinkType; lt != "" {
		for _, l := range links {
			if other := l.other(); other != nil && l.Type.is(lt) {
				m.inc.Postmortem = other.Key
				break
			}
		}
	}
	if ai := s.Postmortem.ActionItems; ai != nil {
		var items []linkedIssue
		if ai.Subtasks {
			if raw := is.Fields["subtasks"]; len(raw) > 0 && string(raw) != "null" {
				if err := json.Unmarshal(raw, &items); err != nil {
					return mapped{}, fmt.Errorf("issue %s: field subtasks: %w", is.Key, err)
				}
			}
		} else {
			for _, l := range links {
				if other := l.other(); other != nil && l.Type.is(ai.IssueLinkType) {
					items = append(items, *other)
				}
			}
		}
		for _, it := range items {
			m.inc.ActionItems = append(m.inc.ActionItems, incident.ActionItem{Done: s.done[strings.ToLower(it.Fields.Status.Name)]})
			m.actionKeys = append(m.actionKeys, it.Key)
		}
	}
	return m, nil
}

type issueLink struct {
	Type         linkType     `json:"type"`
	InwardIssue  *linkedIssue `json:"inwardIssue"`
	OutwardIssue *linkedIssue `json:"outwardIssue"`
}

type linkType struct {
	Name    string `json:"name"`
	Inward  string `json:"inward"`
	Outward string `json:"outward"`
}

type linkedIssue struct {
	Key    string `json:"key"`
	Fields struct {
		Status struct {
			Name string `json:"name"`
		} `json:"status"`
	} `json:"fields"`
}

// other is the issue at the other end of the link.
func (l issueLink) other() *linkedIssue {
	if l.InwardIssue != nil {
		return l.InwardIssue
	}
	return l.OutwardIssue
}

// is matches a configured link type against the type's name and both of
// its descriptions, so either "Postmortem" or "is postmortem of" works.
func (t linkType) is(want string) bool {
	return strings.EqualFold(t.Name, want) || strings.EqualFold(t.Inward, want) || strings.EqualFold(t.Outward, want)
}

// firstTransitionInto is when the issue first moved into status: the
// earliest history entry with a status change to it.
func firstTransitionInto(histories []history, status string) (time.Time, error) {
	var at time.Time
	for _, h := range histories {
		for _, it := range h.Items {
			if !strings.EqualFold(it.Field, "status") || !strings.EqualFold(strings.TrimSpace(it.ToString), status) {
				continue
			}
			t, err := parseTime(h.Created)
			if err != nil {
				return time.Time{}, fmt.Errorf("history %s: created: %w", h.ID, err)
			}
			if at.IsZero() || t.Before(at) {
				at = t
			}
		}
	}
	return at, nil
}

// timeField reads a datetime field; a missing or null field is the zero time.
func (s *settings) timeField(is issue, field string) (time.Time, error) {
	raw := is.Fields[field]
	if len(raw) == 0 || string(raw) == "null" {
		return time.Time{}, nil
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		return time.Time{}, fmt.Errorf("issue %s: field %s: expected a datetime string, got %s", is.Key, field, truncate(string(raw)))
	}
	if v == "" {
		return time.Time{}, nil
	}
	t, err := parseTime(v)
	if err != nil {
		return time.Time{}, fmt.Errorf("issue %s: field %s: %w", is.Key, field, err)
	}
	return t, nil
}

// Jira writes "2024-03-01T10:00:00.000+0000"; some custom fields and
// apps use RFC 3339.
var timeLayouts = []string{"2006-01-02T15:04:05.000-0700", "2006-01-02T15:04:05-0700", time.RFC3339Nano}

func parseTime(v string) (time.Time, error) {
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a Jira datetime (like 2024-03-01T10:00:00.000+0000)", v)
}

// dueTime is when an action item due on date (YYYY-MM-DD, in the Jira
// timezone) becomes overdue: the end of that day.
func (s *settings) dueTime(date string) (time.Time, error) {
	d, err := time.ParseInLocation("2006-01-02", date, s.location)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date (YYYY-MM-DD)", date)
	}
	return d.AddDate(0, 0, 1).UTC(), nil
}

// names reads the display values of a field: a string, a number, an
// object with name, value or title (priority, select lists, components,
// Teams), or a list of those.
func names(raw json.RawMessage) []string {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err == nil {
		var out []string
		for _, r := range list {
			out = append(out, names(r)...)
		}
		return out
	}
	var str string
	if err := json.Unmarshal(raw, &str); err == nil {
		return []string{str}
	}
	var num json.Number
	if err := json.Unmarshal(raw, &num); err == nil {
		return []string{num.String()}
	}
	var obj struct {
		Name  *string `json:"name"`
		Value *string `json:"value"`
		Title *string `json:"title"`
	}
	if err := json.Unmarshal(raw, &obj); err == nil {
		for _, p := range []*string{obj.Name, obj.Value, obj.Title} {
			if p != nil && *p != "" {
				return []string{*p}
			}
		}
	}
	return nil
}

// fieldValue reads the service or team: for "labels" the text after
// prefix of the first label that has it, else the field's first value.
func fieldValue(is issue, field, prefix string) string {
	if field != "labels" {
		return first(names(is.Fields[field]))
	}
	for _, l := range names(is.Fields["labels"]) {
		if rest, ok := strings.CutPrefix(l, prefix); ok && rest != "" {
			return rest
		}
	}
	return ""
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

func truncate(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

// sortedKeys returns the keys of m in order, for deterministic requests.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
