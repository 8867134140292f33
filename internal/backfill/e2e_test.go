package backfill_test

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/config"
	"github.com/sre-value/sre-value-exporter/internal/promtest"
)

var demoNow = promtest.DemoNow

// TestTheBackfilledDemoInPrometheus backfills six months of the demo (the
// blocks promtest caches for every end-to-end test of a run, written by
// backfill.Run as the backfill command writes them), loads the blocks into
// the pinned Prometheus next to a live scrape of the demo exporter, and
// checks by PromQL at past instants against the demo's files.
func TestTheBackfilledDemoInPrometheus(t *testing.T) {
	d := promtest.Start(t, promtest.Options{
		RuleFiles: []string{"alerts/sre-value.rules.yml", "alerts/sre-value.slo.rules.yml"},
		Backfill:  true,
	})
	res := d.Backfill
	if res.Steps != 180*24+1 || res.RuleSeries == 0 || res.Blocks == 0 {
		t.Fatalf("backfill result %+v: want 4321 steps, blocks and recording rules", res)
	}
	t.Logf("backfilled %d steps: %d series, %d samples, %d blocks, %d bytes", res.Steps, res.Series, res.Samples, res.Blocks, res.Bytes)
	prom := d.Addr
	demo := filepath.Join(promtest.ModuleRoot(t), "examples", "demo")
	cfg := filepath.Join(demo, "config.yml")

	t.Run("30-day MTTR per team equals the incident sheet's", func(t *testing.T) {
		incidents := readIncidents(t, filepath.Join(demo, "incidents.csv"))
		// The sheet names teams as people write them; the catalog's
		// aliases map them, as the collector does.
		conf, err := config.Load(cfg)
		if err != nil {
			t.Fatal(err)
		}
		for i := range incidents {
			incidents[i].team = conf.Catalog.Team("sheet", incidents[i].team)
		}
		for _, daysAgo := range []int{1, 30, 75, 120, 150} {
			at := demoNow.Add(-time.Duration(daysAgo) * 24 * time.Hour)
			got := query(t, prom, `sum by (team) (sre_incident_time_to_resolve_in_window_seconds_sum{window="30d"}) / sum by (team) (sre_incident_time_to_resolve_in_window_seconds_count{window="30d"})`, at)
			want := map[string]float64{}
			n := map[string]float64{}
			for _, inc := range incidents {
				if !inc.resolved.IsZero() && inc.resolved.After(at.Add(-30*24*time.Hour)) && !inc.resolved.After(at) {
					want[inc.team] += inc.resolved.Sub(inc.opened).Seconds()
					n[inc.team]++
				}
			}
			for team := range want {
				want[team] /= n[team]
			}
			for team, w := range want {
				if g, ok := got[team]; !ok || math.Abs(g-w) > 1e-6*w {
					t.Errorf("%s: team %s: MTTR %v, by hand %v", at.Format(time.DateOnly), team, g, w)
				}
			}
			for team, g := range got {
				if _, ok := want[team]; !ok && !math.IsNaN(g) {
					t.Errorf("%s: team %s has MTTR %v but resolved nothing in 30 days", at.Format(time.DateOnly), team, g)
				}
			}
		}
	})

	t.Run("weekly Slack messages equal the export's", func(t *testing.T) {
		msgs := readSlackMessages(t, filepath.Join(demo, "slack-export"))
		for _, daysAgo := range []int{0, 20, 60, 100, 170} {
			at := demoNow.Add(-time.Duration(daysAgo) * 24 * time.Hour)
			got := query(t, prom, `sum by (channel) (sre_slack_messages_in_window{window="7d"})`, at)
			want := map[string]float64{}
			for _, m := range msgs {
				if m.at.After(at.Add(-7*24*time.Hour)) && !m.at.After(at) {
					want[m.channel]++
				}
			}
			for ch, g := range got {
				if g != want[ch] {
					t.Errorf("%s: #%s: %v messages in 7 days, the export has %v", at.Format(time.DateOnly), ch, g, want[ch])
				}
			}
			if len(got) == 0 {
				t.Errorf("%s: no Slack series", at.Format(time.DateOnly))
			}
		}
	})

	t.Run("weekly wiki views equal the views export's", func(t *testing.T) {
		views := promtest.ReadCSV(t, filepath.Join(demo, "wiki_views.csv"))
		created := map[string]time.Time{}
		for _, p := range promtest.ReadCSV(t, filepath.Join(demo, "wiki_pages.csv")) {
			c, err := time.Parse(time.RFC3339, p["created"])
			if err != nil {
				t.Fatal(err)
			}
			created[p["space"]+"/"+p["page"]] = c
		}
		for _, daysAgo := range []int{0, 30, 90} {
			at := demoNow.Add(-time.Duration(daysAgo) * 24 * time.Hour)
			got := query(t, prom, `sum(sre_confluence_page_views_in_window{window="7d"})`, at)
			// Whole UTC days from the one the window starts on (the
			// analytics API's days) up to at.
			from := at.Add(-7 * 24 * time.Hour).Truncate(24 * time.Hour)
			want := 0.0
			for _, r := range views {
				d, err := time.Parse(time.DateOnly, r["date"])
				if err != nil {
					t.Fatal(err)
				}
				// A page created after at does not exist yet.
				if !d.Before(from) && !d.After(at) && !created[r["space"]+"/"+r["page"]].After(at) {
					v, _ := strconv.Atoi(r["views"])
					want += float64(v)
				}
			}
			if got[""] != want || want == 0 {
				t.Errorf("%s: %v wiki views in 7 days, the export has %v", at.Format(time.DateOnly), got[""], want)
			}
		}
	})

	t.Run("a live scrape after the backfill continues every counter", func(t *testing.T) {
		now := time.Now()
		// Compared at the last backfilled instant and now (the live
		// exporter's clock stands at that instant).
		names := map[string]bool{}
		for _, expr := range []string{
			`{__name__=~"sre_.*_total", __name__!~"sre_collector_.*", job="sre"}`,
			`{__name__=~"sre_incident_time_to_(resolve|acknowledge)_seconds_(bucket|sum|count)", job="sre"}`,
		} {
			past := queryKeyed(t, prom, expr, demoNow)
			live := queryKeyed(t, prom, expr, now)
			if len(live) == 0 || len(past) != len(live) {
				t.Errorf("%s: %d series at the backfill's end, %d live", expr, len(past), len(live))
			}
			for k, v := range live {
				var m map[string]string
				_ = json.Unmarshal([]byte(k), &m)
				names[m["__name__"]] = true
				if p, ok := past[k]; !ok || p != v {
					t.Errorf("%s: backfill ends at %v, live is %v", k, p, v)
				}
			}
		}
		span := fmt.Sprintf("%ds", int(now.Sub(demoNow.Add(-30*24*time.Hour)).Seconds()))
		for name := range names {
			resets := query(t, prom, `sum(resets(`+name+`{job="sre"}[`+span+`]))`, now)
			if resets[""] != 0 {
				t.Errorf("%s: %v counter resets over the history and the live scrapes", name, resets[""])
			}
		}
	})

	t.Run("recording rules have history", func(t *testing.T) {
		got := query(t, prom, `team:sre_incidents_opened_in_window:sum{window="30d"}`, demoNow.Add(-150*24*time.Hour))
		if len(got) == 0 {
			t.Error("no recording-rule series 150 days back")
		}
	})
}

type promSample struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

func promQuery(addr, expr string, at time.Time) ([]promSample, error) {
	u := "http://" + addr + "/api/v1/query?query=" + url.QueryEscape(expr) + "&time=" + strconv.FormatInt(at.Unix(), 10)
	resp, err := http.Get(u)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []promSample `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, err
	}
	if body.Status != "success" {
		return nil, fmt.Errorf("prometheus: %s", body.Error)
	}
	return body.Data.Result, nil
}

// query returns the values by team, channel or nothing (the first label
// of the result, "" for a single series).
func query(t *testing.T, addr, expr string, at time.Time) map[string]float64 {
	t.Helper()
	res, err := promQuery(addr, expr, at)
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	out := map[string]float64{}
	for _, s := range res {
		key := s.Metric["team"]
		if key == "" {
			key = s.Metric["channel"]
		}
		str, _ := s.Value[1].(string)
		v, _ := strconv.ParseFloat(str, 64)
		out[key] = v
	}
	return out
}

// queryKeyed returns the values keyed by the full label set.
func queryKeyed(t *testing.T, addr, expr string, at time.Time) map[string]float64 {
	t.Helper()
	res, err := promQuery(addr, expr, at)
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	out := map[string]float64{}
	for _, s := range res {
		b, _ := json.Marshal(s.Metric) // sorted keys
		str, _ := s.Value[1].(string)
		v, _ := strconv.ParseFloat(str, 64)
		out[string(b)] = v
	}
	return out
}

type demoIncident struct {
	team             string
	opened, resolved time.Time
}

func readIncidents(t *testing.T, path string) []demoIncident {
	t.Helper()
	var out []demoIncident
	for _, r := range promtest.ReadCSV(t, path) {
		opened, err := time.Parse(time.RFC3339, r["opened"])
		if err != nil {
			t.Fatal(err)
		}
		inc := demoIncident{team: r["team"], opened: opened}
		if r["resolved"] != "" {
			if inc.resolved, err = time.Parse(time.RFC3339, r["resolved"]); err != nil {
				t.Fatal(err)
			}
		}
		out = append(out, inc)
	}
	return out
}

type slackMessage struct {
	channel string
	at      time.Time
}

// readSlackMessages reads the export's top-level messages that are not
// system messages (joins), as sre_slack_messages_in_window counts them.
func readSlackMessages(t *testing.T, dir string) []slackMessage {
	t.Helper()
	var out []slackMessage
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var msgs []struct {
			TS       string `json:"ts"`
			ThreadTS string `json:"thread_ts"`
			Subtype  string `json:"subtype"`
		}
		if err := json.Unmarshal(data, &msgs); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, m := range msgs {
			if (m.ThreadTS != "" && m.ThreadTS != m.TS) || m.Subtype == "channel_join" {
				continue
			}
			sec, err := strconv.ParseFloat(m.TS, 64)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, slackMessage{channel: filepath.Base(filepath.Dir(f)), at: time.Unix(int64(sec), 0)})
		}
	}
	if len(out) == 0 {
		t.Fatal("no Slack messages in the demo export")
	}
	return out
}
