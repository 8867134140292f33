package compliance

// Durations (max_age, due_after_resolution) are strings in Prometheus
// form ("12h", "5d", "26w"), parsed by Compile: the specs then decode with
// any YAML library, and a bad value is reported with its rule's line.

// TemplateSpec is a template as written in the configuration's
// `templates:` section (and in Builtins). A spec named like a built-in
// overrides it: applies_to replaces the built-in's when set, rules replace
// the built-in rule with the same id or are added, and disable_rules drops
// built-in rules by id.
type TemplateSpec struct {
	Name         string     `yaml:"name"`
	Description  string     `yaml:"description"`
	AppliesTo    *AppliesTo `yaml:"applies_to"`
	Rules        []RuleSpec `yaml:"rules"`
	DisableRules []string   `yaml:"disable_rules"`
	Line         int        `yaml:",line" json:"-"`
}

// AppliesTo says which documents a template checks. A document is checked
// when any of the scopes for its kind matches; an empty scope (`slack: {}`)
// matches every document of that kind.
type AppliesTo struct {
	Slack      *SlackScope      `yaml:"slack"`
	Confluence *ConfluenceScope `yaml:"confluence"`
	Incidents  *IncidentScope   `yaml:"incidents"`
	Grafana    *GrafanaScope    `yaml:"grafana"`
	// Files are globs matched against local paths (lint); `**` matches any
	// number of folders.
	Files []string `yaml:"files"`
	Line  int      `yaml:",line" json:"-"`
}

// SlackScope selects posts by channel name (with or without '#').
type SlackScope struct {
	Channels []string `yaml:"channels"`
}

// ConfluenceScope selects pages by space key, label (any of) and title.
type ConfluenceScope struct {
	Spaces []string `yaml:"spaces"`
	Labels []string `yaml:"labels"`
	// Title is a regular expression the page title must match.
	Title string `yaml:"title"`
	Line  int    `yaml:",line" json:"-"`
}

// IncidentScope selects incidents by source, severity and age.
type IncidentScope struct {
	Sources    []string `yaml:"sources"`
	Severities []string `yaml:"severities"`
	// MaxAge skips incidents opened longer ago than this (a duration).
	MaxAge string `yaml:"max_age"`
}

// GrafanaScope selects dashboards by folder and tag (any of).
type GrafanaScope struct {
	Folders []string `yaml:"folders"`
	Tags    []string `yaml:"tags"`
}

// RuleSpec is one rule. Kind says which options apply; options that do
// not apply to the kind are refused by Compile.
type RuleSpec struct {
	ID   string   `yaml:"id"`
	Kind RuleKind `yaml:"kind"`

	// Sections: required_sections, section_order, non_empty_sections. Each
	// entry is a heading name; `|` separates accepted alternatives.
	Sections []string `yaml:"sections"`
	// Fields: required_fields.
	Fields []string `yaml:"fields"`
	// Field: field_values.
	Field string `yaml:"field"`
	// Min and Max bound the number of values of each field
	// (required_fields, default min 1) or of links (required_links).
	Min *int `yaml:"min"`
	Max *int `yaml:"max"`
	// Allowed, Forbidden and Pattern constrain field values (field_values).
	Allowed   []string `yaml:"allowed"`
	Forbidden []string `yaml:"forbidden"`
	// Pattern is a regular expression: field values (field_values), the
	// title or first line (title_pattern).
	Pattern string `yaml:"pattern"`
	// Target is what title_pattern checks: "title" (default) or "first_line".
	Target string `yaml:"target"`
	// Links are regular expressions, each matched by at least one link's
	// URL or text (required_links).
	Links []string `yaml:"links"`
	// Labels are regular expressions, each matched in full by at least one
	// label or tag, ignoring case (required_labels).
	Labels []string `yaml:"labels"`
	// Words is the minimum word count: of the document (min_length) or of
	// each section (non_empty_sections, default 1).
	Words int `yaml:"words"`
	// MaxAge is the longest time since the last update (max_age).
	MaxAge string `yaml:"max_age"`

	// Each applies required_fields or field_values to every item of this
	// kind ("panel", "alert", "record") instead of the document.
	Each string `yaml:"each"`
	// Skip leaves out items whose field has one of the listed values.
	Skip map[string][]string `yaml:"skip"`
	// When limits the rule to documents whose field has one of the listed
	// values (any case): {severity: [sev1, sev2]}.
	When map[string][]string `yaml:"when"`
	// DueAfterResolution checks the rule only once the document (an
	// incident) has been resolved for this long.
	DueAfterResolution string `yaml:"due_after_resolution"`
	// Fix replaces the built-in advice on how to fix a finding.
	Fix string `yaml:"fix"`

	Line int `yaml:",line" json:"-"`
}

// RuleKind names what a rule checks.
type RuleKind string

// Rule kinds.
const (
	RequiredSections RuleKind = "required_sections"
	SectionOrder     RuleKind = "section_order"
	NonEmptySections RuleKind = "non_empty_sections"
	RequiredFields   RuleKind = "required_fields"
	FieldValues      RuleKind = "field_values"
	TitlePattern     RuleKind = "title_pattern"
	RequiredLinks    RuleKind = "required_links"
	MinLength        RuleKind = "min_length"
	MaxAge           RuleKind = "max_age"
	RequiredLabels   RuleKind = "required_labels"
)

// RuleKinds lists every rule kind, in documentation order.
var RuleKinds = []RuleKind{RequiredSections, SectionOrder, NonEmptySections, RequiredFields, FieldValues, TitlePattern, RequiredLinks, MinLength, MaxAge, RequiredLabels}
