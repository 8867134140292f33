// Package scorecard computes the headline figures of the landing page from
// the published snapshot: the numbers a team shows first (incidents,
// MTTR/MTTA, training, champions, office hours, newsletter, Slack, wiki,
// savings), per team, each window's change against the period before it.
// It reads families by their catalog declaration, so every figure is what
// /metrics says, and it needs no Prometheus.
package scorecard

import (
	"maps"
	"slices"

	dto "github.com/prometheus/client_model/go"

	"github.com/sre-value/sre-value-exporter/internal/config"
	"github.com/sre-value/sre-value-exporter/internal/metrics"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
	"github.com/sre-value/sre-value-exporter/internal/window"
)

// Options shape the figures.
type Options struct {
	// OfficeHoursKind is the events-table kind of office hours
	// (alerting.engagement.office_hours_kind; "office_hours" when empty).
	OfficeHoursKind string
	// Targets shown beside a figure; 0 shows none.
	TrainingCompletionTarget float64
	ChampionCoverageTarget   float64
	// Currency names the savings table's money ("EUR"); empty shows the
	// money under a neutral label.
	Currency string
	// SLO are the families of the slo records table; the SLO row is shown
	// when both are set and the snapshot has attainment series.
	SLO SLOFamilies
}

// SLOFamilies are an SLO's attainment and objective, both ratios with the
// labels service and slo (and optionally window).
type SLOFamilies struct {
	Attainment, Objective *metrics.Family
}

// Direction says which way a change is good news.
type Direction int

// Directions of a figure.
const (
	HigherIsBetter Direction = iota
	LowerIsBetter
)

// Board is every team's scorecard computed from one snapshot.
type Board struct {
	// Teams are the catalog's teams (and any other team a figure names),
	// sorted.
	Teams []string
	// Windows are the look-back windows, shortest first.
	Windows []string
	// Currency is the money's currency, empty when unknown.
	Currency string
	// Previous is false when no previous periods were published, so no
	// change can be shown.
	Previous bool

	byTeam map[string]*Scorecard
}

// AllTeams is the team name of the organisation-wide scorecard.
const AllTeams = ""

// Team returns the scorecard of team (AllTeams for the whole organisation).
func (b *Board) Team(team string) (*Scorecard, bool) {
	s, ok := b.byTeam[team]
	return s, ok
}

// Scorecard is one team's figures.
type Scorecard struct {
	Team string // AllTeams for the organisation
	Rows []Row
}

// Row is one figure: either a point-in-time value (Now) or one value per
// window.
type Row struct {
	ID    string // stable, for links and tests
	Label string
	// Note qualifies the figure (its scope or its source).
	Note    string
	Better  Direction
	Now     *Cell
	Windows []Cell
}

// Cell is a figure's value.
type Cell struct {
	Value float64
	// Known is false when the figure is undefined (a mean of nothing).
	Known  bool
	Text   string
	Detail string  // the counts behind a ratio or mean
	Change *Change // nil when the figure has no previous period
}

// Change is a windowed figure against the period just before the window.
type Change struct {
	Previous      float64
	PreviousKnown bool
	Text          string
	// Class is "better", "worse" or "same", for the page's colours.
	Class string
}

// Compute builds every team's scorecard from the current snapshot and the
// previous periods (nil: no change is shown).
func Compute(current, previous *snapshot.Snapshot, opts Options) *Board {
	if opts.OfficeHoursKind == "" {
		opts.OfficeHoursKind = "office_hours"
	}
	cur := index(current)
	var prev *figures
	if previous != nil {
		prev = index(previous)
		// The previous periods hold only windowed figures; a channel's or
		// a service's team is the one it has now, as for the current ones.
		prev.channelTeam, prev.serviceTeam = cur.channelTeam, cur.serviceTeam
	}
	b := &Board{Currency: opts.Currency, Previous: previous != nil, byTeam: map[string]*Scorecard{}}
	for _, w := range window.All {
		b.Windows = append(b.Windows, w.Label)
	}
	teams := cur.teams()
	b.Teams = teams
	for _, team := range append([]string{AllTeams}, teams...) {
		b.byTeam[team] = &Scorecard{Team: team, Rows: rows(cur, prev, team, opts)}
	}
	return b
}

// figures indexes a snapshot's families by name.
type figures struct {
	byName map[string]*dto.MetricFamily
	// channelTeam maps a Slack channel (per collector) to its catalog team.
	channelTeam map[[2]string]string
	// serviceTeam maps a service to its owning team (sre_service_info).
	serviceTeam map[string]string
}

func index(s *snapshot.Snapshot) *figures {
	f := &figures{byName: map[string]*dto.MetricFamily{}, channelTeam: map[[2]string]string{}, serviceTeam: map[string]string{}}
	for _, fam := range s.Families() {
		f.byName[fam.GetName()] = fam
	}
	for _, m := range f.metricsOf(metrics.SlackChannelMembers) {
		f.channelTeam[[2]string{label(m, metrics.CollectorLabel), label(m, "channel")}] = label(m, "team")
	}
	for _, m := range f.metricsOf(metrics.ServiceInfo) {
		f.serviceTeam[label(m, "service")] = label(m, "team")
	}
	return f
}

func (f *figures) metricsOf(fam *metrics.Family) []*dto.Metric {
	if f == nil || fam == nil {
		return nil
	}
	return f.byName[fam.Name].GetMetric()
}

// teams are the catalog's teams and every team a team-labelled figure of
// the scorecard names, except "all" (organisation-wide events) and
// "unknown" (no team).
func (f *figures) teams() []string {
	seen := map[string]bool{}
	for _, m := range f.metricsOf(metrics.TeamInfo) {
		seen[label(m, "team")] = true
	}
	for _, fam := range []*metrics.Family{
		metrics.IncidentsOpen, metrics.IncidentsOpenedInWindow, metrics.TrainingEnrollments,
		metrics.ChampionsActive, metrics.SavingsTimeInWindow, metrics.SavingsMoneyInWindow,
	} {
		for _, m := range f.metricsOf(fam) {
			seen[label(m, "team")] = true
		}
	}
	delete(seen, "all")
	delete(seen, "unknown")
	delete(seen, "")
	return slices.Sorted(maps.Keys(seen))
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// perWindow is a sum per window label.
type perWindow map[string]float64

// match selects the series of a figure.
type match func(*dto.Metric) bool

func ofTeam(team string) match {
	return func(m *dto.Metric) bool { return team == AllTeams || label(m, "team") == team }
}

func (p match) and(q match) match {
	return func(m *dto.Metric) bool { return p(m) && q(m) }
}

func labelIs(name, value string) match {
	return func(m *dto.Metric) bool { return label(m, name) == value }
}

func labelIsNot(name, value string) match {
	return func(m *dto.Metric) bool { return label(m, name) != value }
}

// sum adds the gauge or counter values of the matching series.
func (f *figures) sum(fam *metrics.Family, keep match) float64 {
	var total float64
	for _, m := range f.metricsOf(fam) {
		if keep(m) {
			total += value(m)
		}
	}
	return total
}

// windowed adds the matching series per window.
func (f *figures) windowed(fam *metrics.Family, keep match) perWindow {
	out := perWindow{}
	for _, m := range f.metricsOf(fam) {
		if keep(m) {
			out[label(m, metrics.WindowLabel)] += value(m)
		}
	}
	return out
}

// histogram adds the matching histograms' sums and counts per window.
func (f *figures) histogram(fam *metrics.Family, keep match) (sum, count perWindow) {
	sum, count = perWindow{}, perWindow{}
	for _, m := range f.metricsOf(fam) {
		if keep(m) {
			w := label(m, metrics.WindowLabel)
			sum[w] += m.GetHistogram().GetSampleSum()
			count[w] += float64(m.GetHistogram().GetSampleCount())
		}
	}
	return sum, count
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	}
	return 0
}

// OptionsFrom takes the scorecard's options from a configuration: the
// office-hours kind and the targets of the generated alerts.
func OptionsFrom(cfg *config.Config) Options {
	if cfg == nil {
		return Options{}
	}
	opts := Options{
		OfficeHoursKind:          cfg.Alerting.Engagement.OfficeHoursKind,
		TrainingCompletionTarget: float64(cfg.Alerting.TrainingCompletionTarget),
		ChampionCoverageTarget:   float64(cfg.Alerting.ChampionCoverageTarget),
		// SLOs measured elsewhere, as the records collector's slo table
		// reports them; SLOs measured by Prometheus rules need Prometheus.
		SLO: SLOFamilies{Attainment: metrics.SLORecordAttainment, Objective: metrics.SLORecordObjective},
	}
	// The value section's currency is also the savings table's.
	if cfg.Value != nil {
		opts.Currency = cfg.Value.Currency
	}
	return opts
}
