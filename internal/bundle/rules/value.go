package rules

import (
	"fmt"
	"strings"

	"github.com/sre-value/sre-value-exporter/internal/metrics"
	windows "github.com/sre-value/sre-value-exporter/internal/window"
)

// The value rules turn incident and savings figures into money with the
// value: section's gauges (docs/value.md explains every formula with a worked
// example). Every money rule carries the currency label of sre_value_info,
// so a result without a configured currency does not exist rather than
// being guessed.
var (
	// The configured prices, deduplicated across exporter replicas.
	Currency            = recordName("currency", metrics.ValueInfo, "max")
	SeverityCostPerHour = recordName("severity", metrics.ValueSeverityDowntimeCost, "max")
	ServiceCostPerHour  = recordName("service", metrics.ValueServiceDowntimeCost, "max")
	EngineerHourlyRate  = recordName("org", metrics.ValueEngineerHourlyRate, "max")
	SRETeamCostPerSec   = recordName("org", metrics.ValueSRETeamCost, "per_second")

	// Downtime: the time to resolve of the incidents resolved in a window.
	Downtime                              = recordName("severity_service", metrics.IncidentTimeToResolveInWindow, "sum")
	DowntimePrevious                      = recordName("severity_service", metrics.IncidentTimeToResolveInWindow, "sum_previous_period")
	DowntimeCostBySeverityService         = recordName("severity_service", metrics.IncidentTimeToResolveInWindow, "downtime_cost")
	DowntimeCostPreviousBySeverityService = recordName("severity_service", metrics.IncidentTimeToResolveInWindow, "downtime_cost_previous_period")
	DowntimeCost                          = recordName("window", metrics.IncidentTimeToResolveInWindow, "downtime_cost")
	DowntimeCostPrevious                  = recordName("window", metrics.IncidentTimeToResolveInWindow, "downtime_cost_previous_period")
	DowntimeCostAvoided                   = recordName("window", metrics.IncidentTimeToResolveInWindow, "downtime_cost_avoided")
	DowntimeUnpriced                      = recordName("window", metrics.IncidentTimeToResolveInWindow, "unpriced_sum")
	IncidentsOpened                       = recordName("window", metrics.IncidentsOpenedInWindow, "sum")
	IncidentsOpenedPrevious               = recordName("window", metrics.IncidentsOpenedInWindow, "sum_previous_period")
	IncidentReduction                     = recordName("window", metrics.IncidentsOpenedInWindow, "reduction_ratio")
	TimeSaved                             = recordName("window", metrics.SavingsTimeInWindow, "sum")
	TimeSavedValue                        = recordName("window", metrics.SavingsTimeInWindow, "value")
	MoneySaved                            = recordName("window", metrics.SavingsMoneyInWindow, "sum")
	SavingsValue                          = recordName("window", metrics.SavingsMoneyInWindow, "savings_value")
	SRETeamCost                           = recordName("window", metrics.ValueSRETeamCost, "sum")
	ValueDelivered                        = recordName("window", metrics.ValueInfo, "value_delivered")
	ROI                                   = recordName("window", metrics.ValueSRETeamCost, "roi")
	SavingsROI                            = recordName("window", metrics.ValueSRETeamCost, "savings_roi")
	OrgTrainingRatio                      = recordName("org", metrics.TrainingCompletions, "ratio")
	SurveySatisfaction                    = recordName("survey", metrics.SurveyScorePointsInWindow, "ratio")
	moneyLabels                           = []string{metrics.WindowLabel, metrics.ValueInfo.Labels[0]}
	downtimeLabels                        = []string{"severity", "service", metrics.WindowLabel}
	downtimeMoneyLabels                   = append(append([]string{}, downtimeLabels...), metrics.ValueInfo.Labels[0])
)

// previousLookback is how far back from one window ago a previous-period
// rule looks for the window's figure: a backfill writes history at 1h
// steps (its default), so a bare offset would find a sample only in the
// minutes after each hour.
const previousLookback = "1h"

// previousPeriod is expr's windowed series one window earlier: the 7-day
// figure a week ago, the 30-day figure 30 days ago and so on, so each
// window is compared with the period just before it. It reads the last
// sample within previousLookback of that instant, which on scraped data
// is the value at that instant.
func previousPeriod(name string, matchers ...string) string {
	var parts []string
	for _, w := range windows.All {
		parts = append(parts, fmt.Sprintf("last_over_time(%s[%s] offset %s)", sel(name, append(clone(matchers), window(w.Label))...), previousLookback, w.Label))
	}
	return strings.Join(parts, "\nor\n")
}

// priced is downtime seconds by severity, service and window turned into
// money: the service's own cost per hour where it has one, else its
// severity's, with the currency label. Downtime priced by neither has no
// result (see DowntimeUnpriced).
func priced(downtime string) string {
	return fmt.Sprintf("%s (\n  (\n    %s * on(service) group_left() %s\n    or\n    %s * on(severity) group_left() %s\n  ) / 3600\n  * on() group_left(%s) %s\n)",
		by(downtimeMoneyLabels), downtime, ServiceCostPerHour, downtime, SeverityCostPerHour, metrics.ValueInfo.Labels[0], Currency)
}

// block is sum by (labels) around a multi-line body, indented.
func block(body string, labels ...string) string {
	return "sum by (" + strings.Join(labels, ", ") + ") (\n" + indent(body) + "\n)"
}

func indent(s string) string { return "  " + strings.ReplaceAll(s, "\n", "\n  ") }

func by(labels []string) string { return "sum by (" + strings.Join(labels, ", ") + ")" }

// windowSeconds is a series per window, labelled window, whose value is
// the window's length in seconds.
func windowSeconds() string {
	var parts []string
	for _, w := range windows.All {
		parts = append(parts, fmt.Sprintf(`label_replace(vector(%s), "%s", "%s", "", "")`, num(w.Duration.Seconds()), metrics.WindowLabel, w.Label))
	}
	return strings.Join(parts, "\nor\n")
}

// orZero is a or, where a has no series, b * 0: a figure that is absent
// for a window where the other is present counts as 0.
func orZero(a, b string) string { return fmt.Sprintf("(%s or %s * 0)", a, b) }

// withCurrency joins the currency label onto expr, an amount of money.
func withCurrency(expr string) string {
	return fmt.Sprintf("%s * on() group_left(%s) %s", expr, metrics.ValueInfo.Labels[0], Currency)
}

// ValueRecordings are the money rules and the organisation-wide figures the
// executive dashboard reads, in evaluation order.
func ValueRecordings() []Recording {
	cur := metrics.ValueInfo.Labels[0]
	ttr := metrics.IncidentTimeToResolveInWindow.Name + "_sum"
	return []Recording{
		{Currency, fmt.Sprintf("max by (%s) (%s)", cur, metrics.ValueInfo.Name), "The currency of every money figure (value.currency), 1 per currency; every money rule joins its label on."},
		{SeverityCostPerHour, fmt.Sprintf("max by (severity) (%s)", metrics.ValueSeverityDowntimeCost.Name), "Cost of an hour of an incident of the severity (value.downtime_cost_per_hour.by_severity)."},
		{ServiceCostPerHour, fmt.Sprintf("max by (service) (%s)", metrics.ValueServiceDowntimeCost.Name), "Cost of an hour of an incident of the service (value.downtime_cost_per_hour.by_service); wins over the severity's."},
		{EngineerHourlyRate, fmt.Sprintf("max(%s)", metrics.ValueEngineerHourlyRate.Name), "The loaded cost of an engineer hour (value.engineer_hourly_rate)."},
		{SRETeamCostPerSec, fmt.Sprintf("max(%s)\n/\nmax(%s)", metrics.ValueSRETeamCost.Name, metrics.ValueSRETeamCostPeriod.Name), "What the SRE team costs per second: value.sre_team_cost.amount over its period in seconds."},
		{Downtime, sumBy(ttr, downtimeLabels...), "Downtime (seconds): the time to resolve summed over the incidents resolved in the window, by severity, service and window."},
		{DowntimePrevious, block(previousPeriod(ttr), downtimeLabels...), "The same downtime in the window before: the 7d figure 7 days ago, the 30d figure 30 days ago, the 90d figure 90 days ago (needs that much history)."},
		{DowntimeCostBySeverityService, priced(Downtime), "Downtime cost: downtime hours times the cost per hour of the service, or of the severity where the service has none, by severity, service, window and currency."},
		{DowntimeCostPreviousBySeverityService, priced(DowntimePrevious), "The previous period's downtime priced at today's costs per hour, so a changed price is not counted as a saving."},
		{DowntimeCost, sumBy(DowntimeCostBySeverityService, moneyLabels...), "Downtime cost of the incidents resolved in the window, by window and currency."},
		{DowntimeCostPrevious, sumBy(DowntimeCostPreviousBySeverityService, moneyLabels...), "Downtime cost of the incidents resolved in the window before, at today's prices, by window and currency."},
		{DowntimeCostAvoided, block(DowntimeCostPrevious+"\n-\n"+orZero(DowntimeCost, DowntimeCostPrevious), moneyLabels...),
			"Downtime cost avoided: the previous period's downtime cost (its incident count times its MTTR, per severity and service, at today's prices) minus this period's; negative when downtime cost more."},
		{DowntimeUnpriced, fmt.Sprintf("%s\n-\n(\n  %s\n  or\n  %s * 0\n)",
			sumBy(Downtime, metrics.WindowLabel),
			sumBy(fmt.Sprintf("\n    %s * on(service) group_left() (0 * %s + 1)\n    or\n    %s * on(severity) group_left() (0 * %s + 1)\n  ", Downtime, ServiceCostPerHour, Downtime, SeverityCostPerHour), metrics.WindowLabel),
			sumBy(Downtime, metrics.WindowLabel)),
			"Downtime (seconds) of incidents whose service and severity have no cost per hour, so the downtime cost leaves them out; 0 when everything is priced."},
		{IncidentsOpened, sumBy(metrics.IncidentsOpenedInWindow.Name, metrics.WindowLabel), "Incidents opened in the window, every team, source and severity."},
		{IncidentsOpenedPrevious, block(previousPeriod(metrics.IncidentsOpenedInWindow.Name), metrics.WindowLabel), "Incidents opened in the window before (the 30d figure 30 days ago, ...)."},
		{IncidentReduction, block(fmt.Sprintf("1 - %s / (%s > 0)", IncidentsOpened, IncidentsOpenedPrevious), metrics.WindowLabel), "Incident reduction: 1 - incidents opened in the window / incidents opened in the window before (0.25 is a quarter fewer; negative is more); absent when the previous period had none."},
		{TimeSaved, sumBy(metrics.SavingsTimeInWindow.Name, metrics.WindowLabel), "Time saved (seconds) by the savings dated in the window, every team and category."},
		{TimeSavedValue, block(fmt.Sprintf("%s / 3600\n* on() group_left() %s\n* on() group_left(%s) %s", TimeSaved, EngineerHourlyRate, cur, Currency), moneyLabels...), "Value of the time saved: hours saved times the engineer hourly rate, by window and currency."},
		{MoneySaved, sumBy(metrics.SavingsMoneyInWindow.Name, metrics.WindowLabel), "Money saved by the savings dated in the window (money_saved, in value.currency), every team and category."},
		{SavingsValue, block(fmt.Sprintf("%s\n+\n%s", orZero(TimeSavedValue, withCurrency(MoneySaved)), orZero(withCurrency(MoneySaved), TimeSavedValue)), moneyLabels...),
			"Toil savings value: hours saved times the engineer hourly rate, plus money saved, by window and currency."},
		{SRETeamCost, block(fmt.Sprintf("(\n%s\n)\n* on() group_left() %s\n* on() group_left(%s) %s", indent(windowSeconds()), SRETeamCostPerSec, cur, Currency), moneyLabels...), "What the SRE team cost over the window: its cost per second times the window's seconds (value.sre_team_cost), by window and currency."},
		{ValueDelivered, block(SavingsValue+"\n+\n"+DowntimeCostAvoided, moneyLabels...), "Value delivered: toil savings value plus downtime cost avoided, by window and currency; absent until the previous period's downtime is known."},
		{ROI, block(ValueDelivered+"\n/\n"+SRETeamCost, metrics.WindowLabel), "ROI: value delivered over what the SRE team cost in the window (1 breaks even), by window."},
		{SavingsROI, block(SavingsValue+"\n/\n"+SRETeamCost, metrics.WindowLabel), "Savings ROI: toil savings value alone over what the SRE team cost in the window; needs no previous period."},
		{OrgTrainingRatio, fmt.Sprintf("sum(%s)\n/\nsum(%s)", metrics.TrainingCompletions.Name, metrics.TrainingEnrollments.Name), "Share of every enrolment (0 to 1) that is completed, across teams and courses."},
		{SurveySatisfaction, sumBy(metrics.SurveyScorePointsInWindow.Name, "survey", metrics.WindowLabel) + "\n/\n" + sumBy(metrics.SurveyResponsesInWindow.Name, "survey", metrics.WindowLabel), "Mean satisfaction (score over scale, 0 to 1) of the survey's responses dated in the window, every team, by survey and window."},
	}
}
