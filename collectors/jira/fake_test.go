package jira

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeJira speaks the parts of the Jira REST API the collector uses: Cloud's
// enhanced search (GET /rest/api/3/search/jql, nextPageToken/isLast) and
// changelog resource, Data Center's search (GET /rest/api/2/search,
// startAt/total) and issue resource, with their auth and error bodies.
// It understands just enough JQL: the configured query (issues with
// match=false no longer match), updated >= "yyyy/MM/dd HH:mm", key in (...)
// and ORDER BY updated|key ASC.
type fakeJira struct {
	t          testing.TB
	deployment string
	email      string
	token      string
	baseJQL    string
	tz         *time.Location

	mu     sync.Mutex
	issues map[string]*fakeIssue
	// changelogLimit is how many (newest) histories Cloud embeds in a
	// search answer; changelogPage caps the changelog resource's pages.
	changelogLimit int
	changelogPage  int
	// script answers the next search requests before the data does.
	script []fakeAnswer
	// failSearch answers every search request while set.
	failSearch *fakeAnswer
	// pagesLeft, when set, is how many search pages are answered before
	// every search fails with a 500.
	pagesLeft *int
	// truncateDC cuts Data Center's embedded changelogs like Cloud's.
	truncateDC bool
	// corrupt, when set, cuts off or replaces with a proxy's HTML page the
	// body of about corruptRate of the 200 answers; corrupted counts them.
	corrupt     *rand.Rand
	corruptRate float64
	corrupted   int
	// duplicate appends issues to page n of the next searches.
	duplicate map[int][]string
	requests  []fakeRequest
	server    *httptest.Server
	// byUpdated caches the issues in (updated, key) order; nil when stale.
	byUpdated []*fakeIssue
}

type fakeIssue struct {
	Key       string                     `json:"key"`
	Fields    map[string]json.RawMessage `json:"fields"`
	Histories []json.RawMessage          `json:"histories"`
	match     bool
	updated   time.Time
}

type fakeAnswer struct {
	status int
	header map[string]string
	body   string
}

type fakeRequest struct {
	Path  string
	Query map[string]string
}

func newFakeJira(t testing.TB, deployment string) *fakeJira {
	f := &fakeJira{
		t: t, deployment: deployment, token: "s3cr3t-token-value", email: "sre@example.com",
		baseJQL: "project = OPS AND type = Incident", tz: time.UTC,
		issues: map[string]*fakeIssue{}, changelogLimit: 100, changelogPage: 100,
	}
	f.server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.server.Close)
	return f
}

// load adds the issues of a fixture file; match says whether the
// configured JQL selects them (action items are found by key only).
func (f *fakeJira) load(file string, match bool) {
	data, err := os.ReadFile(file)
	if err != nil {
		f.t.Fatal(err)
	}
	var list []*fakeIssue
	if err := json.Unmarshal(data, &list); err != nil {
		f.t.Fatalf("%s: %v", file, err)
	}
	for _, is := range list {
		f.put(is, match)
	}
}

func (f *fakeJira) put(is *fakeIssue, match bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	is.match = match
	var u string
	_ = json.Unmarshal(is.Fields["updated"], &u)
	t, err := parseTime(u)
	if err != nil {
		f.t.Fatalf("fixture %s: %v", is.Key, err)
	}
	is.updated = t
	f.issues[is.Key] = is
	f.byUpdated = nil
}

// setField changes a field and, like Jira, the updated time.
func (f *fakeJira) setField(key, field, value string, updated time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	is := f.issues[key]
	is.Fields[field] = json.RawMessage(value)
	is.Fields["updated"] = json.RawMessage(strconv.Quote(updated.UTC().Format("2006-01-02T15:04:05.000-0700")))
	is.updated = updated.UTC()
	f.byUpdated = nil
}

func (f *fakeJira) setMatch(key string, match bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.issues[key].match = match
}

func (f *fakeJira) takeRequests() []fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.requests
	f.requests = nil
	return r
}

func (f *fakeJira) searchRequests() []fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeRequest
	for _, r := range f.requests {
		if strings.HasSuffix(r.Path, "/search/jql") || strings.HasSuffix(r.Path, "/api/2/search") {
			out = append(out, r)
		}
	}
	return out
}

func (f *fakeJira) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.corrupt != nil && f.corrupt.Float64() < f.corruptRate {
		rec := httptest.NewRecorder()
		f.answer(rec, r)
		for k, vs := range rec.Header() {
			w.Header()[k] = vs
		}
		body := rec.Body.Bytes()
		if rec.Code == http.StatusOK {
			f.corrupted++
			if f.corrupt.IntN(2) == 0 {
				body = body[:f.corrupt.IntN(len(body))] // the connection's end, as a proxy cut it
			} else {
				w.Header().Set("Content-Type", "text/html")
				body = []byte("<html><body><h1>502 Bad Gateway</h1></body></html>")
			}
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body)
		return
	}
	f.answer(w, r)
}

// answer is serve without the corruption; f.mu is held.
func (f *fakeJira) answer(w http.ResponseWriter, r *http.Request) {
	q := map[string]string{}
	for k, v := range r.URL.Query() {
		q[k] = v[0]
	}
	f.requests = append(f.requests, fakeRequest{Path: r.URL.Path, Query: q})
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
		w.Header().Set("WWW-Authenticate", `Basic realm="protected-area"`)
		f.fail(w, http.StatusUnauthorized, "You are not authenticated. Authentication required to perform this operation.")
		return
	}
	switch {
	case f.deployment == Cloud && r.URL.Path == "/rest/api/3/search/jql",
		f.deployment == DataCenter && r.URL.Path == "/rest/api/2/search":
		if f.pagesLeft != nil {
			if *f.pagesLeft == 0 {
				f.fail(w, http.StatusInternalServerError, "Internal server error")
				return
			}
			*f.pagesLeft--
		}
		if len(f.script) > 0 || f.failSearch != nil {
			a := f.failSearch
			if len(f.script) > 0 {
				a = &f.script[0]
				f.script = f.script[1:]
			}
			for k, v := range a.header {
				w.Header().Set(k, v)
			}
			w.WriteHeader(a.status)
			fmt.Fprint(w, a.body)
			return
		}
		f.search(w, q)
	case f.deployment == Cloud && (r.URL.Path == "/rest/api/2/search" || r.URL.Path == "/rest/api/3/search"):
		f.fail(w, http.StatusGone, "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API.")
	case f.deployment == Cloud && strings.HasPrefix(r.URL.Path, "/rest/api/3/issue/") && strings.HasSuffix(r.URL.Path, "/changelog"):
		f.changelog(w, strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/rest/api/3/issue/"), "/changelog"), q)
	case f.deployment == DataCenter && strings.HasPrefix(r.URL.Path, "/rest/api/2/issue/"):
		f.issue(w, strings.TrimPrefix(r.URL.Path, "/rest/api/2/issue/"), q)
	default:
		f.fail(w, http.StatusNotFound, "No resource "+r.URL.Path)
	}
}

func (f *fakeJira) fail(w http.ResponseWriter, status int, msg string) {
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errorMessages": []string{msg}, "errors": map[string]string{}})
}

var (
	jqlUpdated = regexp.MustCompile(`updated >= "([^"]+)"`)
	jqlKeys    = regexp.MustCompile(`^key in \(([^)]*)\)`)
)

func (f *fakeJira) search(w http.ResponseWriter, q map[string]string) {
	jql := q["jql"]
	var list []*fakeIssue
	if m := jqlKeys.FindStringSubmatch(jql); m != nil {
		for _, k := range strings.Split(m[1], ",") {
			is, ok := f.issues[strings.TrimSpace(k)]
			if !ok {
				f.fail(w, http.StatusBadRequest, fmt.Sprintf("An issue with key '%s' does not exist for field 'key'.", k))
				return
			}
			list = append(list, is)
		}
	} else {
		if !strings.HasPrefix(jql, "("+f.baseJQL+")") {
			f.fail(w, http.StatusBadRequest, "unexpected JQL "+jql)
			return
		}
		var since time.Time
		if m := jqlUpdated.FindStringSubmatch(jql); m != nil {
			t, err := time.ParseInLocation("2006/01/02 15:04", m[1], f.tz)
			if err != nil {
				f.fail(w, http.StatusBadRequest, "Date value '"+m[1]+"' for field 'updated' is invalid.")
				return
			}
			since = t
		}
		all := f.sortedByUpdated()
		from := sort.Search(len(all), func(i int) bool { return !all[i].updated.Before(since) })
		for _, is := range all[from:] {
			if !is.match {
				// Copy only when something in range no longer matches.
				for _, is := range all[from:] {
					if is.match {
						list = append(list, is)
					}
				}
				break
			}
		}
		if list == nil {
			list = all[from:]
		}
	}
	if !strings.HasSuffix(jql, "ORDER BY updated ASC") {
		sort.Slice(list, func(i, j int) bool { return list[i].Key < list[j].Key })
	}
	max, _ := strconv.Atoi(q["maxResults"])
	if max <= 0 || max > 1000 {
		max = 1000
	}
	start := 0
	if f.deployment == Cloud {
		if tok := q["nextPageToken"]; tok != "" {
			n, err := strconv.Atoi(strings.TrimPrefix(tok, "tok-"))
			if err != nil {
				f.fail(w, http.StatusBadRequest, "Invalid nextPageToken")
				return
			}
			start = n
		}
	} else {
		start, _ = strconv.Atoi(q["startAt"])
	}
	end := min(start+max, len(list))
	start = min(start, end)
	page := list[start:end]
	var fields []string
	if q["fields"] != "" {
		fields = strings.Split(q["fields"], ",")
	}
	out := make([]map[string]any, 0, len(page))
	for _, is := range page {
		out = append(out, f.render(is, fields, q["expand"] == "changelog", f.deployment == Cloud || f.truncateDC))
	}
	pageNo := start/max + 1
	for _, k := range f.duplicate[pageNo] {
		out = append(out, f.render(f.issues[k], fields, q["expand"] == "changelog", f.deployment == Cloud))
	}
	var body map[string]any
	if f.deployment == Cloud {
		body = map[string]any{"issues": out, "isLast": end >= len(list)}
		if end < len(list) {
			body["nextPageToken"] = "tok-" + strconv.Itoa(end)
		}
	} else {
		body = map[string]any{"expand": "schema,names", "startAt": start, "maxResults": max, "total": len(list), "issues": out}
	}
	_ = json.NewEncoder(w).Encode(body)
}

func (f *fakeJira) sortedByUpdated() []*fakeIssue {
	if f.byUpdated == nil {
		for _, is := range f.issues {
			f.byUpdated = append(f.byUpdated, is)
		}
		sort.Slice(f.byUpdated, func(i, j int) bool {
			a, b := f.byUpdated[i], f.byUpdated[j]
			if !a.updated.Equal(b.updated) {
				return a.updated.Before(b.updated)
			}
			return a.Key < b.Key
		})
	}
	return f.byUpdated
}

func (f *fakeJira) render(is *fakeIssue, fields []string, changelog, truncate bool) map[string]any {
	fs := map[string]json.RawMessage{}
	for _, name := range fields {
		if v, ok := is.Fields[name]; ok {
			fs[name] = v
		}
	}
	out := map[string]any{"expand": "operations,changelog", "id": strconv.Itoa(10000 + len(is.Key)), "self": f.server.URL + "/rest/api/2/issue/" + is.Key, "key": is.Key, "fields": fs}
	if changelog {
		h := is.Histories
		if h == nil {
			h = []json.RawMessage{}
		}
		if truncate && len(h) > f.changelogLimit {
			h = h[len(h)-f.changelogLimit:]
		}
		out["changelog"] = map[string]any{"startAt": 0, "maxResults": len(h), "total": len(is.Histories), "histories": h}
	}
	return out
}

func (f *fakeJira) changelog(w http.ResponseWriter, key string, q map[string]string) {
	is, ok := f.issues[key]
	if !ok {
		f.fail(w, http.StatusNotFound, "Issue does not exist or you do not have permission to see it.")
		return
	}
	start, _ := strconv.Atoi(q["startAt"])
	max, _ := strconv.Atoi(q["maxResults"])
	max = min(max, f.changelogPage)
	end := min(start+max, len(is.Histories))
	_ = json.NewEncoder(w).Encode(map[string]any{
		"self": f.server.URL + "/rest/api/3/issue/" + key + "/changelog", "startAt": start, "maxResults": max,
		"total": len(is.Histories), "isLast": end >= len(is.Histories), "values": is.Histories[start:end],
	})
}

func (f *fakeJira) issue(w http.ResponseWriter, key string, q map[string]string) {
	is, ok := f.issues[key]
	if !ok {
		f.fail(w, http.StatusNotFound, "Issue Does Not Exist")
		return
	}
	_ = json.NewEncoder(w).Encode(f.render(is, strings.Split(q["fields"], ","), q["expand"] == "changelog", false))
}
