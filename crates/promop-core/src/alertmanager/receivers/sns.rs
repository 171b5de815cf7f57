//! AWS SNS receiver.
use promop_api::v1alpha1::alertmanager_config::SnsConfig;

use super::{Ctx, http, required, text};
use crate::alertmanager::version::Feature;
use crate::yaml::Mapping;

pub fn convert(c: &SnsConfig, ctx: &Ctx<'_>) -> Result<Mapping, String> {
    let gate = ctx.version.supports(Feature::SnsAwsHttpClientAndExternalId);
    let mut out = Mapping::new();
    out.insert_opt("send_resolved", c.send_resolved)
        .insert(
            "attributes",
            Mapping::sorted(c.attributes.clone().unwrap_or_default()),
        )
        .insert("api_url", text(&c.api_url))
        .insert("topic_arn", text(&c.topic_arn))
        .insert("phone_number", text(&c.phone_number))
        .insert("target_arn", text(&c.target_arn))
        .insert("subject", text(&c.subject))
        .insert("message", text(&c.message));
    if gate {
        out.insert_opt("use_aws_http_client", c.use_aws_http_client);
    }
    out.insert("http_config", http(c.http_config.as_ref(), ctx)?);
    if let Some(sigv4) = &c.sigv4 {
        let mut m = Mapping::new();
        m.insert("region", text(&sigv4.region))
            .insert("profile", text(&sigv4.profile))
            .insert("role_arn", text(&sigv4.role_arn));
        if gate {
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
