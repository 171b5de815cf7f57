//! The Roles and RoleBindings of `--config-reloader=promop-watch`: applied
//! with a workload's other objects (before its StatefulSet, so that the
//! pods can read at once), removed by the garbage collector with the
//! workload, and swept when promop starts in `reference` mode, so that
//! switching watch mode off leaves no grant behind.
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use kube::api::ListParams;
use kube::{Api, Client, ResourceExt};
use promop_core::k8s::reloader_rbac::{ReloaderRbac, is_reloader_rbac_name};

use crate::apply::{self, Outcome, Written};
use crate::error::Error;
use crate::stores::scope::Scope;
use crate::stores::{MANAGED_BY_SELECTOR, Owned};

/// Applies the Role, then the RoleBinding.
pub async fn write(
    client: &Client,
    owned: &Owned,
    rbac: Option<&ReloaderRbac>,
) -> Result<Vec<Outcome>, Error> {
    let Some(rbac) = rbac else {
        return Ok(Vec::new());
    };
    let role = apply::apply(client, &owned.roles, &rbac.role).await?;
    let binding = apply::apply(client, &owned.role_bindings, &rbac.role_binding).await?;
    Ok(vec![role, binding])
}

/// Deletes the reloaders' Roles and RoleBindings that watch mode left in
/// `scope`. Best effort: without the permission to list them (the
/// reference's RBAC, which never needed them) there is nothing promop
/// could have written.
pub async fn sweep(client: Client, scope: Scope) {
    let namespaces: Vec<Option<String>> = match scope {
        Scope::Cluster => vec![None],
        Scope::Namespaces(names) => names.into_iter().map(Some).collect(),
    };
    for namespace in namespaces {
        let deleted = sweep_kind::<Role>(&client, namespace.as_deref()).await
            + sweep_kind::<RoleBinding>(&client, namespace.as_deref()).await;
        if deleted > 0 {
            tracing::info!(
                deleted,
                "removed the config reloaders' Roles and RoleBindings of watch mode"
            );
        }
    }
}

async fn sweep_kind<K: Written>(client: &Client, namespace: Option<&str>) -> usize {
    let api: Api<K> = match namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    };
    let listed = match api
        .list_metadata(&ListParams::default().labels(MANAGED_BY_SELECTOR))
        .await
    {
        Ok(list) => list.items,
        Err(error) => {
            tracing::debug!(kind = K::KIND, %error, "not sweeping watch mode's RBAC");
            return 0;
        }
    };
    let mut deleted = 0;
    for object in listed {
        // What watch mode wrote: named after a workload, controlled by it.
        let ours = is_reloader_rbac_name(&object.name_any())
            && object.owner_references().iter().any(|o| {
                o.controller == Some(true) && o.api_version.starts_with("monitoring.coreos.com/")
            });
        if !ours {
            continue;
        }
        let api: Api<K> = Api::namespaced(client.clone(), &object.namespace().unwrap_or_default());
        match api.delete(&object.name_any(), &Default::default()).await {
            Ok(_) => deleted += 1,
            Err(error) => {
                tracing::warn!(kind = K::KIND, name = %object.name_any(), %error, "could not remove")
            }
        }
    }
    deleted
}
