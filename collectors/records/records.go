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
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/catalog"
	"github.com/sre-value/sre-value-exporter/internal/metrics"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
	"github.com/sre-value/sre-value-exporter/internal/store"
	"github.com/sre-value/sre-value-exporter/internal/tabular"
	"github.com/sre-value/sre-value-exporter/internal/tally"
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
	decodeErr := deps.DecodeSettings(&s)
	tables, err := s.validate(deps)
	if err := deps.SettingsErrors(decodeErr, err); err != nil {
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

// batchRows is how many rows one store transaction writes: large enough
// that a table of typical size is one transaction, small enough that memory
// stays bounded for a table of a million rows. A variable for tests.
var batchRows = 100_000

// Stored rows live in one of two kinds per table. A read writes the other
// kind in batches and switches to it at the end, so a read that fails or
// runs out of time half way leaves the last good rows untouched.
func (t *table) generations() [2]string {
	return [2]string{t.recordKind(), t.recordKind() + "/b"}
}

// liveKind is the kind holding the table's last good rows.
func (t *table) liveKind(tx *store.Tx) string {
	if k := tx.Cursor(t.cursor("rows")); k != "" {
		return k
	}
	return t.recordKind()
}

// tableRead is the state of one read of a table as its rows stream in.
type tableRead struct {
	t            *table
	live, next   string // kinds: the last good rows, the rows being written
	sameSettings bool
	cols         *tabular.Columns
	batch        []parsedRow
	stored       int
	invalid      int
	firstInvalid []error // the first maxLoggedInvalidRows
	unmapped     *unmapped
}

func (c *Collector) syncTable(ctx context.Context, t *table) error {
	var stored, live string
	if err := c.deps.Store.View(c.deps.StoreKey(), func(tx *store.Tx) error {
		stored, live = tx.Cursor(t.cursor("version")), t.liveKind(tx)
		return nil
	}); err != nil {
		return collectors.WithReason(collectors.ReasonStore, err)
	}
	prevVersion := ""
	sameSettings := false
	if fp, v, ok := strings.Cut(stored, "|"); ok && fp == t.fingerprint {
		prevVersion, sameSettings = v, true
	}

	rows, unchanged, err := t.source.Open(ctx, prevVersion)
	if err != nil {
		return collectors.WithReason(collectors.TableReadReason(err), fmt.Errorf("table %s: %w", t.name, err))
	}
	if unchanged {
		c.deps.Logger.Debug("table unchanged", "table", t.name, "input", t.source.Name())
		return nil
	}
	defer rows.Close()
	cols, err := (&tabular.Table{Name: rows.Name, Header: rows.Header, HeaderLine: rows.HeaderLine}).Resolve(t.schema.columns(), t.settings.Columns)
	if err != nil {
		return collectors.WithReason(collectors.ReasonInvalidData, fmt.Errorf("table %s: %w", t.name, err))
	}
	cols.DateLayout = t.settings.DateFormat

	r := &tableRead{t: t, live: live, sameSettings: sameSettings, cols: cols, unmapped: newUnmapped(c.deps.Catalog)}
	r.next = t.generations()[0]
	if live == r.next {
		r.next = t.generations()[1]
	}
	// A read that failed before left its rows in the other kind.
	if err := c.deps.Store.Update(c.deps.StoreKey(), func(tx *store.Tx) error { return tx.DeleteKind(r.next) }); err != nil {
		return collectors.WithReason(collectors.ReasonStore, fmt.Errorf("table %s: %w", t.name, err))
	}
	if err := c.readRows(ctx, r, rows); err != nil {
		if ctx.Err() == nil {
			// Not worth keeping until the next read; after a timeout the
			// next read drops it instead, so this one returns now.
			_ = c.deps.Store.Update(c.deps.StoreKey(), func(tx *store.Tx) error { return tx.DeleteKind(r.next) })
		}
		return err
	}

	changed := rows.Modified
	if changed.IsZero() {
		changed = c.deps.Now()
	}
	notes := tableNotes(t, r.invalid, r.firstInvalid, r.unmapped)
	err = c.deps.Store.Update(c.deps.StoreKey(), func(tx *store.Tx) error {
		if err := tx.DeleteKind(r.live); err != nil {
			return err
		}
		noteData, _ := json.Marshal(notes)
		for _, kv := range [][2]string{
			{"rows", r.next},
			{"version", t.fingerprint + "|" + rows.Version},
			{"invalid", strconv.Itoa(r.invalid)},
			{"changed", strconv.FormatInt(changed.Unix(), 10)},
			{"notes", string(noteData)},
		} {
			if err := tx.SetCursor(t.cursor(kv[0]), kv[1]); err != nil {
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
	c.deps.Logger.Info("table synced", "table", t.name, "input", t.source.Name(), "rows", r.stored, "invalid_rows", r.invalid)
	return nil
}

// readRows streams the rows into the next kind, a batch per transaction.
func (c *Collector) readRows(ctx context.Context, r *tableRead, rows *tabular.Rows) error {
	t := r.t
	for {
		raw, err := rows.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return collectors.WithReason(collectors.TableReadReason(err), fmt.Errorf("table %s: %w", t.name, err))
		}
		rec := r.cols.Record(raw)
		// Checked first, so no parse error quotes an oversized cell whole.
		err = rec.Check()
		var (
			row      any
			identity []string
		)
		if err == nil {
			row, identity, err = t.schema.parse(rec)
		}
		if err != nil {
			if r.invalid < maxLoggedInvalidRows {
				r.firstInvalid = append(r.firstInvalid, err)
				c.deps.Logger.Warn("skipping invalid row", "table", t.name, "err", err.Error())
			}
			r.invalid++
			continue
		}
		r.unmapped.check(rec, r.cols)
		r.batch = append(r.batch, parsedRow{id: rowID(t.name, identity), row: row})
		if len(r.batch) == batchRows {
			if err := c.writeBatch(ctx, r); err != nil {
				return err
			}
		}
	}
	if r.invalid > maxLoggedInvalidRows {
		c.deps.Logger.Warn("more invalid rows skipped; not logging each", "table", t.name, "count", r.invalid-maxLoggedInvalidRows)
	}
	return c.writeBatch(ctx, r)
}

// writeBatch stores the batch's rows in the next kind and counts the new or
// changed ones, in one transaction.
func (c *Collector) writeBatch(ctx context.Context, r *tableRead) error {
	t := r.t
	err := c.deps.Store.Update(c.deps.StoreKey(), func(tx *store.Tx) error {
		// Rows with identical identifying cells (two office hours on one
		// day) are told apart by order, which keeps their ids stable.
		seen := map[string]int{}
		for i := range r.batch {
			base := r.batch[i].id
			n, ok := seen[base]
			if !ok {
				n = storedOccurrences(tx, r.next, base)
			}
			n++
			seen[base] = n
			if n > 1 {
				r.batch[i].id = base + "-" + strconv.Itoa(n)
			}
		}
		// Stored in key order: bbolt inserts in random order are quadratic
		// within one transaction.
		sort.Slice(r.batch, func(i, j int) bool { return r.batch[i].id < r.batch[j].id })
		counters := newTallies(tx, c.deps.Catalog)
		for i, p := range r.batch {
			if i%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			data, err := json.Marshal(p.row)
			if err != nil {
				return fmt.Errorf("encode row %s: %w", p.id, err)
			}
			// A row stored unchanged was counted when it was stored;
			// skipping it spares loading every tally when a sheet is
			// re-published without edits. New settings (or a new format
			// version) count every row again, which the tallies absorb, so
			// a counter added later still sees old rows.
			if !r.sameSettings || !bytes.Equal(tx.RecordData(r.live, p.id), data) {
				t.schema.count(counters, p.id, p.row)
			}
			if err := tx.PutRecordData(r.next, p.id, data); err != nil {
				return err
			}
		}
		return counters.Save()
	})
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
			// Rolled back: the last good rows stay.
			return collectors.WithReason(collectors.ReasonTimeout, fmt.Errorf("table %s: stopped after %d rows: %w", t.name, r.stored, ctxErr))
		}
		return collectors.WithReason(collectors.ReasonStore, fmt.Errorf("table %s: %w", t.name, err))
	}
	r.stored += len(r.batch)
	r.batch = r.batch[:0]
	return nil
}

// storedOccurrences is how many rows with the base id the kind already
// holds (base, base-2, base-3, ...), found with O(log n) lookups.
func storedOccurrences(tx *store.Tx, kind, base string) int {
	exists := func(n int) bool {
		id := base
		if n > 1 {
			id += "-" + strconv.Itoa(n)
		}
		return tx.RecordData(kind, id) != nil
	}
	if !exists(1) {
		return 0
	}
	lo, hi := 1, 2 // exists(lo), and hi is to be probed
	for exists(hi) {
		lo, hi = hi, hi*2
	}
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if exists(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

func tableNotes(t *table, invalid int, firstInvalid []error, unmapped *unmapped) []string {
	notes := []string{}
	for i, err := range firstInvalid {
		if i == maxNotedInvalidRows {
			break
		}
		notes = append(notes, fmt.Sprintf("table %s: skipped invalid row: %v", t.name, err))
	}
	if more := invalid - min(len(firstInvalid), maxNotedInvalidRows); more > 0 {
		notes = append(notes, fmt.Sprintf("table %s: %d more invalid rows skipped (see the log)", t.name, more))
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
		var counterSpecs []*metrics.Family
		for _, t := range c.tables {
			key := t.schema.aggregateKey()
			agg, ok := aggregators[key]
			if !ok {
				agg = t.schema.newAggregator(now, c.deps.Catalog)
				aggregators[key] = agg
				order = append(order, key)
			}
			rows := 0
			if err := tx.ForEachRecord(t.liveKind(tx), func(id string, data []byte) error {
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
				if !counterSeen[spec.Name] {
					counterSeen[spec.Name] = true
					counterSpecs = append(counterSpecs, spec)
				}
			}
		}
		for _, key := range order {
			aggregators[key].emit(b)
		}
		return tally.Emit(b, tx, counterSpecs...)
	})
	if err != nil {
		return nil, collectors.WithReason(collectors.ReasonStore, err)
	}
	return b.Build()
}

func emitTableMetrics(b *snapshot.Builder, tx *store.Tx, t *table, rows int) {
	b.Info(metrics.RecordsTableInfo, "table", t.name, "type", t.settings.Type)
	b.Gauge(metrics.RecordsRows, float64(rows), "table", t.name)
	invalid, _ := strconv.Atoi(tx.Cursor(t.cursor("invalid")))
	b.Gauge(metrics.RecordsInvalidRows, float64(invalid), "table", t.name)
	if changed, err := strconv.ParseInt(tx.Cursor(t.cursor("changed")), 10, 64); err == nil {
		b.Gauge(metrics.RecordsSourceLastChange, float64(changed), "table", t.name)
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

// CheckSources reports the tables whose local file does not exist.
func (c *Collector) CheckSources() []error {
	var errs []error
	for i, t := range c.tables {
		if err := c.deps.CheckLocalFile(fmt.Sprintf("tables[%d].source", i), t.settings.Source); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}
