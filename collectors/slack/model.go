package slack

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/store"
)

// Store record kinds and cursors. Message records are kept per channel
// (kind msgKind+channel ID, key the message ts) so a channel is read or
// replaced without touching the others.
const (
	msgKind     = "slack_msg:"
	channelKind = "slack_channel"
	peopleKind  = "slack_people"
	peopleKey   = "people"
	// workspaceKind/workspaceKey hold the workspace URL (auth.test), the
	// base of message permalinks.
	workspaceKind = "slack_workspace"
	workspaceKey  = "workspace"
	// cursorLatest+ID is the newest ts of a completed history pass.
	cursorLatest = "latest:"
	// cursorPass+ID is an unfinished pass (passState as JSON).
	cursorPass = "pass:"
	// cursorExport is the fingerprint of the export last read.
	cursorExport = "export"
	// cursorTemplates+ID is the fingerprint of the format templates the
	// channel's last completed pass checked posts with; when the
	// templates change, the next pass re-reads the whole lookback.
	cursorTemplates = "templates:"
)

// message is one stored top-level message with its thread. User IDs are
// kept only to count distinct posters and to tell SRE members apart;
// they never reach labels, logs or notes. Text is never stored.
type message struct {
	User      string `json:"u,omitempty"`
	Bot       bool   `json:"b,omitempty"`
	System    bool   `json:"s,omitempty"`
	Reactions int    `json:"r,omitempty"`
	// ReplyCount and LatestReply are what history said when the thread
	// was last read; a change means conversations.replies is called again.
	ReplyCount  int     `json:"rc,omitempty"`
	LatestReply string  `json:"lr,omitempty"`
	Replies     []reply `json:"rp,omitempty"`
	// Format are the verdicts of the templates that apply to the post,
	// as checked when it was last read.
	Format []postCheck `json:"fc,omitempty"`
}

// workspace is the Slack workspace as auth.test describes it.
type workspace struct {
	URL string `json:"url"`
}

// reply is one thread reply.
type reply struct {
	TS        string `json:"t"`
	User      string `json:"u,omitempty"`
	Bot       bool   `json:"b,omitempty"`
	System    bool   `json:"s,omitempty"`
	Reactions int    `json:"r,omitempty"`
}

// channelInfo is a configured channel as resolved upstream.
type channelInfo struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Members int    `json:"members"`
}

// people is what the collector knows about posters.
type people struct {
	// SRE maps members of the SRE user groups to the catalog team of
	// their (first configured) group.
	SRE map[string]string `json:"sre"`
	// Bots are users marked is_bot (users.list, or users.json in an
	// export); UsersListed is when users.list was last read.
	Bots        map[string]bool `json:"bots,omitempty"`
	UsersListed time.Time       `json:"users_listed,omitempty"`
}

// Poster classes, the values of the "poster" label.
const (
	posterSRE   = "sre"
	posterOther = "other"
	posterBot   = "bot"
)

var posterClasses = []string{posterBot, posterOther, posterSRE}

// class returns the poster class of a human or bot message.
func (p people) class(user string, bot bool) string {
	switch {
	case bot || p.Bots[user]:
		return posterBot
	case p.SRE[user] != "":
		return posterSRE
	}
	return posterOther
}

// humanSubtypes are message subtypes posted by a person (or, for
// bot_message, a bot); every other subtype is a system message.
var humanSubtypes = map[string]bool{
	"":                 true,
	"bot_message":      true,
	"thread_broadcast": true,
	"file_share":       true,
	"me_message":       true,
}

// isSystem tells a system message (channel_join, channel_topic, ...) by
// its subtype.
func isSystem(subtype string) bool { return !humanSubtypes[subtype] }

// isBot tells a bot's message: Slack sets bot_id on every message an app
// posts, and the bot_message subtype on integrations without a user.
func isBot(subtype, botID string) bool { return botID != "" || subtype == "bot_message" }

// posterID is who posted: the user, or the bot for apps without one.
func posterID(user, botID string) string {
	if user != "" {
		return user
	}
	return botID
}

// parseTS turns a Slack ts ("1700000000.000100") into a time.
func parseTS(ts string) (time.Time, error) {
	secs, frac, _ := strings.Cut(ts, ".")
	s, err := strconv.ParseInt(secs, 10, 64)
	if err != nil || s < 0 || len(frac) > 9 {
		return time.Time{}, fmt.Errorf("%q is not a Slack timestamp", ts)
	}
	var ns int64
	if frac != "" {
		n, err := strconv.ParseInt(frac, 10, 64)
		if err != nil || n < 0 {
			return time.Time{}, fmt.Errorf("%q is not a Slack timestamp", ts)
		}
		for i := len(frac); i < 9; i++ {
			n *= 10
		}
		ns = n
	}
	return time.Unix(s, ns).UTC(), nil
}

// formatTS writes t as a Slack ts with microseconds.
func formatTS(t time.Time) string {
	return fmt.Sprintf("%d.%06d", t.Unix(), t.Nanosecond()/1000)
}

// tsKey is the store key of a ts: zero-padded seconds so that keys sort
// by time whatever the number of digits.
func tsKey(ts string) string {
	secs, frac, _ := strings.Cut(ts, ".")
	if len(secs) < 12 {
		secs = strings.Repeat("0", 12-len(secs)) + secs
	}
	return secs + "." + frac
}

// keyTS undoes tsKey.
func keyTS(key string) string {
	secs, frac, _ := strings.Cut(key, ".")
	secs = strings.TrimLeft(secs, "0")
	if secs == "" {
		secs = "0"
	}
	return secs + "." + frac
}

func loadWorkspace(tx *store.Tx) (workspace, error) {
	var w workspace
	if _, err := tx.GetRecord(workspaceKind, workspaceKey, &w); err != nil {
		return workspace{}, err
	}
	return w, nil
}

func loadPeople(tx *store.Tx) (people, error) {
	var p people
	if _, err := tx.GetRecord(peopleKind, peopleKey, &p); err != nil {
		return people{}, err
	}
	return p, nil
}
