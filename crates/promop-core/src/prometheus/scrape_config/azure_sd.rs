//! `azure_sd_configs`: Azure virtual machines.
use promop_api::v1alpha1::scrape_config::{AzureAuthenticationMethod, AzureSdConfig};

use super::super::RejectedObject;
use super::super::version::Feature;
use super::client::{SdConfig, api_name};
use crate::select::reasons::Rejection;
use crate::select::validate::{Checked, Validator, join};
use crate::yaml::Mapping;

pub(super) fn build(sd: &mut SdConfig<'_>, c: &AzureSdConfig) -> Result<(), RejectedObject> {
    sd.http_auth(&c.auth).proxy(&c.http_client.proxy);
    if let Some(environment) = &c.environment {
        // The reference starts the config over here: with an environment,
        // the credentials and proxy written above are dropped.
        sd.map = Mapping::new();
        sd.set("environment", environment.as_str());
    }
    sd.opt(
        "authentication_method",
        c.authentication_method.as_ref().map(api_name),
    );
    if !c.subscription_id.is_empty() {
        sd.set("subscription_id", c.subscription_id.as_str());
    }
    sd.opt("tenant_id", c.tenant_id.as_deref())
        .opt("client_id", c.client_id.as_deref());
    if let Some(secret) = &c.client_secret {
        let value = sd.required_secret("clientSecret", secret)?;
        sd.set("client_secret", value);
    }
    sd.opt("resource_group", c.resource_group.as_deref())
        .opt("refresh_interval", c.refresh_interval.as_deref())
        .opt("port", c.port);
    Ok(())
}

pub(super) fn check(v: &Validator<'_>, ns: &str, c: &AzureSdConfig, path: &str) -> Checked {
    let method = c.authentication_method;
    let gated_method = match method {
        Some(AzureAuthenticationMethod::Sdk) => Some((Feature::AzureSdSdkAuthentication, "SDK")),
        Some(AzureAuthenticationMethod::WorkloadIdentity) => {
            Some((Feature::AzureSdWorkloadIdentity, "WorkloadIdentity"))
        }
        _ => None,
    };
    if let Some((feature, name)) = gated_method {
        v.field_gate(
            feature,
            join(path, "authenticationMethod"),
            &format!("{name} authentication is only supported from Prometheus version"),
        )?;
    }
    if c.resource_group.is_some() {
        v.field_gate(
            Feature::AzureSdResourceGroup,
            join(path, "resourceGroup"),
            "ResourceGroup is only supported from Prometheus version >=",
        )?;
    }
    // Only OAuth (Prometheus' default) needs the client credentials.
    if matches!(
        method,
        Some(
            AzureAuthenticationMethod::ManagedIdentity
                | AzureAuthenticationMethod::Sdk
                | AzureAuthenticationMethod::WorkloadIdentity
        )
    ) {
        return Ok(());
    }
    let empty = |v: &Option<String>| v.as_deref().unwrap_or_default().is_empty();
    if empty(&c.tenant_id) {
        return Err(Rejection::new(
            join(path, "tenantID"),
            "configuration requires a tenantID",
        ));
    }
    if empty(&c.client_id) {
        return Err(Rejection::new(
            join(path, "clientID"),
            "configuration requires a clientID",
        ));
    }
    let Some(secret) = &c.client_secret else {
        return Err(Rejection::new(
            join(path, "clientSecret"),
            "configuration requires a clientSecret",
        ));
    };
    v.secret_key(ns, secret, &join(path, "clientSecret"))?;
    v.basic_auth(ns, c.auth.basic_auth.as_ref(), &join(path, "basicAuth"))?;
    v.oauth2(ns, c.auth.oauth2.as_ref(), &join(path, "oauth2"))?;
    v.proxy(ns, &c.http_client.proxy, path)?;
    v.client_tls(ns, &c.http_client, path)?;
    v.safe_authorization(
        ns,
        c.auth.authorization.as_ref(),
        &join(path, "authorization"),
    )
}
