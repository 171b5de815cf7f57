//! Mattermost receiver: only in a user's base configuration (the CRD has
//! no field for it yet), so only sanitized.
use super::Sanitize;
use crate::alertmanager::sanitize::{self, exclusive, http_of, text};
use crate::alertmanager::validate::{template_url, url};
use crate::alertmanager::version::{Feature, Version};
use crate::select::reasons::RejectionKind;
use crate::yaml::{Mapping, Node};

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

/// The links and icons, of the message and of each attachment, that may be
/// templates (checked as URLs otherwise).
const TEMPLATE_URLS: [&str; 6] = [
    "author_link",
    "author_icon",
    "title_link",
    "thumb_url",
    "footer_icon",
    "image_url",
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
        urls(c)?;
        http_of(c, v)
    }
}

/// The URLs the reference checks (v0.94), so that Alertmanager does not
/// refuse the whole configuration later.
fn urls(c: &Mapping) -> Result<(), RejectionKind> {
    let webhook = text(c, "webhook_url");
    if !webhook.is_empty() {
        url(webhook).map_err(|e| e.context("invalid 'webhook_url'"))?;
    }
    for key in std::iter::once("icon_url").chain(TEMPLATE_URLS) {
        check_template_url(c, key, "")?;
    }
    let attachments = match c.get("attachments") {
        Some(Node::Seq(items)) => items.as_slice(),
        _ => &[],
    };
    for (i, attachment) in attachments.iter().enumerate() {
        if let Node::Map(a) = attachment {
            for key in TEMPLATE_URLS {
                check_template_url(a, key, &format!(" in attachments[{i}]"))?;
            }
        }
    }
    Ok(())
}

fn check_template_url(m: &Mapping, key: &str, place: &str) -> Result<(), RejectionKind> {
    match text(m, key) {
        "" => Ok(()),
        value => template_url(value).map_err(|e| e.context(&format!("invalid '{key}'{place}"))),
    }
}
