package records

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/config"
	"github.com/sre-value/sre-value-exporter/internal/mask"
	"github.com/sre-value/sre-value-exporter/internal/metrics"
	"github.com/sre-value/sre-value-exporter/internal/tabular"
)

// settings are the records collector's own keys.
type settings struct {
	Tables []tableSettings `yaml:"tables"`
}

// tableSettings is one entry of tables.
type tableSettings struct {
	Type   string `yaml:"type"`
	Name   string `yaml:"name"`
	Source string `yaml:"source"`
	// Columns maps logical column names to the headers used in the file.
	Columns    map[string]string `yaml:"columns"`
	DateFormat string            `yaml:"date_format"`
	// Kinds replaces the default event kinds (events tables only).
	Kinds []string `yaml:"kinds"`
	// Metrics defines a custom table's metrics (custom tables only).
	Metrics []customMetric `yaml:"metrics"`
	// MaxRows bounds the table's data rows (tabular.DefaultMaxRows when 0);
	// a longer table fails its read and keeps its last good rows.
	MaxRows int `yaml:"max_rows"`
	Line    int `yaml:",line" json:"-"`
}

// tableTypes are the types a table may have, in the order documented.
var tableTypes = []string{"training", "events", "newsletter", "surveys", "champions", "savings", "adoption", "collaboration", "slo", "custom"}

var tableNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

func (s settings) validate(deps collectors.Deps) ([]*table, error) {
	errAt := func(line int, field, format string, args ...any) error {
		return &config.Error{File: deps.Decoder.File, Line: line, Field: deps.Config.Field() + "." + field, Msg: fmt.Sprintf(format, args...)}
	}
	if len(s.Tables) == 0 {
		return nil, deps.Errorf("tables", "required: list at least one table")
	}
	names := map[string]int{}
	metricNames := map[string]string{} // custom metric name -> field that defined it
	claims := deps.Claims
	if claims == nil {
		claims = metrics.NewClaims() // a collector built on its own, in tests
	}
	var tables []*table
	// Each table's first mistake is reported, so one run names a mistake in
	// every table.
	var errs []error
	fail := func(err error) { errs = append(errs, err) }
	for i, ts := range s.Tables {
		field := fmt.Sprintf("tables[%d]", i)
		if ts.Type == "" {
			fail(errAt(ts.Line, field+".type", "required: one of %s", strings.Join(tableTypes, ", ")))
			continue
		}
		if !contains(tableTypes, ts.Type) {
			fail(errAt(ts.Line, field+".type", "%s is not a table type; use one of %s", mask.Quote(ts.Type), strings.Join(tableTypes, ", ")))
			continue
		}
		if ts.Name == "" {
			ts.Name = ts.Type
		}
		if !tableNamePattern.MatchString(ts.Name) {
			fail(errAt(ts.Line, field+".name", "%s must be lower case letters, digits, '-' or '_'", mask.Quote(ts.Name)))
			continue
		}
		if prev, dup := names[ts.Name]; dup {
			fail(errAt(ts.Line, field+".name", "%s is already used by tables[%d]; give one of them another name", mask.Quote(ts.Name), prev))
			continue
		}
		names[ts.Name] = i
		if err := checkSource(ts.Source); err != nil {
			fail(errAt(ts.Line, field+".source", "%v", err))
			continue
		}
		if ts.MaxRows < 0 {
			return nil, errAt(ts.Line, field+".max_rows", "%d must be 0 (the default of %d) or more", ts.MaxRows, tabular.DefaultMaxRows)
		}
		if ts.DateFormat != "" {
			if err := tabular.CheckLayout(ts.DateFormat); err != nil {
				fail(errAt(ts.Line, field+".date_format", "%v", err))
				continue
			}
		}
		if len(ts.Kinds) > 0 && ts.Type != "events" {
			fail(errAt(ts.Line, field+".kinds", "only events tables have kinds"))
			continue
		}
		if len(ts.Metrics) > 0 && ts.Type != "custom" {
			fail(errAt(ts.Line, field+".metrics", "only custom tables define metrics"))
			continue
		}
		var sch schema
		switch ts.Type {
		case "custom":
			if len(ts.Columns) > 0 {
				fail(errAt(ts.Line, field+".columns", "custom tables name their header columns directly in metrics"))
				continue
			}
			custom, err := validateCustom(ts, field, errAt, metricNames, claims, deps.Config.Field())
			if err != nil {
				fail(err)
				continue
			}
			sch = &customSchema{table: ts.Name, metrics: custom}
		case "events":
			kinds, err := eventKinds(ts.Kinds)
			if err != nil {
				fail(errAt(ts.Line, field+".kinds", "%v", err))
				continue
			}
			sch = &eventsSchema{kinds: kinds}
		default:
			sch = builtinSchemas[ts.Type]()
		}
		if err := tabular.CheckOverrides(sch.columns(), ts.Columns); err != nil {
			fail(errAt(ts.Line, field+".columns", "%v", err))
			continue
		}
		tables = append(tables, &table{
			name:        ts.Name,
			settings:    ts,
			schema:      sch,
			source:      tabular.Source{Location: ts.Source, BaseDir: deps.BaseDir, MaxRows: ts.MaxRows},
			fingerprint: fingerprint(ts),
		})
	}
	if err := config.Join(errs...); err != nil {
		return nil, err
	}
	return tables, nil
}

func checkSource(src string) error {
	if strings.TrimSpace(src) == "" {
		return fmt.Errorf("required: a CSV file path (relative to the config file) or an http(s) URL")
	}
	s := tabular.Source{Location: src}
	if !s.IsURL() {
		if strings.Contains(src, "://") {
			return fmt.Errorf("%s: only http and https URLs are supported", mask.Quote(tabular.RedactURL(src)))
		}
		return nil
	}
	u, err := url.Parse(src)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%s is not a valid URL", mask.Quote(s.Name()))
	}
	return nil
}

// fingerprint identifies the settings that shape the stored rows, so that
// a change (a new column mapping, date format or kind list) re-parses the
// table even when its content is unchanged.
func fingerprint(ts tableSettings) string {
	data, _ := json.Marshal(ts)
	sum := sha256.Sum256(append([]byte(formatVersion+"\x00"), data...))
	return hex.EncodeToString(sum[:8])
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
