// Package all imports every collector kind so that each registers itself.
package all

import (
	_ "github.com/sre-value/sre-value-exporter/collectors/confluence"
	_ "github.com/sre-value/sre-value-exporter/collectors/documents"
	_ "github.com/sre-value/sre-value-exporter/collectors/github"
	_ "github.com/sre-value/sre-value-exporter/collectors/grafana"
	_ "github.com/sre-value/sre-value-exporter/collectors/incidentsheet"
	_ "github.com/sre-value/sre-value-exporter/collectors/jira"
	_ "github.com/sre-value/sre-value-exporter/collectors/pagerduty"
	_ "github.com/sre-value/sre-value-exporter/collectors/records"
	_ "github.com/sre-value/sre-value-exporter/collectors/slack"
)
