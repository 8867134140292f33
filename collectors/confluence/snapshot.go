package confluence

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/metrics"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
	"github.com/sre-value/sre-value-exporter/internal/store"
	"github.com/sre-value/sre-value-exporter/internal/window"
)

// figures are the families one snapshot fills.
type figures struct {
	pages, stale, keyUpdated     *window.Gauges
	created, updated             *window.Sum
	views, viewers               *window.Gauges
	keyViews, keyViewers         *window.Gauges
	viewsKnown                   bool
	past                         bool // a snapshot for backfill: pages created after now do not exist yet
	pageByKey                    map[string]*page
	all                          []*page             // in store order, for the format checks
	labelsOf                     map[string][]string // page id -> label pairs
	unmatchedPages, unmatchedRow int
}

// Snapshot computes the wiki metrics from the store as of now; it never
// calls Confluence.
func (c *Collector) Snapshot(now time.Time) (*snapshot.Snapshot, error) {
	return c.snapshot(now, false)
}

// History computes past snapshots for backfill: pages exist from their
// creation, and the views of views_csv are dated by day. The analytics API
// only answers for its last round, so its views are left out, as are the
// figures of a page's latest version (updated, stale) and format checks.
func (c *Collector) History() (collectors.History, error) { return pastSnapshots{c}, nil }

type pastSnapshots struct{ c *Collector }

func (p pastSnapshots) SnapshotAt(at time.Time) (*snapshot.Snapshot, error) {
	return p.c.snapshot(at, true)
}

func (c *Collector) snapshot(now time.Time, past bool) (*snapshot.Snapshot, error) {
	b := snapshot.NewBuilder()
	f := &figures{
		pages:      window.NewGauges(metrics.ConfluencePages),
		stale:      window.NewGauges(metrics.ConfluencePagesStale),
		keyUpdated: window.NewGauges(metrics.ConfluenceKeyPageLastUpdated),
		created:    window.NewSum(now, metrics.ConfluencePagesCreatedInWindow),
		updated:    window.NewSum(now, metrics.ConfluencePagesUpdatedInWindow),
		views:      window.NewGauges(metrics.ConfluencePageViewsInWindow),
		viewers:    window.NewGauges(metrics.ConfluencePageViewersInWindow),
		keyViews:   window.NewGauges(metrics.ConfluenceKeyPageViewsInWindow),
		keyViewers: window.NewGauges(metrics.ConfluenceKeyPageViewersInWindow),
		viewsKnown: c.s.viewsCSV != nil || (c.s.analyticsAPI() && !past),
		past:       past,
		pageByKey:  map[string]*page{},
		labelsOf:   map[string][]string{},
	}
	err := c.deps.Store.View(c.deps.StoreKey(), func(tx *store.Tx) error {
		if err := c.addPages(tx, f, now); err != nil {
			return err
		}
		if !past {
			if err := c.checkPages(tx, b, f.all, now); err != nil {
				return err
			}
		}
		switch {
		case c.s.viewsCSV != nil:
			if err := c.addDayViews(tx, f, now); err != nil {
				return err
			}
			if t, err := strconv.ParseInt(tx.Cursor(cursorViewsChanged), 10, 64); err == nil {
				b.Gauge(metrics.ConfluenceAnalyticsLastRefresh, float64(t))
			}
		case c.s.analyticsAPI() && !past:
			if err := c.addAnalytics(tx, f); err != nil {
				return err
			}
			if t, err := time.Parse(time.RFC3339Nano, tx.Cursor(cursorAnalyticsDone)); err == nil {
				b.Gauge(metrics.ConfluenceAnalyticsLastRefresh, float64(t.Unix()))
			}
		}
		return nil
	})
	if err != nil {
		return nil, collectors.WithReason(collectors.ReasonStore, err)
	}
	for _, g := range []*window.Gauges{f.pages, f.stale, f.keyUpdated, f.views, f.viewers, f.keyViews, f.keyViewers} {
		g.Emit(b)
	}
	f.created.Emit(b)
	f.updated.Emit(b)
	switch {
	case past:
		// Pages created later are unmatched in the past; no note.
	case f.unmatchedPages > 0:
		c.setNotes("views_unmatched", []string{fmt.Sprintf("views_csv: %d pages (%d days) are not in the page list and are not counted", f.unmatchedPages, f.unmatchedRow)})
	default:
		c.setNotes("views_unmatched", nil)
	}
	return b.Build()
}

func (c *Collector) addPages(tx *store.Tx, f *figures, now time.Time) error {
	return tx.ForEachRecord(kindPage, func(id string, data []byte) error {
		p := new(page)
		if err := json.Unmarshal(data, p); err != nil {
			return fmt.Errorf("stored page %s: %w", id, err)
		}
		if f.past && p.Created.After(now) {
			return nil
		}
		labels := []string{"space", p.Space, "team", c.deps.Catalog.Team("confluence", p.Space), "label", c.s.label(p.Labels), "type", p.Type}
		f.labelsOf[p.ID] = labels
		f.pageByKey[pageKey(p.Space, p.Title)] = p
		f.all = append(f.all, p)
		f.pages.Add(1, labels...)
		f.created.Add(p.Created, 1, labels...)
		if p.Version > 1 {
			f.updated.Add(p.Updated, 1, labels...)
		} else {
			f.updated.Touch(labels...)
		}
		stale := 0.0
		if now.Sub(p.Updated) > c.s.staleAfter {
			stale = 1
		}
		f.stale.Add(stale, labels...)
		if f.viewsKnown {
			for _, w := range window.All {
				f.views.Add(0, withWindow(labels, w)...)
				f.viewers.Add(0, withWindow(labels, w)...)
			}
		}
		if key, ok := c.keyPage(p); ok {
			f.keyUpdated.Set(float64(p.Updated.Unix()), key...)
			if f.viewsKnown {
				for _, w := range window.All {
					f.keyViews.Add(0, withWindow(key, w)...)
					f.keyViewers.Add(0, withWindow(key, w)...)
				}
			}
		}
		return nil
	})
}

// keyPage returns the label pairs of a configured key page.
func (c *Collector) keyPage(p *page) ([]string, bool) {
	title, ok := c.s.keyPages[strings.ToLower(strings.TrimSpace(p.Title))]
	if !ok {
		return nil, false
	}
	return []string{"space", p.Space, "page", title}, true
}

func withWindow(labels []string, w window.Window) []string {
	return append(append(make([]string, 0, len(labels)+2), labels...), window.LabelName, w.Label)
}

// addAnalytics adds the stored analytics counts of the pages that exist.
func (c *Collector) addAnalytics(tx *store.Tx, f *figures) error {
	byID := map[string]*page{}
	for _, p := range f.pageByKey {
		byID[p.ID] = p
	}
	return tx.ForEachRecord(kindAnalytics, func(id string, data []byte) error {
		p, ok := byID[id]
		if !ok {
			return nil
		}
		var a analytics
		if err := json.Unmarshal(data, &a); err != nil {
			return fmt.Errorf("stored analytics %s: %w", id, err)
		}
		c.addCounts(f, p, func(w window.Window) (int64, int64) { return a.Views[w.Label], a.Viewers[w.Label] })
		return nil
	})
}

// addDayViews adds the daily views of views_csv. A day counts in a window
// when it is on or after the day the window starts (the same whole UTC
// days as the analytics API) and not after now.
func (c *Collector) addDayViews(tx *store.Tx, f *figures, now time.Time) error {
	return tx.ForEachRecord(kindDayViews, func(id string, data []byte) error {
		var dv dayViews
		if err := json.Unmarshal(data, &dv); err != nil {
			return fmt.Errorf("stored views %s: %w", id, err)
		}
		p, ok := f.pageByKey[pageKey(dv.Space, dv.Title)]
		if !ok {
			f.unmatchedPages++
			f.unmatchedRow += len(dv.Days)
			return nil
		}
		sums := map[string][2]int64{}
		for day, v := range dv.Days {
			d, err := time.Parse(time.DateOnly, day)
			if err != nil {
				return fmt.Errorf("stored views %s: day %q: %w", id, day, err)
			}
			for _, w := range window.All {
				if !d.Before(fromDate(now, w)) && !d.After(now) {
					s := sums[w.Label]
					sums[w.Label] = [2]int64{s[0] + v[0], s[1] + v[1]}
				}
			}
		}
		c.addCounts(f, p, func(w window.Window) (int64, int64) { return sums[w.Label][0], sums[w.Label][1] })
		return nil
	})
}

func (c *Collector) addCounts(f *figures, p *page, count func(window.Window) (views, viewers int64)) {
	labels := f.labelsOf[p.ID]
	key, isKey := c.keyPage(p)
	for _, w := range window.All {
		views, viewers := count(w)
		f.views.Add(float64(views), withWindow(labels, w)...)
		f.viewers.Add(float64(viewers), withWindow(labels, w)...)
		if isKey {
			f.keyViews.Add(float64(views), withWindow(key, w)...)
			f.keyViewers.Add(float64(viewers), withWindow(key, w)...)
		}
	}
}
