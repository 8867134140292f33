package dashboard

import (
	"strings"
	"testing"
)

func TestDashboardsMapPanelsRowsLinksAndDatasources(t *testing.T) {
	src := `{
  "meta": {"folderTitle": "Teams", "url": "/d/pay/payments"},
  "dashboard": {
    "uid": "pay",
    "title": "Payments / Health",
    "tags": ["team:payments"],
    "templating": {"list": [{"name": "ds", "type": "datasource"}, {"name": "env", "type": "query"}]},
    "panels": [
      {"id": 1, "type": "row", "title": "SLO", "collapsed": true, "panels": [
        {"id": 2, "type": "stat", "title": "Availability", "datasource": "$ds", "fieldConfig": {"defaults": {"unit": "percentunit"}},
         "links": [{"title": "Runbook", "url": "https://runbooks/pay"}]}
      ]},
      {"id": 3, "type": "timeseries", "datasource": {"type": "prometheus", "uid": "${ds}"},
       "targets": [{"datasource": {"type": "prometheus", "uid": "abc123"}}]}
    ]
  }
}`
	doc, err := Parse([]byte(src), Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if doc.Key != "pay" || doc.Title != "Payments / Health" || doc.TitleLine != 5 || doc.Container != "Teams" || doc.URL != "/d/pay/payments" {
		t.Errorf("doc = key %q title %q at %d folder %q url %q", doc.Key, doc.Title, doc.TitleLine, doc.Container, doc.URL)
	}
	if got := doc.Field("datasource_variables"); len(got) != 1 || got[0] != "ds" {
		t.Errorf("datasource variables = %v", got)
	}
	if len(doc.Sections) != 1 || doc.Sections[0].Title != "SLO" || doc.Sections[0].Line != 9 {
		t.Errorf("sections = %+v", doc.Sections)
	}
	if len(doc.Items) != 3 {
		t.Fatalf("items = %+v", doc.Items)
	}
	avail, unnamed := doc.Items[1], doc.Items[2]
	if avail.Name != "Availability" || avail.Line != 10 || avail.Fields["unit"].Values[0] != "percentunit" || avail.Fields["datasource"].Values[0] != "$ds" {
		t.Errorf("collapsed row's panel = %+v", avail)
	}
	if unnamed.Name != "#3" || strings.Join(unnamed.Fields["datasource"].Values, ",") != "${ds},abc123" {
		t.Errorf("panel 3 = %+v", unnamed)
	}
	if len(doc.Links) != 1 || doc.Links[0].Text != "Runbook" {
		t.Errorf("links = %+v", doc.Links)
	}
}

func TestLegacyRowsAreMappedAndFlagged(t *testing.T) {
	src := "{\n \"title\": \"Old\",\n \"rows\": [\n  {\"title\": \"SLO\", \"panels\": [{\"type\": \"singlestat\", \"title\": \"Up\", \"format\": \"percent\"}]}\n ]\n}"
	doc, err := Parse([]byte(src), Meta{Path: "old.json"})
	if err != nil {
		t.Fatal(err)
	}
	if f := doc.Fields["legacy_rows"]; len(f.Values) != 1 || f.Values[0] != "1 legacy rows" || f.Line != 3 {
		t.Errorf("legacy_rows = %+v", f)
	}
	if len(doc.Items) != 1 || doc.Items[0].Fields["unit"].Values[0] != "percent" || doc.Items[0].Line != 4 {
		t.Errorf("items = %+v", doc.Items)
	}
	if len(doc.Sections) != 1 || doc.Sections[0].Title != "SLO" {
		t.Errorf("sections = %+v", doc.Sections)
	}
}

func TestInvalidDashboardJSONNamesTheLine(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"a trailing comma", "{\n \"uid\": \"x\",\n}\n", "line 3: invalid character '}' looking for beginning of object key string"},
		{"a cut-off file", "{\n \"uid\": \"x\",\n \"panels\": [\n", "line 4: unexpected end of JSON"},
		{"an array instead of a dashboard", "[1, 2]", "line 1: a dashboard is a JSON object"},
		{"two values", "{}\n{}", "line 2: unexpected data after the dashboard"},
		{"a syntax error in the first byte", ",", "line 1: invalid character ',' looking for beginning of value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.src), Meta{Path: "d.json"})
			if err == nil || err.Error() != tt.want {
				t.Errorf("err = %v, want %s", err, tt.want)
			}
		})
	}
}
