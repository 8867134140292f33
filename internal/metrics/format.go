package metrics

// Format compliance: documents (incidents, Slack posts, wiki pages,
// dashboards) checked against the configured templates during their
// collector's refresh. Template and rule names come from the configuration,
// so the labels stay bounded; titles, keys and people never are labels.
var (
	formatLabels       = []string{"source", "template"}
	formatWindowLabels = []string{"source", "template", WindowLabel}
)

// The figures of every checked source.
var (
	FormatDocumentsCheckedInWindow = declare(Family{
		Name: "sre_format_documents_checked_in_window", Type: Gauge,
		Help:   "Documents created in the window that a format template applies to, by source and template; divide sre_format_documents_passing_in_window by it for the compliance rate.",
		Labels: formatWindowLabels,
	})
	FormatDocumentsPassingInWindow = declare(Family{
		Name: "sre_format_documents_passing_in_window", Type: Gauge,
		Help:   "Documents created in the window that pass every rule of the template, as checked now.",
		Labels: formatWindowLabels,
	})
	FormatRuleFailuresInWindow = declare(Family{
		Name: "sre_format_rule_failures_in_window", Type: Gauge,
		Help:   "Documents created in the window that break the rule, by source, template and rule; the rules that fail most.",
		Labels: []string{"source", "template", "rule", WindowLabel},
	})
	FormatDocumentsFailing = declare(Family{
		Name: "sre_format_documents_failing", Type: Gauge,
		Help:   "Documents checked at the last refresh that break at least one rule of the template now; the landing page lists them with where to fix them.",
		Labels: formatLabels,
	})
)
