package upstream

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// cannedTransport answers every request at once from memory, so a
// benchmark over it measures only this package's work.
type cannedTransport struct {
	body   []byte
	header http.Header
}

func (c *cannedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return &http.Response{
		StatusCode: 200, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: c.header.Clone(), Body: io.NopCloser(bytes.NewReader(c.body)),
		ContentLength: int64(len(c.body)), Request: req,
	}, nil
}

func benchmarkRequests(b *testing.B, client *http.Client, url string) {
	b.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// BenchmarkTransportOverhead is the cost this layer adds to one request
// (authorize, observe, rate-limit headers, buffering and checking a 4 KiB
// JSON body).
func BenchmarkTransportOverhead(b *testing.B) {
	canned := &cannedTransport{
		body:   []byte(`"` + strings.Repeat("x", 4094) + `"`), // a JSON string, as the Content-Type says
		header: http.Header{"Content-Type": {"application/json"}, "X-Ratelimit-Remaining": {"4999"}, "X-Ratelimit-Limit": {"5000"}, "X-Ratelimit-Reset": {"1893456000"}},
	}
	b.Run("bare", func(b *testing.B) {
		benchmarkRequests(b, &http.Client{Transport: canned}, "https://api.example.com/repos/o/r/issues?page=2")
	})
	b.Run("upstream", func(b *testing.B) {
		c := New(Options{Transport: canned, UserAgent: "bench", Authorize: func(r *http.Request) { r.Header.Set("Authorization", "Bearer x") }})
		benchmarkRequests(b, c.HTTP(), "https://api.example.com/repos/o/r/issues?page=2")
	})
	b.Run("upstream with ETags", func(b *testing.B) {
		canned := &cannedTransport{body: canned.body, header: canned.header.Clone()}
		canned.header.Set("ETag", `"v1"`)
		c := New(Options{Transport: canned, ETags: true})
		benchmarkRequests(b, c.HTTP(), "https://api.example.com/repos/o/r/issues?page=2")
	})
}

// BenchmarkLoopbackRequest puts the overhead next to a real round trip.
func BenchmarkLoopbackRequest(b *testing.B) {
	body := []byte(strings.Repeat("x", 4096))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(body) }))
	defer srv.Close()
	b.Run("bare", func(b *testing.B) { benchmarkRequests(b, srv.Client(), srv.URL) })
	b.Run("upstream", func(b *testing.B) {
		benchmarkRequests(b, New(Options{Transport: srv.Client().Transport}).HTTP(), srv.URL)
	})
}
