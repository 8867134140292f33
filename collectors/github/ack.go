package github

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	gh "github.com/google/go-github/v60/github"
)

// acknowledgedAt finds when the incident was acknowledged. With
// acknowledged_label it is the first "labeled" event for that label (only
// asked for while the issue carries the label); otherwise it is the first
// comment by someone other than the author and not a bot (only asked for
// when the issue has comments). Each costs one request per page of events
// or comments. The zero time means not acknowledged.
func (c *Collector) acknowledgedAt(ctx context.Context, repo repository, is *gh.Issue, names []string) (time.Time, error) {
	if c.cfg.AcknowledgedLabel != "" {
		if !hasLabel(names, c.cfg.AcknowledgedLabel) {
			return time.Time{}, nil
		}
		return c.firstLabeled(ctx, repo, is.GetNumber())
	}
	if is.GetComments() == 0 {
		return time.Time{}, nil
	}
	return c.firstResponder(ctx, repo, is.GetNumber(), is.GetUser().GetLogin())
}

func (c *Collector) firstLabeled(ctx context.Context, repo repository, number int) (time.Time, error) {
	opts := &gh.ListOptions{PerPage: c.cfg.PageSize, Page: 1}
	for {
		events, resp, err := c.client.Issues.ListIssueEvents(ctx, repo.Owner, repo.Name, number, opts)
		if err != nil {
			return time.Time{}, ackLookupError(fmt.Sprintf("issue #%d: events page %d", number, opts.Page), "events", err, resp)
		}
		// Events come oldest first.
		for _, e := range events {
			if e.GetEvent() == "labeled" && e.Label != nil && strings.EqualFold(e.Label.GetName(), c.cfg.AcknowledgedLabel) {
				return e.GetCreatedAt().Time.UTC(), nil
			}
		}
		if resp.NextPage == 0 {
			return time.Time{}, nil
		}
		opts.Page = resp.NextPage
	}
}

func (c *Collector) firstResponder(ctx context.Context, repo repository, number int, author string) (time.Time, error) {
	opts := &gh.IssueListCommentsOptions{ListOptions: gh.ListOptions{PerPage: c.cfg.PageSize, Page: 1}}
	for {
		comments, resp, err := c.client.Issues.ListComments(ctx, repo.Owner, repo.Name, number, opts)
		if err != nil {
			return time.Time{}, ackLookupError(fmt.Sprintf("issue #%d: comments page %d", number, opts.Page), "comments", err, resp)
		}
		// Comments of one issue come oldest first.
		for _, cm := range comments {
			u := cm.GetUser()
			if strings.EqualFold(u.GetLogin(), author) || strings.EqualFold(u.GetType(), "Bot") {
				continue
			}
			return cm.GetCreatedAt().Time.UTC(), nil
		}
		if resp.NextPage == 0 {
			return time.Time{}, nil
		}
		opts.Page = resp.NextPage
	}
}

// missingHistoryError is an acknowledge look-up that found the issue's
// events or comments gone (404 Not Found, 410 Gone): the issue was deleted
// or transferred after it was listed, or its history is hidden. It concerns
// that one issue, not the refresh.
type missingHistoryError struct {
	err error
	// note is the short reason for the landing page.
	note string
}

func (e *missingHistoryError) Error() string { return e.err.Error() }
func (e *missingHistoryError) Unwrap() error { return e.err }

// ackLookupError classifies a failed events or comments request; a 404 or
// 410 becomes a *missingHistoryError.
func ackLookupError(what, resource string, err error, resp *gh.Response) error {
	classified := classify(what, err, resp)
	if resp != nil && (resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone) {
		return &missingHistoryError{err: classified,
			note: fmt.Sprintf("its %s answered %d %s", resource, resp.StatusCode, http.StatusText(resp.StatusCode))}
	}
	return classified
}
