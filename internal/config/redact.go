package config

import (
	"strings"
	"sync"
)

// Every secret value the process has resolved is remembered here, so that
// the logger and the landing page can scrub it from any text as a last line
// of defence, whatever code produced that text.
var (
	secretsMu sync.RWMutex
	secrets   = map[string]struct{}{}
)

func remember(v string) {
	// Very short values would redact ordinary words; real tokens are long.
	if len(v) < 6 {
		return
	}
	secretsMu.Lock()
	secrets[v] = struct{}{}
	secretsMu.Unlock()
}

// Redact replaces every known secret value in s with "<secret>".
func Redact(s string) string {
	secretsMu.RLock()
	defer secretsMu.RUnlock()
	for v := range secrets {
		if strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, "<secret>")
		}
	}
	return s
}
