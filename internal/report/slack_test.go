package report

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/config"
	"github.com/sre-value/sre-value-exporter/internal/upstream"
)

const slackToken = "xoxb-report-test-token"

// fakeSlack speaks the Web API methods PostSlack uses: chat.postMessage,
// files.getUploadURLExternal, the upload URL it hands out and
// files.completeUploadExternal, with Bearer auth, form bodies, ok:false
// errors and 429s with Retry-After.
type fakeSlack struct {
	t   *testing.T
	srv *httptest.Server
	mu  sync.Mutex
	// limited is how many chat.postMessage calls answer 429 first.
	limited int
	// postError is an ok:false error for chat.postMessage.
	postError string
	posts     []map[string]string
	uploads   map[string][]byte // file id -> bytes uploaded
	completed []map[string]string
	bodies    []string
}

func newFakeSlack(t *testing.T) *fakeSlack {
	f := &fakeSlack{t: t, uploads: map[string][]byte{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeSlack) ok(w http.ResponseWriter, body map[string]any) {
	body["ok"] = true
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(body)
}

func (f *fakeSlack) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer "+slackToken {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"ok":false,"error":"not_authed"}`)
		return
	}
	if strings.HasPrefix(r.URL.Path, "/api/upload/") {
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		file, _, err := r.FormFile("file")
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		data, _ := io.ReadAll(file)
		f.uploads[strings.TrimPrefix(r.URL.Path, "/api/upload/")] = data
		fmt.Fprint(w, "OK - ", len(data))
		return
	}
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		http.Error(w, "want a form POST", http.StatusBadRequest)
		return
	}
	raw, _ := io.ReadAll(r.Body)
	f.bodies = append(f.bodies, string(raw))
	r.Body = io.NopCloser(strings.NewReader(string(raw)))
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	form := map[string]string{}
	for k := range r.PostForm {
		form[k] = r.PostForm.Get(k)
	}
	switch r.URL.Path {
	case "/api/chat.postMessage":
		if f.limited > 0 {
			f.limited--
			w.Header().Set("Retry-After", "7")
			http.Error(w, `{"ok":false,"error":"ratelimited"}`, http.StatusTooManyRequests)
			return
		}
		if f.postError != "" {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"ok":false,"error":%q}`, f.postError)
			return
		}
		f.posts = append(f.posts, form)
		f.ok(w, map[string]any{"channel": "C0SREUPD", "ts": "1764547200.000100"})
	case "/api/files.getUploadURLExternal":
		id := fmt.Sprintf("F%03d", len(f.uploads)+1)
		if form["filename"] == "" || form["length"] == "" {
			fmt.Fprint(w, `{"ok":false,"error":"invalid_arguments"}`)
			return
		}
		f.uploads[id] = nil
		f.ok(w, map[string]any{"upload_url": f.srv.URL + "/api/upload/" + id, "file_id": id})
	case "/api/files.completeUploadExternal":
		f.completed = append(f.completed, form)
		var files []map[string]string
		_ = json.Unmarshal([]byte(form["files"]), &files)
		f.ok(w, map[string]any{"files": []map[string]string{{"id": files[0]["id"], "title": files[0]["title"]}}})
	default:
		http.NotFound(w, r)
	}
}

func chartedReport(t *testing.T) *Report {
	r := sampleReport(t)
	png, err := renderTrend(Chart{Title: "MTTR", Unit: Seconds, Start: r.Period.Start, End: r.Period.End,
		Points: []Point{{T: r.Period.Start, V: 3600}, {T: r.Period.End, V: 5400}}})
	if err != nil {
		t.Fatal(err)
	}
	r.Sections[0].Charts[0].PNG = png
	return r
}

func TestSlackGetsTheSummaryAsBlocksAndTheChartsInItsThread(t *testing.T) {
	f := newFakeSlack(t)
	f.limited = 1
	var slept []time.Duration
	r := chartedReport(t)
	res, err := PostSlack(context.Background(), r, SlackOptions{
		Channel: "#sre-updates", Token: config.NewSecret(slackToken, "test"), APIURL: f.srv.URL + "/api/",
		tune: func(o *upstream.Options) {
			// A clock that the sleeps move on, so the layer's rate-limit
			// gate opens after the wait.
			clock := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
			o.Now = func() time.Time { return clock }
			o.Sleep = func(_ context.Context, d time.Duration) error {
				slept = append(slept, d)
				clock = clock.Add(d)
				return nil
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Channel != "C0SREUPD" || res.Timestamp != "1764547200.000100" || len(res.Files) != 1 {
		t.Errorf("result %+v", res)
	}
	if len(slept) != 1 || slept[0] < 7*time.Second || slept[0] > 8*time.Second {
		t.Errorf("waited %v after the 429, want the 7s of Retry-After", slept)
	}
	if len(f.posts) != 1 {
		t.Fatalf("%d messages posted", len(f.posts))
	}
	post := f.posts[0]
	if post["channel"] != "#sre-updates" || !strings.HasPrefix(post["text"], "SRE value report: October 2026: Mean time to resolve 2h 30m ↓") {
		t.Errorf("message %v", post)
	}
	var blocks []map[string]any
	if err := json.Unmarshal([]byte(post["blocks"]), &blocks); err != nil {
		t.Fatalf("blocks %s: %v", post["blocks"], err)
	}
	var types []string
	for _, b := range blocks {
		types = append(types, b["type"].(string))
	}
	if got := strings.Join(types, ","); got != "header,section,section,section,section,divider,context" {
		t.Errorf("block types %s", got)
	}
	if !strings.Contains(post["blocks"], `*Mean time to resolve*\n2h 30m  ↓ −30m (−17%)`) {
		t.Errorf("the summary field is missing: %s", post["blocks"])
	}
	if !strings.Contains(post["blocks"], `*Savings and value*\n_no data_`) {
		t.Errorf("the no-data section does not say so: %s", post["blocks"])
	}
	for _, b := range f.bodies {
		if strings.Contains(b, slackToken) {
			t.Errorf("the token travelled in a form body: %s", b)
		}
	}
	if len(f.completed) != 1 || f.completed[0]["channel_id"] != "C0SREUPD" || f.completed[0]["thread_ts"] != "1764547200.000100" {
		t.Errorf("completeUploadExternal %v", f.completed)
	}
	if got := f.uploads["F001"]; string(got) != string(r.Sections[0].Charts[0].PNG) {
		t.Errorf("uploaded %d bytes, want the chart's %d", len(got), len(r.Sections[0].Charts[0].PNG))
	}
}

func TestSlackErrorsNameTheMethodAndNeverTheToken(t *testing.T) {
	f := newFakeSlack(t)
	f.postError = "channel_not_found"
	_, err := PostSlack(context.Background(), chartedReport(t), SlackOptions{
		Channel: "#nowhere", Token: config.NewSecret(slackToken, "test"), APIURL: f.srv.URL + "/api/"})
	if err == nil || err.Error() != "slack chat.postMessage to #nowhere: channel_not_found" {
		t.Errorf("error %v", err)
	}

	_, err = PostSlack(context.Background(), chartedReport(t), SlackOptions{
		Channel: "#sre-updates", Token: config.NewSecret("xoxb-wrong", "test"), APIURL: f.srv.URL + "/api/"})
	if err == nil || !strings.Contains(err.Error(), "not_authed") || strings.Contains(err.Error(), "xoxb-wrong") {
		t.Errorf("error %v", err)
	}

	if _, err := PostSlack(context.Background(), chartedReport(t), SlackOptions{Channel: "#x"}); err == nil || !strings.Contains(err.Error(), "SLACK_TOKEN") {
		t.Errorf("no token: %v", err)
	}
}

func TestSlackRateLimitsThatDoNotEndFailThePost(t *testing.T) {
	f := newFakeSlack(t)
	f.limited = 100
	_, err := PostSlack(context.Background(), chartedReport(t), SlackOptions{
		Channel: "#sre-updates", Token: config.NewSecret(slackToken, "test"), APIURL: f.srv.URL + "/api/",
		tune: func(o *upstream.Options) {
			o.MaxRetries = 2
			clock := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
			o.Now = func() time.Time { return clock }
			o.Sleep = func(_ context.Context, d time.Duration) error { clock = clock.Add(d); return nil }
		},
	})
	if err == nil || !strings.Contains(err.Error(), "slack chat.postMessage to #sre-updates") {
		t.Errorf("error %v", err)
	}
	if f.limited != 97 {
		t.Errorf("%d attempts, want 3 (2 retries)", 100-f.limited)
	}
}
