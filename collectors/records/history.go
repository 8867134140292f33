package records

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/metrics"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
	"github.com/sre-value/sre-value-exporter/internal/store"
	"github.com/sre-value/sre-value-exporter/internal/tally"
)

// dated is implemented by the schemas whose rows say when they happened,
// so that backfill can replay them; custom tables are not (their families
// are the user's, not the catalog's).
type dated interface {
	// asOf returns the stored row as it was at at, or ok false when it did
	// not exist yet (a training completed after at is only an enrolment).
	asOf(data []byte, at int64) (row []byte, ok bool, err error)
	// when is when the row's counted events happened.
	when(data []byte) (int64, error)
}

// dateOf decodes the one date field a row type is known by.
func dateOf[R any](data []byte, date func(*R) int64) (int64, error) {
	var r R
	if err := json.Unmarshal(data, &r); err != nil {
		return 0, err
	}
	return date(&r), nil
}

// existsFrom is asOf for rows that appear at their date and never change.
func existsFrom[R any](data []byte, at int64, date func(*R) int64) ([]byte, bool, error) {
	t, err := dateOf(data, date)
	return data, err == nil && t <= at, err
}

func eventDate(r *eventRow) int64           { return r.Date }
func newsletterDate(r *newsletterRow) int64 { return r.Sent }
func surveyDate(r *surveyRow) int64         { return r.Date }
func savingDate(r *savingRow) int64         { return r.Date }
func adoptionDate(r *adoptionRow) int64     { return r.Date } // 0: undated, there all along
func championSince(r *championRow) int64    { return r.Since }
func collaborationDate(r *collaborationRow) int64 {
	return r.Date
}
func trainingEnrolled(r *trainingRow) int64 { return r.Enrolled }

// sloDate is the end of the reported period: the figures are known from then.
func sloDate(r *sloRow) int64 { return r.Date }

func (sloSchema) asOf(d []byte, at int64) ([]byte, bool, error) {
	return existsFrom(d, at, sloDate)
}
func (sloSchema) when(d []byte) (int64, error) { return dateOf(d, sloDate) }

func (*eventsSchema) asOf(d []byte, at int64) ([]byte, bool, error) {
	return existsFrom(d, at, eventDate)
}
func (*eventsSchema) when(d []byte) (int64, error) { return dateOf(d, eventDate) }
func (newsletterSchema) asOf(d []byte, at int64) ([]byte, bool, error) {
	return existsFrom(d, at, newsletterDate)
}
func (newsletterSchema) when(d []byte) (int64, error) { return dateOf(d, newsletterDate) }
func (surveysSchema) asOf(d []byte, at int64) ([]byte, bool, error) {
	return existsFrom(d, at, surveyDate)
}
func (surveysSchema) when(d []byte) (int64, error) { return dateOf(d, surveyDate) }
func (savingsSchema) asOf(d []byte, at int64) ([]byte, bool, error) {
	return existsFrom(d, at, savingDate)
}
func (savingsSchema) when(d []byte) (int64, error) { return dateOf(d, savingDate) }
func (adoptionSchema) asOf(d []byte, at int64) ([]byte, bool, error) {
	return existsFrom(d, at, adoptionDate)
}
func (adoptionSchema) when(d []byte) (int64, error) { return dateOf(d, adoptionDate) }
func (championsSchema) asOf(d []byte, at int64) ([]byte, bool, error) {
	return existsFrom(d, at, championSince)
}
func (championsSchema) when(d []byte) (int64, error) { return dateOf(d, championSince) }
func (collaborationSchema) asOf(d []byte, at int64) ([]byte, bool, error) {
	return existsFrom(d, at, collaborationDate)
}
func (collaborationSchema) when(d []byte) (int64, error) { return dateOf(d, collaborationDate) }

// asOf of a training row: enrolled from its enrolment date, completed (and
// certified) only from its completion date.
func (trainingSchema) asOf(d []byte, at int64) ([]byte, bool, error) {
	var r trainingRow
	if err := json.Unmarshal(d, &r); err != nil {
		return nil, false, err
	}
	if r.Enrolled > at {
		return nil, false, nil
	}
	if r.Completed == 0 || r.Completed <= at {
		return d, true, nil
	}
	r.Completed, r.Certification = 0, ""
	out, err := json.Marshal(r)
	return out, true, err
}
func (trainingSchema) when(d []byte) (int64, error) { return dateOf(d, trainingEnrolled) }

// history holds the collector's stored rows and counter events in memory.
type history struct {
	c        *Collector
	tables   []historyTable
	counters []*tally.History
}

type historyTable struct {
	t    *table
	rows [][]byte
}

// History loads every dated table's rows and the counters' events once.
func (c *Collector) History() (collectors.History, error) {
	h := &history{c: c}
	err := c.deps.Store.View(c.deps.StoreKey(), func(tx *store.Tx) error {
		when := map[string]time.Time{}
		seen := map[string]bool{}
		var families []*metrics.Family
		for _, t := range c.tables {
			d, ok := t.schema.(dated)
			if !ok {
				continue
			}
			ht := historyTable{t: t}
			if err := tx.ForEachRecord(t.liveKind(tx), func(id string, data []byte) error {
				at, err := d.when(data)
				if err != nil {
					return fmt.Errorf("table %s: stored row %s: %w", t.name, id, err)
				}
				if at != 0 {
					when[id] = fromUnix(at)
				}
				ht.rows = append(ht.rows, append([]byte(nil), data...))
				return nil
			}); err != nil {
				return err
			}
			h.tables = append(h.tables, ht)
			for _, f := range t.schema.counters() {
				if !seen[f.Name] {
					seen[f.Name] = true
					families = append(families, f)
				}
			}
		}
		for _, f := range families {
			th, err := tally.LoadHistory(tx, f, func(id string) (time.Time, bool) {
				t, ok := when[id]
				return t, ok
			})
			if err != nil {
				return err
			}
			h.counters = append(h.counters, th)
		}
		return nil
	})
	if err != nil {
		return nil, collectors.WithReason(collectors.ReasonStore, err)
	}
	return h, nil
}

// SnapshotAt computes the dated tables' figures as of at, with the same
// aggregators as Snapshot.
func (h *history) SnapshotAt(at time.Time) (*snapshot.Snapshot, error) {
	b := snapshot.NewBuilder()
	aggregators := map[string]aggregator{}
	var order []string
	for _, ht := range h.tables {
		key := ht.t.schema.aggregateKey()
		agg, ok := aggregators[key]
		if !ok {
			agg = ht.t.schema.newAggregator(at, h.c.deps.Catalog)
			aggregators[key] = agg
			order = append(order, key)
		}
		d := ht.t.schema.(dated)
		for _, data := range ht.rows {
			row, ok, err := d.asOf(data, at.Unix())
			if err != nil {
				return nil, fmt.Errorf("table %s: %w", ht.t.name, err)
			}
			if !ok {
				continue
			}
			if err := agg.add(row); err != nil {
				return nil, fmt.Errorf("table %s: %w", ht.t.name, err)
			}
		}
	}
	for _, key := range order {
		aggregators[key].emit(b)
	}
	for _, c := range h.counters {
		c.Emit(b, at)
	}
	return b.Build()
}
