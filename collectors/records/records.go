// Package records is the collector for hand-kept records: CSV files or
// published Google Sheets in which an SRE team logs what it does for the
// organisation (training, events, newsletters, surveys, champions, savings,
// practice adoption, collaboration, or any table with custom metrics).
//
// Sync reads each table, skips it when its version has not changed, stores
// the valid rows and counts them into the monotonic counters; Snapshot
// computes the current and windowed figures from the store.
package records

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/catalog"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
	"github.com/sre-value/sre-value-exporter/internal/store"
	"github.com/sre-value/sre-value-exporter/internal/tabular"
	"github.com/sre-value/sre-value-exporter/internal/upstream"
)

func init() {
	collectors.Register(collectors.Kind{
		Name:             "records",
		Help:             "Hand-kept records (training, events, newsletters, surveys, champions, savings, adoption, collaboration, custom) from CSV files or published Google Sheets.",
		EnabledByDefault: true,
		Factory:          New,
	})
}

// formatVersion is part of every table's stored cursor; bumping it makes
// every table re-parse once, for when the stored row format changes.
const formatVersion = "records/1"

// Limits on what a bad file can flood the logs and landing page with.
const (
	maxLoggedInvalidRows = 20
	maxNotedInvalidRows  = 5
)

// Collector is one configured records instance.
type Collector struct {
	deps   collectors.Deps
	tables []*table

	mu    sync.Mutex
	notes map[string][]string // table name -> notes; nil until loaded from the store
}

// table is one configured table.
type table struct {
	name        string
	settings    tableSettings
	schema      schema
	source      tabular.Source
	fingerprint string // of the settings, so a config change re-parses
}

func (t *table) recordKind() string        { return "table:" + t.name }
func (t *table) cursor(what string) string { return "table:" + t.name + ":" + what }

// New validates the settings and builds the collector; it reads no table.
func New(deps collectors.Deps) (collectors.Collector, error) {
	var s settings
	if err := deps.DecodeSettings(&s); err != nil {
		return nil, err
	}
	tables, err := s.validate(deps)
	if err != nil {
		return nil, err
	}
	var client *http.Client
	for _, t := range tables {
		if !t.source.IsURL() {
			continue
		}
		if client == nil {
			var secrets []string
			for _, t := range tables {
				if _, q, ok := strings.Cut(t.settings.Source, "?"); ok && q != "" {
					secrets = append(secrets, q)
				}
			}
			client = upstream.New(upstream.Options{
				Timeout:   time.Duration(deps.Config.Timeout),
				Observer:  deps.Observer,
				Secrets:   secrets,
				UserAgent: "sre-value-exporter",
			}).HTTP()
		}
		t.source.HTTP = client
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Catalog == nil {
		deps.Catalog = &catalog.Catalog{}
	}
	return &Collector{deps: deps, tables: tables}, nil
}

// Sync reads every table. A table that cannot be read keeps its last good
// rows; the others are still synced, and the errors are returned together.
func (c *Collector) Sync(ctx context.Context) error {
	var errs []error
	for _, t := range c.tables {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := c.syncTable(ctx, t); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// parsedRow is a valid row on its way into the store.
type parsedRow struct {
	id  string
	row any
}

func (c *Collector) syncTable(ctx context.Context, t *table) error {
	var stored string
	if err := c.deps.Store.View(c.deps.StoreKey(), func(tx *store.Tx) error {
		stored = tx.Cursor(t.cursor("version"))
		return nil
	}); err != nil {
		return collectors.WithReason(collectors.ReasonStore, err)
	}
	prevVersion := ""
	sameSettings := false
	if fp, v, ok := strings.Cut(stored, "|"); ok && fp == t.fingerprint {
		prevVersion, sameSettings = v, true
	}

	tbl, unchanged, err := t.source.Read(ctx, prevVersion)
	if err != nil {
		return collectors.WithReason(readReason(err), fmt.Errorf("table %s: %w", t.name, err))
	}
	if unchanged {
		c.deps.Logger.Debug("table unchanged", "table", t.name, "input", t.source.Name())
		return nil
	}
	cols, err := tbl.Resolve(t.schema.columns(), t.settings.Columns)
	if err != nil {
		return collectors.WithReason(collectors.ReasonInvalidData, fmt.Errorf("table %s: %w", t.name, err))
	}
	cols.DateLayout = t.settings.DateFormat

	rows := make([]parsedRow, 0, len(tbl.Rows))
	occurrences := make(map[string]int, len(tbl.Rows))
	var invalid []error
	unmapped := newUnmapped(c.deps.Catalog)
	for _, raw := range tbl.Rows {
		rec := cols.Record(raw)
		row, identity, err := t.schema.parse(rec)
		if err != nil {
			invalid = append(invalid, err)
			continue
		}
		unmapped.check(rec, cols)
		id := rowID(t.name, identity)
		occurrences[id]++
		if n := occurrences[id]; n > 1 {
			// Identical identifying cells (two office hours on one day) are
			// told apart by order, which keeps their ids stable.
			id += "-" + strconv.Itoa(n)
		}
		rows = append(rows, parsedRow{id: id, row: row})
	}
	c.logInvalid(t, invalid)
	// Stored in key order: bbolt inserts in random order are quadratic
	// within one transaction.
	sort.Slice(rows, func(i, j int) bool { return rows[i].id < rows[j].id })

	changed := tbl.Modified
	if changed.IsZero() {
		changed = c.deps.Now()
	}
	notes := tableNotes(t, invalid, unmapped)
	err = c.deps.Store.Update(c.deps.StoreKey(), func(tx *store.Tx) error {
		kind := t.recordKind()
		gone := map[string]bool{}
		if err := tx.ForEachRecord(kind, func(id string, _ []byte) error {
			gone[id] = true
			return nil
		}); err != nil {
			return err
		}
		counters := newTallies(tx, c.deps.Catalog)
		for _, r := range rows {
			changed, err := tx.PutRecord(kind, r.id, r.row)
			if err != nil {
				return err
			}
			delete(gone, r.id)
			// A row stored unchanged was counted when it was stored, in the
			// same transaction; skipping it spares loading every tally when
			// a sheet is re-published without edits. New settings (or a new
			// format version) count every row again, which the tallies
			// absorb, so a counter added later still sees old rows.
			if changed || !sameSettings {
				t.schema.count(counters, r.id, r.row)
			}
		}
		for _, id := range sortedKeys(gone) {
			if err := tx.DeleteRecord(kind, id); err != nil {
				return err
			}
		}
		if err := counters.save(); err != nil {
			return err
		}
		noteData, _ := json.Marshal(notes)
		for name, value := range map[string]string{
			"version": t.fingerprint + "|" + tbl.Version,
			"invalid": strconv.Itoa(len(invalid)),
			"changed": strconv.FormatInt(changed.Unix(), 10),
			"notes":   string(noteData),
		} {
			if err := tx.SetCursor(t.cursor(name), value); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return collectors.WithReason(collectors.ReasonStore, fmt.Errorf("table %s: %w", t.name, err))
	}
	c.mu.Lock()
	if c.notes != nil {
		c.notes[t.name] = notes
	}
	c.mu.Unlock()
	c.deps.Logger.Info("table synced", "table", t.name, "input", t.source.Name(), "rows", len(rows), "invalid_rows", len(invalid))
	return nil
}

func (c *Collector) logInvalid(t *table, invalid []error) {
	for i, err := range invalid {
		if i == maxLoggedInvalidRows {
			c.deps.Logger.Warn("more invalid rows skipped; not logging each", "table", t.name, "count", len(invalid)-i)
			return
		}
		c.deps.Logger.Warn("skipping invalid row", "table", t.name, "err", err.Error())
	}
}

func tableNotes(t *table, invalid []error, unmapped *unmapped) []string {
	notes := []string{}
	for i, err := range invalid {
		if i == maxNotedInvalidRows {
			notes = append(notes, fmt.Sprintf("table %s: %d more invalid rows skipped (see the log)", t.name, len(invalid)-i))
			break
		}
		notes = append(notes, fmt.Sprintf("table %s: skipped invalid row: %v", t.name, err))
	}
	return append(notes, unmapped.notes(t)...)
}

// Notes lists the invalid rows (the first few per table) and the team and
// service values the catalog does not know, for the landing page.
func (c *Collector) Notes() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.notes == nil {
		c.notes = map[string][]string{}
		_ = c.deps.Store.View(c.deps.StoreKey(), func(tx *store.Tx) error {
			for _, t := range c.tables {
				var notes []string
				if data := tx.Cursor(t.cursor("notes")); data != "" && json.Unmarshal([]byte(data), &notes) == nil {
					c.notes[t.name] = notes
				}
			}
			return nil
		})
	}
	var out []string
	for _, t := range c.tables {
		out = append(out, c.notes[t.name]...)
	}
	return out
}

// Snapshot computes every table's metrics from the store as of now.
func (c *Collector) Snapshot(now time.Time) (*snapshot.Snapshot, error) {
	b := snapshot.NewBuilder()
	err := c.deps.Store.View(c.deps.StoreKey(), func(tx *store.Tx) error {
		aggregators := map[string]aggregator{}
		var order []string
		counterSeen := map[string]bool{}
		var counterSpecs []counterSpec
		for _, t := range c.tables {
			key := t.schema.aggregateKey()
			agg, ok := aggregators[key]
			if !ok {
				agg = t.schema.newAggregator(now, c.deps.Catalog)
				aggregators[key] = agg
				order = append(order, key)
			}
			rows := 0
			if err := tx.ForEachRecord(t.recordKind(), func(id string, data []byte) error {
				rows++
				if err := agg.add(data); err != nil {
					return fmt.Errorf("table %s: stored row %s: %w", t.name, id, err)
				}
				return nil
			}); err != nil {
				return err
			}
			emitTableMetrics(b, tx, t, rows)
			for _, spec := range t.schema.counters() {
				if !counterSeen[spec.name] {
					counterSeen[spec.name] = true
					counterSpecs = append(counterSpecs, spec)
				}
			}
		}
		for _, key := range order {
			aggregators[key].emit(b)
		}
		return emitCounters(b, tx, counterSpecs)
	})
	if err != nil {
		return nil, collectors.WithReason(collectors.ReasonStore, err)
	}
	return b.Build()
}

func emitTableMetrics(b *snapshot.Builder, tx *store.Tx, t *table, rows int) {
	b.Info("sre_records_table_info", "A configured records table and its type; 1 per table.", "table", t.name, "type", t.settings.Type)
	b.Gauge("sre_records_rows", "Valid rows of the table as of its last successful read.", float64(rows), "table", t.name)
	invalid, _ := strconv.Atoi(tx.Cursor(t.cursor("invalid")))
	b.Gauge("sre_records_invalid_rows", "Rows of the table skipped as invalid in its last successful read (see the log or the landing page for why).", float64(invalid), "table", t.name)
	if changed, err := strconv.ParseInt(tx.Cursor(t.cursor("changed")), 10, 64); err == nil {
		b.Gauge("sre_records_source_last_change_timestamp_seconds", "When the table's content last changed: the file's modification time, the server's Last-Modified, or when the exporter first saw the new content.", float64(changed), "table", t.name)
	}
}

// rowID is a stable id from the table and a row's identifying cells.
func rowID(table string, identity []string) string {
	h := sha256.New()
	h.Write([]byte(table))
	for _, v := range identity {
		h.Write([]byte{0})
		h.Write([]byte(v))
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// readReason classifies a read error for sre_collector_errors_total.
func readReason(err error) string {
	var he *tabular.HTTPError
	if errors.As(err, &he) {
		switch {
		case he.StatusCode == http.StatusUnauthorized || he.StatusCode == http.StatusForbidden:
			return collectors.ReasonAuth
		case he.StatusCode == http.StatusTooManyRequests:
			return collectors.ReasonRateLimited
		case he.StatusCode >= 500:
			return collectors.ReasonServer
		}
		return collectors.ReasonClient
	}
	if r := collectors.Reason(err); r != collectors.ReasonOther {
		return r
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return collectors.ReasonOther // a missing or unreadable file
	}
	return collectors.ReasonInvalidData // empty or malformed CSV, an HTML page
}
