package incidentsheet

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/catalog"
	"github.com/sre-value/sre-value-exporter/internal/mask"
	"github.com/sre-value/sre-value-exporter/internal/tabular"
)

// Settings are the kind-specific keys of an incidentsheet collector.
type Settings struct {
	// Source is a CSV file (relative to the config file) or the http(s)
	// URL of a CSV export, such as a Google Sheet published as CSV.
	Source string `yaml:"source"`
	// Columns maps logical column names to the headers the sheet uses.
	Columns map[string]string `yaml:"columns"`
	// DateFormat is an extra Go time layout, tried before the built-in ones.
	DateFormat string `yaml:"date_format"`
	// SeverityMap maps the sheet's severity values to sev1..sev5 or unknown,
	// before the built-in spellings (P1, critical, ...) are tried.
	SeverityMap map[string]string `yaml:"severity_map"`
	// Timezone is where times written without a zone were taken (default UTC).
	Timezone string `yaml:"timezone"`
	// MaxRows bounds the sheet's data rows (tabular.DefaultMaxRows when 0);
	// a longer sheet fails its read and keeps the last good data.
	MaxRows int `yaml:"max_rows"`
}

// Columns the collector reads, by logical name. Optional columns may be
// missing from the header; their cells may be empty.
var wantColumns = []tabular.Column{
	{Name: colID},
	// The title is accepted so a natural sheet layout maps without
	// overrides (and a mapping for it is not a typo); it is not exported.
	{Name: colTitle, Optional: true},
	{Name: colSeverity},
	{Name: colService},
	{Name: colTeam, Optional: true},
	{Name: colOpened},
	{Name: colAcknowledged, Optional: true},
	{Name: colResolved, Optional: true},
	{Name: colPostmortem, Optional: true},
	{Name: colItemsOpen, Optional: true},
	{Name: colItemsDone, Optional: true},
	{Name: colItemsOverdue, Optional: true},
}

const (
	colID           = "id"
	colTitle        = "title"
	colSeverity     = "severity"
	colService      = "service"
	colTeam         = "team"
	colOpened       = "opened"
	colAcknowledged = "acknowledged"
	colResolved     = "resolved"
	colPostmortem   = "postmortem"
	colItemsOpen    = "action_items_open"
	colItemsDone    = "action_items_done"
	colItemsOverdue = "action_items_overdue"
)

// timeLayouts are tried in order after the configured date_format; times
// without a zone are read in the configured timezone.
var timeLayouts = []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"}

var severities = map[string]bool{"sev1": true, "sev2": true, "sev3": true, "sev4": true, "sev5": true, "unknown": true}

// settings are the validated settings a collector runs with.
type settings struct {
	Settings
	location *time.Location
	layouts  []string
	// fingerprint changes when anything that affects how rows are read
	// changes, so an unchanged sheet is read again after such a reload.
	fingerprint string
}

func parseSettings(deps collectors.Deps) (*settings, error) {
	var s settings
	decodeErr := deps.DecodeSettings(&s.Settings)
	// Every rule is checked, so one run names every mistake.
	var errs []error
	fail := func(err error) { errs = append(errs, err) }
	s.Source = strings.TrimSpace(s.Source)
	switch lower := strings.ToLower(s.Source); {
	case s.Source == "":
		fail(deps.Errorf("source", "required: a CSV file (relative to the config file) or the http(s) URL of a published sheet"))
	case strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://"):
		u, err := url.Parse(s.Source)
		if err != nil || u.Host == "" {
			// Never echo the URL: a published sheet's link is its key.
			fail(deps.Errorf("source", "not a valid http(s) URL"))
		}
	case strings.Contains(lower, "://"):
		fail(deps.Errorf("source", "only http and https URLs are supported; anything else is read as a file path"))
	}
	if s.MaxRows < 0 {
		return nil, deps.Errorf("max_rows", "%d must be 0 (the default of %d) or more", s.MaxRows, tabular.DefaultMaxRows)
	}
	if err := tabular.CheckOverrides(wantColumns, s.Columns); err != nil {
		fail(deps.Errorf("columns", "%v", err))
	}
	if s.DateFormat != "" {
		if err := tabular.CheckLayout(s.DateFormat); err != nil {
			fail(deps.Errorf("date_format", "%v", err))
		}
		s.layouts = append(s.layouts, s.DateFormat)
	}
	s.layouts = append(s.layouts, timeLayouts...)
	keys := make([]string, 0, len(s.SeverityMap))
	for k := range s.SeverityMap {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !severities[s.SeverityMap[k]] {
			fail(deps.Errorf("severity_map."+k, "%s is not a severity; use sev1 (most severe) to sev5, or unknown", mask.Quote(s.SeverityMap[k])))
		}
	}
	s.location = time.UTC
	if s.Timezone != "" {
		loc, err := time.LoadLocation(s.Timezone)
		if err != nil {
			fail(deps.Errorf("timezone", "%s is not a time zone (use a name such as Europe/Berlin or America/New_York)", mask.Quote(s.Timezone)))
		}
		s.location = loc
	}
	if err := deps.SettingsErrors(decodeErr, errs...); err != nil {
		return nil, err
	}
	s.fingerprint = fingerprint(s.Settings, deps.Catalog)
	return &s, nil
}

func fingerprint(s Settings, cat *catalog.Catalog) string {
	h := sha256.New()
	// json.Marshal sorts map keys, so equal settings give equal bytes.
	enc := json.NewEncoder(h)
	_ = enc.Encode(s)
	if cat != nil {
		_ = enc.Encode(struct {
			Teams    []catalog.Team
			Services []catalog.Service
		}{cat.Teams, cat.Services})
	}
	return hex.EncodeToString(h.Sum(nil))
}
