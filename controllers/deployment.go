package controllers

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// specHashAnnotation records the hash of the pod template the controller last wrote, so
// an unchanged Gateway does not rewrite (and re-default) its Deployment.
const specHashAnnotation = "claimgate.dev/template-hash"

// mutateDeployment sets the proxy Deployment's desired spec. Replicas are set on creation
// only, so an autoscaler or a user may change them.
func (r *Reconciler) mutateDeployment(dep *appsv1.Deployment, gw *gwv1.Gateway, snap *snapshotv1.Snapshot, name string) {
	if dep.Spec.Replicas == nil {
		dep.Spec.Replicas = ptr.To[int32](1)
	}
	dep.Spec.Selector = &metav1.LabelSelector{MatchLabels: selectorLabels(gw)}
	tmpl := r.podTemplate(gw, snap, name)
	b, _ := json.Marshal(tmpl) // a PodTemplateSpec always encodes
	sum := sha256.Sum256(b)
	hash := hex.EncodeToString(sum[:])[:16]
	if dep.Annotations[specHashAnnotation] == hash {
		return
	}
	metav1.SetMetaDataAnnotation(&dep.ObjectMeta, specHashAnnotation, hash)
	dep.Spec.Template = tmpl
}

func (r *Reconciler) podTemplate(gw *gwv1.Gateway, snap *snapshotv1.Snapshot, name string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: proxyLabels(gw)},
		Spec: corev1.PodSpec{
			ServiceAccountName:           name,
			AutomountServiceAccountToken: ptr.To(false),
			SecurityContext: &corev1.PodSecurityContext{
				RunAsNonRoot:   ptr.To(true),
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
			Volumes: []corev1.Volume{{
				Name:         "snapshot-tls",
				VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: certificateSecret(gw).Name}},
			}},
			Containers: []corev1.Container{r.proxyContainer(gw, snap)},
		},
	}
}

func (r *Reconciler) proxyContainer(gw *gwv1.Gateway, snap *snapshotv1.Snapshot) corev1.Container {
	ports := listenerPorts(snap)
	var portList []string
	cports := make([]corev1.ContainerPort, 0, len(ports)+1)
	for _, p := range ports {
		portList = append(portList, strconv.Itoa(int(p.port)))
		cports = append(cports, corev1.ContainerPort{ContainerPort: p.port, Protocol: corev1.ProtocolTCP})
	}
	cports = append(cports, corev1.ContainerPort{Name: "admin", ContainerPort: adminPort, Protocol: corev1.ProtocolTCP})
	args := []string{
		"--gateway=" + gw.Namespace + "/" + gw.Name,
		"--controller=" + r.cfg.Proxy.ControllerAddress,
		"--instance=$(POD_NAME)",
		"--ca=" + tlsMountPath + "/ca.crt",
		"--cert=" + tlsMountPath + "/" + corev1.TLSCertKey,
		"--key=" + tlsMountPath + "/" + corev1.TLSPrivateKeyKey,
		"--admin-addr=:" + strconv.Itoa(adminPort),
	}
	if len(portList) > 0 {
		args = append(args, "--listen-ports="+strings.Join(portList, ","))
	}
	probe := func(path string) *corev1.Probe {
		return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: path, Port: intstr.FromString("admin")}}}
	}
	return corev1.Container{
		Name:            "proxy",
		Image:           r.cfg.Proxy.Image,
		ImagePullPolicy: r.cfg.Proxy.ImagePullPolicy,
		Args:            args,
		Env: []corev1.EnvVar{{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{
			FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.name"},
		}}},
		Ports:          cports,
		Resources:      r.cfg.Proxy.Resources,
		ReadinessProbe: probe("/readyz"),
		LivenessProbe:  probe("/healthz"),
		VolumeMounts:   []corev1.VolumeMount{{Name: "snapshot-tls", MountPath: tlsMountPath, ReadOnly: true}},
		SecurityContext: &corev1.SecurityContext{
			AllowPrivilegeEscalation: ptr.To(false),
			ReadOnlyRootFilesystem:   ptr.To(true),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		},
	}
}
