// Package slack is the Slack collector: channel activity (messages,
// replies, reactions, posters, threads, members) and, for help channels,
// questions and how fast the SRE team answers them. It reads either the
// live Web API with a bot token (slack-go over the shared upstream HTTP
// layer, incremental and paced for Slack's method tiers) or a workspace
// export (zip or folder). Both fill the same store records, from which
// Snapshot computes the metrics.
package slack

import (
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/config"
	"github.com/sre-value/sre-value-exporter/internal/upstream"
)

// Source is the catalog alias prefix ("slack:#sre-help", "slack:@sre-oncall").
const Source = "slack"

// Defaults for optional settings.
const (
	defaultURL             = "https://slack.com/api/"
	defaultLookback        = 90 * 24 * time.Hour
	defaultOverlap         = 3 * 24 * time.Hour
	defaultPageSize        = 200
	maxPageSize            = 999
	defaultUnansweredAfter = 24 * time.Hour
	// defaultHistoryPerMinute is Tier 3, the limit of conversations.history
	// and conversations.replies for internal (customer-built) apps.
	defaultHistoryPerMinute = 50
)

func init() {
	collectors.Register(collectors.Kind{
		Name:             Source,
		Help:             "Slack channel activity and help-channel response times, from the Web API (bot token) or a workspace export.",
		EnabledByDefault: true,
		Factory:          New,
	})
}

// settings are the kind-specific config keys.
type settings struct {
	// Token (or TokenFile) is a bot token (xoxb-...); Export is a workspace
	// export zip or folder. Exactly one of them.
	Token     config.Secret `yaml:"token"`
	TokenFile string        `yaml:"token_file"`
	Export    string        `yaml:"export"`
	URL       string        `yaml:"url"`
	// Channels are "#name" or a channel ID; HelpChannels are collected too
	// and also get the question metrics.
	Channels     []string `yaml:"channels"`
	HelpChannels []string `yaml:"help_channels"`
	// SREUserGroups are user group handles ("@sre-oncall") or IDs whose
	// members are the SRE team.
	SREUserGroups []string `yaml:"sre_user_groups"`
	// Lookback is how much history the first live sync reads.
	Lookback config.Duration `yaml:"lookback"`
	// Overlap is how far before the cursor each live sync re-reads, to see
	// late thread replies and reactions on recent messages.
	Overlap  config.Duration `yaml:"overlap"`
	PageSize int             `yaml:"page_size"`
	// HistoryRequestsPerMinute paces conversations.history and
	// conversations.replies (50, Tier 3; 1 for commercially distributed
	// non-Marketplace apps).
	HistoryRequestsPerMinute int `yaml:"history_requests_per_minute"`
	// UnansweredAfter is the age after which a question without an SRE
	// reply counts as unanswered.
	UnansweredAfter config.Duration `yaml:"unanswered_after"`
}

// channelRef is one configured channel.
type channelRef struct {
	// Ref is what the config says: "#name" or an ID.
	Ref  string
	Help bool
}

func (r channelRef) isID() bool   { return channelID.MatchString(r.Ref) }
func (r channelRef) name() string { return strings.TrimPrefix(r.Ref, "#") }

var (
	channelID   = regexp.MustCompile(`^[CG][A-Z0-9]{6,}$`)
	channelName = regexp.MustCompile(`^#[\p{Ll}\p{Lo}\p{Lm}\p{N}][\p{Ll}\p{Lo}\p{Lm}\p{M}\p{N}_\-]{0,79}$`)
	groupID     = regexp.MustCompile(`^S[A-Z0-9]{6,}$`)
	groupHandle = regexp.MustCompile(`^@[a-z0-9][a-z0-9._\-]{0,79}$`)
)

// Collector is one configured Slack workspace (live or export).
type Collector struct {
	deps     collectors.Deps
	cfg      settings
	channels []channelRef
	log      *slog.Logger

	// Live mode only.
	api    *apiClient
	export string // absolute export path in export mode

	mu    sync.Mutex
	notes []string
	// formatNotes are the format findings of the last snapshot.
	formatNotes []string
}

// New validates the settings and builds the collector; it does not
// contact Slack.
func New(deps collectors.Deps) (collectors.Collector, error) {
	return newCollector(deps, nil)
}

// newCollector is New with a hook to adjust the HTTP layer and the pacer
// (tests replace their clocks and sleeps).
func newCollector(deps collectors.Deps, tune func(*upstream.Options, *pacer)) (*Collector, error) {
	var cfg settings
	decodeErr := deps.DecodeSettings(&cfg)
	c := &Collector{deps: deps, cfg: cfg}
	if err := deps.SettingsErrors(decodeErr, c.normalise()); err != nil {
		return nil, err
	}
	if deps.Now == nil {
		c.deps.Now = time.Now
	}
	logger := deps.Logger
	if logger == nil {
		logger = slog.Default()
	}
	c.log = logger.With("collector", deps.Name())

	if cfg.Export != "" {
		if cfg.Token.IsSet() || cfg.TokenFile != "" {
			return nil, deps.Errorf("export", "set either export or token/token_file, not both")
		}
		c.export = cfg.Export
		if !filepath.IsAbs(c.export) {
			c.export = filepath.Join(deps.BaseDir, c.export)
		}
		return c, nil
	}
	token, err := deps.Secret("token", cfg.Token, cfg.TokenFile, false)
	if err != nil {
		return nil, err
	}
	if !token.IsSet() {
		return nil, deps.Errorf("token", "required (a bot token, xoxb-...), or set export to read a workspace export")
	}
	c.api = newAPIClient(deps, c.cfg, token.Value(), tune)
	return c, nil
}

// normalise applies defaults and checks every setting, naming the field.
func (c *Collector) normalise() error {
	deps, cfg := c.deps, &c.cfg
	if cfg.URL == "" {
		cfg.URL = defaultURL
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return deps.Errorf("url", "%q is not an http(s) URL such as %s", cfg.URL, defaultURL)
	}
	if !strings.HasSuffix(cfg.URL, "/") {
		cfg.URL += "/"
	}
	seen := map[string]string{}
	add := func(field string, refs []string, help bool) error {
		for i, ref := range refs {
			f := fmt.Sprintf("%s[%d]", field, i)
			ref = strings.TrimSpace(ref)
			if !channelID.MatchString(ref) && !channelName.MatchString(ref) {
				return deps.Errorf(f, "%q is neither a channel name such as \"#sre-help\" (lower case, with the #) nor a channel ID such as C0123ABCD", ref)
			}
			if prev, dup := seen[ref]; dup {
				return deps.Errorf(f, "channel %s is already listed in %s", ref, prev)
			}
			seen[ref] = f
			c.channels = append(c.channels, channelRef{Ref: ref, Help: help})
		}
		return nil
	}
	if err := add("channels", cfg.Channels, false); err != nil {
		return err
	}
	if err := add("help_channels", cfg.HelpChannels, true); err != nil {
		return err
	}
	if len(c.channels) == 0 {
		return deps.Errorf("channels", "list at least one channel (in channels or help_channels)")
	}
	for i, g := range cfg.SREUserGroups {
		if !groupID.MatchString(g) && !groupHandle.MatchString(g) {
			return deps.Errorf(fmt.Sprintf("sre_user_groups[%d]", i), "%q is neither a user group handle such as \"@sre-oncall\" (with the @) nor a user group ID such as S0123ABCD", g)
		}
		if slices.Contains(cfg.SREUserGroups[:i], g) {
			return deps.Errorf(fmt.Sprintf("sre_user_groups[%d]", i), "%s is listed twice", g)
		}
	}
	if cfg.Lookback == 0 {
		cfg.Lookback = config.Duration(defaultLookback)
	}
	if cfg.Lookback < config.Duration(24*time.Hour) {
		return deps.Errorf("lookback", "%s must be at least 1d", cfg.Lookback)
	}
	if cfg.Overlap == 0 {
		cfg.Overlap = config.Duration(defaultOverlap)
	}
	if cfg.Overlap < 0 || cfg.Overlap > cfg.Lookback {
		return deps.Errorf("overlap", "%s must be between 0 and lookback (%s)", cfg.Overlap, cfg.Lookback)
	}
	switch {
	case cfg.PageSize == 0:
		cfg.PageSize = defaultPageSize
	case cfg.PageSize < 1 || cfg.PageSize > maxPageSize:
		return deps.Errorf("page_size", "%d must be between 1 and %d", cfg.PageSize, maxPageSize)
	}
	switch {
	case cfg.HistoryRequestsPerMinute == 0:
		cfg.HistoryRequestsPerMinute = defaultHistoryPerMinute
	case cfg.HistoryRequestsPerMinute < 1 || cfg.HistoryRequestsPerMinute > 1000:
		return deps.Errorf("history_requests_per_minute", "%d must be between 1 and 1000", cfg.HistoryRequestsPerMinute)
	}
	if cfg.UnansweredAfter == 0 {
		cfg.UnansweredAfter = config.Duration(defaultUnansweredAfter)
	}
	if cfg.UnansweredAfter < 0 {
		return deps.Errorf("unanswered_after", "must be positive")
	}
	return nil
}

// Notes are the warnings of the last sync, for the landing page, then the
// format findings of the last snapshot (with the post's permalink). The
// warnings never name people or quote messages.
func (c *Collector) Notes() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append(slices.Clone(c.notes), c.formatNotes...)
}

// maxNotes bounds the landing-page warnings.
const maxNotes = 20

func (c *Collector) resetNotes() {
	c.mu.Lock()
	c.notes = nil
	c.mu.Unlock()
}

func (c *Collector) note(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	c.log.Warn(msg)
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.notes) < maxNotes {
		c.notes = append(c.notes, msg)
	}
}

// CheckSources reports an export folder that does not exist.
func (c *Collector) CheckSources() []error {
	if err := c.deps.CheckLocalFile("export", c.cfg.Export); err != nil {
		return []error{err}
	}
	return nil
}
