package records

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/config"
)

func TestTheKindIsRegisteredAndEnabledByDefault(t *testing.T) {
	k, ok := collectors.Lookup("records")
	if !ok || !k.EnabledByDefault {
		t.Fatalf("records kind: registered=%v enabled by default=%v", ok, k.EnabledByDefault)
	}
}

func TestInvalidRowsAreSkippedCountedLoggedAndNoted(t *testing.T) {
	e := newEnv(t, "events.csv")
	mtime := time.Date(2024, 3, 30, 8, 0, 0, 0, time.UTC)
	if err := os.Chtimes(filepath.Join(e.dir, "events.csv"), mtime, mtime); err != nil {
		t.Fatal(err)
	}
	c := e.collector(`- {type: events, source: events.csv}`)
	e.sync(c)
	s := snap(t, c)
	err := testutil.GatherAndCompare(s, strings.NewReader(`
# HELP sre_records_invalid_rows Rows of the table skipped as invalid in its last successful read (see the log or the landing page for why).
# TYPE sre_records_invalid_rows gauge
sre_records_invalid_rows{table="events"} 3
# HELP sre_records_rows Valid rows of the table as of its last successful read.
# TYPE sre_records_rows gauge
sre_records_rows{table="events"} 9
# HELP sre_records_source_last_change_timestamp_seconds When the table's content last changed: the file's modification time, the server's Last-Modified, or when the exporter first saw the new content.
# TYPE sre_records_source_last_change_timestamp_seconds gauge
sre_records_source_last_change_timestamp_seconds{table="events"} 1.7117856e+09
# HELP sre_records_table_info A configured records table and its type; 1 per table.
# TYPE sre_records_table_info gauge
sre_records_table_info{table="events",type="events"} 1
`), "sre_records_invalid_rows", "sre_records_rows", "sre_records_source_last_change_timestamp_seconds", "sre_records_table_info")
	if err != nil {
		t.Error(err)
	}
	wantInvalid := []string{
		`events.csv:9: column "kind": "hackathon" is not a known event kind (office_hours, lunch_and_learn, brown_bag, webinar, workshop, deep_dive, game_day, chaos_workshop, incident_simulation, meetup, external_speaker, champions_meeting); add it to kinds in the config`,
		`events.csv:10: column "attendees": "-3" is negative; a count or amount must be 0 or more`,
		`events.csv:11: column "recorded": "maybe" is not yes or no (use yes/no, true/false, y/n or 1/0)`,
	}
	var wantNotes []string
	for _, w := range wantInvalid {
		wantNotes = append(wantNotes, "table events: skipped invalid row: "+w)
	}
	if got := c.Notes(); strings.Join(got, "\n") != strings.Join(wantNotes, "\n") {
		t.Errorf("notes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantNotes, "\n"))
	}
	for _, w := range wantInvalid {
		if !strings.Contains(e.log.String(), `level=WARN msg="skipping invalid row" table=events err="`+strings.ReplaceAll(w, `"`, `\"`)+`"`) {
			t.Errorf("log lacks a warning for %s:\n%s", w, e.log.String())
		}
	}

	// The notes are kept in the store, so a restarted exporter still shows them.
	e.reopen()
	c2 := e.collector(`- {type: events, source: events.csv}`)
	if got := c2.Notes(); len(got) != 3 {
		t.Errorf("notes after restart = %q", got)
	}
}

func TestTheNotesListOnlyTheFirstFewInvalidRows(t *testing.T) {
	e := newEnv(t)
	rows := "date,kind,attendees\n" + strings.Repeat("2024-03-01,office_hours,-1\n", 30)
	e.write("events.csv", rows)
	c := e.collector(`- {type: events, source: events.csv}`)
	e.sync(c)
	notes := c.Notes()
	if len(notes) != maxNotedInvalidRows+1 || notes[len(notes)-1] != "table events: 25 more invalid rows skipped (see the log)" {
		t.Errorf("notes = %q", notes)
	}
	if n := strings.Count(e.log.String(), "skipping invalid row"); n != maxLoggedInvalidRows {
		t.Errorf("%d invalid rows logged, want %d", n, maxLoggedInvalidRows)
	}
	if !strings.Contains(e.log.String(), "count=10") {
		t.Errorf("log does not summarise the rest:\n%s", e.log.String())
	}
}

func TestAMissingRequiredColumnFailsTheSyncAndKeepsTheLastRows(t *testing.T) {
	e := newEnv(t, "collaboration.csv")
	c := e.collector(`- {type: collaboration, source: collaboration.csv}`)
	e.sync(c)
	e.write("collaboration.csv", "date,kind,participants\n2024-03-27,pairing,2\n")
	err := c.Sync(context.Background())
	want := "table collaboration: collaboration.csv:1: required column \"team\" is missing from the header; the header has: date, kind, participants"
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v\nwant    %s", err, want)
	}
	if r := collectors.Reason(err); r != collectors.ReasonInvalidData {
		t.Errorf("reason = %s", r)
	}
	if got := samples(t, snap(t, c), "sre_records_rows"); got != `sre_records_rows{table="collaboration"} 3` {
		t.Errorf("rows after a failed sync = %s", got)
	}
}

func TestAMissingSourceFailsTheSyncAndKeepsTheLastRows(t *testing.T) {
	e := newEnv(t, "collaboration.csv", "newsletter.csv")
	c := e.collector(`
- {type: collaboration, source: collaboration.csv}
- {type: newsletter, source: newsletter.csv}
`)
	e.sync(c)
	if err := os.Remove(filepath.Join(e.dir, "collaboration.csv")); err != nil {
		t.Fatal(err)
	}
	e.write("newsletter.csv", "issue,sent,recipients,opened\nn1,2024-03-30,10,5\n")
	err := c.Sync(context.Background())
	if err == nil || !strings.HasPrefix(err.Error(), "table collaboration: collaboration.csv: open ") || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("error = %v", err)
	}
	// The readable table was still synced.
	compare(t, samples(t, snap(t, c), "sre_records_rows"), `
		sre_records_rows{table="collaboration"} 3
		sre_records_rows{table="newsletter"} 1
	`)
}

func TestAnUnchangedSourceIsNotParsedAgain(t *testing.T) {
	e := newEnv(t, "savings.csv")
	c := e.collector(`- {type: savings, source: savings.csv}`)
	e.sync(c)
	e.sync(c)
	if n := strings.Count(e.log.String(), `msg="table synced"`); n != 1 {
		t.Errorf("table parsed %d times, want once:\n%s", n, e.log.String())
	}
	if !strings.Contains(e.log.String(), `msg="table unchanged" table=savings`) {
		t.Errorf("second sync did not report the table unchanged:\n%s", e.log.String())
	}

	// After a restart the saved version still matches.
	e.reopen()
	c = e.collector(`- {type: savings, source: savings.csv}`)
	e.sync(c)
	if n := strings.Count(e.log.String(), `msg="table synced"`); n != 1 {
		t.Errorf("table parsed again after a restart")
	}

	// A settings change re-parses even though the file is the same.
	c = e.collector(`- {type: savings, source: savings.csv, date_format: "02/01/2006"}`)
	e.sync(c)
	if n := strings.Count(e.log.String(), `msg="table synced"`); n != 2 {
		t.Errorf("table not parsed again after its settings changed")
	}
}

func TestCountersSurviveARestartAndNeverGoBack(t *testing.T) {
	e := newEnv(t, "events.csv")
	tables := `- {type: events, source: events.csv}`
	c := e.collector(tables)
	e.sync(c)

	// The webinar row is deleted, payments office hours corrected down from
	// 10 to 8 attendees and the workshop up from 15 to 18.
	data, err := os.ReadFile(filepath.Join(e.dir, "events.csv"))
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.NewReplacer(
		"2024-04-02,webinar,Future,,50,,,\n", "",
		"payments,10,2", "payments,8,2",
		"payments,15,4", "payments,18,4",
	).Replace(string(data))
	e.write("events.csv", edited)

	e.reopen()
	c = e.collector(tables)
	e.sync(c)
	check := func() {
		t.Helper()
		compare(t, samples(t, snap(t, c), "sre_events_total", "sre_event_attendees_total"), `
			sre_event_attendees_total{kind="game_day",team="search"} 55
			sre_event_attendees_total{kind="meetup",team="search"} 24
			sre_event_attendees_total{kind="office_hours",team="all"} 28
			// Corrected down: not subtracted.
			sre_event_attendees_total{kind="office_hours",team="payments"} 10
			// Deleted: kept.
			sre_event_attendees_total{kind="webinar",team="all"} 50
			// Corrected up: the difference is added, the event not counted twice.
			sre_event_attendees_total{kind="workshop",team="payments"} 18
			sre_events_total{kind="game_day",team="search"} 2
			sre_events_total{kind="meetup",team="search"} 2
			sre_events_total{kind="office_hours",team="all"} 2
			sre_events_total{kind="office_hours",team="payments"} 1
			sre_events_total{kind="webinar",team="all"} 1
			sre_events_total{kind="workshop",team="payments"} 1
		`)
	}
	check()
	// The windowed gauges show the table as it is now.
	compare(t, samples(t, snap(t, c), "sre_event_attendees_in_window{kind=\"workshop\"", "sre_records_rows"), `
		sre_event_attendees_in_window{kind="workshop",team="payments",window="30d"} 18
		sre_event_attendees_in_window{kind="workshop",team="payments",window="7d"} 0
		sre_event_attendees_in_window{kind="workshop",team="payments",window="90d"} 18
		sre_records_rows{table="events"} 8
	`)

	e.reopen()
	c = e.collector(tables)
	e.sync(c)
	check()
}

func TestTwoTablesOfOneTypeAddUp(t *testing.T) {
	e := newEnv(t)
	e.write("a.csv", "date,kind,team,attendees\n2024-03-30,office_hours,payments,3\n")
	e.write("b.csv", "date,kind,team,attendees\n2024-03-30,office_hours,payments,4\n")
	c := e.collector(`
- {type: events, name: team-a, source: a.csv}
- {type: events, name: team-b, source: b.csv}
`)
	e.sync(c)
	compare(t, samples(t, snap(t, c), "sre_event_attendees"), `
		sre_event_attendees_in_window{kind="office_hours",team="payments",window="30d"} 7
		sre_event_attendees_in_window{kind="office_hours",team="payments",window="7d"} 7
		sre_event_attendees_in_window{kind="office_hours",team="payments",window="90d"} 7
		sre_event_attendees_total{kind="office_hours",team="payments"} 7
	`)
}

func TestConfiguredEventKindsReplaceTheDefaults(t *testing.T) {
	e := newEnv(t)
	e.write("events.csv", "date,kind,attendees\n2024-03-30,Hack Day,3\n2024-03-30,office_hours,4\n")
	c := e.collector(`- {type: events, source: events.csv, kinds: [hack-day]}`)
	e.sync(c)
	compare(t, samples(t, snap(t, c), "sre_events_total", "sre_records_invalid_rows"), `
		sre_events_total{kind="hack_day",team="all"} 1
		sre_records_invalid_rows{table="events"} 1
	`)
}

func TestAPublishedSheet(t *testing.T) {
	var (
		requests atomic.Int32
		fail     atomic.Bool
	)
	const body = "date,kind,team,participants\n2024-03-27,pairing,payments,2\n"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if r.URL.Query().Get("output") != "csv" {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		if fail.Load() {
			http.Error(w, "backend error", http.StatusInternalServerError)
			return
		}
		if r.Header.Get("If-None-Match") == `"rev-1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"rev-1"`)
		w.Header().Set("Last-Modified", "Wed, 27 Mar 2024 10:00:00 GMT")
		w.Header().Set("Content-Type", "text/csv")
		_, _ = w.Write([]byte(body))
	}))
	defer srv.Close()
	e := newEnv(t)
	c := e.collector(`- {type: collaboration, source: "` + srv.URL + `/spreadsheets/d/e/KEY/pub?gid=0&single=true&output=csv"}`)

	e.sync(c)
	compare(t, samples(t, snap(t, c), "sre_collaborations_total", "sre_records_source_last_change"), `
		sre_collaborations_total{kind="pairing",team="payments"} 1
		sre_records_source_last_change_timestamp_seconds{table="collaboration"} 1711533600
	`)

	t.Run("an unchanged sheet answers 304 and is not parsed", func(t *testing.T) {
		e.sync(c)
		if requests.Load() != 2 || strings.Count(e.log.String(), `msg="table synced"`) != 1 {
			t.Errorf("requests=%d log:\n%s", requests.Load(), e.log.String())
		}
	})
	t.Run("a server error fails the sync, names the URL without its query and keeps the data", func(t *testing.T) {
		fail.Store(true)
		err := c.Sync(context.Background())
		want := "table collaboration: GET " + srv.URL + "/spreadsheets/d/e/KEY/pub: 500 Internal Server Error"
		if err == nil || err.Error() != want {
			t.Fatalf("error = %v\nwant    %s", err, want)
		}
		if r := collectors.Reason(err); r != collectors.ReasonServer {
			t.Errorf("reason = %s", r)
		}
		compare(t, samples(t, snap(t, c), "sre_collaborations_total"), `sre_collaborations_total{kind="pairing",team="payments"} 1`)
	})
}

func TestBadSettingsNameTheFieldAndLine(t *testing.T) {
	tests := []struct {
		name   string
		tables string
		want   string
	}{
		{
			name:   "a mistake in each of several tables is reported at once",
			tables: "- {type: trainings, source: t.csv}\n- {type: training}\n- {type: training, name: t2, source: t.csv, columns: {persn: Name}}",
			want: `config.yml:16: collectors[0].tables[0].type: "trainings" is not a table type; use one of training, events, newsletter, surveys, champions, savings, adoption, collaboration, slo, custom` + "\n" +
				`config.yml:17: collectors[0].tables[1].source: required: a CSV file path (relative to the config file) or an http(s) URL` + "\n" +
				`config.yml:18: collectors[0].tables[2].columns: "persn" is not a column of this table (columns: person, team, course, module, enrolled, completed, certification)`,
		},
		{
			name:   "an unknown type is refused",
			tables: `- {type: trainings, source: t.csv}`,
			want:   `config.yml:16: collectors[0].tables[0].type: "trainings" is not a table type; use one of training, events, newsletter, surveys, champions, savings, adoption, collaboration, slo, custom`,
		},
		{
			name:   "a misspelt key is refused with a suggestion",
			tables: `- {type: training, sorce: t.csv}`,
			want:   `config.yml:16: collectors[0].tables[0]: unknown field "sorce" (did you mean "source"?)`,
		},
		{
			name:   "a table needs a source",
			tables: `- {type: training}`,
			want:   `config.yml:16: collectors[0].tables[0].source: required: a CSV file path (relative to the config file) or an http(s) URL`,
		},
		{
			name:   "only http URLs are fetched",
			tables: `- {type: training, source: "ftp://host/t.csv?key=1"}`,
			want:   `config.yml:16: collectors[0].tables[0].source: "ftp://host/t.csv": only http and https URLs are supported`,
		},
		{
			name:   "a column override must name a column of the type",
			tables: `- {type: training, source: t.csv, columns: {persn: Name}}`,
			want:   `config.yml:16: collectors[0].tables[0].columns: "persn" is not a column of this table (columns: person, team, course, module, enrolled, completed, certification)`,
		},
		{
			name:   "table names are unique",
			tables: "- {type: events, source: a.csv}\n- {type: events, source: b.csv}",
			want:   `config.yml:17: collectors[0].tables[1].name: "events" is already used by tables[0]; give one of them another name`,
		},
		{
			name:   "kinds are for events tables",
			tables: `- {type: training, source: t.csv, kinds: [x]}`,
			want:   `config.yml:16: collectors[0].tables[0].kinds: only events tables have kinds`,
		},
		{
			name:   "a date format needs Go reference elements",
			tables: `- {type: training, source: t.csv, date_format: "dd/mm/yyyy"}`,
			want:   `config.yml:16: collectors[0].tables[0].date_format: "dd/mm/yyyy" has no date elements; write it with Go's reference date, as in 02/01/2006 for day/month/year`,
		},
		{
			name:   "a custom metric needs the sre_ prefix",
			tables: "- type: custom\n  source: c.csv\n  metrics:\n    - {name: oncall_total, type: counter}",
			want:   `config.yml:19: collectors[0].tables[0].metrics[0].name: "oncall_total" must start with sre_`,
		},
		{
			name:   "a custom counter ends in _total",
			tables: "- type: custom\n  source: c.csv\n  metrics:\n    - {name: sre_oncall, type: counter}",
			want:   `config.yml:19: collectors[0].tables[0].metrics[0].name: counter "sre_oncall" must end in _total`,
		},
		{
			name:   "a custom gauge does not end in _total",
			tables: "- type: custom\n  source: c.csv\n  metrics:\n    - {name: sre_oncall_total, type: gauge}",
			want:   `config.yml:19: collectors[0].tables[0].metrics[0].name: gauge "sre_oncall_total" must not end in _total (that suffix is for counters)`,
		},
		{
			name:   "a custom metric cannot take a built-in name",
			tables: "- type: custom\n  source: c.csv\n  metrics:\n    - {name: sre_events_total, type: counter}",
			want:   `config.yml:19: collectors[0].tables[0].metrics[0].name: "sre_events_total" is a metric the exporter already exports (a counter); choose another name`,
		},
		{
			name:   "a custom label name must be valid",
			tables: "- type: custom\n  source: c.csv\n  metrics:\n    - {name: sre_x, type: gauge, labels: [{label: my-team, column: Team}]}",
			want:   `config.yml:19: collectors[0].tables[0].metrics[0].labels[0].label: "my-team" is not a valid label name (letters, digits and _, not starting with __)`,
		},
		{
			name:   "the window label is reserved",
			tables: "- type: custom\n  source: c.csv\n  metrics:\n    - {name: sre_x, type: gauge, labels: [{label: window, column: W}]}",
			want:   `config.yml:19: collectors[0].tables[0].metrics[0].labels[0].label: "window" is reserved: the exporter or Prometheus sets it`,
		},
		{
			name:   "a custom table needs metrics",
			tables: "- type: custom\n  source: c.csv",
			want:   `config.yml:16: collectors[0].tables[0].metrics: required: a custom table defines at least one metric`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			_, err := e.build(tt.tables)
			var ce *config.Error
			if err == nil || !errors.As(err, &ce) {
				t.Fatalf("error = %v, want a config error", err)
			}
			if got := strings.ReplaceAll(err.Error(), e.dir+"/", ""); got != tt.want {
				t.Errorf("error = %s\nwant    %s", got, tt.want)
			}
		})
	}
}

func TestACustomColumnMissingFromTheHeaderFailsTheSync(t *testing.T) {
	e := newEnv(t, "custom.csv")
	c := e.collector(`
- type: custom
  source: custom.csv
  metrics:
    - {name: sre_oncall_minutes, type: gauge, value_column: Duration}
`)
	err := c.Sync(context.Background())
	want := `table custom: custom.csv:1: required column "duration" is missing from the header; the header has: Date, Team, Type, Minutes`
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v\nwant    %s", err, want)
	}
}
