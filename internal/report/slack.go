package report

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	slackapi "github.com/slack-go/slack"

	"github.com/sre-value/sre-value-exporter/internal/config"
	"github.com/sre-value/sre-value-exporter/internal/upstream"
)

// DefaultSlackAPI is Slack's Web API.
const DefaultSlackAPI = "https://slack.com/api/"

// SlackOptions say where the summary goes.
type SlackOptions struct {
	// Channel is a channel name (#sre-updates) or id.
	Channel string
	// Token is a bot token with chat:write and files:write.
	Token config.Secret
	// APIURL is the Web API's base URL (DefaultSlackAPI when empty).
	APIURL string
	// ReportURL, when set, is linked from the message.
	ReportURL string
	Logger    *slog.Logger
	// tune adjusts the HTTP layer in tests (sleeps of retries).
	tune func(*upstream.Options)
}

// SlackResult is what was posted.
type SlackResult struct {
	Channel   string // the channel's id
	Timestamp string // the message's ts
	Files     []string
}

// PostSlack posts the report's summary with Block Kit (chat.postMessage)
// and uploads its charts into the message's thread with Slack's upload
// flow (files.getUploadURLExternal, the upload, files.completeUploadExternal).
// The token travels only in the Authorization header and never appears in
// an error.
func PostSlack(ctx context.Context, r *Report, opts SlackOptions) (SlackResult, error) {
	if !opts.Token.IsSet() {
		return SlackResult{}, fmt.Errorf("slack: no token (set SLACK_TOKEN or --slack.token-file)")
	}
	if opts.APIURL == "" {
		opts.APIURL = DefaultSlackAPI
	}
	if !strings.HasSuffix(opts.APIURL, "/") {
		opts.APIURL += "/"
	}
	token := opts.Token.Value()
	uo := upstream.Options{
		Secrets:   []string{token},
		Authorize: func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) },
		UserAgent: "sre-value-exporter report",
		Logger:    opts.Logger,
		// slack-go posts replayable forms: 429 (with Retry-After) and 5xx
		// are retried like reads. Slack's writes are idempotent enough here:
		// a retried post follows an answer that did not post.
		RetryPOST: true,
	}
	if opts.tune != nil {
		opts.tune(&uo)
	}
	uo.Transport = formWithoutToken{next: orDefault(uo.Transport)}
	hc := upstream.New(uo).HTTP()
	api := slackapi.New(token, slackapi.OptionHTTPClient(hc), slackapi.OptionAPIURL(opts.APIURL))

	channel, ts, err := api.PostMessageContext(ctx, opts.Channel,
		slackapi.MsgOptionText(slackFallback(r), false),
		slackapi.MsgOptionBlocks(slackBlocks(r, opts.ReportURL)...))
	if err != nil {
		return SlackResult{}, slackError("chat.postMessage", opts.Channel, err, token)
	}
	res := SlackResult{Channel: channel, Timestamp: ts}
	for _, s := range r.Sections {
		for _, c := range s.Charts {
			if len(c.PNG) == 0 {
				continue
			}
			f, err := api.UploadFileContext(ctx, slackapi.UploadFileParameters{
				Reader: bytes.NewReader(c.PNG), FileSize: len(c.PNG), Filename: ChartFile(c),
				Title: c.Title, AltTxt: c.Title, Channel: channel, ThreadTimestamp: ts,
			})
			if err != nil {
				return res, slackError("file upload of "+ChartFile(c), opts.Channel, err, token)
			}
			res.Files = append(res.Files, f.ID)
		}
	}
	return res, nil
}

func slackError(what, channel string, err error, token string) error {
	return fmt.Errorf("slack %s to %s: %s", what, channel, upstream.Redact(err.Error(), token))
}

// slackFallback is the notification text of the message.
func slackFallback(r *Report) string {
	var parts []string
	for _, f := range r.Summary {
		parts = append(parts, fmt.Sprintf("%s %s %s", f.Label, f.Text(), f.Arrow()))
	}
	return r.Title + ": " + strings.Join(parts, "; ")
}

// slackBlocks is the summary as Block Kit: a header, the key figures as
// fields, a field per section's first figures, and the period as context.
func slackBlocks(r *Report, reportURL string) []slackapi.Block {
	field := func(f Figure) *slackapi.TextBlockObject {
		text := fmt.Sprintf("*%s*\n%s", f.Label, f.Text())
		if _, ok := f.Change(); ok {
			text += fmt.Sprintf("  %s %s", f.Arrow(), f.ChangeText())
		}
		return slackapi.NewTextBlockObject(slackapi.MarkdownType, text, false, false)
	}
	blocks := []slackapi.Block{
		slackapi.NewHeaderBlock(slackapi.NewTextBlockObject(slackapi.PlainTextType, truncate(r.Title, 150), false, false)),
	}
	var summary []*slackapi.TextBlockObject
	for _, f := range r.Summary {
		summary = append(summary, field(f))
	}
	if len(summary) > 0 {
		blocks = append(blocks, slackapi.NewSectionBlock(
			slackapi.NewTextBlockObject(slackapi.MarkdownType, fmt.Sprintf("*Summary* (vs %s)", r.Previous.Label), false, false), summary[:min(len(summary), 10)], nil))
	}
	for _, s := range r.Sections {
		var fields []*slackapi.TextBlockObject
		for _, f := range s.Figures {
			if len(fields) == 4 {
				break
			}
			fields = append(fields, field(f))
		}
		title := "*" + s.Title + "*"
		if s.NoData != "" {
			title += "\n_no data_"
			fields = nil
		}
		blocks = append(blocks, slackapi.NewSectionBlock(slackapi.NewTextBlockObject(slackapi.MarkdownType, title, false, false), fields, nil))
	}
	ctx := fmt.Sprintf("%s to %s UTC", r.Period.Start.Format("2 Jan 2006"), r.Period.End.Format("2 Jan 2006 15:04"))
	if r.WindowNote != "" {
		ctx += ". " + r.WindowNote
	}
	elements := []slackapi.MixedElement{slackapi.NewTextBlockObject(slackapi.MarkdownType, truncate(ctx, 2000), false, false)}
	if reportURL != "" {
		elements = append(elements, slackapi.NewTextBlockObject(slackapi.MarkdownType, "<"+reportURL+"|Full report>", false, false))
	}
	blocks = append(blocks, slackapi.NewDividerBlock(), slackapi.NewContextBlock("", elements...))
	return blocks
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// formWithoutToken drops the token that slack-go also puts in form bodies:
// the HTTP layer sends it as "Authorization: Bearer", and a token in a
// body ends up in proxy and debug logs.
type formWithoutToken struct{ next http.RoundTripper }

func (t formWithoutToken) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodPost || req.Body == nil || !strings.HasPrefix(req.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		return t.next.RoundTrip(req)
	}
	data, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return nil, err
	}
	form, err := url.ParseQuery(string(data))
	if err != nil {
		return nil, fmt.Errorf("slack form body: %w", err)
	}
	form.Del("token")
	body := form.Encode()
	req = req.Clone(req.Context())
	req.Body = io.NopCloser(strings.NewReader(body))
	req.ContentLength = int64(len(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(body)), nil }
	return t.next.RoundTrip(req)
}

func orDefault(rt http.RoundTripper) http.RoundTripper {
	if rt == nil {
		return http.DefaultTransport
	}
	return rt
}
