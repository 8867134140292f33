package jira

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/incident"
	"github.com/sre-value/sre-value-exporter/internal/store"
	"github.com/sre-value/sre-value-exporter/internal/upstream"
)

func TestATruncatedAnswerIsRetriedAndTheSyncSucceeds(t *testing.T) {
	h := newCloud(t)
	h.mustSync()
	h.fake.setField("OPS-4", "priority", `{"name":"Highest"}`, now.Add(-time.Minute))
	// One cut-off 200, as a proxy that drops the connection mid-body
	// leaves it, then the real answers.
	h.fake.script = []fakeAnswer{{status: 200, body: `{"issues":[{"key":"OPS-4","fields":{"created":"2024-`}}
	h.mustSync()
	var got incident.Incident
	if err := h.st.View(h.c.deps.StoreKey(), func(tx *store.Tx) error {
		var err error
		got, _, err = incident.Get(tx, "OPS-4")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got.Severity != "sev1" {
		t.Errorf("OPS-4 severity %q after the retried sync, want sev1 from the good answer", got.Severity)
	}
	if n := len(h.sleeps); n != 1 {
		t.Errorf("%d backoff sleeps, want 1 for the one bad answer", n)
	}
}

// corruptedIssues fills the fake with n resolved incidents, two hours
// apart in the 30 days before now, each acknowledged (moved to In
// Progress) 10 minutes after it opened and resolved an hour after. Every
// tenth has a changelog longer than the search embeds, so its full
// changelog is read too.
func corruptedIssues(f *fakeJira, n int) {
	start := now.AddDate(0, 0, -30)
	jiraTime := func(t time.Time) json.RawMessage {
		return json.RawMessage(strconv.Quote(t.UTC().Format("2006-01-02T15:04:05.000-0700")))
	}
	history := func(id string, at time.Time, to string) json.RawMessage {
		return json.RawMessage(fmt.Sprintf(`{"id":%q,"created":%s,"items":[{"field":"status","fieldId":"status","toString":%q}]}`, id, jiraTime(at), to))
	}
	for i := range n {
		opened := start.Add(time.Duration(i) * 2 * time.Hour)
		is := &fakeIssue{Key: fmt.Sprintf("OPS-%d", 1000+i), Fields: map[string]json.RawMessage{
			"created":        jiraTime(opened),
			"updated":        jiraTime(opened.Add(time.Hour)),
			"resolutiondate": jiraTime(opened.Add(time.Hour)),
			"priority":       json.RawMessage(`{"name":"High"}`),
			"components":     json.RawMessage(`[{"name":"Payments"}]`),
		}}
		is.Histories = append(is.Histories, history(fmt.Sprintf("%d-1", i), opened.Add(10*time.Minute), "In Progress"))
		if i%10 == 0 {
			for j := 2; j <= 4; j++ {
				is.Histories = append(is.Histories, history(fmt.Sprintf("%d-%d", i, j), opened.Add(time.Duration(10+j)*time.Minute), "Waiting"))
			}
		}
		is.Histories = append(is.Histories, history(fmt.Sprintf("%d-9", i), opened.Add(time.Hour), "Done"))
		f.put(is, true)
	}
}

func TestAFirstSyncCompletesWhenSomeAnswersAreCorrupted(t *testing.T) {
	const n = 300
	h := newHarness(t, Cloud, cloudSettings)
	h.fake.changelogLimit = 3
	h.fake.changelogPage = 2
	corruptedIssues(h.fake, n)
	h.fake.corrupt = rand.New(rand.NewPCG(3, 1))
	h.fake.corruptRate = 0.03
	h.mustSync()
	if h.fake.corrupted == 0 {
		t.Fatal("no answer was corrupted; the test proves nothing")
	}
	t.Logf("%d of %d answers corrupted", h.fake.corrupted, len(h.fake.takeRequests()))
	s := h.snapshot()
	// Every incident: acknowledged after 10m, resolved after 1h.
	checkMean(t, s, "sre_incident_time_to_acknowledge_in_window_seconds", "30d", n*600, n)
	checkMean(t, s, "sre_incident_time_to_resolve_in_window_seconds", "30d", n*3600, n)
}

func TestWithoutRetriesEverySyncKeepsThePagesItStored(t *testing.T) {
	const n = 300
	h := bareHarness(t, Cloud)
	h.extra = cloudSettings
	h.maxRetries = upstream.NoRetries
	h.open()
	h.fake.changelogLimit = 3
	h.fake.changelogPage = 2
	corruptedIssues(h.fake, n)
	h.fake.corrupt = rand.New(rand.NewPCG(3, 1))
	h.fake.corruptRate = 0.03
	failures, syncs := 0, 0
	for ; syncs < 50; syncs++ {
		if err := h.sync(); err == nil {
			break
		}
		failures++
	}
	if failures == 0 || syncs == 50 {
		t.Fatalf("%d failed syncs of %d; want some failures, then success", failures, syncs+1)
	}
	// Each failed sync resumed where the last stored page ended, and no
	// incident was counted twice.
	s := h.snapshot()
	checkMean(t, s, "sre_incident_time_to_acknowledge_in_window_seconds", "30d", n*600, n)
	checkMean(t, s, "sre_incident_time_to_resolve_in_window_seconds", "30d", n*3600, n)
	restarts := 0
	for _, r := range h.fake.searchRequests() {
		if r.Query["jql"] == "(project = OPS AND type = Incident) ORDER BY updated ASC" && r.Query["nextPageToken"] == "" {
			restarts++
		}
	}
	// Without progress saved per page, every failure would list again
	// from the first page.
	if restarts != 1 {
		t.Errorf("the listing started from its first page %d times, want once", restarts)
	}
}
