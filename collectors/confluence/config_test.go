package confluence

import (
	"strings"
	"testing"
)

func TestBadSettingsAreRefusedWithTheFieldAndLine(t *testing.T) {
	const live = "    url: https://example.atlassian.net\n    deployment: cloud\n    email: sre@example.com\n    token: ${CONFLUENCE_TEST_TOKEN}\n"
	tests := []struct {
		name, settings, want string
	}{
		{"no source of pages", "    spaces: [SRE]\n", "exporter.yml:8: collectors[0].url: required"},
		{"both url and pages_csv", live + "    pages_csv: p.csv\n    spaces: [SRE]\n", "collectors[0].pages_csv: set either url"},
		{"no spaces", live, "collectors[0].spaces: required"},
		{"a space key with a space", live + "    spaces: [\"SRE TEAM\"]\n", `collectors[0].spaces[0]: "SRE TEAM" is not a space key`},
		{"a space twice", live + "    spaces: [SRE, sre]\n", `collectors[0].spaces[1]: "sre" is listed twice`},
		{"an unknown type", live + "    spaces: [SRE]\n    types: [comment]\n", `collectors[0].types[0]: "comment" is not "page" or "blogpost"`},
		{"a label with upper case", live + "    spaces: [SRE]\n    labels: [Playbook]\n", `collectors[0].labels[0]: "Playbook" is not a Confluence label`},
		{"the label none", live + "    spaces: [SRE]\n    labels: [none]\n", `collectors[0].labels[0]: "none" is the label value of pages without a configured label`},
		{"only_labelled without labels", live + "    spaces: [SRE]\n    only_labelled: true\n", "collectors[0].only_labelled: needs labels"},
		{"a key page twice", live + "    spaces: [SRE]\n    key_pages: [SRE Playbook, sre playbook]\n", `collectors[0].key_pages[1]: "sre playbook" is listed twice`},
		{"a short stale_after", live + "    spaces: [SRE]\n    stale_after: 1h\n", "collectors[0].stale_after: 1h is shorter than 1d"},
		{"a tiny analytics_interval", live + "    spaces: [SRE]\n    analytics_interval: 10s\n", "collectors[0].analytics_interval: 10s is shorter than 1m"},
		{"analytics_interval on Data Center", "    url: https://wiki.example.com\n    deployment: datacenter\n    token: ${CONFLUENCE_TEST_TOKEN}\n    spaces: [SRE]\n    analytics_interval: 1h\n", "collectors[0].analytics_interval: only used with the Cloud analytics API"},
		{"an email on Data Center", "    url: https://wiki.example.com\n    deployment: datacenter\n    email: a@b.c\n    token: ${CONFLUENCE_TEST_TOKEN}\n    spaces: [SRE]\n", "collectors[0].email: not used with deployment \"datacenter\""},
		{"no deployment", "    url: https://example.atlassian.net\n    token: ${CONFLUENCE_TEST_TOKEN}\n    spaces: [SRE]\n", `collectors[0].deployment: required: "cloud" or "datacenter"`},
		{"no token", "    url: https://example.atlassian.net\n    deployment: cloud\n    email: sre@example.com\n    spaces: [SRE]\n", "collectors[0].token: required"},
		{"ORDER BY in the cql", live + "    spaces: [SRE]\n    cql: label = x order by title\n", "collectors[0].cql: must not contain ORDER BY"},
		{"a page_size too large", live + "    spaces: [SRE]\n    page_size: 5000\n", "collectors[0].page_size: 5000 is not between 1 and 1000"},
		{"a token with pages_csv", "    pages_csv: p.csv\n    token: ${CONFLUENCE_TEST_TOKEN}\n    spaces: [SRE]\n", "collectors[0].token: only used with url"},
		{"a views column that does not exist", live + "    spaces: [SRE]\n    views_csv: v.csv\n    views_columns: {visits: Visits}\n", `collectors[0].views_columns: "visits" is not a column of this table`},
		{"views_columns without views_csv", live + "    spaces: [SRE]\n    views_columns: {views: Visits}\n", "collectors[0].views_columns: only used with views_csv"},
		{"a URL with a query", "    url: https://example.atlassian.net/wiki?os_authType=basic\n    deployment: cloud\n    email: a@b.c\n    token: ${CONFLUENCE_TEST_TOKEN}\n    spaces: [SRE]\n", "collectors[0].url: \"https://example.atlassian.net/wiki\" is not an http(s) URL without a query"},
		{"an unknown key", live + "    spaces: [SRE]\n    space: [OPS]\n", `collectors[0]: unknown field "space" (did you mean "spaces"?)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newCSVHarness(t, "\n    pages_csv: pages.csv\n    spaces: [SRE]\n")
			t.Setenv("CONFLUENCE_TEST_TOKEN", "a-secret-token")
			_, err := h.build("collectors:\n  - kind: confluence\n    name: wiki\n" + tt.settings)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "a-secret-token") {
				t.Errorf("the error shows the token: %v", err)
			}
		})
	}
}

func TestCloudURLsGetTheWikiContextAdded(t *testing.T) {
	h := newCSVHarness(t, "\n    pages_csv: pages.csv\n    spaces: [SRE]\n")
	t.Setenv("CONFLUENCE_TEST_TOKEN", "a-secret-token")
	for in, want := range map[string]string{
		"https://example.atlassian.net":       "https://example.atlassian.net/wiki",
		"https://example.atlassian.net/wiki/": "https://example.atlassian.net/wiki",
	} {
		c, err := h.build("collectors:\n  - kind: confluence\n    name: wiki\n    url: " + in + "\n    deployment: cloud\n    email: a@b.c\n    token: ${CONFLUENCE_TEST_TOKEN}\n    spaces: [SRE]\n")
		if err != nil {
			t.Fatal(err)
		}
		if got := c.s.base.String(); got != want {
			t.Errorf("%s: base %s, want %s", in, got, want)
		}
	}
}

func TestAPageGetsTheFirstConfiguredLabelItCarries(t *testing.T) {
	s := &settings{Settings: Settings{Labels: []string{"playbook", "runbook"}}, labelIndex: map[string]int{"playbook": 0, "runbook": 1}}
	tests := []struct {
		name   string
		labels []string
		want   string
	}{
		{"a page with both labels gets the one configured first", []string{"runbook", "playbook"}, "playbook"},
		{"a page with one configured label among others gets it", []string{"sre", "runbook"}, "runbook"},
		{"a page with no configured label gets none", []string{"sre"}, "none"},
		{"a page without labels gets none", nil, "none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.label(tt.labels); got != tt.want {
				t.Errorf("label(%v) = %q, want %q", tt.labels, got, tt.want)
			}
		})
	}
}
