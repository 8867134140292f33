// Package rulefile maps a Prometheus rule file into a compliance Document
// with one item per alerting rule ("alert") and recording rule ("record"),
// carrying the rule's name, labels.* and annotations.* fields and lines.
// The file is validated with Prometheus's own rulefmt (YAML shape, PromQL,
// templates), whose errors are returned as Problems.
package rulefile

import (
	"errors"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"

	"github.com/sre-value/sre-value-exporter/internal/compliance"
)

// Problem is a reason Prometheus would refuse the file.
type Problem struct {
	Line int
	Msg  string
}

var (
	promql = parser.NewParser(parser.Options{})
	// rulefmt warns on multi-document files; lint reports nothing of it.
	quiet     = slog.New(slog.DiscardHandler)
	lineNoise = regexp.MustCompile(`^(?:yaml: )?(?:unmarshal errors:\n\s*)?line (\d+): `)
	posPrefix = regexp.MustCompile(`^(\d+):\d+: (?:\d+:\d+: )?`)
)

// Parse maps the rule file at path. Problems are what Prometheus itself
// refuses; the Document is nil only when the YAML cannot be read at all.
func Parse(path string, src []byte) (*compliance.Document, []Problem) {
	var problems []Problem
	if _, errs := rulefmt.Parse(src, false, model.UTF8Validation, promql, quiet); len(errs) > 0 {
		for _, err := range errs {
			// rulefmt decodes twice; a YAML error comes back from both.
			if p := problem(err); !slices.Contains(problems, p) {
				problems = append(problems, p)
			}
		}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(src, &root); err != nil {
		if len(problems) == 0 {
			problems = append(problems, problem(err))
		}
		return nil, problems
	}
	doc := &compliance.Document{Kind: compliance.RuleFile, Source: "file", Path: path}
	if len(root.Content) == 0 {
		return doc, problems
	}
	groups := value(root.Content[0], "groups")
	if groups == nil {
		return doc, problems
	}
	for _, g := range groups.Content {
		group := scalar(value(g, "name"))
		for _, r := range seq(value(g, "rules")) {
			doc.Items = append(doc.Items, item(group, r))
		}
	}
	return doc, problems
}

func item(group string, r *yaml.Node) compliance.Item {
	it := compliance.Item{Kind: "record", Line: r.Line}
	if a := value(r, "alert"); a != nil {
		it.Kind, it.Name = "alert", a.Value
		it.Set("alert", a.Line, a.Value)
	} else if rec := value(r, "record"); rec != nil {
		it.Name = rec.Value
		it.Set("record", rec.Line, rec.Value)
	}
	it.Set("group", r.Line, group)
	if e := value(r, "expr"); e != nil {
		it.Set("expr", e.Line, e.Value)
	}
	for _, section := range []string{"labels", "annotations"} {
		m := value(r, section)
		if m == nil || m.Kind != yaml.MappingNode {
			continue
		}
		for i := 0; i+1 < len(m.Content); i += 2 {
			k, v := m.Content[i], m.Content[i+1]
			it.Set(section+"."+k.Value, k.Line, strings.TrimSpace(v.Value))
		}
	}
	return it
}

// value returns the value of key in a mapping node.
func value(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func seq(n *yaml.Node) []*yaml.Node {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	return n.Content
}

func scalar(n *yaml.Node) string {
	if n == nil {
		return ""
	}
	return n.Value
}

// problem turns a rulefmt or YAML error into a line and a message.
func problem(err error) Problem {
	var re *rulefmt.Error
	msg := err.Error()
	if errors.As(err, &re) {
		msg = strings.TrimSpace(msg)
	}
	if m := posPrefix.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return Problem{Line: line, Msg: msg[len(m[0]):]}
	}
	if m := lineNoise.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return Problem{Line: line, Msg: msg[len(m[0]):]}
	}
	return Problem{Msg: strings.TrimPrefix(msg, "yaml: ")}
}
