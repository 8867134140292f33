package metrics

// Label sets of the Confluence families: pages are aggregated per space
// (team through the catalog), configured label and content type; key pages
// are the only per-page series.
var (
	confluenceLabels       = []string{"space", "team", "label", "type"}
	confluenceWindowLabels = []string{"space", "team", "label", "type", WindowLabel}
	confluenceKeyLabels    = []string{"space", "page"}
)

// Confluence (the confluence collector): wiki pages and blog posts, their
// freshness and, from the analytics API or a page-views CSV, their readers.
// Views are Historical from a page-views CSV, which dates them by day; the
// analytics API only answers "since a day" as of its last round, so
// backfill leaves them out (and lists them) for it. Updates only show a
// page's latest version: not historical.
var (
	ConfluencePages = declare(Family{
		Name: "sre_confluence_pages", Type: Gauge, Historical: true,
		Help:   "Pages (or blog posts) in the space now, by configured label and content type.",
		Labels: confluenceLabels,
	})
	ConfluencePagesCreatedInWindow = declare(Family{
		Name: "sre_confluence_pages_created_in_window", Type: Gauge, Historical: true,
		Help:   "Pages that exist now and were created in the window.",
		Labels: confluenceWindowLabels,
	})
	ConfluencePagesUpdatedInWindow = declare(Family{
		Name: "sre_confluence_pages_updated_in_window", Type: Gauge,
		Help:   "Pages whose latest version is an edit (version 2 or later) made in the window.",
		Labels: confluenceWindowLabels,
	})
	ConfluencePagesStale = declare(Family{
		Name: "sre_confluence_pages_stale", Type: Gauge,
		Help:   "Pages whose latest version is older than the configured stale_after age.",
		Labels: confluenceLabels,
	})
	ConfluencePageViewsInWindow = declare(Family{
		Name: "sre_confluence_page_views_in_window", Type: Gauge, Historical: true,
		Help:   "Views of the pages since 00:00 UTC of the day the window starts, as of the last analytics refresh (or from the page-views CSV).",
		Labels: confluenceWindowLabels,
	})
	ConfluencePageViewersInWindow = declare(Family{
		Name: "sre_confluence_page_viewers_in_window", Type: Gauge, Historical: true,
		Help:   "Distinct viewers per page in the window, summed over the pages (a person reading two pages counts twice).",
		Labels: confluenceWindowLabels,
	})
	ConfluenceKeyPageViewsInWindow = declare(Family{
		Name: "sre_confluence_key_page_views_in_window", Type: Gauge, Historical: true,
		Help:   "Views of a configured key page in the window (same days as sre_confluence_page_views_in_window).",
		Labels: []string{"space", "page", WindowLabel},
	})
	ConfluenceKeyPageViewersInWindow = declare(Family{
		Name: "sre_confluence_key_page_viewers_in_window", Type: Gauge, Historical: true,
		Help:   "Distinct viewers of a configured key page in the window.",
		Labels: []string{"space", "page", WindowLabel},
	})
	ConfluenceKeyPageLastUpdated = declare(Family{
		Name: "sre_confluence_key_page_last_updated_timestamp_seconds", Type: Gauge, Unit: "seconds",
		Help:   "When a configured key page was last edited (its latest version).",
		Labels: confluenceKeyLabels,
	})
	ConfluenceAnalyticsLastRefresh = declare(Family{
		Name: "sre_confluence_analytics_last_refresh_timestamp_seconds", Type: Gauge, Unit: "seconds",
		Help: "When the view figures were last refreshed completely: the analytics round's start, or the page-views CSV's last change.",
	})
)
