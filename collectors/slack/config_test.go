package slack

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestBadSettingsAreRefusedNamingTheField(t *testing.T) {
	for _, tc := range []struct {
		name, settings, want string
	}{
		{"a channel name without the #", "channels: [sre-help]",
			`collectors[0].channels[0]: "sre-help" is neither a channel name such as "#sre-help" (lower case, with the #) nor a channel ID such as C0123ABCD`},
		{"a channel name in upper case", "channels: [\"#SRE-help\"]",
			`collectors[0].channels[0]: "#SRE-help" is neither a channel name`},
		{"a channel listed twice", "channels: [\"#sre-help\"]\nhelp_channels: [\"#sre-help\"]",
			`collectors[0].help_channels[0]: channel #sre-help is already listed in channels[0]`},
		{"no channel at all", "sre_user_groups: [\"@sre\"]",
			`collectors[0].channels: list at least one channel (in channels or help_channels)`},
		{"a user group without the @", "channels: [C0UPD00001]\nsre_user_groups: [sre-oncall]",
			`collectors[0].sre_user_groups[0]: "sre-oncall" is neither a user group handle such as "@sre-oncall" (with the @) nor a user group ID such as S0123ABCD`},
		{"a page size over Slack's limit", "channels: [C0UPD00001]\npage_size: 1000",
			`collectors[0].page_size: 1000 must be between 1 and 999`},
		{"an overlap longer than the lookback", "channels: [C0UPD00001]\nlookback: 10d\noverlap: 11d",
			`collectors[0].overlap: 11d must be between 0 and lookback (10d)`},
		{"a zero history rate", "channels: [C0UPD00001]\nhistory_requests_per_minute: -1",
			`collectors[0].history_requests_per_minute: -1 must be between 1 and 1000`},
		{"an unknown key", "channels: [C0UPD00001]\nchanels: [x]",
			`chanels`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			_, err := buildCollector(dir, "http://127.0.0.1:1/api/", tc.settings, nil, time.Now, nil)
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), filepath.Join(dir, "config.yml")+":") {
				t.Errorf("error\n  %v\nwant it to name the file and say\n  %s", err, tc.want)
			}
		})
	}
}

func TestATokenAndAnExportTogetherAreRefused(t *testing.T) {
	dir := t.TempDir()
	_, err := buildCollector(dir, "http://127.0.0.1:1/api/", "export: x.zip\nchannels: [C0UPD00001]", nil, time.Now, nil)
	if err == nil || !strings.Contains(err.Error(), "collectors[0].export: set either export or token/token_file, not both") {
		t.Errorf("error %v", err)
	}
}

func TestNoTokenAndNoExportIsRefused(t *testing.T) {
	dir := t.TempDir()
	_, err := buildCollector(dir, "", "channels: [C0UPD00001]", nil, time.Now, nil)
	if err == nil || !strings.Contains(err.Error(), "collectors[0].token: required (a bot token, xoxb-...), or set export to read a workspace export") {
		t.Errorf("error %v", err)
	}
}

func TestSlackTimestampsRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		ts   string
		want time.Time
		bad  bool
	}{
		{ts: "1795176000.000100", want: time.Unix(1795176000, 100_000).UTC()},
		{ts: "1795176000", want: time.Unix(1795176000, 0).UTC()},
		{ts: "1795176000.5", want: time.Unix(1795176000, 500_000_000).UTC()},
		{ts: "", bad: true},
		{ts: "-5.000001", bad: true},
		{ts: "17951760x0.000100", bad: true},
		{ts: "1795176000.0001000000", bad: true},
	} {
		got, err := parseTS(tc.ts)
		if tc.bad {
			if err == nil {
				t.Errorf("parseTS(%q) = %v, want an error", tc.ts, got)
			}
			continue
		}
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("parseTS(%q) = %v, %v; want %v", tc.ts, got, err, tc.want)
		}
		if keyTS(tsKey(tc.ts)) != tc.ts && strings.Contains(tc.ts, ".") {
			t.Errorf("keyTS(tsKey(%q)) = %q", tc.ts, keyTS(tsKey(tc.ts)))
		}
	}
}

func TestChannelNamesMayUseAnyLanguage(t *testing.T) {
	if _, err := buildCollector(t.TempDir(), "http://127.0.0.1:1/api/", "channels: [\"#サポート\", \"#équipe-sre\", \"#sre_2\"]", nil, time.Now, nil); err != nil {
		t.Error(err)
	}
}
