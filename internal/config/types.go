package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"

	"github.com/sre-value/sre-value-exporter/internal/mask"
)

// Duration is a time.Duration written like Prometheus durations ("30s",
// "5m", "1h", "7d").
type Duration time.Duration

// UnmarshalYAML parses a Prometheus-style duration.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("expected a duration such as 30s or 5m")
	}
	v, err := model.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("cannot use %s as a duration (such as 30s, 5m, 1h)", mask.Quote(n.Value))
	}
	*d = Duration(v)
	return nil
}

// String formats the duration the way it is written in the config.
func (d Duration) String() string { return model.Duration(d).String() }

// Secret is a credential. In the config it is only ever an ${ENV_VAR}
// reference (or read from a *_file setting by ReadSecretFile); plain text is
// refused so that config files can be shared and committed. It prints as
// <secret> in every format, so logging a config leaks nothing.
type Secret struct {
	value  string
	source string // "$NAME" or the file it came from, safe to show
}

var envRef = regexp.MustCompile(`^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$`)

// UnmarshalYAML resolves an ${ENV_VAR} reference.
func (s *Secret) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("expected an ${ENV_VAR} reference")
	}
	m := envRef.FindStringSubmatch(strings.TrimSpace(n.Value))
	if m == nil {
		// Never echo the value: it may be a pasted token.
		return fmt.Errorf("secrets must be an ${ENV_VAR} reference or come from the matching *_file setting; plain text is refused")
	}
	v, err := lookupEnv(m[1])
	if err != nil {
		return err
	}
	remember(v)
	*s = Secret{value: v, source: "$" + m[1]}
	return nil
}

// NewSecret wraps a value, for tests and for secrets built in code.
func NewSecret(value, source string) Secret {
	remember(value)
	return Secret{value: value, source: source}
}

// ReadSecretFile reads a secret from path (relative to baseDir), trimming
// the trailing newline that editors add. Its errors quote the path only
// masked: a token pasted where the path belongs is the likeliest mistake.
func ReadSecretFile(baseDir, path string) (Secret, error) {
	full := path
	if !filepath.IsAbs(full) {
		full = filepath.Join(baseDir, full)
	}
	data, err := os.ReadFile(full)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return Secret{}, fmt.Errorf("cannot read secret file %s: %w", mask.Quote(path), err)
	}
	v := strings.TrimRight(string(data), "\r\n")
	if v == "" {
		return Secret{}, fmt.Errorf("secret file %s is empty", mask.Quote(path))
	}
	remember(v)
	return Secret{value: v, source: full}, nil
}

// Value returns the secret itself, for the one place that sends it upstream.
func (s Secret) Value() string { return s.value }

// IsSet reports whether the secret has a value.
func (s Secret) IsSet() bool { return s.value != "" }

// Source tells where the secret came from ($ENV_VAR or a file path).
func (s Secret) Source() string { return s.source }

// String hides the value.
func (s Secret) String() string {
	if s.value == "" {
		return ""
	}
	return "<secret>"
}

// GoString hides the value from %#v.
func (s Secret) GoString() string { return s.String() }

// MarshalYAML hides the value.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

// MarshalJSON hides the value.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + s.String() + `"`), nil }

// SecretSetting resolves a secret that may be given inline (as ${ENV}) or
// with a *_file setting, and requires exactly one of them when required.
// field is the inline setting's path, for the error message.
func SecretSetting(d Decoder, line int, field string, inline Secret, file, baseDir string, required bool) (Secret, error) {
	switch {
	case inline.IsSet() && file != "":
		return Secret{}, &Error{File: d.File, Line: line, Field: field, Msg: fmt.Sprintf("set either %s or %s_file, not both", lastPart(field), lastPart(field))}
	case file != "":
		s, err := ReadSecretFile(baseDir, file)
		if err != nil {
			return Secret{}, &Error{File: d.File, Line: line, Field: field + "_file", Msg: err.Error()}
		}
		return s, nil
	case inline.IsSet():
		return inline, nil
	case required:
		return Secret{}, &Error{File: d.File, Line: line, Field: field, Msg: fmt.Sprintf("required: set %s: ${ENV_VAR} or %s_file", lastPart(field), lastPart(field))}
	}
	return Secret{}, nil
}

func lastPart(field string) string {
	if i := strings.LastIndexByte(field, '.'); i >= 0 {
		return field[i+1:]
	}
	return field
}
