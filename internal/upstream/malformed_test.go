package upstream

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

const truncatedIssues = `{"total":2,"issues":[{"key":"OPS-1"},{"key":`

func TestMalformedBodiesAreRetriedLikeServerErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		first  http.HandlerFunc
		accept string
	}{
		{"a JSON body cut off mid-way", respond(200, truncatedIssues, "Content-Type", "application/json"), ""},
		{"an empty body declared as JSON", respond(200, "", "Content-Type", "application/json; charset=utf-8"), ""},
		{"a vendor JSON type cut off", respond(200, `[{"id":1`, "Content-Type", "application/vnd.github+json"), ""},
		{"a proxy's HTML page where only JSON is accepted", respond(200, "<html><body>Bad gateway</body></html>", "Content-Type", "text/html"), "application/vnd.github.v3+json"},
		{"a proxy's HTML page where JSON and preview types are accepted", respond(200, "<html><body>Bad gateway</body></html>", "Content-Type", "text/html"),
			"application/vnd.github.squirrel-girl-preview, application/vnd.github.mockingbird-preview+json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock, obs := newFakeClock(), &recordingObserver{}
			srv := newScriptedServer(t, clock, tc.first, respond(200, `{"total":0,"issues":[]}`, "Content-Type", "application/json"))
			header := http.Header{}
			if tc.accept != "" {
				header.Set("Accept", tc.accept)
			}
			_, body, err := testClient(clock, obs).Get(context.Background(), srv.URL+"/rest/api/2/search", header)
			if err != nil {
				t.Fatal(err)
			}
			if string(body) != `{"total":0,"issues":[]}` {
				t.Errorf("body %q, want the second, good answer", body)
			}
			assertSlept(t, clock, 500*time.Millisecond) // half of the 1s base backoff, as for a 5xx
			assertCodes(t, obs, map[string]int{"200": 2})
		})
	}
}

func TestAcceptHeadersThatExpectJSON(t *testing.T) {
	for _, tc := range []struct {
		accept string
		json   bool
	}{
		{"application/json", true},
		{"application/vnd.pagerduty+json;version=2", true},
		{"application/vnd.github.squirrel-girl-preview, application/vnd.github.v3+json", true},
		{"application/json, */*", false},
		{"text/csv, text/plain;q=0.9, */*;q=0.1", false},
		{"application/json, text/html", false},
		{"application/vnd.github.squirrel-girl-preview", false},
		{"", false},
	} {
		if got := acceptsOnlyJSON(tc.accept); got != tc.json {
			t.Errorf("acceptsOnlyJSON(%q) = %v, want %v", tc.accept, got, tc.json)
		}
	}
}

func TestBodiesThatAreNotExpectedToBeJSONAreNotChecked(t *testing.T) {
	clock := newFakeClock()
	srv := newScriptedServer(t, clock, respond(200, "team,hours\npayments,3\n", "Content-Type", "text/csv"))
	_, body, err := testClient(clock, nil).Get(context.Background(), srv.URL, http.Header{"Accept": {"text/csv, */*;q=0.1"}})
	if err != nil || string(body) != "team,hours\npayments,3\n" {
		t.Fatalf("got %q, %v", body, err)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestAMalformedBodyAfterTheLastRetryIsADecodeError(t *testing.T) {
	clock, obs := newFakeClock(), &recordingObserver{}
	srv := newScriptedServer(t, clock, respond(200, truncatedIssues, "Content-Type", "application/json", "ETag", `"v1"`))
	cache := NewMemoryCache(1 << 20)
	c := testClient(clock, obs, func(o *Options) { o.MaxRetries = 2; o.ETags = true; o.ETagCache = cache })
	_, _, err := c.Get(context.Background(), srv.URL+"/rest/api/2/search", nil)
	var e *Error
	if !errors.As(err, &e) || e.Reason() != ReasonDecode || e.Status != 200 {
		t.Fatalf("got %v, want a decode error with status 200", err)
	}
	want := `GET ` + srv.URL + `/rest/api/2/search: 200 OK: the 44-byte body is cut off (unexpected end of JSON input): "{\"total\":2,\"issues\":[{\"key\":\"OPS-1\"},{\"key\":"`
	if e.Error() != want {
		t.Errorf("message\n%s\nwant\n%s", e.Error(), want)
	}
	assertSlept(t, clock, 500*time.Millisecond, time.Second)
	assertCodes(t, obs, map[string]int{"200": 3})
	if cache.Len() != 0 {
		t.Error("the malformed body was cached")
	}
}

func TestAPoisonedETagIsNeverCachedSoTheNextRequestRecovers(t *testing.T) {
	clock := newFakeClock()
	const good = `[{"number":1}]`
	srv := newScriptedServer(t, clock,
		respond(200, `[{"number":1},{"numb`, "Content-Type", "application/json", "ETag", `"poisoned"`),
		func(w http.ResponseWriter, r *http.Request) {
			// The upstream still has the same ETag, so it would confirm
			// the garbage with a 304 if asked about it.
			if r.Header.Get("If-None-Match") == `"poisoned"` {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			respond(200, good, "Content-Type", "application/json", "ETag", `"poisoned"`)(w, r)
		})
	c := testClient(clock, nil, func(o *Options) { o.MaxRetries = NoRetries; o.ETags = true })
	if _, _, err := c.Get(context.Background(), srv.URL+"/repos/o/r/issues", nil); err == nil {
		t.Fatal("a cut-off body was accepted")
	}
	resp, body, err := c.Get(context.Background(), srv.URL+"/repos/o/r/issues", nil)
	if err != nil || string(body) != good || FromCache(resp) {
		t.Fatalf("second request got %q from cache %v, %v; want the good body fresh", body, FromCache(resp), err)
	}
	if got := srv.Requests()[1].header.Get("If-None-Match"); got != "" {
		t.Errorf("second request sent If-None-Match %q for a body that never decoded", got)
	}
}

func TestClassifyingADecodeErrorDropsTheCachedBody(t *testing.T) {
	clock := newFakeClock()
	// Valid JSON of the wrong shape passes the transport; only the
	// caller's decoder finds it wrong.
	srv := newScriptedServer(t, clock,
		respond(200, `{"message":"moved"}`, "Content-Type", "application/json", "ETag", `"v1"`),
		func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("If-None-Match") != "" {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			respond(200, `[{"number":1}]`, "Content-Type", "application/json", "ETag", `"v2"`)(w, r)
		})
	cache := NewMemoryCache(1 << 20)
	c := testClient(clock, nil, func(o *Options) { o.ETags = true; o.ETagCache = cache })
	resp, body, err := c.Get(context.Background(), srv.URL+"/repos/o/r/issues", nil)
	if err != nil {
		t.Fatal(err)
	}
	var issues []struct{ Number int }
	decodeErr := json.Unmarshal(body, &issues)
	var e *Error
	if !errors.As(Classify(decodeErr, resp), &e) || e.Reason() != ReasonDecode {
		t.Fatalf("Classify = %v, want a decode error", Classify(decodeErr, resp))
	}
	if cache.Len() != 0 {
		t.Fatal("the body that did not decode is still cached")
	}
	if _, body, err = c.Get(context.Background(), srv.URL+"/repos/o/r/issues", nil); err != nil || !strings.Contains(string(body), `"number":1`) {
		t.Fatalf("second request got %q, %v", body, err)
	}
}
