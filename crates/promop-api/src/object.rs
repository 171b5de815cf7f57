//! Typed decoding of any `monitoring.coreos.com` object, reporting the fields
//! that our types do not know (they would otherwise vanish silently).
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::{v1, v1alpha1, v1beta1};

/// One object of the monitoring.coreos.com API, typed by its kind and version.
#[derive(Clone, Debug)]
pub enum MonitoringObject {
    Alertmanager(Box<v1::Alertmanager>),
    AlertmanagerConfigV1alpha1(Box<v1alpha1::AlertmanagerConfig>),
    AlertmanagerConfigV1beta1(Box<v1beta1::AlertmanagerConfig>),
    PodMonitor(Box<v1::PodMonitor>),
    Probe(Box<v1::Probe>),
    Prometheus(Box<v1::Prometheus>),
    PrometheusAgent(Box<v1alpha1::PrometheusAgent>),
    PrometheusRule(Box<v1::PrometheusRule>),
    ScrapeConfig(Box<v1alpha1::ScrapeConfig>),
    ServiceMonitor(Box<v1::ServiceMonitor>),
    ThanosRuler(Box<v1::ThanosRuler>),
}

/// Why an object could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("apiVersion {api_version:?} kind {kind:?} is not part of monitoring.coreos.com")]
    UnknownKind { api_version: String, kind: String },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

/// A decoded object and the paths of the fields it had that we ignore.
#[derive(Clone, Debug)]
pub struct Decoded {
    pub object: MonitoringObject,
    pub unknown_fields: Vec<String>,
}

/// Whether `apiVersion`/`kind` name a kind of this API.
pub fn is_monitoring_kind(api_version: &str, kind: &str) -> bool {
    decode_fn(api_version, kind).is_some()
}

type DecodeFn = fn(Value, &mut Vec<String>) -> Result<MonitoringObject, DecodeError>;

fn decode_fn(api_version: &str, kind: &str) -> Option<DecodeFn> {
    use MonitoringObject as M;
    macro_rules! typed {
        ($variant:ident, $ty:ty) => {
            |v, unknown| Ok(M::$variant(Box::new(decode::<$ty>(v, unknown)?)))
        };
    }
    let f: DecodeFn = match (api_version, kind) {
        ("monitoring.coreos.com/v1", "Alertmanager") => typed!(Alertmanager, v1::Alertmanager),
        ("monitoring.coreos.com/v1", "PodMonitor") => typed!(PodMonitor, v1::PodMonitor),
        ("monitoring.coreos.com/v1", "Probe") => typed!(Probe, v1::Probe),
        ("monitoring.coreos.com/v1", "Prometheus") => typed!(Prometheus, v1::Prometheus),
        ("monitoring.coreos.com/v1", "PrometheusRule") => {
            typed!(PrometheusRule, v1::PrometheusRule)
        }
        ("monitoring.coreos.com/v1", "ServiceMonitor") => {
            typed!(ServiceMonitor, v1::ServiceMonitor)
        }
        ("monitoring.coreos.com/v1", "ThanosRuler") => typed!(ThanosRuler, v1::ThanosRuler),
        ("monitoring.coreos.com/v1alpha1", "AlertmanagerConfig") => {
            typed!(AlertmanagerConfigV1alpha1, v1alpha1::AlertmanagerConfig)
        }
        ("monitoring.coreos.com/v1beta1", "AlertmanagerConfig") => {
            typed!(AlertmanagerConfigV1beta1, v1beta1::AlertmanagerConfig)
        }
        ("monitoring.coreos.com/v1alpha1", "PrometheusAgent") => {
            typed!(PrometheusAgent, v1alpha1::PrometheusAgent)
        }
        ("monitoring.coreos.com/v1alpha1", "ScrapeConfig") => {
            typed!(ScrapeConfig, v1alpha1::ScrapeConfig)
        }
        _ => return None,
    };
    Some(f)
}

/// Decodes an object of this API from its JSON form.
pub fn decode_object(value: Value) -> Result<Decoded, DecodeError> {
    let field = |name: &str| {
        value
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let (api_version, kind) = (field("apiVersion"), field("kind"));
    let decode =
        decode_fn(&api_version, &kind).ok_or(DecodeError::UnknownKind { api_version, kind })?;
    let mut unknown_fields = Vec::new();
    let object = decode(value, &mut unknown_fields)?;
    Ok(Decoded {
        object,
        unknown_fields,
    })
}

/// Decodes `T`, collecting into `unknown` the paths of input fields that the
/// type does not keep. They are found by encoding the result again and
/// looking for what went missing, which also catches fields swallowed by
/// `#[serde(flatten)]` (explicit nulls are pruned by the API server too, so
/// they do not count).
pub fn decode<T: DeserializeOwned + Serialize>(
    value: Value,
    unknown: &mut Vec<String>,
) -> Result<T, DecodeError> {
    let typed: T = serde_path_to_error::deserialize(&value).map_err(|e| DecodeError::Invalid {
        path: e.path().to_string(),
        message: e.inner().to_string(),
    })?;
    let encoded = serde_json::to_value(&typed).map_err(|e| DecodeError::Invalid {
        path: ".".into(),
        message: e.to_string(),
    })?;
    missing_fields(&value, &encoded, "", unknown);
    Ok(typed)
}

fn missing_fields(input: &Value, output: &Value, path: &str, out: &mut Vec<String>) {
    match (input, output) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in a {
                let here = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                match b.get(key) {
                    Some(kept) => missing_fields(value, kept, &here, out),
                    None if !value.is_null() => out.push(here),
                    None => {}
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                missing_fields(x, y, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

impl MonitoringObject {
    /// The object's JSON form, as it would be sent to the API server.
    pub fn to_value(&self) -> serde_json::Result<Value> {
        use MonitoringObject as M;
        match self {
            M::Alertmanager(o) => serde_json::to_value(o),
            M::AlertmanagerConfigV1alpha1(o) => serde_json::to_value(o),
            M::AlertmanagerConfigV1beta1(o) => serde_json::to_value(o),
            M::PodMonitor(o) => serde_json::to_value(o),
            M::Probe(o) => serde_json::to_value(o),
            M::Prometheus(o) => serde_json::to_value(o),
            M::PrometheusAgent(o) => serde_json::to_value(o),
            M::PrometheusRule(o) => serde_json::to_value(o),
            M::ScrapeConfig(o) => serde_json::to_value(o),
            M::ServiceMonitor(o) => serde_json::to_value(o),
            M::ThanosRuler(o) => serde_json::to_value(o),
        }
    }
}
