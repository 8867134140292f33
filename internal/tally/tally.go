// Package tally keeps cumulative counters that never go backwards, even when
// the records behind them are edited, deleted or re-labelled upstream, and
// across restarts (the state lives in the store).
//
// Semantics, the same for every collector: each event (a record ID) is
// counted once, under the labels it had when first counted. If its value
// later grows (an event's attendee count corrected upwards), the difference
// is added; decreases, deletions and label changes are not subtracted. Exact
// current figures come from the windowed gauges instead.
package tally

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/sre-value/sre-value-exporter/internal/metrics"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
	"github.com/sre-value/sre-value-exporter/internal/store"
)

// Tally is one counter family's state within one store transaction. Totals
// are loaded up front; events are looked up one at a time as they are
// observed, so a sync that touches a few rows does not decode every event
// ever counted.
type Tally struct {
	name   string
	bucket *bolt.Bucket       // nil in a read-only view of an empty tally
	seen   map[string]counted // events looked up or changed in this transaction
	totals map[string]float64 // label key -> total
	dirty  map[string]bool    // event IDs changed since load
	err    error              // first corrupt event met, returned by Save
}

type counted struct {
	Labels string
	Value  float64
}

// storedEvent is how a counted event is saved. Its labels are a list
// because sep is not valid UTF-8, which JSON would replace with U+FFFD;
// Legacy reads events saved as one joined string before that was fixed.
type storedEvent struct {
	Labels []string `json:"ls,omitempty"`
	Legacy string   `json:"l,omitempty"`
	Value  float64  `json:"v"`
}

func (c counted) MarshalJSON() ([]byte, error) {
	var labels []string
	if c.Labels != "" {
		labels = strings.Split(c.Labels, sep)
	}
	return json.Marshal(storedEvent{Labels: labels, Value: c.Value})
}

func (c *counted) UnmarshalJSON(data []byte) error {
	var s storedEvent
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	c.Value = s.Value
	if s.Labels != nil {
		c.Labels = strings.Join(s.Labels, sep)
	} else {
		c.Labels = strings.ReplaceAll(s.Legacy, "\ufffd", sep)
	}
	return nil
}

const sep = "\xff"

// Load opens the tally name in the collector's transaction; the Tally is
// only valid inside that transaction.
func Load(tx *store.Tx, name string) (*Tally, error) {
	b, err := tx.Bucket("tally:" + name)
	if err != nil {
		return nil, fmt.Errorf("tally %s: %w", name, err)
	}
	t := &Tally{name: name, bucket: b, seen: map[string]counted{}, totals: map[string]float64{}, dirty: map[string]bool{}}
	if err := t.loadTotals(); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *Tally) loadTotals() error {
	if t.bucket == nil {
		return nil
	}
	c := t.bucket.Cursor()
	for k, v := c.Seek([]byte("t:")); k != nil && strings.HasPrefix(string(k), "t:"); k, v = c.Next() {
		if len(v) != 8 {
			return fmt.Errorf("tally %s: total %q is corrupt", t.name, k)
		}
		t.totals[string(k[2:])] = math.Float64frombits(binary.BigEndian.Uint64(v))
	}
	return nil
}

// LoadTotals reads only the totals of tally name, for building a snapshot.
func LoadTotals(tx *store.Tx, name string) ([]Total, error) {
	t, err := Load(tx, name)
	if err != nil {
		return nil, err
	}
	return t.Totals(), nil
}

// lookup returns what was counted for event id so far.
func (t *Tally) lookup(id string) (counted, bool) {
	if c, ok := t.seen[id]; ok {
		return c, true
	}
	if t.bucket == nil {
		return counted{}, false
	}
	v := t.bucket.Get([]byte("e:" + id))
	if v == nil {
		return counted{}, false
	}
	var c counted
	if err := json.Unmarshal(v, &c); err != nil {
		if t.err == nil {
			t.err = fmt.Errorf("tally %s: event %q is corrupt: %w", t.name, id, err)
		}
		return counted{}, false
	}
	t.seen[id] = c
	return c, true
}

// Observe counts event id with value under labels (name/value pairs), once;
// a later, larger value for the same event adds the difference.
func (t *Tally) Observe(id string, value float64, labels ...string) {
	prev, ok := t.lookup(id)
	if ok {
		if value <= prev.Value {
			return
		}
		t.totals[prev.Labels] += value - prev.Value
		t.seen[id] = counted{Labels: prev.Labels, Value: value}
		t.dirty[id] = true
		return
	}
	key := strings.Join(labels, sep)
	t.totals[key] += value
	t.seen[id] = counted{Labels: key, Value: value}
	t.dirty[id] = true
}

// Touch makes sure the label set is exported, at zero if never counted, so
// that rate() sees a series from its first scrape.
func (t *Tally) Touch(labels ...string) {
	key := strings.Join(labels, sep)
	if _, ok := t.totals[key]; !ok {
		t.totals[key] = 0
	}
}

// Save writes what changed since Load.
func (t *Tally) Save(tx *store.Tx) error {
	if t.err != nil {
		return t.err
	}
	b, err := tx.Bucket("tally:" + t.name)
	if err != nil || b == nil {
		return fmt.Errorf("tally %s: cannot save in a read-only transaction: %v", t.name, err)
	}
	// Keys go in sorted: bbolt splits nodes only at commit, so many puts in
	// random order make each insert move the whole node (quadratic).
	ids := make([]string, 0, len(t.dirty))
	for id := range t.dirty {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		data, _ := json.Marshal(t.seen[id])
		if err := b.Put([]byte("e:"+id), data); err != nil {
			return err
		}
	}
	keys := make([]string, 0, len(t.totals))
	for key := range t.totals {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		v := t.totals[key]
		// bbolt keeps the value slice until commit, so each Put needs its own.
		buf := make([]byte, 8)
		binary.BigEndian.PutUint64(buf, math.Float64bits(v))
		if err := b.Put([]byte("t:"+key), buf); err != nil {
			return err
		}
	}
	t.dirty = map[string]bool{}
	return nil
}

// Total is one label set's counter value.
type Total struct {
	Labels []string // name/value pairs
	Value  float64
}

// Totals returns every label set's total, sorted by labels.
func (t *Tally) Totals() []Total {
	keys := make([]string, 0, len(t.totals))
	for k := range t.totals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]Total, 0, len(keys))
	for _, k := range keys {
		var labels []string
		if k != "" {
			labels = strings.Split(k, sep)
		}
		out = append(out, Total{Labels: labels, Value: t.totals[k]})
	}
	return out
}

// History replays one counter family's events in time, for backfill: the
// value at a past instant counts the events dated up to it, each with the
// value and under the labels the tally holds. Dates come from the records
// (the tally keeps none); an event whose record is gone, or has no date,
// counts from the first instant: its history is lost, and counting it from
// the start keeps the counter from jumping where history joins live data.
type History struct {
	family *metrics.Family
	keys   []string // label keys, sorted
	index  map[string]int
	events []timedEvent // in tally key order
	totals []float64    // the stored totals by keys index
}

type timedEvent struct {
	at    time.Time // zero: from the first instant
	key   int
	value float64
}

// LoadHistory reads the events and totals of family f from tx; when
// returns an event's date (ok false when unknown).
func LoadHistory(tx *store.Tx, f *metrics.Family, when func(id string) (time.Time, bool)) (*History, error) {
	t, err := Load(tx, f.Name)
	if err != nil {
		return nil, err
	}
	h := &History{family: f, index: map[string]int{}}
	for _, total := range t.Totals() {
		key := strings.Join(total.Labels, sep)
		h.index[key] = len(h.keys)
		h.keys = append(h.keys, key)
		h.totals = append(h.totals, total.Value)
	}
	if t.bucket == nil {
		return h, nil
	}
	c := t.bucket.Cursor()
	for k, v := c.Seek([]byte("e:")); k != nil && strings.HasPrefix(string(k), "e:"); k, v = c.Next() {
		var e counted
		if err := json.Unmarshal(v, &e); err != nil {
			return nil, fmt.Errorf("tally %s: event %q is corrupt: %w", f.Name, k[2:], err)
		}
		i, ok := h.index[e.Labels]
		if !ok {
			return nil, fmt.Errorf("tally %s: event %q has labels without a total", f.Name, k[2:])
		}
		at, _ := when(string(k[2:]))
		h.events = append(h.events, timedEvent{at: at, key: i, value: e.Value})
	}
	return h, nil
}

// Emit adds the family's counters as of at to b: label sets counted by
// then, and those exported at zero from the start (Touch). A sum is
// capped at the stored total, so float rounding in another order can
// never make the last sample exceed the live value (which would read as a
// counter reset); once every event is dated by at, the value is the total.
func (h *History) Emit(b *snapshot.Builder, at time.Time) {
	sums := make([]float64, len(h.keys))
	seen := make([]bool, len(h.keys))
	complete := make([]bool, len(h.keys))
	for i := range complete {
		complete[i] = true
	}
	for _, e := range h.events {
		if e.at.After(at) {
			complete[e.key] = false
			continue
		}
		sums[e.key] += e.value
		seen[e.key] = true
	}
	for i, key := range h.keys {
		if !seen[i] && h.totals[i] != 0 {
			continue
		}
		v := min(sums[i], h.totals[i])
		if complete[i] {
			v = h.totals[i]
		}
		var labels []string
		if key != "" {
			labels = strings.Split(key, sep)
		}
		b.Counter(h.family, v, labels...)
	}
}
