package github

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeGitHub speaks the parts of the GitHub REST API the collector uses:
// issue listing with state/labels/since/sort/direction/per_page/page and
// Link headers, single issues (with 301 for transferred ones), issue events
// and comments, Bearer auth, ETag/If-None-Match, rate-limit headers, the
// Date header from a fake clock, and injected failures.
type fakeGitHub struct {
	t      testing.TB
	token  string
	prefix string // "" for api.github.com, "/api/v3" for GitHub Enterprise

	mu       sync.Mutex
	now      time.Time
	repos    map[string]*fakeRepo // "owner/name"
	moved    map[string]string    // issue path -> new issue path (transferred)
	failures []failure
	// requests counts requests by path; notModified counts 304 answers.
	requests    map[string]int
	total       int
	notModified int
	// exhaustAt is the request (1-based) whose successful answer reports
	// no quota left until exhaustReset (0: never).
	exhaustAt    int
	exhaustReset time.Time
	// listCache keeps filtered, sorted listings (the benchmark's 100k issues).
	listCache map[string][]map[string]any
	// listings records the query of every issue listing request.
	listings []string
	// corrupt, when set, cuts off about corruptRate of the answers (as
	// a failure with cut does); corrupted counts the 200s it cut.
	corrupt     *rand.Rand
	corruptRate float64
	corrupted   int
}

type fakeRepo struct {
	issues   map[int]map[string]any
	events   map[int][]map[string]any
	comments map[int][]map[string]any
}

// failure answers matching requests with status, header and body; times
// is how many requests it answers (0: all).
type failure struct {
	path   string // the request path must contain it
	query  string // and the raw query too, if set
	status int
	header map[string]string
	body   string
	times  int
	used   int
	// cut sends the real answer, ETag included, with its body cut in
	// half, as a proxy that drops the connection leaves it; a 304 passes.
	cut bool
}

func newFakeGitHub(t testing.TB, token, prefix string, now time.Time) *fakeGitHub {
	return &fakeGitHub{t: t, token: token, prefix: prefix, now: now, repos: map[string]*fakeRepo{},
		moved: map[string]string{}, requests: map[string]int{}, listCache: map[string][]map[string]any{}}
}

func (f *fakeGitHub) repo(name string) *fakeRepo {
	r := f.repos[name]
	if r == nil {
		r = &fakeRepo{issues: map[int]map[string]any{}, events: map[int][]map[string]any{}, comments: map[int][]map[string]any{}}
		f.repos[name] = r
	}
	return r
}

// loadFixtures reads testdata/<owner>-<name>/issues.json, events-N.json
// and comments-N.json.
func (f *fakeGitHub) loadFixtures(name string) {
	dir := filepath.Join("testdata", strings.ReplaceAll(name, "/", "-"))
	r := f.repo(name)
	var issues []map[string]any
	readJSON(f.t, filepath.Join(dir, "issues.json"), &issues)
	for _, is := range issues {
		r.issues[int(is["number"].(float64))] = is
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*-*.json"))
	for _, file := range files {
		base := strings.TrimSuffix(filepath.Base(file), ".json")
		kind, num, _ := strings.Cut(base, "-")
		n, err := strconv.Atoi(num)
		if err != nil {
			f.t.Fatalf("fixture %s: %v", file, err)
		}
		var items []map[string]any
		readJSON(f.t, file, &items)
		switch kind {
		case "events":
			r.events[n] = items
		case "comments":
			r.comments[n] = items
		}
	}
}

func readJSON(t testing.TB, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// edit changes an issue under the lock, as GitHub would: fn sets fields.
func (f *fakeGitHub) edit(repo string, number int, fn func(is map[string]any)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f.repos[repo].issues[number])
	f.listCache = map[string][]map[string]any{}
}

func (f *fakeGitHub) remove(repo string, number int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.repos[repo].issues, number)
	f.listCache = map[string][]map[string]any{}
}

func (f *fakeGitHub) setNow(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = t
}

func (f *fakeGitHub) fail(fl failure) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures = append(f.failures, fl)
}

func (f *fakeGitHub) resetCounts() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests, f.total, f.notModified = map[string]int{}, 0, 0
}

func (f *fakeGitHub) counts() (map[string]int, int, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]int, len(f.requests))
	for k, v := range f.requests {
		out[k] = v
	}
	return out, f.total, f.notModified
}

func (f *fakeGitHub) start() *httptest.Server {
	srv := httptest.NewServer(f)
	f.t.Cleanup(srv.Close)
	return srv
}

var (
	listPath   = regexp.MustCompile(`^/repos/([^/]+/[^/]+)/issues$`)
	issuePath  = regexp.MustCompile(`^/repos/([^/]+/[^/]+)/issues/(\d+)$`)
	eventsPath = regexp.MustCompile(`^/repos/([^/]+/[^/]+)/issues/(\d+)/events$`)
	commentsRe = regexp.MustCompile(`^/repos/([^/]+/[^/]+)/issues/(\d+)/comments$`)
)

func (f *fakeGitHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests[r.URL.Path]++
	f.total++
	h := w.Header()
	h.Set("Date", f.now.UTC().Format(http.TimeFormat))
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-GitHub-Media-Type", "github.v3; format=json")
	h.Set("X-RateLimit-Limit", "5000")
	h.Set("X-RateLimit-Remaining", "4999")
	h.Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10))
	if f.total == f.exhaustAt {
		h.Set("X-RateLimit-Remaining", "0")
		h.Set("X-RateLimit-Reset", strconv.FormatInt(f.exhaustReset.Unix(), 10))
	}

	if r.Header.Get("Authorization") != "Bearer "+f.token {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest","status":"401"}`)
		return
	}
	if f.corrupt != nil && f.corrupt.Float64() < f.corruptRate {
		f.cutAnswer(w, r)
		return
	}
	for i := range f.failures {
		fl := &f.failures[i]
		if (fl.times == 0 || fl.used < fl.times) && strings.Contains(r.URL.Path, fl.path) && strings.Contains(r.URL.RawQuery, fl.query) {
			fl.used++
			if fl.cut {
				f.cutAnswer(w, r)
				return
			}
			for k, v := range fl.header {
				h.Set(k, v)
			}
			w.WriteHeader(fl.status)
			fmt.Fprint(w, fl.body)
			return
		}
	}
	f.answer(w, r)
}

// cutAnswer sends the real answer, headers and ETag included, with its
// body cut in half when it is a 200; f.mu is held.
func (f *fakeGitHub) cutAnswer(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	rec := httptest.NewRecorder()
	for k, vs := range h {
		rec.Header()[k] = vs
	}
	f.answer(rec, r)
	for k, vs := range rec.Header() {
		h[k] = vs
	}
	body := rec.Body.Bytes()
	if rec.Code == http.StatusOK {
		f.corrupted++
		body = body[:len(body)/2]
	}
	w.WriteHeader(rec.Code)
	w.Write(body)
}

// answer serves the fake's data; f.mu is held.
func (f *fakeGitHub) answer(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	path, ok := strings.CutPrefix(r.URL.Path, f.prefix)
	if !ok {
		f.notFound(w)
		return
	}
	if to, ok := f.moved[path]; ok {
		h.Set("Location", f.prefix+to)
		w.WriteHeader(http.StatusMovedPermanently)
		fmt.Fprintf(w, `{"message":"Moved Permanently","url":"%s"}`, to)
		return
	}
	var m []string
	switch {
	case match(listPath, path, &m):
		f.list(w, r, m[1])
	case match(issuePath, path, &m):
		repo := f.repos[m[1]]
		n, _ := strconv.Atoi(m[2])
		if repo == nil || repo.issues[n] == nil {
			f.notFound(w)
			return
		}
		f.write(w, r, repo.issues[n], "")
	case match(eventsPath, path, &m):
		n, _ := strconv.Atoi(m[2])
		f.page(w, r, f.repos[m[1]].events[n])
	case match(commentsRe, path, &m):
		n, _ := strconv.Atoi(m[2])
		f.page(w, r, f.repos[m[1]].comments[n])
	default:
		f.notFound(w)
	}
}

func match(re *regexp.Regexp, s string, m *[]string) bool {
	*m = re.FindStringSubmatch(s)
	return *m != nil
}

func (f *fakeGitHub) notFound(w http.ResponseWriter) {
	w.WriteHeader(http.StatusNotFound)
	fmt.Fprint(w, `{"message":"Not Found","documentation_url":"https://docs.github.com/rest","status":"404"}`)
}

func (f *fakeGitHub) list(w http.ResponseWriter, r *http.Request, name string) {
	repo := f.repos[name]
	if repo == nil {
		f.notFound(w)
		return
	}
	q := r.URL.Query()
	f.listings = append(f.listings, r.URL.RawQuery)
	if q.Get("state") != "all" || q.Get("sort") != "updated" || q.Get("direction") != "asc" {
		f.t.Errorf("listing %s with unexpected query %s", name, r.URL.RawQuery)
	}
	key := name + "?" + q.Get("labels") + "&" + q.Get("since")
	items, ok := f.listCache[key]
	if !ok {
		var since time.Time
		if s := q.Get("since"); s != "" {
			var err error
			if since, err = time.Parse(time.RFC3339, s); err != nil {
				w.WriteHeader(http.StatusUnprocessableEntity)
				fmt.Fprintf(w, `{"message":"Validation Failed: since %q"}`, s)
				return
			}
		}
		var want []string
		if l := q.Get("labels"); l != "" {
			want = strings.Split(l, ",")
		}
		for _, is := range repo.issues {
			if !since.IsZero() && issueTime(is, "updated_at").Before(since) {
				continue
			}
			if hasAllLabels(is, want) {
				items = append(items, is)
			}
		}
		sort.Slice(items, func(i, j int) bool {
			ti, tj := issueTime(items[i], "updated_at"), issueTime(items[j], "updated_at")
			if !ti.Equal(tj) {
				return ti.Before(tj)
			}
			return items[i]["number"].(float64) < items[j]["number"].(float64)
		})
		f.listCache[key] = items
	}
	f.page(w, r, items)
}

func issueTime(is map[string]any, field string) time.Time {
	s, _ := is[field].(string)
	t, _ := time.Parse(time.RFC3339, s)
	return t
}

func hasAllLabels(is map[string]any, want []string) bool {
	labels, _ := is["labels"].([]any)
	for _, w := range want {
		found := false
		for _, l := range labels {
			if strings.EqualFold(l.(map[string]any)["name"].(string), w) {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// page serves one page of items with GitHub's Link header.
func (f *fakeGitHub) page(w http.ResponseWriter, r *http.Request, items []map[string]any) {
	q := r.URL.Query()
	perPage, page := 30, 1
	if v, err := strconv.Atoi(q.Get("per_page")); err == nil && v > 0 {
		perPage = min(v, 100)
	}
	if v, err := strconv.Atoi(q.Get("page")); err == nil && v > 0 {
		page = v
	}
	last := max(1, (len(items)+perPage-1)/perPage)
	from := min((page-1)*perPage, len(items))
	to := min(from+perPage, len(items))
	link := func(p int, rel string) string {
		u := url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path}
		q2 := r.URL.Query()
		q2.Set("page", strconv.Itoa(p))
		u.RawQuery = q2.Encode()
		return fmt.Sprintf(`<%s>; rel="%s"`, u.String(), rel)
	}
	var links []string
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if page > 1 {
		links = append(links, link(1, "first"), link(page-1, "prev"))
	}
	f.write(w, r, items[from:to], strings.Join(links, ", "))
}

// write sends v as JSON with an ETag, or 304 when the client has it.
func (f *fakeGitHub) write(w http.ResponseWriter, r *http.Request, v any, link string) {
	body, err := json.Marshal(v)
	if err != nil {
		f.t.Errorf("encode: %v", err)
	}
	if string(body) == "null" {
		body = []byte("[]")
	}
	sum := sha256.Sum256(append(body, link...))
	etag := `W/"` + hex.EncodeToString(sum[:8]) + `"`
	w.Header().Set("ETag", etag)
	if link != "" {
		w.Header().Set("Link", link)
	}
	if r.Header.Get("If-None-Match") == etag {
		f.notModified++
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write(body)
}
