// Package slo builds the bundle's SLO rules the way Sloth does: per SLO,
// the SLI error ratio over every alert window and the period, the
// objective, error budget, burn rates and attainment as recording rules,
// and multi-window multi-burn-rate alerts that page on a fast burn and
// open a ticket on a slow one. The windows and burn-rate pairs are data
// (Windows, Burns); the same SLOs always give the same bytes.
package slo

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"

	"github.com/sre-value/sre-value-exporter/internal/bundle/rules"
	"github.com/sre-value/sre-value-exporter/internal/config"
	"github.com/sre-value/sre-value-exporter/internal/metrics"
)

// The labels every SLO series carries.
const (
	ServiceLabel = metrics.SLOServiceLabel
	SLOLabel     = metrics.SLONameLabel
	OriginLabel  = metrics.SLOOriginLabel
)

// The values of OriginLabel: the SLO's SLI is a Prometheus query the rules
// evaluate, or the SLO is measured elsewhere and reported per period in an
// slo records table (records.go).
const (
	OriginPrometheus = "prometheus"
	OriginRecords    = "records"
)

// The rule groups' names: recording rules first, so the alerts evaluated
// after them see the current values.
const (
	RecordingGroup = "sre-value.slo.rules"
	AlertGroup     = "sre-value.slo.alerts"
)

// Dashboard is the uid of the SLO dashboard the alerts link to.
const Dashboard = "sre-slos"

// Windows are the ranges the SLI error ratio is recorded over: every
// window a burn-rate pair reads. The period is recorded as well.
var Windows = []string{"5m", "30m", "1h", "2h", "6h", "1d", "3d"}

// Burn is a multi-window burn-rate condition: the error ratio over both
// windows above Factor times the error budget. The long window makes it
// significant, the short one makes it stop soon after the burn stops.
type Burn struct {
	Factor      float64
	Long, Short string
}

// Burns are the conditions of each severity, from the Google SRE workbook
// for a 30-day budget: a page spends 2% of it in an hour (14.4x) or 5% in
// six hours (6x); a ticket 10% in a day (3x) or 10% in three days (1x).
var Burns = []struct {
	Severity, Kind string
	Burns          []Burn
}{
	{"critical", "Page", []Burn{{14.4, "1h", "5m"}, {6, "6h", "30m"}}},
	{"warning", "Ticket", []Burn{{3, "1d", "2h"}, {1, "3d", "6h"}}},
}

// Names of the recording rules.
const (
	Objective             = "slo:objective:ratio"
	ErrorBudget           = "slo:error_budget:ratio"
	CurrentBurnRate       = "slo:current_burn_rate:ratio"
	PeriodBurnRate        = "slo:period_burn_rate:ratio"
	PeriodBudgetRemaining = "slo:period_error_budget_remaining:ratio"
	PeriodAttainment      = "slo:period_attainment:ratio"
	// ServiceOwner maps sre_service to the owning team of the catalog,
	// so dashboards filter SLOs by team.
	ServiceOwner = "slo:service_owner:info"
)

// ErrorRatio is the recording rule of the SLI error ratio over window.
func ErrorRatio(window string) string { return "slo:sli_error:ratio_rate" + window }

// Alert is an SLO alert and its runbook.
type Alert struct {
	Name    string
	Runbook []byte
}

// Rules are the rule groups of slos, and their alerts with runbooks.
func Rules(slos []config.SLO, generatedBy string) (rulefmt.RuleGroups, []Alert, error) {
	rec := rulefmt.RuleGroup{Name: RecordingGroup}
	al := rulefmt.RuleGroup{Name: AlertGroup}
	var alerts []Alert
	var errs []error
	names := map[string]bool{}
	for _, s := range slos {
		r, a, err := build(s, generatedBy)
		if err != nil {
			errs = append(errs, fmt.Errorf("slo %s/%s: %w", s.Service, s.Name, err))
			continue
		}
		for _, x := range a {
			if names[x.Name] {
				errs = append(errs, fmt.Errorf("slo %s/%s: alert %s is already generated for another SLO", s.Service, s.Name, x.Name))
			}
			names[x.Name] = true
		}
		rec.Rules = append(rec.Rules, r...)
		for _, x := range a {
			al.Rules = append(al.Rules, x.rule)
			alerts = append(alerts, Alert{Name: x.Name, Runbook: x.runbook})
		}
	}
	rec.Rules = append(rec.Rules, recordsRules()...)
	rec.Rules = append(rec.Rules, serviceOwnerRule())
	for _, g := range []rulefmt.RuleGroup{rec, al} {
		for _, r := range g.Rules {
			if _, err := rules.ParseExpr(r.Expr); err != nil {
				errs = append(errs, fmt.Errorf("rule %s%s: %w", r.Record, r.Alert, err))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return rulefmt.RuleGroups{}, nil, err
	}
	return rulefmt.RuleGroups{Groups: []rulefmt.RuleGroup{rec, al}}, alerts, nil
}

type alert struct {
	Name    string
	rule    rulefmt.Rule
	runbook []byte
}

// windows are the SLO's recorded windows: Windows and its period.
func windows(s config.SLO) []string {
	period := s.Period.String()
	for _, w := range Windows {
		if w == period {
			return Windows
		}
	}
	return append(append([]string(nil), Windows...), period)
}

func build(s config.SLO, generatedBy string) ([]rulefmt.Rule, []alert, error) {
	labels := func() map[string]string {
		return map[string]string{ServiceLabel: s.Service, SLOLabel: s.Name, OriginLabel: OriginPrometheus}
	}
	// The origin keeps a records-table SLO of the same service and name
	// out of every match.
	sel := func(name string) string {
		return fmt.Sprintf("%s{%s=%s, %s=%s, %s=%q}", name, ServiceLabel, strconv.Quote(s.Service), SLOLabel, strconv.Quote(s.Name), OriginLabel, OriginPrometheus)
	}
	var out []rulefmt.Rule
	for _, w := range windows(s) {
		e, err := s.ErrorQuery.For(w)
		if err != nil {
			return nil, nil, fmt.Errorf("error_query: %w", err)
		}
		t, err := s.TotalQuery.For(w)
		if err != nil {
			return nil, nil, fmt.Errorf("total_query: %w", err)
		}
		out = append(out, rulefmt.Rule{Record: ErrorRatio(w), Expr: "(" + e + ")\n/\n(" + t + ")", Labels: labels()})
	}
	budget := num(s.ErrorBudget())
	period := ErrorRatio(s.Period.String())
	perBudget := func(ratio string) string {
		return fmt.Sprintf("%s\n/ on(%s, %s, %s) group_left\n%s", sel(ratio), ServiceLabel, SLOLabel, OriginLabel, sel(ErrorBudget))
	}
	out = append(out,
		rulefmt.Rule{Record: Objective, Expr: "vector(" + num(s.ObjectiveRatio()) + ")", Labels: labels()},
		rulefmt.Rule{Record: ErrorBudget, Expr: "vector(" + budget + ")", Labels: labels()},
		rulefmt.Rule{Record: CurrentBurnRate, Expr: perBudget(ErrorRatio(Windows[0])), Labels: labels()},
		rulefmt.Rule{Record: PeriodBurnRate, Expr: perBudget(period), Labels: labels()},
		rulefmt.Rule{Record: PeriodBudgetRemaining, Expr: "1 - " + sel(PeriodBurnRate), Labels: labels()},
		rulefmt.Rule{Record: PeriodAttainment, Expr: "1 - " + sel(period), Labels: labels()},
	)
	var alerts []alert
	for _, sev := range Burns {
		var conds, texts []string
		for _, b := range sev.Burns {
			total, err := s.TotalQuery.For(b.Long)
			if err != nil {
				return nil, nil, fmt.Errorf("total_query: %w", err)
			}
			threshold := num(b.Factor) + " * " + budget
			conds = append(conds, fmt.Sprintf("(\n  %s > %s\n  and\n  %s > %s\n  and ignoring(%s, %s, %s)\n  (%s) > %s\n)",
				sel(ErrorRatio(b.Long)), threshold, sel(ErrorRatio(b.Short)), threshold, ServiceLabel, SLOLabel, OriginLabel, total, num(s.MinTotal)))
			texts = append(texts, fmt.Sprintf("%sx the budget over both %s and %s", num(b.Factor), b.Long, b.Short))
		}
		name := AlertName(s, sev.Kind)
		expr := strings.Join(conds, "\nor\n")
		summary := fmt.Sprintf("%s is burning the error budget of its SLO %s too fast.", s.Service, s.Name)
		description := fmt.Sprintf("The error ratio of %s/%s over the alert's long window is {{ $value | humanizePercentage }}, at least %sx its error budget of %s%% (objective %s%% over %s; fires on %s, with a total above %s over the long window).",
			s.Service, s.Name, num(sev.Burns[len(sev.Burns)-1].Factor), num(100-float64(s.Objective)), num(float64(s.Objective)), s.Period, strings.Join(texts, ", or "), num(s.MinTotal))
		alerts = append(alerts, alert{
			Name: name,
			rule: rulefmt.Rule{
				Alert:  name,
				Expr:   expr,
				Labels: map[string]string{"severity": sev.Severity},
				Annotations: map[string]string{
					"summary":     summary,
					"description": description,
					"runbook_url": rules.RunbookURL(name),
					"dashboard":   "/d/" + Dashboard,
				},
			},
			runbook: runbook(s, name, sev.Severity, texts, expr, generatedBy),
		})
	}
	return out, alerts, nil
}

// AlertName is the SLO's alert of kind Page or Ticket, such as
// SreHelpAnsweredWithin4hSLOBurnPage.
func AlertName(s config.SLO, kind string) string {
	return camel(s.Service) + camel(s.Name) + "SLOBurn" + kind
}

// camel turns a lower-case hyphenated name into CamelCase.
func camel(s string) string {
	var b strings.Builder
	for _, part := range strings.Split(s, "-") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

// num formats a number the shortest way that reads back exactly.
func num(v float64) string { return model.SampleValue(v).String() }
