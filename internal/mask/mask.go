// Package mask quotes user-supplied values for error messages without
// echoing them: a token pasted into the wrong setting must not reach the
// terminal, the logs or the reload response through a "cannot use ..." error.
package mask

import (
	"strconv"
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
