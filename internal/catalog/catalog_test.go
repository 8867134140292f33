package catalog

import (
	"errors"
	"testing"
)

func TestLookupsMapEachSourcesNamesToOneCanonicalName(t *testing.T) {
	c := &Catalog{
		Teams: []Team{
			{Name: "payments", Aliases: []string{"Payments Engineering", "jira:PAY", "slack:#payments-eng"}},
			{Name: "checkout", Aliases: []string{"github:checkout-squad"}},
		},
		Services: []Service{{Name: "checkout-api", Team: "checkout", Aliases: []string{"Checkout API", "pagerduty:PXYZ123"}}},
	}
	if err := c.Compile(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, got, want string
	}{
		{"a canonical name matches in any case", c.Team("csv", " Payments "), "payments"},
		{"a plain alias matches from any source", c.Team("csv", "payments engineering"), "payments"},
		{"a source alias matches from its source", c.Team("jira", "PAY"), "payments"},
		{"a source alias does not match from another source", c.Team("github", "PAY"), Unknown},
		{"a GitHub alias matches the text after the team: label prefix", c.Team("github", "checkout-squad"), "checkout"},
		{"a Slack channel matches with or without #", c.Team("slack", "payments-eng"), "payments"},
		{"an unknown value becomes unknown, keeping cardinality bounded", c.Team("csv", "Marketing"), Unknown},
		{"an empty value is unknown", c.Team("csv", ""), Unknown},
		{"a service alias matches", c.Service("csv", "Checkout API"), "checkout-api"},
		{"a PagerDuty service id matches its alias", c.Service("pagerduty", "PXYZ123"), "checkout-api"},
		{"a service's owner comes from the catalog", c.Owner("checkout-api"), "checkout"},
		{"an unknown service has an unknown owner", c.Owner("nope"), Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

func TestAnEmptyCatalogPassesValuesThroughAsSlugs(t *testing.T) {
	c := &Catalog{}
	if err := c.Compile(); err != nil {
		t.Fatal(err)
	}
	if got := c.Team("slack", "#Payments Eng"); got != "payments-eng" {
		t.Errorf("Team = %q", got)
	}
	if got := Slug("  !!  "); got != Unknown {
		t.Errorf("Slug of punctuation = %q", got)
	}
}

func TestCompileRefusesTheReservedName(t *testing.T) {
	c := &Catalog{Teams: []Team{{Name: Unknown, Line: 3}}}
	err := c.Compile()
	if err == nil || err.Error() != `line 3: catalog.teams[0].name: "unknown" is reserved for values the catalog does not know` {
		t.Errorf("error = %v", err)
	}
}

func TestCompileReportsEveryMistake(t *testing.T) {
	c := &Catalog{
		Teams: []Team{{Name: "payments", Line: 3}, {Name: "payments", Line: 4}, {Name: "shop", Members: -1, Line: 5}},
		Services: []Service{
			{Name: "checkout", Team: "billing", Line: 7},
			{Name: "api", Aliases: []string{"jira:"}, Line: 8},
		},
	}
	err := c.Compile()
	want := `line 4: catalog.teams[1].name: team "payments" is listed twice
line 5: catalog.teams[2].members: must not be negative
line 7: catalog.services[0].team: team "billing" is not in catalog.teams
line 8: catalog.services[1].aliases[0]: alias "jira:" has no value after the source`
	if err == nil || err.Error() != want {
		t.Fatalf("error\n got: %v\nwant: %s", err, want)
	}
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Line != 4 {
		t.Errorf("errors.As finds %+v, want the first mistake", fe)
	}
}
