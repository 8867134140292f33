package confluence

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/tabular"
)

// pageColumns are the columns of pages_csv (one row per page or blog post).
var pageColumns = []tabular.Column{
	{Name: "page"},
	{Name: "space"},
	{Name: "type", Optional: true},
	{Name: "labels", Optional: true},
	{Name: "created"},
	{Name: "updated"},
	{Name: "url", Optional: true},
}

// viewColumns are the columns of views_csv (one row per page and day, as
// page analytics add-ons export them).
var viewColumns = []tabular.Column{
	{Name: "page"},
	{Name: "space"},
	{Name: "views"},
	{Name: "unique_viewers"},
	{Name: "date"},
}

// pageKey identifies a page by space and title, which is how a page-views
// CSV names it (titles are unique within a space).
func pageKey(space, title string) string {
	return strings.ToUpper(space) + "\x00" + strings.ToLower(strings.TrimSpace(title))
}

// parsePages reads pages_csv rows into pages of the configured spaces and
// types; rows of other spaces or types are left out, bad rows are returned
// as errors naming the line and column.
func (s *settings) parsePages(t *tabular.Table) ([]page, []error, error) {
	cols, err := t.Resolve(pageColumns, s.PagesColumns)
	if err != nil {
		return nil, nil, err
	}
	cols.DateLayout = s.DateFormat
	var (
		out     []page
		invalid []error
		seen    = map[string]int{}
	)
	for _, row := range t.Rows {
		rec := cols.Record(row)
		p, keep, err := s.parsePageRow(rec)
		if err != nil {
			invalid = append(invalid, err)
			continue
		}
		if !keep {
			continue
		}
		if line, dup := seen[p.ID]; dup {
			invalid = append(invalid, rec.Errorf("page", "page %q of space %s is already on line %d", p.Title, p.Space, line))
			continue
		}
		seen[p.ID] = rec.Line()
		out = append(out, p)
	}
	return out, invalid, nil
}

func (s *settings) parsePageRow(rec tabular.Record) (page, bool, error) {
	title, err := rec.Required("page")
	if err != nil {
		return page{}, false, err
	}
	space, err := rec.Required("space")
	if err != nil {
		return page{}, false, err
	}
	space, ok := s.spaceKey(space)
	if !ok {
		return page{}, false, nil
	}
	typ := strings.ToLower(rec.Text("type"))
	if typ == "" {
		typ = TypePage
	}
	if typ != TypePage && typ != TypeBlogpost {
		return page{}, false, rec.Errorf("type", "%q is not %s or %s", rec.Text("type"), TypePage, TypeBlogpost)
	}
	if !s.types[typ] {
		return page{}, false, nil
	}
	created, err := rec.Date("created")
	if err != nil {
		return page{}, false, err
	}
	updated, err := rec.Date("updated")
	if err != nil {
		return page{}, false, err
	}
	if updated.Before(created) {
		return page{}, false, rec.Errorf("updated", "%s is before created %s", updated.Format(time.RFC3339), created.Format(time.RFC3339))
	}
	var labels []string
	for _, l := range strings.FieldsFunc(rec.Text("labels"), func(r rune) bool { return r == ',' || r == ';' || r == ' ' }) {
		labels = append(labels, strings.ToLower(l))
	}
	if s.OnlyLabelled && s.label(labels) == noLabel {
		return page{}, false, nil
	}
	version := 1
	if updated.After(created) {
		version = 2
	}
	return page{
		ID: "csv:" + pageKey(space, title), Type: typ, Space: space, Title: title, URL: rec.Text("url"),
		Labels: labels, Created: created, Updated: updated, Version: version,
	}, true, nil
}

// spaceKey returns the configured spelling of a space key, and whether the
// space is configured at all.
func (s *settings) spaceKey(v string) (string, bool) {
	for _, k := range s.Spaces {
		if strings.EqualFold(k, strings.TrimSpace(v)) {
			return k, true
		}
	}
	return "", false
}

// dayViews are one page's daily views from views_csv.
type dayViews struct {
	Space string `json:"space"`
	Title string `json:"title"`
	// Days maps a UTC day (2006-01-02) to its views and unique viewers.
	Days map[string][2]int64 `json:"days"`
}

// parseViews reads views_csv rows of the configured spaces, adding up
// rows of the same page and day.
func (s *settings) parseViews(t *tabular.Table) (map[string]*dayViews, []error, error) {
	cols, err := t.Resolve(viewColumns, s.ViewsColumns)
	if err != nil {
		return nil, nil, err
	}
	cols.DateLayout = s.DateFormat
	out := map[string]*dayViews{}
	var invalid []error
	for _, row := range t.Rows {
		rec := cols.Record(row)
		if err := s.parseViewRow(rec, out); err != nil {
			invalid = append(invalid, err)
		}
	}
	return out, invalid, nil
}

func (s *settings) parseViewRow(rec tabular.Record, out map[string]*dayViews) error {
	title, err := rec.Required("page")
	if err != nil {
		return err
	}
	space, err := rec.Required("space")
	if err != nil {
		return err
	}
	day, err := rec.Date("date")
	if err != nil {
		return err
	}
	views, err := rec.Int("views")
	if err != nil {
		return err
	}
	viewers, err := rec.Int("unique_viewers")
	if err != nil {
		return err
	}
	if viewers > views {
		return rec.Errorf("unique_viewers", "%d unique viewers is more than the %d views", viewers, views)
	}
	space, ok := s.spaceKey(space)
	if !ok {
		return nil // another space of the same export
	}
	key := pageKey(space, title)
	dv := out[key]
	if dv == nil {
		dv = &dayViews{Space: space, Title: title, Days: map[string][2]int64{}}
		out[key] = dv
	}
	d := day.UTC().Format(time.DateOnly)
	v := dv.Days[d]
	dv.Days[d] = [2]int64{v[0] + views, v[1] + viewers}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// describe is a short form of errors for notes.
func describe(errs []error, what string, limit int) []string {
	var out []string
	for i, err := range errs {
		if i == limit {
			out = append(out, fmt.Sprintf("%s: %d more invalid rows skipped (see the log)", what, len(errs)-i))
			break
		}
		out = append(out, fmt.Sprintf("%s: skipped invalid row: %v", what, err))
	}
	return out
}
