package demo

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/catalog"
	"github.com/sre-value/sre-value-exporter/internal/config"
)

// cell is one team or service value of the demo data, with the catalog
// source of the collector that reads it.
type cell struct{ source, value string }

// demoCells reads every team and service cell of the generated files:
// incidents.csv through the incidentsheet collector (source sheet), the wiki
// exports' space keys through the confluence collector (source confluence,
// mapped to teams), the other tables through the records collector (source
// csv).
func demoCells(t *testing.T, dir string) (teams, services []cell) {
	t.Helper()
	for _, name := range Files {
		if !strings.HasSuffix(name, ".csv") {
			continue
		}
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		records, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		source := "csv"
		teamCol, serviceCol := slices.Index(records[0], "team"), slices.Index(records[0], "service")
		switch {
		case name == "incidents.csv":
			source = "sheet"
		case strings.HasPrefix(name, "wiki_"):
			source, teamCol = "confluence", slices.Index(records[0], "space")
		}
		for _, rec := range records[1:] {
			if teamCol >= 0 && rec[teamCol] != "" {
				teams = append(teams, cell{source, rec[teamCol]})
			}
			if serviceCol >= 0 && rec[serviceCol] != "" {
				services = append(services, cell{source, rec[serviceCol]})
			}
		}
	}
	return append(teams, slackCells(t, dir)...), services
}

// slackCells are the channels and user groups of the demo's Slack export,
// as the slack collector names them to the catalog (#channel, @handle).
func slackCells(t *testing.T, dir string) []cell {
	t.Helper()
	var out []cell
	for file, prefix := range map[string]string{"channels.json": "#", "groups.json": "#", "usergroups.json": "@"} {
		data, err := os.ReadFile(filepath.Join(dir, SlackExportDir, file))
		if err != nil {
			t.Fatal(err)
		}
		var entries []struct {
			Name   string `json:"name"`
			Handle string `json:"handle"`
		}
		if err := json.Unmarshal(data, &entries); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, e := range entries {
			v := e.Name
			if prefix == "@" {
				v = e.Handle
			}
			out = append(out, cell{"slack", prefix + v})
		}
	}
	return out
}

// usedBy tells whether some cell matches alias as the catalog documents it
// ("value" from any source, "source:value" from that source only; case,
// surrounding spaces and a leading # ignored) and resolves to name.
func usedBy(cells []cell, alias, name string, resolve func(source, value string) string) bool {
	source, value := "", alias
	if s, v, ok := strings.Cut(alias, ":"); ok && slices.Contains(catalog.Sources, s) {
		source, value = s, v
	}
	norm := func(v string) string { return strings.TrimPrefix(strings.ToLower(strings.TrimSpace(v)), "#") }
	for _, c := range cells {
		if (source == "" || c.source == source) && norm(c.value) == norm(value) && resolve(c.source, c.value) == name {
			return true
		}
	}
	return false
}

func TestEveryDemoAliasIsAValueTheDemoDataUses(t *testing.T) {
	d := load(t)
	teams, services := demoCells(t, d.dir)
	aliases := 0
	for _, tm := range d.catalog.Teams {
		for _, a := range tm.Aliases {
			aliases++
			if !usedBy(teams, a, tm.Name, d.catalog.Team) {
				t.Errorf("team %s: alias %q matches no team cell of the demo data", tm.Name, a)
			}
		}
	}
	for _, s := range d.catalog.Services {
		for _, a := range s.Aliases {
			aliases++
			if !usedBy(services, a, s.Name, d.catalog.Service) {
				t.Errorf("service %s: alias %q matches no service cell of the demo data", s.Name, a)
			}
		}
	}
	if aliases == 0 {
		t.Error("the demo config has no aliases, so it does not show the catalog mapping")
	}
}

func TestEveryEndDateGivesAliasesItsDataUses(t *testing.T) {
	for _, end := range []string{"2027-03-01", "2026-08-31"} {
		t.Run(end, func(t *testing.T) {
			dir := t.TempDir()
			e, _ := timeParse(end)
			if err := Generate(dir, e); err != nil {
				t.Fatal(err)
			}
			cfg := loadConfig(t, dir)
			teams, services := demoCells(t, dir)
			for _, tm := range cfg.Teams {
				for _, a := range tm.Aliases {
					if !usedBy(teams, a, tm.Name, cfg.Team) {
						t.Errorf("team %s: alias %q is not used", tm.Name, a)
					}
				}
			}
			for _, s := range cfg.Services {
				for _, a := range s.Aliases {
					if !usedBy(services, a, s.Name, cfg.Service) {
						t.Errorf("service %s: alias %q is not used", s.Name, a)
					}
				}
			}
		})
	}
}

func timeParse(day string) (time.Time, error) { return time.Parse("2006-01-02", day) }

func loadConfig(t *testing.T, dir string) *catalog.Catalog {
	t.Helper()
	cfg, err := config.Load(filepath.Join(dir, "config.yml"))
	if err != nil {
		t.Fatalf("generated config.yml does not load: %v", err)
	}
	return &cfg.Catalog
}
