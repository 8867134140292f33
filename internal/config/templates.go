package config

import (
	"errors"

	"github.com/sre-value/sre-value-exporter/internal/compliance"
)

// TemplateSet returns the built-in format-check templates merged with the
// ones declared under `templates:`. Parse calls it to validate them, so a
// mistake there fails loading like any other, naming file, line and field.
func (c *Config) TemplateSet() (*compliance.Set, error) {
	set, err := compliance.Compile(c.Templates)
	var fe *compliance.FieldError
	switch {
	case errors.As(err, &fe):
		return nil, &Error{File: c.File, Line: fe.Line, Field: fe.Field, Msg: fe.Msg}
	case err != nil:
		return nil, &Error{File: c.File, Field: "templates", Msg: err.Error()}
	}
	return set, nil
}
