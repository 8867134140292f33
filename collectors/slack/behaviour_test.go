package slack

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sre-value/sre-value-exporter/collectors"
)

func TestA429StormNeverLosesDataAlreadySynced(t *testing.T) {
	f := fixtureFake(t)
	settings := liveSettings + "page_size: 2\n"
	h := newHarness(t, f, settings)
	pages := 0
	f.fail = func(w http.ResponseWriter, method string, form map[string][]string) bool {
		if method != "conversations.history" || form["channel"][0] != "C0HELP0001" {
			return false
		}
		if pages++; pages <= 2 {
			return false
		}
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusTooManyRequests)
		return true
	}
	err := h.sync()
	if err == nil {
		t.Fatal("sync succeeded through a 429 storm")
	}
	if got := collectors.Reason(err); got != collectors.ReasonRateLimited {
		t.Errorf("reason %q, want %q (%v)", got, collectors.ReasonRateLimited, err)
	}
	if strings.Contains(err.Error(), testToken) {
		t.Errorf("the error shows the token: %v", err)
	}
	if len(h.sleeps) == 0 || h.sleeps[0] != 30*time.Second {
		t.Errorf("waits %v, want Retry-After's 30s before retrying", h.sleeps)
	}
	// The two pages stored before the storm (m9, m1 and m4, m5) count.
	want := `
# HELP sre_slack_questions_in_window Questions asked in a help channel in the window: top-level human messages by people outside the SRE user groups.
# TYPE sre_slack_questions_in_window gauge
sre_slack_questions_in_window{channel="sre-help",window="7d"} 2
sre_slack_questions_in_window{channel="sre-help",window="30d"} 2
sre_slack_questions_in_window{channel="sre-help",window="90d"} 2
`
	if err := testutil.GatherAndCompare(h.snapshot(), strings.NewReader(want), "sre_slack_questions_in_window"); err != nil {
		t.Error(err)
	}

	// The storm ends: the next sync resumes below the last stored page
	// and ends with every figure exact.
	var latest []string
	f.fail = func(w http.ResponseWriter, method string, form map[string][]string) bool {
		if method == "conversations.history" && form["channel"][0] == "C0HELP0001" && form["cursor"] == nil {
			latest = append(latest, strings.Join(form["latest"], ""))
		}
		return false
	}
	h.restart(settings)
	h.mustSync()
	if len(latest) != 1 || latest[0] != fixtureTS(-20*time.Hour) {
		t.Errorf("resumed with latest=%v, want the oldest stored ts %s (m5)", latest, fixtureTS(-20*time.Hour))
	}
	if err := testutil.GatherAndCompare(h.snapshot(), strings.NewReader(fixtureMetrics)); err != nil {
		t.Error(err)
	}
}

func TestHistoryRequestsAreSpacedAtTheConfiguredRate(t *testing.T) {
	f := fixtureFake(t)
	h := newHarness(t, f, liveSettings+"page_size: 2\nhistory_requests_per_minute: 1\n")
	sent := map[string][]time.Time{}
	f.fail = func(_ http.ResponseWriter, method string, _ map[string][]string) bool {
		sent[method] = append(sent[method], h.paceClock)
		return false
	}
	h.mustSync()
	for method, gap := range map[string]time.Duration{
		"conversations.history": time.Minute, "conversations.replies": time.Minute,
		"conversations.info": 1200 * time.Millisecond,
	} {
		times := sent[method]
		if len(times) < 2 {
			t.Fatalf("%s: %d requests, want several", method, len(times))
		}
		for i := 1; i < len(times); i++ {
			if d := times[i].Sub(times[i-1]); d < gap {
				t.Errorf("%s: requests %d and %d only %s apart, want at least %s", method, i, i+1, d, gap)
			}
		}
	}
}

func TestSlackErrorsGetAClearMessageAndReason(t *testing.T) {
	for _, tc := range []struct {
		name       string
		answer     func(w http.ResponseWriter)
		wantReason string
		wantText   string
	}{
		{"not_in_channel says to invite the app", okFalse("not_in_channel", ""), collectors.ReasonClient, "invite it with /invite"},
		{"channel_not_found mentions private channels", okFalse("channel_not_found", ""), collectors.ReasonClient, "private channel the app was not invited to"},
		{"invalid_auth is an auth error", okFalse("invalid_auth", ""), collectors.ReasonAuth, "invalid_auth: the bot token is not valid"},
		{"missing_scope names the scope", okFalse("missing_scope", "groups:history"), collectors.ReasonAuth, "needed: groups:history"},
		{"ratelimited in the body is a rate limit", okFalse("ratelimited", ""), collectors.ReasonRateLimited, "ratelimited"},
		{"malformed JSON is a decode error", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"ok":true,"messages":[{"ts":`))
		}, collectors.ReasonDecode, "conversations.history: the answer is not valid JSON"},
		{"a 503 after retries is a server error", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusServiceUnavailable)
		}, collectors.ReasonServer, "503"},
		{"a 429 after retries is a rate limit", func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
		}, collectors.ReasonRateLimited, "rate limited"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := fixtureFake(t)
			f.fail = func(w http.ResponseWriter, method string, _ map[string][]string) bool {
				if method != "conversations.history" {
					return false
				}
				tc.answer(w)
				return true
			}
			h := newHarness(t, f, liveSettings)
			err := h.sync()
			if err == nil {
				t.Fatal("sync succeeded")
			}
			if got := collectors.Reason(err); got != tc.wantReason {
				t.Errorf("reason %q, want %q (%v)", got, tc.wantReason, err)
			}
			if !strings.Contains(err.Error(), tc.wantText) || !strings.Contains(err.Error(), "slack channel") {
				t.Errorf("error %q does not name the channel or say %q", err, tc.wantText)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("the error shows the token: %v", err)
			}
		})
	}
}

func okFalse(code, needed string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		body := map[string]any{"ok": false, "error": code}
		if needed != "" {
			body["needed"], body["provided"] = needed, "channels:history"
		}
		writeJSON(w, body)
	}
}

func TestAWrongTokenIsAnAuthError(t *testing.T) {
	f := newFakeSlack(t, "xoxb-another-token")
	f.load("testdata/workspace.json")
	h := newHarness(t, f, liveSettings)
	err := h.sync()
	if got := collectors.Reason(err); got != collectors.ReasonAuth {
		t.Errorf("reason %q, want auth (%v)", got, err)
	}
}

func TestAChannelTheAppCannotSeeDoesNotStopTheOthers(t *testing.T) {
	f := fixtureFake(t)
	h := newHarness(t, f, `
channels: [C0UPD00001, "#no-such-channel"]
help_channels: ["#sre-help"]
sre_user_groups: ["@sre-platform", "@sre-data"]
`)
	err := h.sync()
	if err == nil || !strings.Contains(err.Error(), "slack channel #no-such-channel: not found") {
		t.Fatalf("error %v, want one naming #no-such-channel", err)
	}
	if got := collectors.Reason(err); got != collectors.ReasonClient {
		t.Errorf("reason %q, want client_error", got)
	}
	want := `
# HELP sre_slack_channel_members Members of the channel now (the export's member list for an export), with the catalog team the channel maps to.
# TYPE sre_slack_channel_members gauge
sre_slack_channel_members{channel="sre-help",team="platform"} 42
sre_slack_channel_members{channel="sre-updates",team="unknown"} 17
`
	if err := testutil.GatherAndCompare(h.snapshot(), strings.NewReader(want), "sre_slack_channel_members"); err != nil {
		t.Error(err)
	}
}

func TestAMessageDeletedWithinTheOverlapStopsCounting(t *testing.T) {
	f := fixtureFake(t)
	h := newHarness(t, f, liveSettings)
	h.mustSync()
	f.remove("C0HELP0001", fixtureTS(-5*time.Hour))     // m4, inside the overlap: seen gone
	f.remove("C0HELP0001", fixtureTS(-10*24*time.Hour)) // m3, before it: not seen
	h.clock = h.clock.Add(time.Minute)
	h.mustSync()
	want := `
# HELP sre_slack_questions_in_window Questions asked in a help channel in the window: top-level human messages by people outside the SRE user groups.
# TYPE sre_slack_questions_in_window gauge
sre_slack_questions_in_window{channel="sre-help",window="7d"} 2
sre_slack_questions_in_window{channel="sre-help",window="30d"} 3
sre_slack_questions_in_window{channel="sre-help",window="90d"} 4
`
	if err := testutil.GatherAndCompare(h.snapshot(), strings.NewReader(want), "sre_slack_questions_in_window"); err != nil {
		t.Error(err)
	}
}
