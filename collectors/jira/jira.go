// Package jira is the Jira incident collector, for Jira Cloud (enhanced JQL
// search, nextPageToken paging) and Jira Data Center (startAt paging). It
// maps the issues a JQL query selects to the shared incident model and syncs
// incrementally by the issues' updated time.
package jira

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/incident"
	"github.com/sre-value/sre-value-exporter/internal/mask"
	"github.com/sre-value/sre-value-exporter/internal/metrics"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
	"github.com/sre-value/sre-value-exporter/internal/store"
	"github.com/sre-value/sre-value-exporter/internal/upstream"
)

func init() {
	collectors.Register(collectors.Kind{
		Name:             "jira",
		Help:             "Incidents from Jira Cloud or Data Center issues selected by JQL.",
		EnabledByDefault: true,
		Factory:          New,
	})
}

// Store cursors.
const (
	cursorUpdated     = "updated"     // max updated seen, RFC 3339
	cursorFullResync  = "full_resync" // when the last full reconciliation finished
	cursorFingerprint = "fingerprint" // settings the stored incidents were mapped with
)

// jqlTime is how JQL writes a datetime (minutes, in the user's timezone).
const jqlTime = "2006/01/02 15:04"

// keyPageSize is the page size when listing only keys; Cloud allows up to
// 5000 for key-only searches and Data Center returns at most its
// configured maximum (1000 by default), which paging copes with.
const keyPageSize = 1000

// keysPerQuery bounds the keys in one "key in (...)" JQL, keeping URLs short.
const keysPerQuery = 100

// maxNotes bounds the landing-page notes.
const maxNotes = 20

// Collector is one configured Jira instance.
type Collector struct {
	// checks judges the incidents against the format templates.
	checks      *incident.Checks
	deps        collectors.Deps
	s           *settings
	api         *api
	log         *slog.Logger
	fingerprint string

	mu      sync.Mutex
	skipped map[string]string // issue key -> what is wrong with it
}

// New builds a Jira collector from its settings; it does not contact Jira.
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
	token := s.token.Value()
	authorize := func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
	if s.Deployment == Cloud {
		email := s.Email
		authorize = func(r *http.Request) { r.SetBasicAuth(email, token) }
	}
	opts := upstream.Options{
		Observer:  deps.Observer,
		Secrets:   []string{token},
		Authorize: authorize,
		// Search answers carry no ETag and their JQL moves with the cursor.
		ETags:     false,
		UserAgent: "sre-value-exporter",
		Logger:    deps.Logger,
	}
	if tweak != nil {
		tweak(&opts)
	}
	a, err := newAPI(s, upstream.New(opts))
	if err != nil {
		// The client's error quotes the URL whole.
		return nil, deps.Errorf("url", "%s cannot be used as a Jira base URL", mask.Quote(s.URL))
	}
	log := deps.Logger
	if log == nil {
		log = slog.Default()
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	catalogJSON, _ := json.Marshal(deps.Catalog)
	return &Collector{
		checks:      incident.NewChecks(deps.Templates),
		deps:        deps,
		s:           s,
		api:         a,
		log:         log, // already labelled with collector and kind
		fingerprint: s.fingerprint() + "/" + shortHash(catalogJSON),
		skipped:     map[string]string{},
	}, nil
}

// Snapshot computes the incident metrics from the store.
func (c *Collector) Snapshot(now time.Time) (*snapshot.Snapshot, error) {
	return incident.Snapshot(c.deps.Store, c.deps.StoreKey(), source, now, c.checks, func(tx *store.Tx, b *snapshot.Builder) error {
		if t, err := time.Parse(time.RFC3339Nano, tx.Cursor(cursorFullResync)); err == nil {
			b.Gauge(metrics.JiraLastFullResync, float64(t.Unix()))
		}
		return nil
	})
}

// Notes lists issues that could not be used.
// Notes are the sync's warnings followed by the format findings of the
// last snapshot.
func (c *Collector) Notes() []string {
	return append(c.syncNotes(), c.checks.Notes()...)
}

func (c *Collector) syncNotes() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	keys := sortedKeys(c.skipped)
	var out []string
	for i, k := range keys {
		if i == maxNotes {
			out = append(out, fmt.Sprintf("... and %d more issues with problems", len(keys)-maxNotes))
			break
		}
		out = append(out, fmt.Sprintf("issue %s: %s", k, c.skipped[k]))
	}
	return out
}

// Sync pulls the issues updated since the cursor, then, when due, lists
// every matching key to drop issues that were deleted or no longer match.
func (c *Collector) Sync(ctx context.Context) error {
	var cursor, lastFull, fp string
	if err := c.deps.Store.View(c.deps.StoreKey(), func(tx *store.Tx) error {
		cursor, lastFull, fp = tx.Cursor(cursorUpdated), tx.Cursor(cursorFullResync), tx.Cursor(cursorFingerprint)
		return nil
	}); err != nil {
		return collectors.WithReason(collectors.ReasonStore, fmt.Errorf("jira %s: %w", c.deps.Name(), err))
	}
	if fp != c.fingerprint {
		// Settings changed (or first run): start over so that every stored
		// incident is mapped with the current settings.
		cursor, lastFull = "", ""
		if err := c.update(func(tx *store.Tx) error {
			for _, name := range []string{cursorUpdated, cursorFullResync} {
				if err := tx.SetCursor(name, ""); err != nil {
					return err
				}
			}
			return tx.SetCursor(cursorFingerprint, c.fingerprint)
		}); err != nil {
			return err
		}
	}
	var since time.Time
	if cursor != "" {
		var err error
		if since, err = time.Parse(time.RFC3339Nano, cursor); err != nil {
			return collectors.WithReason(collectors.ReasonStore, fmt.Errorf("jira %s: stored cursor %q: %w", c.deps.Name(), cursor, err))
		}
	}
	full := since.IsZero()
	var seen map[string]bool
	if full {
		seen = map[string]bool{}
	}
	jql := c.incrementalJQL(since)
	err := c.searchAll(ctx, jql, c.s.fields(), c.expand(), c.s.PageSize, func(page int, issues []issue) error {
		for _, is := range issues {
			if seen != nil {
				seen[is.Key] = true
			}
		}
		if err := c.storePage(ctx, issues, false); err != nil {
			return fmt.Errorf("page %d: %w", page, err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("jira %s: search %s: %w", c.deps.Name(), jql, err)
	}
	now := c.deps.Now()
	if full {
		// A search without a cursor listed every matching issue, which is
		// itself a full reconciliation.
		return c.deleteUnseen(seen, now)
	}
	if last, err := time.Parse(time.RFC3339Nano, lastFull); err == nil && now.Sub(last) < c.s.resync {
		return nil
	}
	return c.reconcile(ctx, now)
}

func (c *Collector) incrementalJQL(since time.Time) string {
	if since.IsZero() {
		return "(" + c.s.JQL + ") ORDER BY updated ASC"
	}
	from := since.Add(-c.s.overlap).In(c.s.location).Format(jqlTime)
	return fmt.Sprintf("(%s) AND updated >= %q ORDER BY updated ASC", c.s.JQL, from)
}

func (c *Collector) expand() string {
	if c.s.AcknowledgedStatus != "" {
		return "changelog"
	}
	return ""
}

// searchAll runs jql page by page, calling fn with each page.
func (c *Collector) searchAll(ctx context.Context, jql string, fields []string, expand string, pageSize int, fn func(page int, issues []issue) error) error {
	at := pageCursor{}
	for page := 1; !at.done; page++ {
		issues, next, err := c.api.search(ctx, jql, fields, expand, pageSize, at)
		if err != nil {
			return fmt.Errorf("page %d: %w", page, err)
		}
		if err := fn(page, issues); err != nil {
			return err
		}
		at = next
	}
	return nil
}

// storePage maps one page of issues and stores it with the cursor it
// advances, in one transaction, so a failure later never loses or double
// counts this page. Issues whose updated time equals the stored one are
// unchanged and skipped (the overlap returns them again) unless force.
func (c *Collector) storePage(ctx context.Context, issues []issue, force bool) error {
	updated := make([]time.Time, len(issues))
	var maxUpdated time.Time
	for i, is := range issues {
		t, err := c.s.timeField(is, "updated")
		if err != nil {
			return collectors.WithReason(collectors.ReasonInvalidData, err)
		}
		updated[i] = t
		if t.After(maxUpdated) {
			maxUpdated = t
		}
	}
	changed := make([]bool, len(issues))
	if err := c.deps.Store.View(c.deps.StoreKey(), func(tx *store.Tx) error {
		for i, is := range issues {
			old, ok, err := incident.Get(tx, is.Key)
			if err != nil {
				return err
			}
			changed[i] = force || !ok || !old.Updated.Equal(updated[i])
		}
		return nil
	}); err != nil {
		return collectors.WithReason(collectors.ReasonStore, err)
	}

	var results []mapped
	var invalid []string
	due := map[string]string{} // action item key -> due date
	for i, is := range issues {
		if !changed[i] {
			continue
		}
		var histories []history
		if c.s.AcknowledgedStatus != "" && is.Changelog != nil {
			histories = is.Changelog.Histories
			if !is.Changelog.complete() {
				var err error
				if histories, err = c.api.fullChangelog(ctx, is.Key); err != nil {
					return fmt.Errorf("issue %s: changelog: %w", is.Key, err)
				}
			}
		}
		m, err := c.s.mapIssue(c.deps.Catalog, is, histories)
		if err == nil {
			err = m.inc.Validate()
		}
		if err != nil {
			c.skip(is.Key, fmt.Errorf("skipped: %w", err))
			invalid = append(invalid, is.Key)
			continue
		}
		for _, k := range m.actionKeys {
			due[k] = ""
		}
		results = append(results, m)
	}
	if len(due) > 0 {
		if err := c.lookupDueDates(ctx, due); err != nil {
			return err
		}
	}
	return c.update(func(tx *store.Tx) error {
		for _, m := range results {
			var dueErr error
			for j, k := range m.actionKeys {
				if d := due[k]; d != "" {
					t, err := c.s.dueTime(d)
					if err != nil {
						// The item still counts, without a due date.
						dueErr = fmt.Errorf("action item %s: duedate: %w", k, err)
						continue
					}
					m.inc.ActionItems[j].Due = t
				}
			}
			if _, err := incident.Put(tx, m.inc); err != nil {
				return fmt.Errorf("issue %s: %w", m.inc.ID, err)
			}
			if dueErr != nil {
				c.skip(m.inc.ID, dueErr)
			} else {
				c.unskip(m.inc.ID)
			}
		}
		// An issue that no longer maps to a valid incident stops counting
		// rather than counting with what it used to say.
		for _, key := range invalid {
			if err := incident.Delete(tx, key); err != nil {
				return err
			}
		}
		if maxUpdated.IsZero() {
			return nil
		}
		if cur, err := time.Parse(time.RFC3339Nano, tx.Cursor(cursorUpdated)); err == nil && !maxUpdated.After(cur) {
			return nil
		}
		return tx.SetCursor(cursorUpdated, maxUpdated.Format(time.RFC3339Nano))
	})
}

// lookupDueDates fills due (key -> "") with the action items' due dates;
// links and sub-tasks in a search answer do not carry them.
func (c *Collector) lookupDueDates(ctx context.Context, due map[string]string) error {
	keys := sortedKeys(due)
	for start := 0; start < len(keys); start += keysPerQuery {
		chunk := keys[start:min(start+keysPerQuery, len(keys))]
		jql := "key in (" + strings.Join(chunk, ",") + ")"
		err := c.searchAll(ctx, jql, []string{"duedate"}, "", keysPerQuery, func(_ int, issues []issue) error {
			for _, is := range issues {
				var d string
				if raw := is.Fields["duedate"]; len(raw) > 0 && string(raw) != "null" {
					if err := json.Unmarshal(raw, &d); err != nil {
						return collectors.WithReason(collectors.ReasonInvalidData, fmt.Errorf("issue %s: field duedate: expected a date string, got %s", is.Key, truncate(string(raw))))
					}
				}
				due[is.Key] = d
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("action item due dates: %w", err)
		}
	}
	return nil
}

// reconcile lists every key the JQL matches and deletes stored incidents
// that are gone. It re-reads matching issues that are not stored (an offset
// page can skip an issue that moved while paging) and incidents with open
// action items, whose status and due dates change without changing the
// incident's updated time.
func (c *Collector) reconcile(ctx context.Context, now time.Time) error {
	seen := map[string]bool{}
	jql := "(" + c.s.JQL + ") ORDER BY key ASC"
	err := c.searchAll(ctx, jql, []string{"key"}, "", keyPageSize, func(_ int, issues []issue) error {
		for _, is := range issues {
			seen[is.Key] = true
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("jira %s: full resync %s: %w", c.deps.Name(), jql, err)
	}
	reread := map[string]bool{}
	for k := range seen {
		reread[k] = true
	}
	if err := c.deps.Store.View(c.deps.StoreKey(), func(tx *store.Tx) error {
		return incident.ForEach(tx, func(inc incident.Incident) error {
			if !seen[inc.ID] {
				return nil
			}
			open := false
			for _, a := range inc.ActionItems {
				open = open || !a.Done
			}
			reread[inc.ID] = open
			return nil
		})
	}); err != nil {
		return collectors.WithReason(collectors.ReasonStore, fmt.Errorf("jira %s: %w", c.deps.Name(), err))
	}
	var keys []string
	for k, again := range reread {
		if again {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for start := 0; start < len(keys); start += c.s.PageSize {
		chunk := keys[start:min(start+c.s.PageSize, len(keys))]
		jql := "key in (" + strings.Join(chunk, ",") + ")"
		err := c.searchAll(ctx, jql, c.s.fields(), c.expand(), c.s.PageSize, func(_ int, issues []issue) error {
			return c.storePage(ctx, issues, true)
		})
		if err != nil {
			return fmt.Errorf("jira %s: full resync: re-read %s: %w", c.deps.Name(), jql, err)
		}
	}
	return c.deleteUnseen(seen, now)
}

// deleteUnseen removes stored incidents a complete listing did not return
// and records when the listing finished.
func (c *Collector) deleteUnseen(seen map[string]bool, now time.Time) error {
	return c.update(func(tx *store.Tx) error {
		ids, err := incident.IDs(tx)
		if err != nil {
			return err
		}
		gone := 0
		for id := range ids {
			if !seen[id] {
				if err := incident.Delete(tx, id); err != nil {
					return err
				}
				c.unskip(id)
				gone++
			}
		}
		if gone > 0 {
			c.log.Info("removed incidents deleted in Jira or no longer matching the JQL", "count", gone)
		}
		return tx.SetCursor(cursorFullResync, now.UTC().Format(time.RFC3339Nano))
	})
}

func (c *Collector) update(fn func(*store.Tx) error) error {
	if err := c.deps.Store.Update(c.deps.StoreKey(), fn); err != nil {
		return collectors.WithReason(collectors.ReasonStore, fmt.Errorf("jira %s: %w", c.deps.Name(), err))
	}
	return nil
}

func (c *Collector) skip(key string, err error) {
	c.log.Warn("problem with issue", "issue", key, "err", err)
	c.mu.Lock()
	c.skipped[key] = err.Error()
	c.mu.Unlock()
}

func (c *Collector) unskip(key string) {
	c.mu.Lock()
	delete(c.skipped, key)
	c.mu.Unlock()
}

// History loads the stored incidents for backfill (see incident.History).
func (c *Collector) History() (collectors.History, error) {
	return incident.LoadHistory(c.deps.Store, c.deps.StoreKey(), source)
}
