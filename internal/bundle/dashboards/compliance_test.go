package dashboards

import (
	"testing"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/compliance"
	"github.com/sre-value/sre-value-exporter/internal/compliance/dashboard"
)

// notMet are the team-dashboard rules these dashboards deliberately break,
// with why (docs/dashboards.md says the same). None: every dashboard has
// an SLO row.
var notMet = map[string]string{}

func TestDashboardsFollowTheTeamDashboardTemplate(t *testing.T) {
	set, err := compliance.Compile(compliance.Builtins())
	if err != nil {
		t.Fatal(err)
	}
	tmpl, ok := set.Template("team-dashboard")
	if !ok {
		t.Fatal("no built-in team-dashboard template")
	}
	out := generated(t)
	for _, name := range sortedNames(out) {
		doc, err := dashboard.Parse(out[name], dashboard.Meta{Path: "dashboards/" + name})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !tmpl.Applies(doc, time.Now()) {
			t.Errorf("%s: the team-dashboard template does not apply to it", name)
		}
		for _, f := range tmpl.Check(doc, time.Now()) {
			if why, ok := notMet[f.Rule]; ok {
				t.Logf("%s: %s (deliberate: %s)", name, f, why)
				continue
			}
			t.Errorf("%s: %s", name, f)
		}
	}
}
