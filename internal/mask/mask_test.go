package mask

import "testing"

func TestQuote(t *testing.T) {
	for _, tc := range []struct {
		name, value, want string
	}{
		{"a short value is quoted whole", "soon", `"soon"`},
		{"a value of sixteen characters is quoted whole", "sre_events_total", `"sre_events_total"`},
		{"a value of seventeen characters shows only its first four", "abcdefghijklmnopq", `"abcd…"`},
		{"a 20-character PagerDuty key shows only its first four characters", "u+abcdefghij0123456_", `"u+ab…"`},
		{"a 40-character token shows only its first four characters", "ghp_0123456789abcdefghijklmnopqrstuvwxyz", `"ghp_…"`},
		{"a long value is cut at characters, not bytes", "äöüßäöüßäöüßäöüßä", `"äöüß…"`},
		{"control characters are escaped", "a\nb", `"a\nb"`},
		{"control characters in a long value are escaped too", "\t\tsecret-value-long", `"\t\tse…"`},
		{"an empty value is quoted", "", `""`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Quote(tc.value); got != tc.want {
				t.Errorf("Quote(%q) = %s, want %s", tc.value, got, tc.want)
			}
		})
	}
}

func TestQuotePathShowsFileNamesWholeButNotTokens(t *testing.T) {
	for v, want := range map[string]string{
		"dashboardz/*.json":                        `"dashboardz/*.json"`,
		"examples/demo/incidents-2026.csv":         `"examples/demo/incidents-2026.csv"`,
		"postmortems/**":                           `"postmortems/**"`,
		"ghp_0123456789abcdefghijklmnopqrstuvwxyz": `"ghp_…"`,
		"xoxb-1234-5678-abcdefghijkl":              `"xoxb…"`,
		"short.csv":                                `"short.csv"`,
	} {
		if got := QuotePath(v); got != want {
			t.Errorf("QuotePath(%q) = %s, want %s", v, got, want)
		}
	}
}
