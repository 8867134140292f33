package metrics

// Slack channel activity (the slack collector). Every windowed figure is
// dated by the message's own timestamp (ts): a reply by its own ts, a
// reaction by the ts of the message it is on, a question's answer by the
// question's ts.
var (
	SlackChannelMembers = declare(Family{
		Name: "sre_slack_channel_members", Type: Gauge,
		Help:   "Members of the channel now (the export's member list for an export), with the catalog team the channel maps to.",
		Labels: []string{"channel", "team"},
	})
	SlackMessagesInWindow = declare(Family{
		Name: "sre_slack_messages_in_window", Type: Gauge, Historical: true,
		Help:   "Top-level messages posted in the window, by poster class (sre, other, bot); system messages are apart.",
		Labels: []string{"channel", "poster", WindowLabel},
	})
	SlackSystemMessagesInWindow = declare(Family{
		Name: "sre_slack_system_messages_in_window", Type: Gauge, Historical: true,
		Help:   "System messages (joins, leaves, topic and name changes, pins) posted in the window, top-level or in threads.",
		Labels: []string{"channel", WindowLabel},
	})
	SlackRepliesInWindow = declare(Family{
		Name: "sre_slack_replies_in_window", Type: Gauge, Historical: true,
		Help:   "Thread replies posted in the window (dated by the reply), by poster class of the replier.",
		Labels: []string{"channel", "poster", WindowLabel},
	})
	SlackThreadsInWindow = declare(Family{
		Name: "sre_slack_threads_in_window", Type: Gauge, Historical: true,
		Help:   "Top-level messages posted in the window that have at least one reply.",
		Labels: []string{"channel", WindowLabel},
	})
	SlackReactionsInWindow = declare(Family{
		Name: "sre_slack_reactions_in_window", Type: Gauge, Historical: true,
		Help:   "Reactions on messages and replies posted in the window (Slack does not date reactions), by poster class of the message's author.",
		Labels: []string{"channel", "poster", WindowLabel},
	})
	SlackPostersInWindow = declare(Family{
		Name: "sre_slack_posters_in_window", Type: Gauge, Historical: true,
		Help:   "Distinct people (or bots) who posted a message or reply in the window, by poster class; classes do not overlap, so they sum.",
		Labels: []string{"channel", "poster", WindowLabel},
	})
	SlackTeamPostsInWindow = declare(Family{
		Name: "sre_slack_team_posts_in_window", Type: Gauge, Historical: true,
		Help:   "Messages and replies posted in the window by members of the configured SRE user groups, by the catalog team of the poster's user group.",
		Labels: []string{"channel", "team", WindowLabel},
	})
	SlackQuestionsInWindow = declare(Family{
		Name: "sre_slack_questions_in_window", Type: Gauge, Historical: true,
		Help:   "Questions asked in a help channel in the window: top-level human messages by people outside the SRE user groups.",
		Labels: []string{"channel", WindowLabel},
	})
	SlackQuestionsAnsweredInWindow = declare(Family{
		Name: "sre_slack_questions_answered_in_window", Type: Gauge, Historical: true,
		Help:   "Questions asked in the window (dated by the question) that have a thread reply by a member of the SRE user groups.",
		Labels: []string{"channel", WindowLabel},
	})
	SlackQuestionFirstSREReply = declare(Family{
		Name: "sre_slack_question_first_sre_reply_seconds", Type: Histogram, Historical: true, Unit: "seconds",
		Help:    "Time from a question to its first thread reply by an SRE user-group member, for answered questions asked in the window.",
		Labels:  []string{"channel", WindowLabel},
		Buckets: []float64{300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 172800, 604800},
	})
	SlackQuestionsUnanswered = declare(Family{
		Name: "sre_slack_questions_unanswered", Type: Gauge, Historical: true,
		Help:   "Questions asked in the last 90 days, older than the collector's unanswered_after, with no reply by an SRE user-group member yet.",
		Labels: []string{"channel"},
	})
)
