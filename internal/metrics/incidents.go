package metrics

// Bucket bounds for incidents: minutes to weeks.
var (
	resolveBuckets     = []float64{300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 172800, 345600, 604800, 1209600, 2419200}
	acknowledgeBuckets = []float64{60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400}
)

var (
	incidentLabels       = []string{"source", "severity", "service", "team"}
	incidentWindowLabels = []string{"source", "severity", "service", "team", WindowLabel}
)

// Incidents, the same for every incident source (label source).
var (
	IncidentsOpen = declare(Family{
		Name: "sre_incidents_open", Type: Gauge, Historical: true,
		Help:   "Incidents open now, by severity, service and team.",
		Labels: incidentLabels,
	})
	IncidentLastOpened = declare(Family{
		Name: "sre_incident_last_opened_timestamp_seconds", Type: Gauge, Historical: true, Unit: "seconds",
		Help:   "When the latest incident of the service was opened (for time since last incident and MTBF).",
		Labels: []string{"source", "service", "team"},
	})
	PostmortemActionItems = declare(Family{
		Name: "sre_postmortem_action_items", Type: Gauge,
		Help:   "Postmortem action items by state (open, done).",
		Labels: []string{"source", "severity", "service", "team", "state"},
	})
	PostmortemActionItemsOverdue = declare(Family{
		Name: "sre_postmortem_action_items_overdue", Type: Gauge,
		Help:   "Open postmortem action items past their due date.",
		Labels: incidentLabels,
	})

	IncidentsOpenedInWindow = declare(Family{
		Name: "sre_incidents_opened_in_window", Type: Gauge, Historical: true,
		Help:   "Incidents opened in the window, by current severity, service and team (exact, from the store).",
		Labels: incidentWindowLabels,
	})
	IncidentsResolvedInWindow = declare(Family{
		Name: "sre_incidents_resolved_in_window", Type: Gauge, Historical: true,
		Help:   "Incidents resolved in the window, by current severity, service and team (exact, from the store).",
		Labels: incidentWindowLabels,
	})
	IncidentsResolvedWithPostmortemInWindow = declare(Family{
		Name: "sre_incidents_resolved_with_postmortem_in_window", Type: Gauge, Historical: true,
		Help:   "Incidents resolved in the window that have a postmortem.",
		Labels: incidentWindowLabels,
	})
	IncidentTimeToResolveInWindow = declare(Family{
		Name: "sre_incident_time_to_resolve_in_window_seconds", Type: Histogram, Historical: true, Unit: "seconds",
		Help:    "Time from opened to resolved of the incidents resolved in the window.",
		Labels:  incidentWindowLabels,
		Buckets: resolveBuckets,
	})
	IncidentTimeToAcknowledgeInWindow = declare(Family{
		Name: "sre_incident_time_to_acknowledge_in_window_seconds", Type: Histogram, Historical: true, Unit: "seconds",
		Help:    "Time from opened to acknowledged of the incidents acknowledged in the window.",
		Labels:  incidentWindowLabels,
		Buckets: acknowledgeBuckets,
	})

	IncidentsOpened = declare(Family{
		Name: "sre_incidents_opened_total", Type: Counter, Historical: true,
		Help:   "Incidents opened, counted once when first seen, under the labels they had then.",
		Labels: incidentLabels,
	})
	IncidentsResolved = declare(Family{
		Name: "sre_incidents_resolved_total", Type: Counter, Historical: true,
		Help:   "Incidents resolved, counted once when first seen resolved.",
		Labels: incidentLabels,
	})
	IncidentTimeToResolve = declare(Family{
		Name: "sre_incident_time_to_resolve_seconds", Type: Histogram, Historical: true, Unit: "seconds",
		Help:    "Time from opened to resolved, observed once per incident when first seen resolved.",
		Labels:  incidentLabels,
		Buckets: resolveBuckets,
	})
	IncidentTimeToAcknowledge = declare(Family{
		Name: "sre_incident_time_to_acknowledge_seconds", Type: Histogram, Historical: true, Unit: "seconds",
		Help:    "Time from opened to acknowledged, observed once per incident when first seen acknowledged.",
		Labels:  incidentLabels,
		Buckets: acknowledgeBuckets,
	})
)

// Source-specific health of incident collectors.
var (
	JiraLastFullResync = declare(Family{
		Name: "sre_jira_last_full_resync_timestamp_seconds", Type: Gauge, Unit: "seconds",
		Help: "When the last full reconciliation of the JQL's issues (which removes deleted and no longer matching issues) finished.",
	})
	IncidentSheetInvalidRows = declare(Family{
		Name: "sre_incidentsheet_invalid_rows", Type: Gauge,
		Help: "Rows of the incident sheet skipped at its last read (bad or missing cells, duplicate ids); the landing page lists them.",
	})
	IncidentSheetLastModified = declare(Family{
		Name: "sre_incidentsheet_last_modified_timestamp_seconds", Type: Gauge, Unit: "seconds",
		Help: "When the incident sheet last changed (file modification time or Last-Modified), to spot a sheet nobody updates.",
	})
)
