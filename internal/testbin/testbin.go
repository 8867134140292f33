// Package testbin finds the Prometheus binaries and amtool that tests run
// against: the releases pinned in the Makefile and built into bin/ by
// `make tools`. Tests never fall back to whatever promtool or prometheus happens to be on PATH,
// so every run checks against the same Prometheus version.
package testbin

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Environment variables the Makefile sets to the pinned binaries.
const (
	PromtoolEnv   = "PROMTOOL_BIN"
	PrometheusEnv = "PROMETHEUS_BIN"
	AmtoolEnv     = "AMTOOL_BIN"
)

// Promtool returns the path of the pinned promtool. See Find.
func Promtool(t testing.TB) string {
	t.Helper()
	return Find(t, "promtool", PromtoolEnv)
}

// Prometheus returns the path of the pinned prometheus server. See Find.
func Prometheus(t testing.TB) string {
	t.Helper()
	return Find(t, "prometheus", PrometheusEnv)
}

// Amtool returns the path of the pinned Alertmanager amtool. See Find.
func Amtool(t testing.TB) string {
	t.Helper()
	return Find(t, "amtool", AmtoolEnv)
}

// Find returns the binary named by the environment variable envVar or, when
// that is unset, bin/<name> at the module root. A variable that names a
// missing binary fails the test: someone asked for that binary. A missing
// bin/<name> skips the test locally and fails it in CI (CI=true), where
// `make test` should have built it.
func Find(t testing.TB, name, envVar string) string {
	t.Helper()
	if path := os.Getenv(envVar); path != "" {
		if err := checkExecutable(path); err != nil {
			t.Fatalf("%s=%s: %v", envVar, path, err)
		}
		return path
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("finding %s: %v", name, err)
	}
	path, err := inModuleBin(dir, name)
	if err == nil {
		return path
	}
	msg := fmt.Sprintf("%s: %v; run `make tools` to build the pinned Prometheus and Alertmanager tools into bin/, or set %s", name, err, envVar)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	} else {
		t.Skip(msg)
	}
	return ""
}

// inModuleBin returns bin/<name> under the module root that holds dir.
func inModuleBin(dir, name string) (string, error) {
	root, err := moduleRoot(dir)
	if err != nil {
		return "", err
	}
	path := filepath.Join(root, "bin", name)
	if err := checkExecutable(path); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return path, nil
}

// moduleRoot walks up from dir to the first folder with a go.mod.
func moduleRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod in %s or any parent folder", dir)
		}
	}
}

func checkExecutable(path string) error {
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return errors.New("no such file")
	case err != nil:
		return err
	case info.IsDir():
		return errors.New("is a folder, not a binary")
	case info.Mode().Perm()&0o111 == 0:
		return errors.New("not executable")
	}
	return nil
}
