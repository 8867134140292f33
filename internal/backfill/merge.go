package backfill

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"

	"github.com/prometheus/prometheus/tsdb"
)

// blockMeta is the part of a block's meta.json that says its time range.
type blockMeta struct {
	MinTime int64 `json:"minTime"`
	MaxTime int64 `json:"maxTime"`
}

// mergeOverlapping merges the blocks of dir that cover the same time range
// (the data's and the recording rules' of each range) into one, as
// Prometheus's vertical compaction would, so the output has no overlapping
// blocks and Prometheus has nothing to warn about when it loads them. It
// returns how many blocks dir holds afterwards.
func mergeOverlapping(ctx context.Context, dir string, blockDuration int64, logger *slog.Logger) (int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("backfill: %w", err)
	}
	groups := map[blockMeta][]string{}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name(), "meta.json"))
		if err != nil {
			continue // not a block (the wal folder, a chunks_head)
		}
		var m blockMeta
		if err := json.Unmarshal(data, &m); err != nil {
			return 0, fmt.Errorf("backfill: block %s: %w", e.Name(), err)
		}
		groups[m] = append(groups[m], filepath.Join(dir, e.Name()))
	}
	compactor, err := tsdb.NewLeveledCompactor(ctx, nil, logger, []int64{blockDuration}, nil, nil)
	if err != nil {
		return 0, fmt.Errorf("backfill: %w", err)
	}
	ranges := make([]blockMeta, 0, len(groups))
	for m := range groups {
		ranges = append(ranges, m)
	}
	sort.Slice(ranges, func(i, j int) bool { return ranges[i].MinTime < ranges[j].MinTime })
	blocks := 0
	for _, m := range ranges {
		dirs := groups[m]
		if len(dirs) == 1 {
			blocks++
			continue
		}
		sort.Strings(dirs)
		ids, err := compactor.Compact(dir, dirs, nil)
		if err != nil {
			return 0, fmt.Errorf("backfill: merging the blocks of %d..%d: %w", m.MinTime, m.MaxTime, err)
		}
		for _, d := range dirs {
			if err := os.RemoveAll(d); err != nil {
				return 0, fmt.Errorf("backfill: %w", err)
			}
		}
		blocks += len(ids)
	}
	return blocks, nil
}
