package tabular

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/mask"
)

// Column is a logical column a reader wants. Its Name is also the header
// it is found under unless the config maps it to another header.
type Column struct {
	Name string
	// Optional columns may be missing from the header, and their cells may
	// be empty; a required column must be there and have a value in every row.
	Optional bool
}

// Columns is a table's header resolved against the logical columns a reader
// wants, so cells are read by logical name.
type Columns struct {
	table    string
	index    map[string]int    // logical name -> cell position; absent when an optional column is missing
	header   map[string]string // logical name -> header text, for messages
	optional map[string]bool
	used     []string // logical names of the columns found, in order, for Check
	// DateLayout is an extra Go time layout tried before the standard ones,
	// for sheets that write dates like 31/01/2024.
	DateLayout string
}

// CheckOverrides reports an override that names no logical column, so a
// typo in the config is caught before any table is read.
func CheckOverrides(want []Column, overrides map[string]string) error {
	known := map[string]bool{}
	for _, c := range want {
		known[c.Name] = true
	}
	for _, logical := range sortedKeys(overrides) {
		if !known[logical] {
			return fmt.Errorf("%s is not a column of this table (columns: %s)", mask.Quote(logical), columnNames(want))
		}
		if strings.TrimSpace(overrides[logical]) == "" {
			return fmt.Errorf("%s is mapped to an empty header", mask.Quote(logical))
		}
	}
	return nil
}

// Resolve finds the wanted columns in the header. overrides maps logical
// names to the header text to look for instead. Matching ignores case and
// surrounding spaces.
func (t *Table) Resolve(want []Column, overrides map[string]string) (*Columns, error) {
	if err := CheckOverrides(want, overrides); err != nil {
		return nil, fmt.Errorf("%s: columns: %w", t.Name, err)
	}
	positions := map[string][]int{}
	for i, h := range t.Header {
		key := normaliseHeader(h)
		positions[key] = append(positions[key], i)
	}
	c := &Columns{table: t.Name, index: map[string]int{}, header: map[string]string{}, optional: map[string]bool{}}
	for _, w := range want {
		header := w.Name
		if o, ok := overrides[w.Name]; ok {
			header = o
		}
		c.optional[w.Name] = w.Optional
		c.header[w.Name] = strings.TrimSpace(header)
		pos := positions[normaliseHeader(header)]
		switch {
		case len(pos) == 0 && w.Optional:
			continue
		case len(pos) == 0:
			mapped := ""
			if header != w.Name {
				mapped = fmt.Sprintf(" (mapped to header %s)", Quote(header))
			}
			return nil, fmt.Errorf("%s:%d: required column %q%s is missing from the header; the header has: %s",
				t.Name, t.HeaderLine, w.Name, mapped, headerList(t.Header))
		case len(pos) > 1:
			return nil, fmt.Errorf("%s:%d: header %s appears %d times (columns %s); rename one so column %q is unambiguous",
				t.Name, t.HeaderLine, Quote(header), len(pos), joinInts(pos), w.Name)
		}
		c.index[w.Name] = pos[0]
		c.header[w.Name] = t.Header[pos[0]]
		c.used = append(c.used, w.Name)
	}
	return c, nil
}

// Has reports whether the table has the column (optional columns may not).
func (c *Columns) Has(name string) bool {
	_, ok := c.index[name]
	return ok
}

// Header returns the header text of the logical column, as in the file.
func (c *Columns) Header(name string) string { return c.header[name] }

// Record reads a row through the columns.
func (c *Columns) Record(row Row) Record { return Record{c: c, Row: row} }

// maxListedHeaders is how many headers an error lists before "and N more".
const maxListedHeaders = 20

// headerList names the headers for an error: the first few, long ones cut.
func headerList(header []string) string {
	items := make([]string, 0, min(len(header), maxListedHeaders)+1)
	for i, h := range header {
		if i == maxListedHeaders {
			items = append(items, fmt.Sprintf("and %d more", len(header)-i))
			break
		}
		if len(h) > quoteLimit {
			h = Quote(h)
		}
		items = append(items, h)
	}
	return strings.Join(items, ", ")
}

func normaliseHeader(h string) string {
	return strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
}

// Record is one data row read by logical column names.
type Record struct {
	c   *Columns
	Row Row
}

// Line is the row's line in the file.
func (r Record) Line() int { return r.Row.Line }

// Text returns the trimmed cell, or "" when the column is absent or the
// row is shorter than the header.
func (r Record) Text(name string) string {
	i, ok := r.c.index[name]
	if !ok || i >= len(r.Row.Cells) {
		return ""
	}
	return strings.TrimSpace(r.Row.Cells[i])
}

// Check refuses a row with a cell over MaxCellBytes in a column the reader
// uses, so that such text reaches no label, log line or store record.
func (r Record) Check() error {
	for _, name := range r.c.used {
		if i := r.c.index[name]; i < len(r.Row.Cells) && len(r.Row.Cells[i]) > MaxCellBytes {
			return r.Errorf(name, "%s is more than the limit of %d bytes per cell", Quote(r.Row.Cells[i]), MaxCellBytes)
		}
	}
	return nil
}

// Has reports whether the cell has a value.
func (r Record) Has(name string) bool { return r.Text(name) != "" }

// Required returns the cell, or an error when a required column's cell is
// empty. An optional column's empty cell is "" without error.
func (r Record) Required(name string) (string, error) {
	v := r.Text(name)
	if v == "" && !r.c.optional[name] {
		return "", r.Errorf(name, "empty; a value is required")
	}
	return v, nil
}

// Date parses the cell as a date or time; an empty optional cell is the
// zero time.
func (r Record) Date(name string) (time.Time, error) {
	v, err := r.Required(name)
	if err != nil || v == "" {
		return time.Time{}, err
	}
	t, err := ParseDate(v, r.c.DateLayout)
	if err != nil {
		return time.Time{}, r.Errorf(name, "%v", err)
	}
	return t, nil
}

// Number parses the cell as a non-negative number; an empty optional cell is 0.
func (r Record) Number(name string) (float64, error) {
	return r.parse(name, ParseNumber)
}

// Float parses the cell as a number that may be negative; an empty optional cell is 0.
func (r Record) Float(name string) (float64, error) {
	return r.parse(name, ParseFloat)
}

// Int parses the cell as a non-negative whole number; an empty optional cell is 0.
func (r Record) Int(name string) (int64, error) {
	v, err := r.Required(name)
	if err != nil || v == "" {
		return 0, err
	}
	n, err := ParseInt(v)
	if err != nil {
		return 0, r.Errorf(name, "%v", err)
	}
	return n, nil
}

// Bool parses the cell as yes/no; an empty optional cell is false.
func (r Record) Bool(name string) (bool, error) {
	v, err := r.Required(name)
	if err != nil || v == "" {
		return false, err
	}
	b, err := ParseBool(v)
	if err != nil {
		return false, r.Errorf(name, "%v", err)
	}
	return b, nil
}

func (r Record) parse(name string, parse func(string) (float64, error)) (float64, error) {
	v, err := r.Required(name)
	if err != nil || v == "" {
		return 0, err
	}
	n, err := parse(v)
	if err != nil {
		return 0, r.Errorf(name, "%v", err)
	}
	return n, nil
}

// Errorf returns a CellError for the column (name "" for the whole row).
func (r Record) Errorf(name, format string, args ...any) error {
	e := &CellError{File: r.c.table, Line: r.Row.Line, Reason: fmt.Sprintf(format, args...)}
	if name != "" {
		e.Column = r.c.header[name]
		if e.Column == "" {
			e.Column = name
		}
	}
	return e
}

// CellError is a cell (or row) that cannot be used, with where it is.
type CellError struct {
	File   string
	Line   int
	Column string // the header as written in the file; "" for the whole row
	Reason string
}

func (e *CellError) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason)
	}
	return fmt.Sprintf("%s:%d: column %s: %s", e.File, e.Line, Quote(e.Column), e.Reason)
}

func columnNames(cs []Column) string {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = fmt.Sprint(n + 1)
	}
	return strings.Join(s, " and ")
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
