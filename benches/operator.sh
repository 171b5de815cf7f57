#!/usr/bin/env bash
# promop run (release build) against the reference operator (upstream
# v0.94.1) on the real test bed: propagation latency of ServiceMonitor
# changes and memory on a large cluster, and memory with big referenced
# Secrets. Prints a table per benchmark with both operators and the ratios
# reference / promop.
#
#   benches/operator.sh [latency|memory|big-secrets|scale|all] [RUNS] [BENCH_OPERATOR_FLAGS...]
#
# Defaults: all 2 (all = latency and memory; big-secrets and scale run on
# their own; scale's sizes are flags: --namespaces 100 is the 1,000-monitor
# point). Further flags go to bench_operator, e.g. `--idle 180`
# (seconds idle before the steady RSS is read; default 30).
#
# Every run of every operator gets its own fresh apiserver with the same
# objects; runs alternate between the operators. What is measured:
# crates/promop-testenv/src/bin/bench_operator.rs. Needs the test bed
# (testenv/install.sh) and python3 + openssl (benches/gen-cluster.py).
# PROMOP_BENCH_KEEP=DIR keeps the raw JSON lines.
set -euo pipefail

bench=${1:-all}
runs=${2:-2}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/promop-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "== building promop and bench_operator (release)" >&2
(cd "$root" && cargo build -q --release -p promop --bin promop &&
  cargo build -q --release -p promop-testenv --bin bench_operator)

echo "== load before: $(uptime)" >&2
"$root/target/release/bench_operator" "$bench" --runs "$runs" \
  --promop "$root/target/release/promop" "${@:3}" | tee "$work/results.jsonl" >&2
echo "== load after: $(uptime)" >&2

python3 - "$work/results.jsonl" <<'EOF'
import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]


def table(bench, columns):
    picked = [r for r in rows if r["bench"] == bench]
    if not picked:
        return
    print()
    print(f"{'operator':<10} {'run':>3} " + " ".join(f"{title:>{len(title)}}" for title, _, _ in columns))
    for r in picked:
        cells = [f"{fmt(r[key]):>{len(title)}}" for title, key, fmt in columns]
        print(f"{r['operator']:<10} {r['run']:>3} " + " ".join(cells))
    by_run = {}
    for r in picked:
        by_run.setdefault(r["run"], {})[r["operator"]] = r
    for run, ops in sorted(by_run.items()):
        if {"promop", "reference"} <= ops.keys():
            ratios = ", ".join(
                f"{title} {ops['reference'][key] / ops['promop'][key]:.1f}x"
                for title, key, _ in columns
                if ops["promop"][key]
            )
            print(f"ratio reference/promop, run {run}: {ratios}")


def mib(kib):
    return f"{kib / 1024:.1f}"


def num(v):
    return f"{v:.1f}" if isinstance(v, float) else str(v)


latency = [r for r in rows if r["bench"] == "latency"]
if latency:
    r = latency[0]
    print(f"\nlatency: {r['changes']} changes of one ServiceMonitor among "
          f"{r['service_monitors']}, apply returned -> config Secret updated (ms)")
    table("latency", [("p50 (ms)", "p50_ms", num), ("p99 (ms)", "p99_ms", num),
                      ("mean (ms)", "mean_ms", num), ("max (ms)", "max_ms", num),
                      ("CPU (s)", "cpu_seconds", num)])
for bench in ("memory", "big-secrets"):
    picked = [r for r in rows if r["bench"] == bench]
    if not picked:
        continue
    r = picked[0]
    size = f" ({r['secret_bytes'] / 2**20:.0f} MiB)" if "secret_bytes" in r else ""
    print(f"\n{bench}: {r['secrets']} Secrets{size}, {r['service_monitors']} ServiceMonitors "
          f"({r['jobs']} jobs), {r['namespaces']} namespaces; steady = after {r['idle_seconds']} s idle")
    table(bench, [("first config (s)", "first_config_seconds", num),
                  ("full config (s)", "config_seconds", num),
                  ("peak RSS (MiB)", "peak_rss_kib", mib),
                  ("steady RSS (MiB)", "steady_rss_kib", mib),
                  ("CPU (s)", "cpu_seconds", num)])
scale = [r for r in rows if r["bench"] == "scale"]
if scale:
    r = scale[0]
    print(f"\nscale: {r['service_monitors']} ServiceMonitors, {r['pod_monitors']} PodMonitors "
          f"({r['jobs']} jobs), {r['prometheus_rules']} PrometheusRules, {r['secrets']} Secrets, "
          f"{r['namespaces']} namespaces; steady = after {r['idle_seconds']} s idle")
    table("scale", [("full config (s)", "config_seconds", num),
                    ("rules (s)", "rules_seconds", lambda v: num(v or 0.0)),
                    ("peak RSS (MiB)", "peak_rss_kib", mib),
                    ("steady RSS (MiB)", "steady_rss_kib", mib),
                    ("CPU (s)", "cpu_seconds", num)])
    print(f"\nscale: {r['monitor_changes']} ServiceMonitor changes -> config Secret, "
          f"{r['rule_changes']} PrometheusRule changes -> rule ConfigMap (ms)")
    table("scale", [("monitor p50", "monitor_p50_ms", num), ("monitor p99", "monitor_p99_ms", num),
                    ("rule p50", "rule_p50_ms", num), ("rule p99", "rule_p99_ms", num),
                    ("CPU of changes (s)", "cpu_changes_seconds", num)])
EOF

if [[ -n ${PROMOP_BENCH_KEEP:-} ]]; then
  mkdir -p "$PROMOP_BENCH_KEEP"
  cp "$work/results.jsonl" "$PROMOP_BENCH_KEEP/operator.jsonl"
  echo "raw results kept in $PROMOP_BENCH_KEEP/operator.jsonl" >&2
fi
