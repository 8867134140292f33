package report

import (
	"bytes"
	"context"
	"testing"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// oneSeries answers every query with one series per window label, so
// every figure and table of the default report has a value.
type oneSeries struct{}

func (oneSeries) Query(_ context.Context, _ string, at time.Time) (model.Vector, error) {
	var v model.Vector
	for _, w := range []string{"7d", "30d", "90d"} {
		v = append(v, &model.Sample{Metric: model.Metric{"window": model.LabelValue(w)}, Value: 42, Timestamp: model.TimeFromUnixNano(at.UnixNano())})
	}
	return v[1:2], nil
}

func (oneSeries) QueryRange(_ context.Context, _ string, r promv1.Range) (model.Matrix, error) {
	s := &model.SampleStream{Metric: model.Metric{"window": "30d"}}
	for t := r.Start; !t.After(r.End); t = t.Add(r.Step) {
		s.Values = append(s.Values, model.SamplePair{Timestamp: model.TimeFromUnixNano(t.UnixNano()), Value: 42})
	}
	return model.Matrix{s}, nil
}

// BenchmarkBuildAndRender measures the report's own cost (figures, charts,
// the three formats) without Prometheus's.
func BenchmarkBuildAndRender(b *testing.B) {
	p, _ := ParsePeriod("month", "2026-10", time.Time{})
	for b.Loop() {
		r, err := Build(context.Background(), oneSeries{}, Options{Period: p, Charts: true})
		if err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		if err := Markdown(&buf, r, "c"); err != nil {
			b.Fatal(err)
		}
		if err := HTML(&buf, r); err != nil {
			b.Fatal(err)
		}
		if err := JSON(&buf, r); err != nil {
			b.Fatal(err)
		}
	}
}
