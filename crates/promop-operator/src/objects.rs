//! Writing a workload's objects: what the core built (config, TLS assets and
//! web-config Secrets, rule ConfigMaps, the governing Service, one
//! StatefulSet per shard or an agent's DaemonSet) applied in the
//! reference's order — Secrets and ConfigMaps before the StatefulSets that
//! mount them, and in watch mode the reloader's Role and RoleBinding — and the numbered objects no longer needed removed, as is
//! the StatefulSet or DaemonSet of an agent's previous mode.

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{ConfigMap, Secret, Service};
use kube::api::{DeleteParams, PropagationPolicy};
use kube::runtime::reflector::ObjectRef;
use kube::{Api, Client, ResourceExt};
use promop_core::desired::{AlertmanagerObjects, PrometheusObjects, ThanosRulerObjects};
use promop_core::k8s::numbered::Numbered;
use promop_core::k8s::reloader_rbac::ReloaderRbac;
use promop_core::k8s::service::merge_owner_references;

use crate::apply::{self, Outcome};
use crate::error::Error;
use crate::reloader_rbac;
use crate::stores::Owned;

/// The objects of one workload, all of them to write.
pub struct Desired {
    pub objects: PrometheusObjects,
    pub rule_config_maps: Vec<ConfigMap>,
    /// Whether the user manages the configuration Secret (then only created
    /// when missing).
    pub unmanaged_config: bool,
    /// Keep StatefulSets of removed shards (`shardRetentionPolicy`).
    pub retain_shards: bool,
}

/// Writes what changed; returns how many objects were written or deleted.
#[tracing::instrument(name = "apply", skip_all)]
pub async fn write(
    client: &Client,
    owned: &Owned,
    owner_uid: &str,
    desired: &Desired,
) -> Result<usize, Error> {
    let mut changed = 0;
    let mut count = |outcome: Outcome| changed += usize::from(outcome == Outcome::Written);
    let PrometheusObjects {
        config,
        tls_assets,
        web_config,
        thanos_http_client,
        service,
        stateful_sets,
        daemon_set,
        numbered,
        reloader_rbac,
    } = &desired.objects;
    if desired.unmanaged_config {
        count(apply::create_if_absent(client, &owned.secrets, config).await?);
    } else {
        count(apply::apply(client, &owned.secrets, config).await?);
    }
    for secret in tls_assets
        .iter()
        .chain([web_config])
        .chain(thanos_http_client)
    {
        count(apply::apply(client, &owned.secrets, secret).await?);
    }
    for map in &desired.rule_config_maps {
        count(apply::apply(client, &owned.config_maps, map).await?);
    }
    if let Some(service) = service {
        let service = with_other_owners(service, &owned.services);
        count(apply::apply(client, &owned.services, &service).await?);
    }
    for outcome in reloader_rbac::write(client, owned, reloader_rbac.as_ref()).await? {
        count(outcome);
    }
    for set in stateful_sets {
        count(apply_pod_controller(client, &owned.stateful_sets, set).await?);
    }
    if let Some(set) = daemon_set {
        count(apply_pod_controller(client, &owned.daemon_sets, set).await?);
    }

    let kept = Kept {
        numbered,
        shards: (!desired.retain_shards).then_some(stateful_sets),
        rule_files: Some(&desired.rule_config_maps),
        tls_assets,
    };
    let pruned = prune(client, owned, owner_uid, kept).await?;
    Ok(changed + pruned + prune_other_mode(client, owned, owner_uid, &desired.objects).await?)
}

/// An agent that changed mode leaves the other mode's objects: its first
/// StatefulSet once it runs as a DaemonSet (the other shards are numbered
/// objects, pruned with no StatefulSet wanted), its DaemonSet once it runs
/// as StatefulSets. Both are named after the agent (`prom-agent-<name>`).
async fn prune_other_mode(
    client: &Client,
    owned: &Owned,
    owner_uid: &str,
    objects: &PrometheusObjects,
) -> Result<usize, Error> {
    let deleted = match (&objects.daemon_set, objects.stateful_sets.first()) {
        (Some(set), _) => {
            apply::delete_controlled(client, &owned.stateful_sets, owner_uid, set).await?
        }
        (None, Some(set)) => {
            apply::delete_controlled(client, &owned.daemon_sets, owner_uid, set).await?
        }
        (None, None) => false,
    };
    Ok(usize::from(deleted))
}

/// Writes an Alertmanager's objects that changed; returns how many were
/// written or deleted.
#[tracing::instrument(name = "apply", skip_all)]
pub async fn write_alertmanager(
    client: &Client,
    owned: &Owned,
    owner_uid: &str,
    objects: &AlertmanagerObjects,
) -> Result<usize, Error> {
    let AlertmanagerObjects {
        config,
        tls_assets,
        web_config,
        cluster_tls_config,
        service,
        stateful_set,
        numbered,
        reloader_rbac,
    } = objects;
    let single = Single {
        rule_files: None,
        reloader_rbac: reloader_rbac.as_ref(),
        secrets: [config]
            .into_iter()
            .chain(tls_assets)
            .chain([web_config, cluster_tls_config])
            .collect(),
        tls_assets,
        service: service.as_ref(),
        stateful_set,
        numbered,
    };
    write_single(client, owned, owner_uid, single).await
}

/// Writes a ThanosRuler's objects that changed (its rule ConfigMaps first,
/// as the reference does); returns how many were written or deleted.
#[tracing::instrument(name = "apply", skip_all)]
pub async fn write_thanos_ruler(
    client: &Client,
    owned: &Owned,
    owner_uid: &str,
    rule_config_maps: &[ConfigMap],
    objects: &ThanosRulerObjects,
) -> Result<usize, Error> {
    let single = Single {
        rule_files: Some(rule_config_maps),
        reloader_rbac: None,
        secrets: objects.secrets().collect(),
        tls_assets: &objects.tls_assets,
        service: objects.service.as_ref(),
        stateful_set: &objects.stateful_set,
        numbered: &objects.numbered,
    };
    write_single(client, owned, owner_uid, single).await
}

/// The objects of a workload with one StatefulSet, in the order they are
/// written: rule ConfigMaps, Secrets, the governing Service, the
/// StatefulSet.
struct Single<'a> {
    /// `None` for a kind without rule files (nothing of the prefix pruned).
    rule_files: Option<&'a [ConfigMap]>,
    secrets: Vec<&'a Secret>,
    /// The TLS assets among `secrets`: those of the prefix not here go.
    tls_assets: &'a [Secret],
    service: Option<&'a Service>,
    /// Watch mode's (ThanosRuler: never).
    reloader_rbac: Option<&'a ReloaderRbac>,
    stateful_set: &'a StatefulSet,
    numbered: &'a Numbered,
}

async fn write_single(
    client: &Client,
    owned: &Owned,
    owner_uid: &str,
    objects: Single<'_>,
) -> Result<usize, Error> {
    let mut changed = 0;
    let mut count = |outcome: Outcome| changed += usize::from(outcome == Outcome::Written);
    for map in objects.rule_files.unwrap_or_default() {
        count(apply::apply(client, &owned.config_maps, map).await?);
    }
    for secret in objects.secrets {
        count(apply::apply(client, &owned.secrets, secret).await?);
    }
    if let Some(service) = objects.service {
        let service = with_other_owners(service, &owned.services);
        count(apply::apply(client, &owned.services, &service).await?);
    }
    for outcome in reloader_rbac::write(client, owned, objects.reloader_rbac).await? {
        count(outcome);
    }
    count(apply_pod_controller(client, &owned.stateful_sets, objects.stateful_set).await?);
    let kept = Kept {
        numbered: objects.numbered,
        shards: None,
        rule_files: objects.rule_files,
        tls_assets: objects.tls_assets,
    };
    Ok(changed + prune(client, owned, owner_uid, kept).await?)
}

/// The numbered objects a workload keeps; `None` for a kind whose objects
/// stay (an Alertmanager has no rule files, retained shards stay, a
/// single-StatefulSet workload has no shards).
struct Kept<'a> {
    numbered: &'a Numbered,
    shards: Option<&'a [StatefulSet]>,
    rule_files: Option<&'a [ConfigMap]>,
    tls_assets: &'a [Secret],
}

/// Deletes the numbered objects of the workload not in `kept`; returns how
/// many.
async fn prune(
    client: &Client,
    owned: &Owned,
    owner_uid: &str,
    kept: Kept<'_>,
) -> Result<usize, Error> {
    let numbered = kept.numbered;
    let mut deleted = 0;
    if let Some(sets) = kept.shards {
        let (cache, prefix) = (&owned.stateful_sets, &numbered.shards);
        deleted += apply::prune_numbered(client, cache, owner_uid, prefix, &names(sets)).await?;
    }
    if let Some(maps) = kept.rule_files {
        let (cache, prefix) = (&owned.config_maps, &numbered.rule_files);
        deleted += apply::prune_numbered(client, cache, owner_uid, prefix, &names(maps)).await?;
    }
    let (cache, prefix) = (&owned.secrets, &numbered.tls_assets);
    let keep = names(kept.tls_assets);
    Ok(deleted + apply::prune_numbered(client, cache, owner_uid, prefix, &keep).await?)
}

fn names<K: ResourceExt>(objects: &[K]) -> Vec<String> {
    objects.iter().map(ResourceExt::name_any).collect()
}

/// The governing Service is shared by the workloads of a namespace: each
/// adds itself to the owners the Service already has, as the reference does.
fn with_other_owners(
    service: &Service,
    cache: &kube::runtime::reflector::Store<Service>,
) -> Service {
    let mut service = service.clone();
    let key = ObjectRef::new(&service.name_any()).within(&service.namespace().unwrap_or_default());
    if let Some(existing) = cache.get(&key) {
        let mut owners = existing.owner_references().to_vec();
        merge_owner_references(&mut owners, service.owner_references());
        service.metadata.owner_references = Some(owners);
    }
    service
}

/// Applies a StatefulSet or DaemonSet; when the API refuses the change
/// because it touches an immutable field (selector, volumeClaimTemplates,
/// serviceName, …), deletes it so the next reconcile creates it anew, as
/// the reference does. Any other refusal (an invalid value, an admission
/// policy's denial) keeps the running one: the error goes to the status
/// and an Event.
async fn apply_pod_controller<K: apply::Written>(
    client: &Client,
    cache: &crate::stores::Cache<K>,
    set: &K,
) -> Result<Outcome, Error> {
    let kind = <K as k8s_openapi::Resource>::KIND;
    let named = format!("{kind} {}", set.name_any());
    let applied = apply::apply(client, cache, set).await;
    match applied.as_ref().map_err(Error::api_status) {
        Err(Some(status)) if status.code == 422 && immutable_fields_changed(status) => {
            tracing::warn!(object = named, reason = %status.message, "immutable fields changed, recreating");
            let api: Api<K> = Api::namespaced(client.clone(), &set.namespace().unwrap_or_default());
            let params = DeleteParams {
                propagation_policy: Some(PropagationPolicy::Foreground),
                ..DeleteParams::default()
            };
            api.delete(&set.name_any(), &params)
                .await
                .map_err(|e| Error::Kube(e).applying(kind, set.name_any()))?;
            Err(Error::Recreating(named))
        }
        // Invalid (422), or denied by an admission webhook or policy (403).
        Err(Some(status)) if matches!(status.code, 400 | 403 | 422) => {
            Err(Error::StatefulSetRefused(named, status.message.clone()))
        }
        _ => applied,
    }
}

/// Whether a 422 says that an immutable field changed, judged by its causes
/// (every one must say so): the apps validation refuses changes of `spec`
/// beyond the updatable fields ("updates to statefulset spec for fields
/// other than …", on `spec`), and newer API servers name the field ("field
/// is immutable", e.g. on `spec.volumeClaimTemplates`). Admission denials
/// and invalid values carry other causes, or none.
fn immutable_fields_changed(status: &kube::core::Status) -> bool {
    let Some(details) = &status.details else {
        return false;
    };
    !details.causes.is_empty()
        && details.causes.iter().all(|cause| {
            let on_spec = cause.field == "spec" || cause.field.starts_with("spec.");
            let forbidden_update = cause.reason == "FieldValueForbidden"
                && cause.message.contains("updates to statefulset spec");
            // A DaemonSet's changed selector: "field is immutable" below.
            on_spec && (forbidden_update || cause.message.contains("field is immutable"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(causes: &[(&str, &str, &str)]) -> kube::core::Status {
        serde_json::from_value(serde_json::json!({
            "code": 422, "reason": "Invalid", "message": "refused",
            "details": {"causes": causes.iter().map(|(reason, field, message)|
                serde_json::json!({"reason": reason, "field": field, "message": message}))
                .collect::<Vec<_>>()},
        }))
        .unwrap()
    }

    const SPEC_UPDATE: &str = "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";

    #[test]
    fn only_immutable_field_changes_recreate() {
        // What API servers answer to a changed selector or claim templates.
        assert!(immutable_fields_changed(&refusal(&[(
            "FieldValueForbidden",
            "spec",
            SPEC_UPDATE
        )])));
        assert!(immutable_fields_changed(&refusal(&[(
            "FieldValueInvalid",
            "spec.volumeClaimTemplates",
            "Invalid value: [...]: field is immutable"
        )])));
        // An invalid value in the template, a denial without causes (an
        // admission policy), or a mix: keep the running StatefulSet.
        assert!(!immutable_fields_changed(&refusal(&[(
            "FieldValueInvalid",
            "spec.template.spec.containers[0].image",
            "Invalid value: \"\": must not be empty"
        )])));
        assert!(!immutable_fields_changed(&refusal(&[])));
        assert!(!immutable_fields_changed(&refusal(&[(
            "FieldValueForbidden",
            "",
            "denied request: at most one replica"
        )])));
        assert!(!immutable_fields_changed(&refusal(&[
            ("FieldValueForbidden", "spec", SPEC_UPDATE),
            (
                "FieldValueRequired",
                "spec.template.spec.containers[0].name",
                "Required value"
            ),
        ])));
    }
}
