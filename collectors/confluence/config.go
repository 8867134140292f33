package confluence

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/config"
	"github.com/sre-value/sre-value-exporter/internal/tabular"
)

// Deployments.
const (
	Cloud      = "cloud"
	DataCenter = "datacenter"
)

// Content types the collector reads.
const (
	TypePage     = "page"
	TypeBlogpost = "blogpost"
)

// Settings are the kind-specific keys of a confluence collector.
type Settings struct {
	// URL is the wiki's base: https://example.atlassian.net/wiki on Cloud
	// (the /wiki is added when missing), the context root on Data Center.
	URL        string        `yaml:"url"`
	Deployment string        `yaml:"deployment"`
	Email      string        `yaml:"email"`
	Token      config.Secret `yaml:"token"`
	TokenFile  string        `yaml:"token_file"`
	// PagesCSV lists the pages instead of the REST API (no credentials).
	PagesCSV     string            `yaml:"pages_csv"`
	PagesColumns map[string]string `yaml:"pages_columns"`
	// ViewsCSV gives daily page views instead of the Cloud analytics API.
	ViewsCSV     string            `yaml:"views_csv"`
	ViewsColumns map[string]string `yaml:"views_columns"`
	DateFormat   string            `yaml:"date_format"`

	Spaces       []string `yaml:"spaces"`
	Types        []string `yaml:"types"`
	Labels       []string `yaml:"labels"`
	OnlyLabelled bool     `yaml:"only_labelled"`
	CQL          string   `yaml:"cql"`
	KeyPages     []string `yaml:"key_pages"`

	StaleAfter        config.Duration `yaml:"stale_after"`
	AnalyticsInterval config.Duration `yaml:"analytics_interval"`
	PageSize          int             `yaml:"page_size"`
}

// Defaults and limits.
const (
	DefaultPageSize          = 100
	DefaultStaleAfter        = 180 * 24 * time.Hour
	DefaultAnalyticsInterval = 6 * time.Hour
	maxPageSize              = 1000
	maxKeyPages              = 50
	maxLabels                = 50
)

// Label value of pages that carry none of the configured labels.
const noLabel = "none"

var (
	spaceKeyPattern = regexp.MustCompile(`^~?[A-Za-z0-9_]+$`)
	labelPattern    = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*$`)
)

// settings are the validated settings the collector runs with.
type settings struct {
	Settings
	base       *url.URL // nil with pages_csv
	token      config.Secret
	spaces     map[string]bool // upper-cased space keys
	types      map[string]bool
	labelIndex map[string]int    // configured label -> position (first match wins)
	keyPages   map[string]string // lower-cased title -> title as configured
	staleAfter time.Duration
	interval   time.Duration
	pagesCSV   *tabular.Source
	viewsCSV   *tabular.Source
}

func parseSettings(deps collectors.Deps) (*settings, error) {
	var s settings
	decodeErr := deps.DecodeSettings(&s.Settings)
	out, err := s.check(deps)
	if err := deps.SettingsErrors(decodeErr, err); err != nil {
		return nil, err
	}
	return out, nil
}

// check validates the decoded settings; it stops at the first mistake.
func (s settings) check(deps collectors.Deps) (*settings, error) {
	switch {
	case s.URL == "" && s.PagesCSV == "":
		return nil, deps.Errorf("url", "required: the wiki URL (such as https://example.atlassian.net/wiki), or pages_csv for a page list without API access")
	case s.URL != "" && s.PagesCSV != "":
		return nil, deps.Errorf("pages_csv", "set either url (pages from the REST API) or pages_csv, not both")
	}
	if s.URL != "" {
		if err := s.parseLive(deps); err != nil {
			return nil, err
		}
	} else {
		for field, set := range map[string]bool{"deployment": s.Deployment != "", "email": s.Email != "", "token": s.Token.IsSet() || s.TokenFile != "", "cql": s.CQL != ""} {
			if set {
				return nil, deps.Errorf(field, "only used with url (the REST API); pages_csv needs no credentials")
			}
		}
		if err := checkCSVPath(s.PagesCSV); err != nil {
			return nil, deps.Errorf("pages_csv", "%v", err)
		}
		s.pagesCSV = &tabular.Source{Location: s.PagesCSV, BaseDir: deps.BaseDir}
		if err := tabular.CheckOverrides(pageColumns, s.PagesColumns); err != nil {
			return nil, deps.Errorf("pages_columns", "%v", err)
		}
	}
	if len(s.PagesColumns) > 0 && s.PagesCSV == "" {
		return nil, deps.Errorf("pages_columns", "only used with pages_csv")
	}
	if s.ViewsCSV != "" {
		if err := checkCSVPath(s.ViewsCSV); err != nil {
			return nil, deps.Errorf("views_csv", "%v", err)
		}
		s.viewsCSV = &tabular.Source{Location: s.ViewsCSV, BaseDir: deps.BaseDir}
		if err := tabular.CheckOverrides(viewColumns, s.ViewsColumns); err != nil {
			return nil, deps.Errorf("views_columns", "%v", err)
		}
	} else if len(s.ViewsColumns) > 0 {
		return nil, deps.Errorf("views_columns", "only used with views_csv")
	}
	if s.DateFormat != "" {
		if err := tabular.CheckLayout(s.DateFormat); err != nil {
			return nil, deps.Errorf("date_format", "%v", err)
		}
	}

	if len(s.Spaces) == 0 {
		return nil, deps.Errorf("spaces", "required: list the space keys to read (such as [SRE, OPS])")
	}
	s.spaces = map[string]bool{}
	for i, k := range s.Spaces {
		if !spaceKeyPattern.MatchString(k) {
			return nil, deps.Errorf(fmt.Sprintf("spaces[%d]", i), "%q is not a space key (letters, digits and _, such as SRE)", k)
		}
		if s.spaces[strings.ToUpper(k)] {
			return nil, deps.Errorf(fmt.Sprintf("spaces[%d]", i), "%q is listed twice", k)
		}
		s.spaces[strings.ToUpper(k)] = true
	}
	if len(s.Types) == 0 {
		s.Types = []string{TypePage, TypeBlogpost}
	}
	s.types = map[string]bool{}
	for i, t := range s.Types {
		if t != TypePage && t != TypeBlogpost {
			return nil, deps.Errorf(fmt.Sprintf("types[%d]", i), "%q is not %q or %q", t, TypePage, TypeBlogpost)
		}
		s.types[t] = true
	}
	if len(s.Labels) > maxLabels {
		return nil, deps.Errorf("labels", "%d labels is more than %d; every label is a label value of every page figure", len(s.Labels), maxLabels)
	}
	s.labelIndex = map[string]int{}
	for i, l := range s.Labels {
		if !labelPattern.MatchString(l) {
			return nil, deps.Errorf(fmt.Sprintf("labels[%d]", i), "%q is not a Confluence label (lower case, no spaces)", l)
		}
		if l == noLabel {
			return nil, deps.Errorf(fmt.Sprintf("labels[%d]", i), "%q is the label value of pages without a configured label", noLabel)
		}
		if _, dup := s.labelIndex[l]; dup {
			return nil, deps.Errorf(fmt.Sprintf("labels[%d]", i), "%q is listed twice", l)
		}
		s.labelIndex[l] = i
	}
	if s.OnlyLabelled && len(s.Labels) == 0 {
		return nil, deps.Errorf("only_labelled", "needs labels")
	}
	if len(s.KeyPages) > maxKeyPages {
		return nil, deps.Errorf("key_pages", "%d key pages is more than %d; key pages are per-page series, keep them few", len(s.KeyPages), maxKeyPages)
	}
	s.keyPages = map[string]string{}
	for i, p := range s.KeyPages {
		title := strings.TrimSpace(p)
		if title == "" {
			return nil, deps.Errorf(fmt.Sprintf("key_pages[%d]", i), "empty title")
		}
		if _, dup := s.keyPages[strings.ToLower(title)]; dup {
			return nil, deps.Errorf(fmt.Sprintf("key_pages[%d]", i), "%q is listed twice", title)
		}
		s.keyPages[strings.ToLower(title)] = title
	}
	s.staleAfter = time.Duration(s.StaleAfter)
	if s.StaleAfter == 0 {
		s.staleAfter = DefaultStaleAfter
	}
	if s.staleAfter < 24*time.Hour {
		return nil, deps.Errorf("stale_after", "%s is shorter than 1d", config.Duration(s.staleAfter))
	}
	s.interval = time.Duration(s.AnalyticsInterval)
	if s.AnalyticsInterval == 0 {
		s.interval = DefaultAnalyticsInterval
	}
	if s.interval < time.Minute {
		return nil, deps.Errorf("analytics_interval", "%s is shorter than 1m", config.Duration(s.interval))
	}
	if s.AnalyticsInterval != 0 && !s.analyticsAPI() {
		return nil, deps.Errorf("analytics_interval", "only used with the Cloud analytics API (deployment: cloud, no views_csv)")
	}
	switch {
	case s.PageSize == 0:
		s.PageSize = DefaultPageSize
	case s.PageSize < 1 || s.PageSize > maxPageSize:
		return nil, deps.Errorf("page_size", "%d is not between 1 and %d", s.PageSize, maxPageSize)
	}
	return &s, nil
}

func (s *settings) parseLive(deps collectors.Deps) error {
	u, err := url.Parse(s.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return deps.Errorf("url", "%q is not an http(s) URL without a query", tabular.RedactURL(s.URL))
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	switch s.Deployment {
	case "":
		return deps.Errorf("deployment", "required: %q or %q", Cloud, DataCenter)
	case Cloud:
		if s.Email == "" {
			return deps.Errorf("email", "required with deployment %q (the account the API token belongs to)", Cloud)
		}
		if u.Path == "" {
			u.Path = "/wiki" // Cloud serves Confluence under /wiki
		}
	case DataCenter:
		if s.Email != "" {
			return deps.Errorf("email", "not used with deployment %q (a personal access token is sent as a bearer token)", DataCenter)
		}
	default:
		return deps.Errorf("deployment", "%q is not %q or %q", s.Deployment, Cloud, DataCenter)
	}
	s.base = u
	s.token, err = deps.Secret("token", s.Token, s.TokenFile, true)
	if err != nil {
		return err
	}
	if strings.Contains(strings.ToLower(s.CQL), "order by") {
		return deps.Errorf("cql", "must not contain ORDER BY: the collector orders by created itself")
	}
	return nil
}

func checkCSVPath(p string) error {
	src := tabular.Source{Location: p}
	if src.IsURL() {
		u, err := url.Parse(p)
		if err != nil || u.Host == "" {
			return fmt.Errorf("%q is not a valid URL", src.Name())
		}
		return nil
	}
	if strings.Contains(p, "://") {
		return fmt.Errorf("%q: only files and http(s) URLs are supported", src.Name())
	}
	return nil
}

// analyticsAPI reports whether views come from the Cloud analytics API.
func (s *settings) analyticsAPI() bool {
	return s.base != nil && s.Deployment == Cloud && s.ViewsCSV == ""
}

// label is the label value of a page: the first configured label (in the
// configured order) the page carries, else "none". One value per page keeps
// the figures summable across labels.
func (s *settings) label(pageLabels []string) string {
	best, bestAt := noLabel, len(s.Labels)
	for _, l := range pageLabels {
		if i, ok := s.labelIndex[strings.ToLower(l)]; ok && i < bestAt {
			best, bestAt = s.Labels[i], i
		}
	}
	return best
}

// cql is the search that lists the configured content, oldest first, so
// that pages created while paging land on the last page (Data Center pages
// by offset).
func (s *settings) cql() string {
	keys := make([]string, len(s.Spaces))
	for i, k := range s.Spaces {
		keys[i] = quoteCQL(k)
	}
	types := make([]string, len(s.Types))
	copy(types, s.Types)
	q := fmt.Sprintf("space in (%s) AND type in (%s)", strings.Join(keys, ","), strings.Join(types, ","))
	if s.OnlyLabelled {
		labels := make([]string, len(s.Labels))
		for i, l := range s.Labels {
			labels[i] = quoteCQL(l)
		}
		q += fmt.Sprintf(" AND label in (%s)", strings.Join(labels, ","))
	}
	if strings.TrimSpace(s.CQL) != "" {
		q += " AND (" + s.CQL + ")"
	}
	return q + " ORDER BY created ASC"
}

func quoteCQL(v string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v) + `"`
}

// fingerprint identifies what decides the stored pages; a change drops
// them and the analytics so that nothing from the old selection lingers.
func (s *settings) fingerprint() string {
	base := ""
	if s.base != nil {
		base = s.base.String()
	}
	data, _ := json.Marshal(struct {
		Base, Deployment, PagesCSV, CQL string
		Spaces, Types                   []string
		OnlyLabelled                    bool
		PagesColumns                    map[string]string
	}{base, s.Deployment, s.PagesCSV, s.cql(), s.Spaces, s.Types, s.OnlyLabelled, s.PagesColumns})
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:8])
}
