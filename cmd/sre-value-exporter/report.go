package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/sre-value/sre-value-exporter/internal/bundle"
	"github.com/sre-value/sre-value-exporter/internal/bundle/dashboards"
	"github.com/sre-value/sre-value-exporter/internal/config"
	"github.com/sre-value/sre-value-exporter/internal/report"
)

// reportCommand builds the periodic report from Prometheus, and posts or
// publishes it (see docs/reports.md).
func reportCommand(app *kingpin.Application) command {
	c := app.Command("report", "Build the weekly, monthly or quarterly SRE value report from the dashboards' queries on a Prometheus; write it as Markdown, HTML or JSON, post the summary to Slack, publish it to Confluence, or render every dashboard panel to an image (see docs/reports.md).")
	promURL := c.Flag("prometheus.url", "Base URL of the Prometheus that scrapes the exporter and evaluates the bundle's rules.").Required().String()
	period := c.Flag("period", "The report's period: week, month or quarter.").Default("month").Enum(report.Kinds...)
	at := c.Flag("at", "Which period: 2026-10 (month), 2026-Q3 (quarter), 2026-W43 (ISO week), or an RFC 3339 instant that ends a rolling period; default the last complete one.").String()
	format := c.Flag("format", "Output format: markdown, html or json.").Default("markdown").Enum(report.Formats...)
	out := c.Flag("out", "File to write the report to; - for standard output. Markdown writes its charts beside it, in <name>-charts/.").Default("-").String()
	configFile := c.Flag("config.file", "The exporter configuration, for the dashboards' targets (thresholds); optional.").String()
	months := c.Flag("trend.months", "How many months the trend charts show.").Default("6").Int()
	slackChannel := c.Flag("slack.channel", "Post the summary and the charts to this Slack channel (needs SLACK_TOKEN or --slack.token-file).").String()
	slackTokenFile := c.Flag("slack.token-file", "File holding the Slack bot token (chat:write, files:write); default the SLACK_TOKEN environment variable.").String()
	slackAPI := c.Flag("slack.api-url", "Slack's Web API base URL.").Default(report.DefaultSlackAPI).Hidden().String()
	reportURL := c.Flag("slack.report-url", "A link to the full report for the Slack message.").String()
	confURL := c.Flag("confluence.url", "Confluence base URL, such as https://example.atlassian.net/wiki.").String()
	confSpace := c.Flag("confluence.space", "Publish the report as a page in this Confluence space (created, or updated when a page of that title exists).").String()
	confTitle := c.Flag("confluence.title", "Title of the Confluence page; default the report's title.").String()
	confParent := c.Flag("confluence.parent", "Id of the page to publish under.").String()
	confUser := c.Flag("confluence.user", "The Confluence account's email.").String()
	confTokenFile := c.Flag("confluence.token-file", "File holding the account's API token; default the CONFLUENCE_TOKEN environment variable.").String()
	previewDir := c.Flag("preview-dashboards", "Render every generated dashboard panel into an image in this folder (with index.md) instead of the report.").String()
	return command{clause: c, run: func(e env) int {
		fail := func(code int, format string, args ...any) int {
			fmt.Fprintf(e.stderr, "sre-value-exporter report: "+format+"\n", args...)
			return code
		}
		src, err := report.NewPrometheus(*promURL, e.logger)
		if err != nil {
			return fail(2, "--prometheus.url: %s", err)
		}
		input := dashboards.Input{}
		if *configFile != "" {
			cfg, err := config.Load(*configFile)
			if err != nil {
				return fail(1, "%s", config.Redact(err.Error()))
			}
			input = bundle.DashboardInput(cfg)
		}
		now := time.Now()
		ctx := context.Background()
		if *previewDir != "" {
			instant := now
			if *at != "" {
				p, err := report.ParsePeriod(*period, *at, now)
				if err != nil {
					return fail(2, "%s", err)
				}
				instant = p.End
			}
			files, err := report.Preview(ctx, src, report.PreviewOptions{Dir: *previewDir, At: instant, Dashboards: input})
			if err != nil {
				return fail(1, "%s", err)
			}
			fmt.Fprintf(e.stdout, "wrote %d files to %s\n", len(files), *previewDir)
			return 0
		}
		p, err := report.ParsePeriod(*period, *at, now)
		if err != nil {
			return fail(2, "%s", err)
		}
		secrets := map[string]config.Secret{}
		for _, s := range []struct{ name, file, env string }{
			{"slack", *slackTokenFile, "SLACK_TOKEN"}, {"confluence", *confTokenFile, "CONFLUENCE_TOKEN"},
		} {
			if (s.name == "slack" && *slackChannel == "") || (s.name == "confluence" && *confSpace == "") {
				continue
			}
			tok, err := secret(s.file, s.env)
			if err != nil {
				return fail(2, "--%s.token-file: %s", s.name, err)
			}
			secrets[s.name] = tok
		}
		if *confSpace != "" && (*confURL == "" || *confUser == "") {
			return fail(2, "--confluence.space needs --confluence.url and --confluence.user")
		}

		r, err := report.Build(ctx, src, report.Options{Period: p, Dashboards: input, Prometheus: *promURL, TrendMonths: *months,
			Charts: *format != "json" || *slackChannel != "" || *confSpace != ""})
		if err != nil {
			return fail(1, "%s", err)
		}
		if err := writeReport(r, report.Format(*format), *out, e); err != nil {
			return fail(1, "%s", err)
		}
		code := 0
		if *slackChannel != "" {
			res, err := report.PostSlack(ctx, r, report.SlackOptions{Channel: *slackChannel, Token: secrets["slack"], APIURL: *slackAPI, ReportURL: *reportURL, Logger: e.logger})
			if err != nil {
				fmt.Fprintf(e.stderr, "sre-value-exporter report: %s\n", config.Redact(err.Error()))
				code = 1
			} else {
				e.logger.Info("posted the report to Slack", "channel", *slackChannel, "ts", res.Timestamp, "charts", len(res.Files))
			}
		}
		if *confSpace != "" {
			res, err := report.PublishConfluence(ctx, r, report.ConfluenceOptions{URL: *confURL, Space: *confSpace, Title: *confTitle, ParentID: *confParent, User: *confUser, Token: secrets["confluence"], Logger: e.logger})
			if err != nil {
				fmt.Fprintf(e.stderr, "sre-value-exporter report: %s\n", config.Redact(err.Error()))
				code = 1
			} else {
				e.logger.Info("published the report to Confluence", "space", *confSpace, "page", res.ID, "version", res.Version, "created", res.Created, "url", res.URL)
			}
		}
		return code
	}}
}

// secret reads a token from file, or else from the environment variable.
func secret(file, envVar string) (config.Secret, error) {
	if file != "" {
		return config.ReadSecretFile("", file)
	}
	v := strings.TrimSpace(os.Getenv(envVar))
	if v == "" {
		return config.Secret{}, fmt.Errorf("no token: set %s or give the token file", envVar)
	}
	return config.NewSecret(v, "$"+envVar), nil
}

// writeReport writes r in format to out ("-" for standard output); a
// Markdown file gets its charts in <name>-charts/ beside it.
func writeReport(r *report.Report, format report.Format, out string, e env) error {
	var buf bytes.Buffer
	var err error
	chartDir := ""
	switch format {
	case report.FormatHTML:
		err = report.HTML(&buf, r)
	case report.FormatJSON:
		err = report.JSON(&buf, r)
	default:
		if out != "-" {
			chartDir = strings.TrimSuffix(filepath.Base(out), filepath.Ext(out)) + "-charts"
			if err := writeCharts(r, filepath.Join(filepath.Dir(out), chartDir)); err != nil {
				return err
			}
		}
		err = report.Markdown(&buf, r, chartDir)
	}
	if err != nil {
		return err
	}
	if out == "-" {
		_, err = e.stdout.Write(buf.Bytes())
		return err
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	return nil
}

func writeCharts(r *report.Report, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("writing the charts: %w", err)
	}
	for _, s := range r.Sections {
		for _, c := range s.Charts {
			if err := os.WriteFile(filepath.Join(dir, report.ChartFile(c)), c.PNG, 0o644); err != nil {
				return fmt.Errorf("writing the charts: %w", err)
			}
		}
	}
	return nil
}
