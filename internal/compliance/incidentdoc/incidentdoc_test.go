package incidentdoc

import (
	"testing"
	"time"
)

func TestIncidentsMapTheirFieldsStatusAndExtras(t *testing.T) {
	opened := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	doc := Document(Incident{
		Source: "github", Key: "org/repo#45", Severity: "sev2", Components: []string{"api", "db"}, Teams: []string{"core"},
		Opened: opened, Extra: map[string][]string{"customer_impact": {"yes"}, "empty": {""}},
	})
	checks := map[string][]string{
		"severity": {"sev2"}, "component": {"api", "db"}, "team": {"core"}, "postmortem": nil,
		"status": {"open"}, "customer_impact": {"yes"}, "empty": nil,
	}
	for field, want := range checks {
		got := doc.Field(field)
		if len(got) != len(want) {
			t.Errorf("%s = %v, want %v", field, got, want)
			continue
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%s = %v, want %v", field, got, want)
			}
		}
	}
	if doc.Source != "github" || doc.Key != "org/repo#45" || !doc.Created.Equal(opened) {
		t.Errorf("doc = %+v", doc)
	}
}
