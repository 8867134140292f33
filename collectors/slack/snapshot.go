package slack

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/catalog"
	"github.com/sre-value/sre-value-exporter/internal/formatcheck"
	"github.com/sre-value/sre-value-exporter/internal/metrics"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
	"github.com/sre-value/sre-value-exporter/internal/store"
	"github.com/sre-value/sre-value-exporter/internal/window"
)

// figures are the metric accumulators of one snapshot.
type figures struct {
	now        time.Time
	unanswered time.Duration
	members    *window.Gauges
	messages   *window.Sum
	system     *window.Sum
	replies    *window.Sum
	threads    *window.Sum
	reactions  *window.Sum
	posters    *window.Distinct
	teamPosts  *window.Sum
	questions  *window.Sum
	answered   *window.Sum
	firstReply *window.Histogram
	open       *window.Gauges
	// checks are the format verdicts of posts within the longest window
	// (nil without templates); workspaceURL makes their permalinks.
	checks       *formatcheck.Results
	workspaceURL string
}

func newFigures(now time.Time, unanswered time.Duration) *figures {
	return &figures{
		now:        now,
		unanswered: unanswered,
		members:    window.NewGauges(metrics.SlackChannelMembers),
		messages:   window.NewSum(now, metrics.SlackMessagesInWindow),
		system:     window.NewSum(now, metrics.SlackSystemMessagesInWindow),
		replies:    window.NewSum(now, metrics.SlackRepliesInWindow),
		threads:    window.NewSum(now, metrics.SlackThreadsInWindow),
		reactions:  window.NewSum(now, metrics.SlackReactionsInWindow),
		posters:    window.NewDistinct(now, metrics.SlackPostersInWindow),
		teamPosts:  window.NewSum(now, metrics.SlackTeamPostsInWindow),
		questions:  window.NewSum(now, metrics.SlackQuestionsInWindow),
		answered:   window.NewSum(now, metrics.SlackQuestionsAnsweredInWindow),
		firstReply: window.NewHistogram(now, metrics.SlackQuestionFirstSREReply),
		open:       window.NewGauges(metrics.SlackQuestionsUnanswered),
	}
}

// Snapshot computes the metrics from the store; it never calls Slack.
// Channels not yet resolved (before the first successful sync) are left
// out rather than shown as zero.
func (c *Collector) Snapshot(now time.Time) (*snapshot.Snapshot, error) {
	return c.snapshot(now, true)
}

// History computes past snapshots for backfill: every figure but the member
// count is dated by its messages, which a snapshot at a past instant already
// honours (messages and replies after it do not exist yet). Format checks,
// which are not historical, are skipped.
func (c *Collector) History() (collectors.History, error) { return pastSnapshots{c}, nil }

type pastSnapshots struct{ c *Collector }

func (p pastSnapshots) SnapshotAt(at time.Time) (*snapshot.Snapshot, error) {
	return p.c.snapshot(at, false)
}

func (c *Collector) snapshot(now time.Time, check bool) (*snapshot.Snapshot, error) {
	f := newFigures(now, time.Duration(c.cfg.UnansweredAfter))
	if check && c.deps.Templates != nil {
		f.checks = formatcheck.New(now, Source)
	}
	err := c.deps.Store.View(c.deps.StoreKey(), func(tx *store.Tx) error {
		p, err := loadPeople(tx)
		if err != nil {
			return err
		}
		if c.export == "" {
			w, err := loadWorkspace(tx)
			if err != nil {
				return err
			}
			f.workspaceURL = w.URL
		}
		for _, ref := range c.channels {
			var ch channelInfo
			ok, err := tx.GetRecord(channelKind, ref.Ref, &ch)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			if err := f.channel(tx, c.deps.Catalog, p, ch, ref.Help); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, collectors.WithReason(collectors.ReasonStore, fmt.Errorf("slack: %w", err))
	}
	b := snapshot.NewBuilder()
	for _, s := range []interface{ Emit(*snapshot.Builder) }{
		f.members, f.messages, f.system, f.replies, f.threads, f.reactions, f.posters,
		f.teamPosts, f.questions, f.answered, f.firstReply, f.open,
	} {
		s.Emit(b)
	}
	if f.checks != nil && check {
		f.checks.Emit(b)
		notes := f.checks.Notes()
		c.mu.Lock()
		c.formatNotes = notes
		c.mu.Unlock()
	}
	return b.Build()
}

// channel adds one channel's stored messages to the figures.
func (f *figures) channel(tx *store.Tx, cat *catalog.Catalog, p people, ch channelInfo, help bool) error {
	name := ch.Name
	team := catalog.Unknown
	if cat != nil {
		team = cat.Team(Source, "#"+name)
	}
	f.members.Set(float64(ch.Members), "channel", name, "team", team)
	for _, class := range posterClasses {
		f.messages.Touch("channel", name, "poster", class)
		f.replies.Touch("channel", name, "poster", class)
		f.reactions.Touch("channel", name, "poster", class)
		f.posters.Add(time.Time{}, "", "channel", name, "poster", class)
	}
	f.system.Touch("channel", name)
	f.threads.Touch("channel", name)
	if help {
		f.questions.Touch("channel", name)
		f.answered.Touch("channel", name)
		f.firstReply.Touch("channel", name)
		f.open.Set(0, "channel", name)
	}
	// The question window of the unanswered gauge is the longest window.
	longest := window.All[len(window.All)-1]

	return tx.ForEachRecord(msgKind+ch.ID, func(key string, data []byte) error {
		var m message
		if err := json.Unmarshal(data, &m); err != nil {
			return fmt.Errorf("channel %s: message %s: %w", ch.ID, keyTS(key), err)
		}
		t, err := parseTS(keyTS(key))
		if err != nil {
			return fmt.Errorf("channel %s: %w", ch.ID, err)
		}
		f.post(p, name, t, m.User, m.Bot, m.System, m.Reactions, f.messages)
		if f.checks != nil && len(m.Format) > 0 && longest.Contains(f.now, t) {
			f.checks.Add(t, results(m.Format, postWhere(f.workspaceURL, ch, keyTS(key), t)))
		}
		// Replies after now do not exist yet for a snapshot of the past.
		// A deleted first message with replies stays as a system
		// "tombstone": its thread still counts.
		var firstSRE time.Time
		thread := false
		for _, r := range m.Replies {
			rt, err := parseTS(r.TS)
			if err != nil {
				return fmt.Errorf("channel %s: message %s: reply: %w", ch.ID, keyTS(key), err)
			}
			f.post(p, name, rt, r.User, r.Bot, r.System, r.Reactions, f.replies)
			if rt.After(f.now) {
				continue
			}
			thread = true
			if !r.System && p.class(r.User, r.Bot) == posterSRE && (firstSRE.IsZero() || rt.Before(firstSRE)) {
				firstSRE = rt
			}
		}
		if thread {
			f.threads.Add(t, 1, "channel", name)
		}
		if !help || m.System || p.class(m.User, m.Bot) != posterOther {
			return nil
		}
		f.questions.Add(t, 1, "channel", name)
		if !firstSRE.IsZero() {
			f.answered.Add(t, 1, "channel", name)
			f.firstReply.Observe(t, max(firstSRE.Sub(t), 0).Seconds(), "channel", name)
		} else if longest.Contains(f.now, t) && !t.After(f.now.Add(-f.unanswered)) {
			f.open.Add(1, "channel", name)
		}
		return nil
	})
}

// post counts one message or reply: in sum (messages or replies) by poster
// class, or as a system message; its reactions, its poster and, for SRE
// members, their team's posts.
func (f *figures) post(p people, channel string, t time.Time, user string, bot, system bool, reactions int, sum *window.Sum) {
	if system {
		f.system.Add(t, 1, "channel", channel)
		return
	}
	class := p.class(user, bot)
	sum.Add(t, 1, "channel", channel, "poster", class)
	if reactions > 0 {
		f.reactions.Add(t, float64(reactions), "channel", channel, "poster", class)
	}
	if user != "" {
		f.posters.Add(t, user, "channel", channel, "poster", class)
	}
	if class == posterSRE {
		f.teamPosts.Add(t, 1, "channel", channel, "team", p.SRE[user])
	}
}
