// Package incidentsheet is the collector for teams that track incidents by
// hand, in a CSV file next to the config or a Google Sheet published to the
// web as CSV. Rows map into the one incident model (internal/incident), so
// MTTR, MTTA, windows and counters are the same as for Jira or PagerDuty.
package incidentsheet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"sort"
	"time"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/incident"
	"github.com/sre-value/sre-value-exporter/internal/metrics"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
	"github.com/sre-value/sre-value-exporter/internal/store"
	"github.com/sre-value/sre-value-exporter/internal/tabular"
	"github.com/sre-value/sre-value-exporter/internal/upstream"
)

// Kind is the collector kind name in the config.
const Kind = "incidentsheet"

func init() {
	collectors.Register(collectors.Kind{
		Name:             Kind,
		Help:             "Incidents kept by hand in a CSV file or a Google Sheet published as CSV.",
		EnabledByDefault: true,
		Factory:          func(deps collectors.Deps) (collectors.Collector, error) { return newCollector(deps, nil) },
	})
}

// Store keys: the table version read last and the settings it was read
// with, saved in the same transaction as the incidents they produced.
const (
	cursorVersion  = "version"
	cursorSettings = "settings"
	stateKind      = "incidentsheet_state"
	stateID        = "last_read"
)

// maxStoredProblems bounds the invalid-row messages kept for the landing
// page; the count is always exact.
const maxStoredProblems = 100

// Collector reads one incident sheet.
type Collector struct {
	// checks judges the incidents against the format templates.
	checks *incident.Checks
	deps   collectors.Deps
	cfg    *settings
	source tabular.Source
	log    *slog.Logger
}

// state is what the last read of the sheet found, kept in the store so the
// invalid-row gauge and notes survive a restart while the sheet is unchanged.
type state struct {
	Rows     int       `json:"rows"`
	Invalid  int       `json:"invalid"`
	Problems []string  `json:"problems,omitempty"` // the first maxStoredProblems invalid rows
	Unmapped []string  `json:"unmapped,omitempty"`
	Modified time.Time `json:"modified,omitzero"`
}

// newCollector builds a collector; tune adjusts the HTTP options (tests
// replace the clock and sleep).
func newCollector(deps collectors.Deps, tune func(*upstream.Options)) (*Collector, error) {
	cfg, err := parseSettings(deps)
	if err != nil {
		return nil, err
	}
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Collector{deps: deps, cfg: cfg, log: log, checks: incident.NewChecks(deps.Templates)}
	c.source = tabular.Source{Location: cfg.Source, BaseDir: deps.BaseDir, MaxRows: cfg.MaxRows}
	if c.source.IsURL() {
		// The sheet sends its own conditional requests from the version
		// kept in the store, so the transport's ETag cache stays off.
		opts := upstream.Options{
			Observer:  deps.Observer,
			UserAgent: "sre-value-exporter",
			Logger:    log,
		}
		if tune != nil {
			tune(&opts)
		}
		c.source.HTTP = upstream.New(opts).HTTP()
	}
	return c, nil
}

// batchRows is how many incidents one store transaction writes: a sheet
// of typical size is one transaction, and memory stays bounded for a sheet
// of a million rows. A variable for tests.
var batchRows = 100_000

// maxLoggedProblems bounds the invalid rows logged one by one per read.
const maxLoggedProblems = 20

// Sync reads the sheet when it changed, streaming its rows: valid rows are
// upserted in batches, then incidents no longer in the sheet are deleted
// and the version read is saved. A read that fails or runs out of time
// part way keeps every incident's last good version (some may already be
// updated from the new read) and deletes nothing; its version is not
// saved, so the next refresh reads the sheet again.
func (c *Collector) Sync(ctx context.Context) error {
	var prevVersion, prevSettings string
	err := c.deps.Store.View(c.deps.StoreKey(), func(tx *store.Tx) error {
		prevVersion, prevSettings = tx.Cursor(cursorVersion), tx.Cursor(cursorSettings)
		return nil
	})
	if err != nil {
		return c.wrap(collectors.WithReason(collectors.ReasonStore, err))
	}
	if prevSettings != c.cfg.fingerprint {
		// Columns, zone, severity map or catalog changed: read it all again.
		prevVersion = ""
	}
	rows, unchanged, err := c.source.Open(ctx, prevVersion)
	if err != nil {
		return c.wrap(classify(err))
	}
	if unchanged {
		c.log.Debug("sheet unchanged", "input", c.source.Name())
		return nil
	}
	defer rows.Close()
	cols, err := (&tabular.Table{Name: rows.Name, Header: rows.Header, HeaderLine: rows.HeaderLine}).Resolve(wantColumns, c.cfg.Columns)
	if err != nil {
		// A missing column or an ambiguous header: nothing can be trusted,
		// so the last good data stays.
		return c.wrap(collectors.WithReason(collectors.ReasonInvalidData, err))
	}

	sh := newSheet(rows.Name)
	var (
		batch               []incident.Incident
		upserted, incidents int
	)
	for {
		raw, err := rows.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return c.wrap(classify(err))
		}
		problems := len(sh.problems)
		inc, ok := c.cfg.row(sh, cols.Record(raw), c.deps.Catalog)
		if !ok {
			if len(sh.problems) > problems && problems < maxLoggedProblems {
				e := sh.problems[problems]
				c.log.Warn("skipping an incident row", "file", e.File, "line", e.Line, "column", e.Column, "reason", e.Reason)
			}
			continue
		}
		batch = append(batch, inc)
		if len(batch) == batchRows {
			n, err := c.writeBatch(ctx, batch)
			if err != nil {
				return err
			}
			upserted, incidents, batch = upserted+n, incidents+len(batch), batch[:0]
		}
	}
	if sh.invalid > maxLoggedProblems {
		c.log.Warn("more incident rows skipped; not logging each", "source", rows.Name, "count", sh.invalid-maxLoggedProblems)
	}
	n, err := c.writeBatch(ctx, batch)
	if err != nil {
		return err
	}
	upserted, incidents = upserted+n, incidents+len(batch)

	st := state{Rows: sh.rows, Invalid: sh.invalid, Unmapped: sh.unmappedNotes(rows.Name), Modified: rows.Modified}
	for _, e := range sh.problems {
		st.Problems = append(st.Problems, e.Error())
	}
	var deleted int
	err = c.deps.Store.Update(c.deps.StoreKey(), func(tx *store.Tx) error {
		stored, err := incident.IDs(tx)
		if err != nil {
			return err
		}
		for _, id := range sortedIDs(stored) {
			if _, ok := sh.firstLine[id]; !ok {
				if err := incident.Delete(tx, id); err != nil {
					return fmt.Errorf("incident %s: %w", id, err)
				}
				deleted++
			}
		}
		if _, err := tx.PutRecord(stateKind, stateID, st); err != nil {
			return err
		}
		if err := tx.SetCursor(cursorSettings, c.cfg.fingerprint); err != nil {
			return err
		}
		return tx.SetCursor(cursorVersion, rows.Version)
	})
	if err != nil {
		return c.wrap(collectors.WithReason(collectors.ReasonStore, err))
	}
	c.log.Info("sheet read", "input", rows.Name, "rows", sh.rows, "incidents", incidents,
		"invalid_rows", sh.invalid, "changed", upserted, "deleted", deleted)
	return nil
}

// writeBatch upserts incidents in one transaction and says how many changed.
func (c *Collector) writeBatch(ctx context.Context, batch []incident.Incident) (int, error) {
	if len(batch) == 0 {
		return 0, nil
	}
	// In key order, bbolt appends instead of shifting a page per insert,
	// which makes a first read of a large sheet several times faster.
	sort.Slice(batch, func(i, j int) bool { return batch[i].ID < batch[j].ID })
	upserted := 0
	err := c.deps.Store.Update(c.deps.StoreKey(), func(tx *store.Tx) error {
		for i, inc := range batch {
			if i%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			changed, err := incident.Put(tx, inc)
			if err != nil {
				return fmt.Errorf("incident %s: %w", inc.ID, err)
			}
			if changed {
				upserted++
			}
		}
		return nil
	})
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
			// This batch is rolled back; the ones before it are kept.
			return 0, c.wrap(collectors.WithReason(collectors.ReasonTimeout, fmt.Errorf("%s: stopped writing incidents: %w", c.source.Name(), ctxErr)))
		}
		return 0, c.wrap(collectors.WithReason(collectors.ReasonStore, err))
	}
	return upserted, nil
}

func sortedIDs(ids map[string]bool) []string {
	out := make([]string, 0, len(ids))
	for id := range ids {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

func (c *Collector) wrap(err error) error {
	return fmt.Errorf("incidentsheet %s: %w", c.deps.Name(), err)
}

// classify gives a read error its reason for sre_collector_errors_total.
func classify(err error) error {
	var (
		ue *upstream.Error
		he *tabular.HTTPError
		pe *fs.PathError
	)
	switch {
	case errors.As(err, &ue), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err // already classified, or classified by collectors.Reason
	case errors.As(err, &he):
		// Let upstream classify the status the way it does for every API.
		resp := &http.Response{StatusCode: he.StatusCode, Status: he.Status, Header: http.Header{}}
		var classified *upstream.Error
		if errors.As(upstream.Classify(nil, resp), &classified) {
			return collectors.WithReason(classified.Reason(), err)
		}
		return collectors.WithReason(collectors.ReasonOther, err)
	case errors.As(err, &pe):
		return collectors.WithReason(collectors.ReasonOther, err)
	}
	// A malformed CSV, an HTML page instead of CSV, an oversized table.
	return collectors.WithReason(collectors.ReasonInvalidData, err)
}

// Snapshot computes the incident metrics from the store.
func (c *Collector) Snapshot(now time.Time) (*snapshot.Snapshot, error) {
	return incident.Snapshot(c.deps.Store, c.deps.StoreKey(), source, now, c.checks, func(tx *store.Tx, b *snapshot.Builder) error {
		var st state
		found, err := tx.GetRecord(stateKind, stateID, &st)
		if err != nil || !found {
			return err
		}
		b.Gauge(metrics.IncidentSheetInvalidRows, float64(st.Invalid))
		if !st.Modified.IsZero() {
			b.Gauge(metrics.IncidentSheetLastModified, float64(st.Modified.Unix()))
		}
		return nil
	})
}

// Notes lists the rows skipped at the last read and the values the
// catalog or the severity table did not know.
// Notes are the sync's warnings followed by the format findings of the
// last snapshot.
func (c *Collector) Notes() []string {
	return append(c.syncNotes(), c.checks.Notes()...)
}

func (c *Collector) syncNotes() []string {
	var st state
	err := c.deps.Store.View(c.deps.StoreKey(), func(tx *store.Tx) error {
		_, err := tx.GetRecord(stateKind, stateID, &st)
		return err
	})
	if err != nil {
		return []string{fmt.Sprintf("cannot read the last sheet state: %v", err)}
	}
	notes := make([]string, 0, len(st.Problems)+len(st.Unmapped)+1)
	for _, p := range st.Problems {
		notes = append(notes, "skipped row "+p)
	}
	if more := st.Invalid - len(st.Problems); more > 0 {
		notes = append(notes, fmt.Sprintf("and %d more skipped rows (see the log)", more))
	}
	return append(notes, st.Unmapped...)
}

// History loads the stored incidents for backfill (see incident.History).
func (c *Collector) History() (collectors.History, error) {
	return incident.LoadHistory(c.deps.Store, c.deps.StoreKey(), source)
}

// CheckSources reports a source file that does not exist.
func (c *Collector) CheckSources() []error {
	if err := c.deps.CheckLocalFile("source", c.cfg.Source); err != nil {
		return []error{err}
	}
	return nil
}
