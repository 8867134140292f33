package dashboard

import "testing"

// Any bytes give a document or an error, never a panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"uid": "a", "panels": [{"type": "row", "panels": [{"datasource": {"uid": 3}}]}], "rows": [{"panels": 1}]}`))
	f.Add([]byte(`{"dashboard": [], "meta": "x"}`))
	f.Add([]byte(`[{"a":`))
	f.Fuzz(func(t *testing.T, src []byte) {
		_, _ = Parse(src, Meta{})
	})
}
