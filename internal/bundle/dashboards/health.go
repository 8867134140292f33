package dashboards

import (
	"fmt"

	m "github.com/sre-value/sre-value-exporter/internal/metrics"
)

func exporterHealth(in Input) spec {
	c := collectorMatch
	staleness := fmt.Sprintf("time() - %s", sel(m.CollectorLastSuccess, c))
	return spec{
		uid: "sre-exporter-health", title: "SRE / Exporter health",
		description: "Whether the numbers on the other dashboards are current: collectors up, data age, refresh cost and upstream limits.",
		tags:        []string{"exporter", "health"},
		variables:   []string{collectorVariable},
		rows: []row{
			{title: "Collectors", panels: []panel{
				{kind: statPanel, title: "Collectors up", unit: unitCount, width: 6, height: 4,
					description: "Collectors whose last refresh succeeded.",
					queries:     []query{{expr: sumBy("", sel(m.CollectorUp, c))}}},
				{kind: statPanel, title: "Collectors failing", unit: unitCount, width: 6, height: 4,
					description: "Collectors whose last refresh failed; they keep serving their last good data.",
					queries:     []query{{expr: fmt.Sprintf("count(%s == 0) or vector(0)", sel(m.CollectorUp, c))}},
					thresholds:  []step{{value: 1, colour: "red"}}},
				{kind: statPanel, title: "Configuration reload", unit: unitCount, width: 6, height: 4,
					description: "1 when the last configuration load or reload succeeded; 0 means the previous configuration is still running.",
					queries:     []query{{expr: sel(m.ConfigLastReloadSuccessful)}},
					base:        "red", thresholds: []step{{value: 1, colour: "green"}}},
				{kind: statPanel, title: "Series exported", unit: unitCount, width: 6, height: 4,
					description: "Series all selected collectors export, as Prometheus counts them.",
					queries:     []query{{expr: sumBy("", sel(m.CollectorSeries, c))}}},
				{kind: barGaugePanel, title: "Data age in refresh intervals", unit: unitCount, width: 12, height: 8,
					description: "Time since each collector's last successful refresh, in refresh intervals; above 2 its data is stale.",
					queries:     []query{{expr: fmt.Sprintf("(%s) / %s", staleness, sel(m.CollectorRefreshInterval, c)), legend: "{{collector}}"}},
					thresholds:  []step{{value: 1.5, colour: "orange"}, {value: 2, colour: "red"}}},
				{kind: tablePanel, title: "Data age", unit: unitSeconds, width: 12, height: 8,
					description: "Time since each collector's last successful refresh.",
					queries:     []query{{expr: staleness}}},
				{kind: barGaugePanel, title: "Refresh duration", unit: unitSeconds, width: 12, height: 8,
					description: "How long each collector's last refresh took.",
					queries:     []query{{expr: sel(m.CollectorRefreshDuration, c), legend: "{{collector}}"}}},
				{kind: barGaugePanel, title: "Series per collector", unit: unitCount, width: 12, height: 8,
					description: "Series each collector exports: a sudden jump is a label gone unbounded.",
					queries:     []query{{expr: sel(m.CollectorSeries, c), legend: "{{collector}}"}}},
			}},
			{title: "Upstreams and errors", panels: []panel{
				{kind: timeseriesPanel, title: "Upstream requests by code", unit: unitReqPerS, width: 12, height: 8,
					description: "HTTP requests to upstream APIs per second by collector and status code.",
					queries:     []query{{expr: sumBy("collector, code", fmt.Sprintf("rate(%s[$__rate_interval])", sel(m.CollectorUpstreamRequests, c))), legend: "{{collector}} {{code}}"}},
					history:     "a rate needs two scrapes of a collector that calls an API"},
				{kind: timeseriesPanel, title: "Refresh errors by reason", unit: unitCount, width: 12, height: 8,
					description: "Failed refreshes per collector and reason (timeout, rate_limited, auth, ...).",
					queries:     []query{{expr: sumBy("collector, reason", fmt.Sprintf("increase(%s[$__rate_interval])", sel(m.CollectorErrors, c))), legend: "{{collector}} {{reason}}"}},
					history:     "an increase needs two scrapes after a refresh failed"},
				{kind: barGaugePanel, title: "Rate limit remaining", unit: unitCount, width: 12, height: 6,
					description: "Requests left in each upstream's rate-limit period, as last reported by the upstream.",
					queries:     []query{{expr: sel(m.CollectorRateLimitRemaining, c), legend: "{{collector}}"}}},
				{kind: tablePanel, title: "Rate limit resets in", unit: unitSeconds, width: 12, height: 6,
					description: "Time until each upstream's rate-limit period ends.",
					queries:     []query{{expr: fmt.Sprintf("%s - time()", sel(m.CollectorRateLimitReset, c))}}},
			}},
			{title: "What to do", panels: []panel{
				{kind: textPanel, title: "When a collector fails or goes stale", width: 24, height: 5,
					description: "Where to look first when this dashboard shows a problem.",
					content: "A failing collector keeps serving its last good data, so the other dashboards go stale rather than empty.\n\n" +
						"1. Open the exporter's landing page (`/`): it shows every collector's status and last error, with secrets redacted.\n" +
						"2. *Refresh errors by reason* says what kind of failure it is: `auth` (a token expired), `rate_limited` (raise the refresh interval), `timeout` or `network` (the upstream is slow or unreachable), `invalid_data` (a row or page the landing page names).\n" +
						"3. After fixing the configuration, reload it (`SIGHUP`, or `POST /-/reload` with `--web.enable-lifecycle`); *Configuration reload* turns red if the new file is refused."},
			}},
			sloRow(builtinSLO("the exporter itself (refresh-success)", "refresh-success")),
		},
	}
}
