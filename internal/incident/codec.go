package incident

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"time"
)

// Incidents are stored in a compact binary form: a refresh reads every
// stored incident, and decoding JSON (times above all) was most of its
// cost. Records written as JSON by earlier versions are still read; they
// start with '{', the binary form with its version byte.
const codecVersion = 1

var errTruncated = errors.New("truncated record")

// interner shares the few distinct label values among all decoded records.
type interner map[string]string

func (in interner) string(b []byte) string {
	if in == nil {
		return string(b)
	}
	if s, ok := in[string(b)]; ok { // no allocation for the lookup
		return s
	}
	s := string(b)
	in[s] = s
	return s
}

type encoder struct{ buf []byte }

func (e *encoder) str(s string) {
	e.buf = binary.AppendUvarint(e.buf, uint64(len(s)))
	e.buf = append(e.buf, s...)
}

func (e *encoder) time(t time.Time) {
	e.buf = binary.AppendVarint(e.buf, t.Unix())
	e.buf = binary.AppendUvarint(e.buf, uint64(t.Nanosecond()))
}

func (e *encoder) float(f float64) {
	e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(f))
}

type decoder struct {
	data []byte
	err  error
	in   interner
}

func (d *decoder) bytes() []byte {
	n, k := binary.Uvarint(d.data)
	if k <= 0 || uint64(len(d.data)-k) < n {
		d.fail()
		return nil
	}
	b := d.data[k : k+int(n)]
	d.data = d.data[k+int(n):]
	return b
}

func (d *decoder) str() string {
	b := d.bytes()
	if d.err != nil || len(b) == 0 {
		return ""
	}
	return d.in.string(b)
}

func (d *decoder) byte() byte {
	if len(d.data) == 0 {
		d.fail()
		return 0
	}
	b := d.data[0]
	d.data = d.data[1:]
	return b
}

func (d *decoder) time() time.Time {
	sec, k := binary.Varint(d.data)
	if k <= 0 {
		d.fail()
		return time.Time{}
	}
	d.data = d.data[k:]
	nsec, k := binary.Uvarint(d.data)
	if k <= 0 || nsec >= 1e9 {
		d.fail()
		return time.Time{}
	}
	d.data = d.data[k:]
	return time.Unix(sec, int64(nsec)).UTC()
}

func (d *decoder) float() float64 {
	if len(d.data) < 8 {
		d.fail()
		return 0
	}
	f := math.Float64frombits(binary.LittleEndian.Uint64(d.data))
	d.data = d.data[8:]
	return f
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errTruncated
	}
	d.data = nil
}

// Which optional times an incident record holds.
const (
	hasAcknowledged = 1 << iota
	hasResolved
	hasUpdated
)

// Action item flags.
const (
	itemDone = 1 << iota
	itemHasDue
)

func encodeIncident(inc Incident) []byte {
	e := encoder{buf: make([]byte, 0, 96)}
	e.buf = append(e.buf, codecVersion)
	e.str(inc.ID)
	e.str(inc.Severity)
	e.str(inc.Service)
	e.str(inc.Team)
	e.str(inc.Postmortem)
	var flags byte
	if !inc.Acknowledged.IsZero() {
		flags |= hasAcknowledged
	}
	if !inc.Resolved.IsZero() {
		flags |= hasResolved
	}
	if !inc.Updated.IsZero() {
		flags |= hasUpdated
	}
	e.buf = append(e.buf, flags)
	e.time(inc.Opened)
	if flags&hasAcknowledged != 0 {
		e.time(inc.Acknowledged)
	}
	if flags&hasResolved != 0 {
		e.time(inc.Resolved)
	}
	if flags&hasUpdated != 0 {
		e.time(inc.Updated)
	}
	e.buf = binary.AppendUvarint(e.buf, uint64(len(inc.ActionItems)))
	for _, a := range inc.ActionItems {
		var f byte
		if a.Done {
			f |= itemDone
		}
		if !a.Due.IsZero() {
			f |= itemHasDue
		}
		e.buf = append(e.buf, f)
		if f&itemHasDue != 0 {
			e.time(a.Due)
		}
	}
	return e.buf
}

// decodeIncident reads either form; in, if not nil, shares label values.
func decodeIncident(data []byte, in interner) (Incident, error) {
	return decode(data, in, false)
}

// decodeForMetrics reads what the metrics need, without copying the
// per-incident strings: the ID is left empty and Postmortem only says
// whether there is one.
func decodeForMetrics(data []byte, in interner) (Incident, error) {
	return decode(data, in, true)
}

func decode(data []byte, in interner, forMetrics bool) (Incident, error) {
	var inc Incident
	if len(data) > 0 && data[0] == '{' {
		err := json.Unmarshal(data, &inc)
		return inc, err
	}
	if len(data) == 0 || data[0] != codecVersion {
		return inc, errors.New("unknown record format")
	}
	d := decoder{data: data[1:], in: in}
	if id := d.bytes(); !forMetrics {
		inc.ID = string(id)
	}
	inc.Severity = d.str()
	inc.Service = d.str()
	inc.Team = d.str()
	if pm := d.bytes(); len(pm) > 0 {
		inc.Postmortem = "yes"
		if !forMetrics {
			inc.Postmortem = string(pm)
		}
	}
	flags := d.byte()
	inc.Opened = d.time()
	if flags&hasAcknowledged != 0 {
		inc.Acknowledged = d.time()
	}
	if flags&hasResolved != 0 {
		inc.Resolved = d.time()
	}
	if flags&hasUpdated != 0 {
		inc.Updated = d.time()
	}
	n, k := binary.Uvarint(d.data)
	if k <= 0 || n > uint64(len(d.data)) {
		d.fail()
	} else {
		d.data = d.data[k:]
		if n > 0 {
			inc.ActionItems = make([]ActionItem, n)
		}
		for i := range inc.ActionItems {
			f := d.byte()
			inc.ActionItems[i].Done = f&itemDone != 0
			if f&itemHasDue != 0 {
				inc.ActionItems[i].Due = d.time()
			}
		}
	}
	if d.err == nil && len(d.data) != 0 {
		d.err = errors.New("trailing bytes after the record")
	}
	return inc, d.err
}

// Counted record flags.
const (
	countedResolved = 1 << iota
	countedAcked
)

func encodeCounted(c counted) []byte {
	e := encoder{buf: make([]byte, 0, 48)}
	e.buf = append(e.buf, codecVersion)
	e.str(c.Severity)
	e.str(c.Service)
	e.str(c.Team)
	var flags byte
	if c.Resolved {
		flags |= countedResolved
	}
	if c.Acked {
		flags |= countedAcked
	}
	e.buf = append(e.buf, flags)
	if c.Resolved {
		e.float(c.TTR)
	}
	if c.Acked {
		e.float(c.TTA)
	}
	return e.buf
}

func decodeCounted(data []byte, in interner) (counted, error) {
	var c counted
	if len(data) > 0 && data[0] == '{' {
		err := json.Unmarshal(data, &c)
		return c, err
	}
	if len(data) == 0 || data[0] != codecVersion {
		return c, errors.New("unknown record format")
	}
	d := decoder{data: data[1:], in: in}
	c.Severity = d.str()
	c.Service = d.str()
	c.Team = d.str()
	flags := d.byte()
	if flags&countedResolved != 0 {
		c.Resolved, c.TTR = true, d.float()
	}
	if flags&countedAcked != 0 {
		c.Acked, c.TTA = true, d.float()
	}
	if d.err == nil && len(d.data) != 0 {
		d.err = errors.New("trailing bytes after the record")
	}
	return c, d.err
}
