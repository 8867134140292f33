package compliance_test

import (
	"os"
	"strings"
	"testing"

	"github.com/sre-value/sre-value-exporter/internal/compliance"
)

func TestDocsDescribeEveryRuleKindAndEveryBuiltInRule(t *testing.T) {
	data, err := os.ReadFile("../../docs/format-checks.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	for _, k := range compliance.RuleKinds {
		if !strings.Contains(doc, "\n### `"+string(k)+"`\n") {
			t.Errorf("docs/format-checks.md has no section for rule kind %s", k)
		}
	}
	for _, tmpl := range compliance.Builtins() {
		_, section, ok := strings.Cut(doc, "\n### `"+tmpl.Name+"`\n")
		if !ok {
			t.Errorf("docs/format-checks.md has no section for built-in template %s", tmpl.Name)
			continue
		}
		section, _, _ = strings.Cut(section, "\n### ")
		for _, r := range tmpl.Rules {
			if !strings.Contains(section, "| `"+r.ID+"` | `"+string(r.Kind)+"` |") {
				t.Errorf("docs/format-checks.md, template %s: no row for rule %s (%s)", tmpl.Name, r.ID, r.Kind)
			}
		}
	}
}
