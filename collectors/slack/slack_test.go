package slack

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/config"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
	"github.com/sre-value/sre-value-exporter/internal/store"
	"github.com/sre-value/sre-value-exporter/internal/upstream"
)

const testToken = "xoxb-1111-2222-Zx9QkLm2testtoken"

// testNow is the fixture's "now" (testdata/workspace.json): windows end here.
var testNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

const catalogYAML = `
catalog:
  teams:
    - name: platform
      aliases: ["slack:@sre-platform", "slack:#sre-help"]
    - name: data
      aliases: ["slack:@sre-data"]
`

// liveSettings collect #sre-help (by name, a help channel) and
// #sre-updates (by ID).
const liveSettings = `
channels: [C0UPD00001]
help_channels: ["#sre-help"]
sre_user_groups: ["@sre-platform", "@sre-data"]
`

// harness is one collector instance against a fake Slack.
type harness struct {
	t      testing.TB
	fake   *fakeSlack
	dir    string
	st     *store.Store
	c      *Collector
	clock  time.Time
	sleeps []time.Duration
	// paced are the pacer's waits; they and the HTTP layer's sleeps
	// advance paceClock at once.
	paced     []time.Duration
	paceClock time.Time
	// templates, when set, is a config's templates: section (or
	// "templates: []" for the built-ins alone) the collector checks posts
	// with; unset, it checks nothing.
	templates string
}

func newHarness(t testing.TB, fake *fakeSlack, settings string) *harness {
	h := &harness{t: t, fake: fake, dir: t.TempDir(), clock: testNow, paceClock: testNow}
	h.open()
	h.build(settings)
	return h
}

func (h *harness) open() {
	st, err := store.Open(filepath.Join(h.dir, "s.db"))
	if err != nil {
		h.t.Fatal(err)
	}
	h.st = st
	h.t.Cleanup(func() { st.Close() })
}

// build makes a new collector instance (as after a restart).
func (h *harness) build(settings string) {
	h.t.Helper()
	url := ""
	if h.fake != nil {
		url = h.fake.srv.URL + "/api/"
	}
	c, err := buildCollectorWithTemplates(h.dir, url, settings, h.templates, h.st, func() time.Time { return h.clock }, func(o *upstream.Options, p *pacer) {
		o.Now = func() time.Time { return h.paceClock }
		o.Sleep = func(ctx context.Context, d time.Duration) error {
			h.sleeps = append(h.sleeps, d)
			h.paceClock = h.paceClock.Add(d)
			return ctx.Err()
		}
		p.now = func() time.Time { return h.paceClock }
		p.sleep = func(ctx context.Context, d time.Duration) error {
			h.paced = append(h.paced, d)
			h.paceClock = h.paceClock.Add(d)
			return ctx.Err()
		}
	})
	if err != nil {
		h.t.Fatal(err)
	}
	h.c = c
}

func (h *harness) restart(settings string) {
	if err := h.st.Close(); err != nil {
		h.t.Fatal(err)
	}
	h.open()
	h.build(settings)
}

func buildCollector(dir, url, settings string, st *store.Store, now func() time.Time, tune func(*upstream.Options, *pacer)) (*Collector, error) {
	return buildCollectorWithTemplates(dir, url, settings, "", st, now, tune)
}

// buildCollectorWithTemplates is buildCollector with a config's templates:
// section; the collector gets the compiled set when it is not "".
func buildCollectorWithTemplates(dir, url, settings, templates string, st *store.Store, now func() time.Time, tune func(*upstream.Options, *pacer)) (*Collector, error) {
	if err := os.WriteFile(filepath.Join(dir, "slack-token"), []byte(testToken+"\n"), 0o600); err != nil {
		return nil, err
	}
	yml := catalogYAML + templates + "\ncollectors:\n  - kind: slack\n    name: slack\n"
	if url != "" {
		yml += "    url: " + url + "\n    token_file: slack-token\n"
	}
	for _, line := range strings.Split(strings.TrimSpace(settings), "\n") {
		if line != "" {
			yml += "    " + line + "\n"
		}
	}
	cfg, err := config.Parse(filepath.Join(dir, "config.yml"), []byte(yml))
	if err != nil {
		return nil, err
	}
	deps := collectors.Deps{
		Config:  cfg.Collectors[0],
		Decoder: cfg.Decoder(),
		BaseDir: dir,
		Catalog: &cfg.Catalog,
		Store:   st,
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:     now,
	}
	if templates != "" {
		if deps.Templates, err = cfg.TemplateSet(); err != nil {
			return nil, err
		}
	}
	return newCollector(deps, tune)
}

func (h *harness) sync() error {
	h.t.Helper()
	return h.c.Sync(context.Background())
}

func (h *harness) mustSync() {
	h.t.Helper()
	if err := h.sync(); err != nil {
		h.t.Fatalf("sync: %v", err)
	}
}

func (h *harness) snapshot() *snapshot.Snapshot {
	h.t.Helper()
	s, err := h.c.Snapshot(h.clock)
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

func fixtureFake(t testing.TB) *fakeSlack {
	f := newFakeSlack(t, testToken)
	f.load("testdata/workspace.json")
	return f
}

// The fixture (now = 2026-11-20T12:00Z). People: U0SRE1 is in
// @sre-platform (team platform) and @sre-data, and counts for platform,
// the first group listed; U0SRE2 is in @sre-data (team data); U0DEV1..3
// are everyone else; B0BOT1 is an integration (bot_id) and U0BOT2 a bot
// user (is_bot in users.list or users.json).
//
// #sre-help (help channel, 42 members, team platform by alias):
//
//	m1  -2h   DEV1 question, 2 reactions; replies DEV2 -1h50m, SRE1 -1h30m (first SRE reply after 1800s)
//	m2  -3d   DEV2 question; replies SRE2 -3d+10m (1 reaction; first SRE reply after 600s), SRE1 -3d+1h (also sent to the channel)
//	m3  -10d  DEV1 question, never answered: unanswered (older than 24h)
//	m4  -5h   DEV2 question, no reply yet: too young to be unanswered
//	m5  -20h  SRE1 announcement, 3 reactions: not a question
//	m6  -40d  DEV1 question; reply SRE2 -38d (172800s)
//	m7  -100d DEV1 question: outside every window (and the lookback)
//	m8  -6d   bot message (bot_id B0BOT1)
//	m9  -1h   DEV3 joined: a system message
//
// #sre-updates (17 members, no catalog team):
//
//	u1  -1d   SRE1, 5 reactions; reply DEV1 -23h
//	u2  -20d  SRE2
//	u3  -60d  DEV2
//	u4  -2d   BOT2, a bot user posting without bot_id
const fixtureMetrics = `
# HELP sre_slack_channel_members Members of the channel now (the export's member list for an export), with the catalog team the channel maps to.
# TYPE sre_slack_channel_members gauge
sre_slack_channel_members{channel="sre-help",team="platform"} 42
sre_slack_channel_members{channel="sre-updates",team="unknown"} 17
# HELP sre_slack_messages_in_window Top-level messages posted in the window, by poster class (sre, other, bot); system messages are apart.
# TYPE sre_slack_messages_in_window gauge
sre_slack_messages_in_window{channel="sre-help",poster="bot",window="7d"} 1
sre_slack_messages_in_window{channel="sre-help",poster="bot",window="30d"} 1
sre_slack_messages_in_window{channel="sre-help",poster="bot",window="90d"} 1
sre_slack_messages_in_window{channel="sre-help",poster="other",window="7d"} 3
sre_slack_messages_in_window{channel="sre-help",poster="other",window="30d"} 4
sre_slack_messages_in_window{channel="sre-help",poster="other",window="90d"} 5
sre_slack_messages_in_window{channel="sre-help",poster="sre",window="7d"} 1
sre_slack_messages_in_window{channel="sre-help",poster="sre",window="30d"} 1
sre_slack_messages_in_window{channel="sre-help",poster="sre",window="90d"} 1
sre_slack_messages_in_window{channel="sre-updates",poster="bot",window="7d"} 1
sre_slack_messages_in_window{channel="sre-updates",poster="bot",window="30d"} 1
sre_slack_messages_in_window{channel="sre-updates",poster="bot",window="90d"} 1
sre_slack_messages_in_window{channel="sre-updates",poster="other",window="7d"} 0
sre_slack_messages_in_window{channel="sre-updates",poster="other",window="30d"} 0
sre_slack_messages_in_window{channel="sre-updates",poster="other",window="90d"} 1
sre_slack_messages_in_window{channel="sre-updates",poster="sre",window="7d"} 1
sre_slack_messages_in_window{channel="sre-updates",poster="sre",window="30d"} 2
sre_slack_messages_in_window{channel="sre-updates",poster="sre",window="90d"} 2
# HELP sre_slack_posters_in_window Distinct people (or bots) who posted a message or reply in the window, by poster class; classes do not overlap, so they sum.
# TYPE sre_slack_posters_in_window gauge
sre_slack_posters_in_window{channel="sre-help",poster="bot",window="7d"} 1
sre_slack_posters_in_window{channel="sre-help",poster="bot",window="30d"} 1
sre_slack_posters_in_window{channel="sre-help",poster="bot",window="90d"} 1
sre_slack_posters_in_window{channel="sre-help",poster="other",window="7d"} 2
sre_slack_posters_in_window{channel="sre-help",poster="other",window="30d"} 2
sre_slack_posters_in_window{channel="sre-help",poster="other",window="90d"} 2
sre_slack_posters_in_window{channel="sre-help",poster="sre",window="7d"} 2
sre_slack_posters_in_window{channel="sre-help",poster="sre",window="30d"} 2
sre_slack_posters_in_window{channel="sre-help",poster="sre",window="90d"} 2
sre_slack_posters_in_window{channel="sre-updates",poster="bot",window="7d"} 1
sre_slack_posters_in_window{channel="sre-updates",poster="bot",window="30d"} 1
sre_slack_posters_in_window{channel="sre-updates",poster="bot",window="90d"} 1
sre_slack_posters_in_window{channel="sre-updates",poster="other",window="7d"} 1
sre_slack_posters_in_window{channel="sre-updates",poster="other",window="30d"} 1
sre_slack_posters_in_window{channel="sre-updates",poster="other",window="90d"} 2
sre_slack_posters_in_window{channel="sre-updates",poster="sre",window="7d"} 1
sre_slack_posters_in_window{channel="sre-updates",poster="sre",window="30d"} 2
sre_slack_posters_in_window{channel="sre-updates",poster="sre",window="90d"} 2
# HELP sre_slack_question_first_sre_reply_seconds Time from a question to its first thread reply by an SRE user-group member, for answered questions asked in the window.
# TYPE sre_slack_question_first_sre_reply_seconds histogram
sre_slack_question_first_sre_reply_seconds_bucket{channel="sre-help",window="7d",le="300"} 0
sre_slack_question_first_sre_reply_seconds_bucket{channel="sre-help",window="7d",le="900"} 1
sre_slack_question_first_sre_reply_seconds_bucket{channel="sre-help",window="7d",le="1800"} 2
sre_slack_question_first_sre_reply_seconds_bucket{channel="sre-help",window="7d",le="3600"} 2
sre_slack_question_first_sre_reply_seconds_bucket{channel="sre-help",window="7d",le="7200"} 2
sre_slack_question_first_sre_reply_seconds_bucket{channel="sre-help",window="7d",le="14400"} 2
sre_slack_question_first_sre_reply_seconds_bucket{channel="sre-help",window="7d",le="28800"} 2
sre_slack_question_first_sre_reply_seconds_bucket{channel="sre-help",window="7d",le="86400"} 2
sre_slack_question_first_sre_reply_seconds_bucket{channel="sre-help",window="7d",le="172800"} 2
sre_slack_question_first_sre_reply_seconds_bucket{channel="sre-help",window="7d",le="604800"} 2
sre_slack_question_first_sre_reply_seconds_bucket{channel="sre-help",window="7d",le="+Inf"} 2
sre_slack_question_first_sre_reply_seconds_sum{channel="sre-help",window="7d"} 2400
sre_slack_question_first_sre_reply_seconds_count{channel="sre-help",window="7d"} 2
sre_slack_question_first_sre_reply_seconds_bucket{channel="sre-help",window="30d",le="300"} 0
sre_slack_question_first_sre_reply_seconds_bucket{channel="sre-help",window="30d",le="900"} 1
sre_slack_question_first_sre_reply_seconds_bucket{channel="sre-help",window="30d",le="1800"} 2
sre_slack_question_first_sre_reply_seconds_bucket{channel="sre-help",window="30d",le="3600"} 2
sre_slack_question_first_sre_reply_seconds_bucket{channel="sre-help",window="30d",le="7200"} 2
sre_slack_question_first_sre_reply_seconds_bucket{channel="sre-help",window="30d",le="14400"} 2
sre_slack_question_first_sre_reply_seconds_bucket{channel="sre-help",window="30d",le="28800"} 2
sre_slack_question_first_sre_reply_seconds_bucket{channel="sre-help",window="30d",le="86400"} 2
sre_slack_question_first_sre_reply_seconds_bucket{channel="sre-help",window="30d",le="172800"} 2
sre_slack_question_first_sre_reply_seconds_bucket{channel="sre-help",window="30d",le="604800"} 2
sre_slack_question_first_sre_reply_seconds_bucket{channel="sre-help",window="30d",le="+Inf"} 2
sre_slack_question_first_sre_reply_seconds_sum{channel="sre-help",window="30d"} 2400
sre_slack_question_first_sre_reply_seconds_count{channel="sre-help",window="30d"} 2
sre_slack_question_first_sre_reply_seconds_bucket{channel="sre-help",window="90d",le="300"} 0
sre_slack_question_first_sre_reply_seconds_bucket{channel="sre-help",window="90d",le="900"} 1
sre_slack_question_first_sre_reply_seconds_bucket{channel="sre-help",window="90d",le="1800"} 2
sre_slack_question_first_sre_reply_seconds_bucket{channel="sre-help",window="90d",le="3600"} 2
sre_slack_question_first_sre_reply_seconds_bucket{channel="sre-help",window="90d",le="7200"} 2
sre_slack_question_first_sre_reply_seconds_bucket{channel="sre-help",window="90d",le="14400"} 2
sre_slack_question_first_sre_reply_seconds_bucket{channel="sre-help",window="90d",le="28800"} 2
sre_slack_question_first_sre_reply_seconds_bucket{channel="sre-help",window="90d",le="86400"} 2
sre_slack_question_first_sre_reply_seconds_bucket{channel="sre-help",window="90d",le="172800"} 3
sre_slack_question_first_sre_reply_seconds_bucket{channel="sre-help",window="90d",le="604800"} 3
sre_slack_question_first_sre_reply_seconds_bucket{channel="sre-help",window="90d",le="+Inf"} 3
sre_slack_question_first_sre_reply_seconds_sum{channel="sre-help",window="90d"} 175200
sre_slack_question_first_sre_reply_seconds_count{channel="sre-help",window="90d"} 3
# HELP sre_slack_questions_answered_in_window Questions asked in the window (dated by the question) that have a thread reply by a member of the SRE user groups.
# TYPE sre_slack_questions_answered_in_window gauge
sre_slack_questions_answered_in_window{channel="sre-help",window="7d"} 2
sre_slack_questions_answered_in_window{channel="sre-help",window="30d"} 2
sre_slack_questions_answered_in_window{channel="sre-help",window="90d"} 3
# HELP sre_slack_questions_in_window Questions asked in a help channel in the window: top-level human messages by people outside the SRE user groups.
# TYPE sre_slack_questions_in_window gauge
sre_slack_questions_in_window{channel="sre-help",window="7d"} 3
sre_slack_questions_in_window{channel="sre-help",window="30d"} 4
sre_slack_questions_in_window{channel="sre-help",window="90d"} 5
# HELP sre_slack_questions_unanswered Questions asked in the last 90 days, older than the collector's unanswered_after, with no reply by an SRE user-group member yet.
# TYPE sre_slack_questions_unanswered gauge
sre_slack_questions_unanswered{channel="sre-help"} 1
# HELP sre_slack_reactions_in_window Reactions on messages and replies posted in the window (Slack does not date reactions), by poster class of the message's author.
# TYPE sre_slack_reactions_in_window gauge
sre_slack_reactions_in_window{channel="sre-help",poster="bot",window="7d"} 0
sre_slack_reactions_in_window{channel="sre-help",poster="bot",window="30d"} 0
sre_slack_reactions_in_window{channel="sre-help",poster="bot",window="90d"} 0
sre_slack_reactions_in_window{channel="sre-help",poster="other",window="7d"} 2
sre_slack_reactions_in_window{channel="sre-help",poster="other",window="30d"} 2
sre_slack_reactions_in_window{channel="sre-help",poster="other",window="90d"} 2
sre_slack_reactions_in_window{channel="sre-help",poster="sre",window="7d"} 4
sre_slack_reactions_in_window{channel="sre-help",poster="sre",window="30d"} 4
sre_slack_reactions_in_window{channel="sre-help",poster="sre",window="90d"} 4
sre_slack_reactions_in_window{channel="sre-updates",poster="bot",window="7d"} 0
sre_slack_reactions_in_window{channel="sre-updates",poster="bot",window="30d"} 0
sre_slack_reactions_in_window{channel="sre-updates",poster="bot",window="90d"} 0
sre_slack_reactions_in_window{channel="sre-updates",poster="other",window="7d"} 0
sre_slack_reactions_in_window{channel="sre-updates",poster="other",window="30d"} 0
sre_slack_reactions_in_window{channel="sre-updates",poster="other",window="90d"} 0
sre_slack_reactions_in_window{channel="sre-updates",poster="sre",window="7d"} 5
sre_slack_reactions_in_window{channel="sre-updates",poster="sre",window="30d"} 5
sre_slack_reactions_in_window{channel="sre-updates",poster="sre",window="90d"} 5
# HELP sre_slack_replies_in_window Thread replies posted in the window (dated by the reply), by poster class of the replier.
# TYPE sre_slack_replies_in_window gauge
sre_slack_replies_in_window{channel="sre-help",poster="bot",window="7d"} 0
sre_slack_replies_in_window{channel="sre-help",poster="bot",window="30d"} 0
sre_slack_replies_in_window{channel="sre-help",poster="bot",window="90d"} 0
sre_slack_replies_in_window{channel="sre-help",poster="other",window="7d"} 1
sre_slack_replies_in_window{channel="sre-help",poster="other",window="30d"} 1
sre_slack_replies_in_window{channel="sre-help",poster="other",window="90d"} 1
sre_slack_replies_in_window{channel="sre-help",poster="sre",window="7d"} 3
sre_slack_replies_in_window{channel="sre-help",poster="sre",window="30d"} 3
sre_slack_replies_in_window{channel="sre-help",poster="sre",window="90d"} 4
sre_slack_replies_in_window{channel="sre-updates",poster="bot",window="7d"} 0
sre_slack_replies_in_window{channel="sre-updates",poster="bot",window="30d"} 0
sre_slack_replies_in_window{channel="sre-updates",poster="bot",window="90d"} 0
sre_slack_replies_in_window{channel="sre-updates",poster="other",window="7d"} 1
sre_slack_replies_in_window{channel="sre-updates",poster="other",window="30d"} 1
sre_slack_replies_in_window{channel="sre-updates",poster="other",window="90d"} 1
sre_slack_replies_in_window{channel="sre-updates",poster="sre",window="7d"} 0
sre_slack_replies_in_window{channel="sre-updates",poster="sre",window="30d"} 0
sre_slack_replies_in_window{channel="sre-updates",poster="sre",window="90d"} 0
# HELP sre_slack_system_messages_in_window System messages (joins, leaves, topic and name changes, pins) posted in the window, top-level or in threads.
# TYPE sre_slack_system_messages_in_window gauge
sre_slack_system_messages_in_window{channel="sre-help",window="7d"} 1
sre_slack_system_messages_in_window{channel="sre-help",window="30d"} 1
sre_slack_system_messages_in_window{channel="sre-help",window="90d"} 1
sre_slack_system_messages_in_window{channel="sre-updates",window="7d"} 0
sre_slack_system_messages_in_window{channel="sre-updates",window="30d"} 0
sre_slack_system_messages_in_window{channel="sre-updates",window="90d"} 0
# HELP sre_slack_team_posts_in_window Messages and replies posted in the window by members of the configured SRE user groups, by the catalog team of the poster's user group.
# TYPE sre_slack_team_posts_in_window gauge
sre_slack_team_posts_in_window{channel="sre-help",team="data",window="7d"} 1
sre_slack_team_posts_in_window{channel="sre-help",team="data",window="30d"} 1
sre_slack_team_posts_in_window{channel="sre-help",team="data",window="90d"} 2
sre_slack_team_posts_in_window{channel="sre-help",team="platform",window="7d"} 3
sre_slack_team_posts_in_window{channel="sre-help",team="platform",window="30d"} 3
sre_slack_team_posts_in_window{channel="sre-help",team="platform",window="90d"} 3
sre_slack_team_posts_in_window{channel="sre-updates",team="data",window="7d"} 0
sre_slack_team_posts_in_window{channel="sre-updates",team="data",window="30d"} 1
sre_slack_team_posts_in_window{channel="sre-updates",team="data",window="90d"} 1
sre_slack_team_posts_in_window{channel="sre-updates",team="platform",window="7d"} 1
sre_slack_team_posts_in_window{channel="sre-updates",team="platform",window="30d"} 1
sre_slack_team_posts_in_window{channel="sre-updates",team="platform",window="90d"} 1
# HELP sre_slack_threads_in_window Top-level messages posted in the window that have at least one reply.
# TYPE sre_slack_threads_in_window gauge
sre_slack_threads_in_window{channel="sre-help",window="7d"} 2
sre_slack_threads_in_window{channel="sre-help",window="30d"} 2
sre_slack_threads_in_window{channel="sre-help",window="90d"} 3
sre_slack_threads_in_window{channel="sre-updates",window="7d"} 1
sre_slack_threads_in_window{channel="sre-updates",window="30d"} 1
sre_slack_threads_in_window{channel="sre-updates",window="90d"} 1
`

func TestALiveSyncGivesTheHandComputedMetrics(t *testing.T) {
	f := fixtureFake(t)
	h := newHarness(t, f, liveSettings)
	h.mustSync()
	if err := testutil.GatherAndCompare(h.snapshot(), strings.NewReader(fixtureMetrics)); err != nil {
		t.Error(err)
	}
	if len(f.violations) > 0 {
		t.Errorf("requests Slack would refuse: %v", f.violations)
	}
}

func TestAnExportGivesTheSameMetricsAsTheLiveAPI(t *testing.T) {
	for _, tc := range []struct{ name, export string }{
		{"a folder", "export"},
		{"a zip", "export.zip"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			src, _ := filepath.Abs("testdata/export")
			path := src
			if tc.export == "export.zip" {
				path = filepath.Join(dir, "export.zip")
				zipFolder(t, src, path)
			}
			h := newHarness(t, nil, "export: "+path+"\n"+liveSettings)
			h.mustSync()
			if err := testutil.GatherAndCompare(h.snapshot(), strings.NewReader(fixtureMetrics)); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestARefreshWithNothingNewCostsOneHistoryCallPerChannelAndNoReplies(t *testing.T) {
	f := fixtureFake(t)
	h := newHarness(t, f, liveSettings)
	h.mustSync()
	if got := f.count("conversations.replies"); got != 4 {
		t.Errorf("first sync: %d conversations.replies, want 4 (one per thread in the lookback)", got)
	}
	f.resetCounts()
	h.clock = h.clock.Add(time.Minute)
	h.mustSync()
	for method, want := range map[string]int{
		"conversations.history": 2, "conversations.replies": 0, "conversations.list": 0,
		"conversations.info": 2, "usergroups.list": 1, "users.list": 0,
	} {
		if got := f.count(method); got != want {
			t.Errorf("%s: %d calls, want %d", method, got, want)
		}
	}
}

func TestANewReplyReReadsOnlyItsThread(t *testing.T) {
	f := fixtureFake(t)
	h := newHarness(t, f, liveSettings)
	h.mustSync()
	f.resetCounts()
	// A late SRE reply to m4, asked 5 hours ago (inside the 3-day overlap).
	f.add("C0HELP0001", `{"type":"message","user":"U0SRE2","ts":"`+fixtureTS(-4*time.Hour)+`","thread_ts":"`+fixtureTS(-5*time.Hour)+`"}`)
	h.mustSync()
	if got := f.count("conversations.replies"); got != 1 {
		t.Errorf("%d conversations.replies, want 1 (the changed thread only)", got)
	}
	want := `
# HELP sre_slack_questions_answered_in_window Questions asked in the window (dated by the question) that have a thread reply by a member of the SRE user groups.
# TYPE sre_slack_questions_answered_in_window gauge
sre_slack_questions_answered_in_window{channel="sre-help",window="7d"} 3
sre_slack_questions_answered_in_window{channel="sre-help",window="30d"} 3
sre_slack_questions_answered_in_window{channel="sre-help",window="90d"} 4
`
	if err := testutil.GatherAndCompare(h.snapshot(), strings.NewReader(want), "sre_slack_questions_answered_in_window"); err != nil {
		t.Error(err)
	}
}

func TestARestartResumesFromThePersistedCursor(t *testing.T) {
	f := fixtureFake(t)
	h := newHarness(t, f, liveSettings)
	h.mustSync()
	h.restart(liveSettings)
	f.resetCounts()
	var oldest []string
	f.fail = func(w http.ResponseWriter, method string, form map[string][]string) bool {
		if method == "conversations.history" {
			oldest = append(oldest, form["oldest"][0])
		}
		return false
	}
	h.mustSync()
	if got := f.count("conversations.list"); got != 0 {
		t.Errorf("%d conversations.list after a restart, want 0 (names resolved from the store)", got)
	}
	if got := f.count("conversations.replies"); got != 0 {
		t.Errorf("%d conversations.replies after a restart, want 0", got)
	}
	// The newest messages are m9 (-1h) in #sre-help and u1's thread
	// parent (-1d) in #sre-updates; each pass starts 3 days before.
	want := []string{
		formatTS(mustTS(t, "C0UPD00001").Add(-3 * 24 * time.Hour)),
		formatTS(mustTS(t, "C0HELP0001").Add(-3 * 24 * time.Hour)),
	}
	if strings.Join(oldest, ",") != strings.Join(want, ",") {
		t.Errorf("oldest = %v, want %v", oldest, want)
	}
	if err := testutil.GatherAndCompare(h.snapshot(), strings.NewReader(fixtureMetrics)); err != nil {
		t.Error(err)
	}
}

// fixtureTS is the ts of a fixture message posted d from now.
func fixtureTS(d time.Duration) string {
	return formatTS(testNow.Add(d).Add(100 * time.Microsecond))
}

// mustTS is the newest top-level ts of a fixture channel.
func mustTS(t *testing.T, channel string) time.Time {
	t.Helper()
	newest := map[string]time.Duration{"C0HELP0001": -time.Hour, "C0UPD00001": -24 * time.Hour}[channel]
	ts, err := parseTS(formatTS(testNow.Add(newest)))
	if err != nil {
		t.Fatal(err)
	}
	return ts.Add(100 * time.Microsecond)
}

func TestASnapshotOfThePastIgnoresLaterReplies(t *testing.T) {
	f := fixtureFake(t)
	h := newHarness(t, f, liveSettings)
	h.mustSync()
	// 1h55m ago m1 (-2h) had no reply yet: DEV2 replied at -1h50m and
	// SRE1 at -1h30m, so m1 was neither a thread nor answered.
	past := testNow.Add(-115 * time.Minute)
	snap, err := h.c.Snapshot(past)
	if err != nil {
		t.Fatal(err)
	}
	want := `
# HELP sre_slack_questions_answered_in_window Questions asked in the window (dated by the question) that have a thread reply by a member of the SRE user groups.
# TYPE sre_slack_questions_answered_in_window gauge
sre_slack_questions_answered_in_window{channel="sre-help",window="7d"} 1
sre_slack_questions_answered_in_window{channel="sre-help",window="30d"} 1
sre_slack_questions_answered_in_window{channel="sre-help",window="90d"} 2
# HELP sre_slack_threads_in_window Top-level messages posted in the window that have at least one reply.
# TYPE sre_slack_threads_in_window gauge
sre_slack_threads_in_window{channel="sre-help",window="7d"} 1
sre_slack_threads_in_window{channel="sre-help",window="30d"} 1
sre_slack_threads_in_window{channel="sre-help",window="90d"} 2
`
	if err := testutil.GatherAndCompare(onlyChannel(snap, "sre-help"), strings.NewReader(want), "sre_slack_questions_answered_in_window", "sre_slack_threads_in_window"); err != nil {
		t.Error(err)
	}
}

func TestTheUserListIsReadOnceADay(t *testing.T) {
	f := fixtureFake(t)
	h := newHarness(t, f, liveSettings)
	for _, step := range []struct {
		after time.Duration
		want  int
	}{{0, 1}, {23 * time.Hour, 1}, {time.Hour, 2}} {
		h.clock = h.clock.Add(step.after)
		h.mustSync()
		if got := f.count("users.list"); got != step.want {
			t.Errorf("after %s more: %d users.list calls in all, want %d", step.after, got, step.want)
		}
	}
}
