// Package window computes the exact "last 7/30/90 days" figures that
// dashboards show as headline numbers. A fresh Prometheus has no history and
// increase() extrapolates, so every collector computes these from its store on
// each refresh, with the same windows and semantics: an event counts in a
// window when its time t satisfies now-window < t <= now.
//
// Figures are exported as sums and counts (and histogram buckets where a
// median or p90 is wanted), never as means or quantiles, so that they can be
// summed across teams and services exactly.
package window

import (
	"time"

	"github.com/sre-value/sre-value-exporter/internal/metrics"
)

// Window is one look-back period.
type Window struct {
	Label    string
	Duration time.Duration
}

// All are the windows every collector exports, in the label "window".
// Adding a window is one line here; every windowed family follows.
var All = []Window{
	{"7d", 7 * 24 * time.Hour},
	{"30d", 30 * 24 * time.Hour},
	{"90d", 90 * 24 * time.Hour},
}

// LabelName is the label that carries the window.
const LabelName = metrics.WindowLabel

// Contains reports whether an event at t falls into w as of now.
func (w Window) Contains(now, t time.Time) bool {
	return t.After(now.Add(-w.Duration)) && !t.After(now)
}
