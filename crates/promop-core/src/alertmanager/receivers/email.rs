//! Email receiver.
use std::collections::BTreeSet;

use promop_api::v1alpha1::alertmanager_config::{EmailConfig, ThreadByDate};

use super::{Ctx, Integration, Sanitize, go_map, required, text};
use crate::alertmanager::http_config::tls_config;
use crate::alertmanager::sanitize::{self, exclusive, gate, map_mut};
use crate::alertmanager::secrets::Secrets;
use crate::alertmanager::types::{join_host_port, split_host_port};
use crate::alertmanager::validate::{requires, tls_secrets};
use crate::alertmanager::version::{Feature, Version};
use crate::select::reasons::RejectionKind;
use crate::yaml::Mapping;

impl Integration for EmailConfig {
    const FIELD: &'static str = "emailConfigs";
    const TYPE: &'static str = "EmailConfig";

    fn validate(&self) -> Result<(), RejectionKind> {
        if self.to.as_deref().unwrap_or_default().is_empty() {
            return Err("missing 'to' address".into());
        }
        if let Some(h) = self.smarthost.as_deref().filter(|h| !h.is_empty()) {
            split_host_port(h).map_err(|e| e.context(&format!("invalid 'smarthost' {h:?}")))?;
        }
        let mut seen = BTreeSet::new();
        for h in self.headers.iter().flatten() {
            let lower = h.key.to_lowercase();
            if !seen.insert(lower.clone()) {
                return Err(format!("duplicate header {lower:?}").into());
            }
        }
        Ok(())
    }

    fn check(&self, s: &Secrets<'_>, v: &Version) -> Result<(), RejectionKind> {
        for sel in [&self.auth_password, &self.auth_secret]
            .into_iter()
            .flatten()
        {
            s.get(sel)?;
        }
        if let Some(tls) = &self.tls_config {
            tls_secrets(tls, s)?;
        }
        if self.force_implicit_tls.is_some() {
            requires(v, Feature::SmtpForceImplicitTls, "forceImplicitTLS")?;
        }
        if self.threading.is_some() {
            requires(v, Feature::EmailThreading, "threading")?;
        }
        Ok(())
    }

    fn convert(&self, ctx: &Ctx<'_>) -> Result<Mapping, RejectionKind> {
        let smarthost = self.smarthost.as_deref().unwrap_or_default();
        let (global_smarthost, global_from) = ctx.global_smtp;
        if smarthost.is_empty() && !global_smarthost {
            return Err("SMTP smarthost is a mandatory field, it is neither specified at global config nor at receiver level".into());
        }
        if self.from.as_deref().unwrap_or_default().is_empty() && !global_from {
            return Err("SMTP from is a mandatory field, it is neither specified at global config nor at receiver level".into());
        }
        let mut out = Mapping::new();
        out.insert_opt("send_resolved", self.send_resolved)
            .insert("to", text(&self.to))
            .insert("from", text(&self.from))
            .insert("hello", text(&self.hello))
            .insert("auth_username", text(&self.auth_username))
            .insert("auth_identity", text(&self.auth_identity))
            .insert_opt("html", self.html.as_deref())
            .insert_opt("text", self.text.as_deref())
            .insert_opt("require_tls", self.require_tls)
            .insert_opt("force_implicit_tls", self.force_implicit_tls);
        if !smarthost.is_empty() {
            let (host, port) = split_host_port(smarthost)
                .map_err(|e| e.context(&format!("invalid SMTP smarthost {smarthost:?}")))?;
            out.insert("smarthost", join_host_port(&host, &port));
        }
        if let Some(sel) = &self.auth_password {
            out.insert("auth_password", required(ctx, sel, "auth password")?);
        }
        if let Some(sel) = &self.auth_secret {
            out.insert("auth_secret", required(ctx, sel, "auth secret")?);
        }
        out.insert("headers", go_map(&self.headers));
        if let Some(tls) = &self.tls_config {
            out.insert("tls_config", tls_config(tls, &ctx.secrets));
        }
        if let Some(t) = &self.threading {
            let mut m = Mapping::new();
            m.insert("enabled", true).insert(
                "thread_by_date",
                match t.thread_by_date {
                    ThreadByDate::Daily => "daily",
                    ThreadByDate::None => "none",
                },
            );
            out.insert("threading", m);
        }
        Ok(out)
    }
}

impl Sanitize for EmailConfig {
    const KEY: &'static str = "email_configs";

    fn sanitize(c: &mut Mapping, v: &Version) -> Result<(), RejectionKind> {
        gate(c, v, "auth_password_file", Feature::SmtpAuthPasswordFile);
        exclusive(c, "auth_password", "auth_password_file");
        gate(c, v, "force_implicit_tls", Feature::SmtpForceImplicitTls);
        gate(c, v, "auth_secret_file", Feature::SmtpAuthSecretFile);
        exclusive(c, "auth_secret", "auth_secret_file");
        gate(c, v, "threading", Feature::EmailThreading);
        if let Some(t) = map_mut(c, "threading")
            && !matches!(sanitize::text(t, "thread_by_date"), "daily" | "none")
        {
            return Err(
                "invalid 'thread_by_date': the value must be empty, 'daily' or 'none'".into(),
            );
        }
        Ok(())
    }
}
