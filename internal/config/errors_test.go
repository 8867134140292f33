package config

import (
	"errors"
	"strings"
	"testing"
)

func TestParseReportsEveryMistakeOfAFileInOneRun(t *testing.T) {
	yml := `global:
  timeout: soon
catalog:
  teams:
    - name: payments
      members: 9.5
  services:
    - name: checkout
      team: shop
collectors:
  - {kind: records, name: A}
  - {kind: records, name: b, refresh_interval: 10ms}
colectors: []
`
	_, err := Parse("cfg.yml", []byte(yml))
	want := strings.Join([]string{
		`cfg.yml:2: global.timeout: cannot use "soon" as a duration (such as 30s, 5m, 1h)`,
		`cfg.yml:6: catalog.teams[0].members: cannot use "9.5" as a whole number`,
		`cfg.yml:8: catalog.services[0].team: team "shop" is not in catalog.teams`,
		`cfg.yml:11: collectors[0].name: "A" must be lower case letters, digits, '-' or '_'`,
		`cfg.yml:12: collectors[1].refresh_interval: must be at least 1s`,
		`cfg.yml:13: unknown field "colectors" (did you mean "collectors"?)`,
	}, "\n")
	if err == nil || err.Error() != want {
		t.Fatalf("error\n got: %v\nwant: %s", err, want)
	}
	var ce *Error
	if !errors.As(err, &ce) || ce.Line != 2 {
		t.Errorf("errors.As finds %+v, want the first *Error, at line 2", ce)
	}
}

func TestParseKeepsTheCollectorsThatPassedTheirChecks(t *testing.T) {
	cfg, err := Parse("cfg.yml", []byte("global:\n  timeout: soon\ncollectors:\n  - {kind: records, name: a}\n  - {kind: records}\n  - {kind: records, name: c}\n"))
	if err == nil {
		t.Fatal("no error")
	}
	if cfg == nil {
		t.Fatal("no partial config returned with the error")
	}
	var names []string
	for _, c := range cfg.Collectors {
		names = append(names, c.Field()+"="+c.Name)
	}
	if got := strings.Join(names, " "); got != "collectors[0]=a collectors[2]=c" {
		t.Errorf("collectors kept = %s, want collectors[0]=a collectors[2]=c", got)
	}
}

func TestJoinListsMistakesInLineOrderOnce(t *testing.T) {
	a := &Error{File: "f.yml", Line: 7, Msg: "late"}
	b := &Error{File: "f.yml", Line: 2, Msg: "early"}
	got := Join(nil, errors.Join(a, b), &Error{File: "f.yml", Line: 7, Msg: "late"})
	want := "f.yml:2: early\nf.yml:7: late"
	if got == nil || got.Error() != want {
		t.Fatalf("Join = %v, want %s", got, want)
	}
	if Join(nil, nil) != nil {
		t.Error("Join of nothing is not nil")
	}
}

func TestJoinCapsTheNumberOfMistakes(t *testing.T) {
	var errs []error
	for i := 1; i <= maxErrors+3; i++ {
		errs = append(errs, &Error{File: "f.yml", Line: i, Msg: "bad"})
	}
	lines := strings.Split(Join(errs...).Error(), "\n")
	if len(lines) != maxErrors+1 {
		t.Fatalf("%d lines, want %d", len(lines), maxErrors+1)
	}
	if got, want := lines[maxErrors], "f.yml: 3 more mistakes not shown; fix the ones above first"; got != want {
		t.Errorf("last line %q, want %q", got, want)
	}
}

// aliasBomb is a "billion laughs" file of a few KB: nine levels of ten
// aliases each expand to 10^9 strings.
func aliasBomb() string {
	var b strings.Builder
	b.WriteString("catalog:\n  teams:\n    - name: a\n      aliases: &l0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n")
	b.WriteString("x:\n")
	for i := 1; i <= 9; i++ {
		prev := "*l" + string(rune('0'+i-1))
		b.WriteString("  l" + string(rune('0'+i)) + ": &l" + string(rune('0'+i)) + " [" + strings.Repeat(prev+",", 9) + prev + "]\n")
	}
	return b.String()
}

func TestParseRefusesAnAliasBomb(t *testing.T) {
	yml := aliasBomb()
	if len(yml) > 4096 {
		t.Fatalf("the bomb is %d bytes, want a small file", len(yml))
	}
	_, err := Parse("bomb.yml", []byte(yml))
	want := `bomb.yml:10: the document expands to more than 200000 nodes once its aliases are expanded (nested aliases, as in a "billion laughs" file)`
	if err == nil || err.Error() != want {
		t.Fatalf("error\n got: %v\nwant: %s", err, want)
	}
}

func TestParseAcceptsOrdinaryAliases(t *testing.T) {
	cfg, err := Parse("cfg.yml", []byte("catalog:\n  teams:\n    - name: a\n      aliases: &al [x, y]\n    - name: b\n      aliases: [z]\ncollectors:\n  - &c {kind: records, name: one, refresh_interval: 1m}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Catalog.Teams[0].Aliases; len(got) != 2 || got[1] != "y" {
		t.Errorf("aliases = %v", got)
	}
}

func BenchmarkParseAliasBomb(b *testing.B) {
	yml := []byte(aliasBomb())
	for b.Loop() {
		if _, err := Parse("bomb.yml", yml); err == nil {
			b.Fatal("the bomb was accepted")
		}
	}
}
