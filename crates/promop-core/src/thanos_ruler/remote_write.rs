//! `remote-write.yaml` of the Secret `thanos-ruler-<name>-config`: the
//! remote-write endpoints of a ruler in stateless mode (`remote_write: []`
//! without any). Some fields the ruler's Thanos version does not know are
//! dropped first, as the reference drops them (it logs a warning); Thanos
//! never supports some of them.
use promop_api::v1::ThanosRuler;
use promop_api::v1::prometheus::RemoteWriteSpec;

use crate::prometheus::remote_write::ungated_endpoints;
use crate::select::reasons::RejectionKind;
use crate::select::validate::validate_remote_write;
use crate::snapshot::Snapshot;
use crate::version::Gate;
use crate::version::thanos::{Feature, Version};
use crate::yaml::{Mapping, Node};

/// The key of the configuration Secret.
pub const FILE: &str = "remote-write.yaml";

/// Where the reference points remote-write TLS files: the Prometheus
/// container's directory, although the ruler mounts its assets under
/// `/etc/thanos/certs` (reproduced for identical objects; such a file is
/// not found by the ruler, see conformance/known-object-differences.md).
pub const TLS_ASSETS_DIR: &str = crate::prometheus::assets::TLS_ASSETS_DIR;

/// A remote-write setting that cannot be written (field path and why).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteWriteError {
    pub field: String,
    pub kind: RejectionKind,
}

/// The file's content.
pub fn contents(
    snapshot: &Snapshot,
    ruler: &ThanosRuler,
    version: &Version,
) -> Result<String, RemoteWriteError> {
    let specs = ruler.spec.remote_write.as_deref().unwrap_or_default();
    let namespace = ruler.metadata.namespace.as_deref().unwrap_or_default();
    if !specs.is_empty() && !version.supports(Feature::RulerRemoteWrite) {
        return Err(RemoteWriteError {
            field: "spec.remoteWrite".into(),
            kind: format!(
                "thanos remote-write configuration requires at least version \"{}\": current version \"{version}\"",
                Feature::RulerRemoteWrite.minimum()
            )
            .into(),
        });
    }
    let mut supported = Vec::with_capacity(specs.len());
    for (i, spec) in specs.iter().enumerate() {
        supported.push(for_version(i, spec, version)?);
    }
    validate_remote_write(snapshot, namespace, &supported).map_err(|r| RemoteWriteError {
        field: r.path.clone(),
        kind: r.kind.clone(),
    })?;
    let mut doc = Mapping::new();
    doc.insert(
        "remote_write",
        Node::Seq(ungated_endpoints(snapshot, namespace, &supported)),
    );
    Ok(crate::yaml::to_string(&Node::Map(doc)))
}

/// `spec` without what `version` does not know.
fn for_version(
    index: usize,
    spec: &RemoteWriteSpec,
    version: &Version,
) -> Result<RemoteWriteSpec, RemoteWriteError> {
    let mut rw = spec.clone();
    let lacks = |feature: Feature| !version.supports(feature);
    if let Some(azure) = rw.azure_ad.as_mut() {
        // Never supported by Thanos.
        azure.workload_identity = None;
        azure.scope = None;
    }
    if let Some(sigv4) = rw.sigv4.as_mut() {
        sigv4.external_id = None;
    }
    if lacks(Feature::RemoteWriteManagedIdentityWithoutClientId)
        && let Some(identity) = rw
            .azure_ad
            .as_ref()
            .and_then(|a| a.managed_identity.as_ref())
        && identity.client_id.as_deref().is_none_or(str::is_empty)
    {
        return Err(RemoteWriteError {
            field: format!("spec.remoteWrite[{index}].azureAd.managedIdentity.clientId"),
            kind: format!(
                "remoteWrite[{index}]: azureAD.managedIdentity.clientId is required with Thanos < 0.40.0, current = {version}"
            )
            .into(),
        });
    }
    // The reference resets the unsupported fields on a copy of each entry:
    // only those behind a pointer (TLS versions, the queue's sample age
    // limit, Azure AD's methods) are really dropped; the others are logged
    // as ignored and written all the same (round_robin_dns,
    // protobuf_message, send_native_histograms, proxy settings, azuread).
    if lacks(Feature::RemoteWriteAzureAdSdk)
        && let Some(azure) = rw.azure_ad.as_mut()
    {
        azure.sdk = None;
    }
    if lacks(Feature::RemoteWriteSampleAgeLimit)
        && let Some(queue) = rw.queue_config.as_mut()
    {
        queue.sample_age_limit = None;
    }
    if lacks(Feature::RemoteWriteAzureAd)
        && let Some(azure) = rw.azure_ad.as_mut()
    {
        azure.oauth = None;
    }
    if let Some(tls) = rw.tls_config.as_mut() {
        if lacks(Feature::RemoteWriteTlsMaxVersion) {
            tls.safe.max_version = None;
        }
        if lacks(Feature::RemoteWriteTlsMinVersion) {
            tls.safe.min_version = None;
        }
    }
    Ok(rw)
}
