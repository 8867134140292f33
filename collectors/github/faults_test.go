package github

import (
	"context"
	"testing"
	"time"

	"github.com/sre-value/sre-value-exporter/collectors"
)

func TestACutOffListingIsRetriedAndNeverReplayedFromTheETagCache(t *testing.T) {
	for _, tc := range []struct {
		name string
		// cuts is how many answers to the listing are cut off; the
		// collector makes 3 attempts (2 retries).
		cuts       int
		firstFails bool
	}{
		{"one cut-off answer is retried within the refresh", 1, false},
		{"a refresh that gets only cut-off answers fails, and the next one recovers", 3, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, "", "acme/payments", "acme/checkout")
			// The cut-off answers carry the listing's real ETag, and the
			// fake confirms that ETag with a 304 when asked.
			h.fake.fail(failure{path: "/repos/acme/payments/issues", query: "labels=incident", cut: true, times: tc.cuts})
			c := h.collector("")
			err := c.Sync(context.Background())
			if !tc.firstFails {
				if err != nil {
					t.Fatalf("Sync: %v", err)
				}
				checkFixtureMetrics(t, h.snapshot(c))
				return
			}
			if collectors.Reason(err) != collectors.ReasonDecode {
				t.Fatalf("first Sync = %v, want a decode error", err)
			}
			h.now = h.now.Add(time.Minute)
			h.sync(c)
			checkFixtureMetrics(t, h.snapshot(c))
		})
	}
}
