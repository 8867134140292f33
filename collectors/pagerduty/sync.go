package pagerduty

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	pd "github.com/PagerDuty/go-pagerduty"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/incident"
	"github.com/sre-value/sre-value-exporter/internal/store"
	"github.com/sre-value/sre-value-exporter/internal/upstream"
)

// Store cursors and record kinds of this collector.
const (
	// cursorCreated is the creation time up to which every incident has
	// been listed; the next sync re-reads from it minus the overlap.
	cursorCreated = "created_until"
	// cursorFilter remembers the filters the stored incidents match, so a
	// changed filter starts over instead of mixing two selections.
	cursorFilter = "filter"
	// ackCheckedKind marks incidents whose log entries were read once, so
	// an incident resolved without ever being acknowledged is not
	// looked up again on every overlap re-read.
	ackCheckedKind = "pagerduty_ack_checked"
)

// Sync lists what changed in PagerDuty into the store:
//
//  1. incidents created since the cursor (minus the overlap), in date
//     slices of at most `window`, each split in half while it holds more
//     than 10,000 incidents; the cursor is saved with every page;
//  2. incidents created before that which the store still has open,
//     listed with statuses[]=triggered,acknowledged from the oldest one;
//  3. stored open incidents that neither list returned (resolved long
//     after creation, merged or moved out of the filter) one by one.
//
// Resolved incidents whose acknowledgement was never seen are looked up
// once in their overview log entries.
func (c *Collector) Sync(ctx context.Context) error {
	c.mu.Lock()
	c.notes, c.skipped = nil, 0
	c.mu.Unlock()

	now := c.deps.Now().UTC().Truncate(time.Second)
	cursor, err := c.prepare()
	if err != nil {
		return err
	}
	from := now.Add(-time.Duration(c.cfg.Lookback))
	if !cursor.IsZero() {
		from = cursor.Add(-time.Duration(c.cfg.Overlap)).Truncate(time.Second)
	}
	s := &syncRun{seen: map[string]bool{}}

	for start := from; start.Before(now); {
		end := minTime(start.Add(time.Duration(c.cfg.Window)), now)
		if err := c.listRange(ctx, s, start, end, nil, true); err != nil {
			return err
		}
		start = end
	}

	open, err := c.storedOpen()
	if err != nil {
		return err
	}
	var oldest time.Time
	for _, inc := range open {
		if inc.Opened.Before(from) && (oldest.IsZero() || inc.Opened.Before(oldest)) {
			oldest = inc.Opened
		}
	}
	if !oldest.IsZero() {
		oldest = oldest.Truncate(time.Second)
		for start := oldest; start.Before(from); {
			end := minTime(start.Add(time.Duration(c.cfg.Window)), from)
			if err := c.listRange(ctx, s, start, end, []string{"triggered", "acknowledged"}, false); err != nil {
				return err
			}
			start = end
		}
	}
	for _, inc := range open {
		if s.seen[inc.ID] {
			continue
		}
		if err := c.refreshOne(ctx, inc.ID); err != nil {
			return err
		}
	}
	return nil
}

// syncRun is the state of one Sync.
type syncRun struct {
	// seen are the incidents the lists returned in this sync.
	seen map[string]bool
}

// prepare returns the saved cursor and starts over when the filters changed.
func (c *Collector) prepare() (time.Time, error) {
	filter := c.filterKey()
	var cursor time.Time
	err := c.deps.Store.Update(c.deps.StoreKey(), func(tx *store.Tx) error {
		if tx.Cursor(cursorFilter) != filter {
			if tx.Cursor(cursorFilter) != "" || tx.Cursor(cursorCreated) != "" {
				c.log.Info("filters changed; re-reading history", "filter", filter)
				ids, err := incident.IDs(tx)
				if err != nil {
					return err
				}
				for id := range ids {
					if err := incident.Delete(tx, id); err != nil {
						return err
					}
				}
				if err := tx.SetCursor(cursorCreated, ""); err != nil {
					return err
				}
			}
			if err := tx.SetCursor(cursorFilter, filter); err != nil {
				return err
			}
		}
		v := tx.Cursor(cursorCreated)
		if v == "" {
			return nil
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return fmt.Errorf("cursor %s: %q is not a time: %w", cursorCreated, v, err)
		}
		cursor = t
		return nil
	})
	if err != nil {
		return time.Time{}, collectors.WithReason(collectors.ReasonStore, fmt.Errorf("pagerduty: %w", err))
	}
	return cursor, nil
}

// filterKey is the filters in a stable form.
func (c *Collector) filterKey() string {
	part := func(name string, v []string) string {
		v = slices.Clone(v)
		slices.Sort(v)
		return name + "=" + strings.Join(v, ",")
	}
	return strings.Join([]string{part("services", c.cfg.ServiceIDs), part("teams", c.cfg.TeamIDs), part("urgencies", c.cfg.Urgencies)}, ";")
}

// listRange lists the incidents created in [since, until), page by page,
// storing each page (and, with advance, the cursor) in one transaction.
// A range holding more incidents than offset pagination can reach is split
// in half, recursively.
func (c *Collector) listRange(ctx context.Context, s *syncRun, since, until time.Time, statuses []string, advance bool) error {
	what := fmt.Sprintf("pagerduty incidents created %s..%s", since.Format(time.RFC3339), until.Format(time.RFC3339))
	if len(statuses) > 0 {
		what = fmt.Sprintf("pagerduty open incidents created %s..%s", since.Format(time.RFC3339), until.Format(time.RFC3339))
	}
	limit := uint(c.cfg.PageSize)
	for offset := uint(0); ; offset += limit {
		if offset+limit > maxOffset {
			// More incidents appeared than the first page's total said.
			return c.split(ctx, s, since, until, statuses, advance, what)
		}
		opts := pd.ListIncidentsOptions{
			Limit:      limit,
			Offset:     offset,
			Total:      offset == 0,
			Since:      since.Format(time.RFC3339),
			Until:      until.Format(time.RFC3339),
			Statuses:   statuses,
			ServiceIDs: c.cfg.ServiceIDs,
			TeamIDs:    c.cfg.TeamIDs,
			Urgencies:  c.cfg.Urgencies,
			TimeZone:   "UTC",
			SortBy:     "created_at:asc",
		}
		var page *pd.ListIncidentsResponse
		err := c.call(ctx, func(ctx context.Context) (err error) {
			page, err = c.api.ListIncidentsWithContext(ctx, opts)
			return err
		})
		if err != nil {
			return fmt.Errorf("%s: offset %d: %w", what, offset, err)
		}
		if offset == 0 && page.Total > maxOffset {
			return c.split(ctx, s, since, until, statuses, advance, what)
		}
		last := until
		if page.More && len(page.Incidents) > 0 {
			t, err := parseTime(page.Incidents[len(page.Incidents)-1].CreatedAt)
			if err != nil {
				return collectors.WithReason(collectors.ReasonInvalidData, fmt.Errorf("%s: offset %d: incident %s: created_at: %w", what, offset, page.Incidents[len(page.Incidents)-1].ID, err))
			}
			last = t
		}
		cursor := time.Time{}
		if advance {
			cursor = last
		}
		if err := c.storePage(ctx, s, page.Incidents, cursor); err != nil {
			return fmt.Errorf("%s: offset %d: %w", what, offset, err)
		}
		if !page.More || len(page.Incidents) == 0 {
			return nil
		}
	}
}

// split lists [since, mid) and [mid, until) separately.
func (c *Collector) split(ctx context.Context, s *syncRun, since, until time.Time, statuses []string, advance bool, what string) error {
	half := until.Sub(since) / 2
	half -= half % time.Second
	if half < time.Second {
		return collectors.WithReason(collectors.ReasonInvalidData, fmt.Errorf("%s: more than %d incidents created within one second cannot be listed with offset pagination", what, maxOffset))
	}
	mid := since.Add(half)
	c.log.Debug("splitting date slice over the offset limit", "since", since, "until", until)
	if err := c.listRange(ctx, s, since, mid, statuses, advance); err != nil {
		return err
	}
	return c.listRange(ctx, s, mid, until, statuses, advance)
}

// storePage maps a page of incidents, looks up the acknowledgements it
// lacks, and stores everything in one transaction with the cursor (when
// not zero), so a failure part-way leaves the store as it was.
func (c *Collector) storePage(ctx context.Context, s *syncRun, page []pd.Incident, cursor time.Time) error {
	type prior struct {
		inc     incident.Incident
		stored  bool
		checked bool
	}
	before := make(map[string]prior, len(page))
	err := c.deps.Store.View(c.deps.StoreKey(), func(tx *store.Tx) error {
		for _, p := range page {
			var pr prior
			var err error
			if pr.inc, pr.stored, err = incident.Get(tx, p.ID); err != nil {
				return err
			}
			var checked bool
			if _, err := tx.GetRecord(ackCheckedKind, p.ID, &checked); err != nil {
				return err
			}
			pr.checked = checked
			before[p.ID] = pr
		}
		return nil
	})
	if err != nil {
		return collectors.WithReason(collectors.ReasonStore, err)
	}

	var put []incident.Incident
	var remove, checked []string
	for _, p := range page {
		if s != nil {
			s.seen[p.ID] = true
		}
		if p.ResolveReason.Type == "merge_resolve_reason" {
			// Merged into another incident: a duplicate, not an incident.
			remove = append(remove, p.ID)
			continue
		}
		inc, err := c.toIncident(p)
		if err != nil {
			c.note("pagerduty incident %s skipped: %v", p.ID, err)
			continue
		}
		pr := before[p.ID]
		if !pr.inc.Acknowledged.IsZero() && (inc.Acknowledged.IsZero() || pr.inc.Acknowledged.Before(inc.Acknowledged)) {
			// PagerDuty lists only current acknowledgements; keep the first.
			inc.Acknowledged = pr.inc.Acknowledged
		}
		if !inc.IsOpen() && inc.Acknowledged.IsZero() && !pr.checked {
			ack, err := c.firstAck(ctx, p.ID)
			if err != nil {
				return err
			}
			inc.Acknowledged = ack
			checked = append(checked, p.ID)
		}
		if err := inc.Validate(); err != nil {
			c.note("pagerduty incident %s skipped: %v", p.ID, err)
			continue
		}
		put = append(put, inc)
	}

	err = c.deps.Store.Update(c.deps.StoreKey(), func(tx *store.Tx) error {
		for _, inc := range put {
			if _, err := incident.Put(tx, inc); err != nil {
				return err
			}
		}
		for _, id := range remove {
			if err := incident.Delete(tx, id); err != nil {
				return err
			}
		}
		for _, id := range checked {
			if _, err := tx.PutRecord(ackCheckedKind, id, true); err != nil {
				return err
			}
		}
		if cursor.IsZero() {
			return nil
		}
		if old := tx.Cursor(cursorCreated); old != "" {
			if t, err := time.Parse(time.RFC3339Nano, old); err == nil && !t.Before(cursor) {
				return nil
			}
		}
		return tx.SetCursor(cursorCreated, cursor.UTC().Format(time.RFC3339Nano))
	})
	if err != nil {
		return collectors.WithReason(collectors.ReasonStore, err)
	}
	return nil
}

// storedOpen returns the incidents the store has as open.
func (c *Collector) storedOpen() ([]incident.Incident, error) {
	var open []incident.Incident
	err := c.deps.Store.View(c.deps.StoreKey(), func(tx *store.Tx) error {
		return incident.ForEach(tx, func(inc incident.Incident) error {
			if inc.IsOpen() {
				open = append(open, inc)
			}
			return nil
		})
	})
	if err != nil {
		return nil, collectors.WithReason(collectors.ReasonStore, fmt.Errorf("pagerduty: %w", err))
	}
	return open, nil
}

// refreshOne re-reads one stored open incident that no list returned.
func (c *Collector) refreshOne(ctx context.Context, id string) error {
	var p *pd.Incident
	var status int
	err := c.call(ctx, func(ctx context.Context) (err error) {
		p, err = c.api.GetIncidentWithContext(ctx, id)
		var apiErr pd.APIError
		if errors.As(err, &apiErr) {
			status = apiErr.StatusCode
		}
		return err
	})
	if status == http.StatusNotFound {
		// Gone upstream: it stops counting in gauges and windows.
		return c.removeIncident(id)
	}
	if err != nil {
		return fmt.Errorf("pagerduty incident %s: %w", id, err)
	}
	if !c.matches(*p) {
		return c.removeIncident(id)
	}
	if err := c.storePage(ctx, nil, []pd.Incident{*p}, time.Time{}); err != nil {
		return fmt.Errorf("pagerduty incident %s: %w", id, err)
	}
	return nil
}

func (c *Collector) removeIncident(id string) error {
	err := c.deps.Store.Update(c.deps.StoreKey(), func(tx *store.Tx) error { return incident.Delete(tx, id) })
	if err != nil {
		return collectors.WithReason(collectors.ReasonStore, fmt.Errorf("pagerduty incident %s: %w", id, err))
	}
	return nil
}

// matches applies the configured filters to an incident read by ID.
func (c *Collector) matches(p pd.Incident) bool {
	if len(c.cfg.ServiceIDs) > 0 && !slices.Contains(c.cfg.ServiceIDs, p.Service.ID) {
		return false
	}
	if len(c.cfg.Urgencies) > 0 && !slices.Contains(c.cfg.Urgencies, p.Urgency) {
		return false
	}
	if len(c.cfg.TeamIDs) > 0 && !slices.ContainsFunc(p.Teams, func(t pd.APIObject) bool { return slices.Contains(c.cfg.TeamIDs, t.ID) }) {
		return false
	}
	return true
}

// logEntryPage is how many log entries one request asks for.
const logEntryPage = 100

// firstAck returns when the incident was first acknowledged, from its
// overview log entries (zero if never). PagerDuty lists log entries newest
// first, so every page is read.
func (c *Collector) firstAck(ctx context.Context, id string) (time.Time, error) {
	var first time.Time
	for offset := uint(0); ; offset += logEntryPage {
		opts := pd.ListIncidentLogEntriesOptions{Limit: logEntryPage, Offset: offset, IsOverview: true, TimeZone: "UTC"}
		var page *pd.ListIncidentLogEntriesResponse
		err := c.call(ctx, func(ctx context.Context) (err error) {
			page, err = c.api.ListIncidentLogEntriesWithContext(ctx, id, opts)
			return err
		})
		if err != nil {
			return time.Time{}, fmt.Errorf("pagerduty incident %s: log entries offset %d: %w", id, offset, err)
		}
		for _, e := range page.LogEntries {
			if e.Type != "acknowledge_log_entry" {
				continue
			}
			t, err := parseTime(e.CreatedAt)
			if err != nil {
				return time.Time{}, collectors.WithReason(collectors.ReasonInvalidData, fmt.Errorf("pagerduty incident %s: log entry %s: created_at: %w", id, e.ID, err))
			}
			if first.IsZero() || t.Before(first) {
				first = t
			}
		}
		if !page.More || len(page.LogEntries) == 0 {
			return first, nil
		}
	}
}

// call runs one go-pagerduty call and classifies its error with the HTTP
// exchange the recorder saw, so the reason (rate_limited, server_error,
// decode, ...) is right and the token never appears.
func (c *Collector) call(ctx context.Context, fn func(context.Context) error) error {
	ex := &exchange{}
	err := fn(context.WithValue(ctx, exchangeKey{}, ex))
	if err == nil {
		return nil
	}
	cause := err
	if ex.err != nil {
		cause = ex.err
	} else if ctxErr := ctx.Err(); ctxErr != nil && ex.resp == nil {
		cause = ctxErr
	}
	return upstream.Classify(cause, ex.resp)
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
