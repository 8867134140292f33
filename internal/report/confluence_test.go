package report

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/sre-value/sre-value-exporter/internal/config"
)

const (
	confUser  = "sre-bot@example.com"
	confToken = "atl-report-test-token"
)

type fakePage struct {
	id, space, title, body string
	version                int
	attachments            map[string][]byte
}

// fakeConfluence speaks the Cloud REST API v1 content endpoints that
// PublishConfluence uses, with basic auth, version checks (409) and
// attachments that need X-Atlassian-Token.
type fakeConfluence struct {
	t     *testing.T
	srv   *httptest.Server
	mu    sync.Mutex
	pages map[string]*fakePage
	// concurrentEdits is how many PUTs find that someone else saved first.
	concurrentEdits int
	requests        []string
}

func newFakeConfluence(t *testing.T) *fakeConfluence {
	f := &fakeConfluence{t: t, pages: map[string]*fakePage{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeConfluence) fail(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"statusCode":%d,"message":%q}`, status, msg)
}

func (f *fakeConfluence) pageJSON(w http.ResponseWriter, status int, p *fakePage) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"id": p.id, "type": "page", "title": p.title, "version": map[string]int{"number": p.version},
		"_links": map[string]string{"base": f.srv.URL + "/wiki", "webui": "/spaces/" + p.space + "/pages/" + p.id},
	})
}

func (f *fakeConfluence) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r.Method+" "+r.URL.Path)
	if u, p, ok := r.BasicAuth(); !ok || u != confUser || p != confToken {
		f.fail(w, http.StatusUnauthorized, "Basic authentication with passwords is deprecated or the token is wrong")
		return
	}
	const content = "/wiki/rest/api/content"
	switch {
	case r.Method == http.MethodGet && r.URL.Path == content:
		q := r.URL.Query()
		if q.Get("type") != "page" || !strings.Contains(q.Get("expand"), "version") {
			f.fail(w, http.StatusBadRequest, "want type=page&expand=version")
			return
		}
		results := []map[string]any{}
		for _, p := range f.pages {
			if p.space == q.Get("spaceKey") && p.title == q.Get("title") {
				results = append(results, map[string]any{"id": p.id, "type": "page", "title": p.title, "version": map[string]int{"number": p.version}})
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"results": results, "start": 0, "limit": 25, "size": len(results)})
	case r.Method == http.MethodPost && r.URL.Path == content:
		var body struct {
			Type, Title string
			Space       struct{ Key string }
			Ancestors   []struct{ ID string }
			Body        struct {
				Storage struct{ Value, Representation string }
			}
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Type != "page" || body.Body.Storage.Representation != "storage" {
			f.fail(w, http.StatusBadRequest, "a page in the storage representation is required")
			return
		}
		p := &fakePage{id: fmt.Sprint(1000 + len(f.pages)), space: body.Space.Key, title: body.Title, body: body.Body.Storage.Value, version: 1, attachments: map[string][]byte{}}
		f.pages[p.id] = p
		f.pageJSON(w, http.StatusOK, p)
	case r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/child/attachment"):
		id := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, content+"/"), "/child/attachment")
		p, ok := f.pages[id]
		if !ok {
			f.fail(w, http.StatusNotFound, "no page "+id)
			return
		}
		if r.Header.Get("X-Atlassian-Token") != "no-check" {
			f.fail(w, http.StatusForbidden, "XSRF check failed")
			return
		}
		file, hdr, err := r.FormFile("file")
		if err != nil {
			f.fail(w, http.StatusBadRequest, err.Error())
			return
		}
		data, _ := io.ReadAll(file)
		p.attachments[hdr.Filename] = data
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"results":[{"id":"att1","title":%q}],"size":1}`, hdr.Filename)
	case r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, content+"/"):
		p, ok := f.pages[strings.TrimPrefix(r.URL.Path, content+"/")]
		if !ok {
			f.fail(w, http.StatusNotFound, "no such page")
			return
		}
		if f.concurrentEdits > 0 {
			f.concurrentEdits--
			p.version++ // someone saved the page just now
		}
		var body struct {
			ID, Type, Title string
			Version         struct{ Number int }
			Body            struct {
				Storage struct{ Value, Representation string }
			}
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.ID != p.id {
			f.fail(w, http.StatusBadRequest, "bad update")
			return
		}
		if body.Version.Number != p.version+1 {
			f.fail(w, http.StatusConflict, fmt.Sprintf("Version must be incremented on update. Current version is: %d", p.version))
			return
		}
		p.version, p.title, p.body = body.Version.Number, body.Title, body.Body.Storage.Value
		f.pageJSON(w, http.StatusOK, p)
	default:
		f.fail(w, http.StatusNotFound, "no route "+r.Method+" "+r.URL.Path)
	}
}

func confluenceOptions(f *fakeConfluence) ConfluenceOptions {
	return ConfluenceOptions{URL: f.srv.URL + "/wiki", Space: "SRE", User: confUser, Token: config.NewSecret(confToken, "test")}
}

func TestConfluenceCreatesThePageThenUpdatesItWithTheNextVersion(t *testing.T) {
	f := newFakeConfluence(t)
	r := chartedReport(t)
	res, err := PublishConfluence(context.Background(), r, confluenceOptions(f))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Created || res.Version != 1 || res.URL != f.srv.URL+"/wiki/spaces/SRE/pages/"+res.ID {
		t.Errorf("first publish %+v", res)
	}
	p := f.pages[res.ID]
	if p.title != "SRE value report: October 2026" || !strings.Contains(p.body, `<ri:attachment ri:filename="reliability-mttr.png" />`) {
		t.Errorf("page %q:\n%s", p.title, p.body)
	}
	if string(p.attachments["reliability-mttr.png"]) != string(r.Sections[0].Charts[0].PNG) {
		t.Errorf("the chart is not attached: %v", p.attachments)
	}
	// The storage format is XML.
	dec := xml.NewDecoder(strings.NewReader("<root>" + p.body + "</root>"))
	for {
		if _, err := dec.Token(); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("the page body is not well-formed: %v", err)
		}
	}

	res2, err := PublishConfluence(context.Background(), r, confluenceOptions(f))
	if err != nil {
		t.Fatal(err)
	}
	if res2.Created || res2.ID != res.ID || res2.Version != 2 || len(f.pages) != 1 {
		t.Errorf("second publish %+v (%d pages)", res2, len(f.pages))
	}
}

func TestConfluenceVersionConflicts(t *testing.T) {
	f := newFakeConfluence(t)
	r := chartedReport(t)
	first, err := PublishConfluence(context.Background(), r, confluenceOptions(f))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("one concurrent edit is written on top of", func(t *testing.T) {
		f.concurrentEdits = 1
		res, err := PublishConfluence(context.Background(), r, confluenceOptions(f))
		if err != nil {
			t.Fatal(err)
		}
		// Version 1, someone's 2, then ours 3.
		if res.Version != 3 || f.pages[first.ID].version != 3 {
			t.Errorf("result %+v, page version %d", res, f.pages[first.ID].version)
		}
	})
	t.Run("two in a row give up with ErrVersionConflict", func(t *testing.T) {
		f.concurrentEdits = 2
		_, err := PublishConfluence(context.Background(), r, confluenceOptions(f))
		if !errors.Is(err, ErrVersionConflict) || !strings.Contains(err.Error(), "409") {
			t.Errorf("error %v", err)
		}
	})
}

func TestConfluenceErrorsNeverQuoteTheToken(t *testing.T) {
	f := newFakeConfluence(t)
	opts := confluenceOptions(f)
	opts.Token = config.NewSecret("atl-wrong-token", "test")
	_, err := PublishConfluence(context.Background(), chartedReport(t), opts)
	if err == nil || !strings.Contains(err.Error(), "401") || strings.Contains(err.Error(), "atl-wrong-token") {
		t.Errorf("error %v", err)
	}
	opts = confluenceOptions(f)
	opts.Space = ""
	if _, err := PublishConfluence(context.Background(), chartedReport(t), opts); err == nil {
		t.Error("no space was accepted")
	}
}
