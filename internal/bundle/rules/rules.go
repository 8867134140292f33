// Package rules builds the bundle's Prometheus rules from the metric
// catalog: recording rules whose names are the contract between alerts and
// dashboards, and alerts whose thresholds come from the configuration's
// alerting: section, each with its runbook. Every expression is parsed, and
// the rule file is validated as Prometheus loads it.
package rules

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/sre-value/sre-value-exporter/internal/config"
	"github.com/sre-value/sre-value-exporter/internal/metrics"
)

// Recording is a recording rule. Its name is the contract between the
// alerts and the dashboards, listed in docs/rules.md.
type Recording struct {
	Name string
	Expr string
	// Help says what the value is, for docs/rules.md.
	Help string
}

// Alert is an alerting rule with what its runbook says.
type Alert struct {
	Name      string
	Severity  string
	Dashboard string // a dashboard uid
	Expr      string
	For       time.Duration
	Summary   string
	// Description carries the value ({{ $value }}).
	Description string
	// Meaning, Check and Act are the runbook's sections.
	Meaning string
	Check   []string
	Act     []string
}

// The dashboards' uids, shared with internal/bundle/dashboards.
const (
	DashboardEngagement  = "sre-engagement"
	DashboardReliability = "sre-reliability"
	DashboardTraining    = "sre-training"
	DashboardFormat      = "sre-format"
	DashboardHealth      = "sre-exporter-health"
)

// The windows the exporter's *_in_window families carry.
const (
	week    = "7d"
	month   = "30d"
	quarter = "90d"
)

// recordName names a recording rule level:metric:operations after the
// family it is computed from.
func recordName(level string, f *metrics.Family, op string) string {
	return level + ":" + f.Name + ":" + op
}

// Names of the recording rules, built from the catalog so no metric name is
// typed twice.
var (
	TeamMTTR              = recordName("team", metrics.IncidentTimeToResolveInWindow, "mean")
	TeamMTTA              = recordName("team", metrics.IncidentTimeToAcknowledgeInWindow, "mean")
	MTTR                  = recordName("window", metrics.IncidentTimeToResolveInWindow, "mean")
	MTTA                  = recordName("window", metrics.IncidentTimeToAcknowledgeInWindow, "mean")
	TeamIncidentsOpened   = recordName("team", metrics.IncidentsOpenedInWindow, "sum")
	TeamIncidentsResolved = recordName("team", metrics.IncidentsResolvedInWindow, "sum")
	TeamOverdueItems      = recordName("team", metrics.PostmortemActionItemsOverdue, "sum")
	TeamTrainingRatio     = recordName("team", metrics.TrainingCompletions, "ratio")
	TeamEnrollments       = recordName("team", metrics.TrainingEnrollments, "sum")
	ChampionCoverage      = recordName("org", metrics.ChampionsActive, "team_coverage_ratio")
	EventAttendees        = recordName("kind_team", metrics.EventAttendeesInWindow, "sum")
	Events                = recordName("kind_team", metrics.EventsInWindow, "sum")
	NewsletterOpenRate    = recordName("channel", metrics.NewsletterOpensInWindow, "ratio")
	NewsletterRecipients  = recordName("channel", metrics.NewsletterRecipientsInWindow, "sum")
	SlackMessages         = recordName("channel", metrics.SlackMessagesInWindow, "sum")
	WikiViews             = recordName("space", metrics.ConfluencePageViewsInWindow, "sum")
	FormatCompliance      = recordName("source_template", metrics.FormatDocumentsPassingInWindow, "ratio")
	FormatChecked         = recordName("source_template", metrics.FormatDocumentsCheckedInWindow, "sum")
	CollectorDataAge      = recordName("collector", metrics.CollectorLastSuccess, "age_seconds")
)

// Labels returns the labels the rule's series carry: the grouping of its
// outermost aggregation, or, for a rule that aggregates nothing, the labels
// of the family it reads (and the job and instance of the scrape).
func (r Recording) Labels() ([]string, error) {
	expr, err := ParseExpr(r.Expr)
	if err != nil {
		return nil, fmt.Errorf("recording rule %s: %w", r.Name, err)
	}
	var labels []string
	found := false
	parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
		if found {
			return nil
		}
		switch n := n.(type) {
		case *parser.AggregateExpr:
			// without (...) keeps labels that depend on the data; the
			// contract needs them known.
			labels, found = n.Grouping, !n.Without
		case *parser.VectorSelector:
			if f, ok := metrics.Reserved(n.Name); ok {
				labels, found = f.SeriesLabels(), true
			}
		}
		return nil
	})
	if !found {
		return nil, fmt.Errorf("recording rule %s: its labels depend on the data (it reads no catalog family, or aggregates without (...))", r.Name)
	}
	return labels, nil
}

// sel is a selector of name with matchers such as `window="7d"`.
func sel(name string, matchers ...string) string {
	if len(matchers) == 0 {
		return name
	}
	return name + "{" + strings.Join(matchers, ", ") + "}"
}

func window(w string) string { return eq(metrics.WindowLabel, w) }

// eq is the matcher label="value", quoted the way PromQL reads it back.
func eq(label, value string) string { return label + "=" + strconv.Quote(value) }

// sumBy is `sum by (labels) (expr)`.
func sumBy(expr string, labels ...string) string {
	return fmt.Sprintf("sum by (%s) (%s)", strings.Join(labels, ", "), expr)
}

// Recordings are the recording rules, in the order they are written.
func Recordings() []Recording {
	teamWindow := []string{"team", metrics.WindowLabel}
	mean := func(h *metrics.Family, by ...string) string {
		return sumBy(h.Name+"_sum", by...) + "\n/\n" + sumBy(h.Name+"_count", by...)
	}
	ratio := func(num, den *metrics.Family, by []string, matchers ...string) string {
		return sumBy(sel(num.Name, matchers...), by...) + "\n/\n" + sumBy(sel(den.Name, matchers...), by...)
	}
	channelWindow := []string{"channel", metrics.WindowLabel}
	formatBy := []string{"source", "template", metrics.WindowLabel}
	champions := fmt.Sprintf("max by (team) (%s)", metrics.ChampionsActive.Name)
	return append([]Recording{
		{TeamMTTR, mean(metrics.IncidentTimeToResolveInWindow, teamWindow...), "Mean time to resolve (MTTR, seconds) of the incidents resolved in the window, by team and window."},
		{TeamMTTA, mean(metrics.IncidentTimeToAcknowledgeInWindow, teamWindow...), "Mean time to acknowledge (MTTA, seconds) of the incidents acknowledged in the window, by team and window."},
		{MTTR, mean(metrics.IncidentTimeToResolveInWindow, metrics.WindowLabel), "Mean time to resolve (MTTR, seconds) of every incident resolved in the window (not the mean of the teams' means), by window."},
		{MTTA, mean(metrics.IncidentTimeToAcknowledgeInWindow, metrics.WindowLabel), "Mean time to acknowledge (MTTA, seconds) of every incident acknowledged in the window, by window."},
		{TeamIncidentsOpened, sumBy(metrics.IncidentsOpenedInWindow.Name, teamWindow...), "Incidents opened in the window, by team and window (every source and severity)."},
		{TeamIncidentsResolved, sumBy(metrics.IncidentsResolvedInWindow.Name, teamWindow...), "Incidents resolved in the window, by team and window."},
		{TeamOverdueItems, sumBy(metrics.PostmortemActionItemsOverdue.Name, "team"), "Open postmortem action items past their due date, by team."},
		{TeamTrainingRatio, ratio(metrics.TrainingCompletions, metrics.TrainingEnrollments, []string{"team"}), "Share of the team's enrolments that are completed (0 to 1), over every course."},
		{TeamEnrollments, sumBy(metrics.TrainingEnrollments.Name, "team"), "Enrolments of the team over every course."},
		{ChampionCoverage, fmt.Sprintf("sum(clamp_max(%s, 1))\n/\ncount(%s)", champions, champions), "Share of teams (0 to 1) with at least one active reliability champion."},
		{EventAttendees, sumBy(metrics.EventAttendeesInWindow.Name, "kind", "team", metrics.WindowLabel), "Attendees of events held in the window, by event kind, audience team and window."},
		{Events, sumBy(metrics.EventsInWindow.Name, "kind", "team", metrics.WindowLabel), "Events held in the window, by event kind, audience team and window."},
		{NewsletterOpenRate, ratio(metrics.NewsletterOpensInWindow, metrics.NewsletterRecipientsInWindow, channelWindow), "Open rate (0 to 1) of the issues sent in the window, by channel and window."},
		{NewsletterRecipients, sumBy(metrics.NewsletterRecipientsInWindow.Name, channelWindow...), "Recipients of the issues sent in the window, by channel and window."},
		{SlackMessages, sumBy(sel(metrics.SlackMessagesInWindow.Name, `poster!="bot"`), channelWindow...), "Top-level messages by people (bots left out) posted in the window, by channel and window."},
		{WikiViews, sumBy(metrics.ConfluencePageViewsInWindow.Name, "space", metrics.WindowLabel), "Views of the wiki pages in the window, by space and window."},
		{FormatCompliance, ratio(metrics.FormatDocumentsPassingInWindow, metrics.FormatDocumentsCheckedInWindow, formatBy), "Share (0 to 1) of the documents created in the window that pass their format template, by source, template and window; absent where the documents could not be judged on every rule (the exporter leaves that rate unknown)."},
		{FormatChecked, sumBy(metrics.FormatDocumentsCheckedInWindow.Name, formatBy...), "Documents created in the window that a format template applies to, by source, template and window."},
		{CollectorDataAge, "time() - " + metrics.CollectorLastSuccess.Name, "Seconds since the collector last refreshed successfully: the age of the data it serves."},
	}, ValueRecordings()...)
}

// drop is the engagement-drop test with the exporter's exact windows: the
// last 7 days below fraction of the trailing 4-week average (the 30-day
// value scaled to 7 days), where the 30 days reached the minimum volume.
func drop(record string, fraction config.Ratio, minimum config.Count, matchers ...string) string {
	at := func(w string) string { return sel(record, append(clone(matchers), window(w))...) }
	return fmt.Sprintf("(\n  %s\n  < ignoring(%s)\n  %s * (%s * 7 / 30)\n)\nand ignoring(%s)\n%s >= %d",
		at(week), metrics.WindowLabel, num(float64(fraction)), at(month), metrics.WindowLabel, at(month), minimum)
}

func clone(s []string) []string { return append([]string(nil), s...) }

// num formats a threshold the shortest way that reads back exactly.
func num(v float64) string { return model.SampleValue(v).String() }

// Alerts are the alerting rules for the thresholds in a.
func Alerts(a config.Alerting) []Alert {
	e := a.Engagement
	fraction := num(float64(e.DropFraction))
	dropDescription := func(who, what, guard string) string {
		return fmt.Sprintf("%s had {{ $value | humanize }} %s in the last 7 days, less than %s times the trailing 4-week average (%s).", who, what, fraction, guard)
	}
	return []Alert{
		{
			Name: "SlackActivityDropped", Severity: "info", Dashboard: DashboardEngagement, For: time.Hour,
			Expr:        drop(SlackMessages, e.DropFraction, e.MinSlackMessages),
			Summary:     "Slack activity in {{ $labels.channel }} dropped.",
			Description: dropDescription("{{ $labels.channel }}", "messages by people", "channels with fewer than "+fmt.Sprint(e.MinSlackMessages)+" messages in 30 days never alert"),
			Meaning:     "People post far less in the channel than they did over the last four weeks: questions may have moved elsewhere, or the channel lost its audience.",
			Check:       []string{"The channel on the engagement dashboard: a gradual decline or a cliff?", "Whether the slack collector is up and fresh (a collector that stopped refreshing also looks like a drop).", "Holidays, a reorganisation or a new channel that took over."},
			Act:         []string{"If a channel replaced it, update the collector's channel list.", "Otherwise raise it with the channel's owners: announce office hours or a newsletter item there."},
		},
		{
			Name: "WikiViewsDropped", Severity: "info", Dashboard: DashboardEngagement, For: time.Hour,
			Expr:        drop(WikiViews, e.DropFraction, e.MinWikiViews),
			Summary:     "Wiki views of space {{ $labels.space }} dropped.",
			Description: dropDescription("Space {{ $labels.space }}", "page views", "spaces with fewer than "+fmt.Sprint(e.MinWikiViews)+" views in 30 days never alert"),
			Meaning:     "The space's pages are read far less than over the last four weeks.",
			Check:       []string{"The space on the engagement dashboard and its key pages.", "Whether the confluence collector's analytics refresh is recent (sre_confluence_analytics_last_refresh_timestamp_seconds).", "Whether pages were moved to another space or archived."},
			Act:         []string{"Link the space's key pages from the channels and newsletters people read.", "If the content moved, update the collector's spaces."},
		},
		{
			Name: "OfficeHoursAttendanceDropped", Severity: "info", Dashboard: DashboardEngagement, For: time.Hour,
			// Office hours are often fortnightly: a week without a session
			// is no drop, so only weeks with one are judged.
			Expr: drop(EventAttendees, e.DropFraction, e.MinOfficeHoursSeats, eq("kind", e.OfficeHoursKind)) +
				fmt.Sprintf("\nand ignoring(%s)\n%s > 0", metrics.WindowLabel, sel(Events, eq("kind", e.OfficeHoursKind), window(week))),
			Summary:     "Office-hours attendance for {{ $labels.team }} dropped.",
			Description: dropDescription("Office hours (audience {{ $labels.team }})", "attendees", "audiences with fewer than "+fmt.Sprint(e.MinOfficeHoursSeats)+" attendees in 30 days, and weeks without a session, never alert"),
			Meaning:     "Fewer people came to the office hours held in the last week than the usual weekly attendance.",
			Check:       []string{"The events table: was a session cancelled or not recorded yet?", "Calendar clashes (planning weeks, holidays)."},
			Act:         []string{"Record missing sessions in the events table.", "Announce the next session where people ask questions, with an agenda."},
		},
		{
			Name: "NewsletterOpenRateDropped", Severity: "info", Dashboard: DashboardEngagement, For: time.Hour,
			Expr: fmt.Sprintf("(\n  %s\n  < ignoring(%s)\n  %s * %s\n)\nand ignoring(%s)\n%s >= %d",
				sel(NewsletterOpenRate, window(week)), metrics.WindowLabel, fraction, sel(NewsletterOpenRate, window(month)), metrics.WindowLabel,
				sel(NewsletterRecipients, window(week)), e.MinNewsletterRecipients),
			Summary:     "Newsletter open rate of {{ $labels.channel }} dropped.",
			Description: fmt.Sprintf("The open rate of the issues sent on {{ $labels.channel }} in the last 7 days was {{ $value | humanizePercentage }}, less than %s times the 30-day open rate (issues with fewer than %d recipients in 7 days never alert).", fraction, e.MinNewsletterRecipients),
			Meaning:     "Recipients open the latest issues much less than the month's issues.",
			Check:       []string{"The subject line and send time of the latest issue.", "Whether the recipients count changed (a new, larger list lowers the rate).", "Whether the newsletter table has the opens yet (they are often filled in days later)."},
			Act:         []string{"Fill in late open counts in the newsletter table.", "Try a clearer subject or another send day for the next issue."},
		},
		{
			Name: "TrainingCompletionBelowTarget", Severity: "info", Dashboard: DashboardTraining, For: time.Hour,
			Expr:        fmt.Sprintf("%s < %s\nand\n%s >= %d", TeamTrainingRatio, num(float64(a.TrainingCompletionTarget)), TeamEnrollments, a.MinTrainingEnrollments),
			Summary:     "Training completion of {{ $labels.team }} is below target.",
			Description: fmt.Sprintf("{{ $labels.team }} completed {{ $value | humanizePercentage }} of its enrolments, below the target of %s (teams with fewer than %d enrolments never alert).", pct(float64(a.TrainingCompletionTarget)), a.MinTrainingEnrollments),
			Meaning:     "Many of the team's enrolments are not completed.",
			Check:       []string{"The courses with the most open enrolments on the training dashboard.", "Whether completions are recorded in the training table (a completion date per row)."},
			Act:         []string{"Agree time for training with the team lead.", "Record completions that happened but are missing."},
		},
		{
			Name: "ChampionCoverageBelowTarget", Severity: "info", Dashboard: DashboardTraining, For: time.Hour,
			Expr:        fmt.Sprintf("%s < %s", ChampionCoverage, num(float64(a.ChampionCoverageTarget))),
			Summary:     "Too few teams have a reliability champion.",
			Description: fmt.Sprintf("{{ $value | humanizePercentage }} of the teams have an active reliability champion, below the target of %s.", pct(float64(a.ChampionCoverageTarget))),
			Meaning:     "Some teams have no active reliability champion (or their term ended).",
			Check:       []string{"sre_champions_active == 0: the teams without one.", "The champions table: an until date that passed without a successor."},
			Act:         []string{"Ask the teams without a champion to nominate one and add them to the champions table."},
		},
		{
			Name: "MeanTimeToResolveRegressed", Severity: "warning", Dashboard: DashboardReliability, For: time.Hour,
			Expr: fmt.Sprintf("(\n  %s\n  > ignoring(%s)\n  %s * %s\n)\nand ignoring(%s)\n%s >= %d",
				sel(TeamMTTR, window(month)), metrics.WindowLabel, num(float64(a.MTTRRegressionFactor)), sel(TeamMTTR, window(quarter)), metrics.WindowLabel,
				sel(TeamIncidentsResolved, window(month)), a.MinIncidents),
			Summary:     "MTTR of {{ $labels.team }} regressed.",
			Description: fmt.Sprintf("{{ $labels.team }} took {{ $value | humanizeDuration }} on average to resolve its incidents over the last 30 days, more than %s times its 90-day mean (teams with fewer than %d incidents resolved in 30 days never alert).", num(float64(a.MTTRRegressionFactor)), a.MinIncidents),
			Meaning:     "Incidents of the team take much longer to resolve than they used to.",
			Check:       []string{"The slowest incidents of the last 30 days on the reliability dashboard: one outlier or a trend?", "Whether incidents are resolved in the tracker when they end (a forgotten ticket inflates MTTR).", "On-call changes, new services or missing runbooks."},
			Act:         []string{"Close forgotten incidents in the tracker.", "Review the slow incidents' postmortems for shared causes and follow their action items."},
		},
		{
			Name: "IncidentSpike", Severity: "warning", Dashboard: DashboardReliability, For: 30 * time.Minute,
			Expr: fmt.Sprintf("(\n  %s\n  > ignoring(%s)\n  %s * (%s * 7 / 30)\n)\nand ignoring(%s)\n%s >= %d",
				sel(TeamIncidentsOpened, window(week)), metrics.WindowLabel, num(float64(a.IncidentSpikeFactor)), sel(TeamIncidentsOpened, window(month)), metrics.WindowLabel,
				sel(TeamIncidentsOpened, window(week)), a.MinIncidents),
			Summary:     "Incidents of {{ $labels.team }} spiked.",
			Description: fmt.Sprintf("{{ $labels.team }} opened {{ $value | humanize }} incidents in the last 7 days, more than %s times its weekly average over 30 days (fewer than %d incidents in 7 days never alert).", num(float64(a.IncidentSpikeFactor)), a.MinIncidents),
			Meaning:     "The team opened far more incidents this week than in an average week of the month.",
			Check:       []string{"The incidents of the week by service and severity on the reliability dashboard.", "Whether they share a cause (one outage filed several times, a noisy alert)."},
			Act:         []string{"Merge duplicates in the tracker.", "If one service dominates, schedule a reliability review for it."},
		},
		{
			Name: "PostmortemActionItemsOverdue", Severity: "warning", Dashboard: DashboardReliability, For: time.Hour,
			Expr:        fmt.Sprintf("%s > %d", TeamOverdueItems, a.OverdueActionItemsMax),
			Summary:     "{{ $labels.team }} has overdue postmortem action items.",
			Description: fmt.Sprintf("{{ $labels.team }} has {{ $value | humanize }} open postmortem action items past their due date (the alert allows %d).", a.OverdueActionItemsMax),
			Meaning:     "Follow-ups that were agreed after incidents are late, so the same incidents can happen again.",
			Check:       []string{"The overdue items on the reliability dashboard and in the tracker.", "Whether they are done but not closed."},
			Act:         []string{"Close finished items; re-plan the others with a new due date and an owner."},
		},
		{
			Name: "FormatComplianceBelowTarget", Severity: "info", Dashboard: DashboardFormat, For: time.Hour,
			Expr: fmt.Sprintf("%s < %s\nand\n%s >= %d",
				sel(FormatCompliance, window(month)), num(float64(a.FormatComplianceTarget)), sel(FormatChecked, window(month)), a.MinFormatDocuments),
			Summary:     "Format compliance of {{ $labels.source }} / {{ $labels.template }} is below target.",
			Description: fmt.Sprintf("{{ $value | humanizePercentage }} of the documents from {{ $labels.source }} created in the last 30 days pass template {{ $labels.template }}, below the target of %s (fewer than %d documents never alert).", pct(float64(a.FormatComplianceTarget)), a.MinFormatDocuments),
			Meaning:     "Many new documents (postmortems, posts, pages, dashboards) miss what their template requires.",
			Check:       []string{"The rules that fail most on the format dashboard (sre_format_rule_failures_in_window).", "The failing documents on the exporter's landing page, with where to fix them."},
			Act:         []string{"Fix the listed documents.", "If a rule does not fit the team's practice, change the template in the config's templates: section."},
		},
		{
			Name: "SreCollectorDown", Severity: "warning", Dashboard: DashboardHealth, For: 15 * time.Minute,
			Expr:        sel(metrics.CollectorUp.Name) + " == 0",
			Summary:     "Collector {{ $labels.collector }} fails to refresh.",
			Description: "The last refreshes of collector {{ $labels.collector }} ({{ $labels.kind }}) failed for 15 minutes; it serves its last good data (up = {{ $value }}).",
			Meaning:     "The collector cannot read its source (credentials, network, rate limits, a changed file); its figures stop moving.",
			Check:       []string{"The exporter's log lines with collector=<name> for the error.", "sre_collector_errors_total by reason on the exporter health dashboard.", "The source's credentials and whether the upstream is reachable from the exporter."},
			Act:         []string{"Fix the cause the log names (renew a token, fix a file, wait out a rate limit).", "Reload the exporter after a config change (SIGHUP or POST /-/reload)."},
		},
		{
			Name: "SreCollectorStale", Severity: "warning", Dashboard: DashboardHealth, For: 5 * time.Minute,
			Expr:        fmt.Sprintf("%s > %s * %s", CollectorDataAge, num(float64(a.CollectorStaleFactor)), metrics.CollectorRefreshInterval.Name),
			Summary:     "Data of collector {{ $labels.collector }} is stale.",
			Description: fmt.Sprintf("Collector {{ $labels.collector }} last refreshed successfully {{ $value | humanizeDuration }} ago, more than %s refresh intervals.", num(float64(a.CollectorStaleFactor))),
			Meaning:     "The collector has not succeeded for several intervals, or its refreshes hang.",
			Check:       []string{"sre_collector_up and sre_collector_refresh_duration_seconds of the collector.", "The exporter's log for refreshes that time out."},
			Act:         []string{"Fix the failing refresh (see SreCollectorDown).", "If refreshes take longer than the interval, raise refresh_interval or timeout in the config."},
		},
		{
			Name: "SreConfigReloadFailed", Severity: "warning", Dashboard: DashboardHealth, For: 5 * time.Minute,
			Expr:        sel(metrics.ConfigLastReloadSuccessful.Name) + " == 0",
			Summary:     "The exporter's configuration reload failed.",
			Description: "The last configuration load or reload failed (successful = {{ $value }}); the previous configuration keeps running.",
			Meaning:     "Someone changed the configuration file and it does not validate, so the change is not in effect.",
			Check:       []string{"The exporter's log for the reload error, which names file, line and field.", "sre-value-exporter --config.check --config.file <file>."},
			Act:         []string{"Fix the mistake and reload again (SIGHUP or POST /-/reload)."},
		},
	}
}

// pct formats a ratio as a percentage for descriptions.
func pct(v float64) string { return strconv.FormatFloat(math.Round(v*1e4)/100, 'f', -1, 64) + "%" }
