package store

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestRecordsAndCursorsSurviveReopening(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	st, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	err = st.Update("jira/ops", func(tx *Tx) error {
		if changed, err := tx.PutRecord("incident", "OPS-1", map[string]int{"a": 1}); err != nil || !changed {
			t.Errorf("first put: changed=%v err=%v", changed, err)
		}
		if changed, _ := tx.PutRecord("incident", "OPS-1", map[string]int{"a": 1}); changed {
			t.Error("putting the same bytes again reported a change")
		}
		return tx.SetCursor("updated", "2026-11-01T10:00:00Z")
	})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()

	st, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.View("jira/ops", func(tx *Tx) error {
		var v map[string]int
		if ok, err := tx.GetRecord("incident", "OPS-1", &v); !ok || err != nil || v["a"] != 1 {
			t.Errorf("record after reopen: %v %v %v", v, ok, err)
		}
		if got := tx.Cursor("updated"); got != "2026-11-01T10:00:00Z" {
			t.Errorf("cursor after reopen = %q", got)
		}
		if n := tx.CountRecords("incident"); n != 1 {
			t.Errorf("%d records", n)
		}
		return nil
	})
	// A collector that never wrote sees an empty bucket, not an error.
	if err := st.View("github/none", func(tx *Tx) error {
		if tx.Cursor("x") != "" || tx.CountRecords("incident") != 0 {
			t.Error("empty collector is not empty")
		}
		return tx.ForEachRecord("incident", func(string, []byte) error { t.Error("record in empty collector"); return nil })
	}); err != nil {
		t.Fatal(err)
	}
}

func TestOpenRefusesFilesItDidNotWrite(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name  string
		setup func(path string)
		want  string
	}{
		{
			name:  "a text file is not a store",
			setup: func(p string) { os.WriteFile(p, []byte(strings.Repeat("not a database\n", 500)), 0o600) },
			want:  "damaged or not a store file",
		},
		{
			name: "a bbolt file of another program is refused",
			setup: func(p string) {
				db, _ := bolt.Open(p, 0o600, nil)
				db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("other-app")); return err })
				db.Close()
			},
			want: "a bbolt file written by another program",
		},
		{
			name: "a store of a newer format is refused",
			setup: func(p string) {
				db, _ := bolt.Open(p, 0o600, nil)
				db.Update(func(tx *bolt.Tx) error {
					b, _ := tx.CreateBucket(metaBucket)
					b.Put(keyMagic, []byte(formatMagic))
					return b.Put(keyVersion, []byte("99"))
				})
				db.Close()
			},
			want: `format version "99", this exporter reads version 1`,
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, string(rune('a'+i))+".db")
			tt.setup(path)
			before, _ := os.ReadFile(path)
			_, err := Open(path)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("error = %v, want one naming %s and saying %q", err, path, tt.want)
			}
			after, _ := os.ReadFile(path)
			if string(before) != string(after) {
				t.Error("the refused file was modified")
			}
		})
	}
}

func TestHealthSurvivesReopening(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	st, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, found, err := st.LoadHealth("jira/ops"); found || err != nil {
		t.Fatalf("health of a collector that never refreshed: found=%v err=%v", found, err)
	}
	want := Health{Up: false, LastAttempt: time.Date(2026, 11, 30, 10, 5, 0, 0, time.UTC), LastSuccess: time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC), LastError: "503 Service Unavailable"}
	if err := st.SaveHealth("jira/ops", want); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if st, err = Open(path); err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, found, err := st.LoadHealth("jira/ops")
	if !found || err != nil || got != want {
		t.Errorf("health after reopen = %+v (found=%v err=%v), want %+v", got, found, err, want)
	}
}

// writtenStore writes a store file holding enough records to span many
// pages, as a real one does after a few syncs, and returns the bytes in use
// (bbolt grows the file ahead of its data).
func writtenStore(t *testing.T, path string) (used int64) {
	t.Helper()
	st, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	err = st.Update("jira/ops", func(tx *Tx) error {
		for i := range 2000 {
			if _, err := tx.PutRecord("incident", fmt.Sprintf("OPS-%05d", i), map[string]string{"summary": strings.Repeat("x", 100)}); err != nil {
				return err
			}
		}
		return tx.SetCursor("updated", "2026-11-01T10:00:00Z")
	})
	if err != nil {
		t.Fatal(err)
	}
	st.db.View(func(tx *bolt.Tx) error { used = tx.Size(); return nil })
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return used
}

func TestOpenRefusesADamagedStoreWithAnErrorNotAPanic(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, path string, used int64)
	}{
		{
			name: "a file cut in half is refused",
			damage: func(t *testing.T, path string, used int64) {
				if err := os.Truncate(path, used/2); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "a file whose first pages are overwritten is refused",
			damage: func(t *testing.T, path string, _ int64) {
				overwrite(t, path, 0, 4*4096)
			},
		},
		{
			name: "a file whose meta and root pages are overwritten is refused",
			damage: func(t *testing.T, path string, _ int64) {
				overwrite(t, path, 2*4096, 64*4096)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s.db")
			tt.damage(t, path, writtenStore(t, path))
			var err error
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Fatalf("Open panicked: %v", p)
					}
				}()
				var st *Store
				if st, err = Open(path); err == nil {
					st.Close()
				}
			}()
			if err == nil || !strings.Contains(err.Error(), "store "+path+": ") || !strings.Contains(err.Error(), "damaged") {
				t.Errorf("error = %v, want one naming %s and saying it is damaged", err, path)
			}
		})
	}
}

// overwrite fills length bytes of the file from offset with a pattern that
// is no valid page.
func overwrite(t *testing.T, path string, offset, length int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(bytes.Repeat([]byte{0xA5, 0x5A, 0xFF, 0x01}, int(length/4)), offset); err != nil {
		t.Fatal(err)
	}
}
