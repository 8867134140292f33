package grafana

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/config"
	"github.com/sre-value/sre-value-exporter/internal/fileglob"
	"github.com/sre-value/sre-value-exporter/internal/mask"
)

// Settings are the kind-specific keys of a grafana collector: a Grafana
// URL with a service-account token, or a glob of dashboard JSON files.
type Settings struct {
	URL       string        `yaml:"url"`
	Token     config.Secret `yaml:"token"`
	TokenFile string        `yaml:"token_file"`
	// Files is a glob of dashboard JSON files relative to the config file,
	// read instead of a Grafana instance.
	Files string `yaml:"files"`
	// Folders, when set, are the only folder titles read (and so the only
	// folder label values).
	Folders  []string `yaml:"folders"`
	PageSize int      `yaml:"page_size"`
	// RefetchInterval is how long a dashboard whose search entry did not
	// change is trusted before it is fetched again; the search API does not
	// say a dashboard's version.
	RefetchInterval config.Duration `yaml:"refetch_interval"`
}

// Defaults and limits.
const (
	DefaultPageSize        = 1000
	maxPageSize            = 5000 // Grafana's own cap on limit
	DefaultRefetchInterval = time.Hour
	maxFolders             = 200
)

type settings struct {
	Settings
	base    *url.URL
	token   config.Secret
	folders map[string]bool // lower-cased titles; nil for every folder
	refetch time.Duration
}

func parseSettings(deps collectors.Deps) (*settings, error) {
	var s settings
	decodeErr := deps.DecodeSettings(&s.Settings)
	var errs []error
	fail := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	switch {
	case s.URL == "" && s.Files == "":
		fail(deps.Errorf("url", "set url (a Grafana instance, such as https://grafana.example.com) or files (a glob of dashboard JSON files)"))
	case s.URL != "" && s.Files != "":
		fail(deps.Errorf("files", "set either url or files, not both"))
	case s.URL != "":
		if u, err := url.Parse(s.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			fail(deps.Errorf("url", "%s is not an http(s) URL", mask.Quote(s.URL)))
		} else {
			u.Path = strings.TrimSuffix(u.Path, "/")
			s.base = u
		}
		token, err := deps.Secret("token", s.Token, s.TokenFile, true)
		fail(err)
		s.token = token
	default:
		if s.Token.IsSet() || s.TokenFile != "" {
			fail(deps.Errorf("token", "not used with files"))
		}
		if !fileglob.Valid(s.Files) {
			fail(deps.Errorf("files", "%s is not a valid glob", mask.Quote(s.Files)))
		}
		if strings.HasPrefix(s.Files, "/") || strings.Contains(s.Files, "..") || strings.Contains(s.Files, `\`) {
			fail(deps.Errorf("files", "%s must be a slash-separated glob inside the config file's folder", mask.Quote(s.Files)))
		}
	}
	if len(s.Folders) > maxFolders {
		fail(deps.Errorf("folders", "%d folders; at most %d", len(s.Folders), maxFolders))
	}
	if len(s.Folders) > 0 {
		s.folders = map[string]bool{}
		for i, f := range s.Folders {
			if strings.TrimSpace(f) == "" {
				fail(deps.Errorf("folders["+strconv.Itoa(i)+"]", "empty folder title"))
			}
			s.folders[strings.ToLower(strings.TrimSpace(f))] = true
		}
	}
	switch {
	case s.PageSize == 0:
		s.PageSize = DefaultPageSize
	case s.PageSize < 1 || s.PageSize > maxPageSize:
		fail(deps.Errorf("page_size", "%d is not between 1 and %d", s.PageSize, maxPageSize))
	}
	if s.Files != "" && s.PageSize != DefaultPageSize {
		fail(deps.Errorf("page_size", "only used with url"))
	}
	s.refetch = time.Duration(s.RefetchInterval)
	if s.RefetchInterval == 0 {
		s.refetch = DefaultRefetchInterval
	}
	if s.refetch < time.Minute {
		fail(deps.Errorf("refetch_interval", "%s is shorter than 1m", s.refetch))
	}
	if err := deps.SettingsErrors(decodeErr, errs...); err != nil {
		return nil, err
	}
	return &s, nil
}

// wants tells whether dashboards of the folder titled title are read.
func (s *settings) wants(title string) bool {
	return s.folders == nil || s.folders[strings.ToLower(title)]
}
