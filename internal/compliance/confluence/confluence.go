// Package confluence maps a Confluence page in storage format (the XHTML
// the REST API returns as body.storage) into a compliance Document:
// headings, words per section, links (including page links, URL resources
// and Jira macros) and the page's title, space, labels and dates.
package confluence

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/compliance"
)

// Page is what the collector (or lint) knows about the page besides its body.
type Page struct {
	Title   string
	URL     string
	Space   string
	Labels  []string
	Created time.Time
	Updated time.Time
	// Path is set when the page was read from a local file (lint).
	Path string
}

// Parse maps the page's storage-format body into a Document. Storage
// format is a fragment of XHTML with ac:/ri: elements; HTML entities and
// void elements are accepted, unbalanced tags are an error with its line.
func Parse(page Page, body []byte) (*compliance.Document, error) {
	doc := &compliance.Document{
		Kind: compliance.Confluence, Source: "confluence",
		Title: page.Title, URL: page.URL, Container: page.Space, Labels: page.Labels,
		Created: page.Created, Updated: page.Updated, Path: page.Path,
	}
	if page.Path != "" {
		doc.Source = "file"
	}
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.Strict = false
	dec.AutoClose = voidElements
	dec.Entity = xml.HTMLEntity

	var (
		wordsAfter []int
		heading    *strings.Builder // non-nil inside h1..h6
		link       *compliance.Link // inside <a> or <ac:link>
		linkText   strings.Builder
		macro      string // name of the structured macro being read
		param      string // ac:parameter name being read
	)
	addWords := func(s string) {
		n := compliance.CountWords(s)
		doc.Words += n
		if len(wordsAfter) > 0 && heading == nil {
			wordsAfter[len(wordsAfter)-1] += n
		}
	}
	for {
		line, _ := dec.InputPos()
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return nil, fmt.Errorf("page %q: line %d: %s", page.Title, se.Line, se.Msg)
			}
			return nil, fmt.Errorf("page %q: %w", page.Title, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch name := t.Name.Local; {
			case t.Name.Space == "" && len(name) == 2 && name[0] == 'h' && name[1] >= '1' && name[1] <= '6':
				doc.Sections = append(doc.Sections, compliance.Section{Level: int(name[1] - '0'), Line: line})
				wordsAfter = append(wordsAfter, 0)
				heading = &strings.Builder{}
			case t.Name.Space == "" && name == "a":
				link = &compliance.Link{URL: attr(t, "href"), Line: line}
				linkText.Reset()
			case t.Name.Space == "ac" && name == "link":
				link = &compliance.Link{Line: line}
				linkText.Reset()
			case t.Name.Space == "ri" && link != nil && (name == "page" || name == "blogpost"):
				link.URL = "page:" + attr(t, "content-title")
				if s := attr(t, "space-key"); s != "" {
					link.URL = "page:" + s + ":" + attr(t, "content-title")
				}
			case t.Name.Space == "ri" && name == "url":
				if link != nil {
					link.URL = attr(t, "value")
				} else {
					doc.Links = append(doc.Links, compliance.Link{URL: attr(t, "value"), Line: line})
				}
			case t.Name.Space == "ac" && name == "structured-macro":
				macro = attr(t, "name")
			case t.Name.Space == "ac" && name == "parameter":
				param = attr(t, "name")
			}
		case xml.EndElement:
			switch name := t.Name.Local; {
			case heading != nil && t.Name.Space == "" && len(name) == 2 && name[0] == 'h':
				title := strings.Join(strings.Fields(heading.String()), " ")
				doc.Sections[len(doc.Sections)-1].Title = title
				heading = nil
			case link != nil && ((t.Name.Space == "" && name == "a") || (t.Name.Space == "ac" && name == "link")):
				link.Text = strings.Join(strings.Fields(linkText.String()), " ")
				if link.URL != "" {
					doc.Links = append(doc.Links, *link)
				}
				link = nil
			case t.Name.Space == "ac" && name == "structured-macro":
				macro = ""
			case t.Name.Space == "ac" && name == "parameter":
				param = ""
			}
		case xml.CharData:
			s := string(t)
			if macro == "jira" && param == "key" {
				doc.Links = append(doc.Links, compliance.Link{URL: "jira:" + strings.TrimSpace(s), Text: strings.TrimSpace(s), Line: line})
				continue
			}
			if param != "" {
				continue // macro settings are not prose
			}
			if heading != nil {
				heading.WriteString(s)
			}
			if link != nil {
				linkText.WriteString(s)
			}
			if doc.FirstLineNo == 0 {
				if first, _, _ := strings.Cut(strings.TrimSpace(s), "\n"); first != "" {
					doc.FirstLine, doc.FirstLineNo = strings.TrimSpace(first), line+strings.Count(s[:strings.Index(s, first)], "\n")
				}
			}
			addWords(s)
		}
	}
	compliance.FinishSections(doc.Sections, wordsAfter)
	doc.Set("tag", 0, compliance.TagOf(doc.Title))
	return doc, nil
}

// voidElements are the HTML elements written without an end tag, except
// "link": in storage format <ac:link> has one, and the decoder matches
// auto-closed elements by local name only.
var voidElements = slices.DeleteFunc(slices.Clone(xml.HTMLAutoClose), func(name string) bool { return name == "link" })

func attr(t xml.StartElement, local string) string {
	for _, a := range t.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}
