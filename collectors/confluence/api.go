package confluence

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/upstream"
)

// The REST paths, relative to the wiki base (…/wiki on Cloud). Both
// deployments serve the v1 content search; only Cloud has analytics.
const (
	searchPath    = "/rest/api/content/search"
	analyticsPath = "/rest/api/analytics/content/%s/%s" // id, views|viewers
	searchExpand  = "space,version,history,metadata.labels"
	// bodyExpand is what the search for page bodies asks for: the storage
	// format (XHTML) and the version it belongs to.
	bodyExpand = "version,body.storage"
)

// bodyBatch is how many pages' bodies one search asks for: Confluence
// lowers the page size of searches that expand bodies, and the CQL lists
// every id, so the URL stays short.
const bodyBatch = 25

// fromDateLayout is how the analytics API takes fromDate.
const fromDateLayout = "2006-01-02T15:04:05.000Z"

// searchPage is one page of GET /rest/api/content/search.
type searchPage struct {
	// Results is a pointer so that an answer without the field (a proxy's
	// or another API's JSON) is told apart from an empty page.
	Results *[]content `json:"results"`
	Start   int        `json:"start"`
	Limit   int        `json:"limit"`
	Size    int        `json:"size"`
	Links   struct {
		Base    string `json:"base"`
		Context string `json:"context"`
		Next    string `json:"next"`
	} `json:"_links"`
}

// content is a page or blog post as the search returns it with
// expand=space,version,history,metadata.labels.
type content struct {
	ID     string `json:"id"`
	Type   string `json:"type"`
	Status string `json:"status"`
	Title  string `json:"title"`
	Space  *struct {
		Key string `json:"key"`
	} `json:"space"`
	History *struct {
		CreatedDate string `json:"createdDate"`
	} `json:"history"`
	Version *struct {
		When   string `json:"when"`
		Number int    `json:"number"`
	} `json:"version"`
	Links *struct {
		WebUI string `json:"webui"`
	} `json:"_links"`
	// Body is only asked for by the body search (expand=body.storage).
	Body *struct {
		Storage *struct {
			Value string `json:"value"`
		} `json:"storage"`
	} `json:"body"`
	Metadata *struct {
		Labels *struct {
			Results []struct {
				Name string `json:"name"`
			} `json:"results"`
		} `json:"labels"`
	} `json:"metadata"`
}

// countAnswer is the analytics API's {"id": 123, "count": 45}.
type countAnswer struct {
	Count *int64 `json:"count"`
}

// api is the few Confluence REST calls the collector makes, over the
// shared upstream HTTP layer.
type api struct {
	http *http.Client
	base *url.URL
}

// get sends GET rawURL and decodes the JSON answer into out. Errors are
// classified and redacted by the upstream layer.
func (a *api) get(ctx context.Context, rawURL string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return upstream.Classify(err, nil)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := a.http.Do(req)
	if err != nil {
		return upstream.Classify(err, resp)
	}
	defer resp.Body.Close()
	if err := upstream.Classify(nil, resp); err != nil {
		return err
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return upstream.Classify(fmt.Errorf("malformed JSON: %w", err), resp)
	}
	return nil
}

// firstSearch is the URL of the first page of cql.
func (a *api) firstSearch(cql string, limit int) string {
	return a.searchURL(cql, searchExpand, limit)
}

func (a *api) searchURL(cql, expand string, limit int) string {
	q := url.Values{}
	q.Set("cql", cql)
	q.Set("expand", expand)
	q.Set("limit", strconv.Itoa(limit))
	return a.base.String() + searchPath + "?" + q.Encode()
}

// search fetches one page of a search and returns the URL of the next page
// ("" after the last).
func (a *api) search(ctx context.Context, pageURL string) ([]content, string, error) {
	var p searchPage
	if err := a.get(ctx, pageURL, &p); err != nil {
		return nil, "", err
	}
	if p.Results == nil {
		return nil, "", collectors.WithReason(collectors.ReasonDecode, fmt.Errorf("GET %s: the answer has no results: not a Confluence content search", upstream.Redact(pageURL)))
	}
	if p.Links.Next == "" {
		return *p.Results, "", nil
	}
	next, err := a.resolve(p.Links.Next)
	if err != nil {
		return nil, "", err
	}
	if next == pageURL {
		return nil, "", fmt.Errorf("GET %s: _links.next points to the same page; paging would never end", upstream.Redact(pageURL))
	}
	return *p.Results, next, nil
}

// resolve turns _links.next, which is relative to the wiki's context
// ("/rest/api/content/search?cursor=..."), into a URL on the configured
// host. An absolute link to another host is refused: the credentials are
// only ever sent to the configured wiki.
func (a *api) resolve(next string) (string, error) {
	u, err := url.Parse(next)
	if err != nil {
		return "", fmt.Errorf("_links.next %q is not a URL", next)
	}
	if u.IsAbs() || u.Host != "" {
		if u.Host != a.base.Host {
			return "", fmt.Errorf("_links.next points to another host (%s), not following it", u.Host)
		}
		return u.String(), nil
	}
	path := u.Path
	if ctx := a.base.Path; ctx != "" && !strings.HasPrefix(path, ctx+"/") {
		path = ctx + path
	}
	r := *a.base
	r.Path, r.RawPath, r.RawQuery = path, "", u.RawQuery
	return r.String(), nil
}

// errGone is a page the analytics API no longer knows (deleted since the
// listing); it is skipped, not an error.
var errGone = errors.New("content not found")

// count asks the analytics API for the views or viewers (what) of content
// id since from.
func (a *api) count(ctx context.Context, id, what string, from time.Time) (int64, error) {
	q := url.Values{"fromDate": {from.UTC().Format(fromDateLayout)}}
	u := a.base.String() + fmt.Sprintf(analyticsPath, url.PathEscape(id), what) + "?" + q.Encode()
	var ans countAnswer
	if err := a.get(ctx, u, &ans); err != nil {
		var ue *upstream.Error
		if errors.As(err, &ue) && ue.Status == http.StatusNotFound {
			return 0, errGone
		}
		return 0, err
	}
	if ans.Count == nil || *ans.Count < 0 {
		return 0, collectors.WithReason(collectors.ReasonDecode, fmt.Errorf("GET %s: the answer has no count (or a negative one)", upstream.Redact(u)))
	}
	return *ans.Count, nil
}

// bodies fetches the storage-format bodies of the pages with these ids
// (at most bodyBatch) with one content search, following _links.next if
// Confluence answers in smaller pages. Pages deleted since the listing are
// missing from the answer.
func (a *api) bodies(ctx context.Context, ids []string) ([]content, error) {
	quoted := make([]string, len(ids))
	for i, id := range ids {
		quoted[i] = quoteCQL(id)
	}
	var out []content
	next := a.searchURL(fmt.Sprintf("id in (%s)", strings.Join(quoted, ",")), bodyExpand, len(ids))
	for next != "" {
		results, following, err := a.search(ctx, next)
		if err != nil {
			return nil, err
		}
		out = append(out, results...)
		next = following
	}
	return out, nil
}
