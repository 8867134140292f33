package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"

	"github.com/sre-value/sre-value-exporter/internal/mask"
)

// OpenSLO v1 files (the top-level openslo_files: globs, relative to the
// config file) are read into the same SLO model as slos:, so generate
// builds the same rules and alerts from them. Only what maps exactly is
// accepted: kind SLO with one rolling time window, one objective and a
// ratio SLI of Prometheus queries (inline or a kind SLI by indicatorRef),
// budgeting by occurrences. Everything else OpenSLO can say (threshold
// metrics, calendar windows, time slices, several objectives, alert
// policies, data source references) is refused with its file and line,
// never silently dropped.

// openSLOAPIVersion is the only OpenSLO version read.
const openSLOAPIVersion = "openslo/v1"

// maxOpenSLOFileBytes bounds what one OpenSLO file may make the loader read.
const maxOpenSLOFileBytes = 4 << 20

// onode is a YAML node of an OpenSLO file with its field path and the
// line of its key, where a mistake in a list or mapping value is reported.
type onode struct {
	file, path string
	n          *yaml.Node
	keyLine    int
}

func (o onode) errf(format string, args ...any) error {
	line := o.keyLine
	if line == 0 {
		line = o.n.Line
	}
	return &Error{File: o.file, Line: line, Field: o.path, Msg: fmt.Sprintf(format, args...)}
}

func (o onode) child(key string, n *yaml.Node) onode {
	p := key
	if o.path != "" {
		p = o.path + "." + key
	}
	return onode{file: o.file, path: p, n: n}
}

// fields reads a mapping whose keys must be in known; a key of refused is
// refused with its reason. Descriptive keys (displayName, labels, ...)
// are in known and simply not used.
func (o onode) fields(known []string, refused map[string]string) (map[string]onode, error) {
	if o.n.Kind != yaml.MappingNode {
		return nil, o.errf("expected a mapping")
	}
	out := map[string]onode{}
	var errs []error
	for i := 0; i+1 < len(o.n.Content); i += 2 {
		k, v := o.n.Content[i], o.n.Content[i+1]
		c := o.child(k.Value, v)
		c.keyLine = k.Line
		if why, ok := refused[k.Value]; ok {
			errs = append(errs, &Error{File: o.file, Line: k.Line, Field: c.path, Msg: "not supported: " + why})
			continue
		}
		if !slices.Contains(known, k.Value) {
			errs = append(errs, &Error{File: o.file, Line: k.Line, Field: c.path, Msg: "unknown field for OpenSLO " + openSLOAPIVersion})
			continue
		}
		if _, dup := out[k.Value]; dup {
			errs = append(errs, &Error{File: o.file, Line: k.Line, Field: c.path, Msg: "given twice"})
			continue
		}
		out[k.Value] = c
	}
	return out, Join(errs...)
}

// str is a required scalar string field.
func str(m map[string]onode, parent onode, key string) (string, onode, error) {
	c, ok := m[key]
	if !ok {
		return "", parent.child(key, parent.n), parent.child(key, parent.n).errf("must be set")
	}
	if c.n.Kind != yaml.ScalarNode || c.n.Value == "" {
		return "", c, c.errf("expected a non-empty string")
	}
	return c.n.Value, c, nil
}

// loadOpenSLO reads the files openslo_files names and appends their SLOs.
func (c *Config) loadOpenSLO(root *yaml.Node) []error {
	if len(c.OpenSLOFiles) == 0 {
		return nil
	}
	items := findKey(root, "openslo_files")
	var errs []error
	var files []string
	seen := map[string]bool{}
	for i, pattern := range c.OpenSLOFiles {
		line := 0
		if items != nil && items.Kind == yaml.SequenceNode && i < len(items.Content) {
			line = items.Content[i].Line
		}
		field := fmt.Sprintf("openslo_files[%d]", i)
		p := pattern
		if !filepath.IsAbs(p) {
			p = filepath.Join(c.Dir, p)
		}
		matches, err := filepath.Glob(p)
		if err != nil {
			errs = append(errs, &Error{File: c.File, Line: line, Field: field, Msg: fmt.Sprintf("%s is not a valid glob: %v", mask.Quote(pattern), err)})
			continue
		}
		if len(matches) == 0 {
			errs = append(errs, &Error{File: c.File, Line: line, Field: field, Msg: fmt.Sprintf("%s matches no file", mask.Quote(pattern))})
			continue
		}
		slices.Sort(matches)
		for _, m := range matches {
			if !seen[m] {
				seen[m] = true
				files = append(files, m)
			}
		}
	}
	taken := map[string]string{} // service/name -> where
	for _, s := range c.SLOs {
		taken[s.Service+"/"+s.Name] = fmt.Sprintf("%s:%d", c.File, s.Line)
	}
	for _, f := range files {
		slos, err := ParseOpenSLO(f)
		if err != nil {
			errs = append(errs, unjoin(err)...)
			continue
		}
		for _, s := range slos {
			key := s.Service + "/" + s.Name
			if where, dup := taken[key]; dup {
				errs = append(errs, &Error{File: f, Line: s.Line, Field: "metadata.name", Msg: fmt.Sprintf("service %s already has an SLO named %s (%s)", s.Service, s.Name, where)})
				continue
			}
			taken[key] = fmt.Sprintf("%s:%d", f, s.Line)
			c.SLOs = append(c.SLOs, s)
		}
	}
	return errs
}

// ParseOpenSLO reads the OpenSLO v1 documents of file into SLOs, in file
// order. Every mistake and unsupported feature is reported with its line.
func ParseOpenSLO(file string) ([]SLO, error) {
	fh, err := os.Open(file)
	if err != nil {
		return nil, &Error{File: file, Msg: fmt.Sprintf("cannot read: %v", errors.Unwrap(err))}
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, maxOpenSLOFileBytes+1))
	if err != nil {
		return nil, &Error{File: file, Msg: fmt.Sprintf("cannot read: %v", err)}
	}
	if len(data) > maxOpenSLOFileBytes {
		return nil, &Error{File: file, Msg: fmt.Sprintf("larger than %d bytes", maxOpenSLOFileBytes)}
	}
	return parseOpenSLO(file, data)
}

func parseOpenSLO(file string, data []byte) ([]SLO, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*yaml.Node
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, syntaxError(file, data, err)
		}
		if err := checkAliases(file, &doc, maxExpandedNodes); err != nil {
			return nil, err
		}
		// An empty document (a trailing "---") holds nothing.
		if len(doc.Content) == 0 || doc.Content[0].Kind == yaml.ScalarNode && doc.Content[0].Tag == "!!null" {
			continue
		}
		docs = append(docs, doc.Content[0])
	}
	var errs []error
	type sloDoc struct {
		meta, spec onode
		name       string
	}
	var slos []sloDoc
	slis := map[string]onode{} // SLI name -> its spec
	for _, d := range docs {
		top := onode{file: file, n: d}
		m, err := top.fields([]string{"apiVersion", "kind", "metadata", "spec"}, nil)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		version, vnode, err := str(m, top, "apiVersion")
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if version != openSLOAPIVersion {
			errs = append(errs, vnode.errf("%s is not supported; only %s is read", mask.Quote(version), openSLOAPIVersion))
			continue
		}
		kind, knode, err := str(m, top, "kind")
		if err != nil {
			errs = append(errs, err)
			continue
		}
		switch kind {
		case "SLO", "SLI":
		case "Service":
			continue // a description of the service; SLOs name it in spec.service
		case "AlertPolicy", "AlertCondition", "AlertNotificationTarget":
			errs = append(errs, knode.errf("not supported: generate builds its own multi-window multi-burn-rate alerts for every SLO (docs/slos.md); remove the %s", kind))
			continue
		case "DataSource":
			errs = append(errs, knode.errf("not supported: the rules run in the Prometheus that loads them; give metricSource.type Prometheus and spec.query inline"))
			continue
		default:
			errs = append(errs, knode.errf("%s is not an OpenSLO v1 kind this reads (SLO, SLI, Service)", mask.Quote(kind)))
			continue
		}
		meta, ok := m["metadata"]
		if !ok {
			errs = append(errs, top.errf("metadata: must be set"))
			continue
		}
		name, err := openSLOName(meta)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		spec, ok := m["spec"]
		if !ok {
			errs = append(errs, top.errf("spec: must be set"))
			continue
		}
		if kind == "SLI" {
			if prev, dup := slis[name]; dup {
				errs = append(errs, meta.errf("SLI %s is already defined at line %d", name, prev.n.Line))
				continue
			}
			slis[name] = spec
			continue
		}
		slos = append(slos, sloDoc{meta: meta, spec: spec, name: name})
	}
	var out []SLO
	for _, d := range slos {
		s, err := openSLOToSLO(d.name, d.meta, d.spec, slis)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, s)
	}
	if err := Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// openSLOName reads metadata.name, which must do as an sre_slo label and
// part of an alert name.
func openSLOName(meta onode) (string, error) {
	m, err := meta.fields([]string{"name", "displayName", "labels", "annotations"}, nil)
	if err != nil {
		return "", err
	}
	name, n, err := str(m, meta, "name")
	if err != nil {
		return "", err
	}
	if !sloName.MatchString(name) {
		return "", n.errf("%s must be lower-case letters, digits and hyphens, starting with a letter", mask.Quote(name))
	}
	return name, nil
}

func openSLOToSLO(name string, meta, spec onode, slis map[string]onode) (SLO, error) {
	s := SLO{Name: name, Line: meta.n.Line}
	m, err := spec.fields(
		[]string{"description", "service", "indicator", "indicatorRef", "timeWindow", "budgetingMethod", "objectives"},
		map[string]string{"alertPolicies": "generate builds its own multi-window multi-burn-rate alerts for every SLO (docs/slos.md)"})
	if err != nil {
		return s, err
	}
	var errs []error
	if d, ok := m["description"]; ok {
		s.Description = strings.TrimSpace(d.n.Value)
	}
	service, sn, err := str(m, spec, "service")
	switch {
	case err != nil:
		errs = append(errs, err)
	case !sloName.MatchString(service):
		errs = append(errs, sn.errf("%s must be lower-case letters, digits and hyphens, starting with a letter", mask.Quote(service)))
	default:
		s.Service = service
	}
	if bm, ok := m["budgetingMethod"]; ok && bm.n.Value != "Occurrences" {
		errs = append(errs, bm.errf("%s is not supported; only Occurrences (a ratio of good to all events over the window)", mask.Quote(bm.n.Value)))
	}
	if p, err := openSLOWindow(m, spec); err != nil {
		errs = append(errs, err)
	} else {
		s.Period = p
	}
	if o, err := openSLOObjective(m, spec); err != nil {
		errs = append(errs, err)
	} else {
		s.Objective = o
	}
	var sli onode
	ind, inline := m["indicator"]
	ref, byRef := m["indicatorRef"]
	switch {
	case inline && byRef:
		errs = append(errs, ref.errf("give indicator or indicatorRef, not both"))
	case inline:
		im, err := ind.fields([]string{"metadata", "spec"}, nil)
		if err != nil {
			errs = append(errs, err)
			break
		}
		isp, ok := im["spec"]
		if !ok {
			errs = append(errs, ind.errf("spec: must be set"))
			break
		}
		sli = isp
	case byRef:
		got, ok := slis[ref.n.Value]
		if !ok {
			errs = append(errs, ref.errf("no SLI named %s in this file", mask.Quote(ref.n.Value)))
			break
		}
		sli = got
	default:
		errs = append(errs, spec.errf("indicator or indicatorRef must be set"))
	}
	if sli.n != nil {
		if e, t, err := openSLOQueries(sli); err != nil {
			errs = append(errs, err)
		} else {
			s.ErrorQuery, s.TotalQuery = e, t
		}
	}
	return s, Join(errs...)
}

// openSLOWindow reads the one rolling time window.
func openSLOWindow(m map[string]onode, spec onode) (Duration, error) {
	tw, ok := m["timeWindow"]
	if !ok {
		return DefaultSLOPeriod, nil
	}
	if tw.n.Kind != yaml.SequenceNode || len(tw.n.Content) != 1 {
		return 0, tw.errf("give exactly one time window")
	}
	w := onode{file: tw.file, path: tw.path + "[0]", n: tw.n.Content[0]}
	wm, err := w.fields([]string{"duration", "isRolling"}, map[string]string{
		"calendar": "calendar-aligned windows; use a rolling window (isRolling: true)",
	})
	if err != nil {
		return 0, err
	}
	if r, ok := wm["isRolling"]; !ok || r.n.Value != "true" {
		at := w
		if ok {
			at = r
		}
		return 0, at.errf("not supported: calendar-aligned windows; set isRolling: true")
	}
	d, dn, err := str(wm, w, "duration")
	if err != nil {
		return 0, err
	}
	v, perr := model.ParseDuration(d)
	if perr != nil || v <= 0 {
		return 0, dn.errf("%s is not a fixed duration such as 28d, 4w or 30d (months, quarters and years vary in length)", mask.Quote(d))
	}
	return Duration(v), nil
}

// openSLOObjective reads the one objective as a percentage.
func openSLOObjective(m map[string]onode, spec onode) (Percent, error) {
	objs, ok := m["objectives"]
	if !ok {
		return 0, spec.errf("objectives: must be set")
	}
	if objs.n.Kind != yaml.SequenceNode || len(objs.n.Content) != 1 {
		return 0, objs.errf("give exactly one objective (declare another SLO for another target)")
	}
	o := onode{file: objs.file, path: objs.path + "[0]", n: objs.n.Content[0]}
	om, err := o.fields([]string{"displayName", "target", "targetPercent"}, map[string]string{
		"op":              "threshold objectives; the SLI must be a ratio of events",
		"value":           "threshold objectives; the SLI must be a ratio of events",
		"timeSliceTarget": "time slices; budget by occurrences",
		"timeSliceWindow": "time slices; budget by occurrences",
		"indicator":       "an indicator per objective (composite SLOs)",
		"indicatorRef":    "an indicator per objective (composite SLOs)",
		"compositeWeight": "composite SLOs",
	})
	if err != nil {
		return 0, err
	}
	t, share := om["target"]
	tp, percent := om["targetPercent"]
	var at onode
	var r *big.Rat
	switch {
	case share && percent:
		return 0, tp.errf("give target or targetPercent, not both")
	case share:
		at = t
		v, ok := new(big.Rat).SetString(t.n.Value)
		if !ok || v.Sign() <= 0 || v.Cmp(big.NewRat(1, 1)) >= 0 {
			return 0, t.errf("%s must be a share above 0 and below 1, such as 0.995", mask.Quote(t.n.Value))
		}
		r = v.Mul(v, big.NewRat(100, 1))
	case percent:
		at = tp
		v, ok := new(big.Rat).SetString(tp.n.Value)
		if !ok {
			return 0, tp.errf("%s is not a number", mask.Quote(tp.n.Value))
		}
		r = v
	default:
		return 0, o.errf("target or targetPercent must be set")
	}
	f, _ := r.Float64()
	if err := CheckObjective(f, strconv.FormatFloat(f, 'f', -1, 64)); err != nil {
		return 0, at.errf("%v", err)
	}
	return Percent(f), nil
}

// openSLOQueries turns an SLI's ratioMetric into the error and total
// queries: bad / total as they are, good / total as (total - good) / total.
func openSLOQueries(sli onode) (errorQuery, totalQuery SLIQuery, err error) {
	m, err := sli.fields([]string{"description", "ratioMetric"}, map[string]string{
		"thresholdMetric": "threshold metrics; the SLI must be a ratioMetric of good or bad events over total",
	})
	if err != nil {
		return "", "", err
	}
	rm, ok := m["ratioMetric"]
	if !ok {
		return "", "", sli.errf("ratioMetric must be set")
	}
	rf, err := rm.fields([]string{"counter", "good", "bad", "total"}, map[string]string{
		"rawType": "raw ratios; give good or bad and total queries",
		"raw":     "raw ratios; give good or bad and total queries",
	})
	if err != nil {
		return "", "", err
	}
	counter := false
	if c, ok := rf["counter"]; ok {
		if c.n.Value != "true" && c.n.Value != "false" {
			return "", "", c.errf("expected true or false")
		}
		counter = c.n.Value == "true"
	}
	query := func(key string) (SLIQuery, error) {
		return openSLOQuery(rf[key], counter)
	}
	good, hasGood := rf["good"]
	bad, hasBad := rf["bad"]
	if _, ok := rf["total"]; !ok {
		return "", "", rm.errf("total must be set")
	}
	total, err := query("total")
	if err != nil {
		return "", "", err
	}
	switch {
	case hasGood && hasBad:
		return "", "", bad.errf("give good or bad, not both")
	case hasBad:
		e, err := query("bad")
		return e, total, err
	case hasGood:
		g, err := query("good")
		if err != nil {
			return "", "", err
		}
		e := SLIQuery("(" + string(total) + ")\n-\n(" + string(g) + ")")
		if _, err := e.For("5m"); err != nil {
			return "", "", good.errf("%v", err)
		}
		return e, total, nil
	}
	return "", "", rm.errf("good or bad must be set")
}

// openSLOQuery reads good, bad or total: a Prometheus metric source whose
// query has the {{.window}} placeholder, or, for a counter, is a plain
// series selector that becomes sum(rate(selector[{{.window}}])).
func openSLOQuery(n onode, counter bool) (SLIQuery, error) {
	m, err := n.fields([]string{"metricSource"}, nil)
	if err != nil {
		return "", err
	}
	src, ok := m["metricSource"]
	if !ok {
		return "", n.errf("metricSource must be set")
	}
	sm, err := src.fields([]string{"type", "spec"}, map[string]string{
		"metricSourceRef": "data source references; the rules run in the Prometheus that loads them, so give type Prometheus and spec.query inline",
	})
	if err != nil {
		return "", err
	}
	typ, tn, err := str(sm, src, "type")
	if err != nil {
		return "", err
	}
	if !strings.EqualFold(typ, "Prometheus") {
		return "", tn.errf("%s is not supported; only Prometheus queries become rules", mask.Quote(typ))
	}
	spec, ok := sm["spec"]
	if !ok {
		return "", src.errf("spec: must be set")
	}
	qm, err := spec.fields([]string{"query"}, nil)
	if err != nil {
		return "", err
	}
	q, qn, err := str(qm, spec, "query")
	if err != nil {
		return "", err
	}
	q = strings.TrimSpace(q)
	if strings.Contains(q, "{{") {
		if _, err := SLIQuery(q).For("5m"); err != nil {
			return "", qn.errf("%v", err)
		}
		return SLIQuery(q), nil
	}
	expr, perr := parser.NewParser(parser.Options{}).ParseExpr(q)
	if perr != nil {
		return "", qn.errf("not valid PromQL: %v", perr)
	}
	if _, ok := expr.(*parser.VectorSelector); !ok || !counter {
		return "", qn.errf("write the query over the range {{.window}}, such as sum(rate(http_requests_total[{{.window}}])); only a plain series selector with counter: true is turned into sum(rate(selector[{{.window}}]))")
	}
	return SLIQuery("sum(rate(" + q + "[{{.window}}]))"), nil
}
