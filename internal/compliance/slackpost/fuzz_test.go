package slackpost

import "testing"

// Any text gives a document, never a panic.
func FuzzParse(f *testing.F) {
	f.Add("*[WIN]* x <https://a|b> <@U1>\n*Wins:*\n# H")
	f.Add("**\n*:*\n#  \n<|>")
	f.Fuzz(func(t *testing.T, text string) {
		Parse(Message{Text: text})
	})
}
