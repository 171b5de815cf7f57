#!/usr/bin/env bash
# Installs promop (Helm chart deploy/helm/promop, CRDs included) and the
# example monitoring stack (deploy/examples) on the cluster of the current
# kubectl context. Idempotent: run it again to upgrade or repair.
#
# Usage: deploy/deploy-monitoring.sh [options]
#   --context CTX       kubectl/helm context (default: the current one)
#   --namespace NS      namespace of promop (default: promop-system)
#   --release NAME      Helm release name (default: promop)
#   --replicas N        promop replicas; above 1 turns on leader election (default: 1)
#   --values FILE       extra values file for the chart (repeatable)
#   --no-examples       install promop only
#   --dry-run           server-side dry run: validate everything, change nothing
#   --no-wait           do not wait for the rollouts (CI, clusters without nodes)
#   --test              run `helm test` after installing
#   -h, --help          this text
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CHART="$HERE/helm/promop"
EXAMPLES="$HERE/examples"

CONTEXT=""
NAMESPACE="promop-system"
RELEASE="promop"
REPLICAS=1
VALUES=()
EXAMPLES_ON=1
DRY_RUN=0
RUN_TESTS=0
WAIT=1

say() { printf '[deploy] %s\n' "$*" >&2; }
die() { printf '[deploy] ERROR: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; }

while (($#)); do
  case "$1" in
    --context) CONTEXT="${2:?--context needs a value}"; shift 2 ;;
    --namespace) NAMESPACE="${2:?--namespace needs a value}"; shift 2 ;;
    --release) RELEASE="${2:?--release needs a value}"; shift 2 ;;
    --replicas) REPLICAS="${2:?--replicas needs a value}"; shift 2 ;;
    --values) VALUES+=("${2:?--values needs a file}"); shift 2 ;;
    --no-examples) EXAMPLES_ON=0; shift ;;
    --dry-run) DRY_RUN=1; shift ;;
    --no-wait) WAIT=0; shift ;;
    --test) RUN_TESTS=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done
[[ "$REPLICAS" =~ ^[1-9][0-9]*$ ]] || die "--replicas must be a positive number, not '$REPLICAS'"
for f in "${VALUES[@]}"; do [[ -r "$f" ]] || die "values file $f is not readable"; done

# --- tools ------------------------------------------------------------------
for tool in kubectl helm; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found in PATH (install it first)"
done
KUBECTL=(kubectl)
HELM=(helm)
if [[ -n "$CONTEXT" ]]; then
  KUBECTL+=(--context "$CONTEXT")
  HELM+=(--kube-context "$CONTEXT")
fi
say "kubectl $(kubectl version --client -o json 2>/dev/null | sed -n 's/.*"gitVersion": *"\([^"]*\)".*/\1/p' | head -n1), helm $(helm version --short 2>/dev/null)"
say "cluster: context '${CONTEXT:-$(kubectl config current-context 2>/dev/null || echo '?')}'"
"${KUBECTL[@]}" version -o json >/dev/null 2>&1 \
  || die "the cluster does not answer (kubectl version failed); check the context"

DRY_KUBECTL=()
if ((DRY_RUN)); then
  say "dry run: the API server validates everything, nothing is changed"
  DRY_KUBECTL=(--dry-run=server)
fi

# --- 1. CRDs ----------------------------------------------------------------
# Applied by us rather than by Helm: Helm installs crds/ once and never
# upgrades them. Server-side, because they exceed client-side apply's
# annotation limit.
say "1/3 CRDs: kubectl apply --server-side -f ${CHART#"$HERE/"}/crds"
"${KUBECTL[@]}" apply --server-side --force-conflicts --field-manager=promop-deploy \
  "${DRY_KUBECTL[@]}" -f "$CHART/crds" >&2
if ((!DRY_RUN)); then
  say "    waiting for the CRDs to be established"
  "${KUBECTL[@]}" wait --for=condition=Established --timeout=60s \
    -f "$CHART/crds" >/dev/null
fi

# --- 2. promop --------------------------------------------------------------
# The AlertmanagerConfig CRD is the chart's (templated, for its conversion
# webhook), not in crds/: one applied by an earlier run is handed to Helm.
AMC_CRD=customresourcedefinition/alertmanagerconfigs.monitoring.coreos.com
if "${KUBECTL[@]}" get "$AMC_CRD" >/dev/null 2>&1; then
  "${KUBECTL[@]}" label "${DRY_KUBECTL[@]}" --overwrite "$AMC_CRD" \
    app.kubernetes.io/managed-by=Helm >/dev/null
  "${KUBECTL[@]}" annotate "${DRY_KUBECTL[@]}" --overwrite "$AMC_CRD" \
    meta.helm.sh/release-name="$RELEASE" meta.helm.sh/release-namespace="$NAMESPACE" >/dev/null
fi
say "2/3 promop: helm upgrade --install $RELEASE (namespace $NAMESPACE, $REPLICAS replica(s))"
helm_args=(upgrade --install "$RELEASE" "$CHART"
  --namespace "$NAMESPACE" --create-namespace --skip-crds
  --set "replicaCount=$REPLICAS"
  # The example Prometheus selects ServiceMonitors labelled stack=orders-example.
  --set "serviceMonitor.labels.stack=orders-example")
for f in "${VALUES[@]}"; do helm_args+=(--values "$f"); done
if ((DRY_RUN)); then
  # Without the CRDs (a dry run does not create them) the API server cannot
  # check the chart's ServiceMonitor: Helm then only renders.
  if "${KUBECTL[@]}" get crd servicemonitors.monitoring.coreos.com >/dev/null 2>&1; then
    "${HELM[@]}" "${helm_args[@]}" --dry-run=server >/dev/null
    say "    the chart renders and the API server accepts it"
  else
    "${HELM[@]}" "${helm_args[@]}" --dry-run=client >/dev/null
    say "    the chart renders (CRDs not installed yet: not checked by the API server)"
  fi
else
  if ((WAIT)); then helm_args+=(--wait --timeout 5m); fi
  "${HELM[@]}" "${helm_args[@]}" >&2
fi

# --- 3. example stack -------------------------------------------------------
if ((EXAMPLES_ON)); then
  # The stack is the folder's own files and its dashboards; the integration
  # folders beside them (istio/, vault/, openfaas/) need their projects' CRDs
  # and are applied on their own (see their READMEs).
  say "3/3 example stack: kubectl apply --server-side -f ${EXAMPLES#"$HERE/"} -f ${EXAMPLES#"$HERE/"}/dashboards"
  # Namespaces first, so that the namespaced objects find them.
  "${KUBECTL[@]}" apply --server-side --field-manager=promop-deploy \
    "${DRY_KUBECTL[@]}" -f "$EXAMPLES/namespaces.yaml" >&2
  if ((DRY_RUN)) && ! "${KUBECTL[@]}" get namespace orders monitoring >/dev/null 2>&1; then
    say "    namespaces orders/monitoring do not exist yet: the other objects cannot be dry-run"
  else
    "${KUBECTL[@]}" apply --server-side --force-conflicts --field-manager=promop-deploy \
      "${DRY_KUBECTL[@]}" -f "$EXAMPLES" -f "$EXAMPLES/dashboards" >&2
  fi
  if ((!DRY_RUN && WAIT)); then
    for d in orders/orders-service monitoring/blackbox-exporter monitoring/pushgateway; do
      say "    waiting for deployment $d"
      "${KUBECTL[@]}" -n "${d%%/*}" rollout status "deployment/${d#*/}" --timeout=5m >&2
    done
  fi
else
  say "3/3 example stack: skipped (--no-examples)"
fi

if ((RUN_TESTS && !DRY_RUN)); then
  say "helm test $RELEASE"
  "${HELM[@]}" test "$RELEASE" --namespace "$NAMESPACE" >&2
fi

say "done. Next:"
say "  ${KUBECTL[*]} -n monitoring get prometheus,alertmanager,statefulsets,pods"
say "  ${KUBECTL[*]} -n monitoring port-forward svc/prometheus-orders 9090   # http://localhost:9090/targets"
say "  ${KUBECTL[*]} -n monitoring port-forward svc/alertmanager-orders 9093"
say "  ${KUBECTL[*]} -n $NAMESPACE logs deploy/$RELEASE"
