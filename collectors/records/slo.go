package records

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/sre-value/sre-value-exporter/internal/catalog"
	"github.com/sre-value/sre-value-exporter/internal/config"
	"github.com/sre-value/sre-value-exporter/internal/metrics"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
	"github.com/sre-value/sre-value-exporter/internal/tabular"
	"github.com/sre-value/sre-value-exporter/internal/window"
)

// sloSchema: one row per reported period of an SLO that is measured
// elsewhere (SumoLogic, Datadog, a spreadsheet): the period's end, the
// objective and what was attained. The generated rules put these SLOs
// next to the rule-measured ones (slo:period_attainment:ratio with
// origin="records").
type sloSchema struct{}

type sloRow struct {
	Date      int64   `json:"t"` // end of the period
	Service   string  `json:"v"`
	SLO       string  `json:"s"`
	Objective float64 `json:"o"` // percent
	Attained  float64 `json:"a"` // percent
	Period    int64   `json:"p"` // seconds
	Source    string  `json:"r,omitempty"`
}

func (sloSchema) columns() []tabular.Column {
	return []tabular.Column{
		{Name: "date"}, {Name: "service"}, {Name: "slo"}, {Name: "objective"},
		{Name: "attained"}, {Name: "period"}, {Name: "source", Optional: true},
	}
}

func (sloSchema) parse(r tabular.Record) (any, []string, error) {
	date, err := r.Date("date")
	if err != nil {
		return nil, nil, err
	}
	service, err := r.Required("service")
	if err != nil {
		return nil, nil, err
	}
	name, err := r.Required("slo")
	if err != nil {
		return nil, nil, err
	}
	objective, err := percentCell(r, "objective")
	if err != nil {
		return nil, nil, err
	}
	if err := config.CheckObjective(objective, tabular.Quote(r.Text("objective"))); err != nil {
		return nil, nil, r.Errorf("objective", "%v", err)
	}
	attained, err := percentCell(r, "attained")
	if err != nil {
		return nil, nil, err
	}
	switch {
	case attained > 0 && attained < 1:
		return nil, nil, r.Errorf("attained", "%s looks like a share; write what was attained as a percentage, such as 99.93", tabular.Quote(r.Text("attained")))
	case attained > 100:
		return nil, nil, r.Errorf("attained", "%s is more than 100 percent", tabular.Quote(r.Text("attained")))
	}
	period, err := r.Required("period")
	if err != nil {
		return nil, nil, err
	}
	d, err := model.ParseDuration(period)
	if err != nil || d <= 0 {
		return nil, nil, r.Errorf("period", "%s is not a duration such as 30d, 4w or 7d", tabular.Quote(period))
	}
	source := ""
	if r.Has("source") {
		if source, err = slugCell(r, "source"); err != nil {
			return nil, nil, err
		}
	}
	row := sloRow{
		Date: unix(date), Service: service, SLO: catalog.Slug(name),
		Objective: objective, Attained: attained, Period: int64(time.Duration(d) / time.Second), Source: source,
	}
	return row, []string{day(date), strings.ToLower(text(service)), row.SLO}, nil
}

// percentCell reads a percentage, with or without a trailing "%".
func percentCell(r tabular.Record, column string) (float64, error) {
	v, err := r.Required(column)
	if err != nil {
		return 0, err
	}
	f, err := tabular.ParseNumber(strings.TrimSpace(strings.TrimSuffix(v, "%")))
	if err != nil {
		return 0, r.Errorf(column, "%s is not a percentage such as 99.9", tabular.Quote(v))
	}
	return f, nil
}

func (sloSchema) count(*tallies, string, any) {}
func (sloSchema) counters() []*metrics.Family { return nil }
func (sloSchema) aggregateKey() string        { return "slo" }

func (sloSchema) newAggregator(now time.Time, cat *catalog.Catalog) aggregator {
	return &sloAggregator{
		now:     now,
		catalog: cat,
		periods: window.NewSum(now, metrics.SLORecordPeriodsInWindow),
		met:     window.NewSum(now, metrics.SLORecordPeriodsMetInWindow),
		latest:  map[string]sloRow{},
	}
}

type sloAggregator struct {
	now          time.Time
	catalog      *catalog.Catalog
	periods, met *window.Sum
	latest       map[string]sloRow // service, slo -> latest period so far (Service mapped)
}

func (a *sloAggregator) add(data []byte) error {
	var r sloRow
	if err := json.Unmarshal(data, &r); err != nil {
		return err
	}
	r.Service = serviceLabel(a.catalog, r.Service)
	end := fromUnix(r.Date)
	labels := []string{"service", r.Service, "slo", r.SLO}
	a.periods.Add(end, 1, labels...)
	met := 0.0
	if r.Attained >= r.Objective {
		met = 1
	}
	a.met.Add(end, met, labels...)
	if end.After(a.now) {
		return nil // a period that has not ended yet as of now
	}
	key := r.Service + "\xff" + r.SLO
	prev, ok := a.latest[key]
	// Two reports of one period (one per source, or a correction kept
	// next to the original) are told apart by the lower attainment, so
	// the outcome does not depend on the order rows are stored in.
	if !ok || r.Date > prev.Date || (r.Date == prev.Date && lessSLORow(r, prev)) {
		a.latest[key] = r
	}
	return nil
}

// lessSLORow orders two reports of one period end: the lower attainment,
// then the higher objective, shorter period and source name first.
func lessSLORow(a, b sloRow) bool {
	switch {
	case a.Attained != b.Attained:
		return a.Attained < b.Attained
	case a.Objective != b.Objective:
		return a.Objective > b.Objective
	case a.Period != b.Period:
		return a.Period < b.Period
	}
	return a.Source < b.Source
}

func (a *sloAggregator) emit(b *snapshot.Builder) {
	a.periods.Emit(b)
	a.met.Emit(b)
	for _, key := range sortedKeys(a.latest) {
		r := a.latest[key]
		source := r.Source
		if source == "" {
			source = noService
		}
		labels := []string{"service", r.Service, "slo", r.SLO}
		b.Info(metrics.SLORecordInfo, "service", r.Service, "slo", r.SLO, "source", source)
		b.Gauge(metrics.SLORecordObjective, config.Share(r.Objective), labels...)
		b.Gauge(metrics.SLORecordAttainment, config.Share(r.Attained), labels...)
		b.Gauge(metrics.SLORecordPeriod, float64(r.Period), labels...)
		b.Gauge(metrics.SLORecordPeriodEnd, float64(r.Date), labels...)
	}
}
