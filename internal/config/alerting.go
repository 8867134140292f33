package config

import (
	"fmt"
	"math"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/sre-value/sre-value-exporter/internal/mask"
)

// Alerting holds the targets and thresholds of the generated alerts (the
// optional top-level `alerting:` section, read by `generate`). Each value
// type checks its own range while decoding, so a mistake names the file,
// line and field like any other.
type Alerting struct {
	Engagement EngagementAlerting `yaml:"engagement"`
	// TrainingCompletionTarget is the share of enrolments a team should
	// have completed.
	TrainingCompletionTarget Ratio `yaml:"training_completion_target"`
	// MinTrainingEnrollments keeps teams with few enrolments from alerting.
	MinTrainingEnrollments Count `yaml:"min_training_enrollments"`
	// ChampionCoverageTarget is the share of teams with an active champion.
	ChampionCoverageTarget Ratio `yaml:"champion_coverage_target"`
	// MTTRRegressionFactor: the 30-day MTTR above this times the 90-day MTTR.
	MTTRRegressionFactor Factor `yaml:"mttr_regression_factor"`
	// IncidentSpikeFactor: the last 7 days' incidents above this times the
	// 30-day weekly average.
	IncidentSpikeFactor Factor `yaml:"incident_spike_factor"`
	// MinIncidents is the fewest incidents (resolved in 30 days for MTTR,
	// opened in 7 days for a spike) that can alert.
	MinIncidents Count `yaml:"min_incidents"`
	// OverdueActionItemsMax is how many overdue action items a team may
	// have before it alerts.
	OverdueActionItemsMax Count `yaml:"overdue_action_items_max"`
	// FormatComplianceTarget is the share of documents that should pass
	// their template over 30 days.
	FormatComplianceTarget Ratio `yaml:"format_compliance_target"`
	// MinFormatDocuments keeps sources with few checked documents quiet.
	MinFormatDocuments Count `yaml:"min_format_documents"`
	// CollectorStaleFactor: data older than this many refresh intervals is
	// stale.
	CollectorStaleFactor Factor `yaml:"collector_stale_factor"`
}

// EngagementAlerting configures the engagement-drop alerts: the last 7
// days below DropFraction of the trailing 4-week average, only where the
// trailing 30 days reached the minimum volume.
type EngagementAlerting struct {
	DropFraction Ratio `yaml:"drop_fraction"`
	// OfficeHoursKind is the events-table kind of office hours.
	OfficeHoursKind     string `yaml:"office_hours_kind"`
	MinSlackMessages    Count  `yaml:"min_slack_messages"`
	MinWikiViews        Count  `yaml:"min_wiki_views"`
	MinOfficeHoursSeats Count  `yaml:"min_office_hours_attendees"`
	// MinNewsletterRecipients applies to the last 7 days: an open rate of
	// a handful of recipients says nothing.
	MinNewsletterRecipients Count `yaml:"min_newsletter_recipients"`
}

// DefaultAlerting is what an absent `alerting:` section, or an absent key
// in it, means; docs/config.md lists the same values.
func DefaultAlerting() Alerting {
	return Alerting{
		Engagement: EngagementAlerting{
			DropFraction:            0.5,
			OfficeHoursKind:         "office_hours",
			MinSlackMessages:        20,
			MinWikiViews:            50,
			MinOfficeHoursSeats:     10,
			MinNewsletterRecipients: 20,
		},
		TrainingCompletionTarget: 0.8,
		MinTrainingEnrollments:   5,
		ChampionCoverageTarget:   0.75,
		MTTRRegressionFactor:     1.5,
		IncidentSpikeFactor:      2,
		MinIncidents:             3,
		OverdueActionItemsMax:    0,
		FormatComplianceTarget:   0.8,
		MinFormatDocuments:       5,
		CollectorStaleFactor:     3,
	}
}

// Ratio is a share above 0 and at most 1.
type Ratio float64

// UnmarshalYAML accepts a number in (0, 1].
func (r *Ratio) UnmarshalYAML(n *yaml.Node) error {
	v, err := alertingNumber(n)
	if err != nil {
		return err
	}
	if v <= 0 || v > 1 {
		return fmt.Errorf("%s must be above 0 and at most 1 (a share, such as 0.8)", n.Value)
	}
	*r = Ratio(v)
	return nil
}

// Factor is a multiplier above 1.
type Factor float64

// UnmarshalYAML accepts a number above 1.
func (f *Factor) UnmarshalYAML(n *yaml.Node) error {
	v, err := alertingNumber(n)
	if err != nil {
		return err
	}
	if v <= 1 {
		return fmt.Errorf("%s must be above 1 (a multiplier, such as 1.5)", n.Value)
	}
	*f = Factor(v)
	return nil
}

// Count is a whole number of at least 0.
type Count int

// UnmarshalYAML accepts a whole number of at least 0.
func (c *Count) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		return fmt.Errorf("cannot use %s as a whole number", mask.Quote(n.Value))
	}
	v, err := strconv.Atoi(n.Value)
	if err != nil || v < 0 {
		return fmt.Errorf("%s must be a whole number of at least 0", mask.Quote(n.Value))
	}
	*c = Count(v)
	return nil
}

func alertingNumber(n *yaml.Node) (float64, error) {
	if n.Kind == yaml.ScalarNode && (n.ShortTag() == "!!int" || n.ShortTag() == "!!float") {
		if v, err := strconv.ParseFloat(n.Value, 64); err == nil && !math.IsNaN(v) && !math.IsInf(v, 0) {
			return v, nil
		}
	}
	return 0, fmt.Errorf("cannot use %s as a number", mask.Quote(n.Value))
}

// fillAlertingDefaults makes an `alerting:` key given as null mean the
// defaults rather than zero targets (no valid section is all zero, since
// ratios and factors must be positive).
func (c *Config) fillAlertingDefaults() {
	if c.Alerting == (Alerting{}) {
		c.Alerting = DefaultAlerting()
	}
	if c.Alerting.Engagement == (EngagementAlerting{}) {
		c.Alerting.Engagement = DefaultAlerting().Engagement
	}
}

// checkAlerting reports settings that are valid alone but not together.
func (c *Config) checkAlerting(root *yaml.Node) error {
	if c.Alerting.Engagement.OfficeHoursKind == "" {
		line := 0
		if n := findKey(root, "alerting", "engagement", "office_hours_kind"); n != nil {
			line = n.Line
		}
		return &Error{File: c.File, Line: line, Field: "alerting.engagement.office_hours_kind", Msg: "must not be empty"}
	}
	return nil
}

// findKey returns the value node at the path of mapping keys under root.
func findKey(root *yaml.Node, path ...string) *yaml.Node {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	for _, key := range path {
		if n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				next = n.Content[i+1]
			}
		}
		if next == nil {
			return nil
		}
		n = next
	}
	return n
}
