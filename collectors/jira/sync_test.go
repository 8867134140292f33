package jira

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sre-value/sre-value-exporter/collectors"
)

// The Data Center fixture, by hand:
//
//	INC-1 severity "Critical impact" -> sev1 (severity_map), label service:Payments -> payments,
//	      team field "Payments Team" -> team-pay; 06-25 08:00 -> ack field 08:20 (20m) -> 10:00 (2h);
//	      postmortem PM-1; action items AI-1 Done, AI-2 To Do due 06-27 (overdue),
//	      AI-3 In Progress due 07-15 (not yet due)
//	INC-2 "Degraded" -> sev3, service:Checkout -> checkout, empty team field -> owner team-shop;
//	      06-29 09:00, open
//	INC-3 "Whatever" -> unknown, no service label -> unknown/unknown; 05-20 10:00 -> 10:05 (5m) -> 11:00 (1h)
const dcExpected = `
# HELP sre_incidents_opened_total Incidents opened, counted once when first seen, under the labels they had then.
# TYPE sre_incidents_opened_total counter
sre_incidents_opened_total{service="checkout",severity="sev3",source="jira",team="team-shop"} 1
sre_incidents_opened_total{service="payments",severity="sev1",source="jira",team="team-pay"} 1
sre_incidents_opened_total{service="unknown",severity="unknown",source="jira",team="unknown"} 1
# HELP sre_incidents_open Incidents open now, by severity, service and team.
# TYPE sre_incidents_open gauge
sre_incidents_open{service="checkout",severity="sev3",source="jira",team="team-shop"} 1
sre_incidents_open{service="payments",severity="sev1",source="jira",team="team-pay"} 0
sre_incidents_open{service="unknown",severity="unknown",source="jira",team="unknown"} 0
# HELP sre_incidents_resolved_with_postmortem_in_window Incidents resolved in the window that have a postmortem.
# TYPE sre_incidents_resolved_with_postmortem_in_window gauge
sre_incidents_resolved_with_postmortem_in_window{service="checkout",severity="sev3",source="jira",team="team-shop",window="7d"} 0
sre_incidents_resolved_with_postmortem_in_window{service="checkout",severity="sev3",source="jira",team="team-shop",window="30d"} 0
sre_incidents_resolved_with_postmortem_in_window{service="checkout",severity="sev3",source="jira",team="team-shop",window="90d"} 0
sre_incidents_resolved_with_postmortem_in_window{service="payments",severity="sev1",source="jira",team="team-pay",window="7d"} 1
sre_incidents_resolved_with_postmortem_in_window{service="payments",severity="sev1",source="jira",team="team-pay",window="30d"} 1
sre_incidents_resolved_with_postmortem_in_window{service="payments",severity="sev1",source="jira",team="team-pay",window="90d"} 1
sre_incidents_resolved_with_postmortem_in_window{service="unknown",severity="unknown",source="jira",team="unknown",window="7d"} 0
sre_incidents_resolved_with_postmortem_in_window{service="unknown",severity="unknown",source="jira",team="unknown",window="30d"} 0
sre_incidents_resolved_with_postmortem_in_window{service="unknown",severity="unknown",source="jira",team="unknown",window="90d"} 0
# HELP sre_postmortem_action_items Postmortem action items by state (open, done).
# TYPE sre_postmortem_action_items gauge
sre_postmortem_action_items{service="payments",severity="sev1",source="jira",state="done",team="team-pay"} 1
sre_postmortem_action_items{service="payments",severity="sev1",source="jira",state="open",team="team-pay"} 2
# HELP sre_postmortem_action_items_overdue Open postmortem action items past their due date.
# TYPE sre_postmortem_action_items_overdue gauge
sre_postmortem_action_items_overdue{service="payments",severity="sev1",source="jira",team="team-pay"} 1
`

func TestDataCenterSyncPagesByStartAtWithBearerToken(t *testing.T) {
	h := newHarness(t, DataCenter, dcSettings)
	h.fake.load("testdata/dc_issues.json", true)
	h.fake.load("testdata/dc_action_items.json", false)
	h.mustSync()

	h.compare(dcExpected, "sre_incidents_opened_total", "sre_incidents_open", "sre_incidents_resolved_with_postmortem_in_window",
		"sre_postmortem_action_items", "sre_postmortem_action_items_overdue")
	s := h.snapshot()
	// MTTR 7d and 30d = 2h (INC-1; INC-3 resolved 05-20 is only in 90d); 90d = (2h + 1h) / 2.
	checkMean(t, s, "sre_incident_time_to_resolve_in_window_seconds", "7d", 7200, 1)
	checkMean(t, s, "sre_incident_time_to_resolve_in_window_seconds", "30d", 7200, 1)
	checkMean(t, s, "sre_incident_time_to_resolve_in_window_seconds", "90d", 7200+3600, 2)
	// MTTA 7d = 20m (INC-1); 90d = (20m + 5m) / 2.
	checkMean(t, s, "sre_incident_time_to_acknowledge_in_window_seconds", "7d", 1200, 1)
	checkMean(t, s, "sre_incident_time_to_acknowledge_in_window_seconds", "90d", 1200+300, 2)

	reqs := h.fake.takeRequests()
	want := []struct{ startAt, jql, fields string }{
		{"0", "(project = OPS AND type = Incident) ORDER BY updated ASC", "created,updated,resolutiondate,customfield_10020,labels,customfield_10001,customfield_10030,issuelinks"},
		// Due dates of the first page's action items.
		{"0", "key in (AI-1,AI-2,AI-3)", "duedate"},
		{"2", "(project = OPS AND type = Incident) ORDER BY updated ASC", "created,updated,resolutiondate,customfield_10020,labels,customfield_10001,customfield_10030,issuelinks"},
	}
	if len(reqs) != len(want) {
		t.Fatalf("%d requests, want %d: %+v", len(reqs), len(want), reqs)
	}
	for i, w := range want {
		r := reqs[i]
		if r.Path != "/rest/api/2/search" || r.Query["startAt"] != w.startAt || r.Query["jql"] != w.jql || r.Query["fields"] != w.fields {
			t.Errorf("request %d = %s %v, want startAt=%s jql=%q fields=%s", i, r.Path, r.Query, w.startAt, w.jql, w.fields)
		}
		if _, ok := r.Query["expand"]; ok {
			t.Errorf("request %d asks for expand=%s without acknowledged_status", i, r.Query["expand"])
		}
	}
}

func TestDataCenterReadsTheWholeChangelogWhenTheSearchCutsIt(t *testing.T) {
	h := newHarness(t, DataCenter, strings.Replace(cloudSettings, "deployment: cloud\n    email: sre@example.com", "deployment: datacenter", 1))
	h.fake.load("testdata/cloud_issues.json", true)
	h.fake.changelogLimit = 3
	h.fake.truncateDC = true
	h.mustSync()
	// Same as on Cloud: MTTA 30d = (5m + 30m + 20m) / 3, which needs OPS-2's first history.
	checkMean(t, h.snapshot(), "sre_incident_time_to_acknowledge_in_window_seconds", "30d", 300+1800+1200, 3)
	var issueReads int
	for _, r := range h.fake.takeRequests() {
		if r.Path == "/rest/api/2/issue/OPS-2" && r.Query["expand"] == "changelog" {
			issueReads++
		}
	}
	if issueReads != 1 {
		t.Errorf("%d reads of /rest/api/2/issue/OPS-2?expand=changelog, want 1", issueReads)
	}
}

func TestAnIssueOnTwoPagesIsCountedOnce(t *testing.T) {
	h := newCloud(t)
	// Page 2 of the search returns OPS-5 again, as a search does when an
	// issue moves while it is paged through.
	h.fake.duplicate = map[int][]string{2: {"OPS-5"}}
	h.mustSync()
	h.compare(cloudCounters, "sre_incidents_opened_total", "sre_incidents_resolved_total", "sre_incidents_open")
	h.compare(cloudWindows, "sre_incidents_opened_in_window", "sre_incidents_resolved_in_window")
}

func TestFullResyncDropsAnIssueThatNoLongerMatches(t *testing.T) {
	h := newCloud(t)
	h.mustSync()
	h.fake.setMatch("OPS-4", false)
	h.fake.takeRequests()

	// Within full_resync_interval (24h) only the incremental search runs.
	h.clock = now.Add(23 * time.Hour)
	h.mustSync()
	if reqs := h.fake.takeRequests(); len(reqs) != 1 {
		t.Fatalf("%d requests before the resync is due, want 1", len(reqs))
	}

	h.clock = now.Add(25 * time.Hour)
	h.mustSync()
	reqs := h.fake.takeRequests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want the incremental search and one key listing: %+v", len(reqs), reqs)
	}
	if q := reqs[1].Query; q["fields"] != "key" || q["jql"] != "(project = OPS AND type = Incident) ORDER BY key ASC" || q["maxResults"] != "1000" {
		t.Errorf("key listing %v", q)
	}
	// OPS-4 (sev2 checkout, the only open sev2 checkout incident) no longer
	// counts as open; its counter stays.
	h.compare(`
# HELP sre_incidents_open Incidents open now, by severity, service and team.
# TYPE sre_incidents_open gauge
sre_incidents_open{service="checkout",severity="sev1",source="jira",team="team-shop"} 0
sre_incidents_open{service="checkout",severity="sev3",source="jira",team="team-shop"} 0
sre_incidents_open{service="payments",severity="sev1",source="jira",team="team-pay"} 0
sre_incidents_open{service="payments",severity="sev2",source="jira",team="team-pay"} 0
sre_incidents_open{service="unknown",severity="sev4",source="jira",team="unknown"} 1
# HELP sre_jira_last_full_resync_timestamp_seconds When the last full reconciliation of the JQL's issues (which removes deleted and no longer matching issues) finished.
# TYPE sre_jira_last_full_resync_timestamp_seconds gauge
sre_jira_last_full_resync_timestamp_seconds 1.7198388e+09
`, "sre_incidents_open", "sre_jira_last_full_resync_timestamp_seconds")
	h.compare(cloudCounters, "sre_incidents_opened_total")
}

func TestAReopenedIssueIsOpenAgain(t *testing.T) {
	h := newCloud(t)
	h.mustSync()
	// Reopening clears resolutiondate and bumps updated.
	h.fake.setField("OPS-1", "resolutiondate", "null", now.Add(-time.Hour))
	h.mustSync()
	h.compare(`
# HELP sre_incidents_open Incidents open now, by severity, service and team.
# TYPE sre_incidents_open gauge
sre_incidents_open{service="checkout",severity="sev1",source="jira",team="team-shop"} 0
sre_incidents_open{service="checkout",severity="sev2",source="jira",team="team-shop"} 1
sre_incidents_open{service="checkout",severity="sev3",source="jira",team="team-shop"} 0
sre_incidents_open{service="payments",severity="sev1",source="jira",team="team-pay"} 1
sre_incidents_open{service="payments",severity="sev2",source="jira",team="team-pay"} 0
sre_incidents_open{service="unknown",severity="sev4",source="jira",team="unknown"} 1
`, "sre_incidents_open")
	// The resolution was counted when first seen and is not taken back.
	h.compare(cloudCounters, "sre_incidents_resolved_total")
}

func TestRateLimitedSearchWaitsForRetryAfterThenSucceeds(t *testing.T) {
	h := newCloud(t)
	h.fake.script = []fakeAnswer{{
		status: 429,
		header: map[string]string{"Retry-After": "7", "X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2024-06-30T12:00:07Z"},
		body:   `{"errorMessages":["Rate limit exceeded."],"errors":{}}`,
	}}
	h.mustSync()
	h.compare(cloudCounters, "sre_incidents_opened_total")
	found := false
	for _, d := range h.sleeps {
		found = found || d == 7*time.Second
	}
	if !found {
		t.Errorf("sleeps %v, want a 7s wait for Retry-After", h.sleeps)
	}
}

func TestFailedSyncKeepsTheLastGoodData(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer fakeAnswer
		always bool
		reason string
		msg    string
	}{
		{"a 503 on every attempt is a server error", fakeAnswer{status: 503, body: `{"errorMessages":["Service Unavailable"],"errors":{}}`}, true, collectors.ReasonServer, "Service Unavailable"},
		{"truncated JSON on every attempt is a decode error", fakeAnswer{status: 200, body: `{"issues":[{"key":"OPS-1","fields":{"created":"2024-`}, true, collectors.ReasonDecode, "body is cut off (unexpected end of JSON input)"},
		{"a 400 for bad JQL is a client error", fakeAnswer{status: 400, body: `{"errorMessages":["Field 'projct' does not exist or you do not have permission to view it."],"errors":{}}`}, false, collectors.ReasonClient, "Field 'projct' does not exist"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newCloud(t)
			h.mustSync()
			before := h.snapshot()
			h.fake.setField("OPS-4", "priority", `{"name":"Lowest"}`, now.Add(-time.Minute))
			if tc.always {
				h.fake.failSearch = &tc.answer
			} else {
				h.fake.script = []fakeAnswer{tc.answer}
			}
			err := h.sync()
			if err == nil {
				t.Fatal("sync succeeded")
			}
			if got := collectors.Reason(err); got != tc.reason {
				t.Errorf("reason %s, want %s: %v", got, tc.reason, err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "jira ops: search (project = OPS AND type = Incident) AND updated >= \"2024/06/29 21:55\"") || !strings.Contains(msg, "page 1") || !strings.Contains(msg, tc.msg) {
				t.Errorf("error does not name the source, query, page and cause: %v", err)
			}
			if strings.Contains(msg, h.fake.token) {
				t.Errorf("error contains the token: %v", err)
			}
			assertSameSnapshot(t, before, h.snapshot())
		})
	}
}

func TestAWrongTokenIsAnAuthErrorWithoutTheToken(t *testing.T) {
	for _, deployment := range []string{Cloud, DataCenter} {
		t.Run(deployment, func(t *testing.T) {
			settings := cloudSettings
			if deployment == DataCenter {
				settings = strings.Replace(cloudSettings, "deployment: cloud\n    email: sre@example.com", "deployment: datacenter", 1)
			}
			h := newHarness(t, deployment, settings)
			h.fake.load("testdata/cloud_issues.json", true)
			h.fake.token = "the-token-jira-expects"
			err := h.sync()
			if collectors.Reason(err) != collectors.ReasonAuth || !strings.Contains(err.Error(), "401") {
				t.Fatalf("err = %v (reason %s), want a 401 auth error", err, collectors.Reason(err))
			}
			if strings.Contains(err.Error(), "s3cr3t-token-value") {
				t.Errorf("error contains the token: %v", err)
			}
		})
	}
}

func TestAnIssueWithAnImpossibleTimelineIsSkippedAndNoted(t *testing.T) {
	h := newCloud(t)
	h.fake.put(&fakeIssue{Key: "OPS-9", Fields: map[string]json.RawMessage{
		"created":        json.RawMessage(`"2024-06-29T10:00:00.000+0000"`),
		"updated":        json.RawMessage(`"2024-06-29T10:00:00.000+0000"`),
		"resolutiondate": json.RawMessage(`"2024-06-29T09:00:00.000+0000"`),
		"priority":       json.RawMessage(`{"name":"High"}`),
	}}, true)
	h.mustSync()
	h.compare(cloudCounters, "sre_incidents_opened_total")
	notes := h.c.Notes()
	want := "issue OPS-9: skipped: incident OPS-9: resolved 2024-06-29T09:00:00Z is before opened 2024-06-29T10:00:00Z"
	if len(notes) != 1 || notes[0] != want {
		t.Errorf("notes = %q, want %q", notes, want)
	}
}

func TestTheKindIsRegistered(t *testing.T) {
	k, ok := collectors.Lookup("jira")
	if !ok || !k.EnabledByDefault || k.Factory == nil {
		t.Fatalf("jira kind: %+v, %v", k, ok)
	}
}
