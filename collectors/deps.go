package collectors

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/catalog"
	"github.com/sre-value/sre-value-exporter/internal/compliance"
	"github.com/sre-value/sre-value-exporter/internal/config"
	"github.com/sre-value/sre-value-exporter/internal/fileglob"
	"github.com/sre-value/sre-value-exporter/internal/mask"
	"github.com/sre-value/sre-value-exporter/internal/metrics"
	"github.com/sre-value/sre-value-exporter/internal/store"
	"github.com/sre-value/sre-value-exporter/internal/tabular"
	"github.com/sre-value/sre-value-exporter/internal/upstream"
)

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

// CheckLocalFile is a config error at field when location (a path
// relative to the config file, not an http(s) URL) names no file or
// folder.
func (d Deps) CheckLocalFile(field, location string) error {
	if location == "" || (tabular.Source{Location: location}).IsURL() {
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
