{{/* Names and labels. */}}
{{- define "deepeverest.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "deepeverest.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Object names: the full name (trimmed so that the longest suffix still fits 63). */}}
{{- define "deepeverest.base" -}}
{{- include "deepeverest.fullname" . | trunc 45 | trimSuffix "-" }}
{{- end }}
{{- define "deepeverest.indexName" -}}{{ include "deepeverest.base" . }}-index{{- end }}
{{- define "deepeverest.queryName" -}}{{ include "deepeverest.base" . }}-query{{- end }}
{{- define "deepeverest.claimName" -}}
{{- .Values.persistence.existingClaim | default (printf "%s-data" (include "deepeverest.base" .)) }}
{{- end }}
{{- define "deepeverest.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- .Values.serviceAccount.name | default (include "deepeverest.fullname" .) }}
{{- else }}
{{- .Values.serviceAccount.name | default "default" }}
{{- end }}
{{- end }}

{{- define "deepeverest.selectorLabels" -}}
app.kubernetes.io/name: {{ include "deepeverest.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "deepeverest.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "deepeverest.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: deepeverest
{{- end }}

{{/*
The pods of each workload carry app.kubernetes.io/component: `deepeverest` (single-pod: both
containers), `index-service` or `query-service`. Services select by `deepeverest.io/serves-index`
and `deepeverest.io/serves-query`, which a pod carries when it runs that container, so the same two
Services work in both topologies.
*/}}
{{- define "deepeverest.podSelector" -}}
{{ include "deepeverest.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "deepeverest.podLabels" -}}
{{ include "deepeverest.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- if .index }}
deepeverest.io/serves-index: "true"
{{- end }}
{{- if .query }}
deepeverest.io/serves-query: "true"
{{- end }}
{{- with .root.Values.podLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "deepeverest.image" -}}
{{- $root := .root }}
{{- $repo := .spec.image.repository }}
{{- with $root.Values.image.registry }}{{ $repo = printf "%s/%s" (trimSuffix "/" .) $repo }}{{ end }}
{{- printf "%s:%s" $repo (.spec.image.tag | default $root.Values.image.tag | default $root.Chart.AppVersion) }}
{{- end }}

{{- define "deepeverest.scheme" -}}{{ if .Values.tls.enabled }}https{{ else }}http{{ end }}{{- end }}

{{/* The GPUs a container gets: .count of .root. */}}
{{- define "deepeverest.gpuCount" -}}
{{- if .root.Values.gpu.enabled }}{{ .count | int }}{{ else }}0{{ end }}
{{- end }}

{{/* Whether a pod needs the GPU node selector and tolerations. */}}
{{- define "deepeverest.podHasGpu" -}}
{{- $n := 0 }}
{{- if .Values.gpu.enabled }}
{{- if or (eq .Values.topology "single-pod") (eq .workload "index") (eq .workload "shard") }}{{ $n = add $n (.Values.gpu.indexService | int) }}{{ end }}
{{- if or (eq .Values.topology "single-pod") (eq .workload "query") (eq .workload "shard") }}{{ $n = add $n (.Values.gpu.queryService | int) }}{{ end }}
{{- end }}
{{- if gt $n 0 }}true{{ end }}
{{- end }}

{{/*
Pod-level fields shared by every workload: .root, .workload (single, index, query, shard, router or job).
*/}}
{{- define "deepeverest.podSpec" -}}
{{- $root := .root }}
{{- $gpu := include "deepeverest.podHasGpu" (dict "Values" $root.Values "workload" .workload) -}}
serviceAccountName: {{ include "deepeverest.serviceAccountName" $root }}
automountServiceAccountToken: false
enableServiceLinks: false
terminationGracePeriodSeconds: {{ add $root.Values.shutdown.preStopSeconds $root.Values.shutdown.drainSeconds 10 }}
securityContext:
  {{- toYaml $root.Values.podSecurityContext | nindent 2 }}
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- if and $gpu $root.Values.gpu.runtimeClassName }}
runtimeClassName: {{ $root.Values.gpu.runtimeClassName }}
{{- end }}
{{- $nodeSelector := deepCopy $root.Values.nodeSelector }}
{{- if $gpu }}{{ $nodeSelector = merge (deepCopy $root.Values.gpu.nodeSelector) $nodeSelector }}{{ end }}
{{- with $nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- $tolerations := $root.Values.tolerations }}
{{- if $gpu }}{{ $tolerations = concat $root.Values.tolerations $root.Values.gpu.tolerations }}{{ end }}
{{- with $tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
Probes of a container: .root, .spec (indexService, queryService or router), .service (gRPC name),
.http (probe GET /healthz on the HTTP/1.1 port even without TLS).
*/}}
{{- define "deepeverest.probes" -}}
{{- $root := .root }}
{{- $check := dict }}
{{- if or $root.Values.tls.enabled .http }}
{{- $check = dict "httpGet" (dict "path" "/healthz" "port" (.spec.ports.http | int) "scheme" (ternary "HTTPS" "HTTP" $root.Values.tls.enabled)) }}
{{- else }}
{{- $check = dict "grpc" (dict "port" (.spec.ports.grpc | int) "service" .service) }}
{{- end }}
{{- range $kind, $probe := dict "startupProbe" $root.Values.probes.startup "readinessProbe" $root.Values.probes.readiness "livenessProbe" $root.Values.probes.liveness }}
{{ $kind }}:
  {{- toYaml (merge (deepCopy $check) $probe) | nindent 2 }}
{{- end }}
{{- end }}

{{/*
Environment shared by both containers: .root, .gpus (the container's GPU count), .shard (a shard
pod of `sharded`: it accepts the router's and the Job's keys, never the clients' key file).
*/}}
{{- define "deepeverest.commonEnv" -}}
{{- $root := .root }}
{{- $scheme := include "deepeverest.scheme" $root -}}
- name: DeepEverest__DataRoot
  value: {{ $root.Values.persistence.mountPath | quote }}
- name: DeepEverest__Kernels
  value: {{ if gt (.gpus | int) 0 }}Cuda{{ else }}{{ $root.Values.kernels }}{{ end }}
- name: Kestrel__Endpoints__Grpc__Url
  value: "{{ $scheme }}://*:{{ .spec.ports.grpc }}"
- name: Kestrel__Endpoints__Http__Url
  value: "{{ $scheme }}://*:{{ .spec.ports.http }}"
{{- if $root.Values.tls.enabled }}
{{- range $endpoint := list "Grpc" "Http" }}
- name: Kestrel__Endpoints__{{ $endpoint }}__Certificate__Path
  value: /etc/deepeverest/tls/tls.crt
- name: Kestrel__Endpoints__{{ $endpoint }}__Certificate__KeyPath
  value: /etc/deepeverest/tls/tls.key
{{- end }}
{{- end }}
{{- range $i, $origin := $root.Values.http.corsOrigins }}
- name: DeepEverest__Http__CorsOrigins__{{ $i }}
  value: {{ $origin | quote }}
{{- end }}
- name: DeepEverest__Limits__MaxReceiveMessageMb
  value: {{ $root.Values.api.maxReceiveMessageMb | quote }}
- name: Logging__LogLevel__DeepEverest.Requests
  value: {{ $root.Values.api.requestLogLevel | quote }}
{{- if .shard }}
{{- include "deepeverest.shardKeysEnv" $root }}
{{- else if $root.Values.auth.enabled }}
- name: DeepEverest__Auth__Enabled
  value: "true"
- name: DeepEverest__Auth__ApiKeysFile
  value: /etc/deepeverest/auth/{{ $root.Values.auth.secretKey }}
{{- if $root.Values.auth.metricsRequireKey }}
- name: DeepEverest__Auth__MetricsRequireKey
  value: "true"
{{- end }}
{{- end }}
- name: TMPDIR
  value: /tmp
- name: DOTNET_SHUTDOWNTIMEOUTSECONDS
  value: {{ $root.Values.shutdown.drainSeconds | quote }}
{{- end }}

{{/* Volume mounts shared by both containers: .root, .readOnlyData, .shard (no client key file). */}}
{{- define "deepeverest.commonMounts" -}}
- name: data
  mountPath: {{ .root.Values.persistence.mountPath }}
  {{- if .readOnlyData }}
  readOnly: true
  {{- end }}
{{- if .root.Values.tls.enabled }}
- name: tls
  mountPath: /etc/deepeverest/tls
  readOnly: true
{{- end }}
{{- if and .root.Values.auth.enabled (not .shard) }}
- name: auth
  mountPath: /etc/deepeverest/auth
  readOnly: true
{{- end }}
{{- end }}

{{/* Volumes shared by every pod: .root. */}}
{{- define "deepeverest.commonVolumes" -}}
- name: data
  persistentVolumeClaim:
    claimName: {{ include "deepeverest.claimName" .root }}
{{- if .root.Values.tls.enabled }}
- name: tls
  secret:
    secretName: {{ required "tls.secretName is required when tls.enabled" .root.Values.tls.secretName }}
{{- end }}
{{- if .root.Values.auth.enabled }}
- name: auth
  secret:
    secretName: {{ required "auth.existingSecret is required when auth.enabled" .root.Values.auth.existingSecret }}
    items:
      - key: {{ .root.Values.auth.secretKey }}
        path: {{ .root.Values.auth.secretKey }}
{{- end }}
{{- end }}

{{- define "deepeverest.scratchVolume" -}}
- name: {{ .name }}
  emptyDir:
    {{- with .scratch.medium }}
    medium: {{ . }}
    {{- end }}
    sizeLimit: {{ .scratch.sizeLimit }}
{{- end }}

{{/* Container resources, with the GPU limit added: .resources, .gpus, .root. */}}
{{- define "deepeverest.resources" -}}
{{- $resources := deepCopy .resources }}
{{- if gt (.gpus | int) 0 }}
{{- $limits := get $resources "limits" | default dict }}
{{- $_ := set $limits .root.Values.gpu.resourceName (.gpus | int) }}
{{- $_ := set $resources "limits" $limits }}
{{- end }}
{{- toYaml $resources }}
{{- end }}

{{/* The IndexService container: .root, .shard (in a shard pod: the source volume mounted too). */}}
{{- define "deepeverest.indexContainer" -}}
{{- $root := .root }}
{{- $spec := $root.Values.indexService }}
{{- $gpus := include "deepeverest.gpuCount" (dict "root" $root "count" $root.Values.gpu.indexService) -}}
- name: index-service
  image: {{ include "deepeverest.image" (dict "root" $root "spec" $spec) | quote }}
  imagePullPolicy: {{ $root.Values.image.pullPolicy }}
  {{- with $spec.extraArgs }}
  args:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  env:
    {{- include "deepeverest.commonEnv" (dict "root" $root "spec" $spec "gpus" $gpus "shard" .shard) | nindent 4 }}
    - name: DeepEverest__MaxUploadMb
      value: {{ $spec.maxUploadMb | quote }}
    - name: DeepEverest__Index__MemoryBudgetMb
      value: {{ $spec.build.memoryBudgetMb | quote }}
    - name: DeepEverest__Index__BatchSize
      value: {{ $spec.build.batchSize | quote }}
    - name: DeepEverest__Index__InferenceThreads
      value: {{ $spec.build.inferenceThreads | quote }}
    {{- with $spec.extraEnv }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  ports:
    - name: index-grpc
      containerPort: {{ $spec.ports.grpc }}
      protocol: TCP
    - name: index-http
      containerPort: {{ $spec.ports.http }}
      protocol: TCP
  {{- include "deepeverest.probes" (dict "root" $root "spec" $spec "service" "deepeverest.v1.IndexService") | trim | nindent 2 }}
  lifecycle:
    preStop:
      sleep:
        seconds: {{ $root.Values.shutdown.preStopSeconds }}
  securityContext:
    {{- toYaml $root.Values.securityContext | nindent 4 }}
  resources:
    {{- include "deepeverest.resources" (dict "root" $root "resources" $spec.resources "gpus" $gpus) | nindent 4 }}
  volumeMounts:
    {{- include "deepeverest.commonMounts" (dict "root" $root "readOnlyData" false "shard" .shard) | nindent 4 }}
    - name: index-scratch
      mountPath: /tmp
    {{- if and .shard $root.Values.shards.source }}
    - name: source
      mountPath: {{ printf "%s/%s" (trimSuffix "/" $root.Values.persistence.mountPath) $root.Values.shards.sourcePath }}
      readOnly: true
    {{- end }}
{{- end }}

{{/* The QueryService container: .root, .shard. */}}
{{- define "deepeverest.queryContainer" -}}
{{- $root := .root }}
{{- $spec := $root.Values.queryService }}
{{- $gpus := include "deepeverest.gpuCount" (dict "root" $root "count" $root.Values.gpu.queryService) -}}
- name: query-service
  image: {{ include "deepeverest.image" (dict "root" $root "spec" $spec) | quote }}
  imagePullPolicy: {{ $root.Values.image.pullPolicy }}
  {{- with $spec.extraArgs }}
  args:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  env:
    {{- include "deepeverest.commonEnv" (dict "root" $root "spec" $spec "gpus" $gpus "shard" .shard) | nindent 4 }}
    - name: DeepEverest__MaxQuerySeconds
      value: {{ $spec.maxQuerySeconds | quote }}
    - name: DeepEverest__MaxClientDeadlineSeconds
      value: {{ $spec.maxClientDeadlineSeconds | quote }}
    - name: DeepEverest__FollowIntervalMs
      value: {{ $spec.followIntervalMs | quote }}
    - name: DeepEverest__Query__CacheMb
      value: {{ $spec.query.cacheMb | quote }}
    - name: DeepEverest__Query__MaxQueryMemoryMb
      value: {{ $spec.query.maxQueryMemoryMb | quote }}
    - name: DeepEverest__Query__MaxK
      value: {{ $spec.query.maxK | quote }}
    - name: DeepEverest__Query__BatchSize
      value: {{ $spec.query.batchSize | quote }}
    - name: DeepEverest__Query__InferenceThreads
      value: {{ $spec.query.inferenceThreads | quote }}
    - name: DeepEverest__Query__InferenceSessions
      value: {{ $spec.query.inferenceSessions | quote }}
    - name: DeepEverest__Limits__MaxConcurrentQueries
      value: {{ $spec.concurrency.maxQueries | quote }}
    - name: DeepEverest__Limits__MaxConcurrentQueriesPerClient
      value: {{ $spec.concurrency.maxQueriesPerClient | quote }}
    - name: DeepEverest__Limits__MaxConcurrentScans
      value: {{ $spec.concurrency.maxScans | quote }}
    - name: DeepEverest__Limits__MaxConcurrentScansPerClient
      value: {{ $spec.concurrency.maxScansPerClient | quote }}
    {{- $consoleUrl := $root.Values.console.indexServiceUrl }}
    {{- if and (not $consoleUrl) $root.Values.ingress.enabled $root.Values.ingress.routeIndexService }}
    - name: DeepEverest__Console__IndexServiceUrl
      value: ""
    {{- else if $consoleUrl }}
    - name: DeepEverest__Console__IndexServiceUrl
      value: {{ $consoleUrl | quote }}
    {{- end }}
    {{- with $spec.extraEnv }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  ports:
    - name: query-grpc
      containerPort: {{ $spec.ports.grpc }}
      protocol: TCP
    - name: query-http
      containerPort: {{ $spec.ports.http }}
      protocol: TCP
  {{- include "deepeverest.probes" (dict "root" $root "spec" $spec "service" "deepeverest.v1.QueryService") | trim | nindent 2 }}
  lifecycle:
    preStop:
      sleep:
        seconds: {{ $root.Values.shutdown.preStopSeconds }}
  securityContext:
    {{- toYaml $root.Values.securityContext | nindent 4 }}
  resources:
    {{- include "deepeverest.resources" (dict "root" $root "resources" $spec.resources "gpus" $gpus) | nindent 4 }}
  volumeMounts:
    {{- include "deepeverest.commonMounts" (dict "root" $root "readOnlyData" $spec.readOnlyData "shard" .shard) | nindent 4 }}
    - name: query-scratch
      mountPath: /tmp
{{- end }}
