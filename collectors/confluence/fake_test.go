package confluence

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeConfluence speaks the parts of the Confluence REST API the collector
// uses: GET /rest/api/content/search (cql, expand, limit, and a cursor in
// the _links.next it returns, relative to the context), and on Cloud the
// analytics resources /rest/api/analytics/content/{id}/views|viewers with
// fromDate, answering {"id": ..., "count": N} from a log of (day, viewer)
// views per page. Cloud lives under /wiki with basic auth (email:token);
// Data Center at the root with a bearer personal access token.
type fakeConfluence struct {
	t          testing.TB
	deployment string
	email      string
	token      string

	mu       sync.Mutex
	contents []json.RawMessage // in created order, as CQL ORDER BY created returns them
	ids      []string
	views    map[string][][2]string // id -> (day, viewer)
	// script answers the next requests whose path contains the key before
	// the data does.
	script   []fakeAnswer
	requests []fakeRequest
	server   *httptest.Server
	// failBodies answers the search for page bodies with a 400.
	failBodies bool
}

type fakeAnswer struct {
	path   string // substring of the request path it answers
	status int
	header map[string]string
	body   string
	// times is how many requests the answer serves (0 means 1).
	times int
}

type fakeRequest struct {
	Path  string
	Query url.Values
}

func newFakeConfluence(t testing.TB, deployment string) *fakeConfluence {
	f := &fakeConfluence{t: t, deployment: deployment, email: "sre@example.com", token: "c0nflu3nce-t0ken-value", views: map[string][][2]string{}}
	f.server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.server.Close)
	return f
}

// context is the path Confluence is served under.
func (f *fakeConfluence) context() string {
	if f.deployment == Cloud {
		return "/wiki"
	}
	return ""
}

// load adds the content and view log fixtures.
func (f *fakeConfluence) load(contentFile, viewsFile string) {
	data, err := os.ReadFile(contentFile)
	if err != nil {
		f.t.Fatal(err)
	}
	var list []json.RawMessage
	if err := json.Unmarshal(data, &list); err != nil {
		f.t.Fatalf("%s: %v", contentFile, err)
	}
	for _, raw := range list {
		f.add(raw)
	}
	if viewsFile == "" {
		return
	}
	if data, err = os.ReadFile(viewsFile); err != nil {
		f.t.Fatal(err)
	}
	views := map[string][][2]string{}
	if err := json.Unmarshal(data, &views); err != nil {
		f.t.Fatalf("%s: %v", viewsFile, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for id, v := range views {
		f.views[id] = v
	}
}

func (f *fakeConfluence) add(raw json.RawMessage) {
	var c struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		f.t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.contents = append(f.contents, raw)
	f.ids = append(f.ids, c.ID)
}

// remove deletes a page, as moving it to the trash does.
func (f *fakeConfluence) remove(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, x := range f.ids {
		if x == id {
			f.ids = append(f.ids[:i], f.ids[i+1:]...)
			f.contents = append(f.contents[:i], f.contents[i+1:]...)
			delete(f.views, id)
			return
		}
	}
	f.t.Fatalf("no content %s", id)
}

func (f *fakeConfluence) takeRequests() []fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.requests
	f.requests = nil
	return r
}

// count tallies requests by kind: "search" (the listing), "bodies" (the
// search for page bodies), "views", "viewers".
func count(reqs []fakeRequest) map[string]int {
	out := map[string]int{}
	for _, r := range reqs {
		switch {
		case strings.HasSuffix(r.Path, "/content/search") && r.Query.Get("expand") == bodyExpand:
			out["bodies"]++
		case strings.HasSuffix(r.Path, "/content/search"):
			out["search"]++
		case strings.HasSuffix(r.Path, "/views"):
			out["views"]++
		case strings.HasSuffix(r.Path, "/viewers"):
			out["viewers"]++
		}
	}
	return out
}

func (f *fakeConfluence) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, fakeRequest{Path: r.URL.Path, Query: r.URL.Query()})
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	if r.Method != http.MethodGet {
		f.fail(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	want := "Bearer " + f.token
	if f.deployment == Cloud {
		want = "Basic " + base64.StdEncoding.EncodeToString([]byte(f.email+":"+f.token))
	}
	if r.Header.Get("Authorization") != want {
		w.Header().Set("WWW-Authenticate", `Basic realm="Protected"`)
		f.fail(w, http.StatusUnauthorized, "This request requires authentication.")
		return
	}
	for i, a := range f.script {
		if !strings.Contains(r.URL.Path, a.path) {
			continue
		}
		if a.times <= 1 {
			f.script = append(f.script[:i], f.script[i+1:]...)
		} else {
			f.script[i].times--
		}
		for k, v := range a.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(a.status)
		fmt.Fprint(w, a.body)
		return
	}
	rest := strings.TrimPrefix(r.URL.Path, f.context())
	switch {
	case rest == "/rest/api/content/search":
		f.search(w, r.URL.Query())
	case strings.HasPrefix(rest, "/rest/api/analytics/content/") && f.deployment == Cloud:
		parts := strings.Split(strings.TrimPrefix(rest, "/rest/api/analytics/content/"), "/")
		if len(parts) != 2 || (parts[1] != "views" && parts[1] != "viewers") {
			f.fail(w, http.StatusNotFound, "No resource found")
			return
		}
		f.analytics(w, parts[0], parts[1], r.URL.Query().Get("fromDate"))
	default:
		f.fail(w, http.StatusNotFound, "null for uri: "+r.URL.String())
	}
}

func (f *fakeConfluence) fail(w http.ResponseWriter, status int, msg string) {
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"statusCode": status, "message": msg, "data": map[string]any{"authorized": status != 401, "valid": true, "errors": []any{}, "successful": false}})
}

func (f *fakeConfluence) search(w http.ResponseWriter, q url.Values) {
	contents := f.contents
	withBody := false
	switch {
	case strings.HasPrefix(q.Get("cql"), "id in (") && q.Get("expand") == bodyExpand && f.failBodies:
		f.fail(w, http.StatusBadRequest, "Could not parse cql")
		return
	case strings.HasPrefix(q.Get("cql"), "id in (") && q.Get("expand") == bodyExpand:
		contents, withBody = f.byIDs(strings.TrimSuffix(strings.TrimPrefix(q.Get("cql"), "id in ("), ")")), true
	case !strings.HasSuffix(q.Get("cql"), "ORDER BY created ASC") || q.Get("expand") != searchExpand:
		f.fail(w, http.StatusBadRequest, "unexpected cql or expand: "+q.Get("cql")+" / "+q.Get("expand"))
		return
	}
	limit, err := strconv.Atoi(q.Get("limit"))
	if err != nil || limit < 1 {
		limit = 25
	}
	// The cursor is opaque to clients; here it is the offset in base 36.
	start := 0
	if c := q.Get("cursor"); c != "" {
		n, err := strconv.ParseInt(c, 36, 64)
		if err != nil {
			f.fail(w, http.StatusBadRequest, "bad cursor")
			return
		}
		start = int(n)
	}
	end := min(start+limit, len(contents))
	results := shaped(contents[min(start, end):end], withBody)
	links := map[string]string{
		"base":    f.server.URL + f.context(),
		"context": f.context(),
		"self":    f.server.URL + f.context() + "/rest/api/content/search",
	}
	if end < len(contents) {
		nq := url.Values{"cql": {q.Get("cql")}, "expand": {q.Get("expand")}, "limit": {strconv.Itoa(limit)}, "next": {"true"}, "cursor": {strconv.FormatInt(int64(end), 36)}}
		links["next"] = "/rest/api/content/search?" + nq.Encode()
	}
	_ = json.NewEncoder(w).Encode(map[string]any{
		"results": results, "start": start, "limit": limit, "size": len(results),
		"cqlQuery": q.Get("cql"), "searchDuration": 12, "_links": links,
	})
}

func (f *fakeConfluence) analytics(w http.ResponseWriter, id, what, fromDate string) {
	known := false
	for _, x := range f.ids {
		known = known || x == id
	}
	if !known {
		f.fail(w, http.StatusNotFound, "No content found with id: "+id)
		return
	}
	var from time.Time
	if fromDate != "" {
		var err error
		if from, err = time.Parse("2006-01-02T15:04:05.000Z", fromDate); err != nil {
			f.fail(w, http.StatusBadRequest, "fromDate: invalid date "+fromDate)
			return
		}
	}
	n := 0
	viewers := map[string]bool{}
	for _, v := range f.views[id] {
		day, err := time.Parse(time.DateOnly, v[0])
		if err != nil {
			f.t.Fatal(err)
		}
		if day.Before(from) {
			continue
		}
		n++
		viewers[v[1]] = true
	}
	if what == "viewers" {
		n = len(viewers)
	}
	num, _ := strconv.Atoi(id)
	_ = json.NewEncoder(w).Encode(map[string]any{"id": num, "count": n})
}

// byIDs is the content of a CQL id list ("1001","1002"), in stored order;
// unknown ids are left out, as Confluence does.
func (f *fakeConfluence) byIDs(list string) []json.RawMessage {
	want := map[string]bool{}
	for _, id := range strings.Split(list, ",") {
		want[strings.Trim(strings.TrimSpace(id), `"`)] = true
	}
	var out []json.RawMessage
	for i, id := range f.ids {
		if want[id] {
			out = append(out, f.contents[i])
		}
	}
	return out
}

// shaped answers content as the search expands it: the listing has no
// body (it is in _expandable), the body search has the id, type, status,
// title, version, body.storage and links, and not the other expansions.
func shaped(contents []json.RawMessage, withBody bool) []json.RawMessage {
	out := make([]json.RawMessage, len(contents))
	for i, raw := range contents {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			panic(err)
		}
		if withBody {
			for k := range m {
				switch k {
				case "id", "type", "status", "title", "version", "body", "_links":
				default:
					delete(m, k)
				}
			}
		} else {
			delete(m, "body")
		}
		out[i], _ = json.Marshal(m)
	}
	return out
}
