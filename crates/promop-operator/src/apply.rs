//! Writes to the API: server-side apply under our field manager, and only
//! when the cached object differs from the desired one.
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Patch, PatchParams, PostParams};
use kube::runtime::reflector::ObjectRef;
use kube::{Api, Client, ResourceExt};

use crate::config_secret;
use crate::error::Error;
use crate::stores::Stores;

/// The field manager of every write.
pub const FIELD_MANAGER: &str = "promop";

/// What a write did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Unchanged,
    Written,
}

/// Applies the configuration Secret unless the cache shows it current.
/// Forced: fields another manager (e.g. the reference operator) set on our
/// object become ours.
pub async fn config_secret(
    client: &Client,
    stores: &Stores,
    desired: &Secret,
) -> Result<Outcome, Error> {
    let (namespace, name) = (desired.namespace().unwrap_or_default(), desired.name_any());
    let cached = stores
        .secrets
        .get(&ObjectRef::new(&name).within(&namespace));
    if cached.is_some_and(|existing| config_secret::is_current(&existing, desired)) {
        return Ok(Outcome::Unchanged);
    }
    let api: Api<Secret> = Api::namespaced(client.clone(), &namespace);
    api.patch(
        &name,
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(desired),
    )
    .await?;
    Ok(Outcome::Written)
}

/// Creates the Secret if it does not exist and leaves it alone otherwise:
/// the reference's behaviour for an unmanaged configuration (no selector at
/// all), whose Secret the user fills.
pub async fn create_if_absent(
    client: &Client,
    stores: &Stores,
    desired: &Secret,
) -> Result<Outcome, Error> {
    let (namespace, name) = (desired.namespace().unwrap_or_default(), desired.name_any());
    if stores
        .secrets
        .get(&ObjectRef::new(&name).within(&namespace))
        .is_some()
    {
        return Ok(Outcome::Unchanged);
    }
    let api: Api<Secret> = Api::namespaced(client.clone(), &namespace);
    let params = PostParams {
        field_manager: Some(FIELD_MANAGER.to_owned()),
        ..PostParams::default()
    };
    match api.create(&params, desired).await {
        Ok(_) => Ok(Outcome::Written),
        Err(kube::Error::Api(status)) if status.code == 409 => Ok(Outcome::Unchanged),
        Err(e) => Err(e.into()),
    }
}
