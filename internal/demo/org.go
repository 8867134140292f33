package demo

import (
	"fmt"
	"math/rand/v2"
)

// team is one team of the fictional organisation. display is the name people
// type in spreadsheets; a few rows use it so the demo shows the catalog
// mapping it back to the canonical name.
type team struct {
	name    string
	members int
	display string
	space   string // Confluence space key
	people  []string
}

// service is one service and its owning team.
type service struct {
	name    string
	team    string
	display string
	// weight is how often the service has incidents, relative to the others.
	weight int
}

// org is the fictional organisation every table is generated for.
type org struct {
	teams    []*team
	services []service
}

func (o *org) team(name string) *team {
	for _, t := range o.teams {
		if t.name == name {
			return t
		}
	}
	panic("demo: no team " + name) // only reachable through a typo in this package
}

func (o *org) service(name string) service {
	for _, s := range o.services {
		if s.name == name {
			return s
		}
	}
	panic("demo: no service " + name) // only reachable through a typo in this package
}

// productTeams are the teams the SRE team serves (every team but sre).
func (o *org) productTeams() []*team {
	var out []*team
	for _, t := range o.teams {
		if t.name != "sre" {
			out = append(out, t)
		}
	}
	return out
}

var firstNames = []string{
	"Amara", "Bastian", "Celeste", "Dario", "Elif", "Fintan", "Greta", "Hiro", "Ines", "Jasper",
	"Kalinda", "Leandro", "Maelis", "Nikolai", "Odile", "Pavel", "Quinn", "Rosalind", "Soren", "Tamsin",
	"Umberto", "Valka", "Wendell", "Xiomara", "Yannick", "Zofia", "Anselm", "Brielle", "Cormac", "Delphine",
}

var lastNames = []string{
	"Ashgrove", "Brackwater", "Caldermoor", "Dunmere", "Elderfield", "Fenwright", "Glasswell", "Hollowmere",
	"Ivorstone", "Juniperhill", "Kettleby", "Larkspur", "Marrowfield", "Nettlecombe", "Oakenshaw", "Pennyworth",
	"Quillfeather", "Ravensworth", "Silverbirch", "Thistledown", "Underhill", "Vantwood", "Whitlock", "Yarrowby",
}

// newOrg builds the organisation: 8 teams, 12 services and fictional people,
// the same every time.
func newOrg() *org {
	o := &org{
		teams: []*team{
			{name: "payments", members: 9, display: "Payments Engineering", space: "PAY"},
			{name: "checkout", members: 7, display: "Checkout Team", space: "CHK"},
			{name: "search", members: 6, display: "Search & Discovery", space: "SRCH"},
			{name: "identity", members: 6, display: "Identity & Access", space: "IAM"},
			{name: "platform", members: 10, display: "Platform Engineering", space: "PLAT"},
			{name: "data", members: 8, display: "Data Engineering", space: "DATA"},
			{name: "mobile", members: 7, display: "Mobile Apps", space: "MOB"},
			{name: "sre", members: 5, display: "Site Reliability", space: "SRE"},
		},
		services: []service{
			{"payments-api", "payments", "Payments API", 14},
			{"billing-worker", "payments", "Billing Worker", 6},
			{"checkout-api", "checkout", "Checkout API", 14},
			{"cart-service", "checkout", "Cart Service", 7},
			{"search-api", "search", "Search API", 10},
			{"search-indexer", "search", "Search Indexer", 6},
			{"auth-service", "identity", "Auth Service", 9},
			{"api-gateway", "platform", "API Gateway", 11},
			{"ci-runners", "platform", "CI Runners", 5},
			{"data-pipeline", "data", "Data Pipeline", 9},
			{"mobile-bff", "mobile", "Mobile BFF", 7},
			{"observability-stack", "sre", "Observability Stack", 4},
		},
	}
	// Every first/last name pairing is fictional; a fixed shuffle of all of
	// them hands out distinct names in team order.
	r := newRand("people")
	pairs := make([]string, 0, len(firstNames)*len(lastNames))
	for _, f := range firstNames {
		for _, l := range lastNames {
			pairs = append(pairs, fmt.Sprintf("%s %s", f, l))
		}
	}
	r.Shuffle(len(pairs), func(i, j int) { pairs[i], pairs[j] = pairs[j], pairs[i] })
	next := 0
	for _, t := range o.teams {
		t.people = pairs[next : next+t.members]
		next += t.members
	}
	return o
}

// pick returns a random element of items.
func pick[T any](r *rand.Rand, items []T) T { return items[r.IntN(len(items))] }
