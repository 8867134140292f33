package report

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"text/template"

	"github.com/sre-value/sre-value-exporter/internal/config"
	"github.com/sre-value/sre-value-exporter/internal/upstream"
)

// ConfluenceOptions say where the report is published. The page is
// written through the Confluence Cloud REST API v1 (/rest/api/content),
// which Data Center serves as well, in the storage format.
type ConfluenceOptions struct {
	// URL is the wiki's base, such as https://example.atlassian.net/wiki.
	URL string
	// Space is the space key; Title the page's title (the report's when
	// empty); ParentID an optional parent page.
	Space, Title, ParentID string
	// User is the account's email; Token its API token (basic auth).
	User  string
	Token config.Secret
	// Logger gets the HTTP layer's retries.
	Logger *slog.Logger
	tune   func(*upstream.Options)
}

// ConfluenceResult is the page written.
type ConfluenceResult struct {
	ID      string
	Version int
	Created bool
	URL     string
}

// ErrVersionConflict is a page someone else saved between our read and
// our write, twice in a row.
var ErrVersionConflict = errors.New("confluence: the page changed while it was being updated (409 version conflict)")

type confluence struct {
	base string
	http *http.Client
}

type page struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Version struct {
		Number int `json:"number"`
	} `json:"version"`
	Links struct {
		Base  string `json:"base"`
		WebUI string `json:"webui"`
	} `json:"_links"`
}

// PublishConfluence creates the page titled Title in Space, or updates it
// with the next version number when it exists, then attaches the charts
// the page shows. A 409 (someone saved in between) is retried once with
// the new version; a second one is ErrVersionConflict.
func PublishConfluence(ctx context.Context, r *Report, opts ConfluenceOptions) (ConfluenceResult, error) {
	u, err := url.Parse(opts.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ConfluenceResult{}, fmt.Errorf("confluence URL %s is not an http(s) URL", upstream.Redact(fmt.Sprintf("%q", opts.URL), opts.Token.Value()))
	}
	if opts.Space == "" || opts.User == "" || !opts.Token.IsSet() {
		return ConfluenceResult{}, errors.New("confluence: a space, a user and a token are all needed")
	}
	if opts.Title == "" {
		opts.Title = r.Title
	}
	secret := opts.Token.Value()
	uo := upstream.Options{
		Secrets:   []string{secret},
		Authorize: func(req *http.Request) { req.SetBasicAuth(opts.User, secret) },
		UserAgent: "sre-value-exporter report",
		Logger:    opts.Logger,
	}
	if opts.tune != nil {
		opts.tune(&uo)
	}
	c := confluence{base: strings.TrimRight(u.String(), "/"), http: upstream.New(uo).HTTP()}
	body, err := StorageFormat(r)
	if err != nil {
		return ConfluenceResult{}, err
	}

	var res ConfluenceResult
	for attempt := 0; ; attempt++ {
		existing, err := c.find(ctx, opts.Space, opts.Title)
		if err != nil {
			return ConfluenceResult{}, err
		}
		var p page
		if existing == nil {
			p, err = c.create(ctx, opts, body)
			res.Created = true
		} else {
			p, err = c.update(ctx, *existing, opts.Title, body)
		}
		var ue *upstream.Error
		if errors.As(err, &ue) && ue.Status == http.StatusConflict {
			if attempt == 0 {
				continue // read the new version and write on top of it once
			}
			return ConfluenceResult{}, fmt.Errorf("%w: %w", ErrVersionConflict, err)
		}
		if err != nil {
			return ConfluenceResult{}, err
		}
		res.ID, res.Version = p.ID, p.Version.Number
		if p.Links.WebUI != "" {
			res.URL = strings.TrimRight(p.Links.Base, "/") + p.Links.WebUI
		}
		break
	}
	for _, s := range r.Sections {
		for _, ch := range s.Charts {
			if len(ch.PNG) > 0 {
				if err := c.attach(ctx, res.ID, ChartFile(ch), ch.PNG); err != nil {
					return res, err
				}
			}
		}
	}
	return res, nil
}

// find returns the page titled title in space, nil when there is none.
func (c confluence) find(ctx context.Context, space, title string) (*page, error) {
	q := url.Values{"spaceKey": {space}, "title": {title}, "type": {"page"}, "expand": {"version"}}
	var out struct {
		Results *[]page `json:"results"`
	}
	if err := c.do(ctx, http.MethodGet, "/rest/api/content?"+q.Encode(), nil, "", &out); err != nil {
		return nil, fmt.Errorf("confluence: finding page %q in space %s: %w", title, space, err)
	}
	if out.Results == nil {
		return nil, fmt.Errorf("confluence: finding page %q in space %s: the answer has no results", title, space)
	}
	if len(*out.Results) == 0 {
		return nil, nil
	}
	return &(*out.Results)[0], nil
}

type storageBody struct {
	Storage struct {
		Value          string `json:"value"`
		Representation string `json:"representation"`
	} `json:"storage"`
}

func newBody(value string) storageBody {
	var b storageBody
	b.Storage.Value, b.Storage.Representation = value, "storage"
	return b
}

func (c confluence) create(ctx context.Context, opts ConfluenceOptions, body string) (page, error) {
	req := map[string]any{
		"type": "page", "title": opts.Title, "space": map[string]string{"key": opts.Space}, "body": newBody(body),
	}
	if opts.ParentID != "" {
		req["ancestors"] = []map[string]string{{"id": opts.ParentID}}
	}
	var p page
	if err := c.doJSON(ctx, http.MethodPost, "/rest/api/content", req, &p); err != nil {
		return p, fmt.Errorf("confluence: creating page %q in space %s: %w", opts.Title, opts.Space, err)
	}
	return p, nil
}

func (c confluence) update(ctx context.Context, old page, title, body string) (page, error) {
	req := map[string]any{
		"id": old.ID, "type": "page", "title": title, "body": newBody(body),
		"version": map[string]any{"number": old.Version.Number + 1, "message": "Updated by sre-value-exporter report"},
	}
	var p page
	if err := c.doJSON(ctx, http.MethodPut, "/rest/api/content/"+url.PathEscape(old.ID), req, &p); err != nil {
		return p, fmt.Errorf("confluence: updating page %s to version %d: %w", old.ID, old.Version.Number+1, err)
	}
	return p, nil
}

// attach creates or updates the attachment name of page id (PUT on the
// child/attachment collection does both).
func (c confluence) attach(ctx context.Context, id, name string, data []byte) error {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		return err
	}
	if _, err := fw.Write(data); err != nil {
		return err
	}
	if err := mw.WriteField("minorEdit", "true"); err != nil {
		return err
	}
	if err := mw.Close(); err != nil {
		return err
	}
	if err := c.do(ctx, http.MethodPut, "/rest/api/content/"+url.PathEscape(id)+"/child/attachment", &buf, mw.FormDataContentType(), nil); err != nil {
		return fmt.Errorf("confluence: attaching %s to page %s: %w", name, id, err)
	}
	return nil
}

func (c confluence) doJSON(ctx context.Context, method, path string, in, out any) error {
	data, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return c.do(ctx, method, path, bytes.NewReader(data), "application/json", out)
}

func (c confluence) do(ctx context.Context, method, path string, body io.Reader, contentType string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	// Confluence refuses attachment uploads without it (XSRF check).
	req.Header.Set("X-Atlassian-Token", "no-check")
	resp, err := c.http.Do(req)
	if err != nil {
		return upstream.Classify(err, resp)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return upstream.Classify(nil, resp)
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decoding the answer: %w", method, path, err)
	}
	return nil
}

// StorageFormat is the report as a Confluence page body (XHTML storage
// format), the charts as attachments named ChartFile.
func StorageFormat(r *Report) (string, error) {
	t, err := template.New("report.storage.tmpl").Funcs(funcs).Funcs(template.FuncMap{
		"esc":  html.EscapeString,
		"file": ChartFile,
		// "]]>" would end the CDATA section early.
		"cdata": func(s string) string { return strings.ReplaceAll(s, "]]>", "]]]]><![CDATA[>") },
	}).ParseFS(templates, "templates/report.storage.tmpl")
	if err != nil {
		return "", fmt.Errorf("storage template: %w", err)
	}
	var b strings.Builder
	if err := t.Execute(&b, r); err != nil {
		return "", fmt.Errorf("writing the storage format: %w", err)
	}
	return b.String(), nil
}
