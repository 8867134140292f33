package upstream

import (
	"net/url"
	"regexp"
	"sort"
	"strings"
	"unicode"
)

// Redacted replaces every secret in an error message.
const Redacted = "REDACTED"

var (
	// userinfoPattern finds "scheme://user:password@" in free text.
	userinfoPattern = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.\-]*://)[^/?#@\s"'<>]+@`)
	// queryParamPattern finds "?name=value" and "&name=value" in free text;
	// a value ends where a URL would end inside a message (quotes, spaces).
	queryParamPattern = regexp.MustCompile(`([?&;])([A-Za-z0-9_.\-\[\]%]+)=([^&#\s"'<>]*)`)
)

// secretParamWords are the words that make a query parameter secret, matched
// against the words of its name ("access_token", "X-Amz-Signature", "apiKey").
var secretParamWords = map[string]bool{
	"token": true, "key": true, "apikey": true, "password": true, "passwd": true,
	"secret": true, "signature": true, "sig": true, "auth": true, "credential": true,
	"credentials": true,
}

// Redact returns s with the secrets, any URL userinfo and the values of
// query parameters whose names look secret (token, key, password, secret,
// signature, sig, auth, api_key, access_token, ...) replaced by REDACTED.
// Secrets are also found in their URL-escaped forms.
func Redact(s string, secrets ...string) string {
	s = redactValues(s, secrets)
	if strings.Contains(s, "@") {
		s = userinfoPattern.ReplaceAllString(s, "${1}"+Redacted+"@")
	}
	if strings.Contains(s, "=") {
		s = queryParamPattern.ReplaceAllStringFunc(s, func(m string) string {
			parts := queryParamPattern.FindStringSubmatch(m)
			// Punctuation after a URL in a message ("...?token=x: 401")
			// belongs to the message, not to the value.
			value := strings.TrimRight(parts[3], ":,.;)]}")
			tail := parts[3][len(value):]
			if value == "" || value == Redacted || !secretParam(parts[2]) {
				return m
			}
			return parts[1] + parts[2] + "=" + Redacted + tail
		})
	}
	return s
}

// redactValues replaces the secrets themselves, longest first so that a
// secret containing another is replaced whole.
func redactValues(s string, secrets []string) string {
	forms := make([]string, 0, 3*len(secrets))
	for _, secret := range secrets {
		if strings.TrimSpace(secret) == "" {
			continue
		}
		forms = append(forms, secret)
		if q := url.QueryEscape(secret); q != secret {
			forms = append(forms, q)
		}
		if p := url.PathEscape(secret); p != secret {
			forms = append(forms, p)
		}
	}
	sort.SliceStable(forms, func(i, j int) bool { return len(forms[i]) > len(forms[j]) })
	for _, f := range forms {
		s = strings.ReplaceAll(s, f, Redacted)
	}
	return s
}

// secretParam tells whether a query parameter name looks like it carries a
// credential. It splits the name into words on punctuation and camelCase so
// that "author" or "monkey" do not match but "authToken" and "api_key" do.
func secretParam(name string) bool {
	if unescaped, err := url.QueryUnescape(name); err == nil {
		name = unescaped
	}
	lower := strings.ToLower(name)
	if secretParamWords[strings.NewReplacer("_", "", "-", "", ".", "").Replace(lower)] {
		return true
	}
	var word strings.Builder
	flush := func() bool {
		w := word.String()
		word.Reset()
		return secretParamWords[w]
	}
	prevLower := false
	for _, r := range name {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			if flush() {
				return true
			}
			prevLower = false
			continue
		case unicode.IsUpper(r) && prevLower:
			if flush() {
				return true
			}
		}
		prevLower = unicode.IsLower(r) || unicode.IsDigit(r)
		word.WriteRune(unicode.ToLower(r))
	}
	return flush()
}
