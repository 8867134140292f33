package config

import (
	"testing"
)

func TestAlertingSettingsAreCheckedWithFileLineAndField(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want string
	}{
		{
			name: "a drop fraction above 1 is refused",
			yaml: "alerting:\n  engagement:\n    drop_fraction: 1.5\n",
			want: `cfg.yml:3: alerting.engagement.drop_fraction: 1.5 must be above 0 and at most 1 (a share, such as 0.8)`,
		},
		{
			name: "a target of 0 is refused",
			yaml: "alerting:\n  training_completion_target: 0\n",
			want: `cfg.yml:2: alerting.training_completion_target: 0 must be above 0 and at most 1 (a share, such as 0.8)`,
		},
		{
			name: "a factor of 1 is refused, since it would alert on no change",
			yaml: "alerting:\n  mttr_regression_factor: 1\n",
			want: `cfg.yml:2: alerting.mttr_regression_factor: 1 must be above 1 (a multiplier, such as 1.5)`,
		},
		{
			name: "a minimum that is not a whole number is refused",
			yaml: "alerting:\n  min_incidents: 2.5\n",
			want: `cfg.yml:2: alerting.min_incidents: cannot use "2.5" as a whole number`,
		},
		{
			name: "a negative minimum is refused",
			yaml: "alerting:\n  engagement:\n    min_wiki_views: -1\n",
			want: `cfg.yml:3: alerting.engagement.min_wiki_views: "-1" must be a whole number of at least 0`,
		},
		{
			name: "a word where a number is expected is refused",
			yaml: "alerting:\n  incident_spike_factor: double\n",
			want: `cfg.yml:2: alerting.incident_spike_factor: cannot use "double" as a number`,
		},
		{
			name: "an unknown key is refused with a suggestion",
			yaml: "alerting:\n  champion_coverage_targt: 0.5\n",
			want: `cfg.yml:2: alerting: unknown field "champion_coverage_targt" (did you mean "champion_coverage_target"?)`,
		},
		{
			name: "an empty office hours kind is refused",
			yaml: "alerting:\n  engagement:\n    office_hours_kind: \"\"\n",
			want: `cfg.yml:3: alerting.engagement.office_hours_kind: must not be empty`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("cfg.yml", []byte(tt.yaml))
			if err == nil || err.Error() != tt.want {
				t.Errorf("got error %v\nwant %s", err, tt.want)
			}
		})
	}
}

func TestAlertingDefaultsFillWhatTheFileLeavesOut(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want func(*Alerting)
	}{
		{name: "no alerting section gives the defaults", yaml: "global: {}\n", want: func(*Alerting) {}},
		{name: "an empty alerting key gives the defaults", yaml: "alerting:\n", want: func(*Alerting) {}},
		{
			name: "one key set keeps every other default",
			yaml: "alerting:\n  engagement:\n    drop_fraction: 0.25\n  min_incidents: 0\n",
			want: func(a *Alerting) { a.Engagement.DropFraction = 0.25; a.MinIncidents = 0 },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("cfg.yml", []byte(tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			want := DefaultAlerting()
			tt.want(&want)
			if cfg.Alerting != want {
				t.Errorf("got %+v\nwant %+v", cfg.Alerting, want)
			}
		})
	}
}
