// Package slackpost maps a Slack message (mrkdwn text) into a compliance
// Document: the first line and its [TAG], lines that are only bold text
// (or start with #) as headings, links written <url|text>, and words.
package slackpost

import (
	"regexp"
	"strings"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/compliance"
)

// Message is a Slack post as the collector (or lint) has it.
type Message struct {
	Channel   string
	Permalink string
	Text      string // mrkdwn
	Posted    time.Time
	Edited    time.Time
	// Path is set when the message was read from a local file (lint).
	Path string
}

var (
	// <https://x|text>, <https://x>, <mailto:a@b|a>; not <@U1>, <#C1|x>, <!here>.
	slackLink   = regexp.MustCompile(`<((?:https?|mailto|ftp):[^|>\s]+)(?:\|([^>]*))?>`)
	otherEntity = regexp.MustCompile(`<[@#!]([^|>]*)(?:\|([^>]*))?>`)
	boldLine    = regexp.MustCompile(`^\*([^*]+?):?\*:?$`)
	hashHeading = regexp.MustCompile(`^(#{1,6})\s+(.+)$`)

	// Bold and strike markers are not text: "*[WIN]*" starts with "[WIN]",
	// and "*fast*deploys" is two words.
	dropEmphasis    = strings.NewReplacer("*", "", "~", "")
	emphasisToSpace = strings.NewReplacer("*", " ", "~", " ", "_", " ")
)

// Parse maps the message into a Document.
func Parse(m Message) *compliance.Document {
	doc := &compliance.Document{
		Kind: compliance.Slack, Source: "slack", Path: m.Path,
		URL: m.Permalink, Container: strings.TrimPrefix(m.Channel, "#"),
		Created: m.Posted, Updated: m.Posted,
	}
	if m.Path != "" {
		doc.Source = "file"
	}
	if m.Edited.After(doc.Updated) {
		doc.Updated = m.Edited
	}
	var wordsAfter []int
	for i, raw := range strings.Split(m.Text, "\n") {
		line := i + 1
		for _, l := range slackLink.FindAllStringSubmatch(raw, -1) {
			doc.Links = append(doc.Links, compliance.Link{URL: l[1], Text: l[2], Line: line})
		}
		plain := slackLink.ReplaceAllStringFunc(raw, func(s string) string {
			l := slackLink.FindStringSubmatch(s)
			if l[2] != "" {
				return l[2]
			}
			return l[1]
		})
		plain = otherEntity.ReplaceAllString(plain, "$1$2")
		plain = strings.TrimSpace(plain)
		if plain == "" {
			continue
		}
		if doc.FirstLineNo == 0 {
			doc.FirstLine = strings.TrimSpace(dropEmphasis.Replace(plain))
			doc.FirstLineNo = line
		}
		n := compliance.CountWords(emphasisToSpace.Replace(plain))
		doc.Words += n
		if title, level, ok := heading(plain); ok && line != doc.FirstLineNo {
			doc.Sections = append(doc.Sections, compliance.Section{Title: title, Level: level, Line: line})
			wordsAfter = append(wordsAfter, 0)
			continue
		}
		if len(wordsAfter) > 0 {
			wordsAfter[len(wordsAfter)-1] += n
		}
	}
	compliance.FinishSections(doc.Sections, wordsAfter)
	doc.Set("tag", doc.FirstLineNo, compliance.TagOf(doc.FirstLine))
	return doc
}

// heading recognises the lines people use as headings in Slack: a line
// that is only bold ("*Wins*", "*Wins:*") or starts with "# ".
func heading(line string) (string, int, bool) {
	if m := boldLine.FindStringSubmatch(line); m != nil {
		return strings.TrimSpace(m[1]), 2, true
	}
	if m := hashHeading.FindStringSubmatch(line); m != nil {
		return strings.TrimSpace(m[2]), len(m[1]), true
	}
	return "", 0, false
}
