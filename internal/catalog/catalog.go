// Package catalog maps the values each source uses for teams and services
// (Jira components, GitHub labels, Slack channels, CSV cells) to one set of
// canonical names, so every collector emits the same label values and a
// dashboard can offer a single team selector. It also keeps label
// cardinality bounded: a value the catalog does not know becomes "unknown".
package catalog

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode"

	"github.com/sre-value/sre-value-exporter/internal/mask"
	"github.com/sre-value/sre-value-exporter/internal/metrics"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
)

// Unknown is the label value for anything the catalog cannot place.
const Unknown = "unknown"

// Sources a catalog alias may be restricted to, as in "jira:Payments".
var Sources = []string{"jira", "github", "pagerduty", "slack", "confluence", "csv", "sheet"}

// Catalog is the teams and services of the organisation.
type Catalog struct {
	Teams    []Team    `yaml:"teams"`
	Services []Service `yaml:"services"`

	teams    map[string]string // normalised alias (with or without "source:") -> team
	services map[string]string // normalised alias -> service
	owner    map[string]string // service -> team
}

// Team is one team.
type Team struct {
	Name string `yaml:"name"`
	// Members is the team's headcount, for participation and coverage rates.
	Members int `yaml:"members"`
	// Aliases are the other names sources use: "value" for any source or
	// "source:value" for one (jira:Payments Platform, slack:#payments).
	Aliases []string `yaml:"aliases"`
	Line    int      `yaml:",line"`
}

// Service is one service and the team that owns it.
type Service struct {
	Name    string   `yaml:"name"`
	Team    string   `yaml:"team"`
	Aliases []string `yaml:"aliases"`
	Line    int      `yaml:",line"`
}

// FieldError is a catalog mistake with the line and field it is in.
type FieldError struct {
	Line  int
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return fmt.Sprintf("line %d: %s: %s", e.Line, e.Field, e.Msg) }

// Compile validates the catalog and builds its lookup tables. It reports
// every mistake, each a *FieldError, joined with errors.Join.
func (c *Catalog) Compile() error {
	c.teams, c.services, c.owner = map[string]string{}, map[string]string{}, map[string]string{}
	canonical := map[string]bool{}
	var errs []error
	fail := func(line int, field, format string, args ...any) {
		errs = append(errs, &FieldError{line, field, fmt.Sprintf(format, args...)})
	}
	for i, t := range c.Teams {
		field := fmt.Sprintf("catalog.teams[%d]", i)
		if err := checkName(t.Name); err != nil {
			fail(t.Line, field+".name", "%v", err)
			continue
		}
		if canonical[t.Name] {
			fail(t.Line, field+".name", "team %s is listed twice", mask.Quote(t.Name))
			continue
		}
		if t.Members < 0 {
			fail(t.Line, field+".members", "must not be negative")
		}
		canonical[t.Name] = true
		for j, a := range append([]string{t.Name}, t.Aliases...) {
			key, err := aliasKey(a)
			if err != nil {
				fail(t.Line, fmt.Sprintf("%s.aliases[%d]", field, j-1), "%v", err)
				continue
			}
			if other, ok := c.teams[key]; ok && other != t.Name {
				fail(t.Line, fmt.Sprintf("%s.aliases[%d]", field, j-1), "alias %s already belongs to team %s", mask.Quote(a), mask.Quote(other))
				continue
			}
			c.teams[key] = t.Name
		}
	}
	for i, s := range c.Services {
		field := fmt.Sprintf("catalog.services[%d]", i)
		if err := checkName(s.Name); err != nil {
			fail(s.Line, field+".name", "%v", err)
			continue
		}
		if _, dup := c.owner[s.Name]; dup {
			fail(s.Line, field+".name", "service %s is listed twice", mask.Quote(s.Name))
			continue
		}
		if s.Team != "" && !canonical[s.Team] {
			fail(s.Line, field+".team", "team %s is not in catalog.teams", mask.Quote(s.Team))
		}
		c.owner[s.Name] = s.Team
		for j, a := range append([]string{s.Name}, s.Aliases...) {
			key, err := aliasKey(a)
			if err != nil {
				fail(s.Line, fmt.Sprintf("%s.aliases[%d]", field, j-1), "%v", err)
				continue
			}
			if other, ok := c.services[key]; ok && other != s.Name {
				fail(s.Line, fmt.Sprintf("%s.aliases[%d]", field, j-1), "alias %s already belongs to service %s", mask.Quote(a), mask.Quote(other))
				continue
			}
			c.services[key] = s.Name
		}
	}
	return errors.Join(errs...)
}

func checkName(name string) error {
	if name == "" {
		return fmt.Errorf("required")
	}
	if name == Unknown {
		return fmt.Errorf("%q is reserved for values the catalog does not know", Unknown)
	}
	return nil
}

func aliasKey(alias string) (string, error) {
	src, val, ok := strings.Cut(alias, ":")
	if ok && isSource(src) {
		v := normalise(val)
		if v == "" {
			return "", fmt.Errorf("alias %s has no value after the source", mask.Quote(alias))
		}
		return src + ":" + v, nil
	}
	v := normalise(alias)
	if v == "" {
		return "", fmt.Errorf("empty alias")
	}
	return v, nil
}

func isSource(s string) bool {
	for _, x := range Sources {
		if s == x {
			return true
		}
	}
	return false
}

// normalise makes matching forgiving about case, spaces and a Slack "#".
func normalise(v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	return strings.TrimPrefix(v, "#")
}

// Team returns the canonical team for value as seen in source ("jira",
// "github", ...). With an empty catalog, values pass through as slugs.
func (c *Catalog) Team(source, value string) string {
	return c.lookup(c.teams, len(c.Teams), source, value)
}

// Service returns the canonical service for value as seen in source.
func (c *Catalog) Service(source, value string) string {
	return c.lookup(c.services, len(c.Services), source, value)
}

// Owner returns the team that owns service, or Unknown.
func (c *Catalog) Owner(service string) string {
	if t := c.owner[service]; t != "" {
		return t
	}
	return Unknown
}

// TeamNames lists the canonical teams, sorted.
func (c *Catalog) TeamNames() []string {
	out := make([]string, 0, len(c.Teams))
	for _, t := range c.Teams {
		out = append(out, t.Name)
	}
	sort.Strings(out)
	return out
}

func (c *Catalog) lookup(table map[string]string, size int, source, value string) string {
	v := normalise(value)
	if v == "" {
		return Unknown
	}
	if name, ok := table[source+":"+v]; ok {
		return name
	}
	if name, ok := table[v]; ok {
		return name
	}
	if size == 0 {
		return Slug(value)
	}
	return Unknown
}

// Slug turns a free-text value into a label value: lower case, words joined
// by "-". Used where no catalog is configured.
func Slug(v string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), "#"))) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '.' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	if b.Len() == 0 {
		return Unknown
	}
	return b.String()
}

// Emit exports the catalog itself: sre_team_info and sre_team_members per
// team and sre_service_info per service, the denominators of coverage and
// participation rates.
func (c *Catalog) Emit(b *snapshot.Builder) {
	for _, t := range c.Teams {
		b.Info(metrics.TeamInfo, "team", t.Name)
		if t.Members > 0 {
			b.Gauge(metrics.TeamMembers, float64(t.Members), "team", t.Name)
		}
	}
	for _, s := range c.Services {
		owner := s.Team
		if owner == "" {
			owner = Unknown
		}
		b.Info(metrics.ServiceInfo, "service", s.Name, "team", owner)
	}
}
