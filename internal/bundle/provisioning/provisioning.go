// Package provisioning writes the files that deploy the bundle: Grafana's
// datasource and dashboard provider, a Prometheus configuration that
// scrapes the exporter and loads the rules, an Alertmanager route by
// severity, and the Kubernetes objects (PrometheusRule, ServiceMonitor,
// dashboard ConfigMaps, the exporter's Deployment and Service). The same
// input always gives the same bytes.
package provisioning

import (
	"errors"
	"fmt"
	"slices"

	"github.com/prometheus/prometheus/model/rulefmt"
)

// Dir is the folder of the provisioning files in the bundle.
const Dir = "provisioning"

// Paths of the generated files, relative to the bundle's root.
const (
	GrafanaDatasourceFile = Dir + "/grafana/datasources/sre-value.yml"
	GrafanaDashboardsFile = Dir + "/grafana/dashboards/sre-value.yml"
	PrometheusFile        = Dir + "/prometheus/prometheus.yml"
	AlertmanagerFile      = Dir + "/alertmanager/alertmanager.yml"
	PrometheusRuleFile    = Dir + "/kubernetes/prometheusrule.yaml"
	ServiceMonitorFile    = Dir + "/kubernetes/servicemonitor.yaml"
	DashboardsConfigMap   = Dir + "/kubernetes/dashboards-configmap.yaml"
	DeploymentFile        = Dir + "/kubernetes/deployment.yaml"
	ServiceFile           = Dir + "/kubernetes/service.yaml"
	// ReportCronJobFile runs the monthly report (docs/reports.md).
	ReportCronJobFile = Dir + "/kubernetes/report-cronjob.yaml"
)

// Names shared by the files, so that they point at each other.
const (
	// DatasourceUID is the uid of the Prometheus datasource in Grafana.
	DatasourceUID = "sre-prometheus"
	// GrafanaFolder is the Grafana folder the dashboards land in.
	GrafanaFolder = "SRE value"
	// Name names the exporter's Kubernetes objects and Prometheus job.
	Name = "sre-value-exporter"
	// Port is the exporter's default listen port.
	Port = 9877
)

// Input is what the provisioning files are built from.
type Input struct {
	// Groups are the rule groups of every file of RulesFiles, in order.
	Groups rulefmt.RuleGroups
	// RulesFiles are the rule files' paths relative to the bundle's root.
	RulesFiles []string
	// Dashboards are the dashboards' JSON by file name (uid + ".json").
	Dashboards map[string][]byte
	// GeneratedBy is the "do not edit" line every file starts with.
	GeneratedBy string
}

// Generate returns the provisioning files by path relative to the bundle's
// root.
func Generate(in Input) (map[string][]byte, error) {
	if len(in.RulesFiles) == 0 || len(in.Groups.Groups) == 0 {
		return nil, errors.New("provisioning: no rule groups")
	}
	if len(in.Dashboards) == 0 {
		return nil, errors.New("provisioning: no dashboards")
	}
	files := map[string][]byte{
		GrafanaDatasourceFile: grafanaDatasource(in.GeneratedBy),
		GrafanaDashboardsFile: grafanaDashboards(in.GeneratedBy),
		AlertmanagerFile:      alertmanager(in.GeneratedBy),
	}
	prom, err := prometheus(in)
	if err != nil {
		return nil, err
	}
	files[PrometheusFile] = prom
	kube, err := kubernetes(in)
	if err != nil {
		return nil, err
	}
	for p, data := range kube {
		files[p] = data
	}
	return files, nil
}

// header is the generated-by comment line every file starts with.
func header(generatedBy string) string { return "# " + generatedBy + "\n" }

// sortedKeys returns m's keys in order, so output never depends on map
// order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// wrap names the file an error is about.
func wrap(path string, err error) error { return fmt.Errorf("provisioning: %s: %w", path, err) }
