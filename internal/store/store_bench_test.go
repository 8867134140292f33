package store

import (
	"fmt"
	"path/filepath"
	"testing"
)

// BenchmarkWrite100kRecords measures a large sync: 100k records written in
// one transaction into a fresh store, the way a first sync of a big table
// lands.
func BenchmarkWrite100kRecords(b *testing.B) {
	rec := map[string]string{"summary": "Checkout latency above SLO", "team": "payments", "severity": "SEV2"}
	ids := make([]string, 100_000)
	for i := range ids {
		ids[i] = fmt.Sprintf("OPS-%06d", i)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st, err := Open(filepath.Join(b.TempDir(), fmt.Sprintf("s%d.db", i)))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		err = st.Update("records/big", func(tx *Tx) error {
			for _, id := range ids {
				if _, err := tx.PutRecord("row", id, rec); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		st.Close()
		b.StartTimer()
	}
}

// BenchmarkOpen100kRecords measures opening a store of 100k records, which
// checks every page.
func BenchmarkOpen100kRecords(b *testing.B) {
	path := filepath.Join(b.TempDir(), "s.db")
	st, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	err = st.Update("records/big", func(tx *Tx) error {
		for i := range 100_000 {
			if _, err := tx.PutRecord("row", fmt.Sprintf("OPS-%06d", i), map[string]string{"summary": "Checkout latency above SLO"}); err != nil {
				return err
			}
		}
		return nil
	})
	st.Close()
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		st, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		st.Close()
	}
}
