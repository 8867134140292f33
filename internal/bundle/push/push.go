// Package push uploads the bundle's dashboards into a folder of an existing
// Grafana. It touches only the dashboards it generates (by uid), writes only
// what differs, and never overwrites a dashboard that was edited in Grafana
// since it was last pushed unless forced.
//
// Ownership rule: every dashboard push writes carries a stamp, the field
// StampField holding the SHA-256 of the dashboard's model without id,
// version and the stamp itself. A dashboard in Grafana whose stamp matches
// its own content was last written by push; an edit in Grafana (through the
// UI or the API) changes the content and not the stamp, or drops the stamp,
// so it no longer matches. This needs no state outside Grafana and does not
// depend on Grafana's version counter.
package push

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
)

// StampField is the top-level dashboard field holding push's stamp.
const StampField = "sreValueExporterStamp"

// Options say where the dashboards go and how.
type Options struct {
	// FolderTitle and FolderUID name the folder; it is created when Grafana
	// has no folder with that uid.
	FolderTitle, FolderUID string
	// Force overwrites dashboards edited in Grafana.
	Force bool
	// DryRun reads from Grafana and reports, but writes nothing.
	DryRun bool
}

// Outcome is what happened to one dashboard.
type Outcome string

// Outcomes, in report order of the summary.
const (
	Created   Outcome = "created"
	Updated   Outcome = "updated"
	Unchanged Outcome = "unchanged"
	Refused   Outcome = "refused"
	Failed    Outcome = "failed"
)

var outcomes = []Outcome{Created, Updated, Unchanged, Refused, Failed}

// Result is one dashboard's line of the report.
type Result struct {
	UID     string
	Title   string
	Outcome Outcome
	// Detail says why, for refused and failed dashboards, and what changed
	// otherwise; redacted.
	Detail string
}

// Report is what a push did.
type Report struct {
	DryRun bool
	// Folder says whether the folder existed or was created.
	Folder string
	// Err is a failure before any dashboard was looked at (the folder).
	Err     error
	Results []Result
}

// OK tells whether nothing was refused or failed.
func (r Report) OK() bool {
	if r.Err != nil {
		return false
	}
	for _, res := range r.Results {
		if res.Outcome == Refused || res.Outcome == Failed {
			return false
		}
	}
	return true
}

// Count is the number of dashboards with outcome o.
func (r Report) Count(o Outcome) int {
	n := 0
	for _, res := range r.Results {
		if res.Outcome == o {
			n++
		}
	}
	return n
}

// Write prints the report: the folder, one line per dashboard, a summary.
func (r Report) Write(w io.Writer) error {
	var b strings.Builder
	prefix := ""
	if r.DryRun {
		prefix = "dry run: "
	}
	if r.Folder != "" {
		fmt.Fprintf(&b, "%s%s\n", prefix, r.Folder)
	}
	if r.Err != nil {
		fmt.Fprintf(&b, "%sfailed: %s\n", prefix, r.Err)
	}
	for _, res := range r.Results {
		fmt.Fprintf(&b, "%s%-9s %s", prefix, res.Outcome, res.UID)
		if res.Detail != "" {
			fmt.Fprintf(&b, ": %s", res.Detail)
		}
		b.WriteString("\n")
	}
	parts := make([]string, len(outcomes))
	for i, o := range outcomes {
		parts[i] = fmt.Sprintf("%d %s", r.Count(o), o)
	}
	fmt.Fprintf(&b, "%s%d dashboards: %s\n", prefix, len(r.Results), strings.Join(parts, ", "))
	_, err := io.WriteString(w, b.String())
	return err
}

// validUID is what Grafana accepts as a uid; anything else is never put
// into a request path.
var validUID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,40}$`)

// Dashboards picks the dashboards out of the bundle's files (dir/uid.json)
// as uid -> JSON model.
func Dashboards(files map[string][]byte, dir string) map[string][]byte {
	out := map[string][]byte{}
	for path, data := range files {
		name, ok := strings.CutPrefix(path, dir+"/")
		if !ok || strings.Contains(name, "/") {
			continue
		}
		if uid, ok := strings.CutSuffix(name, ".json"); ok {
			out[uid] = data
		}
	}
	return out
}

// Push uploads boards (uid -> JSON model) into the folder, in uid order.
func Push(ctx context.Context, c *Client, boards map[string][]byte, opts Options) Report {
	rep := Report{DryRun: opts.DryRun}
	if !validUID.MatchString(opts.FolderUID) {
		rep.Err = fmt.Errorf("folder uid %q: Grafana uids are 1 to 40 letters, digits, - or _", opts.FolderUID)
		return rep
	}
	f, err := c.folder(ctx, opts.FolderUID)
	switch {
	case errors.Is(err, errNotFound) && opts.DryRun:
		f = folder{id: -1, uid: opts.FolderUID, title: opts.FolderTitle}
		rep.Folder = fmt.Sprintf("folder %q (uid %s) would be created", opts.FolderTitle, opts.FolderUID)
	case errors.Is(err, errNotFound):
		if f, err = c.createFolder(ctx, opts.FolderUID, opts.FolderTitle); err != nil {
			rep.Err = fmt.Errorf("creating folder %q (uid %s): %w", opts.FolderTitle, opts.FolderUID, err)
			return rep
		}
		rep.Folder = fmt.Sprintf("folder %q (uid %s) created", f.title, f.uid)
	case err != nil:
		rep.Err = fmt.Errorf("reading folder uid %s: %w", opts.FolderUID, err)
		return rep
	default:
		rep.Folder = fmt.Sprintf("folder %q (uid %s) exists", f.title, f.uid)
	}

	uids := make([]string, 0, len(boards))
	for uid := range boards {
		uids = append(uids, uid)
	}
	slices.Sort(uids)
	for _, uid := range uids {
		rep.Results = append(rep.Results, pushOne(ctx, c, uid, boards[uid], f, opts))
	}
	return rep
}

// pushOne decides and, unless dry-running, writes one dashboard.
func pushOne(ctx context.Context, c *Client, uid string, data []byte, f folder, opts Options) Result {
	res := Result{UID: uid}
	fail := func(format string, args ...any) Result {
		res.Outcome, res.Detail = Failed, fmt.Sprintf(format, args...)
		return res
	}
	if !validUID.MatchString(uid) {
		return fail("not a valid Grafana uid")
	}
	want, err := stamped(data)
	if err != nil {
		return fail("generated dashboard: %s", err)
	}
	if got, _ := want["uid"].(string); got != uid {
		return fail("generated dashboard has uid %q", got)
	}
	res.Title, _ = want["title"].(string)

	current, err := c.dashboard(ctx, uid)
	if errors.Is(err, errNotFound) {
		return write(ctx, c, res, want, f, 0, false, Created, "", opts)
	}
	if err != nil {
		return fail("reading: %s", err)
	}
	have, err := decode(current.model)
	if err != nil {
		return fail("the dashboard in Grafana: %s", err)
	}
	sameContent := canonical(have, "id", "version") == canonical(want, "id", "version")
	inFolder := current.folderID == f.id
	switch {
	case sameContent && inFolder:
		res.Outcome = Unchanged
		return res
	case sameContent:
		// Moved in Grafana but not edited: it is still ours.
		return write(ctx, c, res, want, f, current.version, false, Updated, "moved back into the folder", opts)
	}
	owned, why := ownedBy(have)
	switch {
	case owned:
		return write(ctx, c, res, want, f, current.version, false, Updated, "", opts)
	case opts.Force:
		return write(ctx, c, res, want, f, current.version, true, Updated, "overwrote "+why+" (--force)", opts)
	}
	res.Outcome = Refused
	res.Detail = fmt.Sprintf("%s (Grafana version %d); not overwritten, rerun with --force to replace it", why, current.version)
	return res
}

// write saves want. Without overwrite, version must be Grafana's current
// one, so Grafana itself refuses (412) if someone saved in between: that
// is a refusal like an edit seen before the write, and only --force
// overwrites it, with a second save.
func write(ctx context.Context, c *Client, res Result, want map[string]any, f folder, version int, overwrite bool, outcome Outcome, detail string, opts Options) Result {
	res.Outcome, res.Detail = outcome, detail
	if opts.DryRun {
		return res
	}
	delete(want, "id")
	if version > 0 {
		want["version"] = version
	} else {
		delete(want, "version")
	}
	model, err := json.Marshal(want)
	if err != nil {
		res.Outcome, res.Detail = Failed, fmt.Sprintf("encoding: %s", err)
		return res
	}
	err = c.save(ctx, model, f.id, overwrite)
	if status(err) == http.StatusPreconditionFailed && !overwrite && opts.Force {
		why := refusedBecause(err)
		if err = c.save(ctx, model, f.id, true); err == nil {
			res.Detail = "overwrote it: " + why + " (--force)"
			return res
		}
	}
	switch {
	case err == nil:
	case status(err) == http.StatusPreconditionFailed:
		res.Outcome = Refused
		res.Detail = fmt.Sprintf("Grafana refused the write: %s; nothing written", refusedBecause(err))
		if !opts.Force {
			res.Detail += ", rerun with --force to replace it"
		}
	default:
		res.Outcome = Failed
		res.Detail = fmt.Sprintf("writing: %s", err)
	}
	return res
}

// grafanaStatus finds the "status" of Grafana's 412 answer in the error,
// which carries the response body.
var grafanaStatus = regexp.MustCompile(`"status"\s*:\s*"([a-z-]+)"`)

// refusedBecause says in words why Grafana answered 412 Precondition
// Failed to a save (its status field: version-mismatch, name-exists or
// plugin-dashboard).
func refusedBecause(err error) string {
	st := ""
	if m := grafanaStatus.FindStringSubmatch(err.Error()); m != nil {
		st = m[1]
	}
	switch st {
	case "version-mismatch":
		return "it changed in Grafana between push's read and its write (version-mismatch)"
	case "name-exists":
		return "Grafana has another dashboard with its title in the folder or its uid (name-exists)"
	case "plugin-dashboard":
		return "it belongs to a Grafana plugin (plugin-dashboard)"
	case "":
		return "412 Precondition Failed"
	}
	return "412 Precondition Failed (" + st + ")"
}

// ownedBy tells whether the dashboard in Grafana was last written by push
// and, when not, why.
func ownedBy(have map[string]any) (bool, string) {
	stamp, ok := have[StampField].(string)
	if !ok {
		return false, "it was not written by sre-value-exporter push (no stamp): created or edited in Grafana"
	}
	if stamp != stampOf(have) {
		return false, "it was edited in Grafana since the last push"
	}
	return true, ""
}

// stamped decodes a generated dashboard and adds its stamp.
func stamped(data []byte) (map[string]any, error) {
	m, err := decode(data)
	if err != nil {
		return nil, err
	}
	m[StampField] = stampOf(m)
	return m, nil
}

// stampOf is the hash of the model without id, version and the stamp.
func stampOf(m map[string]any) string {
	sum := sha256.Sum256([]byte(canonical(m, "id", "version", StampField)))
	return "sha256:" + hex.EncodeToString(sum[:])
}

func decode(data []byte) (map[string]any, error) {
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	if m == nil {
		return nil, errors.New("not a JSON object: null")
	}
	return m, nil
}

// canonical is m without the given top-level keys, as JSON with sorted
// keys and numbers as float64 prints them, so the same model gives the same
// text however Grafana spaced or ordered it.
func canonical(m map[string]any, without ...string) string {
	c := make(map[string]any, len(m))
	for k, v := range m {
		if !slices.Contains(without, k) {
			c[k] = v
		}
	}
	b, err := json.Marshal(c)
	if err != nil {
		// Decoded JSON always encodes again.
		panic(fmt.Sprintf("push: re-encoding a decoded dashboard: %v", err))
	}
	return string(b)
}
