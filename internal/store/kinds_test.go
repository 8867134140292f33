package store

import (
	"path/filepath"
	"testing"
)

func TestRecordDataPutRecordDataAndDeleteKind(t *testing.T) {
	st, err := Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	err = st.Update("c", func(tx *Tx) error {
		if err := tx.DeleteKind("never-written"); err != nil {
			t.Errorf("deleting a missing kind: %v", err)
		}
		if err := tx.PutRecordData("old", "a", []byte(`{"v":1}`)); err != nil {
			return err
		}
		return tx.PutRecordData("new", "a", []byte(`{"v":2}`))
	})
	if err != nil {
		t.Fatal(err)
	}
	err = st.Update("c", func(tx *Tx) error {
		if got := string(tx.RecordData("old", "a")); got != `{"v":1}` {
			t.Errorf("old/a = %q", got)
		}
		if got := tx.RecordData("old", "missing"); got != nil {
			t.Errorf("old/missing = %q, want nil", got)
		}
		return tx.DeleteKind("old")
	})
	if err != nil {
		t.Fatal(err)
	}
	st.View("c", func(tx *Tx) error {
		if n := tx.CountRecords("old"); n != 0 {
			t.Errorf("old has %d records after DeleteKind, want 0", n)
		}
		if n := tx.CountRecords("new"); n != 1 {
			t.Errorf("new has %d records, want 1", n)
		}
		return nil
	})
}
