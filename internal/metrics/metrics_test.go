package metrics

import (
	"bufio"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestEveryDeclarationIsValid(t *testing.T) {
	all := All()
	if len(all) < 70 {
		t.Fatalf("only %d families declared", len(all))
	}
	for i, f := range all {
		if err := f.Check(); err != nil {
			t.Error(err)
		}
		if i > 0 && all[i-1].Name >= f.Name {
			t.Errorf("All() is not sorted at %s", f.Name)
		}
		if !strings.HasPrefix(f.Name, Namespace+"_") {
			t.Errorf("%s does not start with %s_", f.Name, Namespace)
		}
		if strings.HasSuffix(f.Name, "_in_window") || strings.Contains(f.Name, "_in_window_") {
			if !f.HasLabel(WindowLabel) {
				t.Errorf("%s is a windowed figure without the %s label", f.Name, WindowLabel)
			}
		}
	}
}

func TestCheckRefusesBadDeclarations(t *testing.T) {
	tests := []struct {
		name string
		f    Family
		want string
	}{
		{"a counter without _total", Family{Name: "sre_x", Type: Counter, Help: "h"}, "must end in _total"},
		{"a gauge ending in _total", Family{Name: "sre_x_total", Type: Gauge, Help: "h"}, "only counters end in _total"},
		{"a histogram without buckets", Family{Name: "sre_x_seconds", Type: Histogram, Help: "h"}, "no buckets"},
		{"a unit missing from the name", Family{Name: "sre_x", Type: Gauge, Help: "h", Unit: "seconds"}, `unit "seconds" must be part of the name`},
		{"the collector label on a collector family", Family{Name: "sre_x", Type: Gauge, Help: "h", Labels: []string{"collector"}}, "added by the exporter"},
		{"no help", Family{Name: "sre_x", Type: Gauge}, "no help"},
		{"a label twice", Family{Name: "sre_x", Type: Gauge, Help: "h", Labels: []string{"team", "team"}}, "listed twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.f.Check(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Check() = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestClaimsRefuseNamesThatWouldBreakTheScrape(t *testing.T) {
	c := NewClaims()
	oncall := Custom("sre_oncall_pages_total", Counter, "h", []string{"team"})
	if err := c.Claim(oncall, "collectors[0].tables[0].metrics[0]"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		f    *Family
		want string
	}{
		{"a declared family", Custom("sre_events_total", Counter, "h", nil), `"sre_events_total" is a metric the exporter already exports (a counter)`},
		{"a histogram's _count series", Custom("sre_incident_time_to_resolve_seconds_count", Gauge, "h", nil), "clashes with the series of the histogram sre_incident_time_to_resolve_seconds"},
		{"another type", Custom("sre_oncall_pages_total", Gauge, "h", []string{"team"}), `already a counter in collectors[0].tables[0].metrics[0]`},
		{"other labels", Custom("sre_oncall_pages_total", Counter, "h", []string{"service"}), `already has the labels [team] in collectors[0].tables[0].metrics[0]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := c.Claim(tt.f, "collectors[1].tables[0].metrics[0]"); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Claim() = %v, want %q", err, tt.want)
			}
		})
	}
	if err := c.Claim(Custom("sre_oncall_pages_total", Counter, "other help", []string{"team"}), "collectors[1].tables[0].metrics[0]"); err != nil {
		t.Errorf("the same shape in a second collector must be allowed: %v", err)
	}
}

// docRow is a metric row of docs/metrics.md: | `name` | type | labels | meaning |
var docRow = regexp.MustCompile("^\\| `(sre_[a-z0-9_]+)` \\| ([a-z]+) \\|")

func TestTheMetricsReferenceDocumentsExactlyTheCatalog(t *testing.T) {
	f, err := os.Open("../../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	documented := map[string]string{}
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		m := docRow.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		if _, dup := documented[m[1]]; dup {
			t.Errorf("docs/metrics.md:%d: %s is documented twice", line, m[1])
		}
		documented[m[1]] = m[2]
		fam, ok := Lookup(m[1])
		switch {
		case !ok:
			t.Errorf("docs/metrics.md:%d: %s is documented but not declared in the catalog", line, m[1])
		case string(fam.Type) != m[2]:
			t.Errorf("docs/metrics.md:%d: %s is documented as a %s, the catalog declares a %s", line, m[1], m[2], fam.Type)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for _, fam := range All() {
		if _, ok := documented[fam.Name]; !ok {
			t.Errorf("%s is declared but not documented in docs/metrics.md", fam.Name)
		}
	}
}

// metricName is what a metric name spelled as a string looks like.
var metricName = regexp.MustCompile(`^sre_[a-z0-9_]+$`)

func TestNoOtherPackageSpellsAMetricName(t *testing.T) {
	root := "../.."
	var offenders []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "testdata", "data", "bin", "metrics":
				if d.Name() != "metrics" || filepath.Base(filepath.Dir(path)) == "internal" {
					return filepath.SkipDir
				}
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		file, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(file, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			if s, err := strconv.Unquote(lit.Value); err == nil && metricName.MatchString(s) {
				offenders = append(offenders, path+": "+s)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(offenders)
	for _, o := range offenders {
		t.Errorf("%s: declare the family in internal/metrics and use it", o)
	}
}
