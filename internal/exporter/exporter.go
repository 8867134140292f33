// Package exporter ties the configuration, the store and the scheduler
// together: it builds collector instances from the config and reloads them,
// keeping the old configuration running when a new one is bad.
package exporter

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"gopkg.in/yaml.v3"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/config"
	"github.com/sre-value/sre-value-exporter/internal/scheduler"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
	"github.com/sre-value/sre-value-exporter/internal/store"
	"github.com/sre-value/sre-value-exporter/internal/upstream"
)

// Options configure an Exporter.
type Options struct {
	ConfigFile string
	// Enabled says whether a collector kind may run (--collector.<kind>).
	Enabled func(kind string) bool
	Logger  *slog.Logger
	Now     func() time.Time
}

// Exporter is the running exporter.
type Exporter struct {
	opts      Options
	store     *store.Store
	Scheduler *scheduler.Scheduler

	mu      sync.Mutex
	cfg     *config.Config
	ctx     context.Context
	success prometheus.Gauge
	lastOK  prometheus.Gauge
}

// New returns an exporter using st; call Start to load the config.
func New(opts Options, st *store.Store) *Exporter {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Enabled == nil {
		opts.Enabled = func(string) bool { return true }
	}
	sched := scheduler.New(opts.Logger, opts.Now)
	if st != nil {
		sched.KeepHealthIn(st)
	}
	return &Exporter{
		opts:      opts,
		store:     st,
		Scheduler: sched,
		success: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sre_config_last_reload_successful",
			Help: "1 if the last configuration load or reload succeeded, 0 if it failed (the previous configuration keeps running).",
		}),
		lastOK: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sre_config_last_reload_success_timestamp_seconds",
			Help: "When the configuration was last loaded successfully.",
		}),
	}
}

// Register adds the exporter's own metrics to reg.
func (e *Exporter) Register(reg prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{e.Scheduler, e.success, e.lastOK} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// Start loads the configuration and starts the collectors; it fails if the
// first configuration is bad.
func (e *Exporter) Start(ctx context.Context) error {
	e.mu.Lock()
	e.ctx = ctx
	e.mu.Unlock()
	return e.Reload()
}

// Reload reads the configuration file again and applies it. On error the
// running configuration stays as it was.
func (e *Exporter) Reload() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	cfg, instances, static, err := e.build()
	if err != nil {
		e.success.Set(0)
		e.opts.Logger.Error("configuration not loaded; the previous one keeps running", "file", e.opts.ConfigFile, "err", config.Redact(err.Error()))
		return err
	}
	e.cfg = cfg
	e.Scheduler.SetStatic(static)
	e.Scheduler.Apply(e.ctx, instances)
	e.success.Set(1)
	e.lastOK.Set(float64(e.opts.Now().UnixMilli()) / 1000)
	e.opts.Logger.Info("configuration loaded", "file", e.opts.ConfigFile, "collectors", len(instances))
	return nil
}

// Config returns the configuration in force.
func (e *Exporter) Config() *config.Config {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.cfg
}

func (e *Exporter) build() (*config.Config, []scheduler.Instance, *snapshot.Snapshot, error) {
	cfg, err := config.Load(e.opts.ConfigFile)
	if err != nil {
		return nil, nil, nil, err
	}
	instances, err := Build(cfg, e.store, e.opts.Logger, e.opts.Enabled, e.Scheduler.Observer, e.opts.Now)
	if err != nil {
		return nil, nil, nil, err
	}
	b := snapshot.NewBuilder()
	cfg.Catalog.Emit(b)
	static, err := b.Build()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("catalog metrics: %w", err)
	}
	return cfg, instances, static, nil
}

// Build creates the collector instances of cfg. It validates every
// collector's settings and contacts no upstream, so --config.check uses it
// too (with observer nil).
func Build(cfg *config.Config, st *store.Store, logger *slog.Logger, enabled func(string) bool, observer func(string) upstream.Observer, now func() time.Time) ([]scheduler.Instance, error) {
	catalogFP, _ := json.Marshal(cfg.Catalog)
	var out []scheduler.Instance
	for _, cc := range cfg.Collectors {
		kind, ok := collectors.Lookup(cc.Kind)
		if !ok {
			return nil, &config.Error{File: cfg.File, Line: cc.Line, Field: cc.Field() + ".kind", Msg: fmt.Sprintf("unknown collector kind %q (known: %s)", cc.Kind, kindNames())}
		}
		if !enabled(cc.Kind) {
			logger.Info("collector kind disabled by flag; skipping", "collector", cc.Name, "kind", cc.Kind, "flag", "--no-collector."+cc.Kind)
			continue
		}
		var obs upstream.Observer = upstream.NopObserver{}
		if observer != nil {
			obs = observer(cc.Name)
		}
		deps := collectors.Deps{
			Config:   cc,
			Decoder:  cfg.Decoder(),
			BaseDir:  cfg.Dir,
			Catalog:  &cfg.Catalog,
			Store:    st,
			Logger:   logger.With("collector", cc.Name, "kind", cc.Kind),
			Observer: obs,
			Now:      now,
		}
		c, err := kind.Factory(deps)
		if err != nil {
			return nil, err
		}
		out = append(out, scheduler.Instance{
			Name:        cc.Name,
			Kind:        cc.Kind,
			Collector:   c,
			Interval:    time.Duration(cc.RefreshInterval),
			Timeout:     time.Duration(cc.Timeout),
			Fingerprint: fingerprint(cc, catalogFP, cfg.Dir),
		})
	}
	return out, nil
}

// fingerprint changes whenever anything the instance depends on changes:
// its settings, intervals, the catalog, or a secret it resolved (a rotated
// token file or environment variable after a reload).
func fingerprint(cc config.CollectorConfig, catalog []byte, dir string) string {
	h := sha256.New()
	settings, _ := yaml.Marshal(&cc.Settings)
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00", cc.Kind, cc.RefreshInterval, cc.Timeout, settings)
	h.Write(catalog)
	h.Write([]byte(resolvedSecrets(&cc.Settings, dir)))
	return hex.EncodeToString(h.Sum(nil))
}

// resolvedSecrets hashes the current values of the ${ENV} references and
// *_file settings in a collector's settings, so a rotation restarts it.
func resolvedSecrets(n *yaml.Node, dir string) string {
	var parts []string
	var walk func(*yaml.Node)
	walk = func(n *yaml.Node) {
		for i, c := range n.Content {
			if n.Kind == yaml.MappingNode && i%2 == 1 {
				key := n.Content[i-1].Value
				if c.Kind == yaml.ScalarNode && strings.HasSuffix(key, "_file") {
					if s, err := config.ReadSecretFile(dir, c.Value); err == nil {
						parts = append(parts, s.Value())
					}
				}
				var s config.Secret
				if c.Kind == yaml.ScalarNode && c.Decode(&s) == nil {
					parts = append(parts, s.Value())
				}
			}
			walk(c)
		}
	}
	walk(n)
	sum := sha256.Sum256([]byte(fmt.Sprint(parts)))
	return hex.EncodeToString(sum[:])
}

func kindNames() string {
	var s string
	for i, k := range collectors.Kinds() {
		if i > 0 {
			s += ", "
		}
		s += k.Name
	}
	return s
}
