// Package incident is the one incident model that Jira, GitHub, PagerDuty
// and incident sheets all map into, so time to acknowledge, time to resolve,
// MTBF and the counters are computed in exactly one place.
//
// Counting rules, the same for every source:
//   - Gauges and the 7/30/90-day figures are computed from the incidents as
//     they are now: an incident whose severity, service or team changes is
//     counted under its current values; a deleted (or no longer matching)
//     incident stops counting.
//   - The cumulative counters and trend histograms count each incident once,
//     under the labels it had when first counted: opened when first seen,
//     resolved (with its time to resolve) when first seen resolved,
//     acknowledged (with its time to acknowledge) when first seen
//     acknowledged. Later label changes, reopenings and deletions are not
//     subtracted, so counters never go backwards.
package incident

import (
	"fmt"
	"strings"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/formatcheck"
	"github.com/sre-value/sre-value-exporter/internal/metrics"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
	"github.com/sre-value/sre-value-exporter/internal/store"
	"github.com/sre-value/sre-value-exporter/internal/window"
)

// Incident is one incident from any source. Identifiers, titles and people
// are kept for the store and the landing page, never as label values.
type Incident struct {
	ID       string `json:"id"` // unique within the collector (issue key, PagerDuty ID, sheet id)
	Severity string `json:"severity"`
	Service  string `json:"service"`
	Team     string `json:"team"`

	Opened       time.Time `json:"opened"`
	Acknowledged time.Time `json:"acknowledged,omitzero"`
	Resolved     time.Time `json:"resolved,omitzero"`

	// Postmortem is set when the incident has a postmortem (a link or key).
	Postmortem  string       `json:"postmortem,omitempty"`
	ActionItems []ActionItem `json:"action_items,omitempty"`
	// Updated is the upstream's last-modified time, for incremental sync.
	Updated time.Time `json:"updated,omitzero"`
}

// ActionItem is a postmortem follow-up.
type ActionItem struct {
	Done bool      `json:"done"`
	Due  time.Time `json:"due,omitzero"`
}

// IsOpen reports whether the incident is not resolved.
func (i Incident) IsOpen() bool { return i.Resolved.IsZero() }

// TimeToResolve is Resolved - Opened; ok is false while open.
func (i Incident) TimeToResolve() (time.Duration, bool) {
	if i.Resolved.IsZero() {
		return 0, false
	}
	return i.Resolved.Sub(i.Opened), true
}

// TimeToAcknowledge is Acknowledged - Opened; ok is false until acknowledged.
func (i Incident) TimeToAcknowledge() (time.Duration, bool) {
	if i.Acknowledged.IsZero() {
		return 0, false
	}
	return i.Acknowledged.Sub(i.Opened), true
}

// Validate reports impossible timelines. Sources that cannot guarantee
// order (hand-kept sheets) skip such incidents and say so.
func (i Incident) Validate() error {
	switch {
	case i.ID == "":
		return fmt.Errorf("incident has no id")
	case i.Opened.IsZero():
		return fmt.Errorf("incident %s has no opened time", i.ID)
	case !i.Acknowledged.IsZero() && i.Acknowledged.Before(i.Opened):
		return fmt.Errorf("incident %s: acknowledged %s is before opened %s", i.ID, i.Acknowledged.Format(time.RFC3339), i.Opened.Format(time.RFC3339))
	case !i.Resolved.IsZero() && i.Resolved.Before(i.Opened):
		return fmt.Errorf("incident %s: resolved %s is before opened %s", i.ID, i.Resolved.Format(time.RFC3339), i.Opened.Format(time.RFC3339))
	}
	return nil
}

func (i Incident) labels() []string {
	return []string{"severity", orUnknown(i.Severity), "service", orUnknown(i.Service), "team", orUnknown(i.Team)}
}

// withSource prefixes the source label (jira, github, pagerduty, sheet).
func withSource(source string, l []string) []string {
	return append([]string{"source", source}, l...)
}

func orUnknown(v string) string {
	if v == "" {
		return "unknown"
	}
	return v
}

// Store kinds.
const (
	recordKind  = "incident"
	countedKind = "incident_counted"
)

// counted is what the counters already include for one incident.
type counted struct {
	Severity string  `json:"s"`
	Service  string  `json:"v"`
	Team     string  `json:"t"`
	Resolved bool    `json:"r,omitempty"`
	TTR      float64 `json:"ttr,omitempty"`
	Acked    bool    `json:"a,omitempty"`
	TTA      float64 `json:"tta,omitempty"`
}

func (c counted) labels() []string {
	return []string{"severity", c.Severity, "service", c.Service, "team", c.Team}
}

// Put stores inc (inserting or updating in place) and counts what is new
// about it. It returns whether anything changed.
func Put(tx *store.Tx, inc Incident) (bool, error) {
	if err := inc.Validate(); err != nil {
		return false, err
	}
	changed, err := tx.PutBytes(recordKind, inc.ID, encodeIncident(inc))
	if err != nil || !changed {
		return false, err
	}
	data, err := tx.GetBytes(countedKind, inc.ID)
	if err != nil {
		return false, err
	}
	found := data != nil
	var c counted
	if found {
		if c, err = decodeCounted(data, nil); err != nil {
			return false, fmt.Errorf("incident counters %s: %w", inc.ID, err)
		}
	}
	if !found {
		l := inc.labels()
		c = counted{Severity: l[1], Service: l[3], Team: l[5]}
	}
	dirty := !found
	if d, ok := inc.TimeToResolve(); ok && !c.Resolved {
		c.Resolved, c.TTR, dirty = true, d.Seconds(), true
	}
	if d, ok := inc.TimeToAcknowledge(); ok && !c.Acked {
		c.Acked, c.TTA, dirty = true, d.Seconds(), true
	}
	if dirty {
		if _, err := tx.PutBytes(countedKind, inc.ID, encodeCounted(c)); err != nil {
			return false, err
		}
	}
	return true, nil
}

// Delete removes the incident from gauges and windows (it no longer exists
// or no longer matches); counters keep it.
func Delete(tx *store.Tx, id string) error {
	return tx.DeleteRecord(recordKind, id)
}

// Get loads one incident.
func Get(tx *store.Tx, id string) (Incident, bool, error) {
	data, err := tx.GetBytes(recordKind, id)
	if err != nil || data == nil {
		return Incident{}, false, err
	}
	inc, err := decodeIncident(data, nil)
	if err != nil {
		return inc, true, fmt.Errorf("incident %s: %w", id, err)
	}
	return inc, true, nil
}

// ForEach calls fn with every stored incident.
func ForEach(tx *store.Tx, fn func(Incident) error) error {
	return forEach(tx, decodeIncident, nil, fn)
}

// forEach decodes every stored incident with decode; in shares their
// label values.
func forEach(tx *store.Tx, decode func([]byte, interner) (Incident, error), in interner, fn func(Incident) error) error {
	return tx.ForEachRecord(recordKind, func(id string, data []byte) error {
		inc, err := decode(data, in)
		if err != nil {
			return fmt.Errorf("incident %s: %w", id, err)
		}
		return fn(inc)
	})
}

// IDs returns the stored incident IDs, for sources that sync in full and
// must delete what disappeared.
func IDs(tx *store.Tx) (map[string]bool, error) {
	ids := map[string]bool{}
	err := tx.ForEachRecord(recordKind, func(id string, _ []byte) error {
		ids[id] = true
		return nil
	})
	return ids, err
}

var severitySeparators = strings.NewReplacer("-", "", "_", "", " ", "")

// NormaliseSeverity maps common severity and priority spellings to sev1..sev5
// (sev1 most severe); anything else becomes "unknown". Sources with their own
// scheme configure an explicit map first.
func NormaliseSeverity(v string, explicit map[string]string) string {
	if s, ok := explicit[v]; ok {
		return s
	}
	if s, ok := explicit[strings.ToLower(strings.TrimSpace(v))]; ok {
		return s
	}
	k := strings.ToLower(strings.TrimSpace(v))
	k = severitySeparators.Replace(k)
	switch k {
	case "sev1", "s1", "p1", "severity1", "critical", "highest", "blocker", "sev0", "s0", "p0":
		return "sev1"
	case "sev2", "s2", "p2", "severity2", "high", "major":
		return "sev2"
	case "sev3", "s3", "p3", "severity3", "medium", "moderate":
		return "sev3"
	case "sev4", "s4", "p4", "severity4", "low", "minor":
		return "sev4"
	case "sev5", "s5", "p5", "severity5", "lowest", "trivial", "info", "informational":
		return "sev5"
	}
	return "unknown"
}

// Snapshot builds a collector's incident snapshot from its store bucket.
// source is the label value for the source kind (jira, github, pagerduty,
// sheet); extra, if not nil, adds source-specific metrics.
func Snapshot(st *store.Store, storeKey, source string, now time.Time, checks *Checks, extra func(*store.Tx, *snapshot.Builder) error) (*snapshot.Snapshot, error) {
	b := snapshot.NewBuilder()
	err := st.View(storeKey, func(tx *store.Tx) error {
		if err := Emit(tx, source, now, b, checks); err != nil {
			return err
		}
		if extra != nil {
			return extra(tx, b)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return b.Build()
}

// Emit computes every incident metric from the store as of now, and the
// format compliance of the incidents when checks is not nil.
func Emit(tx *store.Tx, source string, now time.Time, b *snapshot.Builder, checks *Checks) error {
	f := newFigures(source, now)
	run := checks.start(source, now)
	decode := decodeForMetrics
	if run != nil {
		decode = decodeIncident // findings name the incident
	}
	err := forEach(tx, decode, interner{}, func(inc Incident) error {
		run.add(source, inc)
		f.add(inc)
		return nil
	})
	if err != nil {
		return err
	}
	run.finish(func(r *formatcheck.Results) { r.Emit(b) })
	f.emit(b)
	return emitCounters(tx, source, b)
}

// figures are the gauges and window figures of one snapshot, computed from
// the incidents as they are at now (see History for a past now).
type figures struct {
	source                        string
	now                           time.Time
	opened, resolved, postmortems *window.Sum
	ttr, tta                      *window.Histogram
	groups                        map[groupKey]*group
	lastOpened                    map[[2]string]time.Time // service, team
	items                         map[itemKey]float64
	overdue                       map[groupKey]float64
}

// groupKey is one label set, looked up once per incident by a comparable
// key rather than by joining label strings per figure.
type groupKey struct{ severity, service, team string }

type group struct {
	opened, resolved, postmortems *window.SumSeries
	ttr, tta                      *window.HistogramSeries
	open                          float64
}

type itemKey struct {
	groupKey
	state string
}

func newFigures(source string, now time.Time) *figures {
	return &figures{
		source:      source,
		now:         now,
		opened:      window.NewSum(now, metrics.IncidentsOpenedInWindow),
		resolved:    window.NewSum(now, metrics.IncidentsResolvedInWindow),
		postmortems: window.NewSum(now, metrics.IncidentsResolvedWithPostmortemInWindow),
		ttr:         window.NewHistogram(now, metrics.IncidentTimeToResolveInWindow),
		tta:         window.NewHistogram(now, metrics.IncidentTimeToAcknowledgeInWindow),
		groups:      map[groupKey]*group{},
		lastOpened:  map[[2]string]time.Time{},
		items:       map[itemKey]float64{},
		overdue:     map[groupKey]float64{},
	}
}

func (f *figures) add(inc Incident) {
	k := groupKey{orUnknown(inc.Severity), orUnknown(inc.Service), orUnknown(inc.Team)}
	g := f.groups[k]
	if g == nil {
		l := []string{"source", f.source, "severity", k.severity, "service", k.service, "team", k.team}
		g = &group{
			opened: f.opened.Series(l...), resolved: f.resolved.Series(l...), postmortems: f.postmortems.Series(l...),
			ttr: f.ttr.Series(l...), tta: f.tta.Series(l...),
		}
		f.groups[k] = g
	}
	g.opened.Add(inc.Opened, 1)
	if inc.IsOpen() {
		g.open++
	} else {
		g.resolved.Add(inc.Resolved, 1)
		d, _ := inc.TimeToResolve()
		g.ttr.Observe(inc.Resolved, d.Seconds())
		if inc.Postmortem != "" {
			g.postmortems.Add(inc.Resolved, 1)
		}
	}
	if d, ok := inc.TimeToAcknowledge(); ok {
		g.tta.Observe(inc.Acknowledged, d.Seconds())
	}
	sk := [2]string{k.service, k.team}
	if inc.Opened.After(f.lastOpened[sk]) && !inc.Opened.After(f.now) {
		f.lastOpened[sk] = inc.Opened
	}
	for _, a := range inc.ActionItems {
		state := "open"
		if a.Done {
			state = "done"
		}
		f.items[itemKey{k, state}]++
		if !a.Done && !a.Due.IsZero() && a.Due.Before(f.now) {
			f.overdue[k]++
		}
	}
}

func (f *figures) emit(b *snapshot.Builder) {
	source := f.source
	f.opened.Emit(b)
	f.resolved.Emit(b)
	f.postmortems.Emit(b)
	f.ttr.Emit(b)
	f.tta.Emit(b)
	for k, g := range f.groups {
		b.Gauge(metrics.IncidentsOpen, g.open, "source", source, "severity", k.severity, "service", k.service, "team", k.team)
	}
	for sk, t := range f.lastOpened {
		b.Gauge(metrics.IncidentLastOpened, float64(t.Unix()), "source", source, "service", sk[0], "team", sk[1])
	}
	for k, v := range f.items {
		b.Gauge(metrics.PostmortemActionItems, v, "source", source, "severity", k.severity, "service", k.service, "team", k.team, "state", k.state)
	}
	for k := range f.items {
		if k.state == "open" {
			b.Gauge(metrics.PostmortemActionItemsOverdue, f.overdue[k.groupKey], "source", source, "severity", k.severity, "service", k.service, "team", k.team)
		}
	}
}

func emitCounters(tx *store.Tx, source string, b *snapshot.Builder) error {
	type agg struct {
		opened, resolved, acked float64
		ttr, tta                *snapshot.Histogram
	}
	byLabels := map[[3]string]*agg{}
	in := interner{}
	err := tx.ForEachRecord(countedKind, func(id string, data []byte) error {
		c, err := decodeCounted(data, in)
		if err != nil {
			return fmt.Errorf("incident counters %s: %w", id, err)
		}
		k := [3]string{c.Severity, c.Service, c.Team}
		a := byLabels[k]
		if a == nil {
			a = &agg{ttr: snapshot.NewHistogram(metrics.IncidentTimeToResolve.Buckets), tta: snapshot.NewHistogram(metrics.IncidentTimeToAcknowledge.Buckets)}
			byLabels[k] = a
		}
		a.opened++
		if c.Resolved {
			a.resolved++
			a.ttr.Observe(c.TTR)
		}
		if c.Acked {
			a.acked++
			a.tta.Observe(c.TTA)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for k, a := range byLabels {
		l := withSource(source, counted{Severity: k[0], Service: k[1], Team: k[2]}.labels())
		b.Counter(metrics.IncidentsOpened, a.opened, l...)
		b.Counter(metrics.IncidentsResolved, a.resolved, l...)
		b.Histogram(metrics.IncidentTimeToResolve, a.ttr, l...)
		b.Histogram(metrics.IncidentTimeToAcknowledge, a.tta, l...)
	}
	return nil
}
