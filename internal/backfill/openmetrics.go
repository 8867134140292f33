package backfill

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/tsdb"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
)

// writeOpenMetrics dumps the blocks in dir as an OpenMetrics file that
// `promtool tsdb create-blocks-from openmetrics` reads: series in label
// order (so a name's series are together), each with its samples in time
// order and timestamps in seconds. No TYPE lines: the series keep their
// stored names (_total, _bucket with normalised le) as they are.
func writeOpenMetrics(dir, file string, logger *slog.Logger) (err error) {
	sandbox, err := os.MkdirTemp("", "sre-backfill-om-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(sandbox)
	cleanup, err := withWAL(dir)
	if err != nil {
		return fmt.Errorf("backfill: %w", err)
	}
	defer cleanup()
	db, err := tsdb.OpenDBReadOnly(dir, sandbox, logger)
	if err != nil {
		return fmt.Errorf("backfill: %w", err)
	}
	defer db.Close()
	q, err := db.Querier(math.MinInt64, math.MaxInt64)
	if err != nil {
		return fmt.Errorf("backfill: %w", err)
	}
	defer q.Close()
	f, err := os.Create(file)
	if err != nil {
		return fmt.Errorf("backfill: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)
	set := q.Select(context.Background(), true, nil, labels.MustNewMatcher(labels.MatchRegexp, model.MetricNameLabel, ".+"))
	var it chunkenc.Iterator
	var line strings.Builder
	for set.Next() {
		s := set.At()
		line.Reset()
		lset := s.Labels()
		line.WriteString(lset.Get(model.MetricNameLabel))
		line.WriteByte('{')
		n := 0
		lset.Range(func(l labels.Label) {
			if l.Name == model.MetricNameLabel {
				return
			}
			if n > 0 {
				line.WriteByte(',')
			}
			n++
			line.WriteString(l.Name)
			line.WriteString(`="`)
			line.WriteString(escapeLabelValue(l.Value))
			line.WriteByte('"')
		})
		line.WriteString("} ")
		prefix := line.String()
		it = s.Iterator(it)
		for it.Next() == chunkenc.ValFloat {
			t, v := it.At()
			fmt.Fprintf(w, "%s%s %s\n", prefix, formatValue(v), strconv.FormatFloat(float64(t)/1000, 'f', -1, 64))
		}
		if err := it.Err(); err != nil {
			return fmt.Errorf("backfill: %s: %w", lset, err)
		}
	}
	if err := set.Err(); err != nil {
		return fmt.Errorf("backfill: %w", err)
	}
	fmt.Fprintln(w, "# EOF")
	return w.Flush()
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)

func escapeLabelValue(v string) string { return labelEscaper.Replace(v) }

func formatValue(v float64) string {
	switch {
	case math.IsInf(v, +1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// withWAL gives a folder of blocks the empty write-ahead log a read-only
// TSDB insists on reading, and returns what removes it again, so the
// output holds only the blocks.
func withWAL(dir string) (func(), error) {
	wal := filepath.Join(dir, "wal")
	if _, err := os.Stat(wal); err == nil {
		return func() {}, nil
	}
	if err := os.MkdirAll(wal, 0o755); err != nil {
		return nil, err
	}
	return func() { _ = os.RemoveAll(wal) }, nil
}
