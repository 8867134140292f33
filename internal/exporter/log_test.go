package exporter

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/promslog"

	"github.com/sre-value/sre-value-exporter/internal/store"
	"path/filepath"
)

// TestLogLinesKeepTheirKeysUnderPromslog runs the demo with the production
// logger at debug level: promslog renames a "source" attribute to
// "logged_source" (it reserves "source" for the caller), and a collector
// logger labelled twice repeats collector= on every line.
func TestLogLinesKeepTheirKeysUnderPromslog(t *testing.T) {
	var logs bytes.Buffer
	level := promslog.NewLevel()
	if err := level.Set("debug"); err != nil {
		t.Fatal(err)
	}
	logger := promslog.New(&promslog.Config{Level: level, Writer: &logs})
	st, err := store.Open(filepath.Join(t.TempDir(), "demo.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	exp := New(Options{ConfigFile: demoCopy(t), Logger: logger, Now: func() time.Time { return demoNow }}, st)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := exp.Start(ctx); err != nil {
		t.Fatal(err)
	}
	exp.Scheduler.RefreshNow(ctx)
	exp.Scheduler.Stop()

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	collectorLines := 0
	for _, line := range lines {
		if strings.Contains(line, "logged_source=") {
			t.Errorf("a source attribute was renamed by promslog: %s", line)
		}
		switch n := strings.Count(line, " collector="); {
		case n > 1:
			t.Errorf("collector= appears %d times: %s", n, line)
		case n == 1:
			collectorLines++
		}
	}
	if collectorLines == 0 {
		t.Fatalf("no collector log lines to check:\n%s", logs.String())
	}
}
