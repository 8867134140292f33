package provisioning

import "fmt"

// GrafanaDashboardsPath is where the provider expects the bundle's
// dashboards/ folder to be mounted or copied.
const GrafanaDashboardsPath = "/var/lib/grafana/dashboards/sre-value"

// grafanaDatasource is a Prometheus datasource with the fixed uid the
// documentation names. Not the default datasource: that would clash with
// one an existing Grafana already has.
func grafanaDatasource(generatedBy string) []byte {
	return fmt.Appendf(nil, `%s# Grafana datasource provisioning: copy into /etc/grafana/provisioning/datasources/.
# EDIT url to where your Prometheus answers; keep the uid, the dashboards'
# datasource variable lists every Prometheus datasource, this one included.
apiVersion: 1
datasources:
  - name: SRE value Prometheus
    uid: %s
    type: prometheus
    access: proxy
    url: http://prometheus:9090
    isDefault: false
    editable: false
    jsonData:
      timeInterval: %s
`, header(generatedBy), DatasourceUID, ScrapeInterval)
}

// grafanaDashboards is a file provider over the mounted dashboards/ folder.
func grafanaDashboards(generatedBy string) []byte {
	return fmt.Appendf(nil, `%s# Grafana dashboard provisioning: copy into /etc/grafana/provisioning/dashboards/
# and mount (or copy) the bundle's dashboards/ folder at the path below.
apiVersion: 1
providers:
  - name: sre-value
    orgId: 1
    folder: %s
    type: file
    disableDeletion: true
    allowUiUpdates: false
    updateIntervalSeconds: 60
    options:
      path: %s
      foldersFromFilesStructure: false
`, header(generatedBy), GrafanaFolder, GrafanaDashboardsPath)
}
