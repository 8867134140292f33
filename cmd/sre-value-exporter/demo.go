package main

import (
	"fmt"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/sre-value/sre-value-exporter/internal/demo"
)

// demoCommand regenerates the bundled demo data set.
func demoCommand(app *kingpin.Application) command {
	c := app.Command("demo", "Regenerate the deterministic demo data (CSV files and the config.yml that serves them).")
	out := c.Flag("out", "Folder to write the demo files to.").Default("examples/demo").String()
	end := c.Flag("end", "Last day of the demo data (YYYY-MM-DD).").Default("2026-11-20").String()
	return command{clause: c, run: func(e env) int {
		endDay, err := time.Parse(time.DateOnly, *end)
		if err != nil {
			fmt.Fprintf(e.stderr, "sre-value-exporter demo: --end: %s\n", err)
			return 2
		}
		if err := demo.Generate(*out, endDay); err != nil {
			fmt.Fprintf(e.stderr, "sre-value-exporter demo: %s\n", err)
			return 1
		}
		return 0
	}}
}
