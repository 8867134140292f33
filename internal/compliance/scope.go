package compliance

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"
)

// scope is a compiled AppliesTo.
type scope struct {
	set        bool
	slack      *SlackScope
	confluence *ConfluenceScope
	title      *regexp.Regexp
	incidents  *IncidentScope
	// incidentMaxAge is incidents.max_age, parsed.
	incidentMaxAge time.Duration
	grafana        *GrafanaScope
	files          []string
}

func compileScope(a *AppliesTo, field string) (scope, error) {
	if a == nil {
		return scope{}, nil
	}
	s := scope{set: true, slack: a.Slack, confluence: a.Confluence, incidents: a.Incidents, grafana: a.Grafana, files: a.Files}
	if a.Confluence != nil && a.Confluence.Title != "" {
		re, err := regexp.Compile(a.Confluence.Title)
		if err != nil {
			return s, &FieldError{a.Confluence.Line, field + ".confluence.title", regexpError(err)}
		}
		s.title = re
	}
	for i, g := range a.Files {
		if _, err := path.Match(strings.ReplaceAll(g, "**", "*"), ""); err != nil || g == "" {
			return s, &FieldError{a.Line, fmt.Sprintf("%s.files[%d]", field, i), fmt.Sprintf("%q is not a valid glob", g)}
		}
	}
	if a.Incidents != nil {
		d, err := parseDuration(a.Incidents.MaxAge)
		if err != nil {
			return s, &FieldError{a.Line, field + ".incidents.max_age", err.Error()}
		}
		s.incidentMaxAge = d
	}
	return s, nil
}

// Applies reports whether the template's applies_to selects the document.
// A template without applies_to is only used by name (lint --template).
func (t *Template) Applies(doc *Document, now time.Time) bool {
	s := t.scope
	if !s.set {
		return false
	}
	if doc.Path != "" {
		for _, g := range s.files {
			if MatchGlob(g, doc.Path) {
				return true
			}
		}
		return false
	}
	switch {
	case doc.Kind == Slack && s.slack != nil:
		return len(s.slack.Channels) == 0 || slices.ContainsFunc(s.slack.Channels, func(c string) bool {
			return strings.EqualFold(strings.TrimPrefix(c, "#"), strings.TrimPrefix(doc.Container, "#"))
		})
	case doc.Kind == Confluence && s.confluence != nil:
		c := s.confluence
		return (len(c.Spaces) == 0 || containsFold(c.Spaces, doc.Container)) &&
			(len(c.Labels) == 0 || slices.ContainsFunc(doc.Labels, func(l string) bool { return containsFold(c.Labels, l) })) &&
			(s.title == nil || s.title.MatchString(doc.Title))
	case doc.Kind == Incident && s.incidents != nil:
		c := s.incidents
		return (len(c.Sources) == 0 || containsFold(c.Sources, doc.Source)) &&
			(len(c.Severities) == 0 || slices.ContainsFunc(doc.Field("severity"), func(v string) bool { return containsFold(c.Severities, v) })) &&
			(s.incidentMaxAge == 0 || doc.Created.IsZero() || now.Sub(doc.Created) <= s.incidentMaxAge)
	case doc.Kind == Dashboard && s.grafana != nil:
		c := s.grafana
		return (len(c.Folders) == 0 || containsFold(c.Folders, doc.Container)) &&
			(len(c.Tags) == 0 || slices.ContainsFunc(doc.Labels, func(l string) bool { return containsFold(c.Tags, l) }))
	}
	return false
}

func containsFold(list []string, v string) bool {
	return slices.ContainsFunc(list, func(s string) bool { return strings.EqualFold(s, v) })
}

// MatchGlob matches a slash-separated path against a glob where `*`, `?`
// and `[...]` work as in path.Match within one folder and `**` matches any
// number of folders. A relative glob may match at any depth, so
// "postmortems/*.md" selects docs/postmortems/a.md and "*.md" every
// Markdown file.
func MatchGlob(glob, name string) bool {
	name = strings.TrimPrefix(path.Clean(strings.ReplaceAll(name, `\`, "/")), "./")
	parts := strings.Split(glob, "/")
	if strings.HasPrefix(glob, "/") {
		return matchParts(parts, strings.Split(name, "/"))
	}
	parts = slices.DeleteFunc(parts, func(p string) bool { return p == "." })
	return matchParts(append([]string{"**"}, parts...), strings.Split(strings.TrimPrefix(name, "/"), "/"))
}

func matchParts(glob, name []string) bool {
	for len(glob) > 0 {
		if glob[0] == "**" {
			for i := 0; i <= len(name); i++ {
				if matchParts(glob[1:], name[i:]) {
					return true
				}
			}
			return false
		}
		if len(name) == 0 {
			return false
		}
		if ok, _ := path.Match(glob[0], name[0]); !ok {
			return false
		}
		glob, name = glob[1:], name[1:]
	}
	return len(name) == 0
}
