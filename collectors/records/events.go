package records

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/catalog"
	"github.com/sre-value/sre-value-exporter/internal/mask"
	"github.com/sre-value/sre-value-exporter/internal/metrics"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
	"github.com/sre-value/sre-value-exporter/internal/tabular"
	"github.com/sre-value/sre-value-exporter/internal/window"
)

// defaultEventKinds are the kinds an events table accepts unless the
// config lists its own; a fixed list keeps the kind label bounded.
var defaultEventKinds = []string{
	"office_hours", "lunch_and_learn", "brown_bag", "webinar", "workshop", "deep_dive", "game_day",
	"chaos_workshop", "incident_simulation", "meetup", "external_speaker", "champions_meeting",
}

func eventKinds(configured []string) ([]string, error) {
	if len(configured) == 0 {
		return defaultEventKinds, nil
	}
	seen := map[string]bool{}
	var kinds []string
	for _, k := range configured {
		s := slug(k)
		if !slugPattern.MatchString(s) {
			return nil, fmt.Errorf("%s is not a valid kind: use letters, digits, spaces, '-' or '_'", mask.Quote(k))
		}
		if seen[s] {
			return nil, fmt.Errorf("%s is listed twice", mask.Quote(k))
		}
		seen[s] = true
		kinds = append(kinds, s)
	}
	return kinds, nil
}

// eventsSchema: one row per event (office hours, a workshop, a game day).
type eventsSchema struct {
	kinds []string
}

type eventRow struct {
	Date      int64  `json:"t"`
	Kind      string `json:"k"`
	Team      string `json:"e,omitempty"` // "" = org-wide
	Attendees int64  `json:"a"`
	Questions int64  `json:"q,omitempty"`
	Recorded  bool   `json:"r,omitempty"`
}

func (eventsSchema) columns() []tabular.Column {
	return []tabular.Column{
		{Name: "date"}, {Name: "kind"}, {Name: "title", Optional: true}, {Name: "team", Optional: true},
		{Name: "attendees"}, {Name: "questions", Optional: true}, {Name: "topics", Optional: true}, {Name: "recorded", Optional: true},
	}
}

func (s *eventsSchema) parse(r tabular.Record) (any, []string, error) {
	date, err := r.Date("date")
	if err != nil {
		return nil, nil, err
	}
	kind, err := slugCell(r, "kind")
	if err != nil {
		return nil, nil, err
	}
	if !contains(s.kinds, kind) {
		return nil, nil, r.Errorf("kind", "%s is not a known event kind (%s); add it to kinds in the config", tabular.Quote(r.Text("kind")), strings.Join(s.kinds, ", "))
	}
	attendees, err := r.Int("attendees")
	if err != nil {
		return nil, nil, err
	}
	questions, err := r.Int("questions")
	if err != nil {
		return nil, nil, err
	}
	recorded, err := r.Bool("recorded")
	if err != nil {
		return nil, nil, err
	}
	row := eventRow{Date: unix(date), Kind: kind, Team: r.Text("team"), Attendees: attendees, Questions: questions, Recorded: recorded}
	return row, []string{day(date), kind, text(r.Text("title")), strings.ToLower(row.Team)}, nil
}

var eventCounters = []*metrics.Family{
	metrics.Events,
	metrics.EventAttendees,
	metrics.EventQuestions,
	metrics.EventsRecorded,
}

func (s *eventsSchema) count(c *tallies, id string, row any) {
	r := row.(eventRow)
	labels := []string{"kind", r.Kind, "team", teamLabel(c.catalog, r.Team)}
	c.Observe(eventCounters[0], id, 1, labels...)
	c.Observe(eventCounters[1], id, float64(r.Attendees), labels...)
	c.Observe(eventCounters[2], id, float64(r.Questions), labels...)
	c.Observe(eventCounters[3], id, boolValue(r.Recorded), labels...)
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (*eventsSchema) counters() []*metrics.Family { return eventCounters }
func (*eventsSchema) aggregateKey() string        { return "events" }

func (*eventsSchema) newAggregator(now time.Time, cat *catalog.Catalog) aggregator {
	return &eventsAggregator{
		catalog:   cat,
		events:    window.NewSum(now, metrics.EventsInWindow),
		attendees: window.NewSum(now, metrics.EventAttendeesInWindow),
		questions: window.NewSum(now, metrics.EventQuestionsInWindow),
		recorded:  window.NewSum(now, metrics.EventsRecordedInWindow),
	}
}

type eventsAggregator struct {
	catalog                                *catalog.Catalog
	events, attendees, questions, recorded *window.Sum
}

func (a *eventsAggregator) add(data []byte) error {
	var r eventRow
	if err := json.Unmarshal(data, &r); err != nil {
		return err
	}
	t := fromUnix(r.Date)
	labels := []string{"kind", r.Kind, "team", teamLabel(a.catalog, r.Team)}
	a.events.Add(t, 1, labels...)
	a.attendees.Add(t, float64(r.Attendees), labels...)
	a.questions.Add(t, float64(r.Questions), labels...)
	a.recorded.Add(t, boolValue(r.Recorded), labels...)
	return nil
}

func (a *eventsAggregator) emit(b *snapshot.Builder) {
	a.events.Emit(b)
	a.attendees.Emit(b)
	a.questions.Emit(b)
	a.recorded.Emit(b)
}
