package config

import (
	"fmt"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
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
// in error messages ("collectors[2].jira").
func (d Decoder) Decode(node *yaml.Node, field string, out any) error {
	v := reflect.ValueOf(out)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return fmt.Errorf("config: decode target must be a non-nil pointer")
	}
	return d.decode(node, field, v.Elem())
}

var (
	unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()
	nodeType        = reflect.TypeFor[yaml.Node]()
)

func (d Decoder) decode(node *yaml.Node, field string, v reflect.Value) error {
	if node.Kind == yaml.DocumentNode && len(node.Content) == 1 {
		node = node.Content[0]
	}
	if node.Kind == yaml.AliasNode {
		node = node.Alias
	}
	if v.Type() == nodeType {
		v.Set(reflect.ValueOf(*node))
		return nil
	}
	if reflect.PointerTo(v.Type()).Implements(unmarshalerType) {
		if err := node.Decode(v.Addr().Interface()); err != nil {
			return d.Errorf(node, field, "%s", cleanYAMLError(err))
		}
		return nil
	}
	if node.Tag == "!!null" {
		v.Set(reflect.Zero(v.Type()))
		return nil
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		return d.decode(node, field, v.Elem())
	case reflect.Struct:
		return d.decodeStruct(node, field, v)
	case reflect.Slice:
		if node.Kind != yaml.SequenceNode {
			return d.Errorf(node, field, "expected a list, got %s", describe(node))
		}
		s := reflect.MakeSlice(v.Type(), len(node.Content), len(node.Content))
		for i, item := range node.Content {
			if err := d.decode(item, fmt.Sprintf("%s[%d]", field, i), s.Index(i)); err != nil {
				return err
			}
		}
		v.Set(s)
		return nil
	case reflect.Map:
		if node.Kind != yaml.MappingNode {
			return d.Errorf(node, field, "expected a mapping, got %s", describe(node))
		}
		m := reflect.MakeMap(v.Type())
		for i := 0; i+1 < len(node.Content); i += 2 {
			k, val := node.Content[i], node.Content[i+1]
			key := reflect.New(v.Type().Key()).Elem()
			if err := d.decode(k, field, key); err != nil {
				return err
			}
			if m.MapIndex(key).IsValid() {
				return d.Errorf(k, field, "duplicate key %q", k.Value)
			}
			elem := reflect.New(v.Type().Elem()).Elem()
			if err := d.decode(val, joinField(field, k.Value), elem); err != nil {
				return err
			}
			m.SetMapIndex(key, elem)
		}
		v.Set(m)
		return nil
	default:
		if node.Kind != yaml.ScalarNode {
			return d.Errorf(node, field, "expected a %s, got %s", kindName(v), describe(node))
		}
		if err := node.Decode(v.Addr().Interface()); err != nil {
			return d.Errorf(node, field, "cannot use %q as a %s", node.Value, kindName(v))
		}
		return nil
	}
}

func (d Decoder) decodeStruct(node *yaml.Node, field string, v reflect.Value) error {
	if node.Kind != yaml.MappingNode {
		return d.Errorf(node, field, "expected a mapping, got %s", describe(node))
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
			return d.Errorf(k, joinField(field, k.Value), "set more than once")
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
			return d.Errorf(k, field, "unknown field %q%s", k.Value, suggest(k.Value, fields))
		}
		if err := d.decode(val, joinField(field, k.Value), v.Field(idx)); err != nil {
			return err
		}
	}
	if remain >= 0 {
		if rest == nil {
			rest = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: node.Line, Column: node.Column}
		}
		v.Field(remain).Set(reflect.ValueOf(*rest))
	}
	return nil
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
		return fmt.Sprintf("%q", n.Value)
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
