package incidentsheet

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/incident"
	"github.com/sre-value/sre-value-exporter/internal/store"
)

func storedIncidents(t *testing.T, e *env, c *Collector) []string {
	t.Helper()
	var ids []string
	err := e.st.View(c.deps.StoreKey(), func(tx *store.Tx) error {
		return incident.ForEach(tx, func(inc incident.Incident) error {
			ids = append(ids, inc.ID)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestADateOutsideYearsZeroTo9999SkipsOnlyItsRow(t *testing.T) {
	tests := []struct {
		name, opened, wantNote string
	}{
		{"a time zone that moves year 9999 into 10000", "9999-12-31T23:00:00-05:00",
			`skipped row incidents.csv:3: column "opened": "9999-12-31T23:00:00-05:00" is in the year 10000 in UTC; dates must be in the years 0 to 9999`},
		{"a time zone that moves year 0 into year -1", "0000-01-01T00:00:00+01:00",
			`skipped row incidents.csv:3: column "opened": "0000-01-01T00:00:00+01:00" is in the year -1 in UTC; dates must be in the years 0 to 9999`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "incidents.csv"), header+
				"A-1,sev1,checkout-api,2025-06-29T10:00:00Z,\n"+
				"A-2,sev2,checkout-api,"+tt.opened+",\n"+
				"A-3,sev3,search-api,2025-06-29T11:00:00Z,\n")
			e := newEnv(t, dir, "source: incidents.csv")
			c := e.collector()
			e.sync(c)
			if got := strings.Join(storedIncidents(t, e, c), " "); got != "A-1 A-3" {
				t.Errorf("stored incidents = %q, want A-1 A-3", got)
			}
			compare(t, snap(t, c), helpInvalidRows+"sre_incidentsheet_invalid_rows 1\n", "sre_incidentsheet_invalid_rows")
			if got := c.Notes(); len(got) != 1 || got[0] != tt.wantNote {
				t.Errorf("notes = %q\nwant %q", got, tt.wantNote)
			}
		})
	}
}

func TestAnOversizedCellOrHeaderIsQuotedCut(t *testing.T) {
	dir := t.TempDir()
	big := strings.Repeat("x", 70_000)
	writeFile(t, filepath.Join(dir, "incidents.csv"), header+
		"A-1,sev1,checkout-api,2025-06-29T10:00:00Z,\n"+
		"A-2,sev2,"+big+",2025-06-29T10:00:00Z,\n")
	e := newEnv(t, dir, "source: incidents.csv")
	c := e.collector()
	e.sync(c)
	want := `skipped row incidents.csv:3: column "service": "` + strings.Repeat("x", 64) + `"…(70000 bytes) is more than the limit of 4096 bytes per cell`
	if got := c.Notes(); len(got) != 1 || got[0] != want {
		t.Errorf("notes = %q\nwant %q", got, want)
	}
	if strings.Contains(e.logs.String(), strings.Repeat("x", 65)) {
		t.Error("the log quotes the oversized cell whole")
	}

	// A header of a million columns fails the read, briefly, and keeps A-1.
	writeFile(t, filepath.Join(dir, "incidents.csv"), strings.Repeat("h,", 1_000_000)+"h\n")
	err := c.Sync(context.Background())
	wantErr := "incidentsheet ops: incidents.csv:1: the header has 1000001 columns, more than the limit of 1000"
	if err == nil || err.Error() != wantErr {
		t.Fatalf("error = %.300v\nwant    %s", err, wantErr)
	}
	if got := strings.Join(storedIncidents(t, e, c), " "); got != "A-1" {
		t.Errorf("stored incidents = %q, want A-1", got)
	}
}

func TestASheetOverMaxRowsFailsNamingTheFileAndKeepsTheLastData(t *testing.T) {
	dir := t.TempDir()
	rows := "A-1,sev1,checkout-api,2025-06-29T10:00:00Z,\nA-2,sev2,checkout-api,2025-06-29T10:00:00Z,\n"
	writeFile(t, filepath.Join(dir, "incidents.csv"), header+rows)
	e := newEnv(t, dir, "source: incidents.csv\nmax_rows: 2")
	c := e.collector()
	e.sync(c)
	writeFile(t, filepath.Join(dir, "incidents.csv"), header+"A-3,sev3,search-api,2025-06-29T10:00:00Z,\n"+rows)
	err := c.Sync(context.Background())
	wantErr := "incidentsheet ops: incidents.csv:4: the table has more than 2 data rows, the limit (max_rows)"
	if err == nil || err.Error() != wantErr {
		t.Fatalf("error = %v\nwant    %s", err, wantErr)
	}
	if r := collectors.Reason(err); r != collectors.ReasonInvalidData {
		t.Errorf("reason = %s", r)
	}
	if got := strings.Join(storedIncidents(t, e, c), " "); got != "A-1 A-2" {
		t.Errorf("stored incidents = %q, want the last good A-1 A-2", got)
	}
}

func TestASyncThatRunsOutOfTimeFailsWithATimeoutAndKeepsTheLastData(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "incidents.csv"), header+"A-1,sev1,checkout-api,2025-06-29T10:00:00Z,\n")
	e := newEnv(t, dir, "source: incidents.csv")
	c := e.collector()
	e.sync(c)
	writeFile(t, filepath.Join(dir, "incidents.csv"), header+"A-2,sev1,checkout-api,2025-06-29T10:00:00Z,\n")
	ctx, cancel := context.WithTimeout(context.Background(), 0)
	defer cancel()
	err := c.Sync(ctx)
	if err == nil || collectors.Reason(err) != collectors.ReasonTimeout {
		t.Fatalf("error = %v (reason %s), want a timeout", err, collectors.Reason(err))
	}
	if got := strings.Join(storedIncidents(t, e, c), " "); got != "A-1" {
		t.Errorf("stored incidents = %q, want the last good A-1", got)
	}
}

// expiringContext runs out of time once expired says so; it stands for a
// refresh timeout that strikes between two batches.
type expiringContext struct {
	context.Context
	expired func() bool
}

func (c expiringContext) Err() error {
	if c.expired() {
		return context.DeadlineExceeded
	}
	return nil
}

func TestATimeoutBetweenBatchesKeepsWrittenIncidentsAndDeletesNothing(t *testing.T) {
	defer func(n int) { batchRows = n }(batchRows)
	batchRows = 1
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "incidents.csv"), header+"A-1,sev1,checkout-api,2025-06-29T10:00:00Z,\n")
	e := newEnv(t, dir, "source: incidents.csv")
	c := e.collector()
	e.sync(c)
	writeFile(t, filepath.Join(dir, "incidents.csv"), header+
		"B-1,sev1,checkout-api,2025-06-29T10:00:00Z,\n"+
		"B-2,sev2,checkout-api,2025-06-29T10:00:00Z,\n"+
		"B-3,sev3,search-api,2025-06-29T10:00:00Z,\n")
	ctx := expiringContext{Context: context.Background(), expired: func() bool {
		return strings.Contains(strings.Join(storedIncidents(t, e, c), " "), "B-1")
	}}
	err := c.Sync(ctx)
	want := "incidentsheet ops: incidents.csv: stopped writing incidents: context deadline exceeded"
	if err == nil || err.Error() != want || collectors.Reason(err) != collectors.ReasonTimeout {
		t.Fatalf("error = %v (reason %s)\nwant    %s (timeout)", err, collectors.Reason(err), want)
	}
	if got := strings.Join(storedIncidents(t, e, c), " "); got != "A-1 B-1" {
		t.Errorf("stored incidents after the timeout = %q, want A-1 (not deleted) and B-1 (its batch committed)", got)
	}
	e.sync(c)
	if got := strings.Join(storedIncidents(t, e, c), " "); got != "B-1 B-2 B-3" {
		t.Errorf("stored incidents after the next refresh = %q, want B-1 B-2 B-3", got)
	}
}

func TestBatchesGiveTheSameMetricsAsOneTransaction(t *testing.T) {
	run := func(batch int) string {
		defer func(n int) { batchRows = n }(batchRows)
		batchRows = batch
		e := newEnv(t, "testdata", "source: invalid.csv")
		c := e.collector()
		e.sync(c)
		return text(t, snap(t, c))
	}
	one, batched := run(100_000), run(1)
	if one != batched {
		t.Errorf("metrics differ:\none transaction\n%s\nbatches of 1\n%s", one, batched)
	}
}
