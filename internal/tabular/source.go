// Package tabular reads hand-kept tables: CSV files next to the config or
// CSV published on the web (a Google Sheet's "publish to the web" CSV
// export). It tells whether the table changed since the last read, maps the
// logical columns a collector wants onto the header a person wrote, and
// parses cells with errors that name the file, line and column, so that a
// person can find and fix the cell.
package tabular

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on what one table may be, so that a big or hostile file fails
// with a clear error instead of exhausting memory, time or the store.
const (
	// DefaultMaxBytes bounds the size of a table's file or body.
	DefaultMaxBytes = 64 << 20
	// DefaultMaxRows bounds the data rows of a table.
	DefaultMaxRows = 1_000_000
	// DefaultMaxColumns bounds the header's columns.
	DefaultMaxColumns = 1000
	// MaxCellBytes bounds a header cell, and a cell a reader uses (see
	// Record.Check): longer text is no label, date or number.
	MaxCellBytes = 4096
)

// Source is where one table comes from.
type Source struct {
	// Location is a file path (relative paths are resolved against BaseDir)
	// or an http(s) URL.
	Location string
	// BaseDir is the config file's folder.
	BaseDir string
	// HTTP fetches URL locations; the caller passes the shared upstream
	// client so that timeouts, retries and request metrics apply.
	HTTP *http.Client
	// MaxBytes bounds the size of the table (DefaultMaxBytes when 0).
	MaxBytes int64
	// MaxRows bounds the data rows (DefaultMaxRows when 0).
	MaxRows int
	// MaxColumns bounds the header's columns (DefaultMaxColumns when 0).
	MaxColumns int
}

// Table is one read of a source.
type Table struct {
	// Name is the source as it is safe to show: the path as configured, or
	// the URL without its query string (published-sheet URLs carry keys).
	Name string
	// Header is the header row's cells, trimmed, without a byte order mark.
	Header []string
	// HeaderLine is the line the header is on (1 unless blank lines precede it).
	HeaderLine int
	// Rows are the data rows; rows whose cells are all empty are left out.
	Rows []Row
	// Version identifies the content; pass it to the next Read.
	Version string
	// Modified is when the content last changed, if the source says
	// (file modification time, Last-Modified header); zero otherwise.
	Modified time.Time
}

// Row is one data row and the line it starts on (the header is line 1).
type Row struct {
	Line  int
	Cells []string
}

// IsURL reports whether the location is fetched over HTTP.
func (s Source) IsURL() bool {
	l := strings.ToLower(s.Location)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}

// Name is the location as it is safe to show in errors and logs.
func (s Source) Name() string {
	if s.IsURL() {
		return RedactURL(s.Location)
	}
	return s.Location
}

// RedactURL removes the user info, query string and fragment of a URL:
// published Google Sheet links and signed URLs carry their keys there.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		// Cut by hand rather than echo a URL we cannot parse.
		if i := strings.IndexAny(raw, "?#"); i >= 0 {
			raw = raw[:i]
		}
		if i := strings.Index(raw, "@"); i >= 0 {
			if j := strings.Index(raw, "://"); j >= 0 && j < i {
				raw = raw[:j+3] + raw[i+1:]
			}
		}
		return raw
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
	return u.String()
}

// Read loads and parses the whole table. When the content's version equals
// prevVersion it reports unchanged and returns a Table without rows, so an
// unchanged table is not parsed again. For URLs it sends a conditional
// request (If-None-Match, If-Modified-Since), and a 304 means unchanged.
// Large tables should be read with Open, which holds one row at a time.
func (s Source) Read(ctx context.Context, prevVersion string) (t *Table, unchanged bool, err error) {
	rows, unchanged, err := s.Open(ctx, prevVersion)
	if err != nil || unchanged {
		if rows != nil {
			return &Table{Name: rows.Name, Version: rows.Version, Modified: rows.Modified}, unchanged, err
		}
		return nil, unchanged, err
	}
	defer rows.Close()
	t, err = rows.collect()
	return t, false, err
}

// Open starts reading the table and returns its header; Next returns the
// rows one at a time. When the content's version equals prevVersion it
// reports unchanged, with the Rows' Version and Modified set and nothing to
// read. For URLs it sends a conditional request (If-None-Match,
// If-Modified-Since), and a 304 means unchanged. Close the Rows when done.
func (s Source) Open(ctx context.Context, prevVersion string) (rows *Rows, unchanged bool, err error) {
	if s.IsURL() {
		return s.openURL(ctx, prevVersion)
	}
	return s.openFile(ctx, prevVersion)
}

func (s Source) openFile(ctx context.Context, prevVersion string) (*Rows, bool, error) {
	path := s.Location
	if !filepath.IsAbs(path) {
		path = filepath.Join(s.BaseDir, path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", s.Name(), err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, false, fmt.Errorf("%s: %w", s.Name(), err)
	}
	if info.IsDir() {
		f.Close()
		return nil, false, fmt.Errorf("%s: is a directory, not a CSV file", s.Name())
	}
	if info.Size() > s.maxBytes() {
		f.Close()
		return nil, false, fmt.Errorf("%s: %d bytes is more than the limit of %d", s.Name(), info.Size(), s.maxBytes())
	}
	// Hash first, without keeping the bytes, so that an unchanged file is
	// not parsed; then parse from the start of the same open file.
	h := sha256.New()
	n, err := io.Copy(h, s.limit(ctx, f))
	if err != nil {
		f.Close()
		return nil, false, fmt.Errorf("%s: %w", s.Name(), err)
	}
	version := fmt.Sprintf("file:%d:%d:%s", n, info.ModTime().UnixNano(), hex.EncodeToString(h.Sum(nil)))
	modified := info.ModTime().UTC()
	if version == prevVersion && prevVersion != "" {
		f.Close()
		return &Rows{Name: s.Name(), Version: version, Modified: modified}, true, nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, false, fmt.Errorf("%s: %w", s.Name(), err)
	}
	rows, err := s.newRows(ctx, s.Name(), s.limit(ctx, f), f)
	if err != nil {
		return nil, false, err
	}
	rows.Version, rows.Modified = version, modified
	return rows, false, nil
}

func (s Source) openURL(ctx context.Context, prevVersion string) (*Rows, bool, error) {
	body, version, modified, notModified, err := s.fetch(ctx, prevVersion)
	if err != nil {
		return nil, false, err
	}
	if notModified {
		return &Rows{Name: s.Name(), Version: prevVersion}, true, nil
	}
	r := s.limit(ctx, body)
	if version == "" {
		// Without a validator the body's hash is the version, and it must
		// be known before parsing to skip an unchanged body: buffer it
		// (at most MaxBytes).
		data, err := io.ReadAll(r)
		body.Close()
		if err != nil {
			return nil, false, fmt.Errorf("GET %s: reading body: %w", s.Name(), err)
		}
		sum := sha256.Sum256(data)
		version = bodyVersion + hex.EncodeToString(sum[:])
		r, body = bytes.NewReader(data), io.NopCloser(nil)
	}
	if version == prevVersion && prevVersion != "" {
		body.Close()
		return &Rows{Name: s.Name(), Version: version, Modified: modified}, true, nil
	}
	rows, err := s.newRows(ctx, s.Name(), r, body)
	if err != nil {
		return nil, false, err
	}
	rows.Version, rows.Modified = version, modified
	return rows, false, nil
}

func (s Source) maxBytes() int64 {
	if s.MaxBytes > 0 {
		return s.MaxBytes
	}
	return DefaultMaxBytes
}

func (s Source) maxRows() int {
	if s.MaxRows > 0 {
		return s.MaxRows
	}
	return DefaultMaxRows
}

func (s Source) maxColumns() int {
	if s.MaxColumns > 0 {
		return s.MaxColumns
	}
	return DefaultMaxColumns
}

// limit bounds r to MaxBytes (an error past it, not a silent cut) and
// stops reading when ctx is done.
func (s Source) limit(ctx context.Context, r io.Reader) io.Reader {
	return &boundedReader{ctx: ctx, r: r, left: s.maxBytes(), max: s.maxBytes()}
}

type boundedReader struct {
	ctx       context.Context
	r         io.Reader
	left, max int64
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if err := b.ctx.Err(); err != nil {
		return 0, err
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return n, fmt.Errorf("more than the limit of %d bytes", b.max)
	}
	return n, err
}

// HTTPError is a response other than 200 or 304.
type HTTPError struct {
	URL        string // redacted
	StatusCode int
	Status     string
}

func (e *HTTPError) Error() string { return fmt.Sprintf("GET %s: %s", e.URL, e.Status) }

// Version prefixes for URL sources: the validator the server gave, so the
// next read can send it back in a conditional request.
const (
	etagVersion         = "etag:"
	lastModifiedVersion = "last-modified:"
	bodyVersion         = "sha256:"
)

// fetch sends the (conditional) request. The caller reads and closes body;
// version is "" when the response has no validator, so the version is the
// hash of the body.
func (s Source) fetch(ctx context.Context, prevVersion string) (body io.ReadCloser, version string, modified time.Time, notModified bool, err error) {
	name := s.Name()
	if s.HTTP == nil {
		return nil, "", time.Time{}, false, fmt.Errorf("%s: no HTTP client configured for URL sources", name)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.Location, nil)
	if err != nil {
		// The parse error quotes the URL; say what is wrong without it.
		return nil, "", time.Time{}, false, fmt.Errorf("%s: not a valid URL", name)
	}
	req.Header.Set("Accept", "text/csv, text/plain;q=0.9, */*;q=0.1")
	switch {
	case strings.HasPrefix(prevVersion, etagVersion):
		req.Header.Set("If-None-Match", strings.TrimPrefix(prevVersion, etagVersion))
	case strings.HasPrefix(prevVersion, lastModifiedVersion):
		req.Header.Set("If-Modified-Since", strings.TrimPrefix(prevVersion, lastModifiedVersion))
	}
	resp, err := s.HTTP.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			// url.Error quotes the full URL, keys included; keep only its cause.
			err = ue.Err
		}
		return nil, "", time.Time{}, false, fmt.Errorf("GET %s: %w", name, err)
	}
	if resp.StatusCode == http.StatusNotModified {
		resp.Body.Close()
		return nil, "", time.Time{}, true, nil
	}
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		return nil, "", time.Time{}, false, &HTTPError{URL: name, StatusCode: resp.StatusCode, Status: resp.Status}
	}
	if ct := resp.Header.Get("Content-Type"); strings.HasPrefix(strings.ToLower(ct), "text/html") {
		resp.Body.Close()
		return nil, "", time.Time{}, false, fmt.Errorf("GET %s: got an HTML page, not CSV (is the sheet published to the web as CSV, with output=csv?)", name)
	}
	lastModified := resp.Header.Get("Last-Modified")
	if lm, err := http.ParseTime(lastModified); err == nil {
		modified = lm.UTC()
	}
	switch {
	case resp.Header.Get("ETag") != "":
		version = etagVersion + resp.Header.Get("ETag")
	case lastModified != "":
		version = lastModifiedVersion + lastModified
	}
	return resp.Body, version, modified, false, nil
}

// Parse reads CSV data; name is used in errors. The first non-blank line is
// the header. A malformed file (an unclosed quote) is an error rather than a
// skipped row, because the rest of the file cannot be trusted.
func Parse(name string, data []byte) (*Table, error) {
	src := Source{MaxBytes: int64(len(data)) + 1, MaxRows: math.MaxInt}
	rows, err := src.newRows(context.Background(), name, bytes.NewReader(data), io.NopCloser(nil))
	if err != nil {
		return nil, err
	}
	return rows.collect()
}

// Rows streams a table's data rows, so that memory does not grow with the
// table: the CSV reader reuses its buffers, and a Row is only valid until
// the next call to Next.
type Rows struct {
	// Name is the source as it is safe to show (see Table.Name).
	Name string
	// Header is the header row's cells, trimmed, without a byte order mark.
	Header []string
	// HeaderLine is the line the header is on.
	HeaderLine int
	// Version identifies the content; pass it to the next Open.
	Version string
	// Modified is when the content last changed, if the source says.
	Modified time.Time

	ctx     context.Context
	csv     *csv.Reader
	body    io.Closer
	maxRows int
	maxCols int
	count   int
}

// ctxCheckEvery is how many rows are read between checks of the context;
// reads from the file or body check it too, once per buffer.
const ctxCheckEvery = 1024

func (s Source) newRows(ctx context.Context, name string, r io.Reader, body io.Closer) (*Rows, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if bom, err := br.Peek(3); err == nil && string(bom) == "\xef\xbb\xbf" {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1 // hand-kept files often drop trailing empty cells
	rows := &Rows{Name: name, ctx: ctx, csv: cr, body: body, maxRows: s.maxRows(), maxCols: s.maxColumns()}
	rec, err := cr.Read()
	if errors.Is(err, io.EOF) {
		body.Close()
		return nil, fmt.Errorf("%s: the file is empty; line 1 must be the header row", name)
	}
	if err != nil {
		body.Close()
		return nil, rows.readError(err)
	}
	rows.HeaderLine, _ = cr.FieldPos(0)
	if len(rec) > rows.maxCols {
		body.Close()
		return nil, fmt.Errorf("%s:%d: the header has %d columns, more than the limit of %d", name, rows.HeaderLine, len(rec), rows.maxCols)
	}
	for i := range rec {
		rec[i] = strings.TrimSpace(rec[i])
		if len(rec[i]) > MaxCellBytes {
			body.Close()
			return nil, fmt.Errorf("%s:%d: column %d: header %s is more than the limit of %d bytes", name, rows.HeaderLine, i+1, Quote(rec[i]), MaxCellBytes)
		}
	}
	rows.Header = rec
	// The header is kept; the data rows share one reused slice.
	cr.ReuseRecord = true
	return rows, nil
}

// Next returns the next data row; rows whose cells are all empty are left
// out. It returns io.EOF after the last row, and an error naming the file
// and line for malformed CSV, a table over the row limit, or a done context.
func (r *Rows) Next() (Row, error) {
	for {
		if r.count%ctxCheckEvery == 0 {
			if err := r.ctx.Err(); err != nil {
				return Row{}, fmt.Errorf("%s: stopped after %d rows: %w", r.Name, r.count, err)
			}
		}
		rec, err := r.csv.Read()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return Row{}, io.EOF
			}
			return Row{}, r.readError(err)
		}
		if blank(rec) {
			continue
		}
		line, _ := r.csv.FieldPos(0)
		r.count++
		if r.count > r.maxRows {
			return Row{}, fmt.Errorf("%s:%d: the table has more than %d data rows, the limit (max_rows)", r.Name, line, r.maxRows)
		}
		if len(rec) > r.maxCols && len(rec) > len(r.Header) {
			// Cells past the header are never read; don't carry them.
			rec = rec[:len(r.Header)]
		}
		return Row{Line: line, Cells: rec}, nil
	}
}

// Count is how many data rows Next returned so far.
func (r *Rows) Count() int { return r.count }

// Close releases the file or response body.
func (r *Rows) Close() error {
	if r.body == nil {
		return nil
	}
	return r.body.Close()
}

func (r *Rows) readError(err error) error {
	if ctxErr := r.ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
		return fmt.Errorf("%s: stopped after %d rows: %w", r.Name, r.count, err)
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) && pe.Err != nil && !errors.Is(pe.Err, csv.ErrQuote) && !errors.Is(pe.Err, csv.ErrBareQuote) && !errors.Is(pe.Err, csv.ErrFieldCount) {
		// A read error (the byte limit, a broken connection), not the CSV.
		return fmt.Errorf("%s: line %d: %w", r.Name, pe.Line, pe.Err)
	}
	if pe != nil && pe.StartLine != pe.Line {
		return fmt.Errorf("%s:%d: %v (noticed at line %d, column %d)", r.Name, pe.StartLine, pe.Err, pe.Line, pe.Column)
	}
	if pe != nil {
		return fmt.Errorf("%s:%d: column %d: %v", r.Name, pe.Line, pe.Column, pe.Err)
	}
	return fmt.Errorf("%s: %w", r.Name, err)
}

// collect reads every row into a Table, copying the reused cells.
func (r *Rows) collect() (*Table, error) {
	t := &Table{Name: r.Name, Header: r.Header, HeaderLine: r.HeaderLine, Version: r.Version, Modified: r.Modified}
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return t, nil
		}
		if err != nil {
			return nil, err
		}
		row.Cells = append([]string(nil), row.Cells...)
		t.Rows = append(t.Rows, row)
	}
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// quoteLimit is how much of a cell or header an error, log line or note
// quotes: a 60 MB cell or a million-column header must not be echoed whole.
const quoteLimit = 64

// Quote quotes s for messages, cutting it after quoteLimit bytes (at a
// character boundary) and saying how long it was: "abc…"…(70000 bytes).
func Quote(s string) string {
	if len(s) <= quoteLimit {
		return strconv.Quote(s)
	}
	cut := quoteLimit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s…(%d bytes)", strconv.Quote(s[:cut]), len(s))
}

// quote is Quote, named for the reader of error messages.
func quote(s string) string { return Quote(s) }
