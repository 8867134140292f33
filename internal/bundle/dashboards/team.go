package dashboards

import (
	m "github.com/sre-value/sre-value-exporter/internal/metrics"
)

// oneTeam is the team variable of the team view: one team at a time.
const oneTeam = "team (one)"

func teamView(in Input) spec {
	w := windowMatch
	return spec{
		uid: "sre-team", title: "SRE / Team view",
		description: "One team across every source: its incidents, learning, engagement with the SRE team and the value it gained.",
		tags:        []string{"team"},
		variables:   []string{oneTeam, windowVariable},
		rows: []row{
			{title: "Reliability", panels: []panel{
				{kind: statPanel, title: "Open incidents", unit: unitCount, width: 5, height: 5,
					description: "Incidents of the team open now.",
					queries:     []query{{expr: sumBy("", sel(m.IncidentsOpen))}},
					thresholds:  []step{{value: 1, colour: "orange"}}},
				{kind: statPanel, title: "Incidents opened ($window)", unit: unitCount, width: 5, height: 5,
					description: "Incidents of the team opened in the window.",
					queries:     []query{{expr: sumBy("", sel(m.IncidentsOpenedInWindow, w))}}},
				{kind: statPanel, title: "MTTR ($window)", unit: unitSeconds, width: 5, height: 5,
					description: "Mean time to resolve the team's incidents resolved in the window.",
					queries:     []query{{expr: mean(m.IncidentTimeToResolveInWindow, "", w)}},
					thresholds:  atMost(in.Targets.MTTR.Seconds())},
				withAtLeast(panel{kind: statPanel, title: "Postmortem coverage ($window)", unit: unitRatio, width: 5, height: 5, min: &zero, max: &one,
					description: "Share of the team's incidents resolved in the window that have a postmortem.",
					queries:     []query{{expr: ratio("", sel(m.IncidentsResolvedWithPostmortemInWindow, w), sel(m.IncidentsResolvedInWindow, w))}}},
					in.Targets.PostmortemCoverage),
				{kind: statPanel, title: "Overdue action items", unit: unitCount, width: 4, height: 5,
					description: "The team's open postmortem action items past their due date.",
					queries:     []query{{expr: sumBy("", sel(m.PostmortemActionItemsOverdue))}},
					thresholds:  []step{{value: 1, colour: "red"}}},
			}},
			{title: "Learning", panels: []panel{
				withAtLeast(panel{kind: statPanel, title: "Training completion", unit: unitRatio, width: 5, height: 5, min: &zero, max: &one,
					description: "The team's completed enrolments over all its enrolments.",
					queries:     []query{{expr: ratio("", sel(m.TrainingCompletions), sel(m.TrainingEnrollments))}}},
					in.Targets.TrainingCompletion),
				{kind: statPanel, title: "People trained", unit: unitCount, width: 5, height: 5,
					description: "Distinct people of the team who completed at least one course.",
					queries:     []query{{expr: sumBy("", sel(m.TrainingPeopleCompleted))}}},
				{kind: statPanel, title: "Share of the team trained", unit: unitRatio, width: 5, height: 5, min: &zero, max: &one,
					description: "People who completed a course over the team's headcount in the catalog.",
					queries:     []query{{expr: ratio("", sel(m.TrainingPeopleCompleted), sel(m.TeamMembers))}}},
				{kind: statPanel, title: "Certifications", unit: unitCount, width: 5, height: 5,
					description: "Certifications the team earned.",
					queries:     []query{{expr: sumBy("", sel(m.TrainingCertifications))}}},
				{kind: statPanel, title: "Active champions", unit: unitCount, width: 4, height: 5,
					description: "Reliability champions active now in the team; red when it has none.",
					queries:     []query{{expr: sumBy("", sel(m.ChampionsActive))}},
					base:        "red", thresholds: []step{{value: 1, colour: "green"}}},
			}},
			{title: "Engagement", panels: []panel{
				{kind: statPanel, title: "Events for the team ($window)", unit: unitCount, width: 5, height: 5,
					description: "Events held in the window for the team's audience (org-wide events are on the engagement dashboard).",
					queries:     []query{{expr: sumBy("", sel(m.EventsInWindow, w))}}},
				{kind: statPanel, title: "Attendees ($window)", unit: unitCount, width: 5, height: 5,
					description: "Attendees of the events held for the team in the window.",
					queries:     []query{{expr: sumBy("", sel(m.EventAttendeesInWindow, w))}}},
				{kind: statPanel, title: "Wiki views ($window)", unit: unitCount, width: 5, height: 5,
					description: "Views in the window of the wiki spaces that belong to the team.",
					queries:     []query{{expr: sumBy("", sel(m.ConfluencePageViewsInWindow, w))}}},
				{kind: statPanel, title: "SRE posts ($window)", unit: unitCount, width: 5, height: 5,
					description: "Slack messages and replies by the team's members of the SRE user groups in the window.",
					queries:     []query{{expr: sumBy("", sel(m.SlackTeamPostsInWindow, w))}}},
				{kind: statPanel, title: "Collaborations ($window)", unit: unitCount, width: 4, height: 5,
					description: "Collaborations of the SRE team with this team dated in the window (reviews, game days, joint incident reviews).",
					queries:     []query{{expr: sumBy("", sel(m.CollaborationsInWindow, w))}}},
			}},
			{title: "Value", panels: []panel{
				{kind: statPanel, title: "Time saved ($window)", unit: unitSeconds, width: 6, height: 6,
					description: "Time the team saved by savings dated in the window.",
					queries:     []query{{expr: sumBy("", sel(m.SavingsTimeInWindow, w))}}},
				{kind: statPanel, title: "Money saved ($window)", unit: unitCount, width: 6, height: 6,
					description: "Money the team saved by savings dated in the window, in the savings table's currency.",
					queries:     []query{{expr: sumBy("", sel(m.SavingsMoneyInWindow, w))}}},
				{kind: statPanel, title: "Practice adoption", unit: unitRatio, width: 6, height: 6, min: &zero, max: &one,
					description: "Share of the tracked practices the team (or its services) has adopted.",
					queries:     []query{{expr: "avg(" + sel(m.PracticeAdopted) + ")"}}},
				{kind: barGaugePanel, title: "Satisfaction by survey ($window)", unit: unitRatio, width: 6, height: 6, min: &zero, max: &one,
					description: "Mean satisfaction (score over scale) of the team's survey responses dated in the window.",
					queries:     []query{{expr: ratio("survey", sel(m.SurveyScorePointsInWindow, w), sel(m.SurveyResponsesInWindow, w)), legend: "{{survey}}"}}},
			}},
			sloRow(teamSLOs),
		},
	}
}
