package confluence

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/compliance"
	confluencedoc "github.com/sre-value/sre-value-exporter/internal/compliance/confluence"
	"github.com/sre-value/sre-value-exporter/internal/formatcheck"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
	"github.com/sre-value/sre-value-exporter/internal/store"
)

// Format checks. Every stored page is checked against the templates that
// apply to it (by space, label and title) at each snapshot, as of the
// snapshot's time, so max_age rules turn pages stale without a sync. The
// rules on a page's text need its body: in API mode the collector fetches
// the storage format of the pages a template applies to, when their version
// changed, and keeps only what the rules read (pageBody); with pages_csv
// there is no body, and those rules are left unjudged (never passing).

// pageBody is what the format checks read from a page's storage-format
// body, for the version it was read at: a compact form, not the body.
type pageBody struct {
	Version int `json:"version"`
	// Error says why the body could not be mapped; the page is then
	// checked on its metadata only.
	Error       string                      `json:"error,omitempty"`
	Words       int                         `json:"words"`
	FirstLine   string                      `json:"first_line,omitempty"`
	FirstLineNo int                         `json:"first_line_no,omitempty"`
	Sections    []compliance.Section        `json:"sections,omitempty"`
	Links       []compliance.Link           `json:"links,omitempty"`
	Fields      map[string]compliance.Field `json:"fields,omitempty"`
}

// metadataDocument maps what the page list says about a page (title,
// space, labels, dates, URL), without its body.
func metadataDocument(p *page) *compliance.Document {
	doc, _ := confluencedoc.Parse(docPage(p), nil) // an empty body always maps
	return doc
}

func docPage(p *page) confluencedoc.Page {
	return confluencedoc.Page{Title: p.Title, URL: p.URL, Space: p.Space, Labels: p.Labels, Created: p.Created, Updated: p.Updated}
}

// withBody is the page's document with the stored body parts added.
func withBody(p *page, b *pageBody) *compliance.Document {
	doc := metadataDocument(p)
	doc.Words, doc.FirstLine, doc.FirstLineNo = b.Words, b.FirstLine, b.FirstLineNo
	doc.Sections, doc.Links = b.Sections, b.Links
	for name, f := range b.Fields {
		doc.Set(name, f.Line, f.Values...)
	}
	return doc
}

// bodyOf maps a page's storage-format body into its stored form.
func bodyOf(p *page, version int, storage string) pageBody {
	doc, err := confluencedoc.Parse(docPage(p), []byte(storage))
	if err != nil {
		// The error names the page, which the note says already.
		return pageBody{Version: version, Error: strings.TrimPrefix(err.Error(), fmt.Sprintf("page %q: ", p.Title))}
	}
	return pageBody{Version: version, Words: doc.Words, FirstLine: doc.FirstLine, FirstLineNo: doc.FirstLineNo, Sections: doc.Sections, Links: doc.Links, Fields: doc.Fields}
}

// syncBodies reads the bodies of the pages some template applies to whose
// stored body is missing or of another version, bodyBatch pages per
// request, and drops the bodies no template needs any more. Each batch is
// stored in its own transaction, so a failed sync keeps what it read.
func (c *Collector) syncBodies(ctx context.Context) error {
	set := c.deps.Templates
	if set == nil {
		return nil
	}
	now := c.deps.Now()
	var todo []page
	var unneeded []string
	if err := c.view(func(tx *store.Tx) error {
		needed := map[string]bool{}
		if err := tx.ForEachRecord(kindPage, func(id string, data []byte) error {
			var p page
			if err := json.Unmarshal(data, &p); err != nil {
				return fmt.Errorf("stored page %s: %w", id, err)
			}
			if len(set.For(metadataDocument(&p), now)) == 0 {
				return nil
			}
			needed[id] = true
			var b pageBody
			if ok, err := tx.GetRecord(kindBody, id, &b); err != nil || (ok && b.Version == p.Version) {
				return err
			}
			todo = append(todo, p)
			return nil
		}); err != nil {
			return err
		}
		return tx.ForEachRecord(kindBody, func(id string, _ []byte) error {
			if !needed[id] {
				unneeded = append(unneeded, id)
			}
			return nil
		})
	}); err != nil {
		return err
	}
	if err := c.update(func(tx *store.Tx) error {
		for _, id := range unneeded {
			if err := tx.DeleteRecord(kindBody, id); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	for start := 0; start < len(todo); start += bodyBatch {
		batch := todo[start:min(start+bodyBatch, len(todo))]
		ids := make([]string, len(batch))
		for i, p := range batch {
			ids[i] = p.ID
		}
		results, err := c.api.bodies(ctx, ids)
		if err != nil {
			return fmt.Errorf("confluence %s: page bodies %d-%d of %d: %w", c.deps.Name(), start+1, start+len(batch), len(todo), err)
		}
		byID := map[string]content{}
		for _, r := range results {
			byID[r.ID] = r
		}
		bodies := map[string]pageBody{}
		missing := 0
		for _, p := range batch {
			r, ok := byID[p.ID]
			switch {
			case !ok:
				// Deleted since the listing; the next listing drops it.
			case r.Body == nil || r.Body.Storage == nil:
				missing++
			default:
				version := p.Version
				if r.Version != nil && r.Version.Number > 0 {
					version = r.Version.Number
				}
				bodies[p.ID] = bodyOf(&p, version, r.Body.Storage.Value)
			}
		}
		if missing > 0 {
			c.log.Warn("the content search answered without body.storage; those pages are checked on their metadata only", "pages", missing)
		}
		if err := c.update(func(tx *store.Tx) error {
			for _, id := range sortedKeys(bodies) {
				if _, err := tx.PutRecord(kindBody, id, bodies[id]); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
	}
	if len(todo) > 0 {
		c.log.Debug("page bodies read for the format checks", "pages", len(todo), "requests", (len(todo)+bodyBatch-1)/bodyBatch)
	}
	return nil
}

// formatRun is one snapshot's format checking.
type formatRun struct {
	results *formatcheck.Results
	// unjudged counts the pages checked on their metadata only, by
	// template, with the rules left unjudged.
	unjudged map[string]*unjudged
	// unread counts the pages (API mode) whose body is not stored yet.
	unread int
	// broken are notes on bodies that could not be mapped.
	broken []string
}

type unjudged struct {
	pages int
	rules []string
}

// checkPages checks every stored page (all, as the snapshot read them)
// against the templates that apply to it, as of now, and emits the results
// into b.
func (c *Collector) checkPages(tx *store.Tx, b *snapshot.Builder, all []*page, now time.Time) error {
	set := c.deps.Templates
	if set == nil {
		return nil
	}
	run := &formatRun{results: formatcheck.New(now, "confluence"), unjudged: map[string]*unjudged{}}
	for _, p := range all {
		doc := metadataDocument(p)
		if len(set.For(doc, now)) == 0 {
			continue
		}
		if c.api != nil {
			var body pageBody
			ok, err := tx.GetRecord(kindBody, p.ID, &body)
			switch {
			case err != nil:
				return fmt.Errorf("stored body %s: %w", p.ID, err)
			case !ok || body.Version != p.Version:
				run.unread++
			case body.Error != "":
				run.broken = append(run.broken, fmt.Sprintf("format: %s: the body is not valid storage format (%s); checked on its metadata only", where(p), body.Error))
			default:
				run.results.Add(p.Created, set.Check(withBody(p, &body), now))
				continue
			}
		}
		results := set.CheckMetadata(doc, now)
		for _, res := range results {
			u := run.unjudged[res.Template]
			if u == nil {
				u = &unjudged{rules: res.Unchecked}
				run.unjudged[res.Template] = u
			}
			if len(res.Unchecked) > 0 {
				u.pages++
			}
		}
		run.results.Add(p.Created, results)
	}
	run.results.Emit(b)
	c.setNotes(notesFormat, run.notes(c.api == nil, run.results.Notes()))
	return nil
}

// notes are the landing page's format notes: the findings, then what was
// not judged and why.
func (r *formatRun) notes(csv bool, findings []string) []string {
	notes := findings
	if len(r.broken) > maxNotes {
		r.broken = append(r.broken[:maxNotes], fmt.Sprintf("format: ... and %d more pages whose body is not valid storage format", len(r.broken)-maxNotes))
	}
	notes = append(notes, r.broken...)
	if r.unread > 0 {
		notes = append(notes, fmt.Sprintf("format: %s checked on their metadata only because their body has not been read yet (see the log); they count as checked, never as passing", pages(r.unread)+map[bool]string{true: " was", false: " were"}[r.unread == 1]))
	}
	if csv {
		for _, name := range sortedKeys(r.unjudged) {
			u := r.unjudged[name]
			if u.pages == 0 {
				continue
			}
			notes = append(notes, fmt.Sprintf("format: %s: pages_csv has no page bodies, so rules %s were not checked on %s, which count as checked but never as passing; read the pages from the API (url) to check them", name, strings.Join(u.rules, ", "), pages(u.pages)))
		}
	}
	return notes
}

// where names a page for a note: its quoted title and URL.
func where(p *page) string {
	if p.URL == "" {
		return fmt.Sprintf("%q", p.Title)
	}
	return fmt.Sprintf("%q %s", p.Title, p.URL)
}

// pages says "1 page", "2 pages".
func pages(n int) string {
	if n == 1 {
		return "1 page"
	}
	return fmt.Sprintf("%d pages", n)
}
