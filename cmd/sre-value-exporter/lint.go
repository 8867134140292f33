package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/sre-value/sre-value-exporter/internal/compliance"
	"github.com/sre-value/sre-value-exporter/internal/config"
	"github.com/sre-value/sre-value-exporter/internal/lint"
)

// lintCommand is `sre-value-exporter lint`: format checks for CI.
type lintCommand struct {
	clause     *kingpin.CmdClause
	template   *string
	output     *string
	configFile *string
	paths      *[]string
}

// lintCommandFor declares lint on app as one of the program's commands.
func lintCommandFor(app *kingpin.Application) command {
	l := addLintCommand(app)
	return command{clause: l.clause, run: func(e env) int { return l.run(e.stdout, e.stderr) }}
}

func addLintCommand(app *kingpin.Application) *lintCommand {
	c := app.Command("lint", "Check Markdown, Confluence XHTML, Slack post, dashboard JSON and Prometheus rule files against format templates. Exit status: 0 clean, 1 findings, 2 usage error.")
	return &lintCommand{
		clause:     c,
		template:   c.Flag("template", "Check every file against this template (default: the templates whose applies_to.files match; team-dashboard for .json, prometheus-rules for .yml).").String(),
		output:     c.Flag("output", "Output format: text, json or github (GitHub Actions annotations).").Default("text").Enum(lint.Formats...),
		configFile: c.Flag("config.file", "Optional exporter configuration whose templates: section declares or overrides templates.").String(),
		paths:      c.Arg("files", "Files or folders to check.").Required().Strings(),
	}
}

func (c *lintCommand) run(stdout, stderr io.Writer) int {
	set, err := c.templates()
	if err != nil {
		fmt.Fprintf(stderr, "sre-value-exporter lint: %s\n", config.Redact(err.Error()))
		return 2
	}
	report, err := lint.Run(*c.paths, lint.Options{Set: set, Template: *c.template, Now: time.Now()})
	var usage *lint.UsageError
	switch {
	case errors.As(err, &usage):
		fmt.Fprintf(stderr, "sre-value-exporter lint: %s\n", usage.Msg)
		return 2
	case err != nil:
		fmt.Fprintf(stderr, "sre-value-exporter lint: %s\n", err)
		return 2
	}
	if err := lint.Write(stdout, *c.output, report); err != nil {
		fmt.Fprintf(stderr, "sre-value-exporter lint: %s\n", err)
		return 2
	}
	// The count goes to stderr, so a CI log says what was checked even
	// when it is clean, while stdout stays the findings alone.
	fmt.Fprintf(stderr, "%s in %s checked\n", plural(len(report.Findings), "finding"), plural(report.Files, "file"))
	if len(report.Findings) > 0 {
		return 1
	}
	return 0
}

func (c *lintCommand) templates() (*compliance.Set, error) {
	if *c.configFile == "" {
		return compliance.Compile(nil)
	}
	cfg, err := config.Load(*c.configFile)
	if err != nil {
		return nil, err
	}
	return cfg.TemplateSet()
}

// plural says "1 file", "2 files".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
