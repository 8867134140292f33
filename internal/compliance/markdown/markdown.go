// Package markdown maps a Markdown file (CommonMark with GitHub's
// extensions, optionally with YAML front matter) into a compliance
// Document: headings with their lines and word counts, links, the title
// and first line, and front-matter fields, tags and dates.
package markdown

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/text"
	"go.yaml.in/yaml/v3"

	"github.com/sre-value/sre-value-exporter/internal/compliance"
)

var md = goldmark.New(goldmark.WithExtensions(extension.GFM))

// Parse maps the Markdown in src, read from path, into a Document. Only
// malformed front matter is an error; any text is valid Markdown.
func Parse(path string, src []byte) (*compliance.Document, error) {
	doc := &compliance.Document{Kind: compliance.Markdown, Source: "file", Path: path}
	body, err := frontMatter(doc, src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	lines := newLineIndex(body)
	root := md.Parser().Parse(text.NewReader(body))

	var wordsAfter []int
	words := 0
	add := func(n int) {
		words += n
		if len(wordsAfter) > 0 {
			wordsAfter[len(wordsAfter)-1] += n
		}
	}
	for block := root.FirstChild(); block != nil; block = block.NextSibling() {
		if h, ok := block.(*ast.Heading); ok {
			title := strings.TrimSpace(inlineText(h, body))
			line := lines.of(position(h))
			doc.Sections = append(doc.Sections, compliance.Section{Title: title, Level: h.Level, Line: line})
			wordsAfter = append(wordsAfter, 0)
			words += compliance.CountWords(title)
			if h.Level == 1 && doc.TitleLine == 0 {
				doc.Title, doc.TitleLine = title, line
			}
		} else {
			add(compliance.CountWords(blockText(block, body)))
		}
		if doc.FirstLineNo == 0 {
			if first := firstLine(block, body); first != "" {
				doc.FirstLine, doc.FirstLineNo = first, lines.of(position(block))
			}
		}
	}
	compliance.FinishSections(doc.Sections, wordsAfter)
	doc.Words = words
	doc.Set("tag", doc.FirstLineNo, compliance.TagOf(doc.FirstLine))

	_ = ast.Walk(root, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch l := n.(type) {
		case *ast.Link:
			doc.Links = append(doc.Links, compliance.Link{URL: string(l.Destination), Text: inlineText(l, body), Line: lines.of(position(l))})
		case *ast.AutoLink:
			doc.Links = append(doc.Links, compliance.Link{URL: string(l.URL(body)), Text: string(l.Label(body)), Line: lines.of(position(l))})
		}
		return ast.WalkContinue, nil
	})
	return doc, nil
}

// frontMatter reads a leading "---" YAML block into fields, tags and
// dates, and returns the source with that block blanked (newlines kept) so
// line numbers still match the file.
func frontMatter(doc *compliance.Document, src []byte) ([]byte, error) {
	if !bytes.HasPrefix(src, []byte("---\n")) && !bytes.HasPrefix(src, []byte("---\r\n")) {
		return src, nil
	}
	end := -1
	for off := bytes.IndexByte(src, '\n') + 1; off < len(src); {
		next := bytes.IndexByte(src[off:], '\n')
		line := src[off:]
		if next >= 0 {
			line = src[off : off+next]
		}
		if t := strings.TrimRight(string(line), "\r"); t == "---" || t == "..." {
			end = off + len(line)
			break
		}
		if next < 0 {
			break
		}
		off += next + 1
	}
	if end < 0 {
		return src, nil // a thematic break, not front matter
	}
	var root yaml.Node
	if err := yaml.Unmarshal(src[:end], &root); err != nil {
		return nil, fmt.Errorf("front matter: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(root.Content) == 1 && root.Content[0].Kind == yaml.MappingNode {
		m := root.Content[0]
		for i := 0; i+1 < len(m.Content); i += 2 {
			k, v := m.Content[i], m.Content[i+1]
			var values []string
			switch v.Kind {
			case yaml.ScalarNode:
				values = []string{v.Value}
			case yaml.SequenceNode:
				for _, item := range v.Content {
					if item.Kind == yaml.ScalarNode {
						values = append(values, item.Value)
					}
				}
			}
			// Front-matter lines are counted from the opening "---" (line 1).
			line := k.Line
			doc.Set(k.Value, line, values...)
			switch strings.ToLower(k.Value) {
			case "title":
				if len(values) == 1 {
					doc.Title, doc.TitleLine = values[0], line
				}
			case "tags", "labels":
				doc.Labels = append(doc.Labels, values...)
			case "updated", "last_updated", "last_reviewed", "date":
				if t, ok := parseDate(values); ok && t.After(doc.Updated) {
					doc.Updated = t
				}
			case "created":
				if t, ok := parseDate(values); ok {
					doc.Created = t
				}
			}
		}
	}
	body := bytes.Clone(src)
	for i := 0; i < end; i++ {
		if body[i] != '\n' {
			body[i] = ' '
		}
	}
	return body, nil
}

func parseDate(values []string) (time.Time, bool) {
	if len(values) != 1 {
		return time.Time{}, false
	}
	for _, layout := range []string{time.DateOnly, time.RFC3339, "2006-01-02 15:04:05", "2006-01-02 15:04"} {
		if t, err := time.Parse(layout, values[0]); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// position is the byte offset a node starts at: its own, its first line's,
// or its first descendant's.
func position(n ast.Node) int {
	if n.Type() == ast.TypeBlock && n.Lines().Len() > 0 {
		return n.Lines().At(0).Start
	}
	if p := n.Pos(); p >= 0 {
		return p
	}
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		if p := position(c); p >= 0 {
			return p
		}
	}
	if p := n.Parent(); p != nil && n.Type() == ast.TypeInline {
		return position(p)
	}
	return -1
}

// inlineText is the plain text of a node's inline content.
func inlineText(n ast.Node, src []byte) string {
	var b strings.Builder
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch t := c.(type) {
		case *ast.Text:
			b.Write(t.Segment.Value(src))
			if t.SoftLineBreak() || t.HardLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(t.Value)
		case *ast.AutoLink:
			b.Write(t.Label(src))
		}
		return ast.WalkContinue, nil
	})
	return b.String()
}

// blockText is the text of a block's lines (paragraphs, code, list items
// and quotes inside it), without Markdown's list and quote markers.
func blockText(n ast.Node, src []byte) string {
	var b strings.Builder
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering || c.Type() != ast.TypeBlock {
			return ast.WalkContinue, nil
		}
		lines := c.Lines()
		for i := 0; i < lines.Len(); i++ {
			seg := lines.At(i)
			b.Write(seg.Value(src))
			b.WriteByte('\n')
		}
		return ast.WalkContinue, nil
	})
	return b.String()
}

func firstLine(n ast.Node, src []byte) string {
	var s string
	if h, ok := n.(*ast.Heading); ok {
		s = inlineText(h, src)
	} else {
		s = blockText(n, src)
	}
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(s)
}

// lineIndex turns byte offsets into 1-based line numbers.
type lineIndex []int

func newLineIndex(src []byte) lineIndex {
	idx := lineIndex{0}
	for i, c := range src {
		if c == '\n' {
			idx = append(idx, i+1)
		}
	}
	return idx
}

func (l lineIndex) of(offset int) int {
	if offset < 0 {
		return 0
	}
	lo, hi := 0, len(l)
	for lo+1 < hi {
		mid := (lo + hi) / 2
		if l[mid] <= offset {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo + 1
}
