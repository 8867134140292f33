package exporter

import (
	"sort"

	"github.com/sre-value/sre-value-exporter/internal/config"
	"github.com/sre-value/sre-value-exporter/internal/metrics"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
)

// emitValue exports the value: section as gauges, so the value recording
// rules price downtime and hours with the configuration in force: a reload
// changes the money without regenerating the rules. Without the section it
// exports nothing, and no money rule has a result.
func emitValue(v *config.Value, b *snapshot.Builder) {
	if v == nil {
		return
	}
	b.Info(metrics.ValueInfo, "currency", v.Currency)
	for _, k := range sortedKeys(v.DowntimeCostPerHour.BySeverity) {
		b.Gauge(metrics.ValueSeverityDowntimeCost, float64(v.DowntimeCostPerHour.BySeverity[k]), "severity", k)
	}
	for _, k := range sortedKeys(v.DowntimeCostPerHour.ByService) {
		b.Gauge(metrics.ValueServiceDowntimeCost, float64(v.DowntimeCostPerHour.ByService[k]), "service", k)
	}
	if r := v.EngineerHourlyRate; r != nil {
		b.Gauge(metrics.ValueEngineerHourlyRate, float64(*r))
	}
	if t := v.SRETeamCost; t != nil {
		b.Gauge(metrics.ValueSRETeamCost, float64(t.Amount))
		b.Gauge(metrics.ValueSRETeamCostPeriod, t.Per.Seconds())
	}
}

func sortedKeys(m map[string]config.Money) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
