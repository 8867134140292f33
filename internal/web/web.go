// Package web serves the exporter's HTTP endpoints: /metrics from the
// pre-rendered snapshot, the landing page with every collector's status and
// the scorecard, health and readiness probes and the reload endpoint.
package web

import (
	"compress/gzip"
	"context"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/sre-value/sre-value-exporter/internal/config"
	"github.com/sre-value/sre-value-exporter/internal/scheduler"
	"github.com/sre-value/sre-value-exporter/internal/scorecard"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
)

// Source is what the handlers read from.
type Source interface {
	Statuses() []scheduler.Status
	Ready() bool
	Rendered() *snapshot.Rendered
	// Published is the snapshot the scorecard is computed from.
	Published() *scheduler.Published
}

// Options configure the handlers.
type Options struct {
	TelemetryPath string
	Version       string
	ConfigFile    string
	Self          prometheus.Gatherer // the exporter's own metrics
	Source        Source
	Reload        func() error
	// EnableLifecycle allows POST /-/reload (--web.enable-lifecycle). It is
	// off by default, as in Prometheus: any web page a user visits could
	// otherwise post a cross-origin form to it.
	EnableLifecycle bool
	// MaxRequests caps concurrent scrapes of TelemetryPath; beyond it a
	// scrape gets 503 at once instead of holding a goroutine and its
	// buffers (--web.max-requests). 0 means no cap.
	MaxRequests int
	Logger      *slog.Logger
	Now         func() time.Time
	// Reloads counts configuration loads, failed ones included, so a
	// reload's outcome is served at once although no collector changed.
	Reloads func() uint64
	// SelfMaxAge bounds how old the served Go runtime and process metrics
	// may be (default 5s); collector health is always current.
	SelfMaxAge time.Duration
	// Context, when set, keeps the exporter's own metrics rendered in the
	// background until it ends, so scrapes only copy bytes.
	Context context.Context
	// Scorecard returns the scorecard's options from the configuration in
	// force (nil: the defaults).
	Scorecard func() scorecard.Options
}

// Timeouts of the HTTP server. A client that stops reading is cut off after
// writeTimeout, so slow or stuck clients cannot pile up goroutines; idle
// keep-alive connections outlive a typical scrape interval.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 2 * time.Minute
)

// NewServer returns an HTTP server for h with the exporter's timeouts.
func NewServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
	}
}

// Handler returns the exporter's HTTP handler.
func Handler(o Options) http.Handler {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.SelfMaxAge <= 0 {
		o.SelfMaxAge = 5 * time.Second
	}
	mux := http.NewServeMux()
	mux.Handle(o.TelemetryPath, limitConcurrency(o.MaxRequests, metricsHandler(o)))
	mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("Healthy\n"))
	})
	mux.HandleFunc("/-/ready", func(w http.ResponseWriter, _ *http.Request) {
		if !o.Source.Ready() {
			http.Error(w, "Not ready: waiting for every collector's first refresh\n", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("Ready\n"))
	})
	mux.HandleFunc("/-/reload", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost && r.Method != http.MethodPut {
			w.Header().Set("Allow", "POST, PUT")
			http.Error(w, "Use POST to reload the configuration\n", http.StatusMethodNotAllowed)
			return
		}
		if !o.EnableLifecycle {
			http.Error(w, "Lifecycle API is not enabled: start the exporter with --web.enable-lifecycle, or send it SIGHUP\n", http.StatusForbidden)
			return
		}
		if err := o.Reload(); err != nil {
			http.Error(w, "Reload failed, the previous configuration keeps running: "+config.Redact(err.Error())+"\n", http.StatusInternalServerError)
			return
		}
		w.Write([]byte("Configuration reloaded\n"))
	})
	mux.HandleFunc("/", landingHandler(o))
	return mux
}

// limitConcurrency answers 503 to requests beyond max in flight, like
// promhttp's MaxRequestsInFlight.
func limitConcurrency(limit int, next http.Handler) http.Handler {
	if limit <= 0 {
		return next
	}
	slots := make(chan struct{}, limit)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case slots <- struct{}{}:
			defer func() { <-slots }()
			next.ServeHTTP(w, r)
		default:
			http.Error(w, fmt.Sprintf("Too many concurrent scrapes (limit %d, --web.max-requests)\n", limit), http.StatusServiceUnavailable)
		}
	})
}

var textFormat = expfmt.NewFormat(expfmt.TypeTextPlain)

// metricsHandler writes the exporter's own metrics followed by the
// collectors' body rendered at refresh time. With gzip, each part is its own
// gzip member: a multi-member stream is valid gzip, so both parts are
// compressed once, not per scrape.
func metricsHandler(o Options) http.Handler {
	self := newSelfMetrics(o.Self, o.Source.Statuses, o.Reloads, o.SelfMaxAge, o.Now)
	if o.Context != nil {
		go self.run(o.Context)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		own := self.get()
		if own.err != nil {
			o.Logger.Warn("serving the exporter's own metrics", "err", own.err)
		}
		body := o.Source.Rendered()
		w.Header().Set("Content-Type", string(textFormat))
		if acceptsGzip(r) {
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(own.gzip)
			w.Write(body.Gzip)
			return
		}
		w.Write(own.text)
		w.Write(body.Text)
	})
}

// gzipWriters are reused across scrapes: a gzip.Writer allocates about a
// megabyte of state.
var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	return zw
}}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.TrimSpace(enc) == "gzip" && strings.TrimSpace(q) != "q=0" {
			return true
		}
	}
	return false
}

//go:embed landing.html
var landingHTML string

var landingTemplate = template.Must(template.New("landing").Funcs(template.FuncMap{
	"ago": func(now, t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		d := now.Sub(t).Round(time.Second)
		if d < 0 {
			return "in " + (-d).String()
		}
		return d.String() + " ago"
	},
	"span": func(windows []string) int { return len(windows) },
	"stamp": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	},
}).Parse(landingHTML))

// scorecards caches the scorecard of the last published snapshot: it is
// computed once per publish, on the first page view after it.
type scorecards struct {
	options func() scorecard.Options

	mu    sync.Mutex
	gen   uint64
	board *scorecard.Board
}

func (c *scorecards) get(pub *scheduler.Published) *scorecard.Board {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.board == nil || c.gen != pub.Generation {
		var opts scorecard.Options
		if c.options != nil {
			opts = c.options()
		}
		c.board, c.gen = scorecard.Compute(pub.Current, pub.Previous, opts), pub.Generation
	}
	return c.board
}

func landingHandler(o Options) http.HandlerFunc {
	cards := &scorecards{options: o.Scorecard}
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		board := cards.get(o.Source.Published())
		team := r.URL.Query().Get("team")
		card, known := board.Team(team)
		if !known {
			card, _ = board.Team(scorecard.AllTeams)
		}
		statuses := o.Source.Statuses()
		// Errors and notes were redacted when recorded; redact again in case
		// a secret was added since.
		for i := range statuses {
			statuses[i].LastError = config.Redact(statuses[i].LastError)
			for j := range statuses[i].Notes {
				statuses[i].Notes[j] = config.Redact(statuses[i].Notes[j])
			}
		}
		data := struct {
			Version, TelemetryPath, ConfigFile string
			Now                                time.Time
			Ready                              bool
			Series                             int
			Statuses                           []scheduler.Status
			Board                              *scorecard.Board
			Scorecard                          *scorecard.Scorecard
			UnknownTeam                        string
		}{o.Version, o.TelemetryPath, o.ConfigFile, o.Now(), o.Source.Ready(), o.Source.Rendered().Series, statuses, board, card, ""}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if !known {
			data.UnknownTeam = team
			w.WriteHeader(http.StatusNotFound)
		}
		if err := landingTemplate.Execute(w, data); err != nil {
			o.Logger.Error("rendering the landing page", "err", err)
		}
	}
}
