package metrics

// Records tables (the records collector): training, events, newsletters,
// surveys, champions, savings, practice adoption and collaboration.
var (
	RecordsTableInfo = declare(Family{
		Name: "sre_records_table_info", Type: Gauge,
		Help:   "A configured records table and its type; 1 per table.",
		Labels: []string{"table", "type"},
	})
	RecordsRows = declare(Family{
		Name: "sre_records_rows", Type: Gauge,
		Help:   "Valid rows of the table as of its last successful read.",
		Labels: []string{"table"},
	})
	RecordsInvalidRows = declare(Family{
		Name: "sre_records_invalid_rows", Type: Gauge,
		Help:   "Rows of the table skipped as invalid in its last successful read (see the log or the landing page for why).",
		Labels: []string{"table"},
	})
	RecordsSourceLastChange = declare(Family{
		Name: "sre_records_source_last_change_timestamp_seconds", Type: Gauge, Unit: "seconds",
		Help:   "When the table's content last changed: the file's modification time, the server's Last-Modified, or when the exporter first saw the new content.",
		Labels: []string{"table"},
	})
	TrainingEnrollments = declare(Family{
		Name: "sre_training_enrollments", Type: Gauge, Historical: true,
		Help:   "Enrolments in the training table (one per row), by team and course.",
		Labels: []string{"team", "course"},
	})
	TrainingCompletions = declare(Family{
		Name: "sre_training_completions", Type: Gauge, Historical: true,
		Help:   "Enrolments with a completion date, by team and course; divide by sre_training_enrollments for the completion rate.",
		Labels: []string{"team", "course"},
	})
	TrainingCertifications = declare(Family{
		Name: "sre_training_certifications", Type: Gauge, Historical: true,
		Help:   "Enrolments that earned a certification, by team and certification.",
		Labels: []string{"team", "certification"},
	})
	TrainingPeopleEnrolled = declare(Family{
		Name: "sre_training_people_enrolled", Type: Gauge, Historical: true,
		Help:   "Distinct people with at least one enrolment, by team.",
		Labels: []string{"team"},
	})
	TrainingPeopleCompleted = declare(Family{
		Name: "sre_training_people_completed", Type: Gauge, Historical: true,
		Help:   "Distinct people with at least one completed enrolment, by team.",
		Labels: []string{"team"},
	})
	TrainingEnrollmentsInWindow = declare(Family{
		Name: "sre_training_enrollments_in_window", Type: Gauge, Historical: true,
		Help:   "Enrolments whose enrolment date is in the window, by team and course.",
		Labels: []string{"team", "course", WindowLabel},
	})
	TrainingCompletionsInWindow = declare(Family{
		Name: "sre_training_completions_in_window", Type: Gauge, Historical: true,
		Help:   "Enrolments whose completion date is in the window, by team and course.",
		Labels: []string{"team", "course", WindowLabel},
	})
	Events = declare(Family{
		Name: "sre_events_total", Type: Counter, Historical: true,
		Help:   "Events held, by kind and audience team (\"all\" for org-wide events); each row counted once.",
		Labels: []string{"kind", "team"},
	})
	EventAttendees = declare(Family{
		Name: "sre_event_attendees_total", Type: Counter, Historical: true,
		Help:   "Attendees of events, by kind and audience team; a corrected count adds only the difference.",
		Labels: []string{"kind", "team"},
	})
	EventQuestions = declare(Family{
		Name: "sre_event_questions_total", Type: Counter, Historical: true,
		Help:   "Questions asked at events, by kind and audience team.",
		Labels: []string{"kind", "team"},
	})
	EventsRecorded = declare(Family{
		Name: "sre_events_recorded_total", Type: Counter, Historical: true,
		Help:   "Events that were recorded for later viewing, by kind and audience team.",
		Labels: []string{"kind", "team"},
	})
	EventsInWindow = declare(Family{
		Name: "sre_events_in_window", Type: Gauge, Historical: true,
		Help:   "Events held in the window, by kind and audience team (\"all\" for org-wide events).",
		Labels: []string{"kind", "team", WindowLabel},
	})
	EventAttendeesInWindow = declare(Family{
		Name: "sre_event_attendees_in_window", Type: Gauge, Historical: true,
		Help:   "Attendees of events held in the window; divide by sre_events_in_window for the mean attendance.",
		Labels: []string{"kind", "team", WindowLabel},
	})
	EventQuestionsInWindow = declare(Family{
		Name: "sre_event_questions_in_window", Type: Gauge, Historical: true,
		Help:   "Questions asked at events held in the window.",
		Labels: []string{"kind", "team", WindowLabel},
	})
	EventsRecordedInWindow = declare(Family{
		Name: "sre_events_recorded_in_window", Type: Gauge, Historical: true,
		Help:   "Events held in the window that were recorded.",
		Labels: []string{"kind", "team", WindowLabel},
	})
	NewsletterIssues = declare(Family{
		Name: "sre_newsletter_issues_total", Type: Counter, Historical: true,
		Help:   "Issues sent (newsletters, webcasts, blog posts, podcast episodes, videos), by channel.",
		Labels: []string{"channel"},
	})
	NewsletterRecipients = declare(Family{
		Name: "sre_newsletter_recipients_total", Type: Counter, Historical: true,
		Help:   "Recipients of issues, by channel; a corrected count adds only the difference.",
		Labels: []string{"channel"},
	})
	NewsletterOpens = declare(Family{
		Name: "sre_newsletter_opens_total", Type: Counter, Historical: true,
		Help:   "Recipients who opened an issue, by channel.",
		Labels: []string{"channel"},
	})
	NewsletterClicks = declare(Family{
		Name: "sre_newsletter_clicks_total", Type: Counter, Historical: true,
		Help:   "Recipients who clicked a link in an issue, by channel.",
		Labels: []string{"channel"},
	})
	NewsletterIssuesInWindow = declare(Family{
		Name: "sre_newsletter_issues_in_window", Type: Gauge, Historical: true,
		Help:   "Issues sent in the window, by channel.",
		Labels: []string{"channel", WindowLabel},
	})
	NewsletterRecipientsInWindow = declare(Family{
		Name: "sre_newsletter_recipients_in_window", Type: Gauge, Historical: true,
		Help:   "Recipients of issues sent in the window, by channel.",
		Labels: []string{"channel", WindowLabel},
	})
	NewsletterOpensInWindow = declare(Family{
		Name: "sre_newsletter_opens_in_window", Type: Gauge, Historical: true,
		Help:   "Opens of issues sent in the window; divide by sre_newsletter_recipients_in_window for the open rate.",
		Labels: []string{"channel", WindowLabel},
	})
	NewsletterClicksInWindow = declare(Family{
		Name: "sre_newsletter_clicks_in_window", Type: Gauge, Historical: true,
		Help:   "Clicks in issues sent in the window; divide by sre_newsletter_opens_in_window for the click-to-open rate.",
		Labels: []string{"channel", WindowLabel},
	})
	SurveyResponsesInWindow = declare(Family{
		Name: "sre_survey_responses_in_window", Type: Gauge, Historical: true,
		Help:   "Survey responses dated in the window, by survey and team (\"all\" for organisation-wide rows).",
		Labels: []string{"survey", "team", WindowLabel},
	})
	SurveyScorePointsInWindow = declare(Family{
		Name: "sre_survey_score_points_in_window", Type: Gauge, Historical: true,
		Help:   "Sum of score/scale over the responses dated in the window; divide by sre_survey_responses_in_window for the mean satisfaction ratio (0 to 1).",
		Labels: []string{"survey", "team", WindowLabel},
	})
	SurveyLatestSatisfactionRatio = declare(Family{
		Name: "sre_survey_latest_satisfaction_ratio", Type: Gauge, Historical: true, Unit: "ratio",
		Help:   "Mean satisfaction ratio (score/scale, 0 to 1) of the latest round of the survey: the rows of its latest date, weighted by responses.",
		Labels: []string{"survey", "team"},
	})
	SurveyLatestResponses = declare(Family{
		Name: "sre_survey_latest_responses", Type: Gauge, Historical: true,
		Help:   "Responses in the latest round of the survey.",
		Labels: []string{"survey", "team"},
	})
	SurveyLatestRound = declare(Family{
		Name: "sre_survey_latest_round_timestamp_seconds", Type: Gauge, Historical: true, Unit: "seconds",
		Help:   "Date of the latest round of the survey.",
		Labels: []string{"survey", "team"},
	})
	ChampionsActive = declare(Family{
		Name: "sre_champions_active", Type: Gauge, Historical: true,
		Help:   "Distinct reliability champions active now in the team (since <= now < until); 0 for catalog teams without one.",
		Labels: []string{"team"},
	})
	SavingsTime = declare(Family{
		Name: "sre_savings_time_seconds_total", Type: Counter, Historical: true, Unit: "seconds",
		Help:   "Time saved (hours_saved in seconds), by team and category; a corrected figure adds only the difference.",
		Labels: []string{"team", "category"},
	})
	SavingsMoney = declare(Family{
		Name: "sre_savings_money_total", Type: Counter, Historical: true,
		Help:   "Money saved, in the currency the table uses, by team and category.",
		Labels: []string{"team", "category"},
	})
	SavingsTimeInWindow = declare(Family{
		Name: "sre_savings_time_in_window_seconds", Type: Gauge, Historical: true, Unit: "seconds",
		Help:   "Time saved by savings dated in the window, by team and category.",
		Labels: []string{"team", "category", WindowLabel},
	})
	SavingsMoneyInWindow = declare(Family{
		Name: "sre_savings_money_in_window", Type: Gauge, Historical: true,
		Help:   "Money saved by savings dated in the window, by team and category.",
		Labels: []string{"team", "category", WindowLabel},
	})
	SavingsInitiatives = declare(Family{
		Name: "sre_savings_initiatives", Type: Gauge, Historical: true,
		Help:   "Distinct initiatives in the savings table, by team and category.",
		Labels: []string{"team", "category"},
	})
	SavingsInitiativesInWindow = declare(Family{
		Name: "sre_savings_initiatives_in_window", Type: Gauge, Historical: true,
		Help:   "Distinct initiatives with a saving dated in the window, by team and category.",
		Labels: []string{"team", "category", WindowLabel},
	})
	PracticeAdopted = declare(Family{
		Name: "sre_practice_adopted", Type: Gauge,
		Help:   "Whether the team (or the service, \"none\" for team-wide practices) has adopted the practice: 1 yes, 0 no; avg() is the adoption rate.",
		Labels: []string{"team", "service", "practice"},
	})
	PracticeAdoptedAt = declare(Family{
		Name: "sre_practice_adopted_timestamp_seconds", Type: Gauge, Unit: "seconds",
		Help:   "When the practice was adopted, where the table gives a date.",
		Labels: []string{"team", "service", "practice"},
	})
	PracticeAdoptionsInWindow = declare(Family{
		Name: "sre_practice_adoptions_in_window", Type: Gauge, Historical: true,
		Help:   "Practices adopted (adopted = yes, with a date) in the window, by team and practice.",
		Labels: []string{"team", "practice", WindowLabel},
	})
	Collaborations = declare(Family{
		Name: "sre_collaborations_total", Type: Counter, Historical: true,
		Help:   "Collaborations with product teams, by kind and team; each row counted once.",
		Labels: []string{"kind", "team"},
	})
	CollaborationParticipants = declare(Family{
		Name: "sre_collaboration_participants_total", Type: Counter, Historical: true,
		Help:   "Participants in collaborations, by kind and team.",
		Labels: []string{"kind", "team"},
	})
	CollaborationsInWindow = declare(Family{
		Name: "sre_collaborations_in_window", Type: Gauge, Historical: true,
		Help:   "Collaborations dated in the window, by kind and team.",
		Labels: []string{"kind", "team", WindowLabel},
	})
	CollaborationParticipantsInWindow = declare(Family{
		Name: "sre_collaboration_participants_in_window", Type: Gauge, Historical: true,
		Help:   "Participants in collaborations dated in the window, by kind and team.",
		Labels: []string{"kind", "team", WindowLabel},
	})
)

// SLOs measured elsewhere (SumoLogic, Datadog, a spreadsheet) and reported
// per period in a records table of type slo. Each figure is that of the
// latest row dated at or before the instant, per service and SLO.
var (
	SLORecordInfo = declare(Family{
		Name: "sre_slo_record_info", Type: Gauge, Historical: true,
		Help:   "An SLO reported in an slo records table and where it is measured (source, \"none\" when the table does not say), from its latest reported period; 1 per service and SLO.",
		Labels: []string{"service", "slo", "source"},
	})
	SLORecordObjective = declare(Family{
		Name: "sre_slo_record_objective_ratio", Type: Gauge, Historical: true, Unit: "ratio",
		Help:   "Objective of the SLO's latest reported period, as a share (99.9% is 0.999).",
		Labels: []string{"service", "slo"},
	})
	SLORecordAttainment = declare(Family{
		Name: "sre_slo_record_attainment_ratio", Type: Gauge, Historical: true, Unit: "ratio",
		Help:   "What the SLO attained over its latest reported period, as a share of good events (or time); met when at least sre_slo_record_objective_ratio.",
		Labels: []string{"service", "slo"},
	})
	SLORecordPeriod = declare(Family{
		Name: "sre_slo_record_period_seconds", Type: Gauge, Historical: true, Unit: "seconds",
		Help:   "Length of the SLO's latest reported period (30d is 2592000).",
		Labels: []string{"service", "slo"},
	})
	SLORecordPeriodEnd = declare(Family{
		Name: "sre_slo_record_period_end_timestamp_seconds", Type: Gauge, Historical: true, Unit: "seconds",
		Help:   "End of the SLO's latest reported period (the row's date); how fresh the figures are.",
		Labels: []string{"service", "slo"},
	})
	SLORecordPeriodsInWindow = declare(Family{
		Name: "sre_slo_record_periods_in_window", Type: Gauge, Historical: true,
		Help:   "Reported periods of the SLO that ended in the window.",
		Labels: []string{"service", "slo", WindowLabel},
	})
	SLORecordPeriodsMetInWindow = declare(Family{
		Name: "sre_slo_record_periods_met_in_window", Type: Gauge, Historical: true,
		Help:   "Reported periods of the SLO that ended in the window with the objective met (attained at least the objective); divide by sre_slo_record_periods_in_window for the share met.",
		Labels: []string{"service", "slo", WindowLabel},
	})
)
