package main

import (
	"context"
	"fmt"

	"github.com/alecthomas/kingpin/v2"

	"github.com/sre-value/sre-value-exporter/internal/bundle"
	"github.com/sre-value/sre-value-exporter/internal/bundle/push"
	"github.com/sre-value/sre-value-exporter/internal/config"
)

// pushCommand uploads the configuration's dashboards into a Grafana folder.
func pushCommand(app *kingpin.Application) command {
	c := app.Command("push", "Upload the generated dashboards into a folder of an existing Grafana; writes only what differs and refuses to overwrite a dashboard edited in Grafana unless --force (see docs/push.md).")
	configFile := c.Flag("config.file", "The exporter configuration the dashboards are generated from.").Required().String()
	grafanaURL := c.Flag("grafana.url", "Base URL of the Grafana.").Required().String()
	tokenFile := c.Flag("grafana.token-file", "File holding a service-account token allowed to write dashboards and folders.").Required().String()
	folder := c.Flag("folder", "Title of the folder to push into; created when missing.").Default("SRE value").String()
	folderUID := c.Flag("folder.uid", "Stable uid of that folder.").Default("sre-value").String()
	force := c.Flag("force", "Overwrite dashboards edited in Grafana.").Bool()
	dryRun := c.Flag("dry-run", "Read Grafana and report what would change, without writing.").Bool()
	return command{clause: c, run: func(e env) int {
		token, err := config.ReadSecretFile("", *tokenFile)
		if err != nil {
			fmt.Fprintf(e.stderr, "sre-value-exporter push: --grafana.token-file: %s\n", err)
			return 2
		}
		client, err := push.NewClient(*grafanaURL, token, e.logger)
		if err != nil {
			fmt.Fprintf(e.stderr, "sre-value-exporter push: --grafana.url: %s\n", config.Redact(err.Error()))
			return 2
		}
		cfg, err := config.Load(*configFile)
		if err != nil {
			fmt.Fprintf(e.stderr, "sre-value-exporter push: %s\n", config.Redact(err.Error()))
			return 1
		}
		files, err := bundle.Generate(cfg, *configFile)
		if err != nil {
			fmt.Fprintf(e.stderr, "sre-value-exporter push: %s\n", err)
			return 1
		}
		rep := push.Push(context.Background(), client, push.Dashboards(files, bundle.DashboardsDir), push.Options{FolderTitle: *folder, FolderUID: *folderUID, Force: *force, DryRun: *dryRun})
		_ = rep.Write(redactingWriter{e.stdout})
		if !rep.OK() {
			return 1
		}
		return 0
	}}
}
