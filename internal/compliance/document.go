// Package compliance is the one template engine behind every format check:
// Markdown files, Confluence pages, Slack posts, incidents, Grafana
// dashboards and Prometheus rule files are mapped into a Document (by the
// sub-packages), and a Template's rules check it. The package does no I/O:
// callers read files or APIs and pass the current time in.
package compliance

import (
	"slices"
	"time"
)

// Kind is the format a Document was mapped from.
type Kind string

// Document kinds.
const (
	Markdown   Kind = "markdown"
	Confluence Kind = "confluence"
	Slack      Kind = "slack"
	Incident   Kind = "incident"
	Dashboard  Kind = "dashboard"
	RuleFile   Kind = "rules"
)

// Document is what every checked thing maps into. Fields that do not apply
// to a kind stay empty: a Slack post has no labels, an incident no sections.
type Document struct {
	Kind Kind
	// Source is where the document came from: "file" for lint, or the
	// collector kind ("slack", "confluence", "jira", "github", "grafana").
	Source string

	// Where the document is, for findings: the first one set of Path,
	// Key and URL is used, with Title.
	Path  string // local file, lint
	Key   string // incident key, dashboard uid
	URL   string // Slack permalink, Confluence page or Grafana dashboard URL
	Title string
	// TitleLine is the line the title is on (0 when it is metadata).
	TitleLine int
	// FirstLine is the first non-empty line of text (a Slack post's tag line).
	FirstLine   string
	FirstLineNo int

	// Container is the Slack channel, Confluence space or Grafana folder.
	Container string
	// Labels are Confluence labels, dashboard tags, front-matter tags.
	Labels []string

	Created, Updated, Resolved time.Time

	Words    int
	Sections []Section
	Links    []Link
	// Fields are named values: incident fields, front matter, dashboard
	// settings. A field is present when it has a non-empty value.
	Fields map[string]Field
	// Items are repeated parts checked one by one: dashboard panels,
	// alerting and recording rules.
	Items []Item
}

// Section is a heading and the text under it (up to the next heading of
// the same or a higher level).
type Section struct {
	Title string
	Level int
	Line  int
	// Words counts the words under the heading, subsections included.
	Words int
}

// Link is a hyperlink (or a Confluence page link) and its text.
type Link struct {
	URL  string
	Text string
	Line int
}

// Field is a named value, possibly repeated (several components).
type Field struct {
	Values []string
	Line   int
}

// Item is a repeated part of a document: a dashboard panel, an alert.
type Item struct {
	Kind   string // "panel", "alert", "record"
	Name   string
	Line   int
	Fields map[string]Field
}

// Set records a document field's values. Empty values are dropped, so a
// field set to "" counts as missing.
func (d *Document) Set(name string, line int, values ...string) {
	d.Fields = setField(d.Fields, name, line, values)
}

// Set records an item field's values, like Document.Set.
func (it *Item) Set(name string, line int, values ...string) {
	it.Fields = setField(it.Fields, name, line, values)
}

func setField(fields map[string]Field, name string, line int, values []string) map[string]Field {
	if !slices.ContainsFunc(values, func(v string) bool { return v != "" }) {
		return fields
	}
	if fields == nil {
		fields = map[string]Field{}
	}
	f := fields[name]
	if f.Line == 0 {
		f.Line = line
	}
	for _, v := range values {
		if v != "" {
			f.Values = append(f.Values, v)
		}
	}
	fields[name] = f
	return fields
}

// Field returns the named document field's values.
func (d *Document) Field(name string) []string { return d.Fields[name].Values }
