// Package formatcheck turns format-compliance results into metrics and
// landing-page notes. A collector checks each document it has in hand
// (with internal/compliance) and adds the results here during a snapshot;
// the figures are counted by the document's creation time in the shared
// windows, so "compliance of last week's postmortems" is one query.
package formatcheck

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/compliance"
	"github.com/sre-value/sre-value-exporter/internal/metrics"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
	"github.com/sre-value/sre-value-exporter/internal/window"
)

// MaxNotes bounds how many failing documents the landing page lists per
// collector; the count of the rest is said.
const MaxNotes = 20

// Results accumulates the check results of one source during one snapshot.
type Results struct {
	source   string
	checked  *window.Sum
	passing  *window.Sum
	failures *window.Sum
	failing  map[string]float64 // template -> documents failing now
	findings []dated            // the newest, at most 2*MaxNotes between trims
	total    int                // every finding added
}

type dated struct {
	created time.Time
	finding compliance.Finding
}

// New returns empty results for source (the collector kind: jira, slack...)
// as of now.
func New(now time.Time, source string) *Results {
	return &Results{
		source:   source,
		checked:  window.NewSum(now, metrics.FormatDocumentsCheckedInWindow),
		passing:  window.NewSum(now, metrics.FormatDocumentsPassingInWindow),
		failures: window.NewSum(now, metrics.FormatRuleFailuresInWindow),
		failing:  map[string]float64{},
	}
}

// Add records one document, created at created, and its results (one per
// template that applies to it). A rule broken in several places counts
// the document once. A result with unchecked rules counts as checked and,
// when a judged rule fails, as failing, but never as passing; a template
// whose every result has unchecked rules gets no passing series at all, so
// its compliance rate is unknown rather than 0.
func (r *Results) Add(created time.Time, results []compliance.Result) {
	for _, res := range results {
		labels := []string{"source", r.source, "template", res.Template}
		r.checked.Add(created, 1, labels...)
		if len(res.Unchecked) == 0 {
			r.passing.Touch(labels...)
		}
		if _, ok := r.failing[res.Template]; !ok {
			r.failing[res.Template] = 0
		}
		if res.Passed() {
			r.passing.Add(created, 1, labels...)
			continue
		}
		if len(res.Findings) == 0 {
			continue // not judged on every rule: neither passing nor failing
		}
		r.failing[res.Template]++
		seen := map[string]bool{}
		for _, f := range res.Findings {
			if !seen[f.Rule] {
				seen[f.Rule] = true
				r.failures.Add(created, 1, "source", r.source, "template", res.Template, "rule", f.Rule)
			}
			r.keep(dated{created, f})
		}
	}
}

// keep holds on to the newest findings only, so a source with thousands
// of failing documents does not copy and sort them all for 20 notes.
func (r *Results) keep(d dated) {
	r.total++
	r.findings = append(r.findings, d)
	if len(r.findings) >= 2*MaxNotes {
		r.sortNewestFirst()
		r.findings = r.findings[:MaxNotes]
	}
}

func (r *Results) sortNewestFirst() {
	slices.SortStableFunc(r.findings, func(a, b dated) int { return b.created.Compare(a.created) })
}

// Emit writes the figures into b.
func (r *Results) Emit(b *snapshot.Builder) {
	r.checked.Emit(b)
	r.passing.Emit(b)
	r.failures.Emit(b)
	for _, t := range slices.Sorted(maps.Keys(r.failing)) {
		b.Gauge(metrics.FormatDocumentsFailing, r.failing[t], "source", r.source, "template", t)
	}
}

// Notes lists the findings for the landing page, newest documents first,
// at most MaxNotes, each saying where and how to fix it.
func (r *Results) Notes() []string {
	r.sortNewestFirst()
	var notes []string
	for i, d := range r.findings {
		if i == MaxNotes {
			break
		}
		notes = append(notes, "format: "+d.finding.String())
	}
	if more := r.total - len(notes); more > 0 {
		notes = append(notes, fmt.Sprintf("... and %d more format findings (see sre_format_rule_failures_in_window)", more))
	}
	return notes
}
