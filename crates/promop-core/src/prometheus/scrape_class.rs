//! Scrape classes: settings that a workload attaches to the config objects
//! naming the class (or to all of them, for the default class).
use promop_api::common::{
    AttachMetadata, Authorization, RelabelConfig, SafeAuthorization, ScrapeProtocol, TlsConfig,
};
use promop_api::v1::prometheus::ScrapeClass;

use super::RejectedObject;
use super::workload::Workload;

/// The scrape classes of a workload and its default class.
#[derive(Clone, Debug, Default)]
pub struct ScrapeClasses<'a> {
    classes: Vec<&'a ScrapeClass>,
    default: Option<&'a ScrapeClass>,
}

impl<'a> ScrapeClasses<'a> {
    /// Reads the classes; more than one default class is an error.
    pub fn of(workload: &Workload<'a>) -> Result<Self, RejectedObject> {
        let classes: Vec<&ScrapeClass> =
            workload.common().scrape_classes.iter().flatten().collect();
        let mut defaults = classes.iter().filter(|c| c.default == Some(true));
        let default = defaults.next().copied();
        if defaults.next().is_some() {
            return Err(RejectedObject::invalid(
                workload,
                "spec.scrapeClasses",
                "multiple default scrape classes defined",
            ));
        }
        Ok(Self { classes, default })
    }

    /// The class named by a config object, else the default class, else none
    /// (an empty class).
    pub fn resolve(&self, name: Option<&str>) -> Class<'a> {
        let named = name.and_then(|n| self.classes.iter().find(|c| c.name == n).copied());
        Class(named.or(self.default))
    }
}

/// The scrape class that applies to one config object (maybe none).
#[derive(Clone, Copy, Debug, Default)]
pub struct Class<'a>(Option<&'a ScrapeClass>);

impl<'a> Class<'a> {
    pub fn relabelings(&self) -> &'a [RelabelConfig] {
        self.0
            .and_then(|c| c.relabelings.as_deref())
            .unwrap_or_default()
    }

    pub fn metric_relabelings(&self) -> &'a [RelabelConfig] {
        self.0
            .and_then(|c| c.metric_relabelings.as_deref())
            .unwrap_or_default()
    }

    /// The object's fallback protocol, else the class's.
    pub fn fallback_scrape_protocol(&self, own: Option<ScrapeProtocol>) -> Option<ScrapeProtocol> {
        own.or_else(|| self.0.and_then(|c| c.fallback_scrape_protocol))
    }

    /// The object's attachMetadata, else the class's.
    pub fn attach_metadata(&self, own: Option<&'a AttachMetadata>) -> Option<&'a AttachMetadata> {
        own.or_else(|| self.0.and_then(|c| c.attach_metadata.as_ref()))
    }

    /// The object's TLS config completed by the class: the class's file
    /// paths fill the CA, certificate and key the object leaves unset; with
    /// no object TLS config, the class's applies as a whole.
    pub fn tls_config(&self, own: Option<TlsConfig>) -> Option<TlsConfig> {
        let class = self.0.and_then(|c| c.tls_config.as_ref());
        let (mut tls, class) = match (own, class) {
            (None, class) => return class.cloned(),
            (Some(tls), None) => return Some(tls),
            (Some(tls), Some(class)) => (tls, class),
        };
        let unset = |s: &Option<String>| s.as_deref().is_none_or(str::is_empty);
        let empty_ref = |r: &Option<promop_api::common::SecretOrConfigMap>| {
            r.as_ref()
                .is_none_or(|r| r.secret.is_none() && r.config_map.is_none())
        };
        if unset(&tls.files.ca_file) && empty_ref(&tls.safe.ca) {
            tls.files.ca_file = class.files.ca_file.clone();
        }
        if unset(&tls.files.cert_file) && empty_ref(&tls.safe.cert) {
            tls.files.cert_file = class.files.cert_file.clone();
        }
        if unset(&tls.files.key_file) && tls.safe.key_secret.is_none() {
            tls.files.key_file = class.files.key_file.clone();
        }
        Some(tls)
    }

    /// The object's Authorization completed by the class's credentials; with
    /// none (or an empty one), the class's applies as a whole.
    pub fn authorization(&self, own: Option<&SafeAuthorization>) -> Option<Authorization> {
        let class = self.0.and_then(|c| c.authorization.as_ref());
        let own = own.filter(|a| **a != SafeAuthorization::default());
        let (own, class) = match (own, class) {
            (None, class) => return class.cloned(),
            (Some(own), None) => {
                return Some(Authorization {
                    safe: own.clone(),
                    credentials_file: None,
                });
            }
            (Some(own), Some(class)) => (own, class),
        };
        let mut merged = Authorization {
            safe: own.clone(),
            credentials_file: None,
        };
        if merged.safe.credentials.is_none() {
            merged.safe.credentials = class.safe.credentials.clone();
        }
        if merged.safe.credentials.is_none() {
            merged.credentials_file = class.credentials_file.clone();
        }
        Some(merged)
    }
}
