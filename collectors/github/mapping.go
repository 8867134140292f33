package github

import (
	"regexp"
	"sort"
	"strings"

	gh "github.com/google/go-github/v60/github"

	"github.com/sre-value/sre-value-exporter/internal/catalog"
	"github.com/sre-value/sre-value-exporter/internal/incident"
)

// labelNames returns the issue's label names in a stable (sorted) order, so
// an issue with two service labels always maps the same way.
func labelNames(is *gh.Issue) []string {
	names := make([]string, 0, len(is.Labels))
	for _, l := range is.Labels {
		if n := l.GetName(); n != "" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

func hasLabel(names []string, want string) bool {
	for _, n := range names {
		if strings.EqualFold(n, want) {
			return true
		}
	}
	return false
}

// matches tells whether the issue carries every configured label.
func (c *Collector) matches(names []string) bool {
	for _, want := range c.cfg.Labels {
		if !hasLabel(names, want) {
			return false
		}
	}
	return true
}

// afterPrefix returns what follows prefix in label (case-insensitive).
func afterPrefix(label, prefix string) (string, bool) {
	if len(label) < len(prefix) || !strings.EqualFold(label[:len(prefix)], prefix) {
		return "", false
	}
	return strings.TrimSpace(label[len(prefix):]), true
}

var severityRank = map[string]int{"sev1": 1, "sev2": 2, "sev3": 3, "sev4": 4, "sev5": 5}

// severity reads the severity labels (sev1, sev-2, severity:1, SEV 3 with
// the default prefix "sev"); with several, the most severe wins.
func (c *Collector) severity(names []string) string {
	best := "unknown"
	for _, n := range names {
		rest, ok := afterPrefix(n, c.cfg.SeverityLabelPrefix)
		if !ok {
			continue
		}
		s := severityOfLabel(n, rest, c.cfg.SeverityMap)
		if r, ok := severityRank[s]; ok && (best == "unknown" || r < severityRank[best]) {
			best = s
		}
	}
	return best
}

// severityOfLabel maps one severity label: an explicit severity_map entry
// for the whole label or for what follows the prefix first, then a bare
// number 1-5 ("sev-2" -> sev2; 0 is the most severe, as sev1), then the
// shared spellings (critical, high, p1, severity1...).
func severityOfLabel(label, rest string, explicit map[string]string) string {
	if s, ok := explicit[strings.ToLower(label)]; ok {
		return s
	}
	trimmed := strings.Trim(rest, " :-_/=.")
	if s, ok := explicit[strings.ToLower(trimmed)]; ok {
		return s
	}
	if len(trimmed) == 1 && trimmed[0] >= '0' && trimmed[0] <= '5' {
		if trimmed == "0" {
			return "sev1"
		}
		return "sev" + trimmed
	}
	if s := incident.NormaliseSeverity(trimmed, nil); s != "unknown" {
		return s
	}
	// "severity:1" with prefix "sev": the whole label without separators.
	return incident.NormaliseSeverity(strings.NewReplacer(":", "", "/", "", "=", "", ".", "").Replace(label), nil)
}

// firstWithPrefix returns the value of the first label (in sorted order)
// that starts with prefix and has something after it.
func firstWithPrefix(names []string, prefix string) string {
	for _, n := range names {
		if v, ok := afterPrefix(n, prefix); ok && v != "" {
			return v
		}
	}
	return ""
}

// postmortemLink finds a link on a line of the body that mentions a
// postmortem ("Postmortem: https://...", "[post-mortem](https://...)").
var postmortemLink = regexp.MustCompile(`(?im)^.*post[- ]?mortem.*?(https?://[^\s)>\]]+)`)

// toIncident maps an issue; the acknowledge time is filled in by the caller.
func (c *Collector) toIncident(repo repository, is *gh.Issue, names []string) incident.Incident {
	inc := incident.Incident{
		ID:      repo.incidentID(is.GetNumber()),
		Opened:  is.GetCreatedAt().Time.UTC(),
		Updated: is.GetUpdatedAt().Time.UTC(),
	}
	if strings.EqualFold(is.GetState(), "closed") {
		inc.Resolved = is.GetClosedAt().Time.UTC()
		if inc.Resolved.IsZero() {
			// GitHub always sets closed_at on closed issues; an upstream
			// that does not gets the last update as the closing time.
			inc.Resolved = inc.Updated
		}
	}
	inc.Severity = c.severity(names)
	inc.Service = catalog.Unknown
	if v := firstWithPrefix(names, c.cfg.ServiceLabelPrefix); v != "" {
		inc.Service = c.deps.Catalog.Service(source, v)
	}
	switch v := firstWithPrefix(names, c.cfg.TeamLabelPrefix); {
	case v != "":
		inc.Team = c.deps.Catalog.Team(source, v)
	case inc.Service != catalog.Unknown:
		inc.Team = c.deps.Catalog.Owner(inc.Service)
	default:
		inc.Team = catalog.Unknown
	}
	switch {
	case c.cfg.PostmortemLabel != "" && hasLabel(names, c.cfg.PostmortemLabel):
		inc.Postmortem = "label:" + c.cfg.PostmortemLabel
	default:
		if m := postmortemLink.FindStringSubmatch(is.GetBody()); m != nil {
			inc.Postmortem = m[1]
		}
	}
	return inc
}
