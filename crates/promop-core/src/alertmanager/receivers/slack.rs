//! Slack receiver.
use promop_api::v1alpha1::alertmanager_config::{SlackAction, SlackConfig, SlackField};

use super::{Ctx, Integration, Sanitize, duration, http, text};
use crate::alertmanager::sanitize::{self, exclusive, gate, has, http_of};
use crate::alertmanager::secrets::Secrets;
use crate::alertmanager::validate::{self, http_secrets, http_version, requires};
use crate::alertmanager::version::{Feature, Version};
use crate::select::reasons::RejectionKind;
use crate::yaml::{Mapping, Node};

/// The only API URL that can update messages (a bot token's).
const POST_MESSAGE_URL: &str = "https://slack.com/api/chat.postMessage";

impl Integration for SlackConfig {
    const FIELD: &'static str = "slackConfigs";
    const TYPE: &'static str = "SlackConfig";

    fn validate(&self) -> Result<(), RejectionKind> {
        validate::http_config(self.http_config.as_ref())
    }

    fn check(&self, s: &Secrets<'_>, v: &Version) -> Result<(), RejectionKind> {
        http_version(self.http_config.as_ref(), v)?;
        let mut api = String::new();
        if let Some(sel) = &self.api_url {
            api = s.get(sel)?;
            validate::secret_url(api.trim())
                .map_err(|e| e.context("failed to validate API URL"))?;
        }
        if self.message_text.is_some() {
            requires(v, Feature::SlackMessageText, "messageText")?;
        }
        if let Some(update) = self.update_message {
            requires(v, Feature::SlackUpdateMessage, "updateMessage")?;
            if update && !api.is_empty() && api != POST_MESSAGE_URL {
                return Err(format!("updateMessage' can only be used with bot tokens. API URL must be set to {POST_MESSAGE_URL}").into());
            }
        }
        http_secrets(self.http_config.as_ref(), s)
    }

    fn convert(&self, ctx: &Ctx<'_>) -> Result<Mapping, RejectionKind> {
        let mut out = Mapping::new();
        out.insert_opt("send_resolved", self.send_resolved);
        if let Some(sel) = &self.api_url {
            out.insert("api_url", ctx.secrets.get(sel)?.trim().to_owned());
        }
        out.insert("channel", text(&self.channel))
            .insert("username", text(&self.username))
            .insert("color", text(&self.color))
            .insert("title", text(&self.title))
            .insert("title_link", text(&self.title_link))
            .insert("pretext", text(&self.pretext))
            .insert("text", text(&self.text))
            .insert("short_fields", self.short_fields.unwrap_or(false))
            .insert("footer", text(&self.footer))
            .insert("fallback", text(&self.fallback))
            .insert("callback_id", text(&self.callback_id))
            .insert("icon_emoji", text(&self.icon_emoji))
            .insert("icon_url", text(&self.icon_url))
            .insert("image_url", text(&self.image_url))
            .insert("thumb_url", text(&self.thumb_url))
            .insert("link_names", self.link_names.unwrap_or(false))
            .insert(
                "mrkdwn_in",
                Node::from(self.mrkdwn_in.clone().unwrap_or_default()),
            )
            .insert("message_text", text(&self.message_text))
            .insert_opt("update_message", self.update_message);
        let actions = self.actions.iter().flatten().map(action).collect();
        let fields = self.fields.iter().flatten().map(field).collect();
        out.insert("actions", Node::Seq(actions))
            .insert("fields", Node::Seq(fields))
            .insert("http_config", http(self.http_config.as_ref(), ctx)?)
            .insert_opt(
                "timeout",
                duration(self.timeout.as_ref().map(|d| d.0.as_str()))?,
            );
        Ok(out)
    }
}

impl Sanitize for SlackConfig {
    const KEY: &'static str = "slack_configs";

    fn sanitize(c: &mut Mapping, v: &Version) -> Result<(), RejectionKind> {
        http_of(c, v)?;
        for key in ["timeout", "app_token", "app_token_file", "app_url"] {
            gate(c, v, key, Feature::SlackTimeoutAndAppUrl);
        }
        gate(c, v, "message_text", Feature::SlackMessageText);
        if has(c, "update_message") {
            if !v.supports(Feature::SlackUpdateMessage) {
                c.remove("update_message");
            } else if c.get("update_message") == Some(&Node::Bool(true))
                && has(c, "api_url")
                && sanitize::text(c, "api_url") != POST_MESSAGE_URL
            {
                return Err(format!("update_message' can only be used with bot tokens. api_url must be set to {POST_MESSAGE_URL}").into());
            }
        }
        exclusive(c, "app_token", "app_token_file");
        if (has(c, "app_token") || has(c, "app_token_file"))
            && (has(c, "api_url") || has(c, "api_url_file"))
        {
            return Err(
                "at most one of app_token/app_token_file & api_url/api_url_file must be configured"
                    .into(),
            );
        }
        gate(c, v, "api_url_file", Feature::SlackApiUrlFile);
        exclusive(c, "api_url", "api_url_file");
        Ok(())
    }
}

fn action(a: &SlackAction) -> Node {
    let mut m = Mapping::new();
    m.insert("type", a.type_.as_str())
        .insert("text", a.text.as_str())
        .insert("url", text(&a.url))
        .insert("style", text(&a.style))
        .insert("name", text(&a.name))
        .insert("value", text(&a.value));
    if let Some(confirm) = &a.confirm {
        let mut cm = Mapping::new();
        cm.insert("text", confirm.text.as_str())
            .insert("title", text(&confirm.title))
            .insert("ok_text", text(&confirm.ok_text))
            .insert("dismiss_text", text(&confirm.dismiss_text));
        m.insert("confirm", cm);
    }
    Node::Map(m)
}

fn field(f: &SlackField) -> Node {
    let mut m = Mapping::new();
    m.insert("title", f.title.as_str())
        .insert("value", f.value.as_str())
        .insert("short", f.short.unwrap_or(false));
    Node::Map(m)
}
