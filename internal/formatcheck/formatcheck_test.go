package formatcheck

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sre-value/sre-value-exporter/internal/compliance"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
)

var now = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

func failing(rules ...string) compliance.Result {
	r := compliance.Result{Template: "postmortem"}
	for _, rule := range rules {
		r.Findings = append(r.Findings, compliance.Finding{Template: "postmortem", Rule: rule, Key: "OPS-" + rule, Message: "missing", Fix: "add it"})
	}
	return r
}

func TestResultsAreCountedByCreationInEachWindow(t *testing.T) {
	r := New(now, "jira")
	day := 24 * time.Hour
	r.Add(now.Add(-1*day), []compliance.Result{{Template: "postmortem"}})                         // passes, in every window
	r.Add(now.Add(-10*day), []compliance.Result{failing("root-cause", "root-cause", "timeline")}) // one document, two rules
	r.Add(now.Add(-40*day), []compliance.Result{failing("timeline")})
	r.Add(now.Add(-100*day), []compliance.Result{failing("timeline")}) // outside every window, still failing now
	r.Add(now, nil)                                                    // no template applies: not counted
	b := snapshot.NewBuilder()
	r.Emit(b)
	s, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	want := `
# HELP sre_format_documents_checked_in_window Documents created in the window that a format template applies to, by source and template; divide sre_format_documents_passing_in_window by it for the compliance rate.
# TYPE sre_format_documents_checked_in_window gauge
sre_format_documents_checked_in_window{source="jira",template="postmortem",window="30d"} 2
sre_format_documents_checked_in_window{source="jira",template="postmortem",window="7d"} 1
sre_format_documents_checked_in_window{source="jira",template="postmortem",window="90d"} 3
# HELP sre_format_documents_failing Documents checked at the last refresh that break at least one rule of the template now; the landing page lists them with where to fix them.
# TYPE sre_format_documents_failing gauge
sre_format_documents_failing{source="jira",template="postmortem"} 3
# HELP sre_format_documents_passing_in_window Documents created in the window that pass every rule of the template, as checked now.
# TYPE sre_format_documents_passing_in_window gauge
sre_format_documents_passing_in_window{source="jira",template="postmortem",window="30d"} 1
sre_format_documents_passing_in_window{source="jira",template="postmortem",window="7d"} 1
sre_format_documents_passing_in_window{source="jira",template="postmortem",window="90d"} 1
# HELP sre_format_rule_failures_in_window Documents created in the window that break the rule, by source, template and rule; the rules that fail most.
# TYPE sre_format_rule_failures_in_window gauge
sre_format_rule_failures_in_window{rule="root-cause",source="jira",template="postmortem",window="30d"} 1
sre_format_rule_failures_in_window{rule="root-cause",source="jira",template="postmortem",window="7d"} 0
sre_format_rule_failures_in_window{rule="root-cause",source="jira",template="postmortem",window="90d"} 1
sre_format_rule_failures_in_window{rule="timeline",source="jira",template="postmortem",window="30d"} 1
sre_format_rule_failures_in_window{rule="timeline",source="jira",template="postmortem",window="7d"} 0
sre_format_rule_failures_in_window{rule="timeline",source="jira",template="postmortem",window="90d"} 2
`
	if err := testutil.GatherAndCompare(s, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}

func TestNotesListTheNewestFindingsFirstAndSayHowManyMore(t *testing.T) {
	r := New(now, "jira")
	for i := range MaxNotes + 5 {
		r.Add(now.Add(-time.Duration(i)*time.Hour), []compliance.Result{{Template: "incident", Findings: []compliance.Finding{{Template: "incident", Rule: "one-team", Key: "OPS-" + string(rune('A'+i)), Message: "has 2 teams", Fix: "keep one"}}}})
	}
	notes := r.Notes()
	if len(notes) != MaxNotes+1 {
		t.Fatalf("%d notes, want %d plus a count", len(notes), MaxNotes)
	}
	if notes[0] != "format: OPS-A: incident/one-team: has 2 teams (fix: keep one)" {
		t.Errorf("first note = %q", notes[0])
	}
	if notes[MaxNotes] != "... and 5 more format findings (see sre_format_rule_failures_in_window)" {
		t.Errorf("last note = %q", notes[MaxNotes])
	}
}

func TestDocumentsWithUncheckedRulesAreCheckedAndMayFailButNeverPass(t *testing.T) {
	r := New(now, "confluence")
	day := 24 * time.Hour
	unchecked := []string{"sections", "links"}
	stale := compliance.Result{Template: "playbook-page", Unchecked: unchecked, Findings: []compliance.Finding{{Template: "playbook-page", Rule: "fresh", Title: "On-call handbook", Message: "old", Fix: "review it"}}}
	r.Add(now.Add(-2*day), []compliance.Result{stale})
	r.Add(now.Add(-3*day), []compliance.Result{{Template: "playbook-page", Unchecked: unchecked}}) // nothing judged fails: unknown
	r.Add(now.Add(-4*day), []compliance.Result{{Template: "postmortem", Unchecked: []string{"sections"}}})
	b := snapshot.NewBuilder()
	r.Emit(b)
	s, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	want := `
# HELP sre_format_documents_checked_in_window Documents created in the window that a format template applies to, by source and template; divide sre_format_documents_passing_in_window by it for the compliance rate.
# TYPE sre_format_documents_checked_in_window gauge
sre_format_documents_checked_in_window{source="confluence",template="playbook-page",window="30d"} 2
sre_format_documents_checked_in_window{source="confluence",template="playbook-page",window="7d"} 2
sre_format_documents_checked_in_window{source="confluence",template="playbook-page",window="90d"} 2
sre_format_documents_checked_in_window{source="confluence",template="postmortem",window="30d"} 1
sre_format_documents_checked_in_window{source="confluence",template="postmortem",window="7d"} 1
sre_format_documents_checked_in_window{source="confluence",template="postmortem",window="90d"} 1
# HELP sre_format_documents_failing Documents checked at the last refresh that break at least one rule of the template now; the landing page lists them with where to fix them.
# TYPE sre_format_documents_failing gauge
sre_format_documents_failing{source="confluence",template="playbook-page"} 1
sre_format_documents_failing{source="confluence",template="postmortem"} 0
# HELP sre_format_rule_failures_in_window Documents created in the window that break the rule, by source, template and rule; the rules that fail most.
# TYPE sre_format_rule_failures_in_window gauge
sre_format_rule_failures_in_window{rule="fresh",source="confluence",template="playbook-page",window="30d"} 1
sre_format_rule_failures_in_window{rule="fresh",source="confluence",template="playbook-page",window="7d"} 1
sre_format_rule_failures_in_window{rule="fresh",source="confluence",template="playbook-page",window="90d"} 1
`
	if err := testutil.GatherAndCompare(s, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}
