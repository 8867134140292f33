package provisioning

import (
	"fmt"
	"log/slog"
	"path"
	"strings"

	promconfig "github.com/prometheus/prometheus/config"
)

// ScrapeInterval is how often Prometheus scrapes the exporter. Its figures
// change when a collector refreshes (minutes apart), so a minute loses
// nothing and keeps 200 days of history small.
const ScrapeInterval = "1m"

// Retention is the TSDB retention the 6-month dashboard views need: 183
// days and a margin. It is a server flag, not part of prometheus.yml.
const Retention = "200d"

// prometheus is a configuration that scrapes the exporter, loads the rule
// file by its path relative to this file (Prometheus resolves rule_files
// against the configuration's folder) and sends alerts to Alertmanager. It
// is validated as Prometheus would load it.
func prometheus(in Input) ([]byte, error) {
	up := strings.Repeat("../", strings.Count(path.Dir(PrometheusFile), "/")+1)
	data := fmt.Appendf(nil, `%s# Prometheus configuration for the SRE value bundle, e.g. from the bundle's root:
#   prometheus --config.file=%s --storage.tsdb.retention.time=%s
# The 6-month dashboard views need %s of history (retention is a flag).
# rule_files is relative to this file: keep it in the bundle, or edit the path.
# EDIT the targets below to where the exporter and Alertmanager answer.
global:
  scrape_interval: %s
  evaluation_interval: %s
rule_files:
%salerting:
  alertmanagers:
    - static_configs:
        - targets: ['alertmanager:9093']
scrape_configs:
  - job_name: %s
    static_configs:
      - targets: ['%s:%d']
`, header(in.GeneratedBy), PrometheusFile, Retention, Retention, ScrapeInterval, ScrapeInterval,
		ruleFiles(up, in.RulesFiles), Name, Name, Port)
	if _, err := promconfig.Load(string(data), slog.New(slog.DiscardHandler)); err != nil {
		return nil, wrap(PrometheusFile, err)
	}
	return data, nil
}

// ruleFiles lists the rule files for rule_files, relative to the config.
func ruleFiles(up string, paths []string) string {
	var b strings.Builder
	for _, p := range paths {
		b.WriteString("  - " + up + p + "\n")
	}
	return b.String()
}
