//! Webex receiver.
use promop_api::v1alpha1::alertmanager_config::WebexConfig;

use super::{Ctx, Integration, Sanitize, http};
use crate::alertmanager::sanitize::{self, text};
use crate::alertmanager::secrets::Secrets;
use crate::alertmanager::validate;
use crate::alertmanager::version::{Feature, Version};
use crate::select::reasons::RejectionKind;
use crate::yaml::Mapping;

impl Integration for WebexConfig {
    const FIELD: &'static str = "webexConfigs";
    const TYPE: &'static str = "WebexConfig";

    fn validate(&self) -> Result<(), RejectionKind> {
        validate::opt_url(self.api_url.as_deref(), "apiURL")?;
        validate::http_config(self.http_config.as_ref())
    }

    fn available(v: &Version) -> Result<(), RejectionKind> {
        validate::requires(v, Feature::Webex, "webexConfigs")
    }

    fn check(&self, s: &Secrets<'_>, v: &Version) -> Result<(), RejectionKind> {
        validate::http_version(self.http_config.as_ref(), v)?;
        validate::http_secrets(self.http_config.as_ref(), s)
    }

    fn convert(&self, ctx: &Ctx<'_>) -> Result<Mapping, RejectionKind> {
        let mut out = Mapping::new();
        out.insert_opt("send_resolved", self.send_resolved)
            .insert("room_id", self.room_id.as_str())
            .insert_opt("api_url", self.api_url.as_deref())
            .insert_opt("message", self.message.as_deref())
            .insert("http_config", http(self.http_config.as_ref(), ctx)?);
        Ok(out)
    }
}

impl Sanitize for WebexConfig {
    const KEY: &'static str = "webex_configs";

    fn sanitize(c: &mut Mapping, v: &Version) -> Result<(), RejectionKind> {
        sanitize::requires(v, Feature::Webex, "webex")?;
        if text(c, "room_id").is_empty() {
            return Err("mandatory field \"room_id\" is empty".into());
        }
        sanitize::http_of(c, v)
    }
}
