//! Pushover receiver.
use promop_api::v1alpha1::alertmanager_config::PushoverConfig;

use super::{Ctx, Integration, Sanitize, duration, http, required, text};
use crate::alertmanager::sanitize::{exclusive, gate, has, http_of};
use crate::alertmanager::secrets::Secrets;
use crate::alertmanager::validate::{http_config, http_secrets, http_version, template_url};
use crate::alertmanager::version::{Feature, Version};
use crate::select::reasons::RejectionKind;
use crate::yaml::{Mapping, Node};

impl Integration for PushoverConfig {
    const FIELD: &'static str = "pushoverConfigs";
    const TYPE: &'static str = "PushoverConfig";

    fn validate(&self) -> Result<(), RejectionKind> {
        if self.user_key.is_none() && self.user_key_file.is_none() {
            return Err("one of 'userKey' or 'userKeyFile' must be configured".into());
        }
        if self.token.is_none() && self.token_file.is_none() {
            return Err("one of 'token' or 'tokenFile' must be configured".into());
        }
        if self.html == Some(true) && self.monospace == Some(true) {
            return Err("'html' and 'monospace' options are mutually exclusive".into());
        }
        if let Some(u) = self.url.as_deref().filter(|u| !u.is_empty()) {
            template_url(u).map_err(|e| e.context("invalid 'url'"))?;
        }
        http_config(self.http_config.as_ref())
    }

    fn check(&self, s: &Secrets<'_>, v: &Version) -> Result<(), RejectionKind> {
        http_version(self.http_config.as_ref(), v)?;
        for (sel, name) in [(&self.user_key, "userKey"), (&self.token, "token")] {
            let sel = sel
                .as_ref()
                .ok_or_else(|| format!("mandatory field {name} is empty"))?;
            // The reference names the user key for an empty token too.
            if s.get(sel)?.is_empty() {
                return Err("mandatory field userKey is empty".into());
            }
        }
        if self.html == Some(true) && self.monospace == Some(true) {
            return Err("html and monospace options are mutually exclusive".into());
        }
        for d in [&self.expire, &self.retry]
            .into_iter()
            .flatten()
            .filter(|d| !d.is_empty())
        {
            crate::alertmanager::duration::parse(d)?;
        }
        http_secrets(self.http_config.as_ref(), s)
    }

    fn convert(&self, ctx: &Ctx<'_>) -> Result<Mapping, RejectionKind> {
        let mut out = Mapping::new();
        out.insert_opt("send_resolved", self.send_resolved)
            .insert("title", text(&self.title))
            .insert("message", text(&self.message))
            .insert("url_title", text(&self.url_title))
            .insert("priority", text(&self.priority))
            .insert_opt("html", self.html)
            .insert_opt("monospace", self.monospace)
            .insert("url", text(&self.url))
            .insert(
                "ttl",
                self.ttl.as_ref().map(|d| d.0.clone()).unwrap_or_default(),
            )
            .insert("device", text(&self.device));
        // A file instead of a Secret is written as given (the checks make
        // sure one of the two is set; sanitizing keeps the Secret's value
        // when both are).
        for (field, sel, file, what) in [
            ("user_key", &self.user_key, &self.user_key_file, "userKey"),
            ("token", &self.token, &self.token_file, "token"),
        ] {
            if let Some(sel) = sel {
                let value = required(ctx, sel, if what == "token" { "token" } else { "user key" })?;
                if value.is_empty() {
                    return Err(format!("mandatory field {what:?} is empty").into());
                }
                out.insert(field, value);
            }
            out.insert(format!("{field}_file"), text(file));
        }
        let parsed = |v: &Option<String>, what: &str| {
            duration(v.as_deref()).map_err(|e| e.context(&format!("parse resolve {what}")))
        };
        out.insert_opt("retry", parsed(&self.retry, "retry")?)
            .insert_opt("expire", parsed(&self.expire, "expire")?)
            .insert("http_config", http(self.http_config.as_ref(), ctx)?);
        Ok(out)
    }
}

impl Sanitize for PushoverConfig {
    const KEY: &'static str = "pushover_configs";

    fn sanitize(c: &mut Mapping, v: &Version) -> Result<(), RejectionKind> {
        gate(c, v, "user_key_file", Feature::PushoverFiles);
        if !has(c, "user_key") && !has(c, "user_key_file") {
            return Err("missing mandatory field user_key or user_key_file".into());
        }
        exclusive(c, "user_key", "user_key_file");
        gate(c, v, "token_file", Feature::PushoverFiles);
        if !has(c, "token") && !has(c, "token_file") {
            return Err("missing mandatory field token or token_file".into());
        }
        exclusive(c, "token", "token_file");
        gate(c, v, "ttl", Feature::PushoverTtl);
        gate(c, v, "device", Feature::PushoverFiles);
        if !v.supports(Feature::PushoverMonospace)
            && let Some(m) = c.get_mut("monospace")
            && *m == Node::Bool(true)
        {
            *m = Node::Bool(false);
        }
        let set = |key: &str| c.get(key) == Some(&Node::Bool(true));
        if set("html") && set("monospace") {
            return Err("either monospace or html must be configured".into());
        }
        http_of(c, v)
    }
}
