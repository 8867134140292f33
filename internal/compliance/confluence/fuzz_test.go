package confluence

import "testing"

// Any bytes give a document or an error, never a panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`<h2>A</h2><ac:link><ri:page ri:content-title="x"/></ac:link><a href="y">z</a>`))
	f.Add([]byte(`<ac:structured-macro ac:name="jira"><ac:parameter ac:name="key">`))
	f.Add([]byte("<h1>\n</h2>"))
	f.Fuzz(func(t *testing.T, src []byte) {
		_, _ = Parse(Page{Title: "x"}, src)
	})
}
