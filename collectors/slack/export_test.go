package slack

import (
	"archive/zip"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/sre-value/sre-value-exporter/collectors"
)

// zipFolder writes the files under src into a zip at dst, as Slack's
// export download is laid out.
func zipFolder(t testing.TB, src, dst string) {
	t.Helper()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(out)
	err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		w, err := zw.Create(filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestBadExportsGiveAnErrorNamingTheFileAndLine(t *testing.T) {
	for _, tc := range []struct {
		name   string
		break_ func(dir string)
		want   string
	}{
		{"a day file that is not JSON", func(dir string) {
			write(t, filepath.Join(dir, "sre-help", "2026-11-20.json"), "[\n {\"ts\": \"1795176000.000100\"},\n {\"ts\": oops}\n]")
		}, "sre-help/2026-11-20.json: line 3: invalid character"},
		{"a message with a bad ts", func(dir string) {
			write(t, filepath.Join(dir, "sre-help", "2026-11-20.json"), `[{"ts": "1795176000.000100"}, {"ts": "yesterday"}]`)
		}, `sre-help/2026-11-20.json: message 2: ts: "yesterday" is not a Slack timestamp`},
		{"a field of the wrong type", func(dir string) {
			write(t, filepath.Join(dir, "sre-help", "2026-11-20.json"), "[\n{\"ts\": \"1795176000.000100\", \"user\": 42}]")
		}, "sre-help/2026-11-20.json: line 2: field user: number where a string was expected"},
		{"no channels.json", func(dir string) {
			os.Remove(filepath.Join(dir, "channels.json"))
		}, "channels.json: missing (is this a Slack workspace export?)"},
		{"a configured channel missing from the export", func(dir string) {
			write(t, filepath.Join(dir, "channels.json"), `[{"id": "C0UPD00001", "name": "sre-updates", "members": []}]`)
		}, "channel #sre-help is in neither channels.json nor groups.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "export")
			copyDir(t, "testdata/export", dir)
			tc.break_(dir)
			h := newHarness(t, nil, "export: "+dir+"\n"+liveSettings)
			err := h.sync()
			if err == nil {
				t.Fatal("sync succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "slack export "+dir) {
				t.Errorf("error %q, want it to name the export and say %q", err, tc.want)
			}
			if got := collectors.Reason(err); got != collectors.ReasonInvalidData {
				t.Errorf("reason %q, want invalid_data", got)
			}
		})
	}
}

func TestAnUnchangedExportIsNotReadAgain(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "export")
	copyDir(t, "testdata/export", dir)
	h := newHarness(t, nil, "export: "+dir+"\n"+liveSettings)
	h.mustSync()
	// Breaking a file without changing its size or time is invisible, so
	// a second sync that read the export would fail.
	day := filepath.Join(dir, "sre-help", "2026-11-20.json")
	info, _ := os.Stat(day)
	data, _ := os.ReadFile(day)
	write(t, day, strings.Repeat("x", len(data)))
	os.Chtimes(day, info.ModTime(), info.ModTime())
	h.mustSync()
	if err := testutil.GatherAndCompare(h.snapshot(), strings.NewReader(fixtureMetrics)); err != nil {
		t.Error(err)
	}
	// A changed file is read.
	write(t, day, "[]")
	if err := h.sync(); err != nil {
		t.Fatal(err)
	}
	want := `
# HELP sre_slack_system_messages_in_window System messages (joins, leaves, topic and name changes, pins) posted in the window, top-level or in threads.
# TYPE sre_slack_system_messages_in_window gauge
sre_slack_system_messages_in_window{channel="sre-help",window="7d"} 0
sre_slack_system_messages_in_window{channel="sre-help",window="30d"} 0
sre_slack_system_messages_in_window{channel="sre-help",window="90d"} 0
sre_slack_system_messages_in_window{channel="sre-updates",window="7d"} 0
sre_slack_system_messages_in_window{channel="sre-updates",window="30d"} 0
sre_slack_system_messages_in_window{channel="sre-updates",window="90d"} 0
`
	if err := testutil.GatherAndCompare(h.snapshot(), strings.NewReader(want), "sre_slack_system_messages_in_window"); err != nil {
		t.Error(err)
	}
}

func write(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func copyDir(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestTheRepliesOfADeletedFirstMessageStillCount(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "export")
	copyDir(t, "testdata/export", dir)
	// u1 deleted after its reply: Slack keeps a tombstone with the thread.
	day := filepath.Join(dir, "sre-updates", "2026-11-19.json")
	write(t, day, `[
 {"type": "message", "subtype": "tombstone", "user": "USLACKBOT", "ts": "1795089600.000100", "thread_ts": "1795089600.000100", "reply_count": 1},
 {"type": "message", "user": "U0DEV1", "ts": "1795093200.000100", "thread_ts": "1795089600.000100"}
]`)
	h := newHarness(t, nil, "export: "+dir+"\n"+liveSettings)
	h.mustSync()
	want := `
# HELP sre_slack_replies_in_window Thread replies posted in the window (dated by the reply), by poster class of the replier.
# TYPE sre_slack_replies_in_window gauge
sre_slack_replies_in_window{channel="sre-updates",poster="bot",window="7d"} 0
sre_slack_replies_in_window{channel="sre-updates",poster="bot",window="30d"} 0
sre_slack_replies_in_window{channel="sre-updates",poster="bot",window="90d"} 0
sre_slack_replies_in_window{channel="sre-updates",poster="other",window="7d"} 1
sre_slack_replies_in_window{channel="sre-updates",poster="other",window="30d"} 1
sre_slack_replies_in_window{channel="sre-updates",poster="other",window="90d"} 1
sre_slack_replies_in_window{channel="sre-updates",poster="sre",window="7d"} 0
sre_slack_replies_in_window{channel="sre-updates",poster="sre",window="30d"} 0
sre_slack_replies_in_window{channel="sre-updates",poster="sre",window="90d"} 0
# HELP sre_slack_system_messages_in_window System messages (joins, leaves, topic and name changes, pins) posted in the window, top-level or in threads.
# TYPE sre_slack_system_messages_in_window gauge
sre_slack_system_messages_in_window{channel="sre-updates",window="7d"} 1
sre_slack_system_messages_in_window{channel="sre-updates",window="30d"} 1
sre_slack_system_messages_in_window{channel="sre-updates",window="90d"} 1
# HELP sre_slack_threads_in_window Top-level messages posted in the window that have at least one reply.
# TYPE sre_slack_threads_in_window gauge
sre_slack_threads_in_window{channel="sre-updates",window="7d"} 1
sre_slack_threads_in_window{channel="sre-updates",window="30d"} 1
sre_slack_threads_in_window{channel="sre-updates",window="90d"} 1
`
	if err := testutil.GatherAndCompare(onlyChannel(h.snapshot(), "sre-updates"), strings.NewReader(want),
		"sre_slack_replies_in_window", "sre_slack_system_messages_in_window", "sre_slack_threads_in_window"); err != nil {
		t.Error(err)
	}
}

// onlyChannel keeps the series of one channel.
func onlyChannel(g prometheus.Gatherer, channel string) prometheus.Gatherer {
	return prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		mfs, err := g.Gather()
		for _, mf := range mfs {
			var keep []*dto.Metric
			for _, m := range mf.Metric {
				for _, l := range m.Label {
					if l.GetName() == "channel" && l.GetValue() == channel {
						keep = append(keep, m)
					}
				}
			}
			mf.Metric = keep
		}
		return mfs, err
	})
}
