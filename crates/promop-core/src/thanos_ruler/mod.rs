//! The objects of a ThanosRuler, as the reference writes them: the
//! StatefulSet `thanos-ruler-<name>` running `thanos rule` with the
//! config-reloader, the governing Service `thanos-ruler-operated`, and the
//! remote-write configuration Secret. Its rule ConfigMaps come from
//! [`crate::prometheus::rules::thanos_ruler`]; the TLS assets and web
//! configuration Secrets from the shared builders.
mod args;
pub(crate) use args::grpc_server_tls;
pub mod remote_write;
pub mod service;
pub mod statefulset;
mod volumes;

use promop_api::v1::ThanosRuler;
use promop_api::v1::thanos_ruler::ThanosRulerSpec;

use crate::k8s::StatefulSetError;
use crate::k8s::metadata::{INSTANCE_KEY, Labels, MANAGED_BY_KEY, MANAGED_BY_VALUE, NAME_KEY};
use crate::version::DEFAULT_THANOS_VERSION;
use crate::version::thanos::{Feature, Version};

/// `app.kubernetes.io/name` of the pods.
pub const APP_NAME: &str = "thanos-ruler";
/// The governing Service, unless the ThanosRuler names its own.
pub const GOVERNING_SERVICE: &str = "thanos-ruler-operated";
pub const WEB_PORT: i32 = 10902;
pub const GRPC_PORT: i32 = 10901;
const DEFAULT_PORT_NAME: &str = "web";
/// Where the web configuration file and its TLS material are mounted.
pub const WEB_CONFIG_DIR: &str = "/etc/thanos/web_config";
/// The label of the rule ConfigMaps.
pub const RULE_CONFIG_MAP_LABEL: &str = "thanos-ruler-name";

/// `thanos-ruler-<name>`: the StatefulSet and the prefix of every object.
pub fn prefixed_name(name: &str) -> String {
    format!("thanos-ruler-{name}")
}

/// The labels that select the pods of a ThanosRuler.
pub fn selector_labels(name: &str) -> Labels {
    Labels::from([
        (NAME_KEY.to_owned(), APP_NAME.to_owned()),
        (MANAGED_BY_KEY.to_owned(), MANAGED_BY_VALUE.to_owned()),
        (INSTANCE_KEY.to_owned(), name.to_owned()),
        (APP_NAME.to_owned(), name.to_owned()),
    ])
}

/// The web port's name (`web` by default).
pub fn port_name(spec: &ThanosRulerSpec) -> &str {
    spec.port_name
        .as_deref()
        .filter(|p| !p.is_empty())
        .unwrap_or(DEFAULT_PORT_NAME)
}

/// The effective version (`spec.version`, else the reference's default) as
/// written, and parsed.
pub fn version(ruler: &ThanosRuler) -> Result<(&str, Version), StatefulSetError> {
    let text = ruler
        .spec
        .version
        .as_deref()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or(DEFAULT_THANOS_VERSION);
    let version = Version::parse(text).map_err(|e| {
        StatefulSetError::new(
            "spec.version",
            format!("failed to parse Thanos Ruler version {text:?}: {e}"),
        )
    })?;
    Ok((text, version))
}

/// What every part of the StatefulSet reads, with the defaults applied once.
pub(crate) struct Context<'a> {
    pub spec: &'a ThanosRulerSpec,
    pub name: &'a str,
    pub namespace: &'a str,
    pub prefixed: String,
    pub version: Version,
    /// `spec.version` as written (the image tag).
    pub version_text: &'a str,
    pub port_name: &'a str,
    pub listen_local: bool,
    /// The web configuration file exists (0.21).
    pub web_config: bool,
    /// Web TLS on a version that serves it.
    pub https: bool,
    /// The rule ConfigMaps, in the order they are mounted.
    pub rule_config_maps: &'a [String],
    pub options: &'a crate::desired::OperatorOptions,
}

impl<'a> Context<'a> {
    pub fn new(
        ruler: &'a ThanosRuler,
        rule_config_maps: &'a [String],
        options: &'a crate::desired::OperatorOptions,
    ) -> Result<Self, StatefulSetError> {
        let spec = &ruler.spec;
        let name = ruler.metadata.name.as_deref().unwrap_or_default();
        let (version_text, version) = version(ruler)?;
        let web_config = version.supports(Feature::WebConfigFile);
        Ok(Self {
            spec,
            name,
            namespace: ruler.metadata.namespace.as_deref().unwrap_or_default(),
            prefixed: prefixed_name(name),
            https: web_config && spec.web.as_ref().is_some_and(|w| w.tls_config.is_some()),
            version,
            version_text,
            port_name: port_name(spec),
            listen_local: spec.listen_local == Some(true),
            web_config,
            rule_config_maps,
            options,
        })
    }

    /// The governing Service's name.
    pub fn service_name(&self) -> &str {
        self.spec
            .service_name
            .as_deref()
            .unwrap_or(GOVERNING_SERVICE)
    }
}
