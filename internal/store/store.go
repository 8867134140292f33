// Package store is the exporter's embedded, crash-safe database (bbolt). Each
// collector instance owns one bucket with its synced records, its sync
// cursors and its cumulative counters, so a restart resumes incremental sync
// and counters never go backwards.
package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// formatMagic marks a file as this exporter's store; a bbolt file without it
// belongs to someone else and is refused rather than written to.
const (
	formatMagic   = "sre-value-exporter store"
	formatVersion = "1"
)

var (
	metaBucket       = []byte("meta")
	collectorsBucket = []byte("collectors")
	recordsBucket    = []byte("records")
	cursorsBucket    = []byte("cursors")
	keyMagic         = []byte("magic")
	keyVersion       = []byte("version")
)

// Store is an open store file.
type Store struct {
	db   *bolt.DB
	path string
}

// initialMmapSize is the address space mapped at open. bbolt remaps (and
// waits for every reader) each time the file outgrows the map; starting at
// 128 MiB spares a large first sync most of those remaps. It is address
// space, not memory: pages are only read in when touched.
const initialMmapSize = 128 << 20

// Open opens or creates the store at path. A file that is not a bbolt
// database, is damaged, or was written by another program or a newer
// version, is an error that names the file.
func Open(path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	var db *bolt.DB
	err := refuseDamage(path, func() (err error) {
		db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second, InitialMmapSize: initialMmapSize})
		return err
	})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("store %s: locked by another process", path)
		}
		if !errors.Is(err, errDamaged) {
			err = fmt.Errorf("store %s: %w: %w", path, errDamaged, err)
		}
		return nil, err
	}
	s := &Store{db: db, path: path}
	for _, check := range []func() error{s.checkSize, s.checkFormat, s.checkPages} {
		if err := refuseDamage(path, check); err != nil {
			db.Close()
			return nil, err
		}
	}
	return s, nil
}

var errDamaged = errors.New("damaged or not a store file (move it aside to start with an empty store)")

// refuseDamage runs fn, turning the panics bbolt raises on damaged pages,
// and the faults of reading a mapped page past the end of a cut file, into
// an error naming the file.
func refuseDamage(path string, fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			if _, fault := p.(runtime.Error); fault {
				p = fmt.Sprintf("a page cannot be read, the file may be cut short (%v)", p)
			}
			err = fmt.Errorf("store %s: %w: %v", path, errDamaged, p)
		}
	}()
	return fn()
}

// checkSize refuses a file shorter than the pages its header says are in
// use (a copy cut short); reading them would fault.
func (s *Store) checkSize() error {
	info, err := os.Stat(s.path)
	if err != nil {
		return fmt.Errorf("store %s: %w", s.path, err)
	}
	return s.db.View(func(tx *bolt.Tx) error {
		if used := tx.Size(); used > info.Size() {
			return fmt.Errorf("store %s: %w: the file is %d bytes but its pages reach %d", s.path, errDamaged, info.Size(), used)
		}
		return nil
	})
}

// checkPages walks every page once, so a damaged file is refused at startup
// rather than panicking in the middle of a sync or a snapshot.
func (s *Store) checkPages() error {
	return s.db.View(func(tx *bolt.Tx) error {
		var first error
		for err := range tx.Check() {
			// One problem is enough to refuse the file; draining the rest
			// lets the checker's goroutine end.
			if first == nil {
				first = fmt.Errorf("store %s: %w: %w", s.path, errDamaged, err)
			}
		}
		return first
	})
}

func (s *Store) checkFormat() error {
	return s.db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(metaBucket)
		if meta == nil {
			// A fresh file has no buckets at all; anything else is foreign.
			foreign := false
			_ = tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
				foreign = true
				return nil
			})
			if foreign {
				return fmt.Errorf("store %s: a bbolt file written by another program (no %q marker); refusing to use it", s.path, formatMagic)
			}
			var err error
			if meta, err = tx.CreateBucket(metaBucket); err != nil {
				return err
			}
			if err := meta.Put(keyMagic, []byte(formatMagic)); err != nil {
				return err
			}
			if err := meta.Put(keyVersion, []byte(formatVersion)); err != nil {
				return err
			}
			_, err = tx.CreateBucketIfNotExists(collectorsBucket)
			return err
		}
		if string(meta.Get(keyMagic)) != formatMagic {
			return fmt.Errorf("store %s: a bbolt file written by another program (marker %q); refusing to use it", s.path, meta.Get(keyMagic))
		}
		if v := string(meta.Get(keyVersion)); v != formatVersion {
			return fmt.Errorf("store %s: format version %q, this exporter reads version %s", s.path, v, formatVersion)
		}
		_, err := tx.CreateBucketIfNotExists(collectorsBucket)
		return err
	})
}

// Path returns the file the store lives in.
func (s *Store) Path() string { return s.path }

// Close closes the store file.
func (s *Store) Close() error { return s.db.Close() }

// Update runs fn in a read-write transaction on one collector's bucket. The
// transaction commits atomically when fn returns nil.
func (s *Store) Update(collector string, fn func(*Tx) error) error {
	err := s.db.Update(func(btx *bolt.Tx) error {
		b, err := btx.Bucket(collectorsBucket).CreateBucketIfNotExists([]byte(collector))
		if err != nil {
			return err
		}
		return fn(&Tx{b: b, writable: true})
	})
	if err != nil {
		return fmt.Errorf("store %s: collector %s: %w", s.path, collector, err)
	}
	return nil
}

// View runs fn in a read-only transaction on one collector's bucket. A
// collector that never wrote anything sees an empty bucket.
func (s *Store) View(collector string, fn func(*Tx) error) error {
	err := s.db.View(func(btx *bolt.Tx) error {
		return fn(&Tx{b: btx.Bucket(collectorsBucket).Bucket([]byte(collector))})
	})
	if err != nil {
		return fmt.Errorf("store %s: collector %s: %w", s.path, collector, err)
	}
	return nil
}

// Tx is a transaction scoped to one collector's bucket.
type Tx struct {
	b        *bolt.Bucket // nil in a read-only view of an empty collector
	writable bool
}

func (t *Tx) sub(name []byte, create bool) (*bolt.Bucket, error) {
	if t.b == nil {
		return nil, nil
	}
	if create {
		return t.b.CreateBucketIfNotExists(name)
	}
	return t.b.Bucket(name), nil
}

func (t *Tx) kind(kind string, create bool) (*bolt.Bucket, error) {
	recs, err := t.sub(recordsBucket, create)
	if err != nil || recs == nil {
		return nil, err
	}
	if create {
		return recs.CreateBucketIfNotExists([]byte(kind))
	}
	return recs.Bucket([]byte(kind)), nil
}

// PutRecord stores v as JSON under kind/id. It reports whether the stored
// bytes changed, so callers can tell new and updated records from unchanged ones.
func (t *Tx) PutRecord(kind, id string, v any) (changed bool, err error) {
	data, err := json.Marshal(v)
	if err != nil {
		return false, fmt.Errorf("encode %s %s: %w", kind, id, err)
	}
	b, err := t.kind(kind, true)
	if err != nil {
		return false, err
	}
	if old := b.Get([]byte(id)); old != nil && string(old) == string(data) {
		return false, nil
	}
	return true, b.Put([]byte(id), data)
}

// PutBytes stores data, already encoded by the caller, under kind/id, and
// reports whether the stored bytes changed. Packages with a compact encoding
// of their own use it instead of PutRecord's JSON.
func (t *Tx) PutBytes(kind, id string, data []byte) (changed bool, err error) {
	b, err := t.kind(kind, true)
	if err != nil {
		return false, err
	}
	if old := b.Get([]byte(id)); old != nil && string(old) == string(data) {
		return false, nil
	}
	return true, b.Put([]byte(id), data)
}

// GetBytes returns the stored bytes of kind/id, or nil; the slice is only
// valid during the transaction.
func (t *Tx) GetBytes(kind, id string) ([]byte, error) {
	b, err := t.kind(kind, false)
	if err != nil || b == nil {
		return nil, err
	}
	return b.Get([]byte(id)), nil
}

// GetRecord decodes the record kind/id into v and reports whether it exists.
func (t *Tx) GetRecord(kind, id string, v any) (bool, error) {
	b, err := t.kind(kind, false)
	if err != nil || b == nil {
		return false, err
	}
	data := b.Get([]byte(id))
	if data == nil {
		return false, nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		return true, fmt.Errorf("decode %s %s: %w", kind, id, err)
	}
	return true, nil
}

// DeleteRecord removes kind/id; removing a missing record is not an error.
func (t *Tx) DeleteRecord(kind, id string) error {
	b, err := t.kind(kind, false)
	if err != nil || b == nil {
		return err
	}
	return b.Delete([]byte(id))
}

// ForEachRecord calls fn with every record of kind in key order. The data
// slice is only valid during the call.
func (t *Tx) ForEachRecord(kind string, fn func(id string, data []byte) error) error {
	b, err := t.kind(kind, false)
	if err != nil || b == nil {
		return err
	}
	return b.ForEach(func(k, v []byte) error { return fn(string(k), v) })
}

// CountRecords returns how many records of kind are stored.
func (t *Tx) CountRecords(kind string) int {
	b, _ := t.kind(kind, false)
	if b == nil {
		return 0
	}
	return b.Stats().KeyN
}

// Cursor returns the sync cursor name, or "" if none was saved.
func (t *Tx) Cursor(name string) string {
	b, _ := t.sub(cursorsBucket, false)
	if b == nil {
		return ""
	}
	return string(b.Get([]byte(name)))
}

// SetCursor saves the sync cursor name.
func (t *Tx) SetCursor(name, value string) error {
	b, err := t.sub(cursorsBucket, true)
	if err != nil {
		return err
	}
	return b.Put([]byte(name), []byte(value))
}

// Bucket returns a named sub-bucket for packages built on the store (such as
// tally), creating it in a writable transaction. It returns nil in a
// read-only transaction when the bucket does not exist.
func (t *Tx) Bucket(name string) (*bolt.Bucket, error) {
	return t.sub([]byte("x:"+name), t.writable)
}

// RecordData returns the stored bytes of kind/id, or nil; the slice is only
// valid during the transaction. Callers that copy records between kinds use
// it to compare without decoding.
func (t *Tx) RecordData(kind, id string) []byte {
	b, _ := t.kind(kind, false)
	if b == nil {
		return nil
	}
	return b.Get([]byte(id))
}

// PutRecordData stores already encoded JSON under kind/id. bbolt keeps the
// slice until commit, so data must not be reused.
func (t *Tx) PutRecordData(kind, id string, data []byte) error {
	b, err := t.kind(kind, true)
	if err != nil {
		return err
	}
	return b.Put([]byte(id), data)
}

// DeleteKind removes every record of kind at once; a missing kind is not an
// error. Collectors that build a new generation of records across several
// transactions drop the old one with it.
func (t *Tx) DeleteKind(kind string) error {
	recs, err := t.sub(recordsBucket, false)
	if err != nil || recs == nil || recs.Bucket([]byte(kind)) == nil {
		return err
	}
	return recs.DeleteBucket([]byte(kind))
}

var healthBucket = []byte("health")

// Health is a collector's last refresh outcome. It is kept so that a restart
// serves the same sre_collector_up as before it, instead of 0 until the
// first refresh, which would make a collector-down alert flap.
type Health struct {
	Up          bool      `json:"up"`
	LastAttempt time.Time `json:"last_attempt"`
	LastSuccess time.Time `json:"last_success"`
	LastError   string    `json:"last_error,omitempty"` // already redacted
}

// SaveHealth records the last refresh outcome of a collector.
func (s *Store) SaveHealth(collector string, h Health) error {
	data, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("store %s: collector %s: encode health: %w", s.path, collector, err)
	}
	return s.Update(collector, func(tx *Tx) error {
		b, err := tx.sub(healthBucket, true)
		if err != nil {
			return err
		}
		return b.Put([]byte("last_refresh"), data)
	})
}

// LoadHealth returns the last refresh outcome saved for a collector, and
// false if none was saved.
func (s *Store) LoadHealth(collector string) (Health, bool, error) {
	var h Health
	var found bool
	err := s.View(collector, func(tx *Tx) error {
		b, _ := tx.sub(healthBucket, false)
		if b == nil {
			return nil
		}
		data := b.Get([]byte("last_refresh"))
		if data == nil {
			return nil
		}
		found = true
		if err := json.Unmarshal(data, &h); err != nil {
			return fmt.Errorf("decode health: %w", err)
		}
		return nil
	})
	return h, found, err
}
