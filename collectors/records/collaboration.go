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

// collaborationSchema: one row per time the SRE team worked with a product
// team (an architecture review, pairing, joint planning).
type collaborationSchema struct{}

type collaborationRow struct {
	Date         int64  `json:"t"`
	Kind         string `json:"k"`
	Team         string `json:"e"`
	Participants int64  `json:"n,omitempty"`
}

func (collaborationSchema) columns() []tabular.Column {
	return []tabular.Column{{Name: "date"}, {Name: "kind"}, {Name: "team"}, {Name: "participants", Optional: true}}
}

func (collaborationSchema) parse(r tabular.Record) (any, []string, error) {
	date, err := r.Date("date")
	if err != nil {
		return nil, nil, err
	}
	kind, err := slugCell(r, "kind")
	if err != nil {
		return nil, nil, err
	}
	team, err := r.Required("team")
	if err != nil {
		return nil, nil, err
	}
	participants, err := r.Int("participants")
	if err != nil {
		return nil, nil, err
	}
	row := collaborationRow{Date: unix(date), Kind: kind, Team: team, Participants: participants}
	return row, []string{day(date), kind, strings.ToLower(text(team))}, nil
}

var collaborationCounters = []*metrics.Family{
	metrics.Collaborations,
	metrics.CollaborationParticipants,
}

func (collaborationSchema) count(c *tallies, id string, row any) {
	r := row.(collaborationRow)
	labels := []string{"kind", r.Kind, "team", teamLabel(c.catalog, r.Team)}
	c.Observe(collaborationCounters[0], id, 1, labels...)
	c.Observe(collaborationCounters[1], id, float64(r.Participants), labels...)
}

func (collaborationSchema) counters() []*metrics.Family { return collaborationCounters }
func (collaborationSchema) aggregateKey() string        { return "collaboration" }

func (collaborationSchema) newAggregator(now time.Time, cat *catalog.Catalog) aggregator {
	return &collaborationAggregator{
		catalog:        cat,
		collaborations: window.NewSum(now, metrics.CollaborationsInWindow),
		participants:   window.NewSum(now, metrics.CollaborationParticipantsInWindow),
	}
}

type collaborationAggregator struct {
	catalog                      *catalog.Catalog
	collaborations, participants *window.Sum
}

func (a *collaborationAggregator) add(data []byte) error {
	var r collaborationRow
	if err := json.Unmarshal(data, &r); err != nil {
		return err
	}
	t := fromUnix(r.Date)
	labels := []string{"kind", r.Kind, "team", teamLabel(a.catalog, r.Team)}
	a.collaborations.Add(t, 1, labels...)
	a.participants.Add(t, float64(r.Participants), labels...)
	return nil
}

func (a *collaborationAggregator) emit(b *snapshot.Builder) {
	a.collaborations.Emit(b)
	a.participants.Emit(b)
}
