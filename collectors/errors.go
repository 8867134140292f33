package collectors

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"

	"github.com/sre-value/sre-value-exporter/internal/tabular"
	"github.com/sre-value/sre-value-exporter/internal/upstream"
)

// Reasons used in sre_collector_errors_total{reason}; a bounded set. The
// upstream ones are defined by the HTTP layer that classifies them.
const (
	ReasonTimeout     = upstream.ReasonTimeout
	ReasonRateLimited = upstream.ReasonRateLimited
	ReasonAuth        = upstream.ReasonAuth
	ReasonServer      = upstream.ReasonServer
	ReasonClient      = upstream.ReasonClient
	ReasonDecode      = upstream.ReasonDecode
	ReasonNetwork     = upstream.ReasonNetwork
	ReasonOther       = upstream.ReasonOther
	ReasonInvalidData = "invalid_data"
	ReasonStore       = "store"
)

// Reasoned is implemented by errors that know their reason.
type Reasoned interface {
	Reason() string
}

type reasonError struct {
	reason string
	err    error
}

func (e *reasonError) Error() string  { return e.err.Error() }
func (e *reasonError) Unwrap() error  { return e.err }
func (e *reasonError) Reason() string { return e.reason }

// WithReason marks err with reason.
func WithReason(reason string, err error) error {
	if err == nil {
		return nil
	}
	return &reasonError{reason: reason, err: err}
}

// Reason classifies err into one of the reasons above.
func Reason(err error) string {
	var r Reasoned
	if errors.As(err, &r) {
		return r.Reason()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return ReasonTimeout
	}
	var ne net.Error
	if errors.As(err, &ne) {
		if ne.Timeout() {
			return ReasonTimeout
		}
		return ReasonNetwork
	}
	return ReasonOther
}

// TableReadReason classifies an error reading a CSV table (a file or a
// published sheet) for sre_collector_errors_total.
func TableReadReason(err error) string {
	var he *tabular.HTTPError
	if errors.As(err, &he) {
		switch {
		case he.StatusCode == http.StatusUnauthorized || he.StatusCode == http.StatusForbidden:
			return ReasonAuth
		case he.StatusCode == http.StatusTooManyRequests:
			return ReasonRateLimited
		case he.StatusCode >= 500:
			return ReasonServer
		}
		return ReasonClient
	}
	if r := Reason(err); r != ReasonOther {
		return r
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return ReasonOther // a missing or unreadable file
	}
	return ReasonInvalidData // empty or malformed CSV, an HTML page
}
