package rulefile

import "testing"

// Any bytes give a document or problems, never a panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte("groups:\n  - name: a\n    rules:\n      - alert: A\n        expr: up\n        labels: {severity: x}\n"))
	f.Add([]byte("groups: 3\n"))
	f.Add([]byte("groups:\n  - rules: [1, {alert: [x]}]\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		_, _ = Parse("r.yml", src)
	})
}
