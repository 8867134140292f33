package slo

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/config"
	"github.com/sre-value/sre-value-exporter/internal/metrics"
)

// Builtin are the SLOs of the SRE team's own service to the organisation,
// measured from the exporter's own metrics. They are generated for every
// configuration, before those of its slos: section (an SLO that reads no
// data records nothing and never alerts).
func Builtin() []config.SLO {
	return []config.SLO{helpAnswered(), refreshSuccess()}
}

// helpAnswered: 95% of help-channel questions get a first SRE reply within
// 4 hours. The Slack families are exact counts over the exporter's trailing
// windows (gauges, not counters), so no Prometheus range can cut the
// events of the last hour out of them. The SLI over a range is therefore
// the trailing-7-day share averaged over that range: every burn window
// reads the same 7-day figure, and the windows only set how long it must
// hold. Questions asked in the last 4 hours and not yet answered count as
// late until they are answered, which errs on the side of alerting.
func helpAnswered() config.SLO {
	questions := fmt.Sprintf(`sum(avg_over_time(%s{%s="7d"}[{{.window}}]))`, metrics.SlackQuestionsInWindow.Name, metrics.WindowLabel)
	answered := fmt.Sprintf(`sum(avg_over_time(%s_bucket{%s="7d", %s}[{{.window}}]))`,
		metrics.SlackQuestionFirstSREReply.Name, metrics.WindowLabel, le(metrics.SlackQuestionFirstSREReply, 4*time.Hour))
	return config.SLO{
		Service:     "sre",
		Name:        "help-answered-within-4h",
		Description: "Help-channel questions get a first reply from an SRE within 4 hours. The SLI is the trailing-7-day share of questions without such a reply, averaged over each window (the Slack figures are exact counts per trailing window, not counters); questions younger than 4 hours and not yet answered count as late until answered.",
		Objective:   95,
		Period:      config.DefaultSLOPeriod,
		ErrorQuery:  config.SLIQuery(questions + "\n-\n" + answered),
		TotalQuery:  config.SLIQuery(questions),
		// Fewer than 10 questions a week is too few for a share to mean
		// anything.
		MinTotal: 10,
	}
}

// refreshSuccess: 99% of the time, each collector's last refresh
// succeeded. The exporter counts failed refreshes (sre_collector_errors_total)
// but not refreshes, so a request-based ratio has no denominator; the
// sound SLI is time-based: the share of scraped samples of sre_collector_up
// that were 0.
func refreshSuccess() config.SLO {
	up := metrics.CollectorUp.Name
	return config.SLO{
		Service:     "sre-value-exporter",
		Name:        "refresh-success",
		Description: "The exporter's collectors refresh successfully: the share of scraped sre_collector_up samples, across collectors, whose last refresh had failed. It is time-based because the exporter counts failed refreshes but not refreshes.",
		Objective:   99,
		Period:      config.DefaultSLOPeriod,
		ErrorQuery:  config.SLIQuery(fmt.Sprintf("sum(count_over_time(%s[{{.window}}]))\n-\nsum(sum_over_time(%s[{{.window}}]))", up, up)),
		TotalQuery:  config.SLIQuery(fmt.Sprintf("sum(count_over_time(%s[{{.window}}]))", up)),
	}
}

// le matches the bucket of histogram f whose upper bound is d. Prometheus 3
// writes an integer bound scraped as le="14400" as "14400.0", so both
// spellings match.
func le(f *metrics.Family, d time.Duration) string {
	bound := d.Seconds()
	if !slices.Contains(f.Buckets, bound) {
		panic(fmt.Sprintf("slo: %s has no bucket at %s", f.Name, d))
	}
	return fmt.Sprintf(`le=~"%s(\\.0)?"`, strconv.FormatFloat(bound, 'f', -1, 64))
}
