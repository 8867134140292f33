package incident

import (
	"slices"
	"sync"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/compliance"
	"github.com/sre-value/sre-value-exporter/internal/compliance/incidentdoc"
	"github.com/sre-value/sre-value-exporter/internal/formatcheck"
	"github.com/sre-value/sre-value-exporter/internal/window"
)

// FormatDocument maps the incident for the format checks: its service is
// the component and its team the one team; a severity, service or team of
// "unknown" counts as missing.
func (i Incident) FormatDocument(source string) *compliance.Document {
	return incidentdoc.Document(incidentdoc.Incident{
		Source:     source,
		Key:        i.ID,
		Severity:   known(i.Severity),
		Components: nonEmpty(known(i.Service)),
		Teams:      nonEmpty(known(i.Team)),
		Postmortem: i.Postmortem,
		Opened:     i.Opened,
		Resolved:   i.Resolved,
		Updated:    i.Updated,
	})
}

func known(v string) string {
	if v == "unknown" {
		return ""
	}
	return v
}

func nonEmpty(v string) []string {
	if v == "" {
		return nil
	}
	return []string{v}
}

// Checks runs the format templates over a collector's incidents during each
// snapshot, so rules that depend on time (a postmortem due 5 days after
// resolution) are judged as of now, and keeps the findings for the landing
// page. A nil *Checks checks nothing.
type Checks struct {
	set *compliance.Set

	mu    sync.Mutex
	notes []string
}

// NewChecks returns the checks of set, or nil when there is no set.
func NewChecks(set *compliance.Set) *Checks {
	if set == nil {
		return nil
	}
	return &Checks{set: set}
}

// Notes returns the findings of the last snapshot.
func (c *Checks) Notes() []string {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.notes)
}

// checkRun is one snapshot's checking.
type checkRun struct {
	checks  *Checks
	results *formatcheck.Results
	now     time.Time
	from    time.Time // incidents opened before it are checked only while open
}

func (c *Checks) start(source string, now time.Time) *checkRun {
	if c == nil {
		return nil
	}
	var longest time.Duration
	for _, w := range window.All {
		longest = max(longest, w.Duration)
	}
	return &checkRun{checks: c, results: formatcheck.New(now, source), now: now, from: now.Add(-longest)}
}

// add checks one incident: every one opened within the longest window, and
// older ones while they are open.
func (r *checkRun) add(source string, inc Incident) {
	if r == nil || (!inc.Opened.After(r.from) && !inc.IsOpen()) {
		return
	}
	r.results.Add(inc.Opened, r.checks.set.Check(inc.FormatDocument(source), r.now))
}

func (r *checkRun) finish(emit func(*formatcheck.Results)) {
	if r == nil {
		return
	}
	emit(r.results)
	notes := r.results.Notes()
	r.checks.mu.Lock()
	r.checks.notes = notes
	r.checks.mu.Unlock()
}
