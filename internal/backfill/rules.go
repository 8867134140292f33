package backfill

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/prometheus/prometheus/tsdb/chunks"
	"github.com/prometheus/prometheus/util/annotations"
)

// ruleSeries is one recording rule's output series over the whole range.
type ruleSeries struct {
	lset    labels.Labels
	samples []chunks.Sample
}

// rules evaluates the recording rules of files at every step over the
// blocks written so far, in file, group and rule order as Prometheus
// evaluates them, so a rule reading an earlier rule's output sees it. The
// outputs are held in memory (series are per team or service, not per
// record) and written as blocks of the same ranges as the data.
func (w *writer) rules(ctx context.Context, files []string, first, last time.Time) (int, int64, int, error) {
	p := parser.NewParser(parser.Options{})
	type recording struct {
		file string
		rule rulefmt.Rule
		lbls map[string]string
	}
	var recs []recording
	for _, f := range files {
		rgs, errs := rulefmt.ParseFile(f, false, model.UTF8Validation, p, w.opts.Logger)
		if len(errs) > 0 {
			return 0, 0, 0, fmt.Errorf("backfill: rules: %w", errors.Join(errs...))
		}
		for _, g := range rgs.Groups {
			for _, r := range g.Rules {
				if r.Record == "" {
					continue
				}
				lbls := map[string]string{}
				for k, v := range g.Labels {
					lbls[k] = v
				}
				for k, v := range r.Labels {
					lbls[k] = v
				}
				recs = append(recs, recording{file: f, rule: r, lbls: lbls})
			}
		}
	}
	if len(recs) == 0 {
		return 0, 0, 0, nil
	}

	sandbox, err := os.MkdirTemp("", "sre-backfill-rules-")
	if err != nil {
		return 0, 0, 0, err
	}
	defer os.RemoveAll(sandbox)
	cleanup, err := withWAL(w.dir)
	if err != nil {
		return 0, 0, 0, err
	}
	defer cleanup()
	db, err := tsdb.OpenDBReadOnly(w.dir, sandbox, w.opts.Logger)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("backfill: opening the written blocks: %w", err)
	}
	defer db.Close()
	mem := &memQueryable{}
	queryable := storage.QueryableFunc(func(mint, maxt int64) (storage.Querier, error) {
		q, err := db.Querier(mint, maxt)
		if err != nil {
			return nil, err
		}
		return storage.NewMergeQuerier([]storage.Querier{q, mem.querier()}, nil, storage.ChainedSeriesMerge), nil
	})
	engine := promql.NewEngine(promql.EngineOpts{
		Logger:               w.opts.Logger,
		MaxSamples:           50_000_000,
		Timeout:              time.Hour,
		LookbackDelta:        5 * time.Minute,
		EnableAtModifier:     true,
		EnableNegativeOffset: true,
		Parser:               p,
	})
	samples := int64(0)
	for _, rec := range recs {
		q, err := engine.NewRangeQuery(ctx, queryable, nil, rec.rule.Expr, first, last, w.opts.Step)
		if err != nil {
			return 0, 0, 0, fmt.Errorf("backfill: %s: rule %s: %w", rec.file, rec.rule.Record, err)
		}
		res := q.Exec(ctx)
		if res.Err != nil {
			q.Close()
			return 0, 0, 0, fmt.Errorf("backfill: %s: rule %s: %w", rec.file, rec.rule.Record, res.Err)
		}
		matrix, err := res.Matrix()
		if err != nil {
			q.Close()
			return 0, 0, 0, fmt.Errorf("backfill: %s: rule %s: %w", rec.file, rec.rule.Record, err)
		}
		var tailVec promql.Vector
		if !w.tail.IsZero() {
			if tailVec, err = w.evalAt(ctx, engine, queryable, rec.rule.Expr, w.tail); err != nil {
				q.Close()
				return 0, 0, 0, fmt.Errorf("backfill: %s: rule %s: %w", rec.file, rec.rule.Record, err)
			}
		}
		outputs := map[uint64]*ruleSeries{}
		var order []uint64
		output := func(metric labels.Labels) *ruleSeries {
			b := labels.NewBuilder(metric)
			b.Set(model.MetricNameLabel, rec.rule.Record)
			for k, v := range rec.lbls {
				b.Set(k, v)
			}
			lset := b.Labels()
			h := lset.Hash()
			if _, ok := outputs[h]; !ok {
				outputs[h] = &ruleSeries{lset: lset}
				order = append(order, h)
			}
			return outputs[h]
		}
		for _, s := range matrix {
			out := output(s.Metric)
			for _, pt := range s.Floats {
				out.samples = append(out.samples, floatSample{t: pt.T, f: pt.F})
			}
		}
		for _, smp := range tailVec {
			if smp.H == nil {
				out := output(smp.Metric)
				out.samples = append(out.samples, floatSample{t: smp.T, f: smp.F})
			}
		}
		for _, h := range order {
			samples += int64(len(outputs[h].samples))
			mem.add(*outputs[h])
		}
		q.Close()
		w.opts.Logger.Debug("recording rule evaluated", "rule", rec.rule.Record, "series", len(matrix))
	}

	// Written step by step, each step one commit, as the data are: the
	// head refuses a sample far older than the newest it holds.
	blocks := 0
	next := make([]int, len(mem.series)) // each series' next sample
	for _, br := range blockRanges(first, w.end(last), w.opts.BlockDuration) {
		bw, err := tsdb.NewBlockWriter(w.opts.Logger, w.dir, w.opts.BlockDuration.Milliseconds())
		if err != nil {
			return 0, 0, 0, err
		}
		n := 0
		for _, t := range w.instants(br, first, last) {
			ts := t.UnixMilli()
			app := bw.Appender(ctx)
			for i, s := range mem.series {
				for next[i] < len(s.samples) && s.samples[next[i]].T() <= ts {
					smp := s.samples[next[i]]
					next[i]++
					if smp.T() != ts {
						continue
					}
					if _, err := app.Append(0, s.lset, ts, smp.F()); err != nil {
						_ = app.Rollback()
						bw.Close()
						return 0, 0, 0, fmt.Errorf("backfill: %s: %w", s.lset, err)
					}
					n++
				}
			}
			if err := app.Commit(); err != nil {
				bw.Close()
				return 0, 0, 0, err
			}
		}
		before := w.blocks
		if err := w.flush(ctx, bw, n); err != nil {
			return 0, 0, 0, err
		}
		blocks += w.blocks - before
	}
	w.blocks -= blocks // counted by the caller
	return len(mem.series), samples, blocks, nil
}

// floatSample is a float sample for storage.NewListSeries.
type floatSample struct {
	t int64
	f float64
}

func (s floatSample) T() int64                      { return s.t }
func (s floatSample) ST() int64                     { return 0 }
func (s floatSample) F() float64                    { return s.f }
func (s floatSample) H() *histogram.Histogram       { return nil }
func (s floatSample) FH() *histogram.FloatHistogram { return nil }
func (s floatSample) Type() chunkenc.ValueType      { return chunkenc.ValFloat }
func (s floatSample) Copy() chunks.Sample           { return s }

// memQueryable serves the recording rules' outputs evaluated so far.
type memQueryable struct {
	series []ruleSeries
}

// add keeps a rule's series; two rules recording the same name and labels
// (one rule per SLO and window) never overlap in labels, so they stay
// apart.
func (m *memQueryable) add(s ruleSeries) { m.series = append(m.series, s) }

func (m *memQueryable) querier() storage.Querier { return memQuerier{m} }

type memQuerier struct{ m *memQueryable }

func (q memQuerier) Select(_ context.Context, _ bool, _ *storage.SelectHints, ms ...*labels.Matcher) storage.SeriesSet {
	var out []storage.Series
	for _, s := range q.m.series {
		if matchesAll(s.lset, ms) {
			out = append(out, storage.NewListSeries(s.lset, s.samples))
		}
	}
	// Merged with the blocks' series, which come sorted.
	slices.SortFunc(out, func(a, b storage.Series) int { return labels.Compare(a.Labels(), b.Labels()) })
	return &listSeriesSet{series: out, i: -1}
}

func matchesAll(l labels.Labels, ms []*labels.Matcher) bool {
	for _, m := range ms {
		if !m.Matches(l.Get(m.Name)) {
			return false
		}
	}
	return true
}

func (memQuerier) LabelValues(context.Context, string, *storage.LabelHints, ...*labels.Matcher) ([]string, annotations.Annotations, error) {
	return nil, nil, nil
}

func (memQuerier) LabelNames(context.Context, *storage.LabelHints, ...*labels.Matcher) ([]string, annotations.Annotations, error) {
	return nil, nil, nil
}

func (memQuerier) Close() error { return nil }

type listSeriesSet struct {
	series []storage.Series
	i      int
}

func (s *listSeriesSet) Next() bool                        { s.i++; return s.i < len(s.series) }
func (s *listSeriesSet) At() storage.Series                { return s.series[s.i] }
func (s *listSeriesSet) Err() error                        { return nil }
func (s *listSeriesSet) Warnings() annotations.Annotations { return nil }

// evalAt evaluates a rule's expression at one instant (the tail).
func (w *writer) evalAt(ctx context.Context, engine *promql.Engine, q storage.Queryable, expr string, at time.Time) (promql.Vector, error) {
	iq, err := engine.NewInstantQuery(ctx, q, nil, expr, at)
	if err != nil {
		return nil, err
	}
	defer iq.Close()
	res := iq.Exec(ctx)
	if res.Err != nil {
		return nil, res.Err
	}
	switch v := res.Value.(type) {
	case promql.Vector:
		return v, nil
	case promql.Scalar:
		return promql.Vector{{T: v.T, F: v.V}}, nil
	}
	return nil, fmt.Errorf("unexpected %s result", res.Value.Type())
}
