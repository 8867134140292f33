package records

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/catalog"
	"github.com/sre-value/sre-value-exporter/internal/metrics"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
	"github.com/sre-value/sre-value-exporter/internal/tabular"
	"github.com/sre-value/sre-value-exporter/internal/window"
)

// adoptionSchema: one row per practice a team (or one of its services) has
// or has not adopted. When a practice is listed more than once, the row with
// the latest date wins, then the later line, so a sheet can keep history.
type adoptionSchema struct{}

type adoptionRow struct {
	Team     string `json:"e"`
	Service  string `json:"v,omitempty"`
	Practice string `json:"p"`
	Adopted  bool   `json:"a,omitempty"`
	Date     int64  `json:"t,omitempty"`
	Line     int    `json:"l"`
}

func (adoptionSchema) columns() []tabular.Column {
	return []tabular.Column{
		{Name: "team"}, {Name: "service", Optional: true}, {Name: "practice"},
		{Name: "adopted"}, {Name: "date", Optional: true},
	}
}

func (adoptionSchema) parse(r tabular.Record) (any, []string, error) {
	team, err := r.Required("team")
	if err != nil {
		return nil, nil, err
	}
	practice, err := slugCell(r, "practice")
	if err != nil {
		return nil, nil, err
	}
	adopted, err := r.Bool("adopted")
	if err != nil {
		return nil, nil, err
	}
	date, err := r.Date("date")
	if err != nil {
		return nil, nil, err
	}
	row := adoptionRow{Team: team, Service: r.Text("service"), Practice: practice, Adopted: adopted, Date: unix(date), Line: r.Line()}
	return row, []string{strings.ToLower(text(team)), strings.ToLower(text(row.Service)), practice}, nil
}

func (adoptionSchema) count(*tallies, string, any) {}
func (adoptionSchema) counters() []*metrics.Family { return nil }
func (adoptionSchema) aggregateKey() string        { return "adoption" }

func (adoptionSchema) newAggregator(now time.Time, cat *catalog.Catalog) aggregator {
	return &adoptionAggregator{now: now, catalog: cat, latest: map[string]adoptionRow{}, labels: map[string][]string{}}
}

type adoptionAggregator struct {
	now     time.Time
	catalog *catalog.Catalog
	latest  map[string]adoptionRow // team, service, practice -> the row that wins
	labels  map[string][]string
}

func (a *adoptionAggregator) add(data []byte) error {
	var r adoptionRow
	if err := json.Unmarshal(data, &r); err != nil {
		return err
	}
	labels := []string{"team", teamLabel(a.catalog, r.Team), "service", serviceLabel(a.catalog, r.Service), "practice", r.Practice}
	key := strings.Join(labels, "\xff")
	prev, ok := a.latest[key]
	if !ok || r.Date > prev.Date || (r.Date == prev.Date && r.Line > prev.Line) {
		a.latest[key] = r
		a.labels[key] = labels
	}
	return nil
}

func (a *adoptionAggregator) emit(b *snapshot.Builder) {
	adoptions := window.NewSum(a.now, metrics.PracticeAdoptionsInWindow)
	for _, key := range sortedKeys(a.latest) {
		r, labels := a.latest[key], a.labels[key]
		b.Gauge(metrics.PracticeAdopted, boolValue(r.Adopted), labels...)
		team, practice := labels[1], labels[5]
		adoptions.Touch("team", team, "practice", practice)
		if r.Adopted && r.Date != 0 {
			b.Gauge(metrics.PracticeAdoptedAt, float64(r.Date), labels...)
			adoptions.Add(fromUnix(r.Date), 1, "team", team, "practice", practice)
		}
	}
	adoptions.Emit(b)
}
