package incident

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sre-value/sre-value-exporter/internal/compliance"
	"github.com/sre-value/sre-value-exporter/internal/store"
)

func TestTheSharedModelsUnknownValuesCountAsMissing(t *testing.T) {
	resolved := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	doc := Incident{ID: "OPS-1", Severity: "sev1", Service: "unknown", Team: "payments", Postmortem: "PM-7", Resolved: resolved}.FormatDocument("jira")
	if doc.Key != "OPS-1" || !slices.Equal(doc.Field("severity"), []string{"sev1"}) || len(doc.Field("component")) != 0 ||
		!slices.Equal(doc.Field("team"), []string{"payments"}) || !slices.Equal(doc.Field("postmortem"), []string{"PM-7"}) || !doc.Resolved.Equal(resolved) {
		t.Errorf("document = %+v", doc)
	}
	if got := doc.Field("status"); len(got) != 1 || got[0] != "resolved" {
		t.Errorf("status = %v", got)
	}
}

// The built-in incident template over four incidents, judged as of now:
//   - A: complete, sev1 resolved 2 days ago without a postmortem, but within
//     the 5 days it has: passes.
//   - B: sev2 resolved 10 days ago without a postmortem: fails postmortem.
//   - C: no service (component) and no team: fails component and one-team.
//   - D: opened 120 days ago and resolved: outside every window, not checked.
func TestIncidentsAreCheckedAgainstTheTemplatesAtEverySnapshot(t *testing.T) {
	st := openStore(t)
	day := 24 * time.Hour
	incidents := []Incident{
		{ID: "A", Severity: "sev1", Service: "api", Team: "payments", Opened: now.Add(-3 * day), Resolved: now.Add(-2 * day)},
		{ID: "B", Severity: "sev2", Service: "api", Team: "payments", Opened: now.Add(-11 * day), Resolved: now.Add(-10 * day)},
		{ID: "C", Severity: "sev3", Opened: now.Add(-40 * day)},
		{ID: "D", Severity: "sev2", Service: "api", Team: "payments", Opened: now.Add(-120 * day), Resolved: now.Add(-119 * day)},
	}
	err := st.Update(storeKey, func(tx *store.Tx) error {
		for _, inc := range incidents {
			if _, err := Put(tx, inc); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	set, err := compliance.Compile(nil)
	if err != nil {
		t.Fatal(err)
	}
	checks := NewChecks(set)
	s, err := Snapshot(st, storeKey, "jira", now, checks, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := `
# HELP sre_format_documents_checked_in_window Documents created in the window that a format template applies to, by source and template; divide sre_format_documents_passing_in_window by it for the compliance rate.
# TYPE sre_format_documents_checked_in_window gauge
sre_format_documents_checked_in_window{source="jira",template="incident",window="30d"} 2
sre_format_documents_checked_in_window{source="jira",template="incident",window="7d"} 1
sre_format_documents_checked_in_window{source="jira",template="incident",window="90d"} 3
# HELP sre_format_documents_failing Documents checked at the last refresh that break at least one rule of the template now; the landing page lists them with where to fix them.
# TYPE sre_format_documents_failing gauge
sre_format_documents_failing{source="jira",template="incident"} 2
# HELP sre_format_documents_passing_in_window Documents created in the window that pass every rule of the template, as checked now.
# TYPE sre_format_documents_passing_in_window gauge
sre_format_documents_passing_in_window{source="jira",template="incident",window="30d"} 1
sre_format_documents_passing_in_window{source="jira",template="incident",window="7d"} 1
sre_format_documents_passing_in_window{source="jira",template="incident",window="90d"} 1
# HELP sre_format_rule_failures_in_window Documents created in the window that break the rule, by source, template and rule; the rules that fail most.
# TYPE sre_format_rule_failures_in_window gauge
sre_format_rule_failures_in_window{rule="component",source="jira",template="incident",window="30d"} 0
sre_format_rule_failures_in_window{rule="component",source="jira",template="incident",window="7d"} 0
sre_format_rule_failures_in_window{rule="component",source="jira",template="incident",window="90d"} 1
sre_format_rule_failures_in_window{rule="one-team",source="jira",template="incident",window="30d"} 0
sre_format_rule_failures_in_window{rule="one-team",source="jira",template="incident",window="7d"} 0
sre_format_rule_failures_in_window{rule="one-team",source="jira",template="incident",window="90d"} 1
sre_format_rule_failures_in_window{rule="postmortem",source="jira",template="incident",window="30d"} 1
sre_format_rule_failures_in_window{rule="postmortem",source="jira",template="incident",window="7d"} 0
sre_format_rule_failures_in_window{rule="postmortem",source="jira",template="incident",window="90d"} 1
`
	if err := testutil.GatherAndCompare(s, strings.NewReader(want), "sre_format_documents_checked_in_window", "sre_format_documents_failing",
		"sre_format_documents_passing_in_window", "sre_format_rule_failures_in_window"); err != nil {
		t.Error(err)
	}
	notes := strings.Join(checks.Notes(), "\n")
	for _, want := range []string{"format: B: incident/postmortem:", "format: C: incident/component:", "format: C: incident/one-team:"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
	if strings.Contains(notes, "format: A:") || strings.Contains(notes, "format: D:") {
		t.Errorf("notes name a passing or unchecked incident:\n%s", notes)
	}
}
