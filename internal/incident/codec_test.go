package incident

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestTheBinaryFormKeepsEveryField(t *testing.T) {
	opened := time.Date(2026, 3, 1, 10, 0, 0, 123456789, time.UTC)
	tests := []struct {
		name string
		inc  Incident
	}{
		{"an open incident", Incident{ID: "A-1", Severity: "sev1", Service: "api", Team: "payments", Opened: opened}},
		{"a resolved incident with a postmortem and action items", Incident{
			ID: "A-2", Severity: "sev2", Opened: opened, Acknowledged: opened.Add(time.Minute), Resolved: opened.Add(time.Hour),
			Updated: opened.Add(2 * time.Hour), Postmortem: "https://wiki/pm/A-2",
			ActionItems: []ActionItem{{Done: true}, {Due: opened.Add(24 * time.Hour)}, {Done: true, Due: opened}},
		}},
		{"times far from today", Incident{ID: "old", Opened: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), Resolved: time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)}},
		{"non-ASCII labels", Incident{ID: "ü-1", Service: "zahlungs-dienst", Team: "équipe", Opened: opened}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeIncident(encodeIncident(tt.inc), interner{})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.inc) {
				t.Errorf("decoded %+v\nwant    %+v", got, tt.inc)
			}
		})
	}
}

func TestRecordsStoredAsJSONByEarlierVersionsAreStillRead(t *testing.T) {
	inc := Incident{ID: "J-1", Severity: "sev3", Opened: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Resolved: time.Date(2026, 1, 2, 4, 4, 5, 0, time.UTC)}
	data, _ := json.Marshal(inc)
	got, err := decodeIncident(data, nil)
	if err != nil || !got.Opened.Equal(inc.Opened) || !got.Resolved.Equal(inc.Resolved) || got.Severity != "sev3" {
		t.Errorf("decoded %+v, %v", got, err)
	}
	c := counted{Severity: "sev3", Service: "api", Team: "t", Resolved: true, TTR: 3600}
	data, _ = json.Marshal(c)
	if got, err := decodeCounted(data, nil); err != nil || got != c {
		t.Errorf("decoded %+v, %v", got, err)
	}
}

func TestADamagedRecordIsAnErrorNotAPanic(t *testing.T) {
	full := encodeIncident(Incident{ID: "A-1", Severity: "sev1", Opened: time.Now(), ActionItems: []ActionItem{{Due: time.Now()}}})
	for n := 0; n < len(full); n++ {
		if _, err := decodeIncident(full[:n], nil); err == nil {
			t.Errorf("a record cut to %d of %d bytes decoded without error", n, len(full))
		}
	}
	if _, err := decodeIncident(append(full, 0), nil); err == nil || !strings.Contains(err.Error(), "trailing") {
		t.Errorf("trailing bytes: %v", err)
	}
	huge := append([]byte{codecVersion}, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f)
	if _, err := decodeIncident(huge, nil); err == nil {
		t.Error("an impossible length decoded")
	}
	c := encodeCounted(counted{Severity: "s", Resolved: true, TTR: 1, Acked: true, TTA: 2})
	for n := 0; n < len(c); n++ {
		if _, err := decodeCounted(c[:n], nil); err == nil {
			t.Errorf("a counter record cut to %d of %d bytes decoded without error", n, len(c))
		}
	}
}
