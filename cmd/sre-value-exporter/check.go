package main

import (
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/config"
	"github.com/sre-value/sre-value-exporter/internal/exporter"
)

// checkConfig validates the configuration, every collector's settings and
// the local files they read, without touching the store or any upstream
// (serve --config.check), printing every mistake of the file at once.
func checkConfig(file string, enabled func(string) bool, logger *slog.Logger, stdout, stderr io.Writer) int {
	cfg, err := exporter.Check(file, logger, enabled, time.Now)
	if err != nil {
		fmt.Fprintf(stderr, "%s\n", config.Redact(err.Error()))
		return 1
	}
	fmt.Fprintf(stdout, "%s: OK (%d collectors, %d teams, %d services)\n", file, len(cfg.Collectors), len(cfg.Catalog.Teams), len(cfg.Catalog.Services))
	return 0
}
