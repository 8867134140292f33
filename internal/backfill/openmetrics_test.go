package backfill

import (
	"bufio"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/testbin"
)

// The OpenMetrics alternative holds the same samples as the blocks, with
// the recording rules', and promtool turns it into blocks.
func TestTheOpenMetricsFileHoldsEverySampleAndPromtoolReadsIt(t *testing.T) {
	cfg, st, _ := demoInstances(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "history.om")
	res, err := Run(context.Background(), Options{
		ConfigFile: cfg, Store: st, End: demoNow, Since: 2 * 24 * time.Hour, Step: time.Hour,
		BlockDuration:   24 * time.Hour,
		OpenMetricsFile: file,
		RuleFiles:       []string{filepath.Join("..", "..", "alerts", "sre-value.rules.yml")},
		Labels:          map[string]string{"job": "sre-value-exporter", "instance": "localhost:9877"},
		Logger:          slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var samples int64
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	last := ""
	for sc.Scan() {
		last = sc.Text()
		if !strings.HasPrefix(last, "#") && last != "" {
			samples++
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if last != "# EOF" {
		t.Errorf("the file ends with %q, not # EOF", last)
	}
	if samples != res.Samples || res.RuleSamples == 0 {
		t.Errorf("the file has %d samples, the run reports %d (%d from rules)", samples, res.Samples, res.RuleSamples)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(file), "wal")); err == nil {
		t.Error("a wal folder was left beside the output")
	}
	promtool := testbin.Promtool(t)
	out, err := exec.Command(promtool, "tsdb", "create-blocks-from", "openmetrics", file, filepath.Join(dir, "blocks")).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool: %v\n%s", err, out)
	}
}

// The data's and the recording rules' blocks of one time range are merged,
// so Prometheus loads blocks that do not overlap (and warns of nothing).
func TestTheWrittenBlocksDoNotOverlap(t *testing.T) {
	cfg, st, _ := demoInstances(t)
	dir := t.TempDir()
	res, err := Run(context.Background(), Options{
		ConfigFile: cfg, Store: st, End: demoNow, Since: 3 * 24 * time.Hour, Step: time.Hour,
		BlockDuration: 24 * time.Hour,
		TSDBDir:       dir,
		RuleFiles:     []string{filepath.Join("..", "..", "alerts", "sre-value.rules.yml")},
		Logger:        slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var metas []blockMeta
	var samples int64
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name(), "meta.json"))
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		var m struct {
			blockMeta
			Stats struct {
				NumSamples int64 `json:"numSamples"`
			} `json:"stats"`
		}
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		metas = append(metas, m.blockMeta)
		samples += m.Stats.NumSamples
	}
	if len(metas) != res.Blocks {
		t.Errorf("%d blocks in the folder, the run reports %d", len(metas), res.Blocks)
	}
	for i, a := range metas {
		for _, b := range metas[i+1:] {
			if a.MinTime < b.MaxTime && b.MinTime < a.MaxTime {
				t.Errorf("blocks %d..%d and %d..%d overlap", a.MinTime, a.MaxTime, b.MinTime, b.MaxTime)
			}
		}
	}
	if samples != res.Samples || res.RuleSamples == 0 {
		t.Errorf("the blocks hold %d samples, the run reports %d (%d from rules)", samples, res.Samples, res.RuleSamples)
	}
}

// An end off the step's grid gets one more sample, of the data and of the
// recording rules, so the history reaches the live scrape that starts then.
func TestAnEndOffTheGridIsWrittenToo(t *testing.T) {
	cfg, st, _ := demoInstances(t)
	file := filepath.Join(t.TempDir(), "history.om")
	end := demoNow.Add(37 * time.Minute)
	res, err := Run(context.Background(), Options{
		ConfigFile: cfg, Store: st, End: end, Since: 5 * time.Hour, Step: time.Hour,
		BlockDuration:   24 * time.Hour,
		OpenMetricsFile: file,
		RuleFiles:       []string{filepath.Join("..", "..", "alerts", "sre-value.rules.yml")},
		Logger:          slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res.To.Equal(end) || res.Steps != 7 {
		t.Errorf("to %s in %d steps, want %s in 7 (6 on the hour and the end)", res.To, res.Steps, end)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	stamps := map[string]map[string]bool{} // data or rule -> timestamps
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		kind := "data"
		if name, _, _ := strings.Cut(fields[0], "{"); strings.Contains(name, ":") {
			kind = "rule"
		}
		if stamps[kind] == nil {
			stamps[kind] = map[string]bool{}
		}
		stamps[kind][fields[len(fields)-1]] = true
	}
	want := strconv.FormatInt(end.Unix(), 10)
	for _, kind := range []string{"data", "rule"} {
		if !stamps[kind][want] {
			t.Errorf("no %s sample at the end %s (%d instants)", kind, want, len(stamps[kind]))
		}
		if len(stamps[kind]) != 7 {
			t.Errorf("%s samples at %d instants, want 7", kind, len(stamps[kind]))
		}
	}
}
