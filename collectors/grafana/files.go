package grafana

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"time"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/compliance/dashboard"
	"github.com/sre-value/sre-value-exporter/internal/fileglob"
	"github.com/sre-value/sre-value-exporter/internal/store"
)

// maxFileSize bounds one dashboard file; Grafana itself refuses larger.
const maxFileSize = 16 << 20

// syncFiles reads the dashboard files the files glob selects. A file is
// mapped again only when its content changed.
func (c *Collector) syncFiles() error {
	name := c.deps.Name()
	paths, err := fileglob.Match(c.baseDir(), c.s.Files)
	if err != nil {
		return collectors.WithReason(collectors.ReasonOther, fmt.Errorf("grafana %s: files %s: %w", name, strconv.Quote(c.s.Files), err))
	}
	if len(paths) == 0 {
		return collectors.WithReason(collectors.ReasonOther, fmt.Errorf("grafana %s: files %s: no file matches (relative to %s)", name, strconv.Quote(c.s.Files), c.baseDir()))
	}
	stored, err := c.storedHashes()
	if err != nil {
		return err
	}
	now := c.deps.Now()
	seen := map[string]bool{}
	var fresh []*record
	folders := map[string]bool{}
	for _, rel := range paths {
		src, info, err := readFile(filepath.Join(c.baseDir(), filepath.FromSlash(rel)))
		if err != nil {
			return collectors.WithReason(collectors.ReasonOther, fmt.Errorf("grafana %s: %w", name, err))
		}
		sum := sha256.Sum256(src)
		hash := hex.EncodeToString(sum[:8])
		r := mapFile(rel, src, info.ModTime(), hash, now)
		if !c.s.wants(r.Folder) {
			continue
		}
		seen[rel] = true
		folders[r.Folder] = true
		if old, ok := stored[rel]; ok && old.hash == hash {
			continue
		}
		fresh = append(fresh, r)
	}
	if err := c.update(func(tx *store.Tx) error {
		for _, r := range fresh {
			if err := put(tx, r.Path, r); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	titles := make([]string, 0, len(folders))
	for f := range folders {
		titles = append(titles, f)
	}
	return c.finishListing(seen, titles)
}

func (c *Collector) baseDir() string {
	if c.deps.BaseDir == "" {
		return "."
	}
	return c.deps.BaseDir
}

func readFile(p string) ([]byte, os.FileInfo, error) {
	info, err := os.Stat(p)
	if err != nil {
		return nil, nil, err
	}
	if info.Size() > maxFileSize {
		return nil, nil, fmt.Errorf("%s: %d bytes, more than the %d a dashboard may have", p, info.Size(), maxFileSize)
	}
	src, err := os.ReadFile(p)
	return src, info, err
}

// exportMeta is the metadata of a dashboard saved from the by-uid API
// ({"dashboard": ..., "meta": ...}); a bare dashboard has none.
type exportMeta struct {
	Meta struct {
		Created time.Time `json:"created"`
		Updated time.Time `json:"updated"`
	} `json:"meta"`
}

// mapFile maps one dashboard file. Its folder is the export's
// meta.folderTitle, else the folder holding the file (as Grafana's file
// provisioning with foldersFromFilesStructure), else General; its creation
// time the export's meta.created, else the file's modification time.
func mapFile(rel string, src []byte, modTime time.Time, hash string, now time.Time) *record {
	r := &record{Hash: hash, Fetched: now, Path: rel, Created: modTime.UTC()}
	var meta exportMeta
	if json.Unmarshal(src, &meta) == nil && !meta.Meta.Created.IsZero() {
		r.Created = meta.Meta.Created
	}
	// Parsed without a path, so the templates' Grafana scope (folder, tag)
	// selects it as for a dashboard read from Grafana; findings get the
	// path afterwards.
	doc, err := dashboard.Parse(src, dashboard.Meta{})
	if err != nil {
		r.Folder = fileFolder(rel)
		r.Err = "not dashboard JSON: " + err.Error()
		return r
	}
	if doc.Container == "" {
		doc.Container = fileFolder(rel)
	}
	r.Folder = doc.Container
	doc.Created = r.Created
	doc.Updated = r.Created
	if !meta.Meta.Updated.IsZero() {
		doc.Updated = meta.Meta.Updated
	} else if meta.Meta.Created.IsZero() {
		doc.Updated = modTime.UTC()
	}
	r.Doc = doc
	return r
}

func fileFolder(rel string) string {
	dir := path.Dir(rel)
	if dir == "." {
		return General
	}
	return path.Base(dir)
}
