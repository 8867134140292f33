package metrics

import (
	"fmt"
	"slices"
)

// Claims records the custom families of one configuration while it loads,
// so that a custom name never collides with a declared family, and two
// collectors never give one name two different types or label sets (either
// would make Prometheus reject the whole scrape).
type Claims struct {
	byName map[string]claim
}

type claim struct {
	family *Family
	where  string
}

// NewClaims returns an empty set of claims for one configuration load.
func NewClaims() *Claims { return &Claims{byName: map[string]claim{}} }

// Claim reserves f.Name for f; where names the setting that declares it
// (for example "collectors[2].tables[0].metrics[1]"). The same shape may be
// claimed again, so two instances of one collector can share a metric.
func (c *Claims) Claim(f *Family, where string) error {
	if d, ok := Reserved(f.Name); ok {
		if d.Name == f.Name {
			return fmt.Errorf("%q is a metric the exporter already exports (a %s); choose another name", f.Name, d.Type)
		}
		return fmt.Errorf("%q clashes with the series of the histogram %s; choose another name", f.Name, d.Name)
	}
	prev, ok := c.byName[f.Name]
	if !ok {
		c.byName[f.Name] = claim{family: f, where: where}
		return nil
	}
	switch {
	case prev.family.Type != f.Type:
		return fmt.Errorf("%q is already a %s in %s; one name needs one type", f.Name, prev.family.Type, prev.where)
	case !slices.Equal(prev.family.SortedLabels(), f.SortedLabels()):
		return fmt.Errorf("%q already has the labels %v in %s; one name needs one label set", f.Name, prev.family.SortedLabels(), prev.where)
	}
	return nil
}
