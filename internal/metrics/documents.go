package metrics

// Documents (the documents collector): local files such as postmortems,
// playbook pages and newsletters kept in a repository, checked against the
// format templates (the sre_format_* families with source="documents").
var (
	DocumentsFiles = declare(Family{
		Name: "sre_documents_files", Type: Gauge,
		Help:   "Files the collector's globs selected at the last sync, by state: checked against a template, unreadable (does not parse as its format) or no_template (no template applies to it); the landing page names the last two.",
		Labels: []string{"state"},
	})
)
