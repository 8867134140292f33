package demo

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// exportFiles lists the files of the Slack export under dir.
func exportFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	root := filepath.Join(dir, SlackExportDir)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		out[filepath.ToSlash(rel)] = data
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCommittedSlackExportEqualsAFreshGeneration(t *testing.T) {
	fresh, committed := exportFiles(t, generate(t)), exportFiles(t, committedDir)
	for name, want := range fresh {
		got, ok := committed[name]
		switch {
		case !ok:
			t.Errorf("examples/demo/%s/%s is missing; run go test ./internal/demo -update", SlackExportDir, name)
		case !bytes.Equal(got, want):
			t.Errorf("examples/demo/%s/%s is stale; run go test ./internal/demo -update", SlackExportDir, name)
		}
	}
	for name := range committed {
		if _, ok := fresh[name]; !ok {
			t.Errorf("examples/demo/%s/%s is not generated any more; run go test ./internal/demo -update", SlackExportDir, name)
		}
	}
}

func TestTheSlackExportHasTheStandardLayout(t *testing.T) {
	files := exportFiles(t, generate(t))
	for _, name := range []string{"channels.json", "groups.json", "users.json", "usergroups.json"} {
		if _, ok := files[name]; !ok {
			t.Errorf("%s missing", name)
		}
	}
	var channels []string
	for name := range files {
		if dir := filepath.Dir(name); dir != "." && !slices.Contains(channels, dir) {
			channels = append(channels, dir)
		}
	}
	slices.Sort(channels)
	want := []string{"incidents", "sre-champions", "sre-help", "sre-updates"}
	if !slices.Equal(channels, want) {
		t.Errorf("channel folders %v, want %v", channels, want)
	}
}
