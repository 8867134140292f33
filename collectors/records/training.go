package records

import (
	"encoding/json"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/catalog"
	"github.com/sre-value/sre-value-exporter/internal/metrics"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
	"github.com/sre-value/sre-value-exporter/internal/tabular"
	"github.com/sre-value/sre-value-exporter/internal/window"
)

// trainingSchema: one row per enrolment of a person in a course (or in a
// module of a course).
type trainingSchema struct{}

type trainingRow struct {
	Person        string `json:"p"` // personKey
	Team          string `json:"t"`
	Course        string `json:"c"`
	Enrolled      int64  `json:"e"`
	Completed     int64  `json:"d,omitempty"`
	Certification string `json:"x,omitempty"`
}

func (trainingSchema) columns() []tabular.Column {
	return []tabular.Column{
		{Name: "person"}, {Name: "team"}, {Name: "course"}, {Name: "module", Optional: true},
		{Name: "enrolled"}, {Name: "completed", Optional: true}, {Name: "certification", Optional: true},
	}
}

func (trainingSchema) parse(r tabular.Record) (any, []string, error) {
	person, err := r.Required("person")
	if err != nil {
		return nil, nil, err
	}
	team, err := r.Required("team")
	if err != nil {
		return nil, nil, err
	}
	course, err := r.Required("course")
	if err != nil {
		return nil, nil, err
	}
	enrolled, err := r.Date("enrolled")
	if err != nil {
		return nil, nil, err
	}
	completed, err := r.Date("completed")
	if err != nil {
		return nil, nil, err
	}
	if !completed.IsZero() && completed.Before(enrolled) {
		return nil, nil, r.Errorf("completed", "%s is before the enrolment on %s", r.Text("completed"), r.Text("enrolled"))
	}
	row := trainingRow{
		Person: personKey(person), Team: team, Course: text(course),
		Enrolled: unix(enrolled), Completed: unix(completed), Certification: text(r.Text("certification")),
	}
	return row, []string{row.Person, row.Course, text(r.Text("module"))}, nil
}

func (trainingSchema) count(*tallies, string, any) {}
func (trainingSchema) counters() []*metrics.Family { return nil }
func (trainingSchema) aggregateKey() string        { return "training" }

func (trainingSchema) newAggregator(now time.Time, cat *catalog.Catalog) aggregator {
	return &trainingAggregator{
		catalog:        cat,
		enrollments:    window.NewGauges(metrics.TrainingEnrollments),
		completions:    window.NewGauges(metrics.TrainingCompletions),
		certifications: window.NewGauges(metrics.TrainingCertifications),
		peopleEnrolled: map[string]map[string]bool{}, peopleCompleted: map[string]map[string]bool{},
		enrolledIn:  window.NewSum(now, metrics.TrainingEnrollmentsInWindow),
		completedIn: window.NewSum(now, metrics.TrainingCompletionsInWindow),
	}
}

type trainingAggregator struct {
	catalog                                  *catalog.Catalog
	enrollments, completions, certifications *window.Gauges
	peopleEnrolled, peopleCompleted          map[string]map[string]bool // team -> people
	enrolledIn, completedIn                  *window.Sum
}

func (a *trainingAggregator) add(data []byte) error {
	var r trainingRow
	if err := json.Unmarshal(data, &r); err != nil {
		return err
	}
	team := teamLabel(a.catalog, r.Team)
	a.enrollments.Add(1, "team", team, "course", r.Course)
	a.enrolledIn.Add(fromUnix(r.Enrolled), 1, "team", team, "course", r.Course)
	addPerson(a.peopleEnrolled, team, r.Person)
	a.completedIn.Touch("team", team, "course", r.Course)
	if r.Completed != 0 {
		a.completions.Add(1, "team", team, "course", r.Course)
		a.completedIn.Add(fromUnix(r.Completed), 1, "team", team, "course", r.Course)
		addPerson(a.peopleCompleted, team, r.Person)
	} else {
		a.completions.Add(0, "team", team, "course", r.Course)
	}
	if _, ok := a.peopleCompleted[team]; !ok {
		a.peopleCompleted[team] = map[string]bool{}
	}
	if r.Certification != "" {
		a.certifications.Add(1, "team", team, "certification", r.Certification)
	}
	return nil
}

func addPerson(m map[string]map[string]bool, team, person string) {
	s, ok := m[team]
	if !ok {
		s = map[string]bool{}
		m[team] = s
	}
	s[person] = true
}

func (a *trainingAggregator) emit(b *snapshot.Builder) {
	a.enrollments.Emit(b)
	a.completions.Emit(b)
	a.certifications.Emit(b)
	for _, team := range sortedKeys(a.peopleEnrolled) {
		b.Gauge(metrics.TrainingPeopleEnrolled, float64(len(a.peopleEnrolled[team])), "team", team)
	}
	for _, team := range sortedKeys(a.peopleCompleted) {
		b.Gauge(metrics.TrainingPeopleCompleted, float64(len(a.peopleCompleted[team])), "team", team)
	}
	a.enrolledIn.Emit(b)
	a.completedIn.Emit(b)
}
