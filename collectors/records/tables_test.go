package records

import (
	"strings"
	"testing"
	"time"
)

// Every expectation below is computed by hand from the fixture in testdata
// with now = 2024-04-01T00:00:00Z (see now in harness_test.go).

func TestTraining(t *testing.T) {
	e := newEnv(t, "training.csv")
	c := e.collector(`
- type: training
  source: training.csv
  columns: {person: "Full name"}
  date_format: "02/01/2006"
`)
	e.sync(c)
	// Ann (twice, as "ann  lee") and Bob ("Payments Team" is a catalog alias)
	// are payments; Cid and Dee are search. Eve, Fay and the row without a
	// person are invalid. Dee completed on Jan 2, exactly 90 days before
	// now, so outside every window; Ann's Mar 28 completion is in all three.
	compare(t, samples(t, snap(t, c), "sre_training_"), `
		sre_training_certifications{certification="ICS-100",team="payments"} 1
		sre_training_certifications{certification="ICS-100",team="search"} 1
		sre_training_completions{course="Incident Command",team="payments"} 2
		sre_training_completions{course="Incident Command",team="search"} 0
		sre_training_completions{course="SLO Basics",team="payments"} 0
		sre_training_completions{course="SLO Basics",team="search"} 1
		sre_training_completions_in_window{course="Incident Command",team="payments",window="7d"} 1
		sre_training_completions_in_window{course="Incident Command",team="payments",window="30d"} 2
		sre_training_completions_in_window{course="Incident Command",team="payments",window="90d"} 2
		sre_training_completions_in_window{course="Incident Command",team="search",window="7d"} 0
		sre_training_completions_in_window{course="Incident Command",team="search",window="30d"} 0
		sre_training_completions_in_window{course="Incident Command",team="search",window="90d"} 0
		sre_training_completions_in_window{course="SLO Basics",team="payments",window="7d"} 0
		sre_training_completions_in_window{course="SLO Basics",team="payments",window="30d"} 0
		sre_training_completions_in_window{course="SLO Basics",team="payments",window="90d"} 0
		sre_training_completions_in_window{course="SLO Basics",team="search",window="7d"} 0
		sre_training_completions_in_window{course="SLO Basics",team="search",window="30d"} 0
		sre_training_completions_in_window{course="SLO Basics",team="search",window="90d"} 0
		sre_training_enrollments{course="Incident Command",team="payments"} 2
		sre_training_enrollments{course="Incident Command",team="search"} 1
		sre_training_enrollments{course="SLO Basics",team="payments"} 1
		sre_training_enrollments{course="SLO Basics",team="search"} 1
		// Enrolled Jan 10 and Feb 1: 90d only.
		sre_training_enrollments_in_window{course="Incident Command",team="payments",window="7d"} 0
		sre_training_enrollments_in_window{course="Incident Command",team="payments",window="30d"} 0
		sre_training_enrollments_in_window{course="Incident Command",team="payments",window="90d"} 2
		sre_training_enrollments_in_window{course="Incident Command",team="search",window="7d"} 1
		sre_training_enrollments_in_window{course="Incident Command",team="search",window="30d"} 1
		sre_training_enrollments_in_window{course="Incident Command",team="search",window="90d"} 1
		// Mar 1 is before the 30d window's start (Mar 2).
		sre_training_enrollments_in_window{course="SLO Basics",team="payments",window="7d"} 0
		sre_training_enrollments_in_window{course="SLO Basics",team="payments",window="30d"} 0
		sre_training_enrollments_in_window{course="SLO Basics",team="payments",window="90d"} 1
		// Jan 1 is before the 90d window's start (Jan 2).
		sre_training_enrollments_in_window{course="SLO Basics",team="search",window="7d"} 0
		sre_training_enrollments_in_window{course="SLO Basics",team="search",window="30d"} 0
		sre_training_enrollments_in_window{course="SLO Basics",team="search",window="90d"} 0
		sre_training_people_completed{team="payments"} 2
		sre_training_people_completed{team="search"} 1
		sre_training_people_enrolled{team="payments"} 2
		sre_training_people_enrolled{team="search"} 2
	`)
	for _, msg := range []string{
		`training.csv:7: column \"completed\": 2024-03-01 is before the enrolment on 2024-03-05`,
		`training.csv:8: column \"enrolled\": \"2024-13-01\" is not a date (use 02/01/2006, 2006-01-02, 2006-01-02T15:04:05Z07:00 or 2006-01-02 15:04)`,
		`training.csv:9: column \"Full name\": empty; a value is required`,
	} {
		if !strings.Contains(e.log.String(), msg) {
			t.Errorf("log lacks %s\n%s", msg, e.log.String())
		}
	}
	if strings.Contains(e.log.String(), "Ann") || strings.Contains(samples(t, snap(t, c), "sre_"), "Ann") {
		t.Error("a person's name reached the log or the metrics")
	}
}

func TestEvents(t *testing.T) {
	e := newEnv(t, "events.csv")
	c := e.collector(`- {type: events, source: events.csv}`)
	e.sync(c)
	// Counters count every valid row, the future webinar included; the two
	// identical meetup rows are two events. Windows: Mar 25 is exactly 7
	// days back (30d and 90d only), Mar 2 exactly 30 (90d only), Jan 2
	// exactly 90 (none), Apr 2 is in the future (none).
	compare(t, samples(t, snap(t, c), "sre_event"), `
		sre_event_attendees_total{kind="game_day",team="search"} 55
		sre_event_attendees_total{kind="meetup",team="search"} 24
		sre_event_attendees_total{kind="office_hours",team="all"} 28
		sre_event_attendees_total{kind="office_hours",team="payments"} 10
		sre_event_attendees_total{kind="webinar",team="all"} 50
		sre_event_attendees_total{kind="workshop",team="payments"} 15
		sre_event_questions_total{kind="game_day",team="search"} 10
		sre_event_questions_total{kind="meetup",team="search"} 2
		sre_event_questions_total{kind="office_hours",team="all"} 5
		sre_event_questions_total{kind="office_hours",team="payments"} 2
		sre_event_questions_total{kind="webinar",team="all"} 0
		sre_event_questions_total{kind="workshop",team="payments"} 4
		sre_events_recorded_total{kind="game_day",team="search"} 0
		sre_events_recorded_total{kind="meetup",team="search"} 2
		sre_events_recorded_total{kind="office_hours",team="all"} 0
		sre_events_recorded_total{kind="office_hours",team="payments"} 1
		sre_events_recorded_total{kind="webinar",team="all"} 0
		sre_events_recorded_total{kind="workshop",team="payments"} 1
		sre_events_total{kind="game_day",team="search"} 2
		sre_events_total{kind="meetup",team="search"} 2
		sre_events_total{kind="office_hours",team="all"} 2
		sre_events_total{kind="office_hours",team="payments"} 1
		sre_events_total{kind="webinar",team="all"} 1
		sre_events_total{kind="workshop",team="payments"} 1

		sre_events_in_window{kind="game_day",team="search",window="7d"} 0
		sre_events_in_window{kind="game_day",team="search",window="30d"} 0
		sre_events_in_window{kind="game_day",team="search",window="90d"} 1
		sre_events_in_window{kind="meetup",team="search",window="7d"} 0
		sre_events_in_window{kind="meetup",team="search",window="30d"} 2
		sre_events_in_window{kind="meetup",team="search",window="90d"} 2
		sre_events_in_window{kind="office_hours",team="all",window="7d"} 1
		sre_events_in_window{kind="office_hours",team="all",window="30d"} 1
		sre_events_in_window{kind="office_hours",team="all",window="90d"} 2
		sre_events_in_window{kind="office_hours",team="payments",window="7d"} 0
		sre_events_in_window{kind="office_hours",team="payments",window="30d"} 1
		sre_events_in_window{kind="office_hours",team="payments",window="90d"} 1
		sre_events_in_window{kind="webinar",team="all",window="7d"} 0
		sre_events_in_window{kind="webinar",team="all",window="30d"} 0
		sre_events_in_window{kind="webinar",team="all",window="90d"} 0
		sre_events_in_window{kind="workshop",team="payments",window="7d"} 0
		sre_events_in_window{kind="workshop",team="payments",window="30d"} 1
		sre_events_in_window{kind="workshop",team="payments",window="90d"} 1

		sre_event_attendees_in_window{kind="game_day",team="search",window="7d"} 0
		sre_event_attendees_in_window{kind="game_day",team="search",window="30d"} 0
		sre_event_attendees_in_window{kind="game_day",team="search",window="90d"} 25
		sre_event_attendees_in_window{kind="meetup",team="search",window="7d"} 0
		sre_event_attendees_in_window{kind="meetup",team="search",window="30d"} 24
		sre_event_attendees_in_window{kind="meetup",team="search",window="90d"} 24
		sre_event_attendees_in_window{kind="office_hours",team="all",window="7d"} 20
		sre_event_attendees_in_window{kind="office_hours",team="all",window="30d"} 20
		sre_event_attendees_in_window{kind="office_hours",team="all",window="90d"} 28
		sre_event_attendees_in_window{kind="office_hours",team="payments",window="7d"} 0
		sre_event_attendees_in_window{kind="office_hours",team="payments",window="30d"} 10
		sre_event_attendees_in_window{kind="office_hours",team="payments",window="90d"} 10
		sre_event_attendees_in_window{kind="webinar",team="all",window="7d"} 0
		sre_event_attendees_in_window{kind="webinar",team="all",window="30d"} 0
		sre_event_attendees_in_window{kind="webinar",team="all",window="90d"} 0
		sre_event_attendees_in_window{kind="workshop",team="payments",window="7d"} 0
		sre_event_attendees_in_window{kind="workshop",team="payments",window="30d"} 15
		sre_event_attendees_in_window{kind="workshop",team="payments",window="90d"} 15

		sre_event_questions_in_window{kind="game_day",team="search",window="7d"} 0
		sre_event_questions_in_window{kind="game_day",team="search",window="30d"} 0
		sre_event_questions_in_window{kind="game_day",team="search",window="90d"} 0
		sre_event_questions_in_window{kind="meetup",team="search",window="7d"} 0
		sre_event_questions_in_window{kind="meetup",team="search",window="30d"} 2
		sre_event_questions_in_window{kind="meetup",team="search",window="90d"} 2
		sre_event_questions_in_window{kind="office_hours",team="all",window="7d"} 5
		sre_event_questions_in_window{kind="office_hours",team="all",window="30d"} 5
		sre_event_questions_in_window{kind="office_hours",team="all",window="90d"} 5
		sre_event_questions_in_window{kind="office_hours",team="payments",window="7d"} 0
		sre_event_questions_in_window{kind="office_hours",team="payments",window="30d"} 2
		sre_event_questions_in_window{kind="office_hours",team="payments",window="90d"} 2
		sre_event_questions_in_window{kind="webinar",team="all",window="7d"} 0
		sre_event_questions_in_window{kind="webinar",team="all",window="30d"} 0
		sre_event_questions_in_window{kind="webinar",team="all",window="90d"} 0
		sre_event_questions_in_window{kind="workshop",team="payments",window="7d"} 0
		sre_event_questions_in_window{kind="workshop",team="payments",window="30d"} 4
		sre_event_questions_in_window{kind="workshop",team="payments",window="90d"} 4

		sre_events_recorded_in_window{kind="game_day",team="search",window="7d"} 0
		sre_events_recorded_in_window{kind="game_day",team="search",window="30d"} 0
		sre_events_recorded_in_window{kind="game_day",team="search",window="90d"} 0
		sre_events_recorded_in_window{kind="meetup",team="search",window="7d"} 0
		sre_events_recorded_in_window{kind="meetup",team="search",window="30d"} 2
		sre_events_recorded_in_window{kind="meetup",team="search",window="90d"} 2
		sre_events_recorded_in_window{kind="office_hours",team="all",window="7d"} 0
		sre_events_recorded_in_window{kind="office_hours",team="all",window="30d"} 0
		sre_events_recorded_in_window{kind="office_hours",team="all",window="90d"} 0
		sre_events_recorded_in_window{kind="office_hours",team="payments",window="7d"} 0
		sre_events_recorded_in_window{kind="office_hours",team="payments",window="30d"} 1
		sre_events_recorded_in_window{kind="office_hours",team="payments",window="90d"} 1
		sre_events_recorded_in_window{kind="webinar",team="all",window="7d"} 0
		sre_events_recorded_in_window{kind="webinar",team="all",window="30d"} 0
		sre_events_recorded_in_window{kind="webinar",team="all",window="90d"} 0
		sre_events_recorded_in_window{kind="workshop",team="payments",window="7d"} 0
		sre_events_recorded_in_window{kind="workshop",team="payments",window="30d"} 1
		sre_events_recorded_in_window{kind="workshop",team="payments",window="90d"} 1
	`)
}

func TestNewsletter(t *testing.T) {
	e := newEnv(t, "newsletter.csv")
	c := e.collector(`- {type: newsletter, source: newsletter.csv}`)
	e.sync(c)
	// Valid: Mar 28 (all windows, channel defaults to newsletter), Feb 28
	// (90d), the podcast on Mar 15 (30d, 90d).
	compare(t, samples(t, snap(t, c), "sre_newsletter_"), `
		sre_newsletter_clicks_total{channel="newsletter"} 30
		sre_newsletter_clicks_total{channel="podcast"} 0
		sre_newsletter_issues_total{channel="newsletter"} 2
		sre_newsletter_issues_total{channel="podcast"} 1
		sre_newsletter_opens_total{channel="newsletter"} 210
		sre_newsletter_opens_total{channel="podcast"} 40
		sre_newsletter_recipients_total{channel="newsletter"} 380
		sre_newsletter_recipients_total{channel="podcast"} 50
		sre_newsletter_clicks_in_window{channel="newsletter",window="7d"} 30
		sre_newsletter_clicks_in_window{channel="newsletter",window="30d"} 30
		sre_newsletter_clicks_in_window{channel="newsletter",window="90d"} 30
		sre_newsletter_clicks_in_window{channel="podcast",window="7d"} 0
		sre_newsletter_clicks_in_window{channel="podcast",window="30d"} 0
		sre_newsletter_clicks_in_window{channel="podcast",window="90d"} 0
		sre_newsletter_issues_in_window{channel="newsletter",window="7d"} 1
		sre_newsletter_issues_in_window{channel="newsletter",window="30d"} 1
		sre_newsletter_issues_in_window{channel="newsletter",window="90d"} 2
		sre_newsletter_issues_in_window{channel="podcast",window="7d"} 0
		sre_newsletter_issues_in_window{channel="podcast",window="30d"} 1
		sre_newsletter_issues_in_window{channel="podcast",window="90d"} 1
		sre_newsletter_opens_in_window{channel="newsletter",window="7d"} 120
		sre_newsletter_opens_in_window{channel="newsletter",window="30d"} 120
		sre_newsletter_opens_in_window{channel="newsletter",window="90d"} 210
		sre_newsletter_opens_in_window{channel="podcast",window="7d"} 0
		sre_newsletter_opens_in_window{channel="podcast",window="30d"} 40
		sre_newsletter_opens_in_window{channel="podcast",window="90d"} 40
		sre_newsletter_recipients_in_window{channel="newsletter",window="7d"} 200
		sre_newsletter_recipients_in_window{channel="newsletter",window="30d"} 200
		sre_newsletter_recipients_in_window{channel="newsletter",window="90d"} 380
		sre_newsletter_recipients_in_window{channel="podcast",window="7d"} 0
		sre_newsletter_recipients_in_window{channel="podcast",window="30d"} 50
		sre_newsletter_recipients_in_window{channel="podcast",window="90d"} 50
	`)
}

func TestSurveys(t *testing.T) {
	e := newEnv(t, "surveys.csv")
	c := e.collector(`- {type: surveys, source: surveys.csv}`)
	e.sync(c)
	// csat/payments: Mar 29 rows give 10 responses at 3/4 (7.5 points) and
	// 1 at 2/4 (0.5), the latest round: 8 / 11 = 0.7272...; Feb 15 adds 4
	// responses at 4/4 (4 points) to the 90d window. devex (org-wide, team
	// "all"): Mar 20, 2 responses at 7.5/10 = 1.5 points; the Apr 5 row is
	// in the future, so in no window and not the latest round.
	compare(t, samples(t, snap(t, c), "sre_survey_"), `
		sre_survey_latest_responses{survey="csat",team="payments"} 11
		sre_survey_latest_responses{survey="devex",team="all"} 2
		sre_survey_latest_round_timestamp_seconds{survey="csat",team="payments"} 1711670400
		sre_survey_latest_round_timestamp_seconds{survey="devex",team="all"} 1710892800
		sre_survey_latest_satisfaction_ratio{survey="csat",team="payments"} 0.7272727272727273
		sre_survey_latest_satisfaction_ratio{survey="devex",team="all"} 0.75
		sre_survey_responses_in_window{survey="csat",team="payments",window="7d"} 11
		sre_survey_responses_in_window{survey="csat",team="payments",window="30d"} 11
		sre_survey_responses_in_window{survey="csat",team="payments",window="90d"} 15
		sre_survey_responses_in_window{survey="devex",team="all",window="7d"} 0
		sre_survey_responses_in_window{survey="devex",team="all",window="30d"} 2
		sre_survey_responses_in_window{survey="devex",team="all",window="90d"} 2
		sre_survey_score_points_in_window{survey="csat",team="payments",window="7d"} 8
		sre_survey_score_points_in_window{survey="csat",team="payments",window="30d"} 8
		sre_survey_score_points_in_window{survey="csat",team="payments",window="90d"} 12
		sre_survey_score_points_in_window{survey="devex",team="all",window="7d"} 0
		sre_survey_score_points_in_window{survey="devex",team="all",window="30d"} 1.5
		sre_survey_score_points_in_window{survey="devex",team="all",window="90d"} 1.5
	`)
}

func TestChampions(t *testing.T) {
	e := newEnv(t, "champions.csv")
	c := e.collector(`- {type: champions, source: champions.csv}`)
	e.sync(c)
	// payments: Ann active, Bob ended Mar 1. search: Cid starts today
	// (active), Dee tomorrow (not yet). platform is not in the catalog.
	// checkout has no champion and is exported at 0 from the catalog.
	compare(t, samples(t, snap(t, c), "sre_champions_"), `
		sre_champions_active{team="checkout"} 0
		sre_champions_active{team="payments"} 1
		sre_champions_active{team="search"} 1
		sre_champions_active{team="unknown"} 1
	`)
	notes := strings.Join(c.Notes(), "\n")
	for _, n := range []string{
		`table champions: skipped invalid row: champions.csv:7: column "until": 2024-01-01 is before since 2024-02-01`,
		`table champions: team "platform" is not in the catalog; 1 row(s) counted as "unknown"; add it as an alias`,
	} {
		if !strings.Contains(notes, n) {
			t.Errorf("notes lack %q:\n%s", n, notes)
		}
	}
}

func TestSavings(t *testing.T) {
	e := newEnv(t, "savings.csv")
	c := e.collector(`- {type: savings, source: savings.csv}`)
	e.sync(c)
	// payments/toil_automation: 10 h on Mar 30 and 5.5 h + 100 on Mar 15,
	// one initiative ("Auto restart" in either case). search/
	// infrastructure_cost: 2500 on Mar 15, "1,000" on Jan 15, 300 on Dec 1
	// (in no window); initiatives Rightsizing and Old.
	compare(t, samples(t, snap(t, c), "sre_savings_"), `
		sre_savings_initiatives{category="infrastructure_cost",team="search"} 2
		sre_savings_initiatives{category="toil_automation",team="payments"} 1
		sre_savings_initiatives_in_window{category="infrastructure_cost",team="search",window="7d"} 0
		sre_savings_initiatives_in_window{category="infrastructure_cost",team="search",window="30d"} 1
		sre_savings_initiatives_in_window{category="infrastructure_cost",team="search",window="90d"} 1
		sre_savings_initiatives_in_window{category="toil_automation",team="payments",window="7d"} 1
		sre_savings_initiatives_in_window{category="toil_automation",team="payments",window="30d"} 1
		sre_savings_initiatives_in_window{category="toil_automation",team="payments",window="90d"} 1
		sre_savings_money_in_window{category="infrastructure_cost",team="search",window="7d"} 0
		sre_savings_money_in_window{category="infrastructure_cost",team="search",window="30d"} 2500
		sre_savings_money_in_window{category="infrastructure_cost",team="search",window="90d"} 3500
		sre_savings_money_in_window{category="toil_automation",team="payments",window="7d"} 0
		sre_savings_money_in_window{category="toil_automation",team="payments",window="30d"} 100
		sre_savings_money_in_window{category="toil_automation",team="payments",window="90d"} 100
		sre_savings_money_total{category="infrastructure_cost",team="search"} 3800
		sre_savings_money_total{category="toil_automation",team="payments"} 100
		sre_savings_time_in_window_seconds{category="infrastructure_cost",team="search",window="7d"} 0
		sre_savings_time_in_window_seconds{category="infrastructure_cost",team="search",window="30d"} 0
		sre_savings_time_in_window_seconds{category="infrastructure_cost",team="search",window="90d"} 0
		sre_savings_time_in_window_seconds{category="toil_automation",team="payments",window="7d"} 36000
		sre_savings_time_in_window_seconds{category="toil_automation",team="payments",window="30d"} 55800
		sre_savings_time_in_window_seconds{category="toil_automation",team="payments",window="90d"} 55800
		sre_savings_time_seconds_total{category="infrastructure_cost",team="search"} 0
		sre_savings_time_seconds_total{category="toil_automation",team="payments"} 55800
	`)
}

func TestAdoption(t *testing.T) {
	e := newEnv(t, "adoption.csv")
	c := e.collector(`- {type: adoption, source: adoption.csv}`)
	e.sync(c)
	// payments/api/slos_defined: "payments-api" (alias of api) adopted on
	// Mar 28 beats the older "no" of Jan 1. search/runbooks: the dated
	// "yes" of Feb 15 beats the undated "no".
	compare(t, samples(t, snap(t, c), "sre_practice_"), `
		sre_practice_adopted{practice="on_call",service="none",team="payments"} 0
		sre_practice_adopted{practice="runbooks",service="none",team="search"} 1
		sre_practice_adopted{practice="slos_defined",service="api",team="payments"} 1
		sre_practice_adopted_timestamp_seconds{practice="runbooks",service="none",team="search"} 1707955200
		sre_practice_adopted_timestamp_seconds{practice="slos_defined",service="api",team="payments"} 1711584000
		sre_practice_adoptions_in_window{practice="on_call",team="payments",window="7d"} 0
		sre_practice_adoptions_in_window{practice="on_call",team="payments",window="30d"} 0
		sre_practice_adoptions_in_window{practice="on_call",team="payments",window="90d"} 0
		sre_practice_adoptions_in_window{practice="runbooks",team="search",window="7d"} 0
		sre_practice_adoptions_in_window{practice="runbooks",team="search",window="30d"} 0
		sre_practice_adoptions_in_window{practice="runbooks",team="search",window="90d"} 1
		sre_practice_adoptions_in_window{practice="slos_defined",team="payments",window="7d"} 1
		sre_practice_adoptions_in_window{practice="slos_defined",team="payments",window="30d"} 1
		sre_practice_adoptions_in_window{practice="slos_defined",team="payments",window="90d"} 1
	`)
}

func TestCollaboration(t *testing.T) {
	e := newEnv(t, "collaboration.csv")
	c := e.collector(`- {type: collaboration, source: collaboration.csv}`)
	e.sync(c)
	compare(t, samples(t, snap(t, c), "sre_collaboration"), `
		sre_collaboration_participants_in_window{kind="architecture_review",team="payments",window="7d"} 4
		sre_collaboration_participants_in_window{kind="architecture_review",team="payments",window="30d"} 4
		sre_collaboration_participants_in_window{kind="architecture_review",team="payments",window="90d"} 4
		sre_collaboration_participants_in_window{kind="pairing",team="search",window="7d"} 0
		sre_collaboration_participants_in_window{kind="pairing",team="search",window="30d"} 0
		sre_collaboration_participants_in_window{kind="pairing",team="search",window="90d"} 2
		sre_collaboration_participants_total{kind="architecture_review",team="payments"} 4
		sre_collaboration_participants_total{kind="pairing",team="search"} 2
		sre_collaborations_in_window{kind="architecture_review",team="payments",window="7d"} 1
		sre_collaborations_in_window{kind="architecture_review",team="payments",window="30d"} 2
		sre_collaborations_in_window{kind="architecture_review",team="payments",window="90d"} 2
		sre_collaborations_in_window{kind="pairing",team="search",window="7d"} 0
		sre_collaborations_in_window{kind="pairing",team="search",window="30d"} 0
		sre_collaborations_in_window{kind="pairing",team="search",window="90d"} 1
		sre_collaborations_total{kind="architecture_review",team="payments"} 2
		sre_collaborations_total{kind="pairing",team="search"} 1
	`)
}

func TestCustom(t *testing.T) {
	e := newEnv(t, "custom.csv")
	c := e.collector(`
- type: custom
  name: oncall
  source: custom.csv
  metrics:
    - name: sre_oncall_handovers_total
      help: On-call handovers.
      type: counter
      labels: [{label: team, column: Team}]
      date_column: Date
    - name: sre_oncall_minutes
      type: gauge
      labels: [{label: team, column: team}, {label: type, column: Type}]
      value_column: Minutes
`)
	e.sync(c)
	// Handovers count rows (no value column): payments Mar 30 and Mar 1
	// (Mar 1 is before the 30d window), search twice on Mar 29. Minutes sum
	// by team and type; the empty type cell is "none".
	compare(t, samples(t, snap(t, c), "sre_oncall_"), `
		sre_oncall_handovers_in_window{team="payments",window="7d"} 1
		sre_oncall_handovers_in_window{team="payments",window="30d"} 1
		sre_oncall_handovers_in_window{team="payments",window="90d"} 2
		sre_oncall_handovers_in_window{team="search",window="7d"} 2
		sre_oncall_handovers_in_window{team="search",window="30d"} 2
		sre_oncall_handovers_in_window{team="search",window="90d"} 2
		sre_oncall_handovers_total{team="payments"} 2
		sre_oncall_handovers_total{team="search"} 2
		sre_oncall_minutes{team="payments",type="handover"} 45
		sre_oncall_minutes{team="search",type="none"} 10
		sre_oncall_minutes{team="search",type="review"} 45
	`)
}

func TestSLO(t *testing.T) {
	e := newEnv(t, "slo.csv")
	c := e.collector(`- {type: slo, source: slo.csv}`)
	e.sync(c)
	// api/availability ("payments-api" is an alias of api): the Mar 31
	// report is the latest, 99.82% against 99.9% over 30d, missed; Feb 29
	// (met) is only in the 90d window. api/latency-p99 ("API", "latency
	// p99"): Mar 31 is the latest (98.75% < 99%, missed), Mar 24 (met) is
	// in 30d and 90d but not 7d (Mar 25, Apr 1]; Apr 7 has not ended yet.
	// checkout is no catalog service: unknown/orders, Jan 31, 99.6% >=
	// 99.5% over 28d, in 90d only; no source, so "none".
	// 2024-03-31 is 1711843200, 2024-01-31 sixty days earlier 1706659200.
	compare(t, samples(t, snap(t, c), "sre_slo_record_"), `
		sre_slo_record_info{service="api",slo="availability",source="sumologic"} 1
		sre_slo_record_info{service="api",slo="latency-p99",source="datadog"} 1
		sre_slo_record_info{service="unknown",slo="orders",source="none"} 1
		sre_slo_record_objective_ratio{service="api",slo="availability"} 0.999
		sre_slo_record_objective_ratio{service="api",slo="latency-p99"} 0.99
		sre_slo_record_objective_ratio{service="unknown",slo="orders"} 0.995
		sre_slo_record_attainment_ratio{service="api",slo="availability"} 0.9982
		sre_slo_record_attainment_ratio{service="api",slo="latency-p99"} 0.9875
		sre_slo_record_attainment_ratio{service="unknown",slo="orders"} 0.996
		sre_slo_record_period_seconds{service="api",slo="availability"} 2592000
		sre_slo_record_period_seconds{service="api",slo="latency-p99"} 604800
		sre_slo_record_period_seconds{service="unknown",slo="orders"} 2419200
		sre_slo_record_period_end_timestamp_seconds{service="api",slo="availability"} 1711843200
		sre_slo_record_period_end_timestamp_seconds{service="api",slo="latency-p99"} 1711843200
		sre_slo_record_period_end_timestamp_seconds{service="unknown",slo="orders"} 1706659200
		sre_slo_record_periods_in_window{service="api",slo="availability",window="7d"} 1
		sre_slo_record_periods_in_window{service="api",slo="availability",window="30d"} 1
		sre_slo_record_periods_in_window{service="api",slo="availability",window="90d"} 2
		sre_slo_record_periods_in_window{service="api",slo="latency-p99",window="7d"} 1
		sre_slo_record_periods_in_window{service="api",slo="latency-p99",window="30d"} 2
		sre_slo_record_periods_in_window{service="api",slo="latency-p99",window="90d"} 2
		sre_slo_record_periods_in_window{service="unknown",slo="orders",window="7d"} 0
		sre_slo_record_periods_in_window{service="unknown",slo="orders",window="30d"} 0
		sre_slo_record_periods_in_window{service="unknown",slo="orders",window="90d"} 1
		sre_slo_record_periods_met_in_window{service="api",slo="availability",window="7d"} 0
		sre_slo_record_periods_met_in_window{service="api",slo="availability",window="30d"} 0
		sre_slo_record_periods_met_in_window{service="api",slo="availability",window="90d"} 1
		sre_slo_record_periods_met_in_window{service="api",slo="latency-p99",window="7d"} 0
		sre_slo_record_periods_met_in_window{service="api",slo="latency-p99",window="30d"} 1
		sre_slo_record_periods_met_in_window{service="api",slo="latency-p99",window="90d"} 1
		sre_slo_record_periods_met_in_window{service="unknown",slo="orders",window="7d"} 0
		sre_slo_record_periods_met_in_window{service="unknown",slo="orders",window="30d"} 0
		sre_slo_record_periods_met_in_window{service="unknown",slo="orders",window="90d"} 1
	`)
	notes := strings.Join(c.Notes(), "\n")
	for _, n := range []string{
		`table slo: skipped invalid row: slo.csv:8: column "objective": "0.995" looks like a share; write the objective as a percentage, such as 99.5`,
		`table slo: skipped invalid row: slo.csv:9: column "attained": "101" is more than 100 percent`,
		`table slo: skipped invalid row: slo.csv:10: column "period": "a month" is not a duration such as 30d, 4w or 7d`,
		`table slo: skipped invalid row: slo.csv:11: column "objective": "100" must be a percentage of at least 1 and below 100 (such as 99.5)`,
		`table slo: service "checkout" is not in the catalog; 1 row(s) counted as "unknown"; add it as an alias`,
	} {
		if !strings.Contains(notes, n) {
			t.Errorf("notes lack %q:\n%s", n, notes)
		}
	}
}

// As of an earlier instant, the latest report is the latest one dated at
// or before it, which is what backfill recomputes.
func TestSLOAsOfAPastInstantReportsThePeriodThenLatest(t *testing.T) {
	e := newEnv(t, "slo.csv")
	c := e.collector(`- {type: slo, source: slo.csv}`)
	e.sync(c)
	// On Mar 28 the api SLOs' latest reports are Feb 29 (99.95%) and Mar
	// 24 (99.5%); checkout's Jan 31 report is the same.
	s, err := c.Snapshot(time.Date(2024, 3, 28, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	compare(t, samples(t, s, "sre_slo_record_attainment_ratio", "sre_slo_record_period_end"), `
		sre_slo_record_attainment_ratio{service="api",slo="availability"} 0.9995
		sre_slo_record_attainment_ratio{service="api",slo="latency-p99"} 0.995
		sre_slo_record_attainment_ratio{service="unknown",slo="orders"} 0.996
		sre_slo_record_period_end_timestamp_seconds{service="api",slo="availability"} 1709164800
		sre_slo_record_period_end_timestamp_seconds{service="api",slo="latency-p99"} 1711238400
		sre_slo_record_period_end_timestamp_seconds{service="unknown",slo="orders"} 1706659200
	`)
}
