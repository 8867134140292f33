package records

import (
	"encoding/json"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/catalog"
	"github.com/sre-value/sre-value-exporter/internal/metrics"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
	"github.com/sre-value/sre-value-exporter/internal/tabular"
)

// championsSchema: one row per reliability champion's term in a team.
type championsSchema struct{}

type championRow struct {
	Team     string `json:"e"`
	Champion string `json:"p"` // personKey
	Since    int64  `json:"s"`
	Until    int64  `json:"u,omitempty"`
}

func (championsSchema) columns() []tabular.Column {
	return []tabular.Column{{Name: "team"}, {Name: "champion"}, {Name: "since"}, {Name: "until", Optional: true}}
}

func (championsSchema) parse(r tabular.Record) (any, []string, error) {
	team, err := r.Required("team")
	if err != nil {
		return nil, nil, err
	}
	champion, err := r.Required("champion")
	if err != nil {
		return nil, nil, err
	}
	since, err := r.Date("since")
	if err != nil {
		return nil, nil, err
	}
	until, err := r.Date("until")
	if err != nil {
		return nil, nil, err
	}
	if !until.IsZero() && until.Before(since) {
		return nil, nil, r.Errorf("until", "%s is before since %s", r.Text("until"), r.Text("since"))
	}
	row := championRow{Team: team, Champion: personKey(champion), Since: unix(since), Until: unix(until)}
	return row, []string{text(team), row.Champion, day(since)}, nil
}

func (championsSchema) count(*tallies, string, any) {}
func (championsSchema) counters() []*metrics.Family { return nil }
func (championsSchema) aggregateKey() string        { return "champions" }

func (championsSchema) newAggregator(now time.Time, cat *catalog.Catalog) aggregator {
	a := &championsAggregator{now: now.Unix(), catalog: cat, active: map[string]map[string]bool{}}
	// Every catalog team is exported, at 0 without a champion, so coverage
	// and "teams without a champion" need no join with absent series.
	for _, team := range cat.TeamNames() {
		a.active[team] = map[string]bool{}
	}
	return a
}

type championsAggregator struct {
	now     int64
	catalog *catalog.Catalog
	active  map[string]map[string]bool // team -> active champions
}

func (a *championsAggregator) add(data []byte) error {
	var r championRow
	if err := json.Unmarshal(data, &r); err != nil {
		return err
	}
	team := teamLabel(a.catalog, r.Team)
	set, ok := a.active[team]
	if !ok {
		set = map[string]bool{}
		a.active[team] = set
	}
	// Active on the day: started, and not yet ended (until is exclusive).
	if r.Since <= a.now && (r.Until == 0 || r.Until > a.now) {
		set[r.Champion] = true
	}
	return nil
}

func (a *championsAggregator) emit(b *snapshot.Builder) {
	for _, team := range sortedKeys(a.active) {
		b.Gauge(metrics.ChampionsActive, float64(len(a.active[team])), "team", team)
	}
}
