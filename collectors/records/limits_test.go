package records

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/store"
)

const threeEvents = "date,kind,attendees\n2024-03-25,office_hours,10\n2024-03-26,workshop,20\n2024-03-27,meetup,30\n"

func storedIDs(t *testing.T, e *env, c *Collector, tbl *table) []string {
	t.Helper()
	var ids []string
	err := e.store.View(c.deps.StoreKey(), func(tx *store.Tx) error {
		return tx.ForEachRecord(tbl.liveKind(tx), func(id string, _ []byte) error {
			ids = append(ids, id)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(ids)
	return ids
}

func countKind(t *testing.T, e *env, c *Collector, kind string) int {
	t.Helper()
	n := 0
	_ = e.store.View(c.deps.StoreKey(), func(tx *store.Tx) error { n = tx.CountRecords(kind); return nil })
	return n
}

func TestATableOverMaxRowsFailsNamingTheFileAndKeepsTheLastRows(t *testing.T) {
	e := newEnv(t)
	e.write("events.csv", threeEvents)
	c := e.collector(`- {type: events, source: events.csv, max_rows: 3}`)
	e.sync(c)
	e.write("events.csv", threeEvents+"2024-03-28,meetup,40\n")
	err := c.Sync(context.Background())
	want := "table events: events.csv:5: the table has more than 3 data rows, the limit (max_rows)"
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v\nwant    %s", err, want)
	}
	if r := collectors.Reason(err); r != collectors.ReasonInvalidData {
		t.Errorf("reason = %s, want %s", r, collectors.ReasonInvalidData)
	}
	if got := samples(t, snap(t, c), "sre_records_rows"); got != `sre_records_rows{table="events"} 3` {
		t.Errorf("rows after a failed sync = %s", got)
	}
	for _, kind := range c.tables[0].generations() {
		if n := countKind(t, e, c, kind); n != 0 && n != 3 {
			t.Errorf("kind %s holds %d rows, want the 3 good ones or none (the failed read is dropped)", kind, n)
		}
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

func TestARefreshThatRunsOutOfTimeKeepsTheLastRowsAndSaysTimeout(t *testing.T) {
	defer func(n int) { batchRows = n }(batchRows)
	batchRows = 2
	e := newEnv(t)
	e.write("events.csv", threeEvents)
	c := e.collector(`- {type: events, source: events.csv}`)
	e.sync(c)
	e.write("events.csv", threeEvents+strings.Repeat("2024-03-28,meetup,40\n", 7))
	// Time runs out as soon as the new read committed its first batch.
	tbl := c.tables[0]
	var next string
	_ = e.store.View(c.deps.StoreKey(), func(tx *store.Tx) error {
		next = tbl.generations()[0]
		if tbl.liveKind(tx) == next {
			next = tbl.generations()[1]
		}
		return nil
	})
	ctx := expiringContext{Context: context.Background(), expired: func() bool { return countKind(t, e, c, next) >= 2 }}
	err := c.Sync(ctx)
	if err == nil || collectors.Reason(err) != collectors.ReasonTimeout {
		t.Fatalf("error = %v (reason %s), want a timeout", err, collectors.Reason(err))
	}
	if want := "table events: stopped after 2 rows: context deadline exceeded"; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	if got := samples(t, snap(t, c), "sre_records_rows"); got != `sre_records_rows{table="events"} 3` {
		t.Errorf("rows after the timeout = %s, want the last good 3", got)
	}
	// The next refresh with time enough reads it all.
	e.sync(c)
	if got := samples(t, snap(t, c), "sre_records_rows"); got != `sre_records_rows{table="events"} 10` {
		t.Errorf("rows after the next refresh = %s", got)
	}
	if n := countKind(t, e, c, tbl.generations()[0]) + countKind(t, e, c, tbl.generations()[1]); n != 10 {
		t.Errorf("the store holds %d rows in all, want 10 (no leftovers of the failed read)", n)
	}
}

func TestBatchesGiveTheSameRowsAndMetricsAsOneTransaction(t *testing.T) {
	// Rows 2, 3 and 5 share their identifying cells, across batch
	// boundaries when a batch is 2 rows.
	data := "date,kind,title,team,attendees\n" +
		"2024-03-25,office_hours,OH,payments,10\n" +
		"2024-03-25,office_hours,OH,payments,11\n" +
		"2024-03-25,office_hours,OH,payments,12\n" +
		"2024-03-26,workshop,TF,search,5\n" +
		"2024-03-25,office_hours,OH,payments,13\n"
	run := func(batch int) ([]string, string) {
		defer func(n int) { batchRows = n }(batchRows)
		batchRows = batch
		e := newEnv(t)
		e.write("events.csv", data)
		c := e.collector(`- {type: events, source: events.csv}`)
		e.sync(c)
		return storedIDs(t, e, c, c.tables[0]), samples(t, snap(t, c), "sre_event")
	}
	oneIDs, oneSeries := run(100)
	batchedIDs, batchedSeries := run(2)
	if len(oneIDs) != 5 {
		t.Fatalf("%d rows stored, want 5", len(oneIDs))
	}
	if strings.Join(oneIDs, " ") != strings.Join(batchedIDs, " ") {
		t.Errorf("ids differ:\none transaction %q\nbatches of 2   %q", oneIDs, batchedIDs)
	}
	if oneSeries != batchedSeries {
		t.Errorf("series differ:\none transaction\n%s\nbatches of 2\n%s", oneSeries, batchedSeries)
	}
	if !strings.Contains(oneSeries, `sre_events_total{kind="office_hours",team="payments"} 4`) {
		t.Errorf("the four office hours are not counted as 4:\n%s", oneSeries)
	}
}

func TestADateOutsideYearsZeroTo9999IsSkippedAndCounted(t *testing.T) {
	e := newEnv(t)
	e.write("events.csv", "date,kind,attendees\n2024-03-25,office_hours,10\n0000-01-01T00:00:00+01:00,workshop,20\n2024-03-27,meetup,30\n")
	c := e.collector(`- {type: events, source: events.csv}`)
	e.sync(c)
	compare(t, samples(t, snap(t, c), "sre_records_rows", "sre_records_invalid_rows"), `
		sre_records_invalid_rows{table="events"} 1
		sre_records_rows{table="events"} 2
	`)
	want := `table events: skipped invalid row: events.csv:3: column "date": "0000-01-01T00:00:00+01:00" is in the year -1 in UTC; dates must be in the years 0 to 9999`
	if got := c.Notes(); len(got) != 1 || got[0] != want {
		t.Errorf("notes = %q\nwant %q", got, want)
	}
}

func TestAnOversizedCellIsSkippedAndQuotedCut(t *testing.T) {
	e := newEnv(t)
	big := strings.Repeat("x", 70_000)
	e.write("events.csv", "date,kind,team,attendees\n2024-03-25,office_hours,payments,10\n2024-03-26,workshop,"+big+",20\n")
	c := e.collector(`- {type: events, source: events.csv}`)
	e.sync(c)
	compare(t, samples(t, snap(t, c), "sre_records_rows", "sre_records_invalid_rows"), `
		sre_records_invalid_rows{table="events"} 1
		sre_records_rows{table="events"} 1
	`)
	want := `table events: skipped invalid row: events.csv:3: column "team": "` + strings.Repeat("x", 64) + `"…(70000 bytes) is more than the limit of 4096 bytes per cell`
	if got := c.Notes(); len(got) != 1 || got[0] != want {
		t.Errorf("notes = %q\nwant %q", got, want)
	}
	if strings.Contains(e.log.String(), strings.Repeat("x", 65)) {
		t.Error("the log quotes the oversized cell whole")
	}
}
