//! `azure_sd_configs`: Azure virtual machines.
use promop_api::v1alpha1::scrape_config::AzureSdConfig;

use super::super::RejectedObject;
use super::client::{SdConfig, api_name};
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
