package provisioning

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/prometheus/model/rulefmt"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

// Kubernetes names the objects refer to each other by.
const (
	// ConfigConfigMap holds the exporter's configuration file; the user
	// creates it from their own config (it is not part of the bundle).
	ConfigConfigMap = Name + "-config"
	// ConfigKey is the configuration's file name inside ConfigConfigMap.
	ConfigKey = "sre-value-exporter.yml"
	// StoreClaim is the PersistentVolumeClaim of the exporter's store.
	StoreClaim = Name + "-store"
	// Image is the exporter's image as the Dockerfile builds it; push it to
	// a registry the cluster pulls from and edit the Deployment.
	Image = "sre-value-exporter:latest"
	// DashboardLabel is the label Grafana's dashboard sidecar selects.
	DashboardLabel = "grafana_dashboard"
	// FolderAnnotation names the Grafana folder for a sidecar configured
	// with folderAnnotation: grafana_folder.
	FolderAnnotation = "grafana_folder"
	// ReportSecret holds the report's Slack and Confluence tokens.
	ReportSecret       = Name + "-report"
	SlackTokenKey      = "slack-token"
	ConfluenceTokenKey = "confluence-token"
	// ReportSchedule is the CronJob's schedule (UTC): monthly, on the 1st.
	ReportSchedule = "0 7 1 * *"
	portName       = "http"
	nonRootUID     = 65532 // the distroless nonroot user the Dockerfile runs as
)

// labels select the exporter's pods and name its objects.
func labels() map[string]string { return map[string]string{"app.kubernetes.io/name": Name} }

func meta(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Labels: labels()}
}

// kubernetes returns the Kubernetes manifests.
func kubernetes(in Input) (map[string][]byte, error) {
	docs := map[string][]any{
		PrometheusRuleFile:  {prometheusRule(in.Groups)},
		ServiceMonitorFile:  {serviceMonitor()},
		DashboardsConfigMap: dashboardConfigMaps(in.Dashboards),
		DeploymentFile:      {storeClaim(), deployment()},
		ServiceFile:         {service()},
		ReportCronJobFile:   {reportCronJob()},
	}
	notes := map[string]string{
		DeploymentFile: "# EDIT image to the exporter's image in your registry (build it with the Dockerfile), and\n" +
			"# create the ConfigMap " + ConfigConfigMap + " with your configuration under the key " + ConfigKey + ".\n",
		ReportCronJobFile: "# EDIT image as in deployment.yaml, --prometheus.url to your Prometheus, the Slack channel and the\n" +
			"# Confluence URL, space and user; create the Secret " + ReportSecret + " with the keys " + SlackTokenKey + " and " + ConfluenceTokenKey + ".\n" +
			"# Runs at 07:00 UTC on the 1st of each month: the report of the month that just ended.\n",
	}
	files := make(map[string][]byte, len(docs))
	for path, objs := range docs {
		data, err := manifest(in.GeneratedBy, notes[path], objs)
		if err != nil {
			return nil, wrap(path, err)
		}
		files[path] = data
	}
	return files, nil
}

// PrometheusRule carries the rule file's groups for the Prometheus
// Operator, rule for rule.
func prometheusRule(groups rulefmt.RuleGroups) *monitoringv1.PrometheusRule {
	pr := &monitoringv1.PrometheusRule{
		TypeMeta:   metav1.TypeMeta{APIVersion: monitoringv1.SchemeGroupVersion.String(), Kind: monitoringv1.PrometheusRuleKind},
		ObjectMeta: meta(Name),
	}
	for _, g := range groups.Groups {
		group := monitoringv1.RuleGroup{Name: g.Name}
		for _, r := range g.Rules {
			rule := monitoringv1.Rule{
				Record:      r.Record,
				Alert:       r.Alert,
				Expr:        intstr.FromString(r.Expr),
				Labels:      r.Labels,
				Annotations: r.Annotations,
			}
			if r.For != 0 {
				d := monitoringv1.Duration(r.For.String())
				rule.For = &d
			}
			group.Rules = append(group.Rules, rule)
		}
		pr.Spec.Groups = append(pr.Spec.Groups, group)
	}
	return pr
}

// serviceMonitor scrapes the exporter's Service as prometheus.yml does.
func serviceMonitor() *monitoringv1.ServiceMonitor {
	return &monitoringv1.ServiceMonitor{
		TypeMeta:   metav1.TypeMeta{APIVersion: monitoringv1.SchemeGroupVersion.String(), Kind: monitoringv1.ServiceMonitorsKind},
		ObjectMeta: meta(Name),
		Spec: monitoringv1.ServiceMonitorSpec{
			Selector:  metav1.LabelSelector{MatchLabels: labels()},
			Endpoints: []monitoringv1.Endpoint{{Port: portName, Path: "/metrics", Interval: ScrapeInterval}},
		},
	}
}

// dashboardConfigMaps is one ConfigMap per dashboard, so that none nears
// the 1 MiB object limit, named after the dashboard's file.
func dashboardConfigMaps(dashboards map[string][]byte) []any {
	var maps []any
	for _, file := range sortedKeys(dashboards) {
		m := meta("sre-value-dashboard-" + strings.TrimSuffix(file, ".json"))
		m.Labels[DashboardLabel] = "1"
		m.Annotations = map[string]string{FolderAnnotation: GrafanaFolder}
		maps = append(maps, &corev1.ConfigMap{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
			ObjectMeta: m,
			Data:       map[string]string{file: string(dashboards[file])},
		})
	}
	return maps
}

// storeClaim keeps the store across restarts: it holds the history the
// exact window figures are computed from.
func storeClaim() *corev1.PersistentVolumeClaim {
	return &corev1.PersistentVolumeClaim{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"},
		ObjectMeta: meta(StoreClaim),
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources: corev1.VolumeResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")},
			},
		},
	}
}

// deployment runs one exporter (the store is a single-writer file, hence
// one replica and Recreate) as non-root on a read-only root filesystem.
func deployment() *appsv1.Deployment {
	uid, yes, no := int64(nonRootUID), true, false
	probe := func(path string) *corev1.Probe {
		return &corev1.Probe{
			ProbeHandler:  corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: path, Port: intstr.FromString(portName)}},
			PeriodSeconds: 10,
		}
	}
	one := int32(1)
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: meta(Name),
		Spec: appsv1.DeploymentSpec{
			Replicas: &one,
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType},
			Selector: &metav1.LabelSelector{MatchLabels: labels()},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels()},
				Spec: corev1.PodSpec{
					SecurityContext: &corev1.PodSecurityContext{
						RunAsNonRoot:   &yes,
						RunAsUser:      &uid,
						RunAsGroup:     &uid,
						FSGroup:        &uid,
						SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
					},
					Containers: []corev1.Container{{
						Name:  Name,
						Image: Image,
						Args: []string{
							"--config.file=/etc/sre-value-exporter/" + ConfigKey,
							"--storage.path=/data/sre-value-exporter.db",
							fmt.Sprintf("--web.listen-address=:%d", Port),
						},
						Ports:          []corev1.ContainerPort{{Name: portName, ContainerPort: Port, Protocol: corev1.ProtocolTCP}},
						ReadinessProbe: probe("/-/ready"),
						LivenessProbe:  probe("/-/healthy"),
						Resources: corev1.ResourceRequirements{
							Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("50m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
							Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("256Mi")},
						},
						SecurityContext: &corev1.SecurityContext{
							AllowPrivilegeEscalation: &no,
							ReadOnlyRootFilesystem:   &yes,
							Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
						},
						VolumeMounts: []corev1.VolumeMount{
							{Name: "config", MountPath: "/etc/sre-value-exporter", ReadOnly: true},
							{Name: "store", MountPath: "/data"},
						},
					}},
					Volumes: []corev1.Volume{
						{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
							LocalObjectReference: corev1.LocalObjectReference{Name: ConfigConfigMap},
						}}},
						{Name: "store", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{
							ClaimName: StoreClaim,
						}}},
					},
				},
			},
		},
	}
}

// reportCronJob posts and publishes the monthly report. It reads only
// Prometheus, so it needs neither the store nor the configuration.
func reportCronJob() *batchv1.CronJob {
	uid, yes, no := int64(nonRootUID), true, false
	one, limit := int32(1), int32(2)
	utc := "Etc/UTC"
	secrets := "/etc/" + ReportSecret
	return &batchv1.CronJob{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "CronJob"},
		ObjectMeta: meta(Name + "-report"),
		Spec: batchv1.CronJobSpec{
			Schedule:                   ReportSchedule,
			TimeZone:                   &utc,
			ConcurrencyPolicy:          batchv1.ForbidConcurrent,
			SuccessfulJobsHistoryLimit: &limit,
			FailedJobsHistoryLimit:     &limit,
			JobTemplate: batchv1.JobTemplateSpec{
				Spec: batchv1.JobSpec{
					BackoffLimit: &one,
					Template: corev1.PodTemplateSpec{
						ObjectMeta: metav1.ObjectMeta{Labels: labels()},
						Spec: corev1.PodSpec{
							RestartPolicy: corev1.RestartPolicyNever,
							SecurityContext: &corev1.PodSecurityContext{
								RunAsNonRoot: &yes, RunAsUser: &uid, RunAsGroup: &uid,
								SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
							},
							Containers: []corev1.Container{{
								Name:  "report",
								Image: Image,
								Args: []string{
									"report",
									"--prometheus.url=http://prometheus-operated.monitoring.svc:9090",
									"--period=month",
									"--format=json",
									"--out=/tmp/report.json",
									"--slack.channel=#sre-updates",
									"--slack.token-file=" + secrets + "/" + SlackTokenKey,
									"--confluence.url=https://example.atlassian.net/wiki",
									"--confluence.space=SRE",
									"--confluence.user=sre-bot@example.com",
									"--confluence.token-file=" + secrets + "/" + ConfluenceTokenKey,
								},
								Resources: corev1.ResourceRequirements{
									Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("50m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
									Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("256Mi")},
								},
								SecurityContext: &corev1.SecurityContext{
									AllowPrivilegeEscalation: &no,
									ReadOnlyRootFilesystem:   &yes,
									Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
								},
								VolumeMounts: []corev1.VolumeMount{
									{Name: "tokens", MountPath: secrets, ReadOnly: true},
									{Name: "tmp", MountPath: "/tmp"},
								},
							}},
							Volumes: []corev1.Volume{
								{Name: "tokens", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: ReportSecret}}},
								{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
							},
						},
					},
				},
			},
		},
	}
}

// service exposes the exporter's port under the name the ServiceMonitor
// scrapes.
func service() *corev1.Service {
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: meta(Name),
		Spec: corev1.ServiceSpec{
			Selector: labels(),
			Ports:    []corev1.ServicePort{{Name: portName, Port: Port, TargetPort: intstr.FromString(portName), Protocol: corev1.ProtocolTCP}},
		},
	}
}

// manifest renders objs as a multi-document YAML file after the header
// and note (comment lines for the reader, may be empty). Fields only the API server fills (status, creationTimestamp) are left
// out, and keys are sorted, so the bytes depend on the objects alone.
func manifest(generatedBy, note string, objs []any) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(header(generatedBy) + note)
	for i, obj := range objs {
		if i > 0 {
			buf.WriteString("---\n")
		}
		raw, err := json.Marshal(obj)
		if err != nil {
			return nil, err
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, err
		}
		delete(m, "status")
		if md, ok := m["metadata"].(map[string]any); ok {
			delete(md, "creationTimestamp")
		}
		data, err := yaml.Marshal(m)
		if err != nil {
			return nil, err
		}
		buf.Write(data)
	}
	return buf.Bytes(), nil
}
