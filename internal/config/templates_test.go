package config

import (
	"testing"
)

func TestTemplatesAreValidatedWithFileLineAndField(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want string
	}{
		{
			// With the misspelt key the rule has no pattern either: every
			// mistake of the file is reported in one run.
			name: "an unknown key in a rule is refused with a suggestion",
			yaml: "templates:\n  - name: weekly\n    rules:\n      - id: tag\n        kind: title_pattern\n        patern: x\n",
			want: "cfg.yml:4: templates[0].rules[0].pattern: required: a regular expression\n" +
				`cfg.yml:6: templates[0].rules[0]: unknown field "patern" (did you mean "pattern"?)`,
		},
		{
			name: "an unknown rule kind lists the kinds",
			yaml: "templates:\n  - name: weekly\n    rules:\n      - {id: a, kind: sections}\n",
			want: `cfg.yml:4: templates[0].rules[0].kind: unknown rule kind "sections": use one of required_sections, section_order, non_empty_sections, required_fields, field_values, title_pattern, required_links, min_length, max_age, required_labels`,
		},
		{
			name: "an option that does not apply to the rule kind is refused",
			yaml: "templates:\n  - name: weekly\n    rules:\n      - {id: a, kind: min_length, words: 10, pattern: x}\n",
			want: `cfg.yml:4: templates[0].rules[0].pattern: does not apply to a min_length rule (it takes words)`,
		},
		{
			name: "a broken regular expression names the field",
			yaml: "templates:\n  - name: weekly\n    rules:\n      - {id: a, kind: title_pattern, pattern: \"[WIN\"}\n",
			want: "cfg.yml:4: templates[0].rules[0].pattern: missing closing ]: `[WIN`",
		},
		{
			name: "a duration that is not one names the field",
			yaml: "templates:\n  - name: weekly\n    rules:\n      - {id: a, kind: max_age, max_age: soon}\n",
			want: `cfg.yml:4: templates[0].rules[0].max_age: cannot use "soon" as a duration (such as 12h, 5d, 26w)`,
		},
		{
			name: "a bad grace period names the field",
			yaml: "templates:\n  - name: incident\n    rules:\n      - {id: postmortem, kind: required_fields, fields: [postmortem], due_after_resolution: 5}\n",
			want: `cfg.yml:4: templates[0].rules[0].due_after_resolution: cannot use "5" as a duration (such as 12h, 5d, 26w)`,
		},
		{
			name: "a bad incident age in applies_to names the field",
			yaml: "templates:\n  - name: incident\n    applies_to:\n      incidents: {max_age: month}\n",
			want: `cfg.yml:4: templates[0].applies_to.incidents.max_age: cannot use "month" as a duration (such as 12h, 5d, 26w)`,
		},
		{
			name: "disabling a rule a built-in does not have lists its rules",
			yaml: "templates:\n  - name: postmortem\n    disable_rules: [lenth]\n",
			want: `cfg.yml:2: templates[0].disable_rules[0]: template "postmortem" has no rule "lenth" (its rules: sections, order, non-empty, length)`,
		},
		{
			name: "a new template without rules is refused",
			yaml: "templates:\n  - name: weekly\n",
			want: `cfg.yml:2: templates[0].rules: required: a new template needs at least one rule`,
		},
		{
			name: "two templates with one name are refused",
			yaml: "templates:\n  - {name: a, rules: [{id: x, kind: min_length, words: 1}]}\n  - {name: a, rules: [{id: x, kind: min_length, words: 1}]}\n",
			want: `cfg.yml:3: templates[1].name: "a" is already declared by templates[0]`,
		},
		{
			name: "a max below min is refused",
			yaml: "templates:\n  - name: t\n    rules:\n      - {id: a, kind: required_fields, fields: [team], min: 2, max: 1}\n",
			want: `cfg.yml:4: templates[0].rules[0].max: 1 is less than min 2`,
		},
		{
			name: "an item kind that no document has is refused",
			yaml: "templates:\n  - name: t\n    rules:\n      - {id: a, kind: required_fields, each: panels, fields: [unit]}\n",
			want: `cfg.yml:4: templates[0].rules[0].each: "panels" is not an item kind: use one of panel, alert, record`,
		},
		{
			name: "skip without each is refused",
			yaml: "templates:\n  - name: t\n    rules:\n      - {id: a, kind: required_fields, skip: {type: [row]}, fields: [unit]}\n",
			want: `cfg.yml:4: templates[0].rules[0].skip: only rules with each (checking items one by one) can skip items`,
		},
		{
			name: "disable_rules on a new template is refused",
			yaml: "templates:\n  - name: t\n    disable_rules: [a]\n    rules: [{id: a, kind: min_length, words: 1}]\n",
			want: `cfg.yml:2: templates[0].disable_rules: only a template named like a built-in (sre-update-post, newsletter, postmortem, playbook-page, how-to-engage, slo-document, incident, team-dashboard, prometheus-rules) has rules to disable`,
		},
		{
			name: "a broken Confluence title pattern names its line",
			yaml: "templates:\n  - name: t\n    applies_to:\n      confluence:\n        title: \"(\"\n    rules: [{id: a, kind: min_length, words: 1}]\n",
			want: "cfg.yml:5: templates[0].applies_to.confluence.title: missing closing ): `(`",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("cfg.yml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("no error, want %s", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("error =\n  %s\nwant\n  %s", err, tt.want)
			}
		})
	}
}

func TestEveryTemplateMistakeIsReportedInOneRun(t *testing.T) {
	_, err := Parse("cfg.yml", []byte(`templates:
  - name: weekly
    rules:
      - {id: a, kind: title_pattern, pattern: "("}
      - {id: b, kind: min_length}
  - name: postmortem
    disable_rules: [nope]
`))
	want := "cfg.yml:4: templates[0].rules[0].pattern: missing closing ): `(`\n" +
		"cfg.yml:5: templates[0].rules[1].words: required: the minimum number of words\n" +
		`cfg.yml:6: templates[1].disable_rules[0]: template "postmortem" has no rule "nope" (its rules: sections, order, non-empty, length)`
	if err == nil || err.Error() != want {
		t.Errorf("error =\n%v\nwant\n%s", err, want)
	}
}

func TestConfiguredTemplatesOverrideAndExtendTheBuiltIns(t *testing.T) {
	cfg, err := Parse("cfg.yml", []byte(`
templates:
  - name: postmortem
    applies_to:
      files: ["incidents/*.md"]
    disable_rules: [length]
    rules:
      - {id: sections, kind: required_sections, sections: [Summary, Impact]}
  - name: weekly-report
    applies_to:
      slack: {channels: ["#ops-weekly"]}
    rules:
      - {id: tag, kind: title_pattern, target: first_line, pattern: '^\[WEEKLY\]'}
`))
	if err != nil {
		t.Fatal(err)
	}
	set, err := cfg.TemplateSet()
	if err != nil {
		t.Fatal(err)
	}
	pm, _ := set.Template("postmortem")
	if got := pm.Rules(); len(got) != 3 || got[0] != "sections" || got[1] != "order" || got[2] != "non-empty" {
		t.Errorf("postmortem rules = %v, want [sections order non-empty]", got)
	}
	if _, ok := set.Template("weekly-report"); !ok {
		t.Errorf("weekly-report not declared; templates: %v", set.Names())
	}
}
