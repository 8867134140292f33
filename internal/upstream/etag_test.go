package upstream

import (
	"net/http"
	"strings"
	"testing"
)

func TestMemoryCacheForgetsTheLeastRecentlyUsedBeyondItsSize(t *testing.T) {
	key := func(s string) string { return strings.Repeat(s, 4) } // 4 bytes
	entry := func(body string) CachedResponse { return CachedResponse{ETag: "e", Body: []byte(body)} }
	// Each entry is 4 (key) + 1 (ETag) + 5 (body) = 10 bytes; room for three.
	c := NewMemoryCache(30)
	c.Put(key("a"), entry("aaaaa"))
	c.Put(key("b"), entry("bbbbb"))
	c.Put(key("c"), entry("ccccc"))
	if _, ok := c.Get(key("a")); !ok { // a is now the most recently used
		t.Fatal("a missing before the cache is full")
	}
	c.Put(key("d"), entry("ddddd"))
	for _, k := range []string{"a", "c", "d"} {
		if _, ok := c.Get(key(k)); !ok {
			t.Errorf("%s was evicted", k)
		}
	}
	if _, ok := c.Get(key("b")); ok {
		t.Error("b, the least recently used, is still cached")
	}
	c.Put(key("e"), CachedResponse{ETag: "e", Body: make([]byte, 31)})
	if _, ok := c.Get(key("e")); ok || c.Len() != 3 {
		t.Errorf("an entry bigger than the cache was stored (len %d)", c.Len())
	}
	c.Put(key("a"), entry("AAAAA"))
	if got, _ := c.Get(key("a")); string(got.Body) != "AAAAA" || c.Len() != 3 {
		t.Errorf("replacing a kept %q, len %d", got.Body, c.Len())
	}
}

func TestNoStoreResponsesAreNotCached(t *testing.T) {
	srv := newScriptedServer(t, nil, respond(200, "private", "ETag", `"x"`, "Cache-Control", "private, no-store"))
	cache := NewMemoryCache(1 << 20)
	c := New(Options{ETags: true, ETagCache: cache})
	if _, _, err := c.Get(t.Context(), srv.URL, nil); err != nil {
		t.Fatal(err)
	}
	if cache.Len() != 0 {
		t.Errorf("a no-store response was cached")
	}
	if _, _, err := c.Get(t.Context(), srv.URL, http.Header{}); err != nil {
		t.Fatal(err)
	}
	if got := srv.Requests()[1].header.Get("If-None-Match"); got != "" {
		t.Errorf("sent If-None-Match %q for an uncached response", got)
	}
}
