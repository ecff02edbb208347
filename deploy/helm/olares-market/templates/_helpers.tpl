{{/* The release's base name, cut to the 63 characters Kubernetes names allow. */}}
{{- define "olares-market.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "olares-market.market.name" -}}
{{- printf "%s-market" (include "olares-market.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "olares-market.chartRepo.name" -}}
{{- printf "%s-chart-repo" (include "olares-market.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "olares-market.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one component: pass (dict "root" $ "component" "market"). */}}
{{- define "olares-market.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "olares-market.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "olares-market.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* An image reference: pass (dict "root" $ "image" .Values.market.image). */}}
{{- define "olares-market.image" -}}
{{- printf "%s%s:%s" .root.Values.image.registry .image.repository (default .root.Chart.AppVersion .image.tag) -}}
{{- end -}}

{{/* chart-repo's in-cluster URL. */}}
{{- define "olares-market.chartRepo.url" -}}
{{- printf "http://%s:%v" (include "olares-market.chartRepo.name" .) .Values.chartRepo.service.port -}}
{{- end -}}
