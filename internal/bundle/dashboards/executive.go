package dashboards

import (
	"fmt"
	"slices"

	"github.com/sre-value/sre-value-exporter/internal/bundle/rules"
	"github.com/sre-value/sre-value-exporter/internal/bundle/slo"
)

// ExecutiveUID is the executive overview's uid.
const ExecutiveUID = "sre-executive"

// quarterWindow is the window variable of the executive overview: the same
// windows, 90 days by default for a quarterly business review.
const quarterWindow = "window (90d)"

// grafanaCurrencies are the ISO 4217 codes Grafana has a built-in unit
// for ("currencyEUR" shows €1.5K); other codes use Grafana's custom
// currency unit "currency:<code>", which prefixes the code.
var grafanaCurrencies = []string{
	"BGN", "BRL", "CHF", "CZK", "DKK", "EUR", "GBP", "IDR", "ILS", "INR", "ISK", "JPY", "KRW", "MYR",
	"NOK", "PHP", "PLN", "PYG", "RUB", "SEK", "TRY", "UAH", "USD", "UYU", "VND", "XPF", "ZAR",
}

// moneyUnit is the Grafana unit of an amount in currency.
func moneyUnit(currency string) string {
	switch {
	case currency == "":
		return unitCount
	case slices.Contains(grafanaCurrencies, currency):
		return "currency" + currency
	}
	return "currency:" + currency
}

// rule is a recording rule's series with matchers.
func rule(name string, matchers ...string) string {
	if len(matchers) == 0 {
		return name
	}
	out := name + "{"
	for i, m := range matchers {
		if i > 0 {
			out += ","
		}
		out += m
	}
	return out + "}"
}

// Why panels need more than the exporter's current figures.
const (
	previousPeriodHistory = "the previous period: Prometheus history of twice the window (180 days for 90d), or a backfill"
	trendHistory          = "a 180-day trend of the rolling 30-day figures"
)

func executive(in Input) spec {
	w := windowMatch
	money := moneyUnit(in.Currency)
	month := `window="30d"`
	return spec{
		uid: ExecutiveUID, title: "SRE / Executive overview",
		description: "The quarterly business review at a glance: incidents and their trend, time to acknowledge and resolve, SLO compliance, what downtime cost and what the SRE team saved and cost, satisfaction, training and champions. Every figure is a recording rule of docs/rules.md; the money formulas are in docs/value.md.",
		tags:        []string{"executive", "value"},
		variables:   []string{quarterWindow},
		from:        "now-180d",
		rows: []row{
			{title: "Incidents and recovery ($window)", panels: []panel{
				{kind: statPanel, title: "Incidents opened ($window)", unit: unitCount, width: 6, height: 5, trend: true, lowerIsBetter: true,
					description: "Incidents opened in the window, every team, source and severity (" + rules.IncidentsOpened + "). The sparkline and percentage are the rolling figure over the last 6 months.",
					queries:     []query{{expr: rule(rules.IncidentsOpened, w)}}},
				{kind: statPanel, title: "Incident reduction vs the previous $window", unit: unitRatio, width: 6, height: 5,
					description: "1 - incidents opened in the window / incidents opened in the window before it (" + rules.IncidentReduction + "). 40% means 40% fewer incidents; below 0 means more.",
					queries:     []query{{expr: rule(rules.IncidentReduction, w)}},
					base:        "red", thresholds: []step{{value: 0, colour: "green"}},
					history: previousPeriodHistory},
				{kind: statPanel, title: "MTTR ($window)", unit: unitSeconds, width: 6, height: 5, trend: true, lowerIsBetter: true,
					description: "Mean time to resolve: total time from opened to resolved / incidents resolved in the window, every incident counted once (" + rules.MTTR + ").",
					queries:     []query{{expr: rule(rules.MTTR, w)}},
					thresholds:  atMost(in.Targets.MTTR.Seconds())},
				{kind: statPanel, title: "MTTA ($window)", unit: unitSeconds, width: 6, height: 5, trend: true, lowerIsBetter: true,
					description: "Mean time to acknowledge: total time from opened to acknowledged / incidents acknowledged in the window (" + rules.MTTA + ").",
					queries:     []query{{expr: rule(rules.MTTA, w)}},
					thresholds:  atMost(in.Targets.MTTA.Seconds())},
				{kind: timeseriesPanel, title: "Incidents opened, 6 months", unit: unitCount, width: 12, height: 8,
					description: "Incidents opened in the trailing 30 days, day by day over 6 months (" + rules.IncidentsOpened + `{window="30d"}): a falling line is fewer incidents.`,
					queries:     []query{{expr: rule(rules.IncidentsOpened, month), legend: "opened in 30 days"}},
					history:     trendHistory},
				{kind: timeseriesPanel, title: "MTTR and MTTA, 6 months", unit: unitSeconds, width: 12, height: 8,
					description: "The 30-day mean times to resolve and acknowledge, day by day over 6 months (" + rules.MTTR + ", " + rules.MTTA + ").",
					queries: []query{
						{expr: rule(rules.MTTR, month), legend: "MTTR (30 days)"},
						{expr: rule(rules.MTTA, month), legend: "MTTA (30 days)"},
					},
					thresholds: atMost(in.Targets.MTTR.Seconds()),
					history:    trendHistory},
			}},
			{title: "Service level objectives", panels: []panel{
				{kind: statPanel, title: "SLOs meeting their objective", unit: unitRatio, width: 6, height: 8, min: &zero, max: &one,
					description: "Share of the SLOs whose attainment over their period is at or above their objective: avg(" + slo.PeriodAttainment + " >= bool " + slo.Objective + "). Green only when every SLO meets it.",
					queries:     []query{{expr: fmt.Sprintf("avg(%s >= bool %s)", slo.PeriodAttainment, slo.Objective)}},
					base:        "red", thresholds: []step{{value: 1, colour: "green"}}},
				{kind: barGaugePanel, title: "SLO attainment by service", unit: unitRatio, width: 9, height: 8, max: &one,
					description: "Each SLO's share of good events over its period (" + slo.PeriodAttainment + "), by service and SLO.",
					queries:     []query{{expr: slo.PeriodAttainment, legend: "{{" + slo.ServiceLabel + "}} / {{" + slo.SLOLabel + "}}"}}},
				{kind: barGaugePanel, title: "Margin above objective", unit: unitRatio, width: 9, height: 8,
					description: "Attainment minus objective per SLO (" + slo.PeriodAttainment + " - " + slo.Objective + "): red below 0 is an SLO missed over its period.",
					queries:     []query{{expr: slo.PeriodAttainment + " - " + slo.Objective, legend: "{{" + slo.ServiceLabel + "}} / {{" + slo.SLOLabel + "}}"}},
					base:        "red", thresholds: []step{{value: 0, colour: "green"}}},
			}},
			{title: "Value ($window)", panels: []panel{
				{kind: statPanel, title: "Downtime cost ($window)", unit: money, width: 6, height: 5, trend: true, lowerIsBetter: true,
					description: "Sum over the incidents resolved in the window of time to resolve (hours) x cost per hour of their service, or of their severity where the service has none (" + rules.DowntimeCost + ").",
					queries:     []query{{expr: rule(rules.DowntimeCost, w)}}},
				{kind: statPanel, title: "Downtime cost avoided vs the previous $window", unit: money, width: 6, height: 5,
					description: "Previous window's downtime cost - this window's, both at today's cost per hour: per severity and service, previous incident count x previous MTTR x cost per hour, minus the same now (" + rules.DowntimeCostAvoided + "). Below 0 downtime cost more.",
					queries:     []query{{expr: rule(rules.DowntimeCostAvoided, w)}},
					base:        "red", thresholds: []step{{value: 0, colour: "green"}},
					history: previousPeriodHistory},
				{kind: statPanel, title: "Toil savings value ($window)", unit: money, width: 6, height: 5, trend: true,
					description: "Hours saved x engineer hourly rate + money saved, over the savings dated in the window (" + rules.SavingsValue + ").",
					queries:     []query{{expr: rule(rules.SavingsValue, w)}}},
				{kind: statPanel, title: "Hours saved ($window)", unit: unitCount, width: 6, height: 5, trend: true,
					description: "Hours of toil saved by the savings dated in the window (" + rules.TimeSaved + " / 3600).",
					queries:     []query{{expr: rule(rules.TimeSaved, w) + " / 3600"}}},
				{kind: statPanel, title: "SRE team cost ($window)", unit: money, width: 6, height: 5,
					description: "SRE team cost per period / the period's seconds x the window's seconds (" + rules.SRETeamCost + "); a quarter is 365d/4.",
					queries:     []query{{expr: rule(rules.SRETeamCost, w)}}},
				{kind: statPanel, title: "ROI ($window)", unit: unitRatio, width: 6, height: 5,
					description: "Value delivered / SRE team cost, where value delivered = toil savings value + downtime cost avoided (" + rules.ROI + "). 100% breaks even.",
					queries:     []query{{expr: rule(rules.ROI, w)}},
					base:        "red", thresholds: []step{{value: 1, colour: "green"}},
					history: previousPeriodHistory},
				{kind: statPanel, title: "Savings ROI ($window)", unit: unitRatio, width: 6, height: 5,
					description: "Toil savings value alone / SRE team cost (" + rules.SavingsROI + "): the ROI before downtime avoided is counted, known without a previous period.",
					queries:     []query{{expr: rule(rules.SavingsROI, w)}},
					base:        "red", thresholds: []step{{value: 1, colour: "green"}}},
				{kind: statPanel, title: "Downtime without a price ($window)", unit: unitSeconds, width: 6, height: 5,
					description: "Time to resolve of incidents whose service and severity have no cost per hour in value.downtime_cost_per_hour, so the downtime cost leaves it out (" + rules.DowntimeUnpriced + ").",
					queries:     []query{{expr: rule(rules.DowntimeUnpriced, w)}},
					thresholds:  []step{{value: 1, colour: "orange"}}},
				{kind: barGaugePanel, title: "Downtime cost by service ($window)", unit: money, width: 12, height: 8,
					description: "Downtime cost of the window per service: hours to resolve x the service's (or severity's) cost per hour (" + rules.DowntimeCostBySeverityService + ").",
					queries:     []query{{expr: sumBy("service", rule(rules.DowntimeCostBySeverityService, w)), legend: "{{service}}"}}},
				{kind: timeseriesPanel, title: "Value and cost per 30 days, 6 months", unit: money, width: 12, height: 8,
					description: "Over the trailing 30 days, day by day: downtime cost, toil savings value, downtime cost avoided against the 30 days before, and the SRE team's cost (" + rules.DowntimeCost + ", " + rules.SavingsValue + ", " + rules.DowntimeCostAvoided + ", " + rules.SRETeamCost + ").",
					queries: []query{
						{expr: rule(rules.DowntimeCost, month), legend: "downtime cost"},
						{expr: rule(rules.SavingsValue, month), legend: "toil savings value"},
						{expr: rule(rules.DowntimeCostAvoided, month), legend: "downtime cost avoided"},
						{expr: rule(rules.SRETeamCost, month), legend: "SRE team cost"},
					},
					history: trendHistory},
			}},
			{title: "People", panels: []panel{
				{kind: statPanel, title: "Satisfaction ($window)", unit: unitRatio, width: 6, height: 5, min: &zero, max: &one,
					description: "Mean score / scale of the survey responses dated in the window, per survey (" + rules.SurveySatisfaction + ").",
					queries:     []query{{expr: rule(rules.SurveySatisfaction, w), legend: "{{survey}}"}}},
				withAtLeast(panel{kind: statPanel, title: "Training completion", unit: unitRatio, width: 6, height: 5, min: &zero, max: &one,
					description: "Completed enrolments / all enrolments, every team and course (" + rules.OrgTrainingRatio + ").",
					queries:     []query{{expr: rules.OrgTrainingRatio}}},
					in.Targets.TrainingCompletion),
				withAtLeast(panel{kind: statPanel, title: "Champion coverage", unit: unitRatio, width: 6, height: 5, min: &zero, max: &one,
					description: "Teams with at least one active reliability champion / all catalog teams (" + rules.ChampionCoverage + ").",
					queries:     []query{{expr: rules.ChampionCoverage}}},
					in.Targets.ChampionCoverage),
				{kind: statPanel, title: "Currency", unit: unitCount, width: 6, height: 5, showName: true,
					description: "The currency of every amount on this dashboard, from value.currency (" + rules.Currency + "); no currency means the configuration has no value: section and no amount is shown.",
					queries:     []query{{expr: rules.Currency, legend: "{{currency}}"}}},
			}},
		},
	}
}
