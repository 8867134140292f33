package demo

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// PostmortemsDir holds the demo's postmortems as Markdown files, the way
// many teams keep them in a repository; the documents collector checks
// them against the built-in postmortem template (and the handbook's pages
// against theirs).
const PostmortemsDir = "postmortems"

// documentsCollectorYAML is the demo configuration's documents collector.
const documentsCollectorYAML = `  - kind: documents
    name: demo-docs
    files: ["postmortems/*.md", "handbook/**/*.md"]
`

// postmortemFlaw is what a non-compliant demo postmortem gets wrong; each
// breaks one rule of the built-in postmortem template.
type postmortemFlaw int

const (
	compliant    postmortemFlaw = iota
	noRootCause                 // sections
	actionsFirst                // order
	emptyImpact                 // non-empty
	tooShort                    // length (and non-empty)
	postmortemFlaws
)

// postmortemFiles writes a postmortem for each sev1/sev2 incident of the
// incidents table that links one, dated a few days after its resolution.
// About a quarter break a rule, as real postmortems written in a hurry do.
func postmortemFiles(incidents table) (map[string][]byte, error) {
	col := map[string]int{}
	for i, h := range incidents.header {
		col[h] = i
	}
	r := newRand("postmortems")
	out := map[string][]byte{}
	for _, row := range incidents.rows {
		sev := row[col["severity"]]
		if row[col["postmortem"]] == "" || (sev != "sev1" && sev != "sev2") {
			continue
		}
		opened, err := time.Parse(time.RFC3339, row[col["opened"]])
		if err != nil {
			return nil, fmt.Errorf("incident %s: %w", row[col["id"]], err)
		}
		resolved, err := time.Parse(time.RFC3339, row[col["resolved"]])
		if err != nil {
			return nil, fmt.Errorf("incident %s: %w", row[col["id"]], err)
		}
		flaw := compliant
		if chance(r, 0.3) {
			flaw = postmortemFlaw(1 + r.IntN(int(postmortemFlaws)-1))
		}
		pm := postmortem{
			id: row[col["id"]], title: row[col["title"]], severity: sev,
			service: row[col["service"]], team: row[col["team"]],
			opened: opened, resolved: resolved,
			written: resolved.AddDate(0, 0, 1+r.IntN(4)), flaw: flaw,
		}
		out[PostmortemsDir+"/"+pm.id+".md"] = pm.markdown(r)
	}
	return out, nil
}

type postmortem struct {
	id, title, severity, service, team string
	opened, resolved, written          time.Time
	flaw                               postmortemFlaw
}

func (p postmortem) markdown(r *rand.Rand) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "---\ntitle: %q\ncreated: %s\nincident: %s\nseverity: %s\nservice: %q\nteam: %q\ntags: [postmortem]\n---\n",
		"Postmortem: "+p.title, date(p.written), p.id, p.severity, p.service, p.team)
	fmt.Fprintf(&b, "# Postmortem %s: %s\n\n", p.id, p.title)
	duration := p.resolved.Sub(p.opened).Round(time.Minute)
	section := func(title, body string) { fmt.Fprintf(&b, "## %s\n\n%s\n\n", title, body) }
	summary := fmt.Sprintf("On %s the %s service was degraded for %s (%s). The on-call engineer was paged, "+
		"mitigated the problem and confirmed recovery with the service's error-rate and latency dashboards.",
		p.opened.Format("2 January 2006"), p.service, strings.TrimSuffix(duration.String(), "0s"), p.severity)
	if p.flaw == tooShort {
		section("Summary", fmt.Sprintf("%s was down.", p.service))
		section("Impact", "Some users.")
		section("Root cause", "Unknown yet.")
		section("Timeline", "See the incident channel.")
		section("Action items", "To be decided.")
		return b.Bytes()
	}
	section("Summary", summary)
	impact := fmt.Sprintf("About %d%% of requests to %s failed or timed out between %s and %s UTC; "+
		"dependent services retried and recovered without data loss, and support received %d tickets.",
		3+r.IntN(25), p.service, p.opened.Format("15:04"), p.resolved.Format("15:04"), r.IntN(40))
	if p.flaw == emptyImpact {
		impact = "TBD"
	}
	section("Impact", impact)
	if p.flaw != noRootCause {
		section("Root cause", fmt.Sprintf("The trigger: %s. A missing safeguard let the change reach every "+
			"instance at once instead of a canary first.", cause(p.title)))
	}
	timeline := fmt.Sprintf("- %s: the first alert fired and paged the on-call engineer.\n- %s: mitigation started.\n- %s: the service recovered and the incident was resolved.",
		p.opened.Format("15:04"), p.opened.Add(duration/2).Format("15:04"), p.resolved.Format("15:04"))
	actions := "- Add a canary stage for this change type (owner: service team, due in two sprints).\n" +
		"- Alert on the saturation signal that preceded the failure (owner: SRE).\n" +
		"- Update the runbook with the mitigation that worked."
	if p.flaw == actionsFirst {
		section("Action items", actions)
		section("Timeline", timeline)
	} else {
		section("Timeline", timeline)
		section("Action items", actions)
	}
	return b.Bytes()
}

// cause is the incident title without its "Service: " prefix.
func cause(title string) string {
	if _, rest, ok := strings.Cut(title, ": "); ok {
		return rest
	}
	return title
}
