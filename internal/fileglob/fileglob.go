// Package fileglob finds the local files a configured glob selects, for
// collectors that read files beside their config (dashboards, documents).
// `**` matches any number of folders, as in the format templates' globs.
package fileglob

import (
	"errors"
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sre-value/sre-value-exporter/internal/compliance"
)

// Valid reports whether glob is a well-formed pattern.
func Valid(glob string) bool {
	_, err := path.Match(strings.ReplaceAll(glob, "**", "*"), "")
	return err == nil
}

// Match walks the glob's fixed leading folders under base and returns the
// matching files, slash-separated, relative to base and sorted. A fixed
// folder that does not exist matches nothing rather than failing.
func Match(base, glob string) ([]string, error) {
	if base == "" {
		base = "."
	}
	glob = path.Clean(glob)
	parts := strings.Split(glob, "/")
	var fixed []string
	for _, part := range parts {
		if strings.ContainsAny(part, "*?[") {
			break
		}
		fixed = append(fixed, part)
	}
	if len(fixed) == len(parts) {
		fixed = fixed[:len(fixed)-1] // a glob without wildcards names one file
	}
	root := filepath.Join(base, filepath.FromSlash(strings.Join(fixed, "/")))
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == root {
				return fs.SkipAll
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(base, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if compliance.MatchGlob("/"+glob, "/"+rel) {
			out = append(out, rel)
		}
		return nil
	})
	slices.Sort(out)
	return out, err
}
