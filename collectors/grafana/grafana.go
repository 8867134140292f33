// Package grafana is the Grafana dashboard collector: it lists the
// dashboards of a Grafana instance (search, folders and dashboard-by-uid
// API, with a service-account token) or reads dashboard JSON files, and
// checks each against the format templates that apply to it (the built-in
// team-dashboard). Results are exported as the sre_format_* families with
// source="grafana", plus dashboards per folder.
package grafana

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"sync"
	"time"

	sdk "github.com/grafana-tools/sdk"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/compliance"
	"github.com/sre-value/sre-value-exporter/internal/compliance/dashboard"
	"github.com/sre-value/sre-value-exporter/internal/formatcheck"
	"github.com/sre-value/sre-value-exporter/internal/mask"
	"github.com/sre-value/sre-value-exporter/internal/metrics"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
	"github.com/sre-value/sre-value-exporter/internal/store"
	"github.com/sre-value/sre-value-exporter/internal/upstream"
)

func init() {
	collectors.Register(collectors.Kind{
		Name:             "grafana",
		Help:             "Grafana dashboards (the HTTP API or dashboard JSON files) checked against the format templates.",
		EnabledByDefault: true,
		Factory:          New,
	})
}

// source is the sre_format_* source label.
const source = "grafana"

// Store layout: one record per dashboard (uid, or the file's path), and
// the folder titles of the last complete listing.
const (
	kindDashboard = "dashboard"
	cursorFolders = "folders" // JSON list of folder titles
)

// General is the folder title of dashboards at Grafana's root.
const General = "General"

// maxNotes bounds the landing-page notes about unreadable dashboards.
const maxNotes = 20

// record is what is kept of one dashboard: enough to re-check it at every
// snapshot as of that snapshot's time, without asking Grafana again.
type record struct {
	// Hash is the search entry's fingerprint (API) or the file's content
	// hash (files); a change means the dashboard is read again.
	Hash    string    `json:"h"`
	Version int       `json:"v,omitempty"`
	Fetched time.Time `json:"at"`
	Created time.Time `json:"c,omitempty"`
	Folder  string    `json:"f"`
	Path    string    `json:"p,omitempty"` // files: relative to the config file
	// Err says why the dashboard could not be checked; Doc is nil then.
	Err string               `json:"e,omitempty"`
	Doc *compliance.Document `json:"d,omitempty"`
}

// writers are deflaters to reuse: each holds about 1 MiB of tables.
var writers = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(io.Discard, flate.BestSpeed)
	return w
}}

// encode stores the record as deflated JSON: a mapped dashboard repeats
// field names per panel, which compresses about tenfold.
func (r *record) encode() ([]byte, error) {
	data, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	w := writers.Get().(*flate.Writer)
	defer writers.Put(w)
	w.Reset(&buf)
	if _, err := w.Write(data); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// decoder reads stored records, reusing one inflater (and its 32 KiB
// window) across the records of a snapshot.
type decoder struct {
	src bytes.Reader
	fr  io.ReadCloser
	buf bytes.Buffer
}

func (d *decoder) decode(data []byte) (*record, error) {
	d.src.Reset(data)
	if d.fr == nil {
		d.fr = flate.NewReader(&d.src)
	} else if err := d.fr.(flate.Resetter).Reset(&d.src, nil); err != nil {
		return nil, fmt.Errorf("stored dashboard: %w", err)
	}
	d.buf.Reset()
	if _, err := d.buf.ReadFrom(d.fr); err != nil {
		return nil, fmt.Errorf("stored dashboard: %w", err)
	}
	var r record
	if err := json.Unmarshal(d.buf.Bytes(), &r); err != nil {
		return nil, fmt.Errorf("stored dashboard: %w", err)
	}
	return &r, nil
}

// Collector is one configured Grafana instance or set of dashboard files.
type Collector struct {
	deps collectors.Deps
	s    *settings
	api  *api // nil with files
	log  *slog.Logger

	mu    sync.Mutex
	notes []string // of the last snapshot
}

// New builds a grafana collector; it contacts nothing.
func New(deps collectors.Deps) (collectors.Collector, error) {
	return newCollector(deps, nil)
}

// newCollector is New with a hook on the HTTP options, so tests can replace
// the clock and the sleeps of retries.
func newCollector(deps collectors.Deps, tweak func(*upstream.Options)) (*Collector, error) {
	s, err := parseSettings(deps)
	if err != nil {
		return nil, err
	}
	log := deps.Logger
	if log == nil {
		log = slog.Default()
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	c := &Collector{deps: deps, s: s, log: log}
	if s.base != nil {
		token := s.token.Value()
		opts := upstream.Options{
			Observer:  deps.Observer,
			Secrets:   []string{token},
			Authorize: func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) },
			UserAgent: "sre-value-exporter",
			Logger:    deps.Logger,
		}
		if tweak != nil {
			tweak(&opts)
		}
		if c.api, err = newAPI(s.base, upstream.New(opts)); err != nil {
			return nil, deps.Errorf("url", "%s cannot be used as a Grafana URL", mask.Quote(s.URL))
		}
	}
	return c, nil
}

// Sync reads what changed: the dashboard list of the instance (fetching
// only new and changed dashboards) or the files.
func (c *Collector) Sync(ctx context.Context) error {
	if c.api == nil {
		return c.syncFiles()
	}
	return c.syncAPI(ctx)
}

func (c *Collector) syncAPI(ctx context.Context) error {
	name := c.deps.Name()
	folders, err := c.api.folders(ctx, c.s.PageSize)
	if err != nil {
		return fmt.Errorf("grafana %s: %w", name, err)
	}
	stored, err := c.storedHashes()
	if err != nil {
		return err
	}
	now := c.deps.Now()
	seen := map[string]bool{}
	err = c.api.search(ctx, c.s.PageSize, func(hits []sdk.FoundBoard) error {
		var fresh []struct {
			id string
			r  *record
		}
		for _, h := range hits {
			folder := folderOf(h, folders)
			if !c.s.wants(folder) {
				continue
			}
			fp := hitHash(c.s.base.String(), h, folder)
			if old, ok := stored[h.UID]; ok && old.hash == fp && now.Sub(old.fetched) < c.s.refetch {
				seen[h.UID] = true
				continue
			}
			r, err := c.fetch(ctx, h, folder, fp, now)
			if errors.Is(err, errNotFound) { // deleted since the search
				continue
			}
			if err != nil {
				return fmt.Errorf("dashboard %s: %w", h.UID, err)
			}
			seen[h.UID] = true
			fresh = append(fresh, struct {
				id string
				r  *record
			}{h.UID, r})
		}
		return c.update(func(tx *store.Tx) error {
			for _, f := range fresh {
				if err := put(tx, f.id, f.r); err != nil {
					return err
				}
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("grafana %s: %w", name, err)
	}
	var titles []string
	for _, t := range folders {
		if c.s.wants(t) {
			titles = append(titles, t)
		}
	}
	return c.finishListing(seen, titles)
}

// fetch reads one dashboard by uid and maps it.
func (c *Collector) fetch(ctx context.Context, h sdk.FoundBoard, folder, fp string, now time.Time) (*record, error) {
	r := &record{Hash: fp, Fetched: now, Folder: folder}
	if !validUID.MatchString(h.UID) {
		r.Err = "the uid is not a Grafana uid (letters, digits, - and _, at most 40), so it cannot be read by uid"
		return r, nil
	}
	d, err := c.api.dashboard(ctx, h.UID)
	if err != nil {
		return nil, err
	}
	r.Version, r.Created = d.version, d.created
	doc, err := dashboard.Parse(d.raw, dashboard.Meta{URL: c.dashboardURL(h.URL), Folder: folder})
	if err != nil {
		// Not a failed sync: the dashboard is counted unreadable and named.
		r.Err = "not dashboard JSON: " + err.Error()
		return r, nil //nolint:nilerr // the error is reported in r.Err
	}
	doc.Created, doc.Updated = d.created, d.updated
	r.Doc = doc
	return r, nil
}

// dashboardURL is the search entry's path (which includes Grafana's sub
// path) on the configured host.
func (c *Collector) dashboardURL(path string) string {
	ref, err := url.Parse(path)
	if err != nil || path == "" {
		return ""
	}
	return c.s.base.ResolveReference(ref).String()
}

// folderOf is the title of the dashboard's folder: from the folder list,
// else the search entry, else General for the root.
func folderOf(h sdk.FoundBoard, folders map[string]string) string {
	if t := folders[h.FolderUID]; h.FolderUID != "" && t != "" {
		return t
	}
	if h.FolderTitle != "" {
		return h.FolderTitle
	}
	return General
}

// hitHash fingerprints what a search entry says of a dashboard (and the
// instance, so pointing url elsewhere reads everything again); Grafana's
// search carries no version, so a renamed, re-tagged or moved dashboard is
// read again at once and any other edit within refetch_interval.
func hitHash(instance string, h sdk.FoundBoard, folder string) string {
	data, _ := json.Marshal([]any{instance, h.Title, h.Tags, h.URL, folder})
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:8])
}

type storedHash struct {
	hash    string
	fetched time.Time
}

// storedHashes returns what each stored dashboard was read from; records
// that could not be read are left out, so they are tried again.
func (c *Collector) storedHashes() (map[string]storedHash, error) {
	out := map[string]storedHash{}
	var dec decoder
	err := c.deps.Store.View(c.deps.StoreKey(), func(tx *store.Tx) error {
		return tx.ForEachRecord(kindDashboard, func(id string, data []byte) error {
			r, err := dec.decode(data)
			if err != nil {
				return fmt.Errorf("%s: %w", id, err)
			}
			if r.Err == "" {
				out[id] = storedHash{r.Hash, r.Fetched}
			}
			return nil
		})
	})
	if err != nil {
		return nil, collectors.WithReason(collectors.ReasonStore, fmt.Errorf("grafana %s: %w", c.deps.Name(), err))
	}
	return out, nil
}

// finishListing drops dashboards a complete listing did not return and
// keeps the folder titles for the per-folder counts.
func (c *Collector) finishListing(seen map[string]bool, folders []string) error {
	sort.Strings(folders)
	folders = slices.Compact(folders)
	data, _ := json.Marshal(folders)
	return c.update(func(tx *store.Tx) error {
		var gone []string
		if err := tx.ForEachRecord(kindDashboard, func(id string, _ []byte) error {
			if !seen[id] {
				gone = append(gone, id)
			}
			return nil
		}); err != nil {
			return err
		}
		for _, id := range gone {
			if err := tx.DeleteRecord(kindDashboard, id); err != nil {
				return err
			}
		}
		if len(gone) > 0 {
			c.log.Info("removed dashboards that are gone", "count", len(gone))
		}
		return tx.SetCursor(cursorFolders, string(data))
	})
}

func put(tx *store.Tx, id string, r *record) error {
	data, err := r.encode()
	if err != nil {
		return err
	}
	_, err = tx.PutBytes(kindDashboard, id, data)
	return err
}

func (c *Collector) update(fn func(*store.Tx) error) error {
	if err := c.deps.Store.Update(c.deps.StoreKey(), fn); err != nil {
		return collectors.WithReason(collectors.ReasonStore, fmt.Errorf("grafana %s: %w", c.deps.Name(), err))
	}
	return nil
}

// Snapshot counts the stored dashboards per folder and checks each against
// the templates as of now (so max_age rules age without a sync).
func (c *Collector) Snapshot(now time.Time) (*snapshot.Snapshot, error) {
	b := snapshot.NewBuilder()
	counts := map[string]float64{}
	var results *formatcheck.Results
	if c.deps.Templates != nil {
		results = formatcheck.New(now, source)
	}
	unreadable := 0
	var problems []string
	var dec decoder
	err := c.deps.Store.View(c.deps.StoreKey(), func(tx *store.Tx) error {
		var titles []string
		if raw := tx.Cursor(cursorFolders); raw != "" {
			if err := json.Unmarshal([]byte(raw), &titles); err != nil {
				return fmt.Errorf("stored folders: %w", err)
			}
		}
		for _, t := range titles {
			counts[t] = 0
		}
		return tx.ForEachRecord(kindDashboard, func(id string, data []byte) error {
			r, err := dec.decode(data)
			if err != nil {
				return fmt.Errorf("%s: %w", id, err)
			}
			counts[r.Folder]++
			if r.Doc == nil {
				unreadable++
				problems = append(problems, fmt.Sprintf("dashboard %s: %s", id, r.Err))
				return nil
			}
			if results != nil {
				res := c.deps.Templates.Check(r.Doc, now)
				if r.Path != "" {
					atPath(res, r.Path)
				}
				results.Add(r.Created, res)
			}
			return nil
		})
	})
	if err != nil {
		return nil, collectors.WithReason(collectors.ReasonStore, fmt.Errorf("grafana %s: %w", c.deps.Name(), err))
	}
	for _, f := range slices.Sorted(maps.Keys(counts)) {
		b.Gauge(metrics.GrafanaDashboards, counts[f], "folder", f)
	}
	b.Gauge(metrics.GrafanaDashboardsUnreadable, float64(unreadable))
	if len(problems) > maxNotes {
		problems = append(problems[:maxNotes], fmt.Sprintf("... and %d more unreadable dashboards", len(problems)-maxNotes))
	}
	if results != nil {
		results.Emit(b)
		problems = append(problems, results.Notes()...)
	}
	c.mu.Lock()
	c.notes = problems
	c.mu.Unlock()
	return b.Build()
}

// atPath makes a file's findings point at file:line.
func atPath(results []compliance.Result, path string) {
	for i := range results {
		for j := range results[i].Findings {
			results[i].Findings[j].Path = path
		}
	}
}

// Notes are the unreadable dashboards and the format findings of the last
// snapshot.
func (c *Collector) Notes() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.notes)
}

// CheckSources reports a files glob that selects nothing.
func (c *Collector) CheckSources() []error {
	if c.s.Files == "" {
		return nil
	}
	if err := c.deps.CheckGlob("files", c.s.Files); err != nil {
		return []error{err}
	}
	return nil
}
