package metrics

// The exporter's own health, collected at scrape time.
var (
	CollectorUp = declare(Family{
		Name: "sre_collector_up", Type: Gauge, Exporter: true,
		Help:   "1 if the collector's last refresh succeeded, 0 if it failed (its last good data is still served).",
		Labels: []string{"collector", "kind"},
	})
	CollectorLastSuccess = declare(Family{
		Name: "sre_collector_last_success_timestamp_seconds", Type: Gauge, Exporter: true, Unit: "seconds",
		Help:   "When the collector last refreshed successfully; time() minus this is the staleness of its data.",
		Labels: []string{"collector", "kind"},
	})
	CollectorRefreshDuration = declare(Family{
		Name: "sre_collector_refresh_duration_seconds", Type: Gauge, Exporter: true, Unit: "seconds",
		Help:   "How long the collector's last refresh took (sync from upstream and snapshot).",
		Labels: []string{"collector", "kind"},
	})
	CollectorSeries = declare(Family{
		Name: "sre_collector_series", Type: Gauge, Exporter: true,
		Help:   "Series the collector currently exports, as Prometheus counts them (a histogram is its buckets, +Inf, sum and count).",
		Labels: []string{"collector", "kind"},
	})
	CollectorRefreshInterval = declare(Family{
		Name: "sre_collector_refresh_interval_seconds", Type: Gauge, Exporter: true, Unit: "seconds",
		Help:   "The collector's configured refresh interval.",
		Labels: []string{"collector", "kind"},
	})
	CollectorErrors = declare(Family{
		Name: "sre_collector_errors_total", Type: Counter, Exporter: true,
		Help:   "Failed collector refreshes, by reason (timeout, rate_limited, auth, server_error, client_error, decode, network, invalid_data, store, other).",
		Labels: []string{"collector", "reason"},
	})
	CollectorUpstreamRequests = declare(Family{
		Name: "sre_collector_upstream_requests_total", Type: Counter, Exporter: true,
		Help:   "HTTP requests made to upstream APIs, by status code (\"error\" when no response arrived).",
		Labels: []string{"collector", "code"},
	})
	CollectorRateLimitRemaining = declare(Family{
		Name: "sre_collector_upstream_rate_limit_remaining", Type: Gauge, Exporter: true,
		Help:   "Requests left in the upstream's current rate-limit period, as last reported by the upstream.",
		Labels: []string{"collector"},
	})
	CollectorRateLimitReset = declare(Family{
		Name: "sre_collector_upstream_rate_limit_reset_timestamp_seconds", Type: Gauge, Exporter: true, Unit: "seconds",
		Help:   "When the upstream's current rate-limit period ends, as last reported by the upstream.",
		Labels: []string{"collector"},
	})
	ConfigLastReloadSuccessful = declare(Family{
		Name: "sre_config_last_reload_successful", Type: Gauge, Exporter: true,
		Help: "1 if the last configuration load or reload succeeded, 0 if it failed (the previous configuration keeps running).",
	})
	ConfigLastReloadSuccess = declare(Family{
		Name: "sre_config_last_reload_success_timestamp_seconds", Type: Gauge, Exporter: true, Unit: "seconds",
		Help: "When the configuration was last loaded successfully.",
	})
	// BuildInfo is emitted by client_golang's version collector under
	// Namespace; it is declared so docs and dashboards know it.
	BuildInfo = declare(Family{
		Name: Namespace + "_build_info", Type: Gauge, Exporter: true,
		Help:   "A metric with a constant '1' value labeled by version, revision, branch, goversion from which sre was built, and the goos and goarch for the build.",
		Labels: []string{"version", "revision", "branch", "goversion", "goos", "goarch", "tags"},
	})
)

// Namespace prefixes every family name.
const Namespace = "sre"

// The team and service catalog of the configuration.
var (
	TeamInfo = declare(Family{
		Name: "sre_team_info", Type: Gauge, Exporter: true,
		Help:   "A team of the catalog; 1 per team.",
		Labels: []string{"team"},
	})
	TeamMembers = declare(Family{
		Name: "sre_team_members", Type: Gauge, Exporter: true,
		Help:   "Headcount of the team, from the catalog.",
		Labels: []string{"team"},
	})
	ServiceInfo = declare(Family{
		Name: "sre_service_info", Type: Gauge, Exporter: true,
		Help:   "A service of the catalog and its owning team; 1 per service.",
		Labels: []string{"service", "team"},
	})
)
