package config

import (
	"os"
	"testing"
)

// BenchmarkParseDemo parses the demo configuration, the size of a real one.
func BenchmarkParseDemo(b *testing.B) {
	data, err := os.ReadFile("../../examples/demo/config.yml")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Parse("config.yml", data); err != nil {
			b.Fatal(err)
		}
	}
}
