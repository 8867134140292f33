package push

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"

	sdk "github.com/grafana-tools/sdk"

	"github.com/sre-value/sre-value-exporter/internal/config"
	"github.com/sre-value/sre-value-exporter/internal/upstream"
)

// Client is the part of the Grafana HTTP API push uses, through the
// grafana-tools/sdk client on top of the shared HTTP layer (Bearer auth,
// retries of reads, secret redaction). Writes are sent once.
type Client struct {
	sdk *sdk.Client
}

// NewClient returns a client for the Grafana at rawURL that authenticates
// with token. It does not contact Grafana.
func NewClient(rawURL string, token config.Secret, logger *slog.Logger) (*Client, error) {
	return newClient(rawURL, token, logger, nil)
}

// newClient is NewClient with a hook on the HTTP options, so tests can
// replace the sleeps of retries.
func newClient(rawURL string, token config.Secret, logger *slog.Logger, tweak func(*upstream.Options)) (*Client, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// Never echo userinfo or a token pasted into the URL.
		return nil, fmt.Errorf("grafana URL %s is not an http(s) URL", upstream.Redact(fmt.Sprintf("%q", rawURL), token.Value()))
	}
	secret := token.Value()
	opts := upstream.Options{
		Secrets:   []string{secret},
		Authorize: func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+secret) },
		UserAgent: "sre-value-exporter",
		Logger:    logger,
	}
	if tweak != nil {
		tweak(&opts)
	}
	hc := *upstream.New(opts).HTTP()
	hc.Transport = upstream.ErrorStatuses(hc.Transport)
	// The token is set by the HTTP layer (which redacts it), not by the SDK.
	c, err := sdk.NewClient(u.String(), "", &hc)
	if err != nil {
		return nil, fmt.Errorf("grafana URL: %w", err)
	}
	return &Client{sdk: c}, nil
}

// apiError unwraps what the SDK and net/http made of a request error into
// the HTTP layer's redacted error.
func apiError(err error) error {
	if err == nil {
		return nil
	}
	return upstream.Classify(err, nil)
}

// status is the HTTP status of a failed call, 0 when none arrived.
func status(err error) int {
	var ue *upstream.Error
	if errors.As(err, &ue) {
		return ue.Status
	}
	return 0
}

// folder is a Grafana folder as push needs it.
type folder struct {
	id    int
	uid   string
	title string
}

// errNotFound is a folder or dashboard Grafana does not have.
var errNotFound = errors.New("not found")

func (c *Client) folder(ctx context.Context, uid string) (folder, error) {
	f, err := c.sdk.GetFolderByUID(ctx, uid)
	if err != nil {
		if status(err) == http.StatusNotFound {
			return folder{}, errNotFound
		}
		return folder{}, apiError(err)
	}
	return folder{id: f.ID, uid: f.UID, title: f.Title}, nil
}

func (c *Client) createFolder(ctx context.Context, uid, title string) (folder, error) {
	f, err := c.sdk.CreateFolder(ctx, sdk.Folder{UID: uid, Title: title})
	if err != nil {
		return folder{}, apiError(err)
	}
	return folder{id: f.ID, uid: f.UID, title: f.Title}, nil
}

// stored is a dashboard as Grafana has it.
type stored struct {
	model    []byte
	version  int
	folderID int
}

func (c *Client) dashboard(ctx context.Context, uid string) (stored, error) {
	raw, meta, err := c.sdk.GetRawDashboardByUID(ctx, uid)
	if err != nil {
		if status(err) == http.StatusNotFound {
			return stored{}, errNotFound
		}
		return stored{}, apiError(err)
	}
	return stored{model: raw, version: meta.Version, folderID: meta.FolderID}, nil
}

// save writes a dashboard into a folder. Without overwrite Grafana refuses
// (412) when the dashboard's version is not the stored one, so an edit made
// between our read and our write is never lost.
func (c *Client) save(ctx context.Context, model []byte, folderID int, overwrite bool) error {
	_, err := c.sdk.SetRawDashboardWithParam(ctx, sdk.RawBoardRequest{
		Dashboard:  model,
		Parameters: sdk.SetDashboardParams{FolderID: folderID, Overwrite: overwrite},
	})
	return apiError(err)
}
