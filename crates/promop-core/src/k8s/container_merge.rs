//! The user's `containers` / `initContainers` applied over the generated
//! ones: a container with the name of a generated one patches it with a
//! Kubernetes strategic merge patch, the others are appended in their order.
use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, Probe};
use serde_json::{Map, Value};

use crate::select::reasons::RejectionKind;

/// A container that could not be merged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("failed to merge container {name}: {kind}")]
pub struct MergeError {
    pub name: String,
    pub kind: RejectionKind,
}

impl From<MergeError> for RejectionKind {
    /// The problem with the message `failed to merge container <name>: …`.
    fn from(error: MergeError) -> Self {
        error
            .kind
            .context(&format!("failed to merge container {}", error.name))
    }
}

/// The lists of a Container that strategic merge merges item by item, and
/// the field identifying an item (all other lists are replaced).
fn merge_key(field: &str) -> Option<&'static str> {
    match field {
        "ports" => Some("containerPort"),
        "env" => Some("name"),
        "volumeMounts" => Some("mountPath"),
        "volumeDevices" => Some("devicePath"),
        _ => None,
    }
}

/// `generated` with `patches` merged in by container name.
pub fn merge(
    generated: Vec<Container>,
    patches: &[Container],
) -> Result<Vec<Container>, MergeError> {
    // A later patch of the same name replaces an earlier one.
    let by_name: BTreeMap<&str, &Container> =
        patches.iter().map(|c| (c.name.as_str(), c)).collect();
    let mut out = Vec::with_capacity(generated.len() + patches.len());
    let mut patched = Vec::new();
    for container in generated {
        match by_name.get(container.name.as_str()) {
            Some(patch) => {
                patched.push(container.name.clone());
                out.push(merge_one(&container, patch)?);
            }
            None => out.push(container),
        }
    }
    for patch in patches {
        if !patched.contains(&patch.name)
            && let Some(last) = by_name.get(patch.name.as_str())
        {
            out.push((*last).clone());
        }
    }
    Ok(out)
}

fn merge_one(base: &Container, patch: &Container) -> Result<Container, MergeError> {
    let error = |kind: RejectionKind| MergeError {
        name: base.name.clone(),
        kind,
    };
    let to_json = |c: &Container| serde_json::to_value(c).map_err(|e| error(e.to_string().into()));
    let (Value::Object(mut original), Value::Object(patch_map)) = (to_json(base)?, to_json(patch)?)
    else {
        return Err(error("not an object".into()));
    };
    merge_map(&mut original, patch_map, true).map_err(error)?;
    let mut merged: Container =
        serde_json::from_value(Value::Object(original)).map_err(|e| error(e.to_string().into()))?;
    // Two handlers on one probe are invalid: the patch's handler wins.
    for (merged_probe, patch_probe) in [
        (&mut merged.startup_probe, &patch.startup_probe),
        (&mut merged.readiness_probe, &patch.readiness_probe),
        (&mut merged.liveness_probe, &patch.liveness_probe),
    ] {
        if let (Some(m), Some(p)) = (merged_probe.as_mut(), patch_probe)
            && handlers(m) > 1
        {
            m.exec = p.exec.clone();
            m.grpc = p.grpc.clone();
            m.http_get = p.http_get.clone();
            m.tcp_socket = p.tcp_socket.clone();
        }
    }
    Ok(merged)
}

fn handlers(probe: &Probe) -> usize {
    [
        probe.exec.is_some(),
        probe.grpc.is_some(),
        probe.http_get.is_some(),
        probe.tcp_socket.is_some(),
    ]
    .into_iter()
    .filter(|set| *set)
    .count()
}

/// Merges `patch` into `original`: maps recursively, `null` deletes, lists
/// with a merge key (only at the container's top level) item by item,
/// anything else replaced. Empty lists are left out as Go's `omitempty` does.
fn merge_map(
    original: &mut Map<String, Value>,
    patch: Map<String, Value>,
    top: bool,
) -> Result<(), RejectionKind> {
    for (key, value) in patch {
        match value {
            Value::Null => {
                original.remove(&key);
            }
            Value::Array(items) if items.is_empty() => {}
            Value::Object(patch_child) => match original.get_mut(&key) {
                Some(Value::Object(child)) => merge_map(child, patch_child, false)?,
                _ => {
                    original.insert(key, Value::Object(patch_child));
                }
            },
            Value::Array(items) => {
                let keyed = if top { merge_key(&key) } else { None };
                let merged = match (keyed, original.remove(&key)) {
                    (Some(id), Some(Value::Array(base))) => merge_list(base, items, id)?,
                    _ => items,
                };
                original.insert(key, Value::Array(merged));
            }
            other => {
                original.insert(key, other);
            }
        }
    }
    Ok(())
}

/// Strategic merge of a list of maps identified by `id`: matching items are
/// merged in place, new ones added; the result lists the patch's items in
/// the patch's order with the original-only items interleaved where they
/// stood before an item of the patch.
fn merge_list(
    original: Vec<Value>,
    patch: Vec<Value>,
    id: &str,
) -> Result<Vec<Value>, RejectionKind> {
    let key_of = |v: &Value| {
        v.get(id)
            .cloned()
            .ok_or_else(|| RejectionKind::from(format!("item without {id}: {v}")))
    };
    let original_keys = original.iter().map(key_of).collect::<Result<Vec<_>, _>>()?;
    let patch_keys = patch.iter().map(key_of).collect::<Result<Vec<_>, _>>()?;
    let mut merged = original;
    for (item, key) in patch.into_iter().zip(&patch_keys) {
        match original_keys.iter().position(|k| k == key) {
            Some(i) => {
                if let (Value::Object(base), Value::Object(p)) = (&mut merged[i], item) {
                    merge_map(base, p, false)?;
                }
            }
            None => merged.push(item),
        }
    }
    let (mut from_patch, server_only): (Vec<Value>, Vec<Value>) = merged
        .into_iter()
        .partition(|v| v.get(id).is_some_and(|k| patch_keys.contains(k)));
    from_patch.sort_by_key(|v| patch_keys.iter().position(|k| Some(k) == v.get(id)));
    let position = |v: &Value| original_keys.iter().position(|k| Some(k) == v.get(id));
    // Interleave: an original-only item goes first while it stood before the
    // next patch item in the original list.
    let mut out = Vec::with_capacity(from_patch.len() + server_only.len());
    let mut left = server_only.into_iter().peekable();
    let mut right = from_patch.into_iter().peekable();
    loop {
        let take_left = match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(l), Some(r)) => matches!((position(l), position(r)), (Some(a), Some(b)) if a < b),
        };
        let next = if take_left { left.next() } else { right.next() };
        out.extend(next);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn container(yaml: &str) -> Container {
        serde_saphyr::from_str(yaml).unwrap()
    }

    #[test]
    fn patch_by_name_merges_maps_keyed_lists_and_replaces_args() {
        let base = container(
            "name: prometheus\nimage: p:1\nargs: [--a, --b]\nenv: [{name: A, value: '1'}, {name: B, value: '2'}]\n\
             ports: [{name: web, containerPort: 9090, protocol: TCP}]\nresources: {limits: {cpu: 1}}\n",
        );
        let patch = container(
            "name: prometheus\nargs: [--c]\nenv: [{name: C, value: '3'}, {name: B, value: '9'}]\n\
             resources: {requests: {memory: 1Gi}}\n",
        );
        let sidecar = container("name: proxy\nimage: x:1\n");
        let merged = merge(vec![base], &[patch, sidecar.clone()]).unwrap();
        assert_eq!(merged.len(), 2);
        let p = &merged[0];
        assert_eq!(p.args.as_deref(), Some(&["--c".to_owned()][..]));
        let env: Vec<_> = p
            .env
            .iter()
            .flatten()
            .map(|e| (e.name.as_str(), e.value.as_deref()))
            .collect();
        // Patch items in patch order; A (original only, before B) stays ahead of B.
        assert_eq!(env, [("C", Some("3")), ("A", Some("1")), ("B", Some("9"))]);
        let resources = p.resources.as_ref().unwrap();
        assert!(resources.limits.as_ref().unwrap().contains_key("cpu"));
        assert!(resources.requests.as_ref().unwrap().contains_key("memory"));
        assert_eq!(p.image.as_deref(), Some("p:1"));
        assert_eq!(merged[1], sidecar);
    }

    #[test]
    fn a_second_probe_handler_from_the_patch_replaces_the_generated_one() {
        let base = container(
            "name: c\nreadinessProbe: {httpGet: {path: /r, port: 1}, periodSeconds: 5}\n",
        );
        let patch = container("name: c\nreadinessProbe: {tcpSocket: {port: 2}}\n");
        let merged = merge(vec![base], &[patch]).unwrap();
        let probe = merged[0].readiness_probe.as_ref().unwrap();
        assert!(probe.http_get.is_none() && probe.tcp_socket.is_some());
        assert_eq!(probe.period_seconds, Some(5));
    }
}
