//! What a container of a pod sees, as a kubelet sets it up: its image's
//! tag, its environment (literal values, fieldRefs, Secret and ConfigMap
//! keys, `$(VAR)` expansion), its mounts, its arguments with the flags the
//! test bed imposes, and the config-reloader's settings.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use k8s_openapi::api::core::v1::{ConfigMap, Container, PodSpec, Secret};
use kube::{Api, Client};

use super::reloader::{ConfigReloader, expand};
use super::rootfs::Mount;
use super::volumes::{PodVolume, relative};
use super::{OBJECTS_TIMEOUT, PATH};
use crate::apiserver::TestEnv;

pub(super) struct PodInfo {
    pub name: String,
    pub namespace: String,
    /// The values of the containers' env `secretKeyRef`s and
    /// `configMapKeyRef`s, read from the API ([`resolve_env_refs`]);
    /// absent when optional and missing.
    pub env_refs: BTreeMap<EnvRef, String>,
}

/// `(kind, name, key)` of an env `secretKeyRef` (`Secret`) or
/// `configMapKeyRef` (`ConfigMap`).
pub(super) type EnvRef = (&'static str, String, String);

/// The Secret and ConfigMap keys `containers`' env refers to, waiting
/// (as a kubelet keeps the pod in ContainerCreating) for those that are
/// not optional.
pub(super) async fn resolve_env_refs(
    client: &Client,
    namespace: &str,
    containers: &[Container],
) -> Result<BTreeMap<EnvRef, String>> {
    let mut wanted = Vec::new();
    for var in containers.iter().flat_map(|c| c.env.iter().flatten()) {
        let Some(from) = &var.value_from else {
            continue;
        };
        if let Some(s) = &from.secret_key_ref {
            let r = ("Secret", s.name.clone(), s.key.clone());
            wanted.push((r, s.optional.unwrap_or(false)));
        }
        if let Some(c) = &from.config_map_key_ref {
            let r = ("ConfigMap", c.name.clone(), c.key.clone());
            wanted.push((r, c.optional.unwrap_or(false)));
        }
    }
    let secrets: Api<Secret> = Api::namespaced(client.clone(), namespace);
    let config_maps: Api<ConfigMap> = Api::namespaced(client.clone(), namespace);
    let start = Instant::now();
    let mut values = BTreeMap::new();
    for ((kind, name, key), optional) in wanted {
        let value = loop {
            let value = if kind == "Secret" {
                secrets.get_opt(&name).await?.and_then(|s| {
                    let v = s.data?.remove(&key)?;
                    Some(String::from_utf8_lossy(&v.0).into_owned())
                })
            } else {
                config_maps
                    .get_opt(&name)
                    .await?
                    .and_then(|c| c.data?.remove(&key))
            };
            if value.is_some() || optional {
                break value;
            }
            if start.elapsed() > OBJECTS_TIMEOUT {
                bail!(
                    "env: {kind} {namespace}/{name} has no key {key:?} after {OBJECTS_TIMEOUT:?}"
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        if let Some(v) = value {
            values.insert((kind, name, key), v);
        }
    }
    Ok(values)
}

/// What every container's environment starts with: the in-cluster
/// apiserver address (the local one) and the hostname.
pub(super) fn base_env(env: &TestEnv, pod_name: &str) -> Result<BTreeMap<String, String>> {
    let (host, port) = env
        .server_url()
        .trim_start_matches("https://")
        .rsplit_once(':')
        .context("apiserver URL without a port")?;
    Ok(BTreeMap::from([
        ("PATH".to_owned(), PATH.to_owned()),
        ("HOSTNAME".to_owned(), pod_name.to_owned()),
        ("KUBERNETES_SERVICE_HOST".to_owned(), host.to_owned()),
        ("KUBERNETES_SERVICE_PORT".to_owned(), port.to_owned()),
        ("KUBERNETES_SERVICE_PORT_HTTPS".to_owned(), port.to_owned()),
    ]))
}

pub(super) fn container<'a>(spec: &'a PodSpec, name: &str) -> Result<&'a Container> {
    spec.containers
        .iter()
        .find(|c| c.name == name)
        .with_context(|| {
            let names: Vec<&str> = spec.containers.iter().map(|c| c.name.as_str()).collect();
            format!("no container {name:?} (containers: {names:?})")
        })
}

/// `v3.5.0` of `quay.io/prometheus/prometheus:v3.5.0[@sha256:...]`.
pub(super) fn image_tag(image: &str) -> &str {
    let image = image.split('@').next().unwrap_or(image);
    let last = image.rsplit('/').next().unwrap_or(image);
    last.split_once(':').map_or("", |(_, tag)| tag)
}

/// The container's env in order; values may refer to earlier ones (and to
/// `base`) as `$(NAME)`.
pub(super) fn container_env(
    c: &Container,
    pod: &PodInfo,
    base: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>> {
    let mut env = BTreeMap::new();
    for var in c.env.iter().flatten() {
        let value = if let Some(field) = var.value_from.as_ref().and_then(|v| v.field_ref.as_ref())
        {
            match field.field_path.as_str() {
                "metadata.name" => pod.name.clone(),
                "metadata.namespace" => pod.namespace.clone(),
                "spec.nodeName" => "localhost".to_owned(),
                "status.podIP" | "status.hostIP" => "127.0.0.1".to_owned(),
                other => bail!(
                    "container {}: env {}: unsupported fieldRef {other}",
                    c.name,
                    var.name
                ),
            }
        } else if let Some(from) = &var.value_from {
            let r: EnvRef = if let Some(s) = &from.secret_key_ref {
                ("Secret", s.name.clone(), s.key.clone())
            } else if let Some(m) = &from.config_map_key_ref {
                ("ConfigMap", m.name.clone(), m.key.clone())
            } else {
                bail!(
                    "container {}: env {}: only literal values, fieldRefs, secretKeyRefs and \
                     configMapKeyRefs are supported",
                    c.name,
                    var.name
                );
            };
            match pod.env_refs.get(&r) {
                Some(v) => v.clone(),
                // Optional and missing: a kubelet leaves the variable unset.
                None => continue,
            }
        } else {
            let raw = var.value.as_deref().unwrap_or_default();
            expand(raw, |n| env.get(n).or_else(|| base.get(n)).cloned())
        };
        env.insert(var.name.clone(), value);
    }
    Ok(env)
}

/// The container's volumeMounts, sources resolved to the volumes' host
/// directories (and `subPath` / `subPathExpr` inside them).
pub(super) fn container_mounts(
    c: &Container,
    volumes: &[PodVolume],
    pod: &PodInfo,
) -> Result<Vec<Mount>> {
    let env = container_env(c, pod, &BTreeMap::new())?;
    c.volume_mounts
        .iter()
        .flatten()
        .map(|m| {
            let volume = volumes
                .iter()
                .find(|v| v.name == m.name)
                .with_context(|| format!("volumeMount {}: no volume {:?}", m.mount_path, m.name))?;
            let sub_path = match (&m.sub_path, &m.sub_path_expr) {
                (Some(p), _) if !p.is_empty() => Some(p.clone()),
                (_, Some(e)) if !e.is_empty() => Some(expand(e, |n| env.get(n).cloned())),
                _ => None,
            };
            let source = match sub_path {
                Some(p) => {
                    let source = volume.dir.join(relative(&p)?);
                    // A kubelet creates a missing subPath as a directory.
                    if !source.exists() {
                        std::fs::create_dir_all(&source)?;
                    }
                    source
                }
                None => volume.dir.clone(),
            };
            Ok(Mount {
                target: PathBuf::from(&m.mount_path),
                source,
                read_only: m.read_only.unwrap_or(false),
            })
        })
        .collect()
}

/// The sidecar's `--config-file` and `--config-envsubst-file` as host paths
/// (through its own volumeMounts) and its environment; None when it only
/// watches directories (a ThanosRuler's reloader has no `--config-file`).
pub(super) fn config_reloader(
    c: &Container,
    volumes: &[PodVolume],
    pod: &PodInfo,
    base: &BTreeMap<String, String>,
) -> Result<Option<ConfigReloader>> {
    let flag = |name: &str| {
        let prefix = format!("--{name}=");
        c.args
            .iter()
            .flatten()
            .find_map(|a| a.strip_prefix(&prefix))
            .with_context(|| format!("container {}: no {prefix}", c.name))
    };
    let mounts = container_mounts(c, volumes, pod)?;
    let host = |pod_path: &str| -> Result<PathBuf> {
        let pod_path = Path::new(pod_path);
        mounts
            .iter()
            .filter(|m| pod_path.starts_with(&m.target))
            .max_by_key(|m| m.target.components().count())
            .map(|m| {
                m.source
                    .join(pod_path.strip_prefix(&m.target).unwrap_or(pod_path))
            })
            .with_context(|| {
                format!(
                    "container {}: {} is on no volume",
                    c.name,
                    pod_path.display()
                )
            })
    };
    if flag("config-file").is_err() {
        return Ok(None);
    }
    let mut env = base.clone();
    env.extend(container_env(c, pod, base)?);
    Ok(Some(ConfigReloader::new(
        host(flag("config-file")?)?,
        host(flag("config-envsubst-file")?)?,
        env,
    )))
}

/// `args` with every occurrence of each flag of `flags` (`--f=v` or
/// `--f v`) dropped and `--f=<value>` appended.
pub(super) fn with_flags(args: &[String], flags: &[(&str, &str)]) -> Vec<String> {
    let mut out = Vec::with_capacity(args.len() + flags.len());
    let mut skip_value = false;
    for a in args {
        if std::mem::take(&mut skip_value) {
            continue;
        }
        let name = a.split_once('=').map_or(a.as_str(), |(name, _)| name);
        if flags.iter().any(|(flag, _)| *flag == name) {
            skip_value = name == a;
        } else {
            out.push(a.clone());
        }
    }
    out.extend(flags.iter().map(|(flag, value)| format!("{flag}={value}")));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubelet::LISTEN_ADDRESS;

    #[test]
    fn image_tags() {
        assert_eq!(image_tag("quay.io/prometheus/prometheus:v3.5.0"), "v3.5.0");
        assert_eq!(
            image_tag("localhost:5000/prometheus:v2.53.1@sha256:ab"),
            "v2.53.1"
        );
        assert_eq!(image_tag("localhost:5000/prometheus"), "");
    }

    #[test]
    fn env_from_secret_and_config_map_keys() {
        let c: Container = serde_json::from_value(serde_json::json!({
            "name": "thanos-sidecar",
            "env": [
                {"name": "OBJSTORE_CONFIG", "valueFrom": {"secretKeyRef":
                    {"name": "objstore", "key": "objstore.yaml"}}},
                {"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "cm", "key": "mode"}}},
                {"name": "GONE", "valueFrom": {"secretKeyRef":
                    {"name": "missing", "key": "k", "optional": true}}},
                {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                {"name": "BOTH", "value": "$(MODE)-$(POD_NAME)"}
            ]
        }))
        .unwrap();
        let pod = PodInfo {
            name: "prometheus-main-1".into(),
            namespace: "monitoring".into(),
            env_refs: BTreeMap::from([
                (
                    ("Secret", "objstore".into(), "objstore.yaml".into()),
                    "type: FILESYSTEM\n".into(),
                ),
                (("ConfigMap", "cm".into(), "mode".into()), "fast".into()),
            ]),
        };
        let env = container_env(&c, &pod, &BTreeMap::new()).unwrap();
        assert_eq!(env["OBJSTORE_CONFIG"], "type: FILESYSTEM\n");
        assert_eq!(env["BOTH"], "fast-prometheus-main-1");
        assert!(!env.contains_key("GONE"), "{env:?}");
    }

    #[test]
    fn imposed_flags_replace_the_containers() {
        let args: Vec<String> = [
            "--a",
            "--web.listen-address=:9090",
            "--web.listen-address",
            ":1",
            "--cluster.listen-address=[$(POD_IP)]:9094",
            "--web.listen-addresses=kept",
            "--b",
        ]
        .map(String::from)
        .into();
        assert_eq!(
            with_flags(
                &args,
                &[
                    (LISTEN_ADDRESS, "127.0.0.1:7"),
                    ("--cluster.listen-address", "")
                ]
            ),
            [
                "--a",
                "--web.listen-addresses=kept",
                "--b",
                "--web.listen-address=127.0.0.1:7",
                "--cluster.listen-address="
            ]
        );
    }
}
