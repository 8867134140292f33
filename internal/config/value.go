package config

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"

	"github.com/sre-value/sre-value-exporter/internal/mask"
)

// Value is the optional top-level `value:` section: what downtime, an
// engineer hour and the SRE team cost, in one currency. The exporter
// exports it (sre_value_* gauges, so a reload changes the money without
// regenerating anything) and the value recording rules turn incident and
// savings figures into money with it (docs/value.md).
type Value struct {
	// Currency is the ISO 4217 code of every amount, including the
	// savings table's money_saved.
	Currency string `yaml:"currency"`
	// DowntimeCostPerHour prices the time incidents take to resolve.
	DowntimeCostPerHour DowntimeCost `yaml:"downtime_cost_per_hour"`
	// EngineerHourlyRate is the loaded cost of an engineer hour; it prices
	// the hours saved. Nil when not set.
	EngineerHourlyRate *Money `yaml:"engineer_hourly_rate"`
	// SRETeamCost is what the SRE team costs, the denominator of ROI. Nil
	// when not set.
	SRETeamCost *TeamCost `yaml:"sre_team_cost"`
	Line        int       `yaml:",line"`
}

// DowntimeCost is the cost of an hour of an incident, by severity and by
// service. A service's own cost wins over its incident's severity: the
// service is the more specific of the two (an hour of payments down costs
// the same whether the incident was filed as sev1 or sev2).
type DowntimeCost struct {
	BySeverity map[string]Money `yaml:"by_severity"`
	ByService  map[string]Money `yaml:"by_service"`
}

// TeamCost is what the SRE team costs per period.
type TeamCost struct {
	Amount Money  `yaml:"amount"`
	Per    Period `yaml:"per"`
	Line   int    `yaml:",line"`
}

// PerSecond is the team's cost per second.
func (t TeamCost) PerSecond() float64 { return float64(t.Amount) / t.Per.Seconds() }

// Severities are the severities incidents are exported with: every
// incident source maps its own scheme to these (incident.NormaliseSeverity
// and each source's severity_map).
var Severities = []string{"sev1", "sev2", "sev3", "sev4", "sev5", "unknown"}

// Money is an amount of the value section's currency, at least 0.
type Money float64

// UnmarshalYAML accepts a finite number of at least 0.
func (m *Money) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" && strings.ContainsAny(n.Value, "€$£¥,") {
		return fmt.Errorf("cannot use %s as an amount: write a plain number such as 1500.50; the currency is value.currency", mask.Quote(n.Value))
	}
	v, err := alertingNumber(n)
	if err != nil {
		return fmt.Errorf("cannot use %s as an amount (a number such as 1500.50)", mask.Quote(n.Value))
	}
	if v < 0 {
		return fmt.Errorf("%s must be at least 0", n.Value)
	}
	*m = Money(v)
	return nil
}

// Period is the length of time a cost is for: a month, a quarter or a
// year of the 365-day year Prometheus uses ("1y" = 365d), or a duration.
type Period struct {
	Name     string // as written
	Duration time.Duration
}

// The named periods.
const (
	Year    = 365 * 24 * time.Hour
	Quarter = Year / 4
	Month   = Year / 12
)

// Seconds is the period's length in seconds.
func (p Period) Seconds() float64 { return p.Duration.Seconds() }

// UnmarshalYAML accepts month, quarter, year or a positive duration.
func (p *Period) UnmarshalYAML(n *yaml.Node) error {
	named := map[string]time.Duration{"month": Month, "quarter": Quarter, "year": Year}
	if n.Kind == yaml.ScalarNode {
		if d, ok := named[n.Value]; ok {
			*p = Period{Name: n.Value, Duration: d}
			return nil
		}
		if d, err := model.ParseDuration(n.Value); err == nil && d > 0 {
			*p = Period{Name: n.Value, Duration: time.Duration(d)}
			return nil
		}
	}
	return fmt.Errorf("cannot use %s as a period (month, quarter, year, or a duration such as 90d)", mask.Quote(n.Value))
}

// checkValue reports what the value section lacks or names wrongly: the
// currency, the severities and the services (against the catalog).
func (c *Config) checkValue(root *yaml.Node) []error {
	v := c.Value
	if v == nil {
		return nil
	}
	var errs []error
	fail := func(line int, field, msg string) {
		errs = append(errs, &Error{File: c.File, Line: line, Field: "value." + field, Msg: msg})
	}
	lineOf := func(path ...string) int {
		if n := findKey(root, append([]string{"value"}, path...)...); n != nil {
			return n.Line
		}
		return v.Line
	}
	switch {
	case v.Currency == "":
		fail(v.Line, "currency", "required when the value: section is present (an ISO 4217 code such as EUR or USD)")
	case !IsCurrency(v.Currency):
		msg := fmt.Sprintf("%s is not an ISO 4217 currency code (such as EUR, USD, GBP)", mask.Quote(v.Currency))
		if up := strings.ToUpper(strings.TrimSpace(v.Currency)); IsCurrency(up) {
			msg = fmt.Sprintf("%s is not an ISO 4217 currency code; did you mean %q?", mask.Quote(v.Currency), up)
		}
		fail(lineOf("currency"), "currency", msg)
	}
	for _, k := range keysOf(root, "value", "downtime_cost_per_hour", "by_severity") {
		if !contains(Severities, k.Value) {
			fail(k.Line, "downtime_cost_per_hour.by_severity."+keyName(k.Value),
				fmt.Sprintf("%s is not a severity incidents are exported with (%s); each incident source maps its own names to these", mask.Quote(k.Value), strings.Join(Severities, ", ")))
		}
	}
	services := map[string]bool{}
	for _, s := range c.Catalog.Services {
		services[s.Name] = true
	}
	for _, k := range keysOf(root, "value", "downtime_cost_per_hour", "by_service") {
		if !services[k.Value] {
			fail(k.Line, "downtime_cost_per_hour.by_service."+keyName(k.Value),
				fmt.Sprintf("service %s is not in catalog.services (incidents carry the catalog's service names)", mask.Quote(k.Value)))
		}
	}
	// A zero that is not a written 0 was refused while decoding already.
	isZero := func(path ...string) bool {
		n := findKey(root, append([]string{"value"}, path...)...)
		if n == nil || n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") {
			return false
		}
		// A negative amount was refused while decoding, also leaving 0.
		f, err := strconv.ParseFloat(n.Value, 64)
		return err == nil && f == 0
	}
	if r := v.EngineerHourlyRate; r != nil && *r == 0 && isZero("engineer_hourly_rate") {
		fail(lineOf("engineer_hourly_rate"), "engineer_hourly_rate", "must be above 0 (leave it out to value no hours)")
	}
	if t := v.SRETeamCost; t != nil {
		if t.Amount == 0 {
			if findKey(root, "value", teamCostKey, "amount") == nil {
				fail(t.Line, teamCostKey+".amount", "required (what the SRE team costs per period)")
			} else if isZero(teamCostKey, "amount") {
				fail(lineOf(teamCostKey, "amount"), teamCostKey+".amount", "must be above 0: it divides the value delivered (ROI)")
			}
		}
		if t.Per.Duration == 0 && findKey(root, "value", teamCostKey, "per") == nil {
			fail(t.Line, teamCostKey+".per", "required (month, quarter, year, or a duration such as 90d)")
		}
	}
	return errs
}

// teamCostKey is the key of Value.SRETeamCost, read from its tag: spelled
// as a string it would look like a metric name to the catalog's test.
var teamCostKey = func() string {
	f, _ := reflect.TypeFor[Value]().FieldByName("SRETeamCost")
	return f.Tag.Get("yaml")
}()

// keysOf returns the key nodes of the mapping at path, sorted by line.
func keysOf(root *yaml.Node, path ...string) []*yaml.Node {
	n := findKey(root, path...)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	var keys []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		keys = append(keys, n.Content[i])
	}
	sort.SliceStable(keys, func(i, j int) bool { return keys[i].Line < keys[j].Line })
	return keys
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// CostPerHour is the cost of an hour of an incident of severity on
// service, and whether any is configured: the service's own cost wins.
func (d DowntimeCost) CostPerHour(severity, service string) (float64, bool) {
	if m, ok := d.ByService[service]; ok {
		return float64(m), true
	}
	if m, ok := d.BySeverity[severity]; ok {
		return float64(m), true
	}
	return 0, false
}
