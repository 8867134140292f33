package backfill

import (
	"bufio"
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
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
