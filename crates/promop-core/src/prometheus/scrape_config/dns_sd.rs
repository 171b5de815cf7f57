//! `dns_sd_configs`: targets from DNS records.
use promop_api::v1alpha1::scrape_config::{DnsRecordType, DnsSdConfig};

use super::super::RejectedObject;
use super::super::version::Feature;
use super::client::{SdConfig, api_name};
use crate::select::reasons::Rejection;
use crate::select::validate::{Checked, Validator, join};

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

pub(super) fn check(_: &Validator<'_>, _: &str, c: &DnsSdConfig, path: &str) -> Checked {
    if let Some(kind) = c.type_
        && kind != DnsRecordType::Srv
        && c.port.is_none()
    {
        return Err(Rejection::new(
            join(path, "port"),
            format!("port required for record type {:?}", dns_type_name(kind)),
        ));
    }
    Ok(())
}

fn dns_type_name(kind: DnsRecordType) -> &'static str {
    match kind {
        DnsRecordType::A => "A",
        DnsRecordType::Aaaa => "AAAA",
        DnsRecordType::Mx => "MX",
        DnsRecordType::Ns => "NS",
        DnsRecordType::Srv => "SRV",
    }
}
