package backfill

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progress reports a long backfill: a bar redrawn in place on a terminal,
// a line every tenth of the way otherwise.
type progress struct {
	w           io.Writer
	terminal    bool
	total, done int
	first, last time.Time
	started     time.Time
	lastDraw    time.Time
	nextTenth   int
}

func newProgress(w io.Writer, terminal bool, total int, first, last time.Time) *progress {
	return &progress{w: w, terminal: terminal, total: total, first: first, last: last, started: time.Now(), nextTenth: 1}
}

func (p *progress) step(at time.Time, series int, samples int64) {
	if p == nil || p.w == nil {
		return
	}
	p.done++
	elapsed := time.Since(p.started)
	eta := time.Duration(0)
	if p.done > 0 {
		eta = time.Duration(float64(elapsed) / float64(p.done) * float64(p.total-p.done)).Round(time.Second)
	}
	if p.terminal {
		if time.Since(p.lastDraw) < 100*time.Millisecond && p.done < p.total {
			return
		}
		p.lastDraw = time.Now()
		const width = 30
		filled := width * p.done / p.total
		fmt.Fprintf(p.w, "\r[%s%s] %d/%d steps  %s  %d series  %d samples  ETA %s ",
			strings.Repeat("=", filled), strings.Repeat(" ", width-filled), p.done, p.total,
			at.UTC().Format("2006-01-02 15:04"), series, samples, eta)
		return
	}
	if p.done*10 >= p.nextTenth*p.total {
		p.nextTenth = p.done*10/p.total + 1
		fmt.Fprintf(p.w, "backfill: %d%% (%d/%d steps, up to %s of %s..%s), %d series, %d samples, elapsed %s, ETA %s\n",
			p.done*100/p.total, p.done, p.total, at.UTC().Format(time.RFC3339),
			p.first.UTC().Format(time.RFC3339), p.last.UTC().Format(time.RFC3339), series, samples, elapsed.Round(time.Second), eta)
	}
}

// finish ends the bar's line.
func (p *progress) finish() {
	if p != nil && p.w != nil && p.terminal {
		fmt.Fprintln(p.w)
	}
}
