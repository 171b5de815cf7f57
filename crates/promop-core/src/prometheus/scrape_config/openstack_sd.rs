//! `openstack_sd_configs`: OpenStack instances, hypervisors and load balancers.
use promop_api::v1alpha1::scrape_config::{OpenStackRole, OpenStackSdConfig};

use super::super::RejectedObject;
use super::super::version::Feature;
use super::client::{SdConfig, api_name};
use crate::select::validate::{Checked, Validator, join};

pub(super) fn build(sd: &mut SdConfig<'_>, c: &OpenStackSdConfig) -> Result<(), RejectedObject> {
    sd.set("role", api_name(&c.role).to_lowercase())
        .set("region", c.region.as_str())
        .opt("identity_endpoint", c.identity_endpoint.as_deref())
        .opt("username", c.username.as_deref())
        .opt("userid", c.user_id.as_deref());
    if let Some(password) = &c.password {
        let value = sd.required_secret("password", password)?;
        sd.set("password", value);
    }
    sd.opt("domain_name", c.domain_name.as_deref())
        .opt("domain_id", c.domain_id.as_deref())
        .opt("project_name", c.project_name.as_deref())
        .opt("project_id", c.project_id.as_deref())
        .opt(
            "application_credential_name",
            c.application_credential_name.as_deref(),
        )
        .opt(
            "application_credential_id",
            c.application_credential_id.as_deref(),
        );
    if let Some(secret) = &c.application_credential_secret {
        let value = sd.required_secret("applicationCredentialSecret", secret)?;
        sd.set("application_credential_secret", value);
    }
    sd.opt("all_tenants", c.all_tenants)
        .opt("refresh_interval", c.refresh_interval.as_deref())
        .opt("port", c.port)
        .opt(
            "availability",
            c.availability.as_deref().map(str::to_lowercase),
        )
        .tls(c.tls_config.as_ref());
    Ok(())
}

pub(super) fn check(v: &Validator<'_>, ns: &str, c: &OpenStackSdConfig, path: &str) -> Checked {
    if c.role == OpenStackRole::LoadBalancer {
        v.field_gate(
            Feature::OpenStackLoadBalancerRole,
            join(path, "role"),
            "The LoadBalancer role is only supported from Prometheus version",
        )?;
    }
    if let Some(secret) = &c.password {
        v.secret_key(ns, secret, &join(path, "password"))?;
    }
    if let Some(secret) = &c.application_credential_secret {
        v.secret_key(ns, secret, &join(path, "applicationCredentialSecret"))?;
    }
    v.safe_tls(ns, c.tls_config.as_ref(), &join(path, "tlsConfig"))
}
