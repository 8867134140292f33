// Package dashboard maps a Grafana dashboard's JSON (a file, an export, or
// the dashboard-by-uid API response) into a compliance Document: uid,
// title, tags, datasource variables, row panels as sections, links, and
// one item per panel with its type, unit, description and datasources.
package dashboard

import (
	"fmt"
	"strconv"

	"github.com/sre-value/sre-value-exporter/internal/compliance"
)

// Meta is what is known about the dashboard besides its JSON.
type Meta struct {
	Path   string // local file (lint)
	URL    string // Grafana URL of the dashboard
	Folder string // folder title; read from meta.folderTitle when empty
}

// Parse maps dashboard JSON into a Document. Invalid JSON, or JSON that
// is not a dashboard object, is an error naming the line.
func Parse(src []byte, meta Meta) (*compliance.Document, error) {
	root, err := parseTree(src)
	if err != nil {
		return nil, err
	}
	dash := root
	// An export or API response wraps the dashboard with its metadata.
	if inner := root.get("dashboard"); inner != nil && inner.obj != nil {
		dash = inner
		if meta.Folder == "" {
			meta.Folder = root.get("meta", "folderTitle").text()
		}
		if meta.URL == "" {
			meta.URL = root.get("meta", "url").text()
		}
	}
	if dash.obj == nil {
		return nil, fmt.Errorf("line %d: a dashboard is a JSON object", dash.line)
	}
	doc := &compliance.Document{
		Kind: compliance.Dashboard, Source: "grafana",
		Path: meta.Path, URL: meta.URL, Container: meta.Folder,
		Key: dash.get("uid").text(), Title: dash.get("title").text(),
	}
	if meta.Path != "" {
		doc.Source = "file"
		doc.Key = "" // a file is located by path and line
	}
	if t := dash.get("title"); t != nil {
		doc.TitleLine = t.line
	}
	if u := dash.get("uid"); u != nil {
		doc.Set("uid", u.line, u.text())
	}
	for _, t := range dash.get("tags").items() {
		doc.Labels = append(doc.Labels, t.text())
	}
	for _, v := range dash.get("templating", "list").items() {
		if v.get("type").text() == "datasource" {
			doc.Set("datasource_variables", v.line, v.get("name").text())
		}
	}
	for _, l := range dash.get("links").items() {
		doc.Links = append(doc.Links, compliance.Link{URL: l.get("url").text(), Text: l.get("title").text(), Line: l.line})
	}
	if rows := dash.get("rows"); len(rows.items()) > 0 {
		doc.Set("legacy_rows", rows.line, strconv.Itoa(len(rows.arr))+" legacy rows")
		for _, row := range rows.arr {
			if title := row.get("title").text(); title != "" {
				doc.Sections = append(doc.Sections, compliance.Section{Title: title, Level: 1, Line: row.line})
			}
			for _, p := range row.get("panels").items() {
				addPanel(doc, p)
			}
		}
	}
	for _, p := range dash.get("panels").items() {
		addPanel(doc, p)
		// A collapsed row keeps its panels inside it.
		for _, inner := range p.get("panels").items() {
			addPanel(doc, inner)
		}
	}
	for _, s := range doc.Sections {
		doc.Words += compliance.CountWords(s.Title)
	}
	return doc, nil
}

func addPanel(doc *compliance.Document, p *node) {
	typ := p.get("type").text()
	title := p.get("title").text()
	if typ == "row" {
		doc.Sections = append(doc.Sections, compliance.Section{Title: title, Level: 1, Line: p.line})
	}
	name := title
	if name == "" {
		name = fmt.Sprintf("#%s", scalar(p.get("id")))
	}
	it := compliance.Item{Kind: "panel", Name: name, Line: p.line}
	it.Set("type", p.line, typ)
	it.Set("title", p.line, title)
	it.Set("description", p.line, p.get("description").text())
	unit := p.get("fieldConfig", "defaults", "unit").text()
	if unit == "" { // legacy graph and singlestat panels
		if y := p.get("yaxes").items(); len(y) > 0 {
			unit = y[0].get("format").text()
		}
		if unit == "" {
			unit = p.get("format").text()
		}
	}
	it.Set("unit", p.line, unit)
	it.Set("datasource", p.line, datasource(p.get("datasource")))
	for _, t := range p.get("targets").items() {
		if ds := datasource(t.get("datasource")); ds != "" && ds != datasource(p.get("datasource")) {
			it.Set("datasource", t.line, ds)
		}
	}
	for _, l := range p.get("links").items() {
		doc.Links = append(doc.Links, compliance.Link{URL: l.get("url").text(), Text: l.get("title").text(), Line: l.line})
	}
	for _, l := range p.get("fieldConfig", "defaults", "links").items() {
		doc.Links = append(doc.Links, compliance.Link{URL: l.get("url").text(), Text: l.get("title").text(), Line: l.line})
	}
	doc.Words += compliance.CountWords(title) + compliance.CountWords(p.get("description").text())
	doc.Items = append(doc.Items, it)
}

// datasource is a panel or target datasource reference: a name (old
// dashboards) or the uid of {type, uid}.
func datasource(n *node) string {
	if n == nil {
		return ""
	}
	if n.isStr {
		return n.str
	}
	return n.get("uid").text()
}

func scalar(n *node) string {
	if n == nil {
		return "?"
	}
	if n.isStr {
		return n.str
	}
	return fmt.Sprint(n.other)
}
