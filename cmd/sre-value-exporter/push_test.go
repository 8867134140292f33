package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sre-value/sre-value-exporter/internal/bundle/push/pushtest"
)

func TestPushCreatesThenChangesNothingAndRefusesBadFlags(t *testing.T) {
	const token = "glsa_cmdPushToken_0123456789"
	g := pushtest.New(token)
	defer g.Close()
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"push", "--config.file", "../../examples/demo/config.yml", "--grafana.url", g.URL, "--grafana.token-file", tokenFile}
	var stdout, stderr bytes.Buffer
	if code := run(args, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), " 0 refused, 0 failed") {
		t.Fatalf("first push: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	writes := g.Writes()
	stdout.Reset()
	if code := run(args, &stdout, &stderr); code != 0 || g.Writes() != writes || !strings.Contains(stdout.String(), "0 created, 0 updated") {
		t.Fatalf("second push: exit %d, %d writes\n%s", code, g.Writes()-writes, stdout.String())
	}
	if strings.Contains(stdout.String()+stderr.String(), token) {
		t.Fatal("token printed")
	}
	if code := run([]string{"push", "--config.file", "x", "--grafana.url", "nope", "--grafana.token-file", tokenFile}, &stdout, &stderr); code != 2 {
		t.Errorf("bad URL: exit %d", code)
	}
}
