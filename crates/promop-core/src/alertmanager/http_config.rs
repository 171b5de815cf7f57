//! `httpConfig` of receivers and of the global section: credentials read
//! inline from Secrets, TLS files under the mounted assets directory.
use k8s_openapi::api::core::v1::SecretKeySelector;
use promop_api::common::{
    BasicAuth, OAuth2, ProxyConfig, SafeAuthorization, SafeTlsConfig, TlsVersion,
};
use promop_api::v1alpha1::alertmanager_config::HttpConfig;

use super::secrets::Secrets;
use crate::select::reasons::RejectionKind;
use crate::yaml::{Mapping, Node};

/// The parts of an HTTP client configuration, whichever CRD type holds them.
#[derive(Default)]
pub struct HttpParts<'a> {
    pub authorization: Option<&'a SafeAuthorization>,
    pub basic_auth: Option<&'a BasicAuth>,
    pub oauth2: Option<&'a OAuth2>,
    pub bearer_token_secret: Option<&'a SecretKeySelector>,
    pub tls_config: Option<&'a SafeTlsConfig>,
    pub proxy: Option<&'a ProxyConfig>,
    /// `proxyURL` (the original field), which wins over `proxyUrl`.
    pub proxy_url: Option<&'a str>,
    pub follow_redirects: Option<bool>,
    pub enable_http2: Option<bool>,
}

impl<'a> HttpParts<'a> {
    pub fn of(config: &'a HttpConfig) -> Self {
        Self {
            authorization: config.authorization.as_ref(),
            basic_auth: config.basic_auth.as_ref(),
            oauth2: config.oauth2.as_ref(),
            bearer_token_secret: config.bearer_token_secret.as_ref(),
            tls_config: config.tls_config.as_ref(),
            proxy: Some(&config.proxy),
            proxy_url: config.proxy_url.as_deref(),
            follow_redirects: config.follow_redirects,
            enable_http2: config.enable_http2,
        }
    }
}

/// Converts an optional `httpConfig` of a receiver.
pub fn convert_opt(
    config: Option<&HttpConfig>,
    secrets: &Secrets<'_>,
) -> Result<Node, RejectionKind> {
    match config {
        None => Ok(Node::Null),
        Some(c) => convert(&HttpParts::of(c), secrets).map(Node::Map),
    }
}

pub fn convert(parts: &HttpParts<'_>, secrets: &Secrets<'_>) -> Result<Mapping, RejectionKind> {
    let mut out = Mapping::new();
    if let Some(auth) = parts.authorization {
        let credentials = match &auth.credentials {
            Some(sel) => secrets
                .get(sel)
                .map_err(|e| e.context("failed to get Authorization credentials"))?,
            None => String::new(),
        };
        if !credentials.is_empty() {
            let kind = auth.type_.as_deref().filter(|t| !t.is_empty());
            let mut m = Mapping::new();
            m.insert("type", kind.unwrap_or("Bearer"))
                .insert("credentials", credentials);
            out.insert("authorization", m);
        }
    }
    if let Some(basic) = parts.basic_auth {
        let get = |sel: &Option<SecretKeySelector>, what: &str| -> Result<String, RejectionKind> {
            match sel {
                Some(sel) => secrets
                    .get(sel)
                    .map_err(|e| e.context(&format!("failed to get BasicAuth {what}"))),
                None => Err(format!("failed to get BasicAuth {what}: no selector").into()),
            }
        };
        let username = get(&basic.username, "username")?;
        let password = get(&basic.password, "password")?;
        if !username.is_empty() || !password.is_empty() {
            let mut m = Mapping::new();
            m.insert("username", username).insert("password", password);
            out.insert("basic_auth", m);
        }
    }
    if let Some(oauth2) = parts.oauth2 {
        let client_id = secrets
            .get_either(&oauth2.client_id)
            .map_err(|e| e.context("failed to get clientID"))?;
        let client_secret = secrets
            .get(&oauth2.client_secret)
            .map_err(|e| e.context("failed to get client secret"))?;
        let mut m = Mapping::new();
        m.insert("client_id", client_id)
            .insert("client_secret", client_secret)
            .insert(
                "scopes",
                Node::from(oauth2.scopes.clone().unwrap_or_default()),
            )
            .insert("token_url", oauth2.token_url.0.as_str())
            .insert(
                "endpoint_params",
                Mapping::sorted(oauth2.endpoint_params.clone().unwrap_or_default()),
            );
        append_proxy(&mut m, Some(&oauth2.proxy), None, secrets)?;
        out.insert("oauth2", m);
    }
    if let Some(sel) = parts.bearer_token_secret {
        let token = secrets
            .get(sel)
            .map_err(|e| e.context("failed to get bearer token"))?;
        out.insert("bearer_token", token);
    }
    if let Some(tls) = parts.tls_config {
        out.insert("tls_config", tls_config(tls, secrets));
    }
    out.insert_opt("follow_redirects", parts.follow_redirects)
        .insert_opt("enable_http2", parts.enable_http2);
    append_proxy(&mut out, parts.proxy, parts.proxy_url, secrets)?;
    Ok(out)
}

fn append_proxy(
    out: &mut Mapping,
    proxy: Option<&ProxyConfig>,
    url_override: Option<&str>,
    secrets: &Secrets<'_>,
) -> Result<(), RejectionKind> {
    let url = url_override
        .filter(|u| !u.is_empty())
        .or_else(|| proxy.and_then(|p| p.proxy_url.as_deref()));
    out.insert_opt("proxy_url", url);
    let Some(proxy) = proxy else {
        return Ok(());
    };
    out.insert_opt("no_proxy", proxy.no_proxy.as_deref())
        .insert_opt("proxy_from_environment", proxy.proxy_from_environment);
    if let Some(headers) = proxy
        .proxy_connect_header
        .as_ref()
        .filter(|h| !h.is_empty())
    {
        let mut entries = Vec::new();
        for (name, values) in headers {
            let mut resolved = Vec::new();
            for sel in values {
                resolved.push(Node::Str(secrets.get(sel).map_err(|e| {
                    e.context("failed to get proxyConnectHeader secretKey")
                })?));
            }
            entries.push((name.clone(), Node::Seq(resolved)));
        }
        out.insert("proxy_connect_header", Mapping::sorted(entries));
    }
    Ok(())
}

pub fn tls_version(v: TlsVersion) -> &'static str {
    match v {
        TlsVersion::Tls10 => "TLS10",
        TlsVersion::Tls11 => "TLS11",
        TlsVersion::Tls12 => "TLS12",
        TlsVersion::Tls13 => "TLS13",
    }
}

/// A SafeTLSConfig as files of the mounted TLS assets.
pub fn tls_config(tls: &SafeTlsConfig, secrets: &Secrets<'_>) -> Mapping {
    let mut out = Mapping::new();
    out.insert_opt(
        "ca_file",
        tls.ca.as_ref().and_then(|s| secrets.tls_asset_path(s)),
    )
    .insert_opt(
        "cert_file",
        tls.cert.as_ref().and_then(|s| secrets.tls_asset_path(s)),
    )
    .insert_opt(
        "key_file",
        tls.key_secret.as_ref().map(|s| secrets.tls_secret_path(s)),
    )
    .insert_opt("server_name", tls.server_name.as_deref())
    .insert_opt("insecure_skip_verify", tls.insecure_skip_verify)
    .insert_opt("min_version", tls.min_version.map(tls_version))
    .insert_opt("max_version", tls.max_version.map(tls_version));
    out
}
