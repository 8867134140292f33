// Package github is the GitHub Issues incident collector: issues that carry
// the configured labels in the configured repositories are incidents, with
// severity, service and team read from label prefixes and the acknowledge
// time from a label's first "labeled" event or the first comment by someone
// other than the author. Everything is mapped into the shared incident model.
package github

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/config"
	"github.com/sre-value/sre-value-exporter/internal/incident"
	"github.com/sre-value/sre-value-exporter/internal/mask"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
	"github.com/sre-value/sre-value-exporter/internal/store"
	"github.com/sre-value/sre-value-exporter/internal/upstream"
)

// source is the catalog source and the value of the "source" label.
const source = "github"

// Defaults for settings left out.
const (
	defaultSeverityPrefix     = "sev"
	defaultServicePrefix      = "service:"
	defaultTeamPrefix         = "team:"
	defaultPageSize           = 100
	maxPageSize               = 100 // GitHub's per_page limit
	defaultFullResyncInterval = 24 * time.Hour
)

// Values of missing_ack_history.
const (
	missingAckSkip = "skip"
	missingAckFail = "fail"
)

func init() {
	collectors.Register(collectors.Kind{
		Name:             source,
		Help:             "Incidents from GitHub Issues (issues carrying the incident labels in the listed repositories).",
		EnabledByDefault: true,
		Factory:          func(deps collectors.Deps) (collectors.Collector, error) { return newCollector(deps, nil) },
	})
}

// Settings are the kind-specific keys of a github collector.
type Settings struct {
	BaseURL             string            `yaml:"base_url"`
	Token               config.Secret     `yaml:"token"`
	TokenFile           string            `yaml:"token_file"`
	Repositories        []string          `yaml:"repositories"`
	Labels              []string          `yaml:"labels"`
	SeverityLabelPrefix string            `yaml:"severity_label_prefix"`
	SeverityMap         map[string]string `yaml:"severity_map"`
	ServiceLabelPrefix  string            `yaml:"service_label_prefix"`
	TeamLabelPrefix     string            `yaml:"team_label_prefix"`
	AcknowledgedLabel   string            `yaml:"acknowledged_label"`
	PostmortemLabel     string            `yaml:"postmortem_label"`
	// MissingAckHistory is what a 404 or 410 on one issue's events or
	// comments does: skip (default) leaves that issue unacknowledged and
	// notes it; fail fails the refresh.
	MissingAckHistory  string          `yaml:"missing_ack_history"`
	PageSize           int             `yaml:"page_size"`
	FullResyncInterval config.Duration `yaml:"full_resync_interval"`
}

// repository is one configured owner/name.
type repository struct {
	Owner, Name string
	// key is the lower-cased owner/name that prefixes incident IDs and
	// names the cursor; GitHub treats owner and name case-insensitively.
	key string
}

func (r repository) String() string { return r.Owner + "/" + r.Name }

// incidentID is unique within the collector: "owner/name#number".
func (r repository) incidentID(number int) string { return fmt.Sprintf("%s#%d", r.key, number) }

// Collector is one configured github collector instance.
type Collector struct {
	// checks judges the incidents against the format templates.
	checks   *incident.Checks
	deps     collectors.Deps
	cfg      Settings
	repos    []repository
	client   *gh.Client
	interval time.Duration
	// mapping fingerprints every setting that changes how an issue maps to
	// an incident; when it changes, the next sync re-reads everything.
	mapping string
	// pruned is set once the store was cleaned of repositories that are no
	// longer configured (once per instance: a config change builds a new one).
	pruned bool
}

var repoPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)

var severityValues = map[string]bool{"sev1": true, "sev2": true, "sev3": true, "sev4": true, "sev5": true, "unknown": true}

// newCollector validates the settings and builds the API client without
// contacting GitHub. tune, if not nil, adjusts the HTTP layer (tests
// replace its clock and sleep).
func newCollector(deps collectors.Deps, tune func(*upstream.Options)) (*Collector, error) {
	var cfg Settings
	decodeErr := deps.DecodeSettings(&cfg)
	// Every rule is checked, so one run names every mistake.
	var errs []error
	fail := func(err error) { errs = append(errs, err) }
	token, err := deps.Secret("token", cfg.Token, cfg.TokenFile, true)
	if err != nil {
		fail(err)
	}
	cfg.Token = token

	c := &Collector{deps: deps, checks: incident.NewChecks(deps.Templates)}
	if len(cfg.Repositories) == 0 {
		fail(deps.Errorf("repositories", "required: list at least one owner/name"))
	}
	seen := map[string]int{}
	for i, r := range cfg.Repositories {
		r = strings.TrimSpace(r)
		if !repoPattern.MatchString(r) {
			fail(deps.Errorf(fmt.Sprintf("repositories[%d]", i), "%s is not owner/name", mask.Quote(r)))
			continue
		}
		key := strings.ToLower(r)
		if prev, dup := seen[key]; dup {
			fail(deps.Errorf(fmt.Sprintf("repositories[%d]", i), "%s is already listed as repositories[%d]", mask.Quote(r), prev))
			continue
		}
		seen[key] = i
		owner, name, _ := strings.Cut(r, "/")
		c.repos = append(c.repos, repository{Owner: owner, Name: name, key: key})
	}
	for i, l := range cfg.Labels {
		switch {
		case strings.TrimSpace(l) == "":
			fail(deps.Errorf(fmt.Sprintf("labels[%d]", i), "must not be empty"))
		case strings.Contains(l, ","):
			// The labels= filter is comma-separated, so such a label cannot be asked for.
			fail(deps.Errorf(fmt.Sprintf("labels[%d]", i), "%s contains a comma, which GitHub's labels filter cannot express", mask.Quote(l)))
		}
	}
	if cfg.SeverityLabelPrefix == "" {
		cfg.SeverityLabelPrefix = defaultSeverityPrefix
	}
	if cfg.ServiceLabelPrefix == "" {
		cfg.ServiceLabelPrefix = defaultServicePrefix
	}
	if cfg.TeamLabelPrefix == "" {
		cfg.TeamLabelPrefix = defaultTeamPrefix
	}
	// Label names are case-insensitive on GitHub, so the map is too.
	severityMap := make(map[string]string, len(cfg.SeverityMap))
	for _, k := range slices.Sorted(maps.Keys(cfg.SeverityMap)) {
		v := cfg.SeverityMap[k]
		if !severityValues[v] {
			fail(deps.Errorf("severity_map."+k, "%s must be one of sev1, sev2, sev3, sev4, sev5, unknown", mask.Quote(v)))
			continue
		}
		severityMap[strings.ToLower(strings.TrimSpace(k))] = v
	}
	cfg.SeverityMap = severityMap
	switch cfg.MissingAckHistory {
	case "":
		cfg.MissingAckHistory = missingAckSkip
	case missingAckSkip, missingAckFail:
	default:
		return nil, deps.Errorf("missing_ack_history", "%q is not %s or %s", cfg.MissingAckHistory, missingAckSkip, missingAckFail)
	}
	switch {
	case cfg.PageSize == 0:
		cfg.PageSize = defaultPageSize
	case cfg.PageSize < 1 || cfg.PageSize > maxPageSize:
		fail(deps.Errorf("page_size", "%d is outside 1..%d (GitHub's per_page limit)", cfg.PageSize, maxPageSize))
	}
	c.interval = time.Duration(cfg.FullResyncInterval)
	switch {
	case c.interval == 0:
		c.interval = defaultFullResyncInterval
	case c.interval < time.Minute:
		fail(deps.Errorf("full_resync_interval", "%s is shorter than 1m", cfg.FullResyncInterval))
	}
	if cfg.BaseURL != "" {
		if u, err := url.Parse(cfg.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			fail(deps.Errorf("base_url", "%s is not an http(s) URL such as https://ghe.example.com/api/v3/", mask.Quote(cfg.BaseURL)))
		}
	}
	if err := deps.SettingsErrors(decodeErr, errs...); err != nil {
		return nil, err
	}

	opts := upstream.Options{
		Observer:  deps.Observer,
		Secrets:   []string{token.Value()},
		Authorize: func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token.Value()) },
		ETags:     true,
		UserAgent: "sre-value-exporter",
		Logger:    deps.Logger,
	}
	if tune != nil {
		tune(&opts)
	}
	httpClient := *upstream.New(opts).HTTP()
	httpClient.Transport = hideQuotaReset{next: httpClient.Transport}
	c.client = gh.NewClient(&httpClient)
	if cfg.BaseURL != "" {
		if c.client, err = c.client.WithEnterpriseURLs(cfg.BaseURL, cfg.BaseURL); err != nil {
			return nil, deps.Errorf("base_url", "%s cannot be used as a GitHub Enterprise URL", mask.Quote(cfg.BaseURL))
		}
	}
	c.cfg = cfg
	c.mapping = mappingFingerprint(cfg)
	return c, nil
}

// mappingFingerprint summarises the settings that decide which issues are
// incidents and how they map.
func mappingFingerprint(cfg Settings) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%q\x00%s\x00%s\x00%s\x00%s\x00%s\x00", cfg.BaseURL, cfg.Labels, cfg.SeverityLabelPrefix,
		cfg.ServiceLabelPrefix, cfg.TeamLabelPrefix, cfg.AcknowledgedLabel, cfg.PostmortemLabel)
	keys := make([]string, 0, len(cfg.SeverityMap))
	for k := range cfg.SeverityMap {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(h, "%s=%s\x00", k, cfg.SeverityMap[k])
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// Snapshot computes the incident metrics from the store; it never calls GitHub.
func (c *Collector) Snapshot(now time.Time) (*snapshot.Snapshot, error) {
	return incident.Snapshot(c.deps.Store, c.deps.StoreKey(), source, now, c.checks, nil)
}

// maxNotes bounds the landing-page list; the rest is summarised.
const maxNotes = 20

// Notes lists the issues that were skipped because their timeline is
// impossible, and those whose acknowledge time is unknown because GitHub
// no longer had their events or comments.
// Notes are the sync's warnings followed by the format findings of the
// last snapshot.
func (c *Collector) Notes() []string {
	return append(c.syncNotes(), c.checks.Notes()...)
}

func (c *Collector) syncNotes() []string {
	var notes []string
	total := 0
	err := c.deps.Store.View(c.deps.StoreKey(), func(tx *store.Tx) error {
		for _, kind := range []struct{ name, format string }{
			{skippedKind, "issue %s skipped: %s"},
			{ackMissingKind, "issue %s: acknowledge time unknown: %s"},
		} {
			err := tx.ForEachRecord(kind.name, func(id string, data []byte) error {
				total++
				if len(notes) < maxNotes {
					var why string
					if err := json.Unmarshal(data, &why); err != nil {
						why = string(data)
					}
					notes = append(notes, fmt.Sprintf(kind.format, id, why))
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return []string{err.Error()}
	}
	if total > len(notes) {
		notes = append(notes, fmt.Sprintf("... and %d more issues", total-len(notes)))
	}
	return notes
}

// hideQuotaReset drops X-RateLimit-Reset from successful responses before
// go-github sees them. go-github refuses, without sending it, any request
// made after a response that reported 0 remaining; the upstream layer
// instead waits for the reset (within its limits) and then sends it, which
// is what a long sync needs. Errors keep the header, so a 403 with no
// quota left is still go-github's RateLimitError.
type hideQuotaReset struct{ next http.RoundTripper }

func (t hideQuotaReset) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err == nil && resp.StatusCode < 400 && resp.Header.Get("X-RateLimit-Remaining") == "0" {
		resp.Header.Del("X-RateLimit-Reset")
	}
	return resp, err
}

// History loads the stored incidents for backfill (see incident.History).
func (c *Collector) History() (collectors.History, error) {
	return incident.LoadHistory(c.deps.Store, c.deps.StoreKey(), source)
}
