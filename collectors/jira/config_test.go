package jira

import (
	"strings"
	"testing"
)

func TestBadSettingsAreErrorsNamingTheField(t *testing.T) {
	const base = "\n    jql: project = OPS"
	for _, tc := range []struct {
		name, settings, want string
	}{
		{"deployment is required", base, `exporter.yml:15: collectors[0].deployment: required: "cloud" or "datacenter"`},
		{"an unknown deployment is refused", "\n    deployment: server" + base, `exporter.yml:19: collectors[0].deployment: "server" is not "cloud" or "datacenter"`},
		{"cloud needs the account email", "\n    deployment: cloud" + base, `exporter.yml:15: collectors[0].email: required with deployment "cloud" (the account the API token belongs to)`},
		{"jql is required", "\n    deployment: datacenter", `exporter.yml:15: collectors[0].jql: required (the JQL that selects incidents, such as: project = OPS AND type = Incident)`},
		{"jql must not order", "\n    deployment: datacenter\n    jql: project = OPS ORDER BY created", `exporter.yml:20: collectors[0].jql: must not contain ORDER BY: the collector orders by updated itself`},
		{"unknown keys are refused", "\n    deployment: datacenter" + base + "\n    page_sise: 10", `exporter.yml:21: collectors[0]: unknown field "page_sise" (did you mean "page_size"?)`},
		{"page size is bounded", "\n    deployment: datacenter" + base + "\n    page_size: 6000", `exporter.yml:21: collectors[0].page_size: 6000 is not between 1 and 5000`},
		{"timezone must exist", "\n    deployment: datacenter" + base + "\n    timezone: Mars/Olympus", `exporter.yml:21: collectors[0].timezone: "Mars/Olympus" is not an IANA timezone (such as Europe/Berlin)`},
		{"severity field is priority or a custom field", "\n    deployment: datacenter" + base + "\n    severity_field: Severity", `exporter.yml:21: collectors[0].severity_field: "Severity" is not priority or a custom field id such as customfield_10020`},
		{"severity map targets sev1..sev5", "\n    deployment: datacenter" + base + "\n    severity_map: {Blocker: critical}", `exporter.yml:21: collectors[0].severity_map.Blocker: "critical" is not one of sev1..sev5 or unknown`},
		{"label prefix needs labels", "\n    deployment: datacenter" + base + "\n    service_label_prefix: svc-", `exporter.yml:21: collectors[0].service_label_prefix: only used with service_field: labels`},
		{"team label prefix needs labels", "\n    deployment: datacenter" + base + "\n    team_label_prefix: team-", `exporter.yml:21: collectors[0].team_label_prefix: only used with team_field: labels`},
		{"team field is labels or a custom field", "\n    deployment: datacenter" + base + "\n    team_field: Team", `exporter.yml:21: collectors[0].team_field: "Team" is not labels or a custom field id such as customfield_10001`},
		{"team and service labels need different prefixes", "\n    deployment: datacenter" + base + "\n    service_field: labels\n    service_label_prefix: x-\n    team_field: labels\n    team_label_prefix: x-",
			`exporter.yml:24: collectors[0].team_label_prefix: must differ from service_label_prefix when both come from labels (such as team- and service-)`},
		{"one way to acknowledge", "\n    deployment: datacenter" + base + "\n    acknowledged_status: In Progress\n    acknowledged_field: customfield_1", `exporter.yml:21: collectors[0].acknowledged_status: set either acknowledged_status or acknowledged_field, not both`},
		{"action items need a source", "\n    deployment: datacenter" + base + "\n    postmortem: {action_items: {done_statuses: [Done]}}", `exporter.yml:21: collectors[0].postmortem.action_items: set issue_link_type or subtasks: true`},
		{"full resync is at least a minute", "\n    deployment: datacenter" + base + "\n    full_resync_interval: 10s", `exporter.yml:21: collectors[0].full_resync_interval: 10s is shorter than 1m`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := bareHarness(t, DataCenter)
			_, err := h.build(tc.settings)
			if err == nil || err.Error() != tc.want {
				t.Errorf("err = %v\nwant  %s", err, tc.want)
			}
		})
	}
}

func TestTheTokenIsRequiredAndNeverPlainText(t *testing.T) {
	h := bareHarness(t, DataCenter)
	yml := "\n    deployment: datacenter\n    jql: project = OPS"
	fake := h.fake.server.URL
	for _, tc := range []struct{ name, token, want string }{
		{"missing", "", `exporter.yml:15: collectors[0].token: required: set token: ${ENV_VAR} or token_file`},
		{"plain text", "\n    token: abc123", `exporter.yml:18: collectors[0].token: secrets must be an ${ENV_VAR} reference or come from the matching *_file setting; plain text is refused`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := buildRaw(h, "collectors:\n  - kind: jira\n    name: ops\n    url: "+fake+tc.token+yml)
			if err == nil || err.Error() != tc.want {
				t.Errorf("err = %v\nwant  %s", err, tc.want)
			}
		})
	}
}

func TestTheCloudEmailMayComeFromTheEnvironment(t *testing.T) {
	t.Run("a set variable is expanded and authenticates", func(t *testing.T) {
		t.Setenv("JIRA_TEST_EMAIL", "sre@example.com")
		h := newHarness(t, Cloud, strings.Replace(cloudSettings, "email: sre@example.com", "email: ${JIRA_TEST_EMAIL}", 1))
		h.fake.load("testdata/cloud_issues.json", true)
		if h.c.s.Email != "sre@example.com" {
			t.Fatalf("email = %q, want it expanded", h.c.s.Email)
		}
		h.mustSync() // the fake answers 401 unless the Basic credentials match
	})
	t.Run("an unset variable is an error, not a literal ${...} sent upstream", func(t *testing.T) {
		h := bareHarness(t, Cloud)
		_, err := h.build(strings.Replace(cloudSettings, "email: sre@example.com", "email: ${JIRA_TEST_UNSET_EMAIL}", 1))
		want := `exporter.yml:20: collectors[0].email: environment variable JIRA_TEST_UNSET_EMAIL is not set`
		if err == nil || err.Error() != want {
			t.Errorf("err = %v\nwant  %s", err, want)
		}
	})
}

func TestAPastedTokenIsNeverEchoed(t *testing.T) {
	const token = "ATATT3xFfGF0abcdefghijklmnopqrstuvwxyz12"
	h := bareHarness(t, DataCenter)
	for _, tc := range []struct{ name, settings, want string }{
		{"in token_file", "\n    deployment: datacenter\n    jql: project = OPS", `exporter.yml:18: collectors[0].token_file: cannot read secret file "ATAT…": no such file or directory`},
		{"in page_size", "\n    token: ${JIRA_TEST_TOKEN}\n    deployment: datacenter\n    jql: project = OPS\n    page_size: " + token, `exporter.yml:21: collectors[0].page_size: cannot use "ATAT…" as a whole number`},
		{"in the url", "\n    token: ${JIRA_TEST_TOKEN}\n    deployment: datacenter\n    jql: project = OPS", `exporter.yml:17: collectors[0].url: "ATAT…" is not an http(s) URL`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url, rest := h.fake.server.URL, tc.settings
			if tc.name == "in token_file" {
				rest = "\n    token_file: " + token + rest
			}
			if tc.name == "in the url" {
				url = token
			}
			_, err := buildRaw(h, "collectors:\n  - kind: jira\n    name: ops\n    url: "+url+rest)
			if err == nil || err.Error() != tc.want {
				t.Errorf("err = %v\nwant  %s", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), token[:8]) {
				t.Errorf("the error echoes the token: %s", err)
			}
		})
	}
}

func TestEveryBadSettingIsReportedAtOnce(t *testing.T) {
	h := bareHarness(t, DataCenter)
	_, err := h.build("\n    deployment: server\n    jql: project = OPS ORDER BY created\n    page_size: 6000\n    timezone: Mars/Olympus")
	want := strings.Join([]string{
		`exporter.yml:19: collectors[0].deployment: "server" is not "cloud" or "datacenter"`,
		`exporter.yml:20: collectors[0].jql: must not contain ORDER BY: the collector orders by updated itself`,
		`exporter.yml:21: collectors[0].page_size: 6000 is not between 1 and 5000`,
		`exporter.yml:22: collectors[0].timezone: "Mars/Olympus" is not an IANA timezone (such as Europe/Berlin)`,
	}, "\n")
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant  %s", err, want)
	}
}
