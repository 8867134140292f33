package promtest

import (
	"encoding/csv"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var (
	sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$`)
	labelPair  = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)
)

// SumSamples adds the values of the samples of name in the exposition
// text whose labels include every "label=value" given: hand computations
// read the demo's /metrics this way, without PromQL.
func SumSamples(t testing.TB, text, name string, labels ...string) float64 {
	t.Helper()
	var total float64
	for _, line := range strings.Split(text, "\n") {
		match := sampleLine.FindStringSubmatch(line)
		if match == nil || match[1] != name {
			continue
		}
		have := map[string]string{}
		for _, p := range labelPair.FindAllStringSubmatch(match[2], -1) {
			have[p[1]] = p[2]
		}
		ok := true
		for _, l := range labels {
			k, v, _ := strings.Cut(l, "=")
			ok = ok && have[k] == v
		}
		if ok {
			v, err := strconv.ParseFloat(match[3], 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			total += v
		}
	}
	return total
}

// ReadCSV reads a CSV file with a header row into one map per row, for
// hand computations from the demo's tables.
func ReadCSV(t testing.TB, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out []map[string]string
	for _, r := range rows[1:] {
		m := map[string]string{}
		for i, h := range rows[0] {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out
}
