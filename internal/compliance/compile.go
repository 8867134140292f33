package compliance

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// Set is a compiled set of templates: the built-ins, overridden and
// extended by the configuration. It is immutable and safe for concurrent
// use.
type Set struct {
	templates []*Template
	byName    map[string]*Template
	// fingerprint identifies the merged specs (see Fingerprint).
	fingerprint string
}

// Template is a compiled template.
type Template struct {
	Name        string
	Description string
	BuiltIn     bool
	scope       scope
	rules       []*rule
}

// FieldError is a template mistake with the line and field it is in
// (field paths start at "templates[i]" for configured templates).
type FieldError struct {
	Line  int
	Field string
	Msg   string
}

func (e *FieldError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s: %s", e.Line, e.Field, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Field, e.Msg)
}

var templateName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// Compile validates configured template specs and merges them with the
// built-in templates. Specs with a built-in's name override it. Every
// mistake is reported, each a *FieldError, joined with errors.Join.
func Compile(specs []TemplateSpec) (*Set, error) {
	merged := map[string]TemplateSpec{}
	builtIn := map[string]bool{}
	var order []string
	for _, b := range Builtins() {
		merged[b.Name] = b
		builtIn[b.Name] = true
		order = append(order, b.Name)
	}
	// Configured specs are validated alone first, so errors name their own
	// lines and fields rather than a merged result's.
	builtIns := len(order)
	seen := map[string]int{}
	var errs []error
	for i, spec := range specs {
		field := fmt.Sprintf("templates[%d]", i)
		switch {
		case spec.Name == "":
			errs = append(errs, &FieldError{spec.Line, field + ".name", "required"})
			continue
		case !templateName.MatchString(spec.Name):
			errs = append(errs, &FieldError{spec.Line, field + ".name", fmt.Sprintf("%q must be lower case letters, digits, '-' or '_'", spec.Name)})
			continue
		}
		if prev, dup := seen[spec.Name]; dup {
			errs = append(errs, &FieldError{spec.Line, field + ".name", fmt.Sprintf("%q is already declared by templates[%d]", spec.Name, prev)})
			continue
		}
		seen[spec.Name] = i
		if _, templateErrs := compileTemplate(spec, field, false); len(templateErrs) > 0 {
			errs = append(errs, templateErrs...)
			continue
		}
		base, ok := merged[spec.Name]
		if !ok {
			switch {
			case len(spec.DisableRules) > 0:
				errs = append(errs, &FieldError{spec.Line, field + ".disable_rules", fmt.Sprintf("only a template named like a built-in (%s) has rules to disable", strings.Join(order[:builtIns], ", "))})
			case spec.AppliesTo == nil && len(spec.Rules) == 0:
				errs = append(errs, &FieldError{spec.Line, field + ".rules", "required: a new template needs at least one rule"})
			default:
				merged[spec.Name] = spec
				order = append(order, spec.Name)
			}
			continue
		}
		over, overrideErrs := override(base, spec, field)
		errs = append(errs, overrideErrs...)
		merged[spec.Name] = over
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	s := &Set{byName: map[string]*Template{}}
	h := sha256.New()
	for _, name := range order {
		spec, err := json.Marshal(merged[name])
		if err != nil {
			return nil, fmt.Errorf("templates.%s: %w", name, err)
		}
		h.Write(append(spec, '\n'))
		field := "templates." + name
		if i, ok := seen[name]; ok {
			field = fmt.Sprintf("templates[%d]", i)
		}
		t, errs := compileTemplate(merged[name], field, builtIn[name])
		if len(errs) > 0 {
			return nil, errors.Join(errs...)
		}
		s.templates = append(s.templates, t)
		s.byName[name] = t
	}
	s.fingerprint = hex.EncodeToString(h.Sum(nil))
	return s, nil
}

// Fingerprint identifies the set's templates as configured: it changes
// when a template, rule or scope does (not when it only moves to other
// lines), so a collector that stores check results knows when to check
// again.
func (s *Set) Fingerprint() string { return s.fingerprint }

// override applies a configured spec to the built-in of the same name.
func override(base, spec TemplateSpec, field string) (TemplateSpec, []error) {
	var errs []error
	out := base
	out.Rules = slices.Clone(base.Rules)
	if spec.Description != "" {
		out.Description = spec.Description
	}
	if spec.AppliesTo != nil {
		out.AppliesTo = spec.AppliesTo
	}
	for j, id := range spec.DisableRules {
		i := slices.IndexFunc(out.Rules, func(r RuleSpec) bool { return r.ID == id })
		if i < 0 {
			errs = append(errs, &FieldError{spec.Line, fmt.Sprintf("%s.disable_rules[%d]", field, j), fmt.Sprintf("template %q has no rule %q (its rules: %s)", base.Name, id, ruleIDs(base.Rules))})
			continue
		}
		out.Rules = slices.Delete(out.Rules, i, i+1)
	}
	for _, r := range spec.Rules {
		if i := slices.IndexFunc(out.Rules, func(b RuleSpec) bool { return b.ID == r.ID }); i >= 0 {
			out.Rules[i] = r
		} else {
			out.Rules = append(out.Rules, r)
		}
	}
	return out, errs
}

func ruleIDs(rules []RuleSpec) string {
	ids := make([]string, len(rules))
	for i, r := range rules {
		ids[i] = r.ID
	}
	return strings.Join(ids, ", ")
}

// Template returns the named template.
func (s *Set) Template(name string) (*Template, bool) {
	t, ok := s.byName[name]
	return t, ok
}

// Templates returns every template, built-ins first, in declaration order.
func (s *Set) Templates() []*Template { return slices.Clone(s.templates) }

// Names returns every template's name, in declaration order.
func (s *Set) Names() []string {
	names := make([]string, len(s.templates))
	for i, t := range s.templates {
		names[i] = t.Name
	}
	return names
}

// For returns the templates whose applies_to matches the document.
func (s *Set) For(doc *Document, now time.Time) []*Template {
	var out []*Template
	for _, t := range s.templates {
		if t.Applies(doc, now) {
			out = append(out, t)
		}
	}
	return out
}

// Result is one template's verdict on one document: it passes when there
// are no findings and every rule was judged.
type Result struct {
	Template string
	Findings []Finding
	// Unchecked are the ids of the rules that could not be judged because
	// the document's text was not at hand (CheckMetadata).
	Unchecked []string
}

// Passed reports whether the document follows the template. A rule that
// was not judged never counts as passing.
func (r Result) Passed() bool { return len(r.Findings) == 0 && len(r.Unchecked) == 0 }

// Check checks the document against every template that applies to it. A
// document no template applies to gets no results.
func (s *Set) Check(doc *Document, now time.Time) []Result {
	var out []Result
	for _, t := range s.For(doc, now) {
		out = append(out, Result{Template: t.Name, Findings: t.Check(doc, now)})
	}
	return out
}

// CheckMetadata is Check for a document known only by its metadata
// (title, container, labels, dates and fields), such as a wiki page from a
// CSV listing without its body: the rules on the text (sections, order,
// links, length, the first line, items) are not run and are listed in
// Result.Unchecked, so the result does not pass on their account.
func (s *Set) CheckMetadata(doc *Document, now time.Time) []Result {
	var out []Result
	for _, t := range s.For(doc, now) {
		res := Result{Template: t.Name}
		for _, r := range t.rules {
			if r.needsText() {
				res.Unchecked = append(res.Unchecked, r.id)
				continue
			}
			res.Findings = append(res.Findings, t.findings(r, doc, now)...)
		}
		out = append(out, res)
	}
	return out
}

// needsText reports whether the rule judges a document's text rather than
// its metadata.
func (r *rule) needsText() bool {
	switch r.kind {
	case RequiredSections, SectionOrder, NonEmptySections, RequiredLinks, MinLength:
		return true
	case TitlePattern:
		return r.spec.Target == "first_line"
	}
	return r.spec.Each != ""
}

// Rules returns the template's rule ids, in order.
func (t *Template) Rules() []string {
	ids := make([]string, len(t.rules))
	for i, r := range t.rules {
		ids[i] = r.id
	}
	return ids
}

// Check runs every rule of the template on the document, whether or not
// the template's applies_to matches (lint --template uses that).
func (t *Template) Check(doc *Document, now time.Time) []Finding {
	var out []Finding
	for _, r := range t.rules {
		out = append(out, t.findings(r, doc, now)...)
	}
	return out
}

// findings runs one rule of the template on the document, when its when
// and due_after_resolution select it.
func (t *Template) findings(r *rule, doc *Document, now time.Time) []Finding {
	if !r.selects(doc, now) {
		return nil
	}
	found := r.check(doc, now)
	for i := range found {
		f := &found[i]
		f.Template, f.Rule, f.Kind = t.Name, r.id, r.kind
		f.fillFrom(doc)
		if r.fix != "" {
			f.Fix = r.fix
		}
	}
	return found
}

// rule is a compiled RuleSpec.
type rule struct {
	id       string
	kind     RuleKind
	spec     RuleSpec
	sections [][]string // alternatives, normalised
	pattern  *regexp.Regexp
	links    []*regexp.Regexp
	labels   []*regexp.Regexp
	min, max int // max < 0: no maximum
	maxAge   time.Duration
	due      time.Duration // due_after_resolution
	when     map[string][]string
	skip     map[string][]string
	fix      string
}

// options lists which RuleSpec options each kind takes (besides id, kind,
// when, due_after_resolution and fix, which every kind takes).
var options = map[RuleKind][]string{
	RequiredSections: {"sections"},
	SectionOrder:     {"sections"},
	NonEmptySections: {"sections", "words"},
	RequiredFields:   {"fields", "min", "max", "each", "skip"},
	FieldValues:      {"field", "allowed", "forbidden", "pattern", "each", "skip"},
	TitlePattern:     {"pattern", "target"},
	RequiredLinks:    {"links", "min"},
	MinLength:        {"words"},
	MaxAge:           {"max_age"},
	RequiredLabels:   {"labels"},
}

// ItemKinds are the kinds of items mappers produce, for `each`.
var ItemKinds = []string{"panel", "alert", "record"}

var ruleID = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

func compileTemplate(spec TemplateSpec, field string, builtIn bool) (*Template, []error) {
	t := &Template{Name: spec.Name, Description: spec.Description, BuiltIn: builtIn}
	var errs []error
	sc, err := compileScope(spec.AppliesTo, field+".applies_to")
	if err != nil {
		errs = append(errs, err)
	}
	t.scope = sc
	ids := map[string]int{}
	for i, rs := range spec.Rules {
		rf := fmt.Sprintf("%s.rules[%d]", field, i)
		if prev, dup := ids[rs.ID]; dup && rs.ID != "" {
			errs = append(errs, &FieldError{rs.Line, rf + ".id", fmt.Sprintf("%q is already used by rules[%d]", rs.ID, prev)})
			continue
		}
		ids[rs.ID] = i
		r, err := compileRule(rs, rf)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		t.rules = append(t.rules, r)
	}
	return t, errs
}

func compileRule(rs RuleSpec, field string) (*rule, error) {
	fail := func(sub, format string, args ...any) error {
		return &FieldError{rs.Line, field + sub, fmt.Sprintf(format, args...)}
	}
	switch {
	case rs.ID == "":
		return nil, fail(".id", "required")
	case !ruleID.MatchString(rs.ID):
		return nil, fail(".id", "%q must be lower case letters, digits, '-' or '_'", rs.ID)
	case rs.Kind == "":
		return nil, fail(".kind", "required: one of %s", kindList())
	}
	allowed, ok := options[rs.Kind]
	if !ok {
		return nil, fail(".kind", "unknown rule kind %q: use one of %s", rs.Kind, kindList())
	}
	for _, o := range setOptions(rs) {
		if !slices.Contains(allowed, o) {
			return nil, fail("."+o, "does not apply to a %s rule (it takes %s)", rs.Kind, strings.Join(allowed, ", "))
		}
	}
	r := &rule{id: rs.ID, kind: rs.Kind, spec: rs, when: lowerValues(rs.When), skip: rs.Skip, fix: rs.Fix, max: -1}
	var err error
	if rs.Pattern != "" {
		if r.pattern, err = regexp.Compile(rs.Pattern); err != nil {
			return nil, fail(".pattern", "%s", regexpError(err))
		}
	}
	for i, l := range rs.Links {
		re, err := regexp.Compile("(?i)" + l)
		if err != nil {
			return nil, fail(fmt.Sprintf(".links[%d]", i), "%s", regexpError(err))
		}
		r.links = append(r.links, re)
	}
	for i, l := range rs.Labels {
		re, err := regexp.Compile("(?i)^(?:" + l + ")$")
		if err != nil {
			return nil, fail(fmt.Sprintf(".labels[%d]", i), "%s", regexpError(err))
		}
		r.labels = append(r.labels, re)
	}
	for i, s := range rs.Sections {
		var alts []string
		for _, a := range strings.Split(s, "|") {
			if n := normalise(a); n != "" {
				alts = append(alts, n)
			}
		}
		if len(alts) == 0 {
			return nil, fail(fmt.Sprintf(".sections[%d]", i), "a section needs a name")
		}
		r.sections = append(r.sections, alts)
	}
	if rs.Min != nil {
		if *rs.Min < 0 {
			return nil, fail(".min", "must not be negative")
		}
		r.min = *rs.Min
	} else {
		r.min = 1
	}
	if rs.Max != nil {
		if *rs.Max < r.min {
			return nil, fail(".max", "%d is less than min %d", *rs.Max, r.min)
		}
		r.max = *rs.Max
	}
	if rs.Each != "" && !slices.Contains(ItemKinds, rs.Each) {
		return nil, fail(".each", "%q is not an item kind: use one of %s", rs.Each, strings.Join(ItemKinds, ", "))
	}
	if len(rs.Skip) > 0 && rs.Each == "" {
		return nil, fail(".skip", "only rules with each (checking items one by one) can skip items")
	}
	if rs.Words < 0 {
		return nil, fail(".words", "must not be negative")
	}
	if r.maxAge, err = parseDuration(rs.MaxAge); err != nil {
		return nil, fail(".max_age", "%s", err)
	}
	if r.due, err = parseDuration(rs.DueAfterResolution); err != nil {
		return nil, fail(".due_after_resolution", "%s", err)
	}
	switch rs.Kind {
	case RequiredSections, SectionOrder:
		if len(rs.Sections) == 0 {
			return nil, fail(".sections", "required: list the section headings")
		}
		if rs.Kind == SectionOrder && len(rs.Sections) < 2 {
			return nil, fail(".sections", "an order needs at least two sections")
		}
	case NonEmptySections:
		if rs.Words == 0 {
			r.spec.Words = 1
		}
	case RequiredFields:
		if len(rs.Fields) == 0 {
			return nil, fail(".fields", "required: list the fields")
		}
	case FieldValues:
		if rs.Field == "" {
			return nil, fail(".field", "required: name the field")
		}
		if len(rs.Allowed) == 0 && len(rs.Forbidden) == 0 && rs.Pattern == "" {
			return nil, fail("", "a field_values rule needs allowed, forbidden or pattern")
		}
	case TitlePattern:
		if rs.Pattern == "" {
			return nil, fail(".pattern", "required: a regular expression")
		}
		if rs.Target != "" && rs.Target != "title" && rs.Target != "first_line" {
			return nil, fail(".target", "%q must be title or first_line", rs.Target)
		}
	case RequiredLabels:
		if len(rs.Labels) == 0 {
			return nil, fail(".labels", "required: list the labels (regular expressions)")
		}
	case MinLength:
		if rs.Words == 0 {
			return nil, fail(".words", "required: the minimum number of words")
		}
	case MaxAge:
		if r.maxAge <= 0 {
			return nil, fail(".max_age", "required: the longest time since the last update, such as 180d")
		}
	}
	return r, nil
}

// setOptions names the kind-specific options a spec sets.
func setOptions(rs RuleSpec) []string {
	var out []string
	add := func(name string, set bool) {
		if set {
			out = append(out, name)
		}
	}
	add("sections", len(rs.Sections) > 0)
	add("fields", len(rs.Fields) > 0)
	add("field", rs.Field != "")
	add("min", rs.Min != nil)
	add("max", rs.Max != nil)
	add("allowed", len(rs.Allowed) > 0)
	add("forbidden", len(rs.Forbidden) > 0)
	add("pattern", rs.Pattern != "")
	add("target", rs.Target != "")
	add("links", len(rs.Links) > 0)
	add("labels", len(rs.Labels) > 0)
	add("words", rs.Words != 0)
	add("max_age", rs.MaxAge != "")
	add("each", rs.Each != "")
	add("skip", len(rs.Skip) > 0)
	return out
}

func kindList() string {
	names := make([]string, len(RuleKinds))
	for i, k := range RuleKinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

// parseDuration reads a Prometheus-style duration; "" is zero.
func parseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := model.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("cannot use %q as a duration (such as 12h, 5d, 26w)", s)
	}
	return time.Duration(d), nil
}

// formatDuration writes a duration the way the configuration does ("180d").
func formatDuration(d time.Duration) string { return model.Duration(d).String() }

func regexpError(err error) string {
	return strings.TrimPrefix(err.Error(), "error parsing regexp: ")
}

func lowerValues(m map[string][]string) map[string][]string {
	if len(m) == 0 {
		return nil
	}
	out := map[string][]string{}
	for k, vs := range m {
		for _, v := range vs {
			out[k] = append(out[k], strings.ToLower(v))
		}
	}
	return out
}
