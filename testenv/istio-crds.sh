# shellcheck shell=bash
# Sourced by install.sh: the CustomResourceDefinitions of Istio's APIs
# (networking, security, telemetry, extensions), against which the manifests
# of deploy/examples/istio are dry-run on the test bed
# (crates/promop/tests/deploy_bundle/istio.rs). They come from the Go module
# istio.io/api at ISTIO_API_VERSION (versions.env), file
# kubernetes/customresourcedefinitions.gen.yaml, copied into
# $TESTENV/crds/istio/ (promop_testenv::testenv_dir()/crds/istio).

ISTIO_CRDS_DIR="$TESTENV/crds/istio"
ISTIO_CRDS_FILE=customresourcedefinitions.gen.yaml

istio_crds_installed() {
  [[ -f "$(stamp_path istio-crds "$ISTIO_API_VERSION")" && -s "$ISTIO_CRDS_DIR/$ISTIO_CRDS_FILE" ]]
}

install_istio_crds() {
  if [[ $FORCE == 0 ]] && istio_crds_installed; then
    log "ok   istio-crds $ISTIO_API_VERSION (cached) -> $ISTIO_CRDS_DIR"
    return 0
  fi
  need_go
  step_begin "istio-crds: Go module istio.io/api $ISTIO_API_VERSION"
  local dir
  # Outside any module (no go.mod of ours involved): only the module's files.
  dir=$(cd "$TESTENV" && GOFLAGS=-mod=mod go mod download -json "istio.io/api@$ISTIO_API_VERSION" \
          | awk -F'"' '/"Dir":/ { print $4 }')
  [[ -n "$dir" && -f "$dir/kubernetes/$ISTIO_CRDS_FILE" ]] \
    || die "istio.io/api@$ISTIO_API_VERSION has no kubernetes/$ISTIO_CRDS_FILE"
  mkdir -p "$ISTIO_CRDS_DIR"
  install -m 0644 "$dir/kubernetes/$ISTIO_CRDS_FILE" "$ISTIO_CRDS_DIR/$ISTIO_CRDS_FILE"
  record istio-crds "$ISTIO_API_VERSION" "$ISTIO_API_VERSION"
  step_end "$(grep -c '^kind: CustomResourceDefinition' "$ISTIO_CRDS_DIR/$ISTIO_CRDS_FILE") CRDs"
}
