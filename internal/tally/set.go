package tally

import (
	"github.com/sre-value/sre-value-exporter/internal/metrics"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
	"github.com/sre-value/sre-value-exporter/internal/store"
)

// Set loads the tallies of the counter families a sync touches, each on
// first use, within the sync's transaction. A tally is stored under its
// family's name.
type Set struct {
	tx     *store.Tx
	loaded map[string]*Tally
	order  []string
	err    error
}

// NewSet returns an empty set working in tx.
func NewSet(tx *store.Tx) *Set {
	return &Set{tx: tx, loaded: map[string]*Tally{}}
}

// Observe counts event id of family f once (see Tally.Observe). The first
// error loading a tally is returned by Save.
func (s *Set) Observe(f *metrics.Family, id string, value float64, labels ...string) {
	t, ok := s.loaded[f.Name]
	if !ok {
		var err error
		if t, err = Load(s.tx, f.Name); err != nil {
			if s.err == nil {
				s.err = err
			}
			return
		}
		s.loaded[f.Name] = t
		s.order = append(s.order, f.Name)
	}
	t.Observe(id, value, labels...)
}

// Save writes every tally that was loaded.
func (s *Set) Save() error {
	if s.err != nil {
		return s.err
	}
	for _, name := range s.order {
		if err := s.loaded[name].Save(s.tx); err != nil {
			return err
		}
	}
	return nil
}

// Emit exports the stored totals of counter families into b.
func Emit(b *snapshot.Builder, tx *store.Tx, families ...*metrics.Family) error {
	for _, f := range families {
		totals, err := LoadTotals(tx, f.Name)
		if err != nil {
			return err
		}
		for _, t := range totals {
			b.Counter(f, t.Value, t.Labels...)
		}
	}
	return nil
}
