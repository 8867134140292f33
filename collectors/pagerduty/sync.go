package pagerduty

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
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

// Store cursors of this collector.
const (
	// cursorCreated is the creation time up to which every incident has
	// been listed; the next sync re-reads from it minus the overlap.
	cursorCreated = "created_until"
	// cursorLogs is the time up to which the account's log entries have
	// been read.
	cursorLogs = "log_entries_until"
	// cursorFilter remembers the filters the stored incidents match, so a
	// changed filter starts over instead of mixing two selections.
	cursorFilter = "filter"
	// cursorFirstFrom and cursorFirstUntil are the range of a first sync
	// still in progress (empty once it is done), so a first sync longer
	// than one refresh resumes where it stopped, over the same range.
	cursorFirstFrom  = "first_sync_from"
	cursorFirstUntil = "first_sync_until"
	// cursorFirstLogsDownTo is how far back, within the slice starting
	// at cursorLogs, the first sync has read log entries (they come
	// newest first).
	cursorFirstLogsDownTo = "first_sync_log_entries_down_to"

	// pendingAckKind holds, per incident, the earliest acknowledgement in
	// the log entries read so far of a range not yet read to its end.
	pendingAckKind = "pagerduty_pending_ack"
)

// cursors are the saved positions of the sync.
type cursors struct {
	created, logs time.Time
	// firstFrom and firstUntil are zero once the first sync is done.
	firstFrom, firstUntil time.Time
	// logsDownTo is zero unless a first-sync slice of log entries was
	// read in part.
	logsDownTo time.Time
}

// Sync lists what changed in PagerDuty into the store.
//
// The first sync covers the lookback in date slices of at most `window`:
// for each slice the incidents created in it (each slice split in half
// while it holds more than 10,000), then the account's overview log
// entries of the slice, whose earliest acknowledge_log_entry per incident
// is its first acknowledgement. Progress is saved with every page, so a
// first sync cut short by the refresh timeout resumes at the next refresh.
//
// Later syncs make two requests when nothing happened: incidents created
// since the cursor (minus the overlap) and log entries since the last
// sync (minus the overlap). Log entries bring new acknowledgements; other
// changes to a stored open incident (resolved, merged, urgency changed)
// are read back by ID.
func (c *Collector) Sync(ctx context.Context) error {
	c.mu.Lock()
	c.notes, c.skipped = nil, 0
	c.mu.Unlock()

	now := c.deps.Now().UTC().Truncate(time.Second)
	cur, err := c.prepare(now)
	if err != nil {
		return err
	}
	c.setProgress(cur)
	s := &syncRun{seen: map[string]bool{}, reread: map[string]bool{}}
	if !cur.firstUntil.IsZero() {
		err := c.firstSync(ctx, s, &cur)
		c.setProgress(cur)
		if err != nil {
			return err
		}
		if !cur.firstUntil.Before(now) {
			return nil
		}
		// Resumed from an earlier refresh: catch up with what happened
		// since the first sync's range ended.
		cur.created, cur.logs = cur.firstUntil, cur.firstUntil
		cur.firstFrom, cur.firstUntil = time.Time{}, time.Time{}
		s = &syncRun{seen: map[string]bool{}, reread: map[string]bool{}}
	}
	return c.refresh(ctx, s, cur, now)
}

// syncRun is the state of one Sync.
type syncRun struct {
	// seen are the incidents the lists returned in this sync.
	seen map[string]bool
	// reread are stored open incidents whose log shows a change after
	// they were last read.
	reread map[string]bool
	// logsFrom is where this sync's log entries start: an incident first
	// seen and created after it gets its first acknowledgement from them.
	logsFrom time.Time
	// first is set during the first sync, whose incidents are all read
	// after the log entries of its range were written.
	first bool
}

// firstSync lists cur's first-sync range slice by slice, advancing cur.
func (c *Collector) firstSync(ctx context.Context, s *syncRun, cur *cursors) error {
	s.first, s.logsFrom = true, cur.firstFrom
	for start := maxTime(cur.firstFrom, cur.logs); start.Before(cur.firstUntil); {
		end := minTime(start.Add(time.Duration(c.cfg.Window)), cur.firstUntil)
		if cur.created.Before(end) {
			if err := c.listRange(ctx, s, maxTime(start, cur.created), end); err != nil {
				return err
			}
			cur.created = end
		}
		until := end
		if !cur.logsDownTo.IsZero() && cur.logsDownTo.Before(end) {
			// Entries at the second it stopped may be on both sides.
			until = cur.logsDownTo.Add(time.Second)
		}
		progress := func(downTo time.Time) {
			cur.logsDownTo = downTo
			c.setProgress(*cur)
		}
		if err := c.readLogs(ctx, s, start, until, progress); err != nil {
			return err
		}
		err := c.deps.Store.Update(c.deps.StoreKey(), func(tx *store.Tx) error {
			if err := applyAcks(tx, c.note); err != nil {
				return err
			}
			return setCursors(tx, map[string]time.Time{cursorLogs: end, cursorFirstLogsDownTo: {}})
		})
		if err != nil {
			return collectors.WithReason(collectors.ReasonStore, fmt.Errorf("pagerduty: %w", err))
		}
		cur.logs, cur.logsDownTo = end, time.Time{}
		c.setProgress(*cur)
		start = end
	}
	return c.saveCursors(map[string]time.Time{cursorFirstFrom: {}, cursorFirstUntil: {}})
}

// refresh lists the incidents created and the log entries written since
// the cursors (minus the overlap), then re-reads the stored open incidents
// the log entries show changed.
func (c *Collector) refresh(ctx context.Context, s *syncRun, cur cursors, now time.Time) error {
	overlap := time.Duration(c.cfg.Overlap)
	from := cur.created.Add(-overlap).Truncate(time.Second)
	s.logsFrom = from
	if !cur.logs.IsZero() {
		// A store from before log entries were read has no log cursor:
		// start them with the incidents.
		s.logsFrom = cur.logs.Add(-overlap).Truncate(time.Second)
	}
	for start := from; start.Before(now); {
		end := minTime(start.Add(time.Duration(c.cfg.Window)), now)
		if err := c.listRange(ctx, s, start, end); err != nil {
			return err
		}
		start = end
	}
	for start := s.logsFrom; start.Before(now); {
		end := minTime(start.Add(time.Duration(c.cfg.Window)), now)
		if err := c.readLogs(ctx, s, start, end, nil); err != nil {
			return err
		}
		start = end
	}
	err := c.deps.Store.Update(c.deps.StoreKey(), func(tx *store.Tx) error { return applyAcks(tx, c.note) })
	if err != nil {
		return collectors.WithReason(collectors.ReasonStore, fmt.Errorf("pagerduty: %w", err))
	}
	ids := make([]string, 0, len(s.reread))
	for id := range s.reread {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if err := c.refreshOne(ctx, s, id); err != nil {
			return err
		}
	}
	return c.saveCursors(map[string]time.Time{cursorLogs: now})
}

// prepare returns the saved cursors, starts over when the filters
// changed, and starts a first sync over the lookback when there is none.
func (c *Collector) prepare(now time.Time) (cursors, error) {
	filter := c.filterKey()
	var cur cursors
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
				for _, name := range []string{cursorCreated, cursorLogs, cursorFirstFrom, cursorFirstUntil, cursorFirstLogsDownTo} {
					if err := tx.SetCursor(name, ""); err != nil {
						return err
					}
				}
			}
			if err := tx.SetCursor(cursorFilter, filter); err != nil {
				return err
			}
		}
		if tx.Cursor(cursorCreated) == "" && tx.Cursor(cursorFirstUntil) == "" {
			if err := tx.SetCursor(cursorFirstFrom, formatCursor(now.Add(-time.Duration(c.cfg.Lookback)))); err != nil {
				return err
			}
			if err := tx.SetCursor(cursorFirstUntil, formatCursor(now)); err != nil {
				return err
			}
		}
		for name, into := range map[string]*time.Time{
			cursorCreated: &cur.created, cursorLogs: &cur.logs,
			cursorFirstFrom: &cur.firstFrom, cursorFirstUntil: &cur.firstUntil, cursorFirstLogsDownTo: &cur.logsDownTo,
		} {
			v := tx.Cursor(name)
			if v == "" {
				continue
			}
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return fmt.Errorf("cursor %s: %q is not a time: %w", name, v, err)
			}
			*into = t
		}
		return nil
	})
	if err != nil {
		return cursors{}, collectors.WithReason(collectors.ReasonStore, fmt.Errorf("pagerduty: %w", err))
	}
	return cur, nil
}

// saveCursors sets cursors in one transaction; a zero time clears one.
func (c *Collector) saveCursors(values map[string]time.Time) error {
	err := c.deps.Store.Update(c.deps.StoreKey(), func(tx *store.Tx) error { return setCursors(tx, values) })
	if err != nil {
		return collectors.WithReason(collectors.ReasonStore, fmt.Errorf("pagerduty: %w", err))
	}
	return nil
}

func setCursors(tx *store.Tx, values map[string]time.Time) error {
	for name, t := range values {
		v := ""
		if !t.IsZero() {
			v = formatCursor(t)
		}
		if err := tx.SetCursor(name, v); err != nil {
			return err
		}
	}
	return nil
}

func formatCursor(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// setProgress words how far a first sync in progress got, for Notes.
func (c *Collector) setProgress(cur cursors) {
	msg := ""
	if total := cur.firstUntil.Sub(cur.firstFrom); total > 0 && cur.logs.Before(cur.firstUntil) {
		// Slices are done oldest first; within one, log entries newest first.
		done := maxTime(cur.logs, cur.firstFrom).Sub(cur.firstFrom)
		if !cur.logsDownTo.IsZero() {
			end := minTime(maxTime(cur.logs, cur.firstFrom).Add(time.Duration(c.cfg.Window)), cur.firstUntil)
			done += max(end.Sub(cur.logsDownTo), 0)
		}
		pct := int(done * 100 / total)
		msg = fmt.Sprintf("first sync: %d%% of PagerDuty incidents (the %s of history up to %s; it continues at the next refresh)",
			pct, c.cfg.Lookback, cur.firstUntil.Format(time.RFC3339))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.progress = msg
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
// storing each page with the creation cursor. A range holding more
// incidents than offset pagination can reach is split in half,
// recursively.
func (c *Collector) listRange(ctx context.Context, s *syncRun, since, until time.Time) error {
	what := fmt.Sprintf("pagerduty incidents created %s..%s", since.Format(time.RFC3339), until.Format(time.RFC3339))
	limit := uint(c.cfg.PageSize)
	for offset := uint(0); ; offset += limit {
		if offset+limit > maxOffset {
			// More incidents appeared than the first page's total said.
			return c.splitIncidents(ctx, s, since, until, what)
		}
		opts := pd.ListIncidentsOptions{
			Limit:      limit,
			Offset:     offset,
			Total:      offset == 0,
			Since:      since.Format(time.RFC3339),
			Until:      until.Format(time.RFC3339),
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
			return c.splitIncidents(ctx, s, since, until, what)
		}
		last := until
		if page.More && len(page.Incidents) > 0 {
			t, err := parseTime(page.Incidents[len(page.Incidents)-1].CreatedAt)
			if err != nil {
				return collectors.WithReason(collectors.ReasonInvalidData, fmt.Errorf("%s: offset %d: incident %s: created_at: %w", what, offset, page.Incidents[len(page.Incidents)-1].ID, err))
			}
			last = t
		}
		if err := c.storePage(ctx, s, page.Incidents, last); err != nil {
			return fmt.Errorf("%s: offset %d: %w", what, offset, err)
		}
		if !page.More || len(page.Incidents) == 0 {
			return nil
		}
	}
}

// splitIncidents lists [since, mid) and [mid, until) separately.
func (c *Collector) splitIncidents(ctx context.Context, s *syncRun, since, until time.Time, what string) error {
	mid, err := middle(since, until, what)
	if err != nil {
		return err
	}
	c.log.Debug("splitting an incident slice over the offset limit", "since", since, "until", until)
	if err := c.listRange(ctx, s, since, mid); err != nil {
		return err
	}
	return c.listRange(ctx, s, mid, until)
}

// middle is the whole second halfway between since and until.
func middle(since, until time.Time, what string) (time.Time, error) {
	half := until.Sub(since) / 2
	half -= half % time.Second
	if half < time.Second {
		return time.Time{}, collectors.WithReason(collectors.ReasonInvalidData, fmt.Errorf("%s: more than %d within one second cannot be listed with offset pagination", what, maxOffset))
	}
	return since.Add(half), nil
}

// storePage maps a page of incidents and stores them with the creation
// cursor (when not zero). An incident seen for the first time gets its
// first acknowledgement from the account's log entries when this sync
// reads them (they come after), or else from its own log entries. A
// failed lookup leaves that incident out, stores the others and keeps the
// cursor, so the next sync lists it again.
func (c *Collector) storePage(ctx context.Context, s *syncRun, page []pd.Incident, cursor time.Time) error {
	before := make(map[string]incident.Incident, len(page))
	err := c.deps.Store.View(c.deps.StoreKey(), func(tx *store.Tx) error {
		for _, p := range page {
			inc, ok, err := incident.Get(tx, p.ID)
			if err != nil {
				return err
			}
			if ok {
				before[p.ID] = inc
			}
		}
		return nil
	})
	if err != nil {
		return collectors.WithReason(collectors.ReasonStore, err)
	}

	var put []incident.Incident
	var remove []string
	var lookupErr error
	for _, p := range page {
		s.seen[p.ID] = true
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
		if prior, stored := before[p.ID]; stored {
			// acknowledgements lists only the current ones; keep the first.
			if !prior.Acknowledged.IsZero() && (inc.Acknowledged.IsZero() || prior.Acknowledged.Before(inc.Acknowledged)) {
				inc.Acknowledged = prior.Acknowledged
			}
		} else if !inc.Opened.Before(s.logsFrom) {
			// First sight: acknowledgements may be a re-acknowledgement
			// after a timeout; the log entries read next give the first.
			inc.Acknowledged = time.Time{}
		} else {
			ack, err := c.firstAck(ctx, p.ID)
			if err != nil {
				lookupErr = cmp(lookupErr, err)
				continue
			}
			inc.Acknowledged = ack
		}
		if err := inc.Validate(); err != nil {
			c.note("pagerduty incident %s skipped: %v", p.ID, err)
			continue
		}
		put = append(put, inc)
	}
	if lookupErr != nil {
		cursor = time.Time{}
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
		if cursor.IsZero() {
			return nil
		}
		if old := tx.Cursor(cursorCreated); old != "" {
			if t, err := time.Parse(time.RFC3339Nano, old); err == nil && !t.Before(cursor) {
				return nil
			}
		}
		return tx.SetCursor(cursorCreated, formatCursor(cursor))
	})
	if err != nil {
		return collectors.WithReason(collectors.ReasonStore, err)
	}
	return lookupErr
}

// cmp keeps the first error.
func cmp(first, next error) error {
	if first != nil {
		return first
	}
	return next
}

// logEntryPage is how many log entries one request asks for.
const logEntryPage = 100

// readLogs reads the account's overview log entries written in [since,
// until) page by page (newest first) and applies each page to the stored
// incidents; a range holding more than offset pagination can reach is
// split in half, newer half first. With progress, how far back it got is
// saved with every page.
func (c *Collector) readLogs(ctx context.Context, s *syncRun, since, until time.Time, progress func(downTo time.Time)) error {
	what := fmt.Sprintf("pagerduty log entries %s..%s", since.Format(time.RFC3339), until.Format(time.RFC3339))
	for offset := uint(0); ; offset += logEntryPage {
		if offset+logEntryPage > maxOffset {
			return c.splitLogs(ctx, s, since, until, progress, what)
		}
		opts := pd.ListLogEntriesOptions{
			Limit:      logEntryPage,
			Offset:     offset,
			Total:      offset == 0,
			Since:      since.Format(time.RFC3339),
			Until:      until.Format(time.RFC3339),
			IsOverview: true,
			TimeZone:   "UTC",
			// The API filters log entries by team, not by service or
			// urgency: those are left to the stored incidents.
			TeamIDs: c.cfg.TeamIDs,
		}
		var page *pd.ListLogEntryResponse
		err := c.call(ctx, func(ctx context.Context) (err error) {
			page, err = c.api.ListLogEntriesWithContext(ctx, opts)
			return err
		})
		if err != nil {
			return fmt.Errorf("%s: offset %d: %w", what, offset, err)
		}
		if offset == 0 && page.Total > maxOffset {
			return c.splitLogs(ctx, s, since, until, progress, what)
		}
		more := page.More && len(page.LogEntries) > 0
		downTo := time.Time{}
		if progress != nil {
			downTo = since
			if more {
				oldest, err := parseTime(page.LogEntries[len(page.LogEntries)-1].CreatedAt)
				if err != nil || oldest.IsZero() {
					// Without a time to resume from, resume from the top.
					oldest = until
				}
				downTo = minTime(oldest, until)
			}
		}
		if err := c.applyLogs(s, page.LogEntries, downTo); err != nil {
			return fmt.Errorf("%s: offset %d: %w", what, offset, err)
		}
		if progress != nil {
			progress(downTo)
		}
		if !more {
			return nil
		}
	}
}

// splitLogs reads [mid, until) then [since, mid), keeping newest first.
func (c *Collector) splitLogs(ctx context.Context, s *syncRun, since, until time.Time, progress func(time.Time), what string) error {
	mid, err := middle(since, until, what)
	if err != nil {
		return err
	}
	c.log.Debug("splitting a log entry slice over the offset limit", "since", since, "until", until)
	if err := c.readLogs(ctx, s, mid, until, progress); err != nil {
		return err
	}
	return c.readLogs(ctx, s, since, mid, progress)
}

// unchangedBy are overview log entry types that change nothing the
// incident model keeps (acknowledgements are read from the entry itself).
var unchangedBy = []string{
	"trigger_log_entry", "annotate_log_entry", "notify_log_entry", "assign_log_entry",
	"escalate_log_entry", "delegate_log_entry", "reassign_log_entry", "snooze_log_entry",
	"unacknowledge_log_entry", "exhaust_escalation_path_log_entry", "repeat_escalation_path_log_entry",
	"reach_ack_limit_log_entry", "reach_trigger_limit_log_entry",
}

// applyLogs collects the earliest acknowledgement of each stored incident and
// marks stored open incidents changed since they were read, saving the
// first-sync position downTo (when not zero) in the same transaction.
// Entries of incidents not stored (outside the filters or the lookback)
// are ignored.
func (c *Collector) applyLogs(s *syncRun, entries []pd.LogEntry, downTo time.Time) error {
	err := c.deps.Store.Update(c.deps.StoreKey(), func(tx *store.Tx) error {
		for _, e := range entries {
			id := e.Incident.ID
			if id == "" {
				continue
			}
			inc, ok, err := incident.Get(tx, id)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			t, err := parseTime(e.CreatedAt)
			if err != nil || t.IsZero() {
				c.note("pagerduty log entry %s of incident %s skipped: created_at: %v", e.ID, id, err)
				continue
			}
			switch {
			case e.Type == "acknowledge_log_entry":
				if !inc.Acknowledged.IsZero() && !t.Before(inc.Acknowledged) {
					continue
				}
				var pending time.Time
				if _, err := tx.GetRecord(pendingAckKind, id, &pending); err != nil {
					return err
				}
				if pending.IsZero() || t.Before(pending) {
					if _, err := tx.PutRecord(pendingAckKind, id, t); err != nil {
						return err
					}
				}
			case slices.Contains(unchangedBy, e.Type):
			case !s.first && inc.IsOpen() && !s.seen[id] && t.After(inc.Updated):
				s.reread[id] = true
			}
		}
		if downTo.IsZero() {
			return nil
		}
		return tx.SetCursor(cursorFirstLogsDownTo, formatCursor(downTo))
	})
	if err != nil {
		return collectors.WithReason(collectors.ReasonStore, err)
	}
	return nil
}

// applyAcks stores the earliest acknowledgements collected from log
// entries read through to the end of a range: no later entry can hold an
// earlier one, so each incident's time to acknowledge is counted once and
// right.
func applyAcks(tx *store.Tx, note func(string, ...any)) error {
	pending := map[string]time.Time{}
	err := tx.ForEachRecord(pendingAckKind, func(id string, data []byte) error {
		var t time.Time
		if err := json.Unmarshal(data, &t); err != nil {
			return fmt.Errorf("%s %s: %w", pendingAckKind, id, err)
		}
		pending[id] = t
		return nil
	})
	if err != nil {
		return err
	}
	ids := slices.Sorted(maps.Keys(pending))
	for _, id := range ids {
		if err := tx.DeleteRecord(pendingAckKind, id); err != nil {
			return err
		}
		inc, ok, err := incident.Get(tx, id)
		if err != nil {
			return err
		}
		t := pending[id]
		if !ok || (!inc.Acknowledged.IsZero() && !t.Before(inc.Acknowledged)) {
			continue
		}
		inc.Acknowledged = t
		if err := inc.Validate(); err != nil {
			note("pagerduty incident %s: acknowledgement skipped: %v", id, err)
			continue
		}
		if _, err := incident.Put(tx, inc); err != nil {
			return err
		}
	}
	return nil
}

// refreshOne re-reads one stored open incident whose log changed.
func (c *Collector) refreshOne(ctx context.Context, s *syncRun, id string) error {
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
	if err := c.storePage(ctx, s, []pd.Incident{*p}, time.Time{}); err != nil {
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

// firstAck returns when the incident was first acknowledged, from its
// overview log entries (zero if never), for an incident first seen
// outside the log entries a sync reads. PagerDuty lists log entries newest
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
// decode, ...) is right and the token never appears. A cut-off or garbled
// body is retried like a 5xx by the shared upstream transport.
func (c *Collector) call(ctx context.Context, fn func(context.Context) error) error {
	return c.callOnce(ctx, fn)
}

func (c *Collector) callOnce(ctx context.Context, fn func(context.Context) error) error {
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

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
