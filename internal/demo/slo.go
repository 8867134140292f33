package demo

import (
	"math"
	"strconv"
	"time"
)

// externalSLO is an SLO a product team measures outside Prometheus and
// reports per period in slo.csv. Its attainment moves from from to to (in
// percent) over the six months, with noise, so some periods are met and
// some missed.
type externalSLO struct {
	service, name string
	objective     float64
	period        string // 30d (calendar months), 4w or 1w
	source        string // "" when the sheet does not say
	from, to      float64
	noise         float64
}

// The story: payments' availability misses its 99.9% early on and recovers
// after the reliability work; checkout's latency is met but for a bad
// period or two; search reports weekly and wobbles around its objective;
// identity's login SLO stays met; the data pipeline's freshness, kept in a
// spreadsheet, slips below its objective towards the end.
var externalSLOs = []externalSLO{
	{"payments-api", "availability", 99.9, "30d", "sumologic", 99.82, 99.96, 0.02},
	{"checkout-api", "latency-p99-under-800ms", 99, "4w", "datadog", 99.2, 99.5, 0.3},
	{"search-api", "availability", 99.5, "1w", "datadog", 99.5, 99.6, 0.15},
	{"auth-service", "login-success", 99.95, "30d", "sumologic", 99.97, 99.99, 0.01},
	{"data-pipeline", "freshness-under-1h", 95, "1w", "", 97, 94, 0.8},
}

// periodEnds are the ends of the SLO's periods inside the demo: the last
// day of each calendar month for 30d, else every 28 or 7 days back from
// the last day.
func (s externalSLO) periodEnds(c clock) []time.Time {
	var out []time.Time
	switch s.period {
	case "30d":
		for m := time.Date(c.start.Year(), c.start.Month(), 1, 0, 0, 0, 0, time.UTC); ; m = m.AddDate(0, 1, 0) {
			end := m.AddDate(0, 1, -1)
			if end.After(c.lastDay) {
				break
			}
			if !end.Before(c.start.AddDate(0, 0, 27)) {
				out = append(out, end)
			}
		}
	default:
		step := 7
		if s.period == "4w" {
			step = 28
		}
		for d := c.lastDay; !d.Before(c.start.AddDate(0, 0, step-1)); d = d.AddDate(0, 0, -step) {
			out = append([]time.Time{d}, out...)
		}
	}
	return out
}

func sloTable(o *org, c clock) table {
	r := newRand("slo")
	tb := table{header: []string{"date", "service", "slo", "objective", "attained", "period", "source"}}
	for _, s := range externalSLOs {
		svc := o.service(s.service).name
		for _, end := range s.periodEnds(c) {
			p := c.progress(end)
			attained := s.from + (s.to-s.from)*p + s.noise*r.NormFloat64()
			attained = math.Min(100, math.Round(attained*100)/100)
			tb.rows = append(tb.rows, []string{
				date(end), svc, s.name, strconv.FormatFloat(s.objective, 'f', -1, 64),
				strconv.FormatFloat(attained, 'f', 2, 64), s.period, s.source,
			})
		}
	}
	return tb
}
