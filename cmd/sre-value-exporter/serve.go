package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/client_golang/prometheus"
	promcollectors "github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/config"
	"github.com/sre-value/sre-value-exporter/internal/exporter"
	"github.com/sre-value/sre-value-exporter/internal/metrics"
	"github.com/sre-value/sre-value-exporter/internal/scorecard"
	"github.com/sre-value/sre-value-exporter/internal/store"
	sreweb "github.com/sre-value/sre-value-exporter/internal/web"
)

// DefaultListenAddress is the exporter's port.
const DefaultListenAddress = ":9877"

type serveOptions struct {
	configFile, storagePath, telemetryPath string
	configCheck, enableLifecycle           bool
	maxRequests                            int
	webFlags                               *web.FlagConfig
	enabled                                map[string]*bool
}

// serveCommand collects in the background and serves /metrics; it is the
// default command.
func serveCommand(app *kingpin.Application) command {
	c := app.Command("serve", "Collect in the background and serve /metrics (default).").Default()
	o := &serveOptions{enabled: map[string]*bool{}}
	c.Flag("config.file", "Configuration file (YAML).").Default("sre-value-exporter.yml").StringVar(&o.configFile)
	c.Flag("config.check", "Validate the configuration file and exit.").BoolVar(&o.configCheck)
	c.Flag("storage.path", "Store file: synced records, cursors and counters survive restarts.").Default("data/sre-value-exporter.db").StringVar(&o.storagePath)
	c.Flag("web.telemetry-path", "Path under which to expose metrics.").Default("/metrics").StringVar(&o.telemetryPath)
	c.Flag("web.max-requests", "Maximum number of concurrent scrapes; more get 503. 0 means no limit.").Default("40").IntVar(&o.maxRequests)
	c.Flag("web.enable-lifecycle", "Enable reloading the configuration over HTTP (POST /-/reload). SIGHUP always reloads.").BoolVar(&o.enableLifecycle)
	o.webFlags = kingpinflag.AddFlags(c, DefaultListenAddress)
	for _, k := range collectors.Kinds() {
		def := "false"
		if k.EnabledByDefault {
			def = "true"
		}
		o.enabled[k.Name] = c.Flag("collector."+k.Name, fmt.Sprintf("Enable the %s collector kind (%s). Use --no-collector.%s to disable.", k.Name, strings.TrimSuffix(k.Help, "."), k.Name)).Default(def).Bool()
	}
	return command{clause: c, run: func(e env) int {
		if o.configCheck {
			return checkConfig(o.configFile, o.isEnabled, e.logger, e.stdout, e.stderr)
		}
		return serve(*o, e.logger)
	}}
}

func (o *serveOptions) isEnabled(kind string) bool {
	b, ok := o.enabled[kind]
	return ok && *b
}

func serve(o serveOptions, logger *slog.Logger) int {
	logger.Info("starting sre-value-exporter", "version", version.Info(), "build_context", version.BuildContext())
	st, err := store.Open(o.storagePath)
	if err != nil {
		logger.Error("cannot open the store", "err", err)
		return 1
	}
	defer st.Close()

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	exp := exporter.New(exporter.Options{ConfigFile: o.configFile, Enabled: o.isEnabled, Logger: logger, PreviousPeriods: true}, st)

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

	server := sreweb.NewServer(sreweb.Handler(sreweb.Options{
		TelemetryPath:   o.telemetryPath,
		Version:         version.Version,
		ConfigFile:      o.configFile,
		Self:            reg,
		Source:          exp.Scheduler,
		Reload:          exp.Reload,
		EnableLifecycle: o.enableLifecycle,
		MaxRequests:     o.maxRequests,
		Reloads:         exp.Reloads,
		Logger:          logger,
		Context:         ctx,
		Scorecard:       func() scorecard.Options { return scorecard.OptionsFrom(exp.Config()) },
	}))
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
