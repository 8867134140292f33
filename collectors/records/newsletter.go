package records

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/catalog"
	"github.com/sre-value/sre-value-exporter/internal/metrics"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
	"github.com/sre-value/sre-value-exporter/internal/tabular"
	"github.com/sre-value/sre-value-exporter/internal/window"
)

// newsletterChannels are the channel values an issue may be sent on.
var newsletterChannels = []string{"newsletter", "webcast", "blog", "podcast", "video"}

// newsletterSchema: one row per issue sent (a newsletter, a blog post, an
// episode), with its reach.
type newsletterSchema struct{}

type newsletterRow struct {
	Sent       int64  `json:"t"`
	Channel    string `json:"c"`
	Recipients int64  `json:"r"`
	Opened     int64  `json:"o"`
	Clicked    int64  `json:"k,omitempty"`
}

func (newsletterSchema) columns() []tabular.Column {
	return []tabular.Column{
		{Name: "issue"}, {Name: "sent"}, {Name: "channel", Optional: true},
		{Name: "recipients"}, {Name: "opened"}, {Name: "clicked", Optional: true},
	}
}

func (newsletterSchema) parse(r tabular.Record) (any, []string, error) {
	issue, err := r.Required("issue")
	if err != nil {
		return nil, nil, err
	}
	sent, err := r.Date("sent")
	if err != nil {
		return nil, nil, err
	}
	channel := "newsletter"
	if r.Has("channel") {
		channel = slug(r.Text("channel"))
		if !contains(newsletterChannels, channel) {
			return nil, nil, r.Errorf("channel", "%s is not a channel (%s)", tabular.Quote(r.Text("channel")), strings.Join(newsletterChannels, ", "))
		}
	}
	recipients, err := r.Int("recipients")
	if err != nil {
		return nil, nil, err
	}
	opened, err := r.Int("opened")
	if err != nil {
		return nil, nil, err
	}
	clicked, err := r.Int("clicked")
	if err != nil {
		return nil, nil, err
	}
	if opened > recipients {
		return nil, nil, r.Errorf("opened", "%d opens is more than the %d recipients", opened, recipients)
	}
	if clicked > opened {
		return nil, nil, r.Errorf("clicked", "%d clicks is more than the %d opens", clicked, opened)
	}
	row := newsletterRow{Sent: unix(sent), Channel: channel, Recipients: recipients, Opened: opened, Clicked: clicked}
	return row, []string{channel, text(issue)}, nil
}

var newsletterCounters = []*metrics.Family{
	metrics.NewsletterIssues,
	metrics.NewsletterRecipients,
	metrics.NewsletterOpens,
	metrics.NewsletterClicks,
}

func (newsletterSchema) count(c *tallies, id string, row any) {
	r := row.(newsletterRow)
	c.Observe(newsletterCounters[0], id, 1, "channel", r.Channel)
	c.Observe(newsletterCounters[1], id, float64(r.Recipients), "channel", r.Channel)
	c.Observe(newsletterCounters[2], id, float64(r.Opened), "channel", r.Channel)
	c.Observe(newsletterCounters[3], id, float64(r.Clicked), "channel", r.Channel)
}

func (newsletterSchema) counters() []*metrics.Family { return newsletterCounters }
func (newsletterSchema) aggregateKey() string        { return "newsletter" }

func (newsletterSchema) newAggregator(now time.Time, _ *catalog.Catalog) aggregator {
	return &newsletterAggregator{
		issues:     window.NewSum(now, metrics.NewsletterIssuesInWindow),
		recipients: window.NewSum(now, metrics.NewsletterRecipientsInWindow),
		opens:      window.NewSum(now, metrics.NewsletterOpensInWindow),
		clicks:     window.NewSum(now, metrics.NewsletterClicksInWindow),
	}
}

type newsletterAggregator struct {
	issues, recipients, opens, clicks *window.Sum
}

func (a *newsletterAggregator) add(data []byte) error {
	var r newsletterRow
	if err := json.Unmarshal(data, &r); err != nil {
		return err
	}
	t := fromUnix(r.Sent)
	a.issues.Add(t, 1, "channel", r.Channel)
	a.recipients.Add(t, float64(r.Recipients), "channel", r.Channel)
	a.opens.Add(t, float64(r.Opened), "channel", r.Channel)
	a.clicks.Add(t, float64(r.Clicked), "channel", r.Channel)
	return nil
}

func (a *newsletterAggregator) emit(b *snapshot.Builder) {
	a.issues.Emit(b)
	a.recipients.Emit(b)
	a.opens.Emit(b)
	a.clicks.Emit(b)
}
