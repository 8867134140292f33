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

// savingsSchema: one row per saving an initiative made for a team on a date
// (hours of toil automated away, money saved on infrastructure).
type savingsSchema struct{}

type savingRow struct {
	Date       int64   `json:"t"`
	Initiative string  `json:"i"` // lower case, for counting distinct initiatives
	Team       string  `json:"e"`
	Category   string  `json:"c"`
	Hours      float64 `json:"h,omitempty"`
	Money      float64 `json:"m,omitempty"`
}

func (savingsSchema) columns() []tabular.Column {
	return []tabular.Column{
		{Name: "date"}, {Name: "initiative"}, {Name: "team"}, {Name: "category"},
		{Name: "hours_saved", Optional: true}, {Name: "money_saved", Optional: true},
	}
}

func (savingsSchema) parse(r tabular.Record) (any, []string, error) {
	date, err := r.Date("date")
	if err != nil {
		return nil, nil, err
	}
	initiative, err := r.Required("initiative")
	if err != nil {
		return nil, nil, err
	}
	team, err := r.Required("team")
	if err != nil {
		return nil, nil, err
	}
	category, err := slugCell(r, "category")
	if err != nil {
		return nil, nil, err
	}
	if !r.Has("hours_saved") && !r.Has("money_saved") {
		return nil, nil, r.Errorf("", "hours_saved and money_saved are both empty; give at least one")
	}
	hours, err := r.Number("hours_saved")
	if err != nil {
		return nil, nil, err
	}
	money, err := r.Number("money_saved")
	if err != nil {
		return nil, nil, err
	}
	row := savingRow{Date: unix(date), Initiative: strings.ToLower(text(initiative)), Team: team, Category: category, Hours: hours, Money: money}
	return row, []string{day(date), row.Initiative, strings.ToLower(text(team)), category}, nil
}

var savingsCounters = []*metrics.Family{
	metrics.SavingsTime,
	metrics.SavingsMoney,
}

func (savingsSchema) count(c *tallies, id string, row any) {
	r := row.(savingRow)
	labels := []string{"team", teamLabel(c.catalog, r.Team), "category", r.Category}
	c.Observe(savingsCounters[0], id, r.Hours*3600, labels...)
	c.Observe(savingsCounters[1], id, r.Money, labels...)
}

func (savingsSchema) counters() []*metrics.Family { return savingsCounters }
func (savingsSchema) aggregateKey() string        { return "savings" }

func (savingsSchema) newAggregator(now time.Time, cat *catalog.Catalog) aggregator {
	return &savingsAggregator{
		catalog:       cat,
		time:          window.NewSum(now, metrics.SavingsTimeInWindow),
		money:         window.NewSum(now, metrics.SavingsMoneyInWindow),
		initiatives:   map[string]map[string]bool{},
		initiativesIn: window.NewDistinct(now, metrics.SavingsInitiativesInWindow),
		labels:        map[string][]string{},
	}
}

type savingsAggregator struct {
	catalog       *catalog.Catalog
	time, money   *window.Sum
	initiatives   map[string]map[string]bool // labels key -> initiatives
	labels        map[string][]string
	initiativesIn *window.Distinct
}

func (a *savingsAggregator) add(data []byte) error {
	var r savingRow
	if err := json.Unmarshal(data, &r); err != nil {
		return err
	}
	t := fromUnix(r.Date)
	labels := []string{"team", teamLabel(a.catalog, r.Team), "category", r.Category}
	a.time.Add(t, r.Hours*3600, labels...)
	a.money.Add(t, r.Money, labels...)
	a.initiativesIn.Add(t, r.Initiative, labels...)
	key := strings.Join(labels, "\xff")
	if _, ok := a.initiatives[key]; !ok {
		a.initiatives[key] = map[string]bool{}
		a.labels[key] = labels
	}
	a.initiatives[key][r.Initiative] = true
	return nil
}

func (a *savingsAggregator) emit(b *snapshot.Builder) {
	a.time.Emit(b)
	a.money.Emit(b)
	for _, key := range sortedKeys(a.initiatives) {
		b.Gauge(metrics.SavingsInitiatives, float64(len(a.initiatives[key])), a.labels[key]...)
	}
	a.initiativesIn.Emit(b)
}
