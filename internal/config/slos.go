package config

import (
	"bytes"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"text/template"
	"time"

	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"

	"github.com/sre-value/sre-value-exporter/internal/mask"
)

// SLO is one service level objective of the optional top-level `slos:`
// section, from which `generate` builds Sloth-style recording rules and
// multi-window multi-burn-rate alerts (internal/bundle/slo).
type SLO struct {
	// Service and Name identify the SLO; they become the sre_service and
	// sre_slo labels and, camel-cased, the alert names.
	Service     string `yaml:"service"`
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	// Objective is the percentage of good events, such as 99.5.
	Objective Percent `yaml:"objective"`
	// Period is the window the error budget is spent over (30d if unset).
	Period Duration `yaml:"period"`
	// ErrorQuery and TotalQuery are the SLI: bad events and all events
	// over the range {{.window}}.
	ErrorQuery SLIQuery `yaml:"error_query"`
	TotalQuery SLIQuery `yaml:"total_query"`
	// MinTotal is the least TotalQuery over an alert's long window that can
	// alert, so a handful of events never pages.
	MinTotal float64 `yaml:"min_total"`
	Line     int     `yaml:",line"`
}

// DefaultSLOPeriod is the error-budget period of an SLO that sets none.
const DefaultSLOPeriod = Duration(30 * 24 * time.Hour)

// ErrorBudget is the share of events allowed to fail, 1 - objective.
// Computed from the percentage so 99.9 gives 0.001, not 0.000999...
func (s SLO) ErrorBudget() float64 { return BudgetShare(float64(s.Objective)) }

// ObjectiveRatio is the objective as a share, such as 0.995.
func (s SLO) ObjectiveRatio() float64 { return Share(float64(s.Objective)) }

// Share is the percentage p as a share, computed in decimal so 99.9 gives
// the float64 nearest 0.999 (p / 100 gives 0.9990000000000001).
func Share(p float64) float64 {
	r := decimal(p)
	f, _ := r.Quo(r, big.NewRat(100, 1)).Float64()
	return f
}

// BudgetShare is 1 - Share(p), computed in decimal: 99.9 gives 0.001.
func BudgetShare(p float64) float64 {
	r := decimal(p)
	r.Sub(big.NewRat(100, 1), r)
	f, _ := r.Quo(r, big.NewRat(100, 1)).Float64()
	return f
}

// decimal is p as the shortest decimal that reads back as p, which is how
// it was written in the file.
func decimal(p float64) *big.Rat {
	r, ok := new(big.Rat).SetString(strconv.FormatFloat(p, 'g', -1, 64))
	if !ok { // NaN or an infinity, which the decoders refuse
		return new(big.Rat)
	}
	return r
}

// Percent is an objective in percent, at least 1 and below 100. A value
// below 1 is refused rather than read as a tiny percentage: it is almost
// always a share (0.995) meant as 99.5.
type Percent float64

// UnmarshalYAML accepts a number in [1, 100).
func (p *Percent) UnmarshalYAML(n *yaml.Node) error {
	v, err := alertingNumber(n)
	if err != nil {
		return err
	}
	if err := CheckObjective(v, n.Value); err != nil {
		return err
	}
	*p = Percent(v)
	return nil
}

// CheckObjective applies Percent's rule to v, written as text: at least 1
// and below 100. Tables of SLOs measured elsewhere use it too, so an
// objective means the same wherever it is written.
func CheckObjective(v float64, text string) error {
	if v > 0 && v < 1 {
		return fmt.Errorf("%s looks like a share; write the objective as a percentage, such as 99.5", text)
	}
	if v < 1 || v >= 100 {
		return fmt.Errorf("%s must be a percentage of at least 1 and below 100 (such as 99.5)", text)
	}
	return nil
}

// SLIQuery is PromQL with a {{.window}} placeholder for the range, such as
// sum(rate(http_requests_total{code=~"5.."}[{{.window}}])).
type SLIQuery string

// UnmarshalYAML accepts a query that parses as PromQL once its
// placeholder is filled in.
func (q *SLIQuery) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		return fmt.Errorf("expected a PromQL query")
	}
	if _, err := SLIQuery(n.Value).For("5m"); err != nil {
		return err
	}
	*q = SLIQuery(n.Value)
	return nil
}

// For returns the query over the range window (a Prometheus duration),
// checked to parse.
func (q SLIQuery) For(window string) (string, error) {
	t, err := template.New("sli").Option("missingkey=error").Parse(string(q))
	if err != nil {
		return "", fmt.Errorf("placeholder: %w (the only placeholder is {{.window}})", err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, map[string]string{"window": window}); err != nil {
		return "", fmt.Errorf("placeholder: %w (the only placeholder is {{.window}})", err)
	}
	if _, err := parser.NewParser(parser.Options{}).ParseExpr(b.String()); err != nil {
		return "", fmt.Errorf("not valid PromQL with {{.window}} = %s: %w", window, err)
	}
	return b.String(), nil
}

// sloName is what service and name may be: they end up in alert names.
var sloName = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)

// checkSLOs fills in defaults and reports what each SLO lacks. A key
// that is present but was refused while decoding is not reported again.
func (c *Config) checkSLOs(root *yaml.Node) []error {
	var errs []error
	seen := map[string]bool{}
	items := findKey(root, "slos")
	for i := range c.SLOs {
		s := &c.SLOs[i]
		field := func(name string) string { return "slos[" + strconv.Itoa(i) + "]." + name }
		fail := func(name, msg string) {
			errs = append(errs, &Error{File: c.File, Line: s.Line, Field: field(name), Msg: msg})
		}
		missing := func(name string) bool {
			if items == nil || items.Kind != yaml.SequenceNode || i >= len(items.Content) {
				return true
			}
			n := items.Content[i]
			for j := 0; j+1 < len(n.Content); j += 2 {
				if n.Content[j].Value == name {
					return false
				}
			}
			return true
		}
		for _, f := range []struct{ name, v string }{{"service", s.Service}, {"name", s.Name}} {
			name, v := f.name, f.v
			if v == "" {
				fail(name, "must be set")
			} else if !sloName.MatchString(v) {
				fail(name, fmt.Sprintf("%s must be lower-case letters, digits and hyphens, starting with a letter", mask.Quote(v)))
			}
		}
		if s.Objective == 0 && missing("objective") {
			fail("objective", "must be set (a percentage such as 99.5)")
		}
		if s.ErrorQuery == "" && missing("error_query") {
			fail("error_query", "must be set")
		}
		if s.TotalQuery == "" && missing("total_query") {
			fail("total_query", "must be set")
		}
		if s.MinTotal < 0 {
			fail("min_total", "must be at least 0")
		}
		if s.Period < 0 {
			fail("period", "must be positive")
		}
		if s.Period == 0 {
			s.Period = DefaultSLOPeriod
		}
		key := s.Service + "/" + s.Name
		if s.Service != "" && s.Name != "" {
			if seen[key] {
				fail("name", fmt.Sprintf("service %s already has an SLO named %s", s.Service, s.Name))
			}
			seen[key] = true
		}
	}
	return errs
}
