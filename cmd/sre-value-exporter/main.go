// Command sre-value-exporter collects SRE value metrics (incidents,
// engagement, training, savings) in the background and serves them to
// Prometheus. `serve` is the default command; `demo` regenerates the bundled
// demo data.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/client_golang/prometheus"
	promcollectors "github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"

	"github.com/sre-value/sre-value-exporter/collectors"
	_ "github.com/sre-value/sre-value-exporter/collectors/all"
	"github.com/sre-value/sre-value-exporter/internal/config"
	"github.com/sre-value/sre-value-exporter/internal/demo"
	"github.com/sre-value/sre-value-exporter/internal/exporter"
	"github.com/sre-value/sre-value-exporter/internal/metrics"
	"github.com/sre-value/sre-value-exporter/internal/store"
	sreweb "github.com/sre-value/sre-value-exporter/internal/web"
)

// DefaultListenAddress is the exporter's port.
const DefaultListenAddress = ":9877"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	app := kingpin.New("sre-value-exporter", "Turns incident trackers, wiki analytics, Slack activity and training records into Prometheus metrics that show what an SRE team is worth.")
	app.Version(version.Print("sre-value-exporter"))
	app.HelpFlag.Short('h')
	app.UsageWriter(stdout)
	app.ErrorWriter(stderr)

	serve := app.Command("serve", "Collect in the background and serve /metrics (default).").Default()
	configFile := serve.Flag("config.file", "Configuration file (YAML).").Default("sre-value-exporter.yml").String()
	configCheck := serve.Flag("config.check", "Validate the configuration file and exit.").Bool()
	storagePath := serve.Flag("storage.path", "Store file: synced records, cursors and counters survive restarts.").Default("data/sre-value-exporter.db").String()
	telemetryPath := serve.Flag("web.telemetry-path", "Path under which to expose metrics.").Default("/metrics").String()
	webFlags := kingpinflag.AddFlags(serve, DefaultListenAddress)
	enabled := map[string]*bool{}
	for _, k := range collectors.Kinds() {
		def := "false"
		if k.EnabledByDefault {
			def = "true"
		}
		enabled[k.Name] = serve.Flag("collector."+k.Name, fmt.Sprintf("Enable the %s collector kind (%s). Use --no-collector.%s to disable.", k.Name, k.Help, k.Name)).Default(def).Bool()
	}

	demoCmd := app.Command("demo", "Regenerate the deterministic demo data.")
	demoOut := demoCmd.Flag("out", "Folder to write the demo files to.").Default("examples/demo").String()
	demoEnd := demoCmd.Flag("end", "Last day of the demo data (YYYY-MM-DD).").Default("2026-11-20").String()
	lintCmd := addLintCommand(app)

	logConfig := &promslog.Config{}
	promslogflag.AddFlags(app, logConfig)

	cmd, err := app.Parse(args)
	if err != nil {
		fmt.Fprintf(stderr, "sre-value-exporter: %s\n", err)
		return 2
	}
	logConfig.Writer = redactingWriter{stderr}
	logger := promslog.New(logConfig)

	switch cmd {
	case lintCmd.clause.FullCommand():
		return lintCmd.run(stdout, stderr)
	case demoCmd.FullCommand():
		end, err := time.Parse(time.DateOnly, *demoEnd)
		if err != nil {
			fmt.Fprintf(stderr, "sre-value-exporter demo: --end: %s\n", err)
			return 2
		}
		if err := demo.Generate(*demoOut, end); err != nil {
			fmt.Fprintf(stderr, "sre-value-exporter demo: %s\n", err)
			return 1
		}
		return 0
	}

	isEnabled := func(kind string) bool {
		b, ok := enabled[kind]
		return ok && *b
	}
	if *configCheck {
		return check(*configFile, isEnabled, logger, stdout, stderr)
	}
	return serveMetrics(serveOptions{
		configFile: *configFile, storagePath: *storagePath, telemetryPath: *telemetryPath,
		webFlags: webFlags, enabled: isEnabled, logger: logger,
	})
}

// check validates the configuration and every collector's settings
// without touching the store or any upstream.
func check(file string, enabled func(string) bool, logger *slog.Logger, stdout, stderr io.Writer) int {
	cfg, err := config.Load(file)
	if err == nil {
		_, err = exporter.Build(cfg, nil, logger, enabled, nil, time.Now)
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s\n", config.Redact(err.Error()))
		return 1
	}
	fmt.Fprintf(stdout, "%s: OK (%d collectors, %d teams, %d services)\n", file, len(cfg.Collectors), len(cfg.Catalog.Teams), len(cfg.Catalog.Services))
	return 0
}

type serveOptions struct {
	configFile, storagePath, telemetryPath string
	webFlags                               *web.FlagConfig
	enabled                                func(string) bool
	logger                                 *slog.Logger
}

func serveMetrics(o serveOptions) int {
	logger := o.logger
	logger.Info("starting sre-value-exporter", "version", version.Info(), "build_context", version.BuildContext())
	st, err := store.Open(o.storagePath)
	if err != nil {
		logger.Error("cannot open the store", "err", err)
		return 1
	}
	defer st.Close()

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	exp := exporter.New(exporter.Options{ConfigFile: o.configFile, Enabled: o.enabled, Logger: logger}, st)

	reg := prometheus.NewRegistry()
	reg.MustRegister(
		versioncollector.NewCollector(metrics.Namespace),
		promcollectors.NewGoCollector(),
		promcollectors.NewProcessCollector(promcollectors.ProcessCollectorOpts{}),
	)
	if err := exp.Register(reg); err != nil {
		logger.Error("registering metrics", "err", err)
		return 1
	}
	if err := exp.Start(ctx); err != nil {
		logger.Error("cannot load the configuration", "err", config.Redact(err.Error()))
		if errors.Is(err, fs.ErrNotExist) {
			logger.Info("to try the exporter without a configuration of your own, run `make run` or pass --config.file examples/demo/config.yml")
		}
		return 1
	}
	defer exp.Scheduler.Stop()

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		for range hup {
			_ = exp.Reload() // failures are logged and visible in sre_config_last_reload_successful
		}
	}()

	handler := sreweb.Handler(sreweb.Options{
		TelemetryPath: o.telemetryPath,
		Version:       version.Version,
		ConfigFile:    o.configFile,
		Self:          reg,
		Source:        exp.Scheduler,
		Reload:        exp.Reload,
		Logger:        logger,
	})
	server := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- web.ListenAndServe(server, o.webFlags, logger) }()

	term := make(chan os.Signal, 1)
	signal.Notify(term, os.Interrupt, syscall.SIGTERM)
	select {
	case err := <-errc:
		logger.Error("web server stopped", "err", err)
		return 1
	case sig := <-term:
		logger.Info("shutting down", "signal", sig.String())
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = server.Shutdown(shutdownCtx)
		return 0
	}
}

// redactingWriter scrubs every known secret from log lines as a last line
// of defence; slog handlers write one record per Write call.
type redactingWriter struct{ w io.Writer }

func (r redactingWriter) Write(p []byte) (int, error) {
	if _, err := r.w.Write([]byte(config.Redact(string(p)))); err != nil {
		return 0, err
	}
	return len(p), nil
}
