package records

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/catalog"
	"github.com/sre-value/sre-value-exporter/internal/metrics"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
	"github.com/sre-value/sre-value-exporter/internal/store"
	"github.com/sre-value/sre-value-exporter/internal/tabular"
	"github.com/sre-value/sre-value-exporter/internal/tally"
)

// schema is what one table type knows: its columns, how a row is
// validated and stored, what it adds to the counters, and how its stored
// rows become metrics.
type schema interface {
	columns() []tabular.Column
	// parse validates a row and returns what is stored and the cells that
	// identify the row (its id survives edits of the other cells, so a
	// corrected count adds only the difference to a counter).
	parse(r tabular.Record) (row any, identity []string, err error)
	// count adds a stored row to the counters; called on every changed
	// sync, the tallies count each row id once.
	count(c *tallies, id string, row any)
	counters() []*metrics.Family
	// aggregateKey groups tables whose rows feed the same metrics (two
	// events tables add up), so their series are not duplicated.
	aggregateKey() string
	newAggregator(now time.Time, cat *catalog.Catalog) aggregator
}

// aggregator turns stored rows into gauges during one Snapshot.
type aggregator interface {
	add(data []byte) error
	emit(b *snapshot.Builder)
}

// builtinSchemas builds the schemas that need no settings.
var builtinSchemas = map[string]func() schema{
	"training":      func() schema { return trainingSchema{} },
	"newsletter":    func() schema { return newsletterSchema{} },
	"surveys":       func() schema { return surveysSchema{} },
	"champions":     func() schema { return championsSchema{} },
	"savings":       func() schema { return savingsSchema{} },
	"adoption":      func() schema { return adoptionSchema{} },
	"collaboration": func() schema { return collaborationSchema{} },
	"slo":           func() schema { return sloSchema{} },
}

// tallies counts rows into the counter families during a sync; schemas
// map team cells through the catalog first.
type tallies struct {
	*tally.Set
	catalog *catalog.Catalog
}

func newTallies(tx *store.Tx, cat *catalog.Catalog) *tallies {
	return &tallies{Set: tally.NewSet(tx), catalog: cat}
}

// orgWide is the team label of rows without a team (an event for everyone).
const orgWide = "all"

// noService is the service label of adoption rows about a whole team.
const noService = "none"

// teamLabel maps a team cell through the catalog; empty means org-wide.
func teamLabel(cat *catalog.Catalog, raw string) string {
	if raw == "" {
		return orgWide
	}
	return cat.Team("csv", raw)
}

func serviceLabel(cat *catalog.Catalog, raw string) string {
	if raw == "" {
		return noService
	}
	return cat.Service("csv", raw)
}

var slugPattern = regexp.MustCompile(`^[a-z0-9_]+$`)

// slug normalises a kind-like cell: lower case, spaces and dashes become
// "_", so "Lunch and Learn" and "lunch-and-learn" are one label value.
func slug(v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	v = strings.Join(strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == '-' || r == '_' || r == '\t' }), "_")
	return v
}

// slugCell reads a required slug column, refusing values that would make
// odd label values.
func slugCell(r tabular.Record, column string) (string, error) {
	v, err := r.Required(column)
	if err != nil || v == "" {
		return "", err
	}
	s := slug(v)
	if !slugPattern.MatchString(s) {
		return "", r.Errorf(column, "%s is not a valid %s: use letters, digits, spaces, '-' or '_'", tabular.Quote(v), column)
	}
	return s, nil
}

// text collapses runs of spaces, for free-text labels such as course names.
func text(v string) string { return strings.Join(strings.Fields(v), " ") }

// personKey stands for a person in the store: people are only ever counted,
// so their names are kept as a hash, not as text.
func personKey(name string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(text(name))))
	return hex.EncodeToString(sum[:8])
}

// day formats a time for identities, so a row's id does not depend on how
// its date was written.
func day(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func unix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func fromUnix(s int64) time.Time { return time.Unix(s, 0).UTC() }

// unmapped collects team and service cells the catalog does not know, so
// the landing page can say which aliases to add.
type unmapped struct {
	catalog  *catalog.Catalog
	teams    map[string]int
	services map[string]int
	// Rows with further unknown values, once maxUnmappedValues are kept:
	// a hostile sheet must not grow the notes without bound.
	moreTeams, moreServices int
}

// maxUnmappedValues bounds the distinct unknown teams (and services) noted per table.
const maxUnmappedValues = 50

// countValue counts v unless the map is full of other values.
func countValue(m map[string]int, v string, more *int) {
	if _, ok := m[v]; ok || len(m) < maxUnmappedValues {
		m[v]++
		return
	}
	*more++
}

func newUnmapped(cat *catalog.Catalog) *unmapped {
	return &unmapped{catalog: cat, teams: map[string]int{}, services: map[string]int{}}
}

func (u *unmapped) check(r tabular.Record, cols *tabular.Columns) {
	if cols.Has("team") && len(u.catalog.Teams) > 0 {
		if v := r.Text("team"); v != "" && u.catalog.Team("csv", v) == catalog.Unknown {
			countValue(u.teams, v, &u.moreTeams)
		}
	}
	if cols.Has("service") && len(u.catalog.Services) > 0 {
		if v := r.Text("service"); v != "" && u.catalog.Service("csv", v) == catalog.Unknown {
			countValue(u.services, v, &u.moreServices)
		}
	}
}

func (u *unmapped) notes(t *table) []string {
	var out []string
	for _, v := range sortedKeys(u.teams) {
		out = append(out, fmt.Sprintf("table %s: team %s is not in the catalog; %d row(s) counted as %q; add it as an alias", t.name, tabular.Quote(v), u.teams[v], catalog.Unknown))
	}
	for _, v := range sortedKeys(u.services) {
		out = append(out, fmt.Sprintf("table %s: service %s is not in the catalog; %d row(s) counted as %q; add it as an alias", t.name, tabular.Quote(v), u.services[v], catalog.Unknown))
	}
	if u.moreTeams > 0 {
		out = append(out, fmt.Sprintf("table %s: %d more row(s) with other teams not in the catalog", t.name, u.moreTeams))
	}
	if u.moreServices > 0 {
		out = append(out, fmt.Sprintf("table %s: %d more row(s) with other services not in the catalog", t.name, u.moreServices))
	}
	return out
}
