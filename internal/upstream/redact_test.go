package upstream

import "testing"

func TestRedact(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      string
		secrets []string
		want    string
	}{
		{
			name: "a token in the query is replaced and other parameters are kept",
			in:   `Get "https://api.example.com/v1/items?access_token=abc123&page=2&author=jane": EOF`,
			want: `Get "https://api.example.com/v1/items?access_token=REDACTED&page=2&author=jane": EOF`,
		},
		{
			name: "every secret-looking parameter name is replaced",
			in:   "GET https://x/y?token=1&api_key=2&apiKey=3&password=4&client_secret=5&X-Amz-Signature=6&sig=7&auth=8&key=9&monkey=10",
			want: "GET https://x/y?token=REDACTED&api_key=REDACTED&apiKey=REDACTED&password=REDACTED&client_secret=REDACTED&X-Amz-Signature=REDACTED&sig=REDACTED&auth=REDACTED&key=REDACTED&monkey=10",
		},
		{
			name: "punctuation after the URL in a message is kept",
			in:   "GET https://x/y?token=abc: dial tcp: connection refused (see https://x/z?sig=q).",
			want: "GET https://x/y?token=REDACTED: dial tcp: connection refused (see https://x/z?sig=REDACTED).",
		},
		{
			name: "userinfo in a URL is replaced whole",
			in:   "GET https://bot:hunter2@jira.example.com/rest/api/2/search: 401 Unauthorized",
			want: "GET https://REDACTED@jira.example.com/rest/api/2/search: 401 Unauthorized",
		},
		{
			name:    "a secret echoed in an error body is replaced, also URL-escaped",
			in:      `400 Bad Request: {"message":"token ghp_a/b+c is invalid"} while GET /x?q=ghp_a%2Fb%2Bc`,
			secrets: []string{"ghp_a/b+c"},
			want:    `400 Bad Request: {"message":"token REDACTED is invalid"} while GET /x?q=REDACTED`,
		},
		{
			name:    "a longer secret containing a shorter one is replaced whole",
			in:      "user:token-abcdef and token-abc",
			secrets: []string{"token-abc", "user:token-abcdef"},
			want:    "REDACTED and REDACTED",
		},
		{
			name:    "empty secrets change nothing",
			in:      "GET https://x/y?page=2: 500 Internal Server Error",
			secrets: []string{"", "  "},
			want:    "GET https://x/y?page=2: 500 Internal Server Error",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Redact(tc.in, tc.secrets...); got != tc.want {
				t.Errorf("Redact(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}
