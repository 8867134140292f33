package tally

import (
	"path/filepath"
	"reflect"
	"testing"

	"github.com/sre-value/sre-value-exporter/internal/store"
)

func observe(t *testing.T, st *store.Store, fn func(*Tally)) {
	t.Helper()
	err := st.Update("records/demo", func(tx *store.Tx) error {
		tl, err := Load(tx, "attendees")
		if err != nil {
			return err
		}
		fn(tl)
		return tl.Save(tx)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func totals(t *testing.T, st *store.Store) []Total {
	t.Helper()
	var out []Total
	st.View("records/demo", func(tx *store.Tx) error {
		var err error
		out, err = LoadTotals(tx, "attendees")
		return err
	})
	return out
}

func TestCountersCountEachEventOnceAndNeverGoBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	st, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	observe(t, st, func(tl *Tally) {
		tl.Observe("session-1", 10, "kind", "office_hours", "team", "payments")
		tl.Observe("session-2", 5, "kind", "office_hours", "team", "payments")
		tl.Observe("session-1", 10, "kind", "office_hours", "team", "payments") // seen again: no change
		tl.Touch("kind", "workshop", "team", "payments")
	})
	want := []Total{
		{Labels: []string{"kind", "office_hours", "team", "payments"}, Value: 15},
		{Labels: []string{"kind", "workshop", "team", "payments"}, Value: 0},
	}
	if got := totals(t, st); !reflect.DeepEqual(got, want) {
		t.Fatalf("after first sync: %+v", got)
	}
	st.Close()

	// After a restart: a correction upwards adds the difference (12-10), a
	// correction downwards and a re-labelled event change nothing.
	st, err = store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	observe(t, st, func(tl *Tally) {
		tl.Observe("session-1", 12, "kind", "office_hours", "team", "payments")
		tl.Observe("session-2", 3, "kind", "office_hours", "team", "payments")
		tl.Observe("session-2", 5, "kind", "office_hours", "team", "checkout")
	})
	want[0].Value = 17
	if got := totals(t, st); !reflect.DeepEqual(got, want) {
		t.Fatalf("after restart and corrections: %+v", got)
	}
}
