// Package collectors defines the collector interface and the registry that
// collector kinds add themselves to (the node_exporter pattern). Each kind
// lives in its own sub-package and registers itself in init.
//
// Data flows one way: upstream -> Sync -> store -> Snapshot -> /metrics.
// /metrics never calls an upstream.
package collectors

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/catalog"
	"github.com/sre-value/sre-value-exporter/internal/compliance"
	"github.com/sre-value/sre-value-exporter/internal/config"
	"github.com/sre-value/sre-value-exporter/internal/fileglob"
	"github.com/sre-value/sre-value-exporter/internal/mask"
	"github.com/sre-value/sre-value-exporter/internal/metrics"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
	"github.com/sre-value/sre-value-exporter/internal/store"
	"github.com/sre-value/sre-value-exporter/internal/upstream"
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

// CheckLocalFile is a config error at field when location (a path
// relative to the config file, not an http(s) URL) names no file or
// folder.
func (d Deps) CheckLocalFile(field, location string) error {
	if location == "" || strings.HasPrefix(location, "http://") || strings.HasPrefix(location, "https://") {
		return nil
	}
	p := location
	if !filepath.IsAbs(p) {
		p = filepath.Join(d.BaseDir, p)
	}
	if _, err := os.Stat(p); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return d.Errorf(field, "%s does not exist (relative to %s)", mask.QuotePath(location), d.baseDirName())
		}
		return d.Errorf(field, "%s cannot be read: %v", mask.QuotePath(location), err)
	}
	return nil
}

// CheckGlob is a config error at field when glob selects no file.
func (d Deps) CheckGlob(field, glob string) error {
	matched, err := fileglob.Match(d.BaseDir, glob)
	if err != nil {
		return d.Errorf(field, "%s cannot be searched: %v", mask.QuotePath(glob), err)
	}
	if len(matched) == 0 {
		return d.Errorf(field, "%s matches no file (relative to %s)", mask.QuotePath(glob), d.baseDirName())
	}
	return nil
}

func (d Deps) baseDirName() string {
	if d.BaseDir == "" {
		return "."
	}
	return d.BaseDir
}

// Noter is implemented by collectors that have warnings worth showing on
// the landing page (skipped rows, unmapped values).
type Noter interface {
	Notes() []string
}

// Deps is what a collector kind gets to build an instance.
type Deps struct {
	Config  config.CollectorConfig
	Decoder config.Decoder
	// BaseDir is the config file's folder, for relative paths.
	BaseDir  string
	Catalog  *catalog.Catalog
	Store    *store.Store
	Logger   *slog.Logger // already labelled collector= and kind=; adding them again repeats them
	Observer upstream.Observer
	// Templates are the configuration's format templates (the built-ins
	// when it declares none); collectors check the documents they have in
	// hand against them. Nil in tests that check nothing.
	Templates *compliance.Set
	// Claims are the custom metric families of the whole configuration,
	// shared by every collector built from it (nil: a private set).
	Claims *metrics.Claims
	Now    func() time.Time
}

// Name is the instance name, unique across the config.
func (d Deps) Name() string { return d.Config.Name }

// StoreKey is the store bucket of this instance; kind and name together so
// that renaming a collector's kind never reads another kind's records.
func (d Deps) StoreKey() string { return d.Config.Kind + "/" + d.Config.Name }

// DecodeSettings strictly decodes the kind-specific settings into out. It
// goes on past mistakes, leaving a setting it cannot decode at its zero
// value, so the kind can still check the rest and report every mistake at
// once through SettingsErrors.
func (d Deps) DecodeSettings(out any) error {
	return d.Decoder.Decode(&d.Config.Settings, d.Config.Field(), out)
}

// Secret reads the secret setting name (such as "token"), given inline as
// an ${ENV} reference or in the file of name_file; a mistake points at the
// line that sets it.
func (d Deps) Secret(name string, inline config.Secret, file string, required bool) (config.Secret, error) {
	key := name
	if file != "" {
		key = name + "_file"
	}
	line := config.LineOf(&d.Config.Settings, key)
	if line == 0 {
		line = d.Config.Line
	}
	return config.SecretSetting(d.Decoder, line, d.Config.Field()+"."+name, inline, file, d.BaseDir, required)
}

// SettingsErrors joins the settings' decode error with the kind's own
// checks, leaving out a check of a setting that already failed to decode:
// its zero value would only repeat the mistake in other words.
func (d Deps) SettingsErrors(decodeErr error, checks ...error) error {
	var undecoded []string
	for _, e := range flatten(decodeErr) {
		var ce *config.Error
		// An unknown key is reported on the collector itself and leaves
		// no setting undecoded.
		if errors.As(e, &ce) && ce.Field != d.Config.Field() {
			undecoded = append(undecoded, ce.Field)
		}
	}
	all := []error{decodeErr}
	for _, c := range checks {
		for _, e := range flatten(c) {
			var ce *config.Error
			if errors.As(e, &ce) && slices.ContainsFunc(undecoded, func(f string) bool {
				return ce.Field == f || strings.HasPrefix(ce.Field, f+".") || strings.HasPrefix(ce.Field, f+"[")
			}) {
				continue
			}
			all = append(all, e)
		}
	}
	return config.Join(all...)
}

func flatten(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

// Errorf returns a config error about a kind-specific field (relative to
// the collector, as in "tables[0].path"), at the field's own line when the
// file sets it, else at the collector's.
func (d Deps) Errorf(field string, format string, args ...any) error {
	line := config.LineOf(&d.Config.Settings, field)
	if line == 0 {
		line = d.Config.Line
	}
	return &config.Error{File: d.Decoder.File, Line: line, Field: d.Config.Field() + "." + field, Msg: fmt.Sprintf(format, args...)}
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
