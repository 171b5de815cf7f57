//! AlertmanagerConfig admission: the version-independent checks the
//! operator makes before merging an AlertmanagerConfig (receivers, routes,
//! matchers, time intervals). A v1beta1 object is converted to v1alpha1
//! first (the conversion the API server asks of `/convert`), so one set of
//! checks serves both versions.
use promop_api::v1alpha1::AlertmanagerConfig;
use promop_api::v1beta1::alertmanager_config::conversion::{self, V1ALPHA1};
use serde_json::Value;

use super::Denial;
use crate::alertmanager::validate::semantic;

const INVALID: &str = "AlertmanagerConfig is invalid";
const UNREADABLE: &str = "Cannot unmarshal config from spec";

/// Allowed, or why not; `version` is the resource version of the request
/// (`v1alpha1` or `v1beta1`), which says how to read `object`.
pub fn validate_alertmanager_config(object: &Value, version: &str) -> Result<(), Denial> {
    let mut object = object.clone();
    object["apiVersion"] = Value::String(format!("monitoring.coreos.com/{version}"));
    object["kind"] = Value::String("AlertmanagerConfig".into());
    let v1alpha1 = conversion::convert(&object, V1ALPHA1).ok_or_else(|| {
        Denial::new(
            "Unexpected resource version",
            "",
            format!(
                "expected resource version to be 'v1alpha1' or 'v1beta1', but received {version}"
            ),
        )
    })?;
    let amc: AlertmanagerConfig =
        serde_json::from_value(v1alpha1).map_err(|e| Denial::new(UNREADABLE, "", e.to_string()))?;
    semantic(&amc).map_err(|e| Denial::new(INVALID, "spec", e.to_string()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn config(version: &str, spec: Value) -> Value {
        json!({
            "apiVersion": format!("monitoring.coreos.com/{version}"),
            "kind": "AlertmanagerConfig",
            "metadata": {"name": "c", "namespace": "ns"},
            "spec": spec,
        })
    }

    #[test]
    fn a_bad_receiver_url_is_denied_naming_the_receiver() {
        let spec = json!({"route": {"receiver": "r"}, "receivers": [
            {"name": "r", "webhookConfigs": [{"url": "ftp://example.com"}]},
        ]});
        let denial =
            validate_alertmanager_config(&config("v1alpha1", spec), "v1alpha1").unwrap_err();
        assert!(
            denial.message.contains("failed to validate receiver \"r\""),
            "{}",
            denial.message
        );
        assert!(denial.message.starts_with(INVALID), "{}", denial.message);
    }

    #[test]
    fn v1beta1_is_checked_after_conversion() {
        let ok = json!({"route": {"receiver": "r"}, "receivers": [{"name": "r"}]});
        assert_eq!(
            validate_alertmanager_config(&config("v1beta1", ok), "v1beta1"),
            Ok(())
        );
        let missing = json!({"route": {"receiver": "nobody"}, "receivers": [{"name": "r"}]});
        let denial =
            validate_alertmanager_config(&config("v1beta1", missing), "v1beta1").unwrap_err();
        assert!(
            denial.message.contains("receiver \"nobody\" not found"),
            "{}",
            denial.message
        );
        assert!(validate_alertmanager_config(&config("v1", json!({})), "v1").is_err());
    }
}
