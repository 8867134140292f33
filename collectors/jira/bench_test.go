package jira

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/config"
	"github.com/sre-value/sre-value-exporter/internal/store"
)

// BenchmarkSyncOf100kIncidents syncs 100,000 incidents from an empty store
// at the default page size and reports the requests made, which should be
// ceil(100000 / 100) = 1000.
func BenchmarkSyncOf100kIncidents(b *testing.B) {
	const n, pageSize = 100_000, 100
	f := newFakeJira(b, Cloud)
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	priorities := []string{"Highest", "High", "Medium", "Low"}
	components := []string{"Payments", "Checkout", "Search"}
	for i := range n {
		opened := start.Add(time.Duration(i) * time.Minute)
		fields := map[string]any{
			"created":        opened.Format("2006-01-02T15:04:05.000-0700"),
			"updated":        opened.Add(time.Hour).Format("2006-01-02T15:04:05.000-0700"),
			"resolutiondate": opened.Add(time.Hour).Format("2006-01-02T15:04:05.000-0700"),
			"priority":       map[string]string{"name": priorities[i%len(priorities)]},
			"components":     []map[string]string{{"name": components[i%len(components)]}},
		}
		raw := map[string]json.RawMessage{}
		for k, v := range fields {
			raw[k], _ = json.Marshal(v)
		}
		f.put(&fakeIssue{Key: fmt.Sprintf("OPS-%d", i+1), Fields: raw}, true)
	}
	b.Setenv("JIRA_TEST_TOKEN", f.token)
	yml := testCatalog + "collectors:\n  - kind: jira\n    name: ops\n    url: " + f.server.URL +
		"\n    token: ${JIRA_TEST_TOKEN}\n    deployment: cloud\n    email: sre@example.com\n    jql: project = OPS AND type = Incident"
	cfg, err := config.Parse("exporter.yml", []byte(yml))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	var requests int
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st, err := store.Open(filepath.Join(b.TempDir(), "s.db"))
		if err != nil {
			b.Fatal(err)
		}
		c, err := New(collectors.Deps{Config: cfg.Collectors[0], Decoder: cfg.Decoder(), Catalog: &cfg.Catalog, Store: st, Now: func() time.Time { return now }})
		if err != nil {
			b.Fatal(err)
		}
		f.takeRequests()
		b.StartTimer()
		if err := c.Sync(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		requests += len(f.takeRequests())
		var stored int
		_ = st.View("jira/ops", func(tx *store.Tx) error { stored = tx.CountRecords("incident"); return nil })
		if stored != n {
			b.Fatalf("stored %d incidents, want %d", stored, n)
		}
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(requests)/float64(b.N), "requests/op")
	if want := math.Ceil(n / pageSize); float64(requests)/float64(b.N) != want {
		b.Errorf("%d requests per sync, want %v", requests/b.N, want)
	}
}
