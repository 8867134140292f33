package confluence

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/compliance"
	"github.com/sre-value/sre-value-exporter/internal/config"
	"github.com/sre-value/sre-value-exporter/internal/store"
)

// bigSpace fills a fake Cloud site with one space of n pages: page i was
// created i*13 hours after 2023-01-01 and edited a day later, carries one
// of four labels, and was read on every 7th day since its creation by one
// of five people (none at all for every tenth page).
func bigSpace(b *testing.B, n int) *fakeConfluence {
	f := newFakeConfluence(b, Cloud)
	start := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	labels := []string{"playbook", "runbook", "postmortem", "howto"}
	for i := range n {
		created := start.Add(time.Duration(i) * 13 * time.Hour)
		raw, _ := json.Marshal(map[string]any{
			"id": fmt.Sprint(10000 + i), "type": "page", "status": "current", "title": fmt.Sprintf("Page %d", i),
			"space":    map[string]any{"key": "SRE"},
			"history":  map[string]any{"createdDate": created.Format(fromDateLayout)},
			"version":  map[string]any{"when": created.Add(24 * time.Hour).Format(fromDateLayout), "number": 2},
			"metadata": map[string]any{"labels": map[string]any{"results": []map[string]string{{"name": labels[i%len(labels)]}}}},
			"body":     map[string]any{"storage": map[string]any{"value": benchBody, "representation": "storage"}},
		})
		f.add(raw)
		if i%10 == 0 {
			continue
		}
		var views [][2]string
		for d := created; d.Before(now); d = d.AddDate(0, 0, 7) {
			views = append(views, [2]string{d.Format(time.DateOnly), fmt.Sprintf("u%d", d.Day()%5)})
		}
		f.views[fmt.Sprint(10000+i)] = views
	}
	return f
}

// benchBody is a playbook page of about 120 words with five sections.
var benchBody = `<h2>Overview</h2><p>What to do when the primary database is slow and replication lags behind.</p>
<h2>When to use</h2><p>Latency alerts fire on the checkout service, or the replica lag alert pages.</p>
<h2>Steps</h2><ol><li>Open the <a href="https://grafana.example.com/d/db">database dashboard</a> and check the lag.</li>
<li>Fail over to the replica if the lag stays under ten seconds for five minutes.</li>
<li>Watch the error rate on <ac:link><ri:page ri:content-title="Checkout health" /></ac:link> for a quarter of an hour.</li></ol>
<h2>Escalation</h2><p>Page the database team through <a href="https://example.pagerduty.com/escalation">PagerDuty</a>.</p>
<h2>History</h2><p>Written after the outage of March; reviewed every quarter by the on-call lead.</p>`

// BenchmarkFirstSyncOf1kPageSpace is the first sync of a 1,000-page space
// at the default page size: 10 search pages, then one analytics round.
func BenchmarkFirstSyncOf1kPageSpace(b *testing.B) {
	const n = 1000
	f := bigSpace(b, n)
	b.Setenv("CONFLUENCE_TEST_TOKEN", f.token)
	yml := testCatalog + "collectors:\n  - kind: confluence\n    name: wiki\n    url: " + f.server.URL + "/wiki" +
		"\n    token: ${CONFLUENCE_TEST_TOKEN}\n    deployment: cloud\n    email: sre@example.com\n    spaces: [SRE]\n    labels: [playbook, runbook]\n    key_pages: [Page 1, Page 2]\n"
	cfg, err := config.Parse("exporter.yml", []byte(yml))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	var requests map[string]int
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st, err := store.Open(filepath.Join(b.TempDir(), "s.db"))
		if err != nil {
			b.Fatal(err)
		}
		c, err := New(collectors.Deps{Config: cfg.Collectors[0], Decoder: cfg.Decoder(), Catalog: &cfg.Catalog, Store: st, Now: func() time.Time { return now }, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		f.takeRequests()
		b.StartTimer()
		if err := c.Sync(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		requests = count(f.takeRequests())
		var stored int
		_ = st.View("confluence/wiki", func(tx *store.Tx) error { stored = tx.CountRecords(kindPage); return nil })
		if stored != n {
			b.Fatalf("stored %d pages, want %d", stored, n)
		}
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(requests["search"]), "searches/op")
	b.ReportMetric(float64(requests["views"]+requests["viewers"]), "analytics-requests/op")
}

// BenchmarkSnapshotOf1kPageSpace computes the metrics of a synced
// 1,000-page space from the store, as every refresh does.
func BenchmarkSnapshotOf1kPageSpace(b *testing.B) {
	f := bigSpace(b, 1000)
	b.Setenv("CONFLUENCE_TEST_TOKEN", f.token)
	yml := testCatalog + "collectors:\n  - kind: confluence\n    name: wiki\n    url: " + f.server.URL + "/wiki" +
		"\n    token: ${CONFLUENCE_TEST_TOKEN}\n    deployment: cloud\n    email: sre@example.com\n    spaces: [SRE]\n    labels: [playbook, runbook]\n    key_pages: [Page 1, Page 2]\n"
	cfg, err := config.Parse("exporter.yml", []byte(yml))
	if err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(filepath.Join(b.TempDir(), "s.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	c, err := New(collectors.Deps{Config: cfg.Collectors[0], Decoder: cfg.Decoder(), Catalog: &cfg.Catalog, Store: st, Now: func() time.Time { return now }, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	if err := c.Sync(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Snapshot(now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFormatChecksOf1kPageSpace measures what the format checks add:
// the first sync reads the bodies of the 500 pages a built-in template
// applies to (labels playbook and postmortem), and each snapshot checks
// them from the stored compact form.
func BenchmarkFormatChecksOf1kPageSpace(b *testing.B) {
	f := bigSpace(b, 1000)
	b.Setenv("CONFLUENCE_TEST_TOKEN", f.token)
	yml := testCatalog + "collectors:\n  - kind: confluence\n    name: wiki\n    url: " + f.server.URL +
		"\n    token: ${CONFLUENCE_TEST_TOKEN}\n    deployment: datacenter\n    spaces: [SRE]\n    labels: [playbook, runbook]\n"
	cfg, err := config.Parse("exporter.yml", []byte(yml))
	if err != nil {
		b.Fatal(err)
	}
	f.deployment = DataCenter // no analytics: the sync is the listing and the bodies
	set, err := compliance.Compile(nil)
	if err != nil {
		b.Fatal(err)
	}
	newCollector := func(set *compliance.Set) *Collector {
		st, err := store.Open(filepath.Join(b.TempDir(), "s.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
		c, err := New(collectors.Deps{Config: cfg.Collectors[0], Decoder: cfg.Decoder(), Catalog: &cfg.Catalog, Store: st, Now: func() time.Time { return now }, Logger: slog.New(slog.DiscardHandler), Templates: set})
		if err != nil {
			b.Fatal(err)
		}
		return c.(*Collector)
	}
	b.Run("first-sync", func(b *testing.B) {
		b.ReportAllocs()
		var requests map[string]int
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			c := newCollector(set)
			f.takeRequests()
			b.StartTimer()
			if err := c.Sync(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			requests = count(f.takeRequests())
			b.StartTimer()
		}
		b.ReportMetric(float64(requests["search"]), "searches/op")
		b.ReportMetric(float64(requests["bodies"]), "body-searches/op")
	})
	for _, tc := range []struct {
		name string
		set  *compliance.Set
	}{{"snapshot-without-templates", nil}, {"snapshot", set}} {
		b.Run(tc.name, func(b *testing.B) {
			c := newCollector(tc.set)
			if err := c.Sync(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := c.Snapshot(now); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
