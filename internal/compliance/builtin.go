package compliance

func intp(n int) *int { return &n }

// Datasource references that follow a dashboard's datasource variable:
// ${datasource}, $ds, ${ds:raw}, and Grafana's own mixed/dashboard sources.
const datasourceVariable = `^(\$\{?[A-Za-z_]\w*(:\w+)?\}?|-- (Mixed|Dashboard|Grafana) --|grafana)$`

// Builtins returns the built-in templates, usable by name and overridable
// from the configuration. Each call returns fresh values.
func Builtins() []TemplateSpec {
	return []TemplateSpec{
		{
			Name:        "sre-update-post",
			Description: "A post in #sre-updates: a [WIN], [WEEKLY] or [NOTABLE] tag and headline on the first line; wins link their evidence, weekly summaries have Wins and Upcoming.",
			AppliesTo:   &AppliesTo{Slack: &SlackScope{Channels: []string{"sre-updates"}}, Files: []string{"sre-updates/*.md"}},
			Rules: []RuleSpec{
				{ID: "tag", Kind: TitlePattern, Target: "first_line", Pattern: `^\[(WIN|WEEKLY|NOTABLE)\]\s+\S`, Fix: "start the post with [WIN], [WEEKLY] or [NOTABLE] followed by a one-line headline"},
				{ID: "length", Kind: MinLength, Words: 12},
				{ID: "win-evidence", Kind: RequiredLinks, When: map[string][]string{"tag": {"WIN"}}, Fix: "link the evidence of the win: the ticket, pull request or dashboard"},
				{ID: "weekly-sections", Kind: RequiredSections, When: map[string][]string{"tag": {"WEEKLY"}}, Sections: []string{"Wins", "Upcoming|Next week"}},
			},
		},
		{
			Name:        "newsletter",
			Description: "The SRE newsletter: Wins, Metrics, Tips and Upcoming, in that order, none empty.",
			AppliesTo:   &AppliesTo{Confluence: &ConfluenceScope{Labels: []string{"newsletter"}}, Files: []string{"newsletter/*.md", "newsletters/*.md"}},
			Rules: []RuleSpec{
				{ID: "sections", Kind: RequiredSections, Sections: []string{"Wins", "Metrics", "Tips", "Upcoming"}},
				{ID: "order", Kind: SectionOrder, Sections: []string{"Wins", "Metrics", "Tips", "Upcoming"}},
				{ID: "non-empty", Kind: NonEmptySections, Sections: []string{"Wins", "Metrics", "Tips", "Upcoming"}, Words: 5},
			},
		},
		{
			Name:        "postmortem",
			Description: "A blameless postmortem: summary, impact, root cause, timeline and action items, in that order, none empty.",
			AppliesTo:   &AppliesTo{Confluence: &ConfluenceScope{Labels: []string{"postmortem"}}, Files: []string{"postmortems/*.md"}},
			Rules: []RuleSpec{
				{ID: "sections", Kind: RequiredSections, Sections: postmortemSections},
				{ID: "order", Kind: SectionOrder, Sections: postmortemSections},
				{ID: "non-empty", Kind: NonEmptySections, Sections: postmortemSections, Words: 3},
				{ID: "length", Kind: MinLength, Words: 100},
			},
		},
		{
			Name:        "playbook-page",
			Description: "A playbook page: overview, when to use it, steps and escalation, with links, reviewed at least every 180 days.",
			AppliesTo:   &AppliesTo{Confluence: &ConfluenceScope{Labels: []string{"playbook"}}, Files: []string{"playbook/**/*.md", "playbooks/**/*.md"}},
			Rules: []RuleSpec{
				{ID: "sections", Kind: RequiredSections, Sections: []string{"Overview|Purpose", "When to use|Symptoms|Triggers", "Steps|Procedure", "Escalation|Escalate"}},
				{ID: "steps", Kind: NonEmptySections, Sections: []string{"Steps|Procedure"}, Words: 10},
				{ID: "links", Kind: RequiredLinks, Fix: "link the dashboards, runbooks or tools the steps use"},
				{ID: "fresh", Kind: MaxAge, MaxAge: "180d"},
			},
		},
		{
			Name:        "how-to-engage",
			Description: "The page that tells other teams how to work with SRE: what we do, how to engage, response times, with a link to the channel or queue, reviewed yearly.",
			AppliesTo:   &AppliesTo{Confluence: &ConfluenceScope{Labels: []string{"how-to-engage"}}, Files: []string{"how-to-engage.md"}},
			Rules: []RuleSpec{
				{ID: "sections", Kind: RequiredSections, Sections: []string{"What we do|Services", "How to engage|How to reach us|Contact", "Response times|Expectations|SLAs"}},
				{ID: "contact-link", Kind: RequiredLinks, Links: []string{`slack|jira|servicedesk|mailto:|/issues`}, Fix: "link the Slack channel, ticket queue or mailbox people should use"},
				{ID: "fresh", Kind: MaxAge, MaxAge: "1y"},
			},
		},
		{
			Name:        "slo-document",
			Description: "An SLO document as in the Google SRE workbook: service overview, SLIs and SLOs, rationale, error budget, clarifications and caveats; reviewed yearly.",
			AppliesTo:   &AppliesTo{Confluence: &ConfluenceScope{Labels: []string{"slo"}}, Files: []string{"slo/*.md", "slos/*.md"}},
			Rules: []RuleSpec{
				{ID: "sections", Kind: RequiredSections, Sections: sloSections},
				{ID: "order", Kind: SectionOrder, Sections: sloSections},
				{ID: "non-empty", Kind: NonEmptySections, Sections: sloSections, Words: 5},
				{ID: "fresh", Kind: MaxAge, MaxAge: "1y"},
			},
		},
		{
			Name:        "incident",
			Description: "An incident ticket (Jira, GitHub, PagerDuty): a severity, a component, exactly one team, and a postmortem link on every sev1/sev2 within 5 days of resolution.",
			AppliesTo:   &AppliesTo{Incidents: &IncidentScope{}},
			Rules: []RuleSpec{
				{ID: "severity", Kind: RequiredFields, Fields: []string{"severity"}},
				{ID: "component", Kind: RequiredFields, Fields: []string{"component"}},
				{ID: "one-team", Kind: RequiredFields, Fields: []string{"team"}, Min: intp(1), Max: intp(1)},
				{ID: "postmortem", Kind: RequiredFields, Fields: []string{"postmortem"}, When: map[string][]string{"severity": {"sev1", "sev2"}}, DueAfterResolution: "5d", Fix: "write the postmortem and link it from the incident"},
			},
		},
		{
			Name:        "team-dashboard",
			Description: "A team's Grafana dashboard: uid, \"Team / Topic\" title, team tag, datasource variable, units and descriptions on panels, an SLO row, runbook links, no legacy panels.",
			AppliesTo:   &AppliesTo{Grafana: &GrafanaScope{}, Files: []string{"dashboards/**/*.json"}},
			Rules: []RuleSpec{
				{ID: "uid", Kind: RequiredFields, Fields: []string{"uid"}, Fix: "set a stable uid, so links to the dashboard survive re-imports"},
				{ID: "title", Kind: TitlePattern, Pattern: `^[A-Z][A-Za-z0-9 &-]* / \S.*$`, Fix: `name it "<Team> / <what it shows>", e.g. "Payments / Service health"`},
				{ID: "team-tag", Kind: RequiredLabels, Labels: []string{`team[:=-].+`}, Fix: "add a tag team:<team name>"},
				{ID: "datasource-variable", Kind: RequiredFields, Fields: []string{"datasource_variables"}, Fix: "add a template variable of type Datasource (e.g. datasource) so the dashboard works on every Prometheus"},
				{ID: "panel-datasource", Kind: FieldValues, Each: "panel", Field: "datasource", Pattern: datasourceVariable, Fix: "select the dashboard's datasource variable (${datasource}) instead of a fixed datasource"},
				{ID: "panel-unit", Kind: RequiredFields, Each: "panel", Skip: map[string][]string{"type": {"row", "text", "dashlist", "news", "alertlist", "logs"}}, Fields: []string{"unit"}, Fix: "set Standard options > Unit on the panel"},
				{ID: "panel-description", Kind: RequiredFields, Each: "panel", Skip: map[string][]string{"type": {"row", "text"}}, Fields: []string{"description"}, Fix: "describe what the panel shows and what good looks like"},
				{ID: "slo-row", Kind: RequiredSections, Sections: []string{"SLO|SLOs|Service level objectives"}},
				{ID: "runbook-links", Kind: RequiredLinks, Links: []string{"runbook"}, Fix: "add a dashboard link (or panel link) to the team's runbooks"},
				{ID: "legacy-panels", Kind: FieldValues, Each: "panel", Field: "type", Forbidden: []string{"graph", "singlestat", "table-old", "grafana-piechart-panel", "grafana-worldmap-panel"}, Fix: "migrate the panel (graph -> Time series, singlestat -> Stat, table-old -> Table)"},
				{ID: "legacy-rows", Kind: RequiredFields, Fields: []string{"legacy_rows"}, Min: intp(0), Max: intp(0), Fix: "open and save the dashboard in a current Grafana, which turns legacy rows into row panels"},
			},
		},
		{
			Name:        "prometheus-rules",
			Description: "A Prometheus rule file linted like the best mixins: CamelCase alert names, severity critical/warning/info, summary, description and runbook_url annotations, level:metric:operations recording rule names.",
			AppliesTo:   &AppliesTo{Files: []string{"*.rules.yml", "*.rules.yaml", "alerts/**/*.yml", "alerts/**/*.yaml", "rules/**/*.yml", "rules/**/*.yaml"}},
			Rules: []RuleSpec{
				{ID: "alert-name", Kind: FieldValues, Each: "alert", Field: "alert", Pattern: `^[A-Z][A-Za-z0-9]*$`, Fix: "name the alert in CamelCase, e.g. KubePodCrashLooping"},
				{ID: "severity", Kind: RequiredFields, Each: "alert", Fields: []string{"labels.severity"}, Fix: "add labels: {severity: critical|warning|info}"},
				{ID: "severity-value", Kind: FieldValues, Each: "alert", Field: "labels.severity", Allowed: []string{"critical", "warning", "info"}},
				{ID: "annotations", Kind: RequiredFields, Each: "alert", Fields: []string{"annotations.summary", "annotations.description"}, Fix: "add a one-line summary and a description that says what is wrong and its impact"},
				{ID: "runbook", Kind: RequiredFields, Each: "alert", Fields: []string{"annotations.runbook_url"}, Fix: "add annotations.runbook_url pointing at the alert's runbook"},
				{ID: "runbook-url", Kind: FieldValues, Each: "alert", Field: "annotations.runbook_url", Pattern: `^(https?://\S+|\{\{.*\}\}\S*)$`},
				{ID: "record-name", Kind: FieldValues, Each: "record", Field: "record", Pattern: `^[a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z0-9_:]+$`, Fix: "name recording rules level:metric:operations"},
			},
		},
	}
}

var (
	postmortemSections = []string{"Summary", "Impact", "Root cause|Root causes|Causes", "Timeline", "Action items|Follow-ups|Follow ups"}
	sloSections        = []string{"Service overview|Overview", "SLIs and SLOs|SLIs|SLOs|SLOs and SLIs", "Rationale", "Error budget|Error budget policy", "Clarifications and caveats|Clarifications|Caveats"}
)
