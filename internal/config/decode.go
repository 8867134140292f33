package config

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sre-value/sre-value-exporter/internal/mask"
)

// Error is a configuration mistake with the file, line and field it is in.
type Error struct {
	File  string
	Line  int
	Field string
	Msg   string
}

func (e *Error) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Field == "" {
		return fmt.Sprintf("%s: %s", loc, e.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", loc, e.Field, e.Msg)
}

// Decoder decodes YAML nodes strictly: unknown keys, duplicate keys and
// values of the wrong type are errors naming the file, line and field path.
// yaml.v3's KnownFields is lost inside custom unmarshalers, which is why
// collector-specific settings are decoded with this instead.
type Decoder struct {
	File string
}

// Errorf returns an Error at node's line for field.
func (d Decoder) Errorf(node *yaml.Node, field, format string, args ...any) *Error {
	line := 0
	if node != nil {
		line = node.Line
	}
	return &Error{File: d.File, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Decode decodes node into out (a pointer). field is the path of node, used
// in error messages ("collectors[2].jira"). It goes on past a mistake, so
// the error it returns lists every mistake in node (see Join).
func (d Decoder) Decode(node *yaml.Node, field string, out any) error {
	v := reflect.ValueOf(out)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return fmt.Errorf("config: decode target must be a non-nil pointer")
	}
	var errs []error
	d.decode(node, field, v.Elem(), &errs)
	return Join(errs...)
}

var (
	unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()
	nodeType        = reflect.TypeFor[yaml.Node]()
)

func (d Decoder) decode(node *yaml.Node, field string, v reflect.Value, errs *[]error) {
	fail := func(n *yaml.Node, field, format string, args ...any) {
		*errs = append(*errs, d.Errorf(n, field, format, args...))
	}
	if node.Kind == yaml.DocumentNode && len(node.Content) == 1 {
		node = node.Content[0]
	}
	if node.Kind == yaml.AliasNode {
		node = node.Alias
	}
	if v.Type() == nodeType {
		v.Set(reflect.ValueOf(*node))
		return
	}
	if reflect.PointerTo(v.Type()).Implements(unmarshalerType) {
		if err := node.Decode(v.Addr().Interface()); err != nil {
			fail(node, field, "%s", cleanYAMLError(err))
		}
		return
	}
	if node.Tag == "!!null" {
		v.Set(reflect.Zero(v.Type()))
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(node, field, v.Elem(), errs)
	case reflect.Struct:
		d.decodeStruct(node, field, v, errs)
	case reflect.Slice:
		if node.Kind != yaml.SequenceNode {
			fail(node, field, "expected a list, got %s", describe(node))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(node.Content), len(node.Content))
		for i, item := range node.Content {
			d.decode(item, fmt.Sprintf("%s[%d]", field, i), s.Index(i), errs)
		}
		v.Set(s)
	case reflect.Map:
		if node.Kind != yaml.MappingNode {
			fail(node, field, "expected a mapping, got %s", describe(node))
			return
		}
		m := reflect.MakeMap(v.Type())
		for i := 0; i+1 < len(node.Content); i += 2 {
			k, val := node.Content[i], node.Content[i+1]
			key := reflect.New(v.Type().Key()).Elem()
			if key.Kind() == reflect.String && k.Kind == yaml.ScalarNode {
				// Keys name things; only values expand ${ENV} references.
				key.SetString(k.Value)
			} else {
				before := len(*errs)
				d.decode(k, field, key, errs)
				if len(*errs) > before {
					continue
				}
			}
			if m.MapIndex(key).IsValid() {
				fail(k, field, "duplicate key %s", mask.Quote(k.Value))
				continue
			}
			elem := reflect.New(v.Type().Elem()).Elem()
			d.decode(val, joinField(field, keyName(k.Value)), elem, errs)
			m.SetMapIndex(key, elem)
		}
		v.Set(m)
	default:
		if node.Kind != yaml.ScalarNode {
			fail(node, field, "expected a %s, got %s", kindName(v), describe(node))
			return
		}
		if err := d.decodeScalar(node, v); err != nil {
			fail(node, field, "%s", err)
		}
	}
}

// hasCredentials reports whether s is an http(s) URL with a user or
// password in it, a secret that would bypass the ${ENV}/_file rule.
func hasCredentials(s string) bool {
	u, err := url.Parse(strings.TrimSpace(s))
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.User != nil
}

// secretParams are query parameters that carry credentials by convention
// (OAuth's access_token, GitLab's private_token, signed URLs' signature).
var secretParams = map[string]bool{
	"token": true, "access_token": true, "api_key": true, "apikey": true, "api-key": true,
	"password": true, "passwd": true, "pwd": true, "secret": true, "client_secret": true,
	"private_token": true, "auth": true, "sig": true, "signature": true, "x-amz-signature": true,
}

// secretParam returns the first query parameter of an http(s) URL that
// carries a credential, or "".
func secretParam(s string) string {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.RawQuery == "" {
		return ""
	}
	for _, name := range slices.Sorted(maps.Keys(u.Query())) {
		if secretParams[strings.ToLower(name)] {
			return name
		}
	}
	return ""
}

// decodeScalar sets v from a scalar node. Whole-number settings take only
// YAML integers: yaml.v3 would silently cut 9.5 to 9.
func (d Decoder) decodeScalar(node *yaml.Node, v reflect.Value) error {
	cannot := fmt.Errorf("cannot use %s as a %s", mask.Quote(node.Value), kindName(v))
	switch v.Kind() {
	case reflect.String:
		s, err := ExpandEnv(node.Value)
		if err != nil {
			return err
		}
		if hasCredentials(s) {
			return errors.New("a URL must not carry credentials (user:password@): URLs are shown in errors and on the landing page; put the secret in token or token_file")
		}
		if p := secretParam(s); p != "" {
			return fmt.Errorf("a URL must not carry a credential in its query (%s=...): URLs are shown in errors and on the landing page; put the secret in token or token_file", p)
		}
		v.SetString(s)
		return nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if node.ShortTag() != "!!int" {
			return cannot
		}
	}
	if err := node.Decode(v.Addr().Interface()); err != nil {
		return cannot
	}
	return nil
}

func (d Decoder) decodeStruct(node *yaml.Node, field string, v reflect.Value, errs *[]error) {
	if node.Kind != yaml.MappingNode {
		*errs = append(*errs, d.Errorf(node, field, "expected a mapping, got %s", describe(node)))
		return
	}
	fields := map[string]int{}
	remain := -1
	t := v.Type()
	// A field tagged `yaml:",line"` receives the line the mapping starts on,
	// so validation done after decoding can still name the line.
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if opts == "remain" {
			remain = i
			continue
		}
		if opts == "line" {
			v.Field(i).SetInt(int64(node.Line))
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fields[name] = i
	}
	seen := map[string]bool{}
	var rest *yaml.Node
	for i := 0; i+1 < len(node.Content); i += 2 {
		k, val := node.Content[i], node.Content[i+1]
		if seen[k.Value] {
			*errs = append(*errs, d.Errorf(k, joinField(field, k.Value), "set more than once"))
			continue
		}
		seen[k.Value] = true
		idx, ok := fields[k.Value]
		if !ok {
			if remain >= 0 {
				if rest == nil {
					rest = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: node.Line, Column: node.Column}
				}
				rest.Content = append(rest.Content, k, val)
				continue
			}
			// A key close to a known field is a typo, safe to quote whole.
			quoted, hint := mask.Quote(k.Value), suggest(k.Value, fields)
			if hint != "" {
				quoted = strconv.Quote(k.Value)
			}
			*errs = append(*errs, d.Errorf(k, field, "unknown field %s%s", quoted, hint))
			continue
		}
		d.decode(val, joinField(field, k.Value), v.Field(idx), errs)
	}
	if remain >= 0 {
		if rest == nil {
			rest = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: node.Line, Column: node.Column}
		}
		v.Field(remain).Set(reflect.ValueOf(*rest))
	}
}

// keyName is a map key as shown in a field path: masked when it is long,
// since a key is a user value too.
func keyName(key string) string {
	if q := mask.Quote(key); strings.HasSuffix(q, "…\"") {
		return q
	}
	return key
}

func joinField(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	default:
		return mask.Quote(n.Value)
	}
}

func kindName(v reflect.Value) string {
	switch v.Kind() {
	case reflect.Bool:
		return "boolean (true or false)"
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint, reflect.Uint64, reflect.Uint32:
		return "whole number"
	case reflect.Float64, reflect.Float32:
		return "number"
	case reflect.String:
		return "string"
	default:
		return v.Type().String()
	}
}

// suggest names the closest known field, for typos.
func suggest(key string, fields map[string]int) string {
	best, bestDist := "", 3
	for name := range fields {
		if d := distance(key, name); d < bestDist || (d == bestDist && best != "" && name < best) {
			best, bestDist = name, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

func cleanYAMLError(err error) string {
	s := err.Error()
	s = strings.TrimPrefix(s, "yaml: unmarshal errors:\n  ")
	return strings.TrimPrefix(s, "yaml: ")
}

// LineOf returns the line of the setting at path (such as "tables[1].path"
// or "url") inside node, a mapping, or 0 if it is not there. Errors found
// after decoding then point at the setting rather than at its section.
func LineOf(node *yaml.Node, path string) int {
	line := 0
	for _, part := range strings.Split(path, ".") {
		name, rest, _ := strings.Cut(part, "[")
		if name != "" {
			if node == nil || node.Kind != yaml.MappingNode {
				return line
			}
			var found *yaml.Node
			for i := 0; i+1 < len(node.Content); i += 2 {
				if node.Content[i].Value == name {
					line, found = node.Content[i].Line, node.Content[i+1]
					break
				}
			}
			if found == nil {
				return line
			}
			node = found
		}
		for rest != "" {
			var idx string
			idx, rest, _ = strings.Cut(rest, "]")
			rest = strings.TrimPrefix(rest, "[")
			i, err := strconv.Atoi(idx)
			if err != nil || node.Kind != yaml.SequenceNode || i < 0 || i >= len(node.Content) {
				return line
			}
			node = node.Content[i]
			line = node.Line
		}
	}
	return line
}
