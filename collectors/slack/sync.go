package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/catalog"
	"github.com/sre-value/sre-value-exporter/internal/store"
)

// Sync reads what changed into the store: from the export when one is
// configured, else from the Web API.
func (c *Collector) Sync(ctx context.Context) error {
	c.resetNotes()
	if c.export != "" {
		return c.syncExport(ctx)
	}
	return c.syncLive(ctx)
}

// syncLive reads the SRE user groups, resolves the channels and reads
// each channel's history incrementally. A channel that fails does not
// stop the others; the errors are joined.
func (c *Collector) syncLive(ctx context.Context) error {
	now := c.deps.Now().UTC()
	if err := c.syncPeople(ctx); err != nil {
		return err
	}
	if err := c.syncWorkspace(ctx); err != nil {
		return err
	}
	ids, err := c.resolve(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, ref := range c.channels {
		id, ok := ids[ref.Ref]
		if !ok {
			errs = append(errs, collectors.WithReason(collectors.ReasonClient, fmt.Errorf("slack channel %s: not found among the channels the app can see (is the name right, and for a private channel, was the app invited?)", ref.Ref)))
			continue
		}
		if err := c.syncChannel(ctx, ref, id, now); err != nil {
			errs = append(errs, fmt.Errorf("slack channel %s: %w", ref.Ref, err))
		}
	}
	return errors.Join(errs...)
}

// usersEvery is how often the user list is read again for bot users;
// bots are rarely added, and users.list costs a Tier 2 request per 200
// users.
const usersEvery = 24 * time.Hour

// syncPeople stores who is in the SRE user groups (one usergroups.list)
// and, once a day, which users are bots (users.list).
func (c *Collector) syncPeople(ctx context.Context) error {
	var p people
	err := c.deps.Store.View(c.deps.StoreKey(), func(tx *store.Tx) (err error) {
		p, err = loadPeople(tx)
		return err
	})
	if err != nil {
		return collectors.WithReason(collectors.ReasonStore, fmt.Errorf("slack: %w", err))
	}
	p.SRE = map[string]string{}
	now := c.deps.Now().UTC()
	if p.UsersListed.IsZero() || now.Sub(p.UsersListed) >= usersEvery || now.Before(p.UsersListed) {
		bots, err := c.listBots(ctx)
		if err != nil {
			return err
		}
		p.Bots, p.UsersListed = bots, now
	}
	if len(c.cfg.SREUserGroups) > 0 {
		var groups []slackapi.UserGroup
		err := c.api.call(ctx, "usergroups.list", func(ctx context.Context) (err error) {
			groups, err = c.api.api.GetUserGroupsContext(ctx, slackapi.GetUserGroupsOptionIncludeUsers(true))
			return err
		})
		if err != nil {
			return fmt.Errorf("slack user groups: %w", err)
		}
		c.addGroups(p, groups)
	}
	return c.putPeople(p)
}

// syncWorkspace stores the workspace URL (one auth.test per sync) for the
// permalinks of format findings; without templates there are none.
func (c *Collector) syncWorkspace(ctx context.Context) error {
	if c.deps.Templates == nil {
		return nil
	}
	var resp *slackapi.AuthTestResponse
	err := c.api.call(ctx, "auth.test", func(ctx context.Context) (err error) {
		resp, err = c.api.api.AuthTestContext(ctx)
		return err
	})
	if err != nil {
		return fmt.Errorf("slack workspace: %w", err)
	}
	err = c.deps.Store.Update(c.deps.StoreKey(), func(tx *store.Tx) error {
		_, err := tx.PutRecord(workspaceKind, workspaceKey, workspace{URL: resp.URL})
		return err
	})
	if err != nil {
		return collectors.WithReason(collectors.ReasonStore, fmt.Errorf("slack: %w", err))
	}
	return nil
}

// listBots reads users.list, all pages, for the users marked is_bot.
func (c *Collector) listBots(ctx context.Context) (map[string]bool, error) {
	bots := map[string]bool{}
	pages := c.api.api.GetUsersPaginated(slackapi.GetUsersOptionLimit(c.cfg.PageSize))
	for page := 1; ; page++ {
		err := c.api.call(ctx, "users.list", func(ctx context.Context) (err error) {
			pages, err = pages.Next(ctx)
			if pages.Done(err) {
				return nil
			}
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("slack users: page %d: %w", page, err)
		}
		for _, u := range pages.Users {
			if u.IsBot {
				bots[u.ID] = true
			}
		}
		if pages.Cursor == "" {
			return bots, nil
		}
	}
}

// addGroups maps the members of the configured groups to their group's
// catalog team; a person in several groups counts for the first listed.
func (c *Collector) addGroups(p people, groups []slackapi.UserGroup) {
	for _, want := range c.cfg.SREUserGroups {
		i := slices.IndexFunc(groups, func(g slackapi.UserGroup) bool {
			return g.ID == want || "@"+g.Handle == want
		})
		if i < 0 {
			c.note("slack user group %s not found; it adds no one to the SRE team", want)
			continue
		}
		g := groups[i]
		team := catalog.Unknown
		if c.deps.Catalog != nil {
			team = c.deps.Catalog.Team(Source, "@"+g.Handle)
		}
		for _, u := range g.Users {
			if _, dup := p.SRE[u]; !dup {
				p.SRE[u] = team
			}
		}
	}
}

func (c *Collector) putPeople(p people) error {
	err := c.deps.Store.Update(c.deps.StoreKey(), func(tx *store.Tx) error {
		_, err := tx.PutRecord(peopleKind, peopleKey, p)
		return err
	})
	if err != nil {
		return collectors.WithReason(collectors.ReasonStore, fmt.Errorf("slack: %w", err))
	}
	return nil
}

// resolve returns the channel ID of every configured channel it can find.
// IDs are taken as given; names come from the store, and only when one is
// not there yet from conversations.list (public and private channels).
func (c *Collector) resolve(ctx context.Context) (map[string]string, error) {
	ids := map[string]string{}
	var missing bool
	err := c.deps.Store.View(c.deps.StoreKey(), func(tx *store.Tx) error {
		for _, ref := range c.channels {
			if ref.isID() {
				ids[ref.Ref] = ref.Ref
				continue
			}
			var ch channelInfo
			ok, err := tx.GetRecord(channelKind, ref.Ref, &ch)
			if err != nil {
				return err
			}
			if ok {
				ids[ref.Ref] = ch.ID
			} else {
				missing = true
			}
		}
		return nil
	})
	if err != nil {
		return nil, collectors.WithReason(collectors.ReasonStore, fmt.Errorf("slack: %w", err))
	}
	if !missing {
		return ids, nil
	}
	byName := map[string]string{}
	cursor := ""
	for page := 1; ; page++ {
		var chans []slackapi.Channel
		var next string
		err := c.api.call(ctx, "conversations.list", func(ctx context.Context) (err error) {
			chans, next, err = c.api.api.GetConversationsContext(ctx, &slackapi.GetConversationsParameters{
				Cursor: cursor, ExcludeArchived: true, Limit: c.cfg.PageSize,
				Types: []string{"public_channel", "private_channel"},
			})
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("slack channel list: page %d: %w", page, err)
		}
		for _, ch := range chans {
			byName["#"+ch.Name] = ch.ID
		}
		if next == "" {
			break
		}
		cursor = next
	}
	for _, ref := range c.channels {
		if _, ok := ids[ref.Ref]; !ok {
			if id, found := byName[ref.Ref]; found {
				ids[ref.Ref] = id
			}
		}
	}
	return ids, nil
}

// passState is an unfinished history pass, saved with every page so that
// a failure (a 429 storm, a restart) resumes below the last stored page
// instead of starting over.
type passState struct {
	// Oldest is the pass's lower bound (exclusive), Latest the oldest ts
	// stored so far (the next request's upper bound), Top the newest ts
	// seen, which becomes the cursor when the pass completes.
	Oldest string `json:"oldest"`
	Latest string `json:"latest,omitempty"`
	Top    string `json:"top,omitempty"`
}

// syncChannel refreshes the channel's name and members, then reads its
// history from the cursor minus the overlap (or the lookback on the first
// sync), page by page, and the threads whose reply count or latest reply
// changed.
func (c *Collector) syncChannel(ctx context.Context, ref channelRef, id string, now time.Time) error {
	var info *slackapi.Channel
	err := c.api.call(ctx, "conversations.info", func(ctx context.Context) (err error) {
		info, err = c.api.api.GetConversationInfoContext(ctx, &slackapi.GetConversationInfoInput{ChannelID: id, IncludeNumMembers: true})
		return err
	})
	if err != nil {
		return err
	}
	ch := channelInfo{ID: id, Name: info.Name, Members: info.NumMembers}
	if ch.Name == "" {
		ch.Name = ref.name()
	}

	fingerprint := c.channelFingerprint(ch.Name, now)
	var st passState
	err = c.deps.Store.Update(c.deps.StoreKey(), func(tx *store.Tx) error {
		if _, err := tx.PutRecord(channelKind, ref.Ref, ch); err != nil {
			return err
		}
		if raw := tx.Cursor(cursorPass + id); raw != "" {
			if err := json.Unmarshal([]byte(raw), &st); err != nil {
				return fmt.Errorf("cursor %s%s: %w", cursorPass, id, err)
			}
			return nil
		}
		oldest := now.Add(-time.Duration(c.cfg.Lookback))
		// Posts checked with other templates are all read (and checked)
		// again.
		sameTemplates := tx.Cursor(cursorTemplates+id) == fingerprint
		if latest := tx.Cursor(cursorLatest + id); latest != "" && sameTemplates {
			t, err := parseTS(latest)
			if err != nil {
				return fmt.Errorf("cursor %s%s: %w", cursorLatest, id, err)
			}
			if o := t.Add(-time.Duration(c.cfg.Overlap)); o.After(oldest) {
				oldest = o
			}
		}
		st = passState{Oldest: formatTS(oldest)}
		return nil
	})
	if err != nil {
		return collectors.WithReason(collectors.ReasonStore, err)
	}

	latest := st.Latest
	// seen are the messages this attempt's pages returned; when the pass
	// completes, stored messages in its range that Slack no longer lists
	// were deleted. A resumed attempt covers only (oldest, latest).
	p := &pass{state: &st, seen: map[string]bool{}, upper: latest, channel: ch.Name, fingerprint: fingerprint, now: now}
	cursor := ""
	for page := 1; ; page++ {
		var resp *slackapi.GetConversationHistoryResponse
		err := c.api.call(ctx, "conversations.history", func(ctx context.Context) (err error) {
			resp, err = c.api.api.GetConversationHistoryContext(ctx, &slackapi.GetConversationHistoryParameters{
				ChannelID: id, Oldest: st.Oldest, Latest: latest, Limit: c.cfg.PageSize, Cursor: cursor,
			})
			return err
		})
		if err != nil {
			return fmt.Errorf("history page %d: %w", page, err)
		}
		done := !resp.HasMore || resp.ResponseMetaData.NextCursor == ""
		if err := c.storeHistoryPage(ctx, id, resp.Messages, p, done); err != nil {
			return fmt.Errorf("history page %d: %w", page, err)
		}
		if done {
			return nil
		}
		cursor = resp.ResponseMetaData.NextCursor
	}
}

// pass is one attempt at a history pass.
type pass struct {
	state *passState
	seen  map[string]bool
	// upper is the attempt's latest bound ("" for none).
	upper string
	// channel is the channel's name, for the templates' scopes;
	// fingerprint identifies the templates that apply to it ("" for none:
	// its posts are not checked); now is when the sync started, the time
	// posts are checked as of.
	channel     string
	fingerprint string
	now         time.Time
}

// gone tells whether a stored message was deleted upstream: inside the
// attempt's range and not returned by it.
func (p *pass) gone(key string) bool {
	return key > tsKey(p.state.Oldest) && (p.upper == "" || key < tsKey(p.upper)) && !p.seen[key]
}

// storeHistoryPage reads the changed threads of a page, then stores the
// page's messages and the pass state (or, on the last page, the new
// cursor, removing the messages deleted upstream) in one transaction.
func (c *Collector) storeHistoryPage(ctx context.Context, id string, msgs []slackapi.Message, p *pass, done bool) error {
	kind := msgKind + id
	st := p.state
	type item struct {
		key string
		m   message
	}
	items := make([]item, 0, len(msgs))
	for _, m := range msgs {
		if m.ThreadTimestamp != "" && m.ThreadTimestamp != m.Timestamp {
			// A reply also sent to the channel: read with its thread.
			continue
		}
		if _, err := parseTS(m.Timestamp); err != nil {
			return collectors.WithReason(collectors.ReasonInvalidData, fmt.Errorf("message: ts: %w", err))
		}
		it := item{key: tsKey(m.Timestamp), m: fromAPI(m)}
		posted, _ := parseTS(m.Timestamp)
		var edited time.Time
		if m.Edited != nil {
			edited = editedAt(m.Edited.Timestamp)
		}
		if p.fingerprint != "" {
			it.m.Format = c.checkPost(p.channel, m.Text, posted, edited, it.m.System, p.now)
		}
		items = append(items, it)
	}

	// Threads are re-read only when history says they changed.
	changed := make([]bool, len(items))
	err := c.deps.Store.View(c.deps.StoreKey(), func(tx *store.Tx) error {
		for i := range items {
			var old message
			ok, err := tx.GetRecord(kind, items[i].key, &old)
			if err != nil {
				return err
			}
			if ok && old.ReplyCount == items[i].m.ReplyCount && old.LatestReply == items[i].m.LatestReply {
				items[i].m.Replies = old.Replies
				continue
			}
			changed[i] = true
		}
		return nil
	})
	if err != nil {
		return collectors.WithReason(collectors.ReasonStore, err)
	}
	for i := range items {
		m := &items[i].m
		if !changed[i] || m.ReplyCount == 0 {
			continue
		}
		replies, err := c.replies(ctx, id, keyTS(items[i].key))
		if err != nil {
			return err
		}
		m.Replies = replies
	}

	for _, it := range items {
		k := it.key
		p.seen[k] = true
		if st.Top == "" || k > tsKey(st.Top) {
			st.Top = keyTS(k)
		}
		if st.Latest == "" || k < tsKey(st.Latest) {
			st.Latest = keyTS(k)
		}
	}
	err = c.deps.Store.Update(c.deps.StoreKey(), func(tx *store.Tx) error {
		for _, it := range items {
			if _, err := tx.PutRecord(kind, it.key, it.m); err != nil {
				return err
			}
		}
		if !done {
			raw, err := json.Marshal(st)
			if err != nil {
				return err
			}
			return tx.SetCursor(cursorPass+id, string(raw))
		}
		var deleted []string
		err := tx.ForEachRecord(kind, func(key string, _ []byte) error {
			if p.gone(key) {
				deleted = append(deleted, key)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, key := range deleted {
			if err := tx.DeleteRecord(kind, key); err != nil {
				return err
			}
		}
		if st.Top != "" {
			old := tx.Cursor(cursorLatest + id)
			if old == "" || tsKey(st.Top) > tsKey(old) {
				if err := tx.SetCursor(cursorLatest+id, st.Top); err != nil {
					return err
				}
			}
		}
		if err := tx.SetCursor(cursorTemplates+id, p.fingerprint); err != nil {
			return err
		}
		return tx.SetCursor(cursorPass+id, "")
	})
	if err != nil {
		return collectors.WithReason(collectors.ReasonStore, err)
	}
	return nil
}

// replies reads one thread (conversations.replies, all pages), without
// its parent.
func (c *Collector) replies(ctx context.Context, id, parent string) ([]reply, error) {
	var out []reply
	cursor := ""
	for page := 1; ; page++ {
		var msgs []slackapi.Message
		var more bool
		var next string
		err := c.api.call(ctx, "conversations.replies", func(ctx context.Context) (err error) {
			msgs, more, next, err = c.api.api.GetConversationRepliesContext(ctx, &slackapi.GetConversationRepliesParameters{
				ChannelID: id, Timestamp: parent, Limit: c.cfg.PageSize, Cursor: cursor,
			})
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("thread %s: page %d: %w", parent, page, err)
		}
		for _, m := range msgs {
			if m.Timestamp == parent {
				continue
			}
			if _, err := parseTS(m.Timestamp); err != nil {
				return nil, collectors.WithReason(collectors.ReasonInvalidData, fmt.Errorf("thread %s: reply: ts: %w", parent, err))
			}
			out = append(out, replyFromAPI(m))
		}
		if !more || next == "" {
			break
		}
		cursor = next
	}
	slices.SortFunc(out, func(a, b reply) int { return strings.Compare(tsKey(a.TS), tsKey(b.TS)) })
	return out, nil
}

// fromAPI keeps what the metrics need of a top-level message.
func fromAPI(m slackapi.Message) message {
	return message{
		User:        posterID(m.User, m.BotID),
		Bot:         isBot(m.SubType, m.BotID),
		System:      isSystem(m.SubType),
		Reactions:   reactionCount(m.Reactions),
		ReplyCount:  m.ReplyCount,
		LatestReply: m.LatestReply,
	}
}

func replyFromAPI(m slackapi.Message) reply {
	return reply{
		TS:        m.Timestamp,
		User:      posterID(m.User, m.BotID),
		Bot:       isBot(m.SubType, m.BotID),
		System:    isSystem(m.SubType),
		Reactions: reactionCount(m.Reactions),
	}
}

func reactionCount(rs []slackapi.ItemReaction) int {
	n := 0
	for _, r := range rs {
		n += r.Count
	}
	return n
}
