//! The receiver integrations of the reference's Alertmanager types: one
//! table per `*_config` struct, with the structs they nest.
use super::*;

pub static WEBHOOK: Struct = Struct {
    name: "webhookConfig",
    fields: &[
        send_resolved(),
        s("url"),
        s("url_file"),
        http_config(),
        f("max_alerts", Int, Empty),
        f("timeout", Duration, Nil),
        f("payload", Any, Empty),
    ],
};

pub static PAGERDUTY: Struct = Struct {
    name: "pagerdutyConfig",
    fields: &[
        send_resolved(),
        http_config(),
        s("service_key"),
        s("service_key_file"),
        s("routing_key"),
        s("routing_key_file"),
        s("url"),
        s("client"),
        s("client_url"),
        s("description"),
        f("details", Any, Empty),
        seq("images", &PAGERDUTY_IMAGE),
        seq("links", &PAGERDUTY_LINK),
        s("severity"),
        s("class"),
        s("component"),
        s("group"),
        s("source"),
        f("timeout", Duration, Nil),
    ],
};

pub static PAGERDUTY_IMAGE: Struct = Struct {
    name: "pagerdutyImage",
    fields: &[s("src"), s("alt"), s("href")],
};

pub static PAGERDUTY_LINK: Struct = Struct {
    name: "pagerdutyLink",
    fields: &[s("href"), s("text")],
};

pub static OPSGENIE: Struct = Struct {
    name: "opsgenieConfig",
    fields: &[
        send_resolved(),
        http_config(),
        s("api_key"),
        s("api_key_file"),
        s("api_url"),
        s("message"),
        s("description"),
        s("source"),
        f("details", StrMap, Empty),
        seq("responders", &OPSGENIE_RESPONDER),
        s("tags"),
        s("note"),
        s("priority"),
        f("update_alerts", Bool, Nil),
        s("entity"),
        s("actions"),
    ],
};

pub static OPSGENIE_RESPONDER: Struct = Struct {
    name: "opsgenieResponder",
    fields: &[s("id"), s("name"), s("username"), s("type")],
};

pub static WECHAT: Struct = Struct {
    name: "weChatConfig",
    fields: &[
        send_resolved(),
        s("api_secret"),
        s("api_url"),
        s("corp_id"),
        s("agent_id"),
        s("to_user"),
        s("to_party"),
        s("to_tag"),
        s("message"),
        s("message_type"),
        http_config(),
        s("api_secret_file"),
    ],
};

pub static SLACK: Struct = Struct {
    name: "slackConfig",
    fields: &[
        send_resolved(),
        http_config(),
        s("api_url"),
        s("api_url_file"),
        s("app_token"),
        s("app_token_file"),
        s("app_url"),
        s("channel"),
        s("username"),
        s("color"),
        s("title"),
        s("title_link"),
        s("pretext"),
        s("text"),
        seq("fields", &SLACK_FIELD),
        f("short_fields", Bool, Empty),
        s("footer"),
        s("fallback"),
        s("callback_id"),
        s("icon_emoji"),
        s("icon_url"),
        s("image_url"),
        s("thumb_url"),
        f("link_names", Bool, Empty),
        f("mrkdwn_in", Seq(&Str), Empty),
        seq("actions", &SLACK_ACTION),
        f("timeout", Duration, Nil),
        s("message_text"),
        f("update_message", Bool, Nil),
    ],
};

pub static SLACK_FIELD: Struct = Struct {
    name: "slackField",
    fields: &[s("title"), s("value"), f("short", Bool, Empty)],
};

pub static SLACK_ACTION: Struct = Struct {
    name: "slackAction",
    fields: &[
        s("type"),
        s("text"),
        s("url"),
        s("style"),
        s("name"),
        s("value"),
        st("confirm", &SLACK_CONFIRM, Nil),
    ],
};

pub static SLACK_CONFIRM: Struct = Struct {
    name: "slackConfirmationField",
    fields: &[s("text"), s("title"), s("ok_text"), s("dismiss_text")],
};

pub static EMAIL: Struct = Struct {
    name: "emailConfig",
    fields: &[
        send_resolved(),
        s("to"),
        s("from"),
        s("hello"),
        f("smarthost", HostPort, Empty),
        s("auth_username"),
        s("auth_password"),
        s("auth_password_file"),
        s("auth_secret"),
        s("auth_secret_file"),
        s("auth_identity"),
        f("headers", StrMap, Empty),
        f("html", Str, Nil),
        f("text", Str, Nil),
        f("require_tls", Bool, Nil),
        st("tls_config", &TLS_CONFIG, Nil),
        f("force_implicit_tls", Bool, Nil),
        st("threading", &EMAIL_THREADING, Nil),
    ],
};

pub static EMAIL_THREADING: Struct = Struct {
    name: "emailThreadingConfig",
    fields: &[f("enabled", Bool, Nil), s("thread_by_date")],
};

pub static PUSHOVER: Struct = Struct {
    name: "pushoverConfig",
    fields: &[
        send_resolved(),
        http_config(),
        s("user_key"),
        s("user_key_file"),
        s("token"),
        s("token_file"),
        s("title"),
        s("message"),
        s("url"),
        s("url_title"),
        s("ttl"),
        s("device"),
        s("sound"),
        s("priority"),
        f("retry", Duration, Nil),
        f("expire", Duration, Nil),
        f("html", Bool, Nil),
        f("monospace", Bool, Nil),
    ],
};

pub static SNS: Struct = Struct {
    name: "snsConfig",
    fields: &[
        send_resolved(),
        http_config(),
        s("api_url"),
        st("sigv4", &SIGV4, Empty),
        s("topic_arn"),
        s("phone_number"),
        s("target_arn"),
        s("subject"),
        s("message"),
        f("attributes", StrMap, Empty),
        f("use_aws_http_client", Bool, Empty),
    ],
};

pub static SIGV4: Struct = Struct {
    name: "sigV4Config",
    fields: &[
        s("region"),
        s("access_key"),
        s("secret_key"),
        s("profile"),
        s("role_arn"),
        s("external_id"),
    ],
};

pub static TELEGRAM: Struct = Struct {
    name: "telegramConfig",
    fields: &[
        send_resolved(),
        s("api_url"),
        s("bot_token"),
        s("bot_token_file"),
        f("chat_id", Int, Empty),
        s("chat_id_file"),
        f("message_thread_id", Int, Empty),
        s("message"),
        f("disable_notifications", Bool, Empty),
        s("parse_mode"),
        http_config(),
    ],
};

pub static DISCORD: Struct = Struct {
    name: "discordConfig",
    fields: &[
        send_resolved(),
        http_config(),
        s("webhook_url"),
        s("webhook_url_file"),
        s("title"),
        s("message"),
        s("content"),
        s("username"),
        s("avatar_url"),
    ],
};

pub static WEBEX: Struct = Struct {
    name: "webexConfig",
    fields: &[
        send_resolved(),
        http_config(),
        s("api_url"),
        s("message"),
        f("room_id", Str, Never),
    ],
};

pub static VICTOROPS: Struct = Struct {
    name: "victorOpsConfig",
    fields: &[
        send_resolved(),
        http_config(),
        s("api_key"),
        s("api_key_file"),
        s("api_url"),
        s("routing_key"),
        s("message_type"),
        s("state_message"),
        s("entity_display_name"),
        s("monitoring_tool"),
        f("custom_fields", StrMap, Empty),
    ],
};

pub static MSTEAMS: Struct = Struct {
    name: "msTeamsConfig",
    fields: &[
        send_resolved(),
        f("webhook_url", Str, Never),
        s("title"),
        s("summary"),
        s("text"),
        http_config(),
    ],
};

pub static MSTEAMSV2: Struct = Struct {
    name: "msTeamsV2Config",
    fields: &[
        send_resolved(),
        s("webhook_url"),
        s("webhook_url_file"),
        s("title"),
        s("text"),
        http_config(),
    ],
};

pub static JIRA: Struct = Struct {
    name: "jiraConfig",
    fields: &[
        http_config(),
        send_resolved(),
        s("api_url"),
        s("project"),
        s("summary"),
        s("description"),
        f("labels", Seq(&Str), Empty),
        s("priority"),
        s("issue_type"),
        s("reopen_transition"),
        s("resolve_transition"),
        s("wont_fix_resolution"),
        f("reopen_duration", Duration, Empty),
        f("fields", Any, Empty),
        s("api_type"),
    ],
};

pub static ROCKETCHAT: Struct = Struct {
    name: "rocketChatConfig",
    fields: &[
        send_resolved(),
        http_config(),
        s("api_url"),
        f("token_id", Str, Nil),
        s("token_id_file"),
        f("token", Str, Nil),
        s("token_file"),
        s("channel"),
        s("color"),
        s("title"),
        s("title_link"),
        s("text"),
        seq("fields", &ROCKETCHAT_FIELD),
        f("short_fields", Bool, Never),
        s("emoji"),
        s("icon_url"),
        s("image_url"),
        s("thumb_url"),
        f("link_names", Bool, Never),
        seq("actions", &ROCKETCHAT_ACTION),
    ],
};

pub static ROCKETCHAT_FIELD: Struct = Struct {
    name: "rocketchatAttachmentField",
    fields: &[f("short", Bool, NeverNull), s("title"), s("value")],
};

pub static ROCKETCHAT_ACTION: Struct = Struct {
    name: "rocketchatAttachmentAction",
    fields: &[
        s("type"),
        s("text"),
        s("url"),
        s("image_url"),
        // The reference prints both without `omitempty`; Alertmanager has
        // neither field and refuses them, so promop leaves them out unless set.
        f("is_webview", Bool, Empty),
        s("webview_height_ratio"),
        s("msg"),
        f("msg_in_chat_window", Bool, Empty),
        s("msg_processing_type"),
    ],
};

pub static MATTERMOST: Struct = Struct {
    name: "mattermostConfig",
    fields: &[
        send_resolved(),
        s("webhook_url"),
        s("webhook_url_file"),
        s("channel"),
        s("username"),
        s("text"),
        s("icon_url"),
        s("icon_emoji"),
        seq("attachments", &MATTERMOST_ATTACHMENT),
        f("props", Any, Nil),
        f("priority", Any, Nil),
        s("fallback"),
        s("color"),
        s("pretext"),
        s("author_name"),
        s("author_link"),
        s("author_icon"),
        s("title"),
        s("title_link"),
        seq("fields", &MATTERMOST_FIELD),
        s("thumb_url"),
        s("footer"),
        s("footer_icon"),
        s("image_url"),
        http_config(),
    ],
};

pub static MATTERMOST_ATTACHMENT: Struct = Struct {
    name: "mattermostAttachmentConfig",
    fields: &[
        s("fallback"),
        s("color"),
        s("pretext"),
        s("text"),
        s("author_name"),
        s("author_link"),
        s("author_icon"),
        s("title"),
        s("title_link"),
        seq("fields", &MATTERMOST_FIELD),
        s("thumb_url"),
        s("footer"),
        s("footer_icon"),
        s("image_url"),
    ],
};

pub static MATTERMOST_FIELD: Struct = Struct {
    name: "mattermostField",
    fields: &[s("title"), s("value"), f("short", Bool, Empty)],
};

pub static INCIDENTIO: Struct = Struct {
    name: "incidentioConfig",
    fields: &[
        send_resolved(),
        http_config(),
        s("url"),
        s("url_file"),
        s("alert_source_token"),
        s("alert_source_token_file"),
        f("max_alerts", Int, Nil),
        f("timeout", Duration, Nil),
    ],
};
