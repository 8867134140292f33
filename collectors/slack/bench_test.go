package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/store"
)

// benchExport writes a workspace export of n messages over 90 days in 20
// channels (500 people, 10 of them in @sre-oncall), a third of the
// messages being thread replies, and returns its folder.
func benchExport(b *testing.B, n int) string {
	b.Helper()
	dir := filepath.Join(b.TempDir(), "export")
	r := rand.New(rand.NewPCG(1, 2))
	const channels, people, days = 20, 500, 90
	var chans []map[string]any
	for i := range channels {
		chans = append(chans, map[string]any{"id": fmt.Sprintf("C%08d", i), "name": fmt.Sprintf("ch-%02d", i), "members": []string{"U1"}})
	}
	var users []map[string]any
	for i := range people {
		users = append(users, map[string]any{"id": fmt.Sprintf("U%08d", i), "is_bot": false})
	}
	var sre []string
	for i := range 10 {
		sre = append(sre, fmt.Sprintf("U%08d", i))
	}
	writeBenchJSON(b, filepath.Join(dir, "channels.json"), chans)
	writeBenchJSON(b, filepath.Join(dir, "users.json"), users)
	writeBenchJSON(b, filepath.Join(dir, "usergroups.json"), []map[string]any{{"id": "S1", "handle": "sre-oncall", "users": sre}})

	type m struct {
		Type      string           `json:"type"`
		User      string           `json:"user"`
		Text      string           `json:"text"`
		TS        string           `json:"ts"`
		ThreadTS  string           `json:"thread_ts,omitempty"`
		Reactions []map[string]any `json:"reactions,omitempty"`
	}
	end := testNow
	byFile := map[string][]m{}
	parents := make([][]m, channels)
	for i := range n {
		ch := i % channels
		at := end.Add(-time.Duration(r.Int64N(int64(days * 24 * time.Hour))))
		msg := m{Type: "message", User: fmt.Sprintf("U%08d", r.IntN(people)), Text: "a message of typical length, about a line or two of text in a channel", TS: fmt.Sprintf("%d.%06d", at.Unix(), i%1000000)}
		if r.IntN(4) == 0 {
			msg.Reactions = []map[string]any{{"name": "eyes", "count": 1 + r.IntN(3), "users": []string{"U1"}}}
		}
		if i%3 == 2 && len(parents[ch]) > 0 {
			p := parents[ch][r.IntN(len(parents[ch]))]
			msg.ThreadTS = p.TS
			if pt, _ := parseTS(p.TS); at.Before(pt) {
				at = pt.Add(time.Minute)
				msg.TS = fmt.Sprintf("%d.%06d", at.Unix(), i%1000000)
			}
		} else {
			parents[ch] = append(parents[ch], msg)
		}
		file := filepath.Join(dir, fmt.Sprintf("ch-%02d", ch), at.UTC().Format("2006-01-02")+".json")
		byFile[file] = append(byFile[file], msg)
	}
	for file, msgs := range byFile {
		writeBenchJSON(b, file, msgs)
	}
	return dir
}

func writeBenchJSON(b *testing.B, path string, v any) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		b.Fatal(err)
	}
	data, err := json.Marshal(v)
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
}

func benchSettings(export string) string {
	s := "export: " + export + "\nsre_user_groups: [\"@sre-oncall\"]\nhelp_channels: [\"#ch-00\"]\nchannels: ["
	for i := 1; i < 20; i++ {
		if i > 1 {
			s += ", "
		}
		s += fmt.Sprintf("\"#ch-%02d\"", i)
	}
	return s + "]\n"
}

// benchTemplates are the format templates of the benchmarks: none, and
// sre-update-post on every channel, so that every post is parsed and
// checked (and, with the bench's untagged text, fails), the worst case.
var benchTemplates = []struct{ name, yaml string }{
	{"no-templates", ""},
	{"every-post-checked", "templates:\n  - name: sre-update-post\n    applies_to:\n      slack: {}\n"},
}

// BenchmarkExportSync100k reads a 100,000-message export into a fresh
// store (the first sync after pointing the collector at it).
func BenchmarkExportSync100k(b *testing.B) {
	export := benchExport(b, 100_000)
	for _, tc := range benchTemplates {
		b.Run(tc.name, func(b *testing.B) { benchExportSync(b, export, tc.yaml) })
	}
}

func benchExportSync(b *testing.B, export, templates string) {
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		dir := b.TempDir()
		st, err := store.Open(filepath.Join(dir, "s.db"))
		if err != nil {
			b.Fatal(err)
		}
		c, err := buildCollectorWithTemplates(dir, "", benchSettings(export), templates, st, func() time.Time { return testNow }, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := c.Sync(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		st.Close()
		b.StartTimer()
	}
	b.StopTimer()
	reportPeakRSS(b)
}

// BenchmarkSnapshot100k computes the metrics from a store holding the
// 100,000 messages (every refresh and every restart does this).
func BenchmarkSnapshot100k(b *testing.B) {
	export := benchExport(b, 100_000)
	for _, tc := range benchTemplates {
		b.Run(tc.name, func(b *testing.B) { benchSnapshot(b, export, tc.yaml) })
	}
}

func benchSnapshot(b *testing.B, export, templates string) {
	dir := b.TempDir()
	st, err := store.Open(filepath.Join(dir, "s.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	c, err := buildCollectorWithTemplates(dir, "", benchSettings(export), templates, st, func() time.Time { return testNow }, nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := c.Sync(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := c.Snapshot(testNow); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportPeakRSS(b)
}

// reportPeakRSS reports the process's peak resident set size so far.
func reportPeakRSS(b *testing.B) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MB")
	}
}
