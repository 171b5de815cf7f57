//! AWS SNS receiver.
use promop_api::v1alpha1::alertmanager_config::SnsConfig;

use super::{Ctx, Integration, Sanitize, http, required, text};
use crate::alertmanager::sanitize::{gate, has, http_of, map_mut};
use crate::alertmanager::secrets::Secrets;
use crate::alertmanager::validate::{
    http_config, http_secrets, http_version, requires, template_url,
};
use crate::alertmanager::version::{Feature, Version};
use crate::select::reasons::RejectionKind;
use crate::yaml::Mapping;

impl Integration for SnsConfig {
    const FIELD: &'static str = "snsConfigs";
    const TYPE: &'static str = "SNSConfig";

    fn validate(&self) -> Result<(), RejectionKind> {
        let empty = |v: &Option<String>| v.as_deref().unwrap_or_default().is_empty();
        // Go's `a != b != c` on booleans: an odd number of them set.
        if (empty(&self.target_arn) != empty(&self.topic_arn)) != empty(&self.phone_number) {
            return Err("must provide one of 'targetARN', 'topicARN', or 'phoneNumber'".into());
        }
        if let Some(u) = self.api_url.as_deref() {
            template_url(u).map_err(|e| e.context("invalid 'apiURL'"))?;
        }
        http_config(self.http_config.as_ref())
    }

    fn check(&self, s: &Secrets<'_>, v: &Version) -> Result<(), RejectionKind> {
        if self.use_aws_http_client.is_some() {
            requires(v, Feature::SnsAwsHttpClient, "useAWSHTTPClient")?;
        }
        http_version(self.http_config.as_ref(), v)?;
        if let Some(sig) = &self.sigv4 {
            for sel in [&sig.access_key, &sig.secret_key].into_iter().flatten() {
                s.get(sel)?;
            }
        }
        http_secrets(self.http_config.as_ref(), s)
    }

    fn convert(&self, ctx: &Ctx<'_>) -> Result<Mapping, RejectionKind> {
        let v = ctx.version;
        let mut out = Mapping::new();
        out.insert_opt("send_resolved", self.send_resolved)
            .insert(
                "attributes",
                Mapping::sorted(self.attributes.clone().unwrap_or_default()),
            )
            .insert("api_url", text(&self.api_url))
            .insert("topic_arn", text(&self.topic_arn))
            .insert("phone_number", text(&self.phone_number))
            .insert("target_arn", text(&self.target_arn))
            .insert("subject", text(&self.subject))
            .insert("message", text(&self.message));
        if v.supports(Feature::SnsAwsHttpClient) {
            out.insert_opt("use_aws_http_client", self.use_aws_http_client);
        }
        out.insert("http_config", http(self.http_config.as_ref(), ctx)?);
        if let Some(sigv4) = &self.sigv4 {
            let mut m = Mapping::new();
            m.insert("region", text(&sigv4.region))
                .insert("profile", text(&sigv4.profile))
                .insert("role_arn", text(&sigv4.role_arn));
            if v.supports(Feature::SnsSigv4ExternalId) {
                m.insert("external_id", text(&sigv4.external_id));
            }
            if let (Some(access), Some(secret)) = (&sigv4.access_key, &sigv4.secret_key) {
                m.insert("access_key", required(ctx, access, "access key")?)
                    .insert("secret_key", required(ctx, secret, "AWS secret key")?);
            }
            out.insert("sigv4", m);
        }
        Ok(out)
    }
}

impl Sanitize for SnsConfig {
    const KEY: &'static str = "sns_configs";

    fn sanitize(c: &mut Mapping, v: &Version) -> Result<(), RejectionKind> {
        if let Some(s) = map_mut(c, "sigv4") {
            if has(s, "external_id") && !has(s, "role_arn") {
                return Err("'external_id' in sigv4 config requires 'role_arn' to be set".into());
            }
            gate(s, v, "external_id", Feature::SnsSigv4ExternalId);
            if s.is_empty() {
                c.remove("sigv4");
            }
        }
        gate(c, v, "use_aws_http_client", Feature::SnsAwsHttpClient);
        http_of(c, v)
    }
}
