package collectors

import (
	"context"
	"errors"
	"net"
)

// Reasons used in sre_collector_errors_total{reason}; a bounded set.
const (
	ReasonTimeout     = "timeout"
	ReasonRateLimited = "rate_limited"
	ReasonAuth        = "auth"
	ReasonServer      = "server_error"
	ReasonClient      = "client_error"
	ReasonDecode      = "decode"
	ReasonNetwork     = "network"
	ReasonInvalidData = "invalid_data"
	ReasonStore       = "store"
	ReasonOther       = "other"
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
