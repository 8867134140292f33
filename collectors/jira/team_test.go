package jira

import (
	"encoding/json"
	"testing"
)

func TestTheTeamCanComeFromALabelPrefix(t *testing.T) {
	h := newHarness(t, DataCenter, `
    deployment: datacenter
    jql: project = OPS AND type = Incident
    service_field: labels
    service_label_prefix: "service:"
    team_field: labels
    team_label_prefix: team-
`)
	put := func(key, labels string) {
		h.fake.put(&fakeIssue{Key: key, Fields: map[string]json.RawMessage{
			"created":        json.RawMessage(`"2024-06-29T10:00:00.000+0000"`),
			"updated":        json.RawMessage(`"2024-06-29T11:00:00.000+0000"`),
			"resolutiondate": json.RawMessage(`"2024-06-29T11:00:00.000+0000"`),
			"priority":       json.RawMessage(`{"name":"Highest"}`),
			"labels":         json.RawMessage(labels),
		}}, true)
	}
	// By hand: OPS-1's team label names payments (alias jira:payments of
	// team-pay), overriding checkout's owner; OPS-2 has no team label and
	// falls back to checkout's owner team-shop; OPS-3's team is not in
	// the catalog; OPS-4's bare "team-" label has no team in it.
	put("OPS-1", `["service:Checkout", "team-payments"]`)
	put("OPS-2", `["service:Checkout"]`)
	put("OPS-3", `["service:Payments", "team-growth"]`)
	put("OPS-4", `["service:Payments", "team-"]`)
	h.mustSync()
	h.compare(`
# HELP sre_incidents_opened_total Incidents opened, counted once when first seen, under the labels they had then.
# TYPE sre_incidents_opened_total counter
sre_incidents_opened_total{service="checkout",severity="sev1",source="jira",team="team-pay"} 1
sre_incidents_opened_total{service="checkout",severity="sev1",source="jira",team="team-shop"} 1
sre_incidents_opened_total{service="payments",severity="sev1",source="jira",team="team-pay"} 1
sre_incidents_opened_total{service="payments",severity="sev1",source="jira",team="unknown"} 1
`, "sre_incidents_opened_total")
	for _, r := range h.fake.searchRequests() {
		if got := r.Query["fields"]; got != "created,updated,resolutiondate,priority,labels" {
			t.Errorf("search asked for fields %s, want labels once", got)
		}
	}
}
