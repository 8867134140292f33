package pagerduty

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// benchFake holds n incidents spread evenly over the 180-day lookback,
// without log entries: it measures listing.
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
// incidents (one log-entries lookup each before the account-wide listing).
func BenchmarkSync10kResolvedIncidents(b *testing.B) { benchSync(b, 10_000, "resolved") }

// accountFake holds 4,000 incidents over the 180-day lookback with their
// overview log entries, shaped like a busy account: most acknowledged
// then resolved, every 20th resolved without an acknowledgement, every
// 50th acknowledged again after its acknowledgement timed out, eight
// forgotten ones still triggered since months ago and the last 40 open.
// Open incidents re-acknowledged list only their latest acknowledgement.
func accountFake(b testing.TB) *fakePD {
	const n = 4000
	f := newFakePD(b, testToken)
	start := testNow.Add(-180 * 24 * time.Hour)
	step := 180 * 24 * time.Hour / n
	at := func(t time.Time) string { return t.Format(time.RFC3339) }
	for i := range n {
		id := fmt.Sprintf("A%05d", i)
		created := start.Add(time.Duration(i) * step).Add(step / 2)
		entries := []string{fmt.Sprintf(`{"id":"L%s1","type":"trigger_log_entry","created_at":%q}`, id, at(created))}
		ack := created.Add(time.Duration(2+i%7) * time.Minute)
		status, acks, resolved := "resolved", "[]", ""
		reacked := i%50 == 7
		acked := i%20 != 0
		open := i >= n-40 || i%500 == 3
		if i%500 == 3 {
			acked = false
		}
		if acked {
			entries = append(entries, fmt.Sprintf(`{"id":"L%s2","type":"acknowledge_log_entry","created_at":%q}`, id, at(ack)))
			last := ack
			if reacked {
				last = ack.Add(33 * time.Minute)
				entries = append(entries,
					fmt.Sprintf(`{"id":"L%s3","type":"unacknowledge_log_entry","created_at":%q}`, id, at(ack.Add(30*time.Minute))),
					fmt.Sprintf(`{"id":"L%s4","type":"acknowledge_log_entry","created_at":%q}`, id, at(last)))
			}
			if open {
				status, acks = "acknowledged", fmt.Sprintf(`[{"at":%q}]`, at(last))
			}
		} else if open {
			status = "triggered"
		}
		if !open {
			r := created.Add(time.Hour + time.Duration(i%11)*time.Minute)
			resolved = fmt.Sprintf(`"resolved_at":%q,`, at(r))
			entries = append(entries, fmt.Sprintf(`{"id":"L%s5","type":"resolve_log_entry","created_at":%q}`, id, at(r)))
		}
		for j := len(entries) - 1; j >= 0; j-- {
			f.logs[id] = append(f.logs[id], json.RawMessage(entries[j]))
		}
		f.put(fmt.Appendf(nil, `{"id":%q,"type":"incident","created_at":%q,"status":%q,%s"urgency":"high","priority":{"id":"PPRIO%d","name":"P%d"},"service":{"id":"PCHK001","summary":"Checkout API"},"teams":[{"id":"PTEAMPAY","summary":"Payments Team"}],"acknowledgements":%s}`,
			id, at(created), status, resolved, 1+i%3, 1+i%3, acks))
	}
	return f
}

// countRequests reports the requests of the fake by kind.
func countRequests(b *testing.B, f *fakePD) {
	var lists, accountLogs, incidentLogs, gets int
	for _, r := range f.requestLog() {
		switch {
		case strings.HasPrefix(r, "/incidents?"):
			lists++
		case strings.HasPrefix(r, "/log_entries?"):
			accountLogs++
		case strings.Contains(r, "/log_entries"):
			incidentLogs++
		default:
			gets++
		}
	}
	b.ReportMetric(float64(lists+accountLogs+incidentLogs+gets), "requests/op")
	b.ReportMetric(float64(lists), "incident_lists/op")
	b.ReportMetric(float64(accountLogs), "account_log_pages/op")
	b.ReportMetric(float64(incidentLogs), "incident_log_lookups/op")
}

// BenchmarkFirstSync4kIncidents is a first sync of the 4,000-incident
// account, reporting how many requests it takes.
func BenchmarkFirstSync4kIncidents(b *testing.B) {
	f := accountFake(b)
	for range b.N {
		b.StopTimer()
		f.resetRequests()
		h := newHarness(b, f, "")
		b.StartTimer()
		h.mustSync()
		b.StopTimer()
		countRequests(b, f)
		h.st.Close()
		b.StartTimer()
	}
}

// BenchmarkIdleRefresh4kIncidents is a refresh of the 4,000-incident
// account when nothing changed since the last one.
func BenchmarkIdleRefresh4kIncidents(b *testing.B) {
	f := accountFake(b)
	h := newHarness(b, f, "")
	h.mustSync()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		f.resetRequests()
		b.StartTimer()
		h.mustSync()
	}
	b.StopTimer()
	countRequests(b, f)
}
