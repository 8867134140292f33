package metrics

// Grafana (the grafana collector): the dashboards of a Grafana instance or
// of dashboard JSON files, checked against the format templates (the
// sre_format_* families with source="grafana"). Folder titles are label
// values: an instance has as many as its admins create, and the folders
// setting narrows them to a fixed list.
var (
	GrafanaDashboards = declare(Family{
		Name: "sre_grafana_dashboards", Type: Gauge,
		Help:   "Dashboards listed at the last sync, by folder title (General for the root; 0 for a folder without dashboards).",
		Labels: []string{"folder"},
	})
	GrafanaDashboardsUnreadable = declare(Family{
		Name: "sre_grafana_dashboards_unreadable", Type: Gauge,
		Help: "Dashboards listed at the last sync that could not be read or are not dashboard JSON, so were not checked; the landing page names them.",
	})
)
