package compliance

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
)

// Finding is one way a document breaks a template's rule: where it is,
// what is wrong and how to fix it.
type Finding struct {
	Template string   `json:"template,omitempty"`
	Rule     string   `json:"rule"`
	Kind     RuleKind `json:"kind,omitempty"`

	// Where: the document's file and line, incident key, permalink or page.
	Path  string `json:"file,omitempty"`
	Line  int    `json:"line,omitempty"`
	Key   string `json:"key,omitempty"`
	URL   string `json:"url,omitempty"`
	Title string `json:"title,omitempty"`
	// Item names the panel or alert the finding is about, if any.
	Item string `json:"item,omitempty"`

	Message string `json:"message"`
	Fix     string `json:"fix"`
}

// Where says where the finding is in the user's terms: "file:line" for
// files, else the incident key or dashboard uid, the quoted title and the
// URL, whichever are known.
func (f Finding) Where() string {
	if f.Path != "" {
		if f.Line > 0 {
			return fmt.Sprintf("%s:%d", f.Path, f.Line)
		}
		return f.Path
	}
	var parts []string
	if f.Key != "" {
		parts = append(parts, f.Key)
	}
	if f.Title != "" {
		parts = append(parts, fmt.Sprintf("%q", f.Title))
	}
	if f.URL != "" {
		parts = append(parts, f.URL)
	}
	return strings.Join(parts, " ")
}

// String is the finding as lint prints it: "where: template/rule: message (fix: ...)".
func (f Finding) String() string {
	return fmt.Sprintf("%s: %s: %s (fix: %s)", f.Where(), f.RuleName(), f.Message, f.Fix)
}

// RuleName is "template/rule", or the rule alone for findings that belong
// to no template (a file lint cannot parse).
func (f Finding) RuleName() string {
	if f.Template == "" {
		return f.Rule
	}
	return f.Template + "/" + f.Rule
}

func (f *Finding) fillFrom(doc *Document) {
	f.Path, f.Key, f.URL, f.Title = doc.Path, doc.Key, doc.URL, doc.Title
}

// selects reports whether the rule's when and due_after_resolution let it
// check this document now.
func (r *rule) selects(doc *Document, now time.Time) bool {
	for field, want := range r.when {
		if !slices.ContainsFunc(doc.Field(field), func(v string) bool { return slices.Contains(want, strings.ToLower(v)) }) {
			return false
		}
	}
	if r.due > 0 {
		if doc.Resolved.IsZero() || now.Sub(doc.Resolved) < r.due {
			return false
		}
	}
	return true
}

func (r *rule) check(doc *Document, now time.Time) []Finding {
	switch r.kind {
	case RequiredSections:
		return r.requiredSections(doc)
	case SectionOrder:
		return r.sectionOrder(doc)
	case NonEmptySections:
		return r.nonEmptySections(doc)
	case RequiredFields:
		return r.requiredFields(doc)
	case FieldValues:
		return r.fieldValues(doc)
	case TitlePattern:
		return r.titlePattern(doc)
	case RequiredLinks:
		return r.requiredLinks(doc)
	case MinLength:
		if doc.Words < r.spec.Words {
			return []Finding{{Line: docLine(doc), Message: fmt.Sprintf("has %s, want at least %d", count(doc.Words, "word"), r.spec.Words), Fix: "write out what happened and why it matters; a short note is easy to miss"}}
		}
	case MaxAge:
		return r.checkAge(doc, now)
	case RequiredLabels:
		return r.requiredLabels(doc)
	}
	return nil
}

func (r *rule) requiredSections(doc *Document) []Finding {
	var out []Finding
	for i, alts := range r.sections {
		if findSection(doc, alts) < 0 {
			out = append(out, Finding{Line: docLine(doc), Message: fmt.Sprintf("missing section %q", r.sectionName(i)), Fix: headingHint(doc.Kind, r.sectionName(i))})
		}
	}
	return out
}

func (r *rule) sectionOrder(doc *Document) []Finding {
	var out []Finding
	latest, latestEntry := -1, -1
	for i, alts := range r.sections {
		at := findSection(doc, alts)
		if at < 0 {
			continue
		}
		if at < latest {
			s, prev := doc.Sections[at], doc.Sections[latest]
			out = append(out, Finding{
				Line:    s.Line,
				Message: fmt.Sprintf("section %q should come after %q%s; the order is %s", s.Title, prev.Title, lineNote(prev.Line), r.order()),
				Fix:     fmt.Sprintf("move %q below %q", s.Title, r.sectionName(latestEntry)),
			})
			continue
		}
		latest, latestEntry = at, i
	}
	return out
}

func (r *rule) nonEmptySections(doc *Document) []Finding {
	var out []Finding
	for _, s := range doc.Sections {
		if len(r.sections) > 0 && !slices.ContainsFunc(r.sections, func(alts []string) bool { return sectionMatches(s.Title, alts) }) {
			continue
		}
		if s.Words >= r.spec.Words {
			continue
		}
		msg := fmt.Sprintf("section %q is empty", s.Title)
		if s.Words > 0 {
			msg = fmt.Sprintf("section %q has %s, want at least %d", s.Title, count(s.Words, "word"), r.spec.Words)
		}
		out = append(out, Finding{Line: s.Line, Message: msg, Fix: fmt.Sprintf("write the %q section, or say explicitly why it does not apply", s.Title)})
	}
	return out
}

func (r *rule) requiredFields(doc *Document) []Finding {
	var out []Finding
	due := ""
	if r.due > 0 {
		due = fmt.Sprintf(" (resolved %s, due %s after resolution)", doc.Resolved.UTC().Format(time.DateOnly), formatDuration(r.due))
	}
	r.eachTarget(doc, func(prefix string, line int, fields map[string]Field) {
		for _, name := range r.spec.Fields {
			f := fields[name]
			at := f.Line
			if at == 0 {
				at = line
			}
			n := len(f.Values)
			switch {
			case n == 0 && r.min > 0:
				out = append(out, Finding{Line: at, Item: strings.TrimSuffix(prefix, ": "), Message: fmt.Sprintf("%smissing %s%s", prefix, fieldName(doc.Kind, name), due), Fix: fieldHint(doc.Kind, name)})
			case n < r.min:
				out = append(out, Finding{Line: at, Item: strings.TrimSuffix(prefix, ": "), Message: fmt.Sprintf("%s%s has %s, want at least %d", prefix, fieldName(doc.Kind, name), count(n, "value"), r.min), Fix: fieldHint(doc.Kind, name)})
			case r.max >= 0 && n > r.max:
				want := fmt.Sprintf("at most %d", r.max)
				if r.max == r.min {
					want = fmt.Sprintf("exactly %d", r.max)
				}
				msg := fmt.Sprintf("%s%s has %s (%s), want %s", prefix, fieldName(doc.Kind, name), count(n, "value"), strings.Join(f.Values, ", "), want)
				fix := fmt.Sprintf("keep %s value(s) of %q", want, name)
				if r.max == 0 {
					msg = fmt.Sprintf("%s%s is set, and must not be", prefix, fieldName(doc.Kind, name))
					fix = fmt.Sprintf("remove %q", name)
				}
				out = append(out, Finding{Line: at, Item: strings.TrimSuffix(prefix, ": "), Message: msg, Fix: fix})
			}
		}
	})
	return out
}

func (r *rule) fieldValues(doc *Document) []Finding {
	var out []Finding
	s := r.spec
	r.eachTarget(doc, func(prefix string, line int, fields map[string]Field) {
		f := fields[s.Field]
		at := f.Line
		if at == 0 {
			at = line
		}
		item := strings.TrimSuffix(prefix, ": ")
		if strings.HasPrefix(prefix, s.Field+" ") {
			prefix = "" // `alert "x": alert "x" ...` says it twice
		}
		for _, v := range f.Values {
			switch {
			case len(s.Allowed) > 0 && !slices.Contains(s.Allowed, v):
				out = append(out, Finding{Line: at, Item: item, Message: fmt.Sprintf("%s%s is %q, want one of %s", prefix, s.Field, v, strings.Join(s.Allowed, ", ")), Fix: fmt.Sprintf("set %s to one of %s", s.Field, strings.Join(s.Allowed, ", "))})
			case containsFold(s.Forbidden, v):
				out = append(out, Finding{Line: at, Item: item, Message: fmt.Sprintf("%s%s %q is not allowed", prefix, s.Field, v), Fix: fmt.Sprintf("replace %s %q (not allowed: %s)", s.Field, v, strings.Join(s.Forbidden, ", "))})
			case r.pattern != nil && !r.pattern.MatchString(v):
				out = append(out, Finding{Line: at, Item: item, Message: fmt.Sprintf("%s%s %q does not match %s", prefix, s.Field, v, s.Pattern), Fix: fmt.Sprintf("change %s to match %s", s.Field, s.Pattern)})
			}
		}
	})
	return out
}

// eachTarget calls fn for the document, or for every selected item when
// the rule has `each`.
func (r *rule) eachTarget(doc *Document, fn func(prefix string, line int, fields map[string]Field)) {
	if r.spec.Each == "" {
		fn("", docLine(doc), doc.Fields)
		return
	}
	for _, it := range doc.Items {
		if it.Kind != r.spec.Each || r.skips(it) {
			continue
		}
		fn(fmt.Sprintf("%s %q: ", it.Kind, it.Name), it.Line, it.Fields)
	}
}

func (r *rule) skips(it Item) bool {
	for field, values := range r.skip {
		if slices.ContainsFunc(it.Fields[field].Values, func(v string) bool { return containsFold(values, v) }) {
			return true
		}
	}
	return false
}

func (r *rule) titlePattern(doc *Document) []Finding {
	what, text, line := "title", doc.Title, doc.TitleLine
	if r.spec.Target == "first_line" {
		what, text, line = "first line", doc.FirstLine, doc.FirstLineNo
	}
	if line == 0 {
		line = docLine(doc)
	}
	if text == "" {
		return []Finding{{Line: line, Message: fmt.Sprintf("has no %s", what), Fix: fmt.Sprintf("start with a %s matching %s", what, r.spec.Pattern)}}
	}
	if !r.pattern.MatchString(text) {
		// A Slack post's words are people's messages: the finding points at
		// the post (its permalink) and never quotes it, since findings are
		// stored and shown on the landing page.
		if doc.Kind == Slack {
			return []Finding{{Line: line, Message: fmt.Sprintf("the %s does not match %s", what, r.spec.Pattern), Fix: fmt.Sprintf("rewrite the %s to match %s", what, r.spec.Pattern)}}
		}
		return []Finding{{Line: line, Message: fmt.Sprintf("%s %q does not match %s", what, clip(text, 80), r.spec.Pattern), Fix: fmt.Sprintf("rewrite the %s to match %s", what, r.spec.Pattern)}}
	}
	return nil
}

func (r *rule) requiredLinks(doc *Document) []Finding {
	if len(r.links) == 0 {
		if len(doc.Links) < r.min {
			return []Finding{{Line: docLine(doc), Message: fmt.Sprintf("has %s, want at least %d", count(len(doc.Links), "link"), r.min), Fix: "link the related ticket, dashboard or page"}}
		}
		return nil
	}
	var out []Finding
	for i, re := range r.links {
		n := 0
		for _, l := range doc.Links {
			if re.MatchString(l.URL) || re.MatchString(l.Text) {
				n++
			}
		}
		if n < r.min {
			msg := fmt.Sprintf("no link matching %q", r.spec.Links[i])
			if n > 0 {
				msg = fmt.Sprintf("%s %q, want at least %d", count(n, "link")+map[bool]string{true: " matches", false: " match"}[n == 1], r.spec.Links[i], r.min)
			}
			out = append(out, Finding{Line: docLine(doc), Message: msg, Fix: fmt.Sprintf("add a link whose address or text matches %q", r.spec.Links[i])})
		}
	}
	return out
}

func (r *rule) checkAge(doc *Document, now time.Time) []Finding {
	// Without a known update time (a file without `updated:` front matter)
	// there is nothing to judge; the rule stays silent rather than guess.
	if doc.Updated.IsZero() {
		return nil
	}
	age := now.Sub(doc.Updated)
	if age <= r.maxAge {
		return nil
	}
	return []Finding{{
		Line:    docLine(doc),
		Message: fmt.Sprintf("last updated %s, %s ago (longer than %s)", doc.Updated.UTC().Format(time.DateOnly), ageText(age, r.maxAge), formatDuration(r.maxAge)),
		Fix:     "review the content, correct what changed and save it, so readers can trust it",
	}}
}

func (r *rule) requiredLabels(doc *Document) []Finding {
	var out []Finding
	word := "label"
	if doc.Kind == Dashboard || doc.Kind == Markdown {
		word = "tag"
	}
	for i, re := range r.labels {
		if slices.ContainsFunc(doc.Labels, re.MatchString) {
			continue
		}
		have := "none"
		if len(doc.Labels) > 0 {
			have = strings.Join(doc.Labels, ", ")
		}
		out = append(out, Finding{Line: docLine(doc), Message: fmt.Sprintf("no %s matching %q (has %s)", word, r.spec.Labels[i], have), Fix: fmt.Sprintf("add a %s matching %q", word, r.spec.Labels[i])})
	}
	return out
}

// docLine is the line findings about the whole document point at.
func docLine(doc *Document) int {
	switch {
	case doc.TitleLine > 0:
		return doc.TitleLine
	case doc.FirstLineNo > 0:
		return doc.FirstLineNo
	case doc.Path != "":
		return 1
	}
	return 0
}

func lineNote(line int) string {
	if line > 0 {
		return fmt.Sprintf(" (line %d)", line)
	}
	return ""
}

func (r *rule) sectionName(i int) string {
	name, _, _ := strings.Cut(r.spec.Sections[i], "|")
	return strings.TrimSpace(name)
}

func (r *rule) order() string {
	names := make([]string, len(r.sections))
	for i := range r.sections {
		names[i] = r.sectionName(i)
	}
	return strings.Join(names, ", ")
}

func findSection(doc *Document, alts []string) int {
	return slices.IndexFunc(doc.Sections, func(s Section) bool { return sectionMatches(s.Title, alts) })
}

// sectionMatches compares headings loosely: case, punctuation, numbering
// ("1. Summary") and trailing words ("Root cause analysis") do not matter.
func sectionMatches(title string, alts []string) bool {
	t := normalise(title)
	return slices.ContainsFunc(alts, func(a string) bool { return t == a || strings.HasPrefix(t, a+" ") })
}

func normalise(s string) string {
	words := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	for len(words) > 0 && strings.TrimFunc(words[0], unicode.IsDigit) == "" {
		words = words[1:]
	}
	return strings.Join(words, " ")
}

func headingHint(k Kind, name string) string {
	switch k {
	case Markdown:
		return fmt.Sprintf("add a %q heading", "## "+name)
	case Confluence:
		return fmt.Sprintf("add a heading %q to the page", name)
	case Slack:
		return fmt.Sprintf("start that part of the post with a line %q", "*"+name+"*")
	case Dashboard:
		return fmt.Sprintf("add a row titled %q", name)
	}
	return fmt.Sprintf("add a section %q", name)
}

func fieldName(k Kind, name string) string {
	switch k {
	case Incident:
		return fmt.Sprintf("%s field", name)
	case Dashboard:
		if words, ok := dashboardFields[name]; ok {
			return words
		}
	}
	return fmt.Sprintf("%q", name)
}

// dashboardFields say in Grafana's words what the dashboard mapper's
// fields are; the mapper's names are for templates, not for people.
var dashboardFields = map[string]string{
	"datasource_variables": "a template variable of type Datasource",
	"description":          "a description",
	"unit":                 "a unit",
	"uid":                  "a uid",
	"title":                "a title",
}

func fieldHint(k Kind, name string) string {
	switch k {
	case Incident:
		return fmt.Sprintf("set the incident's %s", name)
	case Markdown:
		return fmt.Sprintf("add %q to the front matter", name+": ...")
	}
	return fmt.Sprintf("set %q", name)
}

// count says "1 word", "2 words".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// ageText says an age in whole days, or "more than N days" when whole days
// would read as the limit itself (180.4 days against 180d).
func ageText(age, limit time.Duration) string {
	days := int(age.Hours() / 24)
	if time.Duration(days)*24*time.Hour <= limit {
		return fmt.Sprintf("more than %d days", days)
	}
	return fmt.Sprintf("%d days", days)
}
