//! Pod volumes as directories of the kubelet's scratch space: Secret and
//! ConfigMap volumes (and projections of them) are written from the API
//! objects, emptyDir and claims are empty directories.
//!
//! Files are rewritten in place (temporary file + rename in the same
//! directory), so the directory bound into the pod's mount namespace sees
//! updates; a file bound by `subPath` keeps its old content, as with a real
//! kubelet. File modes (`defaultMode`, `items[].mode`) are not applied: the
//! test bed runs everything as root.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result, bail};
use k8s_openapi::api::core::v1::{ConfigMap, KeyToPath, Secret, Volume};
use kube::{Api, Client};

/// Where a volume's files come from.
#[derive(Debug, Clone)]
enum Source {
    /// Written from API objects or fixed content; rewritten on reload.
    Files(Vec<Projection>),
    /// emptyDir, persistentVolumeClaim, volumeClaimTemplates: an empty
    /// directory that lives as long as the pod.
    Scratch,
}

#[derive(Debug, Clone)]
enum Projection {
    Secret {
        name: String,
        items: Option<Vec<KeyToPath>>,
        optional: bool,
    },
    ConfigMap {
        name: String,
        items: Option<Vec<KeyToPath>>,
        optional: bool,
    },
    /// Content known when the pod starts (service-account token, CA).
    File { path: String, content: Vec<u8> },
}

/// A volume of the pod and its directory on the host.
#[derive(Debug, Clone)]
pub(super) struct PodVolume {
    pub name: String,
    pub dir: PathBuf,
    source: Source,
    /// Files written by the last [`materialize`](Self::materialize).
    written: BTreeSet<PathBuf>,
}

impl PodVolume {
    /// A volume of the pod spec. `token` is what a `serviceAccountToken`
    /// projection receives.
    pub fn from_spec(volume: &Volume, dir: PathBuf, token: &str) -> Result<Self> {
        let source = if let Some(s) = &volume.secret {
            let name = s
                .secret_name
                .clone()
                .with_context(|| format!("volume {}: secret without secretName", volume.name))?;
            Source::Files(vec![Projection::Secret {
                name,
                items: s.items.clone(),
                optional: s.optional.unwrap_or(false),
            }])
        } else if let Some(c) = &volume.config_map {
            Source::Files(vec![Projection::ConfigMap {
                name: c.name.clone(),
                items: c.items.clone(),
                optional: c.optional.unwrap_or(false),
            }])
        } else if let Some(p) = &volume.projected {
            let sources = p.sources.as_deref().unwrap_or_default();
            Source::Files(
                sources
                    .iter()
                    .map(|s| projection(&volume.name, s, token))
                    .collect::<Result<_>>()?,
            )
        } else if volume.empty_dir.is_some() || volume.persistent_volume_claim.is_some() {
            Source::Scratch
        } else {
            bail!(
                "volume {}: unsupported volume source (the test bed's kubelet knows secret, \
                 configMap, projected, emptyDir and persistentVolumeClaim): {}",
                volume.name,
                serde_json::to_string(volume)?
            );
        };
        Ok(Self::new(&volume.name, dir, source))
    }

    /// A volume claimed through the StatefulSet's `volumeClaimTemplates`.
    pub fn claim(name: &str, dir: PathBuf) -> Self {
        Self::new(name, dir, Source::Scratch)
    }

    /// A volume of fixed files (the service-account volume).
    pub fn files(name: &str, dir: PathBuf, files: &[(&str, &[u8])]) -> Self {
        let projections = files
            .iter()
            .map(|(path, content)| Projection::File {
                path: (*path).to_owned(),
                content: content.to_vec(),
            })
            .collect();
        Self::new(name, dir, Source::Files(projections))
    }

    fn new(name: &str, dir: PathBuf, source: Source) -> Self {
        Self {
            name: name.to_owned(),
            dir,
            source,
            written: BTreeSet::new(),
        }
    }

    /// Creates the directory and (re)writes the volume's files from the API
    /// objects of `namespace`. Fails on a missing object that is not
    /// optional (a kubelet would not start the pod).
    pub async fn materialize(&mut self, client: &Client, namespace: &str) -> Result<()> {
        std::fs::create_dir_all(&self.dir)
            .with_context(|| format!("creating {}", self.dir.display()))?;
        let Source::Files(projections) = &self.source else {
            return Ok(());
        };
        let mut files = BTreeMap::new();
        for p in projections {
            files.extend(
                project(p, client, namespace)
                    .await
                    .with_context(|| format!("volume {}", self.name))?,
            );
        }
        for (rel, content) in &files {
            write_atomically(&self.dir.join(rel), content)?;
        }
        for stale in self.written.iter().filter(|f| !files.contains_key(*f)) {
            let _ = std::fs::remove_file(self.dir.join(stale));
        }
        self.written = files.into_keys().collect();
        Ok(())
    }
}

fn projection(
    volume: &str,
    source: &k8s_openapi::api::core::v1::VolumeProjection,
    token: &str,
) -> Result<Projection> {
    if let Some(s) = &source.secret {
        Ok(Projection::Secret {
            name: s.name.clone(),
            items: s.items.clone(),
            optional: s.optional.unwrap_or(false),
        })
    } else if let Some(c) = &source.config_map {
        Ok(Projection::ConfigMap {
            name: c.name.clone(),
            items: c.items.clone(),
            optional: c.optional.unwrap_or(false),
        })
    } else if let Some(t) = &source.service_account_token {
        Ok(Projection::File {
            path: t.path.clone(),
            content: token.as_bytes().to_vec(),
        })
    } else {
        bail!(
            "volume {volume}: unsupported projection (secret, configMap and \
             serviceAccountToken are known): {}",
            serde_json::to_string(source)?
        )
    }
}

/// The files (relative path → content) one projection contributes.
async fn project(
    p: &Projection,
    client: &Client,
    namespace: &str,
) -> Result<BTreeMap<PathBuf, Vec<u8>>> {
    let (kind, name, items, optional, data) = match p {
        Projection::File { path, content } => {
            return Ok(BTreeMap::from([(relative(path)?, content.clone())]));
        }
        Projection::Secret {
            name,
            items,
            optional,
        } => {
            let secret = Api::<Secret>::namespaced(client.clone(), namespace)
                .get_opt(name)
                .await?;
            let data = secret.map(|s| {
                s.data
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(k, v)| (k, v.0))
                    .collect::<BTreeMap<_, _>>()
            });
            ("Secret", name, items, *optional, data)
        }
        Projection::ConfigMap {
            name,
            items,
            optional,
        } => {
            let cm = Api::<ConfigMap>::namespaced(client.clone(), namespace)
                .get_opt(name)
                .await?;
            let data = cm.map(|cm| {
                let text = cm
                    .data
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(k, v)| (k, v.into_bytes()));
                let binary = cm
                    .binary_data
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(k, v)| (k, v.0));
                text.chain(binary).collect::<BTreeMap<_, _>>()
            });
            ("ConfigMap", name, items, *optional, data)
        }
    };
    let Some(mut data) = data else {
        if optional {
            return Ok(BTreeMap::new());
        }
        bail!("{kind} {namespace}/{name} not found");
    };
    let Some(items) = items else {
        return data
            .into_iter()
            .map(|(k, v)| Ok((relative(&k)?, v)))
            .collect();
    };
    items
        .iter()
        .filter_map(|item| match data.remove(&item.key) {
            Some(v) => Some(relative(&item.path).map(|p| (p, v))),
            None if optional => None,
            None => Some(Err(anyhow::anyhow!(
                "{kind} {namespace}/{name} has no key {:?}",
                item.key
            ))),
        })
        .collect()
}

/// A path inside a volume: relative, without `..`.
pub(super) fn relative(path: &str) -> Result<PathBuf> {
    let p = Path::new(path);
    if p.components().all(|c| matches!(c, Component::Normal(_))) && !path.is_empty() {
        Ok(p.to_owned())
    } else {
        bail!("path {path:?} must be relative, without '..'")
    }
}

fn write_atomically(path: &Path, content: &[u8]) -> Result<()> {
    let parent = path.parent().context("file without a parent directory")?;
    std::fs::create_dir_all(parent)?;
    let mut tmp = tempfile::NamedTempFile::new_in(parent)?;
    std::io::Write::write_all(&mut tmp, content)?;
    tmp.persist(path)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
