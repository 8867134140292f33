package config

import (
	"errors"

	"github.com/sre-value/sre-value-exporter/internal/compliance"
)

// TemplateSet returns the built-in format-check templates merged with the
// ones declared under `templates:`. Parse calls it to validate them, so
// mistakes there fail loading like any other, each naming file, line and
// field.
func (c *Config) TemplateSet() (*compliance.Set, error) {
	set, err := compliance.Compile(c.Templates)
	if err == nil {
		return set, nil
	}
	var errs []error
	for _, e := range unjoin(err) {
		var fe *compliance.FieldError
		if errors.As(e, &fe) {
			errs = append(errs, &Error{File: c.File, Line: fe.Line, Field: fe.Field, Msg: fe.Msg})
		} else {
			errs = append(errs, &Error{File: c.File, Field: "templates", Msg: e.Error()})
		}
	}
	return nil, Join(errs...)
}
