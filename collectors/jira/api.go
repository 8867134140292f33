package jira

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	gojira "github.com/andygrunwald/go-jira"

	"github.com/sre-value/sre-value-exporter/internal/upstream"
)

// The REST paths. go-jira's SearchV2JQL and Search decode into its own
// Issue type, whose Changelog drops startAt/maxResults/total, so a
// truncated changelog could not be noticed; the collector therefore uses
// go-jira's NewRequest/Do with its own response types.
const (
	cloudSearchPath     = "rest/api/3/search/jql"
	dataCenterSearch    = "rest/api/2/search"
	cloudChangelogPath  = "rest/api/3/issue/%s/changelog"
	dataCenterIssuePath = "rest/api/2/issue/%s"
	changelogPageSize   = 100
)

// searchPage is one page of either search API: Cloud's enhanced search
// (nextPageToken, isLast) or Data Center's (startAt, maxResults, total).
type searchPage struct {
	Issues        []issue `json:"issues"`
	NextPageToken string  `json:"nextPageToken"`
	IsLast        bool    `json:"isLast"`
	StartAt       int     `json:"startAt"`
	MaxResults    int     `json:"maxResults"`
	Total         int     `json:"total"`
}

type issue struct {
	Key       string                     `json:"key"`
	Fields    map[string]json.RawMessage `json:"fields"`
	Changelog *changelog                 `json:"changelog"`
}

type changelog struct {
	StartAt    int       `json:"startAt"`
	MaxResults int       `json:"maxResults"`
	Total      int       `json:"total"`
	Histories  []history `json:"histories"`
}

// complete reports whether the changelog embedded in a search result holds
// every history entry.
func (c *changelog) complete() bool {
	return c == nil || c.Total <= len(c.Histories)
}

type history struct {
	ID      string        `json:"id"`
	Created string        `json:"created"`
	Items   []historyItem `json:"items"`
}

type historyItem struct {
	Field    string `json:"field"`
	FieldID  string `json:"fieldId"`
	ToString string `json:"toString"`
}

// changelogPage is Cloud's GET /rest/api/3/issue/{key}/changelog.
type changelogPage struct {
	StartAt    int       `json:"startAt"`
	MaxResults int       `json:"maxResults"`
	Total      int       `json:"total"`
	IsLast     bool      `json:"isLast"`
	Values     []history `json:"values"`
}

// api wraps go-jira for the three calls the collector makes.
type api struct {
	jc         *gojira.Client
	deployment string
}

func newAPI(s *settings, client *upstream.Client) (*api, error) {
	jc, err := gojira.NewClient(client.HTTP(), s.base.String())
	if err != nil {
		return nil, fmt.Errorf("jira client for %s: %w", s.base, err)
	}
	return &api{jc: jc, deployment: s.Deployment}, nil
}

// get sends GET path?query and decodes the JSON answer into out. Errors
// are classified and redacted by the upstream layer.
func (a *api) get(ctx context.Context, path string, query url.Values, out any) error {
	u := path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := a.jc.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return upstream.Classify(err, nil)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := a.jc.Do(req, out)
	var hr *http.Response
	if resp != nil {
		hr = resp.Response
		defer hr.Body.Close()
	}
	if hr != nil && hr.StatusCode >= 400 {
		// go-jira's own message says nothing; classifying the response
		// itself keeps Jira's errorMessages in the error.
		return upstream.Classify(nil, hr)
	}
	return upstream.Classify(err, hr)
}

// pageCursor says how to ask for the next page of a search.
type pageCursor struct {
	token   string // Cloud
	startAt int    // Data Center
	done    bool
}

// search fetches one page of jql.
func (a *api) search(ctx context.Context, jql string, fields []string, expand string, pageSize int, at pageCursor) ([]issue, pageCursor, error) {
	q := url.Values{}
	q.Set("jql", jql)
	q.Set("fields", strings.Join(fields, ","))
	q.Set("maxResults", strconv.Itoa(pageSize))
	if expand != "" {
		q.Set("expand", expand)
	}
	var p searchPage
	if a.deployment == Cloud {
		if at.token != "" {
			q.Set("nextPageToken", at.token)
		}
		if err := a.get(ctx, cloudSearchPath, q, &p); err != nil {
			return nil, at, err
		}
		next := pageCursor{token: p.NextPageToken}
		// The last page has isLast and no token; a page without a token is
		// the last whatever isLast says, or paging would never end.
		next.done = p.IsLast || p.NextPageToken == ""
		return p.Issues, next, nil
	}
	q.Set("startAt", strconv.Itoa(at.startAt))
	if err := a.get(ctx, dataCenterSearch, q, &p); err != nil {
		return nil, at, err
	}
	next := pageCursor{startAt: at.startAt + len(p.Issues)}
	next.done = len(p.Issues) == 0 || next.startAt >= p.Total
	return p.Issues, next, nil
}

// fullChangelog returns every history entry of key, for issues whose
// changelog in the search answer was truncated.
func (a *api) fullChangelog(ctx context.Context, key string) ([]history, error) {
	if a.deployment == DataCenter {
		// Data Center has no changelog resource; the issue resource with
		// expand=changelog returns the whole changelog.
		var out issue
		q := url.Values{"fields": {"created"}, "expand": {"changelog"}}
		if err := a.get(ctx, fmt.Sprintf(dataCenterIssuePath, url.PathEscape(key)), q, &out); err != nil {
			return nil, err
		}
		if out.Changelog == nil {
			return nil, nil
		}
		return out.Changelog.Histories, nil
	}
	var all []history
	startAt := 0
	for {
		var p changelogPage
		q := url.Values{"startAt": {strconv.Itoa(startAt)}, "maxResults": {strconv.Itoa(changelogPageSize)}}
		if err := a.get(ctx, fmt.Sprintf(cloudChangelogPath, url.PathEscape(key)), q, &p); err != nil {
			return nil, fmt.Errorf("changelog from %d: %w", startAt, err)
		}
		all = append(all, p.Values...)
		startAt += len(p.Values)
		if p.IsLast || len(p.Values) == 0 || startAt >= p.Total {
			return all, nil
		}
	}
}
