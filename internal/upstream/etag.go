package upstream

import (
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"sync"
)

// CachedResponse is what the ETag cache keeps of a 200 response.
type CachedResponse struct {
	ETag   string
	Header http.Header
	Body   []byte
}

func (r CachedResponse) size() int {
	n := len(r.ETag) + len(r.Body)
	for k, vs := range r.Header {
		n += len(k)
		for _, v := range vs {
			n += len(v)
		}
	}
	return n
}

// ETagCache keeps responses for conditional requests. Keys are hex SHA-256
// digests of the URL and Accept header, so a persistent implementation
// never stores a token that was part of a URL. It must be safe for
// concurrent use.
type ETagCache interface {
	Get(key string) (CachedResponse, bool)
	Put(key string, r CachedResponse)
	// Delete forgets key (a body the caller could not decode).
	Delete(key string)
}

// etagKey is the cache key of a GET: the same URL asked for in another
// representation (Accept) is another entry.
func etagKey(req *http.Request) string {
	h := sha256.New()
	h.Write([]byte(req.URL.String()))
	h.Write([]byte{0})
	h.Write([]byte(req.Header.Get("Accept")))
	return hex.EncodeToString(h.Sum(nil))
}

// MemoryCache is an ETagCache in memory that forgets the least recently
// used entries beyond a total size.
type MemoryCache struct {
	mu       sync.Mutex
	maxBytes int
	bytes    int
	order    *list.List // front is most recently used; values are *memoryEntry
	entries  map[string]*list.Element
}

type memoryEntry struct {
	key  string
	resp CachedResponse
	size int
}

// DefaultETagCacheBytes bounds the default in-memory ETag cache.
const DefaultETagCacheBytes = 32 << 20

// NewMemoryCache returns a cache holding at most maxBytes of bodies and
// headers; a response bigger than that is not cached.
func NewMemoryCache(maxBytes int) *MemoryCache {
	return &MemoryCache{maxBytes: maxBytes, order: list.New(), entries: map[string]*list.Element{}}
}

// Get returns the entry for key and marks it recently used.
func (c *MemoryCache) Get(key string) (CachedResponse, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[key]
	if !ok {
		return CachedResponse{}, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*memoryEntry).resp, true
}

// Put stores r under key, evicting the least recently used entries to stay
// within the size bound.
func (c *MemoryCache) Put(key string, r CachedResponse) {
	size := r.size() + len(key)
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		c.bytes -= el.Value.(*memoryEntry).size
		c.order.Remove(el)
		delete(c.entries, key)
	}
	if size > c.maxBytes {
		return
	}
	for c.bytes+size > c.maxBytes {
		oldest := c.order.Back()
		e := oldest.Value.(*memoryEntry)
		c.bytes -= e.size
		c.order.Remove(oldest)
		delete(c.entries, e.key)
	}
	c.entries[key] = c.order.PushFront(&memoryEntry{key: key, resp: r, size: size})
	c.bytes += size
}

// Delete forgets the entry for key, if any.
func (c *MemoryCache) Delete(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		c.bytes -= el.Value.(*memoryEntry).size
		c.order.Remove(el)
		delete(c.entries, key)
	}
}

// Len is the number of cached responses.
func (c *MemoryCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
