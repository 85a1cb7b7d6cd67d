{{/*
Names. Kubernetes names are at most 63 characters; suffixed names leave room for the suffix.
*/}}
{{- define "reward-service.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "reward-service.fullname" -}}
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

{{- define "reward-service.redisName" -}}
{{- printf "%s-redis" (include "reward-service.fullname" . | trunc 57 | trimSuffix "-") }}
{{- end }}

{{- define "reward-service.judgeName" -}}
{{- printf "%s-judge" (include "reward-service.fullname" . | trunc 57 | trimSuffix "-") }}
{{- end }}

{{/*
The Secret and key holding the in-chart Redis password: redis.auth.existingSecret, or the one
the chart generates (redis-secret.yaml).
*/}}
{{- define "reward-service.redisSecretName" -}}
{{- .Values.redis.auth.existingSecret | default (printf "%s-auth" (include "reward-service.redisName" .)) }}
{{- end }}

{{- define "reward-service.redisSecretKey" -}}
{{- ternary .Values.redis.auth.existingSecretKey "redis-password" (not (empty .Values.redis.auth.existingSecret)) }}
{{- end }}

{{/*
The environment entry REDIS_PASSWORD, from the Redis Secret. Call with the root context.
*/}}
{{- define "reward-service.redisPasswordEnv" -}}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "reward-service.redisSecretName" . }}
      key: {{ include "reward-service.redisSecretKey" . }}
{{- end }}

{{/*
An ingress NetworkPolicy admitting only the reward-service pods to one component's port. Call
with (dict "ctx" $ "component" "redis" | "judge" "port" <port name>).
*/}}
{{- define "reward-service.onlyFromServerPolicy" -}}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ printf "%s-%s" (include "reward-service.fullname" .ctx | trunc 50 | trimSuffix "-") .component }}
  labels:
    {{- include "reward-service.labels" (dict "ctx" .ctx "component" .component) | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- include "reward-service.selectorLabels" (dict "ctx" .ctx "component" .component) | nindent 6 }}
  policyTypes:
    - Ingress
  ingress:
    - from:
        - podSelector:
            matchLabels:
              {{- include "reward-service.selectorLabels" (dict "ctx" .ctx "component" "server") | nindent 14 }}
      ports:
        - port: {{ .port }}
          protocol: TCP
{{- end }}

{{- define "reward-service.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "reward-service.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Labels. Call with (dict "ctx" $ "component" "server" | "redis" | "judge").
*/}}
{{- define "reward-service.selectorLabels" -}}
app.kubernetes.io/name: {{ include "reward-service.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "reward-service.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .ctx.Chart.Name .ctx.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "reward-service.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: reward-service
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
{{- end }}

{{/*
The one probe template. Call with (dict "timing" <probe values> and either "httpGet"
(dict "path" … "port" …) or "exec" (list of command words)).
*/}}
{{- define "reward-service.probe" -}}
{{- if .httpGet -}}
httpGet:
  path: {{ .httpGet.path }}
  port: {{ .httpGet.port }}
{{- else -}}
exec:
  command: {{ toJson .exec }}
{{- end }}
initialDelaySeconds: {{ .timing.initialDelaySeconds }}
periodSeconds: {{ .timing.periodSeconds }}
timeoutSeconds: {{ .timing.timeoutSeconds }}
failureThreshold: {{ .timing.failureThreshold }}
successThreshold: {{ .timing.successThreshold }}
{{- end }}

{{/*
Judge spec facts (name → served_model, dialect), generated from the built-in specs into
files/judge-specs.json by helm/gen_values_schema.py.
*/}}
{{- define "reward-service.judgeSpec" -}}
{{- $specs := .Files.Get "files/judge-specs.json" | fromJson }}
{{- $spec := get $specs .Values.judge.spec }}
{{- if not $spec }}
{{- fail (printf "judge.spec %q is not a built-in judge spec (%s)" .Values.judge.spec (keys $specs | sortAlpha | join ", ")) }}
{{- end }}
{{- toJson $spec }}
{{- end }}

{{/*
The OpenAI-compatible base URL of the judge: the in-chart vLLM Service, judge.external.url,
or "" (no judge).
*/}}
{{- define "reward-service.judgeUrl" -}}
{{- $judge := .Values.judge }}
{{- if and $judge.vllm.enabled $judge.external.url }}
{{- fail "judge: set either judge.vllm.enabled or judge.external.url, not both" }}
{{- end }}
{{- if $judge.vllm.enabled }}
{{- printf "http://%s:%d/v1" (include "reward-service.judgeName" .) (int $judge.vllm.port) }}
{{- else if $judge.external.url }}
{{- $judge.external.url }}
{{- end }}
{{- end }}

{{/*
The Redis URL: the in-chart Redis Service (its password as "$(REDIS_PASSWORD)", which Kubernetes
expands from the Secret in the container's env, never in the ConfigMap), redis.external.url, or
"" (no Redis, or the URL comes from redis.external.existingSecret).
*/}}
{{- define "reward-service.cacheUrl" -}}
{{- $redis := .Values.redis }}
{{- $sources := 0 }}
{{- range list $redis.enabled $redis.external.url $redis.external.existingSecret }}
{{- if . }}{{ $sources = add1 $sources }}{{ end }}
{{- end }}
{{- if gt $sources 1 }}
{{- fail "redis: set only one of redis.enabled, redis.external.url, redis.external.existingSecret" }}
{{- end }}
{{- if $redis.enabled }}
{{- printf "redis://:$(REDIS_PASSWORD)@%s:%d/0" (include "reward-service.redisName" .) (int $redis.port) }}
{{- else if $redis.external.url }}
{{- $redis.external.url }}
{{- end }}
{{- end }}

{{/*
A setting as an environment variable value: numbers without a float's exponent or ".0" (Helm
reads every YAML number as a float), lists and maps as JSON (pydantic-settings parses them).
*/}}
{{- define "reward-service.envValue" -}}
{{- if or (kindIs "map" .) (kindIs "slice" .) }}
{{- toJson . }}
{{- else if kindIs "bool" . }}
{{- ternary "true" "false" . }}
{{- else if kindIs "float64" . }}
{{- if eq . (floor .) }}{{ int64 . }}{{ else }}{{ . }}{{ end }}
{{- else }}
{{- . }}
{{- end }}
{{- end }}

{{/*
The ConfigMap's data: every REWARD_SERVICE_* variable except secrets and the in-chart Redis URL
(both in the container's env, where Kubernetes expands the password). settings.<section>.<key>
becomes REWARD_SERVICE_<SECTION>__<KEY>; routing_rules is the one map-valued setting that is not
a section.
*/}}
{{- define "reward-service.configData" -}}
{{- $data := dict
  "REWARD_SERVICE_HOST" "0.0.0.0"
  "REWARD_SERVICE_HTTP_PORT" (include "reward-service.envValue" .Values.containerPorts.http)
  "REWARD_SERVICE_GRPC_PORT" (include "reward-service.envValue" .Values.containerPorts.grpc)
  "REWARD_SERVICE_JUDGE__MODEL" .Values.judge.spec }}
{{- if .Values.judge.specsDir }}
{{- $_ := set $data "REWARD_SERVICE_JUDGE__SPECS_DIR" .Values.judge.specsDir }}
{{- end }}
{{- $judgeUrl := include "reward-service.judgeUrl" . }}
{{- if $judgeUrl }}
{{- $_ := set $data "REWARD_SERVICE_JUDGE__URL" $judgeUrl }}
{{- end }}
{{- if .Values.redis.external.url }}
{{- $_ := set $data "REWARD_SERVICE_CACHE_URL" .Values.redis.external.url }}
{{- end }}
{{- with .Values.auth.exemptPaths }}
{{- $_ := set $data "REWARD_SERVICE_AUTH_EXEMPT_PATHS" (toJson .) }}
{{- end }}
{{- range $key, $value := .Values.settings }}
{{- if and (kindIs "map" $value) (ne $key "routing_rules") }}
{{- range $subkey, $subvalue := $value }}
{{- if not (kindIs "invalid" $subvalue) }}
{{- $_ := set $data (printf "REWARD_SERVICE_%s__%s" (upper $key) (upper $subkey)) (include "reward-service.envValue" $subvalue) }}
{{- end }}
{{- end }}
{{- else if not (kindIs "invalid" $value) }}
{{- $_ := set $data (printf "REWARD_SERVICE_%s" (upper $key)) (include "reward-service.envValue" $value) }}
{{- end }}
{{- end }}
{{- toYaml $data }}
{{- end }}

{{/*
Shutdown timing: the drain the service does on SIGTERM (settings.drain_timeout_s, service
default 30 s) and the grace period that must cover the preStop sleep plus that drain.
*/}}
{{- define "reward-service.terminationGracePeriodSeconds" -}}
{{- $drain := 30 }}
{{- if not (kindIs "invalid" .Values.settings.drain_timeout_s) }}
{{- $drain = ceil .Values.settings.drain_timeout_s | int }}
{{- end }}
{{- $preStop := int .Values.shutdown.preStopSleepSeconds }}
{{- $needed := add $drain $preStop }}
{{- $grace := .Values.shutdown.terminationGracePeriodSeconds }}
{{- if kindIs "invalid" $grace }}
{{- add $needed (int .Values.shutdown.marginSeconds) }}
{{- else if le (int $grace) $needed }}
{{- fail (printf "shutdown.terminationGracePeriodSeconds (%d) must be larger than shutdown.preStopSleepSeconds + settings.drain_timeout_s (%d), or SIGKILL cuts the drain short" (int $grace) $needed) }}
{{- else }}
{{- int $grace }}
{{- end }}
{{- end }}

{{/*
Cross-value checks the schema cannot express; included once, from the server Deployment.
*/}}
{{- define "reward-service.validate" -}}
{{- if and .Values.pdb.enabled (not (kindIs "invalid" .Values.pdb.minAvailable)) (not (kindIs "invalid" .Values.pdb.maxUnavailable)) }}
{{- fail "pdb: set either pdb.minAvailable or pdb.maxUnavailable, not both (null the other)" }}
{{- end }}
{{- if and .Values.autoscaling.enabled (not (dig "requests" "cpu" "" .Values.resources)) }}
{{- fail "autoscaling: the CPU target needs resources.requests.cpu" }}
{{- end }}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- fail "autoscaling: minReplicas must not exceed maxReplicas" }}
{{- end }}
{{- if and .Values.auth.exemptPaths (not .Values.auth.existingSecret) }}
{{- fail "auth.exemptPaths exempts paths from a token that is not set: set auth.existingSecret too (without it every path is open)" }}
{{- end }}
{{- if .Values.judge.vllm.enabled }}
{{- $spec := include "reward-service.judgeSpec" . | fromJson }}
{{- if ne $spec.dialect "vllm" }}
{{- fail (printf "judge.spec %q is written for %s, not the in-chart vLLM" .Values.judge.spec $spec.dialect) }}
{{- end }}
{{- end }}
{{- end }}
