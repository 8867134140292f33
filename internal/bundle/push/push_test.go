package push

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/bundle/dashboards"
	"github.com/sre-value/sre-value-exporter/internal/bundle/push/pushtest"
	"github.com/sre-value/sre-value-exporter/internal/config"
	"github.com/sre-value/sre-value-exporter/internal/upstream"
)

const token = "glsa_pushTestToken_0123456789abcdef"

var defaults = Options{FolderTitle: "SRE value", FolderUID: "sre-value"}

// generated is the bundle's real dashboards.
func generated(t *testing.T) map[string][]byte {
	t.Helper()
	files, err := dashboards.Generate(dashboards.Input{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for name, data := range files {
		out[strings.TrimSuffix(name, ".json")] = data
	}
	if len(out) < 2 {
		t.Fatalf("only %d dashboards generated", len(out))
	}
	return out
}

func uidsOf(boards map[string][]byte) []string {
	var uids []string
	for uid := range boards {
		uids = append(uids, uid)
	}
	slices.Sort(uids)
	return uids
}

func client(t *testing.T, url, tok string) *Client {
	t.Helper()
	c, err := newClient(url, config.NewSecret(tok, "test"), nil, func(o *upstream.Options) {
		o.Sleep = func(ctx context.Context, d time.Duration) error { return ctx.Err() }
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func push(t *testing.T, g *pushtest.Grafana, boards map[string][]byte, opts Options) (Report, string) {
	t.Helper()
	rep := Push(context.Background(), client(t, g.URL, token), boards, opts)
	var out bytes.Buffer
	if err := rep.Write(&out); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), token) {
		t.Fatalf("the report shows the token:\n%s", out.String())
	}
	return rep, out.String()
}

func outcomesOf(rep Report) map[string]Outcome {
	out := map[string]Outcome{}
	for _, r := range rep.Results {
		out[r.UID] = r.Outcome
	}
	return out
}

func all(boards map[string][]byte, o Outcome) map[string]Outcome {
	out := map[string]Outcome{}
	for uid := range boards {
		out[uid] = o
	}
	return out
}

func TestTheFirstPushCreatesTheFolderAndEveryDashboardAndTheSecondWritesNothing(t *testing.T) {
	g := pushtest.New(token)
	defer g.Close()
	boards := generated(t)

	rep, out := push(t, g, boards, defaults)
	if !rep.OK() || !reflect.DeepEqual(outcomesOf(rep), all(boards, Created)) {
		t.Fatalf("first push:\n%s", out)
	}
	f, ok := g.Folder("sre-value")
	if !ok || f.Title != "SRE value" {
		t.Fatalf("folder = %+v, %v", f, ok)
	}
	if got, want := g.Writes(), 1+len(boards); got != want {
		t.Errorf("first push made %d writes, want %d (folder and each dashboard)", got, want)
	}
	for uid, data := range boards {
		b, ok := g.Board(uid)
		if !ok || b.FolderID != f.ID || b.Version != 1 {
			t.Fatalf("%s: stored %v in folder %d version %d", uid, ok, b.FolderID, b.Version)
		}
		var want map[string]any
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatal(err)
		}
		for k, v := range want {
			if !reflect.DeepEqual(b.Model[k], v) {
				t.Errorf("%s: field %s differs from the generated dashboard", uid, k)
			}
		}
		if stamp, _ := b.Model[StampField].(string); !strings.HasPrefix(stamp, "sha256:") {
			t.Errorf("%s: stamp = %q", uid, stamp)
		}
	}
	if !strings.Contains(out, `folder "SRE value" (uid sre-value) created`) {
		t.Errorf("report does not say the folder was created:\n%s", out)
	}

	writes := g.Writes()
	rep, out = push(t, g, boards, defaults)
	if !rep.OK() || !reflect.DeepEqual(outcomesOf(rep), all(boards, Unchanged)) {
		t.Fatalf("second push:\n%s", out)
	}
	if got := g.Writes() - writes; got != 0 {
		t.Errorf("second push made %d writes, want 0", got)
	}
	if !strings.HasSuffix(out, "dashboards: 0 created, 0 updated, 6 unchanged, 0 refused, 0 failed\n") && len(boards) == 6 {
		t.Errorf("summary:\n%s", out)
	}
}

func TestADashboardEditedInGrafanaIsRefusedWithoutForceAndOverwrittenWithIt(t *testing.T) {
	g := pushtest.New(token)
	defer g.Close()
	boards := generated(t)
	uid := uidsOf(boards)[0]
	push(t, g, boards, defaults)
	g.Edit(uid, func(m map[string]any) { m["title"] = "Edited by hand" })

	writes := g.Writes()
	rep, out := push(t, g, boards, defaults)
	if rep.OK() {
		t.Fatalf("push of an edited dashboard reported OK:\n%s", out)
	}
	want := all(boards, Unchanged)
	want[uid] = Refused
	if !reflect.DeepEqual(outcomesOf(rep), want) {
		t.Fatalf("outcomes:\n%s", out)
	}
	if line := "refused   " + uid + ": it was edited in Grafana since the last push (Grafana version 2); not overwritten, rerun with --force to replace it\n"; !strings.Contains(out, line) {
		t.Errorf("report lacks %q:\n%s", line, out)
	}
	if b, _ := g.Board(uid); b.Model["title"] != "Edited by hand" || g.Writes() != writes {
		t.Errorf("the edit was overwritten without --force")
	}

	force := defaults
	force.Force = true
	rep, out = push(t, g, boards, force)
	want[uid] = Updated
	if !rep.OK() || !reflect.DeepEqual(outcomesOf(rep), want) {
		t.Fatalf("forced push:\n%s", out)
	}
	if b, _ := g.Board(uid); b.Model["title"] == "Edited by hand" || b.Version != 3 {
		t.Errorf("forced push left title %v version %d", b.Model["title"], b.Version)
	}
	if g.Writes() != writes+1 {
		t.Errorf("forced push made %d writes, want 1", g.Writes()-writes)
	}

	rep, out = push(t, g, boards, defaults)
	if !rep.OK() || !reflect.DeepEqual(outcomesOf(rep), all(boards, Unchanged)) {
		t.Fatalf("push after the forced one:\n%s", out)
	}
}

func TestANewGenerationUpdatesTheDashboardsPushWroteWithoutForce(t *testing.T) {
	g := pushtest.New(token)
	defer g.Close()
	boards := generated(t)
	uid := uidsOf(boards)[0]
	push(t, g, boards, defaults)

	var m map[string]any
	if err := json.Unmarshal(boards[uid], &m); err != nil {
		t.Fatal(err)
	}
	m["description"] = "A new generation."
	changed := map[string][]byte{}
	for k, v := range boards {
		changed[k] = v
	}
	changed[uid], _ = json.Marshal(m)

	rep, out := push(t, g, changed, defaults)
	want := all(boards, Unchanged)
	want[uid] = Updated
	if !rep.OK() || !reflect.DeepEqual(outcomesOf(rep), want) {
		t.Fatalf("outcomes:\n%s", out)
	}
	if b, _ := g.Board(uid); b.Model["description"] != "A new generation." || b.Version != 2 {
		t.Errorf("stored description %v version %d", b.Model["description"], b.Version)
	}
}

func TestDashboardsPushDoesNotOwnAreNeverTouched(t *testing.T) {
	g := pushtest.New(token)
	defer g.Close()
	boards := generated(t)
	uid := uidsOf(boards)[0]
	other := map[string]any{"uid": "someone-elses", "title": "Not ours", "panels": []any{}}
	g.Put(other, "")
	// A dashboard someone made with one of our uids, before any push.
	g.Put(map[string]any{"uid": uid, "title": "Made by hand"}, "")
	before, _ := g.Board("someone-elses")

	rep, out := push(t, g, boards, defaults)
	want := all(boards, Created)
	want[uid] = Refused
	if rep.OK() || !reflect.DeepEqual(outcomesOf(rep), want) {
		t.Fatalf("outcomes:\n%s", out)
	}
	if !strings.Contains(out, uid+": it was not written by sre-value-exporter push (no stamp)") {
		t.Errorf("report does not say why %s was refused:\n%s", uid, out)
	}
	if b, _ := g.Board(uid); b.Model["title"] != "Made by hand" {
		t.Errorf("a dashboard push does not own was overwritten")
	}
	after, _ := g.Board("someone-elses")
	if !reflect.DeepEqual(before, after) {
		t.Errorf("another dashboard changed: %+v -> %+v", before, after)
	}
	for _, r := range g.Requests() {
		if strings.Contains(r, "someone-elses") {
			t.Errorf("push sent %s", r)
		}
	}
}

func TestADashboardMovedOutOfTheFolderIsMovedBack(t *testing.T) {
	g := pushtest.New(token)
	defer g.Close()
	boards := generated(t)
	uid := uidsOf(boards)[0]
	push(t, g, boards, defaults)
	g.Move(uid, "")

	rep, out := push(t, g, boards, defaults)
	want := all(boards, Unchanged)
	want[uid] = Updated
	if !rep.OK() || !reflect.DeepEqual(outcomesOf(rep), want) {
		t.Fatalf("outcomes:\n%s", out)
	}
	f, _ := g.Folder("sre-value")
	if b, _ := g.Board(uid); b.FolderID != f.ID {
		t.Errorf("still in folder %d, want %d", b.FolderID, f.ID)
	}
}

func TestADryRunReadsButWritesNothing(t *testing.T) {
	g := pushtest.New(token)
	defer g.Close()
	boards := generated(t)
	dry := defaults
	dry.DryRun = true

	rep, out := push(t, g, boards, dry)
	if !rep.OK() || !reflect.DeepEqual(outcomesOf(rep), all(boards, Created)) || g.Writes() != 0 {
		t.Fatalf("dry run on an empty Grafana (%d writes):\n%s", g.Writes(), out)
	}
	if !strings.HasPrefix(out, `dry run: folder "SRE value" (uid sre-value) would be created`+"\n") {
		t.Errorf("report:\n%s", out)
	}

	push(t, g, boards, defaults)
	uid := uidsOf(boards)[0]
	g.Edit(uid, func(m map[string]any) { m["title"] = "Edited" })
	writes := g.Writes()
	dry.Force = true
	rep, out = push(t, g, boards, dry)
	if outcomesOf(rep)[uid] != Updated || g.Writes() != writes {
		t.Fatalf("forced dry run (%d writes):\n%s", g.Writes()-writes, out)
	}
}

func TestGrafanaErrorsAreReportedPerDashboardWithoutTheToken(t *testing.T) {
	boards := generated(t)
	uids := uidsOf(boards)
	tests := []struct {
		name    string
		setup   func(g *pushtest.Grafana)
		token   string
		folder  string // the report's folder error, "" for none
		outcome map[string]Outcome
		detail  map[string]string // uid -> part of its line
	}{
		{
			name:   "a wrong token fails at the folder and touches no dashboard",
			token:  "wrong_token_abcdef",
			folder: "reading folder uid sre-value: GET " + "URL/api/folders/sre-value: 401 Unauthorized",
		},
		{
			name:    "a read-only token fails creating the folder with Grafana's 403 message",
			setup:   func(g *pushtest.Grafana) { g.ReadOnly(token) },
			token:   token,
			folder:  "creating folder \"SRE value\" (uid sre-value): POST URL/api/folders: 403 Forbidden: {\"message\":\"You'll need additional permissions",
			outcome: map[string]Outcome{},
		},
		{
			name:    "a 5xx reading one dashboard fails it after the retries and the others go on",
			setup:   func(g *pushtest.Grafana) { g.Fail("GET /api/dashboards/uid/"+uids[0], 500, "database is locked") },
			token:   token,
			outcome: map[string]Outcome{uids[0]: Failed},
			detail:  map[string]string{uids[0]: "reading: GET URL/api/dashboards/uid/" + uids[0] + ": 500 Internal Server Error: {\"message\":\"database is locked\"}"},
		},
		{
			name:    "a 5xx saving is not retried and fails that dashboard",
			setup:   func(g *pushtest.Grafana) { g.Fail("POST /api/dashboards/db", 503, "overloaded") },
			token:   token,
			outcome: all(boards, Failed),
			detail:  map[string]string{uids[0]: "writing: POST URL/api/dashboards/db: 503 Service Unavailable: {\"message\":\"overloaded\"}"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := pushtest.New(token)
			defer g.Close()
			if tt.setup != nil {
				tt.setup(g)
			}
			rep := Push(context.Background(), client(t, g.URL, tt.token), boards, defaults)
			var buf bytes.Buffer
			_ = rep.Write(&buf)
			out := strings.ReplaceAll(buf.String(), g.URL, "URL")
			if strings.Contains(out, tt.token) || strings.Contains(out, token) {
				t.Fatalf("report shows the token:\n%s", out)
			}
			if rep.OK() {
				t.Fatalf("reported OK:\n%s", out)
			}
			if tt.folder != "" {
				if rep.Err == nil || !strings.Contains(strings.ReplaceAll(rep.Err.Error(), g.URL, "URL"), tt.folder) {
					t.Fatalf("folder error = %v, want %q", rep.Err, tt.folder)
				}
				if len(rep.Results) != 0 {
					t.Errorf("dashboards were tried after the folder failed:\n%s", out)
				}
				return
			}
			for _, uid := range uids {
				want, ok := tt.outcome[uid]
				if !ok {
					want = Created
				}
				if got := outcomesOf(rep)[uid]; got != want {
					t.Errorf("%s: %s, want %s\n%s", uid, got, want, out)
				}
			}
			for uid, part := range tt.detail {
				if !strings.Contains(out, uid+": "+part) {
					t.Errorf("report lacks %q:\n%s", uid+": "+part, out)
				}
			}
		})
	}
}

func TestTheReportHasOneLinePerDashboardAndASummary(t *testing.T) {
	rep := Report{Folder: `folder "SRE value" (uid sre-value) exists`, Results: []Result{
		{UID: "a", Outcome: Created},
		{UID: "b", Outcome: Unchanged},
		{UID: "c", Outcome: Refused, Detail: "edited"},
	}}
	var out bytes.Buffer
	if err := rep.Write(&out); err != nil {
		t.Fatal(err)
	}
	want := `folder "SRE value" (uid sre-value) exists
created   a
unchanged b
refused   c: edited
3 dashboards: 1 created, 0 updated, 1 unchanged, 1 refused, 0 failed
`
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
}

func TestTheStampIgnoresIDVersionAndLayoutButNotContent(t *testing.T) {
	a, _ := decode([]byte(`{"uid":"u","title":"T","panels":[{"id":1,"gridPos":{"h":8,"w":12}}]}`))
	b, _ := decode([]byte(`{ "panels" : [ {"gridPos":{"w":12.0,"h":8}, "id":1} ], "title":"T", "uid":"u", "id":42, "version":7 }`))
	c, _ := decode([]byte(`{"uid":"u","title":"T2","panels":[{"id":1,"gridPos":{"h":8,"w":12}}]}`))
	if stampOf(a) != stampOf(b) {
		t.Errorf("same content, different stamps")
	}
	if stampOf(a) == stampOf(c) {
		t.Errorf("different titles, same stamp")
	}
}

func TestBadURLsAreRefusedWithoutEchoingCredentials(t *testing.T) {
	for _, u := range []string{"", "grafana.example.com", "ftp://grafana", "https://admin:" + token + "@"} {
		_, err := NewClient(u, config.NewSecret(token, "test"), nil)
		if err == nil {
			t.Errorf("%q accepted", u)
			continue
		}
		if strings.Contains(err.Error(), token) {
			t.Errorf("error shows the token: %v", err)
		}
	}
}

func TestDashboardsPicksTheDashboardFilesOutOfTheBundle(t *testing.T) {
	got := Dashboards(map[string][]byte{
		"dashboards/a.json":       []byte("A"),
		"dashboards/sub/b.json":   []byte("B"),
		"dashboards/README.md":    []byte("C"),
		"alerts/x.json":           []byte("D"),
		"dashboards-old/e.json":   []byte("E"),
		"dashboards/f-g_h.json":   []byte("F"),
		"docs/runbooks/Alert.md":  []byte("G"),
		"dashboards/nested/.json": []byte("H"),
	}, "dashboards")
	want := map[string][]byte{"a": []byte("A"), "f-g_h": []byte("F")}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q", got)
	}
}

// Someone saves the dashboard in Grafana between push's read and its write:
// Grafana answers 412 version-mismatch, and push reports a refusal, keeps
// their edit, and only overwrites it with --force.
func TestADashboardChangedBetweenReadAndWriteIsRefusedUnlessForced(t *testing.T) {
	boards := generated(t)
	uid := uidsOf(boards)[0]
	changed := map[string][]byte{}
	for k, v := range boards {
		changed[k] = v
	}
	var m map[string]any
	if err := json.Unmarshal(boards[uid], &m); err != nil {
		t.Fatal(err)
	}
	m["description"] = "A new generation."
	changed[uid], _ = json.Marshal(m)

	for _, force := range []bool{false, true} {
		t.Run(map[bool]string{false: "without --force", true: "with --force"}[force], func(t *testing.T) {
			g := pushtest.New(token)
			defer g.Close()
			push(t, g, boards, defaults)
			raced := false
			g.BeforeSave(func(g *pushtest.Grafana, saving string) {
				if saving == uid && !raced {
					raced = true
					g.Edit(uid, func(m map[string]any) { m["title"] = "Saved by someone else meanwhile" })
				}
			})
			opts := defaults
			opts.Force = force
			writes := g.Writes()
			rep, out := push(t, g, changed, opts)
			want := all(boards, Unchanged)
			b, _ := g.Board(uid)
			if !force {
				want[uid] = Refused
				line := "refused   " + uid + ": Grafana refused the write: it changed in Grafana between push's read and its write (version-mismatch); nothing written, rerun with --force to replace it\n"
				if rep.OK() || !reflect.DeepEqual(outcomesOf(rep), want) || !strings.Contains(out, line) {
					t.Fatalf("report lacks %q or reported OK:\n%s", line, out)
				}
				if b.Model["title"] != "Saved by someone else meanwhile" || b.Version != 2 || g.Writes() != writes {
					t.Errorf("their save was overwritten: title %v version %d", b.Model["title"], b.Version)
				}
				return
			}
			want[uid] = Updated
			line := "updated   " + uid + ": overwrote it: it changed in Grafana between push's read and its write (version-mismatch) (--force)\n"
			if !rep.OK() || !reflect.DeepEqual(outcomesOf(rep), want) || !strings.Contains(out, line) {
				t.Fatalf("report lacks %q or is not OK:\n%s", line, out)
			}
			if b.Model["description"] != "A new generation." || b.Version != 3 || g.Writes() != writes+1 {
				t.Errorf("forced push left description %v version %d after %d writes", b.Model["description"], b.Version, g.Writes()-writes)
			}
		})
	}
}

// Grafana's other 412 answers to a save are refusals too, named in words;
// one that even an overwrite gets stays a refusal under --force.
func TestGrafanasOtherPreconditionFailuresAreRefusals(t *testing.T) {
	boards := generated(t)
	uids := uidsOf(boards)
	tests := []struct {
		name, status, message string
		overwriteToo, force   bool
		outcome               Outcome
		detail                string
	}{
		{"another dashboard has the title", "name-exists", "A dashboard with the same name in the folder already exists", false, false,
			Refused, "Grafana refused the write: Grafana has another dashboard with its title in the folder or its uid (name-exists); nothing written, rerun with --force to replace it"},
		{"--force overwrites the other dashboard", "name-exists", "A dashboard with the same name in the folder already exists", false, true,
			Created, "overwrote it: Grafana has another dashboard with its title in the folder or its uid (name-exists) (--force)"},
		{"a plugin's dashboard is not replaced even with --force", "plugin-dashboard", "The dashboard belongs to plugin Foo.", true, true,
			Refused, "Grafana refused the write: it belongs to a Grafana plugin (plugin-dashboard); nothing written"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := pushtest.New(token)
			defer g.Close()
			g.Refuse(tt.status, tt.message, tt.overwriteToo)
			opts := defaults
			opts.Force = tt.force
			rep, out := push(t, g, boards, opts)
			if rep.OK() != (tt.outcome != Refused) || !reflect.DeepEqual(outcomesOf(rep), all(boards, tt.outcome)) {
				t.Fatalf("outcomes:\n%s", out)
			}
			if line := fmt.Sprintf("%-9s %s: %s\n", tt.outcome, uids[0], tt.detail); !strings.Contains(out, line) {
				t.Errorf("report lacks %q:\n%s", line, out)
			}
			if _, stored := g.Board(uids[0]); stored != (tt.outcome == Created) {
				t.Errorf("stored = %v", stored)
			}
		})
	}
}
