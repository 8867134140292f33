package upstream

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// RateLimitError mimics go-github's type of the same name, which it
// returns with a made-up 403 when it refuses to send a request itself.
type RateLimitError struct{ Message string }

func (e *RateLimitError) Error() string { return "API rate limit exceeded: " + e.Message }

func TestClassify(t *testing.T) {
	answer := func(code int, headers ...string) *http.Response {
		req, err := http.NewRequest(http.MethodGet, "https://api.example.com/items?page=2", nil)
		if err != nil {
			t.Fatal(err)
		}
		h := http.Header{}
		for i := 0; i+1 < len(headers); i += 2 {
			h.Set(headers[i], headers[i+1])
		}
		return &http.Response{StatusCode: code, Status: fmt.Sprintf("%d %s", code, http.StatusText(code)), Header: h, Request: req, Body: http.NoBody}
	}
	jsonEnd := json.Unmarshal([]byte(`{"a":`), new(any))
	jsonSyntax := json.Unmarshal([]byte(`{"a" 1}`), new(any))
	jsonType := json.Unmarshal([]byte(`{"a":"x"}`), new(struct{ A int }))
	truncated := json.NewDecoder(strings.NewReader(`{"issues":[{"key":"OPS-1"`)).Decode(new(any))
	_, csvErr := csv.NewReader(strings.NewReader("a,\"b\nc")).ReadAll()

	for _, tc := range []struct {
		name   string
		err    error
		resp   *http.Response
		reason string
		status int
	}{
		{"a 429 is rate_limited", errors.New("library error"), answer(429), ReasonRateLimited, 429},
		{"a 403 with no requests remaining is rate_limited", errors.New("403 API rate limit exceeded"), answer(403, "X-RateLimit-Remaining", "0"), ReasonRateLimited, 403},
		{"a 403 with Retry-After is GitHub's secondary limit", nil, answer(403, "Retry-After", "60"), ReasonRateLimited, 403},
		{"a 403 with requests remaining is auth", nil, answer(403, "X-RateLimit-Remaining", "12"), ReasonAuth, 403},
		{"a 401 is auth", nil, answer(401), ReasonAuth, 401},
		{"a 404 is client_error", nil, answer(404), ReasonClient, 404},
		{"a 502 is server_error", nil, answer(502), ReasonServer, 502},
		{"go-github's own rate-limit refusal is rate_limited", fmt.Errorf("list issues: %w", &RateLimitError{"reset in 5m"}), answer(403), ReasonRateLimited, 403},
		{"truncated JSON is decode", truncated, answer(200), ReasonDecode, 0},
		{"a JSON document that ends too early is decode", jsonEnd, answer(200), ReasonDecode, 0},
		{"a JSON syntax error is decode", jsonSyntax, answer(200), ReasonDecode, 0},
		{"a JSON type mismatch is decode", jsonType, answer(200), ReasonDecode, 0},
		{"a CSV parse error is decode", csvErr, nil, ReasonDecode, 0},
		{"a wrapped deadline is timeout", fmt.Errorf("page 3: %w", context.DeadlineExceeded), nil, ReasonTimeout, 0},
		{"a refused connection is network", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, nil, ReasonNetwork, 0},
		{"anything else is other", errors.New("mystery"), nil, ReasonOther, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e *Error
			if !errors.As(Classify(tc.err, tc.resp), &e) {
				t.Fatalf("Classify returned %v", Classify(tc.err, tc.resp))
			}
			if e.Reason() != tc.reason || e.Status != tc.status {
				t.Errorf("reason %q status %d, want %q %d (%v)", e.Reason(), e.Status, tc.reason, tc.status, e)
			}
			if tc.resp != nil && !strings.HasPrefix(e.Error(), "GET https://api.example.com/items?page=2: ") {
				t.Errorf("message %q does not name the method and URL", e.Error())
			}
		})
	}
}

func TestClassifyLetsSuccessesThrough(t *testing.T) {
	if err := Classify(nil, &http.Response{StatusCode: 200}); err != nil {
		t.Errorf("Classify(nil, 200) = %v", err)
	}
	if err := Classify(nil, nil); err != nil {
		t.Errorf("Classify(nil, nil) = %v", err)
	}
}

func TestTruncatedJSONSeenByADecoderIsADecodeError(t *testing.T) {
	// Served as text/plain to a client that accepts anything, the body is
	// not checked by the transport; the caller's decoder finds it short.
	srv := newScriptedServer(t, nil, respond(200, `{"total":2,"issues":[{"key":"OPS-1"},{"key":`, "Content-Type", "text/plain"))
	resp, err := New(Options{}).HTTP().Get(srv.URL + "/rest/api/2/search")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	err = json.NewDecoder(resp.Body).Decode(new(struct{ Total int }))
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("decoding gave %v, want unexpected EOF", err)
	}
	var e *Error
	if !errors.As(Classify(err, resp), &e) || e.Reason() != ReasonDecode {
		t.Fatalf("Classify = %v, want reason decode", Classify(err, resp))
	}
	if want := "GET " + srv.URL + "/rest/api/2/search: unexpected EOF"; e.Error() != want {
		t.Errorf("message %q, want %q", e.Error(), want)
	}
}

func TestSecretsNeverReachErrorMessages(t *testing.T) {
	const token = "glpat-Zq8xW3vR9tY2"
	srv := newScriptedServer(t, nil,
		respond(401, `{"message":"invalid token `+token+`"}`))
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close() // connections to it are refused
	c := New(Options{
		MaxRetries: NoRetries,
		Secrets:    []string{token},
		Authorize:  func(r *http.Request) { r.Header.Set("PRIVATE-TOKEN", token) },
	})
	withUser := strings.Replace(dead.URL, "http://", "http://bot:"+token+"@", 1)

	t.Run("a token echoed in an error body is redacted", func(t *testing.T) {
		_, _, err := c.Get(context.Background(), srv.URL+"/api/v4/issues?private_token="+token+"&state=opened", nil)
		var e *Error
		if !errors.As(err, &e) || e.Reason() != ReasonAuth || e.Status != 401 {
			t.Fatalf("got %v, want a 401 auth error", err)
		}
		want := "GET " + srv.URL + `/api/v4/issues?private_token=REDACTED&state=opened: 401 Unauthorized: {"message":"invalid token REDACTED"}`
		if e.Error() != want {
			t.Errorf("message\n got %q\nwant %q", e.Error(), want)
		}
	})
	t.Run("userinfo and a query token in a network error are redacted", func(t *testing.T) {
		_, _, err := c.Get(context.Background(), withUser+"/api/v4/issues?access_token="+token, nil)
		var e *Error
		if !errors.As(err, &e) || e.Reason() != ReasonNetwork {
			t.Fatalf("got %v, want a network error", err)
		}
		if strings.Contains(e.Error(), token) || strings.Contains(e.Error(), "bot") {
			t.Errorf("message leaks credentials: %q", e.Error())
		}
		if !strings.Contains(e.Error(), "GET http://REDACTED@127.0.0.1") || !strings.Contains(e.Error(), "access_token=REDACTED: ") {
			t.Errorf("message does not name the redacted URL: %q", e.Error())
		}
	})
	t.Run("a library error built from the response is redacted with the client's secrets", func(t *testing.T) {
		resp, err := c.HTTP().Get(srv.URL + "/api/v4/user")
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		libErr := fmt.Errorf("gitlab: %s %s", resp.Status, body) // what a library would return
		got := Classify(libErr, resp).Error()
		if strings.Contains(got, token) || !strings.Contains(got, "invalid token REDACTED") {
			t.Errorf("message %q", got)
		}
	})
}
