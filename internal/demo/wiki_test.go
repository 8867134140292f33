package demo

import (
	"testing"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/catalog"
)

func TestEveryWikiViewIsOfAListedPageInASpaceOfACatalogTeam(t *testing.T) {
	d := load(t)
	pages := map[string]bool{}
	for _, p := range d.rows(t, "wiki_pages.csv", "page", "space", "type", "labels", "created", "updated") {
		if d.catalog.Team("confluence", p["space"]) == catalog.Unknown {
			t.Errorf("space %s is not mapped to a team", p["space"])
		}
		pages[p["space"]+"/"+p["page"]] = true
	}
	for _, v := range d.rows(t, "wiki_views.csv", "page", "space", "views", "unique_viewers", "date") {
		if !pages[v["space"]+"/"+v["page"]] {
			t.Errorf("views of %s/%s, which is not in wiki_pages.csv", v["space"], v["page"])
		}
		if number(t, "wiki_views.csv", v["unique_viewers"]) > number(t, "wiki_views.csv", v["views"]) {
			t.Errorf("%s on %s: more unique viewers than views", v["page"], v["date"])
		}
		d.day(t, "wiki_views.csv", v["date"])
	}
}

func TestHowToEngageSREIsReadMoreAsTheStoryGoesOn(t *testing.T) {
	d := load(t)
	var early, late float64
	for _, v := range d.rows(t, "wiki_views.csv", "page", "space", "views", "unique_viewers", "date") {
		if v["page"] != "How to engage SRE" {
			continue
		}
		day := d.day(t, "wiki_views.csv", v["date"])
		switch {
		case day.Before(d.lastDay.AddDate(0, 0, -60)):
			early += number(t, "wiki_views.csv", v["views"])
		case day.After(d.lastDay.AddDate(0, 0, -30)):
			late += number(t, "wiki_views.csv", v["views"])
		}
	}
	if late <= 1.2*early {
		t.Errorf("views in the last 30 days %v, in the 30 days before the last 60 %v; want a clear rise", late, early)
	}
}

func TestWikiTitlesAreUniqueInEachSpaceWhateverTheEndDate(t *testing.T) {
	for _, end := range []time.Time{
		committedEnd,
		time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), // starts on May 30: months of 30 and 31 days
		time.Date(2027, 3, 31, 12, 0, 0, 0, time.UTC),
		time.Date(2027, 8, 31, 0, 0, 0, 0, time.UTC),
	} {
		o, c := newOrg(), newClock(end)
		seen := map[string]bool{}
		for _, p := range wikiPages(o, c) {
			if seen[p.space+"/"+p.title] {
				t.Errorf("end %s: %s/%s twice", date(end), p.space, p.title)
			}
			seen[p.space+"/"+p.title] = true
			if p.created.Before(c.start) || p.updated.After(c.end) || p.updated.Before(p.created) {
				t.Errorf("end %s: %s created %s updated %s, outside %s..%s or out of order", date(end), p.title, p.created, p.updated, c.start, c.end)
			}
		}
	}
}
