package lint

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Formats lint can print findings in.
var Formats = []string{"text", "json", "github"}

// Write prints the report in format: "text" (file:line: template/rule:
// message (fix: ...)), "json" (the Report) or "github" (workflow commands
// that GitHub Actions shows as annotations on the pull request).
func Write(w io.Writer, format string, r *Report) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case "github":
		for _, f := range r.Findings {
			props := "file=" + escapeProperty(f.Path)
			if f.Line > 0 {
				props += fmt.Sprintf(",line=%d", f.Line)
			}
			props += ",title=" + escapeProperty(f.RuleName())
			if _, err := fmt.Fprintf(w, "::error %s::%s\n", props, escapeData(fmt.Sprintf("%s (fix: %s)", f.Message, f.Fix))); err != nil {
				return err
			}
		}
		return nil
	case "text", "":
		for _, f := range r.Findings {
			if _, err := fmt.Fprintln(w, f.String()); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("unknown output format %q: use one of %s", format, strings.Join(Formats, ", "))
}

// GitHub's workflow-command escaping: data escapes %, CR and LF; property
// values also escape ':' and ','.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
