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

// surveysSchema: one row per response, or per round of a survey for a team
// where score is the mean of responses responses.
type surveysSchema struct{}

type surveyRow struct {
	Survey    string  `json:"s"`
	Date      int64   `json:"t"`
	Team      string  `json:"e,omitempty"` // "" = the whole organisation
	Score     float64 `json:"p"`
	Scale     float64 `json:"x"`
	Responses int64   `json:"n"`
}

// points is the sum of the responses' satisfaction ratios (score/scale).
func (r surveyRow) points() float64 { return r.Score / r.Scale * float64(r.Responses) }

func (surveysSchema) columns() []tabular.Column {
	return []tabular.Column{
		{Name: "survey"}, {Name: "date"}, {Name: "team", Optional: true},
		{Name: "score"}, {Name: "scale"}, {Name: "responses", Optional: true},
	}
}

func (surveysSchema) parse(r tabular.Record) (any, []string, error) {
	survey, err := slugCell(r, "survey")
	if err != nil {
		return nil, nil, err
	}
	date, err := r.Date("date")
	if err != nil {
		return nil, nil, err
	}
	score, err := r.Number("score")
	if err != nil {
		return nil, nil, err
	}
	scale, err := r.Number("scale")
	if err != nil {
		return nil, nil, err
	}
	if scale == 0 {
		return nil, nil, r.Errorf("scale", "must be more than 0 (the highest possible score)")
	}
	if score > scale {
		return nil, nil, r.Errorf("score", "%s is more than the scale's maximum %s", r.Text("score"), r.Text("scale"))
	}
	responses := int64(1)
	if r.Has("responses") {
		if responses, err = r.Int("responses"); err != nil {
			return nil, nil, err
		}
		if responses == 0 {
			return nil, nil, r.Errorf("responses", "must be at least 1 (leave it empty for a single response)")
		}
	}
	row := surveyRow{Survey: survey, Date: unix(date), Team: r.Text("team"), Score: score, Scale: scale, Responses: responses}
	return row, []string{survey, day(date), strings.ToLower(row.Team)}, nil
}

func (surveysSchema) count(*tallies, string, any) {}
func (surveysSchema) counters() []*metrics.Family { return nil }
func (surveysSchema) aggregateKey() string        { return "surveys" }

func (surveysSchema) newAggregator(now time.Time, cat *catalog.Catalog) aggregator {
	return &surveysAggregator{
		now:       now,
		catalog:   cat,
		responses: window.NewSum(now, metrics.SurveyResponsesInWindow),
		points:    window.NewSum(now, metrics.SurveyScorePointsInWindow),
		latest:    map[string]*surveyRound{},
	}
}

type surveysAggregator struct {
	now               time.Time
	catalog           *catalog.Catalog
	responses, points *window.Sum
	latest            map[string]*surveyRound // survey, team -> latest round so far
}

// surveyRound is one survey's rows for a team on one date.
type surveyRound struct {
	survey, team string
	date         int64
	responses    int64
	points       float64
}

func (a *surveysAggregator) add(data []byte) error {
	var r surveyRow
	if err := json.Unmarshal(data, &r); err != nil {
		return err
	}
	t := fromUnix(r.Date)
	team := teamLabel(a.catalog, r.Team)
	a.responses.Add(t, float64(r.Responses), "survey", r.Survey, "team", team)
	a.points.Add(t, r.points(), "survey", r.Survey, "team", team)
	if t.After(a.now) {
		return nil // a round dated in the future has not happened yet
	}
	key := r.Survey + "\xff" + team
	round, ok := a.latest[key]
	switch {
	case !ok || r.Date > round.date:
		a.latest[key] = &surveyRound{survey: r.Survey, team: team, date: r.Date, responses: r.Responses, points: r.points()}
	case r.Date == round.date:
		round.responses += r.Responses
		round.points += r.points()
	}
	return nil
}

func (a *surveysAggregator) emit(b *snapshot.Builder) {
	a.responses.Emit(b)
	a.points.Emit(b)
	for _, key := range sortedKeys(a.latest) {
		r := a.latest[key]
		labels := []string{"survey", r.survey, "team", r.team}
		b.Gauge(metrics.SurveyLatestSatisfactionRatio, r.points/float64(r.responses), labels...)
		b.Gauge(metrics.SurveyLatestResponses, float64(r.responses), labels...)
		b.Gauge(metrics.SurveyLatestRound, float64(r.date), labels...)
	}
}
