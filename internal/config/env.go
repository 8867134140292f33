package config

import (
	"fmt"
	"os"
	"strings"
)

// ExpandEnv replaces every ${NAME} in a string setting with the value of the
// environment variable NAME, so that settings such as Jira's email can come
// from the environment like secrets do. $${ is a literal ${. A reference to
// a variable that is unset or empty is an error, and so is a malformed
// reference: sending "${JIRA_EMAIL}" upstream literally only fails later,
// with a 401. The value is never quoted in an error.
func ExpandEnv(s string) (string, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		if i > 0 && s[i-1] == '$' {
			b.WriteString(s[:i-1] + "${")
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		end := strings.IndexByte(s[i:], '}')
		if end < 0 || !isEnvName(s[i+2:i+end]) {
			return "", fmt.Errorf("malformed ${ENV_VAR} reference: write ${NAME} with letters, digits and '_', or $${ for a literal ${")
		}
		v, err := lookupEnv(s[i+2 : i+end])
		if err != nil {
			return "", err
		}
		b.WriteString(v)
		s = s[i+end+1:]
	}
}

// lookupEnv returns a variable's value, telling an unset variable from one
// that is set but empty: they are different mistakes in a deployment.
func lookupEnv(name string) (string, error) {
	v, ok := os.LookupEnv(name)
	switch {
	case !ok:
		return "", fmt.Errorf("environment variable %s is not set", name)
	case v == "":
		return "", fmt.Errorf("environment variable %s is set but empty", name)
	}
	return v, nil
}

func isEnvName(s string) bool {
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	for _, c := range s {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
