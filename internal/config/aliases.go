package config

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// maxExpandedNodes bounds how many nodes a document may have once every
// alias is expanded. The decoder visits an anchor again at each of its
// aliases, so a few KB of nested aliases (a "billion laughs" file) would
// otherwise take minutes and gigabytes; real configurations stay far below.
const maxExpandedNodes = 200_000

// checkAliases fails when root expands to more than limit nodes, or when an
// alias refers to a node that contains it, naming the line of the alias
// that crosses the limit. It counts without expanding: each anchored node's
// expanded size is computed once.
func checkAliases(file string, root *yaml.Node, limit int) error {
	c := aliasCounter{file: file, limit: limit, sizes: map[*yaml.Node]int{}, open: map[*yaml.Node]bool{}}
	return c.walk(root)
}

type aliasCounter struct {
	file  string
	limit int
	used  int
	sizes map[*yaml.Node]int // expanded size of each node already counted
	open  map[*yaml.Node]bool
}

// walk adds n's expanded size to the count in document order, so the error
// names the first alias whose expansion crosses the limit.
func (c *aliasCounter) walk(n *yaml.Node) error {
	if n.Kind == yaml.AliasNode {
		size, err := c.size(n)
		if err != nil {
			return err
		}
		c.used += size
		if c.used > c.limit {
			return c.tooMany(n)
		}
		return nil
	}
	c.used++
	if c.used > c.limit {
		return c.tooMany(n)
	}
	for _, child := range n.Content {
		if err := c.walk(child); err != nil {
			return err
		}
	}
	return nil
}

// size is n's expanded node count, capped just above the limit so that
// deep nesting cannot overflow it.
func (c *aliasCounter) size(n *yaml.Node) (int, error) {
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return 1, nil
		}
		if c.open[n.Alias] {
			return 0, &Error{File: c.file, Line: n.Line, Msg: fmt.Sprintf("alias *%s refers to a node that contains it", n.Value)}
		}
		return c.size(n.Alias)
	}
	if s, ok := c.sizes[n]; ok {
		return s, nil
	}
	c.open[n] = true
	total := 1
	for _, child := range n.Content {
		s, err := c.size(child)
		if err != nil {
			return 0, err
		}
		total = min(total+s, c.limit+1)
	}
	delete(c.open, n)
	c.sizes[n] = total
	return total, nil
}

func (c *aliasCounter) tooMany(n *yaml.Node) error {
	return &Error{File: c.file, Line: n.Line, Msg: fmt.Sprintf("the document expands to more than %d nodes once its aliases are expanded (nested aliases, as in a \"billion laughs\" file)", c.limit)}
}
