package upstream

import "net/http"

// ErrorStatuses wraps a transport so that an answer with an error status
// becomes the layer's classified, redacted error. API clients that would
// only format the status into a string (grafana-tools/sdk) then report the
// right reason (auth, rate_limited, server_error) and never quote a body
// whole.
func ErrorStatuses(next http.RoundTripper) http.RoundTripper { return statusErrors{next: next} }

type statusErrors struct{ next http.RoundTripper }

func (t statusErrors) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil || resp.StatusCode < 400 {
		return resp, err
	}
	defer resp.Body.Close()
	return nil, Classify(nil, resp)
}
