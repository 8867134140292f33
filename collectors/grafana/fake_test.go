package grafana

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeGrafana speaks the parts of the Grafana HTTP API the collector uses,
// with a service-account token sent as a bearer token:
// GET /api/folders?limit&page, GET /api/search?type=dash-db&limit&page
// (hits ordered by title, as Grafana sorts them) and
// GET /api/dashboards/uid/<uid> ({"dashboard": ..., "meta": ...}).
// Errors are answered as Grafana does: {"message": "..."} with the status.
type fakeGrafana struct {
	t     testing.TB
	token string

	mu         sync.Mutex
	folders    []fakeFolder
	dashboards map[string]*fakeDashboard // uid ->
	// script answers the next requests whose path contains the key before
	// the data does.
	script   []fakeAnswer
	requests []string // path?query of every request, in order
	server   *httptest.Server
}

type fakeFolder struct{ uid, title string }

type fakeDashboard struct {
	uid, title, folderUID string
	tags                  []string
	version               int
	created, updated      time.Time
	json                  []byte // the dashboard model
}

type fakeAnswer struct {
	path   string
	status int
	header map[string]string
	body   string
	times  int // requests served; 0 means 1
}

func newFakeGrafana(t testing.TB) *fakeGrafana {
	f := &fakeGrafana{t: t, token: "glsa_s3rv1ce-acc0unt-t0ken", dashboards: map[string]*fakeDashboard{}}
	f.server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.server.Close)
	return f
}

// add stores a dashboard from a testdata file, taking uid, title and tags
// from its JSON.
func (f *fakeGrafana) add(file, folderUID string, version int, created time.Time) *fakeDashboard {
	f.t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		f.t.Fatal(err)
	}
	var head struct {
		UID   string   `json:"uid"`
		Title string   `json:"title"`
		Tags  []string `json:"tags"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		f.t.Fatalf("%s: %v", file, err)
	}
	d := &fakeDashboard{uid: head.UID, title: head.Title, tags: head.Tags, folderUID: folderUID, version: version, created: created, updated: created, json: data}
	f.mu.Lock()
	f.dashboards[d.uid] = d
	f.mu.Unlock()
	return d
}

// answer queues a scripted answer for requests whose path contains path.
func (f *fakeGrafana) answer(a fakeAnswer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.script = append(f.script, a)
}

// log returns the requests so far and forgets them.
func (f *fakeGrafana) log() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.requests
	f.requests = nil
	return out
}

func (f *fakeGrafana) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r.URL.Path+"?"+r.URL.RawQuery)
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
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(a.status)
		fmt.Fprint(w, a.body)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+f.token {
		f.fail(w, http.StatusUnauthorized, "invalid API key")
		return
	}
	if r.Method != http.MethodGet {
		f.fail(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	q := r.URL.Query()
	switch {
	case r.URL.Path == "/api/folders":
		list := make([]map[string]any, len(f.folders))
		for i, fo := range f.folders {
			list[i] = map[string]any{"id": i + 1, "uid": fo.uid, "title": fo.title}
		}
		f.page(w, q, list)
	case r.URL.Path == "/api/search":
		if q.Get("type") != "dash-db" {
			f.fail(w, http.StatusBadRequest, "the fake only answers type=dash-db")
			return
		}
		var hits []map[string]any
		for _, d := range f.sorted() {
			hit := map[string]any{"id": 1, "uid": d.uid, "title": d.title, "uri": "db/" + d.uid, "url": "/d/" + d.uid + "/x", "type": "dash-db", "tags": d.tags, "isStarred": false}
			if d.folderUID != "" {
				hit["folderUid"] = d.folderUID
				hit["folderTitle"] = f.folderTitle(d.folderUID)
				hit["folderId"] = 7
			}
			hits = append(hits, hit)
		}
		f.page(w, q, hits)
	case strings.HasPrefix(r.URL.Path, "/api/dashboards/uid/"):
		d := f.dashboards[strings.TrimPrefix(r.URL.Path, "/api/dashboards/uid/")]
		if d == nil {
			f.fail(w, http.StatusNotFound, "Dashboard not found")
			return
		}
		meta := map[string]any{"type": "db", "slug": "x", "url": "/d/" + d.uid + "/x", "version": d.version,
			"created": d.created.Format(time.RFC3339), "updated": d.updated.Format(time.RFC3339), "folderUid": d.folderUID, "folderTitle": f.folderTitle(d.folderUID)}
		body, _ := json.Marshal(map[string]any{"dashboard": json.RawMessage(d.json), "meta": meta})
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	default:
		f.fail(w, http.StatusNotFound, "Not found")
	}
}

func (f *fakeGrafana) sorted() []*fakeDashboard {
	out := make([]*fakeDashboard, 0, len(f.dashboards))
	for _, d := range f.dashboards {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].title < out[j].title })
	return out
}

func (f *fakeGrafana) folderTitle(uid string) string {
	for _, fo := range f.folders {
		if fo.uid == uid {
			return fo.title
		}
	}
	return "General"
}

// page answers one page of list as Grafana does: limit (default 1000) and
// page counting from 1.
func (f *fakeGrafana) page(w http.ResponseWriter, q map[string][]string, list []map[string]any) {
	limit, page := 1000, 1
	if v := first(q["limit"]); v != "" {
		limit, _ = strconv.Atoi(v)
	}
	if v := first(q["page"]); v != "" {
		page, _ = strconv.Atoi(v)
	}
	from := min((page-1)*limit, len(list))
	to := min(from+limit, len(list))
	body, _ := json.Marshal(append([]map[string]any{}, list[from:to]...))
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

func (f *fakeGrafana) fail(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"message":%q}`, msg)
}
