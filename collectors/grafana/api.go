package grafana

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"time"

	sdk "github.com/grafana-tools/sdk"

	"github.com/sre-value/sre-value-exporter/internal/upstream"
)

// api is the part of the Grafana HTTP API the collector uses, through the
// grafana-tools/sdk client on top of the shared HTTP layer (auth, retries,
// Retry-After, secret redaction, malformed-JSON detection).
type api struct {
	client *sdk.Client
}

// validUID is what Grafana accepts as a dashboard uid; anything else is
// never put into a request path.
var validUID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,40}$`)

func newAPI(base *url.URL, client *upstream.Client) (*api, error) {
	hc := *client.HTTP()
	hc.Transport = upstream.ErrorStatuses(hc.Transport)
	// The token is set by the HTTP layer (which redacts it), not by the SDK.
	c, err := sdk.NewClient(base.String(), "", &hc)
	if err != nil {
		return nil, err
	}
	return &api{client: c}, nil
}

// apiError unwraps what the SDK and net/http made of a request error.
func apiError(err error) error {
	if err == nil {
		return nil
	}
	var ue *upstream.Error
	if errors.As(err, &ue) {
		return upstream.Classify(err, nil)
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	if errors.As(err, &se) || errors.As(err, &te) {
		return &decodeError{err}
	}
	return upstream.Classify(err, nil)
}

// decodeError is a well-formed JSON answer of the wrong shape.
type decodeError struct{ err error }

func (e *decodeError) Error() string  { return "unexpected JSON: " + e.err.Error() }
func (e *decodeError) Unwrap() error  { return e.err }
func (e *decodeError) Reason() string { return upstream.ReasonDecode }

// folders lists every folder (uid -> title), page by page.
func (a *api) folders(ctx context.Context, pageSize int) (map[string]string, error) {
	out := map[string]string{}
	for page := 1; ; page++ {
		p := page
		list, err := a.client.GetAllFolders(ctx, sdk.Limit(uint(pageSize)), func(v url.Values) { v.Set("page", strconv.Itoa(p)) })
		if err != nil {
			return nil, fmt.Errorf("folders page %d: %w", page, apiError(err))
		}
		fresh := 0
		for _, f := range list {
			if _, dup := out[f.UID]; !dup {
				fresh++
			}
			out[f.UID] = f.Title
		}
		// A Grafana that ignores page repeats the first page: stop there.
		if len(list) < pageSize || fresh == 0 {
			return out, nil
		}
	}
}

// search lists every dashboard, page by page, calling fn with each page.
func (a *api) search(ctx context.Context, pageSize int, fn func([]sdk.FoundBoard) error) error {
	seen := map[string]bool{}
	for page := 1; ; page++ {
		hits, err := a.client.Search(ctx, sdk.SearchType(sdk.SearchTypeDashboard), sdk.SearchLimit(uint(pageSize)), sdk.SearchPage(uint(page)))
		if err != nil {
			return fmt.Errorf("search page %d: %w", page, apiError(err))
		}
		fresh := hits[:0:0]
		for _, h := range hits {
			if !seen[h.UID] {
				seen[h.UID] = true
				fresh = append(fresh, h)
			}
		}
		if err := fn(fresh); err != nil {
			return err
		}
		if len(hits) < pageSize || len(fresh) == 0 {
			return nil
		}
	}
}

// fetched is one dashboard-by-uid answer.
type fetched struct {
	raw     []byte
	version int
	created time.Time
	updated time.Time
}

// errNotFound is a dashboard deleted between the search and the fetch.
var errNotFound = errors.New("not found")

func (a *api) dashboard(ctx context.Context, uid string) (fetched, error) {
	raw, meta, err := a.client.GetRawDashboardByUID(ctx, uid)
	if err != nil {
		var ue *upstream.Error
		if errors.As(err, &ue) && ue.Status == http.StatusNotFound {
			return fetched{}, errNotFound
		}
		return fetched{}, apiError(err)
	}
	return fetched{raw: raw, version: meta.Version, created: meta.Created, updated: meta.Updated}, nil
}
