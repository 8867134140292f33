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
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.yaml.in/yaml/v3"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/config"
	"github.com/sre-value/sre-value-exporter/internal/mask"
	"github.com/sre-value/sre-value-exporter/internal/metrics"
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
	// PreviousPeriods makes every refresh also compute the windowed
	// figures of the period before each window, for the landing page's
	// scorecard (scheduler.KeepPreviousPeriods).
	PreviousPeriods bool
}

// Exporter is the running exporter.
type Exporter struct {
	opts      Options
	store     *store.Store
	Scheduler *scheduler.Scheduler

	reloads atomic.Uint64

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
	if opts.PreviousPeriods {
		sched.KeepPreviousPeriods()
	}
	return &Exporter{
		opts:      opts,
		store:     st,
		Scheduler: sched,
		success:   prometheus.NewGauge(prometheus.GaugeOpts{Name: metrics.ConfigLastReloadSuccessful.Name, Help: metrics.ConfigLastReloadSuccessful.Help}),
		lastOK:    prometheus.NewGauge(prometheus.GaugeOpts{Name: metrics.ConfigLastReloadSuccess.Name, Help: metrics.ConfigLastReloadSuccess.Help}),
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
	defer e.reloads.Add(1)
	cfg, instances, static, err := e.build()
	if err != nil {
		e.success.Set(0)
		// At startup there is no previous configuration: the caller
		// reports the error and exits.
		if e.cfg != nil {
			e.opts.Logger.Error("configuration not loaded; the previous one keeps running", "file", e.opts.ConfigFile, "err", config.Redact(err.Error()))
		}
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

// Reloads counts configuration loads, successful or not.
func (e *Exporter) Reloads() uint64 { return e.reloads.Load() }

// Config returns the configuration in force.
func (e *Exporter) Config() *config.Config {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.cfg
}

func (e *Exporter) build() (*config.Config, []scheduler.Instance, *snapshot.Snapshot, error) {
	cfg, instances, err := Load(e.opts.ConfigFile, e.store, e.opts.Logger, e.opts.Enabled, e.Scheduler.Observer, e.opts.Now)
	if err != nil {
		return nil, nil, nil, err
	}
	static, err := Static(cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	return cfg, instances, static, nil
}

// Static is what the exporter exports from the configuration itself: the
// catalog (teams, members, services) and the value: section (currency,
// prices, team cost).
func Static(cfg *config.Config) (*snapshot.Snapshot, error) {
	b := snapshot.NewBuilder()
	cfg.Catalog.Emit(b)
	emitValue(cfg.Value, b)
	static, err := b.Build()
	if err != nil {
		return nil, fmt.Errorf("catalog and value metrics: %w", err)
	}
	return static, nil
}

// Load reads the configuration file and builds its collector instances. It
// reports every mistake at once: those in the file and those in each
// collector's settings. When the file has mistakes, the collectors that
// passed config's own checks are still validated, without the store.
func Load(file string, st *store.Store, logger *slog.Logger, enabled func(string) bool, observer func(string) upstream.Observer, now func() time.Time) (*config.Config, []scheduler.Instance, error) {
	cfg, err := config.Load(file)
	if cfg == nil {
		return nil, nil, err
	}
	if err != nil {
		_, buildErr := Build(cfg, nil, logger, enabled, nil, now)
		return nil, nil, config.Join(err, buildErr)
	}
	instances, err := Build(cfg, st, logger, enabled, observer, now)
	if err != nil {
		return nil, nil, config.Join(err)
	}
	return cfg, instances, nil
}

// Build creates the collector instances of cfg. It validates every
// collector's settings and contacts no upstream, so --config.check uses it
// too (with observer nil).
func Build(cfg *config.Config, st *store.Store, logger *slog.Logger, enabled func(string) bool, observer func(string) upstream.Observer, now func() time.Time) ([]scheduler.Instance, error) {
	// A collector restarts when the catalog or the templates change, since
	// both shape what it exports.
	catalogFP, _ := json.Marshal(struct {
		Catalog   any
		Templates any
	}{cfg.Catalog, cfg.Templates})
	claims := metrics.NewClaims()
	var out []scheduler.Instance
	var errs []error
	templates, err := cfg.TemplateSet()
	if err != nil {
		errs = append(errs, err)
	}
	for _, cc := range cfg.Collectors {
		kind, ok := collectors.Lookup(cc.Kind)
		if !ok {
			errs = append(errs, &config.Error{File: cfg.File, Line: cc.Line, Field: cc.Field() + ".kind", Msg: fmt.Sprintf("unknown collector kind %s (known: %s)", mask.Quote(cc.Kind), kindNames())})
			continue
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
			Config:    cc,
			Decoder:   cfg.Decoder(),
			BaseDir:   cfg.Dir,
			Catalog:   &cfg.Catalog,
			Store:     st,
			Logger:    logger.With("collector", cc.Name, "kind", cc.Kind),
			Observer:  obs,
			Claims:    claims,
			Templates: templates,
			Now:       now,
		}
		c, err := kind.Factory(deps)
		if err != nil {
			errs = append(errs, err)
			continue
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
	// The instances that were built come back with the others' errors, so
	// --config.check can check their sources too.
	return out, config.Join(errs...)
}

// Check validates file as --config.check does: the configuration, every
// collector's settings, and the local files and globs the collectors
// read, all mistakes at once. It touches no store and no upstream.
func Check(file string, logger *slog.Logger, enabled func(string) bool, now func() time.Time) (*config.Config, error) {
	cfg, err := config.Load(file)
	if cfg == nil {
		return nil, err
	}
	instances, buildErr := Build(cfg, nil, logger, enabled, nil, now)
	errs := []error{err, buildErr}
	for _, inst := range instances {
		if c, ok := inst.Collector.(collectors.SourceChecker); ok {
			errs = append(errs, c.CheckSources()...)
		}
	}
	return cfg, config.Join(errs...)
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
// *_file settings in a collector's settings, so a rotation, or a changed
// variable in any string setting, restarts it.
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
				if c.Kind == yaml.ScalarNode && strings.Contains(c.Value, "${") {
					if v, err := config.ExpandEnv(c.Value); err == nil {
						parts = append(parts, v)
					}
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
