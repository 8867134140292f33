package slo

import (
	"fmt"
	"strconv"

	"github.com/prometheus/prometheus/model/rulefmt"

	"github.com/sre-value/sre-value-exporter/internal/metrics"
)

// recordsRules put the SLOs reported in slo records tables (measured in
// SumoLogic, Datadog, a spreadsheet) under the same recording-rule names
// as the rule-measured ones, with origin="records": the objective, the
// error budget, the attainment of the latest reported period, its burn
// rate and the budget it left. Dashboards and reports then read one
// contract for both. They have no SLI ratios, burn rates over alert
// windows or alerts: a reported period is over when it is reported.
func recordsRules() []rulefmt.Rule {
	labels := func() map[string]string { return map[string]string{OriginLabel: OriginRecords} }
	sel := func(name string) string { return fmt.Sprintf("%s{%s=%q}", name, OriginLabel, OriginRecords) }
	return []rulefmt.Rule{
		{Record: Objective, Expr: fromRecords(metrics.SLORecordObjective), Labels: labels()},
		{Record: ErrorBudget, Expr: "1 - " + sel(Objective), Labels: labels()},
		{Record: PeriodAttainment, Expr: fromRecords(metrics.SLORecordAttainment), Labels: labels()},
		{Record: PeriodBurnRate, Expr: fmt.Sprintf("(1 - %s)\n/\n%s", sel(PeriodAttainment), sel(ErrorBudget)), Labels: labels()},
		{Record: PeriodBudgetRemaining, Expr: "1 - " + sel(PeriodBurnRate), Labels: labels()},
	}
}

// serviceOwnerRule records the catalog's owner of each service under the
// SLO service label (1 per service), so a dashboard joins SLOs to teams
// with on(sre_service) and needs no label_replace, whose "$1" Grafana
// would read as a variable.
func serviceOwnerRule() rulefmt.Rule {
	return rulefmt.Rule{Record: ServiceOwner, Expr: fmt.Sprintf("max by (%s, team) (\n  label_replace(%s, %q, \"$1\", \"service\", \"(.*)\")\n)",
		ServiceLabel, metrics.ServiceInfo.Name, ServiceLabel)}
}

// fromRecords relabels a records-table family's service and slo labels to
// the SLO labels, one series per SLO (max, should two exporters report it).
func fromRecords(f *metrics.Family) string {
	relabel := func(expr, to, from string) string {
		return fmt.Sprintf("label_replace(%s, %s, \"$1\", %s, \"(.*)\")", expr, strconv.Quote(to), strconv.Quote(from))
	}
	return fmt.Sprintf("max by (%s, %s) (\n  %s\n)", ServiceLabel, SLOLabel, relabel(relabel(f.Name, ServiceLabel, "service"), SLOLabel, "slo"))
}
