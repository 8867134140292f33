package main

import (
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/config"
	"github.com/sre-value/sre-value-exporter/internal/exporter"
)

// checkConfig validates the configuration and every collector's settings
// without touching the store or any upstream (serve --config.check),
// printing every mistake of the file at once.
func checkConfig(file string, enabled func(string) bool, logger *slog.Logger, stdout, stderr io.Writer) int {
	cfg, _, err := exporter.Load(file, nil, logger, enabled, nil, time.Now)
	if err != nil {
		fmt.Fprintf(stderr, "%s\n", config.Redact(err.Error()))
		return 1
	}
	fmt.Fprintf(stdout, "%s: OK (%d collectors, %d teams, %d services)\n", file, len(cfg.Collectors), len(cfg.Catalog.Teams), len(cfg.Catalog.Services))
	return 0
}
