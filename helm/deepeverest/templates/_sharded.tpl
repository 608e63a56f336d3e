{{/* Names and helpers of the `sharded` topology (docs/scale-out.md, "Kubernetes"). */}}

{{/* The shards' StatefulSet; its pods are <name>-0 ... <name>-<count-1>. */}}
{{- define "deepeverest.shardName" -}}{{ include "deepeverest.base" . }}-shard{{- end }}
{{/* The shards' headless (governing) Service: pod <name>-i is reachable as <name>-i.<headless>. */}}
{{- define "deepeverest.shardsHeadless" -}}{{ include "deepeverest.base" . }}-shards{{- end }}
{{- define "deepeverest.routerName" -}}{{ include "deepeverest.base" . }}-router{{- end }}

{{/*
Address of one shard's service: .root, .shard (index), .port. The name is the pod's stable DNS name
under the headless Service, resolved in the release's namespace through the pods' search domains.
*/}}
{{- define "deepeverest.shardUrl" -}}
{{- printf "%s://%s-%d.%s:%d" (include "deepeverest.scheme" .root) (include "deepeverest.shardName" .root) (.shard | int) (include "deepeverest.shardsHeadless" .root) (.port | int) }}
{{- end }}

{{/*
The keys a shard accepts (DeepEverest:Auth:Keys:<id>), from shards.auth.existingSecret: the
router's may only read (queries, ListDatasets), the Job's may import and build. Setting a key turns
the shard's authentication on.
*/}}
{{- define "deepeverest.shardKeysEnv" -}}
{{- with .Values.shards.auth.existingSecret }}
- name: DeepEverest__Auth__Keys__router__Key
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $.Values.shards.auth.routerKey }}
- name: DeepEverest__Auth__Keys__router__Role
  value: read
- name: DeepEverest__Auth__Keys__job__Key
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $.Values.shards.auth.jobKey }}
- name: DeepEverest__Auth__Keys__job__Role
  value: admin
{{- end }}
{{- end }}

{{/* The router container: .root. Its ports carry the QueryService's names: it serves that API, behind the same Service. */}}
{{- define "deepeverest.routerContainer" -}}
{{- $root := .root }}
{{- $spec := $root.Values.router }}
{{- $scheme := include "deepeverest.scheme" $root -}}
- name: router
  image: {{ include "deepeverest.image" (dict "root" $root "spec" $spec) | quote }}
  imagePullPolicy: {{ $root.Values.image.pullPolicy }}
  {{- with $spec.extraArgs }}
  args:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  env:
    - name: Kestrel__Endpoints__Grpc__Url
      value: "{{ $scheme }}://*:{{ $spec.ports.grpc }}"
    - name: Kestrel__Endpoints__Http__Url
      value: "{{ $scheme }}://*:{{ $spec.ports.http }}"
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
    {{- if $root.Values.auth.enabled }}
    - name: DeepEverest__Auth__Enabled
      value: "true"
    - name: DeepEverest__Auth__ApiKeysFile
      value: /etc/deepeverest/auth/{{ $root.Values.auth.secretKey }}
    {{- if $root.Values.auth.metricsRequireKey }}
    - name: DeepEverest__Auth__MetricsRequireKey
      value: "true"
    {{- end }}
    {{- end }}
    {{- range $i := until ($root.Values.shards.count | int) }}
    - name: DeepEverest__Router__Shards__{{ $i }}__Name
      value: {{ include "deepeverest.shardName" $root }}-{{ $i }}
    - name: DeepEverest__Router__Shards__{{ $i }}__QueryUrl
      value: {{ include "deepeverest.shardUrl" (dict "root" $root "shard" $i "port" $root.Values.queryService.ports.grpc) | quote }}
    - name: DeepEverest__Router__Shards__{{ $i }}__IndexUrl
      value: {{ include "deepeverest.shardUrl" (dict "root" $root "shard" $i "port" $root.Values.indexService.ports.grpc) | quote }}
    {{- end }}
    {{- if and $root.Values.tls.enabled $root.Values.tls.caKey }}
    - name: DeepEverest__Router__ShardCaFile
      value: /etc/deepeverest/tls/{{ $root.Values.tls.caKey }}
    {{- end }}
    {{- with $root.Values.shards.auth.existingSecret }}
    - name: DeepEverest__Router__ShardApiKey
      valueFrom:
        secretKeyRef:
          name: {{ . }}
          key: {{ $root.Values.shards.auth.routerKey }}
    {{- end }}
    - name: DeepEverest__Router__MaxQuerySeconds
      value: {{ $spec.maxQuerySeconds | quote }}
    - name: DeepEverest__Router__DefaultUpdateIntervalMs
      value: {{ $spec.defaultUpdateIntervalMs | quote }}
    - name: DeepEverest__Router__TopologyRefreshSeconds
      value: {{ $spec.topologyRefreshSeconds | quote }}
    - name: TMPDIR
      value: /tmp
    - name: DOTNET_SHUTDOWNTIMEOUTSECONDS
      value: {{ $root.Values.shutdown.drainSeconds | quote }}
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
  {{- /* gRPC health of deepeverest.v1.QueryService (RouterHealthCheck: SERVING while the router
  runs), or GET /healthz over HTTPS with TLS, as for the services. */}}
  {{- include "deepeverest.probes" (dict "root" $root "spec" $spec "service" "deepeverest.v1.QueryService") | trim | nindent 2 }}
  lifecycle:
    preStop:
      sleep:
        seconds: {{ $root.Values.shutdown.preStopSeconds }}
  securityContext:
    {{- toYaml $root.Values.securityContext | nindent 4 }}
  resources:
    {{- toYaml $spec.resources | nindent 4 }}
  volumeMounts:
    {{- if $root.Values.tls.enabled }}
    - name: tls
      mountPath: /etc/deepeverest/tls
      readOnly: true
    {{- end }}
    {{- if $root.Values.auth.enabled }}
    - name: auth
      mountPath: /etc/deepeverest/auth
      readOnly: true
    {{- end }}
    - name: router-scratch
      mountPath: /tmp
{{- end }}
