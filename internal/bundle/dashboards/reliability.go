package dashboards

import (
	"fmt"

	m "github.com/sre-value/sre-value-exporter/internal/metrics"
)

// officeHours is the event kind of the SRE office hours in the events table.
const officeHours = `kind="office_hours"`

// atMost colours a value red above target (lower is better).
func atMost(target float64) []step {
	if target <= 0 {
		return nil
	}
	return []step{{value: target, colour: "red"}}
}

// atLeast colours a value red below target (higher is better).
func atLeast(p *panel, target float64) {
	if target <= 0 {
		return
	}
	p.base = "red"
	p.thresholds = []step{{value: target, colour: "green"}}
}

func withAtLeast(p panel, target float64) panel {
	atLeast(&p, target)
	return p
}

var zero, one = 0.0, 1.0

func reliability(in Input) spec {
	w := windowMatch
	return spec{
		uid: "sre-reliability", title: "SRE / Reliability",
		description: "How often things break, how fast they are fixed, and whether the lessons are followed up.",
		tags:        []string{"reliability", "incidents"},
		variables:   []string{teamVariable, windowVariable},
		rows: []row{
			{title: "Incidents", panels: []panel{
				{kind: statPanel, title: "Open incidents", unit: unitCount, width: 6, height: 4,
					description: "Incidents open now across every incident source. Anything above zero is being worked on.",
					queries:     []query{{expr: sumBy("", sel(m.IncidentsOpen))}},
					thresholds:  []step{{value: 1, colour: "orange"}}},
				{kind: statPanel, title: "Opened in $window", unit: unitCount, width: 6, height: 4,
					description: "Incidents opened in the selected window, exact from the store (not extrapolated).",
					queries:     []query{{expr: sumBy("", sel(m.IncidentsOpenedInWindow, w))}}},
				{kind: statPanel, title: "Resolved in $window", unit: unitCount, width: 6, height: 4,
					description: "Incidents resolved in the selected window, exact from the store.",
					queries:     []query{{expr: sumBy("", sel(m.IncidentsResolvedInWindow, w))}}},
				{kind: statPanel, title: "Opened per window", unit: unitCount, width: 6, height: 4,
					description: "Incidents opened in the last 7, 30 and 90 days side by side: is the rate rising?",
					queries:     []query{{expr: sumBy(m.WindowLabel, sel(m.IncidentsOpenedInWindow)), legend: "{{window}}"}}},
				{kind: barGaugePanel, title: "By severity ($window)", unit: unitCount, width: 8, height: 8,
					description: "Incidents opened in the window by their current severity.",
					queries:     []query{{expr: sumBy("severity", sel(m.IncidentsOpenedInWindow, w)), legend: "{{severity}}"}}},
				{kind: barGaugePanel, title: "By service ($window)", unit: unitCount, width: 8, height: 8,
					description: "Incidents opened in the window by service: where reliability work pays off most.",
					queries:     []query{{expr: sumBy("service", sel(m.IncidentsOpenedInWindow, w)), legend: "{{service}}"}}},
				{kind: barGaugePanel, title: "By team ($window)", unit: unitCount, width: 8, height: 8,
					description: "Incidents opened in the window by owning team.",
					queries:     []query{{expr: sumBy("team", sel(m.IncidentsOpenedInWindow, w)), legend: "{{team}}"}}},
				{kind: timeseriesPanel, title: "Open incidents by severity", unit: unitCount, width: 12, height: 8,
					description: "Incidents open over time by severity; a line that does not come down is a backlog.",
					queries:     []query{{expr: sumBy("severity", sel(m.IncidentsOpen)), legend: "{{severity}}"}},
					history:     "a trend over the dashboard's time range"},
				{kind: timeseriesPanel, title: "Incidents opened per day", unit: unitCount, width: 12, height: 8,
					description: "Incidents opened in each day by severity, from the counter of incidents first seen.",
					queries:     []query{{expr: sumBy("severity", fmt.Sprintf("increase(%s[1d])", sel(m.IncidentsOpened))), legend: "{{severity}}"}},
					history:     "increase over a day needs a day of scrapes"},
			}},
			{title: "Time to acknowledge and resolve", panels: []panel{
				{kind: statPanel, title: "MTTR per window", unit: unitSeconds, width: 6, height: 5,
					description: "Mean time from opened to resolved of the incidents resolved in the last 7, 30 and 90 days (exact window histograms).",
					queries:     []query{{expr: mean(m.IncidentTimeToResolveInWindow, m.WindowLabel), legend: "{{window}}"}},
					thresholds:  atMost(in.Targets.MTTR.Seconds())},
				{kind: statPanel, title: "MTTA per window", unit: unitSeconds, width: 6, height: 5,
					description: "Mean time from opened to acknowledged of the incidents acknowledged in the last 7, 30 and 90 days.",
					queries:     []query{{expr: mean(m.IncidentTimeToAcknowledgeInWindow, m.WindowLabel), legend: "{{window}}"}},
					thresholds:  atMost(in.Targets.MTTA.Seconds())},
				{kind: statPanel, title: "p90 time to resolve ($window)", unit: unitSeconds, width: 6, height: 5,
					description: "Nine in ten incidents resolved in the window were resolved within this time (estimated from the histogram buckets).",
					queries:     []query{{expr: quantile(0.9, m.IncidentTimeToResolveInWindow, "", w)}}},
				{kind: statPanel, title: "p90 time to acknowledge ($window)", unit: unitSeconds, width: 6, height: 5,
					description: "Nine in ten incidents acknowledged in the window were acknowledged within this time.",
					queries:     []query{{expr: quantile(0.9, m.IncidentTimeToAcknowledgeInWindow, "", w)}}},
				{kind: barGaugePanel, title: "MTTR by severity ($window)", unit: unitSeconds, width: 12, height: 8,
					description: "Mean time to resolve by severity: sev1 should be the fastest.",
					queries:     []query{{expr: mean(m.IncidentTimeToResolveInWindow, "severity", w), legend: "{{severity}}"}},
					thresholds:  atMost(in.Targets.MTTR.Seconds())},
				{kind: tablePanel, title: "MTTR and MTTA by service ($window)", unit: unitSeconds, width: 12, height: 8,
					description: "Mean times to resolve and acknowledge per service, to find the services that take longest to recover.",
					queries: []query{
						{expr: mean(m.IncidentTimeToResolveInWindow, "service", w), legend: "MTTR"},
						{expr: mean(m.IncidentTimeToAcknowledgeInWindow, "service", w), legend: "MTTA"},
					}},
			}},
			{title: "Postmortems and action items", panels: []panel{
				withAtLeast(panel{kind: statPanel, title: "Postmortem coverage ($window)", unit: unitRatio, width: 6, height: 5, min: &zero, max: &one,
					description: "Share of the incidents resolved in the window that have a postmortem.",
					queries:     []query{{expr: ratio("", sel(m.IncidentsResolvedWithPostmortemInWindow, w), sel(m.IncidentsResolvedInWindow, w))}}},
					in.Targets.PostmortemCoverage),
				{kind: statPanel, title: "Action items open", unit: unitCount, width: 6, height: 5,
					description: "Postmortem action items not done yet.",
					queries:     []query{{expr: sumBy("", sel(m.PostmortemActionItems, `state="open"`))}}},
				{kind: statPanel, title: "Action items overdue", unit: unitCount, width: 6, height: 5,
					description: "Open postmortem action items past their due date: lessons not yet applied.",
					queries:     []query{{expr: sumBy("", sel(m.PostmortemActionItemsOverdue))}},
					thresholds:  []step{{value: 1, colour: "red"}}},
				{kind: barGaugePanel, title: "Overdue action items by team", unit: unitCount, width: 6, height: 5,
					description: "Overdue postmortem action items by owning team.",
					queries:     []query{{expr: sumBy("team", sel(m.PostmortemActionItemsOverdue)), legend: "{{team}}"}},
					thresholds:  []step{{value: 1, colour: "red"}}},
				withAtLeast(panel{kind: barGaugePanel, title: "Postmortem coverage by team ($window)", unit: unitRatio, width: 24, height: 8, min: &zero, max: &one,
					description: "Share of each team's resolved incidents in the window that have a postmortem.",
					queries:     []query{{expr: ratio("team", sel(m.IncidentsResolvedWithPostmortemInWindow, w), sel(m.IncidentsResolvedInWindow, w)), legend: "{{team}}"}}},
					in.Targets.PostmortemCoverage),
			}},
			sloRow(teamSLOs),
		},
	}
}
