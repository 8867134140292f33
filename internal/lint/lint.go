// Package lint checks local files against format-check templates, for CI
// pipelines of docs, dashboard and rule repositories: it reads each file,
// maps it into a compliance Document by its extension, picks the templates
// (by name, or by their applies_to.files globs) and collects the findings.
package lint

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/sre-value/sre-value-exporter/internal/compliance"
	"github.com/sre-value/sre-value-exporter/internal/compliance/filedoc"
)

// Options control a lint run.
type Options struct {
	Set *compliance.Set
	// Template, when set, checks every file against this template only.
	Template string
	Now      time.Time
	// ReadFile reads a file; os.ReadFile when nil.
	ReadFile func(string) ([]byte, error)
}

// Report is the outcome of a run.
type Report struct {
	Files    int                  `json:"files"`
	Findings []compliance.Finding `json:"findings"`
}

// UsageError is a mistake in how lint was called (an unknown template, a
// missing file, a file no template applies to): exit status 2, not 1.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

func usage(format string, args ...any) error { return &UsageError{fmt.Sprintf(format, args...)} }

// ParseRule is the rule name of findings about files that cannot be read
// as their format (invalid JSON, YAML, PromQL or XHTML).
const ParseRule = "parse"

// defaults are the templates for files no glob selects: a dashboard or a
// rule file has one obvious template; prose does not.
var defaults = map[compliance.Kind]string{
	compliance.Dashboard: "team-dashboard",
	compliance.RuleFile:  "prometheus-rules",
}

// Run lints the files and folders in paths. Folders are walked for files
// with a known extension that a template's applies_to.files selects (or
// every such file with a Template).
func Run(paths []string, o Options) (*Report, error) {
	if o.ReadFile == nil {
		o.ReadFile = os.ReadFile
	}
	var only *compliance.Template
	if o.Template != "" {
		t, ok := o.Set.Template(o.Template)
		if !ok {
			return nil, usage("unknown template %q: use one of %s", o.Template, strings.Join(o.Set.Names(), ", "))
		}
		only = t
	}
	if len(paths) == 0 {
		return nil, usage("no files to lint")
	}
	files, err := expand(paths, func(p string) bool {
		return only != nil || slices.ContainsFunc(o.Set.Templates(), func(t *compliance.Template) bool {
			return t.Applies(&compliance.Document{Path: p}, o.Now)
		})
	})
	if err != nil {
		return nil, err
	}
	r := &Report{Findings: []compliance.Finding{}}
	for _, f := range files {
		src, err := o.ReadFile(f.path)
		if err != nil {
			return nil, usage("%s", readError(f.path, err))
		}
		if f.walked && f.kind == compliance.RuleFile && isRuleTest(src) {
			continue
		}
		doc, problems := filedoc.Parse(f.path, f.kind, src)
		r.Files++
		for _, p := range problems {
			r.Findings = append(r.Findings, compliance.Finding{Rule: ParseRule, Path: f.path, Line: p.Line, Message: p.Msg, Fix: "fix the file so that it parses"})
		}
		if doc == nil {
			continue
		}
		templates, err := choose(doc, f.kind, only, o)
		if err != nil {
			return nil, err
		}
		for _, t := range templates {
			r.Findings = append(r.Findings, t.Check(doc, o.Now)...)
		}
	}
	slices.SortStableFunc(r.Findings, func(a, b compliance.Finding) int {
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return a.Line - b.Line
	})
	return r, nil
}

type file struct {
	path string
	kind compliance.Kind
	// walked is true for a file found in a folder rather than named.
	walked bool
}

func expand(paths []string, selected func(string) bool) ([]file, error) {
	var out []file
	seen := map[string]bool{}
	add := func(p string, k compliance.Kind, walked bool) {
		if !seen[p] {
			seen[p] = true
			out = append(out, file{p, k, walked})
		}
	}
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, usage("%s", readError(p, err))
		}
		if !info.IsDir() {
			k, ok := filedoc.KindOf(p)
			if !ok {
				return nil, usage("%s: unknown file type %q: lint reads %s", p, filepath.Ext(p), filedoc.Extensions())
			}
			add(p, k, false)
			continue
		}
		before := len(out)
		err = filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if q != p && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			if k, ok := filedoc.KindOf(q); ok && selected(filepath.ToSlash(q)) {
				add(q, k, true)
			}
			return nil
		})
		if err != nil {
			return nil, usage("%s", readError(p, err))
		}
		// A folder that selects nothing would pass CI without checking
		// anything: say so instead.
		if len(out) == before {
			return nil, usage("%s: no file to check: a folder is searched for files a template's applies_to.files selects (such as dashboards/**/*.json or docs/postmortems/*.md); name the files, or pass --template to check every %s file", p, filedoc.Extensions())
		}
	}
	return out, nil
}

// isRuleTest reports whether src is a promtool unit-test file (top-level
// rule_files and tests), which lives beside rule files in alerts/ folders
// but is no rule file.
func isRuleTest(src []byte) bool {
	var top map[string]yaml.Node
	if yaml.Unmarshal(src, &top) != nil {
		return false
	}
	_, files := top["rule_files"]
	_, tests := top["tests"]
	_, groups := top["groups"]
	return files && tests && !groups
}

func choose(doc *compliance.Document, kind compliance.Kind, only *compliance.Template, o Options) ([]*compliance.Template, error) {
	if only != nil {
		return []*compliance.Template{only}, nil
	}
	if ts := o.Set.For(doc, o.Now); len(ts) > 0 {
		return ts, nil
	}
	if name, ok := defaults[kind]; ok {
		t, _ := o.Set.Template(name)
		return []*compliance.Template{t}, nil
	}
	return nil, usage("%s: no template applies to this file: pass --template (one of %s) or add the path to a template's applies_to.files", doc.Path, strings.Join(o.Set.Names(), ", "))
}

func readError(path string, err error) string {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Sprintf("%s: no such file or folder", path)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Sprintf("%s: %s", path, pe.Err)
	}
	return err.Error()
}
