package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/model"

	"github.com/sre-value/sre-value-exporter/internal/backfill"
	"github.com/sre-value/sre-value-exporter/internal/config"
	"github.com/sre-value/sre-value-exporter/internal/store"
)

// backfillCommand writes the stored history as TSDB blocks (docs/backfill.md).
func backfillCommand(app *kingpin.Application) command {
	c := app.Command("backfill", "Write the history the sources hold (incidents, records, Slack, wiki) as Prometheus TSDB blocks or OpenMetrics, with the recording rules evaluated over it, so dashboards show trends from day one (see docs/backfill.md).")
	configFile := c.Flag("config.file", "Configuration file (YAML).").Default("sre-value-exporter.yml").String()
	storagePath := c.Flag("storage.path", "Store file; not one a running exporter holds open (use a copy, or --sync into a new one).").Default("data/sre-value-exporter.db").String()
	sync := c.Flag("sync", "Read every source into the store first, as the exporter's first refresh does; --no-sync uses the store as it is.").Default("true").Bool()
	since := c.Flag("since", "How far back the history goes.").Default("180d").String()
	step := c.Flag("step", "Time between two samples of a series.").Default("1h").String()
	end := c.Flag("end", "Instant the history ends at (RFC 3339); default now.").String()
	skipRecent := c.Flag("skip-recent", "Leave out this much before --end: a running Prometheus's head block holds it. 0 for a Prometheus that has not started on its data directory yet.").Default("3h").String()
	blockDuration := c.Flag("block.duration", "Time range of each written block.").Default("7d").String()
	outTSDB := c.Flag("output.tsdb", "Directory to write the blocks into; move them into Prometheus's data directory.").String()
	outOM := c.Flag("output.openmetrics", "File to write the samples to, for `promtool tsdb create-blocks-from openmetrics`.").String()
	rules := c.Flag("rules.file", "Rule file whose recording rules are backfilled too (repeatable).").Strings()
	job := c.Flag("label.job", "The job label the scrape adds (the job_name of the scrape config).").Default("sre-value-exporter").String()
	instance := c.Flag("label.instance", "The instance label the scrape adds (the target's host:port).").Default("sre-value-exporter:9877").String()
	return command{clause: c, run: func(e env) int {
		durations := map[string]time.Duration{}
		for flag, v := range map[string]string{"since": *since, "step": *step, "skip-recent": *skipRecent, "block.duration": *blockDuration} {
			d, err := model.ParseDuration(v)
			if err != nil {
				fmt.Fprintf(e.stderr, "sre-value-exporter backfill: --%s: %s\n", flag, err)
				return 2
			}
			durations[flag] = time.Duration(d)
		}
		endAt := time.Now()
		if *end != "" {
			t, err := time.Parse(time.RFC3339, *end)
			if err != nil {
				fmt.Fprintf(e.stderr, "sre-value-exporter backfill: --end: %s\n", err)
				return 2
			}
			endAt = t
		}
		if *outTSDB == "" && *outOM == "" {
			fmt.Fprintln(e.stderr, "sre-value-exporter backfill: give --output.tsdb or --output.openmetrics")
			return 2
		}
		st, err := store.Open(*storagePath)
		if err != nil {
			fmt.Fprintf(e.stderr, "sre-value-exporter backfill: %s\n", err)
			return 1
		}
		defer st.Close()
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		terminal := false
		if fi, err := os.Stderr.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 && e.stderr == os.Stderr {
			terminal = true
		}
		started := time.Now()
		res, err := backfill.Run(ctx, backfill.Options{
			ConfigFile: *configFile, Store: st, Sync: *sync,
			End: endAt, SkipRecent: durations["skip-recent"], Since: durations["since"], Step: durations["step"],
			BlockDuration: durations["block.duration"], TSDBDir: *outTSDB, OpenMetricsFile: *outOM, RuleFiles: *rules,
			Labels: map[string]string{"job": *job, "instance": *instance}, Logger: e.logger,
			Progress: e.stderr, Terminal: terminal,
		})
		if err != nil {
			fmt.Fprintf(e.stderr, "sre-value-exporter backfill: %s\n", config.Redact(err.Error()))
			return 1
		}
		out := *outTSDB
		if out == "" {
			out = *outOM
		}
		fmt.Fprintf(e.stdout, "backfilled %s .. %s every %s: %d series, %d samples (of which %d series, %d samples are recording rules from %d files), %d blocks, %.1f MiB in %s, in %s\n",
			res.From.UTC().Format(time.RFC3339), res.To.UTC().Format(time.RFC3339), durations["step"], res.Series, res.Samples,
			res.RuleSeries, res.RuleSamples, len(*rules), res.Blocks, float64(res.Bytes)/(1<<20), out, time.Since(started).Round(time.Millisecond))
		backfill.SortLeftOut(res.LeftOut)
		if len(res.LeftOut) > 0 {
			fmt.Fprintf(e.stdout, "left out (%d families of /metrics have no history):\n", len(res.LeftOut))
			for _, l := range res.LeftOut {
				if l.Collector == "" {
					fmt.Fprintf(e.stdout, "  %s: %s\n", l.Family, l.Reason)
					continue
				}
				fmt.Fprintf(e.stdout, "  %s (collector %s): %s\n", l.Family, l.Collector, l.Reason)
			}
		}
		if *outTSDB != "" {
			fmt.Fprintf(e.stdout, "next: stop Prometheus (or not: blocks are picked up at the next compaction), move %s/* into its data directory, and keep --storage.tsdb.retention.time above %s\n", strings.TrimRight(*outTSDB, "/"), *since)
		}
		return 0
	}}
}
