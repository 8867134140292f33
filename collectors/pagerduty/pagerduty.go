// Package pagerduty is the PagerDuty incident collector: it lists incidents
// through the REST API (go-pagerduty over the shared upstream HTTP layer),
// maps them into the one incident model and lets internal/incident compute
// time to acknowledge, time to resolve, the windows and the counters.
package pagerduty

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	pd "github.com/PagerDuty/go-pagerduty"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/config"
	"github.com/sre-value/sre-value-exporter/internal/incident"
	"github.com/sre-value/sre-value-exporter/internal/mask"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
	"github.com/sre-value/sre-value-exporter/internal/upstream"
)

// Source is the value of the "source" label and the catalog alias prefix.
const Source = "pagerduty"

// PagerDuty API limits the sync is shaped around.
const (
	// maxOffset is the most that offset+limit may reach with classic
	// pagination; a date slice holding more incidents is split in half.
	maxOffset = 10000
	// maxSpan is the longest since..until range the incidents list accepts
	// (six months); 180 days stays inside it whatever the months.
	maxSpan = 180 * 24 * time.Hour
	// maxPageSize is the largest limit the API honours.
	maxPageSize = 100
)

// Defaults for optional settings.
const (
	defaultURL      = "https://api.pagerduty.com"
	defaultLookback = 180 * 24 * time.Hour
	defaultWindow   = 30 * 24 * time.Hour
	defaultOverlap  = time.Hour
)

func init() {
	collectors.Register(collectors.Kind{
		Name:             Source,
		Help:             "PagerDuty incidents: time to acknowledge and resolve, open incidents, counts by priority or urgency, service and team.",
		EnabledByDefault: true,
		Factory:          New,
	})
}

// settings are the kind-specific config keys.
type settings struct {
	URL        string        `yaml:"url"`
	Token      config.Secret `yaml:"token"`
	TokenFile  string        `yaml:"token_file"`
	ServiceIDs []string      `yaml:"service_ids"`
	TeamIDs    []string      `yaml:"team_ids"`
	Urgencies  []string      `yaml:"urgencies"`
	// SeverityFrom is "priority" (P1..P5 -> sev1..sev5) or "urgency".
	SeverityFrom string            `yaml:"severity_from"`
	SeverityMap  map[string]string `yaml:"severity_map"`
	PageSize     int               `yaml:"page_size"`
	// Lookback is how much history the first sync reads.
	Lookback config.Duration `yaml:"lookback"`
	// Window is the date slice each list request covers.
	Window config.Duration `yaml:"window"`
	// Overlap is how far before the cursor each sync starts re-reading, for
	// incidents that become visible late or resolve soon after creation.
	Overlap config.Duration `yaml:"overlap"`
}

// Collector is one configured PagerDuty account (and filter).
type Collector struct {
	// checks judges the incidents against the format templates.
	checks *incident.Checks
	deps   collectors.Deps
	cfg    settings
	api    *pd.Client
	log    *slog.Logger

	mu sync.Mutex
	// progress words how far a first sync in progress got.
	progress string
	notes    []string
	// skipped counts incidents left out by validation in the last sync.
	skipped int
}

var validSeverities = []string{"sev1", "sev2", "sev3", "sev4", "sev5", "unknown"}

// New validates the settings and builds the collector; it does not
// contact PagerDuty.
func New(deps collectors.Deps) (collectors.Collector, error) {
	return newCollector(deps, nil)
}

// newCollector is New with a hook to adjust the HTTP layer (tests replace
// its clock and sleep).
func newCollector(deps collectors.Deps, tune func(*upstream.Options)) (*Collector, error) {
	var cfg settings
	decodeErr := deps.DecodeSettings(&cfg)
	token, err := deps.Secret("token", cfg.Token, cfg.TokenFile, true)
	if err := deps.SettingsErrors(decodeErr, err, normalise(deps, &cfg)); err != nil {
		return nil, err
	}
	opts := upstream.Options{
		Observer:  deps.Observer,
		Secrets:   []string{token.Value()},
		UserAgent: "sre-value-exporter",
		// go-pagerduty sets "Authorization: Token token=..." itself; the
		// token is listed in Secrets so errors never carry it.
	}
	if tune != nil {
		tune(&opts)
	}
	client := upstream.New(opts)
	api := pd.NewClient(token.Value(), pd.WithAPIEndpoint(cfg.URL))
	httpClient := *client.HTTP()
	httpClient.Transport = &recorder{next: httpClient.Transport}
	api.HTTPClient = &httpClient

	logger := deps.Logger
	if logger == nil {
		logger = slog.Default()
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	return &Collector{deps: deps, cfg: cfg, api: api, log: logger, checks: incident.NewChecks(deps.Templates)}, nil // logger is already labelled with collector and kind
}

// normalise applies defaults and checks every setting, naming the field.
func normalise(deps collectors.Deps, cfg *settings) error {
	// Every rule is checked, so one run names every mistake.
	var errs []error
	fail := func(err error) { errs = append(errs, err) }
	if cfg.URL == "" {
		cfg.URL = defaultURL
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		fail(deps.Errorf("url", "%s is not an http(s) URL such as %s", mask.Quote(cfg.URL), defaultURL))
	}
	cfg.URL = strings.TrimRight(cfg.URL, "/")
	for i, id := range cfg.ServiceIDs {
		if strings.TrimSpace(id) == "" {
			fail(deps.Errorf(fmt.Sprintf("service_ids[%d]", i), "empty service ID"))
		}
	}
	for i, id := range cfg.TeamIDs {
		if strings.TrimSpace(id) == "" {
			fail(deps.Errorf(fmt.Sprintf("team_ids[%d]", i), "empty team ID"))
		}
	}
	for i, v := range cfg.Urgencies {
		if v != "high" && v != "low" {
			fail(deps.Errorf(fmt.Sprintf("urgencies[%d]", i), "%s is not an urgency (high or low)", mask.Quote(v)))
		}
	}
	switch cfg.SeverityFrom {
	case "":
		cfg.SeverityFrom = "priority"
	case "priority", "urgency":
	default:
		fail(deps.Errorf("severity_from", "%s must be priority or urgency", mask.Quote(cfg.SeverityFrom)))
	}
	keys := make([]string, 0, len(cfg.SeverityMap))
	for k := range cfg.SeverityMap {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !slices.Contains(validSeverities, cfg.SeverityMap[k]) {
			fail(deps.Errorf("severity_map."+k, "%s must be one of %s", mask.Quote(cfg.SeverityMap[k]), strings.Join(validSeverities, ", ")))
		}
	}
	switch {
	case cfg.PageSize == 0:
		cfg.PageSize = maxPageSize
	case cfg.PageSize < 1 || cfg.PageSize > maxPageSize:
		fail(deps.Errorf("page_size", "%d must be between 1 and %d", cfg.PageSize, maxPageSize))
	}
	if cfg.Lookback == 0 {
		cfg.Lookback = config.Duration(defaultLookback)
	}
	if cfg.Lookback < 0 {
		fail(deps.Errorf("lookback", "must be positive"))
	}
	switch {
	case cfg.Window == 0:
		cfg.Window = config.Duration(defaultWindow)
	case cfg.Window < config.Duration(time.Hour) || cfg.Window > config.Duration(maxSpan):
		fail(deps.Errorf("window", "%s must be between 1h and 180d (PagerDuty lists at most six months at a time)", cfg.Window))
	}
	if cfg.Overlap == 0 {
		cfg.Overlap = config.Duration(defaultOverlap)
	}
	if cfg.Overlap < 0 {
		fail(deps.Errorf("overlap", "must not be negative"))
	}
	return config.Join(errs...)
}

// Snapshot computes the incident metrics from the store; it never calls
// PagerDuty.
func (c *Collector) Snapshot(now time.Time) (*snapshot.Snapshot, error) {
	return incident.Snapshot(c.deps.Store, c.deps.StoreKey(), Source, now, c.checks, nil)
}

// Notes are the progress of a first sync still going and the warnings of
// the last sync, for the landing page.
// Notes are the sync's warnings followed by the format findings of the
// last snapshot.
func (c *Collector) Notes() []string {
	return append(c.syncNotes(), c.checks.Notes()...)
}

func (c *Collector) syncNotes() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	if c.progress != "" {
		out = append(out, c.progress)
	}
	out = append(out, c.notes...)
	if c.skipped > len(c.notes) {
		out = append(out, fmt.Sprintf("%d incidents skipped in total (only the first %d are listed)", c.skipped, len(c.notes)))
	}
	return out
}

// maxNotes bounds the landing-page warnings.
const maxNotes = 20

func (c *Collector) note(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	c.log.Warn(msg)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.skipped++
	if len(c.notes) < maxNotes {
		c.notes = append(c.notes, msg)
	}
}

// recorder remembers the last HTTP exchange of a call in the request's
// context: go-pagerduty drops the *http.Response on errors and flattens
// transport errors with %v, and upstream.Classify needs both to give the
// right reason.
type recorder struct {
	next http.RoundTripper
}

type exchangeKey struct{}

type exchange struct {
	resp *http.Response
	err  error
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	if ex, ok := req.Context().Value(exchangeKey{}).(*exchange); ok {
		ex.resp, ex.err = resp, err
	}
	return resp, err
}

// History loads the stored incidents for backfill (see incident.History).
func (c *Collector) History() (collectors.History, error) {
	return incident.LoadHistory(c.deps.Store, c.deps.StoreKey(), Source)
}
