package pagerduty

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// benchFake holds n incidents spread evenly over the 180-day lookback.
// Open acknowledged incidents carry their acknowledgements in the list;
// resolved ones need one log-entries lookup each.
func benchFake(b *testing.B, n int, status string) *fakePD {
	f := newFakePD(b, testToken)
	start := testNow.Add(-180 * 24 * time.Hour)
	step := 180 * 24 * time.Hour / time.Duration(n)
	for i := range n {
		created := start.Add(time.Duration(i) * step)
		extra := `"acknowledgements":[{"at":` + fmt.Sprintf("%q", created.Add(time.Minute).Format(time.RFC3339)) + `}]`
		if status == "resolved" {
			extra = fmt.Sprintf(`"acknowledgements":[],"resolved_at":%q`, created.Add(time.Hour).Format(time.RFC3339))
			f.logs[fmt.Sprintf("B%06d", i)] = nil
		}
		f.put(fmt.Appendf(nil, `{"id":"B%06d","type":"incident","created_at":%q,"status":%q,"urgency":"high","priority":{"id":"PPRIO1","name":"P1"},"service":{"id":"PCHK001","summary":"Checkout API"},"teams":[{"id":"PTEAMPAY","summary":"Payments Team"}],%s}`,
			i, created.Format(time.RFC3339), status, extra))
	}
	return f
}

func benchSync(b *testing.B, n int, status string) {
	f := benchFake(b, n, status)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		f.resetRequests()
		h := newHarness(b, f, "")
		b.StartTimer()
		h.mustSync()
		b.StopTimer()
		var lists, logs int
		for _, r := range f.requestLog() {
			if strings.HasPrefix(r, "/incidents?") {
				lists++
			} else {
				logs++
			}
		}
		b.ReportMetric(float64(lists), "list_requests/op")
		b.ReportMetric(float64((n+99)/100), "ideal_list_requests/op")
		b.ReportMetric(float64(logs), "log_entry_requests/op")
		h.st.Close()
		b.StartTimer()
	}
}

// BenchmarkSync100kOpenIncidents is a first sync of 100,000 incidents whose
// acknowledgements come with the list: only list requests.
func BenchmarkSync100kOpenIncidents(b *testing.B) { benchSync(b, 100_000, "acknowledged") }

// BenchmarkSync10kResolvedIncidents is a first sync of 10,000 resolved
// incidents: one log-entries lookup each for the first acknowledgement.
func BenchmarkSync10kResolvedIncidents(b *testing.B) { benchSync(b, 10_000, "resolved") }
