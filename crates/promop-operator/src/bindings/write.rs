//! Writes one workload's bindings to the status of the cached config
//! objects: added or updated where it selected the object, removed
//! everywhere else. Other workloads write the same list, so each write is a
//! merge patch of the status subresource that carries the resourceVersion
//! it was computed from: a concurrent change makes it fail (409), and it is
//! computed again from the object read anew.
use std::fmt::Debug;

use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Patch, PatchParams};
use kube::runtime::reflector::Store;
use kube::{Api, Client, Resource, ResourceExt};
use promop_api::common::WorkloadBinding;
use promop_api::v1::{PodMonitor, Probe, PrometheusRule, ServiceMonitor};
use promop_api::v1alpha1::ScrapeConfig;
use promop_core::snapshot::ObjectKey;
use serde::de::DeserializeOwned;
use serde_json::json;

use super::{Binder, Verdicts, updated};
use crate::apply::FIELD_MANAGER;
use crate::controller::Context;
use crate::error::Error;
use crate::stores::Kind;

/// Writes tried per object before a conflict is returned as an error.
const ATTEMPTS: usize = 3;

/// A config object with `status.bindings`.
pub(crate) trait Bound:
    Resource<DynamicType = (), Scope = NamespaceResourceScope>
    + Clone
    + Debug
    + DeserializeOwned
    + Send
    + Sync
    + 'static
{
    fn bindings(&self) -> &[WorkloadBinding];
}

macro_rules! bound {
    ($($kind:ty),*) => {$(
        impl Bound for $kind {
            fn bindings(&self) -> &[WorkloadBinding] {
                self.status.as_ref().and_then(|s| s.bindings.as_deref()).unwrap_or_default()
            }
        }
    )*};
}

bound!(
    ServiceMonitor,
    PodMonitor,
    Probe,
    ScrapeConfig,
    PrometheusRule
);

/// Makes `binder`'s bindings on every cached config object say `verdicts`;
/// returns how many objects were written.
pub(crate) async fn sync(
    ctx: &Context,
    binder: &Binder,
    verdicts: &Verdicts,
) -> Result<usize, Error> {
    let now = Time(k8s_openapi::jiff::Timestamp::now());
    let stores = &ctx.stores;
    let one = Writer {
        client: &ctx.client,
        binder,
        verdicts,
        now: &now,
    };
    Ok(one
        .kind(Kind::ServiceMonitor, &stores.service_monitors)
        .await?
        + one.kind(Kind::PodMonitor, &stores.pod_monitors).await?
        + one.kind(Kind::Probe, &stores.probes).await?
        + one.kind(Kind::ScrapeConfig, &stores.scrape_configs).await?
        + one
            .kind(Kind::PrometheusRule, &stores.prometheus_rules)
            .await?)
}

struct Writer<'a> {
    client: &'a Client,
    binder: &'a Binder,
    verdicts: &'a Verdicts,
    now: &'a Time,
}

impl Writer<'_> {
    async fn kind<K: Bound>(&self, kind: Kind, store: &Store<K>) -> Result<usize, Error> {
        let mut written = 0;
        for cached in store.state() {
            let key = ObjectKey::new(cached.namespace().unwrap_or_default(), cached.name_any());
            let verdict = self.verdicts.get(&(kind, key));
            if self.updated(cached.as_ref(), verdict).is_some() {
                self.write(cached.as_ref().clone(), verdict).await?;
                written += 1;
            }
        }
        Ok(written)
    }

    fn updated<K: Bound>(
        &self,
        object: &K,
        verdict: Option<&Option<String>>,
    ) -> Option<Vec<WorkloadBinding>> {
        let generation = object.meta().generation;
        updated(
            object.bindings(),
            self.binder,
            verdict,
            generation,
            self.now,
        )
    }

    /// Writes the bindings of `object`, read anew after a conflict.
    async fn write<K: Bound>(
        &self,
        mut object: K,
        verdict: Option<&Option<String>>,
    ) -> Result<(), Error> {
        let name = object.name_any();
        let api: Api<K> =
            Api::namespaced(self.client.clone(), &object.namespace().unwrap_or_default());
        let params = PatchParams {
            field_manager: Some(FIELD_MANAGER.into()),
            ..PatchParams::default()
        };
        for attempt in 1..=ATTEMPTS {
            let Some(bindings) = self.updated(&object, verdict) else {
                return Ok(());
            };
            let patch = json!({
                "metadata": {"resourceVersion": object.resource_version()},
                "status": {"bindings": bindings},
            });
            match api
                .patch_status(&name, &params, &Patch::Merge(&patch))
                .await
            {
                Ok(_) => return Ok(()),
                // Deleted meanwhile: nothing to bind.
                Err(kube::Error::Api(status)) if status.code == 404 => return Ok(()),
                Err(kube::Error::Api(status)) if status.code == 409 && attempt < ATTEMPTS => {
                    object = match api.get_opt(&name).await? {
                        Some(object) => object,
                        None => return Ok(()),
                    };
                }
                Err(error) => return Err(error.into()),
            }
        }
        Ok(())
    }
}
