package github

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/store"
)

// BenchmarkSync100kIncidents syncs a repository of 100,000 incident issues
// into an empty store with page_size 100: it must take exactly
// ceil(100000/100) = 1000 listing requests and nothing else (no
// acknowledged_label and no comments, so no per-issue requests).
func BenchmarkSync100kIncidents(b *testing.B) {
	const n, pageSize = 100_000, 100
	b.Setenv("GITHUB_TOKEN", testToken)
	fake := newFakeGitHub(b, testToken, "", testNow)
	repo := fake.repo("acme/big")
	start := testNow.Add(-80 * 24 * time.Hour)
	for i := 1; i <= n; i++ {
		opened := start.Add(time.Duration(i) * time.Minute)
		is := map[string]any{
			"id": float64(10_000_000 + i), "number": float64(i), "title": fmt.Sprintf("Incident %d", i),
			"state": "open", "comments": float64(0), "body": "",
			"user":           map[string]any{"login": "alice", "id": float64(1), "type": "User"},
			"repository_url": "https://api.github.com/repos/acme/big",
			"labels": []any{
				map[string]any{"name": "incident"},
				map[string]any{"name": fmt.Sprintf("sev%d", i%4+1)},
				map[string]any{"name": fmt.Sprintf("service:svc%d", i%5)},
			},
			"created_at": opened.Format(time.RFC3339),
			"updated_at": opened.Add(30 * time.Minute).Format(time.RFC3339),
		}
		if i%2 == 0 {
			is["state"] = "closed"
			is["closed_at"] = opened.Add(30 * time.Minute).Format(time.RFC3339)
		}
		repo.issues[i] = is
	}
	srv := fake.start()
	settings := fmt.Sprintf("token: ${GITHUB_TOKEN}\nrepositories: [acme/big]\nlabels: [incident]\npage_size: %d\n", pageSize)

	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		st, err := store.Open(filepath.Join(b.TempDir(), "s.db"))
		if err != nil {
			b.Fatal(err)
		}
		c, err := newCollector(testDeps(b, st, settings, func() time.Time { return testNow }), nil)
		if err != nil {
			b.Fatal(err)
		}
		c.client.BaseURL, _ = url.Parse(srv.URL + "/")
		fake.resetCounts()
		b.StartTimer()

		if err := c.Sync(context.Background()); err != nil {
			b.Fatal(err)
		}

		b.StopTimer()
		_, total, _ := fake.counts()
		if want := (n + pageSize - 1) / pageSize; total != want {
			b.Fatalf("%d requests, want ceil(%d/%d) = %d", total, n, pageSize, want)
		}
		b.ReportMetric(float64(total), "requests/op")
		st.Close()
		b.StartTimer()
	}
}
