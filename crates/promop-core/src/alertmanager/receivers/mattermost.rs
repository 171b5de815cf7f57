//! Mattermost receiver: only in a user's base configuration (the CRD has
//! no field for it yet), so only sanitized.
use super::Sanitize;
use crate::alertmanager::sanitize::{self, exclusive, http_of};
use crate::alertmanager::version::{Feature, Version};
use crate::select::reasons::RejectionKind;
use crate::yaml::Mapping;

/// The attachment fields, which older versions lack.
const ATTACHMENT_FIELDS: [&str; 13] = [
    "fallback",
    "color",
    "pretext",
    "author_name",
    "author_link",
    "author_icon",
    "title",
    "title_link",
    "thumb_url",
    "footer",
    "footer_icon",
    "image_url",
    "fields",
];

/// `mattermost_configs` of Alertmanager's configuration.
pub struct Mattermost;

impl Sanitize for Mattermost {
    const KEY: &'static str = "mattermost_configs";

    fn sanitize(c: &mut Mapping, v: &Version) -> Result<(), RejectionKind> {
        sanitize::requires(v, Feature::Mattermost, "mattermost")?;
        exclusive(c, "webhook_url", "webhook_url_file");
        if !v.supports(Feature::MattermostAttachments) {
            for key in ATTACHMENT_FIELDS {
                c.remove(key);
            }
        }
        http_of(c, v)
    }
}
