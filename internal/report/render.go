package report

import (
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	htmltemplate "html/template"
	"io"
	"strings"
	"text/template"
)

//go:embed templates
var templates embed.FS

// Format is an output format of the report.
type Format string

// The formats.
const (
	FormatMarkdown Format = "markdown"
	FormatHTML     Format = "html"
	FormatJSON     Format = "json"
)

// Formats lists them in flag order.
var Formats = []string{string(FormatMarkdown), string(FormatHTML), string(FormatJSON)}

// ChartFile is the file name a Markdown report links a chart as.
func ChartFile(c Chart) string { return strings.ReplaceAll(c.ID, ".", "-") + ".png" }

var funcs = map[string]any{
	"cell":    func(t Table, r TableRow, i int) string { return t.Cell(r, i) },
	"pipe":    func(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ") },
	"oneline": func(s string) string { return strings.Join(strings.Fields(s), " ") },
	"date":    func(t any) string { return fmt.Sprint(t) },
	"windowed": func(f Figure) string {
		if f.Windowed {
			return " (" + f.Window + ")"
		}
		return ""
	},
	"join": strings.Join,
	"add":  func(a, b int) int { return a + b },
}

// Markdown writes the report as Markdown for wikis; each chart is linked
// as chartDir/ChartFile(chart), which the caller writes (no chart links
// when chartDir is empty).
func Markdown(w io.Writer, r *Report, chartDir string) error {
	t, err := template.New("report.md.tmpl").Funcs(funcs).Funcs(template.FuncMap{
		"chartpath": func(c Chart) string {
			if chartDir == "" {
				return "" // nowhere to write them: leave them out
			}
			return chartDir + "/" + ChartFile(c)
		},
	}).ParseFS(templates, "templates/report.md.tmpl")
	if err != nil {
		return fmt.Errorf("markdown template: %w", err)
	}
	if err := t.Execute(w, r); err != nil {
		return fmt.Errorf("writing markdown: %w", err)
	}
	return nil
}

// HTML writes the report as one HTML page with the charts inlined as PNG
// data URIs, so it can be mailed or archived as a single file.
func HTML(w io.Writer, r *Report) error {
	t, err := htmltemplate.New("report.html.tmpl").Funcs(funcs).Funcs(htmltemplate.FuncMap{
		"png": func(b []byte) htmltemplate.URL {
			return htmltemplate.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(b))
		},
	}).ParseFS(templates, "templates/report.html.tmpl")
	if err != nil {
		return fmt.Errorf("html template: %w", err)
	}
	if err := t.Execute(w, r); err != nil {
		return fmt.Errorf("writing html: %w", err)
	}
	return nil
}

// JSON writes the report with every figure's query, for other tools.
func JSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // keeps PromQL's < > & readable
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("writing json: %w", err)
	}
	return nil
}
