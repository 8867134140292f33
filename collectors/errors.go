package collectors

import (
	"context"
	"errors"
	"net"

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
