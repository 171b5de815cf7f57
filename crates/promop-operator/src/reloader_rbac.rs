//! The Roles and RoleBindings of `--config-reloader=promop-watch`: applied
//! with a workload's other objects (before its StatefulSet, so that the
//! pods can read at once), removed by the garbage collector with the
//! workload. Switched back to `reference`, promop leaves them (listing
//! Roles needs a permission the reference's RBAC lacks, and the grant reads
//! only the workload's own objects): the chart's values say how to remove
//! them.
use kube::Client;
use promop_core::k8s::reloader_rbac::ReloaderRbac;

use crate::apply::{self, Outcome};
use crate::error::Error;
use crate::stores::Owned;

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
