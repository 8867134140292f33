package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alecthomas/kingpin/v2"
	batchv1 "k8s.io/api/batch/v1"
	"sigs.k8s.io/yaml"

	"github.com/sre-value/sre-value-exporter/internal/bundle/provisioning"
)

// emptyPrometheus answers every query with no series, as a Prometheus
// that scrapes nothing yet.
func emptyPrometheus(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/v1/query":
			fmt.Fprint(w, `{"status":"success","data":{"resultType":"vector","result":[]}}`)
		case "/api/v1/query_range":
			fmt.Fprint(w, `{"status":"success","data":{"resultType":"matrix","result":[]}}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestReportWritesMarkdownWithItsChartsAndJSON(t *testing.T) {
	prom := emptyPrometheus(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "october.md")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"report", "--prometheus.url", prom.URL, "--period", "month", "--at", "2026-10", "--out", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	md, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(md), "# SRE value report: October 2026\n") || !strings.Contains(string(md), "](october-charts/reliability-mttr.png)") {
		t.Errorf("markdown:\n%s", md)
	}
	if _, err := os.Stat(filepath.Join(dir, "october-charts", "reliability-mttr.png")); err != nil {
		t.Errorf("chart not written: %v", err)
	}

	stdout.Reset()
	if code := run([]string{"report", "--prometheus.url", prom.URL, "--period", "quarter", "--at", "2026-Q3", "--format", "json"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var r struct {
		Period   struct{ Label string }
		Sections []struct {
			ID     string `json:"id"`
			NoData string `json:"no_data"`
		}
	}
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if r.Period.Label != "Q3 2026" || len(r.Sections) == 0 || !strings.HasPrefix(r.Sections[0].NoData, "No data for this section") {
		t.Errorf("report %+v", r)
	}
}

func TestReportRefusesBadFlagsWithExitCode2(t *testing.T) {
	prom := emptyPrometheus(t)
	t.Setenv("SLACK_TOKEN", "")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--period", "year"}, "enum value must be one of"},
		{[]string{"--at", "October"}, `--at "October": a month period wants YYYY-MM`},
		{[]string{"--slack.channel", "#sre-updates"}, "--slack.token-file: no token: set SLACK_TOKEN"},
		{[]string{"--confluence.space", "SRE", "--confluence.token-file", "/nonexistent/token"}, "--confluence.token-file: cannot read secret file"},
	} {
		var stdout, stderr bytes.Buffer
		args := append([]string{"report", "--prometheus.url", prom.URL}, c.args...)
		if code := run(args, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%v: exit %d, %s; want 2 and %q", c.args, code, stderr.String(), c.want)
		}
	}
}

// TestTheReportCronJobsArgumentsAreTheCommandsFlags parses the generated
// CronJob's arguments with the report command.
func TestTheReportCronJobsArgumentsAreTheCommandsFlags(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", provisioning.ReportCronJobFile))
	if err != nil {
		t.Fatal(err)
	}
	var cj batchv1.CronJob
	if err := yaml.Unmarshal(data, &cj); err != nil {
		t.Fatal(err)
	}
	app := kingpin.New("test", "")
	reportCommand(app)
	if _, err := app.Parse(cj.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Args); err != nil {
		t.Errorf("the CronJob's arguments do not parse: %v", err)
	}
}
