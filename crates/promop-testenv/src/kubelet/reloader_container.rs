//! The config-reloader containers run as processes (rather than their job
//! done by the kubelet on [`RunningPod::reload`](super::RunningPod::reload)):
//! always for promop's image (`promop config-reloader`, whose watch mode
//! has no file to emulate), and for the reference's image when
//! [`PodOptions::reference_reloader`] asks for it. The init container runs
//! to completion before the main container, the sidecar after it with its
//! `--reload-url` pointing at the main container's loopback address.
//!
//! promop's reloader also gets the token of the pod's ServiceAccount
//! (which must exist, as the API server's admission requires) instead of
//! the admin token the other containers use, so that it reads the API
//! server with the RBAC the operator wrote for it and nothing more.
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result, bail};
use k8s_openapi::api::core::v1::{Container, PodSpec};

use super::container::image_tag;
use super::rootfs::Mount;
use super::volumes::PodVolume;
use super::{RELOADER, SERVICE_ACCOUNT_DIR};
use crate::apiserver::TestEnv;

/// The reference's reloader, installed by testenv/install.sh.
const REFERENCE_BINARY: &str = "prometheus-config-reloader-reference";
const INIT_RELOADER: &str = "init-config-reloader";
/// The flags whose URLs name the main container (`localhost:9090`).
const URL_FLAGS: &[&str] = &["--reload-url", "--runtimeinfo-url"];
pub(super) const LISTEN_FLAG: &str = "--listen-address";

/// How the kubelet runs a pod, beyond what every test needs.
#[derive(Clone, Debug, Default)]
pub struct PodOptions {
    /// The binary run for containers of promop's image
    /// (`ghcr.io/promop/promop:<tag>`): the build under test.
    pub promop_binary: Option<PathBuf>,
    /// Run the reference's reloader binary as the sidecar (the kubelet then
    /// only syncs the volumes, see `volume_sync`).
    pub reference_reloader: bool,
    /// Rewrite the Secret and ConfigMap volumes periodically, as a real
    /// kubelet's pod resync does; `None`: only on `reload()`.
    pub volume_sync: Option<VolumeSync>,
}

/// When the kubelet rewrites a pod's volumes: after `period` stretched by
/// up to `jitter` of itself, again and again.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VolumeSync {
    pub period: Duration,
    pub jitter: f64,
}

impl VolumeSync {
    /// A kubelet's defaults: `--sync-frequency=1m`, and the pod worker's
    /// resync jitter factor of 0.5 (a pod is synced 60 to 90 s apart).
    pub const KUBELET_DEFAULT: Self = Self {
        period: Duration::from_secs(60),
        jitter: 0.5,
    };

    /// The wait before the next sync.
    pub fn next(&self) -> Duration {
        self.period.mul_f64(1.0 + self.jitter * fraction())
    }

    /// A point of the period drawn at random: when a change made at any
    /// time falls in the cycle.
    pub fn phase(&self) -> Duration {
        self.period.mul_f64(fraction())
    }
}

/// A fraction in [0, 1). No randomness crate: the clock's nanoseconds are
/// noise enough.
fn fraction() -> f64 {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    f64::from(nanos % 1_000_000) / 1_000_000.0
}

/// The task of [`spawn_volume_sync`], aborted on drop.
pub(super) struct VolumeSyncTask(tokio::task::JoinHandle<()>);

impl Drop for VolumeSyncTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Rewrites `volumes` every `sync.next()` until dropped.
pub(super) fn spawn_volume_sync(
    client: kube::Client,
    namespace: String,
    mut volumes: Vec<PodVolume>,
    sync: VolumeSync,
) -> VolumeSyncTask {
    VolumeSyncTask(tokio::spawn(async move {
        loop {
            tokio::time::sleep(sync.next()).await;
            for v in &mut volumes {
                if let Err(error) = v.materialize(&client, &namespace).await {
                    eprintln!("kubelet: volume sync of {}: {error:#}", v.name);
                }
            }
        }
    }))
}

/// Whether an image is promop's (its repository's last segment `promop`).
pub(super) fn is_promop_image(image: &str) -> bool {
    let image = image.split('@').next().unwrap_or(image);
    let tag = image_tag(image);
    let repository = image.strip_suffix(&format!(":{tag}")).unwrap_or(image);
    repository.rsplit('/').next() == Some("promop")
}

/// The reloader containers run as processes, with their binary.
pub(super) struct ReloaderProcess<'a> {
    pub init: Option<&'a Container>,
    pub sidecar: Option<&'a Container>,
    pub binary: PathBuf,
    /// promop's: the pod's ServiceAccount token.
    pub promop: bool,
}

impl<'a> ReloaderProcess<'a> {
    /// Which of `spec`'s reloader containers run as processes, if any.
    pub fn of(spec: &'a PodSpec, options: &PodOptions) -> Result<Option<Self>> {
        let sidecar = spec.containers.iter().find(|c| c.name == RELOADER);
        let init = spec
            .init_containers
            .iter()
            .flatten()
            .find(|c| c.name == INIT_RELOADER);
        let Some(image) = sidecar.or(init).and_then(|c| c.image.as_deref()) else {
            return Ok(None);
        };
        let promop = is_promop_image(image);
        let binary = if promop {
            options.promop_binary.clone().with_context(|| {
                format!(
                    "the pod's reloader is {image}: the kubelet needs PodOptions::promop_binary"
                )
            })?
        } else if options.reference_reloader {
            crate::paths::binary(REFERENCE_BINARY)?
        } else {
            return Ok(None);
        };
        for c in init.iter().chain(&sidecar) {
            if c.args
                .iter()
                .flatten()
                .any(|a| a == "--reload-method=signal")
            {
                bail!(
                    "container {}: the signal reload method is not supported",
                    c.name
                );
            }
        }
        Ok(Some(Self {
            init,
            sidecar,
            binary,
            promop,
        }))
    }
}

/// The reloader's URL flags pointed at `main` (`127.0.0.1:<port>`), path
/// kept.
pub(super) fn url_flags(c: &Container, main: &str) -> Vec<(&'static str, String)> {
    URL_FLAGS
        .iter()
        .filter_map(|flag| {
            let prefix = format!("{flag}=");
            let value = c
                .args
                .iter()
                .flatten()
                .find_map(|a| a.strip_prefix(&prefix))?;
            let (scheme, rest) = value.split_once("://")?;
            let path = rest.find('/').map_or("", |i| &rest[i..]);
            Some((*flag, format!("{scheme}://{main}{path}")))
        })
        .collect()
}

/// A service-account directory with the token of the pod's ServiceAccount
/// (`default` when unnamed), mounted over the admin one.
pub(super) async fn service_account_mount(
    env: &TestEnv,
    spec: &PodSpec,
    namespace: &str,
    dir: PathBuf,
) -> Result<Mount> {
    let account = spec
        .service_account_name
        .as_deref()
        .filter(|s| !s.is_empty())
        .unwrap_or("default");
    let token = env.service_account_token(namespace, account).await?;
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("token"), token)?;
    std::fs::copy(env.ca_cert_path(), dir.join("ca.crt"))?;
    std::fs::write(dir.join("namespace"), namespace)?;
    Ok(Mount {
        target: SERVICE_ACCOUNT_DIR.into(),
        source: dir,
        read_only: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn promop_images_are_recognized() {
        assert!(is_promop_image("ghcr.io/promop/promop:0.1.0"));
        assert!(is_promop_image("localhost:5000/promop"));
        assert!(is_promop_image("promop:dev@sha256:ab"));
        assert!(!is_promop_image(
            "quay.io/prometheus-operator/prometheus-config-reloader:v0.94.1"
        ));
        assert!(!is_promop_image("ghcr.io/promop/orders-service:0.1.0"));
    }

    #[test]
    fn url_flags_name_the_running_container() {
        let c: Container = serde_json::from_value(serde_json::json!({
            "name": "config-reloader",
            "args": ["--reload-url=http://localhost:9090/prefix/-/reload", "--watched-dir=/x"]
        }))
        .unwrap();
        assert_eq!(
            url_flags(&c, "127.0.0.1:4321"),
            [(
                "--reload-url",
                "http://127.0.0.1:4321/prefix/-/reload".to_owned()
            )]
        );
    }

    #[test]
    fn syncs_are_a_period_apart_plus_jitter() {
        let sync = VolumeSync::KUBELET_DEFAULT;
        for _ in 0..10 {
            let next = sync.next();
            assert!(next >= Duration::from_secs(60) && next <= Duration::from_secs(90));
        }
    }
}
