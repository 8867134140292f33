package incident

import (
	"fmt"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/metrics"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
	"github.com/sre-value/sre-value-exporter/internal/store"
)

// History computes what a collector's /metrics would have shown at past
// instants, for backfill. It holds the stored incidents and counted events
// in memory (about 200 bytes an incident), so each instant costs one pass
// over them and no store reads.
//
// At an instant t:
//   - only incidents opened at or before t exist; one resolved (or
//     acknowledged) after t is open (unacknowledged) at t, so the open
//     gauge and the windows ending at t are what a scrape at t returned,
//     under the incident's current labels as the live gauges are;
//   - a counter counts an event when its time (opened, acknowledged,
//     resolved, read from the incident) is at or before t, under the labels
//     it was first counted with and with the duration first observed, so
//     at the present the counters equal the live ones exactly;
//   - an event whose time the store no longer has (the incident was
//     deleted upstream, or reopened after being counted resolved) is
//     counted at the latest time the incident still tells (its last update,
//     else its opening), or from the first instant when the incident is
//     gone: its history is lost, and counting it from the start keeps the
//     counter from jumping or resetting where the history joins live data.
//
// The postmortem link is read as it is now: a postmortem written after the
// resolution counts for the resolution's window.
type History struct {
	source    string
	incidents []Incident
	events    []countedEvent
}

// countedEvent is one incident's counter contributions with their times;
// a zero time counts from the first instant.
type countedEvent struct {
	labels             [3]string // severity, service, team as first counted
	opened             time.Time
	resolved, acked    bool
	resolvedAt, ackeAt time.Time
	ttr, tta           float64
}

// LoadHistory reads a collector's incidents and counted events once.
func LoadHistory(st *store.Store, storeKey, source string) (*History, error) {
	h := &History{source: source}
	byID := map[string]int{}
	err := st.View(storeKey, func(tx *store.Tx) error {
		in := interner{}
		if err := forEach(tx, decodeIncident, in, func(inc Incident) error {
			byID[inc.ID] = len(h.incidents)
			// Only whether there is a postmortem matters; action items
			// carry no dates, so their past is unknown (not historical).
			if inc.Postmortem != "" {
				inc.Postmortem = "yes"
			}
			inc.ID, inc.ActionItems = "", nil
			h.incidents = append(h.incidents, inc)
			return nil
		}); err != nil {
			return err
		}
		// Counted events in store order, the order the live snapshot adds
		// them in, so float sums are identical.
		return tx.ForEachRecord(countedKind, func(id string, data []byte) error {
			c, err := decodeCounted(data, in)
			if err != nil {
				return fmt.Errorf("incident counters %s: %w", id, err)
			}
			e := countedEvent{labels: [3]string{c.Severity, c.Service, c.Team}, resolved: c.Resolved, acked: c.Acked, ttr: c.TTR, tta: c.TTA}
			if i, ok := byID[id]; ok {
				inc := h.incidents[i]
				latest := inc.Opened
				if inc.Updated.After(latest) {
					latest = inc.Updated
				}
				e.opened = inc.Opened
				e.resolvedAt, e.ackeAt = latest, latest
				if !inc.Resolved.IsZero() {
					e.resolvedAt = inc.Resolved
				}
				if !inc.Acknowledged.IsZero() {
					e.ackeAt = inc.Acknowledged
				}
			}
			h.events = append(h.events, e)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return h, nil
}

// Incidents returns how many incidents the history holds.
func (h *History) Incidents() int { return len(h.incidents) }

// SnapshotAt returns the incident families that can be recomputed for a
// past instant (catalog Historical), as of at.
func (h *History) SnapshotAt(at time.Time) (*snapshot.Snapshot, error) {
	b := snapshot.NewBuilder()
	f := newFigures(h.source, at)
	for _, inc := range h.incidents {
		if inc.Opened.After(at) {
			continue
		}
		if inc.Resolved.After(at) {
			inc.Resolved = time.Time{}
		}
		if inc.Acknowledged.After(at) {
			inc.Acknowledged = time.Time{}
		}
		f.add(inc)
	}
	f.emit(b)
	h.emitCountersAt(at, b)
	return b.Build()
}

func (h *History) emitCountersAt(at time.Time, b *snapshot.Builder) {
	type agg struct {
		opened, resolved float64
		ttr, tta         *snapshot.Histogram
	}
	byLabels := map[[3]string]*agg{}
	for _, e := range h.events {
		if e.opened.After(at) {
			continue
		}
		a := byLabels[e.labels]
		if a == nil {
			a = &agg{ttr: snapshot.NewHistogram(metrics.IncidentTimeToResolve.Buckets), tta: snapshot.NewHistogram(metrics.IncidentTimeToAcknowledge.Buckets)}
			byLabels[e.labels] = a
		}
		a.opened++
		if e.resolved && !e.resolvedAt.After(at) {
			a.resolved++
			a.ttr.Observe(e.ttr)
		}
		if e.acked && !e.ackeAt.After(at) {
			a.tta.Observe(e.tta)
		}
	}
	for k, a := range byLabels {
		l := withSource(h.source, counted{Severity: k[0], Service: k[1], Team: k[2]}.labels())
		b.Counter(metrics.IncidentsOpened, a.opened, l...)
		b.Counter(metrics.IncidentsResolved, a.resolved, l...)
		b.Histogram(metrics.IncidentTimeToResolve, a.ttr, l...)
		b.Histogram(metrics.IncidentTimeToAcknowledge, a.tta, l...)
	}
}
