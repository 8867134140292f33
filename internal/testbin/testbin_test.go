package testbin

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder stands in for a *testing.T so Find's skips and failures can be
// inspected instead of ending the test.
type recorder struct {
	testing.TB
	fatal, skip string
}

func (r *recorder) Helper()                        {}
func (r *recorder) Fatal(args ...any)              { r.fatal = fmt.Sprint(args...) }
func (r *recorder) Fatalf(format string, a ...any) { r.fatal = fmt.Sprintf(format, a...) }
func (r *recorder) Skip(args ...any)               { r.skip = fmt.Sprint(args...) }

// module makes a module with a nested package folder and returns both.
func module(t *testing.T) (root, pkg string) {
	root = t.TempDir()
	pkg = filepath.Join(root, "internal", "thing")
	if err := os.MkdirAll(pkg, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module example.com/m\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return root, pkg
}

func writeFile(t *testing.T, path string, mode os.FileMode) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"), mode); err != nil {
		t.Fatal(err)
	}
}

func TestFind(t *testing.T) {
	tests := []struct {
		name string
		// setup prepares the module and returns the value of the
		// environment variable ("" for unset).
		setup     func(t *testing.T, root string) string
		ci        bool
		wantPath  string // relative to the module root
		wantFatal string
		wantSkip  string
	}{
		{
			name: "an environment variable naming an executable wins over bin/",
			setup: func(t *testing.T, root string) string {
				writeFile(t, filepath.Join(root, "bin", "promtool"), 0o755)
				writeFile(t, filepath.Join(root, "elsewhere", "promtool"), 0o755)
				return filepath.Join(root, "elsewhere", "promtool")
			},
			wantPath: "elsewhere/promtool",
		},
		{
			name: "an environment variable naming a missing file fails the test even outside CI",
			setup: func(t *testing.T, root string) string {
				return filepath.Join(root, "nowhere", "promtool")
			},
			wantFatal: "PROMTOOL_BIN=",
		},
		{
			name: "without the variable, bin/ at the module root is found from a package folder",
			setup: func(t *testing.T, root string) string {
				writeFile(t, filepath.Join(root, "bin", "promtool"), 0o755)
				return ""
			},
			wantPath: "bin/promtool",
		},
		{
			name:     "a missing bin/promtool skips the test locally and says how to build it",
			setup:    func(t *testing.T, root string) string { return "" },
			wantSkip: "no such file; run `make tools`",
		},
		{
			name:      "a missing bin/promtool fails the test in CI",
			setup:     func(t *testing.T, root string) string { return "" },
			ci:        true,
			wantFatal: "no such file; run `make tools`",
		},
		{
			name: "a promtool that is not executable is refused",
			setup: func(t *testing.T, root string) string {
				writeFile(t, filepath.Join(root, "bin", "promtool"), 0o644)
				return ""
			},
			wantSkip: "not executable",
		},
		{
			name: "a folder named like the binary is refused",
			setup: func(t *testing.T, root string) string {
				if err := os.MkdirAll(filepath.Join(root, "bin", "promtool"), 0o755); err != nil {
					t.Fatal(err)
				}
				return ""
			},
			wantSkip: "is a folder",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root, pkg := module(t)
			t.Setenv(PromtoolEnv, tt.setup(t, root))
			t.Setenv("CI", map[bool]string{true: "true", false: ""}[tt.ci])
			t.Chdir(pkg)

			r := &recorder{TB: t}
			got := Find(r, "promtool", PromtoolEnv)

			if tt.wantPath != "" && got != filepath.Join(root, tt.wantPath) {
				t.Errorf("path = %q, want %q", got, filepath.Join(root, tt.wantPath))
			}
			if !contains(r.fatal, tt.wantFatal) {
				t.Errorf("fatal = %q, want it to contain %q", r.fatal, tt.wantFatal)
			}
			if !contains(r.skip, tt.wantSkip) {
				t.Errorf("skip = %q, want it to contain %q", r.skip, tt.wantSkip)
			}
		})
	}
}

// contains treats an empty want as "nothing expected".
func contains(got, want string) bool {
	if want == "" {
		return got == ""
	}
	return strings.Contains(got, want)
}

func TestModuleRootOutsideAModuleIsAnError(t *testing.T) {
	_, err := moduleRoot(t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "no go.mod in") {
		t.Errorf("err = %v, want one saying no go.mod was found", err)
	}
}
