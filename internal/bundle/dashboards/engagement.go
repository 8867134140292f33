package dashboards

import (
	"fmt"
	"time"

	m "github.com/sre-value/sre-value-exporter/internal/metrics"
)

// answeredWithin is how fast a help question should get its first SRE
// reply; it is a bucket bound of the reply-time histogram.
const answeredWithin = 4 * time.Hour

func engagement(in Input) spec {
	w := windowMatch
	return spec{
		uid: "sre-engagement", title: "SRE / Engagement",
		description: "Whether the organisation talks to, reads and learns from the SRE team: Slack, the wiki, newsletters, office hours and events.",
		tags:        []string{"engagement"},
		variables:   []string{teamVariable, windowVariable},
		rows: []row{
			{title: "Slack", panels: []panel{
				{kind: statPanel, title: "Messages ($window)", unit: unitCount, width: 6, height: 4,
					description: "Top-level messages posted in the window in the watched channels (system messages apart).",
					queries:     []query{{expr: sumBy("", sel(m.SlackMessagesInWindow, w))}}},
				{kind: statPanel, title: "Replies ($window)", unit: unitCount, width: 6, height: 4,
					description: "Thread replies posted in the window.",
					queries:     []query{{expr: sumBy("", sel(m.SlackRepliesInWindow, w))}}},
				{kind: statPanel, title: "People posting ($window)", unit: unitCount, width: 6, height: 4,
					description: "Distinct people who posted in a channel in the window, humans only (a person in two channels counts twice).",
					queries:     []query{{expr: sumBy("", sel(m.SlackPostersInWindow, w, `poster!="bot"`))}}},
				{kind: statPanel, title: "Reactions ($window)", unit: unitCount, width: 6, height: 4,
					description: "Reactions on the messages and replies posted in the window.",
					queries:     []query{{expr: sumBy("", sel(m.SlackReactionsInWindow, w))}}},
				{kind: barGaugePanel, title: "Messages by channel ($window)", unit: unitCount, width: 8, height: 8,
					description: "Top-level messages and thread replies per channel in the window: where the conversation happens.",
					queries:     []query{{expr: fmt.Sprintf("%s + %s", sumBy("channel", sel(m.SlackMessagesInWindow, w)), sumBy("channel", sel(m.SlackRepliesInWindow, w))), legend: "{{channel}}"}}},
				{kind: barGaugePanel, title: "Posts by poster class ($window)", unit: unitCount, width: 8, height: 8,
					description: "Messages and replies in the window by who posted them: SREs, everyone else, bots.",
					queries:     []query{{expr: fmt.Sprintf("%s + %s", sumBy("poster", sel(m.SlackMessagesInWindow, w)), sumBy("poster", sel(m.SlackRepliesInWindow, w))), legend: "{{poster}}"}}},
				{kind: barGaugePanel, title: "SRE posts by team ($window)", unit: unitCount, width: 8, height: 8,
					description: "Messages and replies posted in the window by members of the SRE user groups, by their team.",
					queries:     []query{{expr: sumBy("team", sel(m.SlackTeamPostsInWindow, w)), legend: "{{team}}"}}},
			}},
			{title: "Questions", panels: []panel{
				{kind: statPanel, title: "Questions asked ($window)", unit: unitCount, width: 4, height: 5,
					description: "Questions asked in the help channels in the window by people outside the SRE user groups.",
					queries:     []query{{expr: sumBy("", sel(m.SlackQuestionsInWindow, w))}}},
				withAtLeast(panel{kind: statPanel, title: "Answered by an SRE ($window)", unit: unitRatio, width: 5, height: 5, min: &zero, max: &one,
					description: "Share of the questions asked in the window that got a thread reply from an SRE.",
					queries:     []query{{expr: ratio("", sel(m.SlackQuestionsAnsweredInWindow, w), sel(m.SlackQuestionsInWindow, w))}}},
					in.Targets.QuestionsAnswered),
				withAtLeast(panel{kind: statPanel, title: "Answered within 4 hours ($window)", unit: unitRatio, width: 5, height: 5, min: &zero, max: &one,
					description: "Share of the questions asked in the window whose first SRE reply came within 4 hours (unanswered questions count as late).",
					queries:     []query{{expr: ratio("", bucket(m.SlackQuestionFirstSREReply, w, le(m.SlackQuestionFirstSREReply, answeredWithin)), sel(m.SlackQuestionsInWindow, w))}}},
					in.Targets.AnsweredWithin4h),
				{kind: statPanel, title: "Median time to first SRE reply ($window)", unit: unitSeconds, width: 5, height: 5,
					description: "Half of the answered questions asked in the window got their first SRE reply within this time.",
					queries:     []query{{expr: quantile(0.5, m.SlackQuestionFirstSREReply, "", w)}}},
				{kind: statPanel, title: "Unanswered questions", unit: unitCount, width: 5, height: 5,
					description: "Questions of the last 90 days still without an SRE reply after the collector's unanswered_after.",
					queries:     []query{{expr: sumBy("", sel(m.SlackQuestionsUnanswered))}},
					thresholds:  []step{{value: 1, colour: "orange"}}},
				{kind: tablePanel, title: "Questions by channel ($window)", unit: unitCount, width: 24, height: 7,
					description: "Per help channel: questions asked and answered in the window.",
					queries: []query{
						{expr: sumBy("channel", sel(m.SlackQuestionsInWindow, w)), legend: "asked"},
						{expr: sumBy("channel", sel(m.SlackQuestionsAnsweredInWindow, w)), legend: "answered"},
					}},
			}},
			{title: "Wiki", panels: []panel{
				{kind: statPanel, title: "Page views ($window)", unit: unitCount, width: 6, height: 5,
					description: "Views of the SRE wiki pages in the window.",
					queries:     []query{{expr: sumBy("", sel(m.ConfluencePageViewsInWindow, w))}}},
				{kind: statPanel, title: "Page viewers ($window)", unit: unitCount, width: 6, height: 5,
					description: "Distinct viewers per page in the window, summed over the pages.",
					queries:     []query{{expr: sumBy("", sel(m.ConfluencePageViewersInWindow, w))}}},
				{kind: barGaugePanel, title: "Views by space ($window)", unit: unitCount, width: 12, height: 5,
					description: "Views in the window by wiki space.",
					queries:     []query{{expr: sumBy("space", sel(m.ConfluencePageViewsInWindow, w)), legend: "{{space}}"}}},
				{kind: tablePanel, title: "Key pages ($window)", unit: unitCount, width: 24, height: 7,
					description: "Views and viewers of the configured key pages (runbooks, onboarding) in the window.",
					queries: []query{
						{expr: sumBy("space, page", sel(m.ConfluenceKeyPageViewsInWindow, w)), legend: "views"},
						{expr: sumBy("space, page", sel(m.ConfluenceKeyPageViewersInWindow, w)), legend: "viewers"},
					}},
			}},
			{title: "Newsletters", panels: []panel{
				{kind: statPanel, title: "Issues sent ($window)", unit: unitCount, width: 6, height: 5,
					description: "Newsletter issues, webcasts and posts sent in the window.",
					queries:     []query{{expr: sumBy("", sel(m.NewsletterIssuesInWindow, w))}}},
				{kind: statPanel, title: "Open rate ($window)", unit: unitRatio, width: 6, height: 5, min: &zero, max: &one,
					description: "Opens over recipients of the issues sent in the window.",
					queries:     []query{{expr: ratio("", sel(m.NewsletterOpensInWindow, w), sel(m.NewsletterRecipientsInWindow, w))}}},
				{kind: statPanel, title: "Click-to-open rate ($window)", unit: unitRatio, width: 6, height: 5, min: &zero, max: &one,
					description: "Clicks over opens of the issues sent in the window: did readers follow the links?",
					queries:     []query{{expr: ratio("", sel(m.NewsletterClicksInWindow, w), sel(m.NewsletterOpensInWindow, w))}}},
				{kind: barGaugePanel, title: "Open rate by channel ($window)", unit: unitRatio, width: 6, height: 5, min: &zero, max: &one,
					description: "Open rate of the issues sent in the window per channel.",
					queries:     []query{{expr: ratio("channel", sel(m.NewsletterOpensInWindow, w), sel(m.NewsletterRecipientsInWindow, w)), legend: "{{channel}}"}}},
			}},
			{title: "Office hours and events", panels: []panel{
				{kind: statPanel, title: "Office-hours attendees ($window)", unit: unitCount, width: 6, height: 5,
					description: "People who attended SRE office hours in the window.",
					queries:     []query{{expr: sumBy("", sel(m.EventAttendeesInWindow, w, officeHours))}}},
				{kind: statPanel, title: "Mean office-hours attendance ($window)", unit: unitCount, width: 6, height: 5,
					description: "Attendees per office-hours session held in the window.",
					queries:     []query{{expr: ratio("", sel(m.EventAttendeesInWindow, w, officeHours), sel(m.EventsInWindow, w, officeHours))}}},
				{kind: barGaugePanel, title: "Attendees by event kind ($window)", unit: unitCount, width: 12, height: 10,
					description: "Attendees of the events held in the window by kind: which formats draw people.",
					queries:     []query{{expr: sumBy("kind", sel(m.EventAttendeesInWindow, w)), legend: "{{kind}}"}}},
				{kind: timeseriesPanel, title: "Event attendees per week", unit: unitCount, width: 12, height: 5,
					description: "Attendees of events added each week, by kind, week over week.",
					queries:     []query{{expr: sumBy("kind", fmt.Sprintf("increase(%s[7d])", sel(m.EventAttendees))), legend: "{{kind}}"}},
					history:     "increase over a week needs a week of scrapes"},
			}},
			sloRow(builtinSLO("the SRE help channel (help-answered-within-4h)", "help-answered-within-4h")),
		},
	}
}
