#!/usr/bin/env python3
"""Writes a synthetic cluster for benches/render-5000.sh (deterministic).

    gen-cluster.py OUT_DIR [NAMESPACES] [MONITORS_PER_NAMESPACE]
                   [POD_MONITORS_PER_NAMESPACE] [RULES_PER_NAMESPACE]

OUT_DIR receives one file per namespace (Namespace, two Secrets, the
ServiceMonitors, PodMonitors and PrometheusRules) and prometheus.yaml (one
Prometheus selecting every ServiceMonitor in every namespace, and every
PodMonitor and PrometheusRule when there are any). Each ServiceMonitor has
three endpoints with relabelings; one in three uses TLS from a Secret, one
in three basic auth from a Secret. Each PodMonitor has two endpoints (one
with basic auth), each PrometheusRule a recording rule and an alert. The
TLS Secret holds a real certificate and key (made with openssl once per
run): the reference operator parses them.

JSON is written (it is YAML, and quick to produce without dependencies).
"""
import json
import os
import subprocess
import sys
import tempfile


def certificate():
    with tempfile.TemporaryDirectory() as d:
        key, crt = os.path.join(d, "tls.key"), os.path.join(d, "tls.crt")
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
             "-out", crt, "-days", "3650", "-subj", "/CN=promop-bench"],
            check=True, capture_output=True)
        with open(crt) as c, open(key) as k:
            return c.read(), k.read()


def namespace(i):
    return {
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": f"bench-{i:03d}",
                     "labels": {"team": f"team-{i % 10}", "bench": "true"}},
    }


def secrets(ns, crt, key):
    return [
        {"apiVersion": "v1", "kind": "Secret",
         "metadata": {"name": "creds", "namespace": ns},
         "stringData": {"username": "scraper", "password": f"pw-{ns}"}},
        {"apiVersion": "v1", "kind": "Secret",
         "metadata": {"name": "tls", "namespace": ns},
         "stringData": {"ca.crt": crt, "tls.crt": crt, "tls.key": key}},
    ]


def service_monitor(ns, j):
    app = f"app-{j:02d}"
    secret = lambda name, key: {"name": name, "key": key}  # noqa: E731
    web = {
        "port": "web", "path": "/metrics", "interval": "30s",
        "relabelings": [
            {"sourceLabels": ["__meta_kubernetes_pod_node_name"],
             "targetLabel": "node"},
            {"sourceLabels": ["__meta_kubernetes_namespace",
                              "__meta_kubernetes_service_name"],
             "separator": "/", "targetLabel": "service_path"},
            {"action": "labelmap", "regex": "__meta_kubernetes_pod_label_(.+)"},
        ],
        "metricRelabelings": [
            {"sourceLabels": ["__name__"], "regex": "go_gc_.*", "action": "drop"},
        ],
    }
    admin = {
        "port": "admin", "path": "/admin/metrics", "interval": "1m",
        "scrapeTimeout": "20s",
        "relabelings": [
            {"targetLabel": "tier", "replacement": "admin"},
            {"sourceLabels": ["__meta_kubernetes_pod_container_name"],
             "regex": "sidecar-.*", "action": "drop"},
        ],
    }
    if j % 3 == 0:
        admin["scheme"] = "https"
        admin["tlsConfig"] = {
            "ca": {"secret": secret("tls", "ca.crt")},
            "cert": {"secret": secret("tls", "tls.crt")},
            "keySecret": secret("tls", "tls.key"),
            "serverName": f"{app}.{ns}.svc",
        }
    elif j % 3 == 1:
        admin["basicAuth"] = {"username": secret("creds", "username"),
                              "password": secret("creds", "password")}
    debug = {
        "port": "debug", "path": "/debug/metrics", "honorLabels": True,
        "params": {"format": ["prometheus"]},
        "relabelings": [
            {"sourceLabels": ["__address__"], "regex": "(.*):\\d+",
             "targetLabel": "host", "replacement": "$1"},
            {"action": "labeldrop", "regex": "pod_template_hash"},
        ],
    }
    return {
        "apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
        "metadata": {"name": app, "namespace": ns,
                     "labels": {"app": app, "bench": "true"}},
        "spec": {
            "jobLabel": "app",
            "selector": {"matchLabels": {"app": app}},
            "endpoints": [web, admin, debug],
        },
    }


def pod_monitor(ns, j):
    app = f"worker-{j:02d}"
    metrics = {
        "port": "metrics", "interval": "30s",
        "relabelings": [
            {"sourceLabels": ["__meta_kubernetes_pod_node_name"],
             "targetLabel": "node"},
        ],
    }
    profiling = {
        "port": "profiling", "path": "/debug/metrics",
        "basicAuth": {"username": {"name": "creds", "key": "username"},
                      "password": {"name": "creds", "key": "password"}},
    }
    return {
        "apiVersion": "monitoring.coreos.com/v1", "kind": "PodMonitor",
        "metadata": {"name": app, "namespace": ns,
                     "labels": {"app": app, "bench": "true"}},
        "spec": {
            "selector": {"matchLabels": {"app": app}},
            "podMetricsEndpoints": [metrics, profiling],
        },
    }


def prometheus_rule(ns, j):
    app = f"app-{j:02d}"
    return {
        "apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
        "metadata": {"name": f"rules-{j:02d}", "namespace": ns,
                     "labels": {"bench": "true"}},
        "spec": {"groups": [{
            "name": f"{ns}-{app}",
            "rules": [
                {"record": "job:http_requests:rate5m",
                 "expr": f'sum by (job) (rate(http_requests_total{{namespace="{ns}",app="{app}"}}[5m]))'},
                {"alert": "HighErrorRate",
                 "expr": f'sum(rate(http_requests_total{{namespace="{ns}",app="{app}",code=~"5.."}}[5m])) > 1',
                 "for": "10m",
                 "labels": {"severity": "warning"},
                 "annotations": {"summary": f"{app} in {ns} fails"}},
            ],
        }]},
    }


def prometheus(pod_monitors, rules):
    spec = {"version": "v3.5.0", "serviceMonitorSelector": {},
            "serviceMonitorNamespaceSelector": {}}
    if pod_monitors:
        spec["podMonitorSelector"] = {}
        spec["podMonitorNamespaceSelector"] = {}
    if rules:
        spec["ruleSelector"] = {}
        spec["ruleNamespaceSelector"] = {}
    return [
        {"apiVersion": "v1", "kind": "Namespace",
         "metadata": {"name": "monitoring"}},
        {"apiVersion": "monitoring.coreos.com/v1", "kind": "Prometheus",
         "metadata": {"name": "bench", "namespace": "monitoring"},
         "spec": spec},
    ]


def write(path, docs):
    with open(path, "w") as f:
        f.write("\n---\n".join(json.dumps(d) for d in docs) + "\n")


def main():
    out = sys.argv[1]
    namespaces = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    per_namespace = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    pod_monitors = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    rules = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    os.makedirs(out, exist_ok=True)
    crt, key = certificate()
    for i in range(namespaces):
        ns = namespace(i)
        name = ns["metadata"]["name"]
        docs = [ns] + secrets(name, crt, key)
        docs += [service_monitor(name, j) for j in range(per_namespace)]
        docs += [pod_monitor(name, j) for j in range(pod_monitors)]
        docs += [prometheus_rule(name, j) for j in range(rules)]
        write(os.path.join(out, f"{name}.yaml"), docs)
    write(os.path.join(out, "prometheus.yaml"), prometheus(pod_monitors, rules))


if __name__ == "__main__":
    main()
