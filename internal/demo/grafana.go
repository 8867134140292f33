package demo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// DashboardsDir holds the demo's Grafana dashboards, as exports of the
// dashboard-by-uid API (so each carries its folder and creation time), which
// the grafana collector reads with files: and checks against the built-in
// team-dashboard template.
const DashboardsDir = "dashboards"

// grafanaCollectorYAML is the demo configuration's grafana collector.
const grafanaCollectorYAML = `  - kind: grafana
    name: demo-dashboards
    files: dashboards/*.json
`

// demoDashboard is one generated dashboard: compliant or breaking chosen
// team-dashboard rules, so the demo shows passing and failing dashboards.
type demoDashboard struct {
	file, uid, title, folder string
	tags                     []string
	ageDays                  int
	// what it gets right; each false breaks the rule of the same name
	datasourceVariable, units, descriptions, sloRow, runbookLinks, modernPanels bool
}

var demoDashboards = []demoDashboard{
	{file: "payments-service-health.json", uid: "payments-health", title: "Payments / Service health", folder: "Payments",
		tags: []string{"team:payments", "slo"}, ageDays: 12,
		datasourceVariable: true, units: true, descriptions: true, sloRow: true, runbookLinks: true, modernPanels: true},
	{file: "checkout-overview.json", uid: "checkout-overview", title: "Checkout / Overview", folder: "Checkout",
		tags: []string{"team:checkout"}, ageDays: 45,
		datasourceVariable: true, units: true, descriptions: false, sloRow: true, runbookLinks: false, modernPanels: true},
	{file: "platform-node-stats.json", uid: "node-stats", title: "node stats (old)", folder: "Platform",
		tags: []string{"nodes"}, ageDays: 75,
		datasourceVariable: false, units: false, descriptions: false, sloRow: false, runbookLinks: false, modernPanels: false},
}

// dashboardFiles renders the demo dashboards, keyed by their path under
// the output folder.
func dashboardFiles(c clock) (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, d := range demoDashboards {
		created := c.lastDay.AddDate(0, 0, -d.ageDays).Add(10 * time.Hour)
		export := map[string]any{
			"meta": map[string]any{
				"folderTitle": d.folder,
				"created":     created.Format(time.RFC3339),
				"updated":     created.AddDate(0, 0, d.ageDays/3).Format(time.RFC3339),
				"version":     1 + d.ageDays/10,
			},
			"dashboard": d.model(),
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(export); err != nil {
			return nil, fmt.Errorf("%s: %w", d.file, err)
		}
		out[DashboardsDir+"/"+d.file] = buf.Bytes()
	}
	return out, nil
}

// model is the dashboard JSON.
func (d demoDashboard) model() map[string]any {
	ds := any(map[string]any{"type": "prometheus", "uid": "${datasource}"})
	if !d.datasourceVariable {
		ds = "Prometheus"
	}
	team := strings.ToLower(strings.SplitN(d.title, " ", 2)[0])
	var panels []any
	id := 0
	panel := func(typ, title, unit, desc, expr string) {
		id++
		p := map[string]any{
			"id": id, "type": typ, "title": title, "datasource": ds,
			"gridPos": map[string]any{"h": 8, "w": 12, "x": (id % 2) * 12, "y": id * 8},
			"targets": []any{map[string]any{"refId": "A", "expr": expr}},
		}
		if d.units {
			p["fieldConfig"] = map[string]any{"defaults": map[string]any{"unit": unit}}
		}
		if d.descriptions {
			p["description"] = desc
		}
		panels = append(panels, p)
	}
	typ, stat := "timeseries", "stat"
	if !d.modernPanels {
		typ, stat = "graph", "singlestat"
	}
	if d.sloRow {
		id++
		panels = append(panels, map[string]any{"id": id, "type": "row", "title": "SLOs", "gridPos": map[string]any{"h": 1, "w": 24, "x": 0, "y": 0}})
		panel(stat, "Availability (30d)", "percentunit", "Share of successful requests over 30 days; the SLO is 99.9%.",
			`sum(rate(http_requests_total{team="`+team+`",code!~"5.."}[30d])) / sum(rate(http_requests_total{team="`+team+`"}[30d]))`)
	}
	panel(typ, "Request rate", "reqps", "Requests per second by service; a drop means traffic is not arriving.",
		`sum by (service) (rate(http_requests_total{team="`+team+`"}[5m]))`)
	panel(typ, "Latency p99", "s", "99th percentile latency; good is under 300ms.",
		`histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{team="`+team+`"}[5m])))`)
	m := map[string]any{
		"uid": d.uid, "title": d.title, "tags": d.tags, "schemaVersion": 39, "editable": true,
		"time":   map[string]any{"from": "now-24h", "to": "now"},
		"panels": panels,
	}
	if d.datasourceVariable {
		m["templating"] = map[string]any{"list": []any{map[string]any{"type": "datasource", "name": "datasource", "query": "prometheus"}}}
	}
	if d.runbookLinks {
		m["links"] = []any{map[string]any{"title": "Runbooks", "type": "link", "url": "https://wiki.example.com/display/" + strings.ToUpper(team) + "/runbooks"}}
	}
	return m
}

// writeFolder writes the sub folder's files afresh, so files the demo no
// longer makes do not linger.
func writeFolder(dir, sub string, files map[string][]byte) error {
	root := filepath.Join(dir, sub)
	if err := os.RemoveAll(root); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	var names []string
	for name := range files {
		if strings.HasPrefix(name, sub+"/") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		if err := os.WriteFile(p, files[name], 0o644); err != nil {
			return fmt.Errorf("demo: write %s: %w", name, err)
		}
	}
	return nil
}
