package metrics

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/promql/parser"
)

// docExpression is one PromQL expression of a ```promql block and where it
// starts.
type docExpression struct {
	file string
	line int
	expr string
}

// promqlBlocks splits the ```promql blocks of a Markdown file into
// expressions: an expression starts on an unindented line and continues on
// indented ones; # lines are comments.
func promqlBlocks(t *testing.T, path string) []docExpression {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []docExpression
	in := false
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		switch {
		case strings.HasPrefix(text, "```promql"):
			in = true
		case in && strings.HasPrefix(text, "```"):
			in = false
		case !in || strings.TrimSpace(text) == "" || strings.HasPrefix(strings.TrimSpace(text), "#"):
		case (strings.HasPrefix(text, " ") || strings.HasPrefix(text, "\t")) && len(out) > 0:
			out[len(out)-1].expr += "\n" + text
		default:
			out = append(out, docExpression{file: path, line: line, expr: text})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestThePromQLInTheDocsParsesAndUsesDeclaredMetrics reads every ```promql
// example of the docs with Prometheus 3's parser and checks that each
// metric it selects is declared in the catalog (or is a series of a declared
// histogram), so a renamed family cannot leave a dead example behind.
func TestThePromQLInTheDocsParsesAndUsesDeclaredMetrics(t *testing.T) {
	files, err := filepath.Glob("../../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob("../../docs/collectors/*.md")
	files = append(append(files, more...), "../../README.md")
	total := 0
	for _, file := range files {
		for _, e := range promqlBlocks(t, file) {
			total++
			where := filepath.Base(filepath.Dir(e.file)) + "/" + filepath.Base(e.file)
			expr, err := promqlParser.ParseExpr(e.expr)
			if err != nil {
				t.Errorf("%s:%d: %v\n%s", where, e.line, err, e.expr)
				continue
			}
			parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
				vs, ok := node.(*parser.VectorSelector)
				if !ok || !strings.HasPrefix(vs.Name, Namespace+"_") {
					return nil // go_*, process_*, up and other standard series
				}
				if _, ok := Lookup(vs.Name); ok {
					return nil
				}
				if f, ok := Reserved(vs.Name); ok && f.Type == Histogram {
					return nil
				}
				t.Errorf("%s:%d: %s is not a declared metric", where, e.line, vs.Name)
				return nil
			})
		}
	}
	if total < 20 {
		t.Errorf("found only %d PromQL examples in the docs", total)
	}
}

// promqlParser is Prometheus 3's parser with its default options, as the
// pinned server parses queries.
var promqlParser = parser.NewParser(parser.Options{})
