// Package collectors defines the collector interface and the registry that
// collector kinds add themselves to (the node_exporter pattern). Each kind
// lives in its own sub-package and registers itself in init.
//
// Data flows one way: upstream -> Sync -> store -> Snapshot -> /metrics.
// /metrics never calls an upstream.
package collectors

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/snapshot"
)

// Collector is one configured source.
type Collector interface {
	// Sync pulls what changed upstream into the store. It must honour ctx
	// and leave the store consistent if it fails half-way (use one store
	// transaction per page or per batch, and save cursors with the data).
	Sync(ctx context.Context) error
	// Snapshot computes the metrics from the store as of now. It never
	// calls an upstream, so it also runs at startup before the first Sync
	// and after a failed Sync, keeping windows exact while data is stale.
	Snapshot(now time.Time) (*snapshot.Snapshot, error)
}

// Historian is implemented by collectors whose stored records are dated,
// so that backfill can compute what /metrics would have shown at a past
// instant. Families a collector cannot recompute are simply absent from
// its past snapshots; backfill lists them.
type Historian interface {
	// History loads from the store what past snapshots need, once.
	History() (History, error)
}

// History computes a collector's past snapshots.
type History interface {
	// SnapshotAt returns the families that can be recomputed for a past
	// instant (catalog Historical) as a scrape at at would have returned
	// them: only records that existed then, windows ending at at, counters
	// counting the events up to at. At the present, on records nobody
	// edited, it equals those families of Snapshot(at).
	SnapshotAt(at time.Time) (*snapshot.Snapshot, error)
}

// SourceChecker is implemented by collectors that read local files: it
// says which configured files or globs do not exist now, for
// --config.check. At serve time a missing file is a failed refresh
// instead, since a volume or a git-sync may bring it later.
type SourceChecker interface {
	CheckSources() []error
}

// Noter is implemented by collectors that have warnings worth showing on
// the landing page (skipped rows, unmapped values).
type Noter interface {
	Notes() []string
}

// Factory builds a collector instance; it validates the settings and must
// not contact the upstream.
type Factory func(Deps) (Collector, error)

// Kind is a registered collector kind.
type Kind struct {
	Name             string
	Help             string
	EnabledByDefault bool
	Factory          Factory
}

var (
	mu    sync.Mutex
	kinds = map[string]Kind{}
)

// Register adds a collector kind; it is called from the kind's init.
func Register(k Kind) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := kinds[k.Name]; dup {
		panic("collectors: kind registered twice: " + k.Name)
	}
	kinds[k.Name] = k
}

// Kinds returns the registered kinds sorted by name.
func Kinds() []Kind {
	mu.Lock()
	defer mu.Unlock()
	out := make([]Kind, 0, len(kinds))
	for _, k := range kinds {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Lookup returns the kind named name.
func Lookup(name string) (Kind, bool) {
	mu.Lock()
	defer mu.Unlock()
	k, ok := kinds[name]
	return k, ok
}
