//! The building blocks every service discovery config shares: HTTP client
//! credentials, TLS, proxy, filters and Secret values, written in the order
//! each discovery's caller asks for them.
use k8s_openapi::api::core::v1::SecretKeySelector;
use promop_api::common::{BasicAuth, OAuth2, ProxyConfig, SafeAuthorization, SafeTlsConfig};
use promop_api::v1alpha1::scrape_config::{Filter, HttpClientAuth};
use serde::Serialize;

use super::super::assets::Store;
use super::super::version::{Feature, Version};
use super::super::{RejectedObject, auth, proxy, tls};
use crate::select::reasons::{Reference, Rejection, RejectionKind};
use crate::yaml::{Mapping, Node};

/// One service discovery config being built for a ScrapeConfig.
pub(super) struct SdConfig<'a> {
    pub map: Mapping,
    pub store: Store<'a>,
    pub version: &'a Version,
    /// `<namespace>/<name>` of the ScrapeConfig and the SD's field path.
    pub object: (&'a str, &'a str),
    pub field: String,
}

impl<'a> SdConfig<'a> {
    pub fn new(
        store: Store<'a>,
        version: &'a Version,
        object: (&'a str, &'a str),
        field: String,
    ) -> Self {
        Self {
            map: Mapping::new(),
            store,
            version,
            object,
            field,
        }
    }

    pub fn set(&mut self, key: &str, value: impl Into<Node>) -> &mut Self {
        self.map.insert(key, value);
        self
    }

    pub fn opt<V: Into<Node>>(&mut self, key: &str, value: Option<V>) -> &mut Self {
        self.map.insert_opt(key, value);
        self
    }

    /// Sets `key` only when the version supports `feature`.
    pub fn gated<V: Into<Node>>(
        &mut self,
        feature: Feature,
        key: &str,
        value: Option<V>,
    ) -> &mut Self {
        if self.version.supports(feature) {
            self.map.insert_opt(key, value);
        }
        self
    }

    pub fn basic_auth(&mut self, basic_auth: Option<&BasicAuth>) -> &mut Self {
        auth::append_basic_auth(&mut self.map, &self.store, basic_auth);
        self
    }

    pub fn authorization(&mut self, authorization: Option<&SafeAuthorization>) -> &mut Self {
        auth::append_safe_authorization(&mut self.map, &self.store, self.version, authorization);
        self
    }

    pub fn oauth2(&mut self, oauth2: Option<&OAuth2>) -> &mut Self {
        auth::append_oauth2(&mut self.map, &self.store, self.version, oauth2);
        self
    }

    /// Basic auth, authorization and OAuth2, the usual order.
    pub fn http_auth(&mut self, a: &HttpClientAuth) -> &mut Self {
        self.basic_auth(a.basic_auth.as_ref())
            .authorization(a.authorization.as_ref())
            .oauth2(a.oauth2.as_ref())
    }

    pub fn proxy(&mut self, p: &ProxyConfig) -> &mut Self {
        proxy::append(&mut self.map, &self.store, self.version, p);
        self
    }

    pub fn tls(&mut self, t: Option<&SafeTlsConfig>) -> &mut Self {
        tls::append_safe(&mut self.map, &self.store, self.version, t);
        self
    }

    /// `filters`, sorted by name like the reference.
    pub fn filters(&mut self, filters: Option<&[Filter]>) -> &mut Self {
        let Some(filters) = filters.filter(|f| !f.is_empty()) else {
            return self;
        };
        let mut sorted: Vec<&Filter> = filters.iter().collect();
        sorted.sort_by(|a, b| a.name.cmp(&b.name));
        let items: Vec<Node> = sorted
            .into_iter()
            .map(|f| {
                let mut m = Mapping::new();
                m.insert("name", f.name.as_str());
                m.insert("values", f.values.clone());
                Node::Map(m)
            })
            .collect();
        self.map.insert("filters", items);
        self
    }

    /// The value of a Secret key the discovery cannot work without.
    pub fn required_secret(
        &self,
        key: &str,
        selector: &SecretKeySelector,
    ) -> Result<String, RejectedObject> {
        self.store.secret(selector).ok_or_else(|| {
            let missing = Reference::secret(&selector.name, Some(&selector.key));
            let message = format!("key {} not found in secret {}", selector.key, selector.name);
            let rejection = Rejection::new(
                format!("{}.{key}", self.field),
                RejectionKind::missing(missing.in_namespace(self.object.0), message),
            );
            RejectedObject::new("ScrapeConfig", self.object.0, self.object.1, rejection)
        })
    }

    /// The value of a Secret key, empty when missing (the reference ignores
    /// the error for these fields).
    pub fn secret_or_empty(&self, selector: &SecretKeySelector) -> String {
        self.store.secret(selector).unwrap_or_default()
    }

    pub fn finish(self) -> Node {
        Node::Map(self.map)
    }
}

/// The API name of an enum value (`EndpointSlice`, `SRV`, `OAuth`).
pub(super) fn api_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}
