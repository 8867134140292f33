// Package filedoc maps a local file into a compliance Document by its
// extension: Markdown, Confluence storage XHTML, dashboard JSON, Prometheus
// rule files and Slack message text. lint and the documents collector
// read files the same way through it.
package filedoc

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sre-value/sre-value-exporter/internal/compliance"
	"github.com/sre-value/sre-value-exporter/internal/compliance/confluence"
	"github.com/sre-value/sre-value-exporter/internal/compliance/dashboard"
	"github.com/sre-value/sre-value-exporter/internal/compliance/markdown"
	"github.com/sre-value/sre-value-exporter/internal/compliance/rulefile"
	"github.com/sre-value/sre-value-exporter/internal/compliance/slackpost"
)

// Problem is a reason a file cannot be read as its format, at a line (0
// when the parser does not say).
type Problem = rulefile.Problem

// kinds maps file extensions to document kinds.
var kinds = map[string]compliance.Kind{
	".md": compliance.Markdown, ".markdown": compliance.Markdown,
	".html": compliance.Confluence, ".xhtml": compliance.Confluence,
	".json": compliance.Dashboard,
	".yml":  compliance.RuleFile, ".yaml": compliance.RuleFile,
	".txt": compliance.Slack, ".mrkdwn": compliance.Slack, ".slack": compliance.Slack,
}

// KindOf is the document kind of a file by its extension.
func KindOf(path string) (compliance.Kind, bool) {
	k, ok := kinds[strings.ToLower(filepath.Ext(path))]
	return k, ok
}

// Extensions lists the known extensions, sorted and space-separated.
func Extensions() string {
	exts := make([]string, 0, len(kinds))
	for e := range kinds {
		exts = append(exts, e)
	}
	slices.Sort(exts)
	return strings.Join(exts, " ")
}

// Parse maps src, read from path, as a document of kind. A file that does
// not parse gives no document and the problems that say why.
func Parse(path string, kind compliance.Kind, src []byte) (*compliance.Document, []Problem) {
	switch kind {
	case compliance.Markdown:
		doc, err := markdown.Parse(path, src)
		if err != nil {
			return nil, []Problem{{Line: 1, Msg: strings.TrimPrefix(err.Error(), path+": ")}}
		}
		return doc, nil
	case compliance.Confluence:
		title := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
		doc, err := confluence.Parse(confluence.Page{Title: title, Path: path}, src)
		if err != nil {
			return nil, []Problem{problemAt(err, fmt.Sprintf("page %q: ", title))}
		}
		return doc, nil
	case compliance.Dashboard:
		doc, err := dashboard.Parse(src, dashboard.Meta{Path: path})
		if err != nil {
			return nil, []Problem{problemAt(err, "")}
		}
		return doc, nil
	case compliance.Slack:
		return slackpost.Parse(slackpost.Message{Path: path, Text: string(src)}), nil
	default:
		return rulefile.Parse(path, src)
	}
}

// problemAt splits "line N: message" errors into a line and a message.
func problemAt(err error, prefix string) Problem {
	msg := strings.TrimPrefix(err.Error(), prefix)
	var line int
	if n, _ := fmt.Sscanf(msg, "line %d: ", &line); n == 1 {
		_, msg, _ = strings.Cut(msg, ": ")
	}
	return Problem{Line: line, Msg: msg}
}
