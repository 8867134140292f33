package tabular

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name       string
		data       string
		wantHeader []string
		wantRows   []Row
		wantErr    string
	}{
		{
			name:       "a byte order mark and spaces around headers are removed",
			data:       "\ufeff Person ,Team\nann,payments\n",
			wantHeader: []string{"Person", "Team"},
			wantRows:   []Row{{Line: 2, Cells: []string{"ann", "payments"}}},
		},
		{
			name:       "rows keep the line they start on across quoted line breaks and blank lines",
			data:       "a,b\n\"x\ny\",1\n\n,\nz,2\n",
			wantHeader: []string{"a", "b"},
			wantRows:   []Row{{Line: 2, Cells: []string{"x\ny", "1"}}, {Line: 6, Cells: []string{"z", "2"}}},
		},
		{
			name:       "a row shorter than the header is kept as it is",
			data:       "a,b,c\n1\n",
			wantHeader: []string{"a", "b", "c"},
			wantRows:   []Row{{Line: 2, Cells: []string{"1"}}},
		},
		{
			name:    "an empty file is an error naming the file",
			data:    "",
			wantErr: "t.csv: the file is empty; line 1 must be the header row",
		},
		{
			name:    "an unclosed quote is an error naming the line and column",
			data:    "a,b\n1,\"open\n2,3\n",
			wantErr: `t.csv:2: extraneous or missing " in quoted-field (noticed at line 3, column 5)`,
		},
		{
			name:    "a bare quote is an error naming the line and column",
			data:    "a,b\n1,5\" screen\n",
			wantErr: `t.csv:2: column 4: bare " in non-quoted-field`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse("t.csv", []byte(tt.data))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Header, tt.wantHeader) {
				t.Errorf("header = %q, want %q", got.Header, tt.wantHeader)
			}
			if !reflect.DeepEqual(got.Rows, tt.wantRows) {
				t.Errorf("rows = %#v, want %#v", got.Rows, tt.wantRows)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	table := &Table{Name: "t.csv", HeaderLine: 1, Header: []string{"Full Name", "TEAM", "Notes", "notes"}}
	want := []Column{{Name: "person"}, {Name: "team"}, {Name: "module", Optional: true}}
	tests := []struct {
		name      string
		want      []Column
		overrides map[string]string
		wantErr   string
		check     func(*testing.T, *Columns)
	}{
		{
			name:      "columns are found by default name or override, ignoring case and spaces",
			want:      want,
			overrides: map[string]string{"person": " full name "},
			check: func(t *testing.T, c *Columns) {
				if !c.Has("person") || !c.Has("team") || c.Has("module") {
					t.Errorf("has person=%v team=%v module=%v", c.Has("person"), c.Has("team"), c.Has("module"))
				}
				if c.Header("person") != "Full Name" {
					t.Errorf("header = %q", c.Header("person"))
				}
			},
		},
		{
			name:    "a missing required column names the file, the column and the header",
			want:    want,
			wantErr: `t.csv:1: required column "person" is missing from the header; the header has: Full Name, TEAM, Notes, notes`,
		},
		{
			name:      "a missing mapped column says which header was looked for",
			want:      want,
			overrides: map[string]string{"person": "Name"},
			wantErr:   `t.csv:1: required column "person" (mapped to header "Name") is missing from the header; the header has: Full Name, TEAM, Notes, notes`,
		},
		{
			name:      "an override for an unknown column is an error",
			want:      want,
			overrides: map[string]string{"persn": "Full Name"},
			wantErr:   `t.csv: columns: "persn" is not a column of this table (columns: person, team, module)`,
		},
		{
			name:      "a header used twice is ambiguous",
			want:      []Column{{Name: "notes"}},
			overrides: nil,
			wantErr:   `t.csv:1: header "notes" appears 2 times (columns 3 and 4); rename one so column "notes" is unambiguous`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := table.Resolve(tt.want, tt.overrides)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestRecordCells(t *testing.T) {
	table, err := Parse("t.csv", []byte("when,n,ok,opt\n"+
		"2024-03-01,\"1,234.5\",Yes,\n"+ // line 2
		"2024-03-01T10:00:00+02:00,-1,maybe,\n"+ // line 3
		"01/03/2024,2.5,N,x\n"+ // line 4
		",3,1\n")) // line 5
	if err != nil {
		t.Fatal(err)
	}
	cols, err := table.Resolve([]Column{{Name: "when"}, {Name: "n"}, {Name: "ok"}, {Name: "opt", Optional: true}, {Name: "absent", Optional: true}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cols.DateLayout = "02/01/2006"
	rec := func(i int) Record { return cols.Record(table.Rows[i]) }
	tests := []struct {
		name    string
		get     func() (any, error)
		want    any
		wantErr string
	}{
		{"a day-only date is midnight UTC", func() (any, error) { return rec(0).Date("when") }, time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), ""},
		{"an RFC3339 time keeps its instant", func() (any, error) { t, err := rec(1).Date("when"); return t.UTC(), err }, time.Date(2024, 3, 1, 8, 0, 0, 0, time.UTC), ""},
		{"the configured layout is accepted", func() (any, error) { return rec(2).Date("when") }, time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), ""},
		{"an empty required date names the line and column", func() (any, error) { return rec(3).Date("when") }, nil, `t.csv:5: column "when": empty; a value is required`},
		{"numbers may use thousands separators", func() (any, error) { return rec(0).Number("n") }, 1234.5, ""},
		{"a negative number is refused", func() (any, error) { return rec(1).Number("n") }, nil, `t.csv:3: column "n": "-1" is negative; a count or amount must be 0 or more`},
		{"a fraction is not a whole number", func() (any, error) { return rec(2).Int("n") }, nil, `t.csv:4: column "n": "2.5" is not a whole number`},
		{"an integer parses", func() (any, error) { return rec(3).Int("n") }, int64(3), ""},
		{"yes is true in any case", func() (any, error) { return rec(0).Bool("ok") }, true, ""},
		{"n is false", func() (any, error) { return rec(2).Bool("ok") }, false, ""},
		{"1 is true", func() (any, error) { return rec(3).Bool("ok") }, true, ""},
		{"maybe is not a boolean", func() (any, error) { return rec(1).Bool("ok") }, nil, `t.csv:3: column "ok": "maybe" is not yes or no (use yes/no, true/false, y/n or 1/0)`},
		{"an empty optional cell is zero", func() (any, error) { return rec(0).Int("opt") }, int64(0), ""},
		{"a missing cell of a short row is empty", func() (any, error) { return rec(3).Text("opt"), nil }, "", ""},
		{"an absent optional column reads as empty", func() (any, error) { return rec(2).Text("absent"), nil }, "", ""},
		{"a row error has no column", func() (any, error) { return nil, rec(2).Errorf("", "clicked is more than opened") }, nil, `t.csv:4: clicked is more than opened`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.get()
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				var ce *CellError
				if !errors.As(err, &ce) {
					t.Errorf("error is %T, want *CellError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestParseDateNamesTheLayouts(t *testing.T) {
	_, err := ParseDate("31.01.2024", "")
	want := `"31.01.2024" is not a date (use 2006-01-02, 2006-01-02T15:04:05Z07:00 or 2006-01-02 15:04)`
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v, want %q", err, want)
	}
}

func TestCheckLayout(t *testing.T) {
	if err := CheckLayout("02/01/2006"); err != nil {
		t.Errorf("day/month/year: %v", err)
	}
	if err := CheckLayout("dd/mm/yyyy"); err == nil {
		t.Error("a layout without Go reference elements was accepted")
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "t.csv")
	write := func(s string, mtime time.Time) {
		t.Helper()
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	mtime := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	write("a\n1\n", mtime)
	src := Source{Location: "t.csv", BaseDir: dir}

	first, unchanged, err := src.Read(context.Background(), "")
	if err != nil || unchanged {
		t.Fatalf("first read: unchanged=%v err=%v", unchanged, err)
	}
	if len(first.Rows) != 1 || !first.Modified.Equal(mtime) || !strings.HasPrefix(first.Version, "file:4:") {
		t.Fatalf("first read: rows=%d modified=%v version=%q", len(first.Rows), first.Modified, first.Version)
	}

	again, unchanged, err := src.Read(context.Background(), first.Version)
	if err != nil || !unchanged || again.Rows != nil {
		t.Fatalf("second read: unchanged=%v rows=%v err=%v, want unchanged without rows", unchanged, again.Rows, err)
	}

	write("a\n2\n", mtime) // same size and time, different content
	edited, unchanged, err := src.Read(context.Background(), first.Version)
	if err != nil || unchanged || edited.Rows[0].Cells[0] != "2" {
		t.Fatalf("after edit: unchanged=%v err=%v", unchanged, err)
	}

	_, _, err = Source{Location: "missing.csv", BaseDir: dir}.Read(context.Background(), "")
	if err == nil || !strings.HasPrefix(err.Error(), "missing.csv: open ") || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}

func TestReadURL(t *testing.T) {
	var (
		status   atomic.Int32
		requests atomic.Int32
		lastINM  atomic.Value
		lastIMS  atomic.Value
		mode     atomic.Value // "etag", "last-modified", "none", "html"
	)
	status.Store(200)
	mode.Store("etag")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		lastINM.Store(r.Header.Get("If-None-Match"))
		lastIMS.Store(r.Header.Get("If-Modified-Since"))
		if r.URL.Query().Get("key") != "s3cret" {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		if code := int(status.Load()); code != 200 {
			http.Error(w, "boom", code)
			return
		}
		switch mode.Load() {
		case "etag":
			if r.Header.Get("If-None-Match") == `"v1"` {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			w.Header().Set("ETag", `"v1"`)
		case "last-modified":
			if r.Header.Get("If-Modified-Since") == "Fri, 01 Mar 2024 12:00:00 GMT" {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			w.Header().Set("Last-Modified", "Fri, 01 Mar 2024 12:00:00 GMT")
		case "html":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write([]byte("<html>sign in</html>"))
			return
		}
		w.Header().Set("Content-Type", "text/csv")
		_, _ = w.Write([]byte("a\n1\n"))
	}))
	defer srv.Close()
	src := Source{Location: srv.URL + "/pub?output=csv&key=s3cret", HTTP: srv.Client()}
	ctx := context.Background()

	t.Run("an ETag is the version and a 304 means unchanged", func(t *testing.T) {
		tab, unchanged, err := src.Read(ctx, "")
		if err != nil || unchanged || tab.Version != `etag:"v1"` || len(tab.Rows) != 1 {
			t.Fatalf("first: %+v unchanged=%v err=%v", tab, unchanged, err)
		}
		if tab.Name != srv.URL+"/pub" {
			t.Errorf("name = %q, want the URL without its query", tab.Name)
		}
		tab, unchanged, err = src.Read(ctx, tab.Version)
		if err != nil || !unchanged || lastINM.Load() != `"v1"` {
			t.Fatalf("second: unchanged=%v err=%v If-None-Match=%v", unchanged, err, lastINM.Load())
		}
		if tab.Version != `etag:"v1"` {
			t.Errorf("version after 304 = %q", tab.Version)
		}
	})
	t.Run("Last-Modified is used when there is no ETag", func(t *testing.T) {
		mode.Store("last-modified")
		tab, unchanged, err := src.Read(ctx, "")
		if err != nil || unchanged || !tab.Modified.Equal(time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)) {
			t.Fatalf("first: %+v err=%v", tab, err)
		}
		_, unchanged, err = src.Read(ctx, tab.Version)
		if err != nil || !unchanged || lastIMS.Load() != "Fri, 01 Mar 2024 12:00:00 GMT" {
			t.Fatalf("second: unchanged=%v err=%v", unchanged, err)
		}
	})
	t.Run("without validators the body hash tells an unchanged body", func(t *testing.T) {
		mode.Store("none")
		tab, _, err := src.Read(ctx, "")
		if err != nil || !strings.HasPrefix(tab.Version, "sha256:") {
			t.Fatalf("first: %+v err=%v", tab, err)
		}
		_, unchanged, err := src.Read(ctx, tab.Version)
		if err != nil || !unchanged {
			t.Fatalf("second: unchanged=%v err=%v", unchanged, err)
		}
	})
	t.Run("a server error names the URL without its key", func(t *testing.T) {
		status.Store(500)
		defer status.Store(200)
		_, _, err := src.Read(ctx, "")
		want := "GET " + srv.URL + "/pub: 500 Internal Server Error"
		var he *HTTPError
		if err == nil || err.Error() != want || !errors.As(err, &he) || he.StatusCode != 500 {
			t.Fatalf("error = %v, want %q", err, want)
		}
	})
	t.Run("an HTML page is not taken for CSV", func(t *testing.T) {
		mode.Store("html")
		_, _, err := src.Read(ctx, "")
		if err == nil || !strings.Contains(err.Error(), "got an HTML page, not CSV") || strings.Contains(err.Error(), "s3cret") {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("a network error does not leak the key", func(t *testing.T) {
		closed := httptest.NewServer(http.NotFoundHandler())
		closed.Close()
		_, _, err := Source{Location: closed.URL + "/x?key=s3cret", HTTP: closed.Client()}.Read(ctx, "")
		if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.HasPrefix(err.Error(), "GET "+closed.URL+"/x: ") {
			t.Fatalf("error = %v", err)
		}
	})
}

func TestRedactURL(t *testing.T) {
	got := RedactURL("https://user:pw@docs.google.com/spreadsheets/d/e/2PACX/pub?gid=0&single=true&output=csv#frag")
	if want := "https://docs.google.com/spreadsheets/d/e/2PACX/pub"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
