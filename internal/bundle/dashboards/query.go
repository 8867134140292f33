package dashboards

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/metrics"
)

// Matchers a query may carry; each is a Grafana variable, so the same
// expression follows the dashboard's selection.
const (
	teamMatch      = `team=~"$team"`
	windowMatch    = `window="$window"`
	sourceMatch    = `source=~"$source"`
	collectorMatch = `collector=~"$collector"`
)

// sel formats a selector for f: its name and the given matchers, plus the
// team variable whenever the family has a team label, so every panel of a
// family follows the team selection without each query repeating it.
func sel(f *metrics.Family, matchers ...string) string {
	return series(f, "", matchers...)
}

// bucket, sum and count are the series of a histogram family.
func bucket(f *metrics.Family, matchers ...string) string {
	return series(f, "_bucket", matchers...)
}

func hsum(f *metrics.Family, matchers ...string) string { return series(f, "_sum", matchers...) }

func hcount(f *metrics.Family, matchers ...string) string {
	return series(f, "_count", matchers...)
}

func series(f *metrics.Family, suffix string, matchers ...string) string {
	if suffix != "" && f.Type != metrics.Histogram {
		panic(fmt.Sprintf("dashboards: %s is a %s, not a histogram", f.Name, f.Type))
	}
	var ms []string
	if f.HasLabel("team") {
		ms = append(ms, teamMatch)
	}
	for _, m := range matchers {
		label, _, _ := strings.Cut(m, "=")
		label = strings.TrimRight(label, "!~")
		if suffix == "_bucket" && label == "le" {
			ms = append(ms, m)
			continue
		}
		if !f.HasLabel(label) && (f.Exporter || label != metrics.CollectorLabel) {
			panic(fmt.Sprintf("dashboards: %s has no label %s", f.Name, label))
		}
		ms = append(ms, m)
	}
	if len(ms) == 0 {
		return f.Name + suffix
	}
	return f.Name + suffix + "{" + strings.Join(ms, ",") + "}"
}

// ratio is sum by (by) of num over the same of den: rates and coverages
// that stay exact when summed across teams.
func ratio(by, num, den string) string {
	return fmt.Sprintf("%s / %s", sumBy(by, num), sumBy(by, den))
}

func sumBy(by, expr string) string {
	if by == "" {
		return "sum(" + expr + ")"
	}
	return "sum by (" + by + ") (" + expr + ")"
}

// mean is the mean of a histogram: its sum over its count.
func mean(f *metrics.Family, by string, matchers ...string) string {
	return ratio(by, hsum(f, matchers...), hcount(f, matchers...))
}

// quantile is the q-quantile of a histogram, estimated from its buckets.
func quantile(q float64, f *metrics.Family, by string, matchers ...string) string {
	le := "le"
	if by != "" {
		le = by + ", le"
	}
	return fmt.Sprintf("histogram_quantile(%g, sum by (%s) (%s))", q, le, bucket(f, matchers...))
}

// le matches the bucket of histogram f whose upper bound is d. Prometheus 3
// writes an integer bound scraped as le="14400" as "14400.0", so both
// spellings match.
func le(f *metrics.Family, d time.Duration) string {
	bound := d.Seconds()
	if !slices.Contains(f.Buckets, bound) {
		panic(fmt.Sprintf("dashboards: %s has no bucket at %s", f.Name, d))
	}
	s := strconv.FormatFloat(bound, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		return fmt.Sprintf(`le=~"%s(\\.0)?"`, s)
	}
	return fmt.Sprintf(`le="%s"`, s)
}
