// Package confluence is the Confluence collector: pages and blog posts of
// the configured spaces (from the REST content search, or a page-list CSV),
// how many were created and edited lately, which are stale, and how much
// they are read (from the Cloud analytics API, refreshed on its own slower
// interval, or from a page-views CSV where there is no analytics API, as on
// Data Center).
package confluence

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/catalog"
	"github.com/sre-value/sre-value-exporter/internal/store"
	"github.com/sre-value/sre-value-exporter/internal/tabular"
	"github.com/sre-value/sre-value-exporter/internal/upstream"
	"github.com/sre-value/sre-value-exporter/internal/window"
)

func init() {
	collectors.Register(collectors.Kind{
		Name:             "confluence",
		Help:             "Wiki pages, their freshness and their readers, from Confluence Cloud or Data Center (or CSV exports).",
		EnabledByDefault: true,
		Factory:          New,
	})
}

// Store record kinds and cursors.
const (
	kindPage      = "page"
	kindAnalytics = "analytics"
	kindDayViews  = "dayviews"
	kindBody      = "body" // the parts of a page's body the format checks read

	cursorFingerprint   = "fingerprint"
	cursorPagesVersion  = "pages_csv_version"
	cursorViewsVersion  = "views_csv_version"
	cursorViewsChanged  = "views_changed"   // unix seconds
	cursorAnalyticsRun  = "analytics_round" // start of the round in progress or last done, RFC 3339
	cursorAnalyticsDone = "analytics_done"  // start of the last complete round
	cursorNotes         = "notes:"          // + pages_csv or views_csv: JSON list
)

// analyticsBatch is how many pages' analytics are stored per transaction,
// so an interrupted round keeps what it fetched.
const analyticsBatch = 25

// analyticsWorkers is how many pages' analytics are asked for at once; the
// upstream layer backs off on 429 with Retry-After.
const analyticsWorkers = 4

// notesFormat is the key of the format-check notes.
const notesFormat = "format"

// maxNotes bounds each kind of landing-page note.
const maxNotes = 5

// page is a stored page or blog post.
type page struct {
	ID    string `json:"id"`
	Type  string `json:"type"`
	Space string `json:"space"`
	Title string `json:"title"`
	// URL is the page's address in the wiki, for the format findings.
	URL     string    `json:"url,omitempty"`
	Labels  []string  `json:"labels,omitempty"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
	// Version is the latest version's number; 1 means never edited.
	Version int `json:"version"`
}

// analytics are one page's counts from the analytics API, per window
// label, as of the start of the round that fetched them.
type analytics struct {
	Round   time.Time        `json:"round"`
	Views   map[string]int64 `json:"views"`
	Viewers map[string]int64 `json:"viewers"`
}

// Collector is one configured Confluence instance (or CSV pair).
type Collector struct {
	deps        collectors.Deps
	s           *settings
	api         *api // nil with pages_csv
	log         *slog.Logger
	fingerprint string

	// since measures how long a batch took (time.Since; replaced in tests).
	since func(time.Time) time.Duration

	mu    sync.Mutex
	notes map[string][]string // what -> notes
	// loaded tells that the CSV notes saved with the data were read back
	// (after a restart the files may be unchanged and not parsed again).
	loaded bool
}

// New builds a Confluence collector from its settings; it contacts nothing.
func New(deps collectors.Deps) (collectors.Collector, error) {
	return newCollector(deps, nil)
}

// newCollector is New with a hook on the HTTP options, so tests can replace
// the clock and sleeps of retries.
func newCollector(deps collectors.Deps, tweak func(*upstream.Options)) (*Collector, error) {
	s, err := parseSettings(deps)
	if err != nil {
		return nil, err
	}
	opts := upstream.Options{
		Timeout:   time.Duration(deps.Config.Timeout),
		Observer:  deps.Observer,
		UserAgent: "sre-value-exporter",
		Logger:    deps.Logger,
	}
	if s.base != nil {
		token := s.token.Value()
		opts.Secrets = []string{token}
		opts.Authorize = func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
		if s.Deployment == Cloud {
			email := s.Email
			opts.Authorize = func(r *http.Request) { r.SetBasicAuth(email, token) }
		}
	}
	for _, src := range []*tabular.Source{s.pagesCSV, s.viewsCSV} {
		// Published and signed URLs carry their keys in the query.
		if src == nil {
			continue
		}
		if _, q, ok := strings.Cut(src.Location, "?"); ok && q != "" {
			opts.Secrets = append(opts.Secrets, q)
		}
	}
	if tweak != nil {
		tweak(&opts)
	}
	client := upstream.New(opts).HTTP()
	for _, src := range []*tabular.Source{s.pagesCSV, s.viewsCSV} {
		if src != nil {
			src.HTTP = client
		}
	}
	log := deps.Logger
	if log == nil {
		log = slog.Default()
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Catalog == nil {
		deps.Catalog = &catalog.Catalog{}
	}
	c := &Collector{
		deps:        deps,
		s:           s,
		log:         log.With("collector", deps.Name()),
		fingerprint: s.fingerprint(),
		since:       time.Since,
		notes:       map[string][]string{},
	}
	if s.base != nil {
		c.api = &api{http: client, base: s.base}
	}
	return c, nil
}

// Notes lists what the landing page should warn about.
func (c *Collector) Notes() []string {
	c.loadNotes()
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	if c.s.base != nil && c.s.Deployment == DataCenter && c.s.viewsCSV == nil {
		out = append(out, "no view figures: Confluence Data Center has no analytics API; set views_csv to a page-views export")
	}
	for _, k := range sortedKeys(c.notes) {
		if k != notesFormat {
			out = append(out, c.notes[k]...)
		}
	}
	// The format findings come last: they are about the pages, not about
	// reading them.
	return append(out, c.notes[notesFormat]...)
}

// loadNotes reads the CSV notes saved with the data, once.
func (c *Collector) loadNotes() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.loaded {
		return
	}
	c.loaded = true
	_ = c.deps.Store.View(c.deps.StoreKey(), func(tx *store.Tx) error {
		for _, what := range []string{"pages_csv", "views_csv"} {
			var notes []string
			if _, set := c.notes[what]; !set && json.Unmarshal([]byte(tx.Cursor(cursorNotes+what)), &notes) == nil && len(notes) > 0 {
				c.notes[what] = notes
			}
		}
		return nil
	})
}

// saveNotes keeps a CSV's notes with its data, for after a restart.
func saveNotes(tx *store.Tx, what string, notes []string) error {
	data, _ := json.Marshal(notes)
	return tx.SetCursor(cursorNotes+what, string(data))
}

func (c *Collector) setNotes(what string, notes []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(notes) == 0 {
		delete(c.notes, what)
		return
	}
	c.notes[what] = notes
}

// Sync lists the pages, then reads the page views: the views CSV when it
// changed, or an analytics round when one is due (or was interrupted).
func (c *Collector) Sync(ctx context.Context) error {
	if err := c.checkFingerprint(); err != nil {
		return err
	}
	var err error
	if c.api != nil {
		err = c.syncPagesLive(ctx)
	} else {
		err = c.syncPagesCSV(ctx)
	}
	if err != nil {
		return err
	}
	if c.api != nil {
		if err := c.syncBodies(ctx); err != nil {
			return err
		}
	}
	switch {
	case c.s.viewsCSV != nil:
		return c.syncViewsCSV(ctx)
	case c.s.analyticsAPI():
		return c.refreshAnalytics(ctx)
	}
	return nil
}

// checkFingerprint drops every stored page and view when the selection
// (spaces, types, CQL, source) changed, so nothing of the old one lingers.
func (c *Collector) checkFingerprint() error {
	var fp string
	if err := c.view(func(tx *store.Tx) error {
		fp = tx.Cursor(cursorFingerprint)
		return nil
	}); err != nil {
		return err
	}
	if fp == c.fingerprint {
		return nil
	}
	return c.update(func(tx *store.Tx) error {
		for _, kind := range []string{kindPage, kindAnalytics, kindDayViews, kindBody} {
			if err := tx.DeleteKind(kind); err != nil {
				return err
			}
		}
		for _, name := range []string{cursorPagesVersion, cursorViewsVersion, cursorViewsChanged, cursorAnalyticsRun, cursorAnalyticsDone} {
			if err := tx.SetCursor(name, ""); err != nil {
				return err
			}
		}
		return tx.SetCursor(cursorFingerprint, c.fingerprint)
	})
}

// syncPagesLive lists every page of the CQL, storing each result page in
// its own transaction; pages that a complete listing no longer returns are
// removed with their analytics.
func (c *Collector) syncPagesLive(ctx context.Context) error {
	seen := map[string]bool{}
	var skipped []string
	next := c.api.firstSearch(c.s.cql(), c.s.PageSize)
	for n := 1; next != ""; n++ {
		results, following, err := c.api.search(ctx, next)
		if err != nil {
			return fmt.Errorf("confluence %s: search %s: page %d: %w", c.deps.Name(), c.s.cql(), n, err)
		}
		var pages []page
		for _, r := range results {
			p, err := c.s.fromContent(r)
			if err != nil {
				skipped = append(skipped, fmt.Sprintf("content %s: skipped: %v", r.ID, err))
				continue
			}
			if p.ID != "" {
				seen[p.ID] = true
				pages = append(pages, p)
			}
		}
		if err := c.update(func(tx *store.Tx) error { return putPages(tx, pages) }); err != nil {
			return err
		}
		next = following
	}
	if len(skipped) > maxNotes {
		skipped = append(skipped[:maxNotes], fmt.Sprintf("... and %d more", len(skipped)-maxNotes))
	}
	c.setNotes("pages", skipped)
	return c.update(func(tx *store.Tx) error { return removeUnseen(tx, seen) })
}

// fromContent maps a search result to a page; an empty ID means the result
// is outside the configured selection.
func (s *settings) fromContent(r content) (page, error) {
	if r.ID == "" {
		return page{}, errors.New("no id")
	}
	if !s.types[r.Type] || (r.Status != "" && r.Status != "current") {
		return page{}, nil
	}
	if r.Space == nil {
		return page{}, errors.New("no space (is expand=space ignored?)")
	}
	space, ok := s.spaceKey(r.Space.Key)
	if !ok {
		return page{}, nil
	}
	if r.History == nil || r.Version == nil {
		return page{}, errors.New("no history or version (is expand=history,version ignored?)")
	}
	created, err := time.Parse(time.RFC3339Nano, r.History.CreatedDate)
	if err != nil {
		return page{}, fmt.Errorf("history.createdDate %q is not a timestamp", r.History.CreatedDate)
	}
	updated, err := time.Parse(time.RFC3339Nano, r.Version.When)
	if err != nil {
		return page{}, fmt.Errorf("version.when %q is not a timestamp", r.Version.When)
	}
	p := page{ID: r.ID, Type: r.Type, Space: space, Title: r.Title, Created: created.UTC(), Updated: updated.UTC(), Version: r.Version.Number}
	if r.Links != nil && r.Links.WebUI != "" && s.base != nil {
		p.URL = strings.TrimSuffix(s.base.String(), "/") + r.Links.WebUI
	}
	if r.Metadata != nil && r.Metadata.Labels != nil {
		for _, l := range r.Metadata.Labels.Results {
			p.Labels = append(p.Labels, l.Name)
		}
	}
	return p, nil
}

// syncPagesCSV replaces the stored pages with pages_csv when it changed.
func (c *Collector) syncPagesCSV(ctx context.Context) error {
	src := c.s.pagesCSV
	var prev string
	if err := c.view(func(tx *store.Tx) error { prev = tx.Cursor(cursorPagesVersion); return nil }); err != nil {
		return err
	}
	t, unchanged, err := src.Read(ctx, prev)
	if err != nil {
		return collectors.WithReason(collectors.TableReadReason(err), fmt.Errorf("confluence %s: pages_csv: %w", c.deps.Name(), err))
	}
	if unchanged {
		return nil
	}
	pages, invalid, err := c.s.parsePages(t)
	if err != nil {
		return collectors.WithReason(collectors.ReasonInvalidData, fmt.Errorf("confluence %s: pages_csv: %w", c.deps.Name(), err))
	}
	c.logInvalid("pages_csv", invalid)
	notes := describe(invalid, "pages_csv "+src.Name(), maxNotes)
	c.setNotes("pages_csv", notes)
	seen := make(map[string]bool, len(pages))
	for _, p := range pages {
		seen[p.ID] = true
	}
	return c.update(func(tx *store.Tx) error {
		if err := putPages(tx, pages); err != nil {
			return err
		}
		if err := removeUnseen(tx, seen); err != nil {
			return err
		}
		if err := saveNotes(tx, "pages_csv", notes); err != nil {
			return err
		}
		return tx.SetCursor(cursorPagesVersion, t.Version)
	})
}

// syncViewsCSV replaces the stored daily views with views_csv when it changed.
func (c *Collector) syncViewsCSV(ctx context.Context) error {
	src := c.s.viewsCSV
	var prev string
	if err := c.view(func(tx *store.Tx) error { prev = tx.Cursor(cursorViewsVersion); return nil }); err != nil {
		return err
	}
	t, unchanged, err := src.Read(ctx, prev)
	if err != nil {
		return collectors.WithReason(collectors.TableReadReason(err), fmt.Errorf("confluence %s: views_csv: %w", c.deps.Name(), err))
	}
	if unchanged {
		return nil
	}
	views, invalid, err := c.s.parseViews(t)
	if err != nil {
		return collectors.WithReason(collectors.ReasonInvalidData, fmt.Errorf("confluence %s: views_csv: %w", c.deps.Name(), err))
	}
	c.logInvalid("views_csv", invalid)
	notes := describe(invalid, "views_csv "+src.Name(), maxNotes)
	c.setNotes("views_csv", notes)
	changed := t.Modified
	if changed.IsZero() {
		changed = c.deps.Now()
	}
	return c.update(func(tx *store.Tx) error {
		if err := tx.DeleteKind(kindDayViews); err != nil {
			return err
		}
		for _, k := range sortedKeys(views) {
			if _, err := tx.PutRecord(kindDayViews, k, views[k]); err != nil {
				return err
			}
		}
		if err := tx.SetCursor(cursorViewsChanged, strconv.FormatInt(changed.Unix(), 10)); err != nil {
			return err
		}
		if err := saveNotes(tx, "views_csv", notes); err != nil {
			return err
		}
		return tx.SetCursor(cursorViewsVersion, t.Version)
	})
}

func (c *Collector) logInvalid(what string, invalid []error) {
	for i, err := range invalid {
		if i == 20 {
			c.log.Warn("more invalid rows skipped; not logging each", "table", what, "count", len(invalid)-i)
			return
		}
		c.log.Warn("skipping invalid row", "table", what, "err", err.Error())
	}
}

// fromDate is where window w of an analytics round that started at round
// begins: 00:00 UTC of the day the window starts, because the API counts
// whole days.
func fromDate(round time.Time, w window.Window) time.Time {
	return round.UTC().Add(-w.Duration).Truncate(24 * time.Hour)
}

// refreshAnalytics runs an analytics round when the last one is older than
// analytics_interval, or resumes one that was interrupted. A round asks for
// the views and viewers of every stored page (so only pages that exist)
// since each window's start, all relative to the round's start.
func (c *Collector) refreshAnalytics(ctx context.Context) error {
	var roundText, doneText string
	if err := c.view(func(tx *store.Tx) error {
		roundText, doneText = tx.Cursor(cursorAnalyticsRun), tx.Cursor(cursorAnalyticsDone)
		return nil
	}); err != nil {
		return err
	}
	now := c.deps.Now().UTC()
	var round time.Time
	switch {
	case roundText != "" && roundText != doneText:
		round, _ = time.Parse(time.RFC3339Nano, roundText) // resume
	case doneText != "":
		done, err := time.Parse(time.RFC3339Nano, doneText)
		if err == nil && now.Sub(done) < c.s.interval {
			return nil
		}
	}
	if round.IsZero() {
		round = now
		if err := c.update(func(tx *store.Tx) error { return tx.SetCursor(cursorAnalyticsRun, round.Format(time.RFC3339Nano)) }); err != nil {
			return err
		}
	}

	var todo []page
	if err := c.view(func(tx *store.Tx) error {
		return tx.ForEachRecord(kindPage, func(id string, data []byte) error {
			var p page
			if err := json.Unmarshal(data, &p); err != nil {
				return fmt.Errorf("stored page %s: %w", id, err)
			}
			var a analytics
			if ok, err := tx.GetRecord(kindAnalytics, id, &a); err != nil || (ok && a.Round.Equal(round)) {
				return err // already fetched in this round
			}
			todo = append(todo, p)
			return nil
		})
	}); err != nil {
		return err
	}
	var lastBatch time.Duration
	for start := 0; start < len(todo); start += analyticsBatch {
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < 2*lastBatch {
			// Pause rather than run into the refresh timeout: what was
			// fetched is stored, and the next sync resumes the round.
			c.log.Info("analytics round paused before the refresh timeout; the next sync resumes it", "pages_left", len(todo)-start, "round", round)
			return nil
		}
		began := time.Now()
		batch := todo[start:min(start+analyticsBatch, len(todo))]
		fetched, err := c.fetchBatch(ctx, batch, round)
		// Keep what this batch fetched even when a page failed.
		if serr := c.update(func(tx *store.Tx) error { return putAnalytics(tx, fetched) }); serr != nil {
			return serr
		}
		if err != nil {
			return fmt.Errorf("confluence %s: %w", c.deps.Name(), err)
		}
		lastBatch = c.since(began)
	}
	c.log.Debug("analytics refreshed", "pages", len(todo), "round", round)
	return c.update(func(tx *store.Tx) error {
		return tx.SetCursor(cursorAnalyticsDone, round.Format(time.RFC3339Nano))
	})
}

// fetchBatch asks for the analytics of a batch of pages, analyticsWorkers
// at a time. Every page is tried; the first error (in page order) is
// returned with the counts of the pages that succeeded.
func (c *Collector) fetchBatch(ctx context.Context, batch []page, round time.Time) (map[string]analytics, error) {
	results := make([]analytics, len(batch))
	errs := make([]error, len(batch))
	sem := make(chan struct{}, analyticsWorkers)
	var wg sync.WaitGroup
	for i, p := range batch {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			results[i], errs[i] = c.pageAnalytics(ctx, p, round)
		}()
	}
	wg.Wait()
	fetched := make(map[string]analytics, len(batch))
	var first error
	for i, p := range batch {
		switch {
		case errors.Is(errs[i], errGone):
			// Deleted since the listing; the next listing drops it.
		case errs[i] != nil:
			if first == nil {
				first = fmt.Errorf("analytics of content %s: %w", p.ID, errs[i])
			}
		default:
			fetched[p.ID] = results[i]
		}
	}
	return fetched, first
}

// pageAnalytics asks for one page's views and viewers in every window,
// largest window first, and skips the calls whose answer is already
// known: a count of 0 since an earlier day is 0 since a later one, and a
// page created after a window's start has had all its views inside it.
func (c *Collector) pageAnalytics(ctx context.Context, p page, round time.Time) (analytics, error) {
	a := analytics{Round: round, Views: map[string]int64{}, Viewers: map[string]int64{}}
	windows := append([]window.Window(nil), window.All...)
	sort.Slice(windows, func(i, j int) bool { return windows[i].Duration > windows[j].Duration })
	for _, what := range []string{"views", "viewers"} {
		into := a.Views
		if what == "viewers" {
			into = a.Viewers
		}
		last := int64(-1)
		for _, w := range windows {
			from := fromDate(round, w)
			switch {
			case last == 0:
			case last > 0 && !p.Created.Before(from):
			default:
				n, err := c.api.count(ctx, p.ID, what, from)
				if err != nil {
					return a, fmt.Errorf("%s since %s: %w", what, from.Format(time.DateOnly), err)
				}
				last = n
			}
			into[w.Label] = last
		}
	}
	return a, nil
}

func putPages(tx *store.Tx, pages []page) error {
	sort.Slice(pages, func(i, j int) bool { return pages[i].ID < pages[j].ID })
	for _, p := range pages {
		if _, err := tx.PutRecord(kindPage, p.ID, p); err != nil {
			return err
		}
	}
	return nil
}

func putAnalytics(tx *store.Tx, fetched map[string]analytics) error {
	for _, id := range sortedKeys(fetched) {
		if _, err := tx.PutRecord(kindAnalytics, id, fetched[id]); err != nil {
			return err
		}
	}
	return nil
}

// removeUnseen deletes stored pages a complete listing did not return, and
// the analytics and bodies of pages that are no longer stored.
func removeUnseen(tx *store.Tx, seen map[string]bool) error {
	for _, kind := range []string{kindPage, kindAnalytics, kindBody} {
		var gone []string
		if err := tx.ForEachRecord(kind, func(id string, _ []byte) error {
			if !seen[id] {
				gone = append(gone, id)
			}
			return nil
		}); err != nil {
			return err
		}
		for _, id := range gone {
			if err := tx.DeleteRecord(kind, id); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *Collector) view(fn func(*store.Tx) error) error {
	if err := c.deps.Store.View(c.deps.StoreKey(), fn); err != nil {
		return collectors.WithReason(collectors.ReasonStore, fmt.Errorf("confluence %s: %w", c.deps.Name(), err))
	}
	return nil
}

func (c *Collector) update(fn func(*store.Tx) error) error {
	if err := c.deps.Store.Update(c.deps.StoreKey(), fn); err != nil {
		return collectors.WithReason(collectors.ReasonStore, fmt.Errorf("confluence %s: %w", c.deps.Name(), err))
	}
	return nil
}

// CheckSources reports page and view CSV files that do not exist.
func (c *Collector) CheckSources() []error {
	var errs []error
	for _, f := range []struct{ field, location string }{{"pages_csv", c.s.PagesCSV}, {"views_csv", c.s.ViewsCSV}} {
		if err := c.deps.CheckLocalFile(f.field, f.location); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}
