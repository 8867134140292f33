package tabular

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestQuote(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"a short value is quoted whole", "payments", `"payments"`},
		{"a value of exactly the limit is quoted whole", strings.Repeat("a", 64), `"` + strings.Repeat("a", 64) + `"`},
		{"a long value is cut after 64 bytes and says its length", strings.Repeat("a", 100), `"` + strings.Repeat("a", 64) + `"…(100 bytes)`},
		{"a cut never splits a character", strings.Repeat("a", 63) + "é" + "zz", `"` + strings.Repeat("a", 63) + `"…(67 bytes)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Quote(tt.in); got != tt.want {
				t.Errorf("Quote = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestDatesOutsideYearsZeroTo9999AreRefused(t *testing.T) {
	tests := []struct {
		name, in, wantErr string
	}{
		{"a time zone that moves year 0 back into year -1 is refused", "0000-01-01T00:00:00+01:00", `"0000-01-01T00:00:00+01:00" is in the year -1 in UTC; dates must be in the years 0 to 9999`},
		{"a time zone that moves 9999 into year 10000 is refused", "9999-12-31T23:00:00-05:00", `"9999-12-31T23:00:00-05:00" is in the year 10000 in UTC; dates must be in the years 0 to 9999`},
		{"the last instant of 9999 is accepted", "9999-12-31T23:59:59Z", ""},
		{"year 0 is accepted", "0000-01-01", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseDate(tt.in, "")
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func writeTable(t *testing.T, data string) Source {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "t.csv"), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return Source{Location: "t.csv", BaseDir: dir}
}

func readAll(rows *Rows) (n int, err error) {
	for {
		_, err := rows.Next()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		n++
	}
}

func TestOpenStreamsRowsWithinLimits(t *testing.T) {
	hugeHeader := strings.Repeat("c,", 1_000_000) + "c\n1\n"
	hugeCell := "a,b\n" + strings.Repeat("x", 70_000) + ",1\n"
	tests := []struct {
		name     string
		data     string
		maxRows  int
		wantRows int
		wantErr  string
	}{
		{name: "rows up to max_rows are read", data: "a\n1\n2\n\n3\n", maxRows: 3, wantRows: 3},
		{name: "a row past max_rows is an error naming the file, the line and the limit", data: "a\n1\n2\n3\n", maxRows: 2,
			wantErr: "t.csv:4: the table has more than 2 data rows, the limit (max_rows)"},
		{name: "a header of a million columns is refused without echoing it", data: hugeHeader,
			wantErr: "t.csv:1: the header has 1000001 columns, more than the limit of 1000"},
		{name: "a 70 kB header cell is refused and quoted cut", data: strings.Repeat("h", 70_000) + "\n1\n",
			wantErr: `t.csv:1: column 1: header "` + strings.Repeat("h", 64) + `"…(70000 bytes) is more than the limit of 4096 bytes`},
		{name: "a 70 kB data cell is read (the reader decides)", data: hugeCell, wantRows: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := writeTable(t, tt.data)
			src.MaxRows = tt.maxRows
			rows, _, err := src.Open(context.Background(), "")
			n := 0
			if err == nil {
				n, err = readAll(rows)
				rows.Close()
			}
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if n != tt.wantRows {
				t.Errorf("read %d rows, want %d", n, tt.wantRows)
			}
		})
	}
}

func TestOpenStopsWhenTheContextIsDone(t *testing.T) {
	src := writeTable(t, "a\n"+strings.Repeat("1\n", 10_000))
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	rows, _, err := src.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for range 5000 {
		if _, err := rows.Next(); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	n, err := readAll(rows)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
	if n >= ctxCheckEvery {
		t.Errorf("read %d more rows after the cancel, want fewer than %d", n, ctxCheckEvery)
	}
	if want := "t.csv: stopped after 5120 rows: context canceled"; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
}

func TestOpenReportsAnUnchangedFileWithoutParsing(t *testing.T) {
	src := writeTable(t, "a\n1\n")
	rows, unchanged, err := src.Open(context.Background(), "")
	if err != nil || unchanged {
		t.Fatalf("first open: unchanged=%v err=%v", unchanged, err)
	}
	rows.Close()
	again, unchanged, err := src.Open(context.Background(), rows.Version)
	if err != nil || !unchanged || again.Version != rows.Version {
		t.Fatalf("second open: unchanged=%v err=%v version %q, want %q", unchanged, err, again.Version, rows.Version)
	}
}

func TestRecordCheckRefusesAnOversizedCellInAUsedColumn(t *testing.T) {
	big := strings.Repeat("x", 70_000)
	table, err := Parse("t.csv", []byte("team,notes\npayments,"+big+"\n"+big+",short\n"))
	if err != nil {
		t.Fatal(err)
	}
	cols, err := table.Resolve([]Column{{Name: "team"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := cols.Record(table.Rows[0]).Check(); err != nil {
		t.Errorf("an oversized cell in an unused column: %v", err)
	}
	err = cols.Record(table.Rows[1]).Check()
	want := `t.csv:3: column "team": "` + strings.Repeat("x", 64) + `"…(70000 bytes) is more than the limit of 4096 bytes per cell`
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v, want %q", err, want)
	}
}

func TestResolveCutsALongHeaderInItsError(t *testing.T) {
	header := make([]string, 30)
	for i := range header {
		header[i] = "h"
	}
	header[0] = strings.Repeat("y", 100)
	table, err := Parse("t.csv", []byte(strings.Join(header, ",")+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = table.Resolve([]Column{{Name: "team"}}, nil)
	want := `t.csv:1: required column "team" is missing from the header; the header has: "` + strings.Repeat("y", 64) + `"…(100 bytes), h, h, h, h, h, h, h, h, h, h, h, h, h, h, h, h, h, h, h, and 10 more`
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v\nwant    %s", err, want)
	}
}
