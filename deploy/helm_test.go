package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/yaml"
)

// ciTool is a tool that .ci/tools.sh installs at a pinned version (helm, kubeconform), from
// PATH or that script's cache; missing, it skips the test, or fails it when
// PASSKEYD_TEST_REQUIRE asks for every test to run.
func ciTool(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if home, err := os.UserHomeDir(); err == nil {
		p := filepath.Join(home, ".cache", "passkeyd-ci", "bin", name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	missing(t, name+" not found (bash .ci/tools.sh installs it)")
	return ""
}

// missing skips the test for want of something CI provides, or fails it under
// PASSKEYD_TEST_REQUIRE=all.
func missing(t *testing.T, why string) {
	t.Helper()
	if strings.Contains(os.Getenv("PASSKEYD_TEST_REQUIRE"), "all") {
		t.Fatal(why + "; PASSKEYD_TEST_REQUIRE makes this a failure")
	}
	t.Skip(why)
}

// strict decodes one rendered object into its Kubernetes API type, refusing unknown fields
// and wrong types: the part of schema validation that catches a misspelt or misplaced key.
func strict(doc []byte, into any) error {
	j, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.DisallowUnknownFields()
	return dec.Decode(into)
}

type rendered struct {
	deploy  *appsv1.Deployment
	svc     *corev1.Service
	secret  *corev1.Secret
	pdb     *policyv1.PodDisruptionBudget
	hpa     *autoscalingv2.HorizontalPodAutoscaler
	netpol  *networkingv1.NetworkPolicy
	cron    *batchv1.CronJob
	monitor map[string]any
}

// helmTemplate renders the chart as release "t" with extra helm template arguments
// (--set, -f).
func helmTemplate(t *testing.T, helm string, args ...string) []byte {
	t.Helper()
	out, err := exec.Command(helm, append([]string{"template", "t", "helm/passkeyd"}, args...)...).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("helm template %v: %v\n%s", args, err, stderr)
	}
	return out
}

func render(t *testing.T, helm string, sets ...string) rendered {
	var args []string
	for _, s := range sets {
		args = append(args, "--set", s)
	}
	out := helmTemplate(t, helm, args...)
	var r rendered
	for _, doc := range bytes.Split(out, []byte("\n---")) {
		var head struct{ APIVersion, Kind string }
		if err := yaml.Unmarshal(doc, &head); err != nil {
			t.Fatalf("rendered YAML: %v\n%s", err, doc)
		}
		var into any
		switch head.APIVersion + " " + head.Kind {
		case " ":
			continue
		case "apps/v1 Deployment":
			r.deploy = new(appsv1.Deployment)
			into = r.deploy
		case "v1 Service":
			r.svc = new(corev1.Service)
			into = r.svc
		case "v1 Secret":
			r.secret = new(corev1.Secret)
			into = r.secret
		case "policy/v1 PodDisruptionBudget":
			r.pdb = new(policyv1.PodDisruptionBudget)
			into = r.pdb
		case "autoscaling/v2 HorizontalPodAutoscaler":
			r.hpa = new(autoscalingv2.HorizontalPodAutoscaler)
			into = r.hpa
		case "networking.k8s.io/v1 NetworkPolicy":
			r.netpol = new(networkingv1.NetworkPolicy)
			into = r.netpol
		case "batch/v1 CronJob":
			r.cron = new(batchv1.CronJob)
			into = r.cron
		case "monitoring.coreos.com/v1 ServiceMonitor":
			r.monitor = map[string]any{}
			into = &r.monitor
		default:
			t.Errorf("unexpected object %s %s", head.APIVersion, head.Kind)
			continue
		}
		if err := strict(doc, into); err != nil {
			t.Errorf("%s %s does not fit its API type: %v", head.APIVersion, head.Kind, err)
		}
	}
	return r
}

// TestHelmChart: helm lint passes; the rendered chart (defaults, and with every optional
// part on) decodes strictly into the Kubernetes API types, and it is wired together: probes
// on /readyz and /healthz, a preStop pause and a grace period longer than pause plus drain,
// the pods' environment from the Secret, PDB, HPA, NetworkPolicy and ServiceMonitor
// selecting the pods, the probe CronJob calling the Service.
func TestHelmChart(t *testing.T) {
	helm := ciTool(t, "helm")
	if out, err := exec.Command(helm, "lint", "--strict", "helm/passkeyd").CombinedOutput(); err != nil {
		t.Fatalf("helm lint: %v\n%s", err, out)
	}
	r := render(t, helm, "serviceMonitor.enabled=true", "networkPolicy.egressTo[0].to[0].ipBlock.cidr=10.0.0.0/8")
	for name, present := range map[string]bool{"Deployment": r.deploy != nil, "Service": r.svc != nil, "Secret": r.secret != nil,
		"PodDisruptionBudget": r.pdb != nil, "HorizontalPodAutoscaler": r.hpa != nil, "NetworkPolicy": r.netpol != nil,
		"CronJob": r.cron != nil, "ServiceMonitor": r.monitor != nil} {
		if !present {
			t.Fatalf("no %s rendered", name)
		}
	}
	pod := r.deploy.Spec.Template.Spec
	c := pod.Containers[0]
	if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" || c.LivenessProbe == nil || c.LivenessProbe.HTTPGet.Path != "/healthz" {
		t.Errorf("probes: readiness %+v liveness %+v", c.ReadinessProbe, c.LivenessProbe)
	}
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil {
		t.Fatal("no preStop pause")
	}
	drain := strings.TrimSuffix(r.secret.StringData["PASSKEYD_SHUTDOWN_TIMEOUT"], "s")
	var drainS int64
	fmt.Sscan(drain, &drainS)
	if pod.TerminationGracePeriodSeconds == nil || *pod.TerminationGracePeriodSeconds <= c.Lifecycle.PreStop.Sleep.Seconds+drainS {
		t.Errorf("terminationGracePeriodSeconds %v is not above preStop %ds + drain %ds", pod.TerminationGracePeriodSeconds, c.Lifecycle.PreStop.Sleep.Seconds, drainS)
	}
	if len(c.EnvFrom) != 1 || c.EnvFrom[0].SecretRef == nil || c.EnvFrom[0].SecretRef.Name != r.secret.Name {
		t.Errorf("the pods do not read the chart's Secret: %+v", c.EnvFrom)
	}
	for _, k := range []string{"PASSKEYD_RP_ID", "PASSKEYD_DATABASE_URL", "PASSKEYD_ADDR"} {
		if r.secret.StringData[k] == "" {
			t.Errorf("the Secret lacks %s", k)
		}
	}
	if c.SecurityContext == nil || c.SecurityContext.ReadOnlyRootFilesystem == nil || !*c.SecurityContext.ReadOnlyRootFilesystem || pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot {
		t.Error("the container is not read-only and non-root")
	}
	podLabels := r.deploy.Spec.Template.Labels
	selects := func(what string, sel map[string]string) {
		if len(sel) == 0 {
			t.Errorf("%s selects nothing", what)
		}
		for k, v := range sel {
			if podLabels[k] != v {
				t.Errorf("%s selects %s=%s, which the pods do not have", what, k, v)
			}
		}
	}
	selects("Service", r.svc.Spec.Selector)
	selects("PodDisruptionBudget", r.pdb.Spec.Selector.MatchLabels)
	selects("NetworkPolicy", r.netpol.Spec.PodSelector.MatchLabels)
	if r.pdb.Spec.MinAvailable == nil || int32(r.pdb.Spec.MinAvailable.IntValue()) >= *r.hpa.Spec.MinReplicas {
		t.Errorf("PDB minAvailable %v leaves no pod to evict of %d", r.pdb.Spec.MinAvailable, *r.hpa.Spec.MinReplicas)
	}
	if r.hpa.Spec.ScaleTargetRef.Name != r.deploy.Name || r.hpa.Spec.ScaleTargetRef.Kind != "Deployment" {
		t.Errorf("HPA targets %+v", r.hpa.Spec.ScaleTargetRef)
	}
	if r.deploy.Spec.Replicas != nil {
		t.Error("with the HPA on, the Deployment must not fix replicas (each upgrade would reset them)")
	}
	probeArgs := strings.Join(r.cron.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Args, " ")
	if !strings.HasPrefix(probeArgs, "probe -url http://"+r.svc.Name+":") {
		t.Errorf("the probe CronJob runs %q, not a probe of the Service %s", probeArgs, r.svc.Name)
	}
	spec, _ := r.monitor["spec"].(map[string]any)
	if eps, _ := spec["endpoints"].([]any); len(eps) != 1 || eps[0].(map[string]any)["path"] != "/metrics" {
		t.Errorf("ServiceMonitor endpoints: %v", spec["endpoints"])
	}

	// Defaults: no ServiceMonitor (its CRD may be missing), ingress-only NetworkPolicy; with
	// the HPA off, replicas are fixed; an existingSecret replaces the chart's.
	d := render(t, helm, "autoscaling.enabled=false", "existingSecret=mine")
	if d.monitor != nil || d.hpa != nil || d.secret != nil {
		t.Error("optional objects rendered when off")
	}
	if d.deploy.Spec.Replicas == nil || *d.deploy.Spec.Replicas != 3 {
		t.Errorf("replicas %v, want 3", d.deploy.Spec.Replicas)
	}
	if d.deploy.Spec.Template.Spec.Containers[0].EnvFrom[0].SecretRef.Name != "mine" {
		t.Error("existingSecret not used")
	}
}
