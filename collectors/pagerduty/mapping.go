package pagerduty

import (
	"fmt"
	"time"

	pd "github.com/PagerDuty/go-pagerduty"

	"github.com/sre-value/sre-value-exporter/internal/catalog"
	"github.com/sre-value/sre-value-exporter/internal/incident"
)

// toIncident maps a PagerDuty incident into the incident model. Errors name
// the field that could not be read.
func (c *Collector) toIncident(p pd.Incident) (incident.Incident, error) {
	inc := incident.Incident{ID: p.ID}
	var err error
	if inc.Opened, err = parseTime(p.CreatedAt); err != nil {
		return inc, fmt.Errorf("created_at: %w", err)
	}
	if inc.Opened.IsZero() {
		return inc, fmt.Errorf("created_at: missing")
	}
	if p.Status == "resolved" {
		resolved := p.ResolvedAt
		if resolved == "" {
			// Older payloads lack resolved_at; for a resolved incident the
			// last status change is the resolution.
			resolved = p.LastStatusChangeAt
		}
		if inc.Resolved, err = parseTime(resolved); err != nil {
			return inc, fmt.Errorf("resolved_at: %w", err)
		}
		if inc.Resolved.IsZero() {
			return inc, fmt.Errorf("status is resolved but resolved_at and last_status_change_at are missing")
		}
	}
	// acknowledgements lists the current acknowledgements of an open
	// incident (it is empty once resolved); the earliest is the first ack.
	for i, a := range p.Acknowledgements {
		t, err := parseTime(a.At)
		if err != nil {
			return inc, fmt.Errorf("acknowledgements[%d].at: %w", i, err)
		}
		if !t.IsZero() && (inc.Acknowledged.IsZero() || t.Before(inc.Acknowledged)) {
			inc.Acknowledged = t
		}
	}
	updated := p.UpdatedAt
	if updated == "" {
		updated = p.LastStatusChangeAt
	}
	if inc.Updated, err = parseTime(updated); err != nil {
		return inc, fmt.Errorf("updated_at: %w", err)
	}

	switch c.cfg.SeverityFrom {
	case "urgency":
		inc.Severity = incident.NormaliseSeverity(p.Urgency, c.cfg.SeverityMap)
	default:
		inc.Severity = catalog.Unknown
		if p.Priority != nil {
			name := p.Priority.Name
			if name == "" {
				name = p.Priority.Summary
			}
			inc.Severity = incident.NormaliseSeverity(name, c.cfg.SeverityMap)
		}
	}

	cat := c.deps.Catalog
	if cat == nil {
		cat = &catalog.Catalog{}
	}
	inc.Service = cat.Service(Source, p.Service.Summary)
	if inc.Service == catalog.Unknown && p.Service.ID != "" {
		inc.Service = cat.Service(Source, p.Service.ID)
	}
	inc.Team = catalog.Unknown
	if len(p.Teams) > 0 {
		inc.Team = cat.Team(Source, p.Teams[0].Summary)
		if inc.Team == catalog.Unknown && p.Teams[0].ID != "" {
			inc.Team = cat.Team(Source, p.Teams[0].ID)
		}
	}
	if inc.Team == catalog.Unknown {
		inc.Team = cat.Owner(inc.Service)
	}
	return inc, nil
}

// parseTime reads an ISO 8601 timestamp; empty is the zero time.
func parseTime(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an ISO 8601 time", v)
	}
	return t.UTC(), nil
}
