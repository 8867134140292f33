// Package documents is the local documents collector: it reads the files
// its globs select beside the config (postmortems, playbook pages,
// newsletters, SLO documents kept in a repository), maps each by its
// extension as `lint` does, and checks it against the format templates
// that apply to it. Results are exported as the sre_format_* families with
// source="documents", so a docs repository's compliance is on the same
// dashboards as Confluence's and Slack's.
package documents

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/compliance"
	"github.com/sre-value/sre-value-exporter/internal/compliance/filedoc"
	"github.com/sre-value/sre-value-exporter/internal/fileglob"
	"github.com/sre-value/sre-value-exporter/internal/formatcheck"
	"github.com/sre-value/sre-value-exporter/internal/mask"
	"github.com/sre-value/sre-value-exporter/internal/metrics"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
	"github.com/sre-value/sre-value-exporter/internal/store"
)

func init() {
	collectors.Register(collectors.Kind{
		Name:             "documents",
		Help:             "Local documents (Markdown, Confluence XHTML, Slack text, dashboard JSON) checked against the format templates.",
		EnabledByDefault: true,
		Factory:          New,
	})
}

// source is the sre_format_* source label.
const source = "documents"

// Limits: a document is prose, and a docs repository has thousands of
// files at most; more means a glob selects something it should not.
const (
	maxFileSize = 4 << 20
	maxFiles    = 20000
	maxNotes    = 20
)

// States of sre_documents_files.
const (
	stateChecked    = "checked"
	stateUnreadable = "unreadable"
	stateNoTemplate = "no_template"
)

const kindFile = "file"

// Settings are the kind-specific keys of a documents collector.
type Settings struct {
	// Files are globs relative to the config file's folder; `**` matches
	// any number of folders.
	Files []string `yaml:"files"`
	// Templates, when set, check every file against these templates
	// instead of those whose applies_to.files selects it.
	Templates []string `yaml:"templates"`
}

// record is what is kept of one file: its mapped document, or why it could
// not be read, so a snapshot re-checks it as of its own time.
type record struct {
	Hash    string               `json:"h"`
	Created time.Time            `json:"c"`
	Err     string               `json:"e,omitempty"`
	Doc     *compliance.Document `json:"d,omitempty"`
}

// Collector is one configured set of document globs.
type Collector struct {
	deps      collectors.Deps
	s         Settings
	templates []*compliance.Template // nil: by applies_to
	log       *slog.Logger

	mu    sync.Mutex
	notes []string
}

// New builds a documents collector; it reads nothing yet.
func New(deps collectors.Deps) (collectors.Collector, error) {
	var s Settings
	decodeErr := deps.DecodeSettings(&s)
	var errs []error
	if len(s.Files) == 0 {
		errs = append(errs, deps.Errorf("files", "set at least one glob of files to check, such as postmortems/*.md"))
	}
	for i, g := range s.Files {
		field := fmt.Sprintf("files[%d]", i)
		switch {
		case !fileglob.Valid(g):
			errs = append(errs, deps.Errorf(field, "%s is not a valid glob", mask.Quote(g)))
		case g == "" || strings.HasPrefix(g, "/") || strings.Contains(g, "..") || strings.Contains(g, `\`):
			errs = append(errs, deps.Errorf(field, "%s must be a slash-separated glob inside the config file's folder", mask.Quote(g)))
		}
	}
	c := &Collector{deps: deps, s: s, log: deps.Logger}
	if c.log == nil {
		c.log = slog.Default()
	}
	if c.deps.Now == nil {
		c.deps.Now = time.Now
	}
	for i, name := range s.Templates {
		if deps.Templates == nil {
			break
		}
		t, ok := deps.Templates.Template(name)
		if !ok {
			errs = append(errs, deps.Errorf(fmt.Sprintf("templates[%d]", i), "unknown template %q: use one of %s", name, strings.Join(deps.Templates.Names(), ", ")))
			continue
		}
		c.templates = append(c.templates, t)
	}
	if err := deps.SettingsErrors(decodeErr, errs...); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Collector) baseDir() string {
	if c.deps.BaseDir == "" {
		return "."
	}
	return c.deps.BaseDir
}

// Sync reads the selected files, maps those whose content changed, and
// forgets files that are gone. Reading a file is cheap; mapping is kept
// for the snapshot, which runs far more often.
func (c *Collector) Sync(ctx context.Context) error {
	name := c.deps.Name()
	var paths []string
	for _, g := range c.s.Files {
		matched, err := fileglob.Match(c.baseDir(), g)
		if err != nil {
			return collectors.WithReason(collectors.ReasonOther, fmt.Errorf("documents %s: files %q: %w", name, g, err))
		}
		paths = append(paths, matched...)
	}
	slices.Sort(paths)
	paths = slices.Compact(paths)
	if len(paths) == 0 {
		return collectors.WithReason(collectors.ReasonOther, fmt.Errorf("documents %s: no file matches %s (relative to %s)", name, strings.Join(c.s.Files, ", "), c.baseDir()))
	}
	if len(paths) > maxFiles {
		return collectors.WithReason(collectors.ReasonOther, fmt.Errorf("documents %s: %d files match, more than the %d a documents collector reads; narrow the globs", name, len(paths), maxFiles))
	}
	stored := map[string]string{}
	if err := c.deps.Store.View(c.deps.StoreKey(), func(tx *store.Tx) error {
		return tx.ForEachRecord(kindFile, func(id string, data []byte) error {
			var r record
			if err := json.Unmarshal(data, &r); err != nil {
				return fmt.Errorf("stored file %s: %w", id, err)
			}
			stored[id] = r.Hash
			return nil
		})
	}); err != nil {
		return collectors.WithReason(collectors.ReasonStore, fmt.Errorf("documents %s: %w", name, err))
	}
	fresh := map[string]*record{}
	for _, rel := range paths {
		if err := ctx.Err(); err != nil {
			return err
		}
		r, err := c.read(rel, stored[rel])
		if err != nil {
			return collectors.WithReason(collectors.ReasonOther, fmt.Errorf("documents %s: %w", name, err))
		}
		if r != nil {
			fresh[rel] = r
		}
	}
	err := c.deps.Store.Update(c.deps.StoreKey(), func(tx *store.Tx) error {
		for _, rel := range slices.Sorted(maps.Keys(fresh)) {
			data, err := json.Marshal(fresh[rel])
			if err != nil {
				return err
			}
			if _, err := tx.PutBytes(kindFile, rel, data); err != nil {
				return err
			}
		}
		for id := range stored {
			if _, found := slices.BinarySearch(paths, id); !found {
				if err := tx.DeleteRecord(kindFile, id); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return collectors.WithReason(collectors.ReasonStore, fmt.Errorf("documents %s: %w", name, err))
	}
	return nil
}

// read maps the file rel unless its content hash is still oldHash (nil
// record then). A file that cannot be parsed is a record with Err: it is
// named on the landing page, not a failed sync.
func (c *Collector) read(rel, oldHash string) (*record, error) {
	p := filepath.Join(c.baseDir(), filepath.FromSlash(rel))
	info, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if info.Size() > maxFileSize {
		return &record{Hash: fmt.Sprintf("size:%d", info.Size()), Created: info.ModTime().UTC(),
			Err: fmt.Sprintf("%d bytes, more than the %d a document may have", info.Size(), maxFileSize)}, nil
	}
	src, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(src)
	hash := hex.EncodeToString(sum[:8])
	if hash == oldHash {
		return nil, nil
	}
	r := &record{Hash: hash, Created: info.ModTime().UTC()}
	kind, ok := filedoc.KindOf(rel)
	if !ok {
		r.Err = fmt.Sprintf("unknown file type %q: documents reads %s", filepath.Ext(rel), filedoc.Extensions())
		return r, nil
	}
	doc, problems := filedoc.Parse(rel, kind, src)
	if doc == nil || len(problems) > 0 {
		msgs := make([]string, 0, len(problems))
		for _, pr := range problems {
			if pr.Line > 0 {
				msgs = append(msgs, fmt.Sprintf("line %d: %s", pr.Line, pr.Msg))
			} else {
				msgs = append(msgs, pr.Msg)
			}
		}
		r.Err = strings.Join(msgs, "; ")
		if r.Err == "" {
			r.Err = "cannot be read as " + string(kind)
		}
		return r, nil
	}
	// A document's own date is when it was written; the file's time is
	// only when it was last checked out.
	switch {
	case !doc.Created.IsZero():
		r.Created = doc.Created
	case !doc.Updated.IsZero():
		r.Created = doc.Updated
	}
	if doc.Created.IsZero() {
		doc.Created = r.Created
	}
	if doc.Updated.IsZero() {
		doc.Updated = info.ModTime().UTC()
	}
	r.Doc = doc
	return r, nil
}

// Snapshot checks every stored document against its templates as of now
// (so max_age rules age without a sync).
func (c *Collector) Snapshot(now time.Time) (*snapshot.Snapshot, error) {
	b := snapshot.NewBuilder()
	var results *formatcheck.Results
	if c.deps.Templates != nil {
		results = formatcheck.New(now, source)
	}
	counts := map[string]float64{stateChecked: 0, stateUnreadable: 0, stateNoTemplate: 0}
	var unreadable, unmatched []string
	err := c.deps.Store.View(c.deps.StoreKey(), func(tx *store.Tx) error {
		return tx.ForEachRecord(kindFile, func(id string, data []byte) error {
			var r record
			if err := json.Unmarshal(data, &r); err != nil {
				return fmt.Errorf("stored file %s: %w", id, err)
			}
			if r.Doc == nil {
				counts[stateUnreadable]++
				unreadable = append(unreadable, fmt.Sprintf("%s: %s", id, r.Err))
				return nil
			}
			if results == nil {
				counts[stateChecked]++
				return nil
			}
			templates := c.templates
			if templates == nil {
				templates = c.deps.Templates.For(r.Doc, now)
			}
			if len(templates) == 0 {
				counts[stateNoTemplate]++
				unmatched = append(unmatched, id)
				return nil
			}
			counts[stateChecked]++
			res := make([]compliance.Result, 0, len(templates))
			for _, t := range templates {
				res = append(res, compliance.Result{Template: t.Name, Findings: t.Check(r.Doc, now)})
			}
			results.Add(r.Created, res)
			return nil
		})
	})
	if err != nil {
		return nil, collectors.WithReason(collectors.ReasonStore, fmt.Errorf("documents %s: %w", c.deps.Name(), err))
	}
	for _, state := range []string{stateChecked, stateNoTemplate, stateUnreadable} {
		b.Gauge(metrics.DocumentsFiles, counts[state], "state", state)
	}
	notes := bounded(unreadable, "unreadable files")
	if len(unmatched) > 0 {
		notes = append(notes, bounded([]string{fmt.Sprintf("no template applies to %s: add its path to a template's applies_to.files, or set templates:", strings.Join(firstN(unmatched, 5), ", ")+more(unmatched, 5))}, "")...)
	}
	if results != nil {
		results.Emit(b)
		notes = append(notes, results.Notes()...)
	}
	c.mu.Lock()
	c.notes = notes
	c.mu.Unlock()
	return b.Build()
}

func bounded(notes []string, what string) []string {
	if len(notes) > maxNotes {
		return append(notes[:maxNotes:maxNotes], fmt.Sprintf("... and %d more %s", len(notes)-maxNotes, what))
	}
	return notes
}

func firstN(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func more(s []string, n int) string {
	if len(s) > n {
		return fmt.Sprintf(" and %d more", len(s)-n)
	}
	return ""
}

// Notes are the unreadable files, the files no template applies to and
// the format findings of the last snapshot.
func (c *Collector) Notes() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.notes)
}

// CheckSources reports the globs that select nothing.
func (c *Collector) CheckSources() []error {
	var errs []error
	for i, g := range c.s.Files {
		if err := c.deps.CheckGlob(fmt.Sprintf("files[%d]", i), g); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}
