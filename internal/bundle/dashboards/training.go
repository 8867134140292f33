package dashboards

import (
	"fmt"

	m "github.com/sre-value/sre-value-exporter/internal/metrics"
)

func training(in Input) spec {
	w := windowMatch
	// coverage is the share of teams with at least one active champion;
	// every catalog team has a series (0 without a champion).
	perTeam := sumBy("team", sel(m.ChampionsActive))
	coverage := fmt.Sprintf("count(%s > 0) / count(%s)", perTeam, perTeam)
	return spec{
		uid: "sre-training", title: "SRE / Training and champions",
		description: "Who learns reliability practice: enrolments, completions, certifications and reliability champions per team.",
		tags:        []string{"training", "champions"},
		variables:   []string{teamVariable, windowVariable},
		rows: []row{
			{title: "Training", panels: []panel{
				{kind: statPanel, title: "Enrolments", unit: unitCount, width: 6, height: 5,
					description: "Enrolments in the training table, all time.",
					queries:     []query{{expr: sumBy("", sel(m.TrainingEnrollments))}}},
				{kind: statPanel, title: "Enrolled in $window", unit: unitCount, width: 6, height: 5,
					description: "Enrolments dated in the window.",
					queries:     []query{{expr: sumBy("", sel(m.TrainingEnrollmentsInWindow, w))}}},
				withAtLeast(panel{kind: statPanel, title: "Completion rate", unit: unitRatio, width: 6, height: 5, min: &zero, max: &one,
					description: "Completed enrolments over all enrolments.",
					queries:     []query{{expr: ratio("", sel(m.TrainingCompletions), sel(m.TrainingEnrollments))}}},
					in.Targets.TrainingCompletion),
				{kind: statPanel, title: "Certifications", unit: unitCount, width: 6, height: 5,
					description: "Enrolments that earned a certification.",
					queries:     []query{{expr: sumBy("", sel(m.TrainingCertifications))}}},
				withAtLeast(panel{kind: barGaugePanel, title: "Completion rate per course", unit: unitRatio, width: 12, height: 9, min: &zero, max: &one,
					description: "Completed over enrolled per course: courses people drop out of.",
					queries:     []query{{expr: ratio("course", sel(m.TrainingCompletions), sel(m.TrainingEnrollments)), legend: "{{course}}"}}},
					in.Targets.TrainingCompletion),
				withAtLeast(panel{kind: barGaugePanel, title: "Completion rate per team", unit: unitRatio, width: 12, height: 9, min: &zero, max: &one,
					description: "Completed over enrolled per team.",
					queries:     []query{{expr: ratio("team", sel(m.TrainingCompletions), sel(m.TrainingEnrollments)), legend: "{{team}}"}}},
					in.Targets.TrainingCompletion),
				{kind: tablePanel, title: "Enrolments and completions per team ($window)", unit: unitCount, width: 12, height: 8,
					description: "Enrolments and completions dated in the window per team and course.",
					queries: []query{
						{expr: sumBy("team, course", sel(m.TrainingEnrollmentsInWindow, w)), legend: "enrolled"},
						{expr: sumBy("team, course", sel(m.TrainingCompletionsInWindow, w)), legend: "completed"},
					}},
				{kind: tablePanel, title: "Certifications per team", unit: unitCount, width: 12, height: 8,
					description: "Certifications earned per team and certification.",
					queries:     []query{{expr: sumBy("team, certification", sel(m.TrainingCertifications))}}},
			}},
			{title: "Champions", panels: []panel{
				withAtLeast(panel{kind: statPanel, title: "Champion coverage", unit: unitRatio, width: 6, height: 8, min: &zero, max: &one,
					description: "Share of the selected teams with at least one active reliability champion.",
					queries:     []query{{expr: coverage}}},
					in.Targets.ChampionCoverage),
				{kind: barGaugePanel, title: "Active champions per team", unit: unitCount, width: 18, height: 8,
					description: "Reliability champions active now per team; red is a team without one.",
					queries:     []query{{expr: perTeam, legend: "{{team}}"}},
					base:        "red", thresholds: []step{{value: 1, colour: "green"}}},
			}},
			sloRow(teamSLOs),
		},
	}
}
