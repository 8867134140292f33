package markdown

import "testing"

// Any bytes give a document or an error, never a panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte("---\ntitle: x\ntags: [a]\n---\n# A\n[l](u) https://x\n"))
	f.Add([]byte("---\n---"))
	f.Add([]byte("---\r\n- a\r\n...\r\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		_, _ = Parse("a.md", src)
	})
}
