// Package backfill replays the history a collector's store holds into
// Prometheus TSDB blocks (or an OpenMetrics file for promtool), so that a new
// Prometheus shows six months of trends on day one. Every step computes the
// collectors' past snapshots (collectors.Historian), keeps the families the
// catalog marks Historical, and writes them under the same names and labels a
// scrape gives them; recording rules are then evaluated over the written
// series, the way `promtool tsdb create-blocks-from rules` does.
package backfill

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sort"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/exporter"
	"github.com/sre-value/sre-value-exporter/internal/metrics"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
	"github.com/sre-value/sre-value-exporter/internal/store"
)

// Options configure one backfill.
type Options struct {
	ConfigFile string
	Store      *store.Store
	// Sync reads every source into the store first, as the exporter's
	// first refresh would; false uses the store as it is (a copy of a
	// running exporter's store).
	Sync bool
	// End is the instant the history ends at (now); SkipRecent is left
	// out before it (the hours a running Prometheus's head block holds).
	End        time.Time
	SkipRecent time.Duration
	Since      time.Duration
	Step       time.Duration
	// BlockDuration is the time range of each written block.
	BlockDuration time.Duration
	// TSDBDir receives the blocks; OpenMetricsFile, if set, the same
	// samples for promtool. At least one is needed.
	TSDBDir         string
	OpenMetricsFile string
	// RuleFiles are Prometheus rule files whose recording rules are
	// evaluated over the backfilled series.
	RuleFiles []string
	// Labels are added to every series as the scrape adds them (job,
	// instance), so history and live series are one series.
	Labels map[string]string
	Logger *slog.Logger
	// Progress receives a progress bar (a terminal) or log lines.
	Progress io.Writer
	Terminal bool
}

// Result is what a backfill wrote.
type Result struct {
	From, To time.Time // first and last sample
	Steps    int
	Series   int // distinct series, data and recording rules
	Samples  int64
	Blocks   int
	Bytes    int64 // size of the written blocks
	// RuleSeries and RuleSamples are the recording rules' share.
	RuleSeries  int
	RuleSamples int64
	// Left out are the families /metrics has that backfill does not
	// write, with why.
	LeftOut []LeftOut
}

// LeftOut is a family not backfilled.
type LeftOut struct {
	Family, Collector, Reason string
}

// source is one collector's past snapshots.
type source struct {
	name    string
	history collectors.History
}

// Run backfills as opts say.
func Run(ctx context.Context, opts Options) (*Result, error) {
	if opts.TSDBDir == "" && opts.OpenMetricsFile == "" {
		return nil, errors.New("backfill: no output: give --output.tsdb or --output.openmetrics")
	}
	if opts.Step <= 0 || opts.Since <= 0 {
		return nil, fmt.Errorf("backfill: --step (%s) and --since (%s) must be positive", opts.Step, opts.Since)
	}
	if opts.BlockDuration < opts.Step {
		return nil, fmt.Errorf("backfill: --block.duration %s is shorter than --step %s", opts.BlockDuration, opts.Step)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	end := opts.End.Add(-opts.SkipRecent)
	last := end.Truncate(opts.Step)
	first := last.Add(-opts.Since).Truncate(opts.Step)
	if first.Before(last.Add(-opts.Since)) {
		first = first.Add(opts.Step)
	}
	steps := int(last.Sub(first)/opts.Step) + 1
	// Samples stay on the step's grid (Grafana aligns range queries to it),
	// and one more is written at the end itself, so the history reaches
	// the live scrape that starts then without a gap of up to a step.
	var tail time.Time
	if end.After(last) {
		tail = end
		steps++
	}

	now := func() time.Time { return last }
	cfg, instances, err := exporter.Load(opts.ConfigFile, opts.Store, opts.Logger, func(string) bool { return true }, nil, now)
	if err != nil {
		return nil, err
	}
	res := &Result{From: first, To: last, Steps: steps}
	if !tail.IsZero() {
		res.To = tail
	}
	// The configuration's families (the catalog's teams and services, the
	// value: section's prices and team cost) are written at every step as
	// they are now: the rules that join them (coverage, money) then have
	// history, priced at today's rates as the "avoided" figures are.
	static, err := exporter.Static(cfg)
	if err != nil {
		return nil, err
	}
	var sources []source
	for _, inst := range instances {
		if opts.Sync {
			opts.Logger.Info("reading the source into the store", "collector", inst.Name, "kind", inst.Kind)
			if err := inst.Collector.Sync(ctx); err != nil {
				return nil, fmt.Errorf("collector %s: sync: %w", inst.Name, err)
			}
		}
		live, err := inst.Collector.Snapshot(last)
		if err != nil {
			return nil, fmt.Errorf("collector %s: %w", inst.Name, err)
		}
		h, ok := inst.Collector.(collectors.Historian)
		var past *snapshot.Snapshot
		if ok {
			hist, err := h.History()
			if err != nil {
				return nil, fmt.Errorf("collector %s: history: %w", inst.Name, err)
			}
			if past, err = hist.SnapshotAt(last); err != nil {
				return nil, fmt.Errorf("collector %s: history: %w", inst.Name, err)
			}
			sources = append(sources, source{name: inst.Name, history: hist})
		}
		res.LeftOut = append(res.LeftOut, leftOut(inst.Name, inst.Kind, live, past, ok)...)
	}

	outDir := opts.TSDBDir
	if outDir == "" {
		if outDir, err = os.MkdirTemp("", "sre-backfill-"); err != nil {
			return nil, err
		}
		defer os.RemoveAll(outDir)
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, fmt.Errorf("backfill: %w", err)
	}
	// The TSDB logs every block flush at info; only its warnings matter here.
	opts.Logger = slog.New(warnOnly{opts.Logger.Handler()})
	w := &writer{opts: opts, dir: outDir, extra: labels.FromMap(opts.Labels), series: map[uint64]struct{}{}, static: static, tail: tail}
	prog := newProgress(opts.Progress, opts.Terminal, steps, first, res.To)
	if err := w.data(ctx, sources, first, last, prog); err != nil {
		return nil, err
	}
	prog.finish()
	res.Series, res.Samples, res.Blocks = len(w.series), w.samples, w.blocks
	if len(opts.RuleFiles) > 0 && res.Samples > 0 {
		rs, rn, rb, err := w.rules(ctx, opts.RuleFiles, first, last)
		if err != nil {
			return nil, err
		}
		res.RuleSeries, res.RuleSamples = rs, rn
		res.Series += rs
		res.Samples += rn
		res.Blocks += rb
		if res.Blocks, err = mergeOverlapping(ctx, outDir, opts.BlockDuration.Milliseconds(), opts.Logger); err != nil {
			return nil, err
		}
	}
	if opts.OpenMetricsFile != "" {
		if err := writeOpenMetrics(outDir, opts.OpenMetricsFile, opts.Logger); err != nil {
			return nil, err
		}
	}
	if opts.TSDBDir != "" {
		res.Bytes = dirSize(opts.TSDBDir)
	} else if fi, err := os.Stat(opts.OpenMetricsFile); err == nil {
		res.Bytes = fi.Size()
	}
	return res, nil
}

// leftOut lists the families a collector's /metrics has that backfill does
// not write: not historical in the catalog, or not reconstructed by the
// collector.
func leftOut(name, kind string, live, past *snapshot.Snapshot, historian bool) []LeftOut {
	have := map[string]bool{}
	for _, f := range past.Families() {
		have[f.GetName()] = true
	}
	var out []LeftOut
	for _, f := range live.Families() {
		fam, declared := metrics.Lookup(f.GetName())
		switch {
		case !declared:
			out = append(out, LeftOut{f.GetName(), name, "a custom family: its rows are not replayed"})
		case !fam.Historical:
			out = append(out, LeftOut{f.GetName(), name, "not historical: it exists only as of now"})
		case !historian:
			out = append(out, LeftOut{f.GetName(), name, "the " + kind + " collector cannot compute past instants"})
		case !have[f.GetName()]:
			out = append(out, LeftOut{f.GetName(), name, "the " + kind + " collector cannot reconstruct it from what its source keeps"})
		}
	}
	return out
}

// writer writes blocks, one block range at a time, so memory holds one
// block's samples.
type writer struct {
	opts    Options
	dir     string
	extra   labels.Labels
	series  map[uint64]struct{} // by label hash, to count them
	samples int64
	blocks  int
	// static is the configuration's snapshot, the same at every step.
	static *snapshot.Snapshot
	// tail is the end when it is off the step's grid: one more instant.
	tail time.Time
}

// instants are the instants written in block range br: those of the grid
// from first to last, and the tail if it falls in br.
func (w *writer) instants(br [2]time.Time, first, last time.Time) []time.Time {
	var out []time.Time
	start := br[0]
	if start.Before(first) {
		start = first
	}
	for t := start; t.Before(br[1]) && !t.After(last); t = t.Add(w.opts.Step) {
		out = append(out, t)
	}
	if !w.tail.IsZero() && !w.tail.Before(br[0]) && w.tail.Before(br[1]) {
		out = append(out, w.tail)
	}
	return out
}

// end is the last instant written.
func (w *writer) end(last time.Time) time.Time {
	if !w.tail.IsZero() {
		return w.tail
	}
	return last
}

// blockRanges splits [first, last] into block-duration-aligned ranges.
func blockRanges(first, last time.Time, d time.Duration) [][2]time.Time {
	var out [][2]time.Time
	for start := first.Truncate(d); !start.After(last); start = start.Add(d) {
		out = append(out, [2]time.Time{start, start.Add(d)})
	}
	return out
}

func (w *writer) data(ctx context.Context, sources []source, first, last time.Time, prog *progress) error {
	for _, br := range blockRanges(first, w.end(last), w.opts.BlockDuration) {
		bw, err := tsdb.NewBlockWriter(w.opts.Logger, w.dir, w.opts.BlockDuration.Milliseconds())
		if err != nil {
			return fmt.Errorf("backfill: %w", err)
		}
		appended := 0
		for _, t := range w.instants(br, first, last) {
			if err := ctx.Err(); err != nil {
				bw.Close()
				return err
			}
			snap, err := pastSnapshot(sources, t)
			if err != nil {
				bw.Close()
				return err
			}
			app := bw.Appender(ctx)
			n, err := w.appendSnapshot(app, snap, t.UnixMilli(), false)
			if err == nil {
				var m int
				m, err = w.appendSnapshot(app, w.static, t.UnixMilli(), true)
				n += m
			}
			if err != nil {
				_ = app.Rollback()
				bw.Close()
				return err
			}
			if err := app.Commit(); err != nil {
				bw.Close()
				return fmt.Errorf("backfill: commit %s: %w", t.Format(time.RFC3339), err)
			}
			appended += n
			prog.step(t, len(w.series), w.samples)
		}
		if err := w.flush(ctx, bw, appended); err != nil {
			return err
		}
	}
	return nil
}

func (w *writer) flush(ctx context.Context, bw *tsdb.BlockWriter, appended int) error {
	defer bw.Close()
	if appended == 0 {
		return nil
	}
	if _, err := bw.Flush(ctx); err != nil {
		return fmt.Errorf("backfill: writing a block: %w", err)
	}
	w.blocks++
	return nil
}

// pastSnapshot merges the collectors' snapshots at t as the scheduler
// merges them, with the collector label.
func pastSnapshot(sources []source, t time.Time) (*snapshot.Snapshot, error) {
	var parts []snapshot.Source
	for _, s := range sources {
		snap, err := s.history.SnapshotAt(t)
		if err != nil {
			return nil, fmt.Errorf("collector %s at %s: %w", s.name, t.Format(time.RFC3339), err)
		}
		parts = append(parts, snapshot.Source{Snapshot: snap, LabelName: metrics.CollectorLabel, LabelValue: s.name})
	}
	return snapshot.Merge(parts)
}

// appendSnapshot appends the Historical families of snap at ts, or every
// catalog family with all (the configuration's).
func (w *writer) appendSnapshot(app storage.Appender, snap *snapshot.Snapshot, ts int64, all bool) (int, error) {
	n := 0
	var b labels.ScratchBuilder
	add := func(name string, m *dto.Metric, le string, v float64) error {
		b.Reset()
		b.Add(model.MetricNameLabel, name)
		for _, l := range m.GetLabel() {
			b.Add(l.GetName(), l.GetValue())
		}
		if le != "" {
			b.Add("le", le)
		}
		w.extra.Range(func(l labels.Label) { b.Add(l.Name, l.Value) })
		b.Sort()
		lset := b.Labels()
		if _, err := app.Append(0, lset, ts, v); err != nil {
			return fmt.Errorf("backfill: %s: %w", lset, err)
		}
		w.series[lset.Hash()] = struct{}{}
		n++
		w.samples++
		return nil
	}
	for _, f := range snap.Families() {
		fam, ok := metrics.Lookup(f.GetName())
		if !ok || !(fam.Historical || all) {
			continue
		}
		for _, m := range f.GetMetric() {
			var err error
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				err = add(f.GetName(), m, "", m.GetCounter().GetValue())
			case dto.MetricType_GAUGE:
				err = add(f.GetName(), m, "", m.GetGauge().GetValue())
			case dto.MetricType_HISTOGRAM:
				err = addHistogram(add, f.GetName(), m)
			default:
				err = fmt.Errorf("backfill: %s: unexpected type %s", f.GetName(), f.GetType())
			}
			if err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// addHistogram writes a classic histogram as a scrape stores it: the le
// values normalised the way Prometheus 3 normalises them ("300.0").
func addHistogram(add func(string, *dto.Metric, string, float64) error, name string, m *dto.Metric) error {
	h := m.GetHistogram()
	inf := false
	for _, bk := range h.GetBucket() {
		if math.IsInf(bk.GetUpperBound(), +1) {
			inf = true
		}
		if err := add(name+"_bucket", m, labels.FormatOpenMetricsFloat(bk.GetUpperBound()), float64(bk.GetCumulativeCount())); err != nil {
			return err
		}
	}
	if !inf {
		if err := add(name+"_bucket", m, labels.FormatOpenMetricsFloat(math.Inf(+1)), float64(h.GetSampleCount())); err != nil {
			return err
		}
	}
	if err := add(name+"_sum", m, "", h.GetSampleSum()); err != nil {
		return err
	}
	return add(name+"_count", m, "", float64(h.GetSampleCount()))
}

func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// SortLeftOut orders the list by family, then collector.
func SortLeftOut(l []LeftOut) {
	sort.Slice(l, func(i, j int) bool {
		if l[i].Family != l[j].Family {
			return l[i].Family < l[j].Family
		}
		return l[i].Collector < l[j].Collector
	})
}

// warnOnly passes on warnings and errors only.
type warnOnly struct{ slog.Handler }

func (h warnOnly) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && h.Handler.Enabled(ctx, l)
}
func (h warnOnly) WithAttrs(a []slog.Attr) slog.Handler { return warnOnly{h.Handler.WithAttrs(a)} }
func (h warnOnly) WithGroup(n string) slog.Handler      { return warnOnly{h.Handler.WithGroup(n)} }
