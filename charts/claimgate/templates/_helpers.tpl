{{/* Common names and labels. */}}
{{- define "claimgate.fullname" -}}
{{- if contains "claimgate" .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-claimgate" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "claimgate.controller" -}}
{{- printf "%s-controller" (include "claimgate.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "claimgate.labels" -}}
app.kubernetes.io/name: claimgate
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "claimgate.selectorLabels" -}}
app.kubernetes.io/name: claimgate
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: controller
{{- end -}}

{{- define "claimgate.image" -}}
{{- printf "%s:%s" .image.repository (default .appVersion .image.tag) -}}
{{- end -}}
