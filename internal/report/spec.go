package report

import (
	"fmt"

	"github.com/sre-value/sre-value-exporter/internal/bundle/dashboards"
	"github.com/sre-value/sre-value-exporter/internal/bundle/rules"
	"github.com/sre-value/sre-value-exporter/internal/bundle/slo"
)

// Spec is what the report shows, as data: sections of figures and tables,
// each read from a dashboard panel's query or from recording rules. A new
// figure is a new entry here, not new code.
type Spec struct {
	Sections []SectionSpec
	// Summary are the executive summary's figures, as "section.figure".
	Summary []string
	// Newsletter are the figures of the newsletter's Metrics section.
	Newsletter []string
}

// SectionSpec is one section.
type SectionSpec struct {
	ID, Title, Intro string
	Figures          []FigureSpec
	Tables           []TableSpec
}

// FigureSpec says what one figure is and where it comes from: either a
// dashboard panel (Dashboard and Panel) or an expression over recording
// rules (Expr).
type FigureSpec struct {
	ID, Label string
	Unit      Unit
	Better    Better
	// Dashboard and Panel name the panel (by uid and title as generated,
	// variables unexpanded) whose only query the figure is.
	Dashboard, Panel string
	// Series picks one series of a panel that draws several, by the label
	// of its legend: the value "$window" is the period's window.
	Series string
	// Expr is a query over recording rules, for figures no panel shows.
	Expr string
	// Rules are the recording rules Expr reads.
	Rules []string
	// Requires are series that must exist for the figure to mean anything,
	// for expressions that turn "none" into 0 (or vector(0)): without them
	// the figure says "no data" rather than 0.
	Requires []string
	// Trend draws the figure's last months as a chart.
	Trend bool
}

// TableSpec is a table: a table or bar-gauge panel's queries (one column
// each, rows by the labels the panel groups by), or recording rules joined
// on Keys.
type TableSpec struct {
	ID, Title        string
	Dashboard, Panel string
	Keys             []string
	Columns          []ColumnSpec
}

// ColumnSpec is one column of a rules table.
type ColumnSpec struct {
	Title string
	Expr  string
	Unit  Unit
	Rule  string
}

// The dashboards the default report reads, by uid.
const (
	reliabilityBoard = rules.DashboardReliability
	engagementBoard  = rules.DashboardEngagement
	trainingBoard    = rules.DashboardTraining
	formatBoard      = rules.DashboardFormat
	teamBoard        = "sre-team"
	executiveBoard   = dashboards.ExecutiveUID
)

// DefaultSpec is the report the command builds: the sections of issue 11,
// every figure the query of a generated dashboard panel or an SLO rule.
func DefaultSpec() Spec {
	// An SLO is a service, a name and an origin (measured by the rules or
	// reported in the slo table).
	met := fmt.Sprintf("count(%s >= on(%s, %s, %s) %s) or vector(0)", slo.PeriodAttainment, slo.ServiceLabel, slo.SLOLabel, slo.OriginLabel, slo.Objective)
	missed := fmt.Sprintf("count(%s < on(%s, %s, %s) %s) or vector(0)", slo.PeriodAttainment, slo.ServiceLabel, slo.SLOLabel, slo.OriginLabel, slo.Objective)
	sloRules := []string{slo.PeriodAttainment, slo.Objective}
	return Spec{
		Sections: []SectionSpec{
			{ID: "reliability", Title: "Reliability",
				Intro: "How often things broke, how fast they were fixed, and whether the lessons were followed up.",
				Figures: []FigureSpec{
					{ID: "incidents_opened", Label: "Incidents opened", Unit: Count, Better: Lower, Dashboard: reliabilityBoard, Panel: "Opened in $window", Trend: true},
					{ID: "incidents_resolved", Label: "Incidents resolved", Unit: Count, Better: Neutral, Dashboard: reliabilityBoard, Panel: "Resolved in $window"},
					{ID: "mttr", Label: "Mean time to resolve", Unit: Seconds, Better: Lower, Dashboard: reliabilityBoard, Panel: "MTTR per window", Series: "$window", Trend: true},
					{ID: "mtta", Label: "Mean time to acknowledge", Unit: Seconds, Better: Lower, Dashboard: reliabilityBoard, Panel: "MTTA per window", Series: "$window"},
					{ID: "postmortem_coverage", Label: "Postmortem coverage", Unit: Ratio, Better: Higher, Dashboard: reliabilityBoard, Panel: "Postmortem coverage ($window)"},
					{ID: "open_incidents", Label: "Incidents open at the end", Unit: Count, Better: Lower, Dashboard: reliabilityBoard, Panel: "Open incidents"},
					{ID: "action_items_overdue", Label: "Overdue action items", Unit: Count, Better: Lower, Dashboard: reliabilityBoard, Panel: "Action items overdue"},
				},
				Tables: []TableSpec{
					{ID: "by_severity", Title: "Incidents opened by severity", Dashboard: reliabilityBoard, Panel: "By severity ($window)"},
					{ID: "by_service", Title: "MTTR and MTTA by service", Dashboard: reliabilityBoard, Panel: "MTTR and MTTA by service ($window)"},
				}},
			{ID: "slos", Title: "SLOs",
				Intro: "Attainment and error budget over each SLO's own period (30 days unless the SLO sets another), ending at the report's end, as the SLO recording rules have them.",
				Figures: []FigureSpec{
					{ID: "met", Label: "SLOs meeting their objective", Unit: Count, Better: Higher, Expr: met, Rules: sloRules, Requires: sloRules},
					{ID: "missed", Label: "SLOs missing their objective", Unit: Count, Better: Lower, Expr: missed, Rules: sloRules, Requires: sloRules},
					{ID: "lowest_budget", Label: "Lowest error budget remaining", Unit: Ratio, Better: Higher,
						Expr: "min(" + slo.PeriodBudgetRemaining + ")", Rules: []string{slo.PeriodBudgetRemaining}},
				},
				Tables: []TableSpec{
					{ID: "slos", Title: "SLOs", Keys: []string{slo.ServiceLabel, slo.SLOLabel, slo.OriginLabel}, Columns: []ColumnSpec{
						{Title: "Objective", Expr: slo.Objective, Unit: Ratio, Rule: slo.Objective},
						{Title: "Attainment", Expr: slo.PeriodAttainment, Unit: Ratio, Rule: slo.PeriodAttainment},
						{Title: "Error budget remaining", Expr: slo.PeriodBudgetRemaining, Unit: Ratio, Rule: slo.PeriodBudgetRemaining},
					}},
				}},
			{ID: "engagement", Title: "Engagement",
				Intro: "Whether the organisation talks to, reads and learns from the SRE team.",
				Figures: []FigureSpec{
					{ID: "slack_messages", Label: "Slack messages", Unit: Count, Better: Higher, Dashboard: engagementBoard, Panel: "Messages ($window)"},
					{ID: "slack_replies", Label: "Slack thread replies", Unit: Count, Better: Higher, Dashboard: engagementBoard, Panel: "Replies ($window)"},
					{ID: "questions", Label: "Help questions asked", Unit: Count, Better: Neutral, Dashboard: engagementBoard, Panel: "Questions asked ($window)"},
					{ID: "answered", Label: "Questions answered by an SRE", Unit: Ratio, Better: Higher, Dashboard: engagementBoard, Panel: "Answered by an SRE ($window)"},
					{ID: "answered_within_4h", Label: "Questions answered within 4 hours", Unit: Ratio, Better: Higher, Dashboard: engagementBoard, Panel: "Answered within 4 hours ($window)", Trend: true},
					{ID: "wiki_views", Label: "Wiki page views", Unit: Count, Better: Higher, Dashboard: engagementBoard, Panel: "Page views ($window)", Trend: true},
					{ID: "newsletter_open_rate", Label: "Newsletter open rate", Unit: Ratio, Better: Higher, Dashboard: engagementBoard, Panel: "Open rate ($window)"},
					{ID: "office_hours_attendees", Label: "Office-hours attendees", Unit: Count, Better: Higher, Dashboard: engagementBoard, Panel: "Office-hours attendees ($window)"},
				},
				Tables: []TableSpec{
					{ID: "questions_by_channel", Title: "Questions by channel", Dashboard: engagementBoard, Panel: "Questions by channel ($window)"},
				}},
			{ID: "training", Title: "Training and champions",
				Intro: "Who learns reliability practice, and which teams have a reliability champion.",
				Figures: []FigureSpec{
					{ID: "enrolled", Label: "Enrolments in the period", Unit: Count, Better: Higher, Dashboard: trainingBoard, Panel: "Enrolled in $window"},
					{ID: "completion_rate", Label: "Training completion rate", Unit: Ratio, Better: Higher, Dashboard: trainingBoard, Panel: "Completion rate", Trend: true},
					{ID: "certifications", Label: "Certifications", Unit: Count, Better: Higher, Dashboard: trainingBoard, Panel: "Certifications"},
					{ID: "champion_coverage", Label: "Teams with a champion", Unit: Ratio, Better: Higher, Dashboard: trainingBoard, Panel: "Champion coverage"},
				},
				Tables: []TableSpec{
					{ID: "completion_by_course", Title: "Completion rate per course", Dashboard: trainingBoard, Panel: "Completion rate per course"},
				}},
			{ID: "value", Title: "Savings and value",
				Intro: "What downtime cost and what the SRE team's work saved, priced with the configuration's value section (the executive overview's queries; docs/value.md has every formula), and how far its practices are adopted.",
				Figures: []FigureSpec{
					{ID: "downtime_cost", Label: "Downtime cost", Unit: Money, Better: Lower, Dashboard: executiveBoard, Panel: "Downtime cost ($window)", Trend: true},
					{ID: "downtime_cost_avoided", Label: "Downtime cost avoided vs the previous period", Unit: Money, Better: Higher, Dashboard: executiveBoard, Panel: "Downtime cost avoided vs the previous $window"},
					{ID: "toil_savings_value", Label: "Toil savings value", Unit: Money, Better: Higher, Dashboard: executiveBoard, Panel: "Toil savings value ($window)"},
					{ID: "team_cost", Label: "SRE team cost", Unit: Money, Better: Neutral, Dashboard: executiveBoard, Panel: "SRE team cost ($window)"},
					{ID: "roi", Label: "ROI (value delivered / SRE team cost)", Unit: Count, Better: Higher, Dashboard: executiveBoard, Panel: "ROI ($window)"},
					{ID: "savings_roi", Label: "Savings ROI (toil savings value / SRE team cost)", Unit: Count, Better: Higher, Dashboard: executiveBoard, Panel: "Savings ROI ($window)"},
					{ID: "time_saved", Label: "Time saved", Unit: Seconds, Better: Higher, Dashboard: teamBoard, Panel: "Time saved ($window)", Trend: true},
					{ID: "money_saved", Label: "Money saved", Unit: Money, Better: Higher, Dashboard: teamBoard, Panel: "Money saved ($window)"},
					{ID: "practice_adoption", Label: "Practice adoption", Unit: Ratio, Better: Higher, Dashboard: teamBoard, Panel: "Practice adoption"},
				}},
			{ID: "format", Title: "Format compliance",
				Intro: "Whether incidents, posts, wiki pages and dashboards follow the agreed templates.",
				Figures: []FigureSpec{
					{ID: "pass_rate", Label: "Documents passing their template", Unit: Ratio, Better: Higher, Dashboard: formatBoard, Panel: "Pass rate ($window)", Trend: true},
					{ID: "checked", Label: "Documents checked", Unit: Count, Better: Neutral, Dashboard: formatBoard, Panel: "Documents checked ($window)"},
					{ID: "failing", Label: "Documents failing now", Unit: Count, Better: Lower, Dashboard: formatBoard, Panel: "Failing now"},
				},
				Tables: []TableSpec{
					{ID: "pass_rate_by_source", Title: "Pass rate per source", Dashboard: formatBoard, Panel: "Pass rate per source ($window)"},
				}},
		},
		Summary: []string{"reliability.mttr", "slos.met", "engagement.answered_within_4h"},
		Newsletter: []string{
			"reliability.incidents_opened", "reliability.mttr", "reliability.postmortem_coverage", "slos.met",
			"engagement.answered_within_4h", "engagement.wiki_views", "training.completion_rate",
			"value.time_saved", "value.toil_savings_value", "format.pass_rate",
		},
	}
}
