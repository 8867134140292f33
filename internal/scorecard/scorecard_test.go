package scorecard

import (
	"testing"

	"github.com/sre-value/sre-value-exporter/internal/metrics"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
)

func TestValuesReadTheWayAPersonWritesThem(t *testing.T) {
	tests := []struct {
		name  string
		value float64
		known bool
		kind  kind
		want  string
	}{
		{"a count gets thousands separators", 1234567, true, count, "1,234,567"},
		{"a small count stays as it is", 12, true, count, "12"},
		{"an undefined mean is a dash", 0, false, duration, "—"},
		{"seconds under a minute", 42.4, true, duration, "42s"},
		{"minutes and seconds under an hour", 1312, true, duration, "21m 52s"},
		{"hours and minutes rounded to the minute", 3*3600 + 12*60 + 31, true, duration, "3h 13m"},
		{"days and hours rounded to the hour", 2*86400 + 5*3600 + 40*60, true, duration, "2d 6h"},
		{"a ratio is a percentage with one decimal", 0.52136, true, ratio, "52.1%"},
		{"hours saved keep up to two decimals", 15.9 * 3600, true, hours, "15.9 h"},
		{"whole money has no decimals", 55097, true, money, "55,097"},
		{"money with cents keeps two decimals", 1058.5, true, money, "1,058.50"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := format(tt.value, tt.known, tt.kind); got != tt.want {
				t.Errorf("format(%v, %v) = %q, want %q", tt.value, tt.known, got, tt.want)
			}
		})
	}
}

func TestAChangeSaysHowMuchAndWhetherItIsGoodNews(t *testing.T) {
	known := func(v float64) Cell { return Cell{Value: v, Known: true} }
	tests := []struct {
		name      string
		cur, prev Cell
		kind      kind
		better    Direction
		text      string
		class     string
	}{
		{"more incidents is worse", known(5), known(4), count, LowerIsBetter, "+1 (+25%)", "worse"},
		{"fewer incidents is better", known(0), known(3), count, LowerIsBetter, "−3 (−100%)", "better"},
		{"more attendance is better", known(99), known(90), count, HigherIsBetter, "+9 (+10%)", "better"},
		{"growth from nothing has no percentage", known(3), known(0), count, HigherIsBetter, "+3 (from 0)", "better"},
		{"a faster resolution is better", known(7440), known(10599), duration, LowerIsBetter, "−52m 39s (−30%)", "better"},
		{"a rate changes in percentage points", known(0.521), known(0.506), ratio, HigherIsBetter, "+1.5 pp", "better"},
		{"the same figure is no change", known(2), known(2), count, HigherIsBetter, "no change", "same"},
		{"a mean with nothing before", known(60), Cell{}, duration, LowerIsBetter, "none the period before", "same"},
		{"a mean with nothing now says what it was", Cell{}, known(5400), duration, LowerIsBetter, "was 1h 30m", "same"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := change(tt.cur, tt.prev, tt.kind, tt.better)
			if c.Text != tt.text || c.Class != tt.class {
				t.Errorf("change = %q (%s), want %q (%s)", c.Text, c.Class, tt.text, tt.class)
			}
		})
	}
}

// sloFamilies stand for the slo records table's families, which another
// change declares in the catalog.
var sloFamilies = SLOFamilies{
	Attainment: metrics.Custom("sre_test_slo_attainment_ratio", metrics.Gauge, "Attainment.", []string{"service", "slo"}),
	Objective:  metrics.Custom("sre_test_slo_objective_ratio", metrics.Gauge, "Objective.", []string{"service", "slo"}),
}

func sloSnapshot(t *testing.T) *snapshot.Snapshot {
	t.Helper()
	b := snapshot.NewBuilder()
	b.Info(metrics.TeamInfo, "team", "payments")
	b.Info(metrics.TeamInfo, "team", "search")
	b.Info(metrics.ServiceInfo, "service", "payments-api", "team", "payments")
	b.Info(metrics.ServiceInfo, "service", "search-api", "team", "search")
	for _, s := range []struct {
		service, slo          string
		attainment, objective float64
	}{
		{"payments-api", "availability", 0.9995, 0.999}, // met
		{"payments-api", "latency", 0.97, 0.99},         // missed
		{"search-api", "availability", 0.995, 0.995},    // met exactly
	} {
		b.Gauge(sloFamilies.Attainment, s.attainment, "service", s.service, "slo", s.slo)
		b.Gauge(sloFamilies.Objective, s.objective, "service", s.service, "slo", s.slo)
	}
	snap, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

func rowOf(t *testing.T, b *Board, team, id string) (Row, bool) {
	t.Helper()
	card, ok := b.Team(team)
	if !ok {
		t.Fatalf("no scorecard for %q", team)
	}
	for _, r := range card.Rows {
		if r.ID == id {
			return r, true
		}
	}
	return Row{}, false
}

func TestTheSLORowCountsSLOsMeetingTheirObjectivePerOwningTeam(t *testing.T) {
	board := Compute(sloSnapshot(t), nil, Options{SLO: sloFamilies})
	for _, tt := range []struct {
		team   string
		value  float64
		detail string
	}{
		{AllTeams, 2.0 / 3, "2 of 3 SLOs met"},
		{"payments", 0.5, "1 of 2 SLOs met"},
		{"search", 1, "1 of 1 SLO met"},
	} {
		r, ok := rowOf(t, board, tt.team, "slo")
		if !ok || r.Now == nil {
			t.Fatalf("team %q: no point-in-time SLO row", tt.team)
		}
		if r.Now.Value != tt.value || r.Now.Detail != tt.detail {
			t.Errorf("team %q: SLO row %v %q, want %v %q", tt.team, r.Now.Value, r.Now.Detail, tt.value, tt.detail)
		}
	}
}

func TestTheSLORowIsLeftOutWithoutTheSLOFamilies(t *testing.T) {
	for name, opts := range map[string]Options{
		"families not configured": {},
		"no series":               {SLO: SLOFamilies{Attainment: metrics.Custom("sre_test_absent_ratio", metrics.Gauge, "h", []string{"service", "slo"}), Objective: sloFamilies.Objective}},
	} {
		if _, ok := rowOf(t, Compute(sloSnapshot(t), nil, opts), AllTeams, "slo"); ok {
			t.Errorf("%s: an SLO row is shown", name)
		}
	}
}

func TestAnEmptySnapshotGivesZerosAndDashesWithoutChanges(t *testing.T) {
	board := Compute(snapshot.Empty, nil, Options{})
	if len(board.Teams) != 0 || board.Previous {
		t.Errorf("teams %v, previous %v; want none", board.Teams, board.Previous)
	}
	card, _ := board.Team(AllTeams)
	for _, r := range card.Rows {
		for _, c := range r.Windows {
			if c.Change != nil {
				t.Errorf("%s: a change without previous periods", r.ID)
			}
			if (r.ID == "mttr" || r.ID == "mtta" || r.ID == "newsletter_open_rate") != (c.Text == "—") {
				t.Errorf("%s: %q", r.ID, c.Text)
			}
		}
		if r.ID == "training_completion" || r.ID == "champions" {
			t.Errorf("row %s shown without any training or champions table", r.ID)
		}
	}
}

func TestMoneyIsLabelledWithTheCurrencyWhenKnown(t *testing.T) {
	for currency, want := range map[string]string{"": "Money saved (in the savings table's currency)", "EUR": "Money saved (EUR)"} {
		board := Compute(snapshot.Empty, nil, Options{Currency: currency})
		if r, _ := rowOf(t, board, AllTeams, "money_saved"); r.Label != want || board.Currency != currency {
			t.Errorf("currency %q: label %q, board currency %q", currency, r.Label, board.Currency)
		}
	}
}
