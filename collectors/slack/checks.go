package slack

import (
	"strings"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/compliance"
	"github.com/sre-value/sre-value-exporter/internal/compliance/slackpost"
)

// Format checks: a top-level post is checked against the templates that
// apply to its channel while its text is in hand (sync), and only the
// verdicts are stored, never the text. So every rule, max_age included,
// is judged as of the sync that last read the post: a live sync re-reads
// (and re-checks) the posts within its overlap, which is where edits show
// up; an export is re-checked whenever it or the templates change.

// postCheck is one template's stored verdict on a post.
type postCheck struct {
	Template string        `json:"t"`
	Findings []postFinding `json:"f,omitempty"`
}

// postFinding is what the landing page needs of a finding; where it is
// (the permalink) is rebuilt from the channel and ts at snapshot time.
type postFinding struct {
	Rule    string `json:"r"`
	Message string `json:"m"`
	Fix     string `json:"x,omitempty"`
}

// checkPost checks one post of channel (its name) as of now. System
// messages (joins, topic changes) are not posts and are not checked.
func (c *Collector) checkPost(channel, text string, posted, edited time.Time, system bool, now time.Time) []postCheck {
	if c.deps.Templates == nil || system {
		return nil
	}
	if !c.checksChannel(channel, now) {
		return nil
	}
	doc := slackpost.Parse(slackpost.Message{Channel: channel, Text: text, Posted: posted, Edited: edited})
	var out []postCheck
	for _, r := range c.deps.Templates.Check(doc, now) {
		pc := postCheck{Template: r.Template}
		for _, f := range r.Findings {
			pc.Findings = append(pc.Findings, postFinding{Rule: f.Rule, Message: f.Message, Fix: f.Fix})
		}
		out = append(out, pc)
	}
	return out
}

// checksChannel reports whether a template applies to the posts of the
// channel (its name). A Slack scope looks only at the channel, so posts of
// channels no template applies to (most of them) are not parsed at all.
func (c *Collector) checksChannel(channel string, now time.Time) bool {
	return c.deps.Templates != nil &&
		len(c.deps.Templates.For(&compliance.Document{Kind: compliance.Slack, Source: Source, Container: channel}, now)) > 0
}

// templatesFingerprint identifies the templates posts are checked with
// ("" for none); an export is read again when it changes.
func (c *Collector) templatesFingerprint() string {
	if c.deps.Templates == nil {
		return ""
	}
	return c.deps.Templates.Fingerprint()
}

// channelFingerprint identifies the templates the channel's posts are
// checked with: "" when none applies, so that changing the templates of
// other channels does not make the channel be read again.
func (c *Collector) channelFingerprint(channel string, now time.Time) string {
	if !c.checksChannel(channel, now) {
		return ""
	}
	return c.deps.Templates.Fingerprint()
}

// editedAt reads an "edited" ts; a missing or malformed one is no edit
// (the edit time only matters to max_age rules).
func editedAt(ts string) time.Time {
	if ts == "" {
		return time.Time{}
	}
	t, err := parseTS(ts)
	if err != nil {
		return time.Time{}
	}
	return t
}

// results turns stored verdicts back into compliance results for the
// formatcheck figures, each finding located at where.
func results(checks []postCheck, where compliance.Finding) []compliance.Result {
	out := make([]compliance.Result, 0, len(checks))
	for _, pc := range checks {
		r := compliance.Result{Template: pc.Template}
		for _, f := range pc.Findings {
			loc := where
			loc.Template, loc.Rule, loc.Message, loc.Fix = pc.Template, f.Rule, f.Message, f.Fix
			r.Findings = append(r.Findings, loc)
		}
		out = append(out, r)
	}
	return out
}

// permalink builds a message's link the way Slack does:
// https://<workspace>.slack.com/archives/<channel ID>/p<ts without the dot>.
func permalink(workspaceURL, channelID, ts string) string {
	return strings.TrimSuffix(workspaceURL, "/") + "/archives/" + channelID + "/p" + strings.Replace(ts, ".", "", 1)
}

// postWhere locates a post for findings: its permalink when the workspace
// URL is known (live), else the channel, day and ts (an export).
func postWhere(workspaceURL string, ch channelInfo, ts string, posted time.Time) compliance.Finding {
	if workspaceURL != "" {
		return compliance.Finding{URL: permalink(workspaceURL, ch.ID, ts)}
	}
	return compliance.Finding{Key: "#" + ch.Name + " " + posted.UTC().Format(time.DateOnly) + " ts " + ts}
}
