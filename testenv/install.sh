#!/usr/bin/env bash
# promop test-bed installer.
#
# Installs (idempotently, cached) the external binaries the promop tests run
# against into ${PROMOP_TESTENV:-$HOME/.cache/promop/testenv}/bin:
#   kube-apiserver, etcd, etcdctl, prometheus-v2, promtool-v2, prometheus-v3,
#   promtool-v3, promtool-latest, alertmanager, amtool, alertmanager-v0.28,
#   amtool-v0.28, blackbox_exporter, pushgateway, prometheus-operator-reference,
#   prometheus-config-reloader-reference,
#   admission-webhook-reference, helm, thanos,
#   buildah, x86_64-linux-musl-gcc (scripts/build-images; testenv/image-tools.sh)
# the Istio CRDs into crds/istio/ (testenv/istio-crds.sh)
# and the Rust target x86_64-unknown-linux-musl (rustup).
#
# Versions are pinned in testenv/versions.env.  See testenv/README.md.
#
# Usage: install.sh [--force] | --versions | --check | --sync-gomod | --help
set -Eeuo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$HERE/versions.env"

TESTENV="${PROMOP_TESTENV:-$HOME/.cache/promop/testenv}"
BIN="$TESTENV/bin"
STAMPS="$TESTENV/stamps"
PKGS="$TESTENV/pkgs"
APTDIR="$TESTENV/apt"
LOGS="$TESTENV/logs"

# All binaries this script provides (what --check verifies).
ALL_BINS=(
  kube-apiserver etcd etcdctl
  prometheus-v2 promtool-v2 prometheus-v3 promtool-v3 promtool-latest
  alertmanager amtool alertmanager-v0.28 amtool-v0.28
  blackbox_exporter pushgateway
  prometheus-operator-reference prometheus-config-reloader-reference
  admission-webhook-reference
  helm thanos
  buildah x86_64-linux-musl-gcc
)

# Debian components: name|package|suite|version|src-in-package:dest-in-bin ...
deb_components() {
  cat <<EOF
etcd-server|etcd-server|$ETCD_SUITE|$ETCD_VERSION|usr/bin/etcd:etcd
etcd-client|etcd-client|$ETCD_SUITE|$ETCD_VERSION|usr/bin/etcdctl:etcdctl
prometheus-v2|prometheus|$PROMETHEUS_V2_SUITE|$PROMETHEUS_V2_VERSION|usr/bin/prometheus:prometheus-v2
promtool-v2|promtool|$PROMETHEUS_V2_SUITE|$PROMETHEUS_V2_VERSION|usr/bin/promtool:promtool-v2
prometheus-v3|prometheus|$PROMETHEUS_V3_SUITE|$PROMETHEUS_V3_VERSION|usr/bin/prometheus:prometheus-v3
promtool-v3|promtool|$PROMETHEUS_V3_SUITE|$PROMETHEUS_V3_VERSION|usr/bin/promtool:promtool-v3
alertmanager|prometheus-alertmanager|$ALERTMANAGER_SUITE|$ALERTMANAGER_VERSION|usr/bin/prometheus-alertmanager:alertmanager usr/bin/amtool:amtool
alertmanager-v0.28|prometheus-alertmanager|$ALERTMANAGER_V028_SUITE|$ALERTMANAGER_V028_VERSION|usr/bin/prometheus-alertmanager:alertmanager-v0.28 usr/bin/amtool:amtool-v0.28
blackbox-exporter|prometheus-blackbox-exporter|$BLACKBOX_EXPORTER_SUITE|$BLACKBOX_EXPORTER_VERSION|usr/bin/prometheus-blackbox-exporter:blackbox_exporter
pushgateway|prometheus-pushgateway|$PUSHGATEWAY_SUITE|$PUSHGATEWAY_VERSION|usr/bin/prometheus-pushgateway:pushgateway
EOF
}

# ---------------------------------------------------------------------------
# progress / error helpers
# ---------------------------------------------------------------------------
T0=$(date +%s)
STEP="startup"
STEP_T0=$T0

log() { printf '[testenv] %s\n' "$*" >&2; }
warn() { printf '[testenv] WARNING: %s\n' "$*" >&2; }
die() { printf '[testenv] ERROR (step: %s): %s\n' "$STEP" "$*" >&2; exit 1; }

step_begin() {
  STEP="$1"
  STEP_T0=$(date +%s)
  log "==> $STEP"
}
step_end() {
  log "    done: $STEP ($(( $(date +%s) - STEP_T0 ))s)${1:+ - $1}"
}

on_err() {
  local rc=$? line=$1
  printf '[testenv] ERROR: step "%s" failed (exit %s, install.sh line %s, after %ss)\n' \
    "$STEP" "$rc" "$line" "$(( $(date +%s) - T0 ))" >&2
  exit "$rc"
}
trap 'on_err $LINENO' ERR

# stamp file: stamps/<component>@<version> ('@' so that e.g. alertmanager@* never matches
# alertmanager-v0.28@*; version made filename-safe)
stamp_path() { printf '%s/%s@%s' "$STAMPS" "$1" "$(printf '%s' "$2" | tr '/:~ ' '____')"; }

bins_present() {
  local b
  for b in "$@"; do [[ -x "$BIN/$b" ]] || return 1; done
}

# cached <component> <key> <what> <bin>...: true, saying so, when the
# component is installed at <key> (its stamp) and its binaries are there.
cached() {
  local name="$1" key="$2" what="$3"; shift 3
  [[ $FORCE == 0 && -f "$(stamp_path "$name" "$key")" ]] && bins_present "$@" || return 1
  log "ok   $name $what (cached)"
}

# record <component> <key> <installed version>: the component's only stamp.
record() {
  rm -f "$STAMPS/$1"@*
  printf '%s\n' "$3" > "$(stamp_path "$1" "$2")"
}

# Run "<bin> --version" (or equivalent) as a smoke test; prints first line.
smoke() {
  local b="$1" out
  case "$b" in
    etcdctl) out=$("$BIN/$b" version 2>&1) ;;
    helm) out=$("$BIN/$b" version --short 2>&1) ;;
    *) out=$("$BIN/$b" --version 2>&1) ;;
  esac || die "$BIN/$b does not run: $(printf '%s' "$out" | head -n3)"
  printf '%s' "$out" | head -n1
}

# Fail early if a binary will not load on this system (e.g. needs newer glibc).
check_ldd() {
  local f="$1" out
  if out=$(ldd "$f" 2>&1); then
    if grep -qE 'not found' <<<"$out"; then
      die "$f cannot run on this system:
$(grep -E 'not found' <<<"$out")
(build it from its Go module instead, or pick an older suite in versions.env)"
    fi
  fi
  return 0  # "not a dynamic executable" is fine (static binary)
}

# ---------------------------------------------------------------------------
# private apt configuration (never touches the system apt state / dpkg db)
# ---------------------------------------------------------------------------
debian_mirror() {
  if [[ -n "${PROMOP_DEBIAN_MIRROR:-}" ]]; then
    printf '%s\n' "$PROMOP_DEBIAN_MIRROR"; return
  fi
  local uri="" f
  # 1. debian.sources (deb822): first URIs entry that is not the security archive
  if [[ -r /etc/apt/sources.list.d/debian.sources ]]; then
    uri=$(awk 'tolower($1)=="uris:" { for (i=2;i<=NF;i++) if ($i !~ /security/) { print $i; exit } }' \
            /etc/apt/sources.list.d/debian.sources)
  fi
  # 2. other deb822 files / one-line sources.list: first URI whose path is .../debian
  if [[ -z "$uri" ]]; then
    for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
      [[ -r "$f" ]] || continue
      uri=$(awk '(tolower($1)=="uris:" || $1=="deb") {
                   for (i=2;i<=NF;i++) if ($i ~ /^[a-z+]+:\/\/.*\/debian\/?$/) { print $i; exit } }' "$f")
      [[ -n "$uri" ]] && break
    done
  fi
  [[ -n "$uri" ]] || die "could not derive the Debian mirror from /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list (set PROMOP_DEBIAN_MIRROR)"
  printf '%s\n' "${uri%/}"
}

APT_READY=0
# apt_update <sources.list content>: private "apt-get update"; fails on any
# signature problem.
apt_update() {
  rm -f "$APTDIR/state/updated"
  printf '%s\n' "$1" > "$APTDIR/etc/sources.list"
  apt_get -q update >"$LOGS/apt-update.log" 2>&1 || return 1
  ! grep -qE '^(W|E): .*(NO_PUBKEY|EXPKEYSIG|not signed|signature|GPG)' "$LOGS/apt-update.log"
}
apt_get() { APT_CONFIG="$APTDIR/etc/apt.conf" apt-get "${APT_OPTS[@]}" "$@"; }
apt_cache() { APT_CONFIG="$APTDIR/etc/apt.conf" apt-cache "${APT_OPTS[@]}" "$@"; }

apt_setup() {
  [[ $APT_READY == 1 ]] && return 0
  local saved_step="$STEP" saved_t0="$STEP_T0"
  step_begin "private apt index (trixie + sid)"
  local mirror keyring=/usr/share/keyrings/debian-archive-keyring.gpg fresh
  mirror=$(debian_mirror)
  [[ -r "$keyring" ]] || die "$keyring missing (install debian-archive-keyring)"
  mkdir -p "$APTDIR"/etc/{apt.conf.d,sources.list.d,preferences.d,trusted.gpg.d} \
           "$APTDIR"/state/lists/partial "$APTDIR"/cache/archives/partial \
           "$APTDIR"/log "$APTDIR"/debs
  : > "$APTDIR/state/status"          # empty private dpkg status
  # Inherit the system's date-check policy (some CI images serve snapshots).
  local cvu cd
  cvu=$(apt-config dump Acquire::Check-Valid-Until 2>/dev/null | awk '{gsub(/[";]/,"",$2); print $2}')
  cd=$(apt-config dump Acquire::Check-Date 2>/dev/null | awk '{gsub(/[";]/,"",$2); print $2}')
  cat > "$APTDIR/etc/apt.conf" <<EOF
// private apt configuration of the promop test-bed (generated by install.sh)
Dir::Etc "$APTDIR/etc";
Dir::Etc::main "apt.conf";
Dir::Etc::parts "apt.conf.d";
Dir::Etc::sourcelist "sources.list";
Dir::Etc::sourceparts "sources.list.d";
Dir::Etc::preferences "preferences";
Dir::Etc::preferencesparts "preferences.d";
Dir::Etc::trusted "trusted.gpg";
Dir::Etc::trustedparts "trusted.gpg.d";
Dir::State "$APTDIR/state";
Dir::State::lists "lists";
Dir::State::status "$APTDIR/state/status";
Dir::State::extended_states "$APTDIR/state/extended_states";
Dir::Cache "$APTDIR/cache";
Dir::Cache::archives "archives";
Dir::Log "$APTDIR/log";
APT::Sandbox::User "root";
APT::Architecture "$(dpkg --print-architecture)";
APT::Architectures { "$(dpkg --print-architecture)"; };
Acquire::Languages "none";
Acquire::GzipIndexes "true";
${cvu:+Acquire::Check-Valid-Until \"$cvu\";}
${cd:+Acquire::Check-Date \"$cd\";}
EOF
  # sid may be signed by keys newer than the host's keyring; in that case a
  # newer debian-archive-keyring is taken from (verified) trixie, see below.
  local sid_keyring="$keyring" newkr="$APTDIR/keyring/usr/share/keyrings/debian-archive-keyring.gpg"
  [[ -r "$newkr" ]] && sid_keyring="$newkr"
  local sources
  sources="deb [signed-by=$keyring] $mirror trixie main
deb [signed-by=$sid_keyring] $mirror sid main"
  APT_OPTS=(
    -o "Dir::Etc=$APTDIR/etc"
    -o "Dir::Etc::sourceparts=$APTDIR/etc/sources.list.d"
    -o "Dir::State=$APTDIR/state"
    -o "Dir::State::status=$APTDIR/state/status"
    -o "Dir::Cache=$APTDIR/cache"
  )
  log "    mirror: $mirror (from system apt config), keyring: $sid_keyring"
  # Reuse indexes fetched in the last 12h for the same sources.
  if [[ -f "$APTDIR/etc/sources.list" && "$(cat "$APTDIR/etc/sources.list")" == "$sources" ]] \
     && [[ -n "$(find "$APTDIR/state/updated" -mmin -720 2>/dev/null)" ]]; then
    log "    reusing package indexes fetched < 12h ago"
  elif ! apt_update "$sources"; then
    if [[ "$sid_keyring" == "$keyring" ]] && grep -qE 'NO_PUBKEY|EXPKEYSIG|not signed|signature' "$LOGS/apt-update.log"; then
      warn "signature check failed with $keyring; fetching debian-archive-keyring from trixie"
      apt_update "deb [signed-by=$keyring] $mirror trixie main" \
        || { cat "$LOGS/apt-update.log" >&2; die "private 'apt-get update' (trixie) failed"; }
      rm -rf "$APTDIR/keyring" "$APTDIR/debs/keyring"; mkdir -p "$APTDIR/debs/keyring"
      (cd "$APTDIR/debs/keyring" && apt_get -q download debian-archive-keyring/trixie) >>"$LOGS/apt-update.log" 2>&1 \
        || { cat "$LOGS/apt-update.log" >&2; die "downloading debian-archive-keyring from trixie failed"; }
      dpkg-deb -x "$APTDIR"/debs/keyring/*.deb "$APTDIR/keyring"
      sources="deb [signed-by=$keyring] $mirror trixie main
deb [signed-by=$newkr] $mirror sid main"
      apt_update "$sources" \
        || { cat "$LOGS/apt-update.log" >&2; die "private 'apt-get update' failed even with trixie's keyring"; }
    else
      cat "$LOGS/apt-update.log" >&2
      die "private 'apt-get update' failed (see above; log: $LOGS/apt-update.log)"
    fi
  fi
  touch "$APTDIR/state/updated"
  APT_READY=1
  step_end
  STEP="$saved_step"; STEP_T0="$saved_t0"
}

# Version of <pkg> available in <suite>, or empty.
suite_versions() {
  local pkg="$1" suite="$2"
  apt_cache madison "$pkg" | awk -F'|' -v s=" $suite/" '
    { gsub(/^ +| +$/,"",$2) } index($3, s) { print $2 }'
}

# pinned_version <pkg> <suite> <want>: <want> when <suite> still has it, else
# the suite's current version with a warning (an error when
# PROMOP_TESTENV_STRICT=1).
pinned_version() {
  local pkg="$1" suite="$2" want="$3" avail ver
  avail=$(suite_versions "$pkg" "$suite")
  [[ -n "$avail" ]] || die "package $pkg not found in Debian $suite"
  if grep -qxF -- "$want" <<<"$avail"; then
    ver="$want"
  else
    ver=$(head -n1 <<<"$avail")
    [[ "${PROMOP_TESTENV_STRICT:-0}" == 1 ]] && \
      die "$pkg=$want is not in Debian $suite any more (available: $(tr '\n' ' ' <<<"$avail")); update versions.env"
    warn "$pkg=$want not in Debian $suite any more; using $ver (update versions.env)"
  fi
  printf '%s\n' "$ver"
}

install_deb() {
  local name="$1" pkg="$2" suite="$3" want="$4" maps="$5"
  local stamp dsts=() m
  for m in $maps; do dsts+=("${m#*:}"); done
  stamp=$(stamp_path "$name" "$want")
  if [[ $FORCE == 0 && -f "$stamp" ]] && bins_present "${dsts[@]}"; then
    log "ok   $name $(cat "$stamp") (cached) -> ${dsts[*]}"
    return 0
  fi
  apt_setup
  step_begin "$name: $pkg from Debian $suite (pinned $want)"
  local ver spec
  ver=$(pinned_version "$pkg" "$suite" "$want")
  spec="$pkg=$ver"
  local debdir="$APTDIR/debs/$name"
  rm -rf "$debdir"; mkdir -p "$debdir"
  log "    downloading $spec"
  (cd "$debdir" && apt_get -q download "$spec" >"$LOGS/$name-download.log" 2>&1) \
    || { cat "$LOGS/$name-download.log" >&2; die "apt-get download $spec failed"; }
  local deb
  deb=$(ls "$debdir"/*.deb)
  log "    extracting $(basename "$deb") -> $PKGS/$name"
  rm -rf "${PKGS:?}/$name"; mkdir -p "$PKGS/$name"
  dpkg-deb -x "$deb" "$PKGS/$name"
  local src dst out
  for m in $maps; do
    src="$PKGS/$name/${m%%:*}"; dst="$BIN/${m#*:}"
    [[ -x "$src" ]] || die "$pkg $ver does not contain ${m%%:*}"
    check_ldd "$src"
    ln -sfn "$src" "$dst"
    out=$(smoke "$(basename "$dst")")
    log "    $(basename "$dst"): $out"
  done
  rm -rf "$debdir"
  rm -f "$STAMPS/$name"@*
  printf '%s\n' "$ver" > "$stamp"
  step_end "$pkg $ver"
}

# ---------------------------------------------------------------------------
# Go builds (our own tiny modules; upstream code is a black-box dependency)
# ---------------------------------------------------------------------------
need_go() {
  command -v go >/dev/null 2>&1 || die "go not found in PATH (Go >= 1.26 required)"
}

# go.mod version of <module> in <dir>'s go.mod (require line)
gomod_require() { awk -v m="$2" '($1==m || ($1=="require" && $2==m)) { print ($1=="require") ? $3 : $2; exit }' "$1/go.mod"; }

check_gomods() {
  local v
  v=$(gomod_require "$HERE/kube-apiserver" k8s.io/kubernetes)
  [[ "$v" == "$KUBERNETES_VERSION" ]] || \
    die "kube-apiserver/go.mod requires k8s.io/kubernetes $v but versions.env says $KUBERNETES_VERSION (run install.sh --sync-gomod)"
  if awk '$2=="=>" && $1 ~ /^k8s\.io\// { print $4 }' "$HERE/kube-apiserver/go.mod" \
      | grep -vqxF -- "$KUBERNETES_STAGING_VERSION"; then
    die "kube-apiserver/go.mod pins k8s.io staging modules to a version other than $KUBERNETES_STAGING_VERSION (run install.sh --sync-gomod)"
  fi
  v=$(gomod_require "$HERE/reference" github.com/prometheus-operator/prometheus-operator)
  [[ "$v" == "$PROMETHEUS_OPERATOR_VERSION" ]] || \
    die "reference/go.mod requires prometheus-operator $v but versions.env says $PROMETHEUS_OPERATOR_VERSION (run install.sh --sync-gomod)"
  v=$(gomod_require "$HERE/promtool" github.com/prometheus/prometheus)
  [[ "$v" == "$PROMTOOL_LATEST_VERSION" ]] || \
    die "promtool/go.mod requires github.com/prometheus/prometheus $v but versions.env says $PROMTOOL_LATEST_VERSION (run install.sh --sync-gomod)"
  v=$(gomod_require "$HERE/thanos" github.com/thanos-io/thanos)
  [[ "$v" == "$THANOS_VERSION" ]] || \
    die "thanos/go.mod requires github.com/thanos-io/thanos $v but versions.env says $THANOS_VERSION (run install.sh --sync-gomod)"
  v=$(gomod_require "$HERE/helm" helm.sh/helm/v3)
  [[ "$v" == "$HELM_VERSION" ]] || \
    die "helm/go.mod requires helm.sh/helm/v3 $v but versions.env says $HELM_VERSION (run install.sh --sync-gomod)"
}

# Prometheus release of a github.com/prometheus/prometheus Go module version:
# v0.3XX.Y -> 3.XX.Y (e.g. v0.313.1 -> 3.13.1).
prom_release() {
  local v="${1#v0.}"
  [[ "$v" =~ ^([1-9])([0-9]{2})\.([0-9]+)(-.*)?$ ]] || { printf '%s\n' "$1"; return; }
  printf '%s.%s.%s%s\n' "${BASH_REMATCH[1]}" "$((10#${BASH_REMATCH[2]}))" "${BASH_REMATCH[3]}" "${BASH_REMATCH[4]}"
}

# short hash of a module's go.mod + go.sum (part of the stamp key)
modsum() { cat "$1/go.mod" "$1/go.sum" | sha256sum | cut -c1-12; }

# upstream commit of module@version (for version ldflags), or "unknown"
origin_hash() {
  (cd "$1" && go mod download -json "$2@$3" 2>/dev/null) \
    | awk -F'"' '/"Hash":/ { print $4; exit }' | grep . || echo unknown
}

# go_build <name> <moddir> <log> <ldflags> <pkg:dest>...
go_build() {
  local name="$1" dir="$2" logf="$3" ldflags="$4"; shift 4
  local pm pid rc=0 t out next
  for pm in "$@"; do
    log "    go build ${pm%%:*} -> bin/${pm#*:}"
    ( cd "$dir" && exec go build -trimpath -tags "${GO_BUILD_TAGS:-}" -ldflags "$ldflags" \
        -o "$BIN/.${pm#*:}.tmp" "${pm%%:*}" ) >>"$logf" 2>&1 &
    pid=$!
    t=$(date +%s); next=60
    while kill -0 "$pid" 2>/dev/null; do
      sleep 2
      if (( $(date +%s) - t >= next )); then
        log "    ... still building ${pm#*:} ($(( $(date +%s) - t ))s)"
        next=$((next + 60))
      fi
    done
    wait "$pid" || rc=$?
    if [[ $rc != 0 ]]; then
      tail -n 40 "$logf" >&2
      die "go build ${pm%%:*} failed (full log: $logf)"
    fi
    mv -f "$BIN/.${pm#*:}.tmp" "$BIN/${pm#*:}"
    GO_BUILT=1
    out=$(smoke "${pm#*:}")
    log "    ${pm#*:}: $out"
  done
}

install_kube_apiserver() {
  local dir="$HERE/kube-apiserver" key
  key="$KUBERNETES_VERSION-$(modsum "$dir")"
  cached kube-apiserver "$key" "$KUBERNETES_VERSION" kube-apiserver && return 0
  need_go
  step_begin "kube-apiserver: build k8s.io/kubernetes $KUBERNETES_VERSION (slow: several minutes on 2 cores)"
  local v="${KUBERNETES_VERSION#v}" commit ldf p=k8s.io/component-base/version
  commit=$(origin_hash "$dir" k8s.io/kubernetes "$KUBERNETES_VERSION")
  ldf="-s -w -X $p.gitVersion=$KUBERNETES_VERSION -X $p.gitMajor=${v%%.*}"
  ldf+=" -X $p.gitMinor=$(cut -d. -f2 <<<"$v") -X $p.gitCommit=$commit -X $p.gitTreeState=clean"
  ldf+=" -X $p.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  : > "$LOGS/kube-apiserver-build.log"
  go_build kube-apiserver "$dir" "$LOGS/kube-apiserver-build.log" "$ldf" \
    k8s.io/kubernetes/cmd/kube-apiserver:kube-apiserver
  record kube-apiserver "$key" "$KUBERNETES_VERSION"
  step_end
}

# Directory of module@version in Go's module cache (downloaded if needed).
module_dir() {
  (cd / && go mod download -json "$1@$2") | awk -F'"' '/"Dir":/ { print $4; exit }'
}

# The reference's pkg/client is a Go module of its own that the module proxy
# does not serve for this release. It is generated code: run the upstream
# Makefile's k8s-client-gen target by hand (same four generators of
# k8s.io/code-generator, same flags, the repository's .header) on the served
# pkg/apis/monitoring, into reference/client (only its go.mod and go.sum are
# committed), which reference/go.mod replaces. The same procedure with
# code-generator v0.36.3 on the v0.93.1 apis reproduces the served
# pkg/client@v0.93.1 byte for byte.
generate_reference_client() {
  local out="$HERE/reference/client" want tools apis root work g
  local p=github.com/prometheus-operator/prometheus-operator
  local -a inputs=("$p/pkg/apis/monitoring/v1" "$p/pkg/apis/monitoring/v1alpha1" "$p/pkg/apis/monitoring/v1beta1")
  want="$PROMETHEUS_OPERATOR_VERSION code-generator $REFERENCE_CODE_GENERATOR_VERSION"
  [[ -f "$out/.generated" && "$(cat "$out/.generated")" == "$want" ]] && return 0
  step_begin "prometheus-operator-reference: generate pkg/client $PROMETHEUS_OPERATOR_VERSION"
  tools="$TESTENV/tools/code-generator@$REFERENCE_CODE_GENERATOR_VERSION"
  if ! [[ -x "$tools/informer-gen" ]]; then
    g=$(module_dir k8s.io/code-generator "$REFERENCE_CODE_GENERATOR_VERSION")
    [[ -n "$g" ]] || die "k8s.io/code-generator@$REFERENCE_CODE_GENERATOR_VERSION not downloadable"
    mkdir -p "$tools"
    (cd "$g" && GOFLAGS=-mod=mod go build -o "$tools/" ./cmd/applyconfiguration-gen \
       ./cmd/client-gen ./cmd/lister-gen ./cmd/informer-gen) >>"$LOGS/reference-build.log" 2>&1 \
      || die "building code-generator failed (log: $LOGS/reference-build.log)"
  fi
  apis=$(module_dir "$p/pkg/apis/monitoring" "$PROMETHEUS_OPERATOR_VERSION")
  root=$(module_dir "$p" "$PROMETHEUS_OPERATOR_VERSION")
  [[ -n "$apis" && -n "$root" ]] || die "$p@$PROMETHEUS_OPERATOR_VERSION not downloadable"
  # The generators load the input packages from a (writable) copy of the apis module.
  work=$(mktemp -d)
  cp -r "$apis" "$work/apis" && chmod -R u+w "$work/apis"
  rm -rf "$out"/{applyconfiguration,versioned,listers,informers} "$out/.generated"
  local -a common=(--go-header-file "$root/.header" --v=1 --logtostderr)
  if ! (cd "$work/apis"
        "$tools/applyconfiguration-gen" "${common[@]}" \
          --output-pkg "$p/pkg/client/applyconfiguration" --output-dir "$out/applyconfiguration" "${inputs[@]}"
        "$tools/client-gen" "${common[@]}" \
          --apply-configuration-package "$p/pkg/client/applyconfiguration" --input-base "$p/pkg/apis" \
          --clientset-name versioned --output-pkg "$p/pkg/client" --output-dir "$out" \
          --input monitoring/v1 --input monitoring/v1beta1 --input monitoring/v1alpha1
        "$tools/lister-gen" "${common[@]}" \
          --output-pkg "$p/pkg/client/listers" --output-dir "$out/listers" "${inputs[@]}"
        "$tools/informer-gen" "${common[@]}" \
          --versioned-clientset-package "$p/pkg/client/versioned" --listers-package "$p/pkg/client/listers" \
          --output-pkg "$p/pkg/client/informers" --output-dir "$out/informers" "${inputs[@]}"
       ) >>"$LOGS/reference-build.log" 2>&1; then
    rm -rf "$work"
    die "generating pkg/client failed (log: $LOGS/reference-build.log)"
  fi
  rm -rf "$work"
  printf '%s\n' "$want" > "$out/.generated"
  step_end
}

# stamp key of the reference build: version and both go.mod/go.sum pairs
reference_key() {
  printf '%s-%s-%s\n' "$PROMETHEUS_OPERATOR_VERSION" "$(modsum "$HERE/reference")" "$(modsum "$HERE/reference/client")"
}

install_reference() {
  local dir="$HERE/reference" key
  key=$(reference_key)
  cached prometheus-operator-reference "$key" "$PROMETHEUS_OPERATOR_VERSION" \
    prometheus-operator-reference prometheus-config-reloader-reference \
    admission-webhook-reference && return 0
  need_go
  : > "$LOGS/reference-build.log"
  generate_reference_client
  step_begin "prometheus-operator-reference: build prometheus-operator $PROMETHEUS_OPERATOR_VERSION"
  local m=github.com/prometheus-operator/prometheus-operator p=github.com/prometheus/common/version commit ldf
  commit=$(origin_hash "$dir" "$m" "$PROMETHEUS_OPERATOR_VERSION")
  ldf="-s -w -X $p.Version=${PROMETHEUS_OPERATOR_VERSION#v} -X $p.Revision=$commit"
  ldf+=" -X $p.Branch=HEAD -X $p.BuildUser=promop-testenv -X $p.BuildDate=$(date -u +%Y%m%d-%H:%M:%S)"
  go_build prometheus-operator-reference "$dir" "$LOGS/reference-build.log" "$ldf" \
    "$m/cmd/operator:prometheus-operator-reference" \
    "$m/cmd/prometheus-config-reloader:prometheus-config-reloader-reference" \
    "$m/cmd/admission-webhook:admission-webhook-reference"
  record prometheus-operator-reference "$key" "$PROMETHEUS_OPERATOR_VERSION"
  step_end
}

install_promtool_latest() {
  local dir="$HERE/promtool" key rel
  rel=$(prom_release "$PROMTOOL_LATEST_VERSION")
  key="$PROMTOOL_LATEST_VERSION-$(modsum "$dir")"
  cached promtool-latest "$key" "$PROMTOOL_LATEST_VERSION (Prometheus $rel)" promtool-latest \
    && return 0
  need_go
  step_begin "promtool-latest: build promtool from github.com/prometheus/prometheus $PROMTOOL_LATEST_VERSION (Prometheus $rel)"
  local m=github.com/prometheus/prometheus p=github.com/prometheus/common/version commit ldf
  commit=$(origin_hash "$dir" "$m" "$PROMTOOL_LATEST_VERSION")
  ldf="-s -w -X $p.Version=$rel -X $p.Revision=$commit"
  ldf+=" -X $p.Branch=HEAD -X $p.BuildUser=promop-testenv -X $p.BuildDate=$(date -u +%Y%m%d-%H:%M:%S)"
  : > "$LOGS/promtool-latest-build.log"
  # Default build tags (no remove_all_sd): every service-discovery plugin is compiled in.
  go_build promtool-latest "$dir" "$LOGS/promtool-latest-build.log" "$ldf" \
    "$m/cmd/promtool:promtool-latest"
  check_all_sd promtool-latest
  record promtool-latest "$key" "$PROMTOOL_LATEST_VERSION (Prometheus $rel)"
  step_end "Prometheus $rel"
}

# Thanos' release build tags (its .promu.yml): without slicelabels, its
# zero-copy label conversions misread Prometheus' default (string) labels
# and the StoreAPI panics on the first Info call. Part of the stamp key.
THANOS_BUILD_TAGS=netgo,slicelabels
thanos_key() { printf '%s' "$THANOS_VERSION-tags=$THANOS_BUILD_TAGS-$(modsum "$HERE/thanos")"; }

install_thanos() {
  local dir="$HERE/thanos" key
  key=$(thanos_key)
  cached thanos "$key" "$THANOS_VERSION" thanos && return 0
  need_go
  step_begin "thanos: build github.com/thanos-io/thanos $THANOS_VERSION"
  local m=github.com/thanos-io/thanos p=github.com/prometheus/common/version commit ldf
  commit=$(origin_hash "$dir" "$m" "$THANOS_VERSION")
  ldf="-s -w -X $p.Version=${THANOS_VERSION#v} -X $p.Revision=$commit"
  ldf+=" -X $p.Branch=HEAD -X $p.BuildUser=promop-testenv -X $p.BuildDate=$(date -u +%Y%m%d-%H:%M:%S)"
  : > "$LOGS/thanos-build.log"
  GO_BUILD_TAGS=$THANOS_BUILD_TAGS \
    go_build thanos "$dir" "$LOGS/thanos-build.log" "$ldf" "$m/cmd/thanos:thanos"
  record thanos "$key" "$THANOS_VERSION"
  step_end
}

install_helm() {
  local dir="$HERE/helm" key
  key="$HELM_VERSION-$(modsum "$dir")"
  cached helm "$key" "$HELM_VERSION" helm && return 0
  need_go
  step_begin "helm: build helm.sh/helm/v3 $HELM_VERSION"
  local m=helm.sh/helm/v3 p=helm.sh/helm/v3/internal/version commit ldf
  commit=$(origin_hash "$dir" "$m" "$HELM_VERSION")
  # The variables helm's own Makefile sets: its version (`helm version`) and the
  # Kubernetes version of its client-go (the default .Capabilities.KubeVersion
  # of `helm template`/`helm lint`, which otherwise stays at 1.20).
  local kv k
  kv=$(gomod_require "$dir" k8s.io/client-go)   # v0.37.0 -> Kubernetes 1.37
  kv="${kv#v0.}"; kv="${kv%%.*}"
  ldf="-s -w -X $p.version=$HELM_VERSION -X $p.gitCommit=$commit -X $p.gitTreeState=clean"
  for k in "$m/pkg/lint/rules" "$m/pkg/chartutil"; do
    ldf+=" -X $k.k8sVersionMajor=1 -X $k.k8sVersionMinor=$kv"
  done
  : > "$LOGS/helm-build.log"
  CGO_ENABLED=0 go_build helm "$dir" "$LOGS/helm-build.log" "$ldf" "$m/cmd/helm:helm"
  record helm "$key" "$HELM_VERSION"
  step_end
}

# promtool-latest must accept the integrations the Debian builds lack and the
# newest config fields (storage.tsdb.retention is Prometheus >= 3.11).
check_all_sd() {
  local promtool="$1" d
  d=$(mktemp -d)
  cat > "$d/prometheus.yml" <<'EOF'
storage:
  tsdb:
    retention:
      time: 15d
      size: 10GB
scrape_configs:
  - job_name: sd-probe
    consul_sd_configs: [{server: "127.0.0.1:8500"}]
    azure_sd_configs:
      - subscription_id: 00000000-0000-0000-0000-000000000000
        authentication_method: ManagedIdentity
    openstack_sd_configs:
      - role: instance
        region: r1
        identity_endpoint: https://keystone.example/v3
        username: u
        password: p
        domain_name: d
        project_name: pr
    kuma_sd_configs: [{server: "http://127.0.0.1:5676"}]
    nomad_sd_configs: [{server: "http://127.0.0.1:4646"}]
    kubernetes_sd_configs: [{role: pod, api_server: "https://127.0.0.1:6443"}]
remote_write:
  - url: https://rw.example/api/v1/write
    azuread:
      cloud: AzurePublic
      managed_identity:
        client_id: 00000000-0000-0000-0000-000000000000
EOF
  if ! "$BIN/$promtool" check config --syntax-only "$d/prometheus.yml" >"$d/out" 2>&1; then
    cat "$d/out" >&2; rm -rf "$d"
    die "$promtool rejects consul/azure/openstack/kuma/nomad/kubernetes SD, remote_write azuread or storage.tsdb.retention"
  fi
  rm -rf "$d"
  log "    $promtool: consul/azure/openstack/kuma/nomad/kubernetes SD, remote_write azuread, storage.tsdb.retention accepted"
}

# Kubernetes SD must be compiled in (Debian could in theory strip SD plugins).
check_k8s_sd() {
  local promtool="$1" d
  d=$(mktemp -d)
  cat > "$d/prometheus.yml" <<'EOF'
scrape_configs:
  - job_name: k8s-sd-probe
    kubernetes_sd_configs:
      - role: pod
        api_server: https://127.0.0.1:6443
EOF
  if ! "$BIN/$promtool" check config "$d/prometheus.yml" >"$d/out" 2>&1; then
    cat "$d/out" >&2; rm -rf "$d"
    die "$promtool: kubernetes_sd_configs not supported by this build"
  fi
  rm -rf "$d"
  log "ok   $promtool: kubernetes_sd_configs supported (promtool check config)"
}

# buildah, musl-gcc and the musl Rust target, for scripts/build-images
# shellcheck source=image-tools.sh
source "$HERE/image-tools.sh"
# shellcheck source=istio-crds.sh
source "$HERE/istio-crds.sh"

# ---------------------------------------------------------------------------
# --versions / --check / --sync-gomod
# ---------------------------------------------------------------------------
installed_of() {  # <component> -> installed version from stamp, or "-"
  local f
  f=$(ls "$STAMPS/$1"@* 2>/dev/null | head -n1 || true)
  if [[ -n "$f" ]]; then cat "$f"; else echo "-"; fi
}

print_versions() {
  printf 'PROMOP_TESTENV=%s\n\n' "$TESTENV"
  printf '%-32s %-10s %-22s %s\n' COMPONENT SOURCE PINNED INSTALLED
  printf '%-32s %-10s %-22s %s\n' kube-apiserver go-module "$KUBERNETES_VERSION" "$(installed_of kube-apiserver)"
  printf '%-32s %-10s %-22s %s\n' prometheus-operator-reference go-module "$PROMETHEUS_OPERATOR_VERSION" "$(installed_of prometheus-operator-reference)"
  printf '%-32s %-10s %-22s %s\n' promtool-latest go-module "$PROMTOOL_LATEST_VERSION" "$(installed_of promtool-latest)"
  printf '%-32s %-10s %-22s %s\n' thanos go-module "$THANOS_VERSION" "$(installed_of thanos)"
  printf '%-32s %-10s %-22s %s\n' helm go-module "$HELM_VERSION" "$(installed_of helm)"
  printf '%-32s %-10s %-22s %s\n' buildah "deb:$BUILDAH_SUITE" "$BUILDAH_VERSION" "$(installed_of buildah)"
  printf '%-32s %-10s %-22s %s\n' musl-gcc "deb:$MUSL_SUITE" "$MUSL_VERSION" "$(installed_of musl-gcc)"
  printf '%-32s %-10s %-22s %s\n' istio-crds go-module "$ISTIO_API_VERSION" "$(installed_of istio-crds)"
  local name pkg suite ver maps
  while IFS='|' read -r name pkg suite ver maps; do
    printf '%-32s %-10s %-22s %s\n' "$name" "deb:$suite" "$ver" "$(installed_of "$name")"
  done < <(deb_components)
  echo
  echo "binaries in $BIN:"
  local b
  for b in "${ALL_BINS[@]}"; do
    if [[ -x "$BIN/$b" ]]; then printf '  %-40s ok\n' "$b"; else printf '  %-40s MISSING\n' "$b"; fi
  done
}

do_check() {
  local missing=() stale=() b c name pkg suite ver maps
  for b in "${ALL_BINS[@]}"; do [[ -x "$BIN/$b" ]] || missing+=("$b"); done
  # components not installed at the version pinned in versions.env
  [[ -f "$(stamp_path kube-apiserver "$KUBERNETES_VERSION-$(modsum "$HERE/kube-apiserver")")" ]] \
    || stale+=(kube-apiserver)
  [[ -f "$(stamp_path prometheus-operator-reference "$(reference_key)")" ]] \
    || stale+=(prometheus-operator-reference)
  [[ -f "$(stamp_path promtool-latest "$PROMTOOL_LATEST_VERSION-$(modsum "$HERE/promtool")")" ]] \
    || stale+=(promtool-latest)
  [[ -f "$(stamp_path thanos "$(thanos_key)")" ]] \
    || stale+=(thanos)
  [[ -f "$(stamp_path helm "$HELM_VERSION-$(modsum "$HERE/helm")")" ]] \
    || stale+=(helm)
  [[ -f "$(buildah_stamp)" ]] || stale+=(buildah)
  [[ -f "$(stamp_path musl-gcc "$MUSL_VERSION")" ]] || stale+=(musl-gcc)
  istio_crds_installed || stale+=(istio-crds)
  while IFS='|' read -r name pkg suite ver maps; do
    [[ -f "$(stamp_path "$name" "$ver")" ]] || stale+=("$name")
  done < <(deb_components)
  if ((${#missing[@]} + ${#stale[@]})); then
    echo "promop testenv incomplete in $BIN" >&2
    ((${#missing[@]})) && echo "  missing binaries: ${missing[*]}" >&2
    ((${#stale[@]})) && echo "  not installed at the pinned version: ${stale[*]}" >&2
    echo "run: $HERE/install.sh" >&2
    exit 1
  fi
  echo "promop testenv complete: $BIN"
}

sync_gomod() {
  need_go
  step_begin "sync go.mod files with versions.env"
  local dir="$HERE/kube-apiserver" m
  (cd "$dir"
   go mod edit -require="k8s.io/kubernetes@$KUBERNETES_VERSION"
   for m in $(awk '$2=="=>" && $1 ~ /^k8s\.io\// { print $1 }' go.mod); do
     go mod edit -dropreplace="$m"
   done
   # every k8s.io/* staging module that k8s.io/kubernetes requires as v0.0.0
   for m in $(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" \
                | awk -F'"' '/"GoMod":/ { print $4 }' \
                | xargs awk '$1 ~ /^k8s\.io\// && $2=="v0.0.0" { print $1 }'); do
     go mod edit -replace="$m=$m@$KUBERNETES_STAGING_VERSION"
   done
   go mod tidy)
  local p=github.com/prometheus-operator/prometheus-operator
  mkdir -p "$LOGS"
  generate_reference_client
  (cd "$HERE/reference/client"
   go mod edit -require="$p/pkg/apis/monitoring@$PROMETHEUS_OPERATOR_VERSION"
   go mod tidy)
  (cd "$HERE/reference"
   go mod edit -require="$p@$PROMETHEUS_OPERATOR_VERSION" \
     -require="$p/pkg/apis/monitoring@$PROMETHEUS_OPERATOR_VERSION" \
     -require="$p/pkg/client@$PROMETHEUS_OPERATOR_VERSION"
   go mod tidy)
  (cd "$HERE/promtool"
   go mod edit -require="github.com/prometheus/prometheus@$PROMTOOL_LATEST_VERSION"
   go mod tidy)
  # Go ignores a dependency's replace directives: repeat Thanos' own.
  (cd "$HERE/thanos"
   local gomod
   gomod=$(go mod download -json "github.com/thanos-io/thanos@$THANOS_VERSION" \
             | awk -F'"' '/"GoMod":/ { print $4 }')
   awk '/^replace \(/ { in_block = 1; next } in_block && /^\)/ { in_block = 0 }
        in_block && NF && $1 !~ /^\/\// { print }' "$gomod" \
     | while read -r from _ to ver; do
         go mod edit -replace="$from=$to@$ver"
       done
   go mod edit -require="github.com/thanos-io/thanos@$THANOS_VERSION"
   go mod tidy)
  (cd "$HERE/helm"
   go mod edit -require="helm.sh/helm/v3@$HELM_VERSION"
   go mod tidy)
  step_end
}

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; }

# ---------------------------------------------------------------------------
# main (wrapped in a function so bash parses it fully before running it)
main() {
  FORCE=0
  MODE=install
  local arg c name pkg suite ver maps p
  for arg in "$@"; do
    case "$arg" in
      --versions) MODE=versions ;;
      --check) MODE=check ;;
      --sync-gomod) MODE=sync ;;
      --force) FORCE=1 ;;
      -h|--help) usage; exit 0 ;;
      *) echo "unknown argument: $arg" >&2; usage >&2; exit 2 ;;
    esac
  done

  case "$MODE" in
    versions) print_versions; exit 0 ;;
    check) do_check; exit 0 ;;
    sync) sync_gomod; exit 0 ;;
  esac

  mkdir -p "$BIN" "$STAMPS" "$PKGS" "$APTDIR" "$LOGS"
  # Serialise concurrent runs (e.g. several test processes calling install.sh).
  exec 9>"$TESTENV/.lock"
  if command -v flock >/dev/null 2>&1; then
    flock -n 9 || { log "another install.sh is running; waiting for it"; flock 9; }
  fi

  log "installing promop test-bed into $TESTENV"
  STEP="check go.mod files against versions.env"
  check_gomods

  mapfile -t COMPONENTS < <(deb_components)
  for c in "${COMPONENTS[@]}"; do
    IFS='|' read -r name pkg suite ver maps <<<"$c"
    install_deb "$name" "$pkg" "$suite" "$ver" "$maps" </dev/null
  done

  for p in promtool-v2 promtool-v3; do
    check_k8s_sd "$p"
  done

  install_promtool_latest
  install_thanos
  install_helm
  install_reference
  install_kube_apiserver
  install_buildah
  install_musl_gcc
  install_rust_musl_target
  install_istio_crds

  # On CI the disk is shared and small: Go's build cache (several GB after the
  # builds above) is not needed once the binaries exist.
  if [[ -n "${CI:-}" && ${GO_BUILT:-0} == 1 ]]; then
    log "CI: dropping Go's build cache ($(du -sh "$(go env GOCACHE)" 2>/dev/null | cut -f1))"
    go clean -cache
  fi

  STEP="final check"
  do_check >/dev/null
  log "all ${#ALL_BINS[@]} binaries present in $BIN"
  log "testenv ready in $(( $(date +%s) - T0 ))s total"
}

main "$@"
