//! `dns_sd_configs`: targets from DNS records.
use promop_api::v1alpha1::scrape_config::{DnsRecordType, DnsSdConfig};

use super::super::RejectedObject;
use super::super::version::Feature;
use super::client::{SdConfig, api_name};

pub(super) fn build(sd: &mut SdConfig<'_>, c: &DnsSdConfig) -> Result<(), RejectedObject> {
    sd.set("names", c.names.clone())
        .opt("refresh_interval", c.refresh_interval.as_deref());
    if let Some(record) = &c.type_ {
        let supported = match record {
            DnsRecordType::Ns => sd.version.supports(Feature::DnsNsRecord),
            DnsRecordType::Mx => sd.version.supports(Feature::DnsMxRecord),
            _ => true,
        };
        if supported {
            sd.set("type", api_name(record));
        }
    }
    sd.opt("port", c.port);
    Ok(())
}
