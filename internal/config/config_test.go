package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestParseReportsMistakesWithFileLineAndField(t *testing.T) {
	t.Setenv("SRE_TEST_TOKEN", "s3cr3t-token-value")
	tests := []struct {
		name string
		yaml string
		want string
	}{
		{
			name: "an unknown top-level key is refused and the closest known key suggested",
			yaml: "global:\n  refresh_interval: 1m\ncolectors: []\n",
			want: `cfg.yml:3: unknown field "colectors" (did you mean "collectors"?)`,
		},
		{
			name: "an unknown key inside global names its path",
			yaml: "global:\n  refresh_intervl: 1m\n",
			want: `cfg.yml:2: global: unknown field "refresh_intervl" (did you mean "refresh_interval"?)`,
		},
		{
			name: "a duration of the wrong type names the field",
			yaml: "global:\n  timeout: soon\n",
			want: `cfg.yml:2: global.timeout: cannot use "soon" as a duration (such as 30s, 5m, 1h)`,
		},
		{
			name: "a number where a list is expected names the field",
			yaml: "catalog:\n  teams: 3\n",
			want: `cfg.yml:2: catalog.teams: expected a list, got "3"`,
		},
		{
			name: "a team headcount that is not a number names the field",
			yaml: "catalog:\n  teams:\n    - name: payments\n      members: many\n",
			want: `cfg.yml:4: catalog.teams[0].members: cannot use "many" as a whole number`,
		},
		{
			name: "a collector without a kind is refused",
			yaml: "collectors:\n  - name: a\n",
			want: `cfg.yml:2: collectors[0].kind: required`,
		},
		{
			name: "two collectors with one name are refused",
			yaml: "collectors:\n  - {kind: records, name: a}\n  - {kind: records, name: a}\n",
			want: `cfg.yml:3: collectors[1].name: "a" is already used by collectors[0]`,
		},
		{
			name: "a timeout longer than the interval is refused",
			yaml: "collectors:\n  - {kind: records, name: a, refresh_interval: 1m, timeout: 2m}\n",
			want: `cfg.yml:2: collectors[0].timeout: 2m is longer than refresh_interval 1m`,
		},
		{
			name: "a service owned by a team that is not in the catalog is refused",
			yaml: "catalog:\n  teams:\n    - name: payments\n  services:\n    - name: checkout\n      team: shop\n",
			want: `cfg.yml:5: catalog.services[0].team: team "shop" is not in catalog.teams`,
		},
		{
			name: "an alias used by two teams is refused",
			yaml: "catalog:\n  teams:\n    - {name: payments, aliases: [pay]}\n    - {name: billing, aliases: [PAY]}\n",
			want: `cfg.yml:4: catalog.teams[1].aliases[0]: alias "PAY" already belongs to team "payments"`,
		},
		{
			name: "a key given twice is refused",
			yaml: "global:\n  timeout: 1m\n  timeout: 2m\n",
			want: `cfg.yml:3: global.timeout: set more than once`,
		},
		{
			name: "a fraction where a whole number is expected is refused, not cut to 9",
			yaml: "catalog:\n  teams:\n    - name: payments\n      members: 9.5\n",
			want: `cfg.yml:4: catalog.teams[0].members: cannot use "9.5" as a whole number`,
		},
		{
			name: "a whole number written as a float with an exponent is refused",
			yaml: "catalog:\n  teams:\n    - name: payments\n      members: 1e3\n",
			want: `cfg.yml:4: catalog.teams[0].members: cannot use "1e3" as a whole number`,
		},
		{
			name: "a tab in the indentation names the line it is on",
			yaml: "global:\n  timeout: 1m\n\trefresh_interval: 1m\n",
			want: `cfg.yml:3: tab character in the indentation; indent YAML with spaces only`,
		},
		{
			name: "a tab indenting the first key of a mapping names its line",
			yaml: "global:\n\ttimeout: 1m\n",
			want: `cfg.yml:2: tab character in the indentation; indent YAML with spaces only`,
		},
		{
			name: "a character that cannot start a value is not blamed on a tab elsewhere",
			yaml: "global:\n  timeout: @1m\nnote: |\n  \ttext in a block may start with a tab\n",
			want: `cfg.yml:2: found character that cannot start any token`,
		},
		{
			name: "an alias inside the node it refers to is refused",
			yaml: "catalog:\n  teams: &t\n    - name: a\n      aliases: *t\n",
			want: `cfg.yml:4: alias *t refers to a node that contains it`,
		},
		{
			name: "broken YAML names the line",
			yaml: "global: [\n",
			want: `cfg.yml:1: did not find expected node content`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("cfg.yml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("error\n got: %s\nwant: %s", err, tt.want)
			}
		})
	}
}

func TestParseAppliesDefaultsFromGlobal(t *testing.T) {
	cfg, err := Parse("cfg.yml", []byte("global:\n  refresh_interval: 10m\ncollectors:\n  - {kind: records, name: a}\n  - {kind: records, name: b, refresh_interval: 1m, timeout: 30s}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := time.Duration(cfg.Collectors[0].RefreshInterval); got != 10*time.Minute {
		t.Errorf("inherited interval = %s, want 10m", got)
	}
	if got := time.Duration(cfg.Collectors[0].Timeout); got != DefaultTimeout {
		t.Errorf("default timeout = %s, want %s", got, DefaultTimeout)
	}
	if got := time.Duration(cfg.Collectors[1].Timeout); got != 30*time.Second {
		t.Errorf("own timeout = %s, want 30s", got)
	}
	cfg, err = Parse("cfg.yml", []byte("collectors:\n  - {kind: records, name: a, refresh_interval: 1m}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := time.Duration(cfg.Collectors[0].Timeout); got != time.Minute {
		t.Errorf("inherited timeout with a 1m interval = %s, want it capped at 1m", got)
	}
}

type secretSettings struct {
	Token     Secret            `yaml:"token"`
	TokenFile string            `yaml:"token_file"`
	URL       string            `yaml:"url"`
	PageSize  int               `yaml:"page_size"`
	Labels    []string          `yaml:"labels"`
	Timeout   Duration          `yaml:"timeout"`
	ByKey     map[string]string `yaml:"labels_by_key"`
}

func decodeSecret(t *testing.T, yml string) (Secret, error) {
	t.Helper()
	cfg, err := Parse("cfg.yml", []byte(yml))
	if err != nil {
		return Secret{}, err
	}
	cc := cfg.Collectors[0]
	var s secretSettings
	if err := cfg.Decoder().Decode(&cc.Settings, cc.Field(), &s); err != nil {
		return Secret{}, err
	}
	return SecretSetting(cfg.Decoder(), cc.Line, cc.Field()+".token", s.Token, s.TokenFile, cfg.Dir, true)
}

func TestSecretsComeOnlyFromEnvironmentOrFiles(t *testing.T) {
	const token = "ghp_examplesecretvalue123"
	t.Setenv("SRE_TEST_TOKEN", token)
	dir := t.TempDir()
	file := filepath.Join(dir, "token")
	if err := os.WriteFile(file, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	t.Run("an environment reference resolves", func(t *testing.T) {
		s, err := decodeSecret(t, "collectors:\n  - kind: x\n    name: a\n    token: ${SRE_TEST_TOKEN}\n")
		if err != nil || s.Value() != token {
			t.Fatalf("got %q, %v", s.Value(), err)
		}
	})
	t.Run("a file resolves without its trailing newline", func(t *testing.T) {
		s, err := decodeSecret(t, "collectors:\n  - kind: x\n    name: a\n    token_file: "+file+"\n")
		if err != nil || s.Value() != token {
			t.Fatalf("got %q, %v", s.Value(), err)
		}
	})
	t.Run("plain text is refused without echoing it", func(t *testing.T) {
		_, err := decodeSecret(t, "collectors:\n  - kind: x\n    name: a\n    token: ghp_pasted_token_123\n")
		want := "cfg.yml:4: collectors[0].token: secrets must be an ${ENV_VAR} reference or come from the matching *_file setting; plain text is refused"
		if err == nil || err.Error() != want {
			t.Fatalf("error\n got: %v\nwant: %s", err, want)
		}
		if strings.Contains(err.Error(), "ghp_pasted_token_123") {
			t.Error("the error echoes the pasted secret")
		}
	})
	t.Run("an unset environment variable is named", func(t *testing.T) {
		_, err := decodeSecret(t, "collectors:\n  - kind: x\n    name: a\n    token: ${SRE_TEST_UNSET}\n")
		want := "cfg.yml:4: collectors[0].token: environment variable SRE_TEST_UNSET is not set"
		if err == nil || err.Error() != want {
			t.Fatalf("error\n got: %v\nwant: %s", err, want)
		}
	})
	t.Run("an environment variable that is set but empty is told apart from an unset one", func(t *testing.T) {
		t.Setenv("SRE_TEST_EMPTY", "")
		_, err := decodeSecret(t, "collectors:\n  - kind: x\n    name: a\n    token: ${SRE_TEST_EMPTY}\n")
		want := "cfg.yml:4: collectors[0].token: environment variable SRE_TEST_EMPTY is set but empty"
		if err == nil || err.Error() != want {
			t.Fatalf("error\n got: %v\nwant: %s", err, want)
		}
	})
	t.Run("a missing secret file is named", func(t *testing.T) {
		_, err := decodeSecret(t, "collectors:\n  - kind: x\n    name: a\n    token_file: /nonexistent/token\n")
		want := `cfg.yml:2: collectors[0].token_file: cannot read secret file "/non…": no such file or directory`
		if err == nil || err.Error() != want {
			t.Fatalf("error\n got: %v\nwant: %s", err, want)
		}
	})
	t.Run("both forms at once are refused", func(t *testing.T) {
		_, err := decodeSecret(t, "collectors:\n  - kind: x\n    name: a\n    token: ${SRE_TEST_TOKEN}\n    token_file: "+file+"\n")
		want := "cfg.yml:2: collectors[0].token: set either token or token_file, not both"
		if err == nil || err.Error() != want {
			t.Fatalf("error\n got: %v\nwant: %s", err, want)
		}
	})
	t.Run("a missing required secret says how to set it", func(t *testing.T) {
		_, err := decodeSecret(t, "collectors:\n  - kind: x\n    name: a\n    url: https://x\n")
		want := "cfg.yml:2: collectors[0].token: required: set token: ${ENV_VAR} or token_file"
		if err == nil || err.Error() != want {
			t.Fatalf("error\n got: %v\nwant: %s", err, want)
		}
	})
	t.Run("an unknown collector setting is refused with its line", func(t *testing.T) {
		_, err := decodeSecret(t, "collectors:\n  - kind: x\n    name: a\n    tokn: ${SRE_TEST_TOKEN}\n")
		want := `cfg.yml:4: collectors[0]: unknown field "tokn" (did you mean "token"?)`
		if err == nil || err.Error() != want {
			t.Fatalf("error\n got: %v\nwant: %s", err, want)
		}
	})
	t.Run("a secret prints as <secret> and is redacted from any text", func(t *testing.T) {
		s := NewSecret(token, "test")
		for _, got := range []string{s.String(), s.GoString()} {
			if got != "<secret>" {
				t.Errorf("printed as %q", got)
			}
		}
		if got := Redact("401 for token " + token); got != "401 for token <secret>" {
			t.Errorf("Redact = %q", got)
		}
	})
}

func TestErrorsNeverEchoAPastedToken(t *testing.T) {
	const token = "ghp_0123456789abcdefghijklmnopqrstuvwxyz" // 40 characters
	tests := []struct {
		name, settings, want string
	}{
		{
			name:     "a token pasted into token_file",
			settings: "token_file: " + token,
			want:     `cfg.yml:2: collectors[0].token_file: cannot read secret file "ghp_…": no such file or directory`,
		},
		{
			name:     "a token pasted into a whole-number setting",
			settings: "token: ${SRE_TEST_TOKEN}\n    page_size: " + token,
			want:     `cfg.yml:5: collectors[0].page_size: cannot use "ghp_…" as a whole number`,
		},
		{
			name:     "a token pasted where a list belongs",
			settings: "token: ${SRE_TEST_TOKEN}\n    labels: " + token,
			want:     `cfg.yml:5: collectors[0].labels: expected a list, got "ghp_…"`,
		},
		{
			name:     "a token pasted into a duration",
			settings: "token: ${SRE_TEST_TOKEN}\n    timeout: " + token,
			want:     `cfg.yml:5: collectors[0].timeout: cannot use "ghp_…" as a duration (such as 30s, 5m, 1h)`,
		},
		{
			name:     "a token pasted as a map key names the field with the key masked",
			settings: "token: ${SRE_TEST_TOKEN}\n    labels_by_key: {" + token + ": [a]}",
			want:     `cfg.yml:5: collectors[0].labels_by_key."ghp_…": expected a string, got a list`,
		},
		{
			name:     "a token pasted as a key",
			settings: "token: ${SRE_TEST_TOKEN}\n    " + token + ": x",
			want:     `cfg.yml:5: collectors[0]: unknown field "ghp_…"`,
		},
	}
	t.Setenv("SRE_TEST_TOKEN", "s3cr3t-token-value")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeSecret(t, "collectors:\n  - kind: x\n    name: a\n    "+tt.settings+"\n")
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error\n got: %v\nwant: %s", err, tt.want)
			}
			if strings.Contains(err.Error(), token[:8]) {
				t.Errorf("the error quotes more than a short prefix of the token: %s", err)
			}
		})
	}
}

type stringSettings struct {
	Email   string            `yaml:"email"`
	JQL     string            `yaml:"jql"`
	Columns map[string]string `yaml:"columns"`
	Labels  []string          `yaml:"labels"`
}

func TestStringSettingsExpandEnvironmentReferences(t *testing.T) {
	t.Setenv("SRE_TEST_EMAIL", "sre@example.com")
	t.Setenv("SRE_TEST_PROJECT", "OPS")
	t.Setenv("SRE_TEST_EMPTY", "")
	decode := func(t *testing.T, settings string) (stringSettings, error) {
		t.Helper()
		cfg, err := Parse("cfg.yml", []byte("collectors:\n  - kind: x\n    name: a\n    "+settings+"\n"))
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		var s stringSettings
		cc := cfg.Collectors[0]
		return s, cfg.Decoder().Decode(&cc.Settings, cc.Field(), &s)
	}
	t.Run("a whole value and a reference inside text both expand", func(t *testing.T) {
		s, err := decode(t, "email: ${SRE_TEST_EMAIL}\n    jql: project = ${SRE_TEST_PROJECT} AND type = Incident")
		if err != nil {
			t.Fatal(err)
		}
		if s.Email != "sre@example.com" || s.JQL != "project = OPS AND type = Incident" {
			t.Errorf("got email %q, jql %q", s.Email, s.JQL)
		}
	})
	t.Run("values in maps and lists expand but keys do not", func(t *testing.T) {
		s, err := decode(t, "columns: {'${SRE_TEST_PROJECT}': '${SRE_TEST_PROJECT}'}\n    labels: ['${SRE_TEST_PROJECT}']")
		if err != nil {
			t.Fatal(err)
		}
		if s.Columns["${SRE_TEST_PROJECT}"] != "OPS" || s.Labels[0] != "OPS" {
			t.Errorf("got columns %v, labels %v", s.Columns, s.Labels)
		}
	})
	t.Run("$${ is a literal ${", func(t *testing.T) {
		s, err := decode(t, "jql: summary ~ '$${x}'")
		if err != nil {
			t.Fatal(err)
		}
		if s.JQL != "summary ~ '${x}'" {
			t.Errorf("jql = %q", s.JQL)
		}
	})
	for _, tc := range []struct{ name, settings, want string }{
		{"an unset variable is named", "email: ${SRE_TEST_UNSET}", "cfg.yml:4: collectors[0].email: environment variable SRE_TEST_UNSET is not set"},
		{"an empty variable is told apart from an unset one", "email: ${SRE_TEST_EMPTY}", "cfg.yml:4: collectors[0].email: environment variable SRE_TEST_EMPTY is set but empty"},
		{"an unterminated reference is refused", "email: ${SRE_TEST_EMAIL", "cfg.yml:4: collectors[0].email: malformed ${ENV_VAR} reference: write ${NAME} with letters, digits and '_', or $${ for a literal ${"},
		{"a reference with a bad name is refused", "email: ${1X}", "cfg.yml:4: collectors[0].email: malformed ${ENV_VAR} reference: write ${NAME} with letters, digits and '_', or $${ for a literal ${"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decode(t, tc.settings)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("error\n got: %v\nwant: %s", err, tc.want)
			}
		})
	}
}

func TestAURLWithCredentialsIsRefusedWithoutEchoingThem(t *testing.T) {
	yml := "collectors:\n  - kind: jira\n    name: ops\n    url: https://sre:pa55word@jira.example.com\n"
	cfg, err := Parse("cfg.yml", []byte(yml))
	if err != nil {
		t.Fatal(err)
	}
	var settings struct {
		URL string `yaml:"url"`
	}
	c := cfg.Collectors[0]
	err = cfg.Decoder().Decode(&c.Settings, c.Field(), &settings)
	if err == nil {
		t.Fatal("a URL with a password was accepted")
	}
	if strings.Contains(err.Error(), "pa55word") {
		t.Errorf("the error echoes the password: %v", err)
	}
	if !strings.Contains(err.Error(), "cfg.yml:4: collectors[0].url: a URL must not carry credentials") {
		t.Errorf("error = %v", err)
	}
}

func TestAURLWithACredentialInItsQueryIsRefusedWithoutEchoingIt(t *testing.T) {
	for _, tc := range []struct{ url, param string }{
		{"https://sheets.example.com/export.csv?format=csv&access_token=s3cr3tvalue", "access_token"},
		{"https://files.example.com/incidents.csv?X-Amz-Signature=s3cr3tvalue&X-Amz-Expires=600", "X-Amz-Signature"},
		{"https://gitlab.example.com/api/v4/x.csv?private_token=s3cr3tvalue", "private_token"},
	} {
		yml := "collectors:\n  - kind: incidentsheet\n    name: ops\n    source: " + tc.url + "\n"
		cfg, err := Parse("cfg.yml", []byte(yml))
		if err != nil {
			t.Fatal(err)
		}
		var settings struct {
			Source string `yaml:"source"`
		}
		c := cfg.Collectors[0]
		err = cfg.Decoder().Decode(&c.Settings, c.Field(), &settings)
		if err == nil {
			t.Fatalf("%s was accepted", tc.url)
		}
		if strings.Contains(err.Error(), "s3cr3tvalue") {
			t.Errorf("the error echoes the secret: %v", err)
		}
		if want := "cfg.yml:4: collectors[0].source: a URL must not carry a credential in its query (" + tc.param + "=...)"; !strings.Contains(err.Error(), want) {
			t.Errorf("error = %v, want %q", err, want)
		}
	}
	// Ordinary query parameters are fine.
	yml := "collectors:\n  - kind: incidentsheet\n    name: ops\n    source: https://docs.google.com/spreadsheets/d/e/2PACX-1/pub?output=csv&gid=0\n"
	cfg, err := Parse("cfg.yml", []byte(yml))
	if err != nil {
		t.Fatal(err)
	}
	var settings struct {
		Source string `yaml:"source"`
	}
	c := cfg.Collectors[0]
	if err := cfg.Decoder().Decode(&c.Settings, c.Field(), &settings); err != nil {
		t.Errorf("a published sheet URL was refused: %v", err)
	}
}

func TestLineOfFindsTheSettingInsideItsSection(t *testing.T) {
	var root yaml.Node
	src := "url: https://x\ntables:\n  - {type: training, source: a.csv}\n  - type: events\n    source: b.csv\nseverity_map:\n  urgent: critical\n"
	if err := yaml.Unmarshal([]byte(src), &root); err != nil {
		t.Fatal(err)
	}
	m := root.Content[0]
	for path, want := range map[string]int{
		"url": 1, "tables": 2, "tables[0]": 3, "tables[1]": 4, "tables[1].source": 5,
		"severity_map.urgent": 7, "missing": 0, "tables[5]": 2, "url.deeper": 1,
	} {
		if got := LineOf(m, path); got != want {
			t.Errorf("LineOf(%q) = %d, want %d", path, got, want)
		}
	}
}
