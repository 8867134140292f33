package dashboards

import (
	"fmt"

	m "github.com/sre-value/sre-value-exporter/internal/metrics"
)

func format(in Input) spec {
	w, s := windowMatch, sourceMatch
	return spec{
		uid: "sre-format", title: "SRE / Format compliance",
		description: "Whether incidents, posts, wiki pages and dashboards follow the agreed templates, and which rules fail most.",
		tags:        []string{"format", "compliance"},
		variables:   []string{sourceVariable, windowVariable},
		rows: []row{
			{title: "Compliance", panels: []panel{
				withAtLeast(panel{kind: statPanel, title: "Pass rate ($window)", unit: unitRatio, width: 8, height: 5, min: &zero, max: &one,
					description: "Documents created in the window that pass every rule of their template, over those checked.",
					queries:     []query{{expr: ratio("", sel(m.FormatDocumentsPassingInWindow, s, w), sel(m.FormatDocumentsCheckedInWindow, s, w))}}},
					in.Targets.FormatCompliance),
				{kind: statPanel, title: "Documents checked ($window)", unit: unitCount, width: 8, height: 5,
					description: "Documents created in the window that a template applies to.",
					queries:     []query{{expr: sumBy("", sel(m.FormatDocumentsCheckedInWindow, s, w))}}},
				{kind: statPanel, title: "Failing now", unit: unitCount, width: 8, height: 5,
					description: "Documents checked at the last refresh that break a rule now; the exporter's landing page lists them with where to fix them.",
					queries:     []query{{expr: sumBy("", sel(m.FormatDocumentsFailing, s))}},
					thresholds:  []step{{value: 1, colour: "orange"}}},
				withAtLeast(panel{kind: barGaugePanel, title: "Pass rate per source ($window)", unit: unitRatio, width: 12, height: 8, min: &zero, max: &one,
					description: "Pass rate per source (incident trackers, Slack, wiki, Grafana).",
					queries:     []query{{expr: ratio("source", sel(m.FormatDocumentsPassingInWindow, s, w), sel(m.FormatDocumentsCheckedInWindow, s, w)), legend: "{{source}}"}}},
					in.Targets.FormatCompliance),
				withAtLeast(panel{kind: barGaugePanel, title: "Pass rate per template ($window)", unit: unitRatio, width: 12, height: 8, min: &zero, max: &one,
					description: "Pass rate per source and template: the templates people struggle with.",
					queries:     []query{{expr: ratio("source, template", sel(m.FormatDocumentsPassingInWindow, s, w), sel(m.FormatDocumentsCheckedInWindow, s, w)), legend: "{{source}} / {{template}}"}}},
					in.Targets.FormatCompliance),
			}},
			{title: "Rules", panels: []panel{
				{kind: tablePanel, title: "Rules that fail most ($window)", unit: unitCount, width: 24, height: 10,
					description: "The ten rules broken by the most documents created in the window: what to explain or automate first.",
					queries:     []query{{expr: fmt.Sprintf("topk(10, %s)", sumBy("source, template, rule", sel(m.FormatRuleFailuresInWindow, s, w)))}}},
			}},
			sloRow(sreOwnSLOs()),
		},
	}
}
