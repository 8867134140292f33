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
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sre-value/sre-value-exporter/internal/catalog"
	"github.com/sre-value/sre-value-exporter/internal/compliance"
)

// Config is the whole configuration file.
type Config struct {
	Global     Global            `yaml:"global"`
	Catalog    catalog.Catalog   `yaml:"catalog"`
	Collectors []CollectorConfig `yaml:"collectors"`
	// Templates declare or override format-check templates (TemplateSet).
	Templates []compliance.TemplateSpec `yaml:"templates"`

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

// Parse validates configuration data read from file.
func Parse(file string, data []byte) (*Config, error) {
	d := Decoder{File: file}
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{File: file, Msg: "empty configuration"}
		}
		msg := cleanYAMLError(err)
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			line, _ := strconv.Atoi(m[1])
			return nil, &Error{File: file, Line: line, Msg: m[2]}
		}
		return nil, &Error{File: file, Msg: msg}
	}
	cfg := &Config{File: file, Dir: filepath.Dir(file), Raw: data}
	if err := d.Decode(&root, "", cfg); err != nil {
		return nil, err
	}
	if err := cfg.Catalog.Compile(); err != nil {
		var fe *catalog.FieldError
		if errors.As(err, &fe) {
			return nil, &Error{File: file, Line: fe.Line, Field: fe.Field, Msg: fe.Msg}
		}
		return nil, &Error{File: file, Field: "catalog", Msg: err.Error()}
	}
	if _, err := cfg.TemplateSet(); err != nil {
		return nil, err
	}
	if cfg.Global.RefreshInterval == 0 {
		cfg.Global.RefreshInterval = Duration(DefaultRefreshInterval)
	}
	if cfg.Global.Timeout == 0 {
		cfg.Global.Timeout = Duration(DefaultTimeout)
	}
	names := map[string]int{}
	for i := range cfg.Collectors {
		c := &cfg.Collectors[i]
		c.Index = i
		switch {
		case c.Kind == "":
			return nil, d.errAt(c.Line, c.Field()+".kind", "required")
		case c.Name == "":
			return nil, d.errAt(c.Line, c.Field()+".name", "required")
		case !namePattern.MatchString(c.Name):
			return nil, d.errAt(c.Line, c.Field()+".name", fmt.Sprintf("%q must be lower case letters, digits, '-' or '_'", c.Name))
		}
		if prev, dup := names[c.Name]; dup {
			return nil, d.errAt(c.Line, c.Field()+".name", fmt.Sprintf("%q is already used by collectors[%d]", c.Name, prev))
		}
		names[c.Name] = i
		if c.RefreshInterval == 0 {
			c.RefreshInterval = cfg.Global.RefreshInterval
		}
		if c.Timeout == 0 {
			// An inherited timeout never outlasts the collector's own interval.
			c.Timeout = min(cfg.Global.Timeout, c.RefreshInterval)
		}
		if time.Duration(c.RefreshInterval) < time.Second {
			return nil, d.errAt(c.Line, c.Field()+".refresh_interval", "must be at least 1s")
		}
		if c.Timeout > c.RefreshInterval {
			return nil, d.errAt(c.Line, c.Field()+".timeout", fmt.Sprintf("%s is longer than refresh_interval %s", c.Timeout, c.RefreshInterval))
		}
	}
	return cfg, nil
}

func (d Decoder) errAt(line int, field, msg string) *Error {
	return &Error{File: d.File, Line: line, Field: field, Msg: msg}
}

// Decoder returns the strict decoder for this file, for collector settings.
func (c *Config) Decoder() Decoder { return Decoder{File: c.File} }
