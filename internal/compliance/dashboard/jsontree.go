package dashboard

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// node is a JSON value that remembers the line it starts on, so findings
// about a panel point at the panel in the file.
type node struct {
	line  int
	keys  []string // object keys in file order
	obj   map[string]*node
	arr   []*node
	str   string
	isStr bool
	other any // numbers, booleans, null
}

// parseTree decodes src into a node tree.
func parseTree(src []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	p := &treeParser{dec: dec, src: src}
	root, err := p.value()
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("line %d: unexpected data after the dashboard", p.lineAt(int(dec.InputOffset())))
	}
	return root, nil
}

type treeParser struct {
	dec *json.Decoder
	src []byte
}

func (p *treeParser) lineAt(off int) int {
	// The decoder's offset is just past the previous token; skip the
	// separators to reach the value itself. A syntax error in the first
	// byte reports offset 0, hence the clamp.
	off = max(off, 0)
	for off < len(p.src) && bytes.IndexByte([]byte(" \t\r\n,:"), p.src[off]) >= 0 {
		off++
	}
	return bytes.Count(p.src[:min(off, len(p.src))], []byte("\n")) + 1
}

func (p *treeParser) value() (*node, error) {
	line := p.lineAt(int(p.dec.InputOffset()))
	tok, err := p.dec.Token()
	if err != nil {
		return nil, p.syntax(err)
	}
	n := &node{line: line}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n.obj = map[string]*node{}
			for p.dec.More() {
				kt, err := p.dec.Token()
				if err != nil {
					return nil, p.syntax(err)
				}
				key, _ := kt.(string)
				v, err := p.value()
				if err != nil {
					return nil, err
				}
				if _, dup := n.obj[key]; !dup {
					n.keys = append(n.keys, key)
				}
				n.obj[key] = v
			}
		case '[':
			n.arr = []*node{}
			for p.dec.More() {
				v, err := p.value()
				if err != nil {
					return nil, err
				}
				n.arr = append(n.arr, v)
			}
		}
		if _, err := p.dec.Token(); err != nil { // the closing delimiter
			return nil, p.syntax(err)
		}
	case string:
		n.str, n.isStr = t, true
	default:
		n.other = t
	}
	return n, nil
}

func (p *treeParser) syntax(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("line %d: %s", p.lineAt(int(se.Offset)-1), se.Error())
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("line %d: unexpected end of JSON", bytes.Count(p.src, []byte("\n"))+1)
	}
	return err
}

// get follows object keys; nil when any is missing.
func (n *node) get(keys ...string) *node {
	for _, k := range keys {
		if n == nil || n.obj == nil {
			return nil
		}
		n = n.obj[k]
	}
	return n
}

// text is a string value, or "" for anything else.
func (n *node) text() string {
	if n == nil || !n.isStr {
		return ""
	}
	return n.str
}

func (n *node) items() []*node {
	if n == nil {
		return nil
	}
	return n.arr
}
