package github

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/incident"
	"github.com/sre-value/sre-value-exporter/internal/store"
	"github.com/sre-value/sre-value-exporter/internal/upstream"
)

// Store names.
const (
	skippedKind     = "github_skipped"     // issue ID -> why it was skipped
	ackMissingKind  = "github_ack_missing" // issue ID -> why its acknowledge time is unknown
	fullSeenKind    = "github_full_seen"   // repository key#attempt/page -> issue numbers a full listing under way saw
	reposCursor     = "repositories"       // the configured repositories at the last sync
	repoCursorStart = "repo:"              // + repository key -> listState
)

// listState is the sync position of one repository, saved in the same
// store transaction as every page of data it covers.
//
// How a refresh finds out cheaply that nothing changed: issues are listed
// sorted by updated_at ascending, so anything that changes moves to the end
// of the list and any issue that leaves it shifts the end. The refresh
// therefore asks again for the last page of the previous listing (Since,
// Filtered, LastPage). Unchanged, GitHub answers 304 to the conditional
// request (or, after a restart, the page hashes to Fingerprint) and the
// refresh ends after one request. Otherwise it lists what was updated
// since Cursor.
type listState struct {
	// Since and Filtered are the query of the last complete listing
	// (zero Since: from the start; Filtered: with labels=).
	Since    time.Time `json:"since,omitzero"`
	Filtered bool      `json:"filtered,omitempty"`
	// LastPage is that listing's last page and Fingerprint hashes its items.
	LastPage    int    `json:"last_page,omitempty"`
	Fingerprint string `json:"fingerprint,omitempty"`
	// Complete is false while a listing is under way or after the last page
	// was seen to change: the next sync then lists since Cursor directly.
	Complete bool `json:"complete,omitempty"`
	// Cursor is the largest updated_at seen (GitHub's since is inclusive,
	// so issues updated at exactly Cursor come again and are de-duplicated).
	Cursor time.Time `json:"cursor,omitzero"`
	// FullSyncAt is when the last full reconciliation finished, and
	// Mapping the settings fingerprint it ran with.
	FullSyncAt time.Time `json:"full_sync_at,omitzero"`
	Mapping    string    `json:"mapping,omitempty"`
	// Started is the settings fingerprint of a full sync under way, so that
	// one interrupted and resumed under other settings re-reads everything.
	Started string `json:"started,omitempty"`
	// FullCursor is the largest updated_at the full listing under way has
	// stored, and FullAttempt counts its attempts. An interrupted full sync
	// resumes by listing since FullCursor, with the issue numbers earlier
	// attempts saw kept as records (fullSeenKind), instead of listing every
	// page again.
	FullCursor  time.Time `json:"full_cursor,omitzero"`
	FullAttempt int       `json:"full_attempt,omitempty"`
}

func (c *Collector) log() *slog.Logger {
	if c.deps.Logger != nil {
		return c.deps.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// Sync brings every repository up to date. A failing repository does not
// stop the others; the errors are joined.
func (c *Collector) Sync(ctx context.Context) error {
	if !c.pruned {
		if err := c.pruneUnconfigured(); err != nil {
			return collectors.WithReason(collectors.ReasonStore, fmt.Errorf("github: %w", err))
		}
		c.pruned = true
	}
	var errs []error
	for _, r := range c.repos {
		if err := ctx.Err(); err != nil {
			errs = append(errs, fmt.Errorf("github repository %s: %w", r, err))
			break
		}
		if err := c.syncRepo(ctx, r); err != nil {
			errs = append(errs, fmt.Errorf("github repository %s: %w", r, err))
		}
	}
	return errors.Join(errs...)
}

// pruneUnconfigured forgets repositories removed from the config: their
// incidents stop counting and their cursors are reset, so adding one back
// reads it again from the start.
func (c *Collector) pruneUnconfigured() error {
	configured := make([]string, 0, len(c.repos))
	keep := map[string]bool{}
	for _, r := range c.repos {
		configured = append(configured, r.key)
		keep[r.key] = true
	}
	sort.Strings(configured)
	return c.deps.Store.Update(c.deps.StoreKey(), func(tx *store.Tx) error {
		var previous []string
		if raw := tx.Cursor(reposCursor); raw != "" {
			if err := json.Unmarshal([]byte(raw), &previous); err != nil {
				return fmt.Errorf("cursor %s: %w", reposCursor, err)
			}
		}
		for _, key := range previous {
			if !keep[key] {
				if err := tx.SetCursor(repoCursorStart+key, ""); err != nil {
					return err
				}
			}
		}
		ids, err := incident.IDs(tx)
		if err != nil {
			return err
		}
		for id := range ids {
			if !keep[repoOf(id)] {
				if err := incident.Delete(tx, id); err != nil {
					return err
				}
			}
		}
		for _, kind := range []string{skippedKind, ackMissingKind, fullSeenKind} {
			var stale []string
			if err := tx.ForEachRecord(kind, func(id string, _ []byte) error {
				if !keep[repoOf(id)] {
					stale = append(stale, id)
				}
				return nil
			}); err != nil {
				return err
			}
			for _, id := range stale {
				if err := tx.DeleteRecord(kind, id); err != nil {
					return err
				}
			}
		}
		data, _ := json.Marshal(configured)
		return tx.SetCursor(reposCursor, string(data))
	})
}

// repoOf returns the repository key of an incident ID.
func repoOf(id string) string {
	key, _, _ := strings.Cut(id, "#")
	return key
}

func (c *Collector) loadState(repo repository) (listState, error) {
	var st listState
	err := c.deps.Store.View(c.deps.StoreKey(), func(tx *store.Tx) error {
		raw := tx.Cursor(repoCursorStart + repo.key)
		if raw == "" {
			return nil
		}
		if err := json.Unmarshal([]byte(raw), &st); err != nil {
			return fmt.Errorf("cursor of %s: %w", repo, err)
		}
		return nil
	})
	if err != nil {
		return st, collectors.WithReason(collectors.ReasonStore, err)
	}
	return st, nil
}

func saveState(tx *store.Tx, repo repository, st listState) error {
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return tx.SetCursor(repoCursorStart+repo.key, string(data))
}

func (c *Collector) update(fn func(*store.Tx) error) error {
	if err := c.deps.Store.Update(c.deps.StoreKey(), fn); err != nil {
		return collectors.WithReason(collectors.ReasonStore, err)
	}
	return nil
}

func (c *Collector) syncRepo(ctx context.Context, repo repository) error {
	st, err := c.loadState(repo)
	if err != nil {
		return err
	}
	now := c.deps.Now()
	if st.FullSyncAt.IsZero() || now.Sub(st.FullSyncAt) >= c.interval || st.Mapping != c.mapping {
		return c.fullSync(ctx, repo, st, now)
	}
	if st.Complete {
		changed, err := c.probe(ctx, repo, &st)
		if err != nil || !changed {
			return err
		}
	}
	return c.incrementalSync(ctx, repo, st)
}

// listOptions is the issue listing query: every state, oldest update first.
func (c *Collector) listOptions(since time.Time, filtered bool, page int) *gh.IssueListByRepoOptions {
	opts := &gh.IssueListByRepoOptions{
		State:       "all",
		Sort:        "updated",
		Direction:   "asc",
		Since:       since,
		ListOptions: gh.ListOptions{PerPage: c.cfg.PageSize, Page: page},
	}
	if filtered {
		opts.Labels = c.cfg.Labels
	}
	return opts
}

// probe asks again for the last page of the previous listing and reports
// whether anything changed since.
func (c *Collector) probe(ctx context.Context, repo repository, st *listState) (bool, error) {
	if st.LastPage < 1 {
		return true, nil
	}
	opts := c.listOptions(st.Since, st.Filtered, st.LastPage)
	issues, resp, err := c.client.Issues.ListByRepo(ctx, repo.Owner, repo.Name, opts)
	if err != nil {
		return false, classify(fmt.Sprintf("page %d", opts.Page), err, resp)
	}
	if upstream.FromCache(resp.Response) {
		return false, nil // 304 Not Modified: nothing to process
	}
	if fingerprint(issues, resp.NextPage != 0) == st.Fingerprint {
		return false, nil
	}
	// Remember that the listing is stale before listing again, so that a
	// failure now cannot leave a cached "unchanged" answer for next time.
	st.Complete = false
	return true, c.update(func(tx *store.Tx) error { return saveState(tx, repo, *st) })
}

// incrementalSync lists the issues updated since the cursor, without the
// labels filter so that an issue that lost an incident label comes back
// (without it) and is deleted.
func (c *Collector) incrementalSync(ctx context.Context, repo repository, st listState) error {
	l := &listing{repo: repo, since: st.Cursor, filtered: st.Cursor.IsZero()}
	lastPage, fp, err := c.list(ctx, l, &st)
	if err != nil {
		return err
	}
	st.Since, st.Filtered, st.LastPage, st.Fingerprint, st.Complete = l.since, l.filtered, lastPage, fp, true
	return c.update(func(tx *store.Tx) error { return saveState(tx, repo, st) })
}

// fullSync lists every incident issue of the repository and deletes the
// stored ones that are gone (deleted, transferred, relabelled). It is the
// first sync, and runs again every full_resync_interval and after the
// mapping settings change.
func (c *Collector) fullSync(ctx context.Context, repo repository, st listState, now time.Time) error {
	remap := (st.Mapping != "" && st.Mapping != c.mapping) || (st.Started != "" && st.Started != c.mapping)
	l := &listing{repo: repo, filtered: true, full: true, remap: remap, seen: map[int]bool{}}
	if st.Started == c.mapping && !st.FullCursor.IsZero() {
		// An earlier attempt stored part of this listing: go on from there.
		// Issues that changed since moved past FullCursor and come again.
		if err := c.loadSeen(repo, l.seen); err != nil {
			return err
		}
		l.since = st.FullCursor
		c.log().Info("resuming an interrupted full sync", "repository", repo.String(), "since", l.since, "issues_seen", len(l.seen))
	} else {
		st.FullCursor = time.Time{}
		if err := c.update(func(tx *store.Tx) error { return clearSeen(tx, repo) }); err != nil {
			return err
		}
	}
	st.FullAttempt++
	lastPage, fp, err := c.list(ctx, l, &st)
	if err != nil {
		return err
	}
	var candidates []int
	err = c.deps.Store.View(c.deps.StoreKey(), func(tx *store.Tx) error {
		ids, err := incident.IDs(tx)
		for id := range ids {
			if repoOf(id) != repo.key {
				continue
			}
			n, convErr := strconv.Atoi(id[len(repo.key)+1:])
			if convErr == nil && !l.seen[n] {
				candidates = append(candidates, n)
			}
		}
		return err
	})
	if err != nil {
		return collectors.WithReason(collectors.ReasonStore, err)
	}
	sort.Ints(candidates)
	// An issue can be missed by a listing whose pages shift while it is
	// read, so each one not listed is asked for before it is deleted.
	var gone []string
	for _, n := range candidates {
		is, err := c.stillIncident(ctx, repo, n)
		if err != nil {
			return err
		}
		if is == nil {
			gone = append(gone, repo.incidentID(n))
			continue
		}
		if err := c.storePage(ctx, l, []*gh.Issue{is}, &st); err != nil {
			return fmt.Errorf("issue #%d: %w", n, err)
		}
	}
	if !l.firstDate.IsZero() {
		// Issues updated after the listing started have updated_at after
		// the server's clock then; the minute covers second rounding.
		if floor := l.firstDate.Add(-time.Minute); floor.After(st.Cursor) {
			st.Cursor = floor
		}
	}
	st.Since, st.Filtered, st.LastPage, st.Fingerprint, st.Complete = l.since, true, lastPage, fp, true
	st.FullSyncAt, st.Mapping, st.Started = now, c.mapping, ""
	st.FullCursor, st.FullAttempt = time.Time{}, 0
	if len(gone) > 0 {
		c.log().Info("incidents no longer listed", "repository", repo.String(), "count", len(gone))
	}
	return c.update(func(tx *store.Tx) error {
		for _, id := range gone {
			if err := forget(tx, id); err != nil {
				return err
			}
		}
		if err := clearSeen(tx, repo); err != nil {
			return err
		}
		return saveState(tx, repo, st)
	})
}

// stillIncident fetches one issue and returns it if it is still an incident
// of repo, or nil if it was deleted, transferred (GitHub redirects to the
// new repository) or no longer carries the labels.
func (c *Collector) stillIncident(ctx context.Context, repo repository, number int) (*gh.Issue, error) {
	is, resp, err := c.client.Issues.Get(ctx, repo.Owner, repo.Name, number)
	if err != nil {
		if resp != nil && (resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone) {
			return nil, nil
		}
		return nil, classify(fmt.Sprintf("issue #%d", number), err, resp)
	}
	if u := strings.ToLower(is.GetRepositoryURL()); u != "" && !strings.HasSuffix(u, "/repos/"+repo.key) {
		return nil, nil
	}
	if is.IsPullRequest() || !c.matches(labelNames(is)) {
		return nil, nil
	}
	return is, nil
}

// listing is one pass over a repository's issues.
type listing struct {
	repo     repository
	since    time.Time
	filtered bool
	full     bool
	// remap re-reads acknowledge times of unchanged issues (the mapping
	// settings changed).
	remap bool
	// seen collects the numbers of the incident issues listed (full sync).
	seen map[int]bool
	// firstDate is the server's Date header on the first page.
	firstDate time.Time
	// pages counts the pages stored (full sync), naming their seen records.
	pages int
}

// list reads every page, storing each with the cursor in one transaction,
// and returns the last page number and its fingerprint.
func (c *Collector) list(ctx context.Context, l *listing, st *listState) (int, string, error) {
	opts := c.listOptions(l.since, l.filtered, 1)
	for {
		issues, resp, err := c.client.Issues.ListByRepo(ctx, l.repo.Owner, l.repo.Name, opts)
		if err != nil {
			return 0, "", classify(fmt.Sprintf("page %d", opts.Page), err, resp)
		}
		if l.firstDate.IsZero() {
			l.firstDate, _ = http.ParseTime(resp.Header.Get("Date"))
		}
		// A page served from the ETag cache is still de-duplicated against
		// the store rather than skipped: it may have been fetched by a sync
		// that failed before storing it. Unchanged issues cost no requests.
		if err := c.storePage(ctx, l, issues, st); err != nil {
			return 0, "", fmt.Errorf("page %d: %w", opts.Page, err)
		}
		if resp.NextPage == 0 {
			return opts.Page, fingerprint(issues, false), nil
		}
		opts.Page = resp.NextPage
	}
}

// storePage maps one page of issues and stores it together with the
// advanced cursor. Acknowledge times are looked up only for issues that are
// new or changed and not yet acknowledged.
func (c *Collector) storePage(ctx context.Context, l *listing, issues []*gh.Issue, st *listState) error {
	stored := map[string]incident.Incident{}
	err := c.deps.Store.View(c.deps.StoreKey(), func(tx *store.Tx) error {
		for _, is := range issues {
			id := l.repo.incidentID(is.GetNumber())
			inc, ok, err := incident.Get(tx, id)
			if err != nil {
				return err
			}
			if ok {
				stored[id] = inc
			}
		}
		return nil
	})
	if err != nil {
		return collectors.WithReason(collectors.ReasonStore, err)
	}
	var (
		puts     []incident.Incident
		drop     []string
		pageSeen []int
		pageMax  time.Time
		cursor   = st.Cursor
		// ackNotes holds, per incident whose acknowledge time was looked
		// up, why it is unknown ("" when the look-up worked).
		ackNotes = map[string]string{}
	)
	for _, is := range issues {
		u := is.GetUpdatedAt().Time.UTC()
		if u.After(cursor) {
			cursor = u
		}
		if u.After(pageMax) {
			pageMax = u
		}
		if is.IsPullRequest() {
			continue // the issues endpoint also returns pull requests
		}
		id := l.repo.incidentID(is.GetNumber())
		names := labelNames(is)
		if !c.matches(names) {
			drop = append(drop, id)
			continue
		}
		if l.seen != nil {
			l.seen[is.GetNumber()] = true
			pageSeen = append(pageSeen, is.GetNumber())
		}
		inc := c.toIncident(l.repo, is, names)
		old, had := stored[id]
		switch {
		case had && !l.remap && !old.Acknowledged.IsZero():
			inc.Acknowledged = old.Acknowledged
		case had && !l.remap && old.Updated.Equal(inc.Updated):
			// Unchanged and not acknowledged when last seen.
		default:
			ack, err := c.acknowledgedAt(ctx, l.repo, is, names)
			var missing *missingHistoryError
			switch {
			case errors.As(err, &missing) && c.cfg.MissingAckHistory == missingAckSkip:
				// One issue's history is gone: it counts, unacknowledged,
				// rather than failing the refresh for every other issue.
				c.log().Warn("acknowledge time unknown", "issue", id, "err", err)
				ackNotes[id] = missing.note
			case err != nil:
				return err
			default:
				ackNotes[id] = ""
			}
			// A first response after the incident was closed is not an
			// acknowledgement of it.
			if !ack.IsZero() && (inc.Resolved.IsZero() || !ack.After(inc.Resolved)) {
				inc.Acknowledged = ack
			}
		}
		puts = append(puts, inc)
	}
	next := *st
	next.Cursor, next.Complete = cursor, false
	if l.full {
		next.Started = c.mapping
		if pageMax.After(next.FullCursor) {
			next.FullCursor = pageMax
		}
		l.pages++
	}
	err = c.update(func(tx *store.Tx) error {
		for _, inc := range puts {
			if err := inc.Validate(); err != nil {
				c.log().Warn("skipping issue", "issue", inc.ID, "err", err)
				if err := forget(tx, inc.ID); err != nil {
					return err
				}
				if _, err := tx.PutRecord(skippedKind, inc.ID, err.Error()); err != nil {
					return err
				}
				continue
			}
			if _, err := incident.Put(tx, inc); err != nil {
				return err
			}
			if err := tx.DeleteRecord(skippedKind, inc.ID); err != nil {
				return err
			}
			if note, looked := ackNotes[inc.ID]; looked {
				if err := setAckNote(tx, inc.ID, note); err != nil {
					return err
				}
			}
		}
		for _, id := range drop {
			if _, had := stored[id]; had {
				c.log().Info("issue no longer carries the incident labels", "issue", id)
			}
			if err := forget(tx, id); err != nil {
				return err
			}
		}
		if len(pageSeen) > 0 {
			id := fmt.Sprintf("%s#%d/%d", l.repo.key, next.FullAttempt, l.pages)
			if _, err := tx.PutRecord(fullSeenKind, id, pageSeen); err != nil {
				return err
			}
		}
		return saveState(tx, l.repo, next)
	})
	if err != nil {
		return err
	}
	*st = next
	return nil
}

// loadSeen adds to seen the issue numbers that earlier attempts of the
// full listing of repo stored.
func (c *Collector) loadSeen(repo repository, seen map[int]bool) error {
	err := c.deps.Store.View(c.deps.StoreKey(), func(tx *store.Tx) error {
		return tx.ForEachRecord(fullSeenKind, func(id string, data []byte) error {
			if repoOf(id) != repo.key {
				return nil
			}
			var numbers []int
			if err := json.Unmarshal(data, &numbers); err != nil {
				return fmt.Errorf("record %s %s: %w", fullSeenKind, id, err)
			}
			for _, n := range numbers {
				seen[n] = true
			}
			return nil
		})
	})
	if err != nil {
		return collectors.WithReason(collectors.ReasonStore, err)
	}
	return nil
}

// clearSeen forgets what earlier attempts of a full listing of repo saw.
func clearSeen(tx *store.Tx, repo repository) error {
	var ids []string
	if err := tx.ForEachRecord(fullSeenKind, func(id string, _ []byte) error {
		if repoOf(id) == repo.key {
			ids = append(ids, id)
		}
		return nil
	}); err != nil {
		return err
	}
	for _, id := range ids {
		if err := tx.DeleteRecord(fullSeenKind, id); err != nil {
			return err
		}
	}
	return nil
}

// forget deletes an incident and every note about it.
func forget(tx *store.Tx, id string) error {
	if err := incident.Delete(tx, id); err != nil {
		return err
	}
	if err := tx.DeleteRecord(skippedKind, id); err != nil {
		return err
	}
	return tx.DeleteRecord(ackMissingKind, id)
}

// setAckNote records why an incident's acknowledge time is unknown, or
// clears the note when note is empty (the look-up worked).
func setAckNote(tx *store.Tx, id, note string) error {
	if note == "" {
		return tx.DeleteRecord(ackMissingKind, id)
	}
	_, err := tx.PutRecord(ackMissingKind, id, note)
	return err
}

// fingerprint identifies a page by its issues' numbers and update times.
func fingerprint(issues []*gh.Issue, hasNext bool) string {
	h := sha256.New()
	for _, is := range issues {
		fmt.Fprintf(h, "%d:%d;", is.GetNumber(), is.GetUpdatedAt().Time.UnixNano())
	}
	fmt.Fprintf(h, "next=%t", hasNext)
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// classify wraps a go-github error with the object it concerns and the
// upstream reason (rate_limited for go-github's RateLimitError and
// AbuseRateLimitError too), with the token redacted.
func classify(what string, err error, resp *gh.Response) error {
	var hr *http.Response
	if resp != nil {
		hr = resp.Response
	}
	return fmt.Errorf("%s: %w", what, upstream.Classify(err, hr))
}
