// Package tabular reads hand-kept tables: CSV files next to the config or
// CSV published on the web (a Google Sheet's "publish to the web" CSV
// export). It tells whether the table changed since the last read, maps the
// logical columns a collector wants onto the header a person wrote, and
// parses cells with errors that name the file, line and column, so that a
// person can find and fix the cell.
package tabular

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// DefaultMaxBytes bounds what one read loads into memory (about a million
// rows of a typical sheet).
const DefaultMaxBytes = 64 << 20

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

// Read loads and parses the table. When the content's version equals
// prevVersion it reports unchanged and returns a Table without rows, so an
// unchanged table is not parsed again. For URLs it sends a conditional
// request (If-None-Match, If-Modified-Since), and a 304 means unchanged.
func (s Source) Read(ctx context.Context, prevVersion string) (t *Table, unchanged bool, err error) {
	var (
		data     []byte
		version  string
		modified time.Time
	)
	if s.IsURL() {
		var notModified bool
		data, version, modified, notModified, err = s.fetch(ctx, prevVersion)
		if err != nil {
			return nil, false, err
		}
		if notModified {
			return &Table{Name: s.Name(), Version: prevVersion}, true, nil
		}
	} else {
		data, version, modified, err = s.readFile()
		if err != nil {
			return nil, false, err
		}
	}
	if version == prevVersion && prevVersion != "" {
		return &Table{Name: s.Name(), Version: version, Modified: modified}, true, nil
	}
	t, err = Parse(s.Name(), data)
	if err != nil {
		return nil, false, err
	}
	t.Version, t.Modified = version, modified
	return t, false, nil
}

func (s Source) maxBytes() int64 {
	if s.MaxBytes > 0 {
		return s.MaxBytes
	}
	return DefaultMaxBytes
}

func (s Source) readFile() (data []byte, version string, modified time.Time, err error) {
	path := s.Location
	if !filepath.IsAbs(path) {
		path = filepath.Join(s.BaseDir, path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, "", time.Time{}, fmt.Errorf("%s: %w", s.Name(), err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, "", time.Time{}, fmt.Errorf("%s: %w", s.Name(), err)
	}
	if info.IsDir() {
		return nil, "", time.Time{}, fmt.Errorf("%s: is a directory, not a CSV file", s.Name())
	}
	if info.Size() > s.maxBytes() {
		return nil, "", time.Time{}, fmt.Errorf("%s: %d bytes is more than the limit of %d", s.Name(), info.Size(), s.maxBytes())
	}
	data, err = io.ReadAll(io.LimitReader(f, s.maxBytes()+1))
	if err != nil {
		return nil, "", time.Time{}, fmt.Errorf("%s: %w", s.Name(), err)
	}
	sum := sha256.Sum256(data)
	version = fmt.Sprintf("file:%d:%d:%s", len(data), info.ModTime().UnixNano(), hex.EncodeToString(sum[:]))
	return data, version, info.ModTime().UTC(), nil
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

func (s Source) fetch(ctx context.Context, prevVersion string) (data []byte, version string, modified time.Time, notModified bool, err error) {
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
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotModified {
		return nil, "", time.Time{}, true, nil
	}
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, "", time.Time{}, false, &HTTPError{URL: name, StatusCode: resp.StatusCode, Status: resp.Status}
	}
	if ct := resp.Header.Get("Content-Type"); strings.HasPrefix(strings.ToLower(ct), "text/html") {
		return nil, "", time.Time{}, false, fmt.Errorf("GET %s: got an HTML page, not CSV (is the sheet published to the web as CSV, with output=csv?)", name)
	}
	data, err = io.ReadAll(io.LimitReader(resp.Body, s.maxBytes()+1))
	if err != nil {
		return nil, "", time.Time{}, false, fmt.Errorf("GET %s: reading body: %w", name, err)
	}
	if int64(len(data)) > s.maxBytes() {
		return nil, "", time.Time{}, false, fmt.Errorf("GET %s: body is more than the limit of %d bytes", name, s.maxBytes())
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
	default:
		sum := sha256.Sum256(data)
		version = bodyVersion + hex.EncodeToString(sum[:])
	}
	return data, version, modified, false, nil
}

// Parse reads CSV data; name is used in errors. The first non-blank line is
// the header. A malformed file (an unclosed quote) is an error rather than a
// skipped row, because the rest of the file cannot be trusted.
func Parse(name string, data []byte) (*Table, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1 // hand-kept files often drop trailing empty cells
	t := &Table{Name: name}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && pe.StartLine != pe.Line {
				return nil, fmt.Errorf("%s:%d: %v (noticed at line %d, column %d)", name, pe.StartLine, pe.Err, pe.Line, pe.Column)
			}
			if pe != nil {
				return nil, fmt.Errorf("%s:%d: column %d: %v", name, pe.Line, pe.Column, pe.Err)
			}
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := r.FieldPos(0)
		if t.Header == nil {
			for i := range rec {
				rec[i] = strings.TrimSpace(rec[i])
			}
			t.Header, t.HeaderLine = rec, line
			continue
		}
		if blank(rec) {
			continue
		}
		t.Rows = append(t.Rows, Row{Line: line, Cells: rec})
	}
	if t.Header == nil {
		return nil, fmt.Errorf("%s: the file is empty; line 1 must be the header row", name)
	}
	return t, nil
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// quote is strconv.Quote, named for the reader of error messages.
func quote(s string) string { return strconv.Quote(s) }
