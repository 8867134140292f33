package main

import (
	"fmt"

	"github.com/alecthomas/kingpin/v2"

	"github.com/sre-value/sre-value-exporter/internal/bundle"
	"github.com/sre-value/sre-value-exporter/internal/config"
)

// generateCommand writes the monitoring bundle (rules, SLO rules, runbooks) for a
// configuration.
func generateCommand(app *kingpin.Application) command {
	c := app.Command("generate", "Write the monitoring bundle for a configuration: Prometheus recording and alerting rules and the SLO rules (alerts/), a runbook per alert (docs/runbooks/) and the recording-rule reference (docs/rules.md). The same configuration always gives the same bytes.")
	configFile := c.Flag("config.file", "The exporter configuration; its alerting: section sets the alert thresholds, its slos: section the SLOs.").Required().String()
	outputDir := c.Flag("output-dir", "Folder to write the bundle to; existing files of the bundle are overwritten.").Default(".").String()
	return command{clause: c, run: func(e env) int {
		cfg, err := config.Load(*configFile)
		if err != nil {
			fmt.Fprintf(e.stderr, "sre-value-exporter generate: %s\n", config.Redact(err.Error()))
			return 1
		}
		files, err := bundle.Generate(cfg, *configFile)
		if err != nil {
			fmt.Fprintf(e.stderr, "sre-value-exporter generate: %s\n", err)
			return 1
		}
		if err := bundle.Write(*outputDir, files); err != nil {
			fmt.Fprintf(e.stderr, "sre-value-exporter generate: %s\n", err)
			return 1
		}
		e.logger.Info("bundle written", "dir", *outputDir, "files", len(files))
		return 0
	}}
}
