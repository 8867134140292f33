package compliance_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/compliance"
)

func TestCheckMetadataJudgesOnlyTheRulesTheMetadataAnswersAndNeverPassesTheOthers(t *testing.T) {
	set, err := compliance.Compile(nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	page := func(label string, updated time.Time) *compliance.Document {
		return &compliance.Document{Kind: compliance.Confluence, Source: "confluence", Title: "On-call handbook", Container: "SRE", Labels: []string{label}, Updated: updated}
	}
	tests := []struct {
		name          string
		doc           *compliance.Document
		wantFindings  []string // rule ids
		wantUnchecked []string
	}{
		{
			name:          "a playbook page edited 182 days ago breaks fresh and leaves the text rules unjudged",
			doc:           page("playbook", now.AddDate(0, 0, -182)),
			wantFindings:  []string{"fresh"},
			wantUnchecked: []string{"sections", "steps", "links"},
		},
		{
			name:          "a fresh playbook page breaks nothing judged and still does not pass",
			doc:           page("playbook", now.AddDate(0, 0, -10)),
			wantUnchecked: []string{"sections", "steps", "links"},
		},
		{
			name:          "a postmortem has only text rules, so none is judged",
			doc:           page("postmortem", now),
			wantUnchecked: []string{"sections", "order", "non-empty", "length"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			results := set.CheckMetadata(tt.doc, now)
			if len(results) != 1 {
				t.Fatalf("got %d results, want 1: %+v", len(results), results)
			}
			var rules []string
			for _, f := range results[0].Findings {
				rules = append(rules, f.Rule)
			}
			if !reflect.DeepEqual(rules, tt.wantFindings) || !reflect.DeepEqual(results[0].Unchecked, tt.wantUnchecked) {
				t.Errorf("findings %v, unchecked %v; want %v, %v", rules, results[0].Unchecked, tt.wantFindings, tt.wantUnchecked)
			}
			if results[0].Passed() {
				t.Error("a result with unchecked rules passed")
			}
		})
	}
}

func TestCheckMetadataJudgesEveryRuleOfAMetadataOnlyTemplate(t *testing.T) {
	set, err := compliance.Compile([]compliance.TemplateSpec{{
		Name:      "labelled",
		AppliesTo: &compliance.AppliesTo{Confluence: &compliance.ConfluenceScope{Spaces: []string{"SRE"}}},
		Rules: []compliance.RuleSpec{
			{ID: "owner", Kind: compliance.RequiredLabels, Labels: []string{"team-.+"}},
			{ID: "title", Kind: compliance.TitlePattern, Pattern: "^[A-Z]"},
		},
	}})
	if err != nil {
		t.Fatal(err)
	}
	doc := &compliance.Document{Kind: compliance.Confluence, Title: "Runbook", Container: "SRE", Labels: []string{"team-sre"}}
	results := set.CheckMetadata(doc, time.Now())
	if len(results) != 1 || !results[0].Passed() || len(results[0].Unchecked) != 0 {
		t.Errorf("got %+v, want one passing result with every rule judged", results)
	}
}
