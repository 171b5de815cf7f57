//! Webex receiver.
use promop_api::v1alpha1::alertmanager_config::WebexConfig;

use super::{Ctx, http};
use crate::yaml::Mapping;

pub fn convert(c: &WebexConfig, ctx: &Ctx<'_>) -> Result<Mapping, String> {
    let mut out = Mapping::new();
    out.insert_opt("send_resolved", c.send_resolved)
        .insert("room_id", c.room_id.as_str())
        .insert_opt("api_url", c.api_url.as_deref())
        .insert_opt("message", c.message.as_deref())
        .insert("http_config", http(c.http_config.as_ref(), ctx)?);
    Ok(out)
}
