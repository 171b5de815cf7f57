#!/usr/bin/env python3
"""Writes src/crd/k8s_schemas.json: the schemas of the Kubernetes types that
promop's CRDs embed, taken from Kubernetes' own OpenAPI v3 spec and reshaped the
way controller-gen writes them into CRDs (refs unwrapped, strategic-merge-patch
keys dropped, zero-value defaults that Kubernetes' generator adds dropped).

Usage: gen-k8s-schemas.py K8S_OPENAPI_V3_DIR OUT_JSON
K8S_OPENAPI_V3_DIR is api/openapi-spec/v3 of the k8s.io/kubernetes module at the
version whose k8s.io/api the reference operator uses (v1.37.x for v0.94.1):
  go mod download -json k8s.io/kubernetes@v1.37.2
"""
import json
import os
import sys

SPEC_FILES = ["api__v1_openapi.json", "apis__apps__v1_openapi.json"]
DROP_KEYS = {"x-kubernetes-patch-strategy", "x-kubernetes-patch-merge-key", "x-kubernetes-unions"}
# Types that controller-gen renders specially instead of from their OpenAPI shape.
SPECIAL = {
    "io.k8s.apimachinery.pkg.api.resource.Quantity": {
        "anyOf": [{"type": "integer"}, {"type": "string"}],
        "pattern": r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$",
        "x-kubernetes-int-or-string": True,
    },
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": {
        "anyOf": [{"type": "integer"}, {"type": "string"}],
        "x-kubernetes-int-or-string": True,
    },
    "io.k8s.apimachinery.pkg.apis.meta.v1.Time": {"type": "string", "format": "date-time"},
    "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime": {"type": "string", "format": "date-time"},
    # controller-gen keeps embedded object metadata opaque.
    "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta": {"type": "object"},
}
# Structs that embed the atomic LocalObjectReference: controller-gen makes the
# embedding struct atomic too.
ATOMIC = [
    "io.k8s.api.core.v1.ConfigMapEnvSource",
    "io.k8s.api.core.v1.SecretEnvSource",
    "io.k8s.api.core.v1.ConfigMapVolumeSource",
    "io.k8s.api.core.v1.ConfigMapProjection",
    "io.k8s.api.core.v1.SecretProjection",
]
# Defaults given as references to Go constants, which controller-gen drops.
DROP_DEFAULTS = [
    ("io.k8s.api.core.v1.AzureDiskVolumeSource", "cachingMode"),
    ("io.k8s.api.core.v1.AzureDiskVolumeSource", "kind"),
]
# Enums that Kubernetes' OpenAPI spec leaves out but controller-gen writes
# from the Go types' `+enum` markers (new in Kubernetes 1.37).
ENUMS = [
    ("io.k8s.api.core.v1.VolumeHealthCondition", "status", ["DataLoss", "Degraded", "Inaccessible"]),
]
REF = "#/components/schemas/"


ZERO_VALUES = ("", 0, False, {}, [])


def reshape(node, required=False):
    """Unwraps `allOf: [$ref]`, drops patch keys, and drops the zero-value
    defaults that Kubernetes' generator writes for required fields and list or
    map members (controller-gen writes only the `+default` markers)."""
    if isinstance(node, list):
        return [reshape(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {}
    all_of = node.get("allOf")
    if all_of and len(all_of) == 1 and "$ref" in all_of[0]:
        out["$ref"] = all_of[0]["$ref"][len(REF):]
    for key, value in node.items():
        if key in DROP_KEYS or key == "allOf" and "$ref" in out:
            continue
        if key == "$ref":
            out["$ref"] = value[len(REF):]
        elif key == "default" and (value in ({}, []) or required and value in ZERO_VALUES):
            continue
        elif key == "properties":
            needed = set(node.get("required", []))
            out[key] = {k: reshape(v, k in needed) for k, v in value.items()}
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            out[key] = reshape(value, True)
        else:
            out[key] = reshape(value)
    return out


def main(spec_dir, out_path):
    schemas = {}
    for name in SPEC_FILES:
        with open(os.path.join(spec_dir, name)) as f:
            schemas.update(json.load(f)["components"]["schemas"])
    out = {}
    for name, schema in sorted(schemas.items()):
        if not name.startswith("io.k8s.") or ".pkg.apis.meta.v1.WatchEvent" in name:
            continue
        out[name] = SPECIAL.get(name) or reshape(schema)
    for name, schema in SPECIAL.items():
        out[name] = schema
    for name in ATOMIC:
        out[name]["x-kubernetes-map-type"] = "atomic"
    for name, prop in DROP_DEFAULTS:
        out[name]["properties"][prop].pop("default", None)
    for name, prop, values in ENUMS:
        out[name]["properties"][prop]["enum"] = values
    with open(out_path, "w") as f:
        json.dump(out, f, sort_keys=True, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
