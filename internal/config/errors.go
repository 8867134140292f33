package config

import (
	"errors"
	"fmt"
	"sort"
)

// maxErrors bounds how many mistakes one load reports, so a file of garbage
// gives a readable answer rather than thousands of lines.
const maxErrors = 50

// Join combines configuration errors into one error that lists every
// mistake once, one per line, in file and line order. Nested joins are
// flattened and nil errors dropped; it returns nil when nothing is left.
// errors.As still finds each *Error in the result.
func Join(errs ...error) error {
	var flat []error
	seen := map[string]bool{}
	var add func(error)
	add = func(err error) {
		if err == nil {
			return
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				add(e)
			}
			return
		}
		// An alias decodes its anchor again, repeating the anchor's mistakes.
		if msg := err.Error(); !seen[msg] {
			seen[msg] = true
			flat = append(flat, err)
		}
	}
	for _, err := range errs {
		add(err)
	}
	if len(flat) == 0 {
		return nil
	}
	if allConfigErrors(flat) {
		sort.SliceStable(flat, func(i, j int) bool {
			var a, b *Error
			errors.As(flat[i], &a)
			errors.As(flat[j], &b)
			if a.File != b.File {
				return a.File < b.File
			}
			return a.Line < b.Line
		})
	}
	if len(flat) > maxErrors {
		more := len(flat) - maxErrors
		file := ""
		var ce *Error
		if errors.As(flat[0], &ce) {
			file = ce.File
		}
		flat = append(flat[:maxErrors], &Error{File: file, Msg: fmt.Sprintf("%d more mistakes not shown; fix the ones above first", more)})
	}
	if len(flat) == 1 {
		return flat[0]
	}
	return errors.Join(flat...)
}

func allConfigErrors(errs []error) bool {
	for _, err := range errs {
		var ce *Error
		if !errors.As(err, &ce) {
			return false
		}
	}
	return true
}

// unjoin lists the errors err joins, or err alone.
func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
