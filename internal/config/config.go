// Package config loads the exporter's YAML configuration strictly: unknown
// keys, wrong types and missing secrets are errors that name the file, line
// and field. Collector-specific settings are kept as YAML nodes and decoded
// by each collector kind with the same strict Decoder.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/sre-value/sre-value-exporter/internal/catalog"
	"github.com/sre-value/sre-value-exporter/internal/compliance"
	"github.com/sre-value/sre-value-exporter/internal/mask"
)

// Config is the whole configuration file.
type Config struct {
	Global     Global            `yaml:"global"`
	Catalog    catalog.Catalog   `yaml:"catalog"`
	Collectors []CollectorConfig `yaml:"collectors"`
	// Templates declare or override format-check templates (TemplateSet).
	Templates []compliance.TemplateSpec `yaml:"templates"`
	// Alerting sets the targets of the generated alerts (alerting.go).
	Alerting Alerting `yaml:"alerting"`
	// SLOs are the service level objectives to generate rules for (slos.go).
	SLOs []SLO `yaml:"slos"`
	// Value prices downtime, engineer hours and the SRE team (value.go);
	// nil when the section is absent.
	Value *Value `yaml:"value"`
	// OpenSLOFiles are globs (relative to the config file) of OpenSLO v1
	// files whose SLOs are added to SLOs (openslo.go).
	OpenSLOFiles []string `yaml:"openslo_files"`

	// File is the path the config was read from; Dir is its folder, against
	// which relative paths in collector settings are resolved.
	File string `yaml:"-"`
	Dir  string `yaml:"-"`
	// Raw is the file's content, to tell whether a reload changed anything.
	Raw []byte `yaml:"-"`
}

// Global holds the defaults every collector inherits.
type Global struct {
	RefreshInterval Duration `yaml:"refresh_interval"`
	Timeout         Duration `yaml:"timeout"`
}

// CollectorConfig is one configured collector instance.
type CollectorConfig struct {
	Kind            string   `yaml:"kind"`
	Name            string   `yaml:"name"`
	RefreshInterval Duration `yaml:"refresh_interval"`
	Timeout         Duration `yaml:"timeout"`
	// Settings are the kind-specific keys, decoded by the collector kind.
	Settings yaml.Node `yaml:",remain"`
	Line     int       `yaml:",line"`
	Index    int       `yaml:"-"`
}

// Field is the path of this collector in error messages.
func (c CollectorConfig) Field() string { return fmt.Sprintf("collectors[%d]", c.Index) }

// Defaults used when neither the collector nor global sets a value.
const (
	DefaultRefreshInterval = 5 * time.Minute
	DefaultTimeout         = 2 * time.Minute
)

var yamlLine = regexp.MustCompile(`^line (\d+): (.*)$`)

var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// Load reads and validates the configuration file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, data)
}

// Parse validates configuration data read from file. It reports every
// mistake it finds (see Join), not only the first. When the YAML itself is
// well-formed but has mistakes, the returned Config is still filled as far
// as it could be decoded, holding only the collectors that passed their own
// checks, so that --config.check can validate their settings too; it must
// not be run.
func Parse(file string, data []byte) (*Config, error) {
	d := Decoder{File: file}
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{File: file, Msg: "empty configuration"}
		}
		return nil, syntaxError(file, data, err)
	}
	if err := checkAliases(file, &root, maxExpandedNodes); err != nil {
		return nil, err
	}
	var errs []error
	cfg := &Config{File: file, Dir: filepath.Dir(file), Raw: data, Alerting: DefaultAlerting()}
	errs = append(errs, d.Decode(&root, "", cfg))
	cfg.fillAlertingDefaults()
	errs = append(errs, cfg.checkAlerting(&root))
	errs = append(errs, cfg.checkSLOs(&root)...)
	errs = append(errs, cfg.checkValue(&root)...)
	errs = append(errs, cfg.loadOpenSLO(&root)...)
	for _, err := range unjoin(cfg.Catalog.Compile()) {
		var fe *catalog.FieldError
		if errors.As(err, &fe) {
			errs = append(errs, &Error{File: file, Line: fe.Line, Field: fe.Field, Msg: fe.Msg})
		} else {
			errs = append(errs, &Error{File: file, Field: "catalog", Msg: err.Error()})
		}
	}
	if _, err := cfg.TemplateSet(); err != nil {
		errs = append(errs, unjoin(err)...)
	}
	if cfg.Global.RefreshInterval == 0 {
		cfg.Global.RefreshInterval = Duration(DefaultRefreshInterval)
	}
	if cfg.Global.Timeout == 0 {
		cfg.Global.Timeout = Duration(DefaultTimeout)
	}
	names := map[string]int{}
	valid := cfg.Collectors[:0:0]
	for i := range cfg.Collectors {
		c := &cfg.Collectors[i]
		c.Index = i
		if err := checkCollector(d, c, names, cfg.Global); err != nil {
			errs = append(errs, err)
			continue
		}
		valid = append(valid, *c)
	}
	if err := Join(errs...); err != nil {
		cfg.Collectors = valid
		return cfg, err
	}
	return cfg, nil
}

// checkCollector validates c's common settings and fills in its defaults.
func checkCollector(d Decoder, c *CollectorConfig, names map[string]int, global Global) error {
	switch {
	case c.Kind == "":
		return d.errAt(c.Line, c.Field()+".kind", "required")
	case c.Name == "":
		return d.errAt(c.Line, c.Field()+".name", "required")
	case !namePattern.MatchString(c.Name):
		return d.errAt(c.Line, c.Field()+".name", fmt.Sprintf("%s must be lower case letters, digits, '-' or '_'", mask.Quote(c.Name)))
	}
	if prev, dup := names[c.Name]; dup {
		return d.errAt(c.Line, c.Field()+".name", fmt.Sprintf("%s is already used by collectors[%d]", mask.Quote(c.Name), prev))
	}
	names[c.Name] = c.Index
	if c.RefreshInterval == 0 {
		c.RefreshInterval = global.RefreshInterval
	}
	if c.Timeout == 0 {
		// An inherited timeout never outlasts the collector's own interval.
		c.Timeout = min(global.Timeout, c.RefreshInterval)
	}
	if time.Duration(c.RefreshInterval) < time.Second {
		return d.errAt(c.Line, c.Field()+".refresh_interval", "must be at least 1s")
	}
	if c.Timeout > c.RefreshInterval {
		return d.errAt(c.Line, c.Field()+".timeout", fmt.Sprintf("%s is longer than refresh_interval %s", c.Timeout, c.RefreshInterval))
	}
	return nil
}

// syntaxError turns a YAML parse error into an Error naming the line. A tab
// in the indentation gets its own message at its own line: yaml.v3 reports
// it at the line of the enclosing node, or as a character that "cannot
// start any token".
func syntaxError(file string, data []byte, err error) *Error {
	msg := cleanYAMLError(err)
	line := 0
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	tabLine := 0
	switch {
	case strings.Contains(msg, "tab character"):
		tabLine = tabIndentedLine(data, line, false)
	case strings.Contains(msg, "cannot start any token"):
		tabLine = tabIndentedLine(data, line, true)
	}
	if tabLine > 0 {
		return &Error{File: file, Line: tabLine, Msg: "tab character in the indentation; indent YAML with spaces only"}
	}
	return &Error{File: file, Line: line, Msg: msg}
}

// tabIndentedLine is the number of the first line from line on whose
// leading whitespace holds a tab (only line itself when exact), or 0.
func tabIndentedLine(data []byte, line int, exact bool) int {
	for i, text := range strings.Split(string(data), "\n") {
		n := i + 1
		if n < line || (exact && n != line) {
			continue
		}
		indent := text[:len(text)-len(strings.TrimLeft(text, " \t"))]
		if strings.Contains(indent, "\t") && strings.TrimSpace(text) != "" {
			return n
		}
	}
	return 0
}

func (d Decoder) errAt(line int, field, msg string) *Error {
	return &Error{File: d.File, Line: line, Field: field, Msg: msg}
}

// Decoder returns the strict decoder for this file, for collector settings.
func (c *Config) Decoder() Decoder { return Decoder{File: c.File} }
