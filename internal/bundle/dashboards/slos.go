package dashboards

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/sre-value/sre-value-exporter/internal/bundle/slo"
	m "github.com/sre-value/sre-value-exporter/internal/metrics"
)

// serviceVariable selects SLOs by their sre_service label.
const serviceVariable = "service"

// Matchers of the SLO recording rules: the service variable and an origin.
var (
	serviceMatch = slo.ServiceLabel + `=~"$service"`
	measured     = slo.OriginLabel + "=" + strconv.Quote(slo.OriginPrometheus)
	reported     = slo.OriginLabel + "=" + strconv.Quote(slo.OriginRecords)
)

// serviceRule selects a recording rule of the SLO rules with the service
// variable and the given matchers.
func serviceRule(name string, matchers ...string) string {
	return rule(name, append([]string{serviceMatch}, matchers...)...)
}

// sloScope is which SLOs a dashboard's SLO row shows: those whose
// recording-rule series match matchers, and, with byTeam, only those of
// services the selected teams own in the catalog.
type sloScope struct {
	what     string // for the descriptions: "the selected teams' services"
	matchers []string
	byTeam   bool
}

// teamSLOs are the SLOs of the services the team variable selects.
var teamSLOs = sloScope{what: "the services the selected team owns (per the catalog)", byTeam: true}

// builtinSLO is the scope of one built-in SLO of the SRE team.
func builtinSLO(what, name string) sloScope {
	for _, s := range slo.Builtin() {
		if s.Name == name {
			return sloScope{what: what, matchers: []string{
				slo.ServiceLabel + "=" + strconv.Quote(s.Service), slo.SLOLabel + "=" + strconv.Quote(s.Name),
			}}
		}
	}
	panic("dashboards: no built-in SLO " + name)
}

// sreOwnSLOs are the built-in SLOs of the SRE team's own service.
func sreOwnSLOs() sloScope {
	var services []string
	seen := map[string]bool{}
	for _, s := range slo.Builtin() {
		if !seen[s.Service] {
			seen[s.Service] = true
			services = append(services, regexp.QuoteMeta(s.Service))
		}
	}
	return sloScope{what: "the SRE team's own service (the built-in SLOs)",
		matchers: []string{slo.ServiceLabel + `=~"` + strings.Join(services, "|") + `"`}}
}

// expr is the rule's series per SLO within the scope.
func (sc sloScope) expr(name string) string {
	e := perSLO(rule(name, sc.matchers...))
	if !sc.byTeam {
		return e
	}
	owned := fmt.Sprintf(`max by (%s) (%s{team=~"$team"})`, slo.ServiceLabel, slo.ServiceOwner)
	return fmt.Sprintf("%s * on(%s) group_left() %s", e, slo.ServiceLabel, owned)
}

// sloRow is a dashboard's SLO row: the attainment and the error budget
// left of the SLOs in scope, both origins, linking to the SLO dashboard
// for the detail.
func sloRow(sc sloScope) row {
	legend := sloLegend + " ({{" + slo.OriginLabel + "}})"
	return row{title: "SLOs", panels: []panel{
		{kind: barGaugePanel, title: "SLO attainment over the period", unit: unitRatio, width: 12, height: 6, min: &zero, max: &one,
			description: "Share of good events over the period of the SLOs of " + sc.what + ", measured by the rules (prometheus) or as last reported (records). The SLO dashboard (" + slo.Dashboard + ") has the detail.",
			queries:     []query{{expr: sc.expr(slo.PeriodAttainment), legend: legend}}},
		{kind: barGaugePanel, title: "SLO error budget remaining", unit: unitRatio, width: 12, height: 6, max: &one,
			description: "Share of the error budget left over the period of the SLOs of " + sc.what + ": red below 0 (objective missed), orange below a quarter.",
			queries:     []query{{expr: sc.expr(slo.PeriodBudgetRemaining), legend: legend}},
			base:        "red", thresholds: []step{{value: 0, colour: "orange"}, {value: 0.25, colour: "green"}}},
	}}
}

// perSLO keeps one series per SLO and origin, whatever else the rule's
// series carry (the labels an SLI query returns).
func perSLO(expr string) string {
	return fmt.Sprintf("max by (%s, %s, %s) (%s)", slo.ServiceLabel, slo.SLOLabel, slo.OriginLabel, expr)
}

// recorded selects a records-table family of the SLOs the service
// variable selects, one series per service and SLO.
func recorded(f *m.Family, matchers ...string) string {
	return "max by (service, slo) (" + sel(f, append([]string{`service=~"$service"`}, matchers...)...) + ")"
}

const recordLegend = "{{service}} / {{slo}}"

const sloLegend = "{{" + slo.ServiceLabel + "}} / {{" + slo.SLOLabel + "}}"

// firingSLOAlerts are the SLO burn-rate alerts firing now.
var firingSLOAlerts = `ALERTS{alertstate="firing",` + slo.SLOLabel + `!="",` + serviceMatch + `}`

func slos(Input) spec {
	return spec{
		uid: slo.Dashboard, title: "SRE / SLOs",
		description: "Every SLO: those Prometheus measures from the generated rules (SLI, objective, attainment, error budget, burn rate, alerts) and those measured elsewhere and reported in records tables, side by side.",
		tags:        []string{"slo"},
		variables:   []string{serviceVariable, windowVariable},
		rows: []row{
			{title: "SLOs, both kinds side by side", panels: []panel{
				{kind: barGaugePanel, title: "Attainment over the period", unit: unitRatio, width: 12, height: 8, min: &zero, max: &one,
					description: "Share of good events over each SLO's period: measured by the rules (origin prometheus) or as last reported in a records table (origin records). Compare with the objective in the table below; the error budget panel is red where it is missed.",
					queries:     []query{{expr: perSLO(serviceRule(slo.PeriodAttainment)), legend: sloLegend + " ({{" + slo.OriginLabel + "}})"}}},
				{kind: barGaugePanel, title: "Error budget remaining", unit: unitRatio, width: 12, height: 8, max: &one,
					description: "Share of each SLO's error budget left over its period: 1 untouched, 0 spent, below 0 overspent. Below 0 means the attainment is below the objective (red); orange when less than a quarter is left.",
					queries:     []query{{expr: perSLO(serviceRule(slo.PeriodBudgetRemaining)), legend: sloLegend + " ({{" + slo.OriginLabel + "}})"}},
					base:        "red", thresholds: []step{{value: 0, colour: "orange"}, {value: 0.25, colour: "green"}}},
				{kind: statPanel, title: "SLOs missing their objective", unit: unitCount, width: 8, height: 4,
					description: "SLOs, of both kinds, whose attainment over the period is below their objective (error budget overspent).",
					queries:     []query{{expr: "count(" + perSLO(serviceRule(slo.PeriodBudgetRemaining)) + " < 0) or vector(0)"}},
					thresholds:  []step{{value: 1, colour: "red"}}},
				{kind: statPanel, title: "SLO alerts firing", unit: unitCount, width: 8, height: 4,
					description: "Burn-rate alerts of the rule-measured SLOs firing now (pages and tickets).",
					queries:     []query{{expr: "count(" + firingSLOAlerts + ") or vector(0)"}},
					thresholds:  []step{{value: 1, colour: "red"}}},
				{kind: statPanel, title: "SLOs", unit: unitCount, width: 8, height: 4,
					description: "SLOs with an objective, by origin: measured by the rules (prometheus) or reported in records tables (records).",
					queries:     []query{{expr: fmt.Sprintf("count by (%s) (%s)", slo.OriginLabel, perSLO(serviceRule(slo.Objective))), legend: "{{" + slo.OriginLabel + "}}"}}},
			}},
			{title: "SLOs measured by Prometheus", panels: []panel{
				{kind: tablePanel, title: "Rule-measured SLOs", unit: unitRatio, width: 24, height: 8,
					description: "Per SLO: objective, attainment and error budget left over the period, and the current (5m) burn rate; a burn rate of 1 spends the budget exactly over the period.",
					queries: []query{
						{expr: perSLO(serviceRule(slo.Objective, measured)), legend: "Objective"},
						{expr: perSLO(serviceRule(slo.PeriodAttainment, measured)), legend: "Attainment"},
						{expr: perSLO(serviceRule(slo.PeriodBudgetRemaining, measured)), legend: "Budget left"},
						{expr: perSLO(serviceRule(slo.CurrentBurnRate, measured)), legend: "Burn rate (5m)"},
					}},
				{kind: timeseriesPanel, title: "SLI error ratio (5m) and error budget", unit: unitRatio, width: 12, height: 8, min: &zero,
					description: "Share of bad events over the last 5 minutes per SLO, with each SLO's error budget (1 - objective) as its own line: above its budget line, the SLO is burning faster than it can afford.",
					queries: []query{
						{expr: perSLO(serviceRule(slo.ErrorRatio(slo.Windows[0]), measured)), legend: sloLegend},
						{expr: perSLO(serviceRule(slo.ErrorBudget, measured)), legend: "budget " + sloLegend},
					},
					history: "a trend over the dashboard's time range"},
				{kind: timeseriesPanel, title: "Attainment over the period and objective", unit: unitRatio, width: 12, height: 8, max: &one,
					description: "Share of good events over each SLO's period, with its objective as its own line: below the objective line the SLO is missed.",
					queries: []query{
						{expr: perSLO(serviceRule(slo.PeriodAttainment, measured)), legend: sloLegend},
						{expr: perSLO(serviceRule(slo.Objective, measured)), legend: "objective " + sloLegend},
					},
					history: "a trend over the dashboard's time range"},
				{kind: timeseriesPanel, title: "Burn rate (5m)", unit: unitCount, width: 12, height: 8, min: &zero,
					description: "The 5-minute error ratio over the error budget: 1 spends the budget exactly over the period; the page alerts need 14.4 (over 1h) or 6 (over 6h), the tickets 3 (1d) or 1 (3d).",
					queries:     []query{{expr: perSLO(serviceRule(slo.CurrentBurnRate, measured)), legend: sloLegend}},
					thresholds:  []step{{value: 1, colour: "orange"}, {value: 6, colour: "red"}},
					history:     "a trend over the dashboard's time range"},
				{kind: timeseriesPanel, title: "Error budget remaining", unit: unitRatio, width: 12, height: 8, max: &one,
					description: "Share of each SLO's error budget left over its period; 0 is spent (red line).",
					queries:     []query{{expr: perSLO(serviceRule(slo.PeriodBudgetRemaining, measured)), legend: sloLegend}},
					base:        "red", thresholds: []step{{value: 0, colour: "green"}},
					history: "a trend over the dashboard's time range"},
				{kind: tablePanel, title: "SLO alerts firing", unit: unitCount, width: 24, height: 6,
					description: "The SLO burn-rate alerts firing now, by alert, severity and SLO; each has a runbook (see the Runbooks link).",
					queries:     []query{{expr: fmt.Sprintf("sum by (alertname, severity, %s, %s) (%s)", slo.ServiceLabel, slo.SLOLabel, firingSLOAlerts), legend: "Firing"}},
					history:     "no SLO alert fires on the demo"},
			}},
			{title: "SLOs measured elsewhere (records tables)", panels: []panel{
				{kind: tablePanel, title: "Reported SLOs", unit: unitRatio, width: 24, height: 8,
					description: "SLOs measured elsewhere (SumoLogic, Datadog, a spreadsheet), as last reported in a records table of type slo: objective, attainment and error budget left over the reported period.",
					queries: []query{
						{expr: perSLO(serviceRule(slo.Objective, reported)), legend: "Objective"},
						{expr: perSLO(serviceRule(slo.PeriodAttainment, reported)), legend: "Attainment"},
						{expr: perSLO(serviceRule(slo.PeriodBudgetRemaining, reported)), legend: "Budget left"},
					}},
				{kind: tablePanel, title: "Latest reported period ends", unit: unitDateTime, width: 12, height: 8,
					description: "When each reported SLO's latest period ended: a date long past means the table is not being kept up.",
					queries:     []query{{expr: recorded(m.SLORecordPeriodEnd) + " * 1000", legend: "Period end"}}},
				{kind: barGaugePanel, title: "Reported period length", unit: unitSeconds, width: 12, height: 8, min: &zero,
					description: "Length of each reported SLO's latest period (30 days, 4 weeks, a week).",
					queries:     []query{{expr: recorded(m.SLORecordPeriod), legend: recordLegend}}},
				withAtLeast(panel{kind: barGaugePanel, title: "Periods met ($window)", unit: unitRatio, width: 12, height: 8, min: &zero, max: &one,
					description: "Share of each reported SLO's periods that ended in the window with the objective met (a weekly SLO reports about 4 periods in 30 days, a monthly one 3 in 90).",
					queries: []query{{expr: ratio("service, slo",
						recorded(m.SLORecordPeriodsMetInWindow, windowMatch), recorded(m.SLORecordPeriodsInWindow, windowMatch)), legend: recordLegend}}},
					1),
				{kind: timeseriesPanel, title: "Reported attainment and objective", unit: unitRatio, width: 12, height: 8, max: &one,
					description: "Attainment of each reported SLO's latest period (a step per reported period), with its objective as its own line.",
					queries: []query{
						{expr: perSLO(serviceRule(slo.PeriodAttainment, reported)), legend: sloLegend},
						{expr: perSLO(serviceRule(slo.Objective, reported)), legend: "objective " + sloLegend},
					},
					history: "a trend over the dashboard's time range"},
			}},
		},
	}
}
