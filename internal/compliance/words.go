package compliance

import (
	"regexp"
	"strings"
	"unicode"
)

// CountWords counts the words in s: runs of text that contain a letter or
// a digit, so list bullets and table rules do not count.
func CountWords(s string) int {
	n := 0
	for _, w := range strings.Fields(s) {
		if strings.IndexFunc(w, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0 {
			n++
		}
	}
	return n
}

var leadingTag = regexp.MustCompile(`^\s*\[([A-Za-z][A-Za-z0-9 _-]*)\]`)

// TagOf returns the bracketed tag a line starts with ("[WIN] Faster
// deploys" -> "WIN"), upper-cased, or "" when there is none. Mappers store
// it as the "tag" field, which rules can select on with `when`.
func TagOf(line string) string {
	m := leadingTag.FindStringSubmatch(line)
	if m == nil {
		return ""
	}
	return strings.ToUpper(strings.TrimSpace(m[1]))
}

// FinishSections computes each section's word count from the words found
// under each heading (wordsAfter[i] counts the words between heading i and
// the next heading of any level). Mappers call it once all text is seen.
func FinishSections(sections []Section, wordsAfter []int) {
	for i := range sections {
		total := wordsAfter[i]
		for j := i + 1; j < len(sections) && sections[j].Level > sections[i].Level; j++ {
			total += wordsAfter[j]
		}
		sections[i].Words = total
	}
}
