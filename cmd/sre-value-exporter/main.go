// Command sre-value-exporter collects SRE value metrics (incidents,
// training, events, surveys, savings, adoption) in the background and serves
// them to Prometheus. Each subcommand lives in its own file as a thin layer
// over the internal packages: serve.go (the default, with --config.check in
// check.go), demo.go, generate.go, push.go, report.go, lint.go and backfill.go.
package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"
	"github.com/prometheus/common/version"

	_ "github.com/sre-value/sre-value-exporter/collectors/all"
	"github.com/sre-value/sre-value-exporter/internal/config"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// command is one subcommand: it declares its flags on the app, and runs
// once they are parsed.
type command struct {
	clause *kingpin.CmdClause
	run    func(env) int
}

// env is what every command gets after parsing.
type env struct {
	logger         *slog.Logger
	stdout, stderr io.Writer
}

// exitCode carries the code of kingpin's --help and --version out of
// Parse, so run returns it instead of exiting the process.
type exitCode int

func run(args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if p := recover(); p != nil {
			c, ok := p.(exitCode)
			if !ok {
				panic(p)
			}
			code = int(c)
		}
	}()
	app := kingpin.New("sre-value-exporter", "Turns incident trackers (Jira, GitHub Issues, PagerDuty, incident sheets), Slack channel activity, Confluence wiki pages and views, and hand-kept records (training, events, newsletters, surveys, champions, savings, adoption, collaboration) into Prometheus metrics.")
	app.Version(version.Print("sre-value-exporter"))
	app.HelpFlag.Short('h')
	app.UsageWriter(stdout)
	app.ErrorWriter(stderr)
	app.UsageTemplate(usageTemplate)
	app.Terminate(func(code int) { panic(exitCode(code)) })

	commands := []command{serveCommand(app), demoCommand(app), generateCommand(app), pushCommand(app), reportCommand(app), lintCommandFor(app), backfillCommand(app)}

	logConfig := &promslog.Config{}
	promslogflag.AddFlags(app, logConfig)

	selected, err := app.Parse(args)
	if err != nil {
		fmt.Fprintf(stderr, "sre-value-exporter: %s\n", err)
		return 2
	}
	logConfig.Writer = redactingWriter{stderr}
	e := env{logger: promslog.New(logConfig), stdout: stdout, stderr: stderr}
	for _, c := range commands {
		if c.clause.FullCommand() == selected {
			return c.run(e)
		}
	}
	fmt.Fprintf(stderr, "sre-value-exporter: unknown command %q\n", selected)
	return 2
}

// usageTemplate is kingpin's default with the default command's flags added
// to the top-level help, since `sre-value-exporter --config.file x` runs
// serve.
var usageTemplate = kingpin.DefaultUsageTemplate + `{{if not .Context.SelectedCommand -}}
{{range .App.Commands}}{{if .Default -}}
Flags of {{.FullCommand}} (the default command):
{{.Flags|FlagsToTwoColumns|FormatTwoColumns}}
{{end}}{{end -}}
{{end -}}
`

// redactingWriter scrubs every known secret from log lines as a last line
// of defence; slog handlers write one record per Write call.
type redactingWriter struct{ w io.Writer }

func (r redactingWriter) Write(p []byte) (int, error) {
	if _, err := r.w.Write([]byte(config.Redact(string(p)))); err != nil {
		return 0, err
	}
	return len(p), nil
}
