// Package mask quotes user-supplied values for error messages without
// echoing them: a token pasted into the wrong setting must not reach the
// terminal, the logs or the reload response through a "cannot use ..." error.
package mask

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

const (
	// shortest is the length up to which a value is quoted whole: durations,
	// names, time zones and short URLs. API tokens are longer (PagerDuty's
	// 20 characters, Jira's 24 and more, GitHub's 40).
	shortest = 16
	// prefix is how much of a longer value is shown, enough to recognise it.
	prefix = 4
)

// Quote returns v quoted as in %q when it is short, and otherwise only its
// first few characters followed by "…", so no error quotes more than 16
// characters of any value.
func Quote(v string) string {
	if utf8.RuneCountInString(v) <= shortest {
		return strconv.Quote(v)
	}
	n, end := 0, 0
	for end < len(v) && n < prefix {
		_, size := utf8.DecodeRuneInString(v[end:])
		end += size
		n++
	}
	q := strconv.Quote(v[:end])
	return q[:len(q)-1] + "…\""
}

// pathLike is a value ending in a file extension or holding a glob's star:
// a file name, which is no secret and useless cut short.
var pathLike = regexp.MustCompile(`(\.[A-Za-z][A-Za-z0-9]{0,5}|\*|/)$|\*`)

// QuotePath quotes a file path or glob whole when it looks like one (an
// extension or a star), and otherwise as Quote does, in case a secret was
// pasted into a path setting.
func QuotePath(v string) string {
	if pathLike.MatchString(v) && !strings.ContainsAny(v, " \t\n") {
		return strconv.Quote(v)
	}
	return Quote(v)
}
