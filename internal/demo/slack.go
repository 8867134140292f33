package demo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// SlackExportDir is the folder of the demo's Slack workspace export, in
// the layout of Slack's own export (channels.json, groups.json,
// users.json, one folder per channel with a file per day), plus the
// usergroups.json the slack collector reads for the SRE user group.
const SlackExportDir = "slack-export"

// slackChannel is one channel of the demo workspace.
type slackChannel struct {
	id, name string
	private  bool
	help     bool
}

var slackChannels = []slackChannel{
	{id: "C0DEMOHELP", name: "sre-help", help: true},
	{id: "C0DEMOUPDT", name: "sre-updates"},
	{id: "C0DEMOCHMP", name: "sre-champions"},
	{id: "G0DEMOINCD", name: "incidents", private: true},
}

// slackDays is how many days the demo export covers.
const slackDays = 100

// slackUserGroup is the SRE team's user group and its catalog alias.
const slackUserGroup = "sre-oncall"

// slackAliases are the sre team's extra catalog aliases: its user group
// and the channels it runs.
func slackAliases(t *team) []string {
	if t.name != "sre" {
		return nil
	}
	out := []string{"slack:@" + slackUserGroup}
	for _, ch := range slackChannels {
		out = append(out, "slack:#"+ch.name)
	}
	return out
}

// slackCollectorYAML is the demo config's slack collector.
const slackCollectorYAML = `  - kind: slack
    name: demo-slack
    export: slack-export
    channels: ["#sre-updates", "#sre-champions", "#incidents"]
    help_channels: ["#sre-help"]
    sre_user_groups: ["@sre-oncall"]
`

// sreUpdatePosts are the texts of the SRE team's #sre-updates posts, used
// in turn, so the format checks (the built-in sre-update-post template)
// find most posts compliant and some not: a [WIN] too short and without
// evidence, a post without a tag, a [WEEKLY] without its Upcoming part.
var sreUpdatePosts = []string{
	"[WIN] Checkout p99 latency is down 38% after the connection-pool fix, see <https://jira.example.com/browse/OPS-812|OPS-812> and the latency dashboard",
	"[NOTABLE] The payments database failover drill went well: 4 minutes to recover, well under the 10 minute target",
	"[WEEKLY] Week in SRE\n*Wins*\nTwo more teams adopted the SLO dashboards and paging noise fell by a third\n*Upcoming*\nGame day with the search team on Thursday",
	"[WIN] Faster deploys for everyone",
	"[NOTABLE] Certificates of the public endpoints now renew on their own, nobody needs to watch the calendar any more",
	"Quick note: the staging cluster is being upgraded tonight, so expect short interruptions",
	"[WEEKLY] Week in SRE\n*Wins*\nThe on-call handbook got its escalation section rewritten together with the support team",
	"[WIN] The search team runs its own on-call rotation after the shadowing programme, <https://wiki.example.com/display/SRE/Search+on-call|handover notes>",
}

// deployBotPost is what the deploy bot posts in #sre-updates: tagged and
// long enough, as a well-configured integration should.
const deployBotPost = "[NOTABLE] deploy-bot: the weekly platform release rolled out to every region without errors, no action needed"

// exportMsg is a message as Slack's export writes it (the fields the
// collector reads, and text so the files look like the real thing).
type exportMsg struct {
	Type       string           `json:"type"`
	Subtype    string           `json:"subtype,omitempty"`
	User       string           `json:"user,omitempty"`
	BotID      string           `json:"bot_id,omitempty"`
	Text       string           `json:"text"`
	TS         string           `json:"ts"`
	ThreadTS   string           `json:"thread_ts,omitempty"`
	ReplyCount int              `json:"reply_count,omitempty"`
	Reactions  []exportReaction `json:"reactions,omitempty"`

	at time.Time
}

type exportReaction struct {
	Name  string   `json:"name"`
	Count int      `json:"count"`
	Users []string `json:"users"`
}

// slackPerson is a demo user: a person of a team, or a bot user.
type slackPerson struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	RealName string `json:"real_name,omitempty"`
	IsBot    bool   `json:"is_bot"`
	Deleted  bool   `json:"deleted"`
}

// slackExportFiles renders the export, keyed by path under the demo folder.
// The story: the help channel gets busier as more teams lean on the SRE
// team, and the SRE team answers a growing share of questions faster.
func slackExportFiles(o *org, c clock) (map[string][]byte, error) {
	r := newRand("slack")
	var users []slackPerson
	var sre, others []string
	for _, t := range o.teams {
		for _, p := range t.people {
			id := fmt.Sprintf("U0DEMO%04d", len(users)+1)
			users = append(users, slackPerson{ID: id, Name: slug(p), RealName: p})
			if t.name == "sre" {
				sre = append(sre, id)
			} else {
				others = append(others, id)
			}
		}
	}
	users = append(users, slackPerson{ID: "U0DEMOBOT1", Name: "deploy-bot", IsBot: true})
	const pagerBot = "B0DEMOPAGE"

	// ts hands out unique timestamps (a microsecond apart at most once per
	// collision), as Slack does within a channel.
	used := map[string]bool{}
	ts := func(t time.Time) string {
		for {
			s := fmt.Sprintf("%d.%06d", t.Unix(), t.Nanosecond()/1000)
			if !used[s] {
				used[s] = true
				return s
			}
			t = t.Add(time.Microsecond)
		}
	}
	msg := func(at time.Time, user string) *exportMsg {
		return &exportMsg{Type: "message", User: user, Text: "(demo message)", TS: ts(at), at: at}
	}
	react := func(m *exportMsg, n int) {
		if n > 0 {
			voters := make([]string, n)
			for i := range voters {
				voters[i] = pick(r, others)
			}
			m.Reactions = []exportReaction{{Name: pick(r, []string{"eyes", "pray", "tada", "white_check_mark"}), Count: n, Users: voters}}
		}
	}
	byChannel := map[string][]*exportMsg{}
	add := func(ch string, m *exportMsg) {
		if !m.at.After(c.end) {
			byChannel[ch] = append(byChannel[ch], m)
		}
	}
	thread := func(ch string, parent *exportMsg, at time.Time, user string) {
		if at.After(c.end) {
			return
		}
		parent.ThreadTS = parent.TS
		parent.ReplyCount++
		m := msg(at, user)
		m.ThreadTS = parent.TS
		add(ch, m)
	}
	workHour := func(d time.Time) time.Time {
		return d.Add(time.Duration(8*3600+r.IntN(10*3600)) * time.Second)
	}

	// The export covers the last slackDays days: enough for every window,
	// and a small folder.
	updates := 0 // SRE update posts so far, to take their texts in turn
	for i := max(0, c.days()-slackDays); i < c.days(); i++ {
		d := c.day(i)
		weekday := d.Weekday() != time.Saturday && d.Weekday() != time.Sunday
		p := c.progress(d)
		if weekday {
			// Help channel questions: 2 a day growing to 6.
			for q := 0; q < 2+int(math.Round(4*p*r.Float64()+r.Float64())); q++ {
				asker := pick(r, others)
				m := msg(workHour(d), asker)
				react(m, r.IntN(3))
				add("sre-help", m)
				if chance(r, 0.25) {
					thread("sre-help", m, m.at.Add(time.Duration(2+r.IntN(20))*time.Minute), pick(r, others))
				}
				if chance(r, 0.8+0.15*p) {
					wait := logNormal(r, 3600*(1.2-0.8*p), 1.0)
					first := m.at.Add(time.Duration(wait) * time.Second)
					thread("sre-help", m, first, pick(r, sre))
					if chance(r, 0.5) {
						thread("sre-help", m, first.Add(time.Duration(5+r.IntN(90))*time.Minute), asker)
					}
				}
			}
			// Updates from the SRE team.
			if chance(r, 0.7) {
				m := msg(workHour(d), pick(r, sre))
				m.Text = sreUpdatePosts[updates%len(sreUpdatePosts)]
				updates++
				react(m, 2+r.IntN(8))
				add("sre-updates", m)
				if chance(r, 0.3) {
					thread("sre-updates", m, m.at.Add(time.Duration(10+r.IntN(120))*time.Minute), pick(r, others))
				}
			}
			if chance(r, 0.15) {
				m := msg(workHour(d), "U0DEMOBOT1") // a bot user announcing deploys
				m.Text = deployBotPost
				add("sre-updates", m)
			}
			// Champions talk among themselves, with the SRE team.
			if chance(r, 0.3+0.3*p) {
				m := msg(workHour(d), pick(r, others))
				react(m, r.IntN(4))
				add("sre-champions", m)
				for k := 0; k < r.IntN(3); k++ {
					who := pick(r, others)
					if chance(r, 0.4) {
						who = pick(r, sre)
					}
					thread("sre-champions", m, m.at.Add(time.Duration(15+r.IntN(300))*time.Minute), who)
				}
			}
		}
		// Alerts from the paging integration, any day.
		for a := 0; a < r.IntN(3); a++ {
			m := msg(d.Add(time.Duration(r.IntN(86400))*time.Second), "")
			m.Subtype, m.BotID = "bot_message", pagerBot
			add("incidents", m)
			if chance(r, 0.6) {
				thread("incidents", m, m.at.Add(time.Duration(3+r.IntN(30))*time.Minute), pick(r, sre))
				if chance(r, 0.4) {
					thread("incidents", m, m.at.Add(time.Duration(40+r.IntN(200))*time.Minute), pick(r, others))
				}
			}
		}
		// Now and then someone joins the help channel.
		if chance(r, 0.1) {
			m := msg(workHour(d), pick(r, others))
			m.Subtype = "channel_join"
			add("sre-help", m)
		}
	}

	out := map[string][]byte{}
	put := func(name string, v any) error {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", " ")
		if err := enc.Encode(v); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		out[SlackExportDir+"/"+name] = b.Bytes()
		return nil
	}
	type channelEntry struct {
		ID         string   `json:"id"`
		Name       string   `json:"name"`
		Created    int64    `json:"created"`
		IsArchived bool     `json:"is_archived"`
		Members    []string `json:"members"`
	}
	var public, private []channelEntry
	for _, ch := range slackChannels {
		members := append([]string{}, sre...)
		switch ch.name {
		case "sre-help", "sre-updates":
			members = append(members, others...)
		default:
			members = append(members, others[:len(others)/3]...)
		}
		e := channelEntry{ID: ch.id, Name: ch.name, Created: c.start.Unix(), Members: members}
		if ch.private {
			private = append(private, e)
		} else {
			public = append(public, e)
		}
	}
	groups := []map[string]any{{"id": "S0DEMOSRE1", "handle": slackUserGroup, "name": "SRE on-call", "users": sre}}
	for _, f := range []struct {
		name string
		v    any
	}{{"channels.json", public}, {"groups.json", private}, {"users.json", users}, {"usergroups.json", groups}} {
		if err := put(f.name, f.v); err != nil {
			return nil, err
		}
	}
	for _, ch := range slackChannels {
		days := map[string][]*exportMsg{}
		for _, m := range byChannel[ch.name] {
			day := m.at.UTC().Format("2006-01-02")
			days[day] = append(days[day], m)
		}
		names := make([]string, 0, len(days))
		for d := range days {
			names = append(names, d)
		}
		sort.Strings(names)
		for _, d := range names {
			msgs := days[d]
			sort.Slice(msgs, func(i, j int) bool { return msgs[i].at.Before(msgs[j].at) })
			if err := put(ch.name+"/"+d+".json", msgs); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// slug is a user name as Slack shows it: lower case, dots for spaces.
func slug(name string) string {
	b := []byte{}
	for _, r := range name {
		switch {
		case r >= 'A' && r <= 'Z':
			b = append(b, byte(r-'A'+'a'))
		case r == ' ':
			b = append(b, '.')
		case r < 128:
			b = append(b, byte(r))
		}
	}
	return string(b)
}

// writeSlackExport writes the export folder afresh, so day files of an
// earlier end date do not linger.
func writeSlackExport(dir string, files map[string][]byte) error {
	root := filepath.Join(dir, SlackExportDir)
	if err := os.RemoveAll(root); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	names := make([]string, 0, len(files))
	for name := range files {
		if strings.HasPrefix(name, SlackExportDir+"/") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		if err := os.WriteFile(path, files[name], 0o644); err != nil {
			return fmt.Errorf("demo: write %s: %w", name, err)
		}
	}
	return nil
}
