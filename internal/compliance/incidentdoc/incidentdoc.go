// Package incidentdoc maps an incident (a Jira issue, a GitHub issue, a
// PagerDuty incident) into a compliance Document whose fields the
// `incident` template checks: severity, component, team, postmortem.
package incidentdoc

import (
	"time"

	"github.com/sre-value/sre-value-exporter/internal/compliance"
)

// Incident is an incident as its collector sees it, before it is reduced
// to the shared model: Components and Teams keep every value the ticket
// has, so "exactly one team" can be checked.
type Incident struct {
	Source     string // jira, github, pagerduty, sheet
	Key        string // OPS-123, org/repo#45, PXXXXXX
	URL        string
	Title      string
	Severity   string
	Components []string
	Teams      []string
	Postmortem string // link or key; empty when there is none
	Labels     []string
	Opened     time.Time
	Resolved   time.Time
	Updated    time.Time
	// Extra holds any other fields, for configured required_fields rules.
	Extra map[string][]string
}

// Document maps the incident. Field names: severity, component, team,
// postmortem, status ("open" or "resolved"), plus the Extra fields.
func Document(in Incident) *compliance.Document {
	doc := &compliance.Document{
		Kind: compliance.Incident, Source: in.Source,
		Key: in.Key, URL: in.URL, Title: in.Title, Labels: in.Labels,
		Created: in.Opened, Updated: in.Updated, Resolved: in.Resolved,
	}
	doc.Set("severity", 0, in.Severity)
	doc.Set("component", 0, in.Components...)
	doc.Set("team", 0, in.Teams...)
	doc.Set("postmortem", 0, in.Postmortem)
	status := "open"
	if !in.Resolved.IsZero() {
		status = "resolved"
	}
	doc.Set("status", 0, status)
	for name, values := range in.Extra {
		doc.Set(name, 0, values...)
	}
	return doc
}
