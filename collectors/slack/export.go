package slack

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/catalog"
	"github.com/sre-value/sre-value-exporter/internal/store"
)

// A workspace export (Settings > Import/export data, or the same layout
// unzipped): channels.json (public channels), groups.json (private ones,
// when exported), users.json, and one folder per channel, named after it,
// holding a YYYY-MM-DD.json array of messages per day. usergroups.json is
// not part of Slack's export; when present (the usergroups array of
// usergroups.list with include_users) it says who is in the SRE groups.

// exportChannel is an entry of channels.json or groups.json.
type exportChannel struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Members []string `json:"members"`
}

type exportUser struct {
	ID    string `json:"id"`
	IsBot bool   `json:"is_bot"`
}

type exportGroup struct {
	ID     string   `json:"id"`
	Handle string   `json:"handle"`
	Users  []string `json:"users"`
}

// exportMessage is the part of a message the metrics need; decoding only
// these fields keeps a large export cheap to read.
type exportMessage struct {
	TS        string `json:"ts"`
	ThreadTS  string `json:"thread_ts"`
	User      string `json:"user"`
	BotID     string `json:"bot_id"`
	Subtype   string `json:"subtype"`
	Reactions []struct {
		Count int `json:"count"`
	} `json:"reactions"`
}

// exportPost adds what the format checks need, decoded only in channels
// a template applies to. The text is checked and dropped, never stored.
type exportPost struct {
	exportMessage
	Text   string `json:"text"`
	Edited *struct {
		TS string `json:"ts"`
	} `json:"edited"`
}

var dayFile = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}\.json$`)

// syncExport reads the export when it changed since the last read (or the
// channel settings did) and replaces each channel's messages in the store
// in one transaction.
func (c *Collector) syncExport(ctx context.Context) error {
	fsys, closeFS, fingerprint, err := openExport(c.export)
	if err != nil {
		return collectors.WithReason(collectors.ReasonInvalidData, fmt.Errorf("slack export %s: %w", c.cfg.Export, err))
	}
	defer closeFS()
	fingerprint = c.settingsKey() + ";" + c.templatesFingerprint() + ";" + fingerprint
	now := c.deps.Now().UTC()
	var seen string
	err = c.deps.Store.View(c.deps.StoreKey(), func(tx *store.Tx) error {
		seen = tx.Cursor(cursorExport)
		return nil
	})
	if err != nil {
		return collectors.WithReason(collectors.ReasonStore, fmt.Errorf("slack: %w", err))
	}
	if seen == fingerprint {
		return nil
	}

	what := "slack export " + c.cfg.Export
	bad := func(err error) error {
		return collectors.WithReason(collectors.ReasonInvalidData, fmt.Errorf("%s: %w", what, err))
	}
	var chans []exportChannel
	if err := readJSON(fsys, "channels.json", &chans, true); err != nil {
		return bad(err)
	}
	var private []exportChannel
	if err := readJSON(fsys, "groups.json", &private, false); err != nil {
		return bad(err)
	}
	chans = append(chans, private...)
	var users []exportUser
	if err := readJSON(fsys, "users.json", &users, false); err != nil {
		return bad(err)
	}
	var groups []exportGroup
	hasGroups, err := exists(fsys, "usergroups.json")
	if err != nil {
		return bad(err)
	}
	if hasGroups {
		if err := readJSON(fsys, "usergroups.json", &groups, true); err != nil {
			return bad(err)
		}
	}

	p := people{SRE: map[string]string{}, Bots: map[string]bool{}}
	for _, u := range users {
		if u.IsBot {
			p.Bots[u.ID] = true
		}
	}
	switch {
	case len(c.cfg.SREUserGroups) > 0 && !hasGroups:
		c.note("slack export has no usergroups.json, so no one counts as SRE (see docs/collectors/slack.md)")
	default:
		for _, want := range c.cfg.SREUserGroups {
			i := slices.IndexFunc(groups, func(g exportGroup) bool { return g.ID == want || "@"+g.Handle == want })
			if i < 0 {
				c.note("slack user group %s not found in usergroups.json; it adds no one to the SRE team", want)
				continue
			}
			team := catalog.Unknown
			if c.deps.Catalog != nil {
				team = c.deps.Catalog.Team(Source, "@"+groups[i].Handle)
			}
			for _, u := range groups[i].Users {
				if _, dup := p.SRE[u]; !dup {
					p.SRE[u] = team
				}
			}
		}
	}
	if err := c.putPeople(p); err != nil {
		return err
	}

	var errs []error
	for _, ref := range c.channels {
		if err := ctx.Err(); err != nil {
			return err
		}
		i := slices.IndexFunc(chans, func(ch exportChannel) bool { return ch.ID == ref.Ref || "#"+ch.Name == ref.Ref })
		if i < 0 {
			errs = append(errs, bad(fmt.Errorf("channel %s is in neither channels.json nor groups.json", ref.Ref)))
			continue
		}
		ch := chans[i]
		var check func(exportPost, time.Time) []postCheck
		if c.checksChannel(ch.Name, now) {
			check = func(m exportPost, posted time.Time) []postCheck {
				var edited time.Time
				if m.Edited != nil {
					edited = editedAt(m.Edited.TS)
				}
				return c.checkPost(ch.Name, m.Text, posted, edited, isSystem(m.Subtype), now)
			}
		}
		msgs, orphans, err := readChannel(fsys, ch.Name, check)
		if err != nil {
			errs = append(errs, bad(err))
			continue
		}
		if orphans > 0 {
			c.note("slack export: %d replies in #%s skipped: their thread's first message is not in the export", orphans, ch.Name)
		}
		info := channelInfo{ID: ch.ID, Name: ch.Name, Members: len(ch.Members)}
		if err := c.replaceChannel(ref, info, msgs); err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	err = c.deps.Store.Update(c.deps.StoreKey(), func(tx *store.Tx) error { return tx.SetCursor(cursorExport, fingerprint) })
	if err != nil {
		return collectors.WithReason(collectors.ReasonStore, fmt.Errorf("slack: %w", err))
	}
	return nil
}

// settingsKey is the settings the stored export data depends on.
func (c *Collector) settingsKey() string {
	refs := make([]string, len(c.channels))
	for i, r := range c.channels {
		refs[i] = r.Ref
	}
	return strings.Join(refs, ",") + ";" + strings.Join(c.cfg.SREUserGroups, ",")
}

// replaceChannel stores the channel and exactly msgs as its messages.
func (c *Collector) replaceChannel(ref channelRef, info channelInfo, msgs map[string]message) error {
	kind := msgKind + info.ID
	err := c.deps.Store.Update(c.deps.StoreKey(), func(tx *store.Tx) error {
		if _, err := tx.PutRecord(channelKind, ref.Ref, info); err != nil {
			return err
		}
		var stale []string
		err := tx.ForEachRecord(kind, func(id string, _ []byte) error {
			if _, ok := msgs[id]; !ok {
				stale = append(stale, id)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, id := range stale {
			if err := tx.DeleteRecord(kind, id); err != nil {
				return err
			}
		}
		keys := make([]string, 0, len(msgs))
		for k := range msgs {
			keys = append(keys, k)
		}
		sort.Strings(keys) // bbolt writes sorted keys fastest
		for _, k := range keys {
			if _, err := tx.PutRecord(kind, k, msgs[k]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return collectors.WithReason(collectors.ReasonStore, fmt.Errorf("slack channel %s: %w", ref.Ref, err))
	}
	return nil
}

// readChannel reads a channel folder's day files into message records
// keyed by tsKey, with replies attached to their thread and top-level
// posts checked by check (nil: the channel is not checked, and its text
// is not even decoded). orphans counts replies whose parent is missing.
func readChannel(fsys fs.FS, name string, check func(exportPost, time.Time) []postCheck) (map[string]message, int, error) {
	entries, err := fs.ReadDir(fsys, name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return map[string]message{}, 0, nil // a channel nobody posted in
		}
		return nil, 0, err
	}
	msgs := map[string]message{}
	replies := map[string][]reply{}
	for _, e := range entries {
		if e.IsDir() || !dayFile.MatchString(e.Name()) {
			continue
		}
		file := name + "/" + e.Name()
		day, err := readDay(fsys, file, check != nil)
		if err != nil {
			return nil, 0, err
		}
		for i, m := range day {
			posted, err := parseTS(m.TS)
			if err != nil {
				return nil, 0, fmt.Errorf("%s: message %d: ts: %w", file, i+1, err)
			}
			n := 0
			for _, r := range m.Reactions {
				n += r.Count
			}
			if m.ThreadTS != "" && m.ThreadTS != m.TS {
				if _, err := parseTS(m.ThreadTS); err != nil {
					return nil, 0, fmt.Errorf("%s: message %d: thread_ts: %w", file, i+1, err)
				}
				parent := tsKey(m.ThreadTS)
				replies[parent] = append(replies[parent], reply{
					TS: m.TS, User: posterID(m.User, m.BotID), Bot: isBot(m.Subtype, m.BotID),
					System: isSystem(m.Subtype), Reactions: n,
				})
				continue
			}
			rec := message{
				User: posterID(m.User, m.BotID), Bot: isBot(m.Subtype, m.BotID),
				System: isSystem(m.Subtype), Reactions: n,
			}
			if check != nil {
				rec.Format = check(m, posted)
			}
			msgs[tsKey(m.TS)] = rec
		}
	}
	orphans := 0
	for parent, rs := range replies {
		m, ok := msgs[parent]
		if !ok {
			orphans += len(rs)
			continue
		}
		slices.SortFunc(rs, func(a, b reply) int { return strings.Compare(tsKey(a.TS), tsKey(b.TS)) })
		m.Replies = rs
		m.ReplyCount = len(rs)
		m.LatestReply = rs[len(rs)-1].TS
		msgs[parent] = m
	}
	return msgs, orphans, nil
}

// readDay decodes a day file, with the posts' text only when withText.
func readDay(fsys fs.FS, file string, withText bool) ([]exportPost, error) {
	var day []exportPost
	if withText {
		err := readJSON(fsys, file, &day, true)
		return day, err
	}
	var plain []exportMessage
	if err := readJSON(fsys, file, &plain, true); err != nil {
		return nil, err
	}
	day = make([]exportPost, len(plain))
	for i := range plain {
		day[i].exportMessage = plain[i]
	}
	return day, nil
}

// openExport opens a zip or a folder as a file system and returns a
// fingerprint (sizes and modification times) that changes with its content.
func openExport(path string) (fs.FS, func(), string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, nil, "", err
	}
	if !info.IsDir() {
		zr, err := zip.OpenReader(path)
		if err != nil {
			return nil, nil, "", fmt.Errorf("not a zip file or folder: %w", err)
		}
		return zr, func() { zr.Close() }, fmt.Sprintf("zip:%d:%d", info.Size(), info.ModTime().UnixNano()), nil
	}
	fsys := os.DirFS(path)
	h := sha256.New()
	err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s:%d:%d\n", p, fi.Size(), fi.ModTime().UnixNano())
		return nil
	})
	if err != nil {
		return nil, nil, "", err
	}
	return fsys, func() {}, "dir:" + hex.EncodeToString(h.Sum(nil)), nil
}

func exists(fsys fs.FS, name string) (bool, error) {
	_, err := fs.Stat(fsys, name)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	}
	return false, err
}

// readJSON decodes a file of the export, naming the file and line of a
// syntax or type error. A missing optional file leaves v as it is.
func readJSON(fsys fs.FS, name string, v any, required bool) error {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		if !required && errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: missing (is this a Slack workspace export?)", name)
		}
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		var syntax *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syntax):
			return fmt.Errorf("%s: line %d: %w", name, lineAt(data, syntax.Offset), err)
		case errors.As(err, &typ):
			return fmt.Errorf("%s: line %d: field %s: %s where a %s was expected", name, lineAt(data, typ.Offset), typ.Field, typ.Value, typ.Type)
		}
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// lineAt is the 1-based line of a byte offset.
func lineAt(data []byte, offset int64) int {
	offset = min(max(offset, 0), int64(len(data)))
	return bytes.Count(data[:offset], []byte("\n")) + 1
}
