package scorecard_test

import (
	"context"
	"testing"

	"github.com/sre-value/sre-value-exporter/internal/scorecard"
)

// BenchmarkCompute is what the landing page pays once per publish: every
// team's scorecard from the demo's published snapshot.
func BenchmarkCompute(b *testing.B) {
	exp := demoExporter(b, true)
	pub := exp.Scheduler.Published()
	opts := scorecard.OptionsFrom(exp.Config())
	for b.Loop() {
		scorecard.Compute(pub.Current, pub.Previous, opts)
	}
}

// BenchmarkDemoRefresh is one refresh of every demo collector, without and
// with the previous periods the scorecard's changes need.
func BenchmarkDemoRefresh(b *testing.B) {
	for _, previous := range []bool{false, true} {
		name := "previous=off"
		if previous {
			name = "previous=on"
		}
		b.Run(name, func(b *testing.B) {
			exp := demoExporter(b, previous)
			for b.Loop() {
				exp.Scheduler.RefreshNow(context.Background())
			}
		})
	}
}
