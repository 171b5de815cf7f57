#!/usr/bin/env bash
# Renders a synthetic cluster of 5,000 ServiceMonitors (3 endpoints each,
# 500 namespaces) with `promop render` and with the reference operator
# (upstream v0.94.1 on the real test bed), and prints time, peak memory and
# the ratios reference / promop.
#
#   benches/render-5000.sh [NAMESPACES [MONITORS_PER_NAMESPACE]]
#
# promop: best of 3 runs of `promop render -f DIR` (wall time and peak RSS
# from /usr/bin/time). Reference: time from the operator's start (all objects
# already in the apiserver) until its config Secret holds every scrape job,
# and the operator's peak RSS (VmHWM) at that moment
# (crates/promop-testenv/src/bin/bench_reference.rs). Needs the test bed
# (testenv/install.sh). Idempotent: everything goes to a fresh temp dir.
set -euo pipefail

namespaces=${1:-500}
per_namespace=${2:-10}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/promop-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT

if [[ ! -x /usr/bin/time ]]; then
  echo "installing GNU time (apt-get)" >&2
  apt-get install -y -qq time >&2
fi

echo "== generating $namespaces namespaces x $per_namespace ServiceMonitors" >&2
python3 "$root/benches/gen-cluster.py" "$work/cluster" "$namespaces" "$per_namespace"

echo "== building promop (release) and the reference harness" >&2
(cd "$root" && cargo build -q --release -p promop && cargo build -q -p promop-testenv --bin bench_reference)
promop="$root/target/release/promop"

echo "== promop render (best of 3)" >&2
best_s="" best_kib=""
for run in 1 2 3; do
  /usr/bin/time -f '%e %M' -o "$work/time" "$promop" render -f "$work/cluster" >"$work/promop.yaml" 2>"$work/promop.err"
  read -r s kib <"$work/time"
  echo "   run $run: ${s}s, $((kib / 1024)) MiB" >&2
  if [[ -z $best_s ]] || awk -v a="$s" -v b="$best_s" 'BEGIN{exit !(a<b)}'; then best_s=$s; fi
  if [[ -z $best_kib ]] || ((kib < best_kib)); then best_kib=$kib; fi
done
if [[ -s $work/promop.err ]]; then
  echo "   promop render warnings (first 5):" >&2
  head -5 "$work/promop.err" >&2
fi

echo "== reference operator" >&2
"$root/target/debug/bench_reference" "$work/cluster" --out "$work/reference.yaml" >"$work/reference.json"
ref_s=$(python3 -c 'import json,sys; print("%.2f" % json.load(open(sys.argv[1]))["config_seconds"])' "$work/reference.json")
ref_kib=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["peak_rss_kib"])' "$work/reference.json")

jobs() { grep -c '^- job_name:' "$1" || true; }
promop_jobs=$(jobs "$work/promop.yaml")
ref_jobs=$(jobs "$work/reference.yaml")
if cmp -s "$work/promop.yaml" "$work/reference.yaml"; then
  identical=yes
else
  identical="no ($(diff "$work/reference.yaml" "$work/promop.yaml" | grep -c '^[<>]' || true) differing lines)"
fi

echo
printf '%-10s %12s %14s %8s\n' "" "time (s)" "peak RSS (MiB)" "jobs"
printf '%-10s %12s %14s %8s\n' promop "$best_s" "$((best_kib / 1024))" "$promop_jobs"
printf '%-10s %12s %14s %8s\n' reference "$ref_s" "$((ref_kib / 1024))" "$ref_jobs"
awk -v rs="$ref_s" -v ps="$best_s" -v rk="$ref_kib" -v pk="$best_kib" \
  'BEGIN{printf "ratio reference/promop: time %.1fx, peak RSS %.1fx\n", rs/ps, rk/pk}'
echo "same number of scrape jobs: $([[ $promop_jobs == "$ref_jobs" ]] && echo yes || echo no)"
echo "configs byte-identical: $identical"
echo "reference details: $(cat "$work/reference.json")"
if [[ -n ${PROMOP_BENCH_KEEP:-} ]]; then
  mkdir -p "$PROMOP_BENCH_KEEP"
  cp "$work/promop.yaml" "$work/reference.yaml" "$work/reference.json" "$PROMOP_BENCH_KEEP/"
  echo "outputs kept in $PROMOP_BENCH_KEEP"
fi
