package jira

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/config"
	"github.com/sre-value/sre-value-exporter/internal/mask"
)

// Deployments.
const (
	Cloud      = "cloud"
	DataCenter = "datacenter"
)

// Settings are the kind-specific keys of a jira collector.
type Settings struct {
	URL        string        `yaml:"url"`
	Deployment string        `yaml:"deployment"`
	Email      string        `yaml:"email"`
	Token      config.Secret `yaml:"token"`
	TokenFile  string        `yaml:"token_file"`
	JQL        string        `yaml:"jql"`
	PageSize   int           `yaml:"page_size"`
	// Overlap is subtracted from the cursor so issues indexed late, or
	// updated in the same minute as the cursor, are not missed.
	Overlap config.Duration `yaml:"overlap"`
	// Timezone is the Jira user's timezone, in which JQL datetimes are read.
	Timezone           string          `yaml:"timezone"`
	FullResyncInterval config.Duration `yaml:"full_resync_interval"`

	SeverityField      string            `yaml:"severity_field"`
	SeverityMap        map[string]string `yaml:"severity_map"`
	ServiceField       string            `yaml:"service_field"`
	ServiceLabelPrefix string            `yaml:"service_label_prefix"`
	TeamField          string            `yaml:"team_field"`
	TeamLabelPrefix    string            `yaml:"team_label_prefix"`
	AcknowledgedStatus string            `yaml:"acknowledged_status"`
	AcknowledgedField  string            `yaml:"acknowledged_field"`
	Postmortem         *Postmortem       `yaml:"postmortem"`
}

// Postmortem says how postmortems and their action items are linked.
type Postmortem struct {
	// LinkType matches an issue link by its name, inward or outward
	// description ("is postmortem of"); the linked issue is the postmortem.
	LinkType    string       `yaml:"link_type"`
	ActionItems *ActionItems `yaml:"action_items"`
}

// ActionItems are issues linked to the incident with IssueLinkType, or its
// sub-tasks.
type ActionItems struct {
	IssueLinkType string   `yaml:"issue_link_type"`
	Subtasks      bool     `yaml:"subtasks"`
	DoneStatuses  []string `yaml:"done_statuses"`
}

// Defaults.
const (
	DefaultPageSize           = 100
	DefaultOverlap            = 5 * time.Minute
	DefaultFullResyncInterval = 24 * time.Hour
	maxPageSize               = 5000
)

var (
	customField   = regexp.MustCompile(`^customfield_[0-9]+$`)
	severityMapTo = regexp.MustCompile(`^(sev[1-5]|unknown)$`)
)

// settings are the validated settings the collector runs with.
type settings struct {
	Settings
	base     *url.URL
	token    config.Secret
	location *time.Location
	overlap  time.Duration
	resync   time.Duration
	done     map[string]bool // lower-cased done statuses
}

func parseSettings(deps collectors.Deps) (*settings, error) {
	var s settings
	decodeErr := deps.DecodeSettings(&s.Settings)
	// Every rule is checked, so one run names every mistake.
	var errs []error
	fail := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if u, err := url.Parse(s.URL); s.URL == "" {
		fail(deps.Errorf("url", "required (the Jira base URL, such as https://example.atlassian.net)"))
	} else if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		fail(deps.Errorf("url", "%s is not an http(s) URL", mask.Quote(s.URL)))
	} else {
		if !strings.HasSuffix(u.Path, "/") {
			u.Path += "/"
		}
		s.base = u
	}
	switch s.Deployment {
	case "":
		fail(deps.Errorf("deployment", "required: %q or %q", Cloud, DataCenter))
	case Cloud:
		if s.Email == "" {
			fail(deps.Errorf("email", "required with deployment %q (the account the API token belongs to)", Cloud))
		}
	case DataCenter:
		if s.Email != "" {
			fail(deps.Errorf("email", "not used with deployment %q (a personal access token is sent as a bearer token)", DataCenter))
		}
	default:
		fail(deps.Errorf("deployment", "%s is not %q or %q", mask.Quote(s.Deployment), Cloud, DataCenter))
	}
	token, err := deps.Secret("token", s.Token, s.TokenFile, true)
	fail(err)
	s.token = token
	if strings.TrimSpace(s.JQL) == "" {
		fail(deps.Errorf("jql", "required (the JQL that selects incidents, such as: project = OPS AND type = Incident)"))
	}
	if strings.Contains(strings.ToLower(s.JQL), "order by") {
		fail(deps.Errorf("jql", "must not contain ORDER BY: the collector orders by updated itself"))
	}
	switch {
	case s.PageSize == 0:
		s.PageSize = DefaultPageSize
	case s.PageSize < 1 || s.PageSize > maxPageSize:
		fail(deps.Errorf("page_size", "%d is not between 1 and %d", s.PageSize, maxPageSize))
	}
	s.overlap = time.Duration(s.Overlap)
	if s.Overlap == 0 {
		s.overlap = DefaultOverlap
	}
	if s.overlap < 0 {
		fail(deps.Errorf("overlap", "must not be negative"))
	}
	s.resync = time.Duration(s.FullResyncInterval)
	if s.FullResyncInterval == 0 {
		s.resync = DefaultFullResyncInterval
	}
	if s.resync < time.Minute {
		fail(deps.Errorf("full_resync_interval", "%s is shorter than 1m", s.resync))
	}
	s.location = time.UTC
	if s.Timezone != "" {
		if s.location, err = time.LoadLocation(s.Timezone); err != nil {
			fail(deps.Errorf("timezone", "%s is not an IANA timezone (such as Europe/Berlin)", mask.Quote(s.Timezone)))
		}
	}
	if s.SeverityField == "" {
		s.SeverityField = "priority"
	}
	if s.SeverityField != "priority" && !customField.MatchString(s.SeverityField) {
		fail(deps.Errorf("severity_field", "%s is not priority or a custom field id such as customfield_10020", mask.Quote(s.SeverityField)))
	}
	for k, v := range s.SeverityMap {
		if !severityMapTo.MatchString(v) {
			fail(deps.Errorf("severity_map."+k, "%s is not one of sev1..sev5 or unknown", mask.Quote(v)))
		}
	}
	if s.ServiceField == "" {
		s.ServiceField = "components"
	}
	if s.ServiceField != "components" && s.ServiceField != "labels" && !customField.MatchString(s.ServiceField) {
		fail(deps.Errorf("service_field", "%s is not components, labels or a custom field id", mask.Quote(s.ServiceField)))
	}
	if s.ServiceLabelPrefix != "" && s.ServiceField != "labels" {
		fail(deps.Errorf("service_label_prefix", "only used with service_field: labels"))
	}
	if s.TeamField != "" && s.TeamField != "labels" && !customField.MatchString(s.TeamField) {
		fail(deps.Errorf("team_field", "%s is not labels or a custom field id such as customfield_10001", mask.Quote(s.TeamField)))
	}
	if s.TeamLabelPrefix != "" && s.TeamField != "labels" {
		fail(deps.Errorf("team_label_prefix", "only used with team_field: labels"))
	}
	if s.TeamField == "labels" && s.ServiceField == "labels" && s.TeamLabelPrefix == s.ServiceLabelPrefix {
		fail(deps.Errorf("team_label_prefix", "must differ from service_label_prefix when both come from labels (such as team- and service-)"))
	}
	if s.AcknowledgedStatus != "" && s.AcknowledgedField != "" {
		fail(deps.Errorf("acknowledged_status", "set either acknowledged_status or acknowledged_field, not both"))
	}
	if s.AcknowledgedField != "" && !customField.MatchString(s.AcknowledgedField) {
		fail(deps.Errorf("acknowledged_field", "%s is not a custom field id such as customfield_10030", mask.Quote(s.AcknowledgedField)))
	}
	if pm := s.Postmortem; pm != nil {
		if pm.LinkType == "" && pm.ActionItems == nil {
			fail(deps.Errorf("postmortem", "set link_type, action_items or both"))
		}
		if ai := pm.ActionItems; ai != nil {
			if ai.IssueLinkType == "" && !ai.Subtasks {
				fail(deps.Errorf("postmortem.action_items", "set issue_link_type or subtasks: true"))
			}
			if ai.IssueLinkType != "" && ai.Subtasks {
				fail(deps.Errorf("postmortem.action_items", "set either issue_link_type or subtasks: true, not both"))
			}
			if len(ai.DoneStatuses) == 0 {
				ai.DoneStatuses = []string{"Done", "Closed"}
			}
			s.done = map[string]bool{}
			for _, st := range ai.DoneStatuses {
				s.done[strings.ToLower(strings.TrimSpace(st))] = true
			}
		}
	}
	if err := deps.SettingsErrors(decodeErr, errs...); err != nil {
		return nil, err
	}
	return &s, nil
}

// fields is the list of issue fields a search asks for.
func (s *settings) fields() []string {
	f := []string{"created", "updated", "resolutiondate", s.SeverityField, s.ServiceField}
	if s.TeamField != "" && s.TeamField != s.ServiceField {
		f = append(f, s.TeamField)
	}
	if s.AcknowledgedField != "" {
		f = append(f, s.AcknowledgedField)
	}
	if s.linksNeeded() {
		f = append(f, "issuelinks")
	}
	if s.actionItems() != nil && s.actionItems().Subtasks {
		f = append(f, "subtasks")
	}
	return f
}

func (s *settings) linksNeeded() bool {
	pm := s.Postmortem
	return pm != nil && (pm.LinkType != "" || (pm.ActionItems != nil && pm.ActionItems.IssueLinkType != ""))
}

func (s *settings) actionItems() *ActionItems {
	if s.Postmortem == nil {
		return nil
	}
	return s.Postmortem.ActionItems
}

// fingerprint identifies everything that decides what is stored for an
// issue; when it changes the next sync starts over from scratch, so edited
// mappings apply to every incident and not only to those updated later.
func (s *settings) fingerprint() string {
	data, _ := json.Marshal(struct {
		URL, Deployment, JQL, Timezone  string
		Severity, Service, Prefix, Team string
		AckStatus, AckField             string
		SeverityMap                     map[string]string
		Postmortem                      *Postmortem
		// Left out when empty, so configurations from before it existed
		// keep their fingerprint and are not re-read from scratch.
		TeamPrefix string `json:",omitempty"`
	}{s.base.String(), s.Deployment, s.JQL, s.location.String(),
		s.SeverityField, s.ServiceField, s.ServiceLabelPrefix, s.TeamField,
		s.AcknowledgedStatus, s.AcknowledgedField, s.SeverityMap, s.Postmortem, s.TeamLabelPrefix})
	return shortHash(data)
}

func shortHash(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:8])
}
