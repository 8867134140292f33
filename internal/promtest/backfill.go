package promtest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/backfill"
	"github.com/sre-value/sre-value-exporter/internal/store"
)

// The backfill the demo Prometheus gets with Options.Backfill: what
// `sre-value-exporter backfill --since 180d --step 1h --skip-recent 0`
// writes for a Prometheus that has not started yet (docs/backfill.md).
const (
	BackfillSince = 180 * 24 * time.Hour
	BackfillStep  = time.Hour
	// BackfillInstance is the instance label of the history and of the
	// live scrape (set in the scrape config), so they are one series
	// whatever port the test's exporter listens on.
	BackfillInstance = "sre-value-exporter:9877"
	backfillBlock    = 7 * 24 * time.Hour
	// The flags docs/backfill.md asks for: retention above the history,
	// and instant queries anywhere in it see the hourly samples.
	backfillRetention = "200d"
	backfillLookback  = "1h"
	// A holder that has not touched its lock for this long has died.
	staleLock = 90 * time.Second
)

// backfillBlocks returns a directory of the demo's backfilled blocks (and
// the backfill's result) for ruleFiles, from a cache under os.TempDir()
// shared by the test binaries of a `go test ./...` run: a backfill takes
// a minute and a half. The cache key hashes everything the blocks depend
// on (the demo files, the rule files, every non-test Go file of the
// module, go.mod/go.sum, the Go version and the options), so a stale entry
// is never read; an entry is written to a temporary directory and renamed
// into place, and a lock directory makes concurrent binaries wait for the
// one that is writing rather than backfill twice.
func backfillBlocks(t testing.TB, root, config string, ruleFiles []string) (string, *backfill.Result) {
	t.Helper()
	key, err := backfillKey(root, ruleFiles)
	if err != nil {
		t.Fatalf("backfill cache key: %v", err)
	}
	cacheRoot := filepath.Join(os.TempDir(), "sre-value-backfill-cache")
	if err := os.MkdirAll(cacheRoot, 0o755); err != nil {
		t.Fatal(err)
	}
	entry := filepath.Join(cacheRoot, key)
	lock := entry + ".lock"
	deadline := time.Now().Add(20 * time.Minute)
	for {
		if res, err := readResult(entry); err == nil {
			return filepath.Join(entry, "blocks"), res
		}
		if err := os.Mkdir(lock, 0o755); err == nil {
			break
		}
		// Another binary is backfilling: wait for its entry, or take
		// over its lock once it stopped touching it.
		if fi, err := os.Stat(lock); err == nil && time.Since(fi.ModTime()) > staleLock {
			_ = os.Remove(lock)
			continue
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited 20 minutes for the backfill cache %s", entry)
		}
		time.Sleep(time.Second)
	}
	defer os.Remove(lock)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		tick := time.NewTicker(10 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case now := <-tick.C:
				_ = os.Chtimes(lock, now, now)
			}
		}
	}()
	// Entry written by the binary that held the lock before us.
	if res, err := readResult(entry); err == nil {
		return filepath.Join(entry, "blocks"), res
	}
	pruneCache(cacheRoot, key)

	tmp, err := os.MkdirTemp(cacheRoot, key+".tmp-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp) // gone after the rename, unless something failed
	st, err := store.Open(filepath.Join(tmp, "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	var abs []string
	for _, f := range ruleFiles {
		abs = append(abs, filepath.Join(root, filepath.FromSlash(f)))
	}
	started := time.Now()
	res, err := backfill.Run(context.Background(), backfill.Options{
		ConfigFile: config, Store: st, Sync: true,
		End: DemoNow, SkipRecent: 0, Since: BackfillSince, Step: BackfillStep, BlockDuration: backfillBlock,
		TSDBDir: filepath.Join(tmp, "blocks"), RuleFiles: abs,
		Labels: map[string]string{"job": Job, "instance": BackfillInstance},
		Logger: slog.New(slog.DiscardHandler),
	})
	st.Close()
	if err != nil {
		t.Fatalf("backfilling the demo: %v", err)
	}
	t.Logf("backfilled the demo in %s: %d series, %d samples, %d blocks (cached in %s)", time.Since(started).Round(time.Second), res.Series, res.Samples, res.Blocks, entry)
	if err := os.Remove(filepath.Join(tmp, "store.db")); err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	// result.json last: an entry without it is incomplete.
	if err := os.WriteFile(filepath.Join(tmp, "result.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, entry); err != nil {
		t.Fatalf("backfill cache: %v", err)
	}
	return filepath.Join(entry, "blocks"), res
}

func readResult(entry string) (*backfill.Result, error) {
	data, err := os.ReadFile(filepath.Join(entry, "result.json"))
	if err != nil {
		return nil, err
	}
	var res backfill.Result
	if err := json.Unmarshal(data, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// pruneCache removes the entries of other keys (older code or demo) a day
// after they were written, and temporary directories of crashed runs.
func pruneCache(cacheRoot, key string) {
	entries, err := os.ReadDir(cacheRoot)
	if err != nil {
		return
	}
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil || strings.HasPrefix(e.Name(), key) || time.Since(fi.ModTime()) < 24*time.Hour {
			continue
		}
		_ = os.RemoveAll(filepath.Join(cacheRoot, e.Name()))
	}
}

// backfillKey hashes what the backfilled blocks depend on.
func backfillKey(root string, ruleFiles []string) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "go %s\nend %s since %s step %s block %s job %s instance %s\n", runtime.Version(),
		DemoNow.Format(time.RFC3339), BackfillSince, BackfillStep, backfillBlock, Job, BackfillInstance)
	var files []string
	// The code: every non-test Go file of the module (the collectors,
	// the store, the catalog, backfill itself).
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "bin", "data", "node_modules", ".generated":
				return filepath.SkipDir
			}
			return nil
		}
		if (strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go")) || path == filepath.Join(root, "go.mod") || path == filepath.Join(root, "go.sum") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	// The data: the demo's files.
	demo := filepath.Join(root, "examples", "demo")
	err = filepath.WalkDir(demo, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		return "", err
	}
	for _, f := range ruleFiles {
		files = append(files, filepath.Join(root, filepath.FromSlash(f)))
	}
	sort.Strings(files[:len(files)-len(ruleFiles)])
	for _, f := range files {
		if err := hashFile(h, root, f); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:24], nil
}

func hashFile(h io.Writer, root, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	rel, _ := filepath.Rel(root, path)
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	fmt.Fprintf(h, "%s %d\n", filepath.ToSlash(rel), fi.Size())
	_, err = io.Copy(h, f)
	return err
}

// copyTree copies a folder: the demo into a test's own folder, the cached
// blocks into a Prometheus data directory of its own (Prometheus compacts,
// and deletes, the blocks it is given).
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(to)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return errors.Join(out.Close())
	})
}
