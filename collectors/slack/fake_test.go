package slack

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
)

// fakeSlack speaks the parts of the Slack Web API the collector uses, as
// Slack does: methods under /api/, parameters as a form body (POST) or a
// query (GET), "Authorization: Bearer", ok:false error bodies with HTTP
// 200, cursor pagination in response_metadata.next_cursor, history newest
// first within oldest/latest (both exclusive), replies oldest first with
// the parent first.
type fakeSlack struct {
	t     testing.TB
	token string
	srv   *httptest.Server

	mu       sync.Mutex
	channels []*fakeChannel
	groups   []json.RawMessage
	users    []json.RawMessage
	// calls counts requests per method.
	calls map[string]int
	// fail, when set, may answer a request instead of the fake.
	fail func(w http.ResponseWriter, method string, form map[string][]string) bool
	// violations are requests Slack would refuse or that leak the token.
	violations []string
}

type fakeChannel struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	IsPrivate  bool              `json:"is_private"`
	NumMembers int               `json:"num_members"`
	Messages   []json.RawMessage `json:"messages"`
	// notMember makes history and replies answer not_in_channel.
	notMember bool
}

// fakeMsg is the part of a message the fake reads to filter and thread.
type fakeMsg struct {
	TS       string `json:"ts"`
	ThreadTS string `json:"thread_ts"`
	Subtype  string `json:"subtype"`
}

func newFakeSlack(t testing.TB, token string) *fakeSlack {
	f := &fakeSlack{t: t, token: token, calls: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// load reads testdata/workspace.json: channels with their messages
// (replies carry thread_ts) and user groups.
func (f *fakeSlack) load(path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		f.t.Fatal(err)
	}
	var w struct {
		Channels   []*fakeChannel    `json:"channels"`
		UserGroups []json.RawMessage `json:"usergroups"`
		Users      []json.RawMessage `json:"users"`
	}
	if err := json.Unmarshal(data, &w); err != nil {
		f.t.Fatalf("%s: %v", path, err)
	}
	f.channels, f.groups, f.users = w.Channels, w.UserGroups, w.Users
}

// add posts a message (a reply when it has thread_ts) to a channel.
func (f *fakeSlack) add(channel string, msg string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := f.channel(channel)
	ch.Messages = append(ch.Messages, json.RawMessage(msg))
}

// remove deletes the message ts (without a thread, as Slack does for a
// message whose thread is empty) from a channel.
func (f *fakeSlack) remove(channel, ts string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := f.channel(channel)
	for i, raw := range ch.Messages {
		var m fakeMsg
		json.Unmarshal(raw, &m)
		if m.TS == ts {
			ch.Messages = append(ch.Messages[:i], ch.Messages[i+1:]...)
			return
		}
	}
	f.t.Fatalf("no message %s in %s", ts, channel)
}

func (f *fakeSlack) count(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[method]
}

func (f *fakeSlack) resetCounts() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = map[string]int{}
}

func (f *fakeSlack) channel(id string) *fakeChannel {
	for _, c := range f.channels {
		if c.ID == id {
			return c
		}
	}
	return nil
}

func (f *fakeSlack) serve(w http.ResponseWriter, r *http.Request) {
	method, ok := strings.CutPrefix(r.URL.Path, "/api/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[method]++
	if r.PostForm.Has("token") || r.URL.Query().Has("token") {
		f.violations = append(f.violations, method+": token sent in the form")
	}
	if f.fail != nil && f.fail(w, method, r.Form) {
		return
	}
	switch auth := r.Header.Get("Authorization"); {
	case auth == "":
		writeJSON(w, map[string]any{"ok": false, "error": "not_authed"})
		return
	case auth != "Bearer "+f.token:
		writeJSON(w, map[string]any{"ok": false, "error": "invalid_auth"})
		return
	}
	limit := 100
	if v := r.Form.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			writeJSON(w, map[string]any{"ok": false, "error": "invalid_limit"})
			return
		}
		limit = n
	}
	switch method {
	case "usergroups.list":
		if r.Form.Get("include_users") != "true" {
			f.violations = append(f.violations, "usergroups.list without include_users")
		}
		writeJSON(w, map[string]any{"ok": true, "usergroups": f.groups})
	case "users.list":
		page, next, err := paginate(f.users, r.Form.Get("cursor"), limit)
		if err != nil {
			writeJSON(w, map[string]any{"ok": false, "error": "invalid_cursor"})
			return
		}
		writeJSON(w, map[string]any{"ok": true, "members": page, "response_metadata": map[string]any{"next_cursor": next}})
	case "conversations.list":
		types := strings.Split(r.Form.Get("types"), ",")
		var all []map[string]any
		for _, c := range f.channels {
			kind := "public_channel"
			if c.IsPrivate {
				kind = "private_channel"
			}
			if contains(types, kind) {
				all = append(all, map[string]any{"id": c.ID, "name": c.Name, "is_private": c.IsPrivate, "num_members": c.NumMembers})
			}
		}
		page, next, err := paginate(all, r.Form.Get("cursor"), limit)
		if err != nil {
			writeJSON(w, map[string]any{"ok": false, "error": "invalid_cursor"})
			return
		}
		writeJSON(w, map[string]any{"ok": true, "channels": page, "response_metadata": map[string]any{"next_cursor": next}})
	case "conversations.info":
		c := f.channel(r.Form.Get("channel"))
		if c == nil {
			writeJSON(w, map[string]any{"ok": false, "error": "channel_not_found"})
			return
		}
		info := map[string]any{"id": c.ID, "name": c.Name, "is_private": c.IsPrivate}
		if r.Form.Get("include_num_members") == "true" {
			info["num_members"] = c.NumMembers
		}
		writeJSON(w, map[string]any{"ok": true, "channel": info})
	case "auth.test":
		writeJSON(w, map[string]any{"ok": true, "url": "https://acme.slack.com/", "team": "Acme", "user": "sre-bot", "team_id": "T0ACME", "user_id": "U0BOT"})
	case "conversations.history":
		f.history(w, r.Form, limit)
	case "conversations.replies":
		f.replies(w, r.Form, limit)
	default:
		writeJSON(w, map[string]any{"ok": false, "error": "unknown_method"})
	}
}

func (f *fakeSlack) history(w http.ResponseWriter, form map[string][]string, limit int) {
	get := func(k string) string {
		if v := form[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	c := f.channel(get("channel"))
	switch {
	case c == nil:
		writeJSON(w, map[string]any{"ok": false, "error": "channel_not_found"})
		return
	case c.notMember:
		writeJSON(w, map[string]any{"ok": false, "error": "not_in_channel"})
		return
	}
	oldest, latest := tsNum(get("oldest")), tsNum(get("latest"))
	var out []map[string]any
	for _, raw := range c.Messages {
		var m fakeMsg
		var full map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			f.t.Fatal(err)
		}
		json.Unmarshal(raw, &full)
		isReply := m.ThreadTS != "" && m.ThreadTS != m.TS
		if isReply && m.Subtype != "thread_broadcast" {
			continue
		}
		t := tsNum(m.TS)
		if t <= oldest || (latest > 0 && t >= latest) {
			continue
		}
		if !isReply {
			f.threadFields(c, m.TS, full)
		}
		out = append(out, full)
	}
	sort.Slice(out, func(i, j int) bool { return tsNum(out[i]["ts"].(string)) > tsNum(out[j]["ts"].(string)) })
	page, next, err := paginate(out, get("cursor"), limit)
	if err != nil {
		writeJSON(w, map[string]any{"ok": false, "error": "invalid_cursor"})
		return
	}
	writeJSON(w, map[string]any{"ok": true, "messages": page, "has_more": next != "", "pin_count": 0,
		"response_metadata": map[string]any{"next_cursor": next}})
}

// threadFields sets reply_count, reply_users_count and latest_reply on a
// parent, as history and replies return them.
func (f *fakeSlack) threadFields(c *fakeChannel, ts string, full map[string]any) {
	n, latest := 0, ""
	for _, raw := range c.Messages {
		var r fakeMsg
		json.Unmarshal(raw, &r)
		if r.ThreadTS == ts && r.TS != ts {
			n++
			if latest == "" || tsNum(r.TS) > tsNum(latest) {
				latest = r.TS
			}
		}
	}
	if n > 0 {
		full["thread_ts"], full["reply_count"], full["latest_reply"] = ts, n, latest
	}
}

func (f *fakeSlack) replies(w http.ResponseWriter, form map[string][]string, limit int) {
	get := func(k string) string {
		if v := form[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	c := f.channel(get("channel"))
	switch {
	case c == nil:
		writeJSON(w, map[string]any{"ok": false, "error": "channel_not_found"})
		return
	case c.notMember:
		writeJSON(w, map[string]any{"ok": false, "error": "not_in_channel"})
		return
	}
	ts := get("ts")
	var parent map[string]any
	var out []map[string]any
	for _, raw := range c.Messages {
		var m fakeMsg
		var full map[string]any
		json.Unmarshal(raw, &m)
		json.Unmarshal(raw, &full)
		switch {
		case m.TS == ts:
			f.threadFields(c, ts, full)
			parent = full
		case m.ThreadTS == ts:
			out = append(out, full)
		}
	}
	if parent == nil {
		writeJSON(w, map[string]any{"ok": false, "error": "thread_not_found"})
		return
	}
	sort.Slice(out, func(i, j int) bool { return tsNum(out[i]["ts"].(string)) < tsNum(out[j]["ts"].(string)) })
	out = append([]map[string]any{parent}, out...)
	page, next, err := paginate(out, get("cursor"), limit)
	if err != nil {
		writeJSON(w, map[string]any{"ok": false, "error": "invalid_cursor"})
		return
	}
	writeJSON(w, map[string]any{"ok": true, "messages": page, "has_more": next != "",
		"response_metadata": map[string]any{"next_cursor": next}})
}

// paginate returns one page and the opaque cursor of the next ("" at the end).
func paginate[T any](all []T, cursor string, limit int) ([]T, string, error) {
	start := 0
	if cursor != "" {
		n, ok := strings.CutPrefix(cursor, "dXNlcjpV")
		if !ok {
			return nil, "", fmt.Errorf("bad cursor")
		}
		var err error
		if start, err = strconv.Atoi(n); err != nil || start > len(all) {
			return nil, "", fmt.Errorf("bad cursor")
		}
	}
	end := min(start+limit, len(all))
	next := ""
	if end < len(all) {
		next = "dXNlcjpV" + strconv.Itoa(end)
	}
	return all[start:end], next, nil
}

func tsNum(ts string) float64 {
	v, _ := strconv.ParseFloat(ts, 64)
	return v
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(v)
}
