package pagerduty

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakePD speaks the parts of the PagerDuty REST API v2 the collector uses:
// GET /incidents (since/until on created_at, statuses[], service_ids[],
// team_ids[], urgencies[], offset/limit/total, sort_by=created_at:asc), GET
// /incidents/{id}, GET /incidents/{id}/log_entries and the account-wide GET
// /log_entries (since/until on the entry's created_at, is_overview, team_ids[],
// offset/limit/more/total, newest first, each entry naming its incident),
// with the real limits: offset+limit at most 10,000 and, for incidents,
// since..until at most six months.
type fakePD struct {
	t     testing.TB
	token string
	srv   *httptest.Server

	mu        sync.Mutex
	incidents []*fakeIncident // sorted by created_at
	logs      map[string][]json.RawMessage
	// allLogs is every log entry with its incident, newest first; nil
	// after a change.
	allLogs  []fakeLogEntry
	requests []string // path?query of every request
	// fail, when set, may answer a request instead of the fake.
	fail func(w http.ResponseWriter, r *http.Request) bool
	// violations are requests breaking the API limits.
	violations []string
}

type fakeLogEntry struct {
	raw      json.RawMessage
	created  time.Time
	id       string
	incident string
}

type fakeIncident struct {
	raw      json.RawMessage
	id       string
	created  time.Time
	status   string
	service  string
	teams    []string
	urgency  string
	priority string
}

func newFakePD(t testing.TB, token string) *fakePD {
	f := &fakePD{t: t, token: token, logs: map[string][]json.RawMessage{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// load reads a fixture file shaped as {"incidents": [...], "log_entries": {id: [...]}}.
func (f *fakePD) load(path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		f.t.Fatal(err)
	}
	var fx struct {
		Incidents  []json.RawMessage            `json:"incidents"`
		LogEntries map[string][]json.RawMessage `json:"log_entries"`
	}
	if err := json.Unmarshal(data, &fx); err != nil {
		f.t.Fatalf("%s: %v", path, err)
	}
	for _, raw := range fx.Incidents {
		f.put(raw)
	}
	for id, entries := range fx.LogEntries {
		f.logs[id] = entries
	}
	f.allLogs = nil
}

// logEntry records that something happened to an incident at a time, as
// PagerDuty's log does (newest first per incident).
func (f *fakePD) logEntry(incidentID, id, typ, at string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	raw := json.RawMessage(fmt.Sprintf(`{"id":%q,"type":%q,"summary":%q,"created_at":%q}`, id, typ, typ, at))
	f.logs[incidentID] = append([]json.RawMessage{raw}, f.logs[incidentID]...)
	f.allLogs = nil
}

// accountLogs returns every log entry, newest first, each with its
// incident reference; the caller holds f.mu.
func (f *fakePD) accountLogs() []fakeLogEntry {
	if f.allLogs != nil {
		return f.allLogs
	}
	all := []fakeLogEntry{}
	for incidentID, entries := range f.logs {
		for _, raw := range entries {
			var m map[string]any
			if err := json.Unmarshal(raw, &m); err != nil {
				f.t.Fatalf("fixture log entry of %s: %v", incidentID, err)
			}
			created, err := time.Parse(time.RFC3339, fmt.Sprint(m["created_at"]))
			if err != nil {
				f.t.Fatalf("fixture log entry of %s: %v", incidentID, err)
			}
			m["incident"] = map[string]any{"id": incidentID, "type": "incident_reference"}
			data, _ := json.Marshal(m)
			all = append(all, fakeLogEntry{raw: data, created: created, id: fmt.Sprint(m["id"]), incident: incidentID})
		}
	}
	sort.Slice(all, func(i, j int) bool {
		if !all[i].created.Equal(all[j].created) {
			return all[i].created.After(all[j].created)
		}
		return all[i].id > all[j].id
	})
	f.allLogs = all
	return all
}

// put adds or replaces an incident given in the API's JSON shape.
func (f *fakePD) put(raw json.RawMessage) {
	var m struct {
		ID        string `json:"id"`
		CreatedAt string `json:"created_at"`
		Status    string `json:"status"`
		Urgency   string `json:"urgency"`
		Service   struct {
			ID string `json:"id"`
		} `json:"service"`
		Teams []struct {
			ID string `json:"id"`
		} `json:"teams"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		f.t.Fatalf("fixture incident: %v", err)
	}
	created, err := time.Parse(time.RFC3339, m.CreatedAt)
	if err != nil {
		f.t.Fatalf("fixture incident %s: %v", m.ID, err)
	}
	inc := &fakeIncident{raw: raw, id: m.ID, created: created, status: m.Status, service: m.Service.ID, urgency: m.Urgency}
	for _, t := range m.Teams {
		inc.teams = append(inc.teams, t.ID)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if n := len(f.incidents); n > 0 && f.incidents[n-1].created.Before(created) && f.incidents[n-1].id < m.ID {
		// Generated in order (benchmarks): no replacement, no search.
		f.incidents = append(f.incidents, inc)
		return
	}
	f.incidents = slices.DeleteFunc(f.incidents, func(i *fakeIncident) bool { return i.id == m.ID })
	at := sort.Search(len(f.incidents), func(i int) bool {
		return f.incidents[i].created.After(created) || (f.incidents[i].created.Equal(created) && f.incidents[i].id > m.ID)
	})
	f.incidents = slices.Insert(f.incidents, at, inc)
}

// update changes fields of an incident, as PagerDuty does when it is
// acknowledged or resolved.
func (f *fakePD) update(id string, fields map[string]any) {
	f.mu.Lock()
	var raw json.RawMessage
	for _, i := range f.incidents {
		if i.id == id {
			raw = i.raw
		}
	}
	f.mu.Unlock()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		f.t.Fatalf("update %s: %v", id, err)
	}
	for k, v := range fields {
		m[k] = v
	}
	data, _ := json.Marshal(m)
	f.put(data)
}

func (f *fakePD) requestLog() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests)
}

func (f *fakePD) resetRequests() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = nil
}

func (f *fakePD) setFail(fn func(w http.ResponseWriter, r *http.Request) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = fn
}

func writeError(w http.ResponseWriter, status int, code int, message string, errs ...string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	body := map[string]any{"error": map[string]any{"message": message, "code": code, "errors": errs}}
	_ = json.NewEncoder(w).Encode(body)
}

func (f *fakePD) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests = append(f.requests, r.URL.RequestURI())
	fail := f.fail
	f.mu.Unlock()
	if fail != nil && fail(w, r) {
		return
	}
	if r.Header.Get("Authorization") != "Token token="+f.token {
		writeError(w, http.StatusUnauthorized, 2006, "Unauthorized")
		return
	}
	if r.Header.Get("Accept") != "application/vnd.pagerduty+json;version=2" {
		writeError(w, http.StatusBadRequest, 2001, "Invalid Input Provided", "Accept header must ask for version 2")
		return
	}
	if r.Method != http.MethodGet {
		writeError(w, http.StatusMethodNotAllowed, 2001, "Method not allowed")
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case len(parts) == 1 && parts[0] == "incidents":
		f.listIncidents(w, r)
	case len(parts) == 2 && parts[0] == "incidents":
		f.getIncident(w, parts[1])
	case len(parts) == 1 && parts[0] == "log_entries":
		f.listAccountLogEntries(w, r)
	case len(parts) == 3 && parts[0] == "incidents" && parts[2] == "log_entries":
		f.listLogEntries(w, r, parts[1])
	default:
		writeError(w, http.StatusNotFound, 2100, "Not Found")
	}
}

func pageParams(w http.ResponseWriter, r *http.Request) (offset, limit int, ok bool) {
	q := r.URL.Query()
	limit, offset = 25, 0
	if v := q.Get("limit"); v != "" {
		limit, _ = strconv.Atoi(v)
	}
	if v := q.Get("offset"); v != "" {
		offset, _ = strconv.Atoi(v)
	}
	if limit < 1 || limit > 100 {
		writeError(w, http.StatusBadRequest, 2001, "Invalid Input Provided", "limit must be between 1 and 100")
		return 0, 0, false
	}
	if offset+limit > 10000 {
		writeError(w, http.StatusBadRequest, 2001, "Invalid Input Provided", "Offset+limit must be less than or equal to 10000. Use since/until to narrow the search.")
		return 0, 0, false
	}
	return offset, limit, true
}

func (f *fakePD) listIncidents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	offset, limit, ok := pageParams(w, r)
	if !ok {
		f.mu.Lock()
		f.violations = append(f.violations, r.URL.RequestURI())
		f.mu.Unlock()
		return
	}
	if q.Get("date_range") != "" {
		writeError(w, http.StatusBadRequest, 2001, "Invalid Input Provided", "date_range is not expected from this client")
		return
	}
	since, err1 := time.Parse(time.RFC3339, q.Get("since"))
	until, err2 := time.Parse(time.RFC3339, q.Get("until"))
	if err1 != nil || err2 != nil || !since.Before(until) {
		writeError(w, http.StatusBadRequest, 2001, "Invalid Input Provided", "since and until must be times with since before until")
		return
	}
	if until.After(since.AddDate(0, 6, 0)) {
		f.mu.Lock()
		f.violations = append(f.violations, r.URL.RequestURI())
		f.mu.Unlock()
		writeError(w, http.StatusBadRequest, 2001, "Invalid Input Provided", "The date range cannot be more than 6 months.")
		return
	}
	if s := q.Get("sort_by"); s != "" && s != "created_at:asc" {
		writeError(w, http.StatusBadRequest, 2001, "Invalid Input Provided", "unexpected sort_by "+s)
		return
	}
	statuses, services, teams, urgencies := q["statuses[]"], q["service_ids[]"], q["team_ids[]"], q["urgencies[]"]

	f.mu.Lock()
	lo := sort.Search(len(f.incidents), func(i int) bool { return !f.incidents[i].created.Before(since) })
	var match []json.RawMessage
	for _, inc := range f.incidents[lo:] {
		if !inc.created.Before(until) {
			break
		}
		if len(statuses) > 0 && !slices.Contains(statuses, inc.status) ||
			len(services) > 0 && !slices.Contains(services, inc.service) ||
			len(urgencies) > 0 && !slices.Contains(urgencies, inc.urgency) ||
			len(teams) > 0 && !slices.ContainsFunc(inc.teams, func(t string) bool { return slices.Contains(teams, t) }) {
			continue
		}
		match = append(match, inc.raw)
	}
	f.mu.Unlock()

	page := match[min(offset, len(match)):min(offset+limit, len(match))]
	resp := map[string]any{
		"incidents": page,
		"limit":     limit,
		"offset":    offset,
		"more":      offset+limit < len(match),
		"total":     nil,
	}
	if q.Get("total") == "true" {
		resp["total"] = len(match)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}

func (f *fakePD) getIncident(w http.ResponseWriter, id string) {
	f.mu.Lock()
	var raw json.RawMessage
	for _, inc := range f.incidents {
		if inc.id == id {
			raw = inc.raw
		}
	}
	f.mu.Unlock()
	if raw == nil {
		writeError(w, http.StatusNotFound, 2100, "Not Found")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = fmt.Fprintf(w, `{"incident":%s}`, raw)
}

func (f *fakePD) listLogEntries(w http.ResponseWriter, r *http.Request, id string) {
	offset, limit, ok := pageParams(w, r)
	if !ok {
		return
	}
	f.mu.Lock()
	entries := f.logs[id]
	known := false
	for _, inc := range f.incidents {
		known = known || inc.id == id
	}
	f.mu.Unlock()
	if !known {
		writeError(w, http.StatusNotFound, 2100, "Not Found")
		return
	}
	page := entries[min(offset, len(entries)):min(offset+limit, len(entries))]
	if page == nil {
		page = []json.RawMessage{}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"log_entries": page, "limit": limit, "offset": offset, "more": offset+limit < len(entries), "total": nil})
}

func (f *fakePD) listAccountLogEntries(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	offset, limit, ok := pageParams(w, r)
	if !ok {
		f.mu.Lock()
		f.violations = append(f.violations, r.URL.RequestURI())
		f.mu.Unlock()
		return
	}
	since, err1 := time.Parse(time.RFC3339, q.Get("since"))
	until, err2 := time.Parse(time.RFC3339, q.Get("until"))
	if err1 != nil || err2 != nil || !since.Before(until) {
		writeError(w, http.StatusBadRequest, 2001, "Invalid Input Provided", "since and until must be times with since before until")
		return
	}
	f.mu.Lock()
	all := f.accountLogs()
	// Newest first: entries before until start at lo, those at or after
	// since end at hi.
	lo := sort.Search(len(all), func(i int) bool { return all[i].created.Before(until) })
	hi := sort.Search(len(all), func(i int) bool { return all[i].created.Before(since) })
	match := all[lo:max(lo, hi)]
	if teams := q["team_ids[]"]; len(teams) > 0 {
		// Only entries of incidents related to these teams.
		related := map[string]bool{}
		for _, inc := range f.incidents {
			related[inc.id] = slices.ContainsFunc(inc.teams, func(t string) bool { return slices.Contains(teams, t) })
		}
		match = slices.DeleteFunc(slices.Clone(match), func(e fakeLogEntry) bool { return !related[e.incident] })
	}
	page := make([]json.RawMessage, 0, limit)
	for _, e := range match[min(offset, len(match)):min(offset+limit, len(match))] {
		page = append(page, e.raw)
	}
	f.mu.Unlock()
	resp := map[string]any{"log_entries": page, "limit": limit, "offset": offset, "more": offset+limit < len(match), "total": nil}
	if q.Get("total") == "true" {
		resp["total"] = len(match)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}
