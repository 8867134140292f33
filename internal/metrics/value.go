package metrics

// The money figures of the configuration's value: section, exported so the
// value recording rules read them and a reload changes money without
// regenerating the rules. Like the catalog families they belong to no
// collector. Money carries no unit in its name: its currency is the label
// of sre_value_info, which the money rules join onto every result.
var (
	ValueInfo = declare(Family{
		Name: "sre_value_info", Type: Gauge, Exporter: true,
		Help:   "1 while the configuration has a value: section; currency is its ISO 4217 code, the currency of every money figure.",
		Labels: []string{"currency"},
	})
	ValueSeverityDowntimeCost = declare(Family{
		Name: "sre_value_severity_downtime_cost_per_hour", Type: Gauge, Exporter: true,
		Help:   "What an hour of an incident of the severity costs, from value.downtime_cost_per_hour.by_severity (a service's own cost wins over it).",
		Labels: []string{"severity"},
	})
	ValueServiceDowntimeCost = declare(Family{
		Name: "sre_value_service_downtime_cost_per_hour", Type: Gauge, Exporter: true,
		Help:   "What an hour of an incident of the service costs, whatever its severity, from value.downtime_cost_per_hour.by_service.",
		Labels: []string{"service"},
	})
	ValueEngineerHourlyRate = declare(Family{
		Name: "sre_value_engineer_hourly_rate", Type: Gauge, Exporter: true,
		Help: "The loaded cost of an engineer hour (salary, overheads), from value.engineer_hourly_rate; prices the hours saved.",
	})
	ValueSRETeamCost = declare(Family{
		Name: "sre_value_sre_team_cost", Type: Gauge, Exporter: true,
		Help: "What the SRE team costs per period (value.sre_team_cost.amount); divide by sre_value_sre_team_cost_period_seconds for the cost per second.",
	})
	ValueSRETeamCostPeriod = declare(Family{
		Name: "sre_value_sre_team_cost_period_seconds", Type: Gauge, Exporter: true, Unit: "seconds",
		Help: "The period sre_value_sre_team_cost is for (value.sre_team_cost.per: a month is 365d/12, a quarter 365d/4, a year 365d).",
	})
)
